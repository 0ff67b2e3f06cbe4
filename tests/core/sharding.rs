//! Stage 10: sharding — key movement on resharding and the copy that moves them, hot shards,
//! cross-shard queries, failover within one shard.

use crate::helpers::{assert_conserved, run};
use scalesim::scenario::{preset, Dist, Fault, ReshardPlan, Scenario, ShardStrategy};
use scalesim::sim::{Report, RequestKind, Sim, SimTime};

fn moved_fraction(strategy: ShardStrategy, from: u32, to: u32) -> f64 {
    let mut s = preset(10).unwrap();
    s.duration_s = 20;
    let sh = s.sharding.as_mut().unwrap();
    sh.strategy = strategy;
    sh.shards = from;
    sh.reshard = Some(ReshardPlan {
        at_s: 10.0,
        to_shards: to,
    });
    let r = run(&s);
    assert_conserved(&r);
    r.database.unwrap().reshards[0].fraction_moved
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[test]
fn modulo_resharding_moves_most_keys() {
    for (n, m) in [(4, 5), (4, 8), (3, 4)] {
        let lcm = n * m / gcd(n, m);
        let expected = 1.0 - f64::from(n.min(m)) / f64::from(lcm);
        let measured = moved_fraction(ShardStrategy::Modulo, n, m);
        assert!(
            (measured - expected).abs() < 0.02,
            "modulo {n} → {m}: moved {measured:.4}, theory {expected:.4}"
        );
    }
}

#[test]
fn consistent_hashing_moves_about_one_over_n() {
    for (n, m) in [(4u32, 5u32), (8, 9), (5, 4)] {
        let expected = f64::from(n.abs_diff(m)) / f64::from(n.max(m));
        let measured = moved_fraction(ShardStrategy::ConsistentHash, n, m);
        assert!(
            (measured - expected).abs() < 0.02,
            "consistent hash {n} → {m}: moved {measured:.4}, theory {expected:.4}"
        );
    }
}

#[test]
fn a_celebrity_key_makes_its_shard_hot() {
    let mut s = preset(10).unwrap();
    s.sharding.as_mut().unwrap().reshard = None;
    s.cache = None; // every read reaches the shards
    s.traffic.users = 5000;
    let r = run(&s);
    let db = r.database.unwrap();
    let hot = db
        .shards
        .iter()
        .max_by(|a, b| a.reads.cmp(&b.reads))
        .unwrap();
    let others: Vec<_> = db.shards.iter().filter(|x| x.shard != hot.shard).collect();
    let mean_other = others.iter().map(|x| x.reads).sum::<u64>() as f64 / others.len() as f64;
    assert!(
        hot.reads as f64 > 1.25 * mean_other,
        "{} vs {mean_other}",
        hot.reads
    );
    let without = {
        let mut t = s.clone();
        t.sharding.as_mut().unwrap().hot_keys.clear();
        run(&t).database.unwrap()
    };
    let spread = |d: &scalesim::sim::DatabaseReport| {
        let reads: Vec<f64> = d.shards.iter().map(|x| x.reads as f64).collect();
        reads.iter().cloned().fold(0.0, f64::max) / reads.iter().cloned().fold(f64::MAX, f64::min)
    };
    let hot_spread = spread(&r_db(&s));
    assert!(
        hot_spread > spread(&without),
        "hot keys should unbalance the shards"
    );
}

fn r_db(s: &scalesim::scenario::Scenario) -> scalesim::sim::DatabaseReport {
    run(s).database.unwrap()
}

#[test]
fn cross_shard_queries_cost_more() {
    let mut s = preset(10).unwrap();
    s.sharding.as_mut().unwrap().reshard = None;
    s.cache = None;
    s.traffic.users = 2000;
    s.duration_s = 60;
    let single = run(&s);
    s.sharding.as_mut().unwrap().cross_shard_share = 1.0;
    let fanned = run(&s);
    assert_conserved(&fanned);
    let api = |r: &scalesim::sim::Report| r.latency_by_kind[1].latency_ms.mean;
    let reads = |r: &scalesim::sim::Report| -> u64 {
        r.database
            .as_ref()
            .unwrap()
            .nodes
            .iter()
            .map(|n| n.reads)
            .sum()
    };
    assert!(
        api(&fanned) > api(&single) + 10.0,
        "{} vs {}",
        api(&fanned),
        api(&single)
    );
    assert!(reads(&fanned) as f64 > 3.5 * reads(&single) as f64);
}

#[test]
fn a_master_failure_stays_inside_its_shard() {
    let mut s = preset(10).unwrap();
    s.sharding.as_mut().unwrap().reshard = None;
    s.faults = vec![Fault {
        target: "shard-1-db-0".into(),
        at_s: 30.0,
        duration_s: 0.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    let r = run(&s);
    assert_conserved(&r);
    let db = r.database.unwrap();
    assert_eq!(db.failovers.len(), 1);
    assert_eq!(db.failovers[0].new_master, "shard-1-db-1");
    // Only writes to shard 1's keys failed: far fewer than all writes in the outage.
    let failed = r.requests.failed_by_reason.db_down as f64;
    let writes_per_s = s.offered_rate_per_s() * 0.1;
    let outage_s = 8.0;
    assert!(
        failed > 0.0 && failed < writes_per_s * outage_s * 0.5,
        "{failed}"
    );
}

#[test]
fn sharding_mistakes_are_explained() {
    let mut s = preset(10).unwrap();
    let sh = s.sharding.as_mut().unwrap();
    sh.shards = 0;
    sh.hot_keys[0].key = 10_000_000;
    sh.virtual_nodes = 0;
    let text = s.validate().unwrap_err().to_string();
    for needle in [
        "sharding.shards",
        "outside the keyspace",
        "sharding.virtual_nodes",
    ] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
}

/// Preset 10 with a smaller keyspace, resharded 4 → 5 at `at_s` with the copy at `rate`
/// keys/s.
fn copying(strategy: ShardStrategy, rate: f64, at_s: f64, duration_s: u32) -> Scenario {
    let mut s = preset(10).unwrap();
    s.duration_s = duration_s;
    s.traffic.keyspace.keys = 20_000;
    let sh = s.sharding.as_mut().unwrap();
    sh.strategy = strategy;
    sh.migration_keys_per_s = rate;
    sh.reshard = Some(ReshardPlan { at_s, to_shards: 5 });
    s
}

/// 4,000 requests/s on small shards (8 workers, 8 ms reads, 15 ms writes), so the copy's work
/// shows against the clients' (the preset's 56 workers hide it).
fn small_shards(mut s: Scenario) -> Scenario {
    s.traffic.users = 400_000;
    let db = s.database.as_mut().unwrap();
    db.workers = 8;
    db.read = Dist::exponential(8.0);
    db.write = Dist::exponential(15.0);
    s
}

/// Mean of a per-interval component series over the intervals ending in (from_s, to_s]; the
/// series' last value is the interval ending at `end_s` (components added mid-run have
/// shorter series, aligned at the end).
fn window_mean(values: &[f64], end_s: f64, from_s: f64, to_s: f64) -> f64 {
    let picked: Vec<f64> = values
        .iter()
        .rev()
        .enumerate()
        .map(|(k, v)| (end_s - k as f64, *v))
        .filter(|(t, _)| *t > from_s && *t <= to_s)
        .map(|(_, v)| v)
        .collect();
    assert!(!picked.is_empty(), "no interval in ({from_s}, {to_s}]");
    picked.iter().sum::<f64>() / picked.len() as f64
}

fn utilization_of(r: &Report, name: &str) -> Vec<f64> {
    let m = r.monitoring.as_ref().expect("preset 10 monitors");
    let c = m.components.iter().find(|c| c.name == name).expect(name);
    c.utilization.iter().copied().collect()
}

#[test]
fn the_copy_takes_moved_keys_over_the_rate() {
    for (strategy, rate) in [
        (ShardStrategy::ConsistentHash, 100.0),
        (ShardStrategy::ConsistentHash, 300.0),
        (ShardStrategy::Modulo, 300.0),
    ] {
        let r = run(&copying(strategy, rate, 10.0, 80));
        assert_conserved(&r);
        let m = &r.database.as_ref().unwrap().reshards[0];
        let expected = m.keys_moved as f64 / rate;
        let duration = m.duration_s.expect("the copy finished");
        println!(
            "{strategy:?} at {rate} keys/s: {} keys in {duration:.2} s (keys/rate {expected:.2} s)",
            m.keys_moved
        );
        assert_eq!(m.keys_copied, m.keys_moved);
        assert!(
            (duration - expected).abs() < 0.03 * expected,
            "{strategy:?} at {rate} keys/s: {} keys copied in {duration:.2} s, expected {expected:.2} s",
            m.keys_moved
        );
        assert_eq!(m.finished_at_s, Some(m.at_s + duration));
        let per_interval: u64 = r.series.iter().map(|p| p.migration_keys_copied).sum();
        assert_eq!(per_interval, m.keys_copied);
        let log: Vec<&str> = r.events.iter().map(|e| e.text.as_str()).collect();
        assert!(log
            .iter()
            .any(|t| t.starts_with("resharding 4 → 5 shards started")));
        assert!(log
            .iter()
            .any(|t| t.starts_with("resharding 4 → 5 shards finished")));
    }
}

#[test]
fn an_unfinished_copy_reports_its_progress() {
    let r = run(&copying(ShardStrategy::ConsistentHash, 100.0, 10.0, 20));
    assert_conserved(&r);
    let m = &r.database.as_ref().unwrap().reshards[0];
    assert_eq!(m.finished_at_s, None);
    assert_eq!(m.duration_s, None);
    // About ten seconds of copying at 100 keys/s.
    assert!(
        (900..=1000).contains(&m.keys_copied),
        "{} of {} copied",
        m.keys_copied,
        m.keys_moved
    );
}

#[test]
fn the_copy_loads_the_masters_it_reads_and_writes() {
    // Consistent hashing 4 → 5: every moved key goes from shards 0–3 to the new shard 4.
    let at_s = 30.0;
    let s = small_shards(copying(ShardStrategy::ConsistentHash, 400.0, at_s, 90));
    let r = run(&s);
    assert_conserved(&r);
    let m = &r.database.as_ref().unwrap().reshards[0];
    let end_s = m.finished_at_s.expect("finished");
    let last_s = f64::from(s.duration_s);
    let target = utilization_of(&r, "shard-4-db-0");
    let target_during = window_mean(&target, last_s, at_s + 1.0, end_s - 1.0);
    let target_after = window_mean(&target, last_s, end_s + 2.0, last_s);
    println!("new shard's master: {target_during:.3} while copying, {target_after:.3} after");
    assert!(target_during > target_after + 0.4);
    for shard in 0..4 {
        let source = utilization_of(&r, &format!("shard-{shard}-db-0"));
        let before = window_mean(&source, last_s, 5.0, at_s);
        let during = window_mean(&source, last_s, at_s + 1.0, end_s - 1.0);
        let after = window_mean(&source, last_s, end_s + 2.0, last_s);
        println!("shard {shard}'s master: {before:.3} before, {during:.3} while copying, {after:.3} after");
        assert!(during > before + 0.05 && during > after + 0.05);
    }
}

#[test]
fn client_writes_wait_behind_the_copy() {
    // Writes go to the masters the copy works on; compare a run that copies with one that
    // does not, over the copy's span.
    let mut s = small_shards(copying(ShardStrategy::Modulo, 2000.0, 5.0, 20));
    s.cache = None;
    s.traffic.users = 60_000; // 600 requests/s
    let copied = run(&s);
    s.sharding.as_mut().unwrap().reshard = None;
    let quiet = run(&s);
    assert_conserved(&copied);
    let p99 = |r: &Report| {
        r.latency_by_kind[RequestKind::Write as usize]
            .latency_ms
            .p99
    };
    println!(
        "write p99: {:.1} ms while copying, {:.1} ms without",
        p99(&copied),
        p99(&quiet)
    );
    assert!(p99(&copied) > 1.2 * p99(&quiet));
}

#[test]
fn a_copy_faster_than_the_new_shard_can_write_is_held_back_by_it() {
    // Shard 4 alone takes every moved key: 8 workers at 15 ms per write absorb about
    // 530 keys/s, whatever the copier is allowed.
    let r = run(&small_shards(copying(
        ShardStrategy::ConsistentHash,
        5000.0,
        10.0,
        40,
    )));
    assert_conserved(&r);
    let m = &r.database.as_ref().unwrap().reshards[0];
    let duration = m.duration_s.expect("finished");
    let capacity_s = m.keys_moved as f64 * 0.015 / 8.0;
    println!(
        "at 5000 keys/s: {duration:.2} s; the new shard's write capacity allows {capacity_s:.2} s"
    );
    assert!(
        duration > 0.9 * capacity_s && duration > 4.0 * m.keys_moved as f64 / 5000.0,
        "{duration:.2} s for {} keys",
        m.keys_moved
    );
}

#[test]
fn a_reshard_during_a_copy_is_refused() {
    let s = copying(ShardStrategy::ConsistentHash, 100.0, 5.0, 30);
    let mut sim = Sim::new(&s).unwrap();
    sim.advance_to(SimTime::from_secs_f64(10.0), u64::MAX);
    sim.reshard(6);
    let r = sim.run();
    assert_conserved(&r);
    let db = r.database.unwrap();
    assert_eq!(db.reshards.len(), 1);
    assert!(r.events.iter().any(|e| e.text.contains("refused")));
}

#[test]
fn the_copy_survives_a_master_failover() {
    let mut s = copying(ShardStrategy::ConsistentHash, 300.0, 5.0, 60);
    // The master of a shard the copy reads from dies mid-copy; its jobs wait for the
    // promoted replica.
    s.faults = vec![Fault {
        target: "shard-0-db-0".into(),
        at_s: 10.0,
        duration_s: 0.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    let r = run(&s);
    assert_conserved(&r);
    let db = r.database.unwrap();
    assert_eq!(db.failovers.len(), 1);
    let m = &db.reshards[0];
    assert_eq!(m.keys_copied, m.keys_moved);
    let expected = m.keys_moved as f64 / 300.0;
    let duration = m.duration_s.unwrap();
    println!("copy with a failover: {duration:.2} s, {expected:.2} s without");
    assert!(duration > expected + 1.0, "the outage holds the copy up");
}

#[test]
fn the_copy_rate_is_checked() {
    for (rate, ok) in [
        (0.0, false),
        (-5.0, false),
        (f64::NAN, false),
        (200_000.0, false),
        (1.0, true),
        (100_000.0, true),
    ] {
        let mut s = preset(10).unwrap();
        s.sharding.as_mut().unwrap().migration_keys_per_s = rate;
        match s.validate() {
            Ok(()) => assert!(ok, "{rate} keys/s accepted"),
            Err(e) => {
                assert!(!ok, "{rate} keys/s refused: {e}");
                assert!(
                    e.to_string().contains("sharding.migration_keys_per_s"),
                    "{e}"
                );
            }
        }
    }
}

#[test]
fn the_copy_progress_can_be_read_live() {
    let s = copying(ShardStrategy::ConsistentHash, 200.0, 5.0, 40);
    let mut sim = Sim::new(&s).unwrap();
    assert_eq!(sim.reshard_progress(), None);
    sim.advance_to(SimTime::from_secs_f64(10.0), u64::MAX);
    let during = sim.reshard_progress().expect("resharding started");
    assert_eq!((during.from_shards, during.to_shards), (4, 5));
    assert!(!during.finished);
    assert!(during.keys_copied > 0 && during.keys_copied < during.keys_moved);
    sim.advance_to(SimTime::from_secs_f64(40.0), u64::MAX);
    let after = sim.reshard_progress().unwrap();
    assert!(after.finished);
    assert_eq!(after.keys_copied, after.keys_moved);
}

/// The graph with two shard routers (`shards` → `db` for reads, `orders-shards` → `orders`
/// for writes), lowered, run for `duration_s` with a user population that keeps every node
/// below saturation.
fn two_routers(duration_s: u32) -> Scenario {
    let mut s = crate::topology::two_routers().lower().expect("lowers");
    s.duration_s = duration_s;
    s.traffic.users = 100_000;
    if let Some(sh) = s.more_databases[0].sharding.as_mut() {
        sh.migration_keys_per_s = 10_000.0;
    }
    s
}

/// Requests served by the components whose names start with `prefix`, over the run.
fn served(r: &Report, prefix: &str) -> u64 {
    (r.components.iter())
        .filter(|c| c.name.starts_with(prefix))
        .map(|c| c.served)
        .sum()
}

/// Replays `s` with `changes` (time in s, text as a link writes it) up to `end_s`.
fn replay(s: &Scenario, changes: &str, end_s: u64) -> Report {
    let changes = scalesim::scenario::live::decode_changes(changes).expect("live changes read");
    scalesim::sim::live::replay(s, &changes, SimTime::from_secs(end_s))
        .expect("replays")
        .report()
}

#[test]
fn two_routers_each_reshard_live_while_the_other_keeps_serving() {
    let s = two_routers(40);
    // `orders-shards` to 3 shards at 5 s, then the first router to 5 at 20 s, by name.
    let r = replay(&s, "5:reshard:orders-shards:3,20:reshard:shards:5", 40);
    assert_conserved(&r);
    let db = r.database.as_ref().expect("db");
    let orders = &r.more_databases[0].database;
    assert_eq!(orders.reshards.len(), 1, "{:?}", orders.reshards);
    assert_eq!(db.reshards.len(), 1, "{:?}", db.reshards);
    let (o, d) = (&orders.reshards[0], &db.reshards[0]);
    assert_eq!((o.from_shards, o.to_shards, o.at_s), (2, 3, 5.0));
    assert_eq!((d.from_shards, d.to_shards, d.at_s), (4, 5, 20.0));
    // Modulo 2 → 3 moves two keys in three; consistent hashing 4 → 5 about a fifth.
    assert!((o.fraction_moved - 2.0 / 3.0).abs() < 0.02, "{o:?}");
    assert!((d.fraction_moved - 0.2).abs() < 0.05, "{d:?}");
    assert!(o.finished_at_s.is_some(), "{o:?}");
    // Each copy wrote to its own new shard only.
    assert!(served(&r, "orders-shard-2-") > 0);
    assert!(served(&r, "shard-4-db-") > 0);
    assert_eq!(orders.shards.len(), 3);
    assert_eq!(db.shards.len(), 5);
    // While one router copied, the other kept serving: no request failed for a database,
    // reads were answered by db's shards all along and writes committed in orders.
    assert_eq!(r.requests.failed_by_reason.db_down, 0, "{:?}", r.requests);
    assert_eq!(db.writes_committed, 0);
    assert!(orders.writes_committed > 1000, "{orders:?}");
    let log = |start: &str| r.events.iter().any(|e| e.text.starts_with(start));
    assert!(log("resharding orders (behind shard router orders-shards) to 3 shards; db keeps its data where it is"));
    assert!(log(
        "resharding db (behind the shard router) to 5 shards; orders keeps its data where it is"
    ));
    assert!(log("resharding 2 → 3 shards started"));
    assert!(log("resharding 4 → 5 shards started"));
    // Live progress per router.
    let changes = scalesim::scenario::live::decode_changes("5:reshard:orders-shards:3").unwrap();
    let sim = scalesim::sim::live::replay(&s, &changes, SimTime::from_secs(6)).unwrap();
    assert_eq!(
        sim.reshard_progress(),
        None,
        "the first router did not reshard"
    );
    let p = sim.reshard_progress_of(1).expect("orders reshards");
    assert_eq!((p.from_shards, p.to_shards), (2, 3));
    // A router the run does not have is an error naming it.
    let changes = scalesim::scenario::live::decode_changes("5:reshard:users-shards:3").unwrap();
    let e = scalesim::sim::live::replay(&s, &changes, SimTime::from_secs(6)).err();
    assert!(e.is_some_and(|e| e.to_string().contains("users-shards")));
}

#[test]
fn a_scheduled_resharding_of_the_second_router_runs_at_its_time() {
    let mut s = two_routers(30);
    s.more_databases[0].sharding.as_mut().unwrap().reshard = Some(ReshardPlan {
        at_s: 10.0,
        to_shards: 4,
    });
    let r = run(&s);
    assert_conserved(&r);
    assert!(r.database.as_ref().unwrap().reshards.is_empty());
    let o = &r.more_databases[0].database.reshards;
    assert_eq!(o.len(), 1, "{o:?}");
    assert_eq!((o[0].at_s, o[0].from_shards, o[0].to_shards), (10.0, 2, 4));
    // Modulo 2 → 4 moves half the keys.
    assert!((o[0].fraction_moved - 0.5).abs() < 0.02, "{:?}", o[0]);
    let schedule = scalesim::scenario::schedule(&s);
    assert!(schedule
        .iter()
        .any(|x| x.text == "orders (behind orders-shards) reshards to 4 shards"));
}

#[test]
fn killing_one_routers_shard_master_leaves_the_other_routers_writes_committing() {
    // db's shard 1 loses its master at 5 s (reads of its keys fail until a replica is
    // promoted); orders' writes commit all along, and orders has no failover.
    let mut s = two_routers(20);
    s.faults = vec![Fault::down("shard-1-db-0", 5.0, 0.0)];
    let r = run(&s);
    assert_conserved(&r);
    let db = r.database.as_ref().unwrap();
    assert_eq!(db.failovers.len(), 1, "{:?}", db.failovers);
    assert_eq!(db.failovers[0].new_master, "shard-1-db-1");
    let orders = &r.more_databases[0].database;
    assert!(orders.failovers.is_empty());
    let calm = run(&two_routers(20));
    let calm_writes = calm.more_databases[0].database.writes_committed;
    // The same writes are sent (the kill draws nothing before it); those in flight at the
    // end aside, they all commit.
    assert!(
        orders.writes_committed + r.requests.in_flight >= calm_writes
            && orders.writes_committed <= calm_writes + calm.requests.in_flight,
        "{} with the kill, {calm_writes} without",
        orders.writes_committed
    );
    // And the other way round: orders' shard 1 loses its master; only writes of its keys
    // fail until the promotion, orders' shard 0 and db keep going.
    let mut s = two_routers(20);
    s.faults = vec![Fault::down("orders-shard-1-0", 5.0, 0.0)];
    let r = run(&s);
    assert_conserved(&r);
    let orders = &r.more_databases[0].database;
    assert_eq!(orders.failovers.len(), 1, "{:?}", orders.failovers);
    assert_eq!(orders.failovers[0].old_master, "orders-shard-1-0");
    assert_eq!(orders.failovers[0].new_master, "orders-shard-1-1");
    assert!(r.database.as_ref().unwrap().failovers.is_empty());
    assert!(r.requests.failed_by_reason.db_down > 0);
    let shard0 = &orders.shards[0];
    let calm0 = &calm.more_databases[0].database.shards[0];
    assert!(
        shard0.writes * 10 >= calm0.writes * 9,
        "shard 0 wrote {} with shard 1's master dead, {} without",
        shard0.writes,
        calm0.writes
    );
}

#[test]
fn old_links_with_reshard_n_reshard_the_first_router() {
    // `reshard:N`, as links said before there were several routers, reads as it did and
    // reshards the first database: the same run as naming its router `shards`.
    let changes = scalesim::scenario::live::decode_changes("5:reshard:5").unwrap();
    assert_eq!(
        changes[0].action,
        scalesim::scenario::LiveAction::Reshard(5)
    );
    assert_eq!(
        scalesim::scenario::live::encode_changes(&changes),
        "5:reshard:5"
    );
    let mut ten = preset(10).unwrap();
    ten.duration_s = 20;
    let old = replay(&ten, "5:reshard:5", 20);
    let named = replay(&ten, "5:reshard:shards:5", 20);
    assert_eq!(old.digest, named.digest);
    assert_eq!(old.database.as_ref().unwrap().reshards.len(), 1);
    let two = two_routers(20);
    let old = replay(&two, "5:reshard:5", 20);
    let named = replay(&two, "5:reshard:shards:5", 20);
    assert_eq!(old.digest, named.digest);
    assert_eq!(old.database.as_ref().unwrap().reshards.len(), 1);
    assert!(old.more_databases[0].database.reshards.is_empty());
}
