//! Stages 2–4: the database tier, the load balancer and replication, each behaviour with a
//! fixed seed.

use crate::helpers::{assert_conserved, fault, run};
use scalesim::scenario::{preset, BalancePolicy, Dist, Scenario};
use scalesim::sim::{DbRole, Sim, SimTime};

#[test]
fn presets_2_to_4_run_and_conserve_requests() {
    for stage in 2..=4 {
        let r = run(&preset(stage).unwrap());
        assert_conserved(&r);
        assert!(r.requests.completed > 10_000, "stage {stage}");
    }
}

#[test]
fn tandem_web_and_database_at_low_load_add_up() {
    let mut s = preset(2).unwrap();
    s.traffic.users = 20; // 4 requests/s: nobody ever waits
    s.duration_s = 3000;
    s.dns.lookup_ms = 0.0;
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.write = 0.0;
    s.traffic.mix.static_asset = 0.0;
    let r = run(&s);
    let db = s.database.as_ref().unwrap();
    let expected = s.network.client_rtt_ms
        + s.server.service.api_read.mean_ms
        + s.network.internal_rtt_ms
        + db.read.mean_ms;
    let measured = r.latency_ms.mean;
    assert!(
        (measured - expected).abs() / expected < 0.03,
        "mean {measured} ms vs sum of stages {expected} ms"
    );
}

#[test]
fn littles_law_holds_at_every_node() {
    let r = run(&preset(4).unwrap());
    for c in r.components.iter().filter(|c| c.served > 1000) {
        let little = c.throughput_per_s * c.mean_sojourn_ms / 1000.0;
        assert!(
            (c.mean_in_system - little).abs() / little < 0.05,
            "{}: L = {} but λW = {little}",
            c.name,
            c.mean_in_system
        );
    }
}

/// Stage 3 cut to three web servers at 600 requests/s (60,000 users), without its fault.
fn three_servers() -> Scenario {
    let mut s = preset(3).unwrap();
    s.server.count = 3;
    s.traffic.users = 60_000;
    s
}

/// The preset's database (56 workers) has room to spare at stage 2; a small one (4 workers,
/// 8 ms reads, 15 ms writes) saturates before the 16-worker web server does.
#[test]
fn a_small_database_saturates_before_the_web_server() {
    let mut s = preset(2).unwrap();
    s.traffic.users = 70_000; // 700 requests/s
    let db = s.database.as_mut().unwrap();
    db.workers = 4;
    db.read = Dist::exponential(8.0);
    db.write = Dist::exponential(15.0);
    s.duration_s = 60;
    let r = run(&s);
    let web = r.components.iter().find(|c| c.name == "web-0").unwrap();
    let db = r.components.iter().find(|c| c.name == "db-0").unwrap();
    assert!(db.utilization > 0.97, "db {}", db.utilization);
    assert!(web.utilization < 0.8, "web {}", web.utilization);
    assert!(r.requests.failed_by_reason.queue_full > 0);
}

#[test]
fn vertical_scaling_has_a_ceiling() {
    let mut s = preset(2).unwrap();
    s.database.as_mut().unwrap().workers = 128;
    s.database.as_mut().unwrap().speed = 8.0;
    let text = s.validate().unwrap_err().to_string();
    assert!(
        text.contains("the biggest database machine has 64"),
        "{text}"
    );
    assert!(text.contains("faster than any machine"), "{text}");
}

#[test]
fn losing_the_only_database_fails_data_requests_but_not_static_ones() {
    let mut s = preset(2).unwrap();
    s.duration_s = 40;
    s.faults = vec![fault("db-0", 10.0, 10.0)];
    let r = run(&s);
    assert_conserved(&r);
    let during: Vec<_> = r
        .series
        .iter()
        .filter(|p| p.t_s > 10.5 && p.t_s < 20.5)
        .collect();
    // Static assets (20% of the mix) still complete during the outage; nothing else does.
    for p in &during {
        let share = p.completed as f64 / p.generated.max(1) as f64;
        assert!(share < 0.35, "{share} completed at {}", p.t_s);
        assert!(p.completed > 0);
    }
    assert!(r.requests.failed_by_reason.db_down > 1000);
    // The web tier sees the database back one detection time after the repair.
    let back_s = 20.0 + s.database.as_ref().unwrap().failover.detection_ms / 1000.0;
    let after: u64 = r
        .series
        .iter()
        .filter(|p| p.t_s > back_s + 1.0)
        .map(|p| p.failed)
        .sum();
    assert_eq!(after, 0);
}

#[test]
fn a_dead_server_fails_requests_only_until_health_checks_remove_it() {
    let mut s = three_servers();
    s.faults = preset(3).unwrap().faults;
    let r = run(&s);
    assert_conserved(&r);
    let lb = s.load_balancer.as_ref().unwrap();
    let per_server_per_s = s.offered_rate_per_s() / f64::from(s.server.count);
    // Detection takes between (threshold − 1) and threshold intervals after the death.
    let window_s = lb.health_interval_ms / 1000.0 * f64::from(lb.unhealthy_threshold);
    let bound = per_server_per_s * window_s * 1.2;
    let failed = r.requests.failed_by_reason.server_down as f64;
    assert!(
        failed > 0.0 && failed <= bound,
        "{failed} failures, bound {bound}"
    );
    let web1 = r.components.iter().find(|c| c.name == "web-1").unwrap();
    assert_eq!(
        web1.refused as f64 + 1.0,
        failed.max(1.0).min(web1.refused as f64 + 1.0)
    );
    // After removal nothing fails until the run ends.
    let late: u64 = r
        .series
        .iter()
        .filter(|p| p.t_s > 43.5)
        .map(|p| p.failed)
        .sum();
    assert_eq!(late, 0);
    assert!(r
        .events
        .iter()
        .any(|e| e.text.contains("taken out of the pool")));
    assert!(r.events.iter().any(|e| e.text.contains("back in the pool")));
}

fn heterogeneous(policy: BalancePolicy) -> Scenario {
    let mut s = three_servers();
    s.faults.clear();
    s.duration_s = 120;
    s.traffic.users = 100_000; // 1,000 requests/s
    s.server.workers = 8;
    // Round robin gives the slow server a third of the load: more than it can take.
    s.server.speeds = vec![0.3, 1.0, 1.0];
    s.database.as_mut().unwrap().workers = 64;
    s.load_balancer.as_mut().unwrap().policy = policy;
    s
}

#[test]
fn least_connections_beats_round_robin_on_unequal_servers() {
    let rr = run(&heterogeneous(BalancePolicy::RoundRobin));
    let lc = run(&heterogeneous(BalancePolicy::LeastConnections));
    assert_conserved(&rr);
    assert_conserved(&lc);
    assert!(
        rr.requests.failed > 100 * (lc.requests.failed + 1),
        "failures: rr {} lc {}",
        rr.requests.failed,
        lc.requests.failed
    );
    assert!(
        lc.latency_ms.p99 < rr.latency_ms.p99 * 0.5,
        "p99: least connections {} vs round robin {}",
        lc.latency_ms.p99,
        rr.latency_ms.p99
    );
    assert!(lc.latency_ms.mean < rr.latency_ms.mean);
}

#[test]
fn random_policy_spreads_evenly() {
    let mut s = heterogeneous(BalancePolicy::Random);
    s.server.speeds.clear();
    let r = run(&s);
    let served: Vec<u64> = r
        .components
        .iter()
        .filter(|c| c.name.starts_with("web"))
        .map(|c| c.served)
        .collect();
    let mean = served.iter().sum::<u64>() as f64 / 3.0;
    for n in served {
        assert!((n as f64 - mean).abs() / mean < 0.02, "{n} vs {mean}");
    }
}

#[test]
fn servers_added_live_join_after_health_checks() {
    let mut s = three_servers();
    s.faults.clear();
    let mut sim = Sim::new(&s).unwrap();
    sim.advance_to(SimTime::from_secs(10), u64::MAX);
    sim.set_web_servers(5);
    assert_eq!(
        sim.components()
            .iter()
            .filter(|c| c.name.starts_with("web"))
            .count(),
        5
    );
    sim.advance_to(SimTime::from_secs(30), u64::MAX);
    let r = sim.report();
    let web4 = r.components.iter().find(|c| c.name == "web-4").unwrap();
    assert!(web4.served > 1000, "web-4 served {}", web4.served);
    sim.set_web_servers(2);
    let snap = sim.snapshot();
    let retired = snap.components.iter().filter(|c| c.retired).count();
    assert_eq!(retired, 3);
    let before: Vec<u64> = sim.report().components.iter().map(|c| c.served).collect();
    sim.advance_to(SimTime::from_secs(40), u64::MAX);
    let after = sim.report();
    let web4_after = after
        .components
        .iter()
        .find(|c| c.name == "web-4")
        .unwrap()
        .served;
    let web4_before = before[after
        .components
        .iter()
        .position(|c| c.name == "web-4")
        .unwrap()];
    assert!(
        web4_after - web4_before < 50,
        "a removed server keeps getting work"
    );
    assert_conserved(&after);
}

/// Stage 4 with only writes and reads, a replication stream we control, and no faults.
fn replicated(write_rate: f64, apply_ms: f64, delay_ms: f64) -> Scenario {
    let mut s = preset(4).unwrap();
    s.faults.clear();
    s.duration_s = 60;
    s.traffic.users = 10_000;
    s.database.as_mut().unwrap().replicas = 2;
    s.traffic.requests_per_user_per_s = write_rate / 10_000.0 * 2.0;
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.api_read = 1.0;
    s.traffic.mix.write = 1.0;
    s.traffic.mix.static_asset = 0.0;
    let db = s.database.as_mut().unwrap();
    db.workers = 32;
    db.write = Dist::exponential(1.0);
    db.read = Dist::exponential(1.0);
    db.replication.apply_ms = apply_ms;
    db.replication.delay_ms = delay_ms;
    s
}

fn max_lag_in(r: &scalesim::sim::Report, from_s: f64, to_s: f64) -> f64 {
    r.series
        .iter()
        .filter(|p| p.t_s > from_s && p.t_s <= to_s)
        .map(|p| p.replication_lag_ms)
        .fold(0.0, f64::max)
}

#[test]
fn lag_grows_when_writes_outpace_the_replicas_and_not_otherwise() {
    // Apply capacity 100 writes/s.
    let fast = run(&replicated(70.0, 10.0, 5.0));
    let slow = run(&replicated(130.0, 10.0, 5.0));
    let (early, late) = (max_lag_in(&slow, 5.0, 15.0), max_lag_in(&slow, 50.0, 60.0));
    assert!(
        late > 2.0 * early && late > 5000.0,
        "overloaded lag {early} → {late} ms"
    );
    let (early, late) = (max_lag_in(&fast, 5.0, 15.0), max_lag_in(&fast, 50.0, 60.0));
    assert!(
        late < 500.0 && early < 500.0,
        "stable lag {early} → {late} ms"
    );
}

#[test]
fn stale_reads_need_lag() {
    let r = run(&replicated(50.0, 0.001, 0.0));
    let db = r.database.unwrap();
    assert!(db.replica_reads > 1000);
    assert_eq!(db.stale_reads, 0);
    let lagging = run(&replicated(50.0, 5.0, 200.0));
    assert!(lagging.database.unwrap().stale_reads > 0);
}

#[test]
fn stale_reads_are_counted_per_replica_and_add_up() {
    let r = run(&preset(4).unwrap());
    let db = r.database.unwrap();
    let per_node: u64 = db.nodes.iter().map(|n| n.stale_reads).sum();
    assert_eq!(per_node, db.stale_reads);
    assert!(db.stale_reads > 0);
}

#[test]
fn master_failover_loses_exactly_the_writes_still_on_the_wire() {
    // A one-second replication delay and instant apply: the writes lost when the master dies
    // at 30 s are exactly those committed in the second before (29, 30].
    let mut s = replicated(50.0, 0.01, 1000.0);
    s.metrics_interval_ms = 1000;
    s.faults = vec![fault("db-0", 30.0, 0.0)];
    let r = run(&s);
    assert_conserved(&r);
    let committed_last_second = r
        .series
        .iter()
        .find(|p| (p.t_s - 30.0).abs() < 1e-9)
        .unwrap()
        .writes_committed;
    let db = r.database.unwrap();
    assert_eq!(db.failovers.len(), 1);
    let f = &db.failovers[0];
    assert_eq!(f.writes_lost, committed_last_second);
    assert!(f.writes_lost > 20);
    assert_eq!(db.writes_lost, f.writes_lost);
    // Failover outage = detection + promotion.
    let fo = &s.database.as_ref().unwrap().failover;
    assert!((f.outage_s - (fo.detection_ms + fo.promotion_ms) / 1000.0).abs() < 1e-9);
}

#[test]
fn writes_fail_only_while_there_is_no_master() {
    let s = preset(4).unwrap();
    let r = run(&s);
    let fo = &s.database.as_ref().unwrap().failover;
    let outage_end = 60.0 + (fo.detection_ms + fo.promotion_ms) / 1000.0;
    for p in &r.series {
        if p.t_s < 60.0 || p.t_s > outage_end + 1.0 {
            assert_eq!(p.failed, 0, "failures at {} s", p.t_s);
        }
    }
    assert!(r.requests.failed_by_reason.db_down > 0);
    let db = r.database.unwrap();
    assert_eq!(db.failovers.len(), 1);
    // The repaired old master comes back as a replica.
    let old = db.nodes.iter().find(|n| n.name == "db-0").unwrap();
    assert_eq!(old.role, DbRole::Replica);
    assert!(r
        .events
        .iter()
        .any(|e| e.text.contains("rejoins as a replica")));
}

#[test]
fn promotion_picks_the_most_up_to_date_replica() {
    // db-1 is down 10–20 s and still catching up when the master dies at 25 s.
    let mut s = replicated(90.0, 10.0, 5.0);
    s.faults = vec![fault("db-1", 10.0, 10.0), fault("db-0", 25.0, 0.0)];
    let r = run(&s);
    let db = r.database.unwrap();
    assert_eq!(db.failovers[0].new_master, "db-2");
    // And with db-2 lagging instead, db-1 wins.
    s.faults = vec![fault("db-2", 10.0, 10.0), fault("db-0", 25.0, 0.0)];
    let r = run(&s);
    assert_eq!(r.database.unwrap().failovers[0].new_master, "db-1");
}

#[test]
fn a_lost_replica_stops_getting_reads_after_detection() {
    let mut s = preset(4).unwrap();
    s.database.as_mut().unwrap().replicas = 2;
    s.faults = vec![fault("db-2", 20.0, 0.0)];
    let r = run(&s);
    assert_conserved(&r);
    let detection_s = s.database.as_ref().unwrap().failover.detection_ms / 1000.0;
    let late: u64 = r
        .series
        .iter()
        .filter(|p| p.t_s > 20.0 + detection_s + 1.0)
        .map(|p| p.failed)
        .sum();
    assert_eq!(late, 0);
    assert!(r.requests.failed_by_reason.db_down > 0);
}

#[test]
fn topology_mistakes_are_explained() {
    let mut s = preset(1).unwrap();
    s.server.count = 3;
    assert!(s
        .validate()
        .unwrap_err()
        .to_string()
        .contains("needs a load balancer"));
    let mut s = preset(3).unwrap();
    s.server.count = 0;
    s.load_balancer.as_mut().unwrap().health_interval_ms = 0.0;
    s.load_balancer.as_mut().unwrap().unhealthy_threshold = 0;
    let text = s.validate().unwrap_err().to_string();
    for needle in ["server.count", "health_interval_ms", "unhealthy_threshold"] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let mut s = preset(4).unwrap();
    s.database.as_mut().unwrap().replicas = 40;
    s.faults.push(fault("db-9", 1.0, 1.0));
    let text = s.validate().unwrap_err().to_string();
    assert!(text.contains("database.replicas"), "{text}");
}

/// The load balancer as a component of the run (a built-in kind since session 17) keeps its
/// place (component 2, behind DNS), its log lines, its effect (a dead balancer forwards
/// nothing: every request fails as `server_down` while the servers stay healthy) and its line
/// on the bill (right after the web servers').
#[test]
fn the_load_balancer_keeps_its_place_its_log_lines_and_its_bill_line() {
    let mut s = preset(3).unwrap();
    s.faults.clear();
    let mut sim = Sim::new(&s).unwrap();
    let names: Vec<&str> = sim.components().iter().map(|c| c.name.as_str()).collect();
    assert_eq!(&names[..4], ["users", "dns", "lb", "web-0"]);
    let lb = sim.component_named("lb").expect("a balancer");
    sim.advance_to(SimTime::from_secs(5), u64::MAX);
    sim.kill(lb);
    assert!(!sim.is_alive(lb));
    let down_before = sim.report().requests.failed_by_reason.server_down;
    sim.advance_to(SimTime::from_secs(6), u64::MAX);
    let r = sim.report();
    assert!(
        r.requests.failed_by_reason.server_down > down_before + 100,
        "{:?}",
        r.requests
    );
    assert!(
        r.components
            .iter()
            .all(|c| c.kind != scalesim::sim::ComponentKind::Server || c.refused == 0),
        "the servers are not reached, so they refuse nothing"
    );
    sim.repair(lb);
    assert!(sim.is_alive(lb));
    sim.advance_to(SimTime::from_secs(8), u64::MAX);
    let lines: Vec<&str> = (sim.log())
        .filter(|e| e.component == "lb")
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        lines,
        [
            "lb down (killed by the user); the servers are healthy but no request reaches them",
            "lb back up (repaired by the user)",
        ]
    );
    let r = sim.report();
    assert_conserved(&r);
    let items: Vec<&str> = r.cost.items.iter().map(|i| i.item.as_str()).collect();
    assert_eq!(
        &items[..3],
        ["web servers", "load balancer", "database nodes"]
    );
}
