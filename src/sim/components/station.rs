//! A station: a node with `workers` parallel servers and a bounded FIFO waiting line — the
//! building block of every component that does work (web server, database, cache node, …).
//!
//! ```text
//!   arrivals ──▶ [ waiting line ≤ capacity ] ──▶ ( worker × c ) ──▶ done
//!                      │ full → rejected
//! ```
//!
//! It keeps time integrals of busy workers and waiting requests, so utilization and mean queue
//! length are exact averages over simulated time, not samples.

use crate::sim::kernel::time::SimTime;
use crate::sim::kernel::wide::mul_wide;
use std::collections::VecDeque;

/// A reference to a request slot, valid while its generation matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReqRef {
    /// Index into the request slab.
    pub slot: u32,
    /// Generation of the slot when the reference was made.
    pub gen: u32,
}

/// Time-weighted statistics of a station over some span.
#[derive(Clone, Copy, Debug, Default)]
pub struct Area {
    /// ∫ busy workers dt, in worker·ns.
    pub busy: u128,
    /// ∫ waiting requests dt, in request·ns.
    pub queued: u128,
    /// Length of the span, in ns.
    pub span_ns: u64,
}

/// A multi-worker queueing node.
#[derive(Clone)]
pub struct Station {
    /// Parallel workers.
    pub workers: u32,
    /// Workers busy now.
    pub busy: u32,
    /// Most requests that may wait.
    pub capacity: u32,
    /// Waiting entries; some may belong to requests whose client gave up (skipped on pop).
    pub line: VecDeque<ReqRef>,
    /// Waiting requests whose client is still there.
    pub waiting: u32,
    /// False while the node is down.
    pub alive: bool,
    /// Bumped when the node dies, so completions scheduled before the death are recognised.
    pub epoch: u32,
    last_change: SimTime,
    /// Since the start of the run.
    pub total: Area,
    /// Since the start of the current metrics interval.
    pub interval: Area,
    /// The last complete metrics interval.
    pub last_interval: Area,
    /// Service speed factor: service times are divided by it.
    pub speed: f64,
    /// A grey failure: service times are multiplied by it (1: healthy). The node stays alive
    /// and passes health checks.
    pub slowdown: f64,
    /// When the current slowdown began (`None`: not slowed now).
    slowed_since: Option<SimTime>,
    /// Time spent slowed before `slowed_since`, ns.
    slowed_ns: u64,
    /// Largest slowdown seen (1: never slowed).
    pub slowdown_max: f64,
    /// A flaky node: the share of arriving requests it answers with an error at once (0:
    /// none).
    pub error_ratio: f64,
    /// Requests it answered with an error because it was flaky.
    pub errors_injected: u64,
    /// Requests that arrived while it was down (connection refused).
    pub refused: u64,
    /// `refused` when it last died.
    pub refused_at_death: u64,
    /// Services completed.
    pub served: u64,
    /// Requests turned away because the line was full.
    pub rejected: u64,
    /// Longest line seen (waiting requests).
    pub max_waiting: u32,
    /// Sum of sojourn times (arrival at the station to service end) of completed services, ns.
    pub sojourn_sum_ns: u128,
    /// Sum of waiting times of services started, ns.
    pub wait_sum_ns: u128,
    /// Services started.
    pub started: u64,
}

impl Station {
    /// An idle, live station.
    pub fn new(workers: u32, capacity: u32) -> Station {
        Station {
            workers,
            busy: 0,
            capacity,
            line: VecDeque::with_capacity(capacity.min(4096) as usize),
            waiting: 0,
            alive: true,
            epoch: 0,
            last_change: SimTime::ZERO,
            total: Area::default(),
            interval: Area::default(),
            last_interval: Area::default(),
            speed: 1.0,
            slowdown: 1.0,
            slowed_since: None,
            slowed_ns: 0,
            slowdown_max: 1.0,
            error_ratio: 0.0,
            errors_injected: 0,
            refused: 0,
            refused_at_death: 0,
            served: 0,
            rejected: 0,
            max_waiting: 0,
            sojourn_sum_ns: 0,
            wait_sum_ns: 0,
            started: 0,
        }
    }

    /// Adds the time since the last change to the integrals. Call before any state change.
    #[inline]
    pub fn account(&mut self, now: SimTime) {
        let dt = now.since(self.last_change).as_nanos();
        if dt > 0 {
            let busy = mul_wide(u64::from(self.busy), dt);
            let queued = mul_wide(u64::from(self.waiting), dt);
            for area in [&mut self.total, &mut self.interval] {
                area.busy += busy;
                area.queued += queued;
                area.span_ns += dt;
            }
            self.last_change = now;
        }
    }

    /// Closes the current metrics interval and starts the next.
    pub fn close_interval(&mut self) {
        self.last_interval = std::mem::take(&mut self.interval);
    }

    /// From `now` on, services started take `factor` times longer (1: healthy again).
    /// Services already under way keep their end.
    pub fn set_slowdown(&mut self, factor: f64, now: SimTime) {
        self.account(now);
        if let Some(since) = self.slowed_since.take() {
            self.slowed_ns += now.since(since).as_nanos();
        }
        self.slowdown = factor;
        self.slowdown_max = self.slowdown_max.max(factor);
        if factor != 1.0 {
            self.slowed_since = Some(now);
        }
    }

    /// Time spent slowed up to `now`, ns.
    pub fn slowed_ns(&self, now: SimTime) -> u64 {
        self.slowed_ns
            + self
                .slowed_since
                .map_or(0, |since| now.since(since).as_nanos())
    }

    /// How long `work` ns of service (at speed 1) take here, ns (at least 1).
    #[inline]
    pub fn service_ns(&self, work: u64) -> u64 {
        // × 1.0 when healthy leaves the quotient bit for bit as it was.
        crate::sim::kernel::rng::round_ns(work as f64 * self.slowdown / self.speed).max(1)
    }

    /// Whether a worker is free.
    pub fn has_free_worker(&self) -> bool {
        self.busy < self.workers
    }

    /// Whether the line has room for one more.
    pub fn has_room(&self) -> bool {
        self.waiting < self.capacity
    }
}

impl Area {
    /// Mean busy fraction of `workers` over the span (0 for an empty span).
    pub fn utilization(&self, workers: u32) -> f64 {
        if self.span_ns == 0 || workers == 0 {
            0.0
        } else {
            self.busy as f64 / (self.span_ns as f64 * f64::from(workers))
        }
    }

    /// Mean number waiting over the span.
    pub fn mean_waiting(&self) -> f64 {
        if self.span_ns == 0 {
            0.0
        } else {
            self.queued as f64 / self.span_ns as f64
        }
    }
}
