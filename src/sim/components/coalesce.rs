//! Cache stampedes and request coalescing. When a hot key expires, every read of it that
//! misses before the first fill goes to the database: a stampede. Coalescing keeps one read
//! per key in flight (the leader); later misses of the key wait for its fill and are answered
//! with it.
//!
//! ```text
//!   miss k ─▶ leader of k in flight? ──no──▶ becomes the leader ─▶ database ─▶ fill ─┐
//!                 │yes                                                              │
//!                 ├─ coalesce: wait ◀──────────── answered with the fill ◀──────────┘
//!                 └─ otherwise: database too (a duplicate read, counted)
//! ```
//!
//! A leader is a request reference checked by generation, so a leader that failed or was
//! abandoned is simply replaced by the next miss of its key. Waiters sit in one list (few
//! keys are hot at once); they keep their client timeouts.

use crate::sim::components::station::ReqRef;
use crate::sim::report::StampedeReport;

const NO_LEADER: ReqRef = ReqRef {
    slot: u32::MAX,
    gen: 0,
};

/// Per key, the read in flight; the misses waiting for it.
#[derive(Clone)]
pub(in crate::sim) struct Coalescer {
    /// Whether misses wait for the leader (false: only counted).
    pub coalesce: bool,
    /// Per key: its leader (`slot == u32::MAX`: none).
    leaders: Vec<ReqRef>,
    /// Per key: misses beyond the leader since it started.
    followers: Vec<u32>,
    /// (key, request) of misses waiting for their key's fill.
    waiting: Vec<(u32, ReqRef)>,
    duplicate_db_reads: u64,
    coalesced: u64,
    max_per_key: u32,
    /// This metrics interval: the most database reads of one key at once (key, reads).
    interval_peak: StampedePeak,
    /// The last complete interval's.
    last_peak: StampedePeak,
}

/// The most database reads of one key under way at once over a metrics interval (a miss that
/// reads while the key's first read is still under way adds one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StampedePeak {
    /// The key (0 is the most requested).
    pub key: u32,
    /// Reads of it under way at once (0: no key was missed twice at once).
    pub reads: u32,
}

/// What a miss of a key does.
pub(in crate::sim) enum OnMiss {
    /// Read the database (and fill the cache).
    Read,
    /// Wait for the leader's fill.
    Wait,
}

impl Coalescer {
    /// No read in flight, over `keys` keys.
    pub fn new(keys: u32, coalesce: bool) -> Coalescer {
        Coalescer {
            coalesce,
            leaders: vec![NO_LEADER; keys as usize],
            followers: vec![0; keys as usize],
            waiting: Vec::new(),
            duplicate_db_reads: 0,
            coalesced: 0,
            max_per_key: 0,
            interval_peak: StampedePeak::default(),
            last_peak: StampedePeak::default(),
        }
    }

    /// A metrics interval ends: its peak becomes the last interval's.
    pub fn close_interval(&mut self) {
        self.last_peak = std::mem::take(&mut self.interval_peak);
    }

    /// The last complete interval's most reads of one key at once.
    pub fn last_peak(&self) -> StampedePeak {
        self.last_peak
    }

    /// `req` missed `key`; `leading(r)` says whether request `r` is still reading the
    /// database for that key.
    pub fn on_miss(&mut self, key: u32, req: ReqRef, leading: impl Fn(ReqRef) -> bool) -> OnMiss {
        let k = key as usize;
        let leader = self.leaders[k];
        if leader.slot == u32::MAX || !leading(leader) {
            self.leaders[k] = req;
            self.followers[k] = 0;
            return OnMiss::Read;
        }
        self.followers[k] += 1;
        self.max_per_key = self.max_per_key.max(self.followers[k]);
        if self.coalesce {
            self.coalesced += 1;
            self.waiting.push((key, req));
            OnMiss::Wait
        } else {
            self.duplicate_db_reads += 1;
            let reads = self.followers[k] + 1;
            if reads > self.interval_peak.reads {
                self.interval_peak = StampedePeak { key, reads };
            }
            OnMiss::Read
        }
    }

    /// `req`'s read of `key` filled the cache: if it was the leader, the key has no read in
    /// flight any more. Moves the misses waiting for `key` into `out`.
    pub fn on_fill(&mut self, key: u32, req: ReqRef, out: &mut Vec<ReqRef>) {
        let k = key as usize;
        if self.leaders[k] == req {
            self.leaders[k] = NO_LEADER;
        }
        let mut i = 0;
        while i < self.waiting.len() {
            if self.waiting[i].0 == key {
                out.push(self.waiting.swap_remove(i).1);
            } else {
                i += 1;
            }
        }
    }

    /// Requests waiting now (they are in flight).
    #[cfg(test)]
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// The report's `cache.stampede`.
    pub fn report(&self) -> StampedeReport {
        StampedeReport {
            coalesce: self.coalesce,
            duplicate_db_reads: self.duplicate_db_reads,
            coalesced: self.coalesced,
            max_per_key: self.max_per_key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(slot: u32) -> ReqRef {
        ReqRef { slot, gen: 1 }
    }

    #[test]
    fn one_leader_per_key_and_its_fill_releases_the_waiters() {
        let mut c = Coalescer::new(10, true);
        assert!(matches!(c.on_miss(3, r(1), |_| true), OnMiss::Read));
        assert!(matches!(c.on_miss(3, r(2), |_| true), OnMiss::Wait));
        assert!(matches!(c.on_miss(4, r(3), |_| true), OnMiss::Read));
        assert!(matches!(c.on_miss(3, r(4), |_| true), OnMiss::Wait));
        let mut out = Vec::new();
        c.on_fill(3, r(1), &mut out);
        assert_eq!(out, vec![r(2), r(4)]);
        assert_eq!(c.waiting(), 0);
        // The key has no leader now: the next miss reads.
        assert!(matches!(c.on_miss(3, r(5), |_| true), OnMiss::Read));
        // A leader that is no longer reading is replaced.
        assert!(matches!(c.on_miss(3, r(6), |_| false), OnMiss::Read));
        let rep = c.report();
        assert_eq!(
            (rep.coalesced, rep.duplicate_db_reads, rep.max_per_key),
            (2, 0, 2)
        );
    }

    #[test]
    fn without_coalescing_duplicates_are_counted_and_read() {
        let mut c = Coalescer::new(10, false);
        assert!(matches!(c.on_miss(3, r(1), |_| true), OnMiss::Read));
        assert!(matches!(c.on_miss(3, r(2), |_| true), OnMiss::Read));
        assert_eq!(c.report().duplicate_db_reads, 1);
    }
}
