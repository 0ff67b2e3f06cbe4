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
//! section. The engine owns the requests: it moves a read to the node's station, and the
//! station's service ends in a lookup whose verdict says where the read goes next.
//!
//! [`Caches`], every cache cluster of a stack with its stampede counts, is the built-in kind
//! on the registration (`built_ins!`): the stack places its nodes' stations as it describes
//! them, reaches it on the request path through the station hooks (`station_for`,
//! `station_served`, `store_answered`, `station_down`, `station_died`) and reads its
//! figures, report section and bill line through the others.

use super::cache::{Cache, KeyIndex, Lookup};
use super::coalesce::{Coalescer, OnMiss};
use super::registry::{Ask, BuiltIn, Component, Down, Listed, NewStation, RunSoFar, Served};
use super::station::{ReqRef, Station};
use crate::scenario::topology::NodeKind;
use crate::scenario::{CacheTier, Scenario, WritePolicy};
use crate::sim::cost::{Bill, PRICES};
use crate::sim::hits::{HitCount, IntervalHits};
use crate::sim::kernel::rng::Sampler;
use crate::sim::report::{CacheReport, NamedCacheReport, Sections, StampedeReport};
use crate::sim::ring::HashRing;
use crate::sim::stack::route::{DataStep, RouteTable};
use crate::sim::{ComponentKind, ComponentState, Outcome, RequestKind, Snapshot};
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
    #[inline]
    pub fn station_for(&self, key: u32) -> u16 {
        let node = self.ring.node_for(u64::from(key));
        self.nodes[usize::from(node)].station
    }

    /// How long a lookup takes a node's worker.
    #[inline]
    pub fn service(&self) -> Sampler {
        self.get
    }

    /// Node `node` looks `key` up at `now`, the key's latest committed write being version
    /// `latest`: true on a hit (a hit on an older version is counted stale).
    #[inline]
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
    #[inline]
    pub fn bypass(&mut self) {
        self.bypassed += 1;
    }

    /// The database answered a miss of node `node` with `version` of `key`: the node keeps it,
    /// if it is still `alive`.
    #[inline]
    pub fn fill(&mut self, node: u16, alive: bool, key: u32, version: u64, now: SimTime) {
        if alive {
            self.nodes[usize::from(node)]
                .cache
                .put(&mut self.index, node, key, version, now);
        }
    }

    /// Node `node` is served by station `station` (placed by the stack).
    pub fn place(&mut self, node: usize, station: u16) {
        self.nodes[node].station = station;
    }

    /// A write of `key` was committed: with the `invalidate` policy its cached copy goes.
    #[inline]
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

/// Every cache cluster of a stack (the scenario's `cache`, then its `more_caches` in order),
/// with the database behind each and its stampede counts: the built-in kind on the
/// registration. Its nodes are stations in the stack's one table, placed where its
/// component is listed (after the NoSQL stores); a cluster is a group of stations.
#[derive(Clone)]
pub(in crate::sim) struct Caches {
    clusters: Vec<CacheCluster>,
    /// Per cluster: its nodes' names' stem (`cache`, then each further cache's name).
    stems: Vec<String>,
    /// Per cluster: workers per node.
    workers: Vec<u32>,
    /// Per cluster: the database its misses read and its invalidations follow.
    stores: Vec<u8>,
    /// Per cluster, misses of keys already being read for it: counted, or coalesced (`None`:
    /// neither). Each has its own in-flight table.
    coalescers: Vec<Option<Coalescer>>,
    /// Keys in the keyspace (a coalescer made live covers them all).
    keys: u32,
    /// This metrics interval's lookups that hit, and that missed or were bypassed.
    interval_hits: u64,
    interval_misses: u64,
}

impl Caches {
    /// The cache clusters of a stack built from `scenario` (`None`: it has no cache), before
    /// their nodes' stations are placed.
    pub fn new(scenario: &Scenario) -> Option<Caches> {
        if scenario.cache.is_none() && scenario.more_caches.is_empty() {
            return None;
        }
        let keys = scenario.traffic.keyspace.keys;
        let more = (scenario.more_caches.iter()).map(|m| (m.name.as_str(), &m.cache));
        let all: Vec<(&str, &CacheTier)> = scenario
            .cache
            .iter()
            .map(|c| ("cache", c))
            .chain(more)
            .collect();
        let routes = RouteTable::of_scenario(scenario);
        // The database a cluster reads: the one the first kind going through it stores in.
        let store_of = |cluster: usize| {
            (RequestKind::ALL.iter())
                .map(|&k| routes.of(k))
                .find(|r| r.data == DataStep::Cache(cluster as u8))
                .map_or(0, |r| r.store)
        };
        Some(Caches {
            clusters: (all.iter())
                .map(|(_, spec)| {
                    CacheCluster::new(spec, keys, &vec![u16::MAX; spec.nodes as usize])
                })
                .collect(),
            stems: all.iter().map(|(name, _)| name.to_string()).collect(),
            workers: all.iter().map(|(_, spec)| spec.workers).collect(),
            stores: (0..all.len()).map(store_of).collect(),
            coalescers: std::iter::once(scenario.cache.as_ref())
                .chain(scenario.more_caches.iter().map(|m| Some(&m.cache)))
                .map(|c| {
                    let on = c.and_then(|c| c.coalesce)?;
                    Some(Coalescer::new(keys, on))
                })
                .collect(),
            keys,
            interval_hits: 0,
            interval_misses: 0,
        })
    }

    /// Cache clusters (coalescers: one per cluster the scenario names).
    pub fn coalescer_count(&self) -> usize {
        self.coalescers.len()
    }

    /// Switches request coalescing on or off at cluster `cluster` (a coalescer is made, with
    /// an empty in-flight table, if it counted nothing yet).
    pub fn set_coalescing(&mut self, cluster: usize, on: bool) {
        let co = &mut self.coalescers[cluster];
        match co.as_mut() {
            Some(co) => co.coalesce = on,
            None => *co = Some(Coalescer::new(self.keys, on)),
        }
    }

    /// The stampede figures of cluster `cluster` (`None` when it neither counts nor
    /// coalesces).
    fn stampede_report(&self, cluster: usize) -> Option<StampedeReport> {
        self.coalescers.get(cluster)?.as_ref().map(|co| co.report())
    }

    /// Nodes placed so far in cluster `cluster`.
    fn placed(&self, cluster: usize) -> usize {
        let nodes = &self.clusters[cluster].nodes;
        nodes.iter().take_while(|n| n.station != u16::MAX).count()
    }
}

impl Component for Caches {
    /// The interval's lookups (a bypassed one is a miss) and the stampede peaks.
    fn close_interval(&mut self, hits: &mut IntervalHits) {
        for co in self.coalescers.iter_mut().flatten() {
            co.close_interval();
        }
        let hit = std::mem::take(&mut self.interval_hits);
        let missed = std::mem::take(&mut self.interval_misses);
        hits.cache = HitCount {
            hits: hit,
            lookups: hit + missed,
        };
    }
}

impl BuiltIn for Caches {
    const NODE: NodeKind = NodeKind::Cache;
    const LISTED: Listed = Listed::AfterNoSql;
    const WATCHES_COMMITS: bool = true;

    fn of_scenario(scenario: &Scenario) -> Option<Caches> {
        Caches::new(scenario)
    }

    /// `cache`, and `more_caches` by name, each with its stampede figures.
    fn report_section(&self, _stations: &[Station], sections: &mut Sections<'_>) {
        let with_stampede = |cluster: usize| CacheReport {
            stampede: self.stampede_report(cluster),
            ..self.clusters[cluster].report()
        };
        sections.cache = (!self.clusters.is_empty()).then(|| with_stampede(0));
        sections.more_caches = (self.stems.iter().skip(1))
            .zip(1..self.clusters.len())
            .map(|(name, cluster)| NamedCacheReport {
                name: name.clone(),
                cache: with_stampede(cluster),
            })
            .collect();
    }

    /// Hits on old values over the run, and the cluster whose key was read most at once
    /// in the last interval (the first on a tie).
    fn snapshot(&self, snapshot: &mut Snapshot) {
        snapshot.stale_cache_reads = self.clusters.iter().map(|c| c.stale_reads()).sum();
        snapshot.stampede = (self.coalescers.iter().flatten())
            .map(|co| co.last_peak())
            .reduce(|a, b| if b.reads > a.reads { b } else { a });
    }

    /// Every node for the whole run.
    fn bill_machines(&self, run: &RunSoFar<'_>, bill: &mut Bill) {
        let nodes: usize = self.clusters.iter().map(|c| c.node_count()).sum();
        bill.add(
            "cache nodes",
            nodes as f64 * run.hours,
            "node-hours",
            PRICES.cache_node_hour,
        );
    }

    /// Its contents and key indices.
    fn heap_bytes(&self) -> usize {
        self.clusters.iter().map(|c| c.heap_bytes()).sum()
    }

    fn initial_stations(&self) -> Vec<u32> {
        (self.clusters.iter())
            .map(|c| c.node_count() as u32)
            .collect()
    }

    fn new_station(&self, group: u8) -> NewStation {
        let cluster = usize::from(group);
        let node = self.placed(cluster);
        let workers = self.workers[cluster];
        NewStation {
            name: format!("{}-{node}", self.stems[cluster]),
            kind: ComponentKind::Cache,
            index: cache_index(cluster, node),
            station: Station::new(workers, workers.saturating_mul(16)),
        }
    }

    fn station_placed(&mut self, group: u8, station: u16, _initial: bool) -> Option<String> {
        let cluster = usize::from(group);
        let node = self.placed(cluster);
        self.clusters[cluster].place(node, station);
        None
    }

    // Inlined into the stack's step to the cache (it was before the cache was registered).
    #[inline(always)]
    fn station_for(&mut self, group: u8, ask: Ask, _stations: &[Station]) -> Option<u16> {
        Some(self.clusters[usize::from(group)].station_for(ask.key))
    }

    #[inline]
    fn station_service(&self, index: u16, _kind: RequestKind) -> Sampler {
        self.clusters[cache_of_index(index).0].service()
    }

    /// The lookup: a hit answers; a miss reads the database (and fills the node), or waits
    /// for a read of the key already under way when the cluster coalesces.
    #[inline]
    fn station_served(
        &mut self,
        index: u16,
        req: ReqRef,
        ask: Ask,
        now: SimTime,
        latest: impl Fn(u8) -> u64,
        leading: impl Fn(ReqRef) -> bool,
    ) -> Served {
        let key = ask.key;
        let (cluster, node) = cache_of_index(index);
        let latest = latest(self.stores[cluster]);
        if self.clusters[cluster].look_up(node, key, latest, now) {
            self.interval_hits += 1;
            return Served::Answer;
        }
        self.interval_misses += 1;
        match self.coalescers.get_mut(cluster) {
            Some(Some(co)) => match co.on_miss(key, req, leading) {
                OnMiss::Read => Served::ToStore,
                OnMiss::Wait => Served::Wait,
            },
            _ => Served::ToStore,
        }
    }

    /// The node keeps the value if it is still up; the misses waiting for it are released.
    fn store_answered(
        &mut self,
        index: u16,
        alive: bool,
        req: ReqRef,
        key: u32,
        version: u64,
        now: SimTime,
        released: &mut Vec<ReqRef>,
    ) {
        let (cluster, node) = cache_of_index(index);
        self.clusters[cluster].fill(node as u16, alive, key, version, now);
        if let Some(Some(co)) = self.coalescers.get_mut(cluster) {
            co.on_fill(key, req, released);
        }
    }

    /// An injected error at a node fails the read as the data tier's.
    fn refuses_as(&self) -> Outcome {
        Outcome::DbDown
    }

    /// An unreachable node is a miss: the read goes to the database unfilled (bypassed).
    fn station_down(&mut self, index: u16) -> Down {
        self.clusters[cache_of_index(index).0].bypass();
        self.interval_misses += 1;
        Down::PassOn
    }

    /// Its contents are gone; the lookups it held go to the database.
    fn station_died(&mut self, index: u16) -> Option<&'static str> {
        let (cluster, node) = cache_of_index(index);
        self.clusters[cluster].lose_node(node);
        Some("its keys are gone: lookups go to the database")
    }

    /// A cache node's items, capacity, hit ratio and stale reads.
    fn station_state(&self, kind: ComponentKind, index: u16, state: &mut ComponentState) {
        if kind != ComponentKind::Cache {
            return;
        }
        let (cluster, node) = cache_of_index(index);
        let n = self.clusters[cluster].node_state(node);
        state.items = n.items;
        state.capacity_items = n.capacity_items;
        state.hit_ratio = n.hit_ratio;
        state.stale_reads = n.stale_reads;
    }

    /// With the `invalidate` policy, every cluster in front of `store` drops its copy.
    #[inline]
    fn key_committed(&mut self, store: u8, key: u32) {
        for (c, &s) in self.clusters.iter_mut().zip(&self.stores) {
            if s == store {
                c.write_committed(key);
            }
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

    /// Preset 5's caches (coalescing on), their nodes placed as stations 10, 11, 12.
    fn caches() -> Caches {
        let mut s = preset(5).expect("preset 5");
        s.cache.as_mut().expect("a cache tier").coalesce = Some(true);
        let mut c = Caches::new(&s).expect("a cache");
        assert_eq!(c.initial_stations(), vec![3]);
        for station in 10..13 {
            let new = c.new_station(0);
            assert_eq!(new.name, format!("cache-{}", station - 10));
            assert_eq!(new.kind, ComponentKind::Cache);
            assert_eq!(c.station_placed(0, station, true), None);
        }
        c
    }

    fn r(slot: u32) -> ReqRef {
        ReqRef { slot, gen: 1 }
    }

    #[test]
    fn the_caches_kind_looks_up_coalesces_and_fills_through_its_hooks() {
        let mut c = caches();
        let now = SimTime::from_secs(1);
        let station = (c.station_for(0, Ask::key(RequestKind::ApiRead, 7), &[])).expect("a node");
        assert!((10..13).contains(&station));
        let index = cache_index(0, usize::from(station - 10));
        let latest = |_: u8| 0;
        // A miss reads the store; a second miss of the key waits for that read.
        let served = c.station_served(
            index,
            r(1),
            Ask::key(RequestKind::ApiRead, 7),
            now,
            latest,
            |_| false,
        );
        assert_eq!(served, Served::ToStore);
        let served = c.station_served(
            index,
            r(2),
            Ask::key(RequestKind::ApiRead, 7),
            now,
            latest,
            |l| l == r(1),
        );
        assert_eq!(served, Served::Wait);
        // The store's answer fills the node and releases the waiter; the key then hits.
        let mut released = Vec::new();
        c.store_answered(index, true, r(1), 7, 0, now, &mut released);
        assert_eq!(released, vec![r(2)]);
        let served = c.station_served(
            index,
            r(3),
            Ask::key(RequestKind::ApiRead, 7),
            now,
            latest,
            |_| false,
        );
        assert_eq!(served, Served::Answer);
        // A committed write invalidates it (preset 5: `invalidate`).
        c.key_committed(0, 7);
        let served = c.station_served(
            index,
            r(4),
            Ask::key(RequestKind::ApiRead, 7),
            now,
            latest,
            |_| false,
        );
        assert_eq!(served, Served::ToStore);
        // The interval's lookups: one hit in four.
        let mut hits = IntervalHits::default();
        c.close_interval(&mut hits);
        assert_eq!((hits.cache.hits, hits.cache.lookups), (1, 4));
    }

    #[test]
    fn a_dead_cache_node_is_bypassed_and_loses_its_keys() {
        let mut c = caches();
        let now = SimTime::from_secs(1);
        let station = (c.station_for(0, Ask::key(RequestKind::ApiRead, 3), &[])).expect("a node");
        let index = cache_index(0, usize::from(station - 10));
        c.store_answered(index, true, r(1), 3, 0, now, &mut Vec::new());
        let note = c.station_died(index).expect("its lookups go on");
        assert!(note.contains("keys are gone"), "{note}");
        assert_eq!(c.station_down(index), Down::PassOn);
        assert_eq!(c.refuses_as(), Outcome::DbDown);
        // Repaired, it starts cold: the key it held misses.
        let served = c.station_served(
            index,
            r(2),
            Ask::key(RequestKind::ApiRead, 3),
            now,
            |_| 0,
            |_| false,
        );
        assert_eq!(served, Served::ToStore);
        let mut state = ComponentState::default();
        c.station_state(ComponentKind::Cache, index, &mut state);
        assert_eq!(state.items, 0);
        let mut hits = IntervalHits::default();
        c.close_interval(&mut hits);
        assert_eq!((hits.cache.hits, hits.cache.lookups), (0, 2));
        let r = c.clusters[0].report();
        assert_eq!((r.bypassed, r.misses), (1, 1));
        let mut bill = Bill::default();
        c.bill_machines(&RunSoFar::without_points(2.0), &mut bill);
        assert_eq!(bill.finish(2.0).items[0].item, "cache nodes");
    }
}
