//! The app's state and the actions that change it (a reducer, as in yew's `function_todomvc`).
//!
//! The [`Scenario`] is the single source of truth for what runs: the stage's preset plus the
//! user's changes (users, web servers, balancing policy, replicas …). It is what the URL carries.
//! Changes that the simulation can take live (users, web servers) keep the run going; the others
//! bump `run`, which rebuilds the simulation from the scenario. The simulation itself lives in
//! [`super::runner::Runner`]; effects in [`super::app`] carry state changes over to it.

use std::collections::BTreeMap;
use std::rc::Rc;

use yew::Reducible;

use super::reading::Read;
use crate::layout::Diagram;
use crate::scenario::{
    preset, BalancePolicy, Denormalise, Eviction, LiveChange, NoSqlStore, Scenario, SessionMode,
    ShardStrategy, TopologyFile, MAX_USERS,
};
use crate::sim::{
    AlertEvent, ComponentId, DbRole, DeployStep, GeoStatus, LogEntry, ReshardProgress,
};
use crate::tour::tour_nosql_store;

/// Simulated seconds per real second offered in the speed selector.
pub const SPEEDS: [f64; 8] = [0.02, 0.05, 0.1, 0.2, 1.0, 5.0, 20.0, 100.0];
/// The speed a run starts at: slow enough that single requests can be followed by eye.
pub const DEFAULT_SPEED_INDEX: usize = 2;

/// Fewest users the slider offers.
pub const USERS_MIN: u64 = 10;
/// Most users the slider offers.
pub const USERS_MAX: u64 = 10_000_000;
/// Slider positions span `0..=USERS_SLIDER_STEPS`.
pub const USERS_SLIDER_STEPS: u32 = 600;
/// Most web servers the control offers.
pub const WEB_SERVERS_MAX: u32 = 128;
/// Most read replicas the control offers.
pub const REPLICAS_MAX: u32 = 4;

/// What the user asked for, plus the latest figures.
#[derive(Clone, Debug, PartialEq)]
pub struct AppState {
    /// What runs: a stage's preset plus the user's changes.
    pub scenario: Rc<Scenario>,
    /// Whether simulated time advances.
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed_index: usize,
    /// Whether the diagram flows top to bottom (narrow screens).
    pub portrait: bool,
    /// Bumped whenever the simulation must be rebuilt from the scenario.
    pub run: u32,
    /// Whether the next URL update should add a history entry (stage changes) rather than
    /// replace the current one.
    pub push_history: bool,
    /// The component shown in the inspector.
    pub selected: Option<ComponentId>,
    /// A dismissible message for the user (a bad link, a copied link).
    pub notice: Option<Notice>,
    /// Whether the keyboard help is open.
    pub help_open: bool,
    /// The diagram of the current topology, once the simulation is built.
    pub diagram: Option<Rc<Diagram>>,
    /// Why the simulation could not be built, if it could not.
    pub error: Option<String>,
    /// The latest figures read from the simulation.
    pub figures: Rc<Figures>,
    /// Simulated time to seek to once the run is built (a link's time position).
    pub start_at_s: Option<f64>,
    /// Live changes to replay in the run once it is built (a link's `live=` part).
    pub start_live: Rc<Vec<LiveChange>>,
    /// The drawn architecture the run started from (the editor's, a v2 link's, a graph file's);
    /// the link then carries it (`v2.`).
    pub graph: Option<Rc<TopologyFile>>,
    /// Whether the editor is open.
    pub editing: bool,
    /// The group of the diagram whose panel is open (its [`crate::layout::DiagramCluster`]
    /// key, such as `web`); it stays open while the run goes on and across restarts of the same
    /// stage, as the editor's open groups do.
    pub open_group: Option<String>,
    /// The link the page opened on is being read (by the engine's wasm, super::reading):
    /// meanwhile its stage's preset (or stage 1's) shows and the address bar keeps the link.
    pub reading_link: bool,
    /// The last link or file handed to the engine to read, numbered (each a new number).
    pub read: Option<(u32, Rc<Read>)>,
}

/// A message shown above the diagram until dismissed. Always rendered as text.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    /// The message.
    pub text: String,
    /// Whether it reports a problem (shown as an alert) or just information.
    pub problem: bool,
}

/// Things the user (or the animation clock) does.
#[derive(Clone, Debug)]
pub enum Action {
    /// Play if paused, pause if playing.
    TogglePlay,
    /// Play (true) or pause (false).
    SetPlaying(bool),
    /// Choose a speed (index into [`SPEEDS`]).
    SetSpeed(usize),
    /// Change the number of users, live.
    SetUsers(u64),
    /// Change the number of web servers in service, live (stage 3 on).
    SetWebServers(u32),
    /// Change the number of servers in service of further web pool `n` (1: the first of
    /// `more_web_pools`), live.
    SetPoolServers(u8, u32),
    /// Stage 11: change the number of web servers in service in data center `n` alone,
    /// live (its own `server.count`; the others keep theirs).
    SetDataCenterServers(u8, u32),
    /// Change how the load balancer picks a server (rebuilds the run).
    SetPolicy(BalancePolicy),
    /// Change the number of read replicas (rebuilds the run).
    SetReplicas(u32),
    /// Change the workers of each database node: vertical scaling (rebuilds the run).
    SetDbWorkers(u32),
    /// Change the items each cache node holds (rebuilds the run).
    SetCacheCapacity(u32),
    /// Change the cache's time to live, in seconds; 0: no expiry (rebuilds the run).
    SetCacheTtl(u32),
    /// Change which item a full cache node drops (rebuilds the run).
    SetEviction(Eviction),
    /// Keep sessions on the web servers (sticky) or in a shared store (rebuilds the run).
    SetSessionMode(SessionMode),
    /// Change the number of queue workers the run starts with (rebuilds the run).
    SetQueueWorkers(u32),
    /// Start the run with this many web servers, the autoscaling group's range widened to
    /// hold them (rebuilds the run; the tour's [`crate::tour::Step::StartServers`]).
    SetStartServers(u32),
    /// Change how keys map to shards (rebuilds the run).
    SetShardStrategy(ShardStrategy),
    /// Change the share of data requests, in percent, that go to the first celebrity key
    /// (rebuilds the run).
    SetCelebrityShare(u32),
    /// Send this share of data requests, in percent, to a NoSQL store beside the database
    /// (0: none; rebuilds the run).
    SetNoSqlShare(u32),
    /// Denormalise the shards with this many copies of every record (1: not; rebuilds the run).
    SetDenormalise(u32),
    /// Show another stage (ignored for stages not built yet); adds a history entry.
    SelectStage(u8),
    /// Show the stage before or after the current one (skipping stages not built).
    StepStage(i8),
    /// Run this scenario (from a link, a file, or back/forward) with the link's live changes
    /// replayed at their times, from the time position if one is given (paused there);
    /// replaces the history entry.
    Open(Rc<Scenario>, Option<f64>, Rc<Vec<LiveChange>>),
    /// Run a drawn architecture (the scenario it lowers to), with a link's live changes and
    /// time position if any; replaces the history entry.
    OpenGraph(
        Rc<TopologyFile>,
        Rc<Scenario>,
        Option<f64>,
        Rc<Vec<LiveChange>>,
    ),
    /// Open (true) or close the editor.
    SetEditing(bool),
    /// The drawing changed in a way the run does not depend on (a node moved or renamed):
    /// keep it as the run's graph, which links and files carry, without restarting.
    KeepGraph(Rc<TopologyFile>),
    /// Start the current scenario again from time zero.
    Restart,
    /// Show a component in the inspector (or close it).
    Select(Option<ComponentId>),
    /// Open a group's panel in the diagram (by its key), or close it (`None`).
    OpenGroup(Option<String>),
    /// Have the engine read a link or a scenario file (what it read comes back as an
    /// [`Action::Open`] and a notice).
    Read(Rc<Read>),
    /// The link the page opened on could not be read: show the default scenario and why.
    LinkUnreadable(Notice),
    /// Show a message.
    Notify(Notice),
    /// Hide the message.
    DismissNotice,
    /// Open or close the keyboard help.
    SetHelp(bool),
    /// The simulation was built (or its topology changed); this is its diagram.
    Loaded(Rc<Diagram>),
    /// The simulation could not be built.
    LoadFailed(String),
    /// Fresh figures from the running simulation.
    Figures(Rc<Figures>),
    /// The screen became narrow (true) or wide (false).
    SetPortrait(bool),
}

/// Where the simulation runs, as the status bar says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SimPlace {
    /// No figures from the run yet (a web worker still loading, a run being rebuilt).
    #[default]
    Starting,
    /// In the page.
    Page,
    /// In a web worker.
    Worker,
}

impl SimPlace {
    /// Its name in `data-sim-place`.
    pub fn slug(self) -> &'static str {
        match self {
            SimPlace::Starting => "starting",
            SimPlace::Page => "page",
            SimPlace::Worker => "worker",
        }
    }

    /// What the status bar says.
    pub fn text(self) -> &'static str {
        match self {
            SimPlace::Starting => "starting the simulation…",
            SimPlace::Page => "simulated in the page",
            SimPlace::Worker => "simulated in a web worker",
        }
    }
}

/// Live figures, read a few times per second.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Figures {
    /// Requests per animated dot: one request in this many is traced and drawn.
    pub requests_per_dot: u64,
    /// Frames drawn per real second.
    pub fps: f64,
    /// Simulated seconds achieved per real second.
    pub sim_speed: f64,
    /// Where the simulation runs: starting (no figures from it yet), the page or a worker.
    pub sim_place: SimPlace,
    /// Simulated time, in seconds.
    pub sim_time_s: f64,
    /// Requests sent so far.
    pub requests_total: u64,
    /// Requests answered successfully so far.
    pub requests_completed: u64,
    /// Requests that failed so far (rejected, timed out, server down).
    pub requests_failed: u64,
    /// Requests under way.
    pub in_flight: u64,
    /// Offered load now: users × requests per user × the load profile's factor, in requests
    /// per simulated second.
    pub offered_per_s: f64,
    /// Recent throughput, in requests per simulated second.
    pub throughput_per_s: f64,
    /// Recent share of requests that failed, 0–1.
    pub error_share: f64,
    /// 99th percentile latency of the requests completed in the last
    /// [`Figures::latency_window_s`], in milliseconds; `None` if none completed in it.
    pub latency_p99_ms: Option<f64>,
    /// The window recent latency covers (one metrics interval), in simulated seconds.
    pub latency_window_s: f64,
    /// The largest replication lag of the replicas that are up, in milliseconds.
    pub replica_lag_ms: f64,
    /// Median latency over the run, in milliseconds.
    pub latency_p50_ms: f64,
    /// Committed writes lost in failovers.
    pub writes_lost: u64,
    /// Reads from replicas that missed a committed write.
    pub stale_reads: u64,
    /// Share of cache lookups that hit over the last metrics interval, 0–1.
    pub cache_hit_ratio: f64,
    /// Cache hits that returned a value older than the latest write.
    pub stale_cache_reads: u64,
    /// Share of static assets the CDN edge answered over the last metrics interval, 0–1.
    pub cdn_hit_ratio: f64,
    /// Jobs waiting in the message queue.
    pub queue_depth: u32,
    /// Distinct users active in the last metrics interval (stage 9 on).
    pub active_users: u64,
    /// Page views answered per second, last metrics interval.
    pub page_views_per_s: f64,
    /// Writes answered per second, last metrics interval.
    pub writes_per_s: f64,
    /// Users logged out because the server holding their sticky session died.
    pub logged_out: u64,
    /// Web servers in service (up and not retired).
    pub web_servers: u32,
    /// Mean recent load of the database nodes that are up, 0–1.
    pub db_utilization: f64,
    /// Per-component figures, in component order.
    pub components: Vec<ComponentFigures>,
    /// Whether the simulation could not keep up with the chosen speed.
    pub lagging: bool,
    /// A seek (time travel) under way.
    pub seeking: Option<SeekProgress>,
    /// The furthest simulated time reached in this run, in seconds.
    pub reached_s: f64,
    /// Live changes recorded in this run (replayed when seeking back).
    pub changes: usize,
    /// Bumped each time recorded changes were replayed (a seek, a link's changes coming due):
    /// the controls then follow [`Figures::users`] and [`Figures::server_count`].
    pub replays: u32,
    /// Users the simulation has now (live changes applied).
    pub users: u64,
    /// Web servers the simulation is set to have now (live changes applied).
    pub server_count: u32,
    /// The same for each further web pool, in `more_web_pools` order.
    #[serde(default)]
    pub pool_counts: Vec<u32>,
    /// Stage 11: each data center's own count of web servers (`None`: the shared count).
    #[serde(default)]
    pub data_center_servers: Vec<Option<u32>>,
    /// Stage 11: regions, data centers, geoDNS answers and cross-data-center replication.
    pub geo: Option<Rc<GeoStatus>>,
    /// The latest resharding and how far its copy has got.
    pub reshard: Option<ReshardProgress>,
    /// Copies of the simulation kept to seek back from (see `runner`'s checkpoints).
    pub checkpoints: usize,
    /// The most recent event-log entries, newest last (the runner keeps them; they travel
    /// from the web worker as [`super::session::LogDelta`]s, not with the figures).
    #[serde(skip)]
    pub log: Rc<Vec<LogEntry>>,
    /// The simulation's alert history, oldest first ([`crate::sim::Sim::alerts`]): the alerts
    /// panel shows each rule's latest state, however busy the event log has been since.
    pub alerts: Rc<Vec<AlertEvent>>,
    /// Recent history of the headline figures, for the charts.
    pub charts: Rc<ChartData>,
    /// What the diagnosis says now.
    pub verdict: Rc<crate::sim::diagnosis::Verdict>,
    /// Every incident so far (the post-mortem).
    pub incidents: Rc<Vec<crate::sim::diagnosis::Incident>>,
    /// The chaos catalogue for this run.
    pub chaos: Rc<Vec<crate::sim::chaos::Entry>>,
}

/// How far a seek has got.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeekProgress {
    /// Where it goes, in simulated seconds.
    pub target_s: f64,
    /// Share of the way done, 0–1.
    pub done: f64,
    /// Where the re-run started from (a checkpoint's time, or 0), in simulated seconds.
    pub from_s: f64,
    /// The figures shown are those recorded at this time (the re-run is still on its way).
    pub recorded_s: Option<f64>,
    /// Live changes made during the seek, waiting to be applied where it arrives.
    pub waiting_changes: u32,
    /// Simulated seconds the re-run makes per real second, as measured (0 before measured).
    pub rerun_speed: f64,
}

/// Recent history of the headline figures, sampled a few times per real second while the
/// simulation runs. All series have the same length; oldest first.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChartData {
    /// Simulated time of each sample, in seconds.
    pub t_s: Vec<f64>,
    /// Throughput, in requests per simulated second.
    pub throughput_per_s: Vec<f64>,
    /// 99th percentile latency over the latency window, in milliseconds (NaN: nothing
    /// completed in it).
    pub latency_p99_ms: Vec<f64>,
    /// Share of requests failing, in percent.
    pub error_pct: Vec<f64>,
    /// Largest lag of the replicas that are up, in milliseconds.
    pub lag_ms: Vec<f64>,
    /// Cache hit ratio, in percent.
    pub cache_hit_pct: Vec<f64>,
    /// CDN edge hit ratio, in percent.
    pub cdn_hit_pct: Vec<f64>,
    /// Jobs waiting in the message queue.
    pub queue_depth: Vec<f64>,
    /// Web servers in service.
    pub web_servers: Vec<f64>,
}

/// Live figures of one component.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ComponentFigures {
    /// Which component.
    pub id: ComponentId,
    /// Whether it is up.
    pub alive: bool,
    /// Share of worker time in use over the last moments, 0–1.
    pub utilization: f64,
    /// Workers busy now.
    pub busy_workers: u32,
    /// Workers in total.
    pub workers: u32,
    /// Requests waiting for a worker.
    pub queue_len: u32,
    /// Most requests that may wait.
    pub queue_capacity: u32,
    /// Web servers: whether the load balancer sends it requests.
    pub in_pool: bool,
    /// Web servers: taken out of service.
    pub retired: bool,
    /// Database nodes: master or replica.
    pub role: Option<DbRole>,
    /// Replicas: committed writes not yet applied.
    pub lag_writes: u64,
    /// Replicas: age of the oldest write not yet applied, in milliseconds.
    pub lag_ms: f64,
    /// Database nodes: reads that missed a committed write; caches: hits on an old value.
    pub stale_reads: u64,
    /// Caches and the CDN edge: items held.
    pub items: u32,
    /// Caches and the CDN edge: items it can hold.
    pub capacity_items: u32,
    /// Caches and the CDN edge: share of lookups that hit over the run, 0–1.
    pub hit_ratio: f64,
    /// Web servers: where a rolling deploy has it now.
    pub deploy: Option<DeployStep>,
    /// What is wrong with it now (down, slow, erroring, saturated), worst first.
    pub badges: Vec<crate::sim::badge::Badge>,
    /// A registered kind's own figures now (a rate limiter's tokens, …; empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<KindFigure>,
}

/// One of a registered kind's figures (see [`crate::sim::Figure`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KindFigure {
    /// snake_case key (the inspector's `data-inspect`).
    pub key: String,
    /// Human label.
    pub label: String,
    /// Its value.
    pub value: f64,
}

impl Figures {
    /// The figures of one component, if known.
    pub fn component(&self, id: ComponentId) -> Option<&ComponentFigures> {
        self.components.iter().find(|c| c.id == id)
    }

    /// The current master database, if one is known.
    pub fn master(&self) -> Option<ComponentId> {
        self.components
            .iter()
            .find(|c| c.role == Some(DbRole::Master) && c.alive)
            .or_else(|| {
                self.components
                    .iter()
                    .find(|c| c.role == Some(DbRole::Master))
            })
            .map(|c| c.id)
    }
}

impl AppState {
    /// The state a visitor lands on: stage 1, playing, slow speed.
    pub fn initial() -> AppState {
        AppState::opening(preset(1).unwrap_or_else(fallback_scenario))
    }

    /// The state that opens on a scenario (from a link, say).
    pub fn opening(scenario: Scenario) -> AppState {
        AppState {
            scenario: Rc::new(scenario),
            playing: true,
            speed_index: DEFAULT_SPEED_INDEX,
            portrait: false,
            run: 0,
            push_history: false,
            selected: None,
            notice: None,
            help_open: false,
            diagram: None,
            error: None,
            figures: Rc::default(),
            start_at_s: None,
            start_live: Rc::default(),
            graph: None,
            editing: false,
            open_group: None,
            reading_link: false,
            read: None,
        }
    }

    /// The stage shown.
    pub fn stage(&self) -> u8 {
        self.scenario.stage
    }

    /// Simulated seconds per real second.
    pub fn speed(&self) -> f64 {
        SPEEDS[self.speed_index.min(SPEEDS.len() - 1)]
    }

    /// The same settings, with a simulation to be rebuilt from `scenario`.
    fn rebuilt(&self, scenario: Scenario, push_history: bool) -> AppState {
        // Another stage has other groups: its panels start closed.
        let open_group = self
            .open_group
            .clone()
            .filter(|_| scenario.stage == self.scenario.stage);
        AppState {
            open_group,
            scenario: Rc::new(scenario),
            run: self.run.wrapping_add(1),
            push_history,
            selected: None,
            diagram: None,
            error: None,
            figures: Rc::default(),
            start_at_s: None,
            start_live: Rc::default(),
            graph: None,
            ..self.clone()
        }
    }

    /// The same, with a changed scenario that the running simulation takes live.
    fn changed_live(&self, change: impl FnOnce(&mut Scenario)) -> AppState {
        let mut scenario = (*self.scenario).clone();
        change(&mut scenario);
        AppState {
            scenario: Rc::new(scenario),
            push_history: false,
            ..self.clone()
        }
    }

    /// The same, with a changed scenario that needs a new simulation.
    fn changed_rebuilt(&self, change: impl FnOnce(&mut Scenario)) -> AppState {
        let mut scenario = (*self.scenario).clone();
        change(&mut scenario);
        self.rebuilt(scenario, false)
    }

    /// The same with fresh figures; after recorded changes were replayed, the users and web
    /// servers follow the simulation's (so the sliders show what runs).
    fn with_figures(&self, figures: Rc<Figures>) -> AppState {
        let pools_differ = figures.pool_counts.len() == self.scenario.more_web_pools.len()
            && (figures.pool_counts.iter())
                .zip(&self.scenario.more_web_pools)
                .any(|(&n, m)| n != m.server.count);
        let own_differ = figures.data_center_servers.len() == self.own_servers_len()
            && figures.data_center_servers != self.scenario.data_center_server_counts();
        let follow = figures.replays != self.figures.replays
            && (figures.users != self.scenario.traffic.users
                || (self.scenario.load_balancer.is_some()
                    && (figures.server_count != self.scenario.server.count
                        || pools_differ
                        || own_differ)));
        let scenario = if follow {
            let mut scenario = (*self.scenario).clone();
            scenario.traffic.users = figures.users;
            if scenario.load_balancer.is_some() {
                scenario.server.count = figures.server_count;
                if pools_differ {
                    for (m, &n) in scenario.more_web_pools.iter_mut().zip(&figures.pool_counts) {
                        m.server.count = n;
                    }
                }
                if own_differ {
                    let dcs = scenario.geo.iter_mut().flat_map(|g| &mut g.data_centers);
                    for (dc, own) in dcs.zip(&figures.data_center_servers) {
                        dc.set = with_own_servers(&dc.set, *own);
                    }
                }
            }
            Rc::new(scenario)
        } else {
            self.scenario.clone()
        };
        AppState {
            figures,
            scenario,
            push_history: if follow { false } else { self.push_history },
            ..self.clone()
        }
    }

    /// How many data centers the scenario has (0 below stage 11).
    fn own_servers_len(&self) -> usize {
        self.scenario
            .geo
            .as_ref()
            .map_or(0, |g| g.data_centers.len())
    }

    fn stage_after(&self, step: i8) -> Option<u8> {
        let built = crate::scenario::STAGES
            .iter()
            .filter(|s| s.built && preset(s.number).is_some())
            .map(|s| s.number);
        if step >= 0 {
            built.into_iter().find(|&n| n > self.stage())
        } else {
            built.into_iter().rev().find(|&n| n < self.stage())
        }
    }
}

impl Default for AppState {
    fn default() -> Self {
        AppState::initial()
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let next = match action {
            Action::TogglePlay => AppState {
                playing: !self.playing,
                ..(*self).clone()
            },
            Action::SetPlaying(playing) if playing != self.playing => AppState {
                playing,
                ..(*self).clone()
            },
            Action::SetSpeed(index) if index < SPEEDS.len() && index != self.speed_index => {
                AppState {
                    speed_index: index,
                    ..(*self).clone()
                }
            }
            Action::SetUsers(users) => {
                let users = users.clamp(USERS_MIN.min(MAX_USERS), USERS_MAX.min(MAX_USERS));
                if users == self.scenario.traffic.users {
                    return self;
                }
                self.changed_live(|s| s.traffic.users = users)
            }
            Action::SetWebServers(count) => {
                let count = count.clamp(1, WEB_SERVERS_MAX);
                let own = (self.scenario.data_center_server_counts().iter()).any(Option::is_some);
                if self.scenario.load_balancer.is_none()
                    || (count == self.scenario.server.count && !own)
                {
                    return self;
                }
                // As the engine does: every data center now runs that many.
                self.changed_live(|s| {
                    s.server.count = count;
                    for dc in s.geo.iter_mut().flat_map(|g| &mut g.data_centers) {
                        dc.set = with_own_servers(&dc.set, None);
                    }
                })
            }
            Action::SetDataCenterServers(dc, count) => {
                let count = count.clamp(1, WEB_SERVERS_MAX);
                let dc = usize::from(dc);
                let now = self.scenario.data_center_server_counts().get(dc).copied();
                let Some(now) = now else {
                    return self;
                };
                if self.scenario.load_balancer.is_none()
                    || now.unwrap_or(self.scenario.server.count) == count
                {
                    return self;
                }
                self.changed_live(|s| {
                    if let Some(geo) = &mut s.geo {
                        let set = &mut geo.data_centers[dc].set;
                        *set = with_own_servers(set, Some(count));
                    }
                })
            }
            Action::SetPoolServers(pool, count) => {
                let count = count.clamp(1, WEB_SERVERS_MAX);
                let Some(n) = usize::from(pool).checked_sub(1) else {
                    return self;
                };
                let now = self.scenario.more_web_pools.get(n).map(|m| m.server.count);
                if self.scenario.load_balancer.is_none() || now.is_none_or(|c| c == count) {
                    return self;
                }
                self.changed_live(|s| s.more_web_pools[n].server.count = count)
            }
            Action::SetPolicy(policy) => match &self.scenario.load_balancer {
                Some(lb) if lb.policy != policy => self.changed_rebuilt(|s| {
                    if let Some(lb) = &mut s.load_balancer {
                        lb.policy = policy;
                    }
                }),
                _ => return self,
            },
            Action::SetReplicas(replicas) => match &self.scenario.database {
                Some(db) if self.stage() >= 4 && db.replicas != replicas.min(REPLICAS_MAX) => self
                    .changed_rebuilt(|s| {
                        if let Some(db) = &mut s.database {
                            db.replicas = replicas.min(REPLICAS_MAX);
                        }
                    }),
                _ => return self,
            },
            Action::SetDbWorkers(workers) => match &self.scenario.database {
                Some(db) if db.workers != workers && (1..=64).contains(&workers) => self
                    .changed_rebuilt(|s| {
                        if let Some(db) = &mut s.database {
                            db.workers = workers;
                        }
                    }),
                _ => return self,
            },
            Action::SetCacheCapacity(items) => match &self.scenario.cache {
                Some(c) if c.capacity_items != items && items > 0 => self.changed_rebuilt(|s| {
                    if let Some(c) = &mut s.cache {
                        c.capacity_items = items;
                    }
                }),
                _ => return self,
            },
            Action::SetCacheTtl(ttl_s) => match &self.scenario.cache {
                Some(c) if c.ttl_s != f64::from(ttl_s) => self.changed_rebuilt(|s| {
                    if let Some(c) = &mut s.cache {
                        c.ttl_s = f64::from(ttl_s);
                    }
                }),
                _ => return self,
            },
            Action::SetEviction(eviction) => match &self.scenario.cache {
                Some(c) if c.eviction != eviction => self.changed_rebuilt(|s| {
                    if let Some(c) = &mut s.cache {
                        c.eviction = eviction;
                    }
                }),
                _ => return self,
            },
            Action::SetSessionMode(mode) => match &self.scenario.sessions {
                Some(sessions) if sessions.mode != mode => self.changed_rebuilt(|s| {
                    if let Some(sessions) = &mut s.sessions {
                        sessions.mode = mode;
                    }
                }),
                _ => return self,
            },
            Action::SetStartServers(count) => {
                let step = crate::tour::Step::StartServers(count);
                let mut changed = (*self.scenario).clone();
                if !step.edit(&mut changed) || changed == *self.scenario {
                    return self;
                }
                self.rebuilt(changed, false)
            }
            Action::SetQueueWorkers(workers) => match &self.scenario.queue {
                Some(q) if q.workers != workers => self.changed_rebuilt(|s| {
                    if let Some(q) = &mut s.queue {
                        q.workers = workers;
                        // The worker scaler starts from this count: widen its range to hold it.
                        if let Some(a) = &mut q.autoscale {
                            a.min_workers = a.min_workers.min(workers);
                            a.max_workers = a.max_workers.max(workers);
                        }
                    }
                }),
                _ => return self,
            },
            Action::SetShardStrategy(strategy) => match &self.scenario.sharding {
                Some(sh) if sh.strategy != strategy => self.changed_rebuilt(|s| {
                    if let Some(sh) = &mut s.sharding {
                        sh.strategy = strategy;
                    }
                }),
                _ => return self,
            },
            Action::SetCelebrityShare(percent) => match &self.scenario.sharding {
                Some(sh) if !sh.hot_keys.is_empty() => self.changed_rebuilt(|s| {
                    if let Some(hot) = s.sharding.as_mut().and_then(|sh| sh.hot_keys.first_mut()) {
                        hot.share = f64::from(percent) / 100.0;
                    }
                }),
                _ => return self,
            },
            Action::SetNoSqlShare(percent) if self.scenario.database.is_some() => self
                .changed_rebuilt(|s| {
                    s.nosql = (percent > 0).then(|| NoSqlStore {
                        share: f64::from(percent.min(100)) / 100.0,
                        ..tour_nosql_store()
                    });
                }),
            Action::SetDenormalise(copies) => match &self.scenario.sharding {
                Some(sh) if copies <= sh.shards => self.changed_rebuilt(|s| {
                    if let Some(sh) = s.sharding.as_mut() {
                        sh.denormalise = (copies > 1).then_some(Denormalise {
                            write_factor: copies,
                        });
                    }
                }),
                _ => return self,
            },
            Action::SelectStage(stage) if stage != self.stage() => match preset(stage) {
                Some(scenario) if is_built(stage) => AppState {
                    editing: false,
                    ..self.rebuilt(scenario, true)
                },
                _ => return self,
            },
            Action::StepStage(step) => match self.stage_after(step).and_then(preset) {
                Some(scenario) => AppState {
                    editing: false,
                    ..self.rebuilt(scenario, true)
                },
                None => return self,
            },
            Action::OpenGraph(graph, scenario, time_s, live) => AppState {
                start_at_s: time_s,
                start_live: live,
                playing: self.playing && time_s.is_none(),
                graph: Some(graph),
                reading_link: false,
                ..self.rebuilt((*scenario).clone(), false)
            },
            Action::KeepGraph(graph) => AppState {
                graph: Some(graph),
                ..(*self).clone()
            },
            Action::SetEditing(editing) if editing != self.editing => AppState {
                editing,
                ..(*self).clone()
            },
            Action::Open(scenario, time_s, live) => AppState {
                start_at_s: time_s,
                start_live: live,
                playing: self.playing && time_s.is_none(),
                reading_link: false,
                ..self.rebuilt((*scenario).clone(), false)
            },
            Action::Restart => AppState {
                graph: self.graph.clone(),
                ..self.rebuilt((*self.scenario).clone(), false)
            },
            Action::Select(selected) if selected != self.selected => AppState {
                selected,
                ..(*self).clone()
            },
            Action::OpenGroup(key) if key != self.open_group => AppState {
                open_group: key,
                ..(*self).clone()
            },
            Action::Read(request) => AppState {
                read: Some((
                    self.read.as_ref().map_or(1, |(n, _)| n.wrapping_add(1)),
                    request,
                )),
                ..(*self).clone()
            },
            Action::LinkUnreadable(notice) if self.reading_link => AppState {
                notice: Some(notice),
                reading_link: false,
                ..self.rebuilt(AppState::initial().scenario.as_ref().clone(), false)
            },
            Action::LinkUnreadable(notice) | Action::Notify(notice) => AppState {
                notice: Some(notice),
                ..(*self).clone()
            },
            Action::DismissNotice if self.notice.is_some() => AppState {
                notice: None,
                ..(*self).clone()
            },
            Action::SetHelp(open) if open != self.help_open => AppState {
                help_open: open,
                ..(*self).clone()
            },
            Action::Loaded(diagram) => AppState {
                diagram: Some(diagram),
                error: None,
                ..(*self).clone()
            },
            Action::LoadFailed(message) => AppState {
                diagram: None,
                error: Some(message),
                playing: false,
                ..(*self).clone()
            },
            Action::Figures(figures) => self.with_figures(figures),
            Action::SetPortrait(portrait) if portrait != self.portrait => AppState {
                portrait,
                ..(*self).clone()
            },
            _ => return self,
        };
        Rc::new(next)
    }
}

/// A data center's changes `set` with its own count of web servers `own` (`None`: none, it
/// runs the shared count). Built anew rather than changed in place: in the app's wasm that
/// costs 3.0 KB gzipped where an insert and a removal cost 3.8 KB (session 20, measured).
fn with_own_servers(
    set: &BTreeMap<String, serde_json::Value>,
    own: Option<u32>,
) -> BTreeMap<String, serde_json::Value> {
    let own_path = crate::scenario::pool_count_path(0);
    (set.iter())
        .filter(|(path, _)| **path != own_path)
        .map(|(path, value)| (path.clone(), value.clone()))
        .chain(own.map(|n| (own_path.clone(), n.into())))
        .collect()
}

/// Whether the app offers a stage.
pub fn is_built(stage: u8) -> bool {
    crate::scenario::STAGES
        .iter()
        .any(|s| s.number == stage && s.built)
}

/// A scenario to fall back on if the stage-1 preset were ever missing (it is not).
fn fallback_scenario() -> Scenario {
    (1..=11)
        .find_map(preset)
        .expect("at least one preset exists")
}

/// Users for a slider position: logarithmic from [`USERS_MIN`] to [`USERS_MAX`], rounded to two
/// significant digits so the numbers read well.
pub fn users_from_slider(position: u32) -> u64 {
    let position = position.min(USERS_SLIDER_STEPS);
    let decades = (USERS_MAX as f64 / USERS_MIN as f64).log10();
    let raw = USERS_MIN as f64
        * 10f64.powf(decades * f64::from(position) / f64::from(USERS_SLIDER_STEPS));
    round_two_digits(raw).clamp(USERS_MIN, USERS_MAX)
}

/// The slider position closest to a number of users.
pub fn slider_from_users(users: u64) -> u32 {
    let users = users.clamp(USERS_MIN, USERS_MAX) as f64;
    let decades = (USERS_MAX as f64 / USERS_MIN as f64).log10();
    let fraction = (users / USERS_MIN as f64).log10() / decades;
    (fraction * f64::from(USERS_SLIDER_STEPS)).round() as u32
}

fn round_two_digits(x: f64) -> u64 {
    if x < 100.0 {
        return x.round() as u64;
    }
    let magnitude = 10f64.powi(x.log10().floor() as i32 - 1);
    ((x / magnitude).round() * magnitude) as u64
}
