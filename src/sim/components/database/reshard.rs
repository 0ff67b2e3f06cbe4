//! A resharding's start, as the database clusters' kind decides it: whether a store may
//! reshard now (and the log lines that say so), how many nodes its new shards need, the
//! start of the copy once the stack has placed them, and how far the copy has got.
//!
//! ```text
//!   reshard:<router>:N ─▶ reshard_asked (refused? which store?) ─▶ the stack places
//!   nodes_to_build stations ─▶ start_reshard (new map, copy jobs paced: migration.rs)
//! ```
//!
//! The stack keeps only placing the stations (a component and a station each, in its one
//! table; inside a data center that is down they start down).

use super::clusters::Databases;
use crate::scenario::{Scenario, MAX_SHARDS};
use crate::sim::components::migration::ReshardProgress;
use crate::sim::components::registry::BuiltInEvent;
use crate::sim::kernel::run::{Ctx, Slot};

impl Databases {
    /// A resharding of store `store` to `count` shards is asked for now: the count it goes
    /// to (clamped to 1..=`MAX_SHARDS`), or `None` when it is refused — no such store, no
    /// database, a further store no shard router splits (it keeps its data where it is),
    /// nothing changes, or an earlier one of that store is still copying (noted in the
    /// log). With several stores, the log says which one reshards.
    pub fn reshard_asked<R: Slot, E: Copy>(
        &mut self,
        store: usize,
        count: u32,
        scenario: &Scenario,
        ctx: &mut Ctx<R, E>,
    ) -> Option<usize> {
        let cluster = self.clusters.get_mut(store)?;
        if cluster.spec().is_none() || (store > 0 && scenario.sharding_of(store).is_none()) {
            return None;
        }
        let count = (count as usize).clamp(1, MAX_SHARDS as usize);
        if cluster.reshard_refused(count, ctx) {
            return None;
        }
        if let Some(text) = reshard_sentence(scenario, store, count) {
            ctx.log("database", text);
        }
        Some(count)
    }

    /// How many nodes store `store`'s new shards need to reach `count` shards (each a
    /// master and its replicas), for the stack to place before [`Databases::start_reshard`].
    pub fn nodes_to_build(&self, store: usize, count: usize) -> usize {
        let cluster = &self.clusters[store];
        count.saturating_sub(cluster.shard_count()) * cluster.nodes_per_shard()
    }

    /// Store `store` reshards to `count` shards now, its new shards' nodes placed: the keys
    /// whose shard changes are copied at its sharding's `migration_keys_per_s` (see
    /// `migration.rs`), and `scenario` says the new count.
    pub fn start_reshard<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        store: usize,
        count: usize,
        scenario: &mut Scenario,
        ctx: &mut Ctx<R, E>,
    ) {
        self.clusters[store].start_reshard(count, ctx);
        let sharding = match store {
            0 => scenario.sharding.as_mut(),
            n => scenario.more_databases[n - 1].sharding.as_mut(),
        };
        if let Some(s) = sharding {
            s.shards = count as u32;
        }
    }

    /// The latest resharding of store `store` and how far its copy has got (`None`: no
    /// such store, or none yet).
    pub fn reshard_progress(&self, store: usize) -> Option<ReshardProgress> {
        self.clusters.get(store)?.reshard_progress()
    }
}

/// With several databases, the log line that says which store reshards (`None`: one
/// database). With one shard router, as before further routers existed.
fn reshard_sentence(scenario: &Scenario, store: usize, count: usize) -> Option<String> {
    let more = &scenario.more_databases;
    if more.is_empty() {
        return None;
    }
    let (db, router) = match store {
        0 => ("db".to_string(), "the shard router".to_string()),
        n => {
            let m = &more[n - 1];
            (m.name.clone(), format!("shard router {}", m.router_name()?))
        }
    };
    let others: Vec<&str> = std::iter::once("db")
        .chain(more.iter().map(|m| m.name.as_str()))
        .enumerate()
        .filter(|&(i, _)| i != store)
        .map(|(_, name)| name)
        .collect();
    Some(format!(
        "resharding {db} (behind {router}) to {count} shards; {} {} data where it is",
        others.join(", "),
        if others.len() > 1 {
            "keep their"
        } else {
            "keeps its"
        }
    ))
}
