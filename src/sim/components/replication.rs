//! Asynchronous master → replica replication, tracked per write without an event per write.
//!
//! ```text
//!   master commits write #n at c(n) ──delay──▶ replica applies writes in order, one at a time:
//!        applied(n) = max(c(n) + delay, applied(n−1)) + apply
//! ```
//!
//! The master sends its log in commit order. Healthy, sending takes no time of its own (a
//! write reaches the replicas `delay` after its commit); a slow master (grey failure, slow
//! disk or noisy neighbour, `×F`) reads each write back from its slow disk before sending it,
//! one at a time, taking `apply × F` per write — so when it commits faster than that, the
//! writes queue in its send buffer and every replica falls behind:
//!
//! ```text
//!   sent(n) = max(c(n), sent(n−1)) [+ apply × F while slow];  arrives(n) = sent(n) + delay
//! ```
//!
//! Because every replica applies the same log in commit order, a replica's whole state is one
//! number — the last write it applied — and its progress up to any instant can be computed
//! lazily from the log. A read of key k at replica r is stale iff the last committed write to k
//! is later than r's last applied write.

use crate::sim::kernel::rng::round_ns;
use crate::sim::kernel::time::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Most writes kept for replicas that lag or are down; a replica that falls further behind is
/// re-synchronised from a snapshot when it returns.
const MAX_LOG: usize = 1_000_000;

#[derive(Clone, Copy, Debug)]
struct WriteRecord {
    key: u32,
    /// A denormalised copy: it changes no key's version.
    copy: bool,
    commit: SimTime,
    /// When it reaches the replicas (`commit + delay` unless a slow master's sender held it).
    arrive: SimTime,
    /// The key's last committed write before this one (to undo it if lost).
    prev: u64,
}

/// One replica's progress through the log.
#[derive(Clone, Debug, Default)]
pub struct ReplicaProgress {
    /// Last write applied (a sequence number; 0 = none).
    pub applied: u64,
    /// When it finished applying that write.
    pub busy_until: SimTime,
    /// Whether it applies writes now (false while down or while it is the master).
    pub following: bool,
    /// Whether it lost its place in the log and must copy a snapshot when it returns.
    pub needs_resync: bool,
    /// A slow node (grey failure, slow disk): each write takes this many times the apply
    /// time (`None`: healthy).
    pub slowdown: Option<f64>,
}

/// The last committed write of every key, across all shards (each key lives on one shard): a
/// sequence number per key, 4 bytes each while every number fits in 32 bits (a million keys:
/// 4 MB instead of 8 in every copy of the simulation), widened to 8 the first time one does not.
#[derive(Clone)]
pub struct KeyVersions(Versions);

#[derive(Clone)]
enum Versions {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl KeyVersions {
    /// No key written yet.
    pub fn new(keys: u32) -> KeyVersions {
        KeyVersions(Versions::Narrow(vec![0; keys as usize]))
    }

    /// Bytes a copy of it allocates: lengths, not capacities (an estimate for snapshot budgets).
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Versions::Narrow(v) => v.len() * 4,
            Versions::Wide(v) => v.len() * 8,
        }
    }

    /// The last committed write to `key` (0: never written).
    #[inline]
    pub fn last_write(&self, key: u32) -> u64 {
        match &self.0 {
            Versions::Narrow(v) => u64::from(v[key as usize]),
            Versions::Wide(v) => v[key as usize],
        }
    }

    /// Sets `key`'s last committed write.
    pub fn set(&mut self, key: u32, version: u64) {
        if let Versions::Narrow(v) = &mut self.0 {
            match u32::try_from(version) {
                Ok(narrow) => {
                    v[key as usize] = narrow;
                    return;
                }
                Err(_) => self.0 = Versions::Wide(v.iter().map(|&x| u64::from(x)).collect()),
            }
        }
        if let Versions::Wide(v) = &mut self.0 {
            v[key as usize] = version;
        }
    }
}

/// One master's committed history, as much as its replicas still need.
#[derive(Clone)]
pub struct Replication {
    log: VecDeque<WriteRecord>,
    /// Sequence number of `log[0]`.
    log_base: u64,
    /// Last committed write.
    pub master_seq: u64,
    delay: SimDuration,
    apply: SimDuration,
    /// Writes committed over the run.
    pub committed: u64,
    /// Committed writes lost in failovers.
    pub lost: u64,
    /// Last write replicas can ever receive: the master died and writes still in its send
    /// buffer or on the wire never arrive. `u64::MAX` while the master is up.
    receive_limit: u64,
    /// A slow master: its sender takes `apply × factor` per write (`None`: healthy, instant).
    sender_slowdown: Option<f64>,
    /// When the master's sender finished sending the last write.
    sent_until: SimTime,
}

impl Replication {
    /// An empty history.
    pub fn new(delay: SimDuration, apply: SimDuration) -> Replication {
        Replication {
            log: VecDeque::new(),
            log_base: 1,
            master_seq: 0,
            delay,
            apply,
            committed: 0,
            lost: 0,
            receive_limit: u64::MAX,
            sender_slowdown: None,
            sent_until: SimTime::ZERO,
        }
    }

    /// The master dies at `at`: only writes that reached the replicas by then will ever be
    /// applied (those are in their relay logs); later ones die with the master.
    pub fn cut_off(&mut self, at: SimTime) {
        let mut seq = self.master_seq;
        for rec in self.log.iter().rev() {
            if rec.arrive <= at {
                break;
            }
            seq -= 1;
        }
        self.receive_limit = seq;
    }

    /// The master's sender runs `factor` times slower from `now` on (`None`: healthy again).
    /// Writes already sent keep their arrival; the ones still in the send buffer are sent
    /// from now at the new speed.
    pub fn set_sender_slowdown(&mut self, factor: Option<f64>, now: SimTime) {
        self.sender_slowdown = factor;
        let unsent = self.unsent(now) as usize;
        let first = self.log.len() - unsent;
        self.sent_until = now.min(self.sent_until);
        for i in first..self.log.len() {
            let commit = self.log[i].commit;
            self.log[i].arrive = self.send(commit);
        }
    }

    /// Writes committed but not yet sent to the replicas at `now` (a slow master's backlog).
    pub fn unsent(&self, now: SimTime) -> u64 {
        self.log
            .iter()
            .rev()
            .take_while(|rec| rec.arrive.minus(self.delay) > now)
            .count() as u64
    }

    /// When a write committed at `now` reaches the replicas.
    fn send(&mut self, now: SimTime) -> SimTime {
        let mut sent = now.max(self.sent_until);
        if let Some(factor) = self.sender_slowdown {
            sent = sent.plus(SimDuration(round_ns(self.apply.as_nanos() as f64 * factor)));
        }
        self.sent_until = sent;
        sent.plus(self.delay)
    }

    /// The master (old or new) streams writes again.
    pub fn restore_stream(&mut self) {
        self.receive_limit = u64::MAX;
    }

    /// The master commits a write of `key` at `now`.
    ///
    /// Sequence numbers are per shard, but a key's version is compared only with replicas of
    /// the shard that holds it, so one shared table of versions serves every shard.
    pub fn commit(&mut self, versions: &mut KeyVersions, key: u32, now: SimTime) {
        let prev = versions.last_write(key);
        self.master_seq += 1;
        versions.set(key, self.master_seq);
        self.committed += 1;
        let arrive = self.send(now);
        self.log.push_back(WriteRecord {
            key,
            copy: false,
            commit: now,
            arrive,
            prev,
        });
    }

    /// The master commits a denormalised copy of a record whose key lives on another shard:
    /// replicas apply it like any write, but no key's version changes.
    pub fn commit_copy(&mut self, now: SimTime) {
        self.master_seq += 1;
        let arrive = self.send(now);
        self.log.push_back(WriteRecord {
            key: 0,
            copy: true,
            commit: now,
            arrive,
            prev: 0,
        });
    }

    /// Moves a following replica forward through every write it has finished applying by `now`.
    pub fn catch_up(&self, r: &mut ReplicaProgress, now: SimTime) {
        if !r.following || r.needs_resync {
            return;
        }
        let apply = match r.slowdown {
            None => self.apply,
            Some(factor) => SimDuration(round_ns(self.apply.as_nanos() as f64 * factor)),
        };
        while r.applied < self.master_seq.min(self.receive_limit) {
            let Some(rec) = self.record(r.applied + 1) else {
                r.needs_resync = true;
                return;
            };
            let finish = rec.arrive.max(r.busy_until).plus(apply);
            if finish > now {
                return;
            }
            r.applied += 1;
            r.busy_until = finish;
        }
    }

    fn record(&self, seq: u64) -> Option<&WriteRecord> {
        seq.checked_sub(self.log_base)
            .and_then(|i| self.log.get(i as usize))
    }

    /// Whether a read of `key` from a replica at `applied` misses a committed write.
    pub fn is_stale(versions: &KeyVersions, key: u32, applied: u64) -> bool {
        versions.last_write(key) > applied
    }

    /// How far a replica is behind the writes it can still receive: (writes, ms since the
    /// oldest write it lacks was committed).
    pub fn lag(&self, r: &ReplicaProgress, now: SimTime) -> (u64, f64) {
        let behind = self
            .master_seq
            .min(self.receive_limit)
            .saturating_sub(r.applied);
        let ms = if behind == 0 {
            0.0
        } else {
            self.record(r.applied + 1)
                .map_or(0.0, |rec| now.since(rec.commit).as_millis_f64())
        };
        (behind, ms)
    }

    /// Makes the history end at `seq` (a promoted replica's last write): later writes are lost.
    /// Returns how many acknowledged writes were lost. Denormalised copies in the lost tail
    /// vanish too, but they are the master's own work, not writes a user sent, so they are
    /// not counted (counting them once made a shard "lose" more writes than it ever
    /// committed: swarm seed 3037580).
    pub fn truncate_to(&mut self, versions: &mut KeyVersions, seq: u64) -> u64 {
        let mut lost = 0;
        while self.master_seq > seq {
            match self.log.pop_back() {
                Some(rec) if rec.copy => {}
                Some(rec) => {
                    versions.set(rec.key, rec.prev);
                    lost += 1;
                }
                // Trimmed from the log (beyond the cap): it cannot be undone key by key, and
                // whether it was a copy is no longer known; it counts as a lost write.
                None => lost += 1,
            }
            self.master_seq -= 1;
        }
        self.lost += lost;
        // The new master's sender starts with an empty buffer.
        self.sent_until = SimTime::ZERO;
        self.restore_stream();
        lost
    }

    /// A replica that must copy a snapshot of the master now (returns, or lost its place).
    pub fn resync(&self, r: &mut ReplicaProgress, now: SimTime) {
        r.applied = self.master_seq;
        r.busy_until = now;
        r.needs_resync = false;
    }

    /// Drops log entries every replica has applied; keeps at most `MAX_LOG`.
    pub fn trim<'a>(&mut self, replicas: impl Iterator<Item = &'a ReplicaProgress>) {
        let oldest_needed = replicas
            .filter(|r| !r.needs_resync)
            .map(|r| r.applied + 1)
            .min()
            .unwrap_or(self.master_seq + 1);
        while self.log_base < oldest_needed && !self.log.is_empty() {
            self.log.pop_front();
            self.log_base += 1;
        }
        while self.log.len() > MAX_LOG {
            self.log.pop_front();
            self.log_base += 1;
        }
        if self.log.is_empty() {
            self.log_base = self.master_seq + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: u64) -> SimTime {
        SimTime::from_micros(x * 1000)
    }

    #[test]
    fn replica_applies_after_delay_one_at_a_time() {
        let mut v = KeyVersions::new(10);
        let mut rep = Replication::new(SimDuration::from_millis(10), SimDuration::from_millis(5));
        let mut r = ReplicaProgress {
            following: true,
            ..Default::default()
        };
        rep.commit(&mut v, 1, ms(0));
        rep.commit(&mut v, 2, ms(1));
        rep.catch_up(&mut r, ms(14));
        assert_eq!(r.applied, 0);
        rep.catch_up(&mut r, ms(15));
        assert_eq!(r.applied, 1);
        assert!(Replication::is_stale(&v, 2, r.applied));
        assert!(!Replication::is_stale(&v, 1, r.applied));
        // The second write arrives at 11 ms but waits for the first to finish at 15 ms.
        rep.catch_up(&mut r, ms(19));
        assert_eq!(r.applied, 1);
        rep.catch_up(&mut r, ms(20));
        assert_eq!(r.applied, 2);
        assert_eq!(rep.lag(&r, ms(20)), (0, 0.0));
    }

    #[test]
    fn writes_not_received_when_the_master_dies_are_never_applied() {
        let mut v = KeyVersions::new(10);
        let mut rep = Replication::new(SimDuration::from_millis(10), SimDuration::from_millis(1));
        let mut r = ReplicaProgress {
            following: true,
            ..Default::default()
        };
        rep.commit(&mut v, 1, ms(0));
        rep.commit(&mut v, 2, ms(5));
        rep.commit(&mut v, 3, ms(8));
        rep.cut_off(ms(15)); // writes 1 and 2 have arrived, write 3 arrives at 18 ms: lost
        rep.catch_up(&mut r, ms(100));
        assert_eq!(r.applied, 2);
        assert_eq!(rep.truncate_to(&mut v, r.applied), 1);
    }

    #[test]
    fn a_slow_master_sends_its_log_one_write_at_a_time() {
        let mut v = KeyVersions::new(10);
        // 10 ms delay, 5 ms apply; the master ×4 sends one write per 20 ms.
        let mut rep = Replication::new(SimDuration::from_millis(10), SimDuration::from_millis(5));
        let mut r = ReplicaProgress {
            following: true,
            ..Default::default()
        };
        rep.set_sender_slowdown(Some(4.0), ms(0));
        for i in 0..3 {
            rep.commit(&mut v, i, ms(u64::from(i))); // commits at 0, 1, 2 ms
        }
        // Sent at 20, 40, 60 ms; arrive at 30, 50, 70 ms; applied by 35, 55, 75 ms.
        assert_eq!(rep.unsent(ms(30)), 2);
        rep.catch_up(&mut r, ms(54));
        assert_eq!(r.applied, 1);
        rep.catch_up(&mut r, ms(75));
        assert_eq!(r.applied, 3);
        // Healthy again: the next write is sent at once (after those before it).
        rep.set_sender_slowdown(None, ms(80));
        rep.commit(&mut v, 5, ms(100));
        assert_eq!(rep.unsent(ms(100)), 0);
        rep.catch_up(&mut r, ms(115));
        assert_eq!(r.applied, 4);
        // A master that dies with writes in its send buffer: they never arrive.
        rep.set_sender_slowdown(Some(4.0), ms(150));
        rep.commit(&mut v, 6, ms(200));
        rep.commit(&mut v, 7, ms(201));
        // They would be sent at 220 and 240 ms; the master recovers at 210 ms, so both go at
        // once then and arrive at 220 ms.
        assert_eq!(rep.unsent(ms(210)), 2);
        rep.set_sender_slowdown(None, ms(210));
        assert_eq!(rep.unsent(ms(210)), 0);
        rep.catch_up(&mut r, ms(229));
        assert_eq!(r.applied, 5);
        rep.catch_up(&mut r, ms(238));
        assert_eq!(r.applied, 6);
        rep.set_sender_slowdown(Some(4.0), ms(300));
        rep.commit(&mut v, 8, ms(300));
        rep.cut_off(ms(305));
        rep.catch_up(&mut r, ms(1000));
        assert_eq!(r.applied, 6);
    }

    #[test]
    fn truncation_restores_earlier_writes() {
        let mut v = KeyVersions::new(10);
        let mut rep = Replication::new(SimDuration::from_millis(10), SimDuration::from_millis(1));
        rep.commit(&mut v, 3, ms(0));
        rep.commit(&mut v, 3, ms(1));
        rep.commit(&mut v, 4, ms(2));
        assert_eq!(rep.truncate_to(&mut v, 1), 2);
        assert!(!Replication::is_stale(&v, 3, 1));
        assert!(!Replication::is_stale(&v, 4, 0));
        assert_eq!(rep.master_seq, 1);
    }

    #[test]
    fn lost_copies_are_not_lost_writes() {
        let mut v = KeyVersions::new(10);
        let mut rep = Replication::new(SimDuration::from_millis(10), SimDuration::from_millis(1));
        rep.commit(&mut v, 3, ms(0));
        for t in 1..=5 {
            rep.commit_copy(ms(t));
        }
        rep.commit(&mut v, 4, ms(6));
        rep.commit_copy(ms(7));
        // Seven records after write #1 are lost, but only one of them is a write a user sent.
        assert_eq!(rep.truncate_to(&mut v, 1), 1);
        assert_eq!(rep.lost, 1);
        assert!(rep.lost <= rep.committed);
        assert_eq!(rep.master_seq, 1);
        assert!(!Replication::is_stale(&v, 4, 0));
    }

    #[test]
    fn versions_widen_when_a_sequence_number_needs_more_than_32_bits() {
        let mut v = KeyVersions::new(4);
        v.set(1, 7);
        v.set(2, u64::from(u32::MAX));
        assert_eq!(v.heap_bytes(), 16);
        v.set(3, u64::from(u32::MAX) + 5);
        assert_eq!(v.heap_bytes(), 32);
        assert_eq!(
            (0..4).map(|k| v.last_write(k)).collect::<Vec<_>>(),
            [0, 7, u64::from(u32::MAX), u64::from(u32::MAX) + 5]
        );
        v.set(1, 8);
        assert_eq!(v.last_write(1), 8);
    }
}
