//! The message queue (stage 8): web servers publish slow jobs to a durable queue and answer at
//! once; a pool of workers consumes them, one job each at a time.
//!
//! ```text
//!   write ──publish──▶ [ queue ≤ max_depth ] ──▶ ( worker × n ) ──▶ done
//!                           ▲ redelivered when workers die (nothing is lost)
//! ```
//!
//! Conservation: published = done + queued + in progress.
//!
//! With `job_writes_to_db` each job, once its worker has done it, writes its result to the
//! database: the stack sends that write as a request (`stack/job_writes.rs`) to the first
//! database's master, where it queues and commits like a user's write, and the worker waits
//! for the commit (the usual synchronous worker) before it takes the next job. So the
//! database's write load from the workers is at most workers ÷ (job time + write time), however
//! fast jobs are published. A write that fails (no live master, its line full, an injected
//! error) sends its job back to the queue (at least once: nothing is lost) once its worker has
//! backed off for `WRITE_RETRY_BACKOFF` (1 s); the workers dying meanwhile send it back too,
//! and the write, if it still commits, is a duplicate the job ignores.
//!
//! ```text
//!   worker: job ──done──▶ [outbox] ──stack──▶ write ─▶ db master ─┬─ committed ─▶ done
//!                                                                 └─ failed ─▶ 1 s back-off
//!                                                                       ─▶ back to the queue
//! ```
//!
//! The back-off is what keeps a dead database from costing the run without bound: with no
//! live master a write fails the instant it is sent, so without it a worker would do its job,
//! fail and take the job again once per job time — with jobs of 1 µs, a million attempts a
//! second per worker while the outage lasts (swarm seed 19617976: five million events in 5 s
//! for a few hundred jobs). With it each worker tries at most once a back-off, as a consumer
//! that sleeps before it gives a message back does.
//!
//! [`JobTier`] owns the queue, the workers (their pool as a station of its own), the worker
//! autoscaler and their events ([`JobEvent`]).
//!
//! It is a built-in kind on the registration (`built_in/mod.rs`, `built_ins!`, with its own
//! events): the stack holds no field for it and reaches it only through its hooks.
//!
//! ```text
//!   start            the autoscaler's first check
//!   write_committed  a committed write publishes its job (refused when full: queue_full)
//!   OwnEvents        a job done, a scale check, workers ready (BuiltInEvent, by match)
//!   members          "queue" (durable: cannot be killed) and "workers" (kill: their jobs
//!                    go back to the queue; repair: they drain it)
//!   close_point / snapshot / member_state / report_section / bill_machines   its figures
//! ```
//!
//! The workers' station is the tier's own ([`JobTier::station`]), not one of the stack's
//! stations: no request is ever served there (a job is not a request), and the stack's
//! whole-table walks (a data center slowed, its station list in the report, the stations
//! the metrics tick hands the monitor) never included it.

use super::registry::{BuiltIn, BuiltInCtx, BuiltInEvent, Component, Follow, OwnEvents, RunSoFar};
use crate::scenario::topology::NodeKind;
use crate::scenario::{JobQueue, Scenario, WorkerAutoscale};
use crate::sim::components::station::{ReqRef, Station};
use crate::sim::cost::{Bill, PRICES};
use crate::sim::kernel::histogram::Histogram;
use crate::sim::kernel::rng::Sampler;
use crate::sim::kernel::run::Slot;
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::{JobWritesReport, LatencyReport, QueueReport, Sections, SeriesPoint};
use crate::sim::{ComponentKind, ComponentState, Figure, Outcome, Snapshot};
use std::collections::VecDeque;

/// The queue's own events.
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) enum JobEvent {
    /// A worker finishes the job in running slot `slot` (unless the workers died since:
    /// their station's life `epoch`).
    Done { slot: u32, epoch: u32 },
    /// The worker of running slot `slot`, whose job's write failed, has waited its back-off
    /// and gives the job back to the queue (unless the workers died since, in `epoch`).
    BackedOff { slot: u32, epoch: u32 },
    /// The worker autoscaler decides.
    ScaleCheck,
    /// Workers asked for by the autoscaler are ready.
    WorkersReady { count: u32 },
}

/// How long a worker whose job's write failed waits before it gives the job back to the
/// queue (see the module's doc): one attempt a second per worker at most while the database
/// refuses every write.
const WRITE_RETRY_BACKOFF: SimDuration = SimDuration::from_secs(1);

/// A job in a worker's hands.
#[derive(Clone, Copy, Debug)]
struct Running {
    /// When it was published.
    published: SimTime,
    /// Its write to the database, once sent (`job_writes_to_db`).
    write: Option<ReqRef>,
    /// Its write failed and its worker is backing off: the job is already counted as
    /// redelivered, and goes back to the queue when the back-off ends.
    backing_off: bool,
}

/// The queue and its workers.
#[derive(Clone)]
pub(crate) struct JobTier {
    /// Publish times of waiting jobs, oldest first.
    line: VecDeque<SimTime>,
    /// Per running slot: the job in it.
    running: Vec<Option<Running>>,
    free_running: Vec<u32>,
    /// Time integrals (busy workers, waiting jobs) and the worker count.
    pub station: Station,
    max_depth: u32,
    job: Sampler,
    pub jobs_per_write: f64,
    autoscale: Option<WorkerAutoscale>,
    /// Workers asked for and still starting.
    starting: u32,
    /// Workers the pool is shrinking to (busy ones above it stop after their job).
    target_workers: u32,
    pub published: u64,
    pub done: u64,
    pub rejected: u64,
    pub redelivered: u64,
    pub max_depth_seen: u32,
    /// Publish → done, ms.
    pub latency: Histogram,
    /// Publish → start of the (last) attempt.
    pub wait_sum_ns: u128,
    pub interval_done: u64,
    /// Whether each job writes its result to the database (`job_writes_to_db`, with a
    /// database in the run).
    writes: bool,
    /// Running slots whose job is done and whose write the stack is to send, in order.
    outbox: VecDeque<u32>,
    /// Writes committed.
    pub writes_committed: u64,
    /// Writes failed (each one's job went back to the queue).
    pub writes_failed: u64,
}

impl JobTier {
    pub fn new(spec: &JobQueue) -> JobTier {
        JobTier {
            line: VecDeque::new(),
            running: Vec::new(),
            free_running: Vec::new(),
            station: Station::new(spec.workers, spec.max_depth),
            max_depth: spec.max_depth,
            job: Sampler::new(&spec.job),
            jobs_per_write: spec.jobs_per_write,
            autoscale: spec.autoscale.clone(),
            starting: 0,
            target_workers: spec.workers,
            published: 0,
            done: 0,
            rejected: 0,
            redelivered: 0,
            max_depth_seen: 0,
            latency: Histogram::new(),
            wait_sum_ns: 0,
            interval_done: 0,
            writes: false,
            outbox: VecDeque::new(),
            writes_committed: 0,
            writes_failed: 0,
        }
    }

    /// The same, its jobs writing to the database when `writes` (see the module's doc).
    pub fn with_writes(spec: &JobQueue, writes: bool) -> JobTier {
        JobTier {
            writes,
            ..JobTier::new(spec)
        }
    }

    /// Jobs waiting.
    pub fn depth(&self) -> u32 {
        self.line.len() as u32
    }

    /// Jobs being worked on.
    pub fn in_progress(&self) -> u32 {
        self.station.busy
    }

    /// The autoscaler's decision interval, if it has one.
    pub fn autoscale_interval(&self) -> Option<SimDuration> {
        self.autoscale
            .as_ref()
            .map(|a| SimDuration::from_secs_f64(a.interval_s))
    }
}

impl JobTier {
    /// Its report section.
    pub fn report(&self) -> QueueReport {
        QueueReport {
            published: self.published,
            done: self.done,
            queued: self.depth(),
            in_progress: self.in_progress(),
            rejected: self.rejected,
            redelivered: self.redelivered,
            max_depth: self.max_depth_seen,
            job_latency_ms: LatencyReport::of(&self.latency),
            mean_wait_ms: self.wait_sum_ns as f64
                / (self.done + u64::from(self.in_progress())).max(1) as f64
                / 1e6,
            workers: self.station.workers,
            utilization: self
                .station
                .total
                .utilization(self.station.workers)
                .min(1.0),
            writes: self.writes.then(|| JobWritesReport {
                committed: self.writes_committed,
                failed: self.writes_failed,
                in_flight: self.writes_in_flight(),
            }),
        }
    }

    /// Jobs whose worker waits for their write now.
    pub fn writes_in_flight(&self) -> u32 {
        let sent = self.running.iter().flatten().filter(|j| j.write.is_some());
        (sent.count() + self.outbox.len()) as u32
    }

    /// The next job done whose write is to be sent now (its running slot), if any.
    pub fn next_write(&mut self) -> Option<u32> {
        self.outbox.pop_front()
    }

    /// The write of the job in running slot `slot` is on its way as request `req`.
    pub fn write_sent(&mut self, slot: u32, req: ReqRef) {
        if let Some(job) = self.running.get_mut(slot as usize).and_then(Option::as_mut) {
            job.write = Some(req);
        }
    }

    /// Request `req`, the write of the job in running slot `slot`, has committed or failed.
    /// A write whose job is no longer there (the workers died and it went back to the
    /// queue) changes nothing: its job runs again and writes again (at least once).
    pub fn write_ended<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        slot: u32,
        req: ReqRef,
        committed: bool,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) {
        let Some(job) = self.running.get(slot as usize).copied().flatten() else {
            return;
        };
        if job.write != Some(req) {
            return;
        }
        if committed {
            self.writes_committed += 1;
            self.finish(slot, ctx);
            return;
        }
        // Not acknowledged: the queue will deliver the job again, first in line, once its
        // worker has backed off.
        self.writes_failed += 1;
        self.redelivered += 1;
        self.running[slot as usize] = Some(Running {
            write: None,
            backing_off: true,
            ..job
        });
        let epoch = self.station.epoch;
        ctx.schedule(
            ctx.now.plus(WRITE_RETRY_BACKOFF),
            JobEvent::BackedOff { slot, epoch },
        );
    }

    /// The worker of running slot `slot` has backed off after a failed write: its job goes
    /// back to the queue, first in line, and the worker takes the next waiting job.
    fn on_backed_off<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        slot: u32,
        epoch: u32,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) {
        if self.station.epoch != epoch {
            return; // the workers died; the job went back to the queue then
        }
        let Some(job) = self.free_worker(slot, ctx.now) else {
            return;
        };
        self.line.push_front(job.published);
        self.station.waiting += 1;
        self.max_depth_seen = self.max_depth_seen.max(self.station.waiting);
        self.start_jobs(ctx);
    }

    /// A committed write publishes a job (the share of writes that carry one is workload, drawn
    /// from the run's RNG). Returns false when the queue is full and the publish fails.
    pub fn publish<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> bool {
        let share = self.jobs_per_write;
        if share <= 0.0 || ctx.rng.unit() >= share {
            return true;
        }
        let now = ctx.now;
        // Jobs being worked on are still in the queue until acknowledged: they count.
        if self.line.len() as u32 + self.station.busy >= self.max_depth {
            self.rejected += 1;
            return false;
        }
        self.published += 1;
        self.station.account(now);
        self.line.push_back(now);
        self.station.waiting += 1;
        self.max_depth_seen = self.max_depth_seen.max(self.station.waiting);
        self.start_jobs(ctx);
        true
    }

    /// Gives waiting jobs to idle workers.
    fn start_jobs<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) {
        let now = ctx.now;
        loop {
            if !self.station.alive || self.station.busy >= self.station.workers {
                return;
            }
            let Some(published) = self.line.pop_front() else {
                return;
            };
            self.station.account(now);
            self.station.waiting -= 1;
            self.station.busy += 1;
            self.wait_sum_ns += u128::from(now.since(published).as_nanos());
            let job = Some(Running {
                published,
                write: None,
                backing_off: false,
            });
            let slot = match self.free_running.pop() {
                Some(slot) => {
                    self.running[slot as usize] = job;
                    slot
                }
                None => {
                    self.running.push(job);
                    (self.running.len() - 1) as u32
                }
            };
            let epoch = self.station.epoch;
            let duration = self.job.sample_ns(&mut ctx.rng);
            ctx.schedule(
                now.plus(SimDuration(duration)),
                JobEvent::Done { slot, epoch },
            );
        }
    }

    fn on_job_done<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        slot: u32,
        epoch: u32,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) {
        if self.station.epoch != epoch || self.running[slot as usize].is_none() {
            return; // the workers died; the job went back to the queue
        }
        if self.writes {
            // The worker waits for the job's write, which the stack sends now.
            self.outbox.push_back(slot);
            return;
        }
        self.finish(slot, ctx);
    }

    /// The job in running slot `slot` is done (acknowledged): its worker takes the next.
    fn finish<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        slot: u32,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) {
        let now = ctx.now;
        let Some(job) = self.free_worker(slot, now) else {
            return;
        };
        self.station.served += 1;
        self.done += 1;
        self.interval_done += 1;
        self.latency.record(now.since(job.published).as_nanos());
        self.start_jobs(ctx);
    }

    /// The worker of running slot `slot` lets its job go at `now` (a worker told to stop
    /// stops then); returns the job.
    fn free_worker(&mut self, slot: u32, now: SimTime) -> Option<Running> {
        let job = self.running[slot as usize].take()?;
        self.free_running.push(slot);
        self.station.account(now);
        self.station.busy -= 1;
        if self.station.workers > self.target_workers {
            self.station.workers -= 1; // a worker told to stop is done with its job
        }
        Some(job)
    }

    /// The workers die at `now`: their jobs are not acknowledged, so the queue delivers them
    /// again. Returns how many went back.
    fn workers_die(&mut self, now: SimTime) -> u32 {
        self.station.account(now);
        self.station.alive = false;
        self.station.epoch = self.station.epoch.wrapping_add(1);
        let mut back = 0;
        // Writes not sent yet are not sent: their jobs go back with the others.
        self.outbox.clear();
        let mut counted = 0;
        for (slot, job) in self.running.iter_mut().enumerate().rev() {
            if let Some(Running {
                published,
                backing_off,
                ..
            }) = job.take()
            {
                self.line.push_front(published);
                self.free_running.push(slot as u32);
                back += 1;
                // A job whose write failed was counted as redelivered then.
                counted += u32::from(backing_off);
            }
        }
        self.station.busy = 0;
        self.station.waiting += back;
        self.redelivered += u64::from(back - counted);
        back
    }

    /// The workers are back: they drain the backlog.
    fn workers_back<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) {
        self.station.account(ctx.now);
        self.station.alive = true;
        self.start_jobs(ctx);
    }

    /// The worker autoscaler looks at the backlog.
    fn on_scale_check<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) {
        let now = ctx.now;
        let Some(a) = self.autoscale.clone() else {
            return;
        };
        let backlog = f64::from(self.depth());
        let wanted = (backlog / a.jobs_per_worker).ceil() as u32;
        // Scale in at most by half per decision, so an emptied queue does not make the pool
        // collapse and then overshoot again.
        let desired = wanted
            .max(self.station.workers / 2)
            .clamp(a.min_workers, a.max_workers);
        let current = self.station.workers;
        let mut message = None;
        if desired > current + self.starting {
            let more = desired - current - self.starting;
            self.starting += more;
            ctx.schedule(
                now.plus(SimDuration::from_secs_f64(a.start_delay_s)),
                JobEvent::WorkersReady { count: more },
            );
            message = Some(format!(
                "worker autoscaler: {} jobs waiting; starting {more} workers (ready in {} s)",
                backlog, a.start_delay_s
            ));
        } else if desired < current && self.starting == 0 {
            // Idle workers stop now; busy ones stop when they finish their job.
            self.station.account(now);
            self.target_workers = desired;
            let idle = self.station.workers - self.station.busy.min(self.station.workers);
            self.station.workers -= idle.min(current - desired);
            message = Some(format!(
                "worker autoscaler: {} jobs waiting; down to {desired} workers",
                backlog
            ));
        }
        if let Some(text) = message {
            ctx.log("workers", text);
        }
        ctx.schedule(
            now.plus(SimDuration::from_secs_f64(a.interval_s)),
            JobEvent::ScaleCheck,
        );
    }

    fn on_workers_ready<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        count: u32,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) {
        self.starting = self.starting.saturating_sub(count);
        self.station.account(ctx.now);
        self.station.workers += count;
        self.target_workers = self.target_workers.max(self.station.workers);
        let workers = self.station.workers;
        ctx.log(
            "workers",
            format!("{count} workers started; {workers} in all"),
        );
        self.start_jobs(ctx);
    }
}

impl OwnEvents<JobEvent> for JobTier {
    fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: JobEvent,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Follow {
        match event {
            JobEvent::Done { slot, epoch } => self.on_job_done(slot, epoch, ctx),
            JobEvent::BackedOff { slot, epoch } => self.on_backed_off(slot, epoch, ctx),
            JobEvent::ScaleCheck => self.on_scale_check(ctx),
            JobEvent::WorkersReady { count } => self.on_workers_ready(count, ctx),
        }
        Follow::Nothing
    }
}

impl Component for JobTier {}

/// Its first member in the run (`BuiltIn::members`): the queue itself.
const QUEUE: u8 = 0;
/// Its second member: the workers.
const WORKERS: u8 = 1;

impl BuiltIn for JobTier {
    const NODE: NodeKind = NodeKind::Queue;
    const TAKES_WRITES: bool = true;

    fn of_scenario(scenario: &Scenario) -> Option<JobTier> {
        let writes = |q: &JobQueue| q.job_writes_to_db && scenario.database.is_some();
        (scenario.queue.as_ref()).map(|q| JobTier::with_writes(q, writes(q)))
    }

    fn report_section(&self, _stations: &[Station], sections: &mut Sections<'_>) {
        sections.queue = Some(self.report());
    }

    /// The worker autoscaler's first check, one interval in.
    fn start<R: Slot, E: Copy + From<BuiltInEvent>>(&self, ctx: &mut BuiltInCtx<'_, R, E>) {
        if let Some(every) = self.autoscale_interval() {
            ctx.schedule(SimTime::ZERO + every, JobEvent::ScaleCheck);
        }
    }

    #[inline]
    fn write_committed<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<Outcome> {
        (!self.publish(ctx)).then_some(Outcome::QueueFull)
    }

    fn members(&self) -> &'static [(&'static str, ComponentKind)] {
        &[
            ("queue", ComponentKind::Queue),
            ("workers", ComponentKind::Workers),
        ]
    }

    fn member_alive(&self, member: u8) -> bool {
        member != WORKERS || self.station.alive
    }

    /// The queue is durable (it cannot be killed); dead workers give their jobs back.
    fn kill_member<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        member: u8,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<String> {
        (member == WORKERS).then(|| {
            let back = self.workers_die(ctx.now);
            format!("; {back} jobs in progress go back to the queue (nothing is lost)")
        })
    }

    fn repair_member<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        member: u8,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<String> {
        (member == WORKERS).then(|| {
            self.workers_back(ctx);
            "; draining the backlog".to_string()
        })
    }

    fn member_state(&self, member: u8, state: &mut ComponentState) {
        match member {
            QUEUE => {
                state.queue_len = self.depth();
                state.queue_capacity = self.max_depth;
                if self.writes {
                    // The workers' writes to the database, as the report's `writes` counts
                    // them (the inspector lists them under the queue).
                    state.figures = vec![
                        Figure {
                            key: "job_writes_committed",
                            label: "Job writes committed",
                            value: self.writes_committed as f64,
                        },
                        Figure {
                            key: "job_writes_failed",
                            label: "Job writes failed (redelivered)",
                            value: self.writes_failed as f64,
                        },
                        Figure {
                            key: "job_writes_in_flight",
                            label: "Job writes in flight",
                            value: f64::from(self.writes_in_flight()),
                        },
                    ];
                }
            }
            _ => {
                state.busy_workers = self.station.busy;
                state.workers = self.station.workers;
                state.utilization = (self.station.last_interval)
                    .utilization(self.station.workers)
                    .min(1.0);
            }
        }
    }

    fn close_point(&mut self, now: SimTime, _stations: &[Station], point: &mut SeriesPoint) {
        self.station.account(now);
        self.station.close_interval();
        point.queue_depth = self.depth();
        point.jobs_done = std::mem::take(&mut self.interval_done);
    }

    fn snapshot(&self, snapshot: &mut Snapshot) {
        snapshot.queue_depth = self.depth();
    }

    fn bill_machines(&self, run: &RunSoFar<'_>, bill: &mut Bill) {
        bill.add("queue broker", run.hours, "hours", PRICES.queue_broker_hour);
        bill.add(
            "queue workers",
            f64::from(self.station.workers) * run.hours,
            "worker-hours",
            PRICES.queue_worker_hour,
        );
    }
}

#[cfg(test)]
mod tests;
