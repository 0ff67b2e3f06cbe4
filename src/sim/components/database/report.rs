//! The cluster's figures: a node's state for the snapshot, run totals, memory held and its
//! report section.

use super::*;

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

    /// Whether one of its nodes is named `name`.
    pub fn has_node_named(&self, name: &str) -> bool {
        self.shards
            .iter()
            .any(|db| db.nodes.iter().any(|n| n.name == name))
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

    /// The cluster's report section (`None`: no database); `stations` are the engine's,
    /// `failovers` the run's books.
    pub fn report(&self, stations: &[Station], failovers: &[Failover]) -> Option<DatabaseReport> {
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
            failovers: failovers.to_vec(),
        })
    }
}

impl KeyVersions {
    /// Forgets `key`'s history (its data was copied to another shard).
    pub fn reset(&mut self, key: u32) {
        self.set(key, 0);
    }
}
