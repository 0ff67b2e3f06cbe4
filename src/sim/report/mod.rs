//! The run report: totals, latency percentiles, per-component figures, the time series, the
//! event log, a comparison with queueing theory, and a digest that identifies the run.
//!
//! The report holds no wall-clock values, so the same scenario and seed give the same report
//! (and digest) natively and in the browser.

mod build;
mod geo;

pub(in crate::sim) use build::{ReportBuilder, RunHead, Sections};
pub use geo::{ChannelReport, DataCenterReport, GeoReport, RegionReport};

use super::kernel::histogram::Histogram;
use super::{ComponentKind, DbRole, RequestKind};
use serde::Serialize;

/// Everything a finished (or paused) run measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Scenario name.
    pub scenario: String,
    /// Stage modelled.
    pub stage: u8,
    /// Seed of the run.
    pub seed: u64,
    /// Simulated time covered, in seconds.
    pub sim_time_s: f64,
    /// Request accounting: generated = completed + failed + in flight.
    pub requests: RequestTotals,
    /// Completed requests per second over the run.
    pub throughput_per_s: f64,
    /// Latency of completed requests as the user sees it (DNS, network, queue, service).
    pub latency_ms: LatencyReport,
    /// Latency per request kind.
    pub latency_by_kind: Vec<KindLatency>,
    /// DNS lookups made and answers served from the clients' caches.
    pub dns: DnsReport,
    /// Per-component figures.
    pub components: Vec<ComponentReport>,
    /// The database tier: replication, staleness, failovers.
    pub database: Option<DatabaseReport>,
    /// The cache tier: hits, misses, staleness.
    pub cache: Option<CacheReport>,
    /// The further cache clusters (the scenario's `more_caches`), each by its name (absent
    /// when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_caches: Vec<NamedCacheReport>,
    /// The further web pools (the scenario's `more_web_pools`), each by its name (absent when
    /// there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_web_pools: Vec<WebPoolReport>,
    /// The further databases (the scenario's `more_databases`), each by its name (absent
    /// when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_databases: Vec<NamedDatabaseReport>,
    /// The components of registered kinds (rate limiters, …), each by its name with its
    /// kind's figures (absent when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub plugs: Vec<crate::sim::PlugReport>,
    /// The CDN edge: hits, bytes, cost.
    pub cdn: Option<CdnReport>,
    /// The message queue and its workers.
    pub queue: Option<QueueReport>,
    /// Sticky sessions: users logged out when their server died, and log-ins again.
    pub sessions: Option<SessionReport>,
    /// Monitoring: alert history and per-component series.
    pub monitoring: Option<MonitoringReport>,
    /// Data-store choices: the database's kind, joins, denormalisation's write amplification
    /// and the NoSQL store (absent for a plain relational tier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_store: Option<DataStoreReport>,
    /// Rolling deploys of the web tier (absent when there was none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deploys: Vec<DeployReport>,
    /// The single web server compared with queueing theory (absent with several servers).
    pub theory: Option<TheoryCheck>,
    /// Retrying clients: attempts, retries, goodput beside throughput, wasted work (absent
    /// unless `traffic.retries` is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<super::ClientReport>,
    /// Synchronous web workers: workers held across data calls (absent unless
    /// `server.sync_calls` is on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sync_workers: Option<SyncReport>,
    /// The web tier's circuit breaker around database calls (absent unless
    /// `server.breaker` is set; stage 11: every data center's, added up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<super::BreakerReport>,
    /// What the run would cost, priced from the assumed table in `src/sim/cost.rs`.
    pub cost: super::cost::CostReport,
    /// Stage 11: regions, geoDNS, each data center and cross-data-center replication.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo: Option<GeoReport>,
    /// One point per metrics interval.
    pub series: Vec<SeriesPoint>,
    /// What went wrong and why, one incident each (absent when nothing did).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnosis: Vec<super::diagnosis::Incident>,
    /// Faults, repairs and their consequences.
    pub events: Vec<LogEntry>,
    /// Log entries dropped because the log is bounded.
    pub events_dropped: u64,
    /// FNV-1a 64 of the report's JSON without this field: equal digests, equal runs.
    pub digest: String,
}

/// Request accounting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestTotals {
    /// Requests users sent.
    pub generated: u64,
    /// Answered in time.
    pub completed: u64,
    /// Failed, all reasons.
    pub failed: u64,
    /// Failed, by reason.
    pub failed_by_reason: FailureCounts,
    /// Still under way when the report was taken (counted from the engine's request table).
    pub in_flight: u64,
}

/// Failures by reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureCounts {
    /// The waiting line was full.
    pub queue_full: u64,
    /// The client gave up.
    pub timeout: u64,
    /// The server, or the load balancer in front of the servers, was down.
    pub server_down: u64,
    /// DNS was down and the cached answer had expired.
    pub dns_down: u64,
    /// The load balancer had no server in its pool.
    pub no_healthy_server: u64,
    /// The database node needed was down, or no master was known.
    pub db_down: u64,
    /// The shared session store was down.
    pub session_store_down: u64,
    /// Turned away at once by a rate limiter (absent when none was).
    #[serde(skip_serializing_if = "is_zero")]
    pub rate_limited: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The database tier over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DatabaseReport {
    /// Writes committed by a master.
    pub writes_committed: u64,
    /// Committed writes that no surviving replica had when one was promoted.
    pub writes_lost: u64,
    /// Reads from replicas that missed a committed write of their key.
    pub stale_reads: u64,
    /// Reads served by replicas.
    pub replica_reads: u64,
    /// Each node at the end of the run.
    pub nodes: Vec<ReplicaReport>,
    /// Each shard (one when the data is not sharded).
    pub shards: Vec<ShardReport>,
    /// Every resharding: keys that moved, and their copy.
    pub reshards: Vec<Reshard>,
    /// Every promotion.
    pub failovers: Vec<Failover>,
}

/// A further web pool over the run: its name, what it serves and what its servers did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WebPoolReport {
    /// Its name (its servers are `<name>-0`, `<name>-1`…).
    pub name: String,
    /// The request kinds it serves.
    pub serves: Vec<crate::scenario::Flow>,
    /// Its servers in service at the end.
    pub servers: u32,
    /// Requests its servers served.
    pub served: u64,
    /// Requests its servers turned away with a full line.
    pub rejected: u64,
    /// Requests sent to its servers while they were down.
    pub refused: u64,
}

/// A further database over the run: its name and its figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedDatabaseReport {
    /// Its name (its nodes are `<name>-0`, `<name>-1`…; behind a shard router of its own
    /// `<name>-shard-S-N`).
    pub name: String,
    /// The shard router of its own in front of it (absent: not sharded); its `shards` and
    /// `reshards` are that router's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub router: Option<String>,
    /// Its figures, as for the first database (its own failovers only).
    #[serde(flatten)]
    pub database: DatabaseReport,
    /// The web tier's circuit breaker around its calls to this database (absent unless
    /// `server.breaker` is set); the first database's is the report's `breaker`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breaker: Option<super::BreakerReport>,
}

/// A further cache cluster over the run: its name and its figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedCacheReport {
    /// Its name (its nodes are `<name>-0`, `<name>-1`…).
    pub name: String,
    /// Its figures, as for the first cache.
    #[serde(flatten)]
    pub cache: CacheReport,
}

/// The cache tier over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CacheReport {
    /// Lookups that found their key.
    pub hits: u64,
    /// Lookups that did not (the database was read and the cache filled).
    pub misses: u64,
    /// hits / (hits + misses).
    pub hit_ratio: f64,
    /// Reads that skipped a dead cache node and went to the database.
    pub bypassed: u64,
    /// Hits on a value older than the latest committed write of the key.
    pub stale_reads: u64,
    /// Keys deleted by writes (`invalidate` policy).
    pub invalidations: u64,
    /// Items dropped to make room, all nodes.
    pub evictions: u64,
    /// Items held at the end, per node.
    pub items: Vec<u32>,
    /// Misses of a key whose database read was already under way (`cache.coalesce` set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stampede: Option<StampedeReport>,
}

/// Synchronous web workers over the run: how often and how long a web worker was held
/// waiting for the data tier.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SyncReport {
    /// Web services whose worker stayed held while the request went on to the data tier.
    pub holds: u64,
    /// Mean time a worker was held after its own service, ms (holds that ended).
    pub mean_hold_ms: f64,
    /// Most web workers held at once.
    pub held_max: u32,
    /// Workers still held when the report was taken.
    pub held_at_end: u32,
}

/// Misses of keys already being read from the database: a cache stampede, or its fix.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StampedeReport {
    /// Whether misses of a key being read wait for that read (coalescing).
    pub coalesce: bool,
    /// Misses that read the database while a read of the same key was under way.
    pub duplicate_db_reads: u64,
    /// Misses that waited for another request's read of their key instead.
    pub coalesced: u64,
    /// Most misses of one key at once beyond the first (reading or waiting).
    pub max_per_key: u32,
}

/// The CDN over the run. Prices are the scenario's (documented assumptions, per GB).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CdnReport {
    /// Static assets the edge answered from its cache.
    pub hits: u64,
    /// Static assets the edge fetched from the origin.
    pub misses: u64,
    /// hits / (hits + misses).
    pub hit_ratio: f64,
    /// Requests that found the edge down and went to the origin after the fallback timeout.
    pub fallbacks: u64,
    /// GB the edge sent to users.
    pub edge_gb: f64,
    /// GB the origin sent (to the edge or to users directly).
    pub origin_gb: f64,
    /// Dollars for both.
    pub cost_usd: f64,
}

/// The message queue over the run. published = done + queued + in progress.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueReport {
    /// Jobs published.
    pub published: u64,
    /// Jobs finished.
    pub done: u64,
    /// Jobs waiting at the end.
    pub queued: u32,
    /// Jobs being worked on at the end.
    pub in_progress: u32,
    /// Publishes refused because the queue was full (their writes failed).
    pub rejected: u64,
    /// Jobs handed out again after their worker died.
    pub redelivered: u64,
    /// Longest backlog seen.
    pub max_depth: u32,
    /// Publish to done, ms.
    pub job_latency_ms: LatencyReport,
    /// Mean publish to start of work, ms.
    pub mean_wait_ms: f64,
    /// Workers at the end.
    pub workers: u32,
    /// Mean busy fraction of the workers.
    pub utilization: f64,
    /// The writes the workers send to the database, one per job (absent unless the queue's
    /// `job_writes_to_db` is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writes: Option<JobWritesReport>,
}

/// The workers' writes to the database: each job, once its worker has done it, writes its
/// result there, and its worker waits for the commit. published = done + queued + in
/// progress still holds: a job whose write failed went back to the queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JobWritesReport {
    /// Writes committed (each a job done).
    pub committed: u64,
    /// Writes that failed (the database down, its line full, an injected error): each
    /// job went back to the queue and was delivered again.
    pub failed: u64,
    /// Writes under way at the end (their jobs are in progress).
    pub in_flight: u32,
}

/// Monitoring over the run (stage 11: every data center's, each alert rule and component
/// named after its data center, "us-east: …" and "us-east/…").
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct MonitoringReport {
    /// Every alert that fired or resolved, oldest first.
    pub alerts: Vec<super::AlertEvent>,
    /// Alert rules firing at the end of the run.
    pub firing_at_end: Vec<String>,
    /// Per-component series (the newest 600 intervals).
    pub components: Vec<super::ComponentSeries>,
}

/// Sticky-session losses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SessionReport {
    /// Sessions lost with their servers (those users were logged out).
    pub logged_out: u64,
    /// Requests of users who had to log in again on another server.
    pub relogins: u64,
}

/// Data-store choices over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DataStoreReport {
    /// Kind of the database: `relational`, `key_value` or `document`.
    pub kind: String,
    /// Reads that joined data of every shard (one query per shard).
    pub cross_shard_reads: u64,
    /// Reads that would have joined but read one shard's denormalised copy.
    pub joins_avoided: u64,
    /// Copies of every record (1: not denormalised).
    pub write_factor: u32,
    /// Writes committed on their key's own shard.
    pub writes: u64,
    /// Extra writes of denormalised copies on other shards.
    pub copy_writes: u64,
    /// (writes + copy writes) / writes: the write load denormalisation costs.
    pub write_amplification: f64,
    /// The NoSQL store beside the database.
    pub nosql: Option<NoSqlReport>,
    /// The further NoSQL stores (the scenario's `more_nosql`), each by its name (absent when
    /// there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub more_nosql: Vec<NamedNoSqlReport>,
}

/// A further NoSQL store over the run: its name, the kinds it takes a share of, its figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedNoSqlReport {
    /// Its name (its nodes are `<name>-0`, `<name>-1`…).
    pub name: String,
    /// The data requests it takes its share of.
    pub takes: Vec<crate::scenario::Flow>,
    /// Its figures, as for the first NoSQL store (`relational_latency_ms`: the data requests
    /// no NoSQL store answered).
    #[serde(flatten)]
    pub nosql: NoSqlReport,
}

/// The NoSQL store over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NoSqlReport {
    /// `key_value` or `document`.
    pub kind: String,
    /// Share of data requests sent to it.
    pub share: f64,
    /// Reads served, all nodes.
    pub reads: u64,
    /// Writes served, all nodes.
    pub writes: u64,
    /// Requests served per node.
    pub served_per_node: Vec<u64>,
    /// Utilization of its busiest node over the run, 0–1.
    pub busiest_node_utilization: f64,
    /// Latency of the data requests it answered, ms.
    pub latency_ms: LatencyReport,
    /// Latency of the data requests the relational tier (cache, shards) answered, ms.
    pub relational_latency_ms: LatencyReport,
}

/// A rolling deploy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeployReport {
    /// The web pool it rolled, when the deploy named one (absent: the first pool).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// When it started, seconds.
    pub started_at_s: f64,
    /// When the last server was back in the pool, seconds (absent while under way).
    pub finished_at_s: Option<f64>,
    /// Web servers deployed.
    pub servers: u32,
    /// Servers taken out at once.
    pub batch_size: u32,
    /// Whether servers drained before stopping.
    pub drain: bool,
    /// Batches taken out so far.
    pub batches: u32,
    /// Servers that drained completely before stopping.
    pub drained: u32,
    /// Servers stopped at the drain timeout with requests still open.
    pub drain_timeouts: u32,
    /// Longest drain, ms.
    pub longest_drain_ms: f64,
    /// Requests under way on the servers when they stopped (each one failed).
    pub in_flight_at_stop: u64,
    /// Of which failed by the stop itself (the rest were on their way and found it stopped).
    pub requests_cut: u64,
    /// Requests failed, any reason, while the deploy ran.
    pub failed_during: u64,
    /// Users logged out while it ran (sticky sessions on stopped servers).
    pub logged_out_during: u64,
    /// Latency of the requests completed while it ran, ms.
    pub latency_ms: LatencyReport,
}

/// A database node's replication figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReplicaReport {
    /// Its name.
    pub name: String,
    /// Its role at the end of the run.
    pub role: DbRole,
    /// Reads it served.
    pub reads: u64,
    /// Writes it committed.
    pub writes: u64,
    /// Of which stale.
    pub stale_reads: u64,
    /// Largest lag seen at a metrics tick, ms.
    pub lag_ms_max: f64,
    /// Largest lag seen at a metrics tick, writes.
    pub lag_writes_max: u64,
}

/// One shard over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ShardReport {
    /// Its number.
    pub shard: u32,
    /// Its master at the end.
    pub master: String,
    /// Keys it holds under the final map.
    pub keys: u64,
    /// Reads its nodes served.
    pub reads: u64,
    /// Writes its master committed.
    pub writes: u64,
    /// Utilization of its busiest node over the run, 0–1.
    pub busiest_node_utilization: f64,
}

/// A resharding: it starts at `at_s`, and its moved keys are then copied to their new
/// shards at `migration_keys_per_s`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reshard {
    /// When, seconds.
    pub at_s: f64,
    /// Shards before.
    pub from_shards: u32,
    /// Shards after.
    pub to_shards: u32,
    /// Keys whose shard changed.
    pub keys_moved: u64,
    /// keys_moved / keys.
    pub fraction_moved: f64,
    /// Rate the moved keys were copied at, keys/s.
    pub migration_keys_per_s: f64,
    /// Moved keys copied to (and served by) their new shard so far.
    pub keys_copied: u64,
    /// When the last moved key reached its new shard, seconds (`None`: still copying).
    pub finished_at_s: Option<f64>,
    /// finished_at_s − at_s, seconds (`None`: still copying).
    pub duration_s: Option<f64>,
}

/// A master failover.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failover {
    /// The master that died.
    pub old_master: String,
    /// The replica promoted.
    pub new_master: String,
    /// When the old master died, seconds.
    pub down_at_s: f64,
    /// When the promotion completed, seconds.
    pub promoted_at_s: f64,
    /// Time without a master: detection + promotion, seconds.
    pub outage_s: f64,
    /// Committed writes lost.
    pub writes_lost: u64,
}

/// Latency summary, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyReport {
    /// Values recorded.
    pub count: u64,
    /// Exact mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest.
    pub max: f64,
}

/// Latency of one request kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindLatency {
    /// The kind.
    pub kind: RequestKind,
    /// Its latency.
    pub latency_ms: LatencyReport,
}

/// DNS figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DnsReport {
    /// Lookups sent to the DNS server.
    pub lookups: u64,
    /// Requests that used a cached answer.
    pub cache_hits: u64,
}

/// Figures of one component over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComponentReport {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: ComponentKind,
    /// Mean busy fraction of its workers, 0–1.
    pub utilization: f64,
    /// Mean requests waiting.
    pub mean_queue_len: f64,
    /// Mean requests present (waiting + in service): L in Little's law.
    pub mean_in_system: f64,
    /// Longest line seen.
    pub max_queue_len: u32,
    /// Services completed per second: λ in Little's law.
    pub throughput_per_s: f64,
    /// Mean time from arrival to end of service of completed services, ms: W in Little's law.
    pub mean_sojourn_ms: f64,
    /// Mean wait before service, ms.
    pub mean_wait_ms: f64,
    /// Services completed.
    pub served: u64,
    /// Turned away with a full line.
    pub rejected: u64,
    /// Arrived while it was down.
    pub refused: u64,
    /// Database nodes: role at the end of the run.
    pub role: Option<DbRole>,
    /// Slow faults (grey failures): how long it was slowed, in seconds (left out when it never
    /// was).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slowed_s: Option<f64>,
    /// Slow faults: the largest slowdown it had (×; left out when it never was slowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slowdown_max: Option<f64>,
    /// Error faults (a flaky node): requests it answered with an error (left out when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors_injected: Option<u64>,
}

/// One metrics interval.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SeriesPoint {
    /// End of the interval, seconds.
    pub t_s: f64,
    /// Requests sent in the interval.
    pub generated: u64,
    /// Requests completed in the interval.
    pub completed: u64,
    /// Requests failed in the interval.
    pub failed: u64,
    /// Completions per second.
    pub throughput_per_s: f64,
    /// Mean latency of completions, ms.
    pub latency_mean_ms: f64,
    /// Median latency, ms.
    pub latency_p50_ms: f64,
    /// 99th percentile latency, ms.
    pub latency_p99_ms: f64,
    /// Mean busy fraction of the web servers, 0–1.
    pub utilization: f64,
    /// Mean requests waiting, summed over the web servers.
    pub queue_len_mean: f64,
    /// Busy fraction of the busiest database node, 0–1.
    pub db_utilization: f64,
    /// Largest replica lag at the end of the interval, ms.
    pub replication_lag_ms: f64,
    /// Stale replica reads in the interval.
    pub stale_reads: u64,
    /// Writes committed by the master in the interval.
    pub writes_committed: u64,
    /// Share of cache lookups that hit in the interval.
    pub cache_hit_ratio: f64,
    /// Share of static assets the CDN edge answered in the interval.
    pub cdn_hit_ratio: f64,
    /// Jobs waiting in the message queue at the end of the interval.
    pub queue_depth: u32,
    /// Jobs finished in the interval.
    pub jobs_done: u64,
    /// Web servers in service (not removed) at the end of the interval.
    pub web_servers: u32,
    /// Business metric: page views answered per second.
    pub page_views_per_s: f64,
    /// Business metric: writes answered per second.
    pub writes_per_s: f64,
    /// Business metric: distinct users who sent a request in the interval (with monitoring).
    pub active_users: u64,
    /// Requests under way at the end of the interval.
    pub in_flight: u64,
    /// Keys a resharding copied to their new shard in the interval.
    pub migration_keys_copied: u64,
}

/// One entry of the event log.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct LogEntry {
    /// Simulated time, seconds.
    pub t_s: f64,
    /// Component concerned.
    pub component: String,
    /// What happened.
    pub text: String,
}

/// The server's measured figures next to what queueing theory predicts for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TheoryCheck {
    /// `M/M/c/K (exact)` when every service time is exponential with one mean, otherwise
    /// `M/G/c (Allen–Cunneen approximation, infinite queue)`.
    pub model: String,
    /// Offered arrival rate at the server, per second.
    pub arrival_rate_per_s: f64,
    /// Mean service time over the request mix, ms.
    pub mean_service_ms: f64,
    /// Workers.
    pub workers: u32,
    /// Predicted busy fraction.
    pub utilization_expected: f64,
    /// Measured busy fraction.
    pub utilization_measured: f64,
    /// Predicted mean time at the server (wait + service), ms; absent when overloaded.
    pub mean_response_ms_expected: Option<f64>,
    /// Measured mean time at the server, ms.
    pub mean_response_ms_measured: f64,
    /// Predicted share of arrivals rejected (M/M/c/K only).
    pub rejection_expected: Option<f64>,
    /// Measured share of server arrivals rejected.
    pub rejection_measured: f64,
}

/// The report with its digest filled in.
pub(super) fn with_digest(mut report: Report) -> Report {
    report.digest = String::new();
    // Hashed as it is written: the compact JSON of a long run's series is megabytes.
    let mut hash = Fnv1a::default();
    #[cfg(not(target_arch = "wasm32"))]
    serde_json::to_writer(&mut hash, &report).expect("a report always serialises");
    // In the browser, the same bytes by way of a buffer: `serde_json::to_vec` is the
    // serialiser the app's report export already instantiates (`to_string`), where a
    // second writer type would add the report's whole `Serialize` tree to the wasm again.
    #[cfg(target_arch = "wasm32")]
    std::io::Write::write_all(
        &mut hash,
        &serde_json::to_vec(&report).expect("a report always serialises"),
    )
    .expect("hashing never fails");
    report.digest = format!("{:016x}", hash.0);
    report
}

/// FNV-1a 64 of every byte written.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl std::io::Write for Fnv1a {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0 = fnv1a_from(self.0, bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl FailureCounts {
    /// Adds another part of the system's failures (a data center's) to these.
    pub(super) fn add(&mut self, other: &FailureCounts) {
        self.queue_full += other.queue_full;
        self.timeout += other.timeout;
        self.server_down += other.server_down;
        self.dns_down += other.dns_down;
        self.no_healthy_server += other.no_healthy_server;
        self.db_down += other.db_down;
        self.session_store_down += other.session_store_down;
        self.rate_limited += other.rate_limited;
    }
}

impl RequestTotals {
    /// Adds what a part of the system (a data center) did with the requests handed to it;
    /// `generated` stays the caller's (the requests are generated once, above the parts).
    pub(super) fn add_handled(&mut self, part: &RequestTotals) {
        self.completed += part.completed;
        self.failed += part.failed;
        self.in_flight += part.in_flight;
        self.failed_by_reason.add(&part.failed_by_reason);
    }
}

impl ComponentReport {
    /// The same figures, named as a component of data center `dc` (`dc/name`).
    pub(super) fn in_data_center(mut self, dc: &str) -> ComponentReport {
        self.name = format!("{dc}/{}", self.name);
        self
    }
}

impl MonitoringReport {
    /// Adds data center `dc`'s monitoring: its rules firing at the end (as `dc: rule`) and its
    /// component series (as `dc/name`). The alert history is the caller's.
    pub(super) fn absorb(&mut self, part: MonitoringReport, dc: &str) {
        self.firing_at_end.extend(
            part.firing_at_end
                .into_iter()
                .map(|rule| format!("{dc}: {rule}")),
        );
        self.components
            .extend(part.components.into_iter().map(|mut c| {
                c.name = format!("{dc}/{}", c.name);
                c
            }));
    }
}

impl LatencyReport {
    pub(super) fn of(h: &Histogram) -> LatencyReport {
        LatencyReport {
            count: h.count(),
            mean: h.mean_ms(),
            p50: h.quantile_ms(0.5),
            p95: h.quantile_ms(0.95),
            p99: h.quantile_ms(0.99),
            max: h.max_ms(),
        }
    }
}

/// FNV-1a, 64 bits, continued from `hash` over `bytes`.
fn fnv1a_from(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
