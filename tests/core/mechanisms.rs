//! The failure mechanisms real systems die of (issue 21), each off by default and each shown
//! by its signature: grey failures (slow nodes), client retries, cache stampedes, synchronous
//! workers, circuit breakers, partitions.

use crate::helpers::{assert_conserved, run, small_stage2, small_stage4};
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
    assert!(c.goodput_per_s < c.answers_per_s, "{c:?}");
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

/// The web tier's mean busy fraction over the metrics intervals ending in (from_s, to_s].
fn web_busy_between(r: &Report, from_s: f64, to_s: f64) -> f64 {
    let points: Vec<f64> = r
        .series
        .iter()
        .filter(|p| p.t_s > from_s && p.t_s <= to_s)
        .map(|p| p.utilization)
        .collect();
    points.iter().sum::<f64>() / points.len() as f64
}

/// Synchronous web workers: a worker waits for its database answer, so a database four times
/// slower than usual (past its capacity) fills the web pool with waiting workers — the web
/// server is 100% busy and rejects requests while the database, the slow part, has almost no
/// line. Asynchronous (as today), the web tier stays at ~20% and the line builds at the
/// database instead.
#[test]
fn synchronous_workers_let_a_slow_database_exhaust_the_web_pool() {
    let mut s = small_stage2();
    s.duration_s = 60;
    s.faults = vec![Fault::slow("db-0", 4.0, 20.0, 20.0)];
    let async_run = run(&s);
    s.server.sync_calls = true;
    let sync_run = run(&s);
    for r in [&async_run, &sync_run] {
        assert_conserved(r);
    }
    let (busy_async, busy_sync) = (
        web_busy_between(&async_run, 22.0, 40.0),
        web_busy_between(&sync_run, 22.0, 40.0),
    );
    eprintln!("web busy during the fault: async {busy_async:.3}, sync {busy_sync:.3}");
    assert!(busy_sync > 0.97, "sync: web busy {busy_sync}");
    assert!(busy_async < 0.3, "async: web busy {busy_async}");
    // Where the line builds and who turns requests away.
    let (web, db) = (component(&sync_run, "web-0"), component(&sync_run, "db-0"));
    assert!(web.rejected > 0 && db.rejected == 0, "{web:?} {db:?}");
    assert!(db.max_queue_len < 20, "the database has no line: {db:?}");
    let (web, db) = (
        component(&async_run, "web-0"),
        component(&async_run, "db-0"),
    );
    assert!(web.rejected == 0 && db.rejected > 0, "{web:?} {db:?}");
    // Once the database is back at speed the web tier recovers.
    assert!(web_busy_between(&sync_run, 44.0, 60.0) < 0.6);
    let sync = sync_run
        .sync_workers
        .as_ref()
        .expect("a sync_workers section");
    assert_eq!(sync.held_max, s.server.workers);
    assert!(async_run.sync_workers.is_none());
    let json = serde_json::to_string(&async_run).unwrap();
    assert!(!json.contains("sync_workers"));
}

/// Little's law for held workers: with synchronous workers and no fault, a hold lasts a
/// database sojourn plus the internal round trip, and the web tier's busy workers are its
/// asynchronous busy workers plus (holds per second × mean hold).
#[test]
fn held_web_workers_follow_littles_law() {
    let mut s = small_stage2();
    s.duration_s = 120;
    s.faults.clear();
    let async_run = run(&s);
    s.server.sync_calls = true;
    let sync_run = run(&s);
    let sync = sync_run.sync_workers.as_ref().unwrap();
    let db = component(&sync_run, "db-0");
    let expected_hold = db.mean_sojourn_ms + s.network.internal_rtt_ms;
    assert!(
        (sync.mean_hold_ms / expected_hold - 1.0).abs() < 0.02,
        "hold {} ms, database sojourn + round trip {} ms",
        sync.mean_hold_ms,
        expected_hold
    );
    let workers = f64::from(s.server.workers);
    let busy_async = component(&async_run, "web-0").utilization * workers;
    let busy_sync = component(&sync_run, "web-0").utilization * workers;
    let held = sync.holds as f64 / sync_run.sim_time_s * sync.mean_hold_ms / 1000.0;
    eprintln!("busy workers: async {busy_async:.3} + held {held:.3} vs sync {busy_sync:.3}");
    assert!(
        ((busy_async + held) / busy_sync - 1.0).abs() < 0.05,
        "async {busy_async} + held {held} vs sync {busy_sync}"
    );
    // Little's law at the web server itself (its sojourn includes the holds).
    let web = component(&sync_run, "web-0");
    let little = web.throughput_per_s * web.mean_sojourn_ms / 1000.0;
    assert!((little / web.mean_in_system - 1.0).abs() < 0.05, "{web:?}");
}

/// A slow master (slow disk, noisy neighbour): its log sender reads each write back from its
/// slow disk, one per `apply × F`, so when it commits faster than that the writes queue in its
/// send buffer and every replica falls behind by the same amount. Theory: the backlog grows
/// at (write rate − 1/(apply·F)) for as long as the master is slow; after, the replicas drain
/// it at (1/apply − write rate).
#[test]
fn a_slow_master_makes_every_replica_lag_as_theory_says() {
    let mut s: Scenario = small_stage4();
    s.duration_s = 200;
    let (factor, from_s, for_s) = (1.5, 10.0, 20.0);
    s.faults = vec![Fault::slow("db-0", factor, from_s, for_s)];
    let calm = {
        let mut calm = s.clone();
        calm.faults.clear();
        run(&calm)
    };
    let mut sim = Sim::new(&s).unwrap();
    let lag_at = |sim: &mut Sim, t: u64, name: &str| {
        sim.advance_to(scalesim::sim::SimTime::from_secs(t), u64::MAX);
        let id = sim.component_named(name).unwrap();
        let snap = sim.snapshot();
        let c = snap.components.iter().find(|c| c.id == id).unwrap().clone();
        (c.lag_writes, c.lag_ms)
    };
    let (before, _) = lag_at(&mut sim, 9, "db-1");
    let (writes_1, ms_1) = lag_at(&mut sim, 30, "db-1");
    let (writes_2, ms_2) = lag_at(&mut sim, 30, "db-2");
    let at_30 = sim.report();
    let (apply_s, sender_s) = {
        let apply_ms = s.database.as_ref().unwrap().replication.apply_ms;
        (apply_ms / 1000.0, apply_ms * factor / 1000.0)
    };
    eprintln!("lag at 30 s: db-1 {writes_1} writes / {ms_1:.0} ms, db-2 {writes_2} writes");
    assert!(before < 20, "lag before the fault: {before}");
    assert!(writes_1.abs_diff(writes_2) < 10, "{writes_1} vs {writes_2}");
    assert!(ms_1 > 5000.0 && ms_2 > 5000.0, "{ms_1} ms, {ms_2} ms");
    // Healthy again, the replicas drain the backlog at 1/apply − write rate.
    let writes_per_s = writes_1 as f64 / for_s + 1.0 / sender_s;
    let drain_s = writes_1 as f64 / (1.0 / apply_s - writes_per_s);
    let (after, _) = lag_at(&mut sim, 30 + (drain_s * 1.3) as u64, "db-1");
    assert!(after < 50, "{after} writes behind {drain_s:.0} s after");
    sim.advance_to(scalesim::sim::SimTime::from_secs(200), u64::MAX);
    let r = sim.report();
    assert_conserved(&r);
    // Theory, with the writes the master actually committed while slow.
    let committed: u64 = at_30
        .series
        .iter()
        .filter(|p| p.t_s > from_s && p.t_s <= from_s + for_s)
        .map(|p| p.writes_committed)
        .sum();
    let expected = committed as f64 - for_s / sender_s;
    eprintln!("{committed} writes committed while slow; backlog theory {expected:.0}, measured {writes_1}");
    assert!(
        (writes_1 as f64 / expected - 1.0).abs() < 0.05,
        "{writes_1} writes behind, theory {expected:.0}"
    );
    let (db, db_calm) = (
        r.database.as_ref().unwrap(),
        calm.database.as_ref().unwrap(),
    );
    assert!(db.failovers.is_empty());
    assert!(
        db.stale_reads > 2 * db_calm.stale_reads,
        "stale reads {} vs {} without the fault",
        db.stale_reads,
        db_calm.stale_reads
    );
}

fn breaker() -> scalesim::scenario::Breaker {
    scalesim::scenario::Breaker {
        failures: 5,
        slow_call_ms: 200.0,
        open_ms: 2000.0,
        probes: 1,
    }
}

/// A circuit breaker sheds the load from a database four times slower than usual (past its
/// capacity): calls slower than 200 ms open it, open it fails calls at once, so the database's
/// line never fills and the answers that do come are fast; it probes through half-open every
/// 2 s and closes again once the database is back at speed.
#[test]
fn a_circuit_breaker_sheds_load_from_a_slow_database_and_recovers_through_half_open() {
    let mut s = small_stage2();
    s.duration_s = 60;
    s.faults = vec![Fault::slow("db-0", 4.0, 20.0, 20.0)];
    let plain = run(&s);
    s.server.breaker = Some(breaker());
    let r = run(&s);
    for r in [&plain, &r] {
        assert_conserved(r);
    }
    let b = r.breaker.as_ref().expect("a breaker section");
    eprintln!(
        "{b:?}; p99 {} ms vs {} ms without",
        r.latency_ms.p99, plain.latency_ms.p99
    );
    assert!(b.trips >= 2 && b.refused > 100, "{b:?}");
    assert_eq!(b.state, scalesim::sim::BreakerState::Closed);
    assert!(b.open_s > 2.0 && b.open_s < 20.0, "{b:?}");
    // Calls it refused fail as db_down; the database itself never turns one away.
    assert_eq!(r.requests.failed_by_reason.db_down, b.refused);
    let (db, db_plain) = (component(&r, "db-0"), component(&plain, "db-0"));
    assert!(db.rejected == 0 && db_plain.rejected > 0, "{db:?}");
    assert!(db.max_queue_len < db_plain.max_queue_len / 2, "{db:?}");
    assert!(r.latency_ms.p99 < plain.latency_ms.p99 / 2.0);
    // Open → half-open → closed, in that order, and closed for good after the fault.
    let log: Vec<(f64, &str)> = r
        .events
        .iter()
        .filter(|e| e.component == "breaker")
        .map(|e| (e.t_s, e.text.as_str()))
        .collect();
    assert!(log[0].1.contains("open") && log[0].0 > 20.0, "{log:?}");
    assert!(log[1].1.contains("half-open"), "{log:?}");
    let last = log.last().unwrap();
    assert!(last.1.contains("closed") && last.0 < 45.0, "{log:?}");
    // No breaker: no section, no log entries.
    assert!(plain.breaker.is_none());
    assert!(!serde_json::to_string(&plain).unwrap().contains("breaker"));
}

/// A dead database: calls are refused there, five in a row open the breaker, and from then
/// on the web tier fails them at once, sending one probe per `open_ms` (without a breaker it
/// calls the dead node until its failure detection, 5 s, tells it to stop; with one, the
/// breaker also stays open until detection sees the node back up).
#[test]
fn a_circuit_breaker_stops_calling_a_dead_database() {
    let mut s = small_stage2();
    s.duration_s = 40;
    s.faults = vec![Fault::down("db-0", 10.0, 20.0)];
    let plain = run(&s);
    s.server.breaker = Some(breaker());
    let r = run(&s);
    assert_conserved(&r);
    let b = r.breaker.as_ref().unwrap();
    let (refused, refused_plain) = (
        component(&r, "db-0").refused,
        component(&plain, "db-0").refused,
    );
    eprintln!("{b:?}; calls refused by the dead database: {refused} vs {refused_plain}");
    // Five calls to trip, then about one probe per 2 s for 20 s.
    assert!(refused <= 5 + 12, "{refused}");
    assert!(refused_plain > 500);
    assert!(b.trips >= 5 && b.open_s > 15.0, "{b:?}");
    assert_eq!(b.state, scalesim::sim::BreakerState::Closed);
}

/// Stage 11 with 200,000 users, for `duration_s`.
fn two_data_centers(duration_s: u32) -> Scenario {
    let mut s = preset(11).unwrap();
    s.traffic.users = 200_000;
    s.duration_s = duration_s;
    s.faults.clear();
    s
}

/// A network partition between the two data centers: users still reach both (no request
/// fails), but replication between them stops, so every write committed on either side waits
/// in its backlog — as many as were committed while cut; when the partition heals the
/// backlogs ship at the channels' rate and nothing is lost.
#[test]
fn a_partition_stops_cross_dc_replication_until_it_heals() {
    let mut s = two_data_centers(60);
    s.faults = vec![Fault::partition("us-east", "eu-west", 20.0, 20.0)];
    let mut sim = Sim::new(&s).unwrap();
    let backlog_at = |sim: &mut Sim, t: u64| {
        sim.advance_to(scalesim::sim::SimTime::from_secs(t), u64::MAX);
        sim.snapshot().writes_partitioned
    };
    let before = backlog_at(&mut sim, 19);
    let early = backlog_at(&mut sim, 25);
    let late = backlog_at(&mut sim, 39);
    let at_39 = sim.report();
    let committed: u64 = at_39
        .series
        .iter()
        .filter(|p| p.t_s > 20.0 && p.t_s <= 39.0)
        .map(|p| p.writes_committed)
        .sum();
    eprintln!("backlog {before} → {early} → {late}; {committed} writes committed while cut");
    assert_eq!(before, 0);
    assert!(early > 0 && late > 3 * early, "{early} → {late}");
    assert!(
        (late as f64 / committed as f64 - 1.0).abs() < 0.05,
        "{late} waiting vs {committed} committed"
    );
    let healed = backlog_at(&mut sim, 45);
    assert_eq!(healed, 0);
    sim.advance_to(scalesim::sim::SimTime::from_secs(60), u64::MAX);
    let r = sim.report();
    assert_conserved(&r);
    let g = r.geo.as_ref().unwrap();
    for c in &g.replication {
        assert!(!c.cut && c.waiting < 100, "{c:?}");
        assert!(c.max_waiting_cut.unwrap() > 1000, "{c:?}");
        assert_eq!(c.lost, 0);
    }
    assert_eq!(g.writes_lost_cross_dc, 0);
    assert_eq!(
        r.requests.failed, 0,
        "users reach both data centers throughout"
    );
    assert!(r
        .events
        .iter()
        .any(|e| e.text.contains("network between us-east and eu-west cut")));
    assert!(r
        .events
        .iter()
        .any(|e| e.text.contains("network between us-east and eu-west back")));
}

/// A data center that dies during a partition loses every write it committed since the cut
/// (they never left); without the partition it loses only the few on their way.
#[test]
fn a_data_center_lost_during_a_partition_loses_its_unreplicated_writes() {
    let mut s = two_data_centers(40);
    s.faults = vec![Fault::down("us-east", 30.0, 0.0)];
    let plain = run(&s);
    s.faults
        .push(Fault::partition("us-east", "eu-west", 20.0, 0.0));
    let r = run(&s);
    assert_conserved(&r);
    let (lost, lost_plain) = (
        r.geo.as_ref().unwrap().writes_lost_cross_dc,
        plain.geo.as_ref().unwrap().writes_lost_cross_dc,
    );
    let east = r
        .geo
        .as_ref()
        .unwrap()
        .replication
        .iter()
        .find(|c| c.from == "us-east")
        .unwrap();
    eprintln!("lost {lost} (without the partition {lost_plain}); {east:?}");
    assert!(lost_plain < 100, "{lost_plain}");
    assert!(lost > 20 * lost_plain.max(10), "{lost} vs {lost_plain}");
    // What us-east had waiting when it died is what is lost.
    assert_eq!(lost, east.lost);
    assert!(east.max_waiting_cut.unwrap() >= lost);
}

/// Partitions are checked: two different data centers of a stage-11 scenario.
#[test]
fn partitions_are_validated() {
    let problems = |s: &Scenario| Sim::new(s).err().map(|e| e.to_string()).unwrap_or_default();
    let mut s = two_data_centers(30);
    s.faults = vec![Fault::partition("us-east", "us-east", 1.0, 1.0)];
    assert!(problems(&s).contains("faults[0].peer"), "{}", problems(&s));
    let mut f = Fault::partition("us-east", "eu-west", 1.0, 1.0);
    f.peer = None;
    s.faults = vec![f];
    assert!(problems(&s).contains("needs a peer"), "{}", problems(&s));
    let mut s = preset(4).unwrap();
    s.faults = vec![Fault::partition("db-0", "db-1", 1.0, 1.0)];
    assert!(
        problems(&s).contains("must be one (stage 11)"),
        "{}",
        problems(&s)
    );
    let json =
        r#"{"target":"us-east","at_s":1.0,"duration_s":2.0,"kind":"partition","peer":"eu-west"}"#;
    let f: Fault = serde_json::from_str(json).unwrap();
    assert_eq!(f, Fault::partition("us-east", "eu-west", 1.0, 2.0));
    assert_eq!(serde_json::to_string(&f).unwrap(), json);
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
