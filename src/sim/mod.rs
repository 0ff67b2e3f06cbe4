//! The deterministic discrete-event core. It knows nothing about browsers or wall clocks.
//!
//! ```text
//!  user ──(DNS lookup if the cached answer expired)──▶ network ──▶ station (server) ──▶ user
//!                                                            queue full → rejected
//!                  client timeout → failed, whatever the request was doing
//! ```
//!
//! Build a [`Sim`] from a [`crate::scenario::Scenario`], move it forward with
//! [`Sim::advance_to`], inject faults with [`Sim::kill`] / [`Sim::repair`], and read a
//! [`Snapshot`], the recent sampled request paths, or the final [`Report`].

pub mod badge;
pub mod chaos;
mod components;
pub mod cost;
pub mod diagnosis;
pub mod figures;
mod geo;
mod handle;
mod hits;
mod kernel;
pub mod live;
pub mod playback;
pub mod postmortem;
mod report;
pub mod ring;
mod stack;
pub mod theory;
pub mod thresholds;
mod zipf;

pub use checkpoints::Checkpoints;
pub use components::api_gateway::ApiGatewayParams;
pub use components::breaker::{BreakerReport, BreakerState};
pub use components::clients::ClientReport;
pub use components::coalesce::StampedePeak;
pub use components::database::{db_node_name, further_db_node_name, shard_node, ShardNode};
pub use components::migration::ReshardProgress;
pub use components::monitor::{AlertEvent, AlertState, ComponentSeries};
pub use components::rate_limiter::{RateLimiterParams, WhenDown};
pub use components::registry::{Figure, PlugKind, PlugParams, PlugReport, PlugSpec};
pub use geo::{GeoPoint, GeoStatus, SpanStats};
pub use handle::Sim;
pub use kernel::checkpoints;
pub use kernel::histogram::Histogram;
pub use kernel::queue::EventQueue;
pub use kernel::recording::{self, Frame, Recorder, Recording};
pub use kernel::rng::{Rng, Sampler};
pub use kernel::time::{SimDuration, SimTime};
pub use playback::Playback;
pub use report::{
    CacheReport, CdnReport, ChannelReport, ComponentReport, DataCenterReport, DataStoreReport,
    DatabaseReport, DeployReport, Failover, FailureCounts, GeoReport, JobWritesReport, KindLatency,
    LatencyReport, LogEntry, MonitoringReport, NamedCacheReport, NamedDatabaseReport,
    NamedNoSqlReport, NoSqlReport, QueueReport, RegionReport, ReplicaReport, Report, RequestTotals,
    SeriesPoint, SessionReport, StampedeReport, TheoryCheck, WebPoolReport,
};
pub use zipf::Zipf;

use serde::{Deserialize, Serialize};

/// Index of a component in [`Sim::components`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct ComponentId(pub u16);

/// What a component is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComponentKind {
    /// The user population (clients).
    Users,
    /// The DNS server.
    Dns,
    /// The load balancer in front of the web servers.
    LoadBalancer,
    /// A web server that runs the application.
    Server,
    /// A database node (master or replica: see [`ComponentState::role`]).
    Database,
    /// A cache node.
    Cache,
    /// The CDN edge.
    Cdn,
    /// The shared session store.
    SessionStore,
    /// The message queue (broker).
    Queue,
    /// The pool of queue workers.
    Workers,
    /// A node of the NoSQL store.
    NoSql,
    /// A whole data center (stage 11): its components are named `<data center>/…`.
    DataCenter,
    /// A component of a kind registered in `components/registry.rs` (a rate limiter, …).
    Plug(PlugKind),
}

/// The role of a database node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DbRole {
    /// Takes the writes.
    Master,
    /// Follows the master and serves reads.
    Replica,
}

impl ComponentKind {
    /// A short human label.
    pub fn label(&self) -> &'static str {
        match self {
            ComponentKind::Users => "Users",
            ComponentKind::Dns => "DNS",
            ComponentKind::LoadBalancer => "Load balancer",
            ComponentKind::Server => "Web server",
            ComponentKind::Database => "Database",
            ComponentKind::Cache => "Cache",
            ComponentKind::Cdn => "CDN",
            ComponentKind::SessionStore => "Session store",
            ComponentKind::Queue => "Message queue",
            ComponentKind::Workers => "Workers",
            ComponentKind::NoSql => "NoSQL node",
            ComponentKind::DataCenter => "Data center",
            ComponentKind::Plug(kind) => kind.label(),
        }
    }
}

/// A component of the simulated system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentInfo {
    /// Its index.
    pub id: ComponentId,
    /// Stable name used by faults and reports (`users`, `dns`, `web-0`).
    pub name: String,
    /// What it is.
    pub kind: ComponentKind,
}

/// The kinds of request users send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// Render a page.
    PageView = 0,
    /// Read through the API.
    ApiRead = 1,
    /// Change data.
    Write = 2,
    /// Fetch an image, script or style sheet.
    StaticAsset = 3,
}

impl RequestKind {
    /// All kinds, in index order.
    pub const ALL: [RequestKind; 4] = [
        RequestKind::PageView,
        RequestKind::ApiRead,
        RequestKind::Write,
        RequestKind::StaticAsset,
    ];

    /// Whether it reads or writes data (and so reaches the database when there is one).
    pub fn touches_data(&self) -> bool {
        *self != RequestKind::StaticAsset
    }

    /// snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            RequestKind::PageView => "page_view",
            RequestKind::ApiRead => "api_read",
            RequestKind::Write => "write",
            RequestKind::StaticAsset => "static_asset",
        }
    }
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Answered in time.
    Ok,
    /// Turned away: the server's waiting line was full.
    QueueFull,
    /// The client gave up waiting.
    Timeout,
    /// The server was down (connection refused, or it died while holding the request).
    ServerDown,
    /// The name could not be resolved: the DNS server was down and the cached answer expired.
    DnsDown,
    /// The load balancer had no server in its pool.
    NoHealthyServer,
    /// The database node needed was down, or no master was known (failover under way).
    DbDown,
    /// The shared session store was down.
    SessionStoreDown,
    /// Turned away at once by a rate limiter: over its limit.
    RateLimited,
}

impl Outcome {
    /// The failure reasons, in report order.
    pub const FAILURES: [Outcome; 8] = [
        Outcome::QueueFull,
        Outcome::Timeout,
        Outcome::ServerDown,
        Outcome::DnsDown,
        Outcome::NoHealthyServer,
        Outcome::DbDown,
        Outcome::SessionStoreDown,
        Outcome::RateLimited,
    ];

    /// Index in [`Outcome::FAILURES`]; 0 for `Ok` (which is not a failure).
    pub fn failure_index(&self) -> usize {
        match self {
            Outcome::Ok | Outcome::QueueFull => 0,
            Outcome::Timeout => 1,
            Outcome::ServerDown => 2,
            Outcome::DnsDown => 3,
            Outcome::NoHealthyServer => 4,
            Outcome::DbDown => 5,
            Outcome::SessionStoreDown => 6,
            Outcome::RateLimited => 7,
        }
    }

    /// A short human label.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Ok => "served",
            Outcome::QueueFull => "rejected: queue full",
            Outcome::Timeout => "timed out",
            Outcome::ServerDown => "server down",
            Outcome::DnsDown => "DNS down",
            Outcome::NoHealthyServer => "no healthy server",
            Outcome::DbDown => "database down",
            Outcome::SessionStoreDown => "session store down",
            Outcome::RateLimited => "rate limited",
        }
    }

    /// Whether the request failed.
    pub fn is_failure(&self) -> bool {
        *self != Outcome::Ok
    }
}

/// Most hops a recorded path holds.
pub const MAX_HOPS: usize = 8;

/// One stop of a request: the component, when it arrived and when it left.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// Where.
    pub component: ComponentId,
    /// Arrival there.
    pub enter: SimTime,
    /// Departure from there.
    pub leave: SimTime,
}

/// The recorded path of one sampled request, for animation.
///
/// The request leaves the users at `start`, visits each hop in order, and its answer (or
/// failure) reaches the user at `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PathSample {
    /// Sequence number of the request in the run.
    pub seq: u64,
    /// What it asked for.
    pub kind: RequestKind,
    /// How it ended.
    pub outcome: Outcome,
    /// When the user sent it.
    pub start: SimTime,
    /// When the user got the answer or the failure.
    pub end: SimTime,
    /// Index of the user's region (stage 11; 0 otherwise).
    pub region: u8,
    hops: [Hop; MAX_HOPS],
    hop_count: u8,
}

impl PathSample {
    /// The hops, in order.
    pub fn hops(&self) -> &[Hop] {
        &self.hops[..usize::from(self.hop_count)]
    }
}

/// The state of one component at an instant, for display.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ComponentState {
    /// Which component.
    pub id: ComponentId,
    /// False while it is down.
    pub alive: bool,
    /// Workers busy now (0 for components without workers).
    pub busy_workers: u32,
    /// Workers in all.
    pub workers: u32,
    /// Requests waiting now.
    pub queue_len: u32,
    /// Most requests that may wait.
    pub queue_capacity: u32,
    /// Busy fraction over the last complete metrics interval, 0–1.
    pub utilization: f64,
    /// A grey failure: its service times are multiplied by this now (`None`: normal speed).
    pub slowdown: Option<f64>,
    /// A flaky node: the share of its requests it fails at once now, 0–1 (`None`: none).
    pub error_ratio: Option<f64>,
    /// Web servers: whether the load balancer sends it requests (its view, not the truth).
    pub in_pool: bool,
    /// Web servers: taken out of service (drains, then idles).
    pub retired: bool,
    /// Database nodes: master or replica.
    pub role: Option<DbRole>,
    /// Replicas: committed writes not yet applied.
    pub lag_writes: u64,
    /// Replicas: age of the oldest write not yet applied, ms.
    pub lag_ms: f64,
    /// Database nodes: reads that missed a committed write; cache nodes: hits on an old value.
    pub stale_reads: u64,
    /// Cache nodes: items held.
    pub items: u32,
    /// Cache nodes: items it can hold.
    pub capacity_items: u32,
    /// Cache nodes: share of lookups that hit, over the run.
    pub hit_ratio: f64,
    /// Web servers: where a rolling deploy has this server now (`None`: not being deployed).
    pub deploy: Option<DeployStep>,
    /// A registered kind's figures now (a rate limiter's tokens, …; empty for the others).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<Figure>,
}

/// Where a web server is in a rolling deploy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployStep {
    /// Out of the pool, finishing the requests it holds.
    Draining,
    /// Stopped; the new version is starting.
    Starting,
    /// Started; waiting to pass the balancer's health checks.
    HealthChecks,
}

impl DeployStep {
    /// A short label.
    pub fn label(&self) -> &'static str {
        match self {
            DeployStep::Draining => "deploy: draining",
            DeployStep::Starting => "deploy: starting",
            DeployStep::HealthChecks => "deploy: health checks",
        }
    }
}

/// What the simulation looks like now: totals, recent figures and each component.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    /// Simulated time, in seconds.
    pub time_s: f64,
    /// Requests generated so far.
    pub requests_total: u64,
    /// Requests answered in time.
    pub requests_completed: u64,
    /// Requests failed, for any reason.
    pub requests_failed: u64,
    /// Requests neither answered nor failed yet.
    pub in_flight: u64,
    /// Median latency of all completed requests, ms.
    pub latency_p50_ms: f64,
    /// 99th percentile latency of all completed requests, ms.
    pub latency_p99_ms: f64,
    /// Mean latency of all completed requests, ms.
    pub latency_mean_ms: f64,
    /// Completions per second over the last complete metrics interval.
    pub recent_throughput_per_s: f64,
    /// 99th percentile latency over the last complete metrics interval, ms.
    pub recent_latency_p99_ms: f64,
    /// Failures per second over the last complete metrics interval.
    pub recent_failures_per_s: f64,
    /// Committed writes lost in failovers.
    pub writes_lost: u64,
    /// Reads from replicas that missed a committed write.
    pub stale_reads: u64,
    /// Share of cache lookups that hit over the last complete metrics interval.
    pub recent_cache_hit_ratio: f64,
    /// Cache hits on a value older than the latest committed write.
    pub stale_cache_reads: u64,
    /// Share of static assets the CDN edge answered over the last metrics interval.
    pub recent_cdn_hit_ratio: f64,
    /// Jobs waiting in the message queue.
    pub queue_depth: u32,
    /// Distinct users who sent a request in the last complete metrics interval (monitoring on).
    pub recent_active_users: u64,
    /// Page views answered per second over the last complete metrics interval.
    pub recent_page_views_per_s: f64,
    /// Writes answered per second over the last complete metrics interval.
    pub recent_writes_per_s: f64,
    /// Sticky sessions lost with their server (users logged out).
    pub logged_out: u64,
    /// Events the engine has processed.
    pub events_processed: u64,
    /// Synchronous web workers: web workers held now, waiting for the data tier (0 when
    /// workers are asynchronous).
    pub held_web_workers: u32,
    /// The web tier's circuit breaker around database calls (`None`: there is none; with
    /// several databases, the first breaker that is not closed, else closed; stage 11: the
    /// first data center's that is not closed, else closed).
    pub breaker: Option<BreakerState>,
    /// With several databases: the database whose breaker `breaker` is (`db`, or a further
    /// database's name); absent with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker_store: Option<String>,
    /// Stage 11: committed writes waiting to replicate over links cut by a partition now.
    pub writes_partitioned: u64,
    /// Stage 11: the pairs of data centers whose network is cut now, by name, each once (the
    /// first in the world's order first).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cut_links: Vec<(String, String)>,
    /// The last complete metrics interval's most database reads of one key at once (a cache
    /// stampede), where the cache counts them (`cache.coalesce` set, or switched live); stage
    /// 11: the largest of any data center's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stampede: Option<StampedePeak>,
    /// Every component, in id order.
    pub components: Vec<ComponentState>,
}
