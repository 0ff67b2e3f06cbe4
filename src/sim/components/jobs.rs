//! The message queue (stage 8): web servers publish slow jobs to a durable queue and answer at
//! once; a pool of workers consumes them, one job each at a time.
//!
//! ```text
//!   write ──publish──▶ [ queue ≤ max_depth ] ──▶ ( worker × n ) ──▶ done
//!                           ▲ redelivered when workers die (nothing is lost)
//! ```
//!
//! Conservation: published = done + queued + in progress.

use crate::scenario::{JobQueue, WorkerAutoscale};
use crate::sim::components::station::Station;
use crate::sim::handle::Engine;
use crate::sim::kernel::histogram::Histogram;
use crate::sim::kernel::rng::Sampler;
use crate::sim::kernel::time::SimTime;
use crate::sim::stack::{Event, Stack};
use std::collections::VecDeque;

/// The queue and its workers.
#[derive(Clone)]
pub(crate) struct JobTier {
    /// Publish times of waiting jobs, oldest first.
    line: VecDeque<SimTime>,
    /// Per running slot: the publish time of the job in it.
    running: Vec<Option<SimTime>>,
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
    pub fn autoscale_interval(&self) -> Option<SimTime> {
        self.autoscale
            .as_ref()
            .map(|a| SimTime::from_secs_f64(a.interval_s))
    }
}

impl Stack {
    /// A committed write publishes a job (the share of writes that carry one is workload, drawn
    /// from the run's RNG). Returns false when the queue is full and the publish fails.
    pub(in crate::sim) fn maybe_publish_job(&mut self) -> bool {
        let Some(q) = self.jobs.as_ref() else {
            return true;
        };
        let share = q.jobs_per_write;
        if share <= 0.0 || self.rng.unit() >= share {
            return true;
        }
        let now = self.now();
        let q = self.jobs.as_mut().expect("checked");
        // Jobs being worked on are still in the queue until acknowledged: they count.
        if q.line.len() as u32 + q.station.busy >= q.max_depth {
            q.rejected += 1;
            return false;
        }
        q.published += 1;
        q.station.account(now);
        q.line.push_back(now);
        q.station.waiting += 1;
        q.max_depth_seen = q.max_depth_seen.max(q.station.waiting);
        self.start_jobs();
        true
    }

    /// Gives waiting jobs to idle workers.
    pub(in crate::sim) fn start_jobs(&mut self) {
        let now = self.now();
        loop {
            let Some(q) = self.jobs.as_mut() else { return };
            if !q.station.alive || q.station.busy >= q.station.workers {
                return;
            }
            let Some(published) = q.line.pop_front() else {
                return;
            };
            q.station.account(now);
            q.station.waiting -= 1;
            q.station.busy += 1;
            q.wait_sum_ns += u128::from(now.since(published).as_nanos());
            let slot = match q.free_running.pop() {
                Some(slot) => {
                    q.running[slot as usize] = Some(published);
                    slot
                }
                None => {
                    q.running.push(Some(published));
                    (q.running.len() - 1) as u32
                }
            };
            let epoch = q.station.epoch;
            let sampler = q.job;
            let duration = sampler.sample_ns(&mut self.rng);
            self.events
                .push(now.plus(SimTime(duration)), Event::JobDone { slot, epoch });
        }
    }

    pub(in crate::sim) fn on_job_done(&mut self, slot: u32, epoch: u32) {
        let now = self.now();
        let Some(q) = self.jobs.as_mut() else { return };
        if q.station.epoch != epoch {
            return; // the workers died; the job went back to the queue
        }
        let Some(published) = q.running[slot as usize].take() else {
            return;
        };
        q.free_running.push(slot);
        q.station.account(now);
        q.station.busy -= 1;
        if q.station.workers > q.target_workers {
            q.station.workers -= 1; // a worker told to stop is done with its job
        }
        q.station.served += 1;
        q.done += 1;
        q.interval_done += 1;
        q.latency.record(now.since(published).as_nanos());
        self.start_jobs();
    }

    /// The workers die: their jobs are not acknowledged, so the queue delivers them again.
    pub(in crate::sim) fn kill_workers(&mut self) -> u32 {
        let now = self.now();
        let Some(q) = self.jobs.as_mut() else {
            return 0;
        };
        q.station.account(now);
        q.station.alive = false;
        q.station.epoch = q.station.epoch.wrapping_add(1);
        let mut back = 0;
        for (slot, job) in q.running.iter_mut().enumerate().rev() {
            if let Some(published) = job.take() {
                q.line.push_front(published);
                q.free_running.push(slot as u32);
                back += 1;
            }
        }
        q.station.busy = 0;
        q.station.waiting += back;
        q.redelivered += u64::from(back);
        back
    }

    pub(in crate::sim) fn repair_workers(&mut self) {
        let now = self.now();
        if let Some(q) = self.jobs.as_mut() {
            q.station.account(now);
            q.station.alive = true;
        }
        self.start_jobs();
    }

    /// The worker autoscaler looks at the backlog.
    pub(in crate::sim) fn on_worker_scale_check(&mut self) {
        let now = self.now();
        let Some(q) = self.jobs.as_mut() else { return };
        let Some(a) = q.autoscale.clone() else { return };
        let backlog = f64::from(q.depth());
        let wanted = (backlog / a.jobs_per_worker).ceil() as u32;
        // Scale in at most by half per decision, so an emptied queue does not make the pool
        // collapse and then overshoot again.
        let desired = wanted
            .max(q.station.workers / 2)
            .clamp(a.min_workers, a.max_workers);
        let current = q.station.workers;
        let mut message = None;
        if desired > current + q.starting {
            let more = desired - current - q.starting;
            q.starting += more;
            self.events.push(
                now.plus(SimTime::from_secs_f64(a.start_delay_s)),
                Event::WorkersReady { count: more },
            );
            message = Some(format!(
                "worker autoscaler: {} jobs waiting; starting {more} workers (ready in {} s)",
                backlog, a.start_delay_s
            ));
        } else if desired < current && q.starting == 0 {
            // Idle workers stop now; busy ones stop when they finish their job.
            q.station.account(now);
            q.target_workers = desired;
            let idle = q.station.workers - q.station.busy.min(q.station.workers);
            q.station.workers -= idle.min(current - desired);
            message = Some(format!(
                "worker autoscaler: {} jobs waiting; down to {desired} workers",
                backlog
            ));
        }
        if let Some(text) = message {
            self.log_event("workers", text);
        }
        self.events.push(
            now.plus(SimTime::from_secs_f64(a.interval_s)),
            Event::WorkerScaleCheck,
        );
    }

    pub(in crate::sim) fn on_workers_ready(&mut self, count: u32) {
        let now = self.now();
        let Some(q) = self.jobs.as_mut() else { return };
        q.starting = q.starting.saturating_sub(count);
        q.station.account(now);
        q.station.workers += count;
        q.target_workers = q.target_workers.max(q.station.workers);
        let workers = q.station.workers;
        self.log_event(
            "workers",
            format!("{count} workers started; {workers} in all"),
        );
        self.start_jobs();
    }
}
