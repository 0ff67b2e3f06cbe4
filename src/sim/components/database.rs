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

use crate::scenario::{Database, ReadPolicy, ShardStrategy, Sharding};
use crate::sim::components::migration::Migration;
use crate::sim::components::replication::{KeyVersions, ReplicaProgress, Replication};
use crate::sim::components::station::Station;
use crate::sim::handle::Engine;
use crate::sim::kernel::rng::Sampler;
use crate::sim::kernel::time::SimTime;
use crate::sim::report::Failover;
use crate::sim::ring::HashRing;
use crate::sim::stack::{Event, Stack, Tier};
use crate::sim::{ComponentKind, DbRole, RequestKind};

/// Station index of a database node: shard × 32 + node (a shard has at most 17 nodes).
pub(in crate::sim) fn db_index(shard: usize, node: usize) -> u16 {
    (shard * 32 + node) as u16
}

/// (shard, node) of a database station index.
pub(in crate::sim) fn db_of_index(index: u16) -> (usize, usize) {
    (usize::from(index) / 32, usize::from(index) % 32)
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
    pub detection: SimTime,
    promotion: SimTime,
    /// Bumped to cancel a pending promotion.
    promotion_epoch: u32,
    /// When the current master died (for the failover record).
    pub master_down_at: Option<SimTime>,
    pub stale_reads: u64,
    pub replica_reads: u64,
    /// Keys this shard holds (by the current map).
    pub keys: u64,
}

/// Which shard holds a key.
#[derive(Clone)]
pub(in crate::sim) struct ShardMap {
    strategy: ShardStrategy,
    count: usize,
    virtual_nodes: u32,
    ring: Option<HashRing>,
}

impl ShardMap {
    fn new(strategy: ShardStrategy, count: usize, virtual_nodes: u32) -> ShardMap {
        let ring = (strategy == ShardStrategy::ConsistentHash)
            .then(|| HashRing::new(count as u16, virtual_nodes));
        ShardMap {
            strategy,
            count,
            virtual_nodes,
            ring,
        }
    }

    /// The shard of `key`.
    pub fn shard_of(&self, key: u32) -> usize {
        match &self.ring {
            Some(ring) => usize::from(ring.node_for(u64::from(key))),
            None => key as usize % self.count,
        }
    }

    /// Number of shards.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The same strategy over `count` shards.
    pub(in crate::sim) fn resized(&self, count: usize) -> ShardMap {
        ShardMap::new(self.strategy, count, self.virtual_nodes)
    }
}

/// Everything the database tier needs besides its shards.
#[derive(Clone)]
pub(in crate::sim) struct DataPlacement {
    pub map: ShardMap,
    /// Celebrity keys: (key, cumulative share).
    pub hot_keys: Vec<(u32, f64)>,
    /// Share of reads that query every shard.
    pub cross_shard_share: f64,
    /// Copies of every record (1: not denormalised).
    pub write_factor: u32,
    /// Reads that joined data of every shard.
    pub joins: u64,
    /// Reads that would have joined but read one denormalised shard instead.
    pub joins_avoided: u64,
    /// Copy writes made for denormalised data (beyond the write on the key's own shard).
    pub copy_writes: u64,
    /// Keys that moved in reshardings, and the keyspace size at each.
    pub reshards: Vec<crate::sim::report::Reshard>,
    /// The resharding whose keys are being copied now.
    pub migration: Option<Box<Migration>>,
}

impl DataPlacement {
    pub fn new(sharding: Option<&Sharding>) -> DataPlacement {
        let (strategy, count, vnodes) = sharding.map_or((ShardStrategy::Modulo, 1, 1), |s| {
            (s.strategy, s.shards as usize, s.virtual_nodes)
        });
        let mut acc = 0.0;
        let hot_keys = sharding
            .map(|s| {
                s.hot_keys
                    .iter()
                    .map(|h| {
                        acc += h.share;
                        (h.key, acc)
                    })
                    .collect()
            })
            .unwrap_or_default();
        DataPlacement {
            map: ShardMap::new(strategy, count, vnodes),
            hot_keys,
            cross_shard_share: sharding.map_or(0.0, |s| s.cross_shard_share),
            write_factor: sharding
                .and_then(|s| s.denormalise.as_ref())
                .map_or(1, |d| d.write_factor.max(1)),
            joins: 0,
            joins_avoided: 0,
            copy_writes: 0,
            reshards: Vec::new(),
            migration: None,
        }
    }

    /// The shard that serves `key` now: its old shard while a resharding has not copied it
    /// yet, else the one the map names.
    pub fn shard_of(&self, key: u32) -> usize {
        if let Some(shard) = self.migration.as_ref().and_then(|m| m.old_shard_of(key)) {
            return shard;
        }
        self.map.shard_of(key)
    }
}

/// The name of node `node` of shard `shard` (`db-N` with one shard).
pub fn db_node_name(sharded: bool, shard: usize, node: usize) -> String {
    if sharded {
        format!("shard-{shard}-db-{node}")
    } else {
        format!("db-{node}")
    }
}

impl Stack {
    /// Builds shard `shard` of the database tier.
    pub(in crate::sim) fn build_shard(&mut self, spec: &Database, shard: usize, sharded: bool) {
        let mut nodes = Vec::new();
        for i in 0..=spec.replicas as usize {
            let name = db_node_name(sharded, shard, i);
            let id = self.add_component(name.clone(), ComponentKind::Database);
            let mut station = Station::new(spec.workers, spec.queue_capacity);
            station.speed = spec.speed;
            let s = self.add_station(id, Tier::Db, db_index(shard, i), station);
            nodes.push(DbNode {
                station: s,
                name,
                role: if i == 0 {
                    DbRole::Master
                } else {
                    DbRole::Replica
                },
                believed_up: true,
                progress: ReplicaProgress {
                    following: i > 0,
                    ..Default::default()
                },
                reads: 0,
                writes: 0,
                stale_reads: 0,
                lag_ms_max: 0.0,
                lag_writes_max: 0,
            });
        }
        self.shards.push(DbTier {
            nodes,
            master: 0,
            replication: Replication::new(
                SimTime::from_millis_f64(spec.replication.delay_ms),
                SimTime::from_millis_f64(spec.replication.apply_ms),
            ),
            read: Sampler::new(&spec.read),
            write: Sampler::new(&spec.write),
            read_policy: spec.read_policy,
            next_read: 0,
            detection: SimTime::from_millis_f64(spec.failover.detection_ms),
            promotion: SimTime::from_millis_f64(spec.failover.promotion_ms),
            promotion_epoch: 0,
            master_down_at: None,
            stale_reads: 0,
            replica_reads: 0,
            keys: 0,
        });
    }

    /// Counts the keys each shard serves now.
    pub(in crate::sim) fn count_shard_keys(&mut self) {
        for db in &mut self.shards {
            db.keys = 0;
        }
        for key in 0..self.scenario.traffic.keyspace.keys {
            let s = self.placement.shard_of(key);
            self.shards[s].keys += 1;
        }
    }

    /// A key for a data request: a celebrity key with its share, else the Zipf keyspace.
    pub(in crate::sim) fn draw_key(&mut self) -> u32 {
        if !self.placement.hot_keys.is_empty() {
            let u = self.rng.unit();
            if let Some(&(key, _)) = self.placement.hot_keys.iter().find(|(_, c)| u < *c) {
                return key;
            }
        }
        self.keys.sample(&mut self.rng) - 1
    }

    /// Picks the database node (shard, node) for a query as the web tier sees the nodes.
    pub(in crate::sim) fn route_query(&mut self, kind: RequestKind, shard: usize) -> Option<usize> {
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
            ReadPolicy::LeastLoaded => {
                let stations = &self.stations;
                db.nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| readable(n))
                    .min_by_key(|(_, n)| {
                        let s = &stations[usize::from(n.station)];
                        s.busy + s.waiting
                    })
                    .map(|(i, _)| i)
            }
        }
    }

    /// A write commits on its shard's master.
    pub(in crate::sim) fn commit_write(&mut self, shard: usize, node: usize, key: u32) {
        let now = self.now();
        let db = &mut self.shards[shard];
        db.nodes[node].writes += 1;
        db.replication.commit(&mut self.versions, key, now);
    }

    /// A denormalised copy of a write commits on another shard's master: the master does the
    /// work and its replicas apply it, but no key changes version (the key's own shard holds it).
    pub(in crate::sim) fn commit_copy(&mut self, shard: usize, node: usize) {
        let now = self.now();
        let db = &mut self.shards[shard];
        db.nodes[node].writes += 1;
        db.replication.commit_copy(now);
        self.placement.copy_writes += 1;
    }

    /// A read finished at (shard, node): count it, and return the version it saw (for cache
    /// fills; an older version than the latest if the replica lagged).
    ///
    /// A cross-shard query (`key_owned` false: it asks every shard, not one key's) reads no
    /// single key, so it has no staleness to judge.
    pub(in crate::sim) fn read_at(
        &mut self,
        shard: usize,
        node: usize,
        key: u32,
        key_owned: bool,
    ) -> (u64, bool) {
        let now = self.now();
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
    pub(in crate::sim) fn db_tick(&mut self) -> (f64, f64) {
        let now = self.now();
        let stations = &self.stations;
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

    pub(in crate::sim) fn on_db_detected(&mut self, shard: u16, node: u16, epoch: u32, up: bool) {
        let now = self.now();
        let Some(db) = self.shards.get_mut(usize::from(shard)) else {
            return;
        };
        let n = &mut db.nodes[usize::from(node)];
        let s = &self.stations[usize::from(n.station)];
        if s.epoch != epoch || s.alive != up || n.believed_up == up {
            return; // the node changed again since; a later detection will report it
        }
        n.believed_up = up;
        let name = n.name.clone();
        if up {
            self.log_event(&name, format!("{name} seen healthy again by the web tier"));
            return;
        }
        let is_master = usize::from(node) == db.master && n.role == DbRole::Master;
        if is_master {
            db.promotion_epoch = db.promotion_epoch.wrapping_add(1);
            let epoch = db.promotion_epoch;
            let at = now.plus(db.promotion);
            self.events.push(at, Event::Promote { shard, epoch });
            self.log_event(
                &name,
                format!("master {name} down detected; writes fail until a replica is promoted"),
            );
        } else {
            self.log_event(
                &name,
                format!("replica {name} down detected; reads go elsewhere"),
            );
        }
    }

    pub(in crate::sim) fn on_promote(&mut self, shard: u16, epoch: u32) {
        let now = self.now();
        let stations = &self.stations;
        let Some(db) = self.shards.get_mut(usize::from(shard)) else {
            return;
        };
        if epoch != db.promotion_epoch {
            return;
        }
        let old = db.master;
        if stations[usize::from(db.nodes[old].station)].alive {
            return; // the master came back before the promotion finished
        }
        for n in &mut db.nodes {
            if n.role == DbRole::Replica && stations[usize::from(n.station)].alive {
                db.replication.catch_up(&mut n.progress, now);
            }
        }
        let candidate = db
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.role == DbRole::Replica
                    && stations[usize::from(n.station)].alive
                    && !n.progress.needs_resync
            })
            .max_by_key(|(i, n)| (n.progress.applied, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        let down_at = db.master_down_at.take();
        let old_name = db.nodes[old].name.clone();
        let Some(new) = candidate else {
            self.log_event(
                &old_name,
                format!("no healthy replica to promote: writes fail until {old_name} returns"),
            );
            return;
        };
        let applied = db.nodes[new].progress.applied;
        let lost = db.replication.truncate_to(&mut self.versions, applied);
        db.nodes[old].role = DbRole::Replica;
        db.nodes[old].progress.following = false;
        db.nodes[old].progress.needs_resync = true;
        let n = &mut db.nodes[new];
        n.role = DbRole::Master;
        n.progress.following = false;
        let new_name = n.name.clone();
        db.master = new;
        for n in &mut db.nodes {
            // A dead replica that had applied writes now lost holds data no one else has.
            if n.role == DbRole::Replica && n.progress.applied > applied {
                n.progress.needs_resync = true;
            }
        }
        self.kernel.books.failovers.push(Failover {
            old_master: old_name.clone(),
            new_master: new_name.clone(),
            down_at_s: down_at.map_or(0.0, |t| t.as_secs_f64()),
            promoted_at_s: now.as_secs_f64(),
            outage_s: down_at.map_or(0.0, |t| now.since(t).as_secs_f64()),
            writes_lost: lost,
        });
        self.log_event(
            &new_name,
            format!("{new_name} promoted to master; {lost} writes committed on {old_name} never reached it and are lost"),
        );
    }

    /// A database node died: stop its replication, start the failure detection. Returns text
    /// for the event log.
    /// Database node (shard, node) serves `factor` times slower from now on; as a replica it
    /// applies the writes it has not applied yet that much slower too.
    pub(in crate::sim) fn db_node_slowed(&mut self, shard: usize, node: usize, factor: f64) {
        let now = self.now();
        let db = &mut self.shards[shard];
        let n = &mut db.nodes[node];
        // Writes finished before now were applied at the old speed.
        db.replication.catch_up(&mut n.progress, now);
        n.progress.slowdown = (factor != 1.0).then_some(factor);
    }

    pub(in crate::sim) fn db_node_died(
        &mut self,
        shard: usize,
        node: usize,
        epoch: u32,
    ) -> &'static str {
        let now = self.now();
        let db = &mut self.shards[shard];
        let n = &mut db.nodes[node];
        db.replication.catch_up(&mut n.progress, now);
        n.progress.following = false;
        let mut text = "";
        if node == db.master {
            db.master_down_at = Some(now);
            db.replication.cut_off(now);
            text = "; it is the master: writes fail until failover";
        }
        let at = now.plus(db.detection);
        self.events.push(
            at,
            Event::DbDetected {
                shard: shard as u16,
                node: node as u16,
                epoch,
                up: false,
            },
        );
        text
    }

    /// A database node came back: a replica catches up (or copies a snapshot); a master that
    /// returns before any promotion resumes streaming. Returns text for the event log.
    pub(in crate::sim) fn db_node_returned(
        &mut self,
        shard: usize,
        node: usize,
        epoch: u32,
    ) -> String {
        let now = self.now();
        let db = &mut self.shards[shard];
        let master_name = db.nodes[db.master].name.clone();
        let n = &mut db.nodes[node];
        let mut text = String::new();
        if n.role == DbRole::Replica {
            n.progress.following = true;
            if n.progress.needs_resync {
                db.replication.resync(&mut n.progress, now);
                text = format!("; rejoins as a replica of {master_name} after copying a snapshot");
            } else {
                n.progress.busy_until = n.progress.busy_until.max(now);
                text.push_str("; catching up on the writes it missed");
            }
        } else if node == db.master {
            // Back before any promotion: it streams its writes again and nothing is lost.
            db.promotion_epoch = db.promotion_epoch.wrapping_add(1);
            db.master_down_at = None;
            db.replication.restore_stream();
        }
        let at = now.plus(db.detection);
        self.events.push(
            at,
            Event::DbDetected {
                shard: shard as u16,
                node: node as u16,
                epoch,
                up: true,
            },
        );
        text
    }

    /// Role, lag (writes, ms) and stale reads of database node (shard, node).
    pub(in crate::sim) fn db_node_state(
        &self,
        shard: usize,
        node: usize,
    ) -> (DbRole, u64, f64, u64) {
        let db = &self.shards[shard];
        let n = &db.nodes[node];
        if n.role == DbRole::Master {
            return (DbRole::Master, 0, 0.0, n.stale_reads);
        }
        let mut progress = n.progress.clone();
        db.replication.catch_up(&mut progress, self.now());
        let (writes, ms) = db.replication.lag(&progress, self.now());
        (n.role, writes, ms, n.stale_reads)
    }

    /// Reshards the data tier to `count` shards now: new shards start empty and are built
    /// like the others, and the keys whose shard changes are copied to it at the scenario's
    /// `migration_keys_per_s` (see `migration.rs`). Refused while an earlier one is copying.
    pub fn reshard(&mut self, count: u32) {
        let Some(spec) = self.scenario.database.clone() else {
            return;
        };
        let count = (count as usize).clamp(1, crate::scenario::MAX_SHARDS as usize);
        let old = self.placement.map.count;
        if count == old || self.migration_busy(count) {
            return;
        }
        while self.shards.len() < count {
            let shard = self.shards.len();
            self.build_shard(&spec, shard, true);
        }
        let new_map = self.placement.map.resized(count);
        let old_map = std::mem::replace(&mut self.placement.map, new_map);
        let run = self.placement.reshards.len() as u32;
        let moved = self.start_migration(old_map, run);
        let mut record = self.reshard_record(old, count, moved);
        if moved == 0 {
            record.finished_at_s = Some(record.at_s);
            record.duration_s = Some(0.0);
        }
        let (fraction, rate) = (record.fraction_moved, record.migration_keys_per_s);
        self.placement.reshards.push(record);
        self.count_shard_keys();
        if let Some(s) = self.scenario.sharding.as_mut() {
            s.shards = count as u32;
        }
        let keys = self.scenario.traffic.keyspace.keys;
        self.log_event(
            "database",
            format!(
                "resharding {old} → {count} shards started: {moved} of {keys} keys ({:.1}%) move, copied at {rate} keys/s (about {:.0} s)",
                fraction * 100.0,
                moved as f64 / rate
            ),
        );
    }
}

impl KeyVersions {
    /// Forgets `key`'s history (its data was copied to another shard).
    pub fn reset(&mut self, key: u32) {
        self.set(key, 0);
    }
}
