//! The cache-stampede cause: a hot key that expires (or a cache that is flushed) while many
//! requests want it, so its misses all read the database at once — each while the first
//! read is still under way. Seen where the cache counts such reads (`cache.coalesce` set, or
//! switched live): the snapshot's `stampede` is the last interval's most reads of one key.
//!
//! ```text
//!   key 0 expires ─▶ 12 misses within one database read ─▶ 12 reads of key 0 at db-0
//!   coalescing on ─▶ 1 read, 11 wait for its fill ─▶ no stampede
//! ```

use super::{Cause, Diagnoser, Observation, Step, STAMPEDE_READS};
use crate::format::grouped;
use crate::sim::ComponentKind;

impl Diagnoser {
    /// Opens a stampede incident when the last interval saw at least [`STAMPEDE_READS`]
    /// database reads of one key at once, naming the key, the reads and the database.
    pub(super) fn open_stampede(&mut self, before: &Observation, now: &Observation) {
        if now.stampede.reads < STAMPEDE_READS
            || self.is_open(|o| matches!(o.incident.cause, Cause::Stampede { .. }))
        {
            return;
        }
        let database = now
            .components
            .iter()
            .enumerate()
            .filter(|(i, c)| self.kinds[*i] == ComponentKind::Database && c.alive)
            .max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization))
            .map_or_else(
                || "the database".to_string(),
                |(i, _)| self.names[i].clone(),
            );
        let cause = Cause::Stampede {
            key: now.stampede.key,
            reads: now.stampede.reads,
            database,
        };
        self.start(cause, None, now.t_s, before);
    }
}

/// The chain's first steps and the cause's sentence.
pub(super) fn describe(key: u32, reads: u32, database: &str, chain: &mut Vec<Step>) -> String {
    chain.push(Step {
        component: "cache".to_string(),
        text: format!(
            "key {key} was missing from the cache (expired or flushed) while many requests wanted it: {} of its misses read {database} at once, each while the first read was still under way",
            grouped(u64::from(reads))
        ),
    });
    chain.push(Step {
        component: database.to_string(),
        text:
            "one read per key would do (cache.coalesce = true: the other misses wait for its fill)"
                .to_string(),
    });
    format!(
        "a cache stampede: {} misses of key {key} read {database} at once",
        grouped(u64::from(reads))
    )
}
