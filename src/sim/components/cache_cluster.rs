//! The cache cluster (stage 5): read-through cache nodes over one keyspace, each key on the
//! node consistent hashing gives it.
//!
//! ```text
//!   web ──read of key k──▶ node_for(k) ──hit──▶ answer
//!                              │ miss (or node down: bypass)
//!                              ▼
//!                           database ──answer──▶ fill node_for(k) (if it is still up)
//!   committed write of k ──(invalidate policy)──▶ delete k on node_for(k)
//! ```
//!
//! The cluster owns its nodes' contents and counters, and the rules: what a lookup finds, what
//! a fill, an invalidation and a node's death do, its part of a snapshot and its report
//! section. The engine owns the requests: it moves a read to the node's station, asks
//! [`CacheCluster::look_up`] when the station has served it, and sends a miss on to the
//! database. The nodes' stations (workers, waiting line) are the engine's, as for every
//! station-served component.

use super::cache::{Cache, KeyIndex, Lookup};
use crate::scenario::{CacheTier, WritePolicy};
use crate::sim::kernel::rng::Sampler;
use crate::sim::report::CacheReport;
use crate::sim::ring::HashRing;
use crate::sim::{SimDuration, SimTime};

/// The station index of node `node` of cache cluster `cluster` (the first cluster's nodes
/// keep their plain numbers), as kept in a station's info and a request's `fill`.
pub(in crate::sim) fn cache_index(cluster: usize, node: usize) -> u16 {
    ((cluster as u16) << 8) | node as u16
}

/// The (cluster, node) of a cache station index made by [`cache_index`].
pub(in crate::sim) fn cache_of_index(index: u16) -> (usize, usize) {
    (usize::from(index >> 8), usize::from(index & 0xff))
}

/// One cache node: its station and contents.
#[derive(Clone)]
struct CacheNode {
    /// The engine's station that serves its lookups.
    station: u16,
    cache: Cache,
    hits: u64,
    misses: u64,
    /// Hits on a value older than the key's latest committed write.
    stale: u64,
}

/// The cache tier: its nodes, the key placement and the run's counters.
#[derive(Clone)]
pub(in crate::sim) struct CacheCluster {
    nodes: Vec<CacheNode>,
    index: KeyIndex,
    ring: HashRing,
    get: Sampler,
    write_policy: WritePolicy,
    capacity_items: u32,
    hits: u64,
    misses: u64,
    /// Lookups that found their node down and went straight to the database.
    bypassed: u64,
    stale_reads: u64,
    invalidations: u64,
}

/// A node's figures for a snapshot.
pub(in crate::sim) struct CacheNodeState {
    /// Items held.
    pub items: u32,
    /// Items it can hold.
    pub capacity_items: u32,
    /// Share of its lookups that hit, over the run, 0–1.
    pub hit_ratio: f64,
    /// Hits on an old value.
    pub stale_reads: u64,
}

impl CacheCluster {
    /// A cluster of `spec.nodes` empty nodes over `keys` keys, node `i` served by
    /// `stations[i]`.
    pub fn new(spec: &CacheTier, keys: u32, stations: &[u16]) -> CacheCluster {
        let ttl = (spec.ttl_s > 0.0).then(|| SimDuration::from_secs_f64(spec.ttl_s));
        CacheCluster {
            nodes: stations
                .iter()
                .map(|&station| CacheNode {
                    station,
                    cache: Cache::new(spec.capacity_items, spec.eviction, ttl),
                    hits: 0,
                    misses: 0,
                    stale: 0,
                })
                .collect(),
            index: KeyIndex::new(keys, spec.nodes as u16, spec.capacity_items),
            ring: HashRing::new(spec.nodes as u16, spec.virtual_nodes),
            get: Sampler::new(&spec.get),
            write_policy: spec.write_policy,
            capacity_items: spec.capacity_items,
            hits: 0,
            misses: 0,
            bypassed: 0,
            stale_reads: 0,
            invalidations: 0,
        }
    }

    /// The station of the node that holds `key`.
    pub fn station_for(&self, key: u32) -> u16 {
        let node = self.ring.node_for(u64::from(key));
        self.nodes[usize::from(node)].station
    }

    /// How long a lookup takes a node's worker.
    pub fn service(&self) -> Sampler {
        self.get
    }

    /// Node `node` looks `key` up at `now`, the key's latest committed write being version
    /// `latest`: true on a hit (a hit on an older version is counted stale).
    pub fn look_up(&mut self, node: usize, key: u32, latest: u64, now: SimTime) -> bool {
        let n = &mut self.nodes[node];
        match n.cache.get(&mut self.index, node as u16, key, now) {
            Lookup::Hit(version) => {
                n.hits += 1;
                self.hits += 1;
                if version < latest {
                    n.stale += 1;
                    self.stale_reads += 1;
                }
                true
            }
            Lookup::Miss => {
                n.misses += 1;
                self.misses += 1;
                false
            }
        }
    }

    /// A lookup could not be made (its node was down): it goes to the database unfilled.
    pub fn bypass(&mut self) {
        self.bypassed += 1;
    }

    /// The database answered a miss of node `node` with `version` of `key`: the node keeps it,
    /// if it is still `alive`.
    pub fn fill(&mut self, node: u16, alive: bool, key: u32, version: u64, now: SimTime) {
        if alive {
            self.nodes[usize::from(node)]
                .cache
                .put(&mut self.index, node, key, version, now);
        }
    }

    /// The station of node `node`.
    pub fn station_of(&self, node: u16) -> u16 {
        self.nodes[usize::from(node)].station
    }

    /// A write of `key` was committed: with the `invalidate` policy its cached copy goes.
    pub fn write_committed(&mut self, key: u32) {
        if self.write_policy == WritePolicy::Invalidate {
            let node = self.ring.node_for(u64::from(key));
            if self.nodes[usize::from(node)]
                .cache
                .invalidate(&mut self.index, node, key)
            {
                self.invalidations += 1;
            }
        }
    }

    /// Node `node` died: its contents are gone.
    pub fn lose_node(&mut self, node: usize) {
        self.nodes[node].cache.flush(&mut self.index);
    }

    /// Node `node`'s figures now.
    pub fn node_state(&self, node: usize) -> CacheNodeState {
        let n = &self.nodes[node];
        let lookups = n.hits + n.misses;
        CacheNodeState {
            items: n.cache.len(),
            capacity_items: self.capacity_items,
            hit_ratio: if lookups == 0 {
                0.0
            } else {
                n.hits as f64 / lookups as f64
            },
            stale_reads: n.stale,
        }
    }

    /// Hits on old values over the run.
    pub fn stale_reads(&self) -> u64 {
        self.stale_reads
    }

    /// Nodes in the cluster.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes its contents and key index hold.
    pub fn heap_bytes(&self) -> usize {
        self.index.heap_bytes()
            + self
                .nodes
                .iter()
                .map(|n| n.cache.heap_bytes())
                .sum::<usize>()
    }

    /// Its section of the report.
    pub fn report(&self) -> CacheReport {
        let lookups = self.hits + self.misses;
        CacheReport {
            hits: self.hits,
            misses: self.misses,
            hit_ratio: if lookups == 0 {
                0.0
            } else {
                self.hits as f64 / lookups as f64
            },
            bypassed: self.bypassed,
            stale_reads: self.stale_reads,
            invalidations: self.invalidations,
            evictions: self.nodes.iter().map(|n| n.cache.evictions).sum(),
            items: self.nodes.iter().map(|n| n.cache.len()).collect(),
            stampede: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;

    fn cluster() -> CacheCluster {
        let spec = preset(5).expect("preset 5").cache.expect("a cache tier");
        let stations: Vec<u16> = (0..spec.nodes as u16).collect();
        CacheCluster::new(&spec, 1000, &stations)
    }

    #[test]
    fn a_filled_key_hits_until_its_node_dies() {
        let mut c = cluster();
        let now = SimTime::from_secs(1);
        let node = usize::from(c.station_for(7));
        assert!(!c.look_up(node, 7, 0, now));
        c.fill(node as u16, true, 7, 0, now);
        assert!(c.look_up(node, 7, 0, now));
        c.lose_node(node);
        assert!(!c.look_up(node, 7, 0, now));
        let r = c.report();
        assert_eq!((r.hits, r.misses), (1, 2));
    }

    #[test]
    fn a_hit_on_an_older_version_is_stale_and_a_dead_node_is_not_filled() {
        let mut c = cluster();
        let now = SimTime::from_secs(1);
        let node = usize::from(c.station_for(3));
        c.fill(node as u16, true, 3, 1, now);
        assert!(c.look_up(node, 3, 2, now));
        assert_eq!(c.stale_reads(), 1);
        let other = c.station_for(4);
        c.fill(other, false, 4, 1, now);
        assert!(!c.look_up(usize::from(other), 4, 1, now));
    }
}
