//! The cluster's figures: a node's state for the snapshot, run totals, memory held and its
//! report section.

use super::*;
use crate::sim::cost::{Bill, PRICES};
use crate::sim::report::{DataStoreReport, NamedDatabaseReport};

impl DatabaseCluster {
    /// Role, lag (writes, ms) and stale reads of database node (shard, node) at `now`.
    pub fn node_state(&self, shard: usize, node: usize, now: SimTime) -> (DbRole, u64, f64, u64) {
        let db = &self.shards[shard];
        let n = &db.nodes[node];
        if n.role == DbRole::Master {
            return (DbRole::Master, 0, 0.0, n.stale_reads);
        }
        let mut progress = n.progress.clone();
        db.replication.catch_up(&mut progress, now);
        let (writes, ms) = db.replication.lag(&progress, now);
        (n.role, writes, ms, n.stale_reads)
    }

    /// Writes committed on every shard.
    pub fn writes_committed(&self) -> u64 {
        self.shards.iter().map(|d| d.replication.committed).sum()
    }

    /// Committed writes lost in failovers.
    pub fn writes_lost(&self) -> u64 {
        self.shards.iter().map(|d| d.replication.lost).sum()
    }

    /// Reads that saw an old value.
    pub fn stale_reads(&self) -> u64 {
        self.shards.iter().map(|d| d.stale_reads).sum()
    }

    /// Nodes over every shard.
    pub fn node_count(&self) -> usize {
        self.shards.iter().map(|t| t.nodes.len()).sum()
    }

    /// Keys held, counting every copy (each node of a shard holds its keys).
    pub fn keys_held(&self) -> f64 {
        self.shards
            .iter()
            .map(|t| t.keys as f64 * t.nodes.len() as f64)
            .sum()
    }

    /// Bytes of memory held by the key versions and a resharding under way.
    pub fn heap_bytes(&self) -> usize {
        self.versions.heap_bytes()
            + self
                .placement
                .migration
                .as_ref()
                .map_or(0, |m| m.heap_bytes())
    }

    /// The cluster's report section (`None`: no database); `stations` are the engine's.
    pub fn report(&self, stations: &[Station]) -> Option<DatabaseReport> {
        if self.shards.is_empty() {
            return None;
        }
        let nodes = self
            .shards
            .iter()
            .flat_map(|db| &db.nodes)
            .map(|n| ReplicaReport {
                name: n.name.clone(),
                role: n.role,
                reads: n.reads,
                writes: n.writes,
                stale_reads: n.stale_reads,
                lag_ms_max: n.lag_ms_max,
                lag_writes_max: n.lag_writes_max,
            })
            .collect::<Vec<_>>();
        let shards = self
            .shards
            .iter()
            .enumerate()
            .map(|(i, db)| {
                let master = &db.nodes[db.master];
                let utilization = db
                    .nodes
                    .iter()
                    .map(|n| {
                        let s = &stations[usize::from(n.station)];
                        s.total.utilization(s.workers)
                    })
                    .fold(0.0, f64::max);
                ShardReport {
                    shard: i as u32,
                    master: master.name.clone(),
                    keys: db.keys,
                    reads: db.nodes.iter().map(|n| n.reads).sum(),
                    writes: db.nodes.iter().map(|n| n.writes).sum(),
                    busiest_node_utilization: utilization,
                }
            })
            .collect();
        Some(DatabaseReport {
            writes_committed: self.writes_committed(),
            writes_lost: self.writes_lost(),
            stale_reads: self.stale_reads(),
            replica_reads: self.shards.iter().map(|d| d.replica_reads).sum(),
            nodes,
            shards,
            reshards: self.placement.reshards.clone(),
            failovers: self.failovers.clone(),
        })
    }

    /// A further database's entry of the report's `more_databases` (`None`: no shard
    /// built); its `breaker` is the stack's to write.
    pub fn named_report(&self, stations: &[Station]) -> Option<NamedDatabaseReport> {
        Some(NamedDatabaseReport {
            name: self.stem.clone()?,
            router: self.router.clone(),
            database: self.report(stations)?,
            breaker: None,
        })
    }

    /// The data store's section as the first database writes it (`None`: no database):
    /// its kind, joins, denormalised copies; the NoSQL stores write their part later.
    pub fn data_store_report(&self) -> Option<DataStoreReport> {
        let spec = self.spec.as_ref()?;
        let p = &self.placement;
        let writes = self.writes_committed();
        Some(DataStoreReport {
            kind: spec.kind.name().to_string(),
            cross_shard_reads: p.joins,
            joins_avoided: p.joins_avoided,
            write_factor: p.write_factor,
            writes,
            copy_writes: p.copy_writes,
            write_amplification: if writes == 0 {
                1.0
            } else {
                (writes + p.copy_writes) as f64 / writes as f64
            },
            nosql: None,
            more_nosql: Vec::new(),
        })
    }

    /// Its lines of the bill over `hours`: its nodes' worker-hours (`label`: the line's
    /// name) and the data they store.
    pub fn bill(&self, label: String, hours: f64, bill: &mut Bill) {
        let Some(spec) = &self.spec else {
            return;
        };
        bill.add(
            label,
            self.node_count() as f64 * f64::from(spec.workers) * spec.speed * hours,
            "worker-hours",
            PRICES.db_worker_hour,
        );
        bill.add_storage("stored data", self.keys_held(), hours);
    }
}

impl KeyVersions {
    /// Forgets `key`'s history (its data was copied to another shard).
    pub fn reset(&mut self, key: u32) {
        self.set(key, 0);
    }
}
