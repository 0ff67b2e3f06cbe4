//! Behaviour of a run: determinism, conservation, overload, faults, DNS caching, timeouts.

use crate::helpers::{assert_conserved, run, textbook};
use scalesim::scenario::{preset, Fault};
use scalesim::sim::{ComponentId, Outcome, Sim, SimTime};

#[test]
fn same_seed_same_report_other_seed_differs() {
    let s = preset(1).unwrap();
    let a = run(&s);
    let b = run(&s);
    assert_eq!(a, b);
    assert_eq!(a.digest, b.digest);
    let mut other = s.clone();
    other.seed = 2;
    let c = run(&other);
    assert_ne!(a.digest, c.digest);
    assert_ne!(a.requests.generated, 0);
}

#[test]
fn advancing_in_small_steps_equals_one_big_step() {
    let s = preset(1).unwrap();
    let whole = run(&s);
    let mut sim = Sim::new(&s).unwrap();
    let mut t = 0;
    while t < 120_000 {
        t = (t + 17).min(120_000);
        sim.advance_to(SimTime::from_micros(t * 1000), u64::MAX);
    }
    sim.advance_to(sim.end(), u64::MAX);
    assert_eq!(sim.report(), whole);
}

#[test]
fn event_budget_is_respected() {
    let mut sim = Sim::new(&preset(1).unwrap()).unwrap();
    let done = sim.advance_to(SimTime::from_secs(60), 100);
    assert_eq!(done, 100);
    assert!(sim.now() < SimTime::from_secs(60));
}

#[test]
fn preset_1_is_healthy_and_close_to_theory() {
    let r = run(&preset(1).unwrap());
    assert_conserved(&r);
    assert_eq!(r.requests.failed, 0);
    let t = r.theory.unwrap();
    assert!((t.utilization_measured - t.utilization_expected).abs() < 0.02);
    let expected = t.mean_response_ms_expected.unwrap();
    assert!((t.mean_response_ms_measured - expected).abs() / expected < 0.1);
}

#[test]
fn overload_queues_then_rejects_and_times_out() {
    let mut s = preset(1).unwrap();
    s.traffic.users = 20_000; // ~4,000 requests/s against ~380/s of capacity
    s.duration_s = 30;
    let r = run(&s);
    assert_conserved(&r);
    let f = &r.requests.failed_by_reason;
    assert!(f.queue_full > 0, "{f:?}");
    assert!(r.components[0].utilization > 0.99);
    assert_eq!(r.components[0].max_queue_len, s.server.queue_capacity);
    // Completed requests waited in a full line: latency far above the service time.
    assert!(r.latency_ms.p50 > 300.0, "p50 {}", r.latency_ms.p50);
}

#[test]
fn requests_waiting_longer_than_the_client_timeout_fail() {
    let mut s = textbook(1, 1500.0, 1.0, 20, 3); // ρ = 1.5: the line grows without bound
    s.traffic.client_timeout_ms = 200.0;
    let r = run(&s);
    assert_conserved(&r);
    assert!(r.requests.failed_by_reason.timeout > 1000);
    assert!(r.latency_ms.max <= 200.0 + 1e-9, "max {}", r.latency_ms.max);
}

#[test]
fn killing_the_server_fails_everything_until_repair() {
    let mut s = preset(1).unwrap();
    s.duration_s = 30;
    s.faults = vec![Fault {
        target: "web-0".into(),
        at_s: 10.0,
        duration_s: 5.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    let r = run(&s);
    assert_conserved(&r);
    // 5 s of the offered rate (1,000 users at 0.01 requests/s: 10 a second) fail.
    let per_s = s.offered_rate_per_s();
    assert!(r.requests.failed_by_reason.server_down as f64 > 0.6 * 5.0 * per_s);
    // Nothing completes during the outage (buckets ending at 12..15 s lie inside it).
    for p in r.series.iter().filter(|p| p.t_s > 11.5 && p.t_s < 15.5) {
        assert_eq!(p.completed, 0, "completions at {}", p.t_s);
    }
    // Service resumes after the repair.
    let after: u64 = r
        .series
        .iter()
        .filter(|p| p.t_s > 16.5)
        .map(|p| p.completed)
        .sum();
    assert!(
        after as f64 > 0.6 * 13.0 * per_s,
        "{after} completed after the repair"
    );
    // The fault and its repair, and the failures it caused starting and stopping.
    let of = |component: &str| -> Vec<&str> {
        r.events
            .iter()
            .filter(|e| e.component == component)
            .map(|e| e.text.as_str())
            .collect()
    };
    let server = of("web-0");
    assert_eq!(server.len(), 2, "{server:?}");
    assert!(server[0].contains("web-0 down"));
    let requests = of("requests");
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[0].starts_with("requests started failing"));
    assert_eq!(requests[1], "requests stopped failing");
}

#[test]
fn live_kill_and_repair_through_the_api() {
    // 3,000 users: 30 requests/s, under the server's capacity.
    let mut s = preset(1).unwrap();
    s.traffic.users = 3000;
    let mut sim = Sim::new(&s).unwrap();
    let server = sim.component_named("web-0").unwrap();
    sim.advance_to(SimTime::from_secs(5), u64::MAX);
    sim.kill(server);
    assert!(!sim.is_alive(server));
    let failed_before = sim.snapshot().requests_failed;
    sim.advance_to(SimTime::from_secs(8), u64::MAX);
    assert!(sim.snapshot().requests_failed > failed_before + 60);
    assert!(sim.recent_paths().any(|p| p.outcome == Outcome::ServerDown));
    sim.repair(server);
    let done = sim.snapshot().requests_completed;
    sim.advance_to(SimTime::from_secs(10), u64::MAX);
    assert!(sim.snapshot().requests_completed > done + 40);
    assert_eq!(sim.log().filter(|e| e.component == "web-0").count(), 2);
}

#[test]
fn dns_answers_are_cached_for_their_ttl() {
    let mut s = preset(1).unwrap();
    s.dns.ttl_s = 86_400;
    // A request every 100 s per user: in 600 s all but e^-6 (0.25 %) of the users send one.
    s.duration_s = 600;
    let r = run(&s);
    // Each of the 1,000 users looks up once at most.
    assert!(
        r.dns.lookups <= 1000 && r.dns.lookups > 980,
        "{}",
        r.dns.lookups
    );
    s.dns.ttl_s = 0;
    let r = run(&s);
    assert_eq!(r.dns.lookups, r.requests.generated);
}

#[test]
fn dns_keeps_its_component_id_and_its_place_on_the_bill() {
    // DNS registers after the CDN edge (built_ins!), yet it stays component 1 (links, the
    // diagram and the geo layer's shared ids name it so) and its bill line stays before the
    // CDN's, as before it was registered.
    let mut s = preset(6).unwrap();
    s.duration_s = 10;
    let mut sim = Sim::new(&s).unwrap();
    let dns = &sim.components()[1];
    assert_eq!((dns.id, dns.name.as_str()), (ComponentId(1), "dns"));
    sim.advance_to(SimTime::from_secs(10), u64::MAX);
    let r = sim.report();
    let items: Vec<&str> = r.cost.items.iter().map(|i| i.item.as_str()).collect();
    let at = |name: &str| items.iter().position(|i| i.starts_with(name));
    let (dns, cdn) = (at("DNS lookups"), at("CDN"));
    assert!(dns.is_some() && cdn.is_some(), "{items:?}");
    assert_eq!(dns.unwrap() + 1, cdn.unwrap(), "{items:?}");
    // Killing it through its id fails the lookups made while it is down.
    sim.kill(ComponentId(1));
    assert!(!sim.is_alive(ComponentId(1)));
    sim.advance_to(SimTime::from_secs(11), u64::MAX);
    sim.repair(ComponentId(1));
    assert!(sim.is_alive(ComponentId(1)));
    let log: Vec<_> = sim.log().filter(|e| e.component == "dns").collect();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0]
        .text
        .ends_with("clients with a cached answer keep working until it expires"));
    assert!(log[1].text.ends_with("back up (repaired by the user)"));
}

#[test]
fn a_dead_dns_only_hurts_clients_whose_cache_expired() {
    let mut s = preset(1).unwrap();
    s.duration_s = 60;
    s.dns.ttl_s = 30;
    s.faults = vec![Fault {
        target: "dns".into(),
        at_s: 20.0,
        duration_s: 0.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    let r = run(&s);
    assert_conserved(&r);
    let dns_down = r.requests.failed_by_reason.dns_down;
    assert!(dns_down > 0);
    // Right after the failure most clients still hold an answer.
    let early: u64 = r
        .series
        .iter()
        .filter(|p| p.t_s > 20.5 && p.t_s < 23.5)
        .map(|p| p.failed)
        .sum();
    let late: u64 = r
        .series
        .iter()
        .filter(|p| p.t_s > 56.5)
        .map(|p| p.failed)
        .sum();
    assert!(
        late > early,
        "failures should grow as caches expire: {early} then {late}"
    );
}

#[test]
fn sampled_paths_follow_the_real_route() {
    // 3,000 users: 30 requests/s, 300 requests in the first 10 s.
    let mut s = preset(1).unwrap();
    s.traffic.users = 3000;
    let mut sim = Sim::new(&s).unwrap();
    sim.advance_to(SimTime::from_secs(10), u64::MAX);
    let paths: Vec<_> = sim.recent_paths().collect();
    assert!(paths.len() > 100);
    for p in paths {
        let hops = p.hops();
        assert!(!hops.is_empty());
        assert!(p.start <= hops[0].enter);
        for w in hops.windows(2) {
            assert!(w[0].leave <= w[1].enter);
        }
        assert!(hops.last().unwrap().leave <= p.end);
        assert_eq!(hops.last().unwrap().component, ComponentId(2));
    }
}

#[test]
fn path_sampling_does_not_change_the_run() {
    let s = preset(1).unwrap();
    let mut a = Sim::new(&s).unwrap();
    let mut b = Sim::new(&s).unwrap();
    b.set_path_sample_every(97);
    assert_eq!(a.run(), b.run());
}

#[test]
fn changing_users_live_changes_the_load() {
    let mut sim = Sim::new(&preset(1).unwrap()).unwrap();
    sim.advance_to(SimTime::from_secs(10), u64::MAX);
    let before = sim.snapshot().recent_throughput_per_s;
    // 1,000 → 3,500 users: 10 → 35 requests/s, still under the server's capacity.
    sim.set_users(3500);
    sim.advance_to(SimTime::from_secs(20), u64::MAX);
    let after = sim.snapshot().recent_throughput_per_s;
    assert!(after > 3.0 * before, "{before} → {after}");
}

#[test]
fn memory_stays_bounded_under_overload() {
    let mut s = preset(1).unwrap();
    s.traffic.users = 50_000;
    let mut sim = Sim::new(&s).unwrap();
    sim.advance_to(SimTime::from_secs(20), u64::MAX);
    let pending_early = sim.pending_events();
    sim.advance_to(SimTime::from_secs(100), u64::MAX);
    let pending_late = sim.pending_events();
    assert!(
        pending_late < pending_early * 2,
        "event queue grew from {pending_early} to {pending_late}"
    );
}
