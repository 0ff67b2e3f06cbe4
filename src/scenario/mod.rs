//! The scenario: the single source of truth for a run.
//!
//! A [`Scenario`] holds the topology, capacities, policies, traffic, faults and seed. Presets,
//! the CLI, the URL and the app all speak it. It is versioned ([`SCENARIO_VERSION`]), serialised
//! with serde (unknown fields are refused), and checked by [`Scenario::validate`], which lists
//! every problem at once.

mod graph_link;
pub mod live;
pub mod path;
mod presets;
mod schedule;
mod schema;
mod set;
pub mod spelling;
pub mod topology;
mod url;
mod validate;
pub mod wire;

pub use graph_link::{encode_graph, GRAPH_PREFIX};
pub use live::{LiveAction, LiveChange, Mechanism};
pub use presets::{
    journey_traffic, preset, StageInfo, REGION_SHARES, REQUESTS_PER_USER_PER_S, REQUEST_MIX, STAGES,
};
pub use schedule::{schedule, Scheduled, ScheduledKind};
pub use schema::{schema_markdown, FieldDoc, FIELDS};
pub use set::{apply_set, data_center_fields, SetError, SHARED_FIELDS};
pub use topology::{Flow, Topology, TopologyFile};
pub use url::{
    decode, decode_link, encode, encode_link, encode_run, Link, UrlError, MAX_LINK_CHARS,
};
pub use validate::{
    component_names, Problem, ValidationErrors, MAX_CACHE_NODES, MAX_DATA_CENTERS, MAX_DB_WORKERS,
    MAX_KEYS, MAX_MIGRATION_KEYS_PER_S, MAX_MORE_CACHES, MAX_MORE_DATABASES, MAX_MORE_NOSQL,
    MAX_MORE_WEB_POOLS, MAX_NOSQL_NODES, MAX_PLUGS, MAX_RATE_PER_S, MAX_REGIONS, MAX_REPLICAS,
    MAX_SHARDS, MAX_SPEED, MAX_USERS, MAX_WEB_SERVERS,
};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The scenario format version this build writes and reads.
pub const SCENARIO_VERSION: u32 = 1;

/// Everything a run needs. Units are in the field names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Format version; must equal [`SCENARIO_VERSION`].
    pub version: u32,
    /// A human name, shown as text (never as HTML).
    pub name: String,
    /// Which of the eleven stages this scenario models (1–11).
    pub stage: u8,
    /// Seed of the run's single random number generator.
    pub seed: u64,
    /// Simulated length of a batch run, in seconds.
    pub duration_s: u32,
    /// Width of one time-series bucket, in milliseconds.
    pub metrics_interval_ms: u32,
    /// Who sends what, how often.
    pub traffic: Traffic,
    /// The DNS server and the clients' DNS cache.
    pub dns: Dns,
    /// Network delays between the clients and the system.
    pub network: Network,
    /// Each web server: in stage 1 the one server that does everything.
    pub server: Server,
    /// The load balancer in front of the web servers (stage 3 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer: Option<LoadBalancer>,
    /// The database tier (stage 2 on); without it the web server does the data work itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<Database>,
    /// The cache tier between web servers and the database (stage 5 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheTier>,
    /// Further cache clusters beside `cache`, in front of the same data store, each fronting
    /// the reads it names (a graph with two caches lowers to this; absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_caches: Vec<NamedCache>,
    /// Further web pools beside `server`, behind the same load balancer, each serving the
    /// request kinds it names (a graph with two web pools lowers to this; absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_web_pools: Vec<NamedWebPool>,
    /// Further databases beside `database`, each storing the data requests it names (directly
    /// or through the cache in front of it; a graph with two databases lowers to this;
    /// absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_databases: Vec<NamedDatabase>,
    /// A content delivery network serving static assets from the edge (stage 6 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdn: Option<Cdn>,
    /// Where user sessions live (stage 7 on); without it sessions are not modelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<Sessions>,
    /// Automatic scaling of the web tier (stage 7 on; needs a load balancer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    /// A message queue with workers for slow jobs (stage 8 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<JobQueue>,
    /// Splitting the data over several database shards (stage 10 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<Sharding>,
    /// Metrics per component and alert rules (stage 9 on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitoring: Option<Monitoring>,
    /// A NoSQL store that takes a share of the data traffic off the relational database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nosql: Option<NoSqlStore>,
    /// Further NoSQL stores beside `nosql`, each taking its share of the data requests it
    /// names (a graph with two NoSQL stores lowers to this; absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_nosql: Vec<NamedNoSql>,
    /// A rolling deploy of the web tier, scheduled in the run (or started live).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    /// Where data requests go when not every kind takes the usual way (absent: page views and
    /// API reads both through the cache, the NoSQL store taking its share of all three). A
    /// graph whose edges send the kinds different ways lowers to this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Routes>,
    /// Several data centers in several regions behind geoDNS (stage 11). Each data center runs
    /// the whole stack the rest of the scenario describes, with its own changes (`set`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo>,
    /// Components of the kinds registered in `src/sim/components/registry.rs` (a rate
    /// limiter, …), each standing in front of the node it names (absent: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugs: Vec<PlugNode>,
    /// Faults scheduled in the scenario.
    #[serde(default)]
    pub faults: Vec<Fault>,
}

/// A component of a registered kind (see [`Scenario::plugs`]), written `{"name": …, "kind":
/// …, "fronts": …, "params": {…}}` (missing parameters take the kind's defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct PlugNode {
    /// Its name (the graph node's and the engine component's), shown as text.
    pub name: String,
    /// The graph node it stands in front of (`lb`, `web`, or a further web pool's name): the
    /// requests its feeders sent there go through it.
    pub fronts: String,
    /// Its kind and parameters.
    pub params: crate::sim::PlugParams,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlugNode {
    name: String,
    kind: crate::sim::PlugKind,
    fronts: String,
    #[serde(default)]
    params: serde_json::Value,
}

impl Serialize for PlugNode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawPlugNode {
            name: self.name.clone(),
            kind: self.params.kind(),
            fronts: self.fronts.clone(),
            params: self.params.to_json().map_err(serde::ser::Error::custom)?,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PlugNode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<PlugNode, D::Error> {
        let raw = RawPlugNode::deserialize(deserializer)?;
        let params = match raw.params {
            serde_json::Value::Null => serde_json::Value::Object(Default::default()),
            v => v,
        };
        Ok(PlugNode {
            params: raw
                .kind
                .params_from_json(params)
                .map_err(serde::de::Error::custom)?,
            name: raw.name,
            fronts: raw.fronts,
        })
    }
}

/// Which data requests the cache and the NoSQL store take, when not all of them (see
/// [`Scenario::routes`]). Lists are in any order, each kind at most once.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routes {
    /// The reads the cache fronts (`page_view`, `api_read`); the other read goes straight to
    /// the data store behind it. Absent: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<Vec<Flow>>,
    /// The data requests (`page_view`, `api_read`, `write`) the NoSQL store takes its share
    /// of; the others all go to the database. Absent: all three.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nosql: Option<Vec<Flow>>,
}

/// A further cache cluster (see [`Scenario::more_caches`]): the graph's second (third…) cache
/// node. Its nodes are named `<name>-0`, `<name>-1`…, so faults, the diagram and the report
/// address each of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedCache {
    /// Its name (the graph node's): 1–40 letters, digits, `-`, `_` or `.`, not a name the
    /// engine gives its own components (`web`, `cache`, `db`…).
    pub name: String,
    /// The reads it fronts (`page_view`, `api_read`, each once); no other cache fronts them.
    pub fronts: Vec<Flow>,
    /// Its nodes, contents and policies, as for `cache`.
    pub cache: CacheTier,
}

/// A further web pool (see [`Scenario::more_web_pools`]): the graph's second (third…) web pool
/// node, behind the load balancer. Its servers are named `<name>-0`, `<name>-1`…; it has its
/// own balancer membership and health checks, sticky sessions and autoscaler.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedWebPool {
    /// Its name (the graph node's): 1–40 letters, digits, `-`, `_` or `.`, not a name the
    /// engine gives its own components (`web`, `cache`, `db`…).
    pub name: String,
    /// The request kinds it serves (`page_view`, `api_read`, `write`, `static_asset`, each
    /// once); the first pool (`server`) serves the others.
    pub serves: Vec<Flow>,
    /// Its servers, as `server` (count, workers, line, service times).
    pub server: Server,
    /// Its autoscaling group, as `autoscaling` (absent: a fixed size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
}

/// A further database (see [`Scenario::more_databases`]): the graph's second (third…)
/// database node, a cluster of its own (master, replicas, replication, failover) holding its
/// own data. Its nodes are named `<name>-0` (the first master), `<name>-1`…
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedDatabase {
    /// Its name (the graph node's): 1–40 letters, digits, `-`, `_` or `.`, its nodes' names
    /// not the engine's own.
    pub name: String,
    /// The data requests it stores (`page_view`, `api_read`, `write`, each once), straight
    /// from the web pool or through the cache fronting them; the first database keeps the
    /// others.
    pub takes: Vec<Flow>,
    /// Its nodes, replication and failover, as for `database` (with `sharding`: every
    /// shard's cluster).
    pub database: Database,
    /// A shard router of its own in front of it, splitting its data over shards as
    /// `sharding` splits the first database's (absent: not sharded). Its shards' nodes are
    /// named `<name>-shard-S-N` (shard S, node N: 0 the first master).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<Sharding>,
    /// That shard router's name (the graph node's; with `sharding` only; absent:
    /// `<name>-shards`). A live resharding names it: `reshard:<router>:N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<String>,
}

impl NamedDatabase {
    /// The name of the shard router in front of it (`None`: not sharded).
    pub fn router_name(&self) -> Option<String> {
        self.sharding.as_ref()?;
        Some(
            self.router
                .clone()
                .unwrap_or_else(|| format!("{}-shards", self.name)),
        )
    }
}

/// A further NoSQL store (see [`Scenario::more_nosql`]): the graph's second (third…) NoSQL
/// node, its own nodes named `<name>-0`, `<name>-1`…, taking its share of the data requests it
/// names (no other NoSQL store takes a share of those).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedNoSql {
    /// Its name (the graph node's): 1–40 letters, digits, `-`, `_` or `.`, its nodes' names
    /// not the engine's own.
    pub name: String,
    /// The data requests (`page_view`, `api_read`, `write`, each once) it takes its share of.
    pub takes: Vec<Flow>,
    /// Its kind, share, nodes and service times, as for `nosql`.
    pub nosql: NoSqlStore,
}

impl Scenario {
    /// The web pool that serves requests of `flow`: 0 for the first (`server`), `n` for
    /// `more_web_pools[n - 1]`.
    pub fn web_pool_of(&self, flow: Flow) -> usize {
        self.more_web_pools
            .iter()
            .position(|p| p.serves.contains(&flow))
            .map_or(0, |i| i + 1)
    }

    /// The number of the web pool named `name`: 0 for `web` (the scenario's `server`), `n`
    /// for the `n`-th of [`Scenario::more_web_pools`]; `None` if there is no such pool.
    pub fn web_pool_number(&self, name: &str) -> Option<usize> {
        if name == "web" {
            return Some(0);
        }
        self.more_web_pools
            .iter()
            .position(|p| p.name == name)
            .map(|i| i + 1)
    }

    /// A web pool of one data center at stage 11, named `<data center>/<pool>`
    /// (`eu-west/web`, `eu-west/web-api`): the data center's number and the pool's number in
    /// that data center's own stack (its `set` may give it pools of its own); `None` when
    /// the name is not of that form or names no such data center or pool.
    pub fn data_center_pool(&self, name: &str) -> Option<(usize, usize)> {
        let (dc_name, pool) = name.split_once('/')?;
        let geo = self.geo.as_ref()?;
        let dc = geo.data_centers.iter().position(|d| d.name == dc_name)?;
        let stack = self.data_center_stack(&geo.data_centers[dc], "").ok()?;
        Some((dc, stack.web_pool_number(pool)?))
    }

    /// Stage 11: each data center's own count of servers in its first web pool, where its
    /// `set` gives one (`server.count`: the editor's or a live change of that data center
    /// alone), in data-center order; empty without data centers.
    pub fn data_center_server_counts(&self) -> Vec<Option<u32>> {
        let own = |dc: &DataCenter| {
            let count = dc.set.get(&pool_count_path(0))?.as_u64()?;
            u32::try_from(count).ok()
        };
        self.geo
            .as_ref()
            .map_or(Vec::new(), |geo| geo.data_centers.iter().map(own).collect())
    }

    /// The number of the cache cluster named `name`: 0 for `cache` (the scenario's `cache`),
    /// `n` for the `n`-th of [`Scenario::more_caches`]; `None` if there is no such cache.
    pub fn cache_number(&self, name: &str) -> Option<usize> {
        self.cache.as_ref()?;
        if name == "cache" {
            return Some(0);
        }
        self.more_caches
            .iter()
            .position(|c| c.name == name)
            .map(|i| i + 1)
    }

    /// The web pool the scenario's deploy rolls (0 without one or without a name; `None` if
    /// it names no pool).
    pub fn deploy_pool(&self) -> Option<usize> {
        match self.deploy.as_ref().and_then(|d| d.pool.as_deref()) {
            None => Some(0),
            Some(name) => self.web_pool_number(name),
        }
    }

    /// The database that stores data requests of `flow`: 0 the scenario's `database` (or the
    /// shard router in front of its shards), `n` the `n`-th of [`Scenario::more_databases`].
    pub fn store_of(&self, flow: Flow) -> usize {
        self.more_databases
            .iter()
            .position(|m| m.takes.contains(&flow))
            .map_or(0, |n| n + 1)
    }

    /// The store (database cluster) behind the shard router named `name`: 0 for the first
    /// router (`shards`, the scenario's `sharding`), `n` for the `n`-th further database's
    /// router; `None` if no shard router is named so.
    pub fn router_store(&self, name: &str) -> Option<usize> {
        if name == "shards" && self.sharding.is_some() {
            return Some(0);
        }
        self.more_databases
            .iter()
            .position(|m| m.router_name().as_deref() == Some(name))
            .map(|i| i + 1)
    }

    /// The sharding of store `store` (0: the scenario's `sharding`, `n`: the `n`-th further
    /// database's); `None` when that store is not sharded.
    pub fn sharding_of(&self, store: usize) -> Option<&Sharding> {
        match store {
            0 => self.sharding.as_ref(),
            n => self.more_databases.get(n - 1)?.sharding.as_ref(),
        }
    }

    /// Whether the (first) cache fronts reads of `flow` (never without a cache, never for
    /// writes, never when one of [`Scenario::more_caches`] fronts them).
    pub fn cache_fronts(&self, flow: Flow) -> bool {
        if self.cache.is_none() || !matches!(flow, Flow::PageView | Flow::ApiRead) {
            return false;
        }
        if self.more_caches.iter().any(|c| c.fronts.contains(&flow)) {
            return false;
        }
        match self.routes.as_ref().and_then(|r| r.cached.as_ref()) {
            Some(list) => list.contains(&flow),
            None => true,
        }
    }

    /// Whether the (first) NoSQL store takes its share of requests of `flow` (never without
    /// one, never for static assets, never when one of [`Scenario::more_nosql`] takes them).
    pub fn nosql_takes(&self, flow: Flow) -> bool {
        if self.nosql.is_none() || !Flow::DATA.contains(&flow) {
            return false;
        }
        if self.more_nosql.iter().any(|m| m.takes.contains(&flow)) {
            return false;
        }
        match self.routes.as_ref().and_then(|r| r.nosql.as_ref()) {
            Some(list) => list.contains(&flow),
            None => true,
        }
    }

    /// The NoSQL store that takes its share of requests of `flow`: 0 the scenario's `nosql`,
    /// `n` the `n`-th of [`Scenario::more_nosql`]; `None` when none does.
    pub fn nosql_of(&self, flow: Flow) -> Option<usize> {
        if self.nosql.is_none() || !Flow::DATA.contains(&flow) {
            return None;
        }
        match self.more_nosql.iter().position(|m| m.takes.contains(&flow)) {
            Some(n) => Some(n + 1),
            None => self.nosql_takes(flow).then_some(0),
        }
    }
}

/// The user population and what it asks for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    /// Number of users; each sends requests as a Poisson process.
    pub users: u64,
    /// Mean request rate of one user, in requests per second.
    pub requests_per_user_per_s: f64,
    /// Relative weights of the request kinds (need not sum to 1).
    pub mix: RequestMix,
    /// A client gives up on a request after this long, in milliseconds.
    pub client_timeout_ms: f64,
    /// The data keys requests read and write, and how popularity is skewed.
    #[serde(default)]
    pub keyspace: Keyspace,
    /// How the request rate changes over time (a factor on `requests_per_user_per_s`).
    #[serde(default, skip_serializing_if = "Profile::is_constant")]
    pub profile: Profile,
    /// Clients retry a failed or timed-out request (`None`: they never do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<Retries>,
}

/// How clients retry: after a failure or a timeout (the per-attempt `client_timeout_ms`), up
/// to `max` more attempts, each after a backoff. Every retry is new work for the system.
///
/// ```text
///   attempt 1 ✗ ─wait b·(1−j+j·U)─▶ attempt 2 ✗ ─wait b·m·(…)─▶ … ─▶ attempt max+1
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retries {
    /// Retries after the first attempt (n), 1 – [`MAX_RETRIES`].
    pub max: u32,
    /// Wait before the first retry, ms.
    pub backoff_ms: f64,
    /// Each further retry waits this many times longer than the one before (1: constant,
    /// 2: exponential backoff).
    #[serde(default = "two")]
    pub multiplier: f64,
    /// Share of each wait drawn at random, 0 – 1 (0: no jitter; 1: "full jitter", a wait
    /// uniform between 0 and the backoff).
    #[serde(default)]
    pub jitter: f64,
}

/// Most retries a client makes.
pub const MAX_RETRIES: u32 = 10;

fn two() -> f64 {
    2.0
}

/// The shape of load over time: a factor applied to the base request rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Profile {
    /// Always the base rate.
    #[default]
    Constant,
    /// From the base rate at `start_s`, linearly to `factor` × base at `end_s`, then flat.
    Ramp {
        /// When the ramp starts, seconds.
        start_s: f64,
        /// When it reaches `factor`, seconds.
        end_s: f64,
        /// Final factor.
        factor: f64,
    },
    /// `factor` × base from `at_s` for `duration_s`.
    Spike {
        /// Start, seconds.
        at_s: f64,
        /// Length, seconds.
        duration_s: f64,
        /// Factor during the spike.
        factor: f64,
    },
    /// A daily-like cycle: base × (1 + amplitude × sin(2πt/period)).
    Cycle {
        /// Period, seconds.
        period_s: f64,
        /// Relative swing, 0–1.
        amplitude: f64,
    },
}

impl Profile {
    /// Whether it is the constant profile (not written out).
    pub fn is_constant(&self) -> bool {
        *self == Profile::Constant
    }

    /// The factor at time `t_s` seconds.
    pub fn factor(&self, t_s: f64) -> f64 {
        match *self {
            Profile::Constant => 1.0,
            Profile::Ramp {
                start_s,
                end_s,
                factor,
            } => {
                if t_s <= start_s {
                    1.0
                } else if t_s >= end_s {
                    factor
                } else {
                    1.0 + (factor - 1.0) * (t_s - start_s) / (end_s - start_s)
                }
            }
            Profile::Spike {
                at_s,
                duration_s,
                factor,
            } => {
                if t_s >= at_s && t_s < at_s + duration_s {
                    factor
                } else {
                    1.0
                }
            }
            Profile::Cycle {
                period_s,
                amplitude,
            } => 1.0 + amplitude * libm::sin(std::f64::consts::TAU * t_s / period_s),
        }
    }

    /// The largest factor it ever reaches.
    pub fn max_factor(&self) -> f64 {
        match *self {
            Profile::Constant => 1.0,
            Profile::Ramp { factor, .. } | Profile::Spike { factor, .. } => factor.max(1.0),
            Profile::Cycle { amplitude, .. } => 1.0 + amplitude,
        }
    }
}

/// The keys that reads and writes touch (e.g. user ids), with Zipf popularity: key of rank k is
/// chosen with probability proportional to 1/k^s.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keyspace {
    /// Number of distinct keys.
    pub keys: u32,
    /// Zipf exponent s (0: uniform; around 1: a few keys are very hot).
    pub zipf_s: f64,
}

impl Default for Keyspace {
    fn default() -> Self {
        Keyspace {
            keys: 100_000,
            zipf_s: 1.0,
        }
    }
}

/// Relative weights of the four request kinds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestMix {
    /// Page views (`GET /`): render a page.
    pub page_view: f64,
    /// API reads such as `GET /users/12`.
    pub api_read: f64,
    /// Writes such as `POST /users/12/photos`.
    pub write: f64,
    /// Static assets such as images, scripts and style sheets.
    pub static_asset: f64,
}

impl RequestMix {
    /// The weights in [`crate::sim::RequestKind`] order.
    pub fn weights(&self) -> [f64; 4] {
        [self.page_view, self.api_read, self.write, self.static_asset]
    }
}

/// The DNS server and the client-side cache of its answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dns {
    /// Time for one lookup (client → DNS → client), in milliseconds.
    pub lookup_ms: f64,
    /// How long a client keeps an answer, in seconds (0: look up before every request).
    pub ttl_s: u32,
}

/// Network delays.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Round-trip time between a client and the system, in milliseconds.
    pub client_rtt_ms: f64,
    /// Round-trip time between two nodes inside the data center, in milliseconds.
    #[serde(default = "default_internal_rtt_ms")]
    pub internal_rtt_ms: f64,
}

fn default_internal_rtt_ms() -> f64 {
    0.5
}

/// A web server (in stage 1, the one server that does everything). All web servers share
/// this description; `speeds` can make them differ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// Number of web servers (more than one needs a load balancer).
    #[serde(default = "one")]
    pub count: u32,
    /// Speed factor of each server (service times are divided by it); missing entries are 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub speeds: Vec<f64>,
    /// Requests it can work on at once (worker threads).
    pub workers: u32,
    /// Requests that may wait for a worker; one more is rejected.
    pub queue_capacity: u32,
    /// Service time of each request kind on one worker.
    pub service: ServiceTimes,
    /// Synchronous workers: a worker stays held while its request waits for the session
    /// store, the cache or the database, so a slow data tier exhausts the web pool (false,
    /// left out: the worker is freed when it hands the request on, as an asynchronous server
    /// does).
    #[serde(default, skip_serializing_if = "is_false")]
    pub sync_calls: bool,
    /// A circuit breaker in the web tier around its database calls (`None`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<Breaker>,
}

/// A circuit breaker around the web tier's database calls:
///
/// ```text
///   closed ──`failures` failed or slow calls in a row──▶ open (calls fail at once)
///     ▲                                                    │ after `open_ms`
///     └──── a probe succeeds ◀── half-open (`probes` calls through) ──▶ a probe fails: open
/// ```
///
/// A call fails when the database refuses it (down, line full) or answers after more than
/// `slow_call_ms` at the database.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breaker {
    /// Failed or slow calls in a row that open it, 1 – 1000.
    pub failures: u32,
    /// A call that spends longer than this at the database counts as failed, ms.
    pub slow_call_ms: f64,
    /// How long it stays open before letting probes through, ms.
    pub open_ms: f64,
    /// Calls let through at once while half-open, 1 – 100.
    #[serde(default = "one")]
    pub probes: u32,
}

/// Service-time distributions per request kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTimes {
    /// Rendering a page.
    pub page_view: Dist,
    /// Answering an API read.
    pub api_read: Dist,
    /// Performing a write.
    pub write: Dist,
    /// Sending a static asset.
    pub static_asset: Dist,
}

impl ServiceTimes {
    /// The distributions in [`crate::sim::RequestKind`] order.
    pub fn by_kind(&self) -> [&Dist; 4] {
        [
            &self.page_view,
            &self.api_read,
            &self.write,
            &self.static_asset,
        ]
    }
}

/// A service-time distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dist {
    /// Its shape.
    pub shape: Shape,
    /// Its mean, in milliseconds.
    pub mean_ms: f64,
    /// Coefficient of variation (standard deviation / mean); used by `lognormal` only.
    #[serde(default = "default_cv")]
    pub cv: f64,
}

fn one() -> u32 {
    1
}

/// How the load balancer picks a web server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BalancePolicy {
    /// Each server in turn.
    RoundRobin,
    /// The server with the fewest open requests.
    LeastConnections,
    /// A server chosen at random.
    Random,
}

/// The load balancer: the only public address; web servers sit behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancer {
    /// How it picks a server.
    pub policy: BalancePolicy,
    /// Time it adds to each pass through it, in milliseconds.
    pub latency_ms: f64,
    /// Interval between health checks of every server, in milliseconds.
    pub health_interval_ms: f64,
    /// Consecutive failed checks before a server is taken out of the pool.
    pub unhealthy_threshold: u32,
    /// Consecutive passed checks before a server (back or new) joins the pool.
    pub healthy_threshold: u32,
}

/// Which item a full cache drops to make room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Eviction {
    /// Least recently used.
    Lru,
    /// Least frequently used (ties: the oldest).
    Lfu,
    /// First in, first out.
    Fifo,
}

/// What a write does to the cached copy of its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WritePolicy {
    /// Delete the key from the cache when the write commits.
    Invalidate,
    /// Leave it: the old value is served until its TTL runs out.
    TtlOnly,
}

/// A read-through cache tier: reads ask the cache; a miss reads the database and fills it.
/// Keys spread over the nodes by consistent hashing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheTier {
    /// Cache nodes.
    pub nodes: u32,
    /// Items one node holds.
    pub capacity_items: u32,
    /// Time to live of a cached item, in seconds (0: items never expire).
    pub ttl_s: f64,
    /// Which item a full node drops.
    pub eviction: Eviction,
    /// What writes do to cached copies.
    pub write_policy: WritePolicy,
    /// Requests one node works on at once.
    pub workers: u32,
    /// Service time of one lookup.
    pub get: Dist,
    /// Points per node on the consistent-hash ring.
    pub virtual_nodes: u32,
    /// Request coalescing on a miss: `true`: one database read per key in flight, other
    /// misses of the key wait for its fill; `false`: every miss reads the database (as
    /// when left out) and the report counts the reads of a key already being read (a cache
    /// stampede); left out: neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesce: Option<bool>,
}

/// A content delivery network: an edge near the users caches static objects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cdn {
    /// Round trip between a user and the edge, in milliseconds.
    pub edge_rtt_ms: f64,
    /// Time the edge takes to answer from its cache, in milliseconds.
    pub hit_ms: f64,
    /// Distinct static objects (images, scripts, style sheets).
    pub objects: u32,
    /// Mean object size, in kilobytes.
    pub object_kb_mean: f64,
    /// Zipf exponent of object popularity.
    pub zipf_s: f64,
    /// Objects the edge holds (LRU beyond that).
    pub capacity_objects: u32,
    /// Time an object stays at the edge after a fetch, in seconds.
    pub ttl_s: f64,
    /// How long a client waits for a dead edge before going to the origin, in milliseconds.
    pub fallback_timeout_ms: f64,
    /// Price of one GB served by the edge, in dollars.
    pub edge_price_per_gb: f64,
    /// Price of one GB leaving the origin, in dollars.
    pub origin_price_per_gb: f64,
}

/// Where sessions live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionMode {
    /// On the web server that logged the user in; the balancer keeps sending the user there.
    Sticky,
    /// In a shared session store every web server reads: any server can serve anyone.
    SharedStore,
}

/// User sessions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sessions {
    /// Where they live.
    pub mode: SessionMode,
    /// Requests the session store works on at once (`shared_store`).
    pub store_workers: u32,
    /// Service time of one session read from the store (`shared_store`).
    pub store_get: Dist,
}

/// An autoscaling group for the web tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Fewest web servers.
    pub min_servers: u32,
    /// Most web servers.
    pub max_servers: u32,
    /// Mean utilization the group aims for, 0–1.
    pub target_utilization: f64,
    /// Time between scaling decisions, in seconds.
    pub evaluation_interval_s: f64,
    /// Time a new server takes to boot before the balancer checks it, in seconds.
    pub scale_out_delay_s: f64,
    /// Time after any scaling action before servers are removed, in seconds.
    pub scale_in_cooldown_s: f64,
}

/// A durable message queue: web servers publish slow jobs, workers consume them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobQueue {
    /// Share of writes that publish a job (e.g. photo uploads to process), 0–1.
    pub jobs_per_write: f64,
    /// Most jobs the queue holds; a publish beyond it fails the write.
    pub max_depth: u32,
    /// Workers consuming jobs, one job each at a time.
    pub workers: u32,
    /// Time one worker takes for one job.
    pub job: Dist,
    /// Scale workers on queue depth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<WorkerAutoscale>,
    /// Each job, once its worker has done it, writes its result to the (first) database, and
    /// the worker waits for the commit; a failed write sends the job back to the queue.
    /// Needs a database. Absent: jobs touch nothing but their worker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub job_writes_to_db: bool,
}

/// Scaling of queue workers on queue depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerAutoscale {
    /// Fewest workers.
    pub min_workers: u32,
    /// Most workers.
    pub max_workers: u32,
    /// Backlog per worker the scaler aims for, in jobs.
    pub jobs_per_worker: f64,
    /// Time between decisions, in seconds.
    pub interval_s: f64,
    /// Time for new workers to start, in seconds.
    pub start_delay_s: f64,
}

/// How keys map to shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShardStrategy {
    /// shard = key mod N: simple, but changing N moves most keys.
    Modulo,
    /// A hash ring with virtual nodes: changing N moves about 1/N of the keys.
    ConsistentHash,
}

/// Database sharding: the key (user id) picks a shard; each shard is a master with replicas
/// as described by `database`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sharding {
    /// Number of shards.
    pub shards: u32,
    /// How keys map to shards.
    pub strategy: ShardStrategy,
    /// Points per shard on the ring (`consistent_hash`).
    pub virtual_nodes: u32,
    /// Celebrity keys that take a fixed share of the data requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hot_keys: Vec<HotKey>,
    /// Share of reads (page views, API reads) that query every shard, 0–1.
    pub cross_shard_share: f64,
    /// A resharding scheduled in the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reshard: Option<ReshardPlan>,
    /// How fast a resharding copies the keys that move, in keys per second (every
    /// resharding, scheduled or live). Each key copied costs a read on its old shard's master
    /// and a write on its new shard's master, queued with the client queries.
    #[serde(default = "default_migration_keys_per_s")]
    pub migration_keys_per_s: f64,
    /// Denormalised data: cross-shard reads become single-shard reads, paid for with copies
    /// of every write on other shards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denormalise: Option<Denormalise>,
}

fn default_migration_keys_per_s() -> f64 {
    DEFAULT_MIGRATION_KEYS_PER_S
}

/// The copy rate of a resharding when the scenario does not say, keys/s.
pub const DEFAULT_MIGRATION_KEYS_PER_S: f64 = 400.0;

/// Denormalisation: each record is stored `write_factor` times (on its own shard and the
/// next `write_factor − 1` shards), so a read that used to join across every shard reads one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Denormalise {
    /// Copies written per write, the first one included (2 – shards).
    pub write_factor: u32,
}

/// A celebrity key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotKey {
    /// The key (user id).
    pub key: u32,
    /// Share of data requests for it, 0–1.
    pub share: f64,
}

/// A scheduled resharding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReshardPlan {
    /// When, seconds.
    pub at_s: f64,
    /// Shards after.
    pub to_shards: u32,
}

/// Monitoring: per-component time series and alert rules evaluated every metrics interval.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitoring {
    /// The alert rules.
    pub alerts: Vec<AlertRule>,
}

/// A metric an alert can watch (one value per metrics interval).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertMetric {
    /// 99th percentile latency of the interval, ms.
    LatencyP99Ms,
    /// Failed / (completed + failed) in the interval.
    ErrorRatio,
    /// Mean web-server utilization, 0–1.
    WebUtilization,
    /// Busiest database node's utilization, 0–1.
    DbUtilization,
    /// Largest replica lag, ms.
    ReplicationLagMs,
    /// Jobs waiting in the message queue.
    QueueDepth,
    /// Cache hit ratio, 0–1 (usually alerted when below).
    CacheHitRatio,
}

/// Fires when `metric` is beyond `threshold` for at least `for_s`; resolves when it is not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Name shown in the event log.
    pub name: String,
    /// What it watches.
    pub metric: AlertMetric,
    /// The limit.
    pub threshold: f64,
    /// True: fire above the threshold; false: fire below it.
    #[serde(default = "yes")]
    pub above: bool,
    /// How long the condition must hold before it fires, in seconds.
    pub for_s: f64,
}

fn yes() -> bool {
    true
}

/// How reads pick a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadPolicy {
    /// Each replica in turn.
    RoundRobin,
    /// The replica with the fewest requests waiting or in service.
    LeastLoaded,
}

/// What kind of data store a database is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// Tables, joins within a node, transactions; scales up first.
    #[default]
    Relational,
    /// Single-key reads and writes only; spreads over many nodes by key.
    KeyValue,
    /// Documents looked up by key; no joins between documents.
    Document,
}

impl StoreKind {
    /// Whether it is the relational default (not written out).
    pub fn is_relational(&self) -> bool {
        *self == StoreKind::Relational
    }

    /// snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            StoreKind::Relational => "relational",
            StoreKind::KeyValue => "key_value",
            StoreKind::Document => "document",
        }
    }

    /// A phrase for messages ("a key-value store").
    pub fn phrase(&self) -> &'static str {
        match self {
            StoreKind::Relational => "a relational database",
            StoreKind::KeyValue => "a key-value store",
            StoreKind::Document => "a document store",
        }
    }
}

/// A NoSQL store beside the relational database: a share of the data requests (feeds,
/// sessions, counters: single-key reads and writes) goes to it instead. Keys spread over its
/// nodes by key; each node is a queue of `workers` with its own service times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSqlStore {
    /// `key_value` or `document` (not `relational`).
    pub kind: StoreKind,
    /// Share of data requests (page views, API reads, writes) served by it, 0–1.
    pub share: f64,
    /// Nodes the keys spread over (key mod nodes).
    pub nodes: u32,
    /// Requests one node works on at once.
    pub workers: u32,
    /// Requests that may wait at a node; one more is rejected.
    pub queue_capacity: u32,
    /// Service time of a single-key read.
    pub read: Dist,
    /// Service time of a single-key write.
    pub write: Dist,
}

/// A rolling deploy of the web tier: servers leave the load balancer in batches, drain (or
/// not), restart with the new version, and rejoin through the health checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    /// When it starts, seconds; absent: only when started live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_s: Option<f64>,
    /// Servers taken out at once.
    pub batch_size: u32,
    /// Wait for requests in progress to finish before stopping a server (needs a load balancer).
    pub drain: bool,
    /// Longest wait for a server to drain; what is left then fails, in milliseconds.
    pub drain_timeout_ms: f64,
    /// Time a restarted server takes to start, in seconds.
    pub startup_s: f64,
    /// The web pool it rolls: `web` (the scenario's `server`) or a `more_web_pools` name;
    /// absent: the first pool. In a graph, the pool the deploy controller is wired to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
}

/// The database tier: one master and zero or more replicas, all alike.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// What kind of store it is (relational unless said otherwise).
    #[serde(default, skip_serializing_if = "StoreKind::is_relational")]
    pub kind: StoreKind,
    /// Queries one node works on at once (vertical scaling, up to 64).
    pub workers: u32,
    /// Speed factor of a node (vertical scaling, up to 4): service times are divided by it.
    pub speed: f64,
    /// Queries that may wait at a node; one more is rejected.
    pub queue_capacity: u32,
    /// Service time of a read query at speed 1.
    pub read: Dist,
    /// Service time of a write at speed 1.
    pub write: Dist,
    /// Read replicas (0: a single node serves everything).
    pub replicas: u32,
    /// How reads pick a replica.
    pub read_policy: ReadPolicy,
    /// Asynchronous replication from the master to each replica.
    pub replication: Replication,
    /// Detection of dead nodes and promotion of a replica.
    pub failover: Failover,
}

/// Asynchronous replication: each committed write travels to every replica, which applies
/// writes one at a time, in commit order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// Network delay from the master to a replica, in milliseconds.
    pub delay_ms: f64,
    /// Time a replica takes to apply one write, in milliseconds (1000/apply_ms writes per second at most).
    pub apply_ms: f64,
}

/// Failure handling of the database tier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failover {
    /// Time until a dead or recovered node is noticed, in milliseconds.
    pub detection_ms: f64,
    /// Time to promote a replica once the master's death is noticed, in milliseconds.
    pub promotion_ms: f64,
}

fn default_cv() -> f64 {
    1.0
}

impl Dist {
    /// An exponential distribution with this mean.
    pub fn exponential(mean_ms: f64) -> Dist {
        Dist {
            shape: Shape::Exponential,
            mean_ms,
            cv: 1.0,
        }
    }
}

/// Shapes of service-time distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Memoryless: the M in M/M/c.
    Exponential,
    /// Always exactly the mean.
    Constant,
    /// Log-normal with the given mean and coefficient of variation: a long right tail.
    Lognormal,
}

/// Users spread over regions, data centers in some of them, and geoDNS between (stage 11).
/// Read through [`spelling`], so files that write shares in percent still load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "spelling::GeoFields")]
pub struct Geo {
    /// Where the users are.
    pub regions: Vec<Region>,
    /// Round-trip time between regions, in milliseconds: one row per region, in region order
    /// (the diagonal is the time within a region).
    pub rtt_ms: Vec<Vec<f64>>,
    /// The data centers; each runs a full copy of the stack, changed by its own `set`.
    pub data_centers: Vec<DataCenter>,
    /// How geoDNS picks a data center for a user.
    pub routing: GeoRouting,
    /// Share (0 – 1) of each user's traffic geoDNS sends to each data center when `routing`
    /// is `split` (one entry per data center; they must add up to 1). Older files write
    /// `split_percent` (0 – 100).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub split_share: Vec<f64>,
    /// GeoDNS checks every data center this often, in milliseconds.
    pub health_interval_ms: f64,
    /// Failed checks in a row before geoDNS stops answering with a data center.
    pub unhealthy_after: u32,
    /// Passed checks in a row before it answers with it again.
    pub healthy_after: u32,
    /// Cross-data-center replication: committed writes each data center ships to each other
    /// one per second at most (asynchronous; a backlog builds above this rate).
    pub replication_writes_per_s: f64,
}

/// A region with users. Read through [`spelling`] (older files write `users_percent`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "spelling::RegionFields")]
pub struct Region {
    /// Its name (letters, digits and `-`).
    pub name: String,
    /// Share (0 – 1) of all users who live here.
    pub users_share: f64,
}

/// A data center.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataCenter {
    /// Its name (letters, digits and `-`); its components are named `<name>/web-0` and so on.
    pub name: String,
    /// The region it stands in (a name from `regions`).
    pub region: String,
    /// Changes to this data center's own copy of the stack, each a dotted path of the
    /// scenario (`server.count`, `cache`, `database.replicas`) and the value `--set` would
    /// give it (`null` leaves an optional part out). Applied in path order to a copy of the
    /// scenario, so a path's value comes before the changes under it. Absent: the data center
    /// runs the stack the rest of the scenario describes. Paths every data center shares
    /// (traffic, DNS, duration, seed, faults, the deploy, `geo` itself…) are refused: see
    /// [`Scenario::data_center_stack`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set: BTreeMap<String, serde_json::Value>,
}

/// The dotted path of web pool `pool`'s server count, as a data center's `set` names it (0:
/// the scenario's `server`, `n`: `more_web_pools[n - 1]`).
pub fn pool_count_path(pool: usize) -> String {
    match pool {
        0 => "server.count".to_string(),
        n => format!("more_web_pools.{}.server.count", n - 1),
    }
}

/// How geoDNS answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeoRouting {
    /// The healthy data center with the shortest round trip from the user's region.
    Nearest,
    /// Healthy data centers in the proportions of `split_share`; when every one geoDNS still
    /// names has share 0, the nearest of those.
    Split,
}

/// A fault scheduled in the scenario: from `at_s` for `duration_s` the component is down, or
/// (`kind: slow`) alive but `factor` times slower.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Component name, as the simulation names it (e.g. `web-0`).
    pub target: String,
    /// When it goes down, in seconds of simulated time.
    pub at_s: f64,
    /// How long it stays down, in seconds (0: until the end of the run).
    pub duration_s: f64,
    /// What goes wrong (`down` when left out, as in every scenario written before slow
    /// faults existed).
    #[serde(default, skip_serializing_if = "FaultKind::is_down")]
    pub kind: FaultKind,
    /// Slow faults: how many times longer every service takes (a grey failure, a slow
    /// disk); between 1 and [`MAX_SLOW_FACTOR`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factor: Option<f64>,
    /// Error faults: the share of requests reaching the node that it answers with an error
    /// at once, 0 – 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_ratio: Option<f64>,
    /// Partitions: the other data center (`target` is the first); the network between the
    /// two is cut, so cross-data-center replication between them stops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
}

/// Most a slow fault may slow a node down.
pub const MAX_SLOW_FACTOR: f64 = 1000.0;

/// What a scheduled fault does to its target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// The component is dead: it refuses requests, health checks see it.
    #[default]
    Down,
    /// A grey failure: the node stays alive and passes its health checks, but every service
    /// takes `factor` times longer (a replica also applies replicated writes that much slower).
    Slow,
    /// A flaky node: alive, passes health checks, but answers a share (`error_ratio`) of the
    /// requests reaching it with an error at once.
    Errors,
    /// Stage 11: the network between data center `target` and data center `peer` is cut.
    /// Users still reach both (geoDNS and the health checks look from outside), but
    /// replication between them stops and its backlog grows until the partition heals.
    Partition,
}

impl FaultKind {
    /// Whether it is the default `down` (not written out).
    pub fn is_down(&self) -> bool {
        *self == FaultKind::Down
    }
}

impl Fault {
    /// `target` is down from `at_s` for `duration_s` (0: to the end).
    pub fn down(target: &str, at_s: f64, duration_s: f64) -> Fault {
        Fault {
            target: target.to_string(),
            at_s,
            duration_s,
            kind: FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        }
    }

    /// `target` answers a share `error_ratio` of its requests with an error, from `at_s`
    /// for `duration_s` (0: to the end).
    pub fn errors(target: &str, error_ratio: f64, at_s: f64, duration_s: f64) -> Fault {
        Fault {
            kind: FaultKind::Errors,
            error_ratio: Some(error_ratio),
            peer: None,
            ..Fault::down(target, at_s, duration_s)
        }
    }

    /// The network between data centers `a` and `b` is cut from `at_s` for `duration_s`
    /// (0: to the end).
    pub fn partition(a: &str, b: &str, at_s: f64, duration_s: f64) -> Fault {
        Fault {
            target: a.to_string(),
            at_s,
            duration_s,
            kind: FaultKind::Partition,
            factor: None,
            error_ratio: None,
            peer: Some(b.to_string()),
        }
    }

    /// `target` is `factor` times slower from `at_s` for `duration_s` (0: to the end).
    pub fn slow(target: &str, factor: f64, at_s: f64, duration_s: f64) -> Fault {
        Fault {
            kind: FaultKind::Slow,
            factor: Some(factor),
            ..Fault::down(target, at_s, duration_s)
        }
    }

    /// The slowdown factor of a slow fault (1 for any other).
    pub fn slow_factor(&self) -> f64 {
        match self.kind {
            FaultKind::Down | FaultKind::Errors | FaultKind::Partition => 1.0,
            FaultKind::Slow => self.factor.unwrap_or(1.0),
        }
    }

    /// The share of requests an error fault fails (0 for any other).
    pub fn error_share(&self) -> f64 {
        match self.kind {
            FaultKind::Down | FaultKind::Slow | FaultKind::Partition => 0.0,
            FaultKind::Errors => self.error_ratio.unwrap_or(0.0),
        }
    }
}

impl Scenario {
    /// Parses a scenario from JSON and validates it.
    /// A file may also carry a graph (`{"topology": …}` beside the run settings, see
    /// [`TopologyFile`]): it is checked and lowered to the scenario it describes.
    pub fn from_json(text: &str) -> Result<Scenario, ValidationErrors> {
        let not_valid = |e: serde_json::Error| {
            ValidationErrors::single("", format!("not a valid scenario: {e}"))
        };
        let value: serde_json::Value = serde_json::from_str(text).map_err(not_valid)?;
        if value.get("topology").is_some() {
            return Scenario::from_json_value(value);
        }
        // From the text again, so that a misspelt field's message says where it is.
        let scenario: Scenario = serde_json::from_str(text).map_err(not_valid)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// [`Scenario::from_json`] from a parsed JSON value (either form), for callers that avoid a
    /// second `Deserialize` instantiation from text (the browser build).
    pub fn from_json_value(value: serde_json::Value) -> Result<Scenario, ValidationErrors> {
        if value.get("topology").is_some() {
            let file: TopologyFile = serde_json::from_value(value).map_err(|e| {
                ValidationErrors::single("", format!("not a valid scenario with a topology: {e}"))
            })?;
            return file.lower();
        }
        let scenario: Scenario = serde_json::from_value(value)
            .map_err(|e| ValidationErrors::single("", format!("not a valid scenario: {e}")))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Pretty JSON of this scenario.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a scenario always serialises")
    }

    /// Total offered request rate, in requests per second.
    pub fn offered_rate_per_s(&self) -> f64 {
        self.traffic.users as f64 * self.traffic.requests_per_user_per_s
    }
}

/// For `skip_serializing_if`: a switch left off is not written out.
fn is_false(b: &bool) -> bool {
    !*b
}
