//! The engine: owns the event queue, the RNG, the request slab and the components, and moves
//! requests through them one event at a time.
//!
//! ```text
//!  user ─DNS?─▶ [LB] ─▶ web server ──(data kinds)──▶ db node (master: writes, replica: reads)
//!   ▲                                                    │
//!   └───────────────── answer (back through web, LB) ◀───┘
//! ```
//!
//! A request's slot is freed only by the event or waiting-line entry that currently holds it
//! (its "main reference"); a client timeout or a dying server marks it abandoned and counts the
//! failure, and the holder frees it later. Events carry slot generations, so a stale timeout is
//! ignored, and station epochs, so completions scheduled before a node died are recognised.

use super::components::balancer::Balancer;
use super::components::cache_cluster::CacheCluster;
use super::components::database::{db_of_index, DataPlacement, DbTier};
use super::components::deploy::DeployRun;
use super::components::jobs::JobTier;
use super::components::nosql::NoSqlState;
use super::components::replication::KeyVersions;
use super::components::station::{ReqRef, Station};
use super::edge::EdgeTier;
use super::handle::Engine;
use super::kernel::histogram::Histogram;
use super::kernel::queue::{EventQueue, Lane};
use super::kernel::rng::{round_ns, Rng, Sampler, Weighted};
use super::monitor::Monitor;
use super::report::{DeployReport, Failover, LogEntry, SeriesPoint};
use super::zipf::Zipf;
use super::{
    ComponentId, ComponentInfo, ComponentKind, ComponentState, DbRole, Hop, Outcome, PathSample,
    RequestKind, SimTime, Snapshot, MAX_HOPS,
};
use crate::scenario::{Scenario, SessionMode, MAX_WEB_SERVERS};
use std::collections::VecDeque;

/// Sampled paths kept for animation.
const PATH_RING: usize = 512;
/// Event-log entries kept (older ones are dropped and counted).
const LOG_RING: usize = 1000;

const DNS: ComponentId = ComponentId(1);

/// What a component of a stack is, for its fault hooks and its state: a kind and, for the
/// components served by a station, that station. Indexed by component id, so a fault or a
/// snapshot dispatches with one `match` instead of comparing ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// The user population (nothing to kill).
    Users,
    /// The DNS server.
    Dns,
    /// The load balancer (nothing to kill: it fronts the web servers).
    Balancer,
    /// The CDN edge.
    Edge,
    /// The message queue (durable: nothing to kill).
    Queue,
    /// The queue's workers.
    Workers,
    /// A component served by a station (web server, database node, cache node, session
    /// store, NoSQL node): its station, `NONE` until [`Stack::add_station`] places it.
    Station(u16),
}

impl Part {
    /// The part a new component of `kind` starts as.
    fn of_kind(kind: ComponentKind) -> Part {
        match kind {
            // A data center is the geo layer's component, never a stack's.
            ComponentKind::Users | ComponentKind::DataCenter => Part::Users,
            ComponentKind::Dns => Part::Dns,
            ComponentKind::LoadBalancer => Part::Balancer,
            ComponentKind::Cdn => Part::Edge,
            ComponentKind::Queue => Part::Queue,
            ComponentKind::Workers => Part::Workers,
            ComponentKind::Server
            | ComponentKind::Database
            | ComponentKind::Cache
            | ComponentKind::SessionStore
            | ComponentKind::NoSql => Part::Station(NONE),
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Event {
    /// The next request of the open-loop arrival process (ignored if `epoch` is stale).
    Arrival { epoch: u32 },
    /// The DNS server answers a lookup sent during DNS life `epoch` (`u32::MAX`: sent while
    /// it was down).
    DnsAnswer { req: ReqRef, user: u32, epoch: u32 },
    /// Stage 11: a request the geoDNS layer hands to this data center as it arrives (see
    /// [`Sim::hand_over`]).
    Inject {
        user: u32,
        /// When a lookup of the user's still under way answers, ms (0: none is).
        ready_ms: u32,
        region: u8,
    },
    /// Stage 11: a request handed over when the lookup it started `dns_lookup` ago answers —
    /// unless geoDNS has died since (DNS life `epoch`).
    InjectAnswered { user: u32, epoch: u32, region: u8 },
    /// An answer from the data tier reaches the request's web server on its way back.
    BackAtWeb { req: ReqRef },
    /// A request reaches the load balancer.
    ReachBalancer { req: ReqRef },
    /// A request reaches a station over the network.
    Reach { req: ReqRef, station: u16 },
    /// A worker finishes a request.
    ServiceDone {
        req: ReqRef,
        station: u16,
        epoch: u32,
    },
    /// The client's patience runs out for a request that waited in a line (scheduled when it
    /// joins one; requests that never wait are checked whenever they move on).
    ClientTimeout { req: ReqRef },
    /// A metrics interval closes.
    MetricsTick,
    /// The load balancer checks every server.
    HealthCheck,
    /// The web tier notices that a database node died (`up` false) or came back.
    DbDetected {
        shard: u16,
        node: u16,
        epoch: u32,
        up: bool,
    },
    /// A replica takes over from the dead master.
    Promote { shard: u16, epoch: u32 },
    /// The data tier is resharded to `to` shards.
    Reshard { to: u32 },
    /// Resharding number `run` may start its next copy job.
    MigrationPace { run: u32 },
    /// A copy job that could not be queued tries again.
    CopyRetry { req: ReqRef },
    /// A scheduled fault starts (`down`) or ends.
    Fault { component: ComponentId, down: bool },
    /// A static-asset request reaches the CDN edge.
    ReachEdge { req: ReqRef },
    /// The edge has served a hit, unless it died since the hit began (edge life `epoch`).
    EdgeHitDone { req: ReqRef, epoch: u32 },
    /// A queue worker finishes the job in running slot `slot`.
    JobDone { slot: u32, epoch: u32 },
    /// The worker autoscaler decides.
    WorkerScaleCheck,
    /// Workers asked for by the autoscaler are ready.
    WorkersReady { count: u32 },
    /// The web autoscaling group decides.
    AutoscaleCheck,
    /// A web server launched by the autoscaler has booted.
    ServerBooted,
    /// The scenario's scheduled deploy starts.
    DeployStart,
    /// A server draining for deploy number `run` is looked at.
    DeployDrainCheck { server: u16, run: u32 },
    /// A server stopped by deploy number `run` has started its new version.
    DeployServerStarted { server: u16, run: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ReqState {
    Free,
    /// On the network toward a component.
    Transit,
    Queued,
    InService,
    /// Failure already counted; waiting for its holder to free the slot.
    Abandoned,
}

/// What happens after a database query.
enum AfterQuery {
    /// Answer the user.
    Answer,
    /// A cross-shard read asks the next shard.
    NextShard,
    /// The write's job could not be queued: the write fails.
    JobRejected,
}

/// Which tier a station belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tier {
    /// Web server number `index`.
    Web,
    /// Database node number `index`.
    Db,
    /// Cache node number `index`.
    Cache,
    /// The shared session store.
    Session,
    /// A node of the NoSQL store.
    NoSql,
}

impl Tier {
    /// How a request fails when it finds a node of this tier down.
    fn down_outcome(self) -> Outcome {
        match self {
            Tier::Web => Outcome::ServerDown,
            Tier::Db | Tier::Cache | Tier::NoSql => Outcome::DbDown,
            Tier::Session => Outcome::SessionStoreDown,
        }
    }
}

#[derive(Clone, Copy)]
pub(super) struct Request {
    gen: u32,
    pub(super) state: ReqState,
    pub(super) kind: RequestKind,
    pub(super) sampled: bool,
    via_balancer: bool,
    /// Fetched from the origin on behalf of the CDN edge.
    pub(super) via_cdn: bool,
    /// Read its session from the shared store already.
    session_done: bool,
    user: u32,
    /// The user's region (stage 11; 0 otherwise).
    region: u8,
    hop_count: u8,
    /// Station it is at or heading to.
    pub(super) station: u16,
    /// Web station that answers it (`NONE` before it has one).
    web: u16,
    /// Cache node to fill after a miss (`NONE`: no fill).
    fill: u16,
    /// A read that queries every shard in turn: the next shard to ask (`NONE`: not one).
    fanout_next: u16,
    /// A denormalised write: which copy it is writing (0: the one on the key's own shard).
    copy: u8,
    /// Served by the NoSQL store instead of the database.
    nosql: bool,
    /// A resharding's copy job, not a user's request: its job slot (`NONE`: a user's).
    pub(super) copy_job: u16,
    /// A copy job that has read its keys and goes to (or is at) their new shard.
    pub(super) copy_on_target: bool,
    /// Data key, or static object for requests through the CDN.
    pub(super) key: u32,
    seq: u64,
    start: SimTime,
    /// When it reached its current station.
    reached: SimTime,
}

pub(super) const NONE: u16 = u16::MAX;

/// When the next arrival of a Poisson stream with mean gap `mean_ns` comes, after `now`
/// (`None` when nobody sends).
pub(super) fn next_arrival(rng: &mut Rng, now: SimTime, mean_ns: f64) -> Option<SimTime> {
    mean_ns
        .is_finite()
        .then(|| now.plus(SimTime(round_ns(rng.exponential(mean_ns)))))
}

/// Thinning of a peak-rate arrival stream to the profile's rate at `now`.
pub(super) fn in_profile(
    rng: &mut Rng,
    profile: &crate::scenario::Profile,
    profile_max: f64,
    now: SimTime,
) -> bool {
    if profile.is_constant() {
        return true;
    }
    let factor = profile.factor(now.as_secs_f64());
    rng.unit() * profile_max < factor
}

/// Mean gap between arrivals of `users` users at `per_user_per_s` each, in ns. Arrivals are
/// drawn at the profile's peak rate (`profile_max` × base) and thinned to the rate of the
/// moment; infinite when nobody sends.
pub(super) fn mean_interarrival_ns(users: u64, per_user_per_s: f64, profile_max: f64) -> f64 {
    let rate_per_ns = users as f64 * per_user_per_s / 1e9;
    let rate_per_ns = (rate_per_ns * profile_max).min(crate::scenario::MAX_RATE_PER_S / 1e9);
    if rate_per_ns > 0.0 {
        1.0 / rate_per_ns
    } else {
        f64::INFINITY
    }
}

impl Request {
    const EMPTY: Request = Request {
        gen: 0,
        state: ReqState::Free,
        kind: RequestKind::PageView,
        sampled: false,
        via_balancer: false,
        via_cdn: false,
        session_done: false,
        user: 0,
        region: 0,
        hop_count: 0,
        station: NONE,
        web: NONE,
        fill: NONE,
        fanout_next: NONE,
        copy: 0,
        nosql: false,
        copy_job: NONE,
        copy_on_target: false,
        key: 0,
        seq: 0,
        start: SimTime::ZERO,
        reached: SimTime::ZERO,
    };
}

/// Counters of the current metrics interval.
#[derive(Clone, Default)]
struct IntervalCounters {
    generated: u64,
    completed: u64,
    failed: u64,
    stale_reads: u64,
    writes_committed: u64,
    cache_hits: u64,
    cache_misses: u64,
    completed_by_kind: [u64; 4],
    migration_keys_copied: u64,
}

/// Run-wide accounting.
#[derive(Clone)]
pub(super) struct Books {
    pub generated: u64,
    pub completed: u64,
    pub failed: [u64; Outcome::FAILURES.len()],
    pub latency: Histogram,
    pub latency_by_kind: [Histogram; 4],
    pub dns_lookups: u64,
    pub dns_cache_hits: u64,
    pub failovers: Vec<Failover>,
}

/// Stage 11: the part of a data center's stack that exists only because it is one of the geo
/// layer's data centers. A lone stack (stages 1–10) has none.
#[derive(Clone)]
pub(super) struct Site {
    /// Per user region, the extra one-way time from that region.
    pub region_far: Vec<SimTime>,
    /// Latency of completed requests per user region.
    pub region_latency: Vec<Histogram>,
    /// Commit times of writes not yet handed to cross-data-center replication.
    pub outbox: Vec<SimTime>,
    /// The whole data center is down. Nothing in it comes back until the data center does (a
    /// repair or the end of a scheduled fault leaves it down), and web servers added meanwhile
    /// start down.
    pub down: bool,
    /// Requests handed over and counted that have not reached this data center's now (or
    /// their DNS answer) yet.
    pub handed_over_waiting: u64,
    /// Latency histogram of the metrics interval closed last (the geo layer merges the data
    /// centers' intervals).
    pub prev_interval_latency: Histogram,
}

impl Site {
    /// The site of a data center whose users' regions are `region_far` away from it (one way,
    /// per region).
    pub fn new(region_far: Vec<SimTime>) -> Site {
        Site {
            region_latency: region_far.iter().map(|_| Histogram::new()).collect(),
            region_far,
            outbox: Vec::new(),
            down: false,
            handed_over_waiting: 0,
            prev_interval_latency: Histogram::new(),
        }
    }
}

/// One data center's whole stack: the engine of stages 1–10, and each data center of the geo
/// layer at stage 11 (then with a [`Site`]).
#[derive(Clone)]
pub(super) struct Stack {
    pub(super) scenario: Scenario,
    now: SimTime,
    pub(super) rng: Rng,
    pub(super) events: EventQueue<Event>,
    events_processed: u64,
    pub(super) components: Vec<ComponentInfo>,
    dns_alive: bool,
    /// Times the DNS server died (a lookup in flight across a death gets no answer).
    dns_deaths: u32,
    pub(super) stations: Vec<Station>,
    /// Per station: its component, tier and index within the tier.
    station_info: Vec<(ComponentId, Tier, u16)>,
    /// Per component: what it is (the fault and state dispatch table).
    parts: Vec<Part>,
    /// Web stations in server order (`web-0`, `web-1`, …).
    pub(super) web: Vec<u16>,
    /// Web servers taken out of service with `set_web_servers` (they drain and idle).
    pub(super) web_retired: Vec<bool>,
    pub(super) balancer: Option<Balancer>,
    /// The balancer's component (for recorded hops).
    balancer_id: ComponentId,
    pub(super) edge: Option<EdgeTier>,
    pub(super) cdn_id: ComponentId,
    pub(super) jobs: Option<JobTier>,
    pub(super) monitor: Option<Monitor>,
    session_mode: Option<SessionMode>,
    pub(super) session_station: u16,
    /// Sticky sessions: per user, the web server holding the session and that server's life.
    session_of: Vec<(u16, u32)>,
    /// Sticky sessions: sessions held per web server.
    sessions_on: Vec<u64>,
    pub(super) logged_out: u64,
    pub(super) relogins: u64,
    /// Web servers launched by the autoscaler and still booting.
    booting: u32,
    last_scaling: SimTime,
    profile_max: f64,
    pub(super) shards: Vec<DbTier>,
    pub(super) versions: KeyVersions,
    pub(super) placement: DataPlacement,
    pub(super) cache: Option<CacheCluster>,
    web_service: [Sampler; 4],
    session_get: Sampler,
    mix: Weighted<4>,
    pub(super) keys: Zipf,
    requests: Vec<Request>,
    /// Per request slot: the hops of a sampled request (kept apart so requests stay small).
    traces: Vec<[Hop; MAX_HOPS]>,
    free_slots: Vec<u32>,
    next_seq: u64,
    users: u64,
    /// Per user: when the cached DNS answer expires, in ms of simulated time.
    dns_expiry_ms: Vec<u32>,
    mean_interarrival_ns: f64,
    arrival_epoch: u32,
    pub(super) client_one_way: SimTime,
    internal_one_way: SimTime,
    balancer_latency: SimTime,
    dns_lookup: SimTime,
    dns_ttl_ms: u32,
    timeout: SimTime,
    pub(super) interval_ns: u64,
    sample_every: u64,
    pub(super) paths: VecDeque<PathSample>,
    pub(super) books: Books,
    interval: IntervalCounters,
    interval_latency: Histogram,
    pub(super) series: VecDeque<SeriesPoint>,
    series_cap: usize,
    last_point: Option<SeriesPoint>,
    pub(super) log: VecDeque<LogEntry>,
    pub(super) log_dropped: u64,
    /// The rolling deploy under way.
    pub(super) deploy: Option<DeployRun>,
    /// Deploys finished.
    pub(super) deploys_done: Vec<DeployReport>,
    /// The NoSQL store beside the database.
    pub(super) nosql: Option<NoSqlState>,
    /// Stage 11: what this stack carries as a data center of the geo layer (`None` alone).
    pub(super) site: Option<Site>,
}

impl Stack {
    /// A data center's stack (the whole system below stage 11), from a valid scenario
    /// without `geo`.
    pub(super) fn single(scenario: &Scenario) -> Stack {
        let end = SimTime::from_secs(u64::from(scenario.duration_s));
        let interval_ns = u64::from(scenario.metrics_interval_ms) * 1_000_000;
        let series_cap = (end.as_nanos() / interval_ns + 1) as usize;
        let keys = scenario.traffic.keyspace.keys;
        let mut sim = Stack {
            scenario: scenario.clone(),
            now: SimTime::ZERO,
            rng: Rng::new(scenario.seed),
            events: EventQueue::new(),
            events_processed: 0,
            components: Vec::new(),
            dns_alive: true,
            dns_deaths: 0,
            stations: Vec::new(),
            station_info: Vec::new(),
            parts: Vec::new(),
            web: Vec::new(),
            web_retired: Vec::new(),
            balancer: None,
            balancer_id: ComponentId(u16::MAX),
            edge: None,
            cdn_id: ComponentId(u16::MAX),
            jobs: None,
            monitor: scenario.monitoring.as_ref().map(Monitor::new),
            session_mode: scenario.sessions.as_ref().map(|s| s.mode),
            session_station: NONE,
            session_of: Vec::new(),
            sessions_on: Vec::new(),
            logged_out: 0,
            relogins: 0,
            booting: 0,
            last_scaling: SimTime::ZERO,
            profile_max: scenario.traffic.profile.max_factor().max(1e-9),
            shards: Vec::new(),
            versions: KeyVersions::new(scenario.traffic.keyspace.keys),
            placement: DataPlacement::new(scenario.sharding.as_ref()),
            cache: None,
            web_service: scenario.server.service.by_kind().map(Sampler::new),
            session_get: Sampler::new(
                &scenario
                    .sessions
                    .as_ref()
                    .map_or(crate::scenario::Dist::exponential(1.0), |s| {
                        s.store_get.clone()
                    }),
            ),
            mix: Weighted::new(scenario.traffic.mix.weights()),
            keys: Zipf::new(keys, scenario.traffic.keyspace.zipf_s),
            requests: Vec::new(),
            traces: Vec::new(),
            free_slots: Vec::new(),
            next_seq: 0,
            users: 0,
            dns_expiry_ms: Vec::new(),
            mean_interarrival_ns: f64::INFINITY,
            arrival_epoch: 0,
            client_one_way: SimTime::from_millis_f64(scenario.network.client_rtt_ms / 2.0),
            internal_one_way: SimTime::from_millis_f64(scenario.network.internal_rtt_ms / 2.0),
            balancer_latency: SimTime::ZERO,
            dns_lookup: SimTime::from_millis_f64(scenario.dns.lookup_ms),
            dns_ttl_ms: scenario.dns.ttl_s.saturating_mul(1000),
            timeout: SimTime::from_millis_f64(scenario.traffic.client_timeout_ms),
            interval_ns,
            sample_every: 1,
            paths: VecDeque::with_capacity(PATH_RING),
            books: Books {
                generated: 0,
                completed: 0,
                failed: [0; Outcome::FAILURES.len()],
                latency: Histogram::new(),
                latency_by_kind: std::array::from_fn(|_| Histogram::new()),
                dns_lookups: 0,
                dns_cache_hits: 0,
                failovers: Vec::new(),
            },
            interval: IntervalCounters::default(),
            interval_latency: Histogram::new(),
            series: VecDeque::with_capacity(series_cap.min(4096)),
            series_cap,
            last_point: None,
            log: VecDeque::new(),
            log_dropped: 0,
            deploy: None,
            deploys_done: Vec::new(),
            nosql: None,
            site: None,
        };
        sim.build_topology();
        sim.set_users(scenario.traffic.users);
        sim.events.push(SimTime(interval_ns), Event::MetricsTick);
        if let Some(lb) = &scenario.load_balancer {
            sim.events.push(
                SimTime::from_millis_f64(lb.health_interval_ms),
                Event::HealthCheck,
            );
        }
        if let Some(a) = &scenario.autoscaling {
            sim.events.push(
                SimTime::from_secs_f64(a.evaluation_interval_s),
                Event::AutoscaleCheck,
            );
        }
        if let Some(every) = sim.jobs.as_ref().and_then(|q| q.autoscale_interval()) {
            sim.events.push(every, Event::WorkerScaleCheck);
        }
        if let Some(r) = scenario.sharding.as_ref().and_then(|s| s.reshard.as_ref()) {
            sim.events.push(
                SimTime::from_secs_f64(r.at_s),
                Event::Reshard { to: r.to_shards },
            );
        }
        if let Some(at_s) = scenario.deploy.as_ref().and_then(|d| d.at_s) {
            sim.events
                .push(SimTime::from_secs_f64(at_s), Event::DeployStart);
        }
        sim.schedule_faults();
        sim
    }

    pub(super) fn add_component(&mut self, name: String, kind: ComponentKind) -> ComponentId {
        let id = ComponentId(self.components.len() as u16);
        self.components.push(ComponentInfo { id, name, kind });
        self.parts.push(Part::of_kind(kind));
        id
    }

    pub(super) fn add_station(
        &mut self,
        id: ComponentId,
        tier: Tier,
        index: u16,
        station: Station,
    ) -> u16 {
        let s = self.stations.len() as u16;
        self.stations.push(station);
        self.station_info.push((id, tier, index));
        self.parts[usize::from(id.0)] = Part::Station(s);
        s
    }

    fn build_topology(&mut self) {
        let scenario = self.scenario.clone();
        self.add_component("users".into(), ComponentKind::Users);
        self.add_component("dns".into(), ComponentKind::Dns);
        if let Some(lb) = &scenario.load_balancer {
            self.balancer_id = self.add_component("lb".into(), ComponentKind::LoadBalancer);
            self.balancer = Some(Balancer::new(lb));
            self.balancer_latency = SimTime::from_millis_f64(lb.latency_ms);
        }
        for _ in 0..scenario.server.count {
            self.add_web_server(true);
        }
        if let Some(db) = &scenario.database {
            let sharded = scenario.sharding.is_some();
            let count = scenario.sharding.as_ref().map_or(1, |s| s.shards as usize);
            for shard in 0..count {
                self.build_shard(db, shard, sharded);
            }
            self.count_shard_keys();
        }
        if let Some(spec) = &scenario.cdn {
            self.cdn_id = self.add_component("cdn".into(), ComponentKind::Cdn);
            self.edge = Some(EdgeTier::new(spec));
        }
        if let Some(sessions) = &scenario.sessions {
            if sessions.mode == SessionMode::SharedStore {
                let id = self.add_component("sessions".into(), ComponentKind::SessionStore);
                let station = Station::new(
                    sessions.store_workers,
                    sessions.store_workers.saturating_mul(16),
                );
                self.session_station = self.add_station(id, Tier::Session, 0, station);
            }
        }
        if let Some(q) = &scenario.queue {
            self.add_component("queue".into(), ComponentKind::Queue);
            self.add_component("workers".into(), ComponentKind::Workers);
            self.jobs = Some(JobTier::new(q));
        }
        if let Some(spec) = &scenario.nosql {
            self.build_nosql(spec);
        }
        if let Some(spec) = &scenario.cache {
            let mut stations = Vec::new();
            for i in 0..spec.nodes {
                let id = self.add_component(format!("cache-{i}"), ComponentKind::Cache);
                let station = Station::new(spec.workers, spec.workers.saturating_mul(16));
                stations.push(self.add_station(id, Tier::Cache, i as u16, station));
            }
            let keys = scenario.traffic.keyspace.keys;
            self.cache = Some(CacheCluster::new(spec, keys, &stations));
        }
    }

    /// Adds web server `web-N`; `initial` servers start in the balancer's pool, later ones join
    /// after passing health checks.
    fn add_web_server(&mut self, initial: bool) {
        let index = self.web.len();
        let id = self.add_component(format!("web-{index}"), ComponentKind::Server);
        let spec = &self.scenario.server;
        let mut station = Station::new(spec.workers, spec.queue_capacity);
        station.speed = spec.speeds.get(index).copied().unwrap_or(1.0);
        let s = self.add_station(id, Tier::Web, index as u16, station);
        self.web.push(s);
        self.web_retired.push(false);
        self.sessions_on.push(0);
        if let Some(b) = &mut self.balancer {
            b.add_server(initial);
        }
        if self.site.as_ref().is_some_and(|site| site.down) {
            self.kill_with_cause(id, "its data center is down");
        }
    }

    fn schedule_faults(&mut self) {
        for fault in self.scenario.faults.clone() {
            let Some(component) = self.component_named(&fault.target) else {
                continue; // validation guarantees the name exists
            };
            let at = SimTime::from_secs_f64(fault.at_s);
            self.events.push(
                at,
                Event::Fault {
                    component,
                    down: true,
                },
            );
            if fault.duration_s > 0.0 {
                self.events.push(
                    at.plus(SimTime::from_secs_f64(fault.duration_s)),
                    Event::Fault {
                        component,
                        down: false,
                    },
                );
            }
        }
    }

    /// The component with this name.
    pub fn component_named(&self, name: &str) -> Option<ComponentId> {
        self.components()
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id)
    }

    fn schedule_arrival(&mut self) {
        if let Some(at) = next_arrival(&mut self.rng, self.now, self.mean_interarrival_ns) {
            let epoch = self.arrival_epoch;
            self.events.push(at, Event::Arrival { epoch });
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrival { epoch } => {
                if epoch == self.arrival_epoch {
                    if self.arrival_now_in_profile() {
                        self.on_arrival();
                    }
                    self.schedule_arrival();
                }
            }
            Event::ReachEdge { req } => self.on_reach_edge(req),
            Event::EdgeHitDone { req, epoch } => self.on_edge_hit_done(req, epoch),
            Event::JobDone { slot, epoch } => self.on_job_done(slot, epoch),
            Event::WorkerScaleCheck => self.on_worker_scale_check(),
            Event::WorkersReady { count } => self.on_workers_ready(count),
            Event::AutoscaleCheck => self.on_autoscale_check(),
            Event::ServerBooted => self.on_server_booted(),
            Event::DeployStart => {
                if let Some(spec) = self.scenario.deploy.clone() {
                    self.start_deploy(&spec);
                }
            }
            Event::DeployDrainCheck { server, run } => self.on_deploy_drain_check(server, run),
            Event::DeployServerStarted { server, run } => {
                self.on_deploy_server_started(server, run)
            }
            Event::DnsAnswer { req, user, epoch } => self.on_dns_answer(req, user, epoch),
            Event::Inject {
                user,
                ready_ms,
                region,
            } => self.on_inject(user, ready_ms, region),
            Event::InjectAnswered {
                user,
                epoch,
                region,
            } => self.on_inject_answered(user, epoch, region),
            Event::ReachBalancer { req } => self.on_reach_balancer(req),
            Event::BackAtWeb { req } => self.on_back_at_web(req),
            Event::Reach { req, station } => self.on_reach(req, station),
            Event::ServiceDone {
                req,
                station,
                epoch,
            } => self.on_service_done(req, station, epoch),
            Event::ClientTimeout { req } => self.on_timeout(req),
            Event::MetricsTick => self.on_tick(),
            Event::HealthCheck => self.on_health_check(),
            Event::DbDetected {
                shard,
                node,
                epoch,
                up,
            } => self.on_db_detected(shard, node, epoch, up),
            Event::Promote { shard, epoch } => self.on_promote(shard, epoch),
            Event::Reshard { to } => self.reshard(to),
            Event::MigrationPace { run } => self.on_migration_pace(run),
            Event::CopyRetry { req } => self.send_copy_job(req),
            Event::Fault { component, down } => {
                if down {
                    self.kill_with_cause(component, "scheduled fault");
                } else {
                    self.repair_with_cause(component, "scheduled repair");
                }
            }
        }
    }

    // ----- request slots -----

    pub(super) fn allocate(&mut self, kind: RequestKind, key: u32) -> ReqRef {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.requests.push(Request::EMPTY);
                self.traces.push([Hop::default(); MAX_HOPS]);
                (self.requests.len() - 1) as u32
            }
        };
        let r = &mut self.requests[slot as usize];
        r.state = ReqState::Transit;
        r.kind = kind;
        r.key = key;
        r.sampled = seq.is_multiple_of(self.sample_every);
        r.via_balancer = false;
        r.via_cdn = false;
        r.session_done = false;
        r.hop_count = 0;
        r.region = 0;
        r.station = NONE;
        r.web = NONE;
        r.fill = NONE;
        r.fanout_next = NONE;
        r.copy = 0;
        r.nosql = false;
        r.copy_job = NONE;
        r.copy_on_target = false;
        r.seq = seq;
        r.start = self.now;
        ReqRef { slot, gen: r.gen }
    }

    /// Thinning of the peak-rate arrival stream to the profile's rate now.
    fn arrival_now_in_profile(&mut self) -> bool {
        let profile = &self.scenario.traffic.profile;
        in_profile(&mut self.rng, profile, self.profile_max, self.now)
    }

    /// Records a hop of a sampled request.
    pub(super) fn push_hop(
        &mut self,
        req: ReqRef,
        component: ComponentId,
        enter: SimTime,
        leave: SimTime,
    ) {
        self.push_hop_slot(req.slot as usize, component, enter, leave);
    }

    fn push_hop_slot(
        &mut self,
        slot: usize,
        component: ComponentId,
        enter: SimTime,
        leave: SimTime,
    ) {
        let r = &mut self.requests[slot];
        if r.sampled && usize::from(r.hop_count) < MAX_HOPS {
            self.traces[slot][usize::from(r.hop_count)] = Hop {
                component,
                enter,
                leave,
            };
            r.hop_count += 1;
        }
    }

    /// A request arriving somewhere whose client has already given up fails as a timeout
    /// (counted at its deadline). Returns true when that happened.
    ///
    /// Client timeouts are lazy: a timeout event is scheduled only for requests that join a
    /// waiting line; every other request is checked when it next moves. This keeps the event
    /// queue at the size of the work in progress instead of rate × timeout.
    pub(super) fn expired(&mut self, req: ReqRef) -> bool {
        let r = &self.requests[req.slot as usize];
        if r.copy_job != NONE {
            return false; // a copy job has no client to give up
        }
        if self.now.since(r.start) > self.timeout {
            self.fail(req, Outcome::Timeout, self.now);
            return true;
        }
        false
    }

    /// A request arrives somewhere: false (and it is dealt with) if it is stale, its client
    /// gave up earlier (freed now), or its client gives up now (a timeout).
    pub(super) fn still_wanted(&mut self, req: ReqRef) -> bool {
        let Some(r) = self.get(req) else {
            return false;
        };
        if r.state == ReqState::Abandoned {
            self.release(req);
            return false;
        }
        !self.expired(req)
    }

    pub(super) fn get(&self, req: ReqRef) -> Option<&Request> {
        self.requests
            .get(req.slot as usize)
            .filter(|r| r.gen == req.gen && r.state != ReqState::Free)
    }

    pub(super) fn req_mut(&mut self, req: ReqRef) -> &mut Request {
        &mut self.requests[req.slot as usize]
    }

    /// The request in `req`'s slot (whatever its generation).
    pub(super) fn request_in(&self, req: ReqRef) -> Request {
        self.requests[req.slot as usize]
    }

    pub(super) fn release(&mut self, req: ReqRef) {
        let r = &mut self.requests[req.slot as usize];
        if r.via_balancer {
            if let Some(b) = &mut self.balancer {
                b.close(usize::from(self.station_info[usize::from(r.web)].2));
            }
        }
        r.state = ReqState::Free;
        r.gen = r.gen.wrapping_add(1);
        self.free_slots.push(req.slot);
    }

    // ----- the request path -----

    fn on_arrival(&mut self) {
        if self.users == 0 {
            return;
        }
        let user = self.rng.below(self.users) as usize;
        let req = self.start_request(user, false);

        let now_ms = (self.now.as_nanos() / 1_000_000) as u32;
        let expiry_ms = self.dns_expiry_ms[user];
        if self.dns_ttl_ms == 0 || expiry_ms <= now_ms {
            self.books.dns_lookups += 1;
            // Until the answer arrives, later requests of this user wait for it.
            let done = self.now.plus(self.dns_lookup);
            let done_ms = done.as_nanos().div_ceil(1_000_000) as u32;
            self.dns_expiry_ms[user] = done_ms.saturating_add(self.dns_ttl_ms);
            let epoch = if self.dns_alive {
                self.dns_deaths
            } else {
                u32::MAX
            };
            self.events.push_in(
                Lane::Dns,
                done,
                Event::DnsAnswer {
                    req,
                    user: user as u32,
                    epoch,
                },
            );
            return;
        }
        self.books.dns_cache_hits += 1;
        // A lookup of this user's may still be under way: the request waits for its answer.
        let ready = SimTime::from_micros(u64::from(expiry_ms - self.dns_ttl_ms) * 1000);
        self.depart(req, self.now.max(ready));
    }

    /// A new request of `user`: its kind, key and fan-out drawn, counted as generated.
    /// A request `handed_over` by stage 11's geoDNS layer was counted (and its user's
    /// activity too) when it was handed over.
    fn start_request(&mut self, user: usize, handed_over: bool) -> ReqRef {
        let kind = RequestKind::ALL[self.mix.pick(&mut self.rng)];
        let key = if kind.touches_data() {
            self.draw_key()
        } else {
            0
        };
        let req = self.allocate(kind, key);
        // A share of the data requests belongs to the NoSQL store (feeds, sessions, counters).
        let nosql = match &self.nosql {
            Some(n) if kind.touches_data() => self.rng.unit() < n.share,
            _ => false,
        };
        let share = self.placement.cross_shard_share;
        if nosql {
            self.req_mut(req).nosql = true;
        } else if share > 0.0
            && matches!(kind, RequestKind::PageView | RequestKind::ApiRead)
            && self.rng.unit() < share
        {
            // A read that joins data of every shard — unless the data is denormalised, when
            // the copy on the key's own shard answers it.
            if self.placement.write_factor > 1 {
                self.placement.joins_avoided += 1;
            } else {
                self.placement.joins += 1;
                self.req_mut(req).fanout_next = 0;
            }
        }
        self.req_mut(req).user = user as u32;
        if handed_over {
            if let Some(site) = self.site.as_mut() {
                site.handed_over_waiting -= 1;
            }
            return req;
        }
        if let Some(m) = self.monitor.as_mut() {
            m.saw_user(user);
        }
        self.books.generated += 1;
        self.interval.generated += 1;
        req
    }

    /// Stage 11: the geoDNS layer sends a request of `user` from `region` here, arriving now
    /// (the world's now: not before this data center's). With `lookup`, the request's DNS
    /// lookup starts now and it is handed over when the answer comes (failing if geoDNS dies
    /// meanwhile); with `ready_ms > 0` it waits for an earlier lookup of the user's. Handed-over
    /// requests go after this data center's own events at the same time, so the order does not
    /// depend on how far it has run.
    pub(super) fn hand_over(
        &mut self,
        now: SimTime,
        user: u32,
        region: u8,
        lookup: bool,
        ready_ms: u32,
    ) {
        debug_assert!(now >= self.now);
        // Counted now, when the user sends it, whether or not this data center has got there.
        self.books.generated += 1;
        self.interval.generated += 1;
        if let Some(site) = self.site.as_mut() {
            site.handed_over_waiting += 1;
        }
        if lookup {
            let epoch = self.dns_deaths;
            self.events.push_last_in(
                Lane::Dns,
                now.plus(self.dns_lookup),
                Event::InjectAnswered {
                    user,
                    epoch,
                    region,
                },
            );
        } else {
            self.events.push_last_in(
                Lane::Handover,
                now,
                Event::Inject {
                    user,
                    ready_ms,
                    region,
                },
            );
        }
    }

    fn on_inject(&mut self, user: u32, ready_ms: u32, region: u8) {
        let req = self.start_request(user as usize, true);
        self.req_mut(req).region = region;
        let answer = SimTime::from_micros(u64::from(ready_ms) * 1000);
        if answer > self.now {
            let epoch = self.dns_deaths;
            self.events
                .push_in(Lane::Dns, answer, Event::DnsAnswer { req, user, epoch });
        } else {
            self.depart(req, self.now);
        }
    }

    fn on_inject_answered(&mut self, user: u32, epoch: u32, region: u8) {
        let req = self.start_request(user as usize, true);
        let start = self.now.since(self.dns_lookup);
        let r = self.req_mut(req);
        r.region = region;
        r.start = start;
        self.on_dns_answer(req, user, epoch);
    }

    /// Stage 11: geoDNS died; lookups under way now get no answer.
    pub(super) fn geo_dns_died(&mut self) {
        self.dns_deaths = self.dns_deaths.wrapping_add(1);
    }

    /// One way between the user of `req` and this system.
    fn client_leg(&self, req: ReqRef) -> SimTime {
        let region = usize::from(self.requests[req.slot as usize].region);
        match self
            .site
            .as_ref()
            .and_then(|site| site.region_far.get(region))
        {
            Some(far) => self.client_one_way.plus(*far),
            None => self.client_one_way,
        }
    }

    /// The DNS server answers — if it was up when asked and has not died since.
    fn on_dns_answer(&mut self, req: ReqRef, user: u32, epoch: u32) {
        let Some(r) = self.get(req) else { return };
        let (state, start) = (r.state, r.start);
        if state == ReqState::Abandoned {
            self.release(req);
            return;
        }
        let now = self.now;
        self.push_hop(req, DNS, start, now);
        if self.expired(req) {
            return;
        }
        if !self.dns_alive || epoch != self.dns_deaths {
            // No answer: the user's next request must look up again (stage 11: the geoDNS
            // layer forgot the user's answer itself).
            if let Some(expiry) = self.dns_expiry_ms.get_mut(user as usize) {
                *expiry = 0;
            }
            self.fail(req, Outcome::DnsDown, now);
            return;
        }
        self.depart(req, now);
    }

    /// The request leaves the user at `at`: static assets for the CDN edge when there is one,
    /// everything else for the front door (balancer or the one server).
    fn depart(&mut self, req: ReqRef, at: SimTime) {
        let kind = self.requests[req.slot as usize].kind;
        if let (RequestKind::StaticAsset, Some(edge)) = (kind, &self.edge) {
            let arrive = at.plus(edge.one_way);
            self.events.push(arrive, Event::ReachEdge { req });
            return;
        }
        let leg = self.client_leg(req);
        self.send_to_front_door(req, at.plus(leg));
    }

    fn on_reach_balancer(&mut self, req: ReqRef) {
        if !self.still_wanted(req) {
            return;
        }
        let now = self.now;
        let lb = self.balancer_id;
        let choice = match self.sticky_server(req) {
            Some(server) => Some(server),
            None => {
                let b = self.balancer.as_mut().expect("a balancer");
                b.pick(&mut self.rng)
            }
        };

        let Some(server) = choice else {
            self.push_hop(req, lb, now, now);
            let leg = self.client_leg(req);
            self.fail(req, Outcome::NoHealthyServer, now.plus(leg));
            return;
        };
        if let Some(b) = &mut self.balancer {
            b.open(server);
        }
        let station = self.web[server];
        let leave = now.plus(self.balancer_latency);
        let r = self.req_mut(req);
        r.via_balancer = true;
        r.web = station;
        r.station = station;
        self.push_hop(req, lb, now, leave);
        self.events.push_in(
            Lane::Balancer,
            leave.plus(self.internal_one_way),
            Event::Reach { req, station },
        );
    }

    /// Sticky sessions: the server holding this user's session, if it still can.
    fn sticky_server(&mut self, req: ReqRef) -> Option<usize> {
        if self.session_mode != Some(SessionMode::Sticky) {
            return None;
        }
        let user = self.requests[req.slot as usize].user as usize;
        let (server, life) = *self.session_of.get(user)?;
        if server == NONE {
            return None;
        }
        let i = usize::from(server);
        let same_life = self.stations[usize::from(self.web[i])].epoch == life;
        let in_pool = self.balancer.as_ref().is_some_and(|b| b.in_pool(i));
        if same_life && in_pool {
            return Some(i);
        }
        // The session is gone with its server: the user must log in again elsewhere.
        self.relogins += 1;
        self.session_of[user] = (NONE, 0);
        if same_life {
            self.sessions_on[i] = self.sessions_on[i].saturating_sub(1);
        }
        None
    }

    /// Sticky sessions: a user without a session gets one on the chosen server.
    fn note_session(&mut self, req: ReqRef, server: usize) {
        if self.session_mode != Some(SessionMode::Sticky) {
            return;
        }
        let user = self.requests[req.slot as usize].user as usize;
        if self.session_of.get(user).is_some_and(|s| s.0 == NONE) {
            let life = self.stations[usize::from(self.web[server])].epoch;
            self.session_of[user] = (server as u16, life);
            self.sessions_on[server] += 1;
        }
    }

    fn on_reach(&mut self, req: ReqRef, station: u16) {
        if !self.still_wanted(req) {
            return;
        }
        let now = self.now;
        let (component, tier, _) = self.station_info[usize::from(station)];
        {
            let r = self.req_mut(req);
            r.station = station;
            r.reached = now;
            if tier == Tier::Web {
                r.web = station;
            }
        }
        if tier == Tier::Web && self.stations[usize::from(station)].alive {
            // The server that takes the request holds the user's session from now on.
            self.note_session(req, usize::from(self.station_info[usize::from(station)].2));
        }
        let copy_job = self.requests[req.slot as usize].copy_job != NONE;
        let s = &mut self.stations[usize::from(station)];
        if copy_job && !(s.alive && (s.has_free_worker() || s.has_room())) {
            self.retry_copy_job(req);
            return;
        }
        if !s.alive {
            s.refused += 1;
            self.push_hop(req, component, now, now);
            if tier == Tier::Cache {
                // An unreachable cache is a miss: ask the database.
                self.bypass_cache(req);
                return;
            }
            let outcome = tier.down_outcome();
            let at = self.answer_time(req, now, tier);
            self.fail(req, outcome, at);
            return;
        }
        if s.has_free_worker() {
            self.start_service(req, station);
        } else if s.has_room() {
            s.account(now);
            s.line.push_back(req);
            s.waiting += 1;
            s.max_waiting = s.max_waiting.max(s.waiting);
            let r = self.req_mut(req);
            r.state = ReqState::Queued;
            if !copy_job {
                let deadline = r.start.plus(self.timeout);
                self.events
                    .push_in(Lane::Timeout, deadline, Event::ClientTimeout { req });
            }
        } else {
            s.rejected += 1;
            self.push_hop(req, component, now, now);
            let at = self.answer_time(req, now, tier);
            self.fail(req, Outcome::QueueFull, at);
        }
    }

    /// When an answer sent at `now` from a component of `tier` reaches the user, recording the
    /// return hops (web server, balancer) on the way.
    fn answer_time(&mut self, req: ReqRef, now: SimTime, tier: Tier) -> SimTime {
        let r = self.requests[req.slot as usize];
        if tier != Tier::Web && r.web != NONE {
            return self.answer_from_web(req, now.plus(self.internal_one_way));
        }
        self.answer_after_web(req, now)
    }

    /// The answer of `req`, at its web server at `t` on its way back: when it reaches the user.
    fn answer_from_web(&mut self, req: ReqRef, t: SimTime) -> SimTime {
        let web = self.station_info[usize::from(self.requests[req.slot as usize].web)].0;
        self.push_hop(req, web, t, t);
        self.answer_after_web(req, t)
    }

    /// The answer of `req`, leaving its web server at `t`: when it reaches the user.
    fn answer_after_web(&mut self, req: ReqRef, mut t: SimTime) -> SimTime {
        let r = self.requests[req.slot as usize];
        if r.via_balancer {
            t = t.plus(self.internal_one_way);
            let lb = self.balancer_id;
            let leave = t.plus(self.balancer_latency);
            self.push_hop(req, lb, t, leave);
            t = leave;
        }
        if r.via_cdn {
            return self.answer_via_edge(req, t);
        }
        t.plus(self.client_leg(req))
    }

    /// `req` is answered by `tier` now. From the data tier the answer first travels back to
    /// the request's web server — an event, so that a web server dying meanwhile (which fails
    /// the requests it was waiting on) relays nothing.
    fn answer(&mut self, req: ReqRef, now: SimTime, tier: Tier) {
        let r = self.req_mut(req);
        if tier != Tier::Web && r.web != NONE {
            r.state = ReqState::Transit;
            self.events.push_in(
                Lane::Internal,
                now.plus(self.internal_one_way),
                Event::BackAtWeb { req },
            );
            return;
        }
        let at = self.answer_time(req, now, tier);
        self.complete(req, at);
    }

    fn on_back_at_web(&mut self, req: ReqRef) {
        if !self.still_wanted(req) {
            return;
        }
        let at = self.answer_from_web(req, self.now);
        self.complete(req, at);
    }

    fn start_service(&mut self, req: ReqRef, station: u16) {
        let kind = self.requests[req.slot as usize].kind;
        let tier = self.station_info[usize::from(station)].1;
        let index = self.station_info[usize::from(station)].2;
        if self.requests[req.slot as usize].copy_job != NONE {
            let work = self.copy_work_ns(req, db_of_index(index).0);
            self.begin_service(req, station, work);
            return;
        }
        let sampler = match (tier, &self.cache) {
            (Tier::Db, _) => {
                let db = &self.shards[db_of_index(index).0];
                if kind == RequestKind::Write {
                    db.write
                } else {
                    db.read
                }
            }
            (Tier::Cache, Some(cache)) => cache.service(),
            (Tier::Session, _) => self.session_get,
            (Tier::NoSql, _) => self.nosql_sampler(kind),
            _ => self.web_service[kind as usize],
        };
        let work = sampler.sample_ns(&mut self.rng);
        self.begin_service(req, station, work);
    }

    /// A worker of `station` starts `work` ns of service (at speed 1) on `req`.
    fn begin_service(&mut self, req: ReqRef, station: u16, work: u64) {
        let now = self.now;
        let s = &mut self.stations[usize::from(station)];
        let duration = work as f64 / s.speed;
        let duration = round_ns(duration).max(1);
        s.account(now);
        s.busy += 1;
        s.started += 1;
        let r = &mut self.requests[req.slot as usize];
        s.wait_sum_ns += u128::from(now.since(r.reached).as_nanos());
        r.state = ReqState::InService;
        let epoch = s.epoch;
        self.events.push(
            now.plus(SimTime(duration)),
            Event::ServiceDone {
                req,
                station,
                epoch,
            },
        );
    }

    fn on_service_done(&mut self, req: ReqRef, station: u16, epoch: u32) {
        let now = self.now;
        let s = &mut self.stations[usize::from(station)];
        if !(s.alive && s.epoch == epoch) {
            // The node died during this service; the request was failed (abandoned) or sent
            // elsewhere then. Free it only if it is still held here.
            if let Some(r) = self.get(req) {
                if r.state == ReqState::Abandoned && r.station == station {
                    self.release(req);
                }
            }
            return;
        }
        s.account(now);
        s.busy -= 1;
        s.served += 1;
        if let Some(r) = self.get(req) {
            if r.state == ReqState::Abandoned {
                self.release(req);
            } else {
                let reached = r.reached;
                let s = &mut self.stations[usize::from(station)];
                s.sojourn_sum_ns += u128::from(now.since(reached).as_nanos());
                let (component, tier, index) = self.station_info[usize::from(station)];
                self.push_hop(req, component, reached, now);
                match tier {
                    Tier::Web => self.after_web(req),
                    Tier::Cache => self.after_cache(req, usize::from(index)),
                    Tier::Session => {
                        self.req_mut(req).session_done = true;
                        self.after_web(req);
                    }
                    Tier::NoSql => {
                        self.after_nosql(req, usize::from(index));
                        self.answer(req, now, Tier::NoSql);
                    }
                    Tier::Db if self.requests[req.slot as usize].copy_job != NONE => {
                        self.copy_step_done(req);
                    }
                    Tier::Db => {
                        let (shard, node) = db_of_index(index);
                        match self.after_db(req, shard, node) {
                            AfterQuery::Answer => self.answer(req, now, Tier::Db),
                            AfterQuery::NextShard => self.send_to_db(req),
                            AfterQuery::JobRejected => {
                                let at = self.answer_time(req, now, Tier::Db);
                                self.fail(req, Outcome::QueueFull, at);
                            }
                        }
                    }
                }
            }
        }
        self.start_next_waiting(station);
    }

    /// A cache node looked the key up: answer a hit, send a miss to the database.
    fn after_cache(&mut self, req: ReqRef, node: usize) {
        let now = self.now;
        let key = self.requests[req.slot as usize].key;
        let latest = self.versions.last_write(key);
        let c = self.cache.as_mut().expect("a cache tier");
        if c.look_up(node, key, latest, now) {
            self.interval.cache_hits += 1;
            self.answer(req, now, Tier::Cache);
        } else {
            self.interval.cache_misses += 1;
            self.req_mut(req).fill = node as u16;
            self.send_to_db(req);
        }
    }

    /// The cache could not be asked: go to the database without filling.
    fn bypass_cache(&mut self, req: ReqRef) {
        if let Some(c) = self.cache.as_mut() {
            c.bypass();
            // For the tier's effective hit ratio a skipped lookup is a miss.
            self.interval.cache_misses += 1;
        }
        self.req_mut(req).fill = NONE;
        self.send_to_db(req);
    }

    /// The web server has done its part: read the session, then answer or query the data.
    fn after_web(&mut self, req: ReqRef) {
        let now = self.now;
        let r = self.requests[req.slot as usize];
        let kind = r.kind;
        if self.session_mode == Some(SessionMode::SharedStore) && !r.session_done {
            let station = self.session_station;
            let r = self.req_mut(req);
            r.state = ReqState::Transit;
            r.station = station;
            self.events.push_in(
                Lane::Internal,
                now.plus(self.internal_one_way),
                Event::Reach { req, station },
            );
            return;
        }
        if self.shards.is_empty() || !kind.touches_data() {
            let at = self.answer_time(req, now, Tier::Web);
            if kind == RequestKind::Write && !self.maybe_publish_job() {
                self.fail(req, Outcome::QueueFull, at);
            } else {
                self.complete(req, at);
            }
            return;
        }
        if r.nosql {
            self.send_to_nosql(req);
            return;
        }
        if kind != RequestKind::Write && r.fanout_next == NONE {
            if let Some(c) = &self.cache {
                let key = self.requests[req.slot as usize].key;
                let station = c.station_for(key);
                let r = self.req_mut(req);
                r.state = ReqState::Transit;
                r.station = station;
                self.events.push_in(
                    Lane::Internal,
                    now.plus(self.internal_one_way),
                    Event::Reach { req, station },
                );
                return;
            }
        }
        self.send_to_db(req);
    }

    /// Sends a request over the internal network to `station`.
    pub(super) fn move_to(&mut self, req: ReqRef, station: u16) {
        let at = self.now.plus(self.internal_one_way);
        let r = self.req_mut(req);
        r.state = ReqState::Transit;
        r.station = station;
        self.events
            .push_in(Lane::Internal, at, Event::Reach { req, station });
    }

    /// Sends a query to the database node the web tier would pick, or fails it.
    fn send_to_db(&mut self, req: ReqRef) {
        let now = self.now;
        let r = self.requests[req.slot as usize];
        let shard = if r.fanout_next != NONE {
            usize::from(r.fanout_next)
        } else if r.copy > 0 {
            // A denormalised copy lives on the shards after the key's own.
            (self.placement.shard_of(r.key) + usize::from(r.copy)) % self.placement.map.count()
        } else {
            self.placement.shard_of(r.key)
        };
        let Some(node) = self.route_query(r.kind, shard) else {
            // No database node to ask: the web server answers with an error.
            let at = self.answer_time(req, now, Tier::Web);
            self.fail(req, Outcome::DbDown, at);
            return;
        };
        let station = self.shards[shard].nodes[node].station;
        let r = self.req_mut(req);
        r.state = ReqState::Transit;
        r.station = station;
        self.events.push_in(
            Lane::Internal,
            now.plus(self.internal_one_way),
            Event::Reach { req, station },
        );
    }

    /// A query finished at database node (shard, node): commit a write (and publish its job),
    /// or count a read and fill the cache; a cross-shard read moves on to the next shard.
    fn after_db(&mut self, req: ReqRef, shard: usize, node: usize) -> AfterQuery {
        let now = self.now;
        let r = self.requests[req.slot as usize];
        if r.kind == RequestKind::Write {
            if r.copy > 0 {
                self.commit_copy(shard, node);
            } else {
                self.commit_write(shard, node, r.key);
                self.interval.writes_committed += 1;
                if let Some(site) = self.site.as_mut() {
                    site.outbox.push(now);
                }
                self.invalidate_cached(r.key);
            }
            // Denormalised data: the write goes on to its copies before it is answered.
            let copies = self
                .placement
                .write_factor
                .min(self.placement.map.count() as u32);
            if u32::from(r.copy) + 1 < copies {
                self.req_mut(req).copy += 1;
                return AfterQuery::NextShard;
            }
            return if self.maybe_publish_job() {
                AfterQuery::Answer
            } else {
                AfterQuery::JobRejected
            };
        }
        let (version, stale) = self.read_at(shard, node, r.key, r.fanout_next == NONE);
        if stale {
            self.interval.stale_reads += 1;
        }
        if r.fanout_next != NONE {
            if usize::from(r.fanout_next) + 1 < self.shards.len() {
                self.req_mut(req).fanout_next += 1;
                return AfterQuery::NextShard;
            }
            return AfterQuery::Answer;
        }
        if r.fill != NONE {
            let c = self.cache.as_mut().expect("fill implies a cache tier");
            let alive = self.stations[usize::from(c.station_of(r.fill))].alive;
            c.fill(r.fill, alive, r.key, version, now);
        }
        AfterQuery::Answer
    }

    /// A committed write deletes the cached copy of its key (`invalidate` policy).
    fn invalidate_cached(&mut self, key: u32) {
        if let Some(c) = self.cache.as_mut() {
            c.write_committed(key);
        }
    }

    /// Hands the freed worker to the first waiting request whose client is still there.
    fn start_next_waiting(&mut self, station: u16) {
        while let Some(next) = self.stations[usize::from(station)].line.pop_front() {
            let state = self.requests[next.slot as usize].state;
            if state == ReqState::Abandoned {
                self.release(next);
                continue;
            }
            let s = &mut self.stations[usize::from(station)];
            s.account(self.now);
            s.waiting -= 1;
            self.start_service(next, station);
            return;
        }
    }

    fn on_timeout(&mut self, req: ReqRef) {
        let Some(&Request { state, station, .. }) = self.get(req) else {
            return;
        };
        match state {
            ReqState::Transit | ReqState::InService => {}
            ReqState::Queued => {
                let s = &mut self.stations[usize::from(station)];
                s.account(self.now);
                s.waiting -= 1;
            }
            ReqState::Abandoned | ReqState::Free => return,
        }
        self.count_failure(req, Outcome::Timeout, self.now);
        self.req_mut(req).state = ReqState::Abandoned;
        if state == ReqState::Queued {
            self.compact_line(station);
        }
    }

    /// Keeps a waiting line's abandoned entries at most as many as its live ones (plus a
    /// little), so memory stays bounded by the line's capacity, not by the arrival rate.
    fn compact_line(&mut self, station: u16) {
        let s = &self.stations[usize::from(station)];
        if s.line.len() <= 2 * s.waiting as usize + 64 {
            return;
        }
        for _ in 0..s.line.len() {
            let entry = self.stations[usize::from(station)]
                .line
                .pop_front()
                .expect("counted");
            if self.requests[entry.slot as usize].state == ReqState::Queued {
                self.stations[usize::from(station)].line.push_back(entry);
            } else {
                self.release(entry);
            }
        }
    }

    /// Answer reaches the user at `at`.
    pub(super) fn complete(&mut self, req: ReqRef, at: SimTime) {
        let r = self.requests[req.slot as usize];
        let latency = at.since(r.start);
        if latency > self.timeout {
            // The client stopped waiting before the answer could reach it.
            self.fail(req, Outcome::Timeout, at);
            return;
        }
        if r.kind == RequestKind::StaticAsset && r.web != NONE {
            self.static_served(r.via_cdn, r.key);
        }
        let ns = latency.as_nanos();
        self.books.completed += 1;
        self.interval.completed += 1;
        self.interval.completed_by_kind[r.kind as usize] += 1;
        self.books.latency.record(ns);
        self.books.latency_by_kind[r.kind as usize].record(ns);
        self.interval_latency.record(ns);
        if let Some(d) = self.deploy.as_mut() {
            d.latency.record(ns);
        }
        if let Some(n) = self.nosql.as_mut() {
            if r.kind.touches_data() {
                n.latency_of(r.nosql).record(ns);
            }
        }
        if let Some(h) = self
            .site
            .as_mut()
            .and_then(|site| site.region_latency.get_mut(usize::from(r.region)))
        {
            h.record(ns);
        }
        self.record_path(req.slot as usize, &r, Outcome::Ok, at);
        self.release(req);
    }

    /// Counts a failure that the user learns of at `at`, and frees the slot. A client that
    /// gave up before the failure could reach it saw a timeout.
    fn fail(&mut self, req: ReqRef, outcome: Outcome, at: SimTime) {
        self.count_failure(req, outcome, at);
        self.release(req);
    }

    /// Counts a failure the user learns of at `at` — as a timeout if the client had given up
    /// by then.
    fn count_failure(&mut self, req: ReqRef, outcome: Outcome, at: SimTime) {
        let start = self.requests[req.slot as usize].start;
        let deadline = start.plus(self.timeout);
        let (outcome, at) = if at > deadline {
            (Outcome::Timeout, deadline)
        } else {
            (outcome, at)
        };
        self.books.failed[outcome.failure_index()] += 1;
        self.interval.failed += 1;
        let r = self.requests[req.slot as usize];
        self.record_path(req.slot as usize, &r, outcome, at.max(self.now));
    }

    fn record_path(&mut self, slot: usize, r: &Request, outcome: Outcome, end: SimTime) {
        if !r.sampled {
            return;
        }
        if self.paths.len() == PATH_RING {
            self.paths.pop_front();
        }
        // Hops planned past the moment the user stopped waiting are cut there.
        let mut hops = self.traces[slot];
        let mut hop_count = 0;
        for hop in &mut hops[..usize::from(r.hop_count)] {
            if hop.enter > end {
                break;
            }
            hop.leave = hop.leave.min(end);
            hop_count += 1;
        }
        self.paths.push_back(PathSample {
            seq: r.seq,
            kind: r.kind,
            outcome,
            start: r.start,
            end,
            region: r.region,
            hops,
            hop_count,
        });
    }

    // ----- periodic work -----

    fn on_tick(&mut self) {
        let now = self.now;
        let interval_s = self.interval_ns as f64 / 1e9;
        for s in &mut self.stations {
            s.account(now);
        }
        if let Some(q) = self.jobs.as_mut() {
            q.station.account(now);
            q.station.close_interval();
        }
        let web_utilization = self
            .web
            .iter()
            .map(|&i| {
                let s = &self.stations[usize::from(i)];
                s.interval.utilization(s.workers)
            })
            .sum::<f64>()
            / self.web.len().max(1) as f64;
        let web_waiting = self
            .web
            .iter()
            .map(|&i| self.stations[usize::from(i)].interval.mean_waiting())
            .sum::<f64>();
        let (db_utilization, lag_ms) = self.db_tick();
        let point = SeriesPoint {
            t_s: now.as_secs_f64(),
            generated: self.interval.generated,
            completed: self.interval.completed,
            failed: self.interval.failed,
            throughput_rps: self.interval.completed as f64 / interval_s,
            latency_mean_ms: self.interval_latency.mean_ms(),
            latency_p50_ms: self.interval_latency.quantile_ms(0.5),
            latency_p99_ms: self.interval_latency.quantile_ms(0.99),
            utilization: web_utilization,
            queue_len_mean: web_waiting,
            db_utilization,
            replication_lag_ms: lag_ms,
            stale_reads: self.interval.stale_reads,
            writes_committed: self.interval.writes_committed,
            cdn_hit_ratio: self.edge.as_mut().map_or(0.0, |e| {
                let lookups = e.interval_hits + e.interval_misses;
                let ratio = if lookups == 0 {
                    0.0
                } else {
                    e.interval_hits as f64 / lookups as f64
                };
                e.interval_hits = 0;
                e.interval_misses = 0;
                ratio
            }),
            queue_depth: self.jobs.as_ref().map_or(0, |q| q.depth()),
            jobs_done: self
                .jobs
                .as_mut()
                .map_or(0, |q| std::mem::take(&mut q.interval_done)),
            web_servers: self.web_retired.iter().filter(|r| !**r).count() as u32,
            page_views_per_s: self.interval.completed_by_kind[RequestKind::PageView as usize]
                as f64
                / interval_s,
            writes_per_s: self.interval.completed_by_kind[RequestKind::Write as usize] as f64
                / interval_s,
            active_users: 0,
            cache_hit_ratio: {
                let lookups = self.interval.cache_hits + self.interval.cache_misses;
                if lookups == 0 {
                    0.0
                } else {
                    self.interval.cache_hits as f64 / lookups as f64
                }
            },
            in_flight: self.in_flight_counted(),
            migration_keys_copied: self.interval.migration_keys_copied,
        };
        let mut point = point;
        if self.monitor.is_some() {
            point.active_users = self.monitor_tick(&point);
        }
        if self.series.len() == self.series_cap {
            self.series.pop_front();
        }
        self.series.push_back(point.clone());
        self.last_point = Some(point);
        for s in &mut self.stations {
            s.close_interval();
        }
        self.interval = IntervalCounters::default();
        if let Some(site) = self.site.as_mut() {
            std::mem::swap(&mut self.interval_latency, &mut site.prev_interval_latency);
        }
        self.interval_latency.clear();
        self.events
            .push(now.plus(SimTime(self.interval_ns)), Event::MetricsTick);
    }

    /// The web autoscaling group compares utilization with its target.
    fn on_autoscale_check(&mut self) {
        let Some(a) = self.scenario.autoscaling.clone() else {
            return;
        };
        let now = self.now;
        self.events.push(
            now.plus(SimTime::from_secs_f64(a.evaluation_interval_s)),
            Event::AutoscaleCheck,
        );
        let active: Vec<u16> = (0..self.web.len())
            .filter(|&i| !self.web_retired[i])
            .map(|i| self.web[i])
            .collect();
        let count = active.len() as u32;
        let utilization = active
            .iter()
            .map(|&s| {
                let s = &self.stations[usize::from(s)];
                s.last_interval.utilization(s.workers)
            })
            .sum::<f64>()
            / f64::from(count.max(1));
        let desired = ((f64::from(count) * utilization / a.target_utilization).ceil() as u32)
            .clamp(a.min_servers, a.max_servers);
        if desired > count + self.booting {
            let more = desired - count - self.booting;
            self.booting += more;
            let ready = now.plus(SimTime::from_secs_f64(a.scale_out_delay_s));
            for _ in 0..more {
                self.events.push(ready, Event::ServerBooted);
            }
            self.last_scaling = now;
            self.log_event(
                "autoscaling",
                format!(
                    "autoscaling: web tier at {:.0}% (target {:.0}%); launching {more} servers, ready in {} s",
                    utilization * 100.0,
                    a.target_utilization * 100.0,
                    a.scale_out_delay_s
                ),
            );
        } else if desired < count
            && self.booting == 0
            && now.since(self.last_scaling) >= SimTime::from_secs_f64(a.scale_in_cooldown_s)
        {
            self.last_scaling = now;
            self.log_event(
                "autoscaling",
                format!(
                    "autoscaling: web tier at {:.0}% (target {:.0}%); removing {} servers",
                    utilization * 100.0,
                    a.target_utilization * 100.0,
                    count - desired
                ),
            );
            self.set_web_servers(desired);
        }
    }

    fn on_server_booted(&mut self) {
        self.booting = self.booting.saturating_sub(1);
        let active = self.web_retired.iter().filter(|r| !**r).count() as u32;
        self.set_web_servers(active + 1);
    }

    fn on_health_check(&mut self) {
        let Some(mut b) = self.balancer.take() else {
            return;
        };
        let alive: Vec<bool> = self
            .web
            .iter()
            .map(|&s| self.stations[usize::from(s)].alive)
            .collect();
        for change in b.check(&alive) {
            let name = format!("web-{}", change.server);
            let text = if change.healthy {
                format!(
                    "load balancer: {name} passed {} checks, back in the pool",
                    change.checks
                )
            } else {
                let s = &self.stations[usize::from(self.web[change.server])];
                format!(
                    "load balancer: {name} failed {} checks, taken out of the pool; {} requests were sent to it while it was down",
                    change.checks,
                    s.refused - s.refused_at_death
                )
            };
            self.log_event(&name, text);
        }
        let interval = b.interval;
        self.balancer = Some(b);
        self.events
            .push(self.now.plus(interval), Event::HealthCheck);
        if self.deploy.is_some() {
            self.deploy_progress();
        }
    }

    // ----- database failure handling -----

    /// (shard, node) of a database component.
    fn db_node_of(&self, id: ComponentId) -> Option<(usize, usize)> {
        let station = self.station_of_component(id)?;
        let (_, tier, index) = self.station_info[usize::from(station)];
        (tier == Tier::Db).then(|| db_of_index(index))
    }

    /// The part component `id` is (`None`: no such component).
    fn part(&self, id: ComponentId) -> Option<Part> {
        self.parts.get(usize::from(id.0)).copied()
    }

    /// The station serving component `id`, if it has one.
    fn station_of_component(&self, id: ComponentId) -> Option<u16> {
        match self.part(id)? {
            Part::Station(s) if s != NONE => Some(s),
            _ => None,
        }
    }

    // ----- faults -----

    pub(super) fn kill_with_cause(&mut self, id: ComponentId, cause: &str) {
        if usize::from(id.0) >= self.components.len() || !self.is_alive(id) {
            return;
        }
        let name = self.components[usize::from(id.0)].name.clone();
        let station = match self.parts[usize::from(id.0)] {
            Part::Users | Part::Balancer | Part::Queue => return, // they cannot be killed
            Part::Dns => {
                self.kill_dns(&name, cause);
                return;
            }
            Part::Edge => {
                self.kill_edge(&name, cause);
                return;
            }
            Part::Workers => {
                let back = self.kill_workers();
                self.log_event(
                    &name,
                    format!("{name} down ({cause}); {back} jobs in progress go back to the queue (nothing is lost)"),
                );
                return;
            }
            Part::Station(station) => station,
        };
        let lost = self.fail_everything_at(station);
        let mut text = if self.components[usize::from(id.0)].kind == ComponentKind::Cache {
            format!("{name} down ({cause}); its keys are gone: lookups go to the database ({lost} redirected)")
        } else {
            format!("{name} down ({cause}); {lost} requests in progress failed")
        };
        if let Some((shard, node)) = self.db_node_of(id) {
            let epoch = self.stations[usize::from(station)].epoch;
            text.push_str(self.db_node_died(shard, node, epoch));
        }
        self.log_event(&name, text);
    }

    /// The DNS server dies: lookups under way get no answer.
    fn kill_dns(&mut self, name: &str, cause: &str) {
        self.dns_alive = false;
        self.dns_deaths = self.dns_deaths.wrapping_add(1);
        self.log_event(
            name,
            format!(
                "{name} down ({cause}); clients with a cached answer keep working until it expires"
            ),
        );
    }

    /// The CDN edge dies: its contents are gone.
    fn kill_edge(&mut self, name: &str, cause: &str) {
        if let Some(edge) = self.edge.as_mut() {
            edge.alive = false;
            edge.deaths = edge.deaths.wrapping_add(1);
            edge.flush_on_outage();
        }
        self.log_event(
            name,
            format!("{name} down ({cause}); clients wait for their fallback timeout, then go to the origin"),
        );
    }

    /// Kills a station: requests waiting or in service there, and requests a dying web server
    /// is waiting on the database for, fail.
    pub(super) fn fail_everything_at(&mut self, station: u16) -> u64 {
        let now = self.now;
        let (component, tier, index) = self.station_info[usize::from(station)];
        if tier == Tier::Cache {
            return self.kill_cache_node(station, usize::from(index));
        }
        let outcome = tier.down_outcome();
        if tier == Tier::Web {
            // Sticky sessions held by this server are gone: their users are logged out.
            let server = usize::from(self.station_info[usize::from(station)].2);
            self.logged_out += self.sessions_on[server];
            self.sessions_on[server] = 0;
        }
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.alive = false;
        s.refused_at_death = s.refused;
        s.epoch = s.epoch.wrapping_add(1);
        s.busy = 0;
        s.waiting = 0;
        let mut lost = 0;
        while let Some(req) = self.stations[usize::from(station)].line.pop_front() {
            let r = self.requests[req.slot as usize];
            if r.state == ReqState::Queued && r.copy_job != NONE {
                self.retry_copy_job(req);
            } else if r.state == ReqState::Queued {
                self.push_hop(req, component, now, now);
                let at = self.answer_time(req, now, tier);
                self.fail(req, outcome, at);
                lost += 1;
            } else {
                self.release(req);
            }
        }
        // In-service requests keep their (now stale) completion events, which free them.
        for slot in 0..self.requests.len() {
            let r = self.requests[slot];
            let here = r.station == station && r.state == ReqState::InService;
            // A web server that dies drops the requests it was waiting on the database for.
            let orphaned = tier == Tier::Web
                && r.web == station
                && r.station != station
                && matches!(
                    r.state,
                    ReqState::Transit | ReqState::Queued | ReqState::InService
                )
                && r.station != NONE;
            if !(here || orphaned) {
                continue;
            }
            let req = ReqRef {
                slot: slot as u32,
                gen: r.gen,
            };
            if r.copy_job != NONE {
                // Its stale completion event finds it moved on and leaves it alone.
                self.retry_copy_job(req);
                continue;
            }
            if r.state == ReqState::Queued {
                let s = &mut self.stations[usize::from(r.station)];
                s.account(now);
                s.waiting -= 1;
            }
            if here {
                self.push_hop_slot(slot, component, r.reached, now);
            }
            let at = now.plus(self.client_leg(req));
            self.count_failure(req, outcome, at);
            self.requests[slot].state = ReqState::Abandoned;
            lost += 1;
        }
        lost
    }

    /// A cache node dies: its contents are gone, and the lookups it held become misses that
    /// go to the database. Returns the number of lookups redirected.
    fn kill_cache_node(&mut self, station: u16, node: usize) -> u64 {
        let now = self.now;
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.alive = false;
        s.epoch = s.epoch.wrapping_add(1);
        s.busy = 0;
        s.waiting = 0;
        self.cache.as_mut().expect("a cache tier").lose_node(node);
        let mut moved = 0;
        while let Some(req) = self.stations[usize::from(station)].line.pop_front() {
            if self.requests[req.slot as usize].state == ReqState::Queued {
                self.bypass_cache(req);
                moved += 1;
            } else {
                self.release(req);
            }
        }
        for slot in 0..self.requests.len() {
            let r = self.requests[slot];
            if r.station == station && r.state == ReqState::InService {
                self.bypass_cache(ReqRef {
                    slot: slot as u32,
                    gen: r.gen,
                });
                moved += 1;
            }
        }
        moved
    }

    pub(super) fn repair_with_cause(&mut self, id: ComponentId, cause: &str) {
        if usize::from(id.0) >= self.components.len()
            || self.is_alive(id)
            || self.site.as_ref().is_some_and(|site| site.down)
        {
            return;
        }
        let name = self.components[usize::from(id.0)].name.clone();
        let station = match self.parts[usize::from(id.0)] {
            Part::Users | Part::Balancer | Part::Queue => return,
            Part::Dns => {
                self.dns_alive = true;
                self.log_event(&name, format!("{name} back up ({cause})"));
                return;
            }
            Part::Edge => {
                if let Some(edge) = self.edge.as_mut() {
                    edge.alive = true;
                }
                self.log_event(&name, format!("{name} back up ({cause}); it starts empty"));
                return;
            }
            Part::Workers => {
                self.repair_workers();
                self.log_event(
                    &name,
                    format!("{name} back up ({cause}); draining the backlog"),
                );
                return;
            }
            Part::Station(station) => station,
        };
        let now = self.now;
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.alive = true;
        let epoch = s.epoch;
        let mut text = format!("{name} back up ({cause})");
        if let Some((shard, node)) = self.db_node_of(id) {
            text.push_str(&self.db_node_returned(shard, node, epoch));
        }
        self.log_event(&name, text);
    }

    /// Counts keys a resharding switched to their new shard in this metrics interval.
    pub(super) fn interval_migrated(&mut self, keys: u64) {
        self.interval.migration_keys_copied += keys;
    }

    pub(super) fn log_event(&mut self, component: &str, text: String) {
        if self.log.len() == LOG_RING {
            self.log.pop_front();
            self.log_dropped += 1;
        }
        self.log.push_back(LogEntry {
            t_s: self.now.as_secs_f64(),
            component: component.to_string(),
            text,
        });
    }

    // ----- reading the state -----

    /// Requests generated and neither completed nor failed: counted from the slab itself, so
    /// conservation checks compare two independent tallies.
    pub(super) fn in_flight_counted(&self) -> u64 {
        self.site
            .as_ref()
            .map_or(0, |site| site.handed_over_waiting)
            + self
                .requests
                .iter()
                .filter(|r| {
                    r.copy_job == NONE
                        && matches!(
                            r.state,
                            ReqState::Transit | ReqState::Queued | ReqState::InService
                        )
                })
                .count() as u64
    }

    /// Requests under way that web station `station` answers (queued or served there, or
    /// waiting on the data tier, or on their way to it).
    pub(super) fn requests_of_web(&self, station: u16) -> u64 {
        self.requests
            .iter()
            .filter(|r| {
                r.web == station
                    && matches!(
                        r.state,
                        ReqState::Transit | ReqState::Queued | ReqState::InService
                    )
            })
            .count() as u64
    }

    /// The role and replication figures of a database component, if it is one.
    pub(super) fn db_state(&self, id: ComponentId) -> Option<(DbRole, u64, f64, u64)> {
        let (shard, node) = self.db_node_of(id)?;
        Some(self.db_node_state(shard, node))
    }

    /// State of the components without a station of their own (edge, queue, workers).
    fn fill_special_state(&self, state: &mut ComponentState) {
        let part = self.parts[usize::from(state.id.0)];
        if part == Part::Edge {
            if let Some(edge) = &self.edge {
                state.items = edge.items();
                state.capacity_items = self.scenario.cdn.as_ref().map_or(0, |c| c.capacity_objects);
                let lookups = edge.hits + edge.misses;
                state.hit_ratio = if lookups == 0 {
                    0.0
                } else {
                    edge.hits as f64 / lookups as f64
                };
            }
        } else if let Some(q) = &self.jobs {
            if part == Part::Queue {
                state.queue_len = q.depth();
                state.queue_capacity = self.scenario.queue.as_ref().map_or(0, |q| q.max_depth);
            } else if part == Part::Workers {
                state.busy_workers = q.station.busy;
                state.workers = q.station.workers;
                state.utilization = q
                    .station
                    .last_interval
                    .utilization(q.station.workers)
                    .min(1.0);
            }
        }
    }

    /// Items, capacity, hit ratio and stale hits of a cache component, if it is one.
    pub(super) fn cache_state(&self, id: ComponentId) -> Option<(u32, u32, f64, u64)> {
        let station = self.station_of_component(id)?;
        let (_, tier, index) = self.station_info[usize::from(station)];
        if tier != Tier::Cache {
            return None;
        }
        let n = self.cache.as_ref()?.node_state(usize::from(index));
        Some((n.items, n.capacity_items, n.hit_ratio, n.stale_reads))
    }

    /// [`Sim::snapshot`] of one data center's stack.
    pub(super) fn snapshot_single(&self) -> Snapshot {
        let failed: u64 = self.books.failed.iter().sum();
        let recent = self.last_point.as_ref();
        let components = self
            .components
            .iter()
            .map(|c| {
                let mut state = ComponentState {
                    id: c.id,
                    alive: self.is_alive(c.id),
                    ..ComponentState::default()
                };
                if let Some(si) = self.station_of_component(c.id) {
                    let s = &self.stations[usize::from(si)];
                    state.busy_workers = s.busy;
                    state.workers = s.workers;
                    state.queue_len = s.waiting;
                    state.queue_capacity = s.capacity;
                    state.utilization = s.last_interval.utilization(s.workers);
                    let (_, tier, index) = self.station_info[usize::from(si)];
                    if tier == Tier::Web {
                        let i = usize::from(index);
                        state.in_pool = self.balancer.as_ref().is_none_or(|b| b.in_pool(i));
                        state.retired = self.web_retired[i];
                        state.deploy = self.deploy_step_of(i);
                    }
                }
                self.fill_special_state(&mut state);
                if let Some((items, capacity, hit_ratio, stale)) = self.cache_state(c.id) {
                    state.items = items;
                    state.capacity_items = capacity;
                    state.hit_ratio = hit_ratio;
                    state.stale_reads = stale;
                }
                if let Some((role, writes, ms, stale)) = self.db_state(c.id) {
                    state.role = Some(role);
                    state.lag_writes = writes;
                    state.lag_ms = ms;
                    state.stale_reads = stale;
                }
                state
            })
            .collect();
        Snapshot {
            time_s: self.now.as_secs_f64(),
            requests_total: self.books.generated,
            requests_completed: self.books.completed,
            requests_failed: failed,
            in_flight: self.books.generated - self.books.completed - failed,
            latency_p50_ms: self.books.latency.quantile_ms(0.5),
            latency_p99_ms: self.books.latency.quantile_ms(0.99),
            latency_mean_ms: self.books.latency.mean_ms(),
            recent_throughput_rps: recent.map_or(0.0, |p| p.throughput_rps),
            recent_latency_p99_ms: recent.map_or(0.0, |p| p.latency_p99_ms),
            recent_failures_per_s: recent
                .map_or(0.0, |p| p.failed as f64 / (self.interval_ns as f64 / 1e9)),
            writes_lost: self.shards.iter().map(|d| d.replication.lost).sum(),
            stale_reads: self.shards.iter().map(|d| d.stale_reads).sum(),
            recent_cache_hit_ratio: recent.map_or(0.0, |p| p.cache_hit_ratio),
            recent_cdn_hit_ratio: recent.map_or(0.0, |p| p.cdn_hit_ratio),
            queue_depth: self.jobs.as_ref().map_or(0, |q| q.depth()),
            recent_active_users: recent.map_or(0, |p| p.active_users),
            recent_page_views_per_s: recent.map_or(0.0, |p| p.page_views_per_s),
            recent_writes_per_s: recent.map_or(0.0, |p| p.writes_per_s),
            logged_out: self.logged_out,
            stale_cache_reads: self.cache.as_ref().map_or(0, |c| c.stale_reads()),
            events_processed: self.events_processed,
            components,
        }
    }

    /// Whether some web server is up and in service (what a health check of the whole data
    /// center sees).
    pub(super) fn any_web_alive(&self) -> bool {
        self.web
            .iter()
            .zip(&self.web_retired)
            .any(|(&s, &retired)| !retired && self.stations[usize::from(s)].alive)
    }

    /// The station of a component (for reports).
    pub(super) fn station_of(&self, id: ComponentId) -> Option<&Station> {
        self.station_of_component(id)
            .map(|s| &self.stations[usize::from(s)])
    }
}

impl Engine for Stack {
    /// The scenario this run was built from (with live changes such as users applied).
    fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Current simulated time.
    fn now(&self) -> SimTime {
        self.now
    }

    /// Every component, in id order.
    fn components(&self) -> &[ComponentInfo] {
        &self.components
    }

    /// Events processed so far.
    fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Records one request in `every` for animation (1 = all). Does not change the run.
    fn set_path_sample_every(&mut self, every: u64) {
        self.sample_every = every.max(1);
    }

    /// Sampled paths of recent requests, oldest first (at most 512).
    fn recent_paths(&self) -> &VecDeque<PathSample> {
        &self.paths
    }

    /// The event log, oldest first.
    fn log(&self) -> &VecDeque<LogEntry> {
        &self.log
    }

    /// Every alert that fired or resolved and is still kept, oldest first (empty without
    /// monitoring). At stage 11 each data center's, its rules named after it ("us-east: …").
    fn alerts(&self) -> Vec<super::AlertEvent> {
        self.monitor
            .as_ref()
            .map_or_else(Vec::new, |m| m.alerts.iter().cloned().collect())
    }

    /// Changes the user population from now on (capped at the validated maximum).
    fn set_users(&mut self, users: u64) {
        let users = users.min(crate::scenario::MAX_USERS);
        self.users = users;
        self.scenario.traffic.users = users;
        if self.dns_expiry_ms.len() < users as usize {
            self.dns_expiry_ms.resize(users as usize, 0);
        }
        if let Some(m) = self.monitor.as_mut() {
            m.reserve_users(users as usize);
        }
        if self.session_mode == Some(SessionMode::Sticky) && self.session_of.len() < users as usize
        {
            self.session_of.resize(users as usize, (NONE, 0));
        }
        self.mean_interarrival_ns = mean_interarrival_ns(
            users,
            self.scenario.traffic.requests_per_user_per_s,
            self.profile_max,
        );
        // Poisson arrivals are memoryless: drop the pending arrival and draw afresh.
        self.arrival_epoch = self.arrival_epoch.wrapping_add(1);
        self.schedule_arrival();
    }

    /// Changes the number of web servers in service. New servers join the balancer's pool
    /// after passing its health checks; removed ones leave the pool at once and finish what
    /// they hold. Without a load balancer the count stays 1.
    fn set_web_servers(&mut self, count: u32) {
        if self.balancer.is_none() {
            return;
        }
        let count = count.clamp(1, MAX_WEB_SERVERS) as usize;
        let mut active = self.web_retired.iter().filter(|r| !**r).count();
        // Bring back retired servers first, lowest number first.
        for i in 0..self.web.len() {
            if active >= count {
                break;
            }
            if self.web_retired[i] {
                self.web_retired[i] = false;
                if let Some(b) = &mut self.balancer {
                    b.register(i);
                }
                active += 1;
                self.log_event(
                    &format!("web-{i}"),
                    format!("web-{i} added back; joins the pool once healthy"),
                );
            }
        }
        while active < count {
            self.add_web_server(false);
            let i = self.web.len() - 1;
            self.log_event(
                &format!("web-{i}"),
                format!("web-{i} added; joins the pool once healthy"),
            );
            active += 1;
        }
        for i in (0..self.web.len()).rev() {
            if active <= count {
                break;
            }
            if !self.web_retired[i] {
                self.web_retired[i] = true;
                if let Some(b) = &mut self.balancer {
                    b.deregister(i);
                }
                active -= 1;
                self.log_event(
                    &format!("web-{i}"),
                    format!("web-{i} removed from the pool"),
                );
            }
        }
        self.scenario.server.count = count as u32;
    }

    /// Processes every event up to and including time `t`, but at most `max_events`.
    /// Returns the number processed; when the budget runs out, [`Sim::now`] stays below `t`.
    fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64 {
        let mut done = 0;
        while done < max_events {
            let Some((at, event)) = self.events.pop_until(t) else {
                self.now = self.now.max(t);
                break;
            };
            self.now = at;
            self.handle(event);
            done += 1;
        }
        self.events_processed += done;
        done
    }

    /// Whether a component is up.
    fn is_alive(&self, id: ComponentId) -> bool {
        match self.part(id) {
            None => false,
            Some(Part::Users | Part::Balancer | Part::Queue) => true,
            Some(Part::Dns) => self.dns_alive,
            Some(Part::Edge) => self.edge.as_ref().is_some_and(|e| e.alive),
            Some(Part::Workers) => self.jobs.as_ref().is_some_and(|q| q.station.alive),
            Some(Part::Station(s)) => s == NONE || self.stations[usize::from(s)].alive,
        }
    }

    /// Takes a component down now.
    fn kill(&mut self, id: ComponentId) {
        self.kill_with_cause(id, "killed by the user");
    }

    /// Brings a component back now.
    fn repair(&mut self, id: ComponentId) {
        self.repair_with_cause(id, "repaired by the user");
    }

    /// The state now, for display.
    fn snapshot(&self) -> Snapshot {
        self.snapshot_single()
    }

    /// Number of events waiting in the queue (for tests of boundedness).
    fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// Roughly how many bytes of memory this simulation holds, and so what a clone of it
    /// costs: the request slab, the per-user and per-key tables, the event queue and the cache
    /// contents (the small, bounded parts are left out). For snapshot budgets.
    fn footprint_bytes(&self) -> u64 {
        let slab = self.requests.capacity() * std::mem::size_of::<Request>()
            + self.traces.capacity() * std::mem::size_of::<[Hop; MAX_HOPS]>()
            + self.free_slots.capacity() * 4;
        let per_user = self.dns_expiry_ms.capacity() * 4
            + self.session_of.capacity() * std::mem::size_of::<(u16, u32)>();
        let cache = self.cache.as_ref().map_or(0, |c| c.heap_bytes());
        let stations: usize = self
            .stations
            .iter()
            .map(|s| s.line.capacity() * std::mem::size_of::<ReqRef>())
            .sum();
        let migration = self
            .placement
            .migration
            .as_ref()
            .map_or(0, |m| m.heap_bytes());
        (slab
            + per_user
            + self.versions.heap_bytes()
            + cache
            + self.events.heap_bytes()
            + stations
            + migration) as u64
    }

    /// Stage 11: regions, data centers and what geoDNS answers now (`None` below stage 11).
    fn geo_status(&self) -> Option<super::GeoStatus> {
        None
    }

    fn report(&self) -> super::Report {
        self.report_single()
    }

    fn reshard(&mut self, count: u32) {
        Stack::reshard(self, count);
    }

    fn reshard_progress(&self) -> Option<super::ReshardProgress> {
        Stack::reshard_progress(self)
    }

    fn start_deploy(&mut self, spec: &crate::scenario::Deploy) -> bool {
        Stack::start_deploy(self, spec)
    }

    fn deploy_running(&self) -> bool {
        Stack::deploy_running(self)
    }

    fn cdn_purge_all(&mut self) {
        Stack::cdn_purge_all(self);
    }

    fn cdn_new_version(&mut self, object: u32) {
        Stack::cdn_new_version(self, object);
    }
}
