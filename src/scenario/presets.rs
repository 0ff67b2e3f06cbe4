//! The eleven stages and their preset scenarios. Each preset tells one stage's story.

use super::{
    AlertMetric, AlertRule, Autoscaling, BalancePolicy, CacheTier, Cdn, DataCenter, Database, Dist,
    Dns, Eviction, Failover, Fault, Geo, GeoRouting, HotKey, JobQueue, Keyspace, LoadBalancer,
    Monitoring, Network, Profile, ReadPolicy, Region, Replication, RequestMix, ReshardPlan,
    Scenario, Server, ServiceTimes, SessionMode, Sessions, Shape, ShardStrategy, Sharding,
    StoreKind, Traffic, WorkerAutoscale, WritePolicy, DEFAULT_MIGRATION_KEYS_PER_S,
    SCENARIO_VERSION,
};

/// One of the eleven stages of growth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StageInfo {
    /// 1 to 11.
    pub number: u8,
    /// Short title.
    pub title: &'static str,
    /// One sentence on what the stage adds.
    pub summary: &'static str,
    /// Whether the simulation models this stage yet.
    pub built: bool,
}

/// The eleven stages, in order.
pub const STAGES: [StageInfo; 11] = [
    StageInfo {
        number: 1,
        title: "Single server",
        summary: "One machine runs the web app, the database and the cache; users find it through DNS.",
        built: true,
    },
    StageInfo {
        number: 2,
        title: "Separate database",
        summary: "Web and data tiers on their own nodes, each scaled on its own.",
        built: true,
    },
    StageInfo {
        number: 3,
        title: "Load balancer",
        summary: "A balancer spreads traffic over a pool of web servers and routes around dead ones.",
        built: true,
    },
    StageInfo {
        number: 4,
        title: "Database replication",
        summary: "Writes go to a master, reads to replicas; a replica is promoted when the master dies.",
        built: true,
    },
    StageInfo {
        number: 5,
        title: "Cache tier",
        summary: "Hot keys are served from memory, so most reads never reach the database.",
        built: true,
    },
    StageInfo {
        number: 6,
        title: "CDN",
        summary: "Static assets come from an edge near the user instead of the origin.",
        built: true,
    },
    StageInfo {
        number: 7,
        title: "Stateless web tier",
        summary: "Sessions move to a shared store, so any server can serve anyone and the pool can autoscale.",
        built: true,
    },
    StageInfo {
        number: 8,
        title: "Message queue",
        summary: "Slow jobs go to a durable queue drained by workers, so requests stay fast.",
        built: true,
    },
    StageInfo {
        number: 9,
        title: "Logging, metrics, monitoring",
        summary: "Every component reports metrics; alerts fire when thresholds are crossed.",
        built: true,
    },
    StageInfo {
        number: 10,
        title: "Database sharding",
        summary: "Users are split over shards by key; hot keys and resharding show the costs.",
        built: true,
    },
    StageInfo {
        number: 11,
        title: "Multiple data centers",
        summary: "GeoDNS sends each user to the nearest healthy data center; failover follows DNS expiry.",
        built: true,
    },
];

/// The preset scenario of a stage, or `None` for a stage that is not simulated yet.
pub fn preset(stage: u8) -> Option<Scenario> {
    match stage {
        1 => Some(single_server()),
        2 => Some(separate_database()),
        3 => Some(load_balancer()),
        4 => Some(replication()),
        5 => Some(cache_tier()),
        6 => Some(cdn()),
        7 => Some(stateless_web()),
        8 => Some(message_queue()),
        9 => Some(monitoring()),
        10 => Some(sharding()),
        11 => Some(data_centers()),
        _ => None,
    }
}

/// The traffic model every stage shares, so the users axis means the same thing from stage 1
/// to stage 11: a daily active user of a web product at the busy hour.
///
/// About 430 requests a day (page views with their API reads, a few writes such as posts and
/// likes, and the static assets not already in the browser's cache), twice the daily average
/// at the busy hour: one request every 100 s (a mean think time of 100 s between requests,
/// each user a Poisson process). Stage 11 spreads the same users over three regions
/// ([`REGION_SHARES`]).
pub const REQUESTS_PER_USER_PER_S: f64 = 0.01;

/// The request mix of every stage: page views, API reads, writes, static assets (weights).
pub const REQUEST_MIX: RequestMix = RequestMix {
    page_view: 30.0,
    api_read: 40.0,
    write: 10.0,
    static_asset: 20.0,
};

/// Where stage 11's users live: North America, Europe, Asia, as shares of all users (0 – 1).
pub const REGION_SHARES: [(&str, f64); 3] =
    [("north-america", 0.5), ("europe", 0.35), ("asia", 0.15)];

/// [`REQUESTS_PER_USER_PER_S`] and [`REQUEST_MIX`] for `users` users over the default keyspace,
/// at a constant rate.
pub fn journey_traffic(users: u64) -> Traffic {
    Traffic {
        users,
        requests_per_user_per_s: REQUESTS_PER_USER_PER_S,
        mix: REQUEST_MIX,
        client_timeout_ms: 5000.0,
        keyspace: Keyspace::default(),
        profile: Profile::Constant,
        retries: None,
    }
}

/// Stage 1: a thousand users on one small two-worker server that does everything (renders
/// pages, runs the queries, serves the files, resizes uploaded photos inside the request).
fn single_server() -> Scenario {
    Scenario {
        version: SCENARIO_VERSION,
        name: "Stage 1: single server".to_string(),
        stage: 1,
        seed: 1,
        duration_s: 120,
        metrics_interval_ms: 1000,
        traffic: journey_traffic(1000),
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
            workers: 2,
            queue_capacity: 200,
            service: ServiceTimes {
                page_view: Dist {
                    shape: Shape::Lognormal,
                    mean_ms: 40.0,
                    cv: 0.5,
                },
                api_read: Dist::exponential(15.0),
                write: Dist {
                    shape: Shape::Lognormal,
                    mean_ms: 50.0,
                    cv: 0.7,
                },
                static_asset: Dist {
                    shape: Shape::Constant,
                    mean_ms: STATIC_ORIGIN_MS,
                    cv: 1.0,
                },
            },
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

/// Time a web server spends sending one static asset (about 150 KB from disk over TLS), in ms.
const STATIC_ORIGIN_MS: f64 = 20.0;

/// Stage 2: the data work moves to its own big node (56 workers), and the web node, which now
/// only renders, serves files and resizes photos, is scaled up to 16 workers: as big as one
/// machine gets here, and still what saturates first.
fn separate_database() -> Scenario {
    let mut s = single_server();
    s.name = "Stage 2: separate database".to_string();
    s.stage = 2;
    s.traffic.users = 20_000;
    s.server.workers = 16;
    s.server.service.page_view.mean_ms = 15.0;
    s.server.service.api_read = Dist::exponential(5.0);
    // Photo uploads are still resized inside the request (stage 8 moves that to a queue).
    s.server.service.write.mean_ms = 40.0;
    s.database = Some(Database {
        kind: StoreKind::Relational,
        workers: 56,
        speed: 1.0,
        queue_capacity: 200,
        read: Dist::exponential(5.0),
        write: Dist::exponential(8.0),
        replicas: 0,
        read_policy: ReadPolicy::RoundRobin,
        replication: Replication {
            delay_ms: 20.0,
            apply_ms: 5.0,
        },
        failover: Failover {
            detection_ms: 5000.0,
            promotion_ms: 3000.0,
        },
    });
    s
}

/// Stage 3: a load balancer in front of a pool of 24 web servers, so the web tier is no
/// longer the limit: the one database node is. One server dies at 40 s and keeps receiving
/// (and failing) requests until the health checks take it out.
fn load_balancer() -> Scenario {
    let mut s = separate_database();
    s.name = "Stage 3: load balancer".to_string();
    s.stage = 3;
    s.traffic.users = 60_000;
    s.server.count = 24;
    s.load_balancer = Some(LoadBalancer {
        policy: BalancePolicy::RoundRobin,
        latency_ms: 0.5,
        health_interval_ms: 2000.0,
        unhealthy_threshold: 2,
        healthy_threshold: 2,
    });
    s.faults = vec![Fault {
        target: "web-1".to_string(),
        at_s: 40.0,
        duration_s: 30.0,
        kind: crate::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    s
}

/// Stage 4: the master keeps the writes and a read replica takes the reads. The master dies at
/// 60 s: writes fail while the death is detected and the replica promoted; writes not yet
/// replicated are lost.
fn replication() -> Scenario {
    let mut s = load_balancer();
    s.name = "Stage 4: master and replicas".to_string();
    s.stage = 4;
    s.traffic.users = 100_000;
    if let Some(db) = &mut s.database {
        db.replicas = 1;
        db.read_policy = ReadPolicy::LeastLoaded;
        // 2,000 writes/s of apply capacity: well above the writes at the limit.
        db.replication.apply_ms = 0.5;
        db.replication.delay_ms = 20.0;
    }
    s.faults = vec![Fault {
        target: "db-0".to_string(),
        at_s: 60.0,
        duration_s: 30.0,
        kind: crate::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    s
}

/// Stage 5: a cache tier in front of the database: most reads hit the cache (hot keys of a
/// Zipf keyspace), so the replica sees a fraction of them and the web tier is the limit again.
/// Cache node cache-0 dies at 60 s: its keys go cold and the database load jumps.
fn cache_tier() -> Scenario {
    let mut s = replication();
    s.name = "Stage 5: cache tier".to_string();
    s.stage = 5;
    s.traffic.users = 200_000;
    if let Some(db) = &mut s.database {
        // A short delay keeps cache fills from the replica mostly fresh.
        db.replication.delay_ms = 5.0;
    }
    s.cache = Some(CacheTier {
        nodes: 3,
        capacity_items: 40_000,
        ttl_s: 300.0,
        eviction: Eviction::Lru,
        write_policy: WritePolicy::Invalidate,
        workers: 32,
        get: Dist {
            shape: Shape::Constant,
            mean_ms: 0.3,
            cv: 1.0,
        },
        virtual_nodes: 100,
        coalesce: None,
    });
    s.faults = vec![Fault {
        target: "cache-0".to_string(),
        at_s: 60.0,
        duration_s: 30.0,
        kind: crate::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    s
}

/// Stage 6: a CDN edge serves static assets near the users, which takes the files' share of
/// work off the web servers; the edge dies at 60 s for 20 s and clients fall back to the
/// origin after a timeout.
fn cdn() -> Scenario {
    let mut s = cache_tier();
    s.name = "Stage 6: CDN".to_string();
    s.stage = 6;
    s.traffic.users = 400_000;
    s.cdn = Some(Cdn {
        edge_rtt_ms: 10.0,
        hit_ms: 1.0,
        objects: 20_000,
        object_kb_mean: 150.0,
        zipf_s: 0.9,
        capacity_objects: 10_000,
        ttl_s: 86_400.0,
        fallback_timeout_ms: 2000.0,
        edge_price_per_gb: 0.05,
        origin_price_per_gb: 0.09,
    });
    s.faults = vec![Fault {
        target: "cdn".to_string(),
        at_s: 60.0,
        duration_s: 20.0,
        kind: crate::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    s
}

/// Stage 7: sessions move to a shared store, so any web server can serve anyone, and an
/// autoscaling group may grow the pool from 24 to 40 servers (target 50 % busy; new servers
/// take 20 s to boot). Traffic doubles from 60 s to 120 s; at the preset's 400,000 users the
/// pool stays under its target even then (about 12 % busy, 24 % in the spike): the tour's
/// "Start with 8 web servers" (the same load on a third of the pool: at 70 s, in the spike,
/// the group launches 4 servers) and "Send 2,000,000 users" are what make it launch servers.
fn stateless_web() -> Scenario {
    let mut s = cdn();
    s.name = "Stage 7: stateless web tier".to_string();
    s.stage = 7;
    s.duration_s = 180;
    s.faults.clear();
    s.traffic.profile = Profile::Spike {
        at_s: 60.0,
        duration_s: 60.0,
        factor: 2.0,
    };
    s.sessions = Some(Sessions {
        mode: SessionMode::SharedStore,
        store_workers: 128,
        store_get: Dist {
            shape: Shape::Constant,
            mean_ms: 0.5,
            cv: 1.0,
        },
    });
    s.autoscaling = Some(Autoscaling {
        min_servers: s.server.count,
        max_servers: 40,
        target_utilization: 0.5,
        evaluation_interval_s: 10.0,
        scale_out_delay_s: 20.0,
        scale_in_cooldown_s: 120.0,
    });
    s
}

/// Stage 8: the photo a write uploads is no longer resized inside the request: the write
/// publishes a processing job to a durable queue and workers drain it, so writes take 5 ms of
/// a web server instead of 40. The workers die at 60 s for 30 s: the backlog grows, nothing
/// is lost, and it drains when they return (with more workers, as the scaler reacts).
fn message_queue() -> Scenario {
    let mut s = stateless_web();
    s.name = "Stage 8: message queue".to_string();
    s.stage = 8;
    s.traffic.profile = Profile::Constant;
    s.server.service.write = Dist::exponential(5.0);
    s.queue = Some(JobQueue {
        jobs_per_write: 0.1,
        max_depth: 1_000_000,
        workers: 128,
        job: Dist {
            shape: Shape::Lognormal,
            mean_ms: 500.0,
            cv: 0.5,
        },
        autoscale: Some(WorkerAutoscale {
            min_workers: 64,
            max_workers: 512,
            jobs_per_worker: 5.0,
            interval_s: 10.0,
            start_delay_s: 15.0,
        }),
        job_writes_to_db: false,
    });
    s.faults = vec![Fault {
        target: "workers".to_string(),
        at_s: 60.0,
        duration_s: 30.0,
        kind: crate::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    s
}

/// Stage 9: the same system, now watched. Every component reports metrics each second and
/// alert rules fire and resolve. The master dies at 60 s (writes fail: the error-ratio alert
/// fires) and the workers at 100 s (the backlog alert fires).
fn monitoring() -> Scenario {
    let mut s = message_queue();
    s.name = "Stage 9: logging, metrics, monitoring".to_string();
    s.stage = 9;
    let rule = |name: &str, metric, threshold, for_s| AlertRule {
        name: name.to_string(),
        metric,
        threshold,
        above: true,
        for_s,
    };
    s.monitoring = Some(Monitoring {
        alerts: vec![
            rule(
                "p99 latency over 300 ms",
                AlertMetric::LatencyP99Ms,
                300.0,
                5.0,
            ),
            rule("errors over 1%", AlertMetric::ErrorRatio, 0.01, 2.0),
            rule(
                "database busier than 80%",
                AlertMetric::DbUtilization,
                0.8,
                10.0,
            ),
            rule(
                "replica lag over 1 s",
                AlertMetric::ReplicationLagMs,
                1000.0,
                5.0,
            ),
            rule(
                "job backlog over 1,000",
                AlertMetric::QueueDepth,
                1000.0,
                10.0,
            ),
            AlertRule {
                name: "cache hit ratio under 50%".to_string(),
                metric: AlertMetric::CacheHitRatio,
                threshold: 0.5,
                above: false,
                for_s: 10.0,
            },
        ],
    });
    s.faults = vec![
        Fault {
            target: "db-0".to_string(),
            at_s: 60.0,
            duration_s: 30.0,
            kind: crate::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        },
        Fault {
            target: "workers".to_string(),
            at_s: 100.0,
            duration_s: 40.0,
            kind: crate::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        },
    ];
    s
}

/// Stage 10: the data is split over four shards by user id on a consistent-hash ring, each a
/// master with a replica, so four masters share the writes. A celebrity (user 7) draws 10% of
/// the data requests, so one shard runs hotter than the rest; 2% of reads query every shard;
/// at 120 s a fifth shard is added and about a fifth of the keys move, copied at 400 keys/s.
fn sharding() -> Scenario {
    let mut s = monitoring();
    s.name = "Stage 10: database sharding".to_string();
    s.stage = 10;
    s.faults.clear();
    s.duration_s = 180;
    s.traffic.users = 500_000;
    s.sharding = Some(Sharding {
        shards: 4,
        strategy: ShardStrategy::ConsistentHash,
        virtual_nodes: 200,
        hot_keys: vec![HotKey { key: 7, share: 0.1 }],
        cross_shard_share: 0.02,
        reshard: Some(ReshardPlan {
            at_s: 120.0,
            to_shards: 5,
        }),
        migration_keys_per_s: DEFAULT_MIGRATION_KEYS_PER_S,
        denormalise: None,
    });
    s
}

/// Stage 11: ten million users on three continents, two data centers (US East, EU West), each
/// a full copy of the stage-10 stack: Europe's users no longer share one data center with
/// everyone else (US East carries North America and Asia, 65%; EU West Europe, 35%). About
/// 100k requests/s at the daily mean. US East fails at 150 s for two minutes: geoDNS notices
/// after three failed checks, and users move to EU West only as their cached answers (60 s)
/// expire; writes US East had not yet shipped across the Atlantic are lost.
fn data_centers() -> Scenario {
    let mut s = sharding();
    s.name = "Stage 11: multiple data centers".to_string();
    s.stage = 11;
    s.duration_s = 360;
    s.traffic.users = 10_000_000;
    s.traffic.profile = Profile::Cycle {
        period_s: 720.0,
        amplitude: 0.25,
    };
    s.dns.ttl_s = 60;
    if let Some(sharding) = &mut s.sharding {
        sharding.hot_keys.clear();
        sharding.cross_shard_share = 0.0;
        sharding.reshard = None;
    }
    s.geo = Some(Geo {
        regions: REGION_SHARES
            .iter()
            .map(|&(name, users_share)| Region {
                name: name.to_string(),
                users_share,
            })
            .collect(),
        rtt_ms: vec![
            vec![20.0, 80.0, 150.0],
            vec![80.0, 20.0, 160.0],
            vec![150.0, 160.0, 30.0],
        ],
        data_centers: vec![
            DataCenter {
                name: "us-east".to_string(),
                region: "north-america".to_string(),
                set: Default::default(),
            },
            DataCenter {
                name: "eu-west".to_string(),
                region: "europe".to_string(),
                set: Default::default(),
            },
        ],
        routing: GeoRouting::Nearest,
        split_share: Vec::new(),
        health_interval_ms: 10_000.0,
        unhealthy_after: 3,
        healthy_after: 3,
        replication_writes_per_s: 50_000.0,
    });
    s.faults = vec![Fault {
        target: "us-east".to_string(),
        at_s: 150.0,
        duration_s: 120.0,
        kind: crate::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    s
}
