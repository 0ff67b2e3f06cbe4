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
    #[inline]
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

/// A shard's database node, read back from its name: which database, which shard, which
/// node (see [`shard_node`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardNode<'a> {
    /// The database it is a shard of: `""` for the first database (`shard-S-db-N`), else the
    /// further database's name (`orders` for `orders-shard-S-N`).
    pub store: &'a str,
    /// Its shard, S.
    pub shard: u32,
    /// Its number in the shard, N (0: the shard's first master).
    pub node: u32,
}

/// Reads a sharded database node's name, as [`db_node_name`] and [`further_db_node_name`]
/// write it: `shard-S-db-N` (the first database's) or `<store>-shard-S-N` (a further
/// database's, behind a shard router of its own), S and N decimal digits that fit a `u32`.
/// Anything else — an unsharded node (`db-0`, `orders-1`), a missing or signed number, other
/// text after N, an empty store name — is `None`. The name is read as given: a data center's `us-east/` before it
/// is the caller's to take off (else it stays in `store`).
pub fn shard_node(name: &str) -> Option<ShardNode<'_>> {
    let number = |text: &str| {
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<u32>().ok())
            .flatten()
    };
    let first = name
        .strip_prefix("shard-")
        .and_then(|rest| rest.split_once("-db-"));
    if let Some((shard, node)) = first {
        if let (Some(shard), Some(node)) = (number(shard), number(node)) {
            return Some(ShardNode {
                store: "",
                shard,
                node,
            });
        }
    }
    // The last `-shard-`: the store's own name may hold one, the numbers after it cannot.
    let (store, rest) = name.rsplit_once("-shard-")?;
    let (shard, node) = rest.split_once('-')?;
    if store.is_empty() {
        return None; // no store is unnamed: "" stands for the first database
    }
    Some(ShardNode {
        store,
        shard: number(shard)?,
        node: number(node)?,
    })
}
