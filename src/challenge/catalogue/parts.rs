//! Small parts the challenges' architectures are built from: a server, a database, a
//! balancer, a cache, a CDN, data centers. Speeds are the hardware's (see
//! [`crate::challenge::hardware`]); these set only what an architect chooses.

use crate::challenge::hardware;
use crate::scenario::{
    Autoscaling, BalancePolicy, CacheTier, Cdn, DataCenter, Database, Dist, Dns, Eviction,
    Failover, Geo, GeoRouting, Keyspace, LoadBalancer, Network, Profile, ReadPolicy, Replication,
    RequestMix, Scenario, Server, SessionMode, Sessions, Shape, ShardStrategy, Sharding, Traffic,
    WritePolicy, DEFAULT_MIGRATION_KEYS_PER_S, SCENARIO_VERSION,
};

/// One server doing everything (no database node), with `workers` workers.
pub fn all_in_one(name: &str, workers: u32) -> Scenario {
    Scenario {
        version: SCENARIO_VERSION,
        name: name.to_string(),
        stage: 1,
        seed: 1,
        duration_s: 60,
        metrics_interval_ms: 1000,
        traffic: Traffic {
            users: 100,
            requests_per_user_per_s: 0.2,
            mix: RequestMix {
                page_view: 30.0,
                api_read: 40.0,
                write: 10.0,
                static_asset: 20.0,
            },
            client_timeout_ms: 5000.0,
            keyspace: Keyspace::default(),
            profile: Profile::Constant,
            retries: None,
        },
        dns: Dns {
            lookup_ms: 20.0,
            ttl_s: 300,
        },
        network: Network {
            client_rtt_ms: 40.0,
            internal_rtt_ms: 0.5,
        },
        server: Server {
            count: 1,
            speeds: Vec::new(),
            sync_calls: false,
            breaker: None,
            workers,
            queue_capacity: 200,
            service: hardware::all_in_one_service(),
        },
        load_balancer: None,
        database: None,
        cache: None,
        cdn: None,
        sessions: None,
        autoscaling: None,
        queue: None,
        sharding: None,
        monitoring: None,
        nosql: None,
        deploy: None,
        more_caches: Vec::new(),
        more_web_pools: Vec::new(),
        more_databases: Vec::new(),
        plugs: Vec::new(),
        more_nosql: Vec::new(),
        routes: None,
        geo: None,
        faults: Vec::new(),
    }
}

/// A database cluster: a master and `replicas` replicas of `workers` workers each.
pub fn database(workers: u32, replicas: u32) -> Database {
    Database {
        kind: crate::scenario::StoreKind::Relational,
        workers,
        speed: 1.0,
        queue_capacity: 200,
        read: Dist::exponential(8.0),
        write: Dist::exponential(15.0),
        replicas,
        read_policy: ReadPolicy::LeastLoaded,
        replication: Replication {
            delay_ms: 20.0,
            apply_ms: hardware::APPLY_MS,
        },
        failover: Failover {
            detection_ms: hardware::DETECTION_MS,
            promotion_ms: hardware::PROMOTION_MS,
        },
    }
}

/// `servers` web servers of `workers` workers in front of `db` (a balancer when more than one).
pub fn with_database(name: &str, servers: u32, workers: u32, db: Database) -> Scenario {
    let mut s = all_in_one(name, workers);
    s.stage = 2;
    s.server.count = servers;
    s.server.service = hardware::web_service();
    s.database = Some(db);
    if servers > 1 {
        s.stage = 3;
        s.load_balancer = Some(balancer());
    }
    s
}

/// Like [`with_database`], always behind a load balancer.
pub fn balanced(name: &str, servers: u32, workers: u32, db: Database) -> Scenario {
    let mut s = with_database(name, servers, workers, db);
    s.stage = s.stage.max(3);
    s.load_balancer = Some(balancer());
    if s.database.as_ref().is_some_and(|d| d.replicas > 0) {
        s.stage = 4;
    }
    s
}

/// A round-robin balancer checking every server each second (two misses take it out).
pub fn balancer() -> LoadBalancer {
    LoadBalancer {
        policy: BalancePolicy::RoundRobin,
        latency_ms: 0.5,
        health_interval_ms: 1000.0,
        unhealthy_threshold: 2,
        healthy_threshold: 2,
    }
}

/// A cache tier of `nodes` nodes holding `items` each.
pub fn cache(nodes: u32, items: u32, write_policy: WritePolicy, ttl_s: f64) -> CacheTier {
    CacheTier {
        nodes,
        capacity_items: items,
        ttl_s,
        eviction: Eviction::Lru,
        write_policy,
        workers: 32,
        get: Dist {
            shape: Shape::Constant,
            mean_ms: 0.3,
            cv: 1.0,
        },
        virtual_nodes: 100,
        coalesce: None,
    }
}

/// A CDN edge holding every static object for an hour.
pub fn cdn() -> Cdn {
    Cdn {
        edge_rtt_ms: 10.0,
        hit_ms: 1.0,
        objects: 20,
        object_kb_mean: 20.0,
        zipf_s: 0.9,
        capacity_objects: 1000,
        ttl_s: 3600.0,
        fallback_timeout_ms: 2000.0,
        edge_price_per_gb: 0.05,
        origin_price_per_gb: 0.09,
    }
}

/// Sessions in a shared store (any server can serve anyone).
pub fn shared_sessions() -> Sessions {
    Sessions {
        mode: SessionMode::SharedStore,
        store_workers: 64,
        store_get: Dist {
            shape: Shape::Constant,
            mean_ms: 0.5,
            cv: 1.0,
        },
    }
}

/// An autoscaling group of `min`–`max` servers aiming at `target` utilization.
pub fn autoscaling(min: u32, max: u32, target: f64) -> Autoscaling {
    Autoscaling {
        min_servers: min,
        max_servers: max,
        target_utilization: target,
        evaluation_interval_s: 5.0,
        scale_out_delay_s: hardware::BOOT_S,
        scale_in_cooldown_s: 60.0,
    }
}

/// Launch day's start: a fleet sized for the quiet morning, a cache, shared sessions.
pub fn launch_start() -> Scenario {
    let mut s = balanced("sized for the morning", 2, 8, database(16, 0));
    s.stage = 7;
    s.cache = Some(cache(1, 20_000, WritePolicy::Invalidate, 300.0));
    s.sessions = Some(shared_sessions());
    s
}

/// Old news's start: a cache that leaves written keys to their TTL.
pub fn stale_start() -> Scenario {
    let mut s = balanced("cache left to its TTL", 2, 8, database(8, 0));
    s.stage = 5;
    s.cache = Some(cache(1, 20_000, WritePolicy::TtlOnly, 300.0));
    s
}

/// Four shards of `workers` workers without replicas.
pub fn shards(count: u32) -> Sharding {
    Sharding {
        shards: count,
        strategy: ShardStrategy::ConsistentHash,
        virtual_nodes: 200,
        hot_keys: Vec::new(),
        cross_shard_share: 0.0,
        reshard: None,
        migration_keys_per_s: DEFAULT_MIGRATION_KEYS_PER_S,
        denormalise: None,
    }
}

/// A celebrity's start: four small shards, no cache.
pub fn celebrity_start() -> Scenario {
    let mut s = balanced("four small shards", 4, 8, database(2, 0));
    s.stage = 10;
    s.sharding = Some(shards(4));
    s
}

/// The write wall's start: one big master and a replica.
pub fn write_start() -> Scenario {
    let mut s = balanced("one master, one replica", 4, 8, database(16, 1));
    s.stage = 4;
    s
}

/// One data center in `us-east` (north America) behind geoDNS, answers cached `ttl_s`.
pub fn one_data_center(name: &str, ttl_s: u32) -> Scenario {
    let mut s = balanced(name, 2, 8, database(8, 0));
    s.stage = 11;
    s.dns.ttl_s = ttl_s;
    s.geo = Some(Geo {
        regions: crate::challenge::catalogue::world_regions(),
        rtt_ms: vec![vec![20.0, 90.0], vec![90.0, 20.0]],
        data_centers: vec![DataCenter {
            name: "us-east".to_string(),
            region: "north-america".to_string(),
            set: Default::default(),
        }],
        routing: GeoRouting::Nearest,
        split_share: Vec::new(),
        health_interval_ms: 10_000.0,
        unhealthy_after: 3,
        healthy_after: 3,
        replication_writes_per_s: 5_000.0,
    });
    s
}

/// Adds `eu-west` (Europe) to a one-data-center scenario.
pub fn add_eu_west(s: &mut Scenario) {
    if let Some(geo) = &mut s.geo {
        geo.data_centers.push(DataCenter {
            name: "eu-west".to_string(),
            region: "europe".to_string(),
            set: Default::default(),
        });
    }
}
