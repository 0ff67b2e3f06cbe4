//! Stage 10: sharding — key movement on resharding, hot shards, cross-shard queries, failover
//! within one shard.

use crate::helpers::{assert_conserved, run};
use scalesim::scenario::{preset, Fault, ReshardPlan, ShardStrategy};

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
