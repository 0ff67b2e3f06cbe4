//! A NoSQL store beside the relational database (stage 10 on): a share of the data requests
//! (activity feeds, sessions, counters — single-key reads and writes) goes to it instead.
//!
//! ```text
//!  web server ──key mod N──▶ nosql-k (a queue of workers, short service times) ──▶ answer
//!  web server ──other data requests──▶ cache / shards as before
//! ```
//!
//! It has no joins and no replicas in this model: a read or write touches one key on one
//! node, and a dead node fails the requests for its keys.

use crate::scenario::NoSqlStore;
use crate::sim::components::station::{ReqRef, Station};
use crate::sim::kernel::histogram::Histogram;
use crate::sim::kernel::rng::Sampler;
use crate::sim::stack::{Stack, Tier};
use crate::sim::{ComponentKind, RequestKind};

/// The NoSQL store while the simulation runs.
#[derive(Clone)]
pub(in crate::sim) struct NoSqlState {
    /// Share of data requests it serves.
    pub share: f64,
    /// Station of each node.
    pub stations: Vec<u16>,
    read: Sampler,
    write: Sampler,
    /// Reads and writes served, per node.
    pub reads: Vec<u64>,
    pub writes: Vec<u64>,
    /// Latency of completed data requests it served.
    pub latency: Histogram,
    /// Latency of completed data requests the relational tier served (for comparison).
    pub relational_latency: Histogram,
}

impl NoSqlState {
    /// The latency histogram of requests served by the NoSQL store (`true`) or not.
    pub fn latency_of(&mut self, nosql: bool) -> &mut Histogram {
        if nosql {
            &mut self.latency
        } else {
            &mut self.relational_latency
        }
    }
}

impl Stack {
    /// Builds the NoSQL nodes `nosql-0` … `nosql-(N−1)`.
    pub(in crate::sim) fn build_nosql(&mut self, spec: &NoSqlStore) {
        let mut stations = Vec::new();
        for i in 0..spec.nodes {
            let id = self.add_component(format!("nosql-{i}"), ComponentKind::NoSql);
            let station = Station::new(spec.workers, spec.queue_capacity);
            stations.push(self.add_station(id, Tier::NoSql, i as u16, station));
        }
        self.nosql = Some(NoSqlState {
            share: spec.share,
            reads: vec![0; stations.len()],
            writes: vec![0; stations.len()],
            stations,
            read: Sampler::new(&spec.read),
            write: Sampler::new(&spec.write),
            latency: Histogram::new(),
            relational_latency: Histogram::new(),
        });
    }

    /// Service time of a request at a NoSQL node.
    pub(in crate::sim) fn nosql_sampler(&self, kind: RequestKind) -> Sampler {
        let n = self.nosql.as_ref().expect("a NoSQL store");
        if kind == RequestKind::Write {
            n.write
        } else {
            n.read
        }
    }

    /// Sends a request to the node holding its key.
    pub(in crate::sim) fn send_to_nosql(&mut self, req: ReqRef) {
        let key = self.get(req).map_or(0, |r| r.key);
        let n = self.nosql.as_ref().expect("a NoSQL store");
        let station = n.stations[key as usize % n.stations.len()];
        self.move_to(req, station);
    }

    /// A NoSQL node served a request: count it.
    pub(in crate::sim) fn after_nosql(&mut self, req: ReqRef, node: usize) {
        let kind = self.get(req).map_or(RequestKind::ApiRead, |r| r.kind);
        let n = self.nosql.as_mut().expect("a NoSQL store");
        if kind == RequestKind::Write {
            n.writes[node] += 1;
        } else {
            n.reads[node] += 1;
        }
    }
}
