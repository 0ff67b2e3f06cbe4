//! Simulated time: an instant ([`SimTime`], integer nanoseconds since the start of the run)
//! and a span ([`SimDuration`], integer nanoseconds). An instant plus a span is an instant;
//! an instant minus an earlier one is a span:
//!
//! ```text
//!   SimTime + SimDuration → SimTime      SimTime − SimDuration → SimTime
//!   SimTime − SimTime     → SimDuration  (all saturating: never before 0, never negative)
//! ```
//!
//! Older code still adds spans written as `SimTime` with [`SimTime::plus`]; the components
//! rewritten since (DNS, the balancer, the web pool, the deploy controller) use
//! `SimDuration`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, Sub};

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

/// A span of simulated time, in nanoseconds (a lookup's time, a health-check interval, a
/// drain's length) — not an instant.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimDuration(pub u64);

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// From milliseconds (rounded to the nearest nanosecond; negatives clamp to 0).
    pub fn from_millis_f64(ms: f64) -> SimDuration {
        SimDuration(SimTime::from_millis_f64(ms).0)
    }

    /// From seconds (rounded to the nearest nanosecond; negatives clamp to 0).
    pub fn from_secs_f64(s: f64) -> SimDuration {
        SimDuration(SimTime::from_secs_f64(s).0)
    }

    /// From whole seconds.
    pub const fn from_secs(s: u64) -> SimDuration {
        SimDuration(s * 1_000_000_000)
    }

    /// From whole milliseconds.
    pub const fn from_millis(ms: u64) -> SimDuration {
        SimDuration(ms * 1_000_000)
    }

    /// Nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Milliseconds.
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Seconds.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;

    /// The instant `d` after this one (saturating).
    #[inline]
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Sub<SimDuration> for SimTime {
    type Output = SimTime;

    /// The instant `d` before this one (the start of the run at the earliest).
    #[inline]
    fn sub(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;

    /// The time from `earlier` to this instant (zero when `earlier` is later).
    #[inline]
    fn sub(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl Add for SimDuration {
    type Output = SimDuration;

    /// Both spans (saturating).
    #[inline]
    fn add(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_and_a_span_combine_as_time_does_and_never_go_negative() {
        let t = SimTime::from_secs(5);
        let d = SimDuration::from_millis_f64(250.0);
        assert_eq!(t + d, SimTime::from_millis_f64(5250.0));
        assert_eq!(t - d, SimTime::from_millis_f64(4750.0));
        assert_eq!((t + d) - t, d);
        assert_eq!(SimTime::ZERO - d, SimTime::ZERO);
        assert_eq!(SimTime::ZERO - t, SimDuration::ZERO);
        assert_eq!(SimTime(u64::MAX) + d, SimTime(u64::MAX));
        assert_eq!(d + d, SimDuration::from_millis(500));
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs(2).as_millis_f64(), 2000.0);
        assert_eq!(
            t + d,
            t.plus(SimTime(d.as_nanos())),
            "the same sum as the older `plus`"
        );
    }
}
