//! Failure mechanisms switched on or off live (`sync:on`, `breaker:off`, `coalesce:on` in a
//! link; see [`crate::scenario::Mechanism`]): the scenario option changes from now on, as if
//! the run had started with it, and the event log says so.
//!
//! ```text
//!   sync:on      later web services hold their worker across data calls (holds under way
//!                when it goes off end as they would have)
//!   breaker:on   a fresh, closed breaker (LIVE_BREAKER) around the database calls; off: gone
//!   coalesce:on  later misses of a key already being read wait for its fill
//! ```

use super::super::components::coalesce::Coalescer;
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
                // Coalescing works with one cache cluster (validation says so for files).
                if self.scenario.cache.is_none() || !self.scenario.more_caches.is_empty() {
                    return;
                }
                match self.coalescer.as_mut() {
                    Some(co) => co.coalesce = on,
                    None => {
                        self.coalescer =
                            Some(Coalescer::new(self.scenario.traffic.keyspace.keys, on))
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
}
