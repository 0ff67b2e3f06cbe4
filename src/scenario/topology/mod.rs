//! The topology as data: a typed graph of components and the flows between them.
//!
//! ```text
//!   users ─▶ dns ─▶ lb ─▶ web ─▶ cache ─▶ db            (page views, API reads)
//!            │       ▲      ├──────────────▶ db          (writes)
//!            └▶ cdn ─┘      ├─▶ sessions                 (session lookups)
//!         (static assets)   └─▶ queue ─▶ workers         (jobs)
//! ```
//!
//! A [`Topology`] is a list of named [`Node`]s, each with a [`NodeKind`] and that kind's
//! parameters (the scenario's own parameter structs where they exist), and a list of [`Edge`]s
//! saying where each [`Flow`] goes next. [`rules`] holds the wiring rules per kind
//! ([`can_connect`] answers one wire, [`Topology::check`] lists every broken rule);
//! [`convert`] compiles any valid [`Scenario`] into a graph ([`Scenario::topology`]) and lowers a
//! valid graph back to the scenario the engine runs ([`Topology::lower`]). A scenario file may
//! carry a graph instead of the stage-based tier fields: see [`TopologyFile`].
//!
//! Names are shown as text only; they are bounded in length and in the characters they use.

mod convert;
pub mod edit;
mod rules;
// proptest is a native dev-dependency only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

pub use convert::{field_path, infer_stage};
pub use rules::{can_connect, WireError};

use super::{
    Autoscaling, CacheTier, Cdn, Database, Deploy, Dist, Dns, Fault, GeoRouting, LoadBalancer,
    Monitoring, Network, NoSqlStore, Region, Server, Sharding, Traffic, WorkerAutoscale,
};
use crate::sim::{PlugKind, PlugParams};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// The graph format version this build writes and reads.
pub const TOPOLOGY_VERSION: u32 = 1;
/// Most nodes in a graph.
pub const MAX_NODES: usize = 64;
/// Most edges in a graph.
pub const MAX_EDGES: usize = 256;
/// Longest node name, in characters.
pub const MAX_NODE_NAME_CHARS: usize = 40;

/// A system drawn as a graph: what runs, and where each kind of request goes next.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// Format version; must equal [`TOPOLOGY_VERSION`].
    pub version: u32,
    /// The components, in order (data centers lower in this order).
    pub nodes: Vec<Node>,
    /// The wires between them.
    pub edges: Vec<Edge>,
    /// Where the editor draws the nodes the user moved (by name; the others are placed
    /// automatically). Drawing only: the run does not depend on it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub positions: BTreeMap<String, Position>,
}

/// Where a node's box is drawn: its top-left corner, in drawing units (1 unit = 1 CSS pixel
/// at 100 % zoom), each 0 – [`MAX_COORD`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Position {
    /// Distance from the drawing's left edge.
    pub x: u32,
    /// Distance from the drawing's top edge.
    pub y: u32,
}

/// Largest coordinate of a node's position, in drawing units.
pub const MAX_COORD: u32 = 20_000;

/// One component of the graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Its unique name (1–40 letters, digits, `-`, `_` or `.`), shown as text.
    pub name: String,
    /// What it is, with its parameters.
    pub spec: NodeSpec,
}

/// A wire: `flows` leave `from` for `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// Name of the node the flows leave.
    pub from: String,
    /// Name of the node they reach.
    pub to: String,
    /// What travels along it (at least one, each once).
    pub flows: Vec<Flow>,
}

/// What travels along an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flow {
    /// Page views (`GET /`).
    PageView,
    /// API reads (`GET /users/12`).
    ApiRead,
    /// Writes (`POST /users/12/photos`).
    Write,
    /// Static assets (images, scripts, style sheets).
    StaticAsset,
    /// Slow jobs a web server publishes to a queue, which workers drain.
    Job,
    /// A web server reading the user's session from a shared store.
    Session,
    /// An autoscaler or a deploy controller acting on a web pool.
    Control,
}

impl Flow {
    /// Every flow.
    pub const ALL: [Flow; 7] = [
        Flow::PageView,
        Flow::ApiRead,
        Flow::Write,
        Flow::StaticAsset,
        Flow::Job,
        Flow::Session,
        Flow::Control,
    ];
    /// The four kinds of request users send.
    pub const REQUESTS: [Flow; 4] = [
        Flow::PageView,
        Flow::ApiRead,
        Flow::Write,
        Flow::StaticAsset,
    ];
    /// The requests that touch data.
    pub const DATA: [Flow; 3] = [Flow::PageView, Flow::ApiRead, Flow::Write];

    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Flow::PageView => "page_view",
            Flow::ApiRead => "api_read",
            Flow::Write => "write",
            Flow::StaticAsset => "static_asset",
            Flow::Job => "job",
            Flow::Session => "session",
            Flow::Control => "control",
        }
    }

    /// Plural words for messages ("page views").
    pub fn plural(self) -> &'static str {
        match self {
            Flow::PageView => "page views",
            Flow::ApiRead => "API reads",
            Flow::Write => "writes",
            Flow::StaticAsset => "static assets",
            Flow::Job => "jobs",
            Flow::Session => "session lookups",
            Flow::Control => "control",
        }
    }
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// The user population (clients).
    Users,
    /// The DNS server (and the clients' cache of its answers).
    Dns,
    /// GeoDNS in front of several data centers (stage 11).
    GeoDns,
    /// A data center; every data center runs the one stack its wires lead to.
    DataCenter,
    /// A CDN edge serving static assets near the users.
    CdnEdge,
    /// A load balancer in front of a web pool.
    LoadBalancer,
    /// A pool of identical web servers.
    WebPool,
    /// A shared session store the web servers read.
    SessionStore,
    /// A read-through cache cluster.
    Cache,
    /// A shard router splitting data over database clusters by key.
    ShardRouter,
    /// A database cluster: a master and its replicas.
    Database,
    /// A NoSQL store taking a share of the data requests.
    NoSql,
    /// A durable message queue.
    Queue,
    /// Workers draining a queue.
    Workers,
    /// An autoscaling group for a web pool.
    Autoscaler,
    /// A rolling-deploy controller for a web pool.
    Deploy,
    /// Metrics and alert rules over the whole system.
    Monitor,
    /// A kind registered in `src/sim/components/registry.rs` (a rate limiter, …).
    Plug(PlugKind),
}

/// The kinds built into the graph's code (the registered ones follow them in [`NodeKind::ALL`]).
const BUILT_IN: usize = 17;

impl NodeKind {
    /// Every kind, in the order a compiled graph lists them: the built-in ones, then the
    /// registered ones in registration order (a graph link names a kind by its index here, so
    /// new kinds only ever go at the end).
    pub const ALL: [NodeKind; BUILT_IN + PlugKind::ALL.len()] = {
        let mut all = [NodeKind::Users; BUILT_IN + PlugKind::ALL.len()];
        let mut i = 0;
        while i < BUILT_IN {
            all[i] = NodeKind::BUILT_IN[i];
            i += 1;
        }
        let mut j = 0;
        while j < PlugKind::ALL.len() {
            all[BUILT_IN + j] = NodeKind::Plug(PlugKind::ALL[j]);
            j += 1;
        }
        all
    };

    const BUILT_IN: [NodeKind; BUILT_IN] = [
        NodeKind::Users,
        NodeKind::Dns,
        NodeKind::GeoDns,
        NodeKind::DataCenter,
        NodeKind::CdnEdge,
        NodeKind::LoadBalancer,
        NodeKind::WebPool,
        NodeKind::SessionStore,
        NodeKind::Cache,
        NodeKind::ShardRouter,
        NodeKind::Database,
        NodeKind::NoSql,
        NodeKind::Queue,
        NodeKind::Workers,
        NodeKind::Autoscaler,
        NodeKind::Deploy,
        NodeKind::Monitor,
    ];

    /// snake_case name, as written in files.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Users => "users",
            NodeKind::Dns => "dns",
            NodeKind::GeoDns => "geo_dns",
            NodeKind::DataCenter => "data_center",
            NodeKind::CdnEdge => "cdn_edge",
            NodeKind::LoadBalancer => "load_balancer",
            NodeKind::WebPool => "web_pool",
            NodeKind::SessionStore => "session_store",
            NodeKind::Cache => "cache",
            NodeKind::ShardRouter => "shard_router",
            NodeKind::Database => "database",
            NodeKind::NoSql => "nosql",
            NodeKind::Queue => "queue",
            NodeKind::Workers => "workers",
            NodeKind::Autoscaler => "autoscaler",
            NodeKind::Deploy => "deploy",
            NodeKind::Monitor => "monitor",
            NodeKind::Plug(kind) => kind.name(),
        }
    }

    /// A phrase for messages ("a cache").
    pub fn phrase(self) -> &'static str {
        match self {
            NodeKind::Users => "the users",
            NodeKind::Dns => "a DNS server",
            NodeKind::GeoDns => "a geoDNS",
            NodeKind::DataCenter => "a data center",
            NodeKind::CdnEdge => "a CDN edge",
            NodeKind::LoadBalancer => "a load balancer",
            NodeKind::WebPool => "a web pool",
            NodeKind::SessionStore => "a session store",
            NodeKind::Cache => "a cache",
            NodeKind::ShardRouter => "a shard router",
            NodeKind::Database => "a database",
            NodeKind::NoSql => "a NoSQL store",
            NodeKind::Queue => "a queue",
            NodeKind::Workers => "workers",
            NodeKind::Autoscaler => "an autoscaler",
            NodeKind::Deploy => "a deploy controller",
            NodeKind::Monitor => "a monitor",
            NodeKind::Plug(kind) => kind.phrase(),
        }
    }

    /// The phrase without its article ("cache"), for "cache `cache-0` …".
    pub fn noun(self) -> &'static str {
        let p = self.phrase();
        p.strip_prefix("a ")
            .or_else(|| p.strip_prefix("an "))
            .or_else(|| p.strip_prefix("the "))
            .unwrap_or(p)
    }

    fn parse(name: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A node's kind and parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeSpec {
    /// Who sends what, and the network between them and the system.
    Users(UsersParams),
    /// The DNS server.
    Dns(Dns),
    /// GeoDNS, the regions its users live in and the replication between data centers.
    GeoDns(GeoDnsParams),
    /// One data center.
    DataCenter(DataCenterParams),
    /// A CDN edge.
    CdnEdge(Cdn),
    /// A load balancer (optionally pinning users to servers: sticky sessions).
    LoadBalancer(BalancerParams),
    /// A web pool: every server alike.
    WebPool(Server),
    /// A shared session store.
    SessionStore(SessionParams),
    /// A cache cluster.
    Cache(CacheTier),
    /// A shard router; each shard is a cluster as its database node describes.
    ShardRouter(Sharding),
    /// A database cluster.
    Database(Database),
    /// A NoSQL store.
    NoSql(NoSqlStore),
    /// A message queue.
    Queue(QueueParams),
    /// Queue workers.
    Workers(WorkersParams),
    /// An autoscaling group.
    Autoscaler(Autoscaling),
    /// A rolling deploy.
    Deploy(Deploy),
    /// Monitoring.
    Monitor(Monitoring),
    /// A registered kind, with its parameters.
    Plug(PlugParams),
}

impl NodeSpec {
    /// Its kind.
    pub fn kind(&self) -> NodeKind {
        match self {
            NodeSpec::Users(_) => NodeKind::Users,
            NodeSpec::Dns(_) => NodeKind::Dns,
            NodeSpec::GeoDns(_) => NodeKind::GeoDns,
            NodeSpec::DataCenter(_) => NodeKind::DataCenter,
            NodeSpec::CdnEdge(_) => NodeKind::CdnEdge,
            NodeSpec::LoadBalancer(_) => NodeKind::LoadBalancer,
            NodeSpec::WebPool(_) => NodeKind::WebPool,
            NodeSpec::SessionStore(_) => NodeKind::SessionStore,
            NodeSpec::Cache(_) => NodeKind::Cache,
            NodeSpec::ShardRouter(_) => NodeKind::ShardRouter,
            NodeSpec::Database(_) => NodeKind::Database,
            NodeSpec::NoSql(_) => NodeKind::NoSql,
            NodeSpec::Queue(_) => NodeKind::Queue,
            NodeSpec::Workers(_) => NodeKind::Workers,
            NodeSpec::Autoscaler(_) => NodeKind::Autoscaler,
            NodeSpec::Deploy(_) => NodeKind::Deploy,
            NodeSpec::Monitor(_) => NodeKind::Monitor,
            NodeSpec::Plug(p) => NodeKind::Plug(p.kind()),
        }
    }

    fn params_json(&self) -> Result<Value, serde_json::Error> {
        match self {
            NodeSpec::Users(p) => serde_json::to_value(p),
            NodeSpec::Dns(p) => serde_json::to_value(p),
            NodeSpec::GeoDns(p) => serde_json::to_value(p),
            NodeSpec::DataCenter(p) => serde_json::to_value(p),
            NodeSpec::CdnEdge(p) => serde_json::to_value(p),
            NodeSpec::LoadBalancer(p) => {
                let mut v = serde_json::to_value(&p.balancer)?;
                if let (Some(s), Value::Object(map)) = (&p.sticky_sessions, &mut v) {
                    map.insert(STICKY.to_string(), serde_json::to_value(s)?);
                }
                Ok(v)
            }
            NodeSpec::WebPool(p) => serde_json::to_value(p),
            NodeSpec::SessionStore(p) => serde_json::to_value(p),
            NodeSpec::Cache(p) => serde_json::to_value(p),
            NodeSpec::ShardRouter(p) => serde_json::to_value(p),
            NodeSpec::Database(p) => serde_json::to_value(p),
            NodeSpec::NoSql(p) => serde_json::to_value(p),
            NodeSpec::Queue(p) => serde_json::to_value(p),
            NodeSpec::Workers(p) => serde_json::to_value(p),
            NodeSpec::Autoscaler(p) => serde_json::to_value(p),
            NodeSpec::Deploy(p) => serde_json::to_value(p),
            NodeSpec::Monitor(p) => serde_json::to_value(p),
            NodeSpec::Plug(p) => p.to_json(),
        }
    }

    fn from_params(kind: NodeKind, params: Value) -> Result<NodeSpec, serde_json::Error> {
        use serde_json::from_value as p;
        Ok(match kind {
            NodeKind::Users => NodeSpec::Users(p(params)?),
            NodeKind::Dns => NodeSpec::Dns(p(params)?),
            NodeKind::GeoDns => NodeSpec::GeoDns(p(params)?),
            NodeKind::DataCenter => NodeSpec::DataCenter(p(params)?),
            NodeKind::CdnEdge => NodeSpec::CdnEdge(p(params)?),
            NodeKind::LoadBalancer => {
                let mut params = params;
                let sticky = match &mut params {
                    Value::Object(map) => map.remove(STICKY),
                    _ => None,
                };
                NodeSpec::LoadBalancer(BalancerParams {
                    balancer: p(params)?,
                    sticky_sessions: sticky.map(p).transpose()?,
                })
            }
            NodeKind::WebPool => NodeSpec::WebPool(p(params)?),
            NodeKind::SessionStore => NodeSpec::SessionStore(p(params)?),
            NodeKind::Cache => NodeSpec::Cache(p(params)?),
            NodeKind::ShardRouter => NodeSpec::ShardRouter(p(params)?),
            NodeKind::Database => NodeSpec::Database(p(params)?),
            NodeKind::NoSql => NodeSpec::NoSql(p(params)?),
            NodeKind::Queue => NodeSpec::Queue(p(params)?),
            NodeKind::Workers => NodeSpec::Workers(p(params)?),
            NodeKind::Autoscaler => NodeSpec::Autoscaler(p(params)?),
            NodeKind::Deploy => NodeSpec::Deploy(p(params)?),
            NodeKind::Monitor => NodeSpec::Monitor(p(params)?),
            NodeKind::Plug(kind) => NodeSpec::Plug(kind.params_from_json(params)?),
        })
    }
}

/// The key under a load balancer's parameters that turns sticky sessions on.
const STICKY: &str = "sticky_sessions";

/// The users node: the traffic they send and the network to the system.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsersParams {
    /// Who sends what, how often.
    pub traffic: Traffic,
    /// Network delays (client round trip; inside a data center).
    pub network: Network,
}

/// GeoDNS and what it decides over (stage 11).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoDnsParams {
    /// Lookup time and the TTL of its answers.
    pub dns: Dns,
    /// Where the users are.
    pub regions: Vec<Region>,
    /// Round trips between regions, in milliseconds (one row per region).
    pub rtt_ms: Vec<Vec<f64>>,
    /// How it picks a data center.
    pub routing: GeoRouting,
    /// Interval between its health checks of each data center, in milliseconds.
    pub health_interval_ms: f64,
    /// Failed checks in a row before it stops naming a data center.
    pub unhealthy_after: u32,
    /// Passed checks in a row before it names it again.
    pub healthy_after: u32,
    /// Committed writes each data center ships to each other one per second at most.
    pub replication_writes_per_s: f64,
}

/// A data center (its name is the node's name). Read through [`super::spelling`] (older files
/// and links write `split_percent`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "super::spelling::DataCenterParamsFields")]
pub struct DataCenterParams {
    /// The region it stands in (a region of the geoDNS node).
    pub region: String,
    /// Its share (0 – 1) of the traffic, with `split` routing only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split_share: Option<f64>,
    /// How its own copy of the stack differs from the one the graph draws: the scenario's
    /// `geo.data_centers[].set`, dotted paths and their values (absent: no difference).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub set: std::collections::BTreeMap<String, serde_json::Value>,
}

/// A load balancer, and whether it pins each user to one server.
#[derive(Clone, Debug, PartialEq)]
pub struct BalancerParams {
    /// Its policy and health checks.
    pub balancer: LoadBalancer,
    /// Sticky sessions: each user's session lives on one web server and the balancer keeps
    /// sending the user there (written as `sticky_sessions` beside the balancer's fields).
    pub sticky_sessions: Option<SessionParams>,
}

/// A session store's size and speed (also kept with sticky sessions, where they are unused,
/// so that a scenario's fields come back unchanged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionParams {
    /// Requests the store works on at once.
    pub store_workers: u32,
    /// Service time of one session read.
    pub store_get: Dist,
}

/// A message queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    /// Share of writes that publish a job, 0–1.
    pub jobs_per_write: f64,
    /// Most jobs it holds; a publish beyond it fails the write.
    pub max_depth: u32,
}

/// The workers draining a queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkersParams {
    /// Workers, one job each at a time.
    pub workers: u32,
    /// Time one worker takes for one job.
    pub job: Dist,
    /// Scaling on queue depth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<WorkerAutoscale>,
}

/// How a node is written: `{"name": …, "kind": …, "params": {…}}`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    name: String,
    kind: String,
    params: Value,
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let params = self.spec.params_json().map_err(serde::ser::Error::custom)?;
        RawNode {
            name: self.name.clone(),
            kind: self.spec.kind().name().to_string(),
            params,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        let raw = RawNode::deserialize(deserializer)?;
        let shown: String = raw.name.chars().take(MAX_NODE_NAME_CHARS).collect();
        let kind = NodeKind::parse(&raw.kind).ok_or_else(|| {
            D::Error::custom(format!(
                "node `{shown}`: unknown kind `{}`: one of {}",
                raw.kind.chars().take(40).collect::<String>(),
                NodeKind::ALL.map(NodeKind::name).join(", ")
            ))
        })?;
        let spec = NodeSpec::from_params(kind, raw.params)
            .map_err(|e| D::Error::custom(format!("node `{shown}` ({}): {e}", kind.name())))?;
        Ok(Node {
            name: raw.name,
            spec,
        })
    }
}

/// A scenario file that carries a graph instead of the stage-based tier fields:
/// `{"version": 1, "name": …, "seed": …, "duration_s": …, "metrics_interval_ms": …,
/// "faults": […], "topology": {…}}`. [`crate::scenario::Scenario::from_json`] reads both forms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopologyFile {
    /// Scenario format version ([`crate::scenario::SCENARIO_VERSION`]).
    pub version: u32,
    /// A human name, shown as text.
    pub name: String,
    /// The stage it is shown as (1–11); absent: the stage of the most advanced component.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<u8>,
    /// Seed of the run's random number generator.
    pub seed: u64,
    /// Simulated length of a batch run, in seconds.
    pub duration_s: u32,
    /// Width of one time-series bucket, in milliseconds.
    pub metrics_interval_ms: u32,
    /// Faults scheduled in the run (targets are the engine's component names, e.g. `web-0`).
    #[serde(default)]
    pub faults: Vec<Fault>,
    /// The system.
    pub topology: Topology,
}

impl Topology {
    /// The node called `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    /// Pretty JSON.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a topology always serialises")
    }
}
