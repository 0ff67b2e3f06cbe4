//! Data-store choices: a key-value store cannot join, denormalisation trades fan-out reads for
//! copy writes (by exactly its factor), and a NoSQL store takes load off the shards.

use crate::helpers::{assert_conserved, fault, run};
use scalesim::scenario::{
    decode, encode, preset, Denormalise, Dist, NoSqlStore, Profile, Scenario, StoreKind,
};
use scalesim::sim::Report;

/// Stage 10 without its resharding, with `share` of reads joining every shard, and no traffic
/// in the last 10 s so nothing is in flight at the end.
fn stage10(share: f64) -> Scenario {
    let mut s = preset(10).unwrap();
    s.seed = 3;
    s.duration_s = 60;
    s.traffic.profile = Profile::Spike {
        at_s: 50.0,
        duration_s: 10.0,
        factor: 0.0,
    };
    let sh = s.sharding.as_mut().unwrap();
    sh.reshard = None;
    sh.cross_shard_share = share;
    s
}

fn denormalised(share: f64, write_factor: u32) -> Scenario {
    let mut s = stage10(share);
    s.sharding.as_mut().unwrap().denormalise = Some(Denormalise { write_factor });
    s
}

fn shard_totals(r: &Report) -> (u64, u64) {
    let shards = &r.database.as_ref().unwrap().shards;
    (
        shards.iter().map(|s| s.reads).sum(),
        shards.iter().map(|s| s.writes).sum(),
    )
}

fn kind_mean_ms(r: &Report, kind: &str) -> f64 {
    r.latency_by_kind
        .iter()
        .find(|k| k.kind.name() == kind)
        .unwrap()
        .latency_ms
        .mean
}

#[test]
fn a_key_value_store_rejects_join_queries_in_validation() {
    let mut s = preset(10).unwrap();
    s.database.as_mut().unwrap().kind = StoreKind::KeyValue;
    let e = s.validate().unwrap_err();
    assert!(
        e.0.iter().any(|p| p.path == "sharding.cross_shard_share"
            && p.message
                .contains("joins are not possible on a key-value store")),
        "{e}"
    );
    s.database.as_mut().unwrap().kind = StoreKind::Document;
    assert!(s
        .validate()
        .unwrap_err()
        .to_string()
        .contains("document store"));
    // Without joins, or with the data denormalised, it is fine.
    s.sharding.as_mut().unwrap().cross_shard_share = 0.0;
    assert_eq!(s.validate(), Ok(()));
    s.sharding.as_mut().unwrap().cross_shard_share = 0.1;
    s.sharding.as_mut().unwrap().denormalise = Some(Denormalise { write_factor: 2 });
    assert_eq!(s.validate(), Ok(()));
}

#[test]
fn impossible_data_store_settings_are_refused() {
    let mut s = denormalised(0.1, 9);
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("sharding.denormalise.write_factor"), "{e}");
    s = denormalised(0.1, 1);
    assert!(s.validate().is_err(), "one copy avoids no join");
    s = stage10(0.0);
    s.nosql = Some(nosql(0.5));
    s.nosql.as_mut().unwrap().kind = StoreKind::Relational;
    assert!(s.validate().unwrap_err().to_string().contains("nosql.kind"));
    s = preset(1).unwrap();
    s.nosql = Some(nosql(0.5));
    assert!(s
        .validate()
        .unwrap_err()
        .to_string()
        .contains("add a database first"));
}

#[test]
fn denormalisation_removes_fan_out_and_raises_writes_by_its_factor() {
    let joined = run(&stage10(0.2));
    assert_conserved(&joined);
    assert_eq!(joined.requests.in_flight, 0);
    assert_eq!(joined.requests.failed, 0, "{:?}", joined.requests);
    assert!(joined.data_store.is_none(), "plain relational: no section");
    let (joined_reads, joined_writes) = shard_totals(&joined);

    for factor in [2u32, 4] {
        let r = run(&denormalised(0.2, factor));
        assert_conserved(&r);
        assert_eq!(r.requests.in_flight, 0);
        assert_eq!(r.requests.failed, 0, "{:?}", r.requests);
        let ds = r.data_store.as_ref().expect("a data-store section");
        assert_eq!(ds.cross_shard_reads, 0, "no fan-out left");
        assert!(ds.joins_avoided > 1000, "{ds:?}");
        // Every write committed `factor` times: once on its shard, factor − 1 copies.
        assert_eq!(ds.copy_writes, u64::from(factor - 1) * ds.writes, "{ds:?}");
        let (reads, writes) = shard_totals(&r);
        assert_eq!(writes, u64::from(factor) * ds.writes);
        assert_eq!(ds.write_amplification, f64::from(factor));
        // The same traffic (the random draws differ once copies take service times).
        let drift = ds.writes.abs_diff(joined_writes) as f64 / joined_writes as f64;
        assert!(drift < 0.03, "writes {} vs {joined_writes}", ds.writes);
        // A join asked each of the 4 shards; now one shard answers (or the cache).
        assert!(
            reads < joined_reads * 3 / 4,
            "reads {reads} vs {joined_reads} with joins"
        );
        // Page views got faster, writes slower.
        assert!(kind_mean_ms(&r, "page_view") < kind_mean_ms(&joined, "page_view"));
        assert!(kind_mean_ms(&r, "write") > kind_mean_ms(&joined, "write"));
    }
}

fn nosql(share: f64) -> NoSqlStore {
    NoSqlStore {
        kind: StoreKind::KeyValue,
        share,
        nodes: 4,
        workers: 16,
        queue_capacity: 1000,
        read: Dist::exponential(1.0),
        write: Dist::exponential(2.0),
    }
}

#[test]
fn a_nosql_store_takes_its_share_off_the_shards_at_lower_latency() {
    let base = run(&stage10(0.02));
    let mut s = stage10(0.02);
    s.nosql = Some(nosql(0.5));
    let r = run(&s);
    assert_conserved(&r);
    assert_eq!(r.requests.failed, 0, "{:?}", r.requests);
    let n = r.data_store.as_ref().unwrap().nosql.as_ref().unwrap();
    let data_requests = n.latency_ms.count + n.relational_latency_ms.count;
    let share = n.latency_ms.count as f64 / data_requests as f64;
    assert!((share - 0.5).abs() < 0.02, "share served {share}");
    assert!(
        n.served_per_node.iter().all(|&x| x > 0),
        "keys spread: {n:?}"
    );
    // The shards see about half the queries.
    let (base_reads, base_writes) = shard_totals(&base);
    let (reads, writes) = shard_totals(&r);
    let ratio = (reads + writes) as f64 / (base_reads + base_writes) as f64;
    assert!((0.4..0.6).contains(&ratio), "shard queries ratio {ratio}");
    let busiest = |r: &Report| {
        r.database
            .as_ref()
            .unwrap()
            .shards
            .iter()
            .map(|s| s.busiest_node_utilization)
            .fold(0.0, f64::max)
    };
    assert!(busiest(&r) < 0.7 * busiest(&base));
    // Single-key access to a fast store answers sooner than the relational path.
    assert!(
        n.latency_ms.mean < n.relational_latency_ms.mean,
        "nosql {} ms vs relational {} ms",
        n.latency_ms.mean,
        n.relational_latency_ms.mean
    );
    assert_eq!(decode(&encode(&s)).unwrap(), s, "links carry it");
}

#[test]
fn a_dead_nosql_node_fails_the_requests_for_its_keys() {
    let mut s = stage10(0.0);
    s.nosql = Some(nosql(0.5));
    s.faults = vec![fault("nosql-0", 10.0, 10.0)];
    let r = run(&s);
    assert_conserved(&r);
    let n = r.data_store.as_ref().unwrap().nosql.as_ref().unwrap();
    assert!(
        r.requests.failed_by_reason.db_down > 100,
        "{:?}",
        r.requests
    );
    assert!(
        n.served_per_node[0] > 0,
        "served before and after the fault"
    );
    assert!(r.events.iter().any(|e| e.text.contains("nosql-0 down")));
}
