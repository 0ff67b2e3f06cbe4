//! The failure mechanisms real systems die of (issue 21), each off by default and each shown
//! by its signature: grey failures (slow nodes), client retries, cache stampedes, synchronous
//! workers, circuit breakers, partitions.

use crate::helpers::{assert_conserved, run};
use scalesim::scenario::{preset, Dist, Fault, Scenario};
use scalesim::sim::{Report, Sim};

fn component<'a>(r: &'a Report, name: &str) -> &'a scalesim::sim::ComponentReport {
    r.components
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

/// Grey failure: a web server eight times slower stays in the balancer's pool (it passes its
/// health checks), so it keeps its share of requests and they queue there, while its healthy
/// peer serves at normal speed.
#[test]
fn a_slow_web_server_passes_health_checks_and_its_requests_queue() {
    let mut s = preset(3).unwrap();
    s.duration_s = 40;
    s.faults = vec![Fault::slow("web-1", 8.0, 10.0, 20.0)];
    let r = run(&s);
    assert_conserved(&r);
    let (slow, healthy) = (component(&r, "web-1"), component(&r, "web-0"));
    assert_eq!(slow.slowdown_max, Some(8.0));
    assert!((slow.slowed_s.unwrap() - 20.0).abs() < 1e-9, "{slow:?}");
    assert_eq!(healthy.slowed_s, None);
    // Never taken out of the pool, never refused a request: no server-down failures.
    assert_eq!(r.requests.failed_by_reason.server_down, 0);
    assert_eq!(r.requests.failed_by_reason.no_healthy_server, 0);
    assert!(!r
        .events
        .iter()
        .any(|e| e.text.contains("removed from the pool") || e.text.contains("unhealthy")));
    assert!(r
        .events
        .iter()
        .any(|e| e.component == "web-1" && e.text.contains("slow")));
    assert!(r
        .events
        .iter()
        .any(|e| e.text.contains("web-1 at normal speed again")));
    // It still gets about as many requests as its peer (round robin) but holds them longer.
    let share = slow.served as f64 / healthy.served as f64;
    assert!(share > 0.8, "the slow server kept its share: {share}");
    assert!(
        slow.mean_sojourn_ms > 3.0 * healthy.mean_sojourn_ms,
        "slow {} ms vs healthy {} ms",
        slow.mean_sojourn_ms,
        healthy.mean_sojourn_ms
    );
    assert!(slow.utilization > 2.0 * healthy.utilization);

    // Without the fault: the same run, both servers alike, and the new fields left out.
    s.faults.clear();
    let calm = run(&s);
    let (a, b) = (component(&calm, "web-0"), component(&calm, "web-1"));
    assert!((a.mean_sojourn_ms / b.mean_sojourn_ms - 1.0).abs() < 0.2);
    let json = serde_json::to_string(&calm).unwrap();
    assert!(!json.contains("slowed_s") && !json.contains("slowdown_max"));
}

/// A slow disk on a replica: it applies replicated writes slower than the master commits
/// them, so its lag grows while its healthy sibling keeps up; back at speed, it catches up.
#[test]
fn a_slow_replica_falls_behind_and_catches_up_after() {
    let mut s: Scenario = preset(4).unwrap();
    s.duration_s = 60;
    // Two replicas that apply a write in 6 ms (the preset's apply in 0.5 ms keeps up with
    // anything), 100,000 users at 0.01 requests/s.
    let db = s.database.as_mut().unwrap();
    db.replicas = 2;
    db.replication.apply_ms = 6.0;
    // 100 writes/s against a 6 ms apply: a healthy replica is 60% busy applying; ×4 is 240%,
    // so for 5 s it falls behind by ~58 writes a second; it then catches up at ~66 a second.
    s.faults = vec![Fault::slow("db-1", 4.0, 10.0, 5.0)];
    let mut sim = Sim::new(&s).unwrap();
    let lag_at = |sim: &mut Sim, t: u64, name: &str| {
        sim.advance_to(scalesim::sim::SimTime::from_secs(t), u64::MAX);
        let id = sim.component_named(name).unwrap();
        let snap = sim.snapshot();
        let c = snap.components.iter().find(|c| c.id == id).unwrap().clone();
        (c.lag_ms, c.slowdown)
    };
    let (before, speed) = lag_at(&mut sim, 9, "db-1");
    assert_eq!(speed, None);
    let (during, speed) = lag_at(&mut sim, 14, "db-1");
    assert_eq!(speed, Some(4.0));
    let (sibling, _) = lag_at(&mut sim, 14, "db-2");
    assert!(
        during > 1000.0 && during > 20.0 * sibling.max(1.0) && before < 1000.0,
        "db-1 lag {before} → {during} ms, db-2 {sibling} ms"
    );
    let (after, speed) = lag_at(&mut sim, 60, "db-1");
    assert_eq!(speed, None);
    assert!(after < 1000.0, "caught up: {after} ms");
    let r = sim.report();
    assert_conserved(&r);
    let db = r.database.as_ref().unwrap();
    assert!(db.failovers.is_empty(), "a slow node is not a dead one");
    let node = |n: &str| db.nodes.iter().find(|x| x.name == n).unwrap().lag_ms_max;
    assert!(
        node("db-1") > 10.0 * node("db-2").max(1.0),
        "max lag: db-1 {} ms, db-2 {} ms",
        node("db-1"),
        node("db-2")
    );
}

/// Slow faults are checked: a factor they need, a target that serves requests.
#[test]
fn slow_faults_are_validated_with_clear_messages() {
    let mut s = preset(4).unwrap();
    let problems = |s: &Scenario| Sim::new(s).err().map(|e| e.to_string()).unwrap_or_default();
    s.faults = vec![Fault::slow("db-0", 0.5, 1.0, 1.0)];
    assert!(
        problems(&s).contains("faults[0].factor"),
        "{}",
        problems(&s)
    );
    s.faults = vec![Fault::slow("dns", 4.0, 1.0, 1.0)];
    assert!(
        problems(&s).contains("'dns' cannot be slow"),
        "{}",
        problems(&s)
    );
    let mut f = Fault::slow("db-0", 4.0, 1.0, 1.0);
    f.factor = None;
    s.faults = vec![f];
    assert!(problems(&s).contains("needs a factor"), "{}", problems(&s));
    let mut f = Fault::down("db-0", 1.0, 1.0);
    f.factor = Some(2.0);
    s.faults = vec![f];
    assert!(
        problems(&s).contains("belongs to a slow fault"),
        "{}",
        problems(&s)
    );
    // The JSON form; the old form (no kind) still means "down" and is written as before.
    let json = r#"{"target":"db-0","at_s":1.0,"duration_s":2.0,"kind":"slow","factor":8.0}"#;
    let f: Fault = serde_json::from_str(json).unwrap();
    assert_eq!(f, Fault::slow("db-0", 8.0, 1.0, 2.0));
    assert_eq!(serde_json::to_string(&f).unwrap(), json);
    let old = r#"{"target":"db-0","at_s":1.0,"duration_s":2.0}"#;
    let f: Fault = serde_json::from_str(old).unwrap();
    assert_eq!(f, Fault::down("db-0", 1.0, 2.0));
    assert_eq!(serde_json::to_string(&f).unwrap(), old);
}

/// A live slow change (as a link replays it) does what the scheduled fault does.
#[test]
fn a_live_slow_change_replays_like_the_scheduled_fault() {
    use scalesim::scenario::live::decode_changes;
    let mut s: Scenario = preset(3).unwrap();
    s.duration_s = 30;
    s.faults.clear();
    let changes = decode_changes("10:slow:web-1:8,20:repair:web-1").unwrap();
    let live = scalesim::sim::live::replay(&s, &changes, scalesim::sim::SimTime::from_secs(30))
        .unwrap()
        .report();
    s.faults = vec![Fault::slow("web-1", 8.0, 10.0, 10.0)];
    let scheduled = run(&s);
    assert_eq!(component(&live, "web-1").slowdown_max, Some(8.0));
    assert_eq!(
        component(&live, "web-1").served,
        component(&scheduled, "web-1").served
    );
    assert_eq!(live.latency_ms, scheduled.latency_ms);
}

fn retries(max: u32, backoff_ms: f64, jitter: f64) -> scalesim::scenario::Retries {
    scalesim::scenario::Retries {
        max,
        backoff_ms,
        multiplier: 2.0,
        jitter,
    }
}

/// Theory: a server that fails each attempt with probability p, clients that retry n times:
/// each user request costs (1 − pⁿ⁺¹)/(1 − p) attempts, and pⁿ⁺¹ of them fail in the end.
#[test]
fn retries_multiply_the_load_as_theory_says() {
    for (p, n, seed) in [(0.3, 3, 1), (0.5, 2, 2), (0.1, 1, 3)] {
        let mut s = preset(1).unwrap();
        s.seed = seed;
        // 24,000 requests: the failed share's standard deviation is well under the tolerance.
        s.duration_s = 600;
        // Light load (40 requests/s on 8 workers): the server itself never rejects, so every
        // failure is the injected one.
        s.traffic.users = 4000;
        s.server.workers = 8;
        s.traffic.retries = Some(retries(n, 20.0, 0.5));
        s.faults = vec![Fault::errors("web-0", p, 0.0, 0.0)];
        let r = run(&s);
        assert_conserved(&r);
        let c = r.clients.as_ref().expect("a clients section");
        let expected = (1.0 - f64::powi(p, n as i32 + 1)) / (1.0 - p);
        let measured = c.attempts as f64 / r.requests.generated as f64;
        assert!(
            (measured / expected - 1.0).abs() < 0.05,
            "p={p} n={n}: {measured:.4} attempts per request, theory {expected:.4}"
        );
        eprintln!("p={p} n={n}: load ×{measured:.4}, theory ×{expected:.4}");
        let failed_share = r.requests.failed as f64 / r.requests.generated as f64;
        let expected_failed = f64::powi(p, n as i32 + 1);
        assert!(
            (failed_share - expected_failed).abs() < 0.05 * expected_failed + 0.002,
            "p={p} n={n}: {failed_share:.4} failed, theory {expected_failed:.4}"
        );
        assert_eq!(c.gave_up, r.requests.failed);
        // Every attempt was answered, failed by the injected errors, or is still under way.
        let injected = component(&r, "web-0").errors_injected.unwrap();
        let attempts_under_way = r.requests.in_flight - c.waiting_to_retry;
        assert_eq!(
            c.attempts,
            r.requests.completed + injected + attempts_under_way
        );
    }
}

/// A retry storm: a slow database makes attempts time out; clients retry while the database
/// still works on the attempts they gave up, so it serves requests nobody waits for any more.
/// Offered load exceeds the users' own rate and goodput falls below throughput.
#[test]
fn a_slow_database_with_retrying_clients_makes_a_retry_storm() {
    let mut s = preset(2).unwrap();
    s.duration_s = 60;
    // A small database (4 workers, 8 ms reads, 15 ms writes) at 200 requests/s: busy enough
    // that a ×3 slowdown overloads it. (The preset's 56 workers would shrug it off.)
    let db = s.database.as_mut().unwrap();
    db.workers = 4;
    db.read = Dist::exponential(8.0);
    db.write = Dist::exponential(15.0);
    s.traffic.client_timeout_ms = 1000.0;
    s.faults = vec![Fault::slow("db-0", 3.0, 20.0, 0.0)];
    let calm = run(&s);
    assert!(calm.clients.is_none());
    s.traffic.retries = Some(retries(3, 100.0, 1.0));
    let r = run(&s);
    assert_conserved(&r);
    let c = r.clients.as_ref().unwrap();
    assert!(c.load_factor > 1.3, "offered load ×{}", c.load_factor);
    assert!(c.late_answers > 0 && c.wasted_services > 0, "{c:?}");
    assert!(c.goodput_rps < c.answers_rps, "{c:?}");
    let db = component(&r, "db-0");
    assert!(db.utilization > 0.6, "db busy {}", db.utilization);
    // The database serves more than the users asked for.
    assert!(db.served > component(&calm, "db-0").served, "{c:?}");
    let json = serde_json::to_string(&calm).unwrap();
    assert!(!json.contains("\"clients\""));
}

/// A cache stampede: a hot key with a short TTL expires again and again, and every read that
/// misses before the fill goes to the database. Coalescing leaves one database read per key
/// in flight; the other misses wait for its fill.
#[test]
fn coalescing_turns_a_stampede_into_one_read_per_key() {
    let mut s = preset(5).unwrap();
    s.duration_s = 30;
    s.faults.clear();
    s.traffic.keyspace.zipf_s = 1.3;
    let cache = s.cache.as_mut().unwrap();
    cache.ttl_s = 1.0;
    cache.coalesce = Some(false);
    let stampede = run(&s);
    s.cache.as_mut().unwrap().coalesce = Some(true);
    let coalesced = run(&s);
    for r in [&stampede, &coalesced] {
        assert_conserved(r);
    }
    let without = stampede.cache.as_ref().unwrap().stampede.clone().unwrap();
    let with = coalesced.cache.as_ref().unwrap().stampede.clone().unwrap();
    eprintln!("without: {without:?}\nwith: {with:?}");
    assert!(!without.coalesce && with.coalesce);
    assert!(without.duplicate_db_reads > 1000, "{without:?}");
    assert!(without.max_per_key >= 3, "{without:?}");
    assert_eq!(with.duplicate_db_reads, 0);
    assert!(with.coalesced > 1000, "{with:?}");
    let db_reads = |r: &Report| {
        r.database
            .as_ref()
            .unwrap()
            .nodes
            .iter()
            .map(|n| n.reads)
            .sum::<u64>()
    };
    assert!(
        db_reads(&coalesced) + without.duplicate_db_reads / 2 < db_reads(&stampede),
        "database reads {} with coalescing, {} without",
        db_reads(&coalesced),
        db_reads(&stampede)
    );
    // Left out: no stampede section, the same run as today.
    s.cache.as_mut().unwrap().coalesce = None;
    let plain = run(&s);
    assert!(plain.cache.as_ref().unwrap().stampede.is_none());
    assert_eq!(plain.latency_ms, stampede.latency_ms);
}

/// A flaky node as a live change (`errors:web-0:0.5` in a link): from the instant it is
/// applied web-0 fails about half its requests, stays up and in the pool, and `errors:web-0:0`
/// heals it; the same change read back from its text runs the same.
#[test]
fn a_live_errors_change_makes_a_node_flaky_until_it_is_healed() {
    use scalesim::scenario::live::{decode_changes, encode_changes};
    use scalesim::scenario::{LiveAction, LiveChange};
    use scalesim::sim::{live, SimTime};
    let mut s = preset(3).unwrap();
    s.faults.clear();
    s.duration_s = 40;
    let change = |at_s: u64, ratio_milli: u32| LiveChange {
        at_ns: SimTime::from_secs(at_s).0,
        action: LiveAction::Errors {
            name: "web-0".into(),
            ratio_milli,
        },
    };
    let changes = vec![change(10, 500), change(30, 0)];
    assert_eq!(
        decode_changes(&encode_changes(&changes)).unwrap(),
        changes,
        "the link carries it"
    );
    let until = SimTime::from_secs(40);
    let calm = live::replay(&s, &[], until).unwrap().report();
    assert_eq!(calm.requests.failed, 0);
    let sim = live::replay(&s, &changes[..1], SimTime::from_secs(20)).unwrap();
    let web0 = sim.component_named("web-0").unwrap();
    let state = &sim.snapshot().components[usize::from(web0.0)];
    assert!(state.alive && state.in_pool, "{state:?}");
    assert_eq!(state.error_ratio, Some(0.5));
    let r = live::replay(&s, &changes, until).unwrap().report();
    let injected = component(&r, "web-0").errors_injected.unwrap();
    assert!(injected > 0);
    assert_eq!(
        r.requests.failed, injected,
        "every failure is an injected one"
    );
    // About half of web-0's share of the load, for 20 s of 40.
    let share = r.requests.failed as f64 / r.requests.generated as f64;
    let expected = 0.5 / f64::from(s.server.count) * 0.5;
    assert!(
        (share / expected - 1.0).abs() < 0.2,
        "{share:.4} failed, about {expected:.4} expected"
    );
    let healed = live::replay(&s, &changes, until).unwrap();
    let after = &healed.snapshot().components[usize::from(web0.0)];
    assert_eq!(after.error_ratio, None);
}
