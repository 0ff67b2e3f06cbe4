//! A NoSQL store beside the relational database: a share of the data requests (activity
//! feeds, sessions, counters — single-key reads and writes) goes to it instead. Which kinds it
//! takes a share of is the route table's business (src/sim/stack/route.rs).
//!
//! ```text
//!  web server ──key mod N──▶ nosql-k (a queue of workers, short service times) ──▶ answer
//!  web server ──other data requests──▶ cache / shards as before
//! ```
//!
//! It has no joins and no replicas in this model: a read or write touches one key on one
//! node, and a dead node fails the requests for its keys (its stations' own kill hook: nothing
//! else of it is lost). The component owns its nodes' stations (by number), its service
//! times, its counts and latencies, and its report section; the engine hands it a request's
//! key and kind and asks where to send it and how long it takes there.

use crate::scenario::NoSqlStore;
use crate::sim::kernel::histogram::Histogram;
use crate::sim::kernel::rng::Sampler;
use crate::sim::report::{LatencyReport, NoSqlReport};
use crate::sim::RequestKind;

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

/// The NoSQL store while the simulation runs.
#[derive(Clone)]
pub(in crate::sim) struct NoSql {
    /// `key_value` or `document`, for the report.
    kind: &'static str,
    /// Share of the data requests routed to it that it serves.
    share: f64,
    /// Station of each node.
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
    /// The store `spec` describes, its nodes served by `stations` (node `k` by `stations[k]`).
    pub fn new(spec: &NoSqlStore, stations: Vec<u16>) -> NoSql {
        NoSql {
            kind: spec.kind.name(),
            share: spec.share,
            reads: vec![0; stations.len()],
            writes: vec![0; stations.len()],
            stations,
            read: Sampler::new(&spec.read),
            write: Sampler::new(&spec.write),
            latency: Histogram::new(),
            relational_latency: Histogram::new(),
        }
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

    /// Its report section; `utilization(station)` is a station's busy fraction over the run.
    pub fn report(&self, utilization: impl Fn(u16) -> f64) -> NoSqlReport {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Dist, StoreKind};

    fn store() -> NoSql {
        let spec = NoSqlStore {
            kind: StoreKind::Document,
            share: 0.3,
            nodes: 3,
            workers: 4,
            queue_capacity: 10,
            read: Dist::exponential(1.0),
            write: Dist::exponential(2.0),
        };
        NoSql::new(&spec, vec![7, 8, 9])
    }

    #[test]
    fn keys_spread_over_nodes_and_counts_reach_the_report() {
        let mut n = store();
        assert_eq!(
            (0..6).map(|k| n.station_for(k)).collect::<Vec<_>>(),
            [7, 8, 9, 7, 8, 9]
        );
        n.served(0, RequestKind::Write);
        n.served(0, RequestKind::ApiRead);
        n.served(2, RequestKind::PageView);
        n.completed(true, 2_000_000);
        n.completed(false, 9_000_000);
        let r = n.report(|s| f64::from(s) / 10.0);
        assert_eq!((r.reads, r.writes), (2, 1));
        assert_eq!(r.served_per_node, [2, 0, 1]);
        assert_eq!(r.kind, "document");
        assert_eq!(r.share, 0.3);
        assert!((r.busiest_node_utilization - 0.9).abs() < 1e-12);
        assert_eq!(r.latency_ms.count, 1);
        assert_eq!(r.relational_latency_ms.count, 1);
    }
}
