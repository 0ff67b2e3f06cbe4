//! The route table: where each kind of request goes next, read once from the scenario's graph
//! ([`Scenario::topology`]) when the stack is built. The request path looks its next stop up
//! here instead of asking which optional tiers exist.
//!
//! ```text
//!   kind ─▶ Route { via_edge, front, session, data, nosql_share }
//!            DNS ─▶ CDN edge? ─▶ front door ─▶ web ─▶ session store? ─▶ cache | store | web answers
//!                                                                   └─▶ NoSQL (a share, drawn once)
//! ```

use crate::scenario::topology::{Flow, NodeKind, NodeSpec, Topology};
use crate::scenario::Scenario;
use crate::sim::RequestKind;

/// The way into the system after DNS (or after the CDN edge's miss).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Door {
    /// The component standing at the front door (the graph's load balancer node): a
    /// built-in kind that sends each request on to a server of the kind's pool as it decides
    /// (`BuiltIn::pass`).
    Component,
    /// The one web server, reached directly.
    Server,
}

/// Where a request goes once its web server (and the session store) has done its part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum DataStep {
    /// Nowhere: the web server answers (a write may publish its job first).
    AtWeb,
    /// A cache cluster, by its number (0: the scenario's `cache`, then its `more_caches` in
    /// order; read-through: a miss goes on to the data store).
    Cache(u8),
    /// The data store: the database, or the shard router in front of the shards' databases.
    Store,
}

/// The way of one kind of request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(in crate::sim) struct Route {
    /// Goes to the CDN edge first (only static assets can).
    pub via_edge: bool,
    /// Where it enters the system.
    pub front: Door,
    /// The web pool that serves it (0: the scenario's `server`, then its `more_web_pools` in
    /// order).
    pub pool: u8,
    /// Reads the user's session from the shared store before the web server's data work.
    pub session: bool,
    /// The next stop after the web server.
    pub data: DataStep,
    /// The database that stores this kind (0: the scenario's `database`, or the shard router
    /// in front of its shards; `n`: its `n`-th further database), straight or behind the
    /// cache.
    pub store: u8,
    /// The share the NoSQL store takes of this kind (`None`: it takes none, and no number is
    /// drawn for it).
    pub nosql_share: Option<f64>,
    /// The registered component (a rate limiter) standing in front of the front door, by
    /// its number among the stack's plugged components (`None`: none).
    pub gate_front: Option<u8>,
    /// The registered component standing between the balancer and the web pool.
    pub gate_pool: Option<u8>,
    /// The NoSQL store that takes that share (0: the scenario's `nosql`, `n`: its `n`-th
    /// further store).
    pub nosql: u8,
}

/// Every kind's way, indexed by [`RequestKind`].
#[derive(Clone, Debug)]
pub(in crate::sim) struct RouteTable([Route; 4]);

impl RouteTable {
    /// The table of a scenario without `geo` (one data center's stack).
    pub fn of_scenario(scenario: &Scenario) -> RouteTable {
        RouteTable::of_graph(&scenario.topology())
    }

    /// Reads each kind's way from the graph's edges. The graph is valid (a scenario's compiled
    /// graph always is), so every kind finds its way; the engine's components are found by
    /// their kinds, of which a stack has one each but caches: the `n`-th cache node of the
    /// graph is cache cluster `n`, the `n`-th web pool node web pool `n`.
    pub fn of_graph(t: &Topology) -> RouteTable {
        // The built-in kinds' ways are read with the registered components taken off the
        // wires; where those stand is read from the whole graph.
        let bare = t.without_plugs();
        RouteTable(RequestKind::ALL.map(|kind| {
            let flow = flow_of(kind);
            let mut r = route(&bare, flow);
            let entry = if r.via_edge {
                NodeKind::CdnEdge
            } else {
                NodeKind::Dns
            };
            r.gate_front = gate(t, entry, flow);
            if r.front == Door::Component {
                r.gate_pool = gate(t, NodeKind::LoadBalancer, flow);
            }
            r
        }))
    }

    /// The way of `kind`.
    #[inline]
    pub fn of(&self, kind: RequestKind) -> &Route {
        &self.0[kind as usize]
    }
}

fn flow_of(kind: RequestKind) -> Flow {
    match kind {
        RequestKind::PageView => Flow::PageView,
        RequestKind::ApiRead => Flow::ApiRead,
        RequestKind::Write => Flow::Write,
        RequestKind::StaticAsset => Flow::StaticAsset,
    }
}

/// The next stops of `flow` from the node of kind `from`, as (kind, parameters).
fn next(t: &Topology, from: NodeKind, flow: Flow) -> Vec<&NodeSpec> {
    let spec = |name: &str| t.nodes.iter().find(|n| n.name == name).map(|n| &n.spec);
    t.edges
        .iter()
        .filter(|e| e.flows.contains(&flow) && spec(&e.from).map(NodeSpec::kind) == Some(from))
        .filter_map(|e| spec(&e.to))
        .collect()
}

fn route(t: &Topology, flow: Flow) -> Route {
    let after_dns = next(t, NodeKind::Dns, flow);
    let via_edge = after_dns.iter().any(|n| n.kind() == NodeKind::CdnEdge);
    let entry = if via_edge {
        NodeKind::CdnEdge
    } else {
        NodeKind::Dns
    };
    let door = next(t, entry, flow);
    let front = match door.first().map(|n| n.kind()) {
        Some(NodeKind::LoadBalancer) => Door::Component,
        _ => Door::Server,
    };
    let pools: Vec<&NodeSpec> = t
        .nodes
        .iter()
        .map(|n| &n.spec)
        .filter(|s| s.kind() == NodeKind::WebPool)
        .collect();
    let served_by = match front {
        Door::Component => next(t, NodeKind::LoadBalancer, flow),
        Door::Server => door,
    };
    let pool = served_by
        .first()
        .and_then(|n| pools.iter().position(|p| std::ptr::eq(*p, *n)))
        .unwrap_or(0) as u8;
    let session = !next(t, NodeKind::WebPool, Flow::Session).is_empty();
    let after_web = next(t, NodeKind::WebPool, flow);
    let caches: Vec<&NodeSpec> = t
        .nodes
        .iter()
        .map(|n| &n.spec)
        .filter(|s| s.kind() == NodeKind::Cache)
        .collect();
    let cluster = |n: &NodeSpec| caches.iter().position(|c| std::ptr::eq(*c, n)).unwrap_or(0);
    let data = after_web
        .iter()
        .find_map(|n| match n.kind() {
            NodeKind::Cache => Some(DataStep::Cache(cluster(n) as u8)),
            NodeKind::Database | NodeKind::ShardRouter => Some(DataStep::Store),
            _ => None,
        })
        .unwrap_or(DataStep::AtWeb);
    // The database the kind reaches (through its cache or not): the `n`-th database node of
    // the graph is store `n`; a shard router fronts the database it sends the kind to (the
    // first router store 0).
    let databases: Vec<&NodeSpec> = t
        .nodes
        .iter()
        .map(|n| &n.spec)
        .filter(|s| s.kind() == NodeKind::Database)
        .collect();
    let database = |n: &NodeSpec| databases.iter().position(|d| std::ptr::eq(*d, n));
    let store_of = |n: &NodeSpec| match n.kind() {
        NodeKind::Database => database(n),
        NodeKind::ShardRouter => Some(
            next_of(t, n, flow)
                .into_iter()
                .find_map(database)
                .unwrap_or(0),
        ),
        _ => None,
    };
    let store = after_web
        .iter()
        .find_map(|&n| match n.kind() {
            NodeKind::Cache => next_of(t, n, flow).into_iter().find_map(store_of),
            _ => store_of(n),
        })
        .unwrap_or(0) as u8;
    let nosql_share = after_web.iter().find_map(|n| match n {
        NodeSpec::NoSql(store) => Some(store.share),
        _ => None,
    });
    // The NoSQL store number: the node named `nosql` (or else the first) is store 0, the
    // others follow in node order, as the scenario lowers them.
    let mut stores: Vec<&crate::scenario::topology::Node> = (t.nodes.iter())
        .filter(|n| n.spec.kind() == NodeKind::NoSql)
        .collect();
    if let Some(i) = stores.iter().position(|n| n.name == "nosql") {
        let first = stores.remove(i);
        stores.insert(0, first);
    }
    let nosql = after_web
        .iter()
        .find_map(|&n| stores.iter().position(|s| std::ptr::eq(&s.spec, n)))
        .unwrap_or(0) as u8;
    Route {
        via_edge,
        front,
        pool,
        session,
        data,
        store,
        nosql_share,
        gate_front: None,
        gate_pool: None,
        nosql,
    }
}

/// The registered component a node of kind `from` sends `flow` to, by its number among the
/// graph's registered components (the stack builds them in the same order).
fn gate(t: &Topology, from: NodeKind, flow: Flow) -> Option<u8> {
    let plugs = t.plug_nodes();
    let kind_of = |name: &str| t.node(name).map(|n| n.spec.kind());
    let e = t.edges.iter().find(|e| {
        kind_of(&e.from) == Some(from)
            && e.flows.contains(&flow)
            && matches!(kind_of(&e.to), Some(NodeKind::Plug(_)))
    })?;
    let at = t.nodes.iter().position(|n| n.name == e.to)?;
    plugs.iter().position(|&(i, _)| i == at).map(|n| n as u8)
}

/// The next stops of `flow` from the node whose parameters are `from`.
fn next_of<'a>(t: &'a Topology, from: &NodeSpec, flow: Flow) -> Vec<&'a NodeSpec> {
    let name = t.nodes.iter().find(|n| std::ptr::eq(&n.spec, from));
    let Some(name) = name.map(|n| n.name.as_str()) else {
        return Vec::new();
    };
    t.edges
        .iter()
        .filter(|e| e.from == name && e.flows.contains(&flow))
        .filter_map(|e| t.nodes.iter().find(|n| n.name == e.to).map(|n| &n.spec))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{preset, Routes};

    #[test]
    fn presets_route_as_their_tiers_say() {
        let t = RouteTable::of_scenario(&preset(1).unwrap());
        for kind in RequestKind::ALL {
            let r = t.of(kind);
            assert_eq!(
                (r.via_edge, r.front, r.session, r.data, r.nosql_share),
                (false, Door::Server, false, DataStep::AtWeb, None)
            );
        }
        let t = RouteTable::of_scenario(&preset(6).unwrap());
        assert!(t.of(RequestKind::StaticAsset).via_edge);
        assert!(!t.of(RequestKind::PageView).via_edge);
        assert_eq!(t.of(RequestKind::StaticAsset).front, Door::Component);
        assert_eq!(t.of(RequestKind::PageView).data, DataStep::Cache(0));
        assert_eq!(t.of(RequestKind::ApiRead).data, DataStep::Cache(0));
        assert_eq!(t.of(RequestKind::Write).data, DataStep::Store);
        assert_eq!(t.of(RequestKind::StaticAsset).data, DataStep::AtWeb);
    }

    #[test]
    fn routes_send_kinds_their_own_ways() {
        let mut s = preset(10).unwrap();
        s.nosql = Some(crate::scenario::NoSqlStore {
            kind: crate::scenario::StoreKind::KeyValue,
            share: 0.25,
            nodes: 2,
            workers: 4,
            queue_capacity: 10,
            read: crate::scenario::Dist::exponential(1.0),
            write: crate::scenario::Dist::exponential(1.0),
        });
        s.routes = Some(Routes {
            cached: Some(vec![Flow::PageView]),
            nosql: Some(vec![Flow::ApiRead, Flow::PageView]),
        });
        let t = RouteTable::of_scenario(&s);
        assert_eq!(t.of(RequestKind::PageView).data, DataStep::Cache(0));
        assert_eq!(t.of(RequestKind::ApiRead).data, DataStep::Store);
        assert_eq!(t.of(RequestKind::ApiRead).nosql_share, Some(0.25));
        assert_eq!(t.of(RequestKind::Write).nosql_share, None);
        assert_eq!(t.of(RequestKind::Write).data, DataStep::Store);
    }
}
