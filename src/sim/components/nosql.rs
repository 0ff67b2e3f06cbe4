//! The NoSQL stores beside the relational database: a share of the data requests (activity
//! feeds, sessions, counters — single-key reads and writes) goes to one instead. Which kinds a
//! store takes a share of is the route table's business (src/sim/stack/route.rs).
//!
//! ```text
//!  web server ──key mod N──▶ nosql-k (a queue of workers, short service times) ──▶ answer
//!  web server ──other data requests──▶ cache / shards as before
//! ```
//!
//! A store has no joins and no replicas in this model: a read or write touches one key on one
//! node, and a dead node fails the requests for its keys (its station's own kill hook: nothing
//! else of it is lost). [`NoSql`] is one store: its nodes' stations (by number), its service
//! times, its counts and latencies, and its report figures. [`NoSqlTier`] is every store of a
//! stack (the scenario's `nosql`, then its `more_nosql`) as a built-in kind on the
//! registration: the stack places the nodes' stations it describes, asks it which node holds a
//! key and how long a request takes there, tells it what its nodes served and which requests
//! completed, and it writes its part of the report's `data_store` section.

use crate::scenario::topology::NodeKind;
use crate::scenario::{Flow, NoSqlStore, Scenario};
use crate::sim::components::registry::{Ask, BuiltIn, Component, Listed, NewStation, Served};
use crate::sim::components::station::{ReqRef, Station};
use crate::sim::kernel::histogram::Histogram;
use crate::sim::kernel::rng::Sampler;
use crate::sim::kernel::time::SimTime;
use crate::sim::report::{LatencyReport, NamedNoSqlReport, NoSqlReport, Sections};
use crate::sim::{ComponentKind, Outcome, RequestKind};

/// The station index of node `node` of NoSQL store `store` (0: the scenario's `nosql`, `n`:
/// its `n`-th further store), so the first store keeps its plain node numbers.
#[inline]
pub(in crate::sim) fn nosql_index(store: usize, node: usize) -> u16 {
    (store * crate::scenario::MAX_NOSQL_NODES as usize + node) as u16
}

/// (store, node) of a NoSQL station index made by [`nosql_index`].
#[inline]
pub(in crate::sim) fn nosql_of_index(index: u16) -> (usize, usize) {
    let per = crate::scenario::MAX_NOSQL_NODES as usize;
    (usize::from(index) / per, usize::from(index) % per)
}

/// A NoSQL store while the simulation runs.
#[derive(Clone)]
pub(in crate::sim) struct NoSql {
    /// Its name, which its nodes' names start with (`nosql`: `nosql-0`, `nosql-1`…).
    name: String,
    /// The data requests it takes its share of (for the report; empty for the first store,
    /// whose kinds the routes say).
    takes: Vec<Flow>,
    /// Nodes its keys spread over.
    nodes: u32,
    /// Requests one node works on at once, and may hold waiting.
    workers: u32,
    queue_capacity: u32,
    /// `key_value` or `document`, for the report.
    kind: &'static str,
    /// Share of the data requests routed to it that it serves.
    share: f64,
    /// Station of each node placed so far.
    stations: Vec<u16>,
    read: Sampler,
    write: Sampler,
    /// Reads and writes served, per node.
    reads: Vec<u64>,
    writes: Vec<u64>,
    /// Latency of completed data requests it served.
    latency: Histogram,
    /// Latency of completed data requests the relational tier served (for comparison).
    relational_latency: Histogram,
}

impl NoSql {
    /// The store `spec` describes, named `name`, taking `takes`; no node placed yet
    /// ([`NoSql::add`]).
    pub fn new(name: &str, takes: &[Flow], spec: &NoSqlStore) -> NoSql {
        NoSql {
            name: name.to_string(),
            takes: takes.to_vec(),
            nodes: spec.nodes,
            workers: spec.workers,
            queue_capacity: spec.queue_capacity,
            kind: spec.kind.name(),
            share: spec.share,
            reads: Vec::new(),
            writes: Vec::new(),
            stations: Vec::new(),
            read: Sampler::new(&spec.read),
            write: Sampler::new(&spec.write),
            latency: Histogram::new(),
            relational_latency: Histogram::new(),
        }
    }

    /// Its next node is served by station `station`.
    pub fn add(&mut self, station: u16) {
        self.stations.push(station);
        self.reads.push(0);
        self.writes.push(0);
    }

    /// The station of the node holding `key`.
    #[inline]
    pub fn station_for(&self, key: u32) -> u16 {
        self.stations[key as usize % self.stations.len()]
    }

    /// Service time of a request of `kind` at a node.
    #[inline]
    pub fn service(&self, kind: RequestKind) -> Sampler {
        if kind == RequestKind::Write {
            self.write
        } else {
            self.read
        }
    }

    /// Node `node` served a request of `kind`.
    pub fn served(&mut self, node: usize, kind: RequestKind) {
        if kind == RequestKind::Write {
            self.writes[node] += 1;
        } else {
            self.reads[node] += 1;
        }
    }

    /// A data request completed in `ns`, served here (`by_nosql`) or by the relational tier.
    #[inline]
    pub fn completed(&mut self, by_nosql: bool, ns: u64) {
        if by_nosql {
            self.latency.record(ns);
        } else {
            self.relational_latency.record(ns);
        }
    }

    /// Its report figures, its nodes' utilizations read from `stations` (the stack's table).
    pub fn report(&self, stations: &[Station]) -> NoSqlReport {
        let utilization = |s: u16| {
            let s = &stations[usize::from(s)];
            s.total.utilization(s.workers)
        };
        NoSqlReport {
            kind: self.kind.to_string(),
            share: self.share,
            reads: self.reads.iter().sum(),
            writes: self.writes.iter().sum(),
            served_per_node: self
                .reads
                .iter()
                .zip(&self.writes)
                .map(|(r, w)| r + w)
                .collect(),
            busiest_node_utilization: self
                .stations
                .iter()
                .map(|&s| utilization(s))
                .fold(0.0, f64::max),
            latency_ms: LatencyReport::of(&self.latency),
            relational_latency_ms: LatencyReport::of(&self.relational_latency),
        }
    }
}

/// Every NoSQL store of a stack — the scenario's `nosql` (store 0, nodes `nosql-N`), then its
/// `more_nosql` in order (nodes `<name>-N`) — as a built-in kind on the registration. It has
/// no component of its own: its nodes are stations the stack places in its one table as it
/// is built (one group per store, [`BuiltIn::initial_stations`], at [`Listed::AfterMembers`]), so their kill, repair,
/// slowdown, state and report rows are those every station has. A request the route table
/// sends to a store goes to [`BuiltIn::station_for`]; its service time comes from
/// [`BuiltIn::station_service`], and once served it is answered ([`BuiltIn::station_served`] returns [`Served::Answer`]).
#[derive(Clone)]
pub(in crate::sim) struct NoSqlTier {
    /// The stores, in store order.
    stores: Vec<NoSql>,
}

impl NoSqlTier {
    /// Store `store`'s node numbers of station index `index` (made by [`nosql_index`]).
    #[inline]
    fn node(&self, index: u16) -> (&NoSql, usize) {
        let (store, node) = nosql_of_index(index);
        (&self.stores[store], node)
    }
}

impl Component for NoSqlTier {}

impl BuiltIn for NoSqlTier {
    const NODE: NodeKind = NodeKind::NoSql;
    const LISTED: Listed = Listed::AfterMembers;

    /// A refused or injected-error request at a node, and what a dead node held, fail as
    /// the data tier's (`db_down`).
    fn refuses_as(&self) -> Outcome {
        Outcome::DbDown
    }

    fn of_scenario(scenario: &Scenario) -> Option<NoSqlTier> {
        // Validation refuses further stores without a first one.
        let first = scenario.nosql.as_ref()?;
        let more = (scenario.more_nosql.iter()).map(|m| NoSql::new(&m.name, &m.takes, &m.nosql));
        let stores = std::iter::once(NoSql::new("nosql", &[], first))
            .chain(more)
            .collect();
        Some(NoSqlTier { stores })
    }

    /// Each store's nodes.
    fn initial_stations(&self) -> Vec<u32> {
        self.stores.iter().map(|n| n.nodes).collect()
    }

    fn new_station(&self, group: u8) -> NewStation {
        let store = &self.stores[usize::from(group)];
        let node = store.stations.len();
        NewStation {
            name: format!("{}-{node}", store.name),
            kind: ComponentKind::NoSql,
            index: nosql_index(usize::from(group), node),
            station: Station::new(store.workers, store.queue_capacity),
        }
    }

    fn station_placed(&mut self, group: u8, station: u16, _initial: bool) -> Option<String> {
        self.stores[usize::from(group)].add(station);
        None
    }

    #[inline]
    fn station_for(&mut self, group: u8, ask: Ask, _stations: &[Station]) -> Option<u16> {
        Some(self.stores[usize::from(group)].station_for(ask.key))
    }

    #[inline]
    fn station_service(&self, index: u16, kind: RequestKind) -> Sampler {
        self.node(index).0.service(kind)
    }

    /// Counted on its node; the request is answered.
    #[inline]
    fn station_served(
        &mut self,
        index: u16,
        _req: ReqRef,
        ask: Ask,
        _now: SimTime,
        _latest: impl Fn(u8) -> u64,
        _leading: impl Fn(ReqRef) -> bool,
    ) -> Served {
        let (store, node) = nosql_of_index(index);
        self.stores[store].served(node, ask.kind);
        Served::Answer
    }

    /// Always: each store's report compares its own requests' latencies with the others'.
    fn watches_completions(&self) -> bool {
        true
    }

    /// Each store's own data requests, and the data requests the relational tier served
    /// (for comparison: every store records them).
    #[inline]
    fn request_completed(&mut self, kind: RequestKind, taken_by: Option<u8>, ns: u64) {
        if !kind.touches_data() {
            return;
        }
        match taken_by {
            Some(store) => self.stores[usize::from(store)].completed(true, ns),
            None => self.stores.iter_mut().for_each(|n| n.completed(false, ns)),
        }
    }

    /// The stores' figures in the data store's section (which the stack writes when there is
    /// a database): the first store's, then each further one's under its name.
    fn report_section(&self, stations: &[Station], sections: &mut Sections<'_>) {
        let Some(data) = sections.data_store.as_mut() else {
            return;
        };
        data.nosql = self.stores.first().map(|n| n.report(stations));
        data.more_nosql = (self.stores.iter().skip(1))
            .map(|n| NamedNoSqlReport {
                name: n.name.clone(),
                takes: n.takes.clone(),
                nosql: n.report(stations),
            })
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{preset, Dist, NamedNoSql, StoreKind};
    use crate::sim::components::registry::BuiltInPart;
    use crate::sim::components::station::Area;

    fn spec() -> NoSqlStore {
        NoSqlStore {
            kind: StoreKind::Document,
            share: 0.3,
            nodes: 3,
            workers: 4,
            queue_capacity: 10,
            read: Dist::exponential(1.0),
            write: Dist::exponential(2.0),
        }
    }

    /// Ten stations, station `s` busy `s / 10` of the time over a second.
    fn stations() -> Vec<Station> {
        (0..10u32)
            .map(|s| {
                let mut station = Station::new(1, 1);
                station.total = Area {
                    busy: u128::from(s) * 100_000_000,
                    queued: 0,
                    span_ns: 1_000_000_000,
                };
                station
            })
            .collect()
    }

    #[test]
    fn keys_spread_over_nodes_and_counts_reach_the_report() {
        let mut n = NoSql::new("nosql", &[], &spec());
        for s in [7, 8, 9] {
            n.add(s);
        }
        assert_eq!(
            (0..6).map(|k| n.station_for(k)).collect::<Vec<_>>(),
            [7, 8, 9, 7, 8, 9]
        );
        n.served(0, RequestKind::Write);
        n.served(0, RequestKind::ApiRead);
        n.served(2, RequestKind::PageView);
        n.completed(true, 2_000_000);
        n.completed(false, 9_000_000);
        let r = n.report(&stations());
        assert_eq!((r.reads, r.writes), (2, 1));
        assert_eq!(r.served_per_node, [2, 0, 1]);
        assert_eq!(r.kind, "document");
        assert_eq!(r.share, 0.3);
        assert!((r.busiest_node_utilization - 0.9).abs() < 1e-12);
        assert_eq!(r.latency_ms.count, 1);
        assert_eq!(r.relational_latency_ms.count, 1);
    }

    /// Stage 4 with two NoSQL stores: `nosql` (3 nodes) and `feeds` (2 nodes, API reads).
    fn two_stores() -> Scenario {
        let mut s = preset(4).expect("stage 4");
        s.nosql = Some(spec());
        s.more_nosql = vec![NamedNoSql {
            name: "feeds".into(),
            takes: vec![Flow::ApiRead],
            nosql: NoSqlStore { nodes: 2, ..spec() },
        }];
        s
    }

    /// The stores through their hooks alone, as the stack drives them: the nodes it places
    /// (names, indices, stations), the station a key goes to, service times, what a node
    /// served and which requests completed, and the report section they write.
    #[test]
    fn the_stores_are_driven_through_their_hooks() {
        assert!(NoSqlTier::of_scenario(&preset(4).expect("stage 4")).is_none());
        let s = two_stores();
        let mut part = BuiltInPart::of_scenario(&s)
            .into_iter()
            .find(|p| p.node() == NodeKind::NoSql)
            .expect("registered");
        assert_eq!(part.initial_stations(), [3, 2]);
        // The stack places them in its table: here at stations 4.. in group order.
        let mut placed = Vec::new();
        for (group, count) in [(0u8, 3), (1, 2)] {
            for _ in 0..count {
                let new = part.new_station(group);
                let station = 4 + placed.len() as u16;
                assert_eq!(part.station_placed(group, station, true), None);
                placed.push((new.name, new.index, new.station.workers, new.kind));
            }
        }
        let names: Vec<&str> = placed.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(
            names,
            ["nosql-0", "nosql-1", "nosql-2", "feeds-0", "feeds-1"]
        );
        assert!(placed
            .iter()
            .all(|p| p.2 == 4 && p.3 == ComponentKind::NoSql));
        assert_eq!(placed[4].1, nosql_index(1, 1));
        assert_eq!(nosql_of_index(placed[4].1), (1, 1));
        // Key 7: node 1 of the first store (station 5), node 1 of `feeds` (station 8).
        assert_eq!(
            part.station_for(0, Ask::key(RequestKind::ApiRead, 7), &[]),
            Some(5)
        );
        assert_eq!(
            part.station_for(1, Ask::key(RequestKind::ApiRead, 7), &[]),
            Some(8)
        );
        let write = part.station_service(nosql_index(1, 0), RequestKind::Write);
        let read = part.station_service(nosql_index(1, 0), RequestKind::ApiRead);
        let of = |mean_ms: f64| format!("{:?}", Sampler::new(&Dist::exponential(mean_ms)));
        assert_eq!(
            (format!("{write:?}"), format!("{read:?}")),
            (of(2.0), of(1.0))
        );
        let req = ReqRef { slot: 0, gen: 0 };
        let now = SimTime::ZERO;
        for (index, kind) in [
            (nosql_index(1, 1), RequestKind::ApiRead),
            (nosql_index(0, 2), RequestKind::Write),
        ] {
            let served = part.station_served(index, req, Ask::key(kind, 7), now, |_| 0, |_| false);
            assert_eq!(served, Served::Answer);
        }
        // Completions: one `feeds` served, one the relational tier served (both stores
        // record it), and a static asset (no data: nobody records it).
        part.request_completed(RequestKind::ApiRead, Some(1), 3_000_000);
        part.request_completed(RequestKind::PageView, None, 8_000_000);
        part.request_completed(RequestKind::StaticAsset, None, 1_000_000);
        assert!(part.watches_completions());
        let tier = part.get::<NoSqlTier>().expect("the NoSQL stores");
        let (first, feeds) = (&tier.stores[0], &tier.stores[1]);
        let mut stations = stations();
        stations.extend((0..4).map(|_| Station::new(1, 1)));
        let (first, feeds) = (first.report(&stations), feeds.report(&stations));
        assert_eq!(
            (first.writes, first.served_per_node.clone()),
            (1, vec![0, 0, 1])
        );
        assert_eq!(
            (feeds.reads, feeds.served_per_node.clone()),
            (1, vec![0, 1])
        );
        assert_eq!(
            (first.latency_ms.count, first.relational_latency_ms.count),
            (0, 1)
        );
        assert_eq!(
            (feeds.latency_ms.count, feeds.relational_latency_ms.count),
            (1, 1)
        );
        // Stations 4–6 are the first store's nodes: 0.4–0.6 busy.
        assert!((first.busiest_node_utilization - 0.6).abs() < 1e-12);
    }
}
