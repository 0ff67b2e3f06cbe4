//! Synchronous web workers: a web worker that hands its request to the session store, the
//! cache or the database stays held until the answer comes back (or the request ends), as a
//! thread-per-request server blocked on its data calls does. A slow data tier then fills
//! the web pool with workers that wait, and requests queue at the web tier although its CPUs
//! are idle — the classic cascading failure. Off (`server.sync_calls` false), the worker is
//! freed when it hands the request on, as an asynchronous server does.
//!
//! ```text
//!   web worker: [ service ] ──▶ data call … waiting … answer ──▶ freed      (sync)
//!   web worker: [ service ] ──▶ freed                                       (async)
//! ```
//!
//! The engine keeps the worker counted busy at its station; this part counts the holds.

use crate::sim::report::SyncReport;

/// The web tier's workers held across data calls.
#[derive(Clone, Debug, Default)]
pub(in crate::sim) struct SyncWorkers {
    /// Holds begun (web services whose request went on to the data tier).
    holds: u64,
    /// Holds ended.
    freed: u64,
    /// Sum of the ended holds' lengths, ns.
    held_ns: u128,
    /// Workers held now.
    held_now: u32,
    /// Most workers held at once.
    held_max: u32,
}

impl SyncWorkers {
    /// A web worker is held from now on.
    pub fn hold(&mut self) {
        self.holds += 1;
        self.held_now += 1;
        self.held_max = self.held_max.max(self.held_now);
    }

    /// A hold of `held_ns` ends.
    pub fn free(&mut self, held_ns: u64) {
        self.freed += 1;
        self.held_now = self.held_now.saturating_sub(1);
        self.held_ns += u128::from(held_ns);
    }

    /// A web server died: its `count` holds end without their answers.
    pub fn dropped(&mut self, count: u32) {
        self.held_now = self.held_now.saturating_sub(count);
    }

    /// Adds another data center's counts (stage 11's report). The most held at once is
    /// summed too: an upper bound of the world's, since the data centers' peaks may differ
    /// in time.
    pub fn add(&mut self, other: &SyncWorkers) {
        self.holds += other.holds;
        self.freed += other.freed;
        self.held_ns += other.held_ns;
        self.held_now += other.held_now;
        self.held_max += other.held_max;
    }

    /// Workers held now.
    pub fn held_now(&self) -> u32 {
        self.held_now
    }

    /// The report section.
    pub fn report(&self) -> SyncReport {
        SyncReport {
            holds: self.holds,
            mean_hold_ms: if self.freed == 0 {
                0.0
            } else {
                self.held_ns as f64 / self.freed as f64 / 1e6
            },
            held_max: self.held_max,
            held_at_end: self.held_now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_are_counted_and_their_mean_length_kept() {
        let mut s = SyncWorkers::default();
        s.hold();
        s.hold();
        s.free(2_000_000);
        s.hold();
        s.free(4_000_000);
        let r = s.report();
        assert_eq!((r.holds, r.held_max, r.held_at_end), (3, 2, 1));
        assert!((r.mean_hold_ms - 3.0).abs() < 1e-12);
        s.dropped(1);
        assert_eq!(s.report().held_at_end, 0);
    }
}
