//! The tour's "Try this" texts promise effects; these tests check that the simulation really
//! produces them, with the numbers the texts quote.

use scalesim::scenario::preset;
use scalesim::sim::{Report, Sim, SimTime};

/// Runs preset `stage` to `at_s`, kills `target`, and runs on to `end_s`.
fn kill_at(stage: u8, target: &str, at_s: u64, end_s: u32) -> Report {
    let mut s = preset(stage).unwrap();
    s.duration_s = end_s;
    s.faults.clear();
    let mut sim = Sim::new(&s).unwrap();
    sim.advance_to(SimTime::from_secs(at_s), u64::MAX);
    let id = sim.component_named(target).unwrap();
    sim.kill(id);
    sim.run()
}

fn untouched(stage: u8, end_s: u32) -> Report {
    let mut s = preset(stage).unwrap();
    s.duration_s = end_s;
    s.faults.clear();
    Sim::new(&s).unwrap().run()
}

/// Mean of `f` over the series points in `from_s..=to_s`.
fn mean(r: &Report, from_s: f64, to_s: f64, f: impl Fn(&scalesim::sim::SeriesPoint) -> f64) -> f64 {
    let points: Vec<f64> = r
        .series
        .iter()
        .filter(|p| p.t_s >= from_s && p.t_s <= to_s)
        .map(f)
        .collect();
    points.iter().sum::<f64>() / points.len() as f64
}

/// Stage 5, "Kill cache-0": the hit ratio falls and database load rises by a step the text
/// quotes (about 63 % → 42 % hits, 5 % → 7 % database load), while p99 barely moves.
#[test]
fn killing_cache_0_shifts_its_reads_to_the_database() {
    let r = kill_at(5, "cache-0", 20, 40);
    let hits = |from, to| mean(&r, from, to, |p| p.cache_hit_ratio);
    let db = |from, to| mean(&r, from, to, |p| p.db_utilization);
    let p99 = |from, to| mean(&r, from, to, |p| p.latency_p99_ms);
    let (hits_before, hits_after) = (hits(11.0, 20.0), hits(21.0, 40.0));
    let (db_before, db_after) = (db(11.0, 20.0), db(21.0, 40.0));
    assert!(
        (0.58..0.68).contains(&hits_before) && (0.37..0.47).contains(&hits_after),
        "hit ratio {hits_before:.3} → {hits_after:.3}"
    );
    assert!(
        (0.035..0.06).contains(&db_before) && (0.06..0.085).contains(&db_after),
        "database load {db_before:.3} → {db_after:.3}"
    );
    assert!(db_after > 1.3 * db_before);
    let (p99_before, p99_after) = (p99(11.0, 20.0), p99(21.0, 40.0));
    assert!(
        (p99_after / p99_before - 1.0).abs() < 0.15,
        "p99 {p99_before:.1} → {p99_after:.1} ms"
    );
    assert_eq!(r.requests.failed, 0);
}

/// Stage 4, "Kill the replica": reads sent to it fail until its death is detected (5 s here,
/// about 3,500 requests), then none; no write is lost.
#[test]
fn killing_a_replica_fails_reads_until_detection_and_loses_no_write() {
    let r = kill_at(4, "db-1", 20, 40);
    assert_eq!(untouched(4, 40).requests.failed, 0);
    assert!(
        (2_500..4_500).contains(&r.requests.failed),
        "{} failed",
        r.requests.failed
    );
    let detected = r
        .events
        .iter()
        .find(|e| e.text.contains("db-1 down detected"))
        .expect("the death is detected")
        .t_s;
    assert!(
        (24.0..=26.0).contains(&detected),
        "detected at {detected} s"
    );
    let failed_after: u64 = r
        .series
        .iter()
        .filter(|p| p.t_s > detected + 1.0)
        .map(|p| p.failed)
        .sum();
    assert_eq!(failed_after, 0, "no failure once detected");
    assert_eq!(r.database.as_ref().unwrap().writes_lost, 0);
}

/// Stage 1, "Kill DNS": only users who have not cached an answer yet fail, so the damage
/// depends on when (each user sends a request every 100 s on average): almost every request
/// early in the run, about half at 20 s, almost none at 200 s (runs 40 s past the kill).
#[test]
fn killing_dns_hurts_only_users_without_a_cached_answer() {
    let share = |at_s: u64| {
        let r = kill_at(1, "dns", at_s, at_s as u32 + 40);
        assert_eq!(r.requests.failed, r.requests.failed_by_reason.dns_down);
        r.requests.failed as f64 / r.requests.generated as f64
    };
    let (early, middle, late) = (share(1), share(20), share(200));
    assert!(early > 0.9, "killed at 1 s: {early:.3} failed");
    assert!(
        (0.3..0.7).contains(&middle),
        "killed at 20 s: {middle:.3} failed"
    );
    assert!(late < 0.02, "killed at 200 s: {late:.4} failed");
}
