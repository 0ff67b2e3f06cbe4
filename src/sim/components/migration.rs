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

use crate::sim::components::database::ShardMap;
use crate::sim::components::station::ReqRef;
use crate::sim::handle::Engine;
use crate::sim::kernel::time::SimTime;
use crate::sim::report::Reshard;
use crate::sim::stack::{Event, ReqState, Stack};
use crate::sim::RequestKind;
use serde::Serialize;

/// How far the latest resharding's copy has got (summed over data centers in stage 11).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
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
const COPY_RETRY: SimTime = SimTime(500_000_000);
/// A copy job carries the keys the rate copies in this long, in seconds…
const JOB_SPAN_S: f64 = 0.05;
/// …but at most this many keys.
const MAX_JOB_KEYS: u32 = 100;

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

    /// Bytes of memory it holds (an estimate for snapshot budgets).
    pub fn heap_bytes(&self) -> usize {
        self.pending.capacity() * 8 + self.keys.capacity() * 4
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

impl Stack {
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

    /// Starts copying the keys whose shard differs between `old_map` and the current map;
    /// `run` is the resharding's index in the report. Returns the number of keys that move.
    pub(in crate::sim) fn start_migration(&mut self, old_map: ShardMap, run: u32) -> u64 {
        let keys = self.scenario.traffic.keyspace.keys;
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
            .migration_rate()
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
            started: self.now(),
            copied: 0,
            next_quarter: 1,
        }));
        self.events.push(self.now(), Event::MigrationPace { run });
        moved
    }

    /// The pacer: starts the next copy job and schedules itself for when the rate allows
    /// the one after.
    pub(in crate::sim) fn on_migration_pace(&mut self, run: u32) {
        let now = self.now();
        let Some(m) = self.placement.migration.as_mut() else {
            return;
        };
        if m.run != run {
            return;
        }
        let Some(&slot) = m.free_jobs.last() else {
            m.stalled = true;
            return;
        };
        let Some(job) = m.take_job() else {
            return;
        };
        m.free_jobs.pop();
        m.jobs[usize::from(slot)] = job;
        let gap = SimTime(libm::round(f64::from(job.len) * m.gap_ns_per_key) as u64);
        if !m.all_handed_out() {
            self.events
                .push(now.plus(gap), Event::MigrationPace { run });
        }
        let req = self.allocate(RequestKind::Write, 0);
        let r = self.req_mut(req);
        r.copy_job = slot;
        r.copy_on_target = false;
        r.sampled = false;
        self.send_copy_job(req);
    }

    /// Sends a copy job to the master of its old shard (reading) or new shard (writing), or
    /// lets it wait a little when the web tier knows no live master there.
    pub(in crate::sim) fn send_copy_job(&mut self, req: ReqRef) {
        let Some(shard) = self.copy_job_shard(req) else {
            return;
        };
        match self.route_query(RequestKind::Write, shard) {
            Some(node) => {
                let station = self.shards[shard].nodes[node].station;
                self.move_to(req, station);
            }
            None => self.retry_copy_job(req),
        }
    }

    /// The shard a copy job works on next.
    fn copy_job_shard(&self, req: ReqRef) -> Option<usize> {
        let r = self.get(req)?;
        let m = self.placement.migration.as_ref()?;
        let route = m.routes[usize::from(m.jobs[usize::from(r.copy_job)].route)];
        Some(usize::from(if r.copy_on_target {
            route.to
        } else {
            route.from
        }))
    }

    /// The copy job could not be queued (its node is down or its line full): it tries
    /// again a little later.
    pub(in crate::sim) fn retry_copy_job(&mut self, req: ReqRef) {
        let at = self.now().plus(COPY_RETRY);
        self.req_mut(req).state = ReqState::Transit;
        self.events.push(at, Event::CopyRetry { req });
    }

    /// Service time of a copy job at database shard `shard`: a read per key on the old
    /// shard, a write per key on the new one (before the node's speed factor).
    pub(in crate::sim) fn copy_work_ns(&mut self, req: ReqRef, shard: usize) -> u64 {
        let Some(m) = self.placement.migration.as_ref() else {
            return 1;
        };
        let r = self.request_in(req);
        let len = m.jobs[usize::from(r.copy_job)].len;
        let db = &self.shards[shard];
        let sampler = if r.copy_on_target { db.write } else { db.read };
        (0..len).map(|_| sampler.sample_ns(&mut self.rng)).sum()
    }

    /// A copy job finished its part at a master: on to the new shard after the read, or
    /// the cutover of its keys after the write.
    pub(in crate::sim) fn copy_step_done(&mut self, req: ReqRef) {
        let on_target = self.request_in(req).copy_on_target;
        if !on_target {
            self.req_mut(req).copy_on_target = true;
            self.send_copy_job(req);
            return;
        }
        let slot = self.request_in(req).copy_job;
        self.release(req);
        self.cut_over(slot);
    }

    /// The keys of copy job `slot` are on their new shard: they are served there from now on.
    fn cut_over(&mut self, slot: u16) {
        let now = self.now();
        let Some(m) = self.placement.migration.as_mut() else {
            return;
        };
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
        self.interval_migrated(len);
        let record = &mut self.placement.reshards[run as usize];
        record.keys_copied = copied;
        let moved = record.keys_moved;
        if copied == moved {
            self.finish_migration();
            return;
        }
        self.note_progress(copied, moved);
        if stalled {
            self.on_migration_pace(run);
        }
    }

    /// Notes each quarter of the copy in the event log.
    fn note_progress(&mut self, copied: u64, moved: u64) {
        let Some(m) = self.placement.migration.as_mut() else {
            return;
        };
        if m.next_quarter > 3 || copied * 4 < moved * m.next_quarter {
            return;
        }
        let quarter = m.next_quarter;
        m.next_quarter += 1;
        self.log_event(
            "database",
            format!(
                "resharding copy {}% done: {copied} of {moved} keys on their new shards",
                quarter * 25
            ),
        );
    }

    fn finish_migration(&mut self) {
        let now = self.now();
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
        self.log_event("database", text);
    }

    /// A reshard asked for while one is being copied is refused (true).
    pub(in crate::sim) fn migration_busy(&mut self, count: usize) -> bool {
        let Some(m) = &self.placement.migration else {
            return false;
        };
        let record = &self.placement.reshards[m.run as usize];
        let text = format!(
            "resharding to {count} shards refused: the copy to {} shards is still under way ({} of {} keys copied)",
            record.to_shards, record.keys_copied, record.keys_moved
        );
        self.log_event("database", text);
        true
    }

    /// The scenario's copy rate, keys per second.
    fn migration_rate(&self) -> f64 {
        self.scenario
            .sharding
            .as_ref()
            .map_or(crate::scenario::DEFAULT_MIGRATION_KEYS_PER_S, |s| {
                s.migration_keys_per_s
            })
    }

    /// The report entry of a resharding starting now.
    pub(in crate::sim) fn reshard_record(&self, from: usize, to: usize, moved: u64) -> Reshard {
        let keys = self.scenario.traffic.keyspace.keys;
        let rate = self.migration_rate();
        Reshard {
            at_s: self.now().as_secs_f64(),
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
