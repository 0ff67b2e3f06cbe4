//! Stage 5: the cache tier. Hit ratios must emerge from keys in simulated caches and agree
//! with cache theory.

use crate::helpers::{assert_conserved, run};
use scalesim::scenario::{preset, Dist, Eviction, Fault, Scenario, WritePolicy};
use scalesim::sim::{theory, Report};

/// Reads only, one cache node, a fast database (so fills land almost at once), no lag.
fn reads_through_one_cache(keys: u32, zipf_s: f64, capacity: u32, ttl_s: f64) -> Scenario {
    let mut s = preset(5).unwrap();
    s.faults.clear();
    s.duration_s = 120;
    s.metrics_interval_ms = 1000;
    s.traffic.users = 10_000;
    s.traffic.requests_per_user_per_s = 0.2; // 2,000 reads/s
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.api_read = 1.0;
    s.traffic.mix.write = 0.0;
    s.traffic.mix.static_asset = 0.0;
    s.traffic.keyspace.keys = keys;
    s.traffic.keyspace.zipf_s = zipf_s;
    s.network.internal_rtt_ms = 0.1;
    let db = s.database.as_mut().unwrap();
    db.replicas = 0;
    db.workers = 64;
    db.read = Dist::exponential(1.0);
    let c = s.cache.as_mut().unwrap();
    c.nodes = 1;
    c.capacity_items = capacity;
    c.ttl_s = ttl_s;
    s
}

/// Hit ratio after the warm-up (from 30 s on).
fn steady_hit_ratio(r: &Report) -> f64 {
    let points: Vec<f64> = r
        .series
        .iter()
        .filter(|p| p.t_s > 30.0)
        .map(|p| p.cache_hit_ratio)
        .collect();
    points.iter().sum::<f64>() / points.len() as f64
}

#[test]
fn lru_hit_ratio_matches_ches_approximation() {
    for (zipf_s, capacity) in [(0.8, 1000), (1.0, 500), (1.2, 2000)] {
        let keys = 20_000;
        let r = run(&reads_through_one_cache(keys, zipf_s, capacity, 0.0));
        assert_conserved(&r);
        let expected =
            theory::che_lru_hit_ratio(&theory::zipf_probabilities(keys, zipf_s), capacity);
        let measured = steady_hit_ratio(&r);
        eprintln!("LRU Zipf {zipf_s} C={capacity}: measured {measured:.4}, Che {expected:.4}");
        assert!(
            (measured - expected).abs() < 0.02,
            "Zipf {zipf_s}, C = {capacity}: LRU hit ratio {measured:.4}, Che {expected:.4}"
        );
    }
}

#[test]
fn ttl_hit_ratio_matches_lambda_t_over_one_plus_lambda_t() {
    // Uniform keys, room for all: each of 1,000 keys is read 2 times a second.
    for ttl_s in [0.25, 1.0, 4.0] {
        let r = run(&reads_through_one_cache(1000, 0.0, 1000, ttl_s));
        let expected = theory::ttl_hit_ratio(&theory::zipf_probabilities(1000, 0.0), 2000.0, ttl_s);
        let measured = steady_hit_ratio(&r);
        eprintln!("TTL {ttl_s} s: measured {measured:.4}, λT/(1+λT) {expected:.4}");
        assert!(
            (measured - expected).abs() < 0.02,
            "TTL {ttl_s} s: hit ratio {measured:.4}, λT/(1+λT) = {expected:.4}"
        );
    }
}

#[test]
fn lfu_beats_lru_beats_fifo_on_a_static_zipf_keyspace() {
    let ratio = |eviction| {
        let mut s = reads_through_one_cache(20_000, 0.9, 1000, 0.0);
        s.cache.as_mut().unwrap().eviction = eviction;
        steady_hit_ratio(&run(&s))
    };
    let (lfu, lru, fifo) = (
        ratio(Eviction::Lfu),
        ratio(Eviction::Lru),
        ratio(Eviction::Fifo),
    );
    eprintln!("hit ratios: LFU {lfu:.4}, LRU {lru:.4}, FIFO {fifo:.4}");
    assert!(
        lfu > lru && lru > fifo,
        "LFU {lfu:.4}, LRU {lru:.4}, FIFO {fifo:.4}"
    );
}

fn with_writes(policy: WritePolicy) -> Scenario {
    let mut s = reads_through_one_cache(2000, 1.0, 2000, 600.0);
    s.traffic.mix.write = 0.2;
    s.cache.as_mut().unwrap().write_policy = policy;
    s
}

#[test]
fn invalidation_prevents_stale_cache_reads_and_ttl_only_does_not() {
    let r = run(&with_writes(WritePolicy::Invalidate));
    let c = r.cache.unwrap();
    assert!(c.invalidations > 1000);
    assert_eq!(c.stale_reads, 0);
    let r = run(&with_writes(WritePolicy::TtlOnly));
    let c = r.cache.unwrap();
    assert_eq!(c.invalidations, 0);
    assert!(c.stale_reads > 1000, "stale {}", c.stale_reads);
}

#[test]
fn a_lost_cache_node_sends_its_load_to_the_database_and_returns_cold() {
    let mut s = preset(5).unwrap();
    s.cache.as_mut().unwrap().nodes = 1;
    s.faults = vec![Fault {
        target: "cache-0".into(),
        at_s: 40.0,
        duration_s: 20.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    s.duration_s = 100;
    let r = run(&s);
    assert_conserved(&r);
    let db_load = |from: f64, to: f64| {
        let pts: Vec<f64> = r
            .series
            .iter()
            .filter(|p| p.t_s > from && p.t_s <= to)
            .map(|p| p.db_utilization)
            .collect();
        pts.iter().sum::<f64>() / pts.len() as f64
    };
    let before = db_load(30.0, 40.0);
    let during = db_load(41.0, 60.0);
    assert!(
        during > 1.5 * before,
        "database load {before:.3} → {during:.3}"
    );
    let hit = |t: f64| {
        r.series
            .iter()
            .find(|p| (p.t_s - t).abs() < 1e-9)
            .unwrap()
            .cache_hit_ratio
    };
    assert!(hit(50.0) < 0.01, "no hits while the only node is down");
    // Back cold at 60 s: the first second after the repair hits far less than later on.
    assert!(
        hit(61.0) < hit(90.0) - 0.1,
        "cold {} vs warm {}",
        hit(61.0),
        hit(90.0)
    );
    assert!(r.cache.unwrap().bypassed > 1000);
}

#[test]
fn keys_spread_over_cache_nodes() {
    let r = run(&preset(5).unwrap());
    let items = r.cache.unwrap().items;
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|&n| n > 1000), "{items:?}");
}
