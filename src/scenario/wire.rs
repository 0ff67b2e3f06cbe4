//! The scenario, its drawn form and its links in the binary form of [`crate::codec`]: how the
//! engine's wasm (which reads links and files with serde) hands the app's wasm what it read,
//! so that the app holds no reader of a scenario (docs/performance.md, "the page decoding
//! nothing").
//!
//! ```text
//!   worker: "#v1.s4~…" / file text ──decode_link / from_json──▶ Link ──to_bytes──▶ bytes
//!   page:   bytes ──from_bytes──▶ Link (no check again: the worker validated it)
//! ```
//!
//! Every struct below is written with all its fields by name, and every enum with all its
//! variants, so a field or variant added to the scenario does not compile until it travels.
//! Values travel exactly: a `f64` as its 8 bytes, so a scenario decoded here equals the
//! worker's bit for bit.

use super::topology::{
    BalancerParams, DataCenterParams, Edge, GeoDnsParams, Node, NodeSpec, Position, QueueParams,
    SessionParams, UsersParams, WorkersParams,
};
use super::{
    AlertMetric, AlertRule, Autoscaling, BalancePolicy, Breaker, CacheTier, Cdn, DataCenter,
    Database, Denormalise, Deploy, Dist, Dns, Eviction, Failover, Fault, FaultKind, Flow, Geo,
    GeoRouting, HotKey, JobQueue, Keyspace, Link, LiveAction, LiveChange, LoadBalancer, Mechanism,
    Monitoring, NamedCache, NamedDatabase, NamedNoSql, NamedWebPool, Network, NoSqlStore, PlugNode,
    Profile, ReadPolicy, Region, Replication, RequestMix, ReshardPlan, Retries, Routes, Scenario,
    Server, ServiceTimes, SessionMode, Sessions, Shape, ShardStrategy, Sharding, StoreKind,
    Topology, TopologyFile, Traffic, WorkerAutoscale, WritePolicy,
};
use crate::codec::{wire_enum, wire_struct, Reader, Wire, Writer};
use serde_json::{Map, Number, Value};

// A link: what the page opens.
wire_struct!(Link {
    scenario,
    time_s,
    live,
    graph
});
wire_struct!(LiveChange { at_ns, action });
wire_enum!(LiveAction {
    0 => Users(n),
    1 => WebServers(n),
    2 => PoolServers { pool, count },
    3 => Kill(name),
    4 => Repair(name),
    5 => Slow { name, factor_milli },
    6 => Errors { name, ratio_milli },
    7 => CdnPurgeAll,
    8 => CdnNewVersion,
    9 => Reshard(n),
    10 => Mechanism { which, on },
    11 => Partition { a, b, cut },
    12 => Deploy { batch, drain, pool },
    13 => CoalesceAt { cache, on },
    14 => ReshardAt { router, count },
});
wire_enum!(Mechanism { 0 => SyncCalls, 1 => Breaker, 2 => Coalesce });

// The scenario.
wire_struct!(Scenario {
    version,
    name,
    stage,
    seed,
    duration_s,
    metrics_interval_ms,
    traffic,
    dns,
    network,
    server,
    load_balancer,
    database,
    cache,
    more_caches,
    more_web_pools,
    more_databases,
    cdn,
    sessions,
    autoscaling,
    queue,
    sharding,
    monitoring,
    nosql,
    more_nosql,
    deploy,
    routes,
    geo,
    plugs,
    faults,
});
wire_struct!(PlugNode {
    name,
    fronts,
    params
});
wire_struct!(Routes { cached, nosql });
wire_struct!(NamedCache {
    name,
    fronts,
    cache
});
wire_struct!(NamedWebPool {
    name,
    serves,
    server,
    autoscaling
});
wire_struct!(NamedDatabase {
    name,
    takes,
    database,
    sharding,
    router
});
wire_struct!(NamedNoSql { name, takes, nosql });
wire_struct!(Traffic {
    users,
    requests_per_user_per_s,
    mix,
    client_timeout_ms,
    keyspace,
    profile,
    retries
});
wire_struct!(Retries {
    max,
    backoff_ms,
    multiplier,
    jitter
});
wire_enum!(Profile {
    0 => Constant,
    1 => Ramp { start_s, end_s, factor },
    2 => Spike { at_s, duration_s, factor },
    3 => Cycle { period_s, amplitude },
});
wire_struct!(Keyspace { keys, zipf_s });
wire_struct!(RequestMix {
    page_view,
    api_read,
    write,
    static_asset
});
wire_struct!(Dns { lookup_ms, ttl_s });
wire_struct!(Network {
    client_rtt_ms,
    internal_rtt_ms
});
wire_struct!(Server {
    count,
    speeds,
    workers,
    queue_capacity,
    service,
    sync_calls,
    breaker
});
wire_struct!(Breaker {
    failures,
    slow_call_ms,
    open_ms,
    probes
});
wire_struct!(ServiceTimes {
    page_view,
    api_read,
    write,
    static_asset
});
wire_struct!(Dist { shape, mean_ms, cv });
wire_enum!(Shape { 0 => Exponential, 1 => Constant, 2 => Lognormal });
wire_enum!(BalancePolicy { 0 => RoundRobin, 1 => LeastConnections, 2 => Random });
wire_struct!(LoadBalancer {
    policy,
    latency_ms,
    health_interval_ms,
    unhealthy_threshold,
    healthy_threshold
});
wire_enum!(Eviction { 0 => Lru, 1 => Lfu, 2 => Fifo });
wire_enum!(WritePolicy { 0 => Invalidate, 1 => TtlOnly });
wire_struct!(CacheTier {
    nodes,
    capacity_items,
    ttl_s,
    eviction,
    write_policy,
    workers,
    get,
    virtual_nodes,
    coalesce
});
wire_struct!(Cdn {
    edge_rtt_ms,
    hit_ms,
    objects,
    object_kb_mean,
    zipf_s,
    capacity_objects,
    ttl_s,
    fallback_timeout_ms,
    edge_price_per_gb,
    origin_price_per_gb
});
wire_enum!(SessionMode { 0 => Sticky, 1 => SharedStore });
wire_struct!(Sessions {
    mode,
    store_workers,
    store_get
});
wire_struct!(Autoscaling {
    min_servers,
    max_servers,
    target_utilization,
    evaluation_interval_s,
    scale_out_delay_s,
    scale_in_cooldown_s
});
wire_struct!(JobQueue {
    jobs_per_write,
    max_depth,
    workers,
    job,
    autoscale,
    job_writes_to_db
});
wire_struct!(WorkerAutoscale {
    min_workers,
    max_workers,
    jobs_per_worker,
    interval_s,
    start_delay_s
});
wire_enum!(ShardStrategy { 0 => Modulo, 1 => ConsistentHash });
wire_struct!(Sharding {
    shards,
    strategy,
    virtual_nodes,
    hot_keys,
    cross_shard_share,
    reshard,
    migration_keys_per_s,
    denormalise
});
wire_struct!(Denormalise { write_factor });
wire_struct!(HotKey { key, share });
wire_struct!(ReshardPlan { at_s, to_shards });
wire_struct!(Monitoring { alerts });
wire_enum!(AlertMetric {
    0 => LatencyP99Ms,
    1 => ErrorRatio,
    2 => WebUtilization,
    3 => DbUtilization,
    4 => ReplicationLagMs,
    5 => QueueDepth,
    6 => CacheHitRatio,
});
wire_struct!(AlertRule {
    name,
    metric,
    threshold,
    above,
    for_s
});
wire_enum!(ReadPolicy { 0 => RoundRobin, 1 => LeastLoaded });
wire_enum!(StoreKind { 0 => Relational, 1 => KeyValue, 2 => Document });
wire_struct!(NoSqlStore {
    kind,
    share,
    nodes,
    workers,
    queue_capacity,
    read,
    write
});
wire_struct!(Deploy {
    at_s,
    batch_size,
    drain,
    drain_timeout_ms,
    startup_s,
    pool
});
wire_struct!(Database {
    kind,
    workers,
    speed,
    queue_capacity,
    read,
    write,
    replicas,
    read_policy,
    replication,
    failover
});
wire_struct!(Replication { delay_ms, apply_ms });
wire_struct!(Failover {
    detection_ms,
    promotion_ms
});
wire_struct!(Geo {
    regions,
    rtt_ms,
    data_centers,
    routing,
    split_share,
    health_interval_ms,
    unhealthy_after,
    healthy_after,
    replication_writes_per_s
});
wire_struct!(Region { name, users_share });
wire_struct!(DataCenter { name, region, set });

/// A JSON value (a data center's changes to its stack): a tag, then its content; a number
/// keeps its kind (whole, negative whole, or a float's 8 bytes), so it comes back equal.
impl Wire for Value {
    fn put(&self, w: &mut Writer) {
        match self {
            Value::Null => w.byte(0),
            Value::Bool(b) => {
                w.byte(1);
                b.put(w);
            }
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => {
                    w.byte(2);
                    u.put(w);
                }
                (None, Some(i), _) => {
                    w.byte(3);
                    (i as u64).put(w);
                }
                (None, None, f) => {
                    w.byte(4);
                    f.unwrap_or_default().put(w);
                }
            },
            Value::String(s) => {
                w.byte(5);
                s.put(w);
            }
            Value::Array(items) => {
                w.byte(6);
                items.put(w);
            }
            Value::Object(map) => {
                w.byte(7);
                w.varint(map.len() as u64);
                for (k, v) in map {
                    k.put(w);
                    v.put(w);
                }
            }
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        take_value(r, 0)
    }
}

/// Deepest nesting of lists and objects a JSON value read back may have (a bound, so that bad
/// bytes cannot recurse without end).
const MAX_VALUE_DEPTH: u32 = 32;

fn take_value(r: &mut Reader, depth: u32) -> Option<Value> {
    if depth > MAX_VALUE_DEPTH {
        return None;
    }
    Some(match r.byte()? {
        0 => Value::Null,
        1 => Value::Bool(bool::take(r)?),
        2 => Value::from(u64::take(r)?),
        3 => Value::from(u64::take(r)? as i64),
        4 => Value::Number(Number::from_f64(f64::take(r)?)?),
        5 => Value::String(String::take(r)?),
        6 => {
            let n = r.count()?;
            Value::Array(
                (0..n)
                    .map(|_| take_value(r, depth + 1))
                    .collect::<Option<_>>()?,
            )
        }
        7 => {
            let n = r.count()?;
            let mut map = Map::new();
            for _ in 0..n {
                let k = String::take(r)?;
                map.insert(k, take_value(r, depth + 1)?);
            }
            Value::Object(map)
        }
        _ => return None,
    })
}
wire_enum!(GeoRouting { 0 => Nearest, 1 => Split });
wire_struct!(Fault {
    target,
    at_s,
    duration_s,
    kind,
    factor,
    error_ratio,
    peer
});
wire_enum!(FaultKind { 0 => Down, 1 => Slow, 2 => Errors, 3 => Partition });

// The drawn form (a `v2.` link's, a graph file's).
wire_struct!(TopologyFile {
    version,
    name,
    stage,
    seed,
    duration_s,
    metrics_interval_ms,
    faults,
    topology
});
wire_struct!(Topology {
    version,
    nodes,
    edges,
    positions
});
wire_struct!(Position { x, y });
wire_struct!(Node { name, spec });
wire_struct!(Edge { from, to, flows });
wire_enum!(Flow {
    0 => PageView,
    1 => ApiRead,
    2 => Write,
    3 => StaticAsset,
    4 => Job,
    5 => Session,
    6 => Control,
});
wire_enum!(NodeSpec {
    0 => Users(p),
    1 => Dns(p),
    2 => GeoDns(p),
    3 => DataCenter(p),
    4 => CdnEdge(p),
    5 => LoadBalancer(p),
    6 => WebPool(p),
    7 => SessionStore(p),
    8 => Cache(p),
    9 => ShardRouter(p),
    10 => Database(p),
    11 => NoSql(p),
    12 => Queue(p),
    13 => Workers(p),
    14 => Autoscaler(p),
    15 => Deploy(p),
    16 => Monitor(p),
    17 => Plug(p),
});
wire_struct!(UsersParams { traffic, network });
wire_struct!(GeoDnsParams {
    dns,
    regions,
    rtt_ms,
    routing,
    health_interval_ms,
    unhealthy_after,
    healthy_after,
    replication_writes_per_s
});
wire_struct!(DataCenterParams {
    region,
    split_share,
    set
});
wire_struct!(BalancerParams {
    balancer,
    sticky_sessions
});
wire_struct!(SessionParams {
    store_workers,
    store_get
});
wire_struct!(QueueParams {
    jobs_per_write,
    max_depth
});
wire_struct!(WorkersParams {
    workers,
    job,
    autoscale
});
