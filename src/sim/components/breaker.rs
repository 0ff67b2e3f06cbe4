//! A circuit breaker in the web tier around its database calls (`server.breaker`).
//!
//! ```text
//!   closed ──`failures` failed or slow calls in a row──▶ open: calls fail at once
//!     ▲                                                   │ after `open_ms`
//!     └── a call succeeds ◀── half-open: `probes` calls through ──▶ a call fails: open again
//! ```
//!
//! Open, the web tier answers at once with an error instead of sending the call: it sheds the
//! load from a dead or slow database (and, with synchronous workers, frees its own workers),
//! and the database gets room to recover. A probe that never reports back (its client gave
//! up) is replaced after another `open_ms`.

use crate::scenario::Breaker as Spec;
use crate::sim::kernel::time::{SimDuration, SimTime};
use serde::Serialize;

/// Where the breaker stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// Calls fail at once.
    Open,
    /// A few calls go through to test the database.
    HalfOpen,
}

/// What to do with a database call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Admit {
    /// Send it.
    Send,
    /// Fail it at once.
    Refuse,
}

/// What changed when a call's outcome was recorded or a call was admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Change {
    /// Nothing worth a log entry.
    None,
    /// It opened (tripped).
    Opened,
    /// It let its first probes through.
    HalfOpened,
    /// A probe succeeded: closed again.
    Closed,
}

/// The breaker and its counts.
#[derive(Clone, Debug)]
pub(in crate::sim) struct CircuitBreaker {
    failures_to_open: u32,
    slow_call: SimDuration,
    open_for: SimDuration,
    probes: u32,
    state: BreakerState,
    /// Failed or slow calls in a row (closed).
    failed_in_a_row: u32,
    /// When it last opened, or when its current probes were let through (half-open).
    since: SimTime,
    /// Probes let through and not yet reported (half-open).
    probes_out: u32,
    /// Times it opened.
    trips: u64,
    /// Calls it failed at once.
    refused: u64,
    /// Time spent open before `since` (when open now), ns.
    open_ns: u64,
}

/// The breaker over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BreakerReport {
    /// Where it stands at the end.
    pub state: BreakerState,
    /// Times it opened.
    pub trips: u64,
    /// Database calls it failed at once (counted as `db_down` failures).
    pub refused: u64,
    /// Time it was open, s.
    pub open_s: f64,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(spec: &Spec) -> CircuitBreaker {
        CircuitBreaker {
            failures_to_open: spec.failures.max(1),
            slow_call: SimDuration::from_millis_f64(spec.slow_call_ms),
            open_for: SimDuration::from_millis_f64(spec.open_ms),
            probes: spec.probes.max(1),
            state: BreakerState::Closed,
            failed_in_a_row: 0,
            since: SimTime::ZERO,
            probes_out: 0,
            trips: 0,
            refused: 0,
            open_ns: 0,
        }
    }

    /// Where it stands.
    pub fn state(&self) -> BreakerState {
        self.state
    }

    /// Whether a call that spent `at_db` at the database counts as slow.
    pub fn is_slow(&self, at_db: SimDuration) -> bool {
        at_db > self.slow_call
    }

    /// A call is about to be sent at `now`: send it or fail it.
    pub fn admit(&mut self, now: SimTime) -> (Admit, Change) {
        match self.state {
            BreakerState::Closed => (Admit::Send, Change::None),
            BreakerState::Open if now >= self.since.plus(self.open_for) => {
                self.open_ns += now.since(self.since).as_nanos();
                self.state = BreakerState::HalfOpen;
                self.since = now;
                self.probes_out = 1;
                (Admit::Send, Change::HalfOpened)
            }
            BreakerState::Open => {
                self.refused += 1;
                (Admit::Refuse, Change::None)
            }
            BreakerState::HalfOpen => {
                if now >= self.since.plus(self.open_for) {
                    // The probes out never reported back: let new ones through.
                    self.probes_out = 0;
                    self.since = now;
                }
                if self.probes_out < self.probes {
                    self.probes_out += 1;
                    (Admit::Send, Change::None)
                } else {
                    self.refused += 1;
                    (Admit::Refuse, Change::None)
                }
            }
        }
    }

    /// A call sent earlier ended at `now`: `ok` (answered in time) or not.
    pub fn record(&mut self, ok: bool, now: SimTime) -> Change {
        match (self.state, ok) {
            (BreakerState::Closed, true) => {
                self.failed_in_a_row = 0;
                Change::None
            }
            (BreakerState::Closed, false) => {
                self.failed_in_a_row += 1;
                if self.failed_in_a_row >= self.failures_to_open {
                    self.open(now);
                    Change::Opened
                } else {
                    Change::None
                }
            }
            (BreakerState::HalfOpen, true) => {
                self.state = BreakerState::Closed;
                self.failed_in_a_row = 0;
                self.probes_out = 0;
                Change::Closed
            }
            (BreakerState::HalfOpen, false) => {
                self.open(now);
                Change::Opened
            }
            // Calls sent before it opened still end while it is open: they change nothing.
            (BreakerState::Open, _) => Change::None,
        }
    }

    fn open(&mut self, now: SimTime) {
        self.state = BreakerState::Open;
        self.since = now;
        self.failed_in_a_row = 0;
        self.probes_out = 0;
        self.trips += 1;
    }

    /// The report section at `now`.
    pub fn report(&self, now: SimTime) -> BreakerReport {
        let open_now = if self.state == BreakerState::Open {
            now.since(self.since).as_nanos()
        } else {
            0
        };
        BreakerReport {
            state: self.state,
            trips: self.trips,
            refused: self.refused,
            open_s: (self.open_ns + open_now) as f64 / 1e9,
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
    fn it_opens_after_failures_in_a_row_and_closes_through_half_open() {
        let mut b = CircuitBreaker::new(&Spec {
            failures: 3,
            slow_call_ms: 100.0,
            open_ms: 1000.0,
            probes: 1,
        });
        assert!(
            b.is_slow(SimDuration::from_millis(101)) && !b.is_slow(SimDuration::from_millis(100))
        );
        assert_eq!(b.record(false, ms(1)), Change::None);
        assert_eq!(b.record(true, ms(2)), Change::None); // a success resets the count
        assert_eq!(b.record(false, ms(3)), Change::None);
        assert_eq!(b.record(false, ms(4)), Change::None);
        assert_eq!(b.record(false, ms(5)), Change::Opened);
        assert_eq!(b.admit(ms(500)), (Admit::Refuse, Change::None));
        // After open_ms, one probe goes through; others are refused while it is out.
        assert_eq!(b.admit(ms(1005)), (Admit::Send, Change::HalfOpened));
        assert_eq!(b.admit(ms(1006)), (Admit::Refuse, Change::None));
        // The probe fails: open again, for another open_ms.
        assert_eq!(b.record(false, ms(1010)), Change::Opened);
        assert_eq!(b.admit(ms(2000)), (Admit::Refuse, Change::None));
        assert_eq!(b.admit(ms(2010)), (Admit::Send, Change::HalfOpened));
        assert_eq!(b.record(true, ms(2020)), Change::Closed);
        assert_eq!(b.admit(ms(2021)), (Admit::Send, Change::None));
        let r = b.report(ms(3000));
        assert_eq!((r.trips, r.refused, r.state), (2, 3, BreakerState::Closed));
        assert!((r.open_s - 2.0).abs() < 1e-9, "{}", r.open_s);
    }

    #[test]
    fn a_probe_that_never_reports_is_replaced() {
        let mut b = CircuitBreaker::new(&Spec {
            failures: 1,
            slow_call_ms: 100.0,
            open_ms: 1000.0,
            probes: 1,
        });
        b.record(false, ms(0));
        assert_eq!(b.admit(ms(1000)).0, Admit::Send);
        assert_eq!(b.admit(ms(1500)).0, Admit::Refuse);
        assert_eq!(b.admit(ms(2000)).0, Admit::Send);
    }
}
