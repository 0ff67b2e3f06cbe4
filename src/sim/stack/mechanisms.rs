//! Failure mechanisms switched on or off live (`sync:on`, `breaker:off`, `coalesce:on` in a
//! link; see [`crate::scenario::Mechanism`]): the scenario option changes from now on, as if
//! the run had started with it, and the event log says so.
//!
//! ```text
//!   sync:on      later web services hold their worker across data calls (holds under way
//!                when it goes off end as they would have)
//!   breaker:on   a fresh, closed breaker (LIVE_BREAKER) around the database calls; off: gone
//!   coalesce:on  later misses of a key already being read wait for its fill (at every
//!                cache; coalesce:cache-api:on at that cache alone)
//! ```

use super::super::components::cache_cluster::Caches;
use super::super::components::sync::SyncWorkers;
use super::*;
use crate::scenario::Mechanism;

impl Stack {
    /// Switches `which` on or off now. Coalescing without a cache changes nothing.
    pub(in crate::sim) fn set_mechanism(&mut self, which: Mechanism, on: bool) {
        which.set(&mut self.scenario, on);
        let text = match which {
            Mechanism::SyncCalls => {
                // The counts stay when it goes off: holds under way still end (and are
                // counted) as the requests holding them end.
                if on && self.sync.is_none() {
                    self.sync = Some(SyncWorkers::default());
                }
                if on {
                    "synchronous web workers: from now on a web worker waits for its data calls"
                } else {
                    "asynchronous web workers: from now on a web worker is freed when it hands a request on"
                }
            }
            Mechanism::Breaker => {
                if !on {
                    self.breakers.clear();
                } else if self.breakers.is_empty() {
                    self.breakers = super::breakers_for(&self.scenario);
                }
                if on {
                    "circuit breaker in: failed or slow database calls in a row will open it"
                } else {
                    "circuit breaker out: every database call goes through"
                }
            }
            Mechanism::Coalesce => {
                // At every cache cluster, each with its own in-flight table.
                if self.scenario.cache.is_none() {
                    return;
                }
                if let Some(caches) = self.caches_mut() {
                    for cluster in 0..caches.coalescer_count() {
                        caches.set_coalescing(cluster, on);
                    }
                }
                if on {
                    "request coalescing on: one database read per missed key, other misses wait for its fill"
                } else {
                    "request coalescing off: every miss reads the database"
                }
            }
        };
        self.log_event("mechanisms", text.to_string());
    }

    /// Switches request coalescing on or off at the `cache`-th cache cluster alone (0: the
    /// first, `n`: `more_caches[n - 1]`), and says so in the log by the cache's name; the
    /// other clusters keep theirs. A number the run does not have changes nothing.
    pub(in crate::sim) fn set_coalescing_at(&mut self, cache: usize, on: bool) {
        let clusters = self.caches_mut().map_or(0, |c| c.coalescer_count());
        if self.scenario.cache.is_none() || cache >= clusters {
            return;
        }
        crate::scenario::live::set_coalesce_at(&mut self.scenario, cache, on);
        if let Some(caches) = self.caches_mut() {
            caches.set_coalescing(cache, on);
        }
        let name = match cache {
            0 => "cache",
            n => self.scenario.more_caches[n - 1].name.as_str(),
        };
        let text = if on {
            format!("request coalescing on at {name}: one database read per missed key, other misses wait for its fill")
        } else {
            format!("request coalescing off at {name}: every miss reads the database")
        };
        self.log_event("mechanisms", text);
    }

    /// The cache clusters' built-in component (found by its type, as the CDN edge's purges
    /// find the edge; `None`: no cache).
    fn caches_mut(&mut self) -> Option<&mut Caches> {
        self.built_ins.iter_mut().find_map(BuiltInPart::get_mut)
    }
}
