//! The scenario's fields with their units and bounds: printed by `scalesim schema` and kept
//! equal to docs/scenario.md by a test.

/// Documentation of one scenario field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldDoc {
    /// Dotted path; `[]` stands for any list index.
    pub path: &'static str,
    /// Unit of the value, or `-`.
    pub unit: &'static str,
    /// Allowed values.
    pub bounds: &'static str,
    /// What it means.
    pub meaning: &'static str,
}

const fn field(
    path: &'static str,
    unit: &'static str,
    bounds: &'static str,
    meaning: &'static str,
) -> FieldDoc {
    FieldDoc {
        path,
        unit,
        bounds,
        meaning,
    }
}

const DIST_SHAPE: &str = "exponential | constant | lognormal";

/// Every field of a scenario, in document order.
pub const FIELDS: &[FieldDoc] = &[
    field("version", "-", "1", "scenario format version"),
    field("name", "-", "≤ 200 characters", "human name, shown as text"),
    field(
        "stage",
        "-",
        "1 – 10 (stage 11 is not simulated yet)",
        "which stage of growth this models (a label: features come from the fields)",
    ),
    field(
        "seed",
        "-",
        "0 – 2^64−1",
        "seed of the run's single random generator",
    ),
    field(
        "duration_s",
        "s",
        "1 – 86400",
        "simulated length of a batch run",
    ),
    field(
        "metrics_interval_ms",
        "ms",
        "10 – 60000, ≤ 100000 points per run",
        "width of one time-series bucket",
    ),
    field(
        "traffic.users",
        "users",
        "0 – 100000000",
        "size of the user population",
    ),
    field(
        "traffic.requests_per_user_per_s",
        "requests/s",
        "0 – 1000; users × rate ≤ 1000000",
        "mean Poisson request rate of one user",
    ),
    field(
        "traffic.mix.page_view",
        "weight",
        "≥ 0",
        "relative share of page views",
    ),
    field(
        "traffic.mix.api_read",
        "weight",
        "≥ 0",
        "relative share of API reads",
    ),
    field(
        "traffic.mix.write",
        "weight",
        "≥ 0",
        "relative share of writes",
    ),
    field(
        "traffic.mix.static_asset",
        "weight",
        "≥ 0 (some weight > 0)",
        "relative share of static assets",
    ),
    field(
        "traffic.client_timeout_ms",
        "ms",
        "1 – 600000",
        "a client gives up after this long",
    ),
    field(
        "traffic.keyspace.keys",
        "keys",
        "1 – 1000000",
        "distinct data keys (e.g. user ids) reads and writes touch",
    ),
    field(
        "traffic.keyspace.zipf_s",
        "-",
        "0 – 3",
        "Zipf popularity exponent (0 uniform, ~1 a few hot keys)",
    ),
    field("dns.lookup_ms", "ms", "0 – 10000", "time of one DNS lookup"),
    field(
        "dns.ttl_s",
        "s",
        "0 – 86400",
        "how long a client caches a DNS answer",
    ),
    field(
        "network.client_rtt_ms",
        "ms",
        "0 – 10000",
        "round trip between a client and the system",
    ),
    field(
        "network.internal_rtt_ms",
        "ms",
        "0 – 1000",
        "round trip between two nodes in the data center",
    ),
    field(
        "server.count",
        "servers",
        "1 – 1000 (more than 1 needs a load balancer)",
        "number of web servers",
    ),
    field(
        "server.speeds[]",
        "×",
        "0.1 – 4, at most one per server",
        "speed factor of each web server (missing: 1)",
    ),
    field(
        "server.workers",
        "workers",
        "1 – 10000",
        "requests the server works on at once",
    ),
    field(
        "server.queue_capacity",
        "requests",
        "0 – 1000000",
        "requests that may wait; one more is rejected",
    ),
    field(
        "server.service.page_view.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of a page view",
    ),
    field(
        "server.service.page_view.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean service time of a page view",
    ),
    field(
        "server.service.page_view.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "server.service.api_read.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of an API read",
    ),
    field(
        "server.service.api_read.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean service time of an API read",
    ),
    field(
        "server.service.api_read.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "server.service.write.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of a write",
    ),
    field(
        "server.service.write.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean service time of a write",
    ),
    field(
        "server.service.write.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "server.service.static_asset.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of a static asset",
    ),
    field(
        "server.service.static_asset.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean service time of a static asset",
    ),
    field(
        "server.service.static_asset.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "load_balancer.policy",
        "-",
        "round_robin | least_connections | random",
        "how the balancer picks a web server",
    ),
    field(
        "load_balancer.latency_ms",
        "ms",
        "0 – 1000",
        "time added by each pass through the balancer",
    ),
    field(
        "load_balancer.health_interval_ms",
        "ms",
        "10 – 600000",
        "time between health checks",
    ),
    field(
        "load_balancer.unhealthy_threshold",
        "checks",
        "1 – 100",
        "failed checks in a row before a server leaves the pool",
    ),
    field(
        "load_balancer.healthy_threshold",
        "checks",
        "1 – 100",
        "passed checks in a row before a server joins the pool",
    ),
    field(
        "database.kind",
        "-",
        "relational | key_value | document (default relational)",
        "relational: joins and transactions; key_value / document: single-key access only, so no cross-shard joins",
    ),
    field(
        "database.workers",
        "workers",
        "1 – 64 (the biggest machine)",
        "queries one database node works on at once",
    ),
    field(
        "database.speed",
        "×",
        "0.25 – 4 (the fastest machine)",
        "speed factor of a database node",
    ),
    field(
        "database.queue_capacity",
        "queries",
        "0 – 1000000",
        "queries that may wait at a node",
    ),
    field(
        "database.read.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of a read query",
    ),
    field(
        "database.read.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean service time of a read query at speed 1",
    ),
    field(
        "database.read.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "database.write.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of a write",
    ),
    field(
        "database.write.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean service time of a write at speed 1",
    ),
    field(
        "database.write.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "database.replicas",
        "replicas",
        "0 – 16",
        "read replicas of the master",
    ),
    field(
        "database.read_policy",
        "-",
        "round_robin | least_loaded",
        "how reads pick a replica",
    ),
    field(
        "database.replication.delay_ms",
        "ms",
        "0 – 60000",
        "network delay from master to replica",
    ),
    field(
        "database.replication.apply_ms",
        "ms",
        "0.001 – 60000",
        "time a replica takes to apply one write (one at a time)",
    ),
    field(
        "database.failover.detection_ms",
        "ms",
        "0 – 600000",
        "time until a dead or recovered node is noticed",
    ),
    field(
        "database.failover.promotion_ms",
        "ms",
        "0 – 600000",
        "time to promote a replica after the master's death is noticed",
    ),
    field(
        "cache.nodes",
        "nodes",
        "1 – 64",
        "cache nodes; keys spread by consistent hashing",
    ),
    field(
        "cache.capacity_items",
        "items",
        "1 – 1000000",
        "items one cache node holds",
    ),
    field(
        "cache.ttl_s",
        "s",
        "0 – 86400 (0: never expire)",
        "time to live of a cached item",
    ),
    field(
        "cache.eviction",
        "-",
        "lru | lfu | fifo",
        "which item a full node drops",
    ),
    field(
        "cache.write_policy",
        "-",
        "invalidate | ttl_only",
        "whether a write deletes the cached copy",
    ),
    field(
        "cache.workers",
        "workers",
        "1 – 10000",
        "lookups one node works on at once",
    ),
    field(
        "cache.get.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of a lookup",
    ),
    field(
        "cache.get.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean service time of a lookup",
    ),
    field(
        "cache.get.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "cache.virtual_nodes",
        "points",
        "1 – 1000",
        "points per node on the hash ring",
    ),
    field(
        "traffic.profile.kind",
        "-",
        "constant | ramp | spike | cycle",
        "how the request rate changes over time",
    ),
    field(
        "traffic.profile.factor",
        "×",
        "0 – 100",
        "ramp: final factor; spike: factor during the spike",
    ),
    field(
        "traffic.profile.start_s",
        "s",
        "0 – 86400",
        "ramp: when it starts",
    ),
    field(
        "traffic.profile.end_s",
        "s",
        "> start_s",
        "ramp: when it reaches the factor",
    ),
    field(
        "traffic.profile.at_s",
        "s",
        "0 – 86400",
        "spike: when it starts",
    ),
    field(
        "traffic.profile.duration_s",
        "s",
        "0 – 86400",
        "spike: how long it lasts",
    ),
    field(
        "traffic.profile.period_s",
        "s",
        "1 – 604800",
        "cycle: period",
    ),
    field(
        "traffic.profile.amplitude",
        "-",
        "0 – 1",
        "cycle: relative swing",
    ),
    field(
        "cdn.edge_rtt_ms",
        "ms",
        "0 – 10000",
        "round trip between a user and the edge",
    ),
    field(
        "cdn.hit_ms",
        "ms",
        "0 – 10000",
        "time the edge takes to answer from its cache",
    ),
    field(
        "cdn.objects",
        "objects",
        "1 – 1000000",
        "distinct static objects",
    ),
    field(
        "cdn.object_kb_mean",
        "KB",
        "0.1 – 1000000",
        "mean object size",
    ),
    field(
        "cdn.zipf_s",
        "-",
        "0 – 3",
        "Zipf exponent of object popularity",
    ),
    field(
        "cdn.capacity_objects",
        "objects",
        "1 – 1000000",
        "objects the edge holds (LRU)",
    ),
    field(
        "cdn.ttl_s",
        "s",
        "0 – 31536000 (0: never expire)",
        "time an object stays at the edge",
    ),
    field(
        "cdn.fallback_timeout_ms",
        "ms",
        "0 – 600000",
        "wait for a dead edge before going to the origin",
    ),
    field(
        "cdn.edge_price_per_gb",
        "$/GB",
        "0 – 1000",
        "price of edge egress (an assumption)",
    ),
    field(
        "cdn.origin_price_per_gb",
        "$/GB",
        "0 – 1000",
        "price of origin egress (an assumption)",
    ),
    field(
        "sessions.mode",
        "-",
        "sticky | shared_store",
        "where sessions live",
    ),
    field(
        "sessions.store_workers",
        "workers",
        "1 – 10000",
        "session reads the store serves at once",
    ),
    field(
        "sessions.store_get.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of a session read",
    ),
    field(
        "sessions.store_get.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean service time of a session read",
    ),
    field(
        "sessions.store_get.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "autoscaling.min_servers",
        "servers",
        "1 – 1000",
        "fewest web servers",
    ),
    field(
        "autoscaling.max_servers",
        "servers",
        "min – 1000",
        "most web servers",
    ),
    field(
        "autoscaling.target_utilization",
        "-",
        "0.05 – 1",
        "mean web utilization aimed for",
    ),
    field(
        "autoscaling.evaluation_interval_s",
        "s",
        "1 – 3600",
        "time between scaling decisions",
    ),
    field(
        "autoscaling.scale_out_delay_s",
        "s",
        "0 – 3600",
        "boot time of a new server",
    ),
    field(
        "autoscaling.scale_in_cooldown_s",
        "s",
        "0 – 86400",
        "quiet time after any action before removing servers",
    ),
    field(
        "queue.jobs_per_write",
        "-",
        "0 – 1",
        "share of writes that publish a slow job",
    ),
    field(
        "queue.max_depth",
        "jobs",
        "1 – 10000000",
        "jobs the queue holds; beyond it the write fails",
    ),
    field(
        "queue.workers",
        "workers",
        "0 – 10000",
        "workers consuming jobs",
    ),
    field(
        "queue.job.shape",
        "-",
        DIST_SHAPE,
        "service-time distribution of a job",
    ),
    field(
        "queue.job.mean_ms",
        "ms",
        "0.001 – 600000",
        "mean time of one job",
    ),
    field(
        "queue.job.cv",
        "-",
        "0.01 – 10",
        "coefficient of variation (lognormal only)",
    ),
    field(
        "queue.autoscale.min_workers",
        "workers",
        "0 – 10000",
        "fewest workers",
    ),
    field(
        "queue.autoscale.max_workers",
        "workers",
        "min – 10000",
        "most workers",
    ),
    field(
        "queue.autoscale.jobs_per_worker",
        "jobs",
        "1 – 1000000",
        "backlog per worker aimed for",
    ),
    field(
        "queue.autoscale.interval_s",
        "s",
        "1 – 3600",
        "time between decisions",
    ),
    field(
        "queue.autoscale.start_delay_s",
        "s",
        "0 – 3600",
        "time for new workers to start",
    ),
    field("sharding.shards", "shards", "1 – 64", "database shards, each a master with `database.replicas` replicas"),
    field("sharding.strategy", "-", "modulo | consistent_hash", "how a key (user id) maps to a shard"),
    field("sharding.virtual_nodes", "points", "1 – 1000", "points per shard on the hash ring"),
    field("sharding.hot_keys[].key", "key", "inside the keyspace", "a celebrity key"),
    field("sharding.hot_keys[].share", "-", "0 – 1, all together ≤ 1", "share of data requests for it"),
    field("sharding.cross_shard_share", "-", "0 – 1", "share of reads that query every shard in turn"),
    field("sharding.reshard.at_s", "s", "0 – 86400", "when the data is resharded"),
    field("sharding.reshard.to_shards", "shards", "1 – 64", "shards after resharding"),
    field("sharding.denormalise.write_factor", "copies", "2 – shards (needs ≥ 2 shards)", "denormalised data: every write is stored this many times (its shard and the next ones) so cross-shard reads become single-shard reads"),
    field("nosql.kind", "-", "key_value | document", "kind of the NoSQL store beside the database"),
    field("nosql.share", "-", "0 – 1", "share of data requests (feeds, sessions, counters) sent to the NoSQL store instead of the database"),
    field("nosql.nodes", "nodes", "1 – 64", "NoSQL nodes; keys spread over them (key mod nodes)"),
    field("nosql.workers", "workers", "1 – 10000", "requests one NoSQL node works on at once"),
    field("nosql.queue_capacity", "requests", "0 – 1000000", "requests that may wait at a NoSQL node"),
    field("nosql.read.shape", "-", DIST_SHAPE, "service-time distribution of a NoSQL read"),
    field("nosql.read.mean_ms", "ms", "0.001 – 600000", "mean time of a single-key read"),
    field("nosql.read.cv", "-", "0.01 – 10", "coefficient of variation (lognormal only)"),
    field("nosql.write.shape", "-", DIST_SHAPE, "service-time distribution of a NoSQL write"),
    field("nosql.write.mean_ms", "ms", "0.001 – 600000", "mean time of a single-key write"),
    field("nosql.write.cv", "-", "0.01 – 10", "coefficient of variation (lognormal only)"),
    field("deploy.at_s", "s", "0 – 86400 (absent: started live only)", "when a rolling deploy of the web tier starts"),
    field("deploy.batch_size", "servers", "1 – 1000", "servers taken out of the load balancer at once"),
    field("deploy.drain", "-", "true | false (true needs a load balancer)", "wait for requests in progress to finish before stopping a server"),
    field("deploy.drain_timeout_ms", "ms", "0 – 600000", "longest wait for a server to drain; requests still in progress then fail"),
    field("deploy.startup_s", "s", "0 – 3600", "time a restarted server takes to start before health checks can pass"),
    field("monitoring.alerts[].name", "-", "≤ 80 characters", "alert name shown in the event log"),
    field("monitoring.alerts[].metric", "-", "latency_p99_ms | error_ratio | web_utilization | db_utilization | replication_lag_ms | queue_depth | cache_hit_ratio", "what the alert watches"),
    field("monitoring.alerts[].threshold", "metric's unit", "finite", "the limit"),
    field("monitoring.alerts[].above", "-", "true | false", "fire above (true) or below (false) the threshold"),
    field("monitoring.alerts[].for_s", "s", "0 – 86400", "how long the condition must hold before firing"),
    field(
        "faults[].target",
        "-",
        "dns, web-N, db-N (shard-S-db-N when sharded), cache-N, cdn, sessions, workers, nosql-N",
        "component that goes down",
    ),
    field("faults[].at_s", "s", "0 – 86400", "when it goes down"),
    field(
        "faults[].duration_s",
        "s",
        "0 – 86400 (0: until the end)",
        "how long it stays down",
    ),
];

/// The field table as Markdown (the content of docs/scenario.md).
pub fn schema_markdown() -> String {
    let mut out = String::from(
        "# Scenario fields\n\n\
         Generated by `scalesim schema`; a test keeps this file equal to its output.\n\
         Set any field from the command line with `scalesim run --preset 1 --set PATH=VALUE`.\n\n\
         | field | unit | allowed | meaning |\n|---|---|---|---|\n",
    );
    for f in FIELDS {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            f.path, f.unit, f.bounds, f.meaning
        ));
    }
    out
}
