//! Derives a whole random but valid case from one `u64` seed: a scenario (any mix of the
//! features the core has, sizes within the validated bounds, random service shapes, a random
//! fault schedule) plus a timeline of live actions applied between `advance_to` steps.
//!
//! ```text
//!   seed ──ChaCha8──▶ Gen ──▶ Case { scenario, steps: [(t, [kill | repair | set_users |
//!                                                          set_web_servers])] }
//! ```
//!
//! The scenario starts from the preset of a random built stage (`STAGES`), drops whole
//! features now and then, and redraws every number of what remains within the validated bounds:
//! balancer policy and health checks, servers and speeds, database size, replicas, replication
//! delay/apply and failover, cache size/TTL/eviction/write policy, CDN, session mode,
//! autoscaling, queue workers/depth/autoscale, keyspace and load profile; for stage 11 also the
//! regions, data centers, round trips, geoDNS routing and health checks, TTL and replication.
//!
//! Sizes are kept small (a few thousand requests, a few servers, replicas and cache nodes) so
//! one case takes milliseconds;
//! the extremes of each bound are drawn now and then with a small probability ("swarm" style:
//! each case switches whole features on or off, instead of averaging over all of them).

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scalesim::scenario::topology::{
    BalancerParams, DataCenterParams, Edge, Flow, GeoDnsParams, Node, NodeKind, NodeSpec,
    QueueParams, SessionParams, UsersParams, WorkersParams, TOPOLOGY_VERSION,
};
use scalesim::scenario::{
    preset, BalancePolicy, DataCenter, Denormalise, Deploy, Dist, Eviction, Fault, GeoRouting,
    LiveAction, NoSqlStore, PlugNode, Profile, ReadPolicy, Region, ReshardPlan, Scenario,
    SessionMode, Shape, ShardStrategy, StoreKind, Topology, TopologyFile, WorkerAutoscale,
    WritePolicy, SCENARIO_VERSION, STAGES,
};
use scalesim::sim::{
    ApiGatewayParams, ComponentKind, PlugKind, PlugParams, RateLimiterParams, Sim, SimTime,
    WhenDown,
};
use serde_json::json;

/// Most requests a case is expected to generate (keeps one case in milliseconds).
pub const REQUEST_BUDGET: f64 = 10_000.0;
/// Most offered requests per second in a case, including after live `set_users`.
pub const RATE_CAP_PER_S: f64 = 5_000.0;

/// A small deterministic generator for the swarm, independent of the engine's own.
pub struct Gen(ChaCha8Rng);

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(ChaCha8Rng::seed_from_u64(seed ^ 0x5157_4152_4d00_0000))
    }

    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in [lo, hi].
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + ((u128::from(self.u64()) * u128::from(hi - lo + 1)) >> 64) as u64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Log-uniform in [lo, hi] (lo > 0).
    pub fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + self.unit() * (hi.ln() - lo.ln()))
            .exp()
            .clamp(lo, hi)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }
}

/// Something done to a running simulation between two steps.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Kill(String),
    Repair(String),
    SetUsers(u64),
    SetWebServers(u32),
    /// A live change as a link carries it, applied with `scalesim::sim::live::apply`: a
    /// further pool's size by name (`servers:web-api:3`), coalescing at one cache
    /// (`coalesce:cache-api:on`).
    Live(LiveAction),
}

/// Advance to `at`, then apply `actions` in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at: SimTime,
    pub actions: Vec<Action>,
}

/// One generated case.
#[derive(Clone, Debug)]
pub struct Case {
    pub seed: u64,
    pub scenario: Scenario,
    pub steps: Vec<Step>,
    /// Records one request path in this many (1 = all); must not change the run.
    pub path_sample_every: u64,
}

/// Names of the components faults and kills may target (everything but the users), read
/// from a simulation built from the scenario, so new stages' components join automatically.
pub fn target_names(scenario: &Scenario) -> Vec<String> {
    let sim = Sim::new(scenario).expect("generated scenario is valid");
    sim.components()
        .iter()
        .filter(|c| c.kind != ComponentKind::Users)
        .map(|c| c.name.clone())
        .collect()
}

fn dist(g: &mut Gen) -> Dist {
    let shape = *g.pick(&[Shape::Exponential, Shape::Constant, Shape::Lognormal]);
    let mean_ms = if g.chance(0.03) {
        *g.pick(&[0.001, 600_000.0])
    } else {
        g.log_uniform(0.05, 400.0)
    };
    let cv = if g.chance(0.05) {
        *g.pick(&[0.01, 10.0])
    } else {
        g.log_uniform(0.1, 3.0)
    };
    Dist { shape, mean_ms, cv }
}

fn mix_weight(g: &mut Gen) -> f64 {
    match g.range(0, 5) {
        0 => 0.0,
        1 => 1e6,
        _ => g.log_uniform(0.001, 100.0),
    }
}

/// The built stages (those `Sim::new` accepts), read from the scenario module so new stages
/// join the swarm as soon as they are marked built and have a preset. Stage 11 (several data
/// centers) is drawn like any other: each data center runs the randomized stack, and [`geo`]
/// redraws the regions, round trips, routing and geoDNS around them.
pub fn built_stages() -> Vec<u8> {
    STAGES
        .iter()
        .filter(|s| s.built && preset(s.number).is_some())
        .map(|s| s.number)
        .collect()
}

/// The scenario part of a case: a built stage's preset, shrunk and randomized.
pub fn scenario(g: &mut Gen, seed: u64) -> Scenario {
    let stage = *g.pick(&built_stages());
    let mut s = preset(stage).expect("a built stage has a preset");
    s.name = format!("swarm {seed} (stage {stage})");
    s.seed = g.u64();
    s.faults.clear();

    // Swarm style: drop whole features now and then (keeping what others need).
    if g.chance(0.2) {
        s.queue = None;
    }
    if g.chance(0.2) {
        s.autoscaling = None;
    }
    if g.chance(0.2) {
        s.sessions = None;
    }
    if g.chance(0.2) {
        s.cdn = None;
    }
    if g.chance(0.2) {
        s.cache = None;
    }
    if s.cache.is_none() && g.chance(0.1) {
        s.database = None;
        s.sharding = None;
    }
    if g.chance(0.1) && s.autoscaling.is_none() && s.geo.is_none() {
        s.load_balancer = None;
        if s.sessions
            .as_ref()
            .is_some_and(|x| x.mode == SessionMode::Sticky)
        {
            s.sessions = None;
        }
    }
    numbers(g, &mut s);
    plugs(seed, &mut s);
    faults(g, &mut s);
    s
}

/// Registered components (rate limiters, API gateways), now and then, drawn from a generator
/// of their own, so that cases without one come out as before: one of any kind in front of
/// the front door (the balancer, or the only web pool), and behind a balancer one of a kind a
/// balancer may feed (a rate limiter) in front of a web pool. At stage 11 each data center
/// runs its own of each.
fn plugs(seed: u64, s: &mut Scenario) {
    let mut g = Gen::new(seed ^ 0x504c_5547_5300_0000);
    if g.chance(0.2) {
        let kind = *g.pick(&PlugKind::ALL);
        let fronts = if s.load_balancer.is_some() {
            "lb"
        } else {
            "web"
        };
        s.plugs.push(PlugNode {
            name: plug_stem(kind).into(),
            fronts: fronts.into(),
            params: plug_params(&mut g, kind),
        });
    }
    let behind: Vec<PlugKind> = (PlugKind::ALL.into_iter())
        .filter(|k| k.fed_by().contains(&NodeKind::LoadBalancer))
        .collect();
    if s.load_balancer.is_some() && !behind.is_empty() && g.chance(0.15) {
        let kind = *g.pick(&behind);
        let pools: Vec<String> = std::iter::once("web".to_string())
            .chain(s.more_web_pools.iter().map(|p| p.name.clone()))
            .collect();
        s.plugs.push(PlugNode {
            name: "throttle".into(),
            fronts: g.pick(&pools).clone(),
            params: plug_params(&mut g, kind),
        });
    }
}

/// A registered kind's node name in a drawn case.
fn plug_stem(kind: PlugKind) -> &'static str {
    match kind {
        PlugKind::RateLimiter => "limiter",
        PlugKind::ApiGateway => "gateway",
    }
}

/// Random parameters of a registered kind, the extremes of each bound now and then.
fn plug_params(g: &mut Gen, kind: PlugKind) -> PlugParams {
    match kind {
        PlugKind::RateLimiter => PlugParams::RateLimiter(RateLimiterParams {
            rate_per_s: match g.range(0, 5) {
                0 => g.log_uniform(0.1, 10.0),
                1 => 1e9,
                _ => g.log_uniform(1.0, 5_000.0),
            },
            burst: match g.range(0, 5) {
                0 => 1,
                1 => 100_000_000,
                _ => g.range(1, 500) as u32,
            },
            when_down: *g.pick(&[WhenDown::Open, WhenDown::Closed]),
        }),
        PlugKind::ApiGateway => PlugParams::ApiGateway(ApiGatewayParams {
            latency_ms: match g.range(0, 5) {
                0 => 0.0,
                1 => g.log_uniform(100.0, 5_000.0),
                _ => g.log_uniform(0.01, 50.0),
            },
            quota_per_s: match g.range(0, 5) {
                0 => 1,
                1 => 100_000_000,
                _ => g.range(1, 5_000) as u32,
            },
        }),
    }
}

/// Live kills, repairs and slowdowns of the case's registered components (each data center's
/// at stage 11), drawn from a generator of their own (cases without one come out as before).
pub fn plug_actions(seed: u64, s: &Scenario, steps: &mut [Step]) {
    if s.plugs.is_empty() {
        return;
    }
    let mut g = Gen::new(seed ^ 0x504c_5547_4143_5400);
    let mut names: Vec<String> = Vec::new();
    let dcs = data_center_names(s);
    for p in &s.plugs {
        if dcs.is_empty() {
            names.push(p.name.clone());
        }
        names.extend(dcs.iter().map(|dc| format!("{dc}/{}", p.name)));
    }
    for step in steps.iter_mut() {
        if !g.chance(0.15) {
            continue;
        }
        let name = g.pick(&names).clone();
        step.actions.push(match g.range(0, 3) {
            0 => Action::Kill(name),
            1 => Action::Repair(name),
            _ => Action::Live(LiveAction::Slow {
                name,
                factor_milli: *g.pick(&[1000, 1500, 8000, 100_000]),
            }),
        });
    }
}

/// Redraws every number of the scenario's traffic, network, web tier and whatever tiers it
/// has (within the validated bounds, sizes small).
fn numbers(g: &mut Gen, s: &mut Scenario) {
    let profile = profile(g);

    // Load first, then a duration that keeps the request count within budget.
    let rate_per_s = if g.chance(0.05) {
        0.0
    } else {
        g.log_uniform(0.5, RATE_CAP_PER_S / profile.max_factor().max(1.0))
    };
    s.traffic.users = match g.range(0, 9) {
        0 => 0,
        1 => 1,
        2 => g.range(1_000, 200_000),
        _ => g.range(2, 1_000),
    };
    s.traffic.requests_per_user_per_s = if s.traffic.users == 0 {
        g.unit() * 10.0
    } else {
        (rate_per_s / s.traffic.users as f64).min(1000.0)
    };
    let peak = rate_per_s * profile.max_factor().max(1.0);
    let max_duration = (REQUEST_BUDGET / peak.max(1.0)).clamp(1.0, 30.0) as u64;
    s.duration_s = g.range(1, max_duration) as u32;
    s.traffic.profile = rescale_profile(profile, f64::from(s.duration_s));
    s.metrics_interval_ms = *g.pick(&[10, 37, 100, 250, 1000, 5000, 60_000]);

    s.traffic.mix.page_view = mix_weight(g);
    s.traffic.mix.api_read = mix_weight(g);
    s.traffic.mix.write = mix_weight(g);
    s.traffic.mix.static_asset = mix_weight(g);
    if s.traffic.mix.weights().iter().sum::<f64>() <= 0.0 {
        s.traffic.mix.api_read = 1.0;
    }
    s.traffic.client_timeout_ms = match g.range(0, 9) {
        0 => 1.0,
        1 => 600_000.0,
        _ => g.log_uniform(5.0, 10_000.0),
    };
    s.traffic.keyspace.keys = match g.range(0, 5) {
        0 => 1,
        1 => g.range(1, 10) as u32,
        _ => g.log_uniform(2.0, 200_000.0) as u32,
    };
    s.traffic.keyspace.zipf_s = match g.range(0, 4) {
        0 => 0.0,
        1 => 3.0,
        _ => g.unit() * 2.0,
    };
    // Celebrity keys (stage 10) must stay inside the keyspace drawn above.
    let keys = s.traffic.keyspace.keys;
    if let Some(sharding) = s.sharding.as_mut() {
        for hot in &mut sharding.hot_keys {
            hot.key %= keys;
        }
    }

    s.dns.lookup_ms = match g.range(0, 4) {
        0 => 0.0,
        1 => g.log_uniform(100.0, 10_000.0),
        _ => g.log_uniform(0.1, 100.0),
    };
    s.dns.ttl_s = match g.range(0, 5) {
        0 => 0,
        1 => 86_400,
        _ => g.range(1, 120) as u32,
    };
    s.network.client_rtt_ms = match g.range(0, 4) {
        0 => 0.0,
        1 => g.log_uniform(300.0, 10_000.0),
        _ => g.log_uniform(0.1, 300.0),
    };
    s.network.internal_rtt_ms = match g.range(0, 4) {
        0 => 0.0,
        1 => g.log_uniform(10.0, 1000.0),
        _ => g.log_uniform(0.01, 10.0),
    };

    s.server.workers = match g.range(0, 9) {
        0 => 1,
        1 => 10_000,
        _ => g.range(1, 64) as u32,
    };
    s.server.queue_capacity = match g.range(0, 9) {
        0 => 0,
        1 => 1_000_000,
        _ => g.range(1, 2_000) as u32,
    };
    s.server.service.page_view = dist(g);
    s.server.service.api_read = dist(g);
    s.server.service.write = dist(g);
    s.server.service.static_asset = dist(g);
    topology(g, s);
    geo(g, s);
}

/// A random fault schedule over the scenario's components (whole data centers often).
fn faults(g: &mut Gen, s: &mut Scenario) {
    let names = target_names(s);
    let dcs = data_center_names(s);
    let duration = f64::from(s.duration_s);
    let faults = if g.chance(0.4) { 0 } else { g.range(1, 8) };
    s.faults = (0..faults)
        .map(|_| Fault {
            // Whole data centers are picked often, or they would be one target among dozens.
            target: if !dcs.is_empty() && g.chance(0.4) {
                g.pick(&dcs).clone()
            } else {
                g.pick(&names).clone()
            },
            at_s: round_ms(g.unit() * duration * 1.1),
            duration_s: if g.chance(0.2) {
                0.0
            } else {
                round_ms(g.unit() * duration * 0.5)
            },
            kind: scalesim::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        })
        .collect();
}

/// A load profile with times as fractions of the run (rescaled once the duration is known).
fn profile(g: &mut Gen) -> Profile {
    let factor = |g: &mut Gen| match g.range(0, 5) {
        0 => 0.0,
        1 => 4.0,
        _ => g.unit() * 3.0,
    };
    match g.range(0, 5) {
        0 => Profile::Ramp {
            start_s: g.unit(),
            end_s: g.unit(),
            factor: factor(g),
        },
        1 => Profile::Spike {
            at_s: g.unit(),
            duration_s: g.unit(),
            factor: factor(g),
        },
        2 => Profile::Cycle {
            period_s: g.unit(),
            amplitude: if g.chance(0.2) { 1.0 } else { g.unit() },
        },
        _ => Profile::Constant,
    }
}

fn rescale_profile(p: Profile, duration: f64) -> Profile {
    match p {
        Profile::Ramp {
            start_s,
            end_s,
            factor,
        } => {
            let (a, b) = (start_s.min(end_s), start_s.max(end_s));
            let start_s = round_ms(a * duration);
            Profile::Ramp {
                start_s,
                end_s: round_ms(b * duration).max(start_s + 0.001),
                factor,
            }
        }
        Profile::Spike {
            at_s,
            duration_s,
            factor,
        } => Profile::Spike {
            at_s: round_ms(at_s * duration),
            duration_s: round_ms(duration_s * duration * 0.5),
            factor,
        },
        Profile::Cycle {
            period_s,
            amplitude,
        } => Profile::Cycle {
            period_s: round_ms(1.0 + period_s * duration),
            amplitude,
        },
        Profile::Constant => Profile::Constant,
    }
}

/// A short delay in milliseconds: 0 now and then, sometimes long.
fn delay_ms(g: &mut Gen, typical_max: f64, max: f64) -> f64 {
    match g.range(0, 5) {
        0 => 0.0,
        1 => g.log_uniform(typical_max, max),
        _ => g.log_uniform(0.01, typical_max),
    }
}

/// Randomizes every feature the preset has, keeping sizes small.
fn topology(g: &mut Gen, s: &mut Scenario) {
    if let Some(lb) = &mut s.load_balancer {
        lb.policy = *g.pick(&[
            BalancePolicy::RoundRobin,
            BalancePolicy::LeastConnections,
            BalancePolicy::Random,
        ]);
        lb.latency_ms = delay_ms(g, 2.0, 1000.0);
        lb.health_interval_ms = if g.chance(0.1) {
            10.0
        } else {
            g.log_uniform(10.0, 10_000.0)
        };
        lb.unhealthy_threshold = if g.chance(0.05) {
            100
        } else {
            g.range(1, 5) as u32
        };
        lb.healthy_threshold = if g.chance(0.05) {
            100
        } else {
            g.range(1, 5) as u32
        };
        s.server.count = g.range(1, 6) as u32;
        s.server.speeds = if g.chance(0.3) {
            (0..g.range(0, u64::from(s.server.count)))
                .map(|_| *g.pick(&[0.1, 1.0, 4.0, 0.5, 2.0]))
                .collect()
        } else {
            Vec::new()
        };
    } else {
        s.server.count = 1;
        s.server.speeds.clear();
        s.autoscaling = None;
    }
    if let Some(db) = &mut s.database {
        db.workers = if g.chance(0.1) {
            64
        } else {
            g.range(1, 16) as u32
        };
        db.speed = if g.chance(0.1) {
            *g.pick(&[0.25, 4.0])
        } else {
            g.log_uniform(0.25, 4.0)
        };
        db.queue_capacity = match g.range(0, 9) {
            0 => 0,
            1 => 1_000_000,
            _ => g.range(1, 500) as u32,
        };
        db.read = dist(g);
        db.write = dist(g);
        if db.replicas > 0 || g.chance(0.3) {
            db.replicas = if g.chance(0.05) {
                16
            } else {
                g.range(0, 4) as u32
            };
        }
        db.read_policy = *g.pick(&[ReadPolicy::RoundRobin, ReadPolicy::LeastLoaded]);
        if g.chance(0.2) {
            // Replication as fast as it gets: no stale reads are possible.
            db.replication.delay_ms = 0.0;
            db.replication.apply_ms = 0.001;
        } else {
            db.replication.delay_ms = delay_ms(g, 100.0, 60_000.0);
            db.replication.apply_ms = if g.chance(0.2) {
                0.001
            } else {
                g.log_uniform(0.001, 50.0)
            };
        }
        db.failover.detection_ms = delay_ms(g, 5_000.0, 600_000.0);
        db.failover.promotion_ms = delay_ms(g, 5_000.0, 600_000.0);
    } else {
        s.cache = None;
    }
    if let Some(c) = &mut s.cache {
        c.nodes = if g.chance(0.05) {
            64
        } else {
            g.range(1, 4) as u32
        };
        c.capacity_items = match g.range(0, 5) {
            0 => 1,
            // Nodes reserve room for their capacity: large, but not 64 × a million items.
            1 => 100_000,
            _ => g.log_uniform(2.0, 5_000.0) as u32,
        };
        c.ttl_s = match g.range(0, 4) {
            0 => 0.0,
            1 => 86_400.0,
            _ => g.log_uniform(0.001, 60.0),
        };
        c.eviction = *g.pick(&[Eviction::Lru, Eviction::Lfu, Eviction::Fifo]);
        c.write_policy = *g.pick(&[WritePolicy::Invalidate, WritePolicy::TtlOnly]);
        c.workers = if g.chance(0.1) {
            1
        } else {
            g.range(1, 32) as u32
        };
        c.get = dist(g);
        c.virtual_nodes = match g.range(0, 5) {
            0 => 1,
            1 => 1000,
            _ => g.range(1, 200) as u32,
        };
    }
    if let Some(c) = &mut s.cdn {
        c.edge_rtt_ms = delay_ms(g, 50.0, 10_000.0);
        c.hit_ms = delay_ms(g, 5.0, 10_000.0);
        c.objects = match g.range(0, 5) {
            0 => 1,
            1 => 1_000_000,
            _ => g.log_uniform(2.0, 50_000.0) as u32,
        };
        c.object_kb_mean = g.log_uniform(0.1, 1_000_000.0);
        c.zipf_s = g.unit() * 3.0;
        c.capacity_objects = match g.range(0, 5) {
            0 => 1,
            1 => 200_000,
            _ => g.log_uniform(2.0, 20_000.0) as u32,
        };
        c.ttl_s = match g.range(0, 4) {
            0 => 0.0,
            1 => 31_536_000.0,
            _ => g.log_uniform(0.001, 60.0),
        };
        c.fallback_timeout_ms = delay_ms(g, 2_000.0, 600_000.0);
        c.edge_price_per_gb = if g.chance(0.2) { 0.0 } else { g.unit() };
        c.origin_price_per_gb = if g.chance(0.2) { 1000.0 } else { g.unit() };
    }
    if let Some(x) = &mut s.sessions {
        x.mode = if s.load_balancer.is_some() && g.chance(0.5) {
            SessionMode::Sticky
        } else {
            SessionMode::SharedStore
        };
        x.store_workers = if g.chance(0.1) {
            1
        } else {
            g.range(1, 64) as u32
        };
        x.store_get = dist(g);
    }
    if let Some(a) = &mut s.autoscaling {
        a.min_servers = g.range(1, 3) as u32;
        a.max_servers = g.range(u64::from(a.min_servers), 8) as u32;
        a.target_utilization = if g.chance(0.1) {
            *g.pick(&[0.05, 1.0])
        } else {
            g.unit() * 0.95 + 0.05
        };
        a.evaluation_interval_s = g.log_uniform(1.0, 20.0);
        a.scale_out_delay_s = if g.chance(0.2) { 0.0 } else { g.unit() * 10.0 };
        a.scale_in_cooldown_s = if g.chance(0.2) { 0.0 } else { g.unit() * 30.0 };
    }
    if let Some(q) = &mut s.queue {
        q.jobs_per_write = match g.range(0, 4) {
            0 => 0.0,
            1 => 1.0,
            _ => g.unit(),
        };
        q.max_depth = match g.range(0, 5) {
            0 => 1,
            1 => 10_000_000,
            _ => g.range(1, 1_000) as u32,
        };
        q.workers = if g.chance(0.1) {
            0
        } else {
            g.range(1, 16) as u32
        };
        q.job = dist(g);
        q.autoscale = g.chance(0.6).then(|| {
            let min_workers = g.range(0, 4) as u32;
            WorkerAutoscale {
                min_workers,
                max_workers: g.range(u64::from(min_workers.max(1)), 16) as u32,
                jobs_per_worker: if g.chance(0.2) {
                    1.0
                } else {
                    g.log_uniform(1.0, 100.0)
                },
                interval_s: g.log_uniform(1.0, 10.0),
                start_delay_s: if g.chance(0.2) { 0.0 } else { g.unit() * 10.0 },
            }
        });
    }
    data_stores(g, s);
}

/// Data-store choices: a NoSQL store beside the database, denormalised shards, a key-value tier.
fn data_stores(g: &mut Gen, s: &mut Scenario) {
    if s.database.is_some() && g.chance(0.2) {
        s.nosql = Some(NoSqlStore {
            kind: *g.pick(&[StoreKind::KeyValue, StoreKind::Document]),
            share: match g.range(0, 4) {
                0 => 0.0,
                1 => 1.0,
                _ => g.unit(),
            },
            nodes: g.range(1, 4) as u32,
            workers: g.range(1, 16) as u32,
            queue_capacity: match g.range(0, 4) {
                0 => 0,
                _ => g.range(1, 500) as u32,
            },
            read: dist(g),
            write: dist(g),
        });
    }
    let (Some(sh), Some(db)) = (s.sharding.as_mut(), s.database.as_mut()) else {
        return;
    };
    if sh.shards >= 2 && g.chance(0.3) {
        sh.denormalise = Some(Denormalise {
            write_factor: g.range(2, u64::from(sh.shards)) as u32,
        });
    }
    if g.chance(0.2) {
        db.kind = StoreKind::KeyValue;
        if sh.denormalise.is_none() {
            sh.cross_shard_share = 0.0;
        }
    }
}

/// Region and data-center names the generator picks from (distinct within a case).
const REGION_NAMES: [&str; 6] = [
    "north-america",
    "europe",
    "asia",
    "south-america",
    "oceania",
    "africa",
];
const DC_NAMES: [&str; 6] = [
    "us-east", "eu-west", "ap-south", "us-west", "sa-east", "ap-east",
];

/// `count` shares in whole percents (steps of 0.01) that add up to 1 (some may be 0).
fn whole_percent_shares(g: &mut Gen, count: usize) -> Vec<f64> {
    let mut cuts: Vec<u64> = (1..count).map(|_| g.range(0, 100)).collect();
    cuts.push(0);
    cuts.push(100);
    cuts.sort_unstable();
    cuts.windows(2)
        .map(|w| scalesim::scenario::spelling::percent_to_share((w[1] - w[0]) as f64))
        .collect()
}

/// `count` distinct names from `pool`, in a random order.
fn distinct(g: &mut Gen, pool: &[&str], count: usize) -> Vec<String> {
    let mut left: Vec<&str> = pool.to_vec();
    (0..count)
        .map(|_| {
            let i = g.range(0, left.len() as u64 - 1) as usize;
            left.remove(i).to_string()
        })
        .collect()
}

/// Stage 11: redraws the regions, data centers, round trips, routing, geoDNS health checks,
/// TTL and cross-data-center replication. Every data center runs the whole stack, so the
/// largest tiers are kept smaller than a single stack's.
fn geo(g: &mut Gen, s: &mut Scenario) {
    let Some(geo) = s.geo.as_mut() else {
        return;
    };
    let count = g.range(1, 4) as usize;
    let regions = distinct(g, &REGION_NAMES, count);
    let shares = whole_percent_shares(g, regions.len());
    geo.regions = regions
        .iter()
        .zip(&shares)
        .map(|(name, &users_share)| Region {
            name: name.clone(),
            users_share,
        })
        .collect();
    let n = regions.len();
    // Within a region (the diagonal) 0–50 ms; between two, 5–400 ms, now and then 0 or 2 s.
    let mut pairs = Vec::new();
    for i in 0..n {
        for j in i..n {
            let v = if i == j {
                if g.chance(0.2) {
                    0.0
                } else {
                    g.unit() * 50.0
                }
            } else {
                match g.range(0, 9) {
                    0 => 0.0,
                    1 => 2000.0,
                    _ => g.log_uniform(5.0, 400.0),
                }
            };
            pairs.push((i, j, v));
        }
    }
    let mut rtt_ms = vec![vec![0.0; n]; n];
    for (i, j, v) in pairs {
        rtt_ms[i][j] = v;
        rtt_ms[j][i] = v;
    }
    geo.rtt_ms = rtt_ms;
    let count = g.range(1, 4) as usize;
    let dcs = distinct(g, &DC_NAMES, count);
    geo.data_centers = dcs
        .iter()
        .map(|name| DataCenter {
            name: name.clone(),
            region: g.pick(&regions).clone(),
            set: Default::default(),
        })
        .collect();
    if g.chance(0.5) {
        geo.routing = GeoRouting::Nearest;
        geo.split_share = Vec::new();
    } else {
        geo.routing = GeoRouting::Split;
        geo.split_share = if g.chance(0.3) {
            // Everyone to one data center; the others take users only when it is out.
            let one = g.range(0, dcs.len() as u64 - 1) as usize;
            (0..dcs.len())
                .map(|i| if i == one { 1.0 } else { 0.0 })
                .collect()
        } else {
            whole_percent_shares(g, dcs.len())
        };
    }
    geo.health_interval_ms = match g.range(0, 9) {
        0 => 100.0,
        1 => 600_000.0,
        _ => g.log_uniform(100.0, 5_000.0),
    };
    let checks = |g: &mut Gen| {
        if g.chance(0.05) {
            100
        } else {
            g.range(1, 5) as u32
        }
    };
    geo.unhealthy_after = checks(g);
    geo.healthy_after = checks(g);
    geo.replication_writes_per_s = match g.range(0, 9) {
        0 => 1.0,
        1 => 10_000_000.0,
        _ => g.log_uniform(1.0, 10_000.0),
    };
    // Short TTLs, so that users leave a dead data center within the run now and then.
    s.dns.ttl_s = match g.range(0, 9) {
        0 => 0,
        1 => 86_400,
        _ => g.range(1, 10) as u32,
    };
    if let Some(c) = &mut s.cache {
        c.nodes = c.nodes.min(4);
        c.capacity_items = c.capacity_items.min(20_000);
    }
    if let Some(c) = &mut s.cdn {
        c.capacity_objects = c.capacity_objects.min(20_000);
    }
}

/// The data centers' names (stage 11), which faults and kills target as whole sites.
pub fn data_center_names(s: &Scenario) -> Vec<String> {
    s.geo.as_ref().map_or(Vec::new(), |geo| {
        geo.data_centers.iter().map(|d| d.name.clone()).collect()
    })
}

/// Whole milliseconds, or occasionally an arbitrary float, to exercise exact ties and not.
fn round_ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Names live actions may target: every component the scenario starts with (including the
/// balancer and the queue, which cannot die: a kill must leave them up) and web servers that
/// autoscaling or `set_web_servers` may add later (skipped while they do not exist).
pub fn action_names(s: &Scenario) -> Vec<String> {
    let mut names = target_names(s);
    if s.load_balancer.is_some() {
        let most = s
            .autoscaling
            .as_ref()
            .map_or(0, |a| a.max_servers)
            .max(MAX_LIVE_WEB_SERVERS);
        let mut prefixes: Vec<String> = data_center_names(s)
            .iter()
            .map(|dc| format!("{dc}/"))
            .collect();
        if prefixes.is_empty() {
            prefixes.push(String::new());
        }
        for prefix in &prefixes {
            names.extend((s.server.count..most).map(|i| format!("{prefix}web-{i}")));
        }
    }
    names
}

/// Most web servers a live `set_web_servers` asks for.
pub const MAX_LIVE_WEB_SERVERS: u32 = 8;

/// The live-action timeline of a case.
pub fn steps(g: &mut Gen, s: &Scenario) -> Vec<Step> {
    let names = action_names(s);
    let dcs = data_center_names(s);
    let end_ns = u64::from(s.duration_s) * 1_000_000_000;
    // Sometimes run a little past the scenario's end, as the app does.
    let horizon_ns = if g.chance(0.2) {
        end_ns + end_ns / 5
    } else {
        end_ns
    };
    let count = g.range(1, 40);
    let mut times: Vec<u64> = (0..count)
        .map(|_| {
            if g.chance(0.2) {
                // A whole millisecond, to collide with fault times now and then.
                g.range(0, horizon_ns / 1_000_000) * 1_000_000
            } else {
                g.range(0, horizon_ns)
            }
        })
        .collect();
    times.push(horizon_ns);
    // Stage 11: stop just before and at every scheduled data-center outage and repair, so the
    // checkers learn which web servers existed when a whole site went down or came back.
    for f in s.faults.iter().filter(|f| dcs.contains(&f.target)) {
        let at = SimTime::from_secs_f64(f.at_s).as_nanos();
        let mut edges = vec![at];
        if f.duration_s > 0.0 {
            edges.push(at + SimTime::from_secs_f64(f.duration_s).as_nanos());
        }
        for t in edges.into_iter().filter(|&t| t <= horizon_ns) {
            times.extend([t.saturating_sub(1), t]);
        }
    }
    times.sort_unstable();
    times.dedup();
    let per_user = s.traffic.requests_per_user_per_s * s.traffic.profile.max_factor().max(1.0);
    let max_users = if per_user > 0.0 {
        (RATE_CAP_PER_S / per_user).min(1e6) as u64
    } else {
        1_000
    };
    let live = g.chance(0.7);
    times
        .into_iter()
        .map(|t| {
            let n = if live { g.range(0, 3) } else { 0 };
            let actions = (0..n)
                .map(|_| match g.range(0, 9) {
                    0..=3 => Action::Kill(target(g, &names, &dcs)),
                    4..=6 => Action::Repair(target(g, &names, &dcs)),
                    7 => Action::SetWebServers(g.range(0, u64::from(MAX_LIVE_WEB_SERVERS)) as u32),
                    _ => Action::SetUsers(if g.chance(0.2) {
                        0
                    } else {
                        g.range(0, max_users)
                    }),
                })
                .collect();
            Step {
                at: SimTime(t),
                actions,
            }
        })
        .collect()
}

/// A component a live kill or repair aims at: a whole data center a third of the time when
/// there are several.
fn target(g: &mut Gen, names: &[String], dcs: &[String]) -> String {
    if !dcs.is_empty() && g.chance(0.3) {
        g.pick(dcs).clone()
    } else {
        g.pick(names).clone()
    }
}

/// The whole case for a seed.
pub fn case(seed: u64) -> Case {
    let mut g = Gen::new(seed);
    let mut scenario = scenario(&mut g, seed);
    let mut steps = steps(&mut g, &scenario);
    let path_sample_every = *g.pick(&[1, 1, 2, 3, 10]);
    job_writes(seed, &mut scenario);
    plug_actions(seed, &scenario, &mut steps);
    geo_deploys(seed, &mut scenario, &mut steps, true);
    data_center_stacks(seed, &mut scenario);
    data_center_servers(seed, &scenario, &mut steps);
    Case {
        seed,
        scenario,
        steps,
        path_sample_every,
    }
}

// ----- random topologies -----

/// The node-name stems a random graph picks from, per kind (any valid name would do: these
/// differ from the compiled presets' names on purpose).
fn stems(kind: NodeKind) -> &'static [&'static str] {
    match kind {
        NodeKind::Users => &["users", "clients", "visitors"],
        NodeKind::Dns | NodeKind::GeoDns => &["dns", "resolver", "geo.dns"],
        NodeKind::DataCenter => &["dc"],
        NodeKind::CdnEdge => &["cdn", "edge", "static_edge"],
        NodeKind::LoadBalancer => &["lb", "front", "haproxy"],
        NodeKind::WebPool => &["web", "app", "api.servers"],
        NodeKind::SessionStore => &["sessions", "redis-sessions"],
        NodeKind::Cache => &["cache", "memcached"],
        NodeKind::ShardRouter => &["router", "shards"],
        NodeKind::Database => &["db", "postgres", "mysql.cluster"],
        NodeKind::NoSql => &["nosql", "dynamo"],
        NodeKind::Queue => &["queue", "jobs"],
        NodeKind::Workers => &["workers", "consumers"],
        NodeKind::Autoscaler => &["autoscaler", "asg"],
        NodeKind::Deploy => &["deploy", "rollout"],
        NodeKind::Monitor => &["monitor", "metrics"],
        // Registered kinds: drawn by `graph_plugs`, named by `plug_stem`.
        NodeKind::Plug(_) => &["limiter", "throttle"],
    }
}

/// A graph case: a random valid topology, drawn kind by kind (each optional kind on or off
/// on its own, so shapes no preset has come up: a CDN without a balancer, a queue without a
/// database, sticky sessions with autoscaling, a NoSQL store without a cache…), with random
/// names, node order and wire grouping, and parameters drawn as [`scenario`] draws them.
/// Returns the graph file too, so that its round trips can be checked.
pub fn graph_case(seed: u64) -> (Case, TopologyFile) {
    let mut g = Gen::new(seed ^ 0x4752_4150_4800_0000);
    let geo_wanted = g.chance(0.15);
    // A donor scenario with every tier, whose numbers the graph's nodes take.
    let mut donor = preset(if geo_wanted { 11 } else { 10 }).expect("a preset");
    donor.seed = g.u64();
    donor.faults.clear();
    donor.nosql = Some(NoSqlStore {
        kind: StoreKind::KeyValue,
        share: 0.3,
        nodes: 2,
        workers: 8,
        queue_capacity: 100,
        read: Dist::exponential(2.0),
        write: Dist::exponential(4.0),
    });
    donor.deploy = Some(Deploy {
        at_s: None,
        batch_size: 1,
        drain: true,
        drain_timeout_ms: 1000.0,
        startup_s: 1.0,
        pool: None,
    });
    numbers(&mut g, &mut donor);
    if let Some(d) = &mut donor.deploy {
        // Never scheduled: the checkers do not model the servers a rolling deploy stops yet
        // (they would flag them as down against the fault schedule), so a deploy controller is
        // drawn and wired but only ever started live, which the swarm does not do.
        d.at_s = None;
        d.batch_size = g.range(1, 3) as u32;
        d.drain = g.chance(0.6);
        d.drain_timeout_ms = delay_ms(&mut g, 2_000.0, 600_000.0);
        d.startup_s = g.unit() * 5.0;
    }

    let on = |g: &mut Gen, p: f64| g.chance(p);
    let lb = geo_wanted || on(&mut g, 0.7);
    let db = on(&mut g, 0.75);
    let cache = db && on(&mut g, 0.5);
    let router = db && on(&mut g, 0.4);
    let nosql = db && on(&mut g, 0.25);
    let cdn = on(&mut g, 0.4);
    let sessions = match g.range(0, 9) {
        0..=3 => None,
        4..=6 => Some(SessionMode::SharedStore),
        _ if lb => Some(SessionMode::Sticky),
        _ => Some(SessionMode::SharedStore),
    };
    let queue = on(&mut g, 0.4);
    let autoscaler = lb && on(&mut g, 0.3);
    let deploy = on(&mut g, 0.2);
    let monitor = on(&mut g, 0.4);
    // Now and then a second web pool behind the balancer, serving some of the kinds (drawn
    // from a generator of its own, so graphs without one come out as before); a deploy then
    // rolls the second pool, by its name.
    let mut g3 = Gen::new(seed ^ 0x5745_4250_4f4f_4c00);
    let two_pools = lb && g3.chance(0.2);

    let mut server = donor.server.clone();
    if !lb {
        server.count = 1;
        server.speeds.clear();
    }
    let mut names: Vec<String> = donor.geo.as_ref().map_or(Vec::new(), |x| {
        x.data_centers.iter().map(|d| d.name.clone()).collect()
    });
    let mut nodes: Vec<Node> = Vec::new();
    let mut add = |g: &mut Gen, spec: NodeSpec| -> String {
        let stem = *g.pick(stems(spec.kind()));
        let mut name = stem.to_string();
        while names.contains(&name) {
            name = format!("{stem}-{}", g.range(0, 99));
        }
        names.push(name.clone());
        nodes.push(Node {
            name: name.clone(),
            spec,
        });
        name
    };
    let mut edges: Vec<(String, String, Vec<Flow>)> = Vec::new();
    let mut wire = |from: &str, to: &str, flows: &[Flow]| {
        edges.push((from.to_string(), to.to_string(), flows.to_vec()));
    };
    let u = add(
        &mut g,
        NodeSpec::Users(UsersParams {
            traffic: donor.traffic.clone(),
            network: donor.network.clone(),
        }),
    );
    let mut entries = Vec::new();
    let mut dc_nodes = Vec::new();
    let dns = match (&donor.geo, geo_wanted) {
        (Some(x), true) => {
            let dns = add(
                &mut g,
                NodeSpec::GeoDns(GeoDnsParams {
                    dns: donor.dns.clone(),
                    regions: x.regions.clone(),
                    rtt_ms: x.rtt_ms.clone(),
                    routing: x.routing,
                    health_interval_ms: x.health_interval_ms,
                    unhealthy_after: x.unhealthy_after,
                    healthy_after: x.healthy_after,
                    replication_writes_per_s: x.replication_writes_per_s,
                }),
            );
            for (i, d) in x.data_centers.iter().enumerate() {
                dc_nodes.push(Node {
                    name: d.name.clone(),
                    spec: NodeSpec::DataCenter(DataCenterParams {
                        region: d.region.clone(),
                        split_share: x.split_share.get(i).copied(),
                        set: d.set.clone(),
                    }),
                });
                wire(&dns, &d.name, &Flow::REQUESTS);
                entries.push(d.name.clone());
            }
            dns
        }
        _ => {
            let dns = add(&mut g, NodeSpec::Dns(donor.dns.clone()));
            entries.push(dns.clone());
            dns
        }
    };
    wire(&u, &dns, &Flow::REQUESTS);
    let sticky = (sessions == Some(SessionMode::Sticky)).then(|| SessionParams {
        store_workers: donor.sessions.as_ref().map_or(1, |x| x.store_workers),
        store_get: donor
            .sessions
            .as_ref()
            .map_or(Dist::exponential(1.0), |x| x.store_get.clone()),
    });
    let lb = lb.then(|| {
        add(
            &mut g,
            NodeSpec::LoadBalancer(BalancerParams {
                balancer: donor
                    .load_balancer
                    .clone()
                    .expect("the donor has a balancer"),
                sticky_sessions: sticky,
            }),
        )
    });
    let mut server2 = server.clone();
    let web = add(&mut g, NodeSpec::WebPool(server));
    let front = lb.clone().unwrap_or_else(|| web.clone());
    let cdn = cdn.then(|| add(&mut g, NodeSpec::CdnEdge(donor.cdn.clone().expect("a CDN"))));
    for e in &entries {
        wire(e, &front, &Flow::DATA);
        wire(e, cdn.as_ref().unwrap_or(&front), &[Flow::StaticAsset]);
    }
    if let Some(cdn) = &cdn {
        wire(cdn, &front, &[Flow::StaticAsset]);
    }
    if let Some(lb) = &lb {
        wire(lb, &web, &Flow::REQUESTS);
    }
    if sessions == Some(SessionMode::SharedStore) {
        let x = donor.sessions.clone().expect("the donor has sessions");
        let store = add(
            &mut g,
            NodeSpec::SessionStore(SessionParams {
                store_workers: x.store_workers,
                store_get: x.store_get,
            }),
        );
        wire(&web, &store, &[Flow::Session]);
    }
    if db {
        let mut database = donor.database.clone().expect("the donor has a database");
        if !router {
            database.kind = *g.pick(&[
                StoreKind::Relational,
                StoreKind::KeyValue,
                StoreKind::Document,
            ]);
        }
        let db = add(&mut g, NodeSpec::Database(database));
        // Now and then a second database beside the first (or beside the shard router, which
        // then shards only the first), storing some of the data requests: drawn from a
        // generator of its own, so graphs without one come out as before.
        let mut g3 = Gen::new(seed ^ 0x3244_4154_4142_0000);
        let two = g3.chance(0.25);
        let store = if router {
            let r = add(
                &mut g,
                NodeSpec::ShardRouter(donor.sharding.clone().expect("shards")),
            );
            if !two {
                wire(&r, &db, &Flow::DATA);
            }
            r
        } else {
            db.clone()
        };
        let db2 = two.then(|| {
            let mut spec = donor.database.clone().expect("the donor has a database");
            spec.kind = StoreKind::Relational;
            spec.replicas = g3.range(0, 3) as u32;
            spec.workers = g3.range(1, 17) as u32;
            add(&mut g3, NodeSpec::Database(spec))
        });
        // Now and then, beside a shard router, the second database behind a shard router of
        // its own, split its own way (drawn from a generator of its own, so graphs without
        // one come out as before): the data requests it stores go to that router.
        let mut g6 = Gen::new(seed ^ 0x3252_4f55_5445_5200);
        let router2 = (router && db2.is_some() && g6.chance(0.6)).then(|| {
            let mut sh = donor.sharding.clone().expect("shards");
            sh.shards = g6.range(1, 4) as u32;
            sh.strategy = *g6.pick(&[ShardStrategy::Modulo, ShardStrategy::ConsistentHash]);
            sh.virtual_nodes = g6.range(1, 64) as u32;
            sh.hot_keys.clear();
            sh.cross_shard_share = *g6.pick(&[0.0, 0.05, 0.3]);
            sh.denormalise = None;
            sh.migration_keys_per_s = g6.log_uniform(50.0, 5_000.0);
            sh.reshard = g6.chance(0.5).then(|| ReshardPlan {
                at_s: g6.unit() * f64::from(donor.duration_s),
                to_shards: g6.range(1, 6) as u32,
            });
            add(&mut g6, NodeSpec::ShardRouter(sh))
        });
        // Where the second database's requests go: its router, else the database itself.
        let to2 = router2.clone().or_else(|| db2.clone());
        // Which groups of data requests (a cache's reads go together) it takes: some, never
        // all (the first database keeps at least one).
        let mut takes: Vec<Flow> = Vec::new();
        let mut pick_takes = |groups: &[Vec<Flow>]| {
            if db2.is_some() {
                let n = groups.len() as u64;
                let mask = g3.range(1, (1 << n) - 2);
                takes = (0..groups.len())
                    .filter(|i| mask & (1 << i) != 0)
                    .flat_map(|i| groups[i].clone())
                    .collect();
            }
        };
        if cache {
            // Now and then a second cache beside the first, fronting the other read (drawn
            // from a generator of its own, so graphs without one come out as before). Each of
            // the two coalesces or not on its own (from a third generator, so the rest of a
            // two-cache graph comes out as before too).
            let mut g2 = Gen::new(seed ^ 0x3243_4143_4845_0000);
            let two = g2.chance(0.3);
            let mut g5 = Gen::new(seed ^ 0x434f_414c_4553_4300);
            let mut coalesce = || *g5.pick(&[None, Some(false), Some(true), Some(true)]);
            let mut first_spec = donor.cache.clone().expect("a cache");
            if two {
                first_spec.coalesce = coalesce();
            }
            let c = add(&mut g, NodeSpec::Cache(first_spec));
            // Usually both reads through the cache; now and then only one of them, the
            // other straight to the store.
            let cached: &[Flow] = match g.range(0, 5) {
                0 => &[Flow::PageView],
                1 => &[Flow::ApiRead],
                _ => &[Flow::PageView, Flow::ApiRead],
            };
            let second = two.then(|| {
                let mut spec = donor.cache.clone().expect("a cache");
                spec.nodes = g2.range(1, 4) as u32;
                spec.capacity_items = (g2.log_uniform(10.0, 100_000.0) as u32).max(1);
                spec.eviction = *g2.pick(&[Eviction::Lru, Eviction::Lfu, Eviction::Fifo]);
                spec.write_policy = *g2.pick(&[WritePolicy::Invalidate, WritePolicy::TtlOnly]);
                spec.coalesce = coalesce();
                let first = if g2.chance(0.5) {
                    Flow::PageView
                } else {
                    Flow::ApiRead
                };
                (add(&mut g2, NodeSpec::Cache(spec)), first)
            });
            let cached: &[Flow] = match &second {
                Some((_, Flow::PageView)) => &[Flow::PageView],
                Some(_) => &[Flow::ApiRead],
                None => cached,
            };
            let direct: Vec<Flow> = Flow::DATA
                .into_iter()
                .filter(|f| !cached.contains(f))
                .filter(|f| second.is_none() || *f == Flow::Write)
                .collect();
            let other = second.as_ref().map(|(_, first)| {
                if *first == Flow::PageView {
                    Flow::ApiRead
                } else {
                    Flow::PageView
                }
            });
            let mut groups = vec![cached.to_vec()];
            groups.extend(other.map(|o| vec![o]));
            groups.extend(direct.iter().map(|&f| vec![f]));
            pick_takes(&groups);
            wire(&web, &c, cached);
            split_wire(&mut wire, &to2, &takes, &c, &store, cached);
            if let (Some((c2, _)), Some(other)) = (&second, other) {
                wire(&web, c2, &[other]);
                split_wire(&mut wire, &to2, &takes, c2, &store, &[other]);
            }
            split_wire(&mut wire, &to2, &takes, &web, &store, &direct);
        } else {
            let groups: Vec<Vec<Flow>> = Flow::DATA.iter().map(|&f| vec![f]).collect();
            pick_takes(&groups);
            split_wire(&mut wire, &to2, &takes, &web, &store, &Flow::DATA);
        }
        if router && two {
            // The router sends on what the second database does not take.
            let sharded: Vec<Flow> = Flow::DATA
                .into_iter()
                .filter(|f| !takes.contains(f))
                .collect();
            wire(&store, &db, &sharded);
        }
        if let (Some(r2), Some(d2)) = (&router2, &db2) {
            wire(r2, d2, &takes);
        }
        if nosql {
            let n = add(
                &mut g,
                NodeSpec::NoSql(donor.nosql.clone().expect("a NoSQL store")),
            );
            // A share of all three data requests, or of some of them (reads only, writes
            // only…): the others all go to the database.
            let mask = if g.chance(0.5) { 7 } else { g.range(1, 7) };
            let taken: Vec<Flow> = (0..3)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| Flow::DATA[i])
                .collect();
            // Now and then a second NoSQL store taking its share of some of those kinds (a
            // proper part of them), the first keeping the rest: drawn from a generator of its
            // own, so graphs without one come out as before.
            let mut g4 = Gen::new(seed ^ 0x324e_4f53_514c_0000);
            let two = taken.len() >= 2 && g4.chance(0.4);
            let (kept, moved): (Vec<Flow>, Vec<Flow>) = if two {
                let m = g4.range(1, (1 << taken.len()) - 2);
                let bit = |i: usize| m & (1 << i) != 0;
                let pick = |moved: bool| -> Vec<Flow> {
                    (taken.iter().enumerate())
                        .filter(|&(i, _)| bit(i) == moved)
                        .map(|(_, &f)| f)
                        .collect()
                };
                (pick(false), pick(true))
            } else {
                (taken, Vec::new())
            };
            wire(&web, &n, &kept);
            if two {
                let mut spec = donor.nosql.clone().expect("a NoSQL store");
                spec.kind = *g4.pick(&[StoreKind::KeyValue, StoreKind::Document]);
                spec.share = g4.unit();
                spec.nodes = g4.range(1, 4) as u32;
                spec.workers = g4.range(1, 17) as u32;
                let n2 = add(&mut g4, NodeSpec::NoSql(spec));
                wire(&web, &n2, &moved);
            }
        }
    }
    if queue {
        let q = donor.queue.clone().expect("the donor has a queue");
        let qn = add(
            &mut g,
            NodeSpec::Queue(QueueParams {
                jobs_per_write: q.jobs_per_write,
                max_depth: q.max_depth,
            }),
        );
        let w = add(
            &mut g,
            NodeSpec::Workers(WorkersParams {
                workers: q.workers,
                job: q.job,
                autoscale: q.autoscale,
            }),
        );
        wire(&web, &qn, &[Flow::Job]);
        wire(&qn, &w, &[Flow::Job]);
    }
    if autoscaler {
        let a = add(
            &mut g,
            NodeSpec::Autoscaler(donor.autoscaling.clone().expect("autoscaling")),
        );
        wire(&a, &web, &[Flow::Control]);
    }
    let mut deploy_node = None;
    if deploy {
        let mut d = donor.deploy.clone().expect("a deploy");
        d.drain &= lb.is_some();
        let d = add(&mut g, NodeSpec::Deploy(d));
        if !two_pools {
            wire(&d, &web, &[Flow::Control]);
        }
        deploy_node = Some(d);
    }
    if monitor {
        add(
            &mut g,
            NodeSpec::Monitor(donor.monitoring.clone().expect("monitoring")),
        );
    }
    if two_pools {
        // The kinds it serves: a non-empty part of them, the first pool keeping the rest.
        let mask = g3.range(1, 14);
        let moved: Vec<Flow> = (0..4)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| Flow::REQUESTS[i])
            .collect();
        server2.count = g3.range(1, 4) as u32;
        server2.speeds.clear();
        server2.workers = g3.range(1, 16) as u32;
        let mut name = "web-api".to_string();
        while names_taken(&nodes, &name) {
            name = format!("web-api-{}", g3.range(0, 99));
        }
        nodes.push(Node {
            name: name.clone(),
            spec: NodeSpec::WebPool(server2),
        });
        // Its own autoscaler now and then.
        if g3.chance(0.5) {
            let spec = donor.autoscaling.clone().expect("autoscaling");
            let a = format!("{name}-autoscaler");
            nodes.push(Node {
                name: a.clone(),
                spec: NodeSpec::Autoscaler(spec),
            });
            edges.push((a, name.clone(), vec![Flow::Control]));
        }
        // The deploy controller rolls this pool (lowered as `deploy.pool`).
        if let Some(d) = deploy_node.take() {
            edges.push((d, name.clone(), vec![Flow::Control]));
        }
        // The wires into and out of the first pool: its moved kinds go to and from the
        // second; both read sessions; the jobs go with the writes.
        let mut split = Vec::new();
        for (from, to, flows) in &mut edges {
            let moves =
                |f: &Flow| moved.contains(f) || (*f == Flow::Job && moved.contains(&Flow::Write));
            if *to == web && *from != web {
                let theirs: Vec<Flow> = flows.iter().copied().filter(|f| moves(f)).collect();
                flows.retain(|f| !moves(f) || *f == Flow::Control);
                split.push((from.clone(), name.clone(), theirs));
            }
            if *from == web {
                let mut theirs: Vec<Flow> = flows.iter().copied().filter(|f| moves(f)).collect();
                if flows.contains(&Flow::Session) {
                    theirs.push(Flow::Session);
                }
                flows.retain(|f| !moves(f));
                split.push((name.clone(), to.clone(), theirs));
            }
        }
        edges.extend(split);
        edges.retain(|(_, _, flows)| !flows.is_empty());
    }
    graph_plugs(seed, &front, &web, &mut nodes, &dc_nodes, &mut edges);
    // Data centers anywhere in the list (their order is the scenario's order).
    for dc in dc_nodes {
        let at = g.range(0, nodes.len() as u64) as usize;
        nodes.insert(at, dc);
    }
    shuffle(&mut g, &mut nodes);
    // Wires: one per flow now and then, merged per pair otherwise, in a random order.
    let mut out: Vec<Edge> = Vec::new();
    for (from, to, flows) in edges {
        if g.chance(0.3) {
            out.extend(flows.iter().map(|f| Edge {
                from: from.clone(),
                to: to.clone(),
                flows: vec![*f],
            }));
        } else if let Some(e) = out.iter_mut().find(|e| e.from == from && e.to == to) {
            for f in flows {
                if !e.flows.contains(&f) {
                    e.flows.push(f);
                }
            }
        } else {
            out.push(Edge { from, to, flows });
        }
    }
    shuffle(&mut g, &mut out);
    let mut file = TopologyFile {
        version: SCENARIO_VERSION,
        name: format!("swarm graph {seed}"),
        stage: None,
        seed: donor.seed,
        duration_s: donor.duration_s,
        metrics_interval_ms: donor.metrics_interval_ms,
        faults: Vec::new(),
        topology: Topology {
            version: TOPOLOGY_VERSION,
            nodes,
            edges: out,
            positions: Default::default(),
        },
    };
    wire_job_writes(seed, &mut file);
    let mut scenario = file
        .lower()
        .unwrap_or_else(|e| panic!("graph {seed}: a generated graph was refused: {e}"));
    faults(&mut g, &mut scenario);
    file.faults = scenario.faults.clone();
    let mut steps = steps(&mut g, &scenario);
    let path_sample_every = *g.pick(&[1, 1, 2, 3, 10]);
    live_controls(seed, &scenario, &mut steps);
    live_reshards(seed, &scenario, &mut steps);
    plug_actions(seed ^ 0x4752_4150_4800_0000, &scenario, &mut steps);
    geo_deploys(seed, &mut scenario, &mut steps, false);
    data_center_servers(seed, &scenario, &mut steps);
    (
        Case {
            seed,
            scenario,
            steps,
            path_sample_every,
        },
        file,
    )
}

/// Now and then (half the scenarios with a queue and a database) the workers write each job
/// to the database, drawn from a generator of its own so that other scenarios come out as
/// before.
fn job_writes(seed: u64, s: &mut Scenario) {
    let mut g = Gen::new(seed ^ 0x4a4f_4257_5249_5445);
    let database = s.database.is_some();
    if let Some(q) = s.queue.as_mut().filter(|_| database) {
        q.job_writes_to_db = g.chance(0.5);
    }
}

/// Stage 11, a third of the scenarios with two or more data centers: the last data center
/// runs its own copy of the stack (`geo.data_centers[].set`), with fewer or more web workers,
/// a shorter or longer web queue, slower or faster page views and, with a cache, a smaller
/// or larger one. Only parameters change, not the component lists, so the faults and live
/// changes drawn before still name components that exist. Drawn from a generator of its own
/// and last, so the other scenarios come out as before.
fn data_center_stacks(seed: u64, s: &mut Scenario) {
    let mut g = Gen::new(seed ^ 0x4443_5354_4143_4b53);
    let (workers, queue, page_ms) = (
        s.server.workers,
        s.server.queue_capacity,
        s.server.service.page_view.mean_ms,
    );
    let items = s.cache.as_ref().map(|c| c.capacity_items);
    let Some(geo) = s.geo.as_mut().filter(|x| x.data_centers.len() >= 2) else {
        return;
    };
    if !g.chance(1.0 / 3.0) {
        return;
    }
    let set = &mut geo.data_centers.last_mut().expect("two or more").set;
    let factor = |g: &mut Gen| *g.pick(&[0.25, 0.5, 2.0, 4.0]);
    let scaled = |n: u32, f: f64, max: u32| ((f64::from(n) * f).round() as u32).clamp(1, max);
    if g.chance(0.6) {
        let f = factor(&mut g);
        set.insert("server.workers".into(), json!(scaled(workers, f, 1000)));
    }
    if g.chance(0.4) {
        let f = factor(&mut g);
        set.insert(
            "server.queue_capacity".into(),
            json!(scaled(queue, f, 10_000)),
        );
    }
    if g.chance(0.4) {
        let ms = (page_ms * factor(&mut g)).clamp(0.001, 600_000.0);
        set.insert("server.service.page_view.mean_ms".into(), json!(ms));
    }
    if let Some(items) = items.filter(|_| g.chance(0.5)) {
        let f = factor(&mut g);
        set.insert(
            "cache.capacity_items".into(),
            json!(scaled(items, f, 20_000)),
        );
    }
}

/// Now and then (half the graphs with workers and a database) a `workers → …` wire carrying
/// jobs, to the store the engine writes jobs to: the first database, or the shard router in
/// front of it (the first of the graph's databases and routers with which the graph lowers:
/// which database lowers first depends on names and wires). Drawn from a generator of its
/// own and added last, so graphs without it come out as before.
fn wire_job_writes(seed: u64, file: &mut TopologyFile) {
    let mut g = Gen::new(seed ^ 0x4a4f_4257_5249_5445);
    let t = &file.topology;
    let of_kind = |kinds: &[NodeKind]| -> Vec<String> {
        (t.nodes.iter())
            .filter(|n| kinds.contains(&n.spec.kind()))
            .map(|n| n.name.clone())
            .collect()
    };
    let Some(workers) = of_kind(&[NodeKind::Workers]).pop() else {
        return;
    };
    let stores = of_kind(&[NodeKind::ShardRouter, NodeKind::Database]);
    if stores.is_empty() || !g.chance(0.5) {
        return;
    }
    for to in stores {
        let mut tried = file.clone();
        tried.topology.edges.push(Edge {
            from: workers.clone(),
            to,
            flows: vec![Flow::Job],
        });
        if tried.lower().is_ok() {
            *file = tried;
            return;
        }
    }
    panic!("graph {seed}: the workers could write to none of the graph's data stores");
}

/// Stage 11 with a load balancer: one data center's web pool resized live now and then
/// (`servers:<data center>/web:N`, the others keep theirs), drawn from a generator of its own
/// so the other cases, and the rest of these, come out as before.
fn data_center_servers(seed: u64, s: &Scenario, steps: &mut [Step]) {
    let Some(geo) = s.geo.as_ref().filter(|_| s.load_balancer.is_some()) else {
        return;
    };
    let mut g = Gen::new(seed ^ 0x4443_5345_5256_4552);
    let pools: Vec<String> = (geo.data_centers.iter())
        .map(|dc| format!("{}/web", dc.name))
        .collect();
    for step in steps.iter_mut() {
        if g.chance(0.15) {
            step.actions.push(Action::Live(LiveAction::PoolServers {
                pool: g.pick(&pools).clone(),
                count: g.range(0, u64::from(MAX_LIVE_WEB_SERVERS)) as u32,
            }));
        }
    }
}

/// Live changes at a graph's further pools and caches, by name, drawn from a generator of
/// their own (graphs without a second pool or cache come out as before): each further pool
/// resized now and then, coalescing switched on or off at one cache at a time.
fn live_controls(seed: u64, s: &Scenario, steps: &mut [Step]) {
    let mut g = Gen::new(seed ^ 0x4c49_5645_4354_4c00);
    let pools: Vec<&str> = s.more_web_pools.iter().map(|p| p.name.as_str()).collect();
    let caches: Vec<&str> = match s.more_caches.is_empty() {
        true => Vec::new(),
        false => std::iter::once("cache")
            .chain(s.more_caches.iter().map(|c| c.name.as_str()))
            .collect(),
    };
    if pools.is_empty() && caches.is_empty() {
        return;
    }
    // A rolling deploy of the pool the deploy controller names, started live once (most of
    // the time), in one data center (the checkers learn its stops and starts from the log).
    if let Some(d) = s
        .deploy
        .as_ref()
        .filter(|d| d.pool.is_some() && s.geo.is_none())
    {
        if g.chance(0.8) && !steps.is_empty() {
            let at = g.range(0, steps.len() as u64 - 1) as usize;
            steps[at].actions.push(Action::Live(LiveAction::Deploy {
                batch: d.batch_size,
                drain: d.drain,
                pool: d.pool.clone(),
            }));
        }
    }
    for step in steps.iter_mut() {
        if !pools.is_empty() && g.chance(0.25) {
            step.actions.push(Action::Live(LiveAction::PoolServers {
                pool: g.pick(&pools).to_string(),
                count: g.range(0, u64::from(MAX_LIVE_WEB_SERVERS)) as u32,
            }));
        }
        if !caches.is_empty() && g.chance(0.2) {
            step.actions.push(Action::Live(LiveAction::CoalesceAt {
                cache: g.pick(&caches).to_string(),
                on: g.chance(0.5),
            }));
        }
    }
}

/// Live reshardings of a graph with two shard routers or more, each naming its router
/// (`reshard:<router>:N`, the first as `shards`), drawn from a generator of their own (graphs
/// with one router come out as before).
fn live_reshards(seed: u64, s: &Scenario, steps: &mut [Step]) {
    let further: Vec<String> = (s.more_databases.iter())
        .filter_map(|m| m.router_name())
        .collect();
    if further.is_empty() {
        return;
    }
    let routers: Vec<String> = (s.sharding.iter().map(|_| "shards".to_string()))
        .chain(further)
        .collect();
    let mut g = Gen::new(seed ^ 0x5245_5348_4152_4400);
    for step in steps.iter_mut() {
        if g.chance(0.15) {
            step.actions.push(Action::Live(LiveAction::ReshardAt {
                router: g.pick(&routers).clone(),
                count: g.range(1, 6) as u32,
            }));
        }
    }
}

/// Registered components in a graph, now and then, drawn from a generator of their own (graphs
/// without one come out as before): one of any kind in front of the front door, on every
/// wire into it from a node that may feed it (DNS or the data centers, the CDN edge), and
/// behind a balancer one of a kind the balancer may feed in front of a web pool, on the
/// balancer's wire to it.
fn graph_plugs(
    seed: u64,
    front: &str,
    web: &str,
    nodes: &mut Vec<Node>,
    dc_nodes: &[Node],
    edges: &mut Vec<(String, String, Vec<Flow>)>,
) {
    let mut g = Gen::new(seed ^ 0x4750_4c55_4753_0000);
    let kind_of = |nodes: &[Node], name: &str| {
        (nodes.iter().chain(dc_nodes))
            .find(|n| n.name == name)
            .map(|n| n.spec.kind())
    };
    let mut stand = |g: &mut Gen, nodes: &mut Vec<Node>, kind: PlugKind, at: &str| {
        let mut name = plug_stem(kind).to_string();
        while names_taken(nodes, &name) || dc_nodes.iter().any(|d| d.name == name) {
            name = format!("{}-{}", plug_stem(kind), g.range(0, 99));
        }
        let mut passed: Vec<Flow> = Vec::new();
        for (from, to, flows) in edges.iter_mut() {
            let feeds = kind_of(nodes, from).is_some_and(|k| kind.fed_by().contains(&k));
            if to.as_str() == at && feeds {
                *to = name.clone();
                passed.extend(flows.iter().copied());
            }
        }
        let params = plug_params(g, kind);
        nodes.push(Node {
            name: name.clone(),
            spec: NodeSpec::Plug(params),
        });
        let flows: Vec<Flow> = (Flow::REQUESTS.into_iter())
            .filter(|f| passed.contains(f))
            .collect();
        (name, flows)
    };
    let mut added = Vec::new();
    if g.chance(0.2) {
        let kind = *g.pick(&PlugKind::ALL);
        added.push((stand(&mut g, nodes, kind, front), front.to_string()));
    }
    let behind: Vec<PlugKind> = (PlugKind::ALL.into_iter())
        .filter(|k| k.fed_by().contains(&NodeKind::LoadBalancer))
        .collect();
    if front != web && !behind.is_empty() && g.chance(0.15) {
        let pools: Vec<String> = (nodes.iter())
            .filter(|n| n.spec.kind() == NodeKind::WebPool)
            .map(|n| n.name.clone())
            .collect();
        let pool = g.pick(&pools).clone();
        let kind = *g.pick(&behind);
        added.push((stand(&mut g, nodes, kind, &pool), pool));
    }
    for ((name, flows), at) in added {
        if !flows.is_empty() {
            edges.push((name, at, flows));
        }
    }
}

/// Stage 11: rolling deploys through the data centers (one at a time), drawn from a generator
/// of their own so that every other draw of a case stays as it was; cases below stage 11 are
/// left alone. A deploy started live at a random step now and then (the pool a deploy
/// controller names, else the first); and, where `schedule` allows it (the preset-based
/// cases: a graph's deploy controller is never scheduled, its file would differ), one
/// scheduled in the scenario when it has none.
fn geo_deploys(seed: u64, s: &mut Scenario, steps: &mut [Step], schedule: bool) {
    if s.geo.is_none() || s.load_balancer.is_none() {
        return;
    }
    let mut g = Gen::new(seed ^ 0x4745_4f44_4550_4c00);
    let drawn = Deploy {
        at_s: None,
        batch_size: g.range(1, 3) as u32,
        drain: g.chance(0.6),
        drain_timeout_ms: delay_ms(&mut g, 2_000.0, 600_000.0),
        startup_s: g.unit() * 5.0,
        pool: None,
    };
    let scheduled_at = g.unit() * f64::from(s.duration_s);
    let (scheduled, live) = (g.chance(0.3), g.chance(0.4));
    if schedule && scheduled && s.deploy.is_none() {
        s.deploy = Some(Deploy {
            at_s: Some((scheduled_at * 1000.0).round() / 1000.0),
            ..drawn.clone()
        });
    }
    if live && !steps.is_empty() {
        let spec = s.deploy.as_ref().unwrap_or(&drawn);
        let at = g.range(0, steps.len() as u64 - 1) as usize;
        steps[at].actions.push(Action::Live(LiveAction::Deploy {
            batch: spec.batch_size,
            drain: spec.drain,
            pool: spec.pool.clone(),
        }));
    }
}

/// Whether a node is named `name`.
fn names_taken(nodes: &[Node], name: &str) -> bool {
    nodes.iter().any(|n| n.name == name)
}

/// Fisher–Yates with the case's generator.
fn shuffle<T>(g: &mut Gen, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = g.range(0, i as u64) as usize;
        items.swap(i, j);
    }
}

/// Wires `flows` from `from` to `store`, but those in `takes` to the second database `db2`
/// (with no second database: all of them to `store`, as before).
fn split_wire(
    wire: &mut impl FnMut(&str, &str, &[Flow]),
    db2: &Option<String>,
    takes: &[Flow],
    from: &str,
    store: &str,
    flows: &[Flow],
) {
    let (second, first): (Vec<Flow>, Vec<Flow>) = flows.iter().partition(|f| takes.contains(f));
    if !first.is_empty() || db2.is_none() {
        wire(from, store, &first);
    }
    if let (Some(d2), false) = (db2, second.is_empty()) {
        wire(from, d2, &second);
    }
}
