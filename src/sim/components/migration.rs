//! Resharding as work: the keys that change shard are copied by a background copier, at the
//! scenario's rate, through the same waiting lines and workers as the client queries.
//!
//! ```text
//!  reshard N → N′ ─▶ moved keys, grouped by route (old shard → new shard)
//!  pacer: one copy job of ≤ `batch` keys every len / rate seconds, routes taken in turn
//!  copy job: ─▶ [old shard's master] reads the keys ─▶ [new shard's master] writes them ─▶ cutover
//!  a key is served by its old shard until its job's cutover, by its new shard after it
//! ```
//!
//! Writes that reach the old shard while the key's job is under way are carried over by the
//! copy (a copier replays the change stream before it switches a key): the cutover is atomic
//! per job and loses nothing. A copy job whose master is down, not yet replaced or has a full
//! line waits and tries again; it never fails and is never counted as a user's request.
//!
//! The rules live here, on [`DatabaseCluster`]: which keys move, the pacer, what a copy job
//! costs, the cutover and the record. A copy job travels as one of the engine's requests, so
//! the engine starts it when [`DatabaseCluster::pace`] hands out a job slot, moves it to the
//! master [`DatabaseCluster::copy_job_shard`] names, and calls [`DatabaseCluster::cut_over`]
//! when it has written its keys.

use crate::sim::components::database::{DatabaseCluster, DbEvent, ShardMap};
use crate::sim::components::registry::BuiltInEvent;
use crate::sim::kernel::rng::Rng;
use crate::sim::kernel::run::{Ctx, Slot};
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::Reshard;
use serde::Serialize;

/// How far the latest resharding's copy has got (summed over data centers in stage 11).
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ReshardProgress {
    /// Shards before.
    pub from_shards: u32,
    /// Shards after.
    pub to_shards: u32,
    /// Keys whose shard changed.
    pub keys_moved: u64,
    /// Of those, keys copied to (and served by) their new shard.
    pub keys_copied: u64,
    /// Whether every moved key is on its new shard.
    pub finished: bool,
}

/// Most copy jobs under way at once; beyond it the pacer waits for one to finish.
const MAX_COPY_JOBS: usize = 32;
/// How long a copy job waits before trying again when it cannot be queued.
pub(in crate::sim) const COPY_RETRY: SimDuration = SimDuration(500_000_000);
/// A copy job carries the keys the rate copies in this long, in seconds…
const JOB_SPAN_S: f64 = 0.05;
/// …but at most this many keys.
const MAX_JOB_KEYS: u32 = 100;

/// A copy job's mark on its request, a request of the clusters' own
/// ([`crate::sim::components::registry::Follow::Send`]): its store, its slot, and whether it
/// has read its keys on the old shard and goes on to write them on the new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) struct CopyMark {
    /// The store (database cluster) resharding.
    pub store: u8,
    /// Its slot among the resharding's copy jobs (below [`MAX_COPY_JOBS`]).
    pub slot: u16,
    /// Whether it has read its keys and writes them on the new shard now.
    pub on_target: bool,
}

/// Where [`CopyMark::on_target`] sits in a mark: above every slot number.
const ON_TARGET_BIT: u16 = 0x80;
const _: () = assert!(MAX_COPY_JOBS <= ON_TARGET_BIT as usize);

impl CopyMark {
    /// The mark the request carries: the store in the high byte, then the target bit and
    /// the slot (never the stack's "no mark", all ones: a store has fewer than 128 slots).
    pub fn to_mark(self) -> u16 {
        let target = if self.on_target { ON_TARGET_BIT } else { 0 };
        (u16::from(self.store) << 8) | target | self.slot
    }

    /// The copy job a request's mark made by [`CopyMark::to_mark`] names.
    pub fn of_mark(mark: u16) -> CopyMark {
        CopyMark {
            store: (mark >> 8) as u8,
            slot: mark & (ON_TARGET_BIT - 1),
            on_target: mark & ON_TARGET_BIT != 0,
        }
    }
}

/// The keys that move from one shard to another.
#[derive(Clone, Copy)]
struct Route {
    from: u16,
    to: u16,
    /// Next key to hand to a copy job (index into `Migration::keys`).
    next: u32,
    /// One past the route's last key.
    end: u32,
}

/// A copy job: keys `start .. start + len` of `Migration::keys`, all on one route.
#[derive(Clone, Copy, Default)]
struct CopyJob {
    route: u16,
    start: u32,
    len: u32,
}

/// A resharding under way.
#[derive(Clone)]
pub(in crate::sim) struct Migration {
    /// Index of this resharding in `DataPlacement::reshards`.
    run: u32,
    /// The map before the resharding: where keys not yet copied are served.
    old_map: ShardMap,
    /// One bit per key, set while the key is still served by its old shard.
    pending: Vec<u64>,
    /// The keys that move, grouped by route, in key order within a route.
    keys: Vec<u32>,
    routes: Vec<Route>,
    /// Route the next copy job takes keys from.
    next_route: usize,
    /// Copy job slots (a request under way names its slot).
    jobs: Vec<CopyJob>,
    free_jobs: Vec<u16>,
    /// The pacer found every slot busy: the next job starts when one finishes.
    stalled: bool,
    /// Time the copier spends per key at the set rate, ns.
    gap_ns_per_key: f64,
    /// Keys per copy job.
    batch: u32,
    started: SimTime,
    /// Keys switched to their new shard.
    copied: u64,
    /// Next quarter of progress to note in the event log (1–3).
    next_quarter: u64,
}

impl Migration {
    /// Whether `key` is still served by its old shard.
    fn is_pending(&self, key: u32) -> bool {
        self.pending
            .get(key as usize / 64)
            .is_some_and(|w| w & (1 << (key % 64)) != 0)
    }

    /// The shard that serves `key` now, if it is one of the keys still waiting to be copied.
    pub fn old_shard_of(&self, key: u32) -> Option<usize> {
        self.is_pending(key).then(|| self.old_map.shard_of(key))
    }

    /// Bytes a copy of it allocates: lengths, not capacities (an estimate for snapshot budgets).
    pub fn heap_bytes(&self) -> usize {
        self.pending.len() * 8 + self.keys.len() * 4
    }

    /// Takes the next copy job's keys from the routes in turn (`None`: all handed out).
    fn take_job(&mut self) -> Option<CopyJob> {
        for _ in 0..self.routes.len() {
            let i = self.next_route;
            self.next_route = (i + 1) % self.routes.len();
            let r = &mut self.routes[i];
            if r.next < r.end {
                let len = (r.end - r.next).min(self.batch);
                let job = CopyJob {
                    route: i as u16,
                    start: r.next,
                    len,
                };
                r.next += len;
                return Some(job);
            }
        }
        None
    }

    fn all_handed_out(&self) -> bool {
        self.routes.iter().all(|r| r.next == r.end)
    }
}

impl DatabaseCluster {
    /// The latest resharding and how far its copy has got (`None`: no resharding yet).
    pub fn reshard_progress(&self) -> Option<ReshardProgress> {
        let r = self.placement.reshards.last()?;
        Some(ReshardProgress {
            from_shards: r.from_shards,
            to_shards: r.to_shards,
            keys_moved: r.keys_moved,
            keys_copied: r.keys_copied,
            finished: r.finished_at_s.is_some(),
        })
    }

    /// Whether a resharding to `count` shards is refused now: it changes nothing, or the
    /// copy of an earlier one is still under way (noted in the event log).
    pub fn reshard_refused<R: Slot, E: Copy>(&mut self, count: usize, ctx: &mut Ctx<R, E>) -> bool {
        count == self.placement.map.count() || self.migration_busy(count, ctx)
    }

    /// Reshards to `count` shards now (their nodes built already, with
    /// [`DatabaseCluster::add_shard`]): the map changes, and the keys whose shard changes are
    /// copied to it at the scenario's rate.
    pub fn start_reshard<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        count: usize,
        ctx: &mut Ctx<R, E>,
    ) {
        let old = self.placement.map.count();
        let new_map = self.placement.map.resized(count);
        let old_map = std::mem::replace(&mut self.placement.map, new_map);
        let run = self.placement.reshards.len() as u32;
        let moved = self.start_migration(old_map, run, ctx);
        let mut record = self.reshard_record(old, count, moved, ctx.now);
        if moved == 0 {
            record.finished_at_s = Some(record.at_s);
            record.duration_s = Some(0.0);
        }
        let (fraction, rate) = (record.fraction_moved, record.migration_keys_per_s);
        self.placement.reshards.push(record);
        self.count_shard_keys();
        let keys = self.keyspace();
        ctx.log(
            "database",
            format!(
                "resharding {old} → {count} shards started: {moved} of {keys} keys ({:.1}%) move, copied at {rate} keys/s (about {:.0} s)",
                fraction * 100.0,
                moved as f64 / rate
            ),
        );
    }

    /// Starts copying the keys whose shard differs between `old_map` and the current map;
    /// `run` is the resharding's index in the report. Returns the number of keys that move.
    fn start_migration<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        old_map: ShardMap,
        run: u32,
        ctx: &mut Ctx<R, E>,
    ) -> u64 {
        let keys = self.keyspace();
        let new_map = &self.placement.map;
        let mut moving: Vec<(u16, u16, u32)> = (0..keys)
            .filter_map(|key| {
                let (from, to) = (old_map.shard_of(key), new_map.shard_of(key));
                (from != to).then_some((from as u16, to as u16, key))
            })
            .collect();
        moving.sort_unstable();
        let mut pending = vec![0u64; (keys as usize).div_ceil(64)];
        let mut routes: Vec<Route> = Vec::new();
        for (i, &(from, to, key)) in moving.iter().enumerate() {
            pending[key as usize / 64] |= 1 << (key % 64);
            match routes.last_mut() {
                Some(r) if r.from == from && r.to == to => r.end += 1,
                _ => routes.push(Route {
                    from,
                    to,
                    next: i as u32,
                    end: i as u32 + 1,
                }),
            }
        }
        let moved = moving.len() as u64;
        if moved == 0 {
            return 0;
        }
        let rate = self
            .migration_rate
            .clamp(1.0, crate::scenario::MAX_MIGRATION_KEYS_PER_S);
        let batch = (libm::round(rate * JOB_SPAN_S) as u32).clamp(1, MAX_JOB_KEYS);
        self.placement.migration = Some(Box::new(Migration {
            run,
            old_map,
            pending,
            keys: moving.iter().map(|&(_, _, key)| key).collect(),
            routes,
            next_route: 0,
            jobs: vec![CopyJob::default(); MAX_COPY_JOBS],
            free_jobs: (0..MAX_COPY_JOBS as u16).rev().collect(),
            stalled: false,
            gap_ns_per_key: 1e9 / rate,
            batch,
            started: ctx.now,
            copied: 0,
            next_quarter: 1,
        }));
        ctx.schedule(
            ctx.now,
            BuiltInEvent::from(DbEvent::MigrationPace {
                store: self.store() as u8,
                run,
            }),
        );
        moved
    }

    /// The pacer of resharding number `run`: hands out the next copy job (its slot, for the
    /// engine to start as a request) and schedules itself for when the rate allows the one
    /// after. `None`: nothing to start now.
    pub fn pace<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        run: u32,
        ctx: &mut Ctx<R, E>,
    ) -> Option<u16> {
        let store = self.store() as u8;
        let m = self.placement.migration.as_mut()?;
        if m.run != run {
            return None;
        }
        let Some(&slot) = m.free_jobs.last() else {
            m.stalled = true;
            return None;
        };
        let job = m.take_job()?;
        m.free_jobs.pop();
        m.jobs[usize::from(slot)] = job;
        let gap = SimDuration(libm::round(f64::from(job.len) * m.gap_ns_per_key) as u64);
        if !m.all_handed_out() {
            let pace = DbEvent::MigrationPace { store, run };
            ctx.schedule(ctx.now.plus(gap), BuiltInEvent::from(pace));
        }
        Some(slot)
    }

    /// The shard copy job `slot` works on next: its old shard (reading) or, once it has read
    /// its keys (`on_target`), its new one (writing).
    pub fn copy_job_shard(&self, slot: u16, on_target: bool) -> Option<usize> {
        let m = self.placement.migration.as_ref()?;
        let route = m.routes[usize::from(m.jobs[usize::from(slot)].route)];
        Some(usize::from(if on_target { route.to } else { route.from }))
    }

    /// Service time of copy job `slot` at database shard `shard`: a read per key on the old
    /// shard, a write per key on the new one (`on_target`; before the node's speed factor).
    pub fn copy_work_ns(&self, slot: u16, on_target: bool, shard: usize, rng: &mut Rng) -> u64 {
        let Some(m) = self.placement.migration.as_ref() else {
            return 1;
        };
        let len = m.jobs[usize::from(slot)].len;
        let db = &self.shards[shard];
        let sampler = if on_target { db.write } else { db.read };
        (0..len).map(|_| sampler.sample_ns(rng)).sum()
    }

    /// The keys of copy job `slot` are on their new shard: they are served there from now on.
    /// Returns the resharding whose pacer must run again now (it had stalled on a full set of
    /// jobs).
    pub fn cut_over<R: Slot, E: Copy>(&mut self, slot: u16, ctx: &mut Ctx<R, E>) -> Option<u32> {
        let now = ctx.now;
        let m = self.placement.migration.as_mut()?;
        let job = m.jobs[usize::from(slot)];
        m.free_jobs.push(slot);
        let route = m.routes[usize::from(job.route)];
        let target = &mut self.shards[usize::from(route.to)];
        for &key in &m.keys[job.start as usize..(job.start + job.len) as usize] {
            m.pending[key as usize / 64] &= !(1 << (key % 64));
            // The key's history starts on its new shard, whose replicas apply the copy.
            self.versions.reset(key);
            target.replication.commit_copy(now);
        }
        let len = u64::from(job.len);
        target.keys += len;
        self.shards[usize::from(route.from)].keys -= len;
        m.copied += len;
        let (run, copied, stalled) = (m.run, m.copied, std::mem::take(&mut m.stalled));
        ctx.interval.migration_keys_copied += len;
        let record = &mut self.placement.reshards[run as usize];
        record.keys_copied = copied;
        let moved = record.keys_moved;
        if copied == moved {
            self.finish_migration(ctx);
            return None;
        }
        self.note_progress(copied, moved, ctx);
        stalled.then_some(run)
    }

    /// Notes each quarter of the copy in the event log.
    fn note_progress<R: Slot, E: Copy>(&mut self, copied: u64, moved: u64, ctx: &mut Ctx<R, E>) {
        let Some(m) = self.placement.migration.as_mut() else {
            return;
        };
        if m.next_quarter > 3 || copied * 4 < moved * m.next_quarter {
            return;
        }
        let quarter = m.next_quarter;
        m.next_quarter += 1;
        ctx.log(
            "database",
            format!(
                "resharding copy {}% done: {copied} of {moved} keys on their new shards",
                quarter * 25
            ),
        );
    }

    fn finish_migration<R: Slot, E: Copy>(&mut self, ctx: &mut Ctx<R, E>) {
        let now = ctx.now;
        let Some(m) = self.placement.migration.take() else {
            return;
        };
        let duration_s = now.since(m.started).as_secs_f64();
        let record = &mut self.placement.reshards[m.run as usize];
        record.finished_at_s = Some(now.as_secs_f64());
        record.duration_s = Some(duration_s);
        let text = format!(
            "resharding {} → {} shards finished: {} keys copied in {duration_s:.1} s",
            record.from_shards, record.to_shards, record.keys_copied
        );
        ctx.log("database", text);
    }

    /// A reshard asked for while one is being copied is refused (true).
    fn migration_busy<R: Slot, E: Copy>(&mut self, count: usize, ctx: &mut Ctx<R, E>) -> bool {
        let Some(m) = &self.placement.migration else {
            return false;
        };
        let record = &self.placement.reshards[m.run as usize];
        let text = format!(
            "resharding to {count} shards refused: the copy to {} shards is still under way ({} of {} keys copied)",
            record.to_shards, record.keys_copied, record.keys_moved
        );
        ctx.log("database", text);
        true
    }

    /// The report entry of a resharding starting `now`.
    fn reshard_record(&self, from: usize, to: usize, moved: u64, now: SimTime) -> Reshard {
        let keys = self.keyspace();
        let rate = self.migration_rate;
        Reshard {
            at_s: now.as_secs_f64(),
            from_shards: from as u32,
            to_shards: to as u32,
            keys_moved: moved,
            fraction_moved: moved as f64 / f64::from(keys.max(1)),
            migration_keys_per_s: rate,
            keys_copied: 0,
            finished_at_s: None,
            duration_s: None,
        }
    }
}
