//! The wiring rules: which kind may send which flow to which kind ([`can_connect`]), and the
//! whole-graph rules [`Topology::check`] applies, listing every broken one with the nodes it
//! concerns.
//!
//! ```text
//!   users ─▶ dns | geo_dns ─▶ data_center ─▶ load_balancer ─▶ web_pool ─▶ cache ─▶ shard_router ─▶ database
//!                  └───────▶ cdn_edge ─(origin)─┘                 ├─▶ nosql, session_store, queue ─▶ workers
//!   autoscaler, deploy ─(control)─▶ web_pool          monitor: no wires (it watches everything)
//! ```
//!
//! Every wire goes one step down this order, so a graph that follows the per-kind rules has no
//! cycle; [`Topology::check`] still looks for one.

use super::{Edge, MAX_COORD, TOPOLOGY_VERSION};
use super::{Flow, NodeKind, NodeSpec, Topology, MAX_EDGES, MAX_NODES, MAX_NODE_NAME_CHARS};
use crate::scenario::{Problem, ValidationErrors, MAX_DATA_CENTERS};
use crate::sim::PlugKind;
use std::fmt;

/// Why a wire is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError(pub String);

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for WireError {}

const PV: Flow = Flow::PageView;
const AR: Flow = Flow::ApiRead;
const WR: Flow = Flow::Write;
const SA: Flow = Flow::StaticAsset;

/// The kinds a node of kind `from` may send `flow` to (empty: it sends no such flow on): the
/// built-in rules, and each registered kind's own (`PlugSpec::FED_BY` and `FRONTS`), which
/// stands on request wires only.
pub fn targets(from: NodeKind, flow: Flow) -> Vec<NodeKind> {
    let mut list = built_in_targets(from, flow).to_vec();
    if Flow::REQUESTS.contains(&flow) {
        match from {
            NodeKind::Plug(kind) => list.extend_from_slice(kind.fronts()),
            _ => list.extend(
                PlugKind::ALL
                    .into_iter()
                    .filter(|k| k.fed_by().contains(&from))
                    .map(NodeKind::Plug),
            ),
        }
    }
    list
}

fn built_in_targets(from: NodeKind, flow: Flow) -> &'static [NodeKind] {
    use NodeKind as K;
    match (from, flow) {
        (K::Users, PV | AR | WR | SA) => &[K::Dns, K::GeoDns],
        (K::Dns, PV | AR | WR) => &[K::LoadBalancer, K::WebPool],
        (K::Dns, SA) => &[K::LoadBalancer, K::WebPool, K::CdnEdge],
        (K::GeoDns, PV | AR | WR | SA) => &[K::DataCenter],
        (K::DataCenter, PV | AR | WR) => &[K::LoadBalancer],
        (K::DataCenter, SA) => &[K::LoadBalancer, K::CdnEdge],
        (K::CdnEdge, SA) => &[K::LoadBalancer, K::WebPool],
        (K::LoadBalancer, PV | AR | WR | SA) => &[K::WebPool],
        (K::WebPool, PV | AR) => &[K::Cache, K::ShardRouter, K::Database, K::NoSql],
        (K::WebPool, WR) => &[K::ShardRouter, K::Database, K::NoSql],
        (K::WebPool, Flow::Session) => &[K::SessionStore],
        (K::WebPool, Flow::Job) => &[K::Queue],
        (K::Cache, PV | AR) => &[K::ShardRouter, K::Database],
        (K::ShardRouter, PV | AR | WR) => &[K::Database],
        (K::Queue, Flow::Job) => &[K::Workers],
        (K::Workers, Flow::Job) => &[K::ShardRouter, K::Database],
        (K::Autoscaler | K::Deploy, Flow::Control) => &[K::WebPool],
        _ => &[],
    }
}

/// What a kind does with its wires, for messages.
pub fn role(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Users => "the users send page views, API reads, writes and static assets to DNS (or geoDNS)",
        NodeKind::Dns => "DNS sends users to the front door (a load balancer or a web pool), and static assets to a CDN edge if there is one",
        NodeKind::GeoDns => "geoDNS sends users to data centers",
        NodeKind::DataCenter => "a data center takes requests to its load balancer, and static assets to its CDN edge if there is one",
        NodeKind::CdnEdge => "a CDN edge serves static assets and fetches misses from the origin (a load balancer or a web pool)",
        NodeKind::LoadBalancer => "a load balancer fronts a web pool",
        NodeKind::WebPool => "a web pool sends reads to a cache, database, shard router or NoSQL store, writes to a database, shard router or NoSQL store, session lookups to a session store and jobs to a queue",
        NodeKind::SessionStore => "a session store answers the web servers' session lookups and sends nothing on",
        NodeKind::Cache => "a cache must sit in front of a database or a shard router, for page views and API reads (writes go from the web pool to the database)",
        NodeKind::ShardRouter => "a shard router sends each request to the database cluster its shard lives on",
        NodeKind::Database => "a database answers what it is sent and sends nothing on",
        NodeKind::NoSql => "a NoSQL store answers what it is sent and sends nothing on",
        NodeKind::Queue => "a queue is fed by a web pool and drained by workers",
        NodeKind::Workers => "workers drain a queue, and may write each job's result to the database (or the shard router in front of it)",
        NodeKind::Autoscaler => "an autoscaler controls a web pool behind a load balancer",
        NodeKind::Deploy => "a deploy controller controls a web pool",
        NodeKind::Monitor => "a monitor watches every component and needs no wires",
        NodeKind::Plug(kind) => kind.role(),
    }
}

/// May a node of kind `from` send `flow` to a node of kind `to`? The reason if not.
pub fn can_connect(from: NodeKind, to: NodeKind, flow: Flow) -> Result<(), WireError> {
    let allowed = targets(from, flow);
    if allowed.contains(&to) {
        return Ok(());
    }
    Err(WireError(format!(
        "{} cannot send {} to {}: {}",
        from.phrase(),
        flow.plural(),
        to.phrase(),
        role(from)
    )))
}

impl Topology {
    /// May node `from` send `flow` to node `to`, given the wires already drawn? The reason,
    /// naming both nodes, if not. The editor asks this before it draws a wire.
    pub fn can_connect(&self, from: &str, to: &str, flow: Flow) -> Result<(), WireError> {
        let (Some(a), Some(b)) = (self.node(from), self.node(to)) else {
            return Err(WireError(format!(
                "no node named `{}`",
                shown(if self.node(from).is_none() { from } else { to })
            )));
        };
        if from == to {
            return Err(WireError(format!(
                "`{}` cannot be wired to itself",
                shown(from)
            )));
        }
        let (ka, kb) = (a.spec.kind(), b.spec.kind());
        if !targets(ka, flow).contains(&kb) {
            return Err(WireError(format!(
                "{} `{}` cannot send {} to `{}` ({}): {}",
                capital(ka.noun()),
                shown(from),
                flow.plural(),
                shown(to),
                kb.phrase(),
                role(ka)
            )));
        }
        let existing: Vec<&str> = self
            .edges
            .iter()
            .filter(|e| e.from == from && e.flows.contains(&flow))
            .map(|e| e.to.as_str())
            .collect();
        if existing.contains(&to) {
            return Err(WireError(format!(
                "`{}` already sends {} to `{}`",
                shown(from),
                flow.plural(),
                shown(to)
            )));
        }
        let clash = existing.iter().find(|&&t| {
            self.node(t)
                .is_some_and(|n| successor_slot(ka, n.spec.kind()) == successor_slot(ka, kb))
        });
        if let (Some(other), Some(_)) = (clash, successor_slot(ka, kb)) {
            return Err(WireError(format!(
                "`{}` already sends {} to `{}`: {} has one next stop for them",
                shown(from),
                flow.plural(),
                shown(other),
                ka.phrase()
            )));
        }
        Ok(())
    }

    /// Every wire node `from` may still get: (target node, flow) pairs that
    /// [`Topology::can_connect`] accepts, in node then flow order (the editor's "connect to…"
    /// list).
    pub fn candidates(&self, from: &str) -> Vec<(String, Flow)> {
        let mut out = Vec::new();
        for to in &self.nodes {
            for flow in Flow::ALL {
                if self.can_connect(from, &to.name, flow).is_ok() {
                    out.push((to.name.clone(), flow));
                }
            }
        }
        out
    }

    /// Every broken rule of the graph, one problem each, naming the nodes; Ok when it follows
    /// them all.
    pub fn check(&self) -> Result<(), ValidationErrors> {
        let mut c = Problems(Vec::new());
        self.check_into(&mut c);
        if c.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(c.0))
        }
    }

    fn check_into(&self, c: &mut Problems) {
        if self.version != TOPOLOGY_VERSION {
            c.fail(
                "topology.version",
                format!(
                    "graph version {} is not supported: this build reads version {TOPOLOGY_VERSION}",
                    self.version
                ),
            );
        }
        if self.nodes.len() > MAX_NODES {
            c.fail(
                "topology.nodes",
                format!("{} nodes: at most {MAX_NODES}", self.nodes.len()),
            );
        }
        if self.edges.len() > MAX_EDGES {
            c.fail(
                "topology.edges",
                format!("{} edges: at most {MAX_EDGES}", self.edges.len()),
            );
        }
        for (name, at) in &self.positions {
            let shown: String = name.chars().take(MAX_NODE_NAME_CHARS).collect();
            if self.node(name).is_none() {
                c.fail(
                    "topology.positions",
                    format!("a position for `{shown}`, which is not a node of the graph"),
                );
            }
            if at.x > MAX_COORD || at.y > MAX_COORD {
                c.fail(
                    "topology.positions",
                    format!(
                        "`{shown}` drawn at ({}, {}): each coordinate is 0 – {MAX_COORD}",
                        at.x, at.y
                    ),
                );
            }
        }
        self.check_plugs(c);
        let contracted = self.without_plugs();
        let g = Graph::new(&contracted, c);
        g.counts(c);
        g.paths(c);
        g.consistency(c);
        g.cycles(c);
    }
}

/// Successors that exclude one another: a node has one next stop per flow, except that a
/// web pool may send data requests both to a NoSQL store and to its main data store, and
/// geoDNS names every data center.
fn successor_slot(from: NodeKind, to: NodeKind) -> Option<u8> {
    match (from, to) {
        (NodeKind::GeoDns, _) => None,
        (NodeKind::WebPool, NodeKind::NoSql) => Some(1),
        _ => Some(0),
    }
}

struct Problems(Vec<Problem>);

impl Problems {
    fn fail(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }
}

/// A name as messages show it (bounded).
pub(super) fn shown(name: &str) -> String {
    name.chars().take(MAX_NODE_NAME_CHARS).collect()
}

/// "page views, API reads and writes".
fn and_list(flows: &[Flow]) -> String {
    let words: Vec<&str> = flows.iter().map(|f| f.plural()).collect();
    match words.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The graph with names resolved to indices, keeping only wires that follow the rules.
struct Graph<'a> {
    t: &'a Topology,
    /// Number of nodes looked at (at most [`MAX_NODES`]).
    n: usize,
    /// (from, to, flow) of every valid wire.
    wires: Vec<(usize, usize, Flow)>,
}

impl<'a> Graph<'a> {
    fn new(t: &'a Topology, c: &mut Problems) -> Graph<'a> {
        let n = t.nodes.len().min(MAX_NODES);
        let nodes = &t.nodes[..n];
        for (i, node) in nodes.iter().enumerate() {
            let path = format!("topology.nodes[{i}].name");
            let name = &node.name;
            let ok = !name.is_empty()
                && name.chars().count() <= MAX_NODE_NAME_CHARS
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
            if !ok {
                c.fail(
                    &path,
                    format!(
                        "node name `{}`: use 1 to {MAX_NODE_NAME_CHARS} letters, digits, '-', '_' or '.'",
                        shown(name)
                    ),
                );
            }
            if nodes[..i].iter().any(|o| o.name == *name) {
                c.fail(&path, format!("two nodes are named `{}`", shown(name)));
            }
            if node.spec.kind() == NodeKind::DataCenter {
                let plain = !name.is_empty()
                    && name.len() <= 20
                    && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !plain || name == "users" || name == "dns" {
                    c.fail(
                        &path,
                        format!(
                            "data center `{}`: its name names its components (`{}/web-0`): use 1 to 20 letters, digits or '-', not `users` or `dns`",
                            shown(name),
                            shown(name)
                        ),
                    );
                }
            }
        }
        let index = |name: &str| nodes.iter().position(|n| n.name == name);
        let mut wires: Vec<(usize, usize, Flow)> = Vec::new();
        for (i, e) in t.edges.iter().take(MAX_EDGES).enumerate() {
            let path = format!("topology.edges[{i}]");
            let (a, b) = (index(&e.from), index(&e.to));
            for (end, name) in [(a, &e.from), (b, &e.to)] {
                if end.is_none() {
                    c.fail(&path, format!("no node named `{}`", shown(name)));
                }
            }
            if e.flows.is_empty() {
                c.fail(
                    &format!("{path}.flows"),
                    format!(
                        "the wire `{}` → `{}` carries nothing: name at least one flow",
                        shown(&e.from),
                        shown(&e.to)
                    ),
                );
            }
            let (Some(a), Some(b)) = (a, b) else {
                continue;
            };
            if a == b {
                c.fail(&path, format!("`{}` is wired to itself", shown(&e.from)));
                continue;
            }
            let (ka, kb) = (nodes[a].spec.kind(), nodes[b].spec.kind());
            let mut refused: Vec<Flow> = Vec::new();
            for (k, &flow) in e.flows.iter().enumerate() {
                if e.flows[..k].contains(&flow) || wires.contains(&(a, b, flow)) {
                    c.fail(
                        &format!("{path}.flows"),
                        format!(
                            "`{}` → `{}` carries {} twice",
                            shown(&e.from),
                            shown(&e.to),
                            flow.plural()
                        ),
                    );
                    continue;
                }
                if !targets(ka, flow).contains(&kb) {
                    refused.push(flow);
                    continue;
                }
                wires.push((a, b, flow));
            }
            if !refused.is_empty() {
                c.fail(
                    &format!("{path}.flows"),
                    format!(
                        "{} `{}` cannot send {} to `{}` ({}): {}",
                        capital(ka.noun()),
                        shown(&e.from),
                        and_list(&refused),
                        shown(&e.to),
                        kb.phrase(),
                        role(ka)
                    ),
                );
            }
        }
        Graph { t, n, wires }
    }

    fn kind(&self, i: usize) -> NodeKind {
        self.t.nodes[i].spec.kind()
    }

    fn name(&self, i: usize) -> String {
        format!("`{}`", shown(&self.t.nodes[i].name))
    }

    fn names(&self, list: &[usize]) -> String {
        list.iter()
            .map(|&i| self.name(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn path(&self, i: usize) -> String {
        format!("topology.nodes[{i}]")
    }

    fn of_kind(&self, kind: NodeKind) -> Vec<usize> {
        (0..self.n).filter(|&i| self.kind(i) == kind).collect()
    }

    fn next(&self, from: usize, flow: Flow) -> Vec<usize> {
        self.wires
            .iter()
            .filter(|w| w.0 == from && w.2 == flow)
            .map(|w| w.1)
            .collect()
    }

    /// Every node `from` sends any flow to, each once, in wire order.
    fn next_all(&self, from: usize) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for w in self.wires.iter().filter(|w| w.0 == from) {
            if !out.contains(&w.1) {
                out.push(w.1);
            }
        }
        out
    }

    fn incoming(&self, to: usize, flow: Flow) -> Vec<usize> {
        self.wires
            .iter()
            .filter(|w| w.1 == to && w.2 == flow)
            .map(|w| w.0)
            .collect()
    }

    /// How many of each kind: one users node, one DNS or geoDNS, one web pool, at most one of
    /// each other kind but caches (data centers: 1 to 4, under geoDNS only).
    fn counts(&self, c: &mut Problems) {
        let users = self.of_kind(NodeKind::Users);
        if users.is_empty() {
            c.fail("topology.nodes", "there are no users: add a users node");
        }
        let dns: Vec<usize> = (0..self.n)
            .filter(|&i| matches!(self.kind(i), NodeKind::Dns | NodeKind::GeoDns))
            .collect();
        if dns.is_empty() {
            c.fail(
                "topology.nodes",
                "users find the system through DNS: add a DNS node (or geoDNS for several data centers)",
            );
        }
        if dns.len() > 1 {
            c.fail(
                &self.path(dns[1]),
                format!("at most one DNS: {} are DNS servers", self.names(&dns)),
            );
        }
        let webs = self.of_kind(NodeKind::WebPool);
        if webs.is_empty() {
            c.fail(
                "topology.nodes",
                "nothing serves the users' requests: add a web pool",
            );
        }
        for kind in NodeKind::ALL {
            let list = self.of_kind(kind);
            match kind {
                NodeKind::Dns | NodeKind::GeoDns => {}
                NodeKind::DataCenter => {
                    let geo = !self.of_kind(NodeKind::GeoDns).is_empty();
                    if !geo && !list.is_empty() {
                        c.fail(
                            &self.path(list[0]),
                            format!(
                                "data centers {} need a geoDNS in front to send users to them",
                                self.names(&list)
                            ),
                        );
                    }
                    if geo && (list.is_empty() || list.len() > MAX_DATA_CENTERS) {
                        c.fail(
                            "topology.nodes",
                            format!(
                                "geoDNS needs 1 to {MAX_DATA_CENTERS} data centers; there are {}",
                                list.len()
                            ),
                        );
                    }
                }
                // Several caches run side by side, each fronting its own reads (the other
                // rules keep each read to one cache and every cache before one data store).
                NodeKind::Cache => {}
                // Several web pools run behind one balancer, each serving its own kinds, each
                // with at most one autoscaler (checked with the control wires).
                NodeKind::WebPool | NodeKind::Autoscaler => {}
                // Several databases too, each storing its own data requests (`web_data` keeps
                // each request to one; beside a shard router, the router splits one of them).
                NodeKind::Database => {}
                // Registered kinds: as many as stand in front of something (`check_plugs`).
                NodeKind::Plug(_) => {}
                // Several NoSQL stores too, each taking its share of its own kinds (a web pool
                // sends each kind to at most one of them).
                NodeKind::NoSql => {}
                // Several shard routers too, each splitting its own database's data
                // (`router_one_database`, `one_router_per_database`, `web_data`).
                NodeKind::ShardRouter => {}
                _ if list.len() > 1 => {
                    let (what, way_out) = if kind == NodeKind::Users {
                        ("one users node (regions go in geoDNS)".to_string(), "")
                    } else {
                        (
                            format!(
                                "one {} per data center",
                                kind.phrase()
                                    .trim_start_matches("a ")
                                    .trim_start_matches("an ")
                            ),
                            "; send every flow through one of them",
                        )
                    };
                    c.fail(
                        &self.path(list[1]),
                        format!(
                            "the engine runs {what}, not two of a kind yet: {} are all {}{way_out}",
                            self.names(&list),
                            kind.name()
                        ),
                    );
                }
                _ => {}
            }
        }
    }

    /// Every request kind the users send reaches something that serves it; every node is on
    /// some path; queues, session stores, autoscalers and deploys are wired to what they serve.
    fn paths(&self, c: &mut Problems) {
        let mut reached = vec![false; self.n];
        // Per node, the request kinds that reach it and stop without being served.
        let mut stuck: Vec<Vec<Flow>> = vec![Vec::new(); self.n];
        for &u in &self.of_kind(NodeKind::Users) {
            reached[u] = true;
            for flow in Flow::REQUESTS {
                let mut at = vec![u];
                let mut seen = vec![false; self.n];
                while let Some(i) = at.pop() {
                    if std::mem::replace(&mut seen[i], true) {
                        continue;
                    }
                    reached[i] = true;
                    let next = self.next(i, flow);
                    self.one_next_stop(c, i, flow, &next);
                    let serves = match self.kind(i) {
                        NodeKind::WebPool => true,
                        NodeKind::Database | NodeKind::NoSql => Flow::DATA.contains(&flow),
                        _ => false,
                    };
                    if next.is_empty() && !serves {
                        stuck[i].push(flow);
                    }
                    at.extend(next);
                }
            }
        }
        for (i, flows) in stuck.iter().enumerate() {
            if flows.is_empty() {
                continue;
            }
            let message = if self.kind(i) == NodeKind::Users {
                format!(
                    "the users' {} go nowhere: wire {} to DNS for them",
                    and_list(flows),
                    self.name(i)
                )
            } else {
                format!(
                    "{} from the users reach {} but go no further: {}",
                    capital(&and_list(flows)),
                    self.name(i),
                    role(self.kind(i))
                )
            };
            c.fail(&self.path(i), message);
        }
        // Nodes a more specific problem below already names.
        let mut told = vec![false; self.n];
        for &w in &self.of_kind(NodeKind::WebPool) {
            if !reached[w] {
                continue;
            }
            for flow in [Flow::Job, Flow::Session] {
                let next = self.next(w, flow);
                self.one_next_stop(c, w, flow, &next);
                for s in next {
                    reached[s] = true;
                }
            }
        }
        for &q in &self.of_kind(NodeKind::Queue) {
            let next = self.next(q, Flow::Job);
            self.one_next_stop(c, q, Flow::Job, &next);
            if self.incoming(q, Flow::Job).is_empty() {
                told[q] = true;
                c.fail(
                    &self.path(q),
                    format!(
                        "queue {} is fed by no web pool: wire a web pool to it for jobs",
                        self.name(q)
                    ),
                );
            }
            if next.is_empty() {
                c.fail(
                    &self.path(q),
                    format!(
                        "queue {} is drained by no workers: wire it to workers for jobs",
                        self.name(q)
                    ),
                );
            } else if reached[q] {
                for w in next {
                    reached[w] = true;
                }
            }
        }
        for &w in &self.of_kind(NodeKind::Workers) {
            if self.incoming(w, Flow::Job).is_empty() {
                told[w] = true;
                c.fail(
                    &self.path(w),
                    format!(
                        "workers {} drain no queue: wire a queue to them for jobs",
                        self.name(w)
                    ),
                );
            }
            let next = self.next(w, Flow::Job);
            self.one_next_stop(c, w, Flow::Job, &next);
            self.workers_write_to_the_first_database(c, w, &next);
        }
        for kind in [NodeKind::Autoscaler, NodeKind::Deploy] {
            for &a in &self.of_kind(kind) {
                let next = self.next(a, Flow::Control);
                match next.as_slice() {
                    [web] => {
                        reached[a] = true;
                        let twice = kind == NodeKind::Autoscaler
                            && self
                                .of_kind(kind)
                                .iter()
                                .take_while(|&&o| o != a)
                                .any(|&o| self.next(o, Flow::Control).as_slice() == [*web]);
                        if twice {
                            c.fail(
                                &self.path(a),
                                format!(
                                    "{} has two autoscalers: remove {}",
                                    self.name(*web),
                                    self.name(a)
                                ),
                            );
                        }
                        if kind == NodeKind::Autoscaler
                            && Flow::REQUESTS.iter().all(|&flow| {
                                self.incoming(*web, flow)
                                    .iter()
                                    .all(|&f| self.kind(f) != NodeKind::LoadBalancer)
                            })
                        {
                            c.fail(
                                &self.path(a),
                                format!(
                                    "autoscaler {} adds servers to {}, which has no load balancer in front to send them traffic",
                                    self.name(a),
                                    self.name(*web)
                                ),
                            );
                        }
                    }
                    [] => {
                        told[a] = true;
                        c.fail(
                            &self.path(a),
                            format!(
                                "{} {} controls nothing: wire it to a web pool (control)",
                                kind.phrase()
                                    .trim_start_matches("a ")
                                    .trim_start_matches("an "),
                                self.name(a)
                            ),
                        );
                    }
                    _ => c.fail(
                        &self.path(a),
                        format!(
                            "{} controls several web pools ({}): one only",
                            self.name(a),
                            self.names(&next)
                        ),
                    ),
                }
            }
        }
        for &st in &self.of_kind(NodeKind::SessionStore) {
            if self.incoming(st, Flow::Session).is_empty() {
                told[st] = true;
                c.fail(
                    &self.path(st),
                    format!(
                        "session store {} is read by no web pool: wire a web pool to it for session lookups",
                        self.name(st)
                    ),
                );
            }
        }
        for i in 0..self.n {
            // A registered kind's wires were taken off the graph (`without_plugs`): checked
            // by `check_plugs`.
            let plug = matches!(self.kind(i), NodeKind::Plug(_));
            if !reached[i] && !told[i] && self.kind(i) != NodeKind::Monitor && !plug {
                c.fail(
                    &self.path(i),
                    format!(
                        "{} ({}) is on no request's path: wire it in or remove it",
                        self.name(i),
                        self.kind(i).phrase()
                    ),
                );
            }
        }
    }

    /// At most one next stop per flow (a web pool: one main data store plus one NoSQL store).
    fn one_next_stop(&self, c: &mut Problems, i: usize, flow: Flow, next: &[usize]) {
        let from = self.kind(i);
        for slot in [0u8, 1] {
            let same: Vec<usize> = next
                .iter()
                .copied()
                .filter(|&t| successor_slot(from, self.kind(t)) == Some(slot))
                .collect();
            if same.len() > 1 {
                c.fail(
                    &self.path(i),
                    format!(
                        "{} sends {} to {}: {} has one next stop for them",
                        self.name(i),
                        flow.plural(),
                        self.names(&same),
                        from.phrase()
                    ),
                );
            }
        }
    }

    /// Rules that keep a graph to what the engine runs: one front door for every request,
    /// the data requests treated alike, one place for sessions, the same stack in every data
    /// center.
    fn consistency(&self, c: &mut Problems) {
        let first = |i: usize, flow: Flow| self.next(i, flow).first().copied();
        // The front door: where DNS (or each data center) sends page views.
        let mut entries: Vec<usize> = self.of_kind(NodeKind::Dns);
        entries.extend(self.of_kind(NodeKind::DataCenter));
        let mut static_ways: Vec<(usize, Option<usize>)> = Vec::new();
        for &e in &entries {
            let doors: Vec<Option<usize>> = Flow::DATA.iter().map(|&f| first(e, f)).collect();
            let front = doors[0];
            if doors.iter().any(|d| *d != front) {
                c.fail(
                    &self.path(e),
                    format!(
                        "{} sends page views, API reads and writes to different places: the engine takes every request through one front door",
                        self.name(e)
                    ),
                );
            }
            let via = first(e, SA);
            static_ways.push((e, via));
            if let (Some(via), Some(front)) = (via, front) {
                if self.kind(via) == NodeKind::CdnEdge {
                    if let Some(origin) = first(via, SA) {
                        if origin != front {
                            c.fail(
                                &self.path(via),
                                format!(
                                    "CDN edge {} fetches from {} but the other requests enter at {}: its origin must be the front door",
                                    self.name(via),
                                    self.name(origin),
                                    self.name(front)
                                ),
                            );
                        }
                    }
                } else if via != front {
                    c.fail(
                        &self.path(e),
                        format!(
                            "{} sends static assets to {} and the other requests to {}: without a CDN they take the same front door",
                            self.name(e),
                            self.name(via),
                            self.name(front)
                        ),
                    );
                }
            }
        }
        let dcs: Vec<(usize, Option<NodeKind>)> = static_ways
            .iter()
            .filter(|(e, _)| self.kind(*e) == NodeKind::DataCenter)
            .map(|&(e, via)| (e, via.map(|v| self.kind(v))))
            .collect();
        if let Some(pair) = dcs.windows(2).find(|p| p[0].1 != p[1].1) {
            c.fail(
                &self.path(pair[1].0),
                format!(
                    "data centers {} and {} send static assets different ways: every data center runs a copy of the one stack drawn (a data center changes its copy with its `set` parameter, e.g. `cdn: null`)",
                    self.name(pair[0].0),
                    self.name(pair[1].0)
                ),
            );
        }
        for &w in &self.of_kind(NodeKind::WebPool) {
            self.web_data(c, w);
            self.balanced(c, w);
        }
        self.router_one_database(c);
        self.one_router_per_database(c);
        self.split_shares(c);
        let sticky = self.of_kind(NodeKind::LoadBalancer).into_iter().find(|&i| {
            matches!(&self.t.nodes[i].spec, NodeSpec::LoadBalancer(p) if p.sticky_sessions.is_some())
        });
        if let (Some(lb), Some(&store)) = (sticky, self.of_kind(NodeKind::SessionStore).first()) {
            c.fail(
                &self.path(store),
                format!(
                    "sessions live in one place: {} pins them to servers (sticky sessions) and {} stores them; choose one",
                    self.name(lb),
                    self.name(store)
                ),
            );
        }
    }

    /// What needs a load balancer in front of the web pool: more than one server, and a
    /// deploy that drains servers (it takes them out of the balancer).
    fn balanced(&self, c: &mut Problems, w: usize) {
        let fronted = Flow::REQUESTS.iter().any(|&flow| {
            self.incoming(w, flow)
                .iter()
                .any(|&f| self.kind(f) == NodeKind::LoadBalancer)
        });
        if fronted {
            return;
        }
        if let NodeSpec::WebPool(server) = &self.t.nodes[w].spec {
            if server.count > 1 {
                c.fail(
                    &self.path(w),
                    format!(
                        "web pool {} has {} servers: more than one needs a load balancer in front (users reach one address)",
                        self.name(w),
                        server.count
                    ),
                );
            }
        }
        for d in self.incoming(w, Flow::Control) {
            if matches!(&self.t.nodes[d].spec, NodeSpec::Deploy(x) if x.drain) {
                c.fail(
                    &self.path(d),
                    format!(
                        "deploy {} drains servers out of a load balancer, but {} has none in front: add one or set drain to false",
                        self.name(d),
                        self.name(w)
                    ),
                );
            }
        }
    }

    /// With `split` routing every data center has its share; with `nearest`, none has.
    fn split_shares(&self, c: &mut Problems) {
        let Some(NodeSpec::GeoDns(g)) = self
            .of_kind(NodeKind::GeoDns)
            .first()
            .map(|&i| &self.t.nodes[i].spec)
        else {
            return;
        };
        for i in self.of_kind(NodeKind::DataCenter) {
            let NodeSpec::DataCenter(d) = &self.t.nodes[i].spec else {
                continue;
            };
            match (g.routing, d.split_share) {
                (super::GeoRouting::Split, None) => c.fail(
                    &format!("{}.params.split_share", self.path(i)),
                    format!(
                        "geoDNS splits traffic by share: give data center {} its share",
                        self.name(i)
                    ),
                ),
                (super::GeoRouting::Nearest, Some(_)) => c.fail(
                    &format!("{}.params.split_share", self.path(i)),
                    format!(
                        "data center {}: a share is only used with `split` routing; leave it out for `nearest`",
                        self.name(i)
                    ),
                ),
                _ => {}
            }
        }
    }

    /// A web pool's data requests: all three go on to the data tier or none does, and all
    /// reach one data store (each read through the cache or straight to the store); a NoSQL
    /// store takes a share of any of them and sits beside a database.
    fn web_data(&self, c: &mut Problems, w: usize) {
        let main = |f: Flow| {
            self.next(w, f)
                .into_iter()
                .find(|&t| self.kind(t) != NodeKind::NoSql)
        };
        let nosql = |f: Flow| {
            self.next(w, f)
                .into_iter()
                .find(|&t| self.kind(t) == NodeKind::NoSql)
        };
        let store_of = |f: Flow| {
            main(f).map(|t| {
                if self.kind(t) == NodeKind::Cache {
                    first_of(&self.next(t, f))
                } else {
                    Some(t)
                }
            })
        };
        // With several web pools, the data requests that reach this one (each kind goes to
        // one pool); and the data tier is the same for all: if one pool sends its data
        // requests on, every pool does.
        let pools = self.of_kind(NodeKind::WebPool);
        let several = pools.len() > 1;
        let received = |f: Flow| !several || !self.incoming(w, f).is_empty();
        let stores: Vec<(Flow, Option<Option<usize>>)> = (Flow::DATA.iter())
            .filter(|&&f| received(f))
            .map(|&f| (f, store_of(f)))
            .collect();
        let on = stores.iter().filter(|(_, s)| s.is_some()).count();
        let others_on = several
            && pools.iter().any(|&p| {
                p != w
                    && Flow::DATA
                        .iter()
                        .any(|&f| !self.incoming(p, f).is_empty() && !self.next(p, f).is_empty())
            });
        if on == 0 && !stores.is_empty() && others_on {
            c.fail(
                &self.path(w),
                format!(
                    "{} serves its data requests itself while another web pool sends them on to the data tier: wire it to the data tier too",
                    self.name(w)
                ),
            );
        } else if on != 0 && on != stores.len() {
            c.fail(
                &self.path(w),
                format!(
                    "{} sends some data requests on to the data tier and serves others itself: the engine sends page views, API reads and writes alike to it",
                    self.name(w)
                ),
            );
        } else {
            let reached: Vec<(Flow, usize)> = stores
                .iter()
                .filter_map(|&(f, s)| s.flatten().map(|s| (f, s)))
                .collect();
            let databases = reached
                .iter()
                .all(|&(_, s)| self.kind(s) == NodeKind::Database);
            let router = reached
                .iter()
                .find(|&&(_, s)| self.kind(s) == NodeKind::ShardRouter);
            let routers: Vec<usize> = (reached.iter())
                .filter(|&&(_, s)| self.kind(s) == NodeKind::ShardRouter)
                .map(|&(_, s)| s)
                .collect();
            let behind_router = |s: usize| routers.iter().any(|&r| self.next_all(r).contains(&s));
            let split = reached.iter().find(|(_, s)| *s != reached[0].1);
            // Beside a shard router, further databases store their own kinds (each router
            // splits the data of the database behind it): every other store is a shard
            // router or a database, and no database is a router's own.
            let beside_router = router.is_some()
                && reached.iter().all(|&(_, s)| {
                    routers.contains(&s)
                        || (self.kind(s) == NodeKind::Database && !behind_router(s))
                });
            if let (Some(&(_, r)), Some(_), false) = (router, split, beside_router) {
                let other = (reached.iter())
                    .find(|&&(_, s)| !routers.contains(&s))
                    .map_or(r, |x| x.1);
                // The router that shards it, if one does.
                let r = (routers.iter())
                    .find(|&&x| self.next_all(x).contains(&other))
                    .map_or(r, |&x| x);
                c.fail(
                    &self.path(w),
                    format!(
                        "{} sends data requests to shard router {} and straight to {}, which the router shards: send every request for {} through {}",
                        self.name(w),
                        self.name(r),
                        self.name(other),
                        self.name(other),
                        self.name(r)
                    ),
                );
            } else if databases || (split.is_some() && beside_router) {
                self.cache_one_database(c, w);
            } else if let Some(&(other, s)) = split {
                let (first, r) = reached[0];
                c.fail(
                    &self.path(w),
                    format!(
                        "{} sends {} to {} but {} to {}: every data request reaches one data store (through the cache or not)",
                        self.name(w),
                        first.plural(),
                        self.name(r),
                        other.plural(),
                        self.name(s)
                    ),
                );
            }
        }
        if let Some(n) = Flow::DATA.iter().find_map(|&f| nosql(f)) {
            if on == 0 {
                c.fail(
                    &self.path(n),
                    format!(
                        "NoSQL store {} takes traffic off a database: wire {} to a database (or shard router) too",
                        self.name(n),
                        self.name(w)
                    ),
                );
            }
        }
    }

    /// Each database stands behind at most one shard router: a router splits its own
    /// database's data (two routers in front of one database would split it two ways).
    fn one_router_per_database(&self, c: &mut Problems) {
        for db in self.of_kind(NodeKind::Database) {
            let routers: Vec<usize> = (self.of_kind(NodeKind::ShardRouter).into_iter())
                .filter(|&r| self.next_all(r).contains(&db))
                .collect();
            if let [a, b, ..] = routers[..] {
                c.fail(
                    &self.path(db),
                    format!(
                        "database {} stands behind shard routers {} and {}: each shard router splits the data of a database of its own (each shard a cluster as that database describes); draw a database behind each router, or send every request for {} through one router",
                        self.name(db),
                        self.name(a),
                        self.name(b),
                        self.name(db)
                    ),
                );
            }
        }
    }

    /// A shard router splits the data of one database (further databases stand beside it,
    /// each storing its own kinds unsharded or behind a router of its own).
    fn router_one_database(&self, c: &mut Problems) {
        for r in self.of_kind(NodeKind::ShardRouter) {
            if let [a, b, ..] = self.next_all(r)[..] {
                c.fail(
                    &self.path(r),
                    format!(
                        "shard router {} sends to {} and to {}: a shard router splits one database's data over its shards (each shard a cluster as that database describes), so it cannot join two; for more room raise the router's shard count, and wire the other database straight from the web pool (or its cache) to keep its own data",
                        self.name(r),
                        self.name(a),
                        self.name(b)
                    ),
                );
            }
        }
    }

    /// With several databases: a cache fronts one of them (every read it fronts is stored in
    /// the same database).
    fn cache_one_database(&self, c: &mut Problems, w: usize) {
        for cache in self.of_kind(NodeKind::Cache) {
            let stores: Vec<(Flow, usize)> = [Flow::PageView, Flow::ApiRead]
                .into_iter()
                .filter(|&f| self.next(w, f).contains(&cache))
                .filter_map(|f| first_of(&self.next(cache, f)).map(|s| (f, s)))
                .collect();
            if let [(a, x), (b, y)] = stores[..] {
                if x != y {
                    c.fail(
                        &self.path(cache),
                        format!(
                            "cache {} sends {} to {} and {} to {}: a cache fronts one database; send one of them through another cache or straight to its database",
                            self.name(cache),
                            a.plural(),
                            self.name(x),
                            b.plural(),
                            self.name(y)
                        ),
                    );
                }
            }
        }
    }

    /// Workers write their jobs' results to the first database (the one the stage-based form
    /// calls `database`), straight or through the shard router that splits it: the engine
    /// sends a job's write there and nowhere else.
    fn workers_write_to_the_first_database(&self, c: &mut Problems, w: usize, next: &[usize]) {
        let Some(&to) = next.first() else {
            return;
        };
        let first_db = super::convert::first_database(self.t);
        let first_router = super::convert::first_router(self.t)
            .filter(|&r| first_db.is_some_and(|db| self.next_all(r).contains(&db)));
        let ok = match self.kind(to) {
            NodeKind::ShardRouter => Some(to) == first_router,
            _ => Some(to) == first_db && first_router.is_none(),
        };
        if ok {
            return;
        }
        let place = match (first_router, first_db) {
            (Some(r), _) => format!("the shard router {} in front of it", self.name(r)),
            (None, Some(db)) => format!("the database {}", self.name(db)),
            (None, None) => "a database".to_string(),
        };
        let first = first_db.map_or_else(|| "none".to_string(), |db| self.name(db));
        c.fail(
            &self.path(w),
            format!(
                "workers {} write their jobs to {}: the engine writes every job to the first database ({first}), so wire the workers to {place}",
                self.name(w),
                self.name(to),
            ),
        );
    }

    /// Reports a cycle, naming its nodes (the per-kind rules already rule them out).
    fn cycles(&self, c: &mut Problems) {
        // 0: unseen, 1: on the stack, 2: done.
        let mut state = vec![0u8; self.n];
        let mut stack: Vec<usize> = Vec::new();
        for start in 0..self.n {
            if state[start] == 0 && self.visit(start, &mut state, &mut stack, c) {
                return;
            }
        }
    }

    fn visit(&self, i: usize, state: &mut [u8], stack: &mut Vec<usize>, c: &mut Problems) -> bool {
        state[i] = 1;
        stack.push(i);
        let mut next: Vec<usize> = self
            .wires
            .iter()
            .filter(|w| w.0 == i)
            .map(|w| w.1)
            .collect();
        next.dedup();
        for t in next {
            if state[t] == 1 {
                let from = stack.iter().position(|&s| s == t).unwrap_or(0);
                let mut ring: Vec<usize> = stack[from..].to_vec();
                ring.push(t);
                c.fail(
                    &self.path(t),
                    format!(
                        "requests would go round in a cycle: {}",
                        ring.iter()
                            .map(|&r| self.name(r))
                            .collect::<Vec<_>>()
                            .join(" → ")
                    ),
                );
                return true;
            }
            if state[t] == 0 && self.visit(t, state, stack, c) {
                return true;
            }
        }
        stack.pop();
        state[i] = 2;
        false
    }
}

fn first_of(list: &[usize]) -> Option<usize> {
    list.first().copied()
}

/// The edge list of a graph with `flows` merged into one edge per pair (used by the compiler).
pub(super) fn wire(edges: &mut Vec<Edge>, from: &str, to: &str, flows: &[Flow]) {
    if let Some(e) = edges.iter_mut().find(|e| e.from == from && e.to == to) {
        for f in flows {
            if !e.flows.contains(f) {
                e.flows.push(*f);
            }
        }
        return;
    }
    edges.push(Edge {
        from: from.to_string(),
        to: to.to_string(),
        flows: flows.to_vec(),
    });
}

impl Topology {
    /// The node of each registered kind, with the node it stands in front of (its one
    /// successor; `None` if it sends nothing on), in node order.
    pub fn plug_nodes(&self) -> Vec<(usize, Option<usize>)> {
        (0..self.nodes.len())
            .filter(|&i| matches!(self.nodes[i].spec.kind(), NodeKind::Plug(_)))
            .map(|i| {
                let name = &self.nodes[i].name;
                let fronts = (self.edges.iter())
                    .find(|e| &e.from == name)
                    .and_then(|e| self.nodes.iter().position(|n| n.name == e.to));
                (i, fronts)
            })
            .collect()
    }

    /// The graph with every registered kind's node taken off the wires: a wire into it goes
    /// straight to the node it fronts instead (merged with a wire already there), its own
    /// wires out are dropped, and the node stays (unwired), so indices keep their meaning.
    /// The built-in rules and the lowering read this graph; [`Topology::check`] checks the
    /// registered kinds' own wires on the whole one.
    pub fn without_plugs(&self) -> Topology {
        let plugs = self.plug_nodes();
        if plugs.is_empty() {
            return self.clone();
        }
        let fronts = |name: &str| {
            plugs
                .iter()
                .find(|(i, _)| self.nodes[*i].name == name)
                .map(|(_, f)| f.map(|f| self.nodes[f].name.clone()))
        };
        let mut edges: Vec<Edge> = Vec::new();
        for e in &self.edges {
            if fronts(&e.from).is_some() {
                continue;
            }
            let to = match fronts(&e.to) {
                Some(Some(to)) => to,
                Some(None) => continue,
                None => e.to.clone(),
            };
            match edges.iter_mut().find(|x| x.from == e.from && x.to == to) {
                Some(x) => {
                    for f in &e.flows {
                        if !x.flows.contains(f) {
                            x.flows.push(*f);
                        }
                    }
                }
                None => edges.push(Edge {
                    from: e.from.clone(),
                    to,
                    flows: e.flows.clone(),
                }),
            }
        }
        Topology {
            edges,
            ..self.clone()
        }
    }

    /// The registered kinds' own wiring rules, one problem per broken rule: each is fed
    /// requests only by the kinds it names, stands in front of exactly one node of a kind it
    /// names, and passes on every request it is sent and nothing else. Beside geoDNS (stage
    /// 11) each data center runs its own instance of it.
    fn check_plugs(&self, c: &mut Problems) {
        for (i, _) in self.plug_nodes() {
            let node = &self.nodes[i];
            let NodeKind::Plug(kind) = node.spec.kind() else {
                continue;
            };
            let path = format!("topology.nodes[{i}]");
            let name = shown(&node.name);
            let what = kind.phrase();
            for problem in plug_params(&node.spec) {
                c.fail(
                    &format!("{path}.params"),
                    format!("{what} `{name}`: {problem}"),
                );
            }
            let kind_of = |n: &str| self.node(n).map(|x| x.spec.kind());
            let outs: Vec<&Edge> = self.edges.iter().filter(|e| e.from == node.name).collect();
            let ins: Vec<&Edge> = self.edges.iter().filter(|e| e.to == node.name).collect();
            let mut targets_named: Vec<&str> = outs.iter().map(|e| e.to.as_str()).collect();
            targets_named.dedup();
            match targets_named.as_slice() {
                [] => c.fail(
                    &path,
                    format!("{what} `{name}` stands in front of nothing: {}", kind.role()),
                ),
                [to] if !kind_of(to).is_some_and(|k| kind.fronts().contains(&k)) => c.fail(
                    &path,
                    format!("{what} `{name}` cannot stand in front of `{}`: {}", shown(to), kind.role()),
                ),
                [_] => {}
                many => c.fail(
                    &path,
                    format!(
                        "{what} `{name}` sends requests on to {} nodes ({}): it stands in front of one",
                        many.len(),
                        many.iter().map(|m| format!("`{}`", shown(m))).collect::<Vec<_>>().join(", ")
                    ),
                ),
            }
            if ins.is_empty() {
                c.fail(
                    &path,
                    format!("{what} `{name}` is fed by nothing: {}", kind.role()),
                );
            }
            for e in &ins {
                if !kind_of(&e.from).is_some_and(|k| kind.fed_by().contains(&k)) {
                    c.fail(
                        &path,
                        format!(
                            "`{}` cannot send requests to {what} `{name}`: {}",
                            shown(&e.from),
                            kind.role()
                        ),
                    );
                }
            }
            let taken: Vec<Flow> = Flow::ALL
                .into_iter()
                .filter(|f| ins.iter().any(|e| e.flows.contains(f)))
                .collect();
            let passed: Vec<Flow> = Flow::ALL
                .into_iter()
                .filter(|f| outs.iter().any(|e| e.flows.contains(f)))
                .collect();
            let odd: Vec<Flow> = taken
                .iter()
                .chain(&passed)
                .copied()
                .filter(|f| !Flow::REQUESTS.contains(f))
                .collect();
            if !odd.is_empty() {
                c.fail(
                    &path,
                    format!(
                        "{what} `{name}` carries requests only, not {}",
                        and_list(&odd)
                    ),
                );
            }
            if taken != passed && !outs.is_empty() && !ins.is_empty() {
                c.fail(
                    &path,
                    format!(
                        "{what} `{name}` takes {} but passes on {}: it passes on exactly what it takes",
                        and_list(&taken),
                        and_list(&passed)
                    ),
                );
            }
        }
    }
}

/// Problems with a registered kind's parameters.
fn plug_params(spec: &NodeSpec) -> Vec<String> {
    match spec {
        NodeSpec::Plug(p) => p.problems(),
        _ => Vec::new(),
    }
}
