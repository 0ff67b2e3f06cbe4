//! The database tier (stages 2, 4 and 10): one or more shards, each a master with replicas.
//!
//! ```text
//!   key ──shard map (modulo | consistent hash)──▶ shard s: master ──async──▶ replicas
//!   writes → master of the key's shard; reads → a replica (or the master if none is healthy)
//!   master dies → web tier notices after `detection` → best replica promoted after `promotion`
//! ```
//!
//! Each shard keeps its own replication log; one table of key versions serves every shard,
//! since a key lives on one shard at a time.
//!
//! [`DatabaseCluster`] owns all of it — the shards, their nodes' roles and replication, the
//! key versions, the placement of keys (and a resharding's copy work, `migration.rs`) — and
//! the rules: where a query goes, what a commit and a read do, what a node's death, return or
//! slowness does, the failure detection and the promotion (its own events, [`DbEvent`]), its
//! snapshot figures and its report section. The engine owns the requests and the nodes'
//! stations: it asks [`DatabaseCluster::route_query`] where to send a query and tells the
//! cluster what happened; the cluster schedules and logs through a [`Ctx`].
//!
//! This file holds the nodes, the shards and the cluster's routing of queries, commits and
//! reads; `placement` which shard holds a key; `failover` the cluster's events (detection,
//! promotion) and its kill, repair and slow hooks; `report` its snapshot figures and its
//! report section.

mod clusters;
mod failover;
mod placement;
mod report;
mod reshard;
#[cfg(test)]
mod tests;

pub(in crate::sim) use clusters::{Databases, DATABASES};
pub use placement::{db_node_name, further_db_node_name, shard_node, ShardNode};
pub(in crate::sim) use placement::{DataPlacement, ShardMap};

use crate::scenario::{Database, ReadPolicy, Scenario, ShardStrategy, Sharding};
use crate::sim::components::migration::Migration;
use crate::sim::components::registry::{Ask, BuiltInEvent, Served};
use crate::sim::components::replication::{KeyVersions, ReplicaProgress, Replication};
use crate::sim::components::station::Station;
use crate::sim::kernel::rng::{Rng, Sampler};
use crate::sim::kernel::run::{Ctx, Slot};
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::{DatabaseReport, Failover, ReplicaReport, ShardReport};
use crate::sim::ring::HashRing;
use crate::sim::zipf::Zipf;
use crate::sim::{DbRole, RequestKind};

/// Station index of a database node: store × 2048 + shard × 32 + node (a shard has at most
/// 17 nodes, a store at most 64 shards), so the first store's nodes keep their plain numbers.
pub(in crate::sim) fn db_index(store: usize, shard: usize, node: usize) -> u16 {
    ((store << 11) | (shard * 32 + node)) as u16
}

/// (shard, node) of a database station index made by [`db_index`].
#[inline]
pub(in crate::sim) fn db_of_index(index: u16) -> (usize, usize) {
    let within = usize::from(index & 0x7ff);
    (within / 32, within % 32)
}

/// The store (database cluster) of a database station index made by [`db_index`].
#[inline]
pub(in crate::sim) fn store_of_index(index: u16) -> usize {
    usize::from(index >> 11)
}

/// A database node: its station, role and replication progress.
#[derive(Clone)]
pub(in crate::sim) struct DbNode {
    pub station: u16,
    pub name: String,
    pub role: DbRole,
    /// Whether the web tier believes it is up (changes `detection` after the fact).
    pub believed_up: bool,
    pub progress: ReplicaProgress,
    pub reads: u64,
    pub writes: u64,
    pub stale_reads: u64,
    pub lag_ms_max: f64,
    pub lag_writes_max: u64,
}

/// One shard: a master and its replicas.
#[derive(Clone)]
pub(in crate::sim) struct DbTier {
    pub nodes: Vec<DbNode>,
    pub master: usize,
    pub replication: Replication,
    pub read: Sampler,
    pub write: Sampler,
    read_policy: ReadPolicy,
    next_read: usize,
    pub detection: SimDuration,
    promotion: SimDuration,
    /// Bumped to cancel a pending promotion.
    promotion_epoch: u32,
    /// When the current master died (for the failover record).
    pub master_down_at: Option<SimTime>,
    pub stale_reads: u64,
    pub replica_reads: u64,
    /// Keys this shard holds (by the current map).
    pub keys: u64,
}

/// The database cluster's own events.
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) enum DbEvent {
    /// The web tier notices that a database node died (`up` false) or came back: the node
    /// whose station index is `index` ([`db_index`]: its store, shard and node; one field,
    /// so that the event, inside `Event::BuiltIn`, keeps `Event` at 20 bytes).
    Detected { index: u16, epoch: u32, up: bool },
    /// A replica takes over from the dead master.
    Promote { store: u8, shard: u16, epoch: u32 },
    /// Resharding number `run` of store `store` may start its next copy job.
    MigrationPace { store: u8, run: u32 },
}

impl DbEvent {
    /// The store (database cluster) the event belongs to.
    #[inline]
    pub fn store(&self) -> usize {
        match *self {
            DbEvent::Detected { index, .. } => store_of_index(index),
            DbEvent::Promote { store, .. } | DbEvent::MigrationPace { store, .. } => {
                usize::from(store)
            }
        }
    }
}

/// The whole database tier: shards, key versions, key placement and resharding.
#[derive(Clone)]
pub(in crate::sim) struct DatabaseCluster {
    /// Its number among the stack's stores (0: the scenario's `database`).
    store: u8,
    /// Its nodes' name stem: `None` for the scenario's `database` (`db-0`, `shard-1-db-0`…),
    /// else the further database's name (`<name>-0`…).
    stem: Option<String>,
    /// The scenario's database (every shard is built from it; `None`: no database at all).
    spec: Option<Database>,
    /// Keys in the keyspace.
    keyspace: u32,
    /// Whether a shard router splits its data (its scenario entry has a `sharding`).
    sharded: bool,
    /// A further database's shard router of its own, by name (`None`: the first database,
    /// or a further one no router splits).
    router: Option<String>,
    /// Its failovers so far (a replica promoted after its master died), in order.
    failovers: Vec<Failover>,
    /// A resharding's copy rate, keys per second.
    pub(super) migration_rate: f64,
    pub shards: Vec<DbTier>,
    pub versions: KeyVersions,
    pub placement: DataPlacement,
}

impl DatabaseCluster {
    /// The cluster a scenario describes, with no shard built yet (the engine builds each
    /// shard's stations, then [`DatabaseCluster::add_shard`]).
    pub fn new(scenario: &Scenario) -> DatabaseCluster {
        DatabaseCluster {
            store: 0,
            stem: None,
            spec: scenario.database.clone(),
            keyspace: scenario.traffic.keyspace.keys,
            sharded: scenario.sharding.is_some(),
            router: None,
            failovers: Vec::new(),
            migration_rate: scenario
                .sharding
                .as_ref()
                .map_or(crate::scenario::DEFAULT_MIGRATION_KEYS_PER_S, |s| {
                    s.migration_keys_per_s
                }),
            shards: Vec::new(),
            versions: KeyVersions::new(scenario.traffic.keyspace.keys),
            placement: DataPlacement::new(scenario.sharding.as_ref()),
        }
    }

    /// Further database number `n` (from 0) of the scenario, store `n + 1`: its own nodes,
    /// key versions and replication over the same keyspace, split over shards by its own
    /// `sharding` when a shard router of its own stands in front of it.
    pub fn further(scenario: &Scenario, n: usize) -> DatabaseCluster {
        let more = &scenario.more_databases[n];
        DatabaseCluster {
            store: (n + 1) as u8,
            stem: Some(more.name.clone()),
            spec: Some(more.database.clone()),
            keyspace: scenario.traffic.keyspace.keys,
            sharded: more.sharding.is_some(),
            router: more.router_name(),
            failovers: Vec::new(),
            migration_rate: more
                .sharding
                .as_ref()
                .map_or(crate::scenario::DEFAULT_MIGRATION_KEYS_PER_S, |s| {
                    s.migration_keys_per_s
                }),
            shards: Vec::new(),
            versions: KeyVersions::new(scenario.traffic.keyspace.keys),
            placement: DataPlacement::new(more.sharding.as_ref()),
        }
    }

    /// A further database's name (`None`: the scenario's `database`).
    pub fn name(&self) -> Option<&str> {
        self.stem.as_deref()
    }

    /// Its number among the stack's stores (0: the scenario's `database`).
    pub fn store(&self) -> usize {
        usize::from(self.store)
    }

    /// Whether a shard router splits its data.
    #[inline]
    pub fn is_sharded(&self) -> bool {
        self.sharded
    }

    /// The name of node `node` of shard `shard`.
    pub fn node_name(&self, sharded: bool, shard: usize, node: usize) -> String {
        match &self.stem {
            Some(stem) => further_db_node_name(stem, sharded, shard, node),
            None => db_node_name(sharded, shard, node),
        }
    }

    /// Keys in the keyspace.
    pub fn keyspace(&self) -> u32 {
        self.keyspace
    }

    /// The scenario's database, if there is one.
    pub fn spec(&self) -> Option<&Database> {
        self.spec.as_ref()
    }

    /// Nodes per shard (a master and its replicas).
    pub fn nodes_per_shard(&self) -> usize {
        self.spec.as_ref().map_or(0, |d| d.replicas as usize + 1)
    }

    /// A new node's station: its workers, waiting line and speed.
    pub fn node_station(&self) -> Station {
        let spec = self.spec.as_ref().expect("a database");
        let mut station = Station::new(spec.workers, spec.queue_capacity);
        station.speed = spec.speed;
        station
    }

    /// Adds the next shard, its nodes served by `stations` (master first), as
    /// [`DatabaseCluster::node_placed`] does one node at a time.
    #[cfg(test)]
    pub fn add_shard(&mut self, stations: &[u16]) {
        for &station in stations {
            self.node_placed(station);
        }
    }

    /// (shard, node) of the next node to place: the next of the shard being built, or the
    /// master of a new shard.
    pub fn next_node(&self) -> (usize, usize) {
        match self.shards.last() {
            Some(db) if db.nodes.len() < self.nodes_per_shard() => {
                (self.shards.len() - 1, db.nodes.len())
            }
            _ => (self.shards.len(), 0),
        }
    }

    /// The name of the next node to place: as one shard of several when a router splits the
    /// cluster, or from its second shard on (a database resharded live without a router of
    /// its own, whose first shard keeps its plain names).
    pub fn next_node_name(&self) -> String {
        let (shard, node) = self.next_node();
        self.node_name(self.sharded || shard > 0, shard, node)
    }

    /// The next node ([`DatabaseCluster::next_node`]) is served by station `station`: the
    /// master of a new shard, or a replica of the shard being built.
    pub fn node_placed(&mut self, station: u16) {
        let (shard, node) = self.next_node();
        let name = self.next_node_name();
        if node == 0 {
            self.shards.push(self.empty_shard());
        }
        self.shards[shard].nodes.push(DbNode {
            station,
            name,
            role: if node == 0 {
                DbRole::Master
            } else {
                DbRole::Replica
            },
            believed_up: true,
            progress: ReplicaProgress {
                following: node > 0,
                ..Default::default()
            },
            reads: 0,
            writes: 0,
            stale_reads: 0,
            lag_ms_max: 0.0,
            lag_writes_max: 0,
        });
    }

    /// A shard with no node yet, as the scenario's database describes.
    fn empty_shard(&self) -> DbTier {
        let spec = self.spec.as_ref().expect("a database");
        DbTier {
            nodes: Vec::with_capacity(self.nodes_per_shard()),
            master: 0,
            replication: Replication::new(
                SimDuration::from_millis_f64(spec.replication.delay_ms),
                SimDuration::from_millis_f64(spec.replication.apply_ms),
            ),
            read: Sampler::new(&spec.read),
            write: Sampler::new(&spec.write),
            read_policy: spec.read_policy,
            next_read: 0,
            detection: SimDuration::from_millis_f64(spec.failover.detection_ms),
            promotion: SimDuration::from_millis_f64(spec.failover.promotion_ms),
            promotion_epoch: 0,
            master_down_at: None,
            stale_reads: 0,
            replica_reads: 0,
            keys: 0,
        }
    }

    /// Nodes it starts with: every shard its placement names (one without a router), each
    /// a master and its replicas; none without a database.
    pub fn initial_nodes(&self) -> u32 {
        if self.spec.is_none() {
            return 0;
        }
        (self.placement.map.count() * self.nodes_per_shard()) as u32
    }

    /// Counts the keys each shard serves now.
    pub fn count_shard_keys(&mut self) {
        for db in &mut self.shards {
            db.keys = 0;
        }
        for key in 0..self.keyspace {
            let s = self.placement.shard_of(key);
            self.shards[s].keys += 1;
        }
    }

    /// Number of shards built.
    #[inline]
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The station of node `node` of shard `shard`.
    #[inline]
    pub fn station(&self, shard: usize, node: usize) -> u16 {
        self.shards[shard].nodes[node].station
    }

    /// The service-time sampler of a query of `kind` on shard `shard`.
    #[inline]
    pub fn sampler(&self, shard: usize, kind: RequestKind) -> Sampler {
        let db = &self.shards[shard];
        if kind == RequestKind::Write {
            db.write
        } else {
            db.read
        }
    }

    /// A key for a data request: a celebrity key with its share, else the Zipf keyspace.
    pub fn draw_key(&self, rng: &mut Rng, keys: &Zipf) -> u32 {
        if !self.placement.hot_keys.is_empty() {
            let u = rng.unit();
            if let Some(&(key, _)) = self.placement.hot_keys.iter().find(|(_, c)| u < *c) {
                return key;
            }
        }
        keys.sample(rng) - 1
    }

    /// Whether a new read of `kind` joins data of every shard (a draw, made only when some
    /// reads do): true when it must ask every shard in turn. With denormalised data the copy
    /// on the key's own shard answers it instead (counted as a join avoided).
    pub fn draws_fan_out(&mut self, kind: RequestKind, rng: &mut Rng) -> bool {
        let share = self.placement.cross_shard_share;
        if !(share > 0.0
            && matches!(kind, RequestKind::PageView | RequestKind::ApiRead)
            && rng.unit() < share)
        {
            return false;
        }
        if self.placement.write_factor > 1 {
            self.placement.joins_avoided += 1;
            false
        } else {
            self.placement.joins += 1;
            true
        }
    }

    /// The shard a query of `key` goes to: shard `fanout` of a read asking every shard, the
    /// shard of denormalised copy number `copy` of a write, else the key's own shard.
    #[inline(always)]
    pub fn shard_of_query(&self, key: u32, copy: u8, fanout: Option<u16>) -> usize {
        if let Some(shard) = fanout {
            usize::from(shard)
        } else if copy > 0 {
            // A denormalised copy lives on the shards after the key's own.
            (self.placement.shard_of(key) + usize::from(copy)) % self.placement.map.count()
        } else {
            self.placement.shard_of(key)
        }
    }

    /// Copies every write is made in (1: not denormalised), at most one per shard.
    #[inline]
    pub fn copies(&self) -> u32 {
        self.placement
            .write_factor
            .min(self.placement.map.count() as u32)
    }

    /// Picks the database node (shard, node) for a query as the web tier sees the nodes
    /// (`stations`: the engine's, for the least-loaded policy).
    #[inline(always)]
    pub fn route_query(
        &mut self,
        kind: RequestKind,
        shard: usize,
        stations: &[Station],
    ) -> Option<usize> {
        let db = self.shards.get_mut(shard)?;
        let master_ok =
            db.nodes[db.master].believed_up && db.nodes[db.master].role == DbRole::Master;
        if kind == RequestKind::Write {
            return master_ok.then_some(db.master);
        }
        let readable =
            |n: &DbNode| n.role == DbRole::Replica && n.believed_up && !n.progress.needs_resync;
        let count = db.nodes.iter().filter(|n| readable(n)).count();
        if count == 0 {
            return master_ok.then_some(db.master);
        }
        match db.read_policy {
            ReadPolicy::RoundRobin => {
                let pick = db.next_read % count;
                db.next_read = db.next_read.wrapping_add(1);
                db.nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| readable(n))
                    .nth(pick)
                    .map(|(i, _)| i)
            }
            ReadPolicy::LeastLoaded => db
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| readable(n))
                .min_by_key(|(_, n)| {
                    let s = &stations[usize::from(n.station)];
                    s.busy + s.waiting
                })
                .map(|(i, _)| i),
        }
    }

    /// What node (shard, node) did with the query `ask` describes, served now: a write
    /// commits there (its key's, or a denormalised copy's, which changes no key) and goes on
    /// to its next copy unless it was the last; a read reads there, and a fan-out goes on to
    /// the next shard unless it asked the last.
    // Inlined into the stack's step after a database node's service (it was there before).
    #[inline(always)]
    pub fn served(&mut self, shard: usize, node: usize, ask: Ask, now: SimTime) -> Served {
        if ask.kind == RequestKind::Write {
            if ask.copy > 0 {
                self.commit_copy(shard, node, now);
            } else {
                self.commit_write(shard, node, ask.key, now);
            }
            return Served::Committed {
                store: self.store,
                key_changed: ask.copy == 0,
                last: u32::from(ask.copy) + 1 >= self.copies(),
            };
        }
        let (version, stale) = self.read_at(shard, node, ask.key, ask.fanout.is_none(), now);
        match ask.fanout {
            Some(asked) if usize::from(asked) + 1 < self.shard_count() => Served::NextShard,
            _ => Served::Read { version, stale },
        }
    }

    /// A write commits on its shard's master.
    #[inline(always)]
    pub fn commit_write(&mut self, shard: usize, node: usize, key: u32, now: SimTime) {
        let db = &mut self.shards[shard];
        db.nodes[node].writes += 1;
        db.replication.commit(&mut self.versions, key, now);
    }

    /// A denormalised copy of a write commits on another shard's master: the master does the
    /// work and its replicas apply it, but no key changes version (the key's own shard holds it).
    pub fn commit_copy(&mut self, shard: usize, node: usize, now: SimTime) {
        let db = &mut self.shards[shard];
        db.nodes[node].writes += 1;
        db.replication.commit_copy(now);
        self.placement.copy_writes += 1;
    }

    /// A read finished at (shard, node): count it, and return the version it saw (for cache
    /// fills; an older version than the latest if the replica lagged) and whether it was stale.
    ///
    /// A cross-shard query (`key_owned` false: it asks every shard, not one key's) reads no
    /// single key, so it has no staleness to judge.
    #[inline(always)]
    pub fn read_at(
        &mut self,
        shard: usize,
        node: usize,
        key: u32,
        key_owned: bool,
        now: SimTime,
    ) -> (u64, bool) {
        let latest = self.versions.last_write(key);
        let db = &mut self.shards[shard];
        let n = &mut db.nodes[node];
        n.reads += 1;
        if n.role != DbRole::Replica {
            return (latest, false);
        }
        if !key_owned {
            db.replica_reads += 1;
            return (latest, false);
        }
        db.replica_reads += 1;
        db.replication.catch_up(&mut n.progress, now);
        if Replication::is_stale(&self.versions, key, n.progress.applied) {
            n.stale_reads += 1;
            db.stale_reads += 1;
            // Some value older than the latest: enough to recognise it as stale later.
            return (latest - 1, true);
        }
        (latest, false)
    }

    /// Brings replicas up to date, records lag, trims logs. Returns (busiest node's
    /// utilization over the interval, largest replica lag in ms).
    pub fn tick(&mut self, now: SimTime, stations: &[Station]) -> (f64, f64) {
        let mut lag_max = 0.0f64;
        let mut busiest = 0.0f64;
        for db in &mut self.shards {
            for n in &mut db.nodes {
                if n.role == DbRole::Replica && n.progress.following {
                    db.replication.catch_up(&mut n.progress, now);
                    let (writes, ms) = db.replication.lag(&n.progress, now);
                    n.lag_writes_max = n.lag_writes_max.max(writes);
                    n.lag_ms_max = n.lag_ms_max.max(ms);
                    lag_max = lag_max.max(ms);
                }
                let s = &stations[usize::from(n.station)];
                busiest = busiest.max(s.interval.utilization(s.workers));
            }
            db.replication.trim(
                db.nodes
                    .iter()
                    .filter(|n| n.role == DbRole::Replica)
                    .map(|n| &n.progress),
            );
        }
        (busiest, lag_max)
    }
}
