//! Where keys live: the shard map (modulo or consistent hashing) and the data's placement
//! over the shards, with the names of database nodes.

use super::*;

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
    #[inline]
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

/// The name of node `node` of shard `shard` of the further database named `stem`:
/// `<stem>-<node>` unsharded, `<stem>-shard-<shard>-<node>` behind a shard router of its own.
pub fn further_db_node_name(stem: &str, sharded: bool, shard: usize, node: usize) -> String {
    if sharded {
        format!("{stem}-shard-{shard}-{node}")
    } else {
        format!("{stem}-{node}")
    }
}
