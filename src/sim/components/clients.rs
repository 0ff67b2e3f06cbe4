//! Clients that retry: after a failed or timed-out attempt a client waits a backoff and sends
//! the same request again, up to `max` more times. Every retry is new work for the system, so
//! a system that fails a share p of attempts sees its load multiplied by (1 − pⁿ⁺¹)/(1 − p)
//! with n retries — a retry storm when p grows with the load.
//!
//! ```text
//!   user request ─▶ attempt 1 ─✗─▶ wait ─▶ attempt 2 ─✗─▶ … ─▶ attempt n+1 ─✗─▶ failed
//!                        └─✓─▶ completed (latency from the first attempt)
//! ```
//!
//! This component keeps the retries waiting for their backoff to end (a slab: no allocation
//! once it has grown to the most waiting at once) and the counters of the run: attempts,
//! retries, answers that came after the client had given up (wasted work). The engine owns the
//! requests and the events.

use crate::scenario::Retries;
use crate::sim::kernel::rng::{round_ns, Rng};
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::RequestKind;
use serde::Serialize;

/// A request waiting to be sent again.
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) struct PendingRetry {
    pub user: u32,
    pub kind: RequestKind,
    pub key: u32,
    pub region: u8,
    /// Served by the NoSQL store.
    pub nosql: bool,
    /// A read that asks every shard.
    pub fanout: bool,
    /// The attempt this retry will be (2 = the first retry).
    pub attempt: u8,
    /// When the user sent the first attempt.
    pub first_start: SimTime,
}

/// The retrying clients of one stack.
#[derive(Clone)]
pub(in crate::sim) struct Clients {
    policy: Retries,
    pending: Vec<PendingRetry>,
    free: Vec<u32>,
    waiting: u64,
    /// Attempts sent, first ones and retries.
    pub attempts: u64,
    /// Retries sent.
    pub retries: u64,
    /// User requests that failed on their last attempt.
    pub gave_up: u64,
    /// Answers the system produced after their client had given up (too late to count).
    pub late_answers: u64,
    /// Services a station finished for a request whose client had given up.
    pub wasted_services: u64,
}

impl Clients {
    /// Clients that retry by `policy`.
    pub fn new(policy: &Retries) -> Clients {
        Clients {
            policy: policy.clone(),
            pending: Vec::new(),
            free: Vec::new(),
            waiting: 0,
            attempts: 0,
            retries: 0,
            gave_up: 0,
            late_answers: 0,
            wasted_services: 0,
        }
    }

    /// Whether an attempt number `attempt` (1 = the first) that failed may be retried.
    pub fn may_retry(&self, attempt: u8) -> bool {
        u32::from(attempt) <= self.policy.max
    }

    /// How long the client waits before attempt `next` (2 = the first retry).
    pub fn backoff(&self, next: u8, rng: &mut Rng) -> SimDuration {
        let p = &self.policy;
        let exponent = i32::from(next.saturating_sub(2));
        let mut ms = p.backoff_ms * libm::pow(p.multiplier, f64::from(exponent));
        if p.jitter > 0.0 {
            ms *= 1.0 - p.jitter + p.jitter * rng.unit();
        }
        SimDuration(round_ns(ms * 1e6))
    }

    /// Keeps `retry` until its backoff ends; returns its handle.
    pub fn hold(&mut self, retry: PendingRetry) -> u32 {
        self.waiting += 1;
        self.retries += 1;
        match self.free.pop() {
            Some(slot) => {
                self.pending[slot as usize] = retry;
                slot
            }
            None => {
                self.pending.push(retry);
                (self.pending.len() - 1) as u32
            }
        }
    }

    /// The retry held as `slot`, now due.
    pub fn release(&mut self, slot: u32) -> PendingRetry {
        self.waiting -= 1;
        self.free.push(slot);
        self.pending[slot as usize]
    }

    /// Adds `other`'s counters to these (the geo layer's sum over its data centers).
    pub fn add(&mut self, other: &Clients) {
        self.waiting += other.waiting;
        self.attempts += other.attempts;
        self.retries += other.retries;
        self.gave_up += other.gave_up;
        self.late_answers += other.late_answers;
        self.wasted_services += other.wasted_services;
    }

    /// User requests waiting between attempts (part of the requests in flight).
    pub fn waiting(&self) -> u64 {
        self.waiting
    }

    /// The run's figures, over `elapsed_s` seconds, for `generated` user requests of which
    /// `completed` were answered in time.
    pub fn report(&self, generated: u64, completed: u64, elapsed_s: f64) -> ClientReport {
        let per_s = |n: u64| {
            if elapsed_s > 0.0 {
                n as f64 / elapsed_s
            } else {
                0.0
            }
        };
        ClientReport {
            max_retries: self.policy.max,
            attempts: self.attempts,
            retries: self.retries,
            load_factor: if generated == 0 {
                0.0
            } else {
                self.attempts as f64 / generated as f64
            },
            gave_up: self.gave_up,
            waiting_to_retry: self.waiting,
            answers_per_s: per_s(completed + self.late_answers),
            goodput_per_s: per_s(completed),
            late_answers: self.late_answers,
            wasted_services: self.wasted_services,
        }
    }
}

/// What retrying clients did over the run (the report's `clients`; only when
/// `traffic.retries` is set).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClientReport {
    /// Retries a client makes at most after the first attempt.
    pub max_retries: u32,
    /// Attempts sent: first attempts and retries (the load the system was offered).
    pub attempts: u64,
    /// Of which retries.
    pub retries: u64,
    /// Attempts per user request (1: no retry was needed).
    pub load_factor: f64,
    /// User requests that failed on their last attempt.
    pub gave_up: u64,
    /// User requests waiting for their backoff to end when the report was taken.
    pub waiting_to_retry: u64,
    /// Answers the system produced per second, in time or not (throughput).
    pub answers_per_s: f64,
    /// Answers that reached their client in time, per second (goodput).
    pub goodput_per_s: f64,
    /// Answers that came after their client had given up: work done for nobody.
    pub late_answers: u64,
    /// Services stations finished for requests whose client had given up.
    pub wasted_services: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: f64) -> Retries {
        Retries {
            max: 3,
            backoff_ms: 100.0,
            multiplier: 2.0,
            jitter,
        }
    }

    #[test]
    fn backoff_grows_by_the_multiplier_and_jitter_stays_within_its_share() {
        let mut rng = Rng::new(7);
        let c = Clients::new(&policy(0.0));
        assert_eq!(c.backoff(2, &mut rng), SimDuration::from_millis_f64(100.0));
        assert_eq!(c.backoff(4, &mut rng), SimDuration::from_millis_f64(400.0));
        assert!(c.may_retry(3) && !c.may_retry(4));
        let c = Clients::new(&policy(0.5));
        for _ in 0..1000 {
            let ms = c.backoff(3, &mut rng).as_millis_f64();
            assert!((100.0..=200.0).contains(&ms), "{ms}");
        }
    }

    #[test]
    fn held_retries_reuse_their_slots() {
        let mut c = Clients::new(&policy(0.0));
        let retry = PendingRetry {
            user: 1,
            kind: RequestKind::Write,
            key: 9,
            region: 0,
            nosql: false,
            fanout: false,
            attempt: 2,
            first_start: SimTime::ZERO,
        };
        let a = c.hold(retry);
        let b = c.hold(PendingRetry { key: 10, ..retry });
        assert_eq!(c.waiting(), 2);
        assert_eq!(c.release(a).key, 9);
        assert_eq!(c.hold(retry), a);
        assert_eq!(c.release(b).key, 10);
        assert_eq!((c.waiting(), c.retries), (1, 3));
    }
}
