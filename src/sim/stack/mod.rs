//! A stack: one data center's whole system — the engine of stages 1–10, and each data center
//! of the geo layer at stage 11. It owns the event queue, the RNG, the request slab and the
//! components, and moves requests through them one event at a time.
//!
//! This file holds the types and the construction; the rest is in `slab` (request slots),
//! `path` (arrival to station and back), `service` (what follows a station's service),
//! `periodic` (the metrics tick), `faults` (kill/repair through the `Part`
//! table) and `state` (snapshot, and the public [`Engine`] API).
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

mod breaker;
mod build;
mod data;
mod deploy;
mod event;
mod faults;
mod job_writes;
mod mechanisms;
mod path;
mod periodic;
mod report;
mod retries;
pub(super) mod route;
mod service;
mod site;
mod slab;
mod state;
mod sync;
mod web;

use super::components::breaker::CircuitBreaker;
use super::components::clients::{Clients, PendingRetry};
use super::components::database::{Databases, DATABASES};
use super::components::edge::EdgeTier;
use super::components::monitor::Monitor;
use super::components::registry::{
    Ask, Asking, BuiltInCtx, BuiltInEvent, BuiltInPart, Departure, Down, Follow, GroupChange,
    Listed, Nudge, Pass, PlugCtx, PlugEvent, PlugPart, RunSoFar, Served, Starts, StationTick, Step,
    Tick, Verdict,
};
use super::components::station::{ReqRef, Station};
use super::components::sync::SyncWorkers;
use super::components::web_tier::WebTier;
use super::handle::Engine;
use super::hits::IntervalHits;
use super::kernel::histogram::Histogram;
use super::kernel::queue::Lane;
use super::kernel::rng::{round_ns, Rng, Weighted};
use super::kernel::run::{Kernel, Slot};
use super::report::{LogEntry, SeriesPoint};
use super::thresholds::{ThresholdWatch, P99_OBJECTIVE_MS};
use super::{
    ComponentId, ComponentInfo, ComponentKind, ComponentState, DbRole, Hop, Outcome, PathSample,
    RequestKind, SimDuration, SimTime, Snapshot, MAX_HOPS,
};
use crate::scenario::{FaultKind, Scenario};
pub(super) use event::Event;
use route::{DataStep, Door, Route, RouteTable};
pub(super) use site::Site;
use std::collections::VecDeque;
use web::web_and_views;

/// What a component of a stack is, for its fault hooks and its state: a kind and, for the
/// components served by a station, that station. Indexed by component id, so a fault or a
/// snapshot dispatches with one `match` instead of comparing ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Part {
    /// The user population (nothing to kill).
    Users,
    /// A component served by a station (web server, database node, cache node, session
    /// store, NoSQL node): its station, `NONE` until [`Stack::add_station`] places it.
    Station(u16),
    /// A component of a registered kind: its index in [`Stack::plugs`].
    Plug(u8),
    /// A component of a built-in kind registered in `built_ins!` (DNS, the load balancer,
    /// the CDN edge): its index in [`Stack::built_ins`].
    BuiltIn(u8),
    /// One of the components a built-in kind stands as beside the request path (the message
    /// queue and its workers, `BuiltIn::members`): the kind's index in [`Stack::built_ins`]
    /// and the member's in its list.
    Member { part: u8, member: u8 },
}

impl Part {
    /// The part a new component of `kind` starts as.
    fn of_kind(kind: ComponentKind) -> Part {
        match kind {
            // A data center is the geo layer's component, never a stack's.
            ComponentKind::Users | ComponentKind::DataCenter => Part::Users,
            // Its index is set when it is built.
            ComponentKind::Dns | ComponentKind::LoadBalancer | ComponentKind::Cdn => {
                Part::BuiltIn(0)
            }
            // Its indices are set when it is built.
            ComponentKind::Queue | ComponentKind::Workers => Part::Member { part: 0, member: 0 },
            // Its station is placed when it is built (a web server, a cache node and the
            // session store are placed for their built-in kinds).
            ComponentKind::Server
            | ComponentKind::Database
            | ComponentKind::Cache
            | ComponentKind::SessionStore
            | ComponentKind::NoSql => Part::Station(NONE),
            // Its index is set when it is built.
            ComponentKind::Plug(_) => Part::Plug(0),
        }
    }
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

/// Whose a station is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tier {
    /// A station of built-in component `part` (a web server, a cache node, the shared
    /// session store, a NoSQL store's node, a database node): its kind's station hooks say
    /// what is done there, with `index` (in the station's info) its own number for the
    /// station. The stations of the kind that holds its requests ([`Stack::holder`]: the web
    /// servers) take each request first, and its answer comes back through them.
    Kind(u8),
}

#[derive(Clone, Copy)]
pub(super) struct Request {
    gen: u32,
    pub(super) state: ReqState,
    pub(super) kind: RequestKind,
    pub(super) sampled: bool,
    /// [`VIA_DOOR`], [`VIA_CDN`], [`SESSION_DONE`], [`JOB_WRITE`]
    /// (one byte: a slot is 48 bytes).
    flags: u8,
    /// Its user; for a job's write ([`JOB_WRITE`]), the worker's running slot.
    user: u32,
    /// The user's region (stage 11; 0 otherwise).
    region: u8,
    hop_count: u8,
    /// Station it is at or heading to.
    pub(super) station: u16,
    /// The station that took it and holds it while it waits further down, through which its
    /// answer comes back (of the kind at [`Stack::holder`]: its web server; `NONE` before it
    /// has one).
    web: u16,
    /// The station of a built-in kind that sent it on to the data store and takes the store's
    /// answer (`Served::ToStore`: a cache node to fill after a miss; `NONE`: none).
    fill: u16,
    /// A read that queries every shard in turn: the next shard to ask (`NONE`: not one).
    fanout_next: u16,
    /// A denormalised write: which copy it is writing (0: the one on the key's own shard).
    copy: u8,
    /// Served by the NoSQL store instead of the database.
    nosql: bool,
    /// A request of the database clusters' own (a resharding's copy job), not a user's: the
    /// mark they gave it, which only they read (`NONE`: not one).
    pub(super) copy_job: u16,
    /// Data key, or static object for requests through the CDN.
    pub(super) key: u32,
    /// When this attempt was sent (its client's timeout runs from here; when the user sent
    /// the first attempt, unless this is a retry: then `Stack::first_starts` of its slot).
    start: SimTime,
    /// Which attempt it is (1: the first; retries are 2, 3, …).
    attempt: u8,
    /// When it reached its current station.
    reached: SimTime,
    /// Synchronous web workers: it holds a worker of its web station (`web`) while it is at
    /// the data tier (since `Stack::held_since` of its slot).
    holds_web: bool,
}

pub(super) const NONE: u16 = u16::MAX;

/// [`Request::flags`]: it went through the component at the front door (the load
/// balancer), so its answer comes back through it and its slot, freed, tells it.
pub(super) const VIA_DOOR: u8 = 1;
/// Fetched from the origin on behalf of the CDN edge.
pub(super) const VIA_CDN: u8 = 2;
/// Read its session from the shared store already.
pub(super) const SESSION_DONE: u8 = 4;
/// A queue worker's write of a job's result (`job_writes.rs`), not a user's request.
pub(super) const JOB_WRITE: u8 = 16;

impl Request {
    /// Whether flag `flag` is set.
    #[inline]
    pub(super) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// Sets or clears flag `flag`.
    #[inline]
    pub(super) fn set_flag(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }
}

/// When the next arrival of a Poisson stream with mean gap `mean_ns` comes, after `now`
/// (`None` when nobody sends).
pub(super) fn next_arrival(rng: &mut Rng, now: SimTime, mean_ns: f64) -> Option<SimTime> {
    mean_ns
        .is_finite()
        .then(|| now.plus(SimDuration(round_ns(rng.exponential(mean_ns)))))
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

impl Slot for Request {
    const EMPTY: Request = Request {
        gen: 0,
        state: ReqState::Free,
        kind: RequestKind::PageView,
        sampled: false,
        flags: 0,
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
        key: 0,
        start: SimTime::ZERO,
        attempt: 1,
        reached: SimTime::ZERO,
        holds_web: false,
    };
}

/// One data center's whole stack: the engine of stages 1–10, and each data center of the geo
/// layer at stage 11 (then with a [`Site`]).
#[derive(Clone)]
pub(super) struct Stack {
    pub(super) scenario: Scenario,
    events_processed: u64,
    /// The kernel: the clock, the event queue, the RNG, the request slab, the books, the
    /// interval counters, sampled paths and the event log.
    pub(super) kernel: Kernel<Request, Event>,
    pub(super) components: Vec<ComponentInfo>,
    pub(super) stations: Vec<Station>,
    /// Per station: its component, tier and index within the tier.
    station_info: Vec<(ComponentId, Tier, u16)>,
    /// Per component: what it is (the fault and state dispatch table).
    parts: Vec<Part>,
    /// The built-in kinds' components registered in `built_in.rs` (`built_ins!`: the web
    /// tier, the monitor, the CDN edge, the message queue, DNS), those the scenario has, in
    /// registration order; reached through their hooks, and the web tier (always [`WEB`])
    /// directly by the request path.
    pub(super) built_ins: Vec<BuiltInPart>,
    /// Each one's component in the run (`ComponentId(u16::MAX)`: it has none).
    built_in_ids: Vec<ComponentId>,
    /// The built-in component standing first on the routes that go through the CDN edge
    /// ([`route::Route::via_edge`]; `None`: no CDN).
    entry: Option<u8>,
    /// The built-in component every request asks before it departs (DNS; `None`: requests
    /// leave at once).
    before_departure: Option<u8>,
    /// The built-in component at the front door (`Listed::FrontDoor`: the load balancer;
    /// `u8::MAX`: none), which the routes whose door is its node ([`Door::Component`]) reach
    /// first, and which the answers pass on their way back ([`VIA_DOOR`]).
    door: u8,
    /// The built-in component whose groups the one at the front door views
    /// (`BuiltIn::VIEWS`: the web tier, listed before the door; `u8::MAX`: no door).
    door_views: u8,
    /// The built-in component whose stations hold the requests they took while those wait
    /// further down (`BuiltIn::HOLDS_REQUESTS`: the web tier; `u8::MAX`: none).
    holder: u8,
    /// Which of `built_ins` are told of every user's request.
    user_watchers: Vec<u8>,
    /// Which of `built_ins` are told of every committed write (the message queue).
    write_takers: Vec<u8>,
    /// Which of `built_ins` are told of every request completed now (the NoSQL stores; the
    /// deploy controller while a deploy runs; see `Stack::watch_completions`).
    completion_watchers: Vec<u8>,
    /// Which of `built_ins` drive the web tier (the deploy controller): each takes a step
    /// after every round of health checks.
    web_drivers: Vec<u8>,
    /// Which of `built_ins` are told of every key a write commits (the caches).
    commit_watchers: Vec<u8>,
    /// The built-in component the web server asks first on the routes that read a session
    /// ([`route::Route::session`]: the shared session store; `None`: none).
    session_step: Option<u8>,
    /// The built-in component standing between the web server and the data store on the
    /// routes whose data step is [`DataStep::Cache`] (the cache clusters, a cluster being a
    /// group of its stations; `None`: no cache).
    before_store: Option<u8>,
    /// The built-in component that takes a share of the data requests on stations of its own
    /// (the NoSQL stores, [`route::Route::nosql_share`]; `None`: none does).
    data_share: Option<u8>,
    profile_max: f64,
    mix: Weighted<4>,
    users: u64,
    mean_interarrival_ns: f64,
    arrival_epoch: u32,
    pub(super) client_one_way: SimDuration,
    internal_one_way: SimDuration,
    timeout: SimDuration,
    pub(super) interval_ns: u64,
    pub(super) series: VecDeque<SeriesPoint>,
    series_cap: usize,
    last_point: Option<SeriesPoint>,
    /// Watches each interval's figures for threshold crossings (a lone stack only: at stage
    /// 11 the world watches the merged figures).
    watch: ThresholdWatch,
    /// Stage 11: what this stack carries as a data center of the geo layer (`None` alone).
    pub(super) site: Option<Site>,
    /// Clients that retry (`None`: they never do).
    pub(super) clients: Option<Clients>,
    /// Synchronous web workers: the holds counted (`None`: workers are freed when they hand
    /// a request on).
    pub(super) sync: Option<SyncWorkers>,
    /// The web tier's circuit breakers around its database calls, one per database (the
    /// stack's `dbs`, same settings), so one store failing opens only its own (empty: none).
    pub(super) breakers: Vec<CircuitBreaker>,
    /// Scratch list of the requests a built-in kind releases when the store answers (the
    /// misses a fill answers; kept to allocate nothing per fill).
    released: Vec<ReqRef>,
    /// Synchronous web workers: when the web worker held by the request in each slot began to
    /// hold (valid while its `holds_web`; grown as slots hold one). Kept out of [`Request`],
    /// whose slots (64 bytes) every copy of the simulation carries.
    held_since: Vec<SimTime>,
    /// When the user sent the first attempt of the retry in each slot (valid while its
    /// `attempt` is over 1; grown as slots take a retry).
    first_starts: Vec<SimTime>,
    /// Each kind of request's way through the components, read from the scenario's graph.
    pub(super) routes: RouteTable,
    /// The components of registered kinds (rate limiters, …), in the scenario's `plugs`
    /// order; the route table names them by index.
    pub(super) plugs: Vec<PlugPart>,
    /// Each one's component.
    plug_ids: Vec<ComponentId>,
    /// How many times each one has died (a request it holds when it dies fails).
    pub(super) plug_deaths: Vec<u32>,
}

impl Stack {
    /// A data center's stack (the whole system below stage 11), from a valid scenario
    /// without `geo`.
    pub(super) fn single(scenario: &Scenario) -> Stack {
        let end = SimTime::from_secs(u64::from(scenario.duration_s));
        let interval_ns = u64::from(scenario.metrics_interval_ms) * 1_000_000;
        let series_cap = (end.as_nanos() / interval_ns + 1) as usize;
        let mut sim = Stack {
            scenario: scenario.clone(),
            events_processed: 0,
            kernel: Kernel::new(scenario.seed),
            components: Vec::new(),
            stations: Vec::new(),
            station_info: Vec::new(),
            parts: Vec::new(),
            built_ins: BuiltInPart::of_scenario(scenario),
            built_in_ids: Vec::new(),
            entry: None,
            before_departure: None,
            door: u8::MAX,
            door_views: u8::MAX,
            holder: u8::MAX,
            user_watchers: Vec::new(),
            write_takers: Vec::new(),
            completion_watchers: Vec::new(),
            web_drivers: Vec::new(),
            commit_watchers: Vec::new(),
            session_step: None,
            before_store: None,
            data_share: None,
            profile_max: scenario.traffic.profile.max_factor().max(1e-9),
            mix: Weighted::new(scenario.traffic.mix.weights()),
            users: 0,
            mean_interarrival_ns: f64::INFINITY,
            arrival_epoch: 0,
            client_one_way: SimDuration::from_millis_f64(scenario.network.client_rtt_ms / 2.0),
            internal_one_way: SimDuration::from_millis_f64(scenario.network.internal_rtt_ms / 2.0),
            timeout: SimDuration::from_millis_f64(scenario.traffic.client_timeout_ms),
            interval_ns,
            series: VecDeque::with_capacity(series_cap.min(4096)),
            series_cap,
            last_point: None,
            watch: ThresholdWatch::new(P99_OBJECTIVE_MS, interval_ns as f64 / 1e9),
            site: None,
            clients: scenario.traffic.retries.as_ref().map(Clients::new),
            sync: scenario.server.sync_calls.then(SyncWorkers::default),
            breakers: breakers_for(scenario),
            released: Vec::new(),
            held_since: Vec::new(),
            first_starts: Vec::new(),
            routes: RouteTable::of_scenario(scenario),
            plugs: Vec::new(),
            plug_ids: Vec::new(),
            plug_deaths: Vec::new(),
        };
        sim.user_watchers = (sim.built_ins.iter().enumerate())
            .filter(|(_, part)| part.watches_users())
            .map(|(i, _)| i as u8)
            .collect();
        sim.write_takers = (sim.built_ins.iter().enumerate())
            .filter(|(_, part)| part.takes_writes())
            .map(|(i, _)| i as u8)
            .collect();
        sim.web_drivers = (sim.built_ins.iter().enumerate())
            .filter(|(_, part)| part.drives_web())
            .map(|(i, _)| i as u8)
            .collect();
        sim.commit_watchers = (sim.built_ins.iter().enumerate())
            .filter(|(_, part)| part.watches_commits())
            .map(|(i, _)| i as u8)
            .collect();
        sim.watch_completions();
        sim.built_in_ids = vec![ComponentId(u16::MAX); sim.built_ins.len()];
        let of_node = |node: crate::scenario::topology::NodeKind| {
            (sim.built_ins.iter())
                .position(|part| part.node() == node)
                .map(|i| i as u8)
        };
        sim.entry = of_node(crate::scenario::topology::NodeKind::CdnEdge);
        sim.session_step = of_node(crate::scenario::topology::NodeKind::SessionStore);
        sim.before_store = of_node(crate::scenario::topology::NodeKind::Cache);
        sim.data_share = of_node(crate::scenario::topology::NodeKind::NoSql);
        sim.door = (sim.built_ins.iter())
            .position(|part| part.listed() == Listed::FrontDoor)
            .map_or(u8::MAX, |i| i as u8);
        if let Some(viewed) = (sim.built_ins.get(usize::from(sim.door)))
            .and_then(BuiltInPart::views)
            .and_then(of_node)
        {
            debug_assert!(
                viewed < sim.door,
                "the kind the door views is listed after it"
            );
            sim.door_views = viewed;
        }
        sim.holder = (sim.built_ins.iter())
            .position(BuiltInPart::holds_requests)
            .map_or(u8::MAX, |i| i as u8);
        sim.before_departure = (sim.built_ins.iter())
            .position(BuiltInPart::before_departure)
            .map(|i| i as u8);
        sim.build_topology();
        sim.set_users(scenario.traffic.users);
        sim.kernel
            .events
            .push(SimTime(interval_ns), Event::MetricsTick);
        // The built-in kinds' first own events that come before the registered kinds' (the
        // balancer's health checks, then the web pools' autoscalers), then the registered
        // kinds', then the other built-ins'.
        sim.start_built_ins(Starts::First);
        sim.start_built_ins(Starts::BeforePlugs);
        for (me, plug) in sim.plugs.iter().enumerate() {
            let kernel = &mut sim.kernel;
            let name = &sim.components[usize::from(sim.plug_ids[me].0)].name;
            plug.start(&mut PlugCtx {
                kernel,
                me: me as u8,
                name,
            });
        }
        // The other built-in kinds' first own events (the queue's autoscaler).
        sim.start_built_ins(Starts::AfterPlugs);
        // Each shard router's scheduled resharding (the first's first, as before there were
        // several).
        for store in 0..=scenario.more_databases.len() {
            let plan = scenario.sharding_of(store).and_then(|s| s.reshard.as_ref());
            if let Some(r) = plan {
                sim.kernel.events.push(
                    SimTime::from_secs_f64(r.at_s),
                    Event::Reshard {
                        store: store as u8,
                        to: r.to_shards,
                    },
                );
            }
        }
        // What the built-in kinds plan at a set time (the scheduled deploy's start).
        for (me, part) in sim.built_ins.iter().enumerate() {
            part.plan(&mut BuiltInCtx {
                kernel: &mut sim.kernel,
                stations: &mut sim.stations,
                me: me as u8,
            });
        }
        sim.schedule_faults();
        sim
    }

    /// Whether a station of `tier` holds the requests it took ([`Stack::holder`]'s).
    #[inline(always)]
    pub(super) fn holds(&self, tier: Tier) -> bool {
        tier == Tier::Kind(self.holder)
    }

    /// Schedules the first own events of the built-in kinds that start `when` (see
    /// `BuiltIn::STARTS`), in registration order.
    fn start_built_ins(&mut self, when: Starts) {
        for (me, part) in self.built_ins.iter().enumerate() {
            if part.starts() == when {
                part.start(&mut BuiltInCtx {
                    kernel: &mut self.kernel,
                    stations: &mut self.stations,
                    me: me as u8,
                });
            }
        }
    }

    /// Hands a built-in component one of its own events, then does what it asks.
    // Kept out of `handle` (as the balancer's own handler was before it was registered), so
    // the resize and the deploy's steps do not weigh on the request path's arms there.
    #[inline(never)]
    fn on_built_in_event(&mut self, BuiltInEvent { part, event }: BuiltInEvent) {
        let ctx = &mut BuiltInCtx {
            kernel: &mut self.kernel,
            stations: &mut self.stations,
            me: part,
        };
        match self.built_ins[usize::from(part)].handle(event, ctx) {
            Follow::Nothing => {}
            Follow::Resize { group, count } => self.resize_part(part, group, count),
            Follow::Checked => {
                for d in 0..self.web_drivers.len() {
                    self.drive(self.web_drivers[d], Nudge::Checked);
                }
            }
            Follow::Send { mark } => self.start_own_request(mark),
            Follow::Drive => self.drive(part, Nudge::Own),
            // Asked for only in a step with the web tier lent (`Stack::drive`).
            Follow::Stop { .. } => debug_assert!(false, "a stop asked outside a step"),
        }
        self.send_job_writes(part);
    }

    fn schedule_faults(&mut self) {
        for (index, fault) in self.scenario.faults.clone().into_iter().enumerate() {
            let Some(component) = self.component_named(&fault.target) else {
                continue; // validation guarantees the name exists
            };
            let (start, end) = match fault.kind {
                FaultKind::Down => (
                    Event::Fault {
                        component,
                        down: true,
                    },
                    Event::Fault {
                        component,
                        down: false,
                    },
                ),
                // Between data centers: the geo layer's.
                FaultKind::Partition => continue,
                FaultKind::Slow | FaultKind::Errors => (
                    Event::Degrade {
                        component,
                        fault: index as u16,
                        start: true,
                    },
                    Event::Degrade {
                        component,
                        fault: index as u16,
                        start: false,
                    },
                ),
            };
            let at = SimTime::from_secs_f64(fault.at_s);
            self.kernel.events.push(at, start);
            if fault.duration_s > 0.0 {
                self.kernel
                    .events
                    .push(at.plus(SimDuration::from_secs_f64(fault.duration_s)), end);
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
        if let Some(at) = next_arrival(
            &mut self.kernel.rng,
            self.kernel.now,
            self.mean_interarrival_ns,
        ) {
            let epoch = self.arrival_epoch;
            self.kernel.events.push(at, Event::Arrival { epoch });
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
            Event::ReachEntry { req, part } => self.on_reach_entry(req, part),
            Event::Held { req, part, tag } => self.on_held(req, part, tag),
            Event::BuiltIn(event) => self.on_built_in_event(event),
            Event::ReachGate { req, gate } => self.on_reach_gate(req, gate),
            Event::LeaveGate { req, gate, life } => self.on_leave_gate(req, gate, life),
            Event::Plug(PlugEvent { plug, event }) => {
                let kernel = &mut self.kernel;
                let name = &self.components[usize::from(self.plug_ids[usize::from(plug)].0)].name;
                let ctx = &mut PlugCtx {
                    kernel,
                    me: plug,
                    name,
                };
                self.plugs[usize::from(plug)].handle(event, ctx);
            }
            Event::Answered { req, user, tag } => self.on_answered(req, user, tag),
            Event::Inject {
                user,
                ready_ms,
                region,
            } => self.on_inject(user, ready_ms, region),
            Event::InjectAnswered {
                user,
                tag,
                region,
                sent,
            } => self.on_inject_answered(user, tag, region, sent.into()),
            Event::ReachDoor { req } => self.on_reach_door(req),
            Event::BackAtWeb { req } => self.on_back_at_web(req),
            Event::Reach { req, station } => self.on_reach(req, station),
            Event::ServiceDone {
                req,
                station,
                epoch,
            } => self.on_service_done(req, station, epoch),
            Event::ClientTimeout { req } => self.on_timeout(req),
            Event::MetricsTick => self.on_tick(),
            Event::Reshard { store, to } => self.reshard_store(usize::from(store), to),
            Event::CopyRetry { req } => self.send_copy_job(req),
            Event::Degrade {
                component,
                fault,
                start,
            } => self.on_degrade(component, usize::from(fault), start),
            Event::Retry { slot } => self.on_retry(slot),
            Event::Fault { component, down } => {
                if down {
                    self.kill_with_cause(component, "scheduled fault");
                } else {
                    self.repair_with_cause(component, "scheduled repair");
                }
            }
        }
    }
}

/// The built-in component that is the web tier: registered first in `built_ins!`, and every
/// stack has one, so it is always component 0 of [`Stack::built_ins`].
pub(super) const WEB: usize = 0;

/// The database clusters' kind among a stack's built-in components (at [`DATABASES`]), for
/// what only it answers (a resharding's start and progress, the key versions it lends).
#[inline]
pub(super) fn databases(parts: &[BuiltInPart]) -> &Databases {
    match parts[usize::from(DATABASES)].get::<Databases>() {
        Some(d) => d,
        None => unreachable!("the database clusters are built-in component 1"),
    }
}

/// The same, to change them.
#[inline]
pub(super) fn databases_mut(parts: &mut [BuiltInPart]) -> &mut Databases {
    match parts[usize::from(DATABASES)].get_mut::<Databases>() {
        Some(d) => d,
        None => unreachable!("the database clusters are built-in component 1"),
    }
}

/// The web tier among a stack's built-in components (at [`WEB`]).
#[inline]
pub(super) fn web_tier(parts: &[BuiltInPart]) -> &WebTier {
    match parts[WEB].get() {
        Some(web) => web,
        None => unreachable!("the web tier is built-in component 0"),
    }
}

/// The same, to change it.
#[inline]
pub(super) fn web_tier_mut(parts: &mut [BuiltInPart]) -> &mut WebTier {
    match parts[WEB].get_mut() {
        Some(web) => web,
        None => unreachable!("the web tier is built-in component 0"),
    }
}

/// One closed circuit breaker per database of `scenario` when it sets `server.breaker`
/// (none otherwise).
pub(super) fn breakers_for(scenario: &Scenario) -> Vec<CircuitBreaker> {
    scenario
        .server
        .breaker
        .as_ref()
        .map_or_else(Vec::new, |spec| {
            (0..=scenario.more_databases.len())
                .map(|_| CircuitBreaker::new(spec))
                .collect()
        })
}
