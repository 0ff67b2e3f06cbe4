//! The diagnosis (`src/sim/diagnosis.rs`): for each cause, a run with it injected gets an
//! incident naming it (component and time), and the same run without it gets none.

use crate::helpers::{small_stage2, small_stage4};
use scalesim::scenario::{preset, Dist, LiveAction, LiveChange, Profile, Scenario};
use scalesim::sim::diagnosis::{Cause, Incident};
use scalesim::sim::{live, ComponentKind, Sim, SimTime};

fn incidents(s: &Scenario) -> Vec<Incident> {
    let mut sim = Sim::new(s).unwrap();
    sim.run().diagnosis
}

fn downs(list: &[Incident]) -> Vec<(&str, f64)> {
    list.iter()
        .filter_map(|i| match &i.cause {
            Cause::ComponentDown {
                component, at_s, ..
            } => Some((component.as_str(), *at_s)),
            _ => None,
        })
        .collect()
}

fn chain_text(i: &Incident) -> String {
    i.chain
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" | ")
}

fn without_faults(mut s: Scenario) -> Scenario {
    s.faults.clear();
    s
}

#[test]
fn quiet_presets_have_no_incident() {
    for stage in 1..=10 {
        let mut s = without_faults(preset(stage).unwrap());
        s.duration_s = 40;
        let found = incidents(&s);
        assert!(found.is_empty(), "stage {stage}: {found:#?}");
    }
    let mut s = preset(11).unwrap();
    s.traffic.users = 200_000;
    s.duration_s = 40;
    let found = incidents(&without_faults(s));
    assert!(found.is_empty(), "stage 11: {found:#?}");
}

#[test]
fn a_dead_cache_node_is_named_with_the_hit_ratio_it_took_and_the_database_load_it_moved() {
    let mut s = preset(5).unwrap();
    s.duration_s = 100;
    // A database sized for the misses (8 workers, 8 ms reads, 15 ms writes, two replicas):
    // the preset's 56 workers take cache-0's misses without getting busy.
    let db = s.database.as_mut().unwrap();
    db.workers = 8;
    db.replicas = 2;
    db.read = Dist::exponential(8.0);
    db.write = Dist::exponential(15.0);
    let found = incidents(&s);
    assert_eq!(downs(&found), vec![("cache-0", 60.0)], "{found:#?}");
    let i = &found[0];
    assert_eq!(i.start_s, 60.0);
    let text = chain_text(i);
    assert!(text.contains("cache hit ratio fell"), "{text}");
    assert!(
        i.chain
            .iter()
            .any(|s| s.component.starts_with("db-") && s.text.contains("busy")),
        "the load moved to the database: {text}"
    );
    let Cause::ComponentDown {
        repaired_at_s,
        component_kind,
        ..
    } = &i.cause
    else {
        unreachable!()
    };
    assert_eq!(*component_kind, ComponentKind::Cache);
    assert_eq!(*repaired_at_s, Some(90.0));
    assert!(
        i.end_s.is_some_and(|e| e >= 90.0),
        "closed after the repair: {i:#?}"
    );

    assert!(incidents(&without_faults(s)).is_empty());
}

#[test]
fn a_dead_web_server_shows_the_balancers_detection_window() {
    let mut s = preset(3).unwrap();
    s.duration_s = 60;
    let lb = s.load_balancer.clone().unwrap();
    let found = incidents(&s);
    assert_eq!(downs(&found), vec![("web-1", 40.0)], "{found:#?}");
    let i = &found[0];
    let detection = i.detection_s.expect("a detection window");
    let most = lb.health_interval_ms / 1000.0 * f64::from(lb.unhealthy_threshold)
        + f64::from(s.metrics_interval_ms) / 1000.0;
    assert!(
        detection > 0.0 && detection <= most,
        "{detection} s, at most {most} s"
    );
    assert!(
        i.failed > 0,
        "requests sent to the dead server failed: {i:#?}"
    );
    assert!(
        chain_text(i).contains("health checks failed"),
        "{}",
        chain_text(i)
    );
    assert!(incidents(&without_faults(s)).is_empty());
}

#[test]
fn a_dead_master_shows_the_failover_window_the_report_measures() {
    let mut s = preset(4).unwrap();
    s.duration_s = 80;
    let report = Sim::new(&s).unwrap().run();
    assert_eq!(downs(&report.diagnosis), vec![("db-0", 60.0)]);
    let i = &report.diagnosis[0];
    let failover = i.failover_s.expect("a failover window");
    let outage = report.database.as_ref().unwrap().failovers[0].outage_s;
    let interval = f64::from(s.metrics_interval_ms) / 1000.0;
    assert!(
        (failover - outage).abs() <= interval,
        "diagnosis {failover} s, report {outage} s"
    );
    assert!(
        chain_text(i).contains("no master for about"),
        "{}",
        chain_text(i)
    );
    assert!(incidents(&without_faults(s)).is_empty());
}

#[test]
fn an_overloaded_server_is_named_as_the_bottleneck() {
    let mut s = preset(1).unwrap();
    s.duration_s = 40;
    // 8,000 users: 80 requests/s against a server that serves about 74 at full load.
    s.traffic.users *= 8;
    let found = incidents(&s);
    let saturated: Vec<&str> = found
        .iter()
        .filter_map(|i| match &i.cause {
            Cause::Saturation {
                component,
                utilization,
                ..
            } => {
                assert!(*utilization >= 0.95);
                Some(component.as_str())
            }
            _ => None,
        })
        .collect();
    assert_eq!(saturated, vec!["web-0"], "{found:#?}");
    assert!(
        found[0].summary.contains("web-0 is the bottleneck"),
        "{}",
        found[0].summary
    );
    s.traffic.users /= 4;
    assert!(incidents(&s).is_empty());
}

#[test]
fn a_surge_is_named_with_its_time_and_factor() {
    let mut s = preset(2).unwrap();
    s.duration_s = 60;
    s.traffic.profile = Profile::Spike {
        at_s: 20.0,
        duration_s: 15.0,
        factor: 3.0,
    };
    let found = incidents(&s);
    let surge = found
        .iter()
        .find(|i| matches!(i.cause, Cause::Surge { .. }))
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(surge.start_s, 20.0);
    let Cause::Surge {
        from_per_s,
        to_per_s,
    } = surge.cause
    else {
        unreachable!()
    };
    assert!(
        (to_per_s / from_per_s - 3.0).abs() < 1e-9,
        "{from_per_s} → {to_per_s}"
    );
    assert!(surge.end_s.is_some_and(|e| e >= 35.0), "{surge:#?}");
    s.traffic.profile = Profile::Constant;
    assert!(incidents(&s).is_empty());
}

#[test]
fn a_replica_that_cannot_keep_up_is_named_as_lagging() {
    let mut s = preset(4).unwrap();
    s.duration_s = 40;
    s.faults.clear();
    // Each replica applies at most 1000/apply_ms writes per second: make that less than the
    // master commits.
    s.database.as_mut().unwrap().replication.apply_ms = 100.0;
    let found = incidents(&s);
    let lagging: Vec<&Incident> = found
        .iter()
        .filter(|i| matches!(i.cause, Cause::ReplicationLag { .. }))
        .collect();
    assert_eq!(lagging.len(), 1, "{found:#?}");
    let name = lagging[0].cause.component().unwrap();
    assert!(name == "db-1" || name == "db-2", "{name}");
    assert!(chain_text(lagging[0]).contains("behind its master"));
    s.database.as_mut().unwrap().replication.apply_ms = 9.0;
    assert!(incidents(&s).is_empty());
}

#[test]
fn a_live_kill_is_dated_to_the_instant_it_happened() {
    let mut s = preset(2).unwrap();
    s.duration_s = 30;
    let changes = [
        LiveChange {
            at_ns: SimTime::from_millis_f64(12_500.0).0,
            action: LiveAction::Kill("db-0".into()),
        },
        LiveChange {
            at_ns: SimTime::from_secs(20).0,
            action: LiveAction::Repair("db-0".into()),
        },
    ];
    let sim = live::replay(&s, &changes, SimTime::from_secs(30)).unwrap();
    let found = sim.incidents();
    assert_eq!(downs(&found), vec![("db-0", 12.5)], "{found:#?}");
    assert!(found[0].failed > 0);
    assert!(
        found[0]
            .summary
            .contains("because db-0 went down at 12.5 s"),
        "{}",
        found[0].summary
    );
    // While it lasts, the verdict says so; before, it names what limits the system.
    let before = live::replay(&s, &changes, SimTime::from_secs(10)).unwrap();
    assert!(before.verdict().open.is_empty());
    assert!(before.verdict().text().starts_with("Healthy"));
    let during = live::replay(&s, &changes, SimTime::from_secs(15)).unwrap();
    assert!(
        during.verdict().text().contains("db-0 went down"),
        "{}",
        during.verdict().text()
    );
}

fn causes(found: &[Incident]) -> Vec<String> {
    found.iter().map(|i| i.cause.title()).collect()
}

/// Synchronous workers and a slow database: the diagnosis names the held web workers and the
/// node they wait for, from the engine's count of held workers; asynchronous, it names only
/// the slow database.
#[test]
fn held_web_workers_are_named_with_what_they_wait_for() {
    use scalesim::scenario::Fault;
    let mut s = small_stage2();
    s.duration_s = 60;
    s.faults = vec![Fault::slow("db-0", 4.0, 20.0, 20.0)];
    let found = incidents(&s);
    assert!(
        !found
            .iter()
            .any(|i| matches!(i.cause, Cause::WorkersHeld { .. })),
        "{found:#?}"
    );
    assert!(
        causes(&found).contains(&"db-0 slow".to_string()),
        "{found:#?}"
    );
    s.server.sync_calls = true;
    let found = incidents(&s);
    let held = found
        .iter()
        .find(|i| matches!(i.cause, Cause::WorkersHeld { .. }))
        .unwrap_or_else(|| panic!("{found:#?}"));
    match &held.cause {
        Cause::WorkersHeld {
            component,
            held,
            workers,
            waiting_on,
        } => {
            assert_eq!((component.as_str(), waiting_on.as_str()), ("web-0", "db-0"));
            assert!(*held >= 6 && *workers == 8, "{held} of {workers}");
        }
        _ => unreachable!(),
    }
    assert!(held.start_s > 20.0 && held.start_s < 25.0, "{held:#?}");
    assert!(held.end_s.is_some_and(|e| e < 50.0), "{held:#?}");
    assert!(
        held.summary.contains("held waiting for db-0"),
        "{}",
        held.summary
    );
}

/// A slow master: named as a slow node whose log reaches the replicas late, not as a
/// replica that cannot keep up.
#[test]
fn a_slow_master_is_named_as_the_cause_of_the_replicas_lag() {
    use scalesim::scenario::Fault;
    let mut s = without_faults(small_stage4());
    s.duration_s = 120;
    s.faults = vec![Fault::slow("db-0", 1.5, 10.0, 20.0)];
    let found = incidents(&s);
    assert_eq!(causes(&found), vec!["db-0 slow".to_string()], "{found:#?}");
    let text = chain_text(&found[0]);
    assert!(
        text.contains("sends its log to the replicas slower"),
        "{text}"
    );
    assert!(text.contains("behind their master"), "{text}");
    assert!(found[0].start_s >= 10.0 && found[0].start_s <= 11.0);
    // It lasts until the replicas have caught up.
    assert!(found[0].end_s.is_some_and(|e| e > 35.0), "{found:#?}");
}

/// An open circuit breaker and a partition are named from the engine's state; the same runs
/// without them have no such incident.
#[test]
fn an_open_breaker_and_a_partition_are_named() {
    use scalesim::scenario::{Breaker, Fault};
    let mut s = small_stage2();
    s.duration_s = 60;
    s.faults = vec![Fault::slow("db-0", 4.0, 20.0, 20.0)];
    s.server.breaker = Some(Breaker {
        failures: 5,
        slow_call_ms: 200.0,
        open_ms: 2000.0,
        probes: 1,
    });
    let found = incidents(&s);
    let open = found
        .iter()
        .find(|i| i.cause == Cause::BreakerOpen { store: None })
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(open.start_s > 20.0 && open.start_s < 30.0, "{open:#?}");
    assert!(chain_text(open).contains("circuit breaker opened"));
    s.server.breaker = None;
    assert!(!incidents(&s)
        .iter()
        .any(|i| i.cause == Cause::BreakerOpen { store: None }));

    let mut s = preset(11).unwrap();
    s.traffic.users = 200_000;
    s.duration_s = 60;
    s.faults = vec![Fault::partition("us-east", "eu-west", 20.0, 20.0)];
    let found = incidents(&s);
    let cut = found
        .iter()
        .find(|i| matches!(i.cause, Cause::Partition { .. }))
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert_eq!(cut.start_s, 21.0);
    assert!(cut.end_s.is_some_and(|e| e > 40.0 && e < 45.0), "{cut:#?}");
    match cut.cause {
        Cause::Partition { writes_waiting } => assert!(writes_waiting > 1000),
        _ => unreachable!(),
    }
    assert_eq!(found.len(), 1, "{found:#?}");
}

/// A cache stampede is named with its numbers: at stage 5 with hot keys that expire every
/// second (TTL 1 s, Zipf 1.3) and an expensive database read (50 ms), each expiry of the
/// hottest key sends its misses to the database at once, and the diagnosis says which key, how
/// many reads and which database. The same run with coalescing on, and the preset itself (its
/// reads counted, TTL 300 s), get no such cause.
#[test]
fn a_cache_stampede_is_named_with_its_key_and_reads() {
    use scalesim::scenario::{LiveAction, LiveChange, Mechanism};
    use scalesim::sim::{live, SimTime};
    let mut preset = scalesim::scenario::preset(5).unwrap();
    preset.faults.clear();
    let mut hot = preset.clone();
    hot.traffic.keyspace.zipf_s = 1.3;
    hot.cache.as_mut().unwrap().ttl_s = 1.0;
    hot.database.as_mut().unwrap().read.mean_ms = 50.0;
    let counted = |on: bool| {
        vec![LiveChange {
            at_ns: SimTime::from_secs(5).0,
            action: LiveAction::Mechanism {
                which: Mechanism::Coalesce,
                on,
            },
        }]
    };
    let until = SimTime::from_secs(30);
    let run = live::replay(&hot, &counted(false), until).unwrap();
    let found = run.incidents();
    let stampede = found
        .iter()
        .find(|i| matches!(i.cause, Cause::Stampede { .. }))
        .unwrap_or_else(|| panic!("no stampede named: {found:#?}"));
    let Cause::Stampede {
        key,
        reads,
        database,
    } = &stampede.cause
    else {
        unreachable!()
    };
    eprintln!(
        "stampede: key {key}, {reads} reads at {database}, from {} s: {}",
        stampede.start_s, stampede.summary
    );
    assert!(*reads >= scalesim::sim::diagnosis::STAMPEDE_READS);
    assert!(*key < 10, "a hot key: {key}");
    // Reads go to a replica at stage 5: the busiest database node is named.
    assert!(database.starts_with("db-"), "{database}");
    assert!(stampede.start_s > 5.0, "{stampede:#?}");
    assert!(
        stampede.summary.contains(&format!(
            "{reads} misses of key {key} read {database} at once"
        )),
        "{}",
        stampede.summary
    );
    let report = run.report().cache.unwrap().stampede.unwrap();
    assert!(report.max_per_key + 1 >= *reads, "{report:?}");
    // Coalescing on: one read per key, no stampede; the preset's own traffic: none either.
    let coalesced = live::replay(&hot, &counted(true), until).unwrap();
    let plain = live::replay(&preset, &counted(false), until).unwrap();
    eprintln!("preset's peak at 30 s: {:?}", plain.snapshot().stampede);
    for other in [&coalesced, &plain] {
        assert!(
            !other
                .incidents()
                .iter()
                .any(|i| matches!(i.cause, Cause::Stampede { .. })),
            "{:#?}",
            other.incidents()
        );
    }
    assert_eq!(
        coalesced
            .report()
            .cache
            .unwrap()
            .stampede
            .unwrap()
            .duplicate_db_reads,
        0
    );
}
