//! Simulated time: an integer count of nanoseconds since the start of the run.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A point in simulated time, in nanoseconds since the run began.
///
/// Integer time keeps runs identical on every platform; nanoseconds keep inter-arrival times
/// exact enough at a million requests per second.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of a run.
    pub const ZERO: SimTime = SimTime(0);

    /// From milliseconds (rounded to the nearest nanosecond; negatives clamp to 0).
    pub fn from_millis_f64(ms: f64) -> SimTime {
        SimTime::from_nanos_f64(ms * 1e6)
    }

    /// From seconds (rounded to the nearest nanosecond; negatives clamp to 0).
    pub fn from_secs_f64(s: f64) -> SimTime {
        SimTime::from_nanos_f64(s * 1e9)
    }

    /// From whole seconds.
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s * 1_000_000_000)
    }

    /// From whole microseconds.
    pub const fn from_micros(us: u64) -> SimTime {
        SimTime(us * 1_000)
    }

    fn from_nanos_f64(ns: f64) -> SimTime {
        if ns.is_nan() || ns <= 0.0 {
            SimTime(0)
        } else {
            // `as` saturates at u64::MAX for huge values.
            SimTime(libm::round(ns) as u64)
        }
    }

    /// Nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Whole microseconds.
    pub const fn as_micros(self) -> u64 {
        self.0 / 1_000
    }

    /// Milliseconds.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `self + d`, saturating.
    pub const fn plus(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// `self − earlier`, or zero when `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} s", self.as_secs_f64())
    }
}
