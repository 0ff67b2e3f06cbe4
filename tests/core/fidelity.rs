//! The simulation against queueing theory: M/M/1, M/M/c (Erlang C), M/M/c/K blocking, and
//! Little's law.

use crate::helpers::{assert_conserved, run, textbook};
use scalesim::sim::theory;

/// Mean time at the server within `tolerance` (relative) of M/M/c.
fn check_mmc(workers: u32, rho: f64, tolerance: f64) {
    let mean_ms = 1.0;
    let rate_per_s = rho * f64::from(workers) / mean_ms * 1000.0;
    // Heavier load needs more requests for the same precision; many workers need fewer.
    let requests = match (rho >= 0.85, workers == 1) {
        (true, true) => 3_000_000.0,
        (true, false) => 1_500_000.0,
        (false, _) => 400_000.0,
    };
    let duration_s = (requests / rate_per_s).ceil() as u32;
    let s = textbook(workers, rate_per_s, mean_ms, duration_s, 7);
    let r = run(&s);
    assert_conserved(&r);
    let expected = theory::mmc_mean_response(workers, rate_per_s / 1000.0, mean_ms).unwrap();
    let measured = r.components[0].mean_sojourn_ms;
    let error = (measured - expected).abs() / expected;
    assert!(
        error < tolerance,
        "M/M/{workers} at ρ={rho}: measured {measured:.4} ms, Erlang C {expected:.4} ms, error {:.2}% (seed 7)",
        error * 100.0
    );
    let utilization = r.components[0].utilization;
    assert!(
        (utilization - rho).abs() < 0.01,
        "utilization {utilization} vs ρ {rho}"
    );
}

#[test]
fn mm1_mean_response_matches_theory_from_rho_03_to_09() {
    for rho in [0.3, 0.5, 0.7, 0.9] {
        check_mmc(1, rho, 0.05);
    }
}

#[test]
fn mmc_mean_response_matches_erlang_c() {
    for workers in [4, 16] {
        for rho in [0.3, 0.6, 0.9] {
            check_mmc(workers, rho, 0.05);
        }
    }
}

#[test]
fn theory_section_of_the_report_uses_the_exact_model() {
    let s = textbook(2, 1400.0, 1.0, 600, 3);
    let r = run(&s);
    let t = r.theory.expect("a theory check");
    assert!(t.model.starts_with("M/M/c/K"), "{}", t.model);
    let expected = t.mean_response_ms_expected.unwrap();
    assert!((t.mean_response_ms_measured - expected).abs() / expected < 0.05);
}

#[test]
fn bounded_queue_rejects_as_mmck_predicts() {
    // Overloaded: ρ = 1.5 on 2 workers with room for 5 waiting.
    let mut s = textbook(2, 3000.0, 1.0, 600, 11);
    s.server.queue_capacity = 5;
    let r = run(&s);
    assert_conserved(&r);
    let expected = theory::mmck(2, 5, 3.0, 1.0);
    let c = &r.components[0];
    let measured = c.rejected as f64 / (c.served + c.rejected) as f64;
    assert!(
        (measured - expected.blocking).abs() < 0.01,
        "rejection {measured:.4} vs M/M/c/K {:.4}",
        expected.blocking
    );
    assert!(
        (c.mean_sojourn_ms - expected.mean_response).abs() / expected.mean_response < 0.05,
        "sojourn {} vs {}",
        c.mean_sojourn_ms,
        expected.mean_response
    );
    assert_eq!(r.requests.failed_by_reason.queue_full, c.rejected);
}

#[test]
fn littles_law_holds_at_the_server() {
    for (workers, rho) in [(1, 0.6), (8, 0.8)] {
        let rate = rho * f64::from(workers) * 1000.0 / 2.0;
        let s = textbook(workers, rate, 2.0, 1000, 5);
        let r = run(&s);
        let c = &r.components[0];
        let little = c.throughput_per_s * c.mean_sojourn_ms / 1000.0;
        assert!(
            (c.mean_in_system - little).abs() / little < 0.02,
            "L = {} but λW = {little}",
            c.mean_in_system
        );
    }
}

#[test]
fn constant_service_waits_half_as_long_as_exponential() {
    // M/D/1 waits are half of M/M/1's at the same load (Pollaczek–Khinchine).
    let mut s = textbook(1, 700.0, 1.0, 2000, 9);
    for d in [
        &mut s.server.service.page_view,
        &mut s.server.service.api_read,
        &mut s.server.service.write,
        &mut s.server.service.static_asset,
    ] {
        d.shape = scalesim::scenario::Shape::Constant;
    }
    let r = run(&s);
    let wait = r.components[0].mean_wait_ms;
    let expected = 0.7 / (2.0 * 0.3); // ρ/(2μ(1−ρ)) with μ = 1/ms
    assert!(
        (wait - expected).abs() / expected < 0.05,
        "M/D/1 wait {wait} vs {expected}"
    );
}

#[test]
fn lognormal_service_has_the_configured_mean() {
    let mut s = textbook(64, 1000.0, 10.0, 300, 4);
    s.server.service.page_view.shape = scalesim::scenario::Shape::Lognormal;
    s.server.service.page_view.cv = 2.0;
    s.traffic.mix.api_read = 0.0;
    s.traffic.mix.write = 0.0;
    s.traffic.mix.static_asset = 0.0;
    let r = run(&s);
    // 64 workers at ρ ≈ 0.16: essentially no waiting, so sojourn ≈ service.
    let m = r.components[0].mean_sojourn_ms;
    assert!((m - 10.0).abs() / 10.0 < 0.03, "lognormal mean {m}");
}
