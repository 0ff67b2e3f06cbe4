//! Simulated time: instants ([`SimTime`], nanoseconds since the start of the run) and spans
//! ([`SimDuration`], nanoseconds), kept apart by their types:
//!
//! ```text
//!   SimTime + SimDuration = SimTime        SimTime − SimTime = SimDuration (0 if negative)
//!   SimTime − SimDuration = SimTime        SimDuration ± SimDuration = SimDuration
//!   SimTime + SimTime: does not compile
//! ```
//!
//! Every operation saturates (at 0 and at `u64::MAX` nanoseconds), as the engine always did.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in simulated time, in nanoseconds since the run began.
///
/// Two instants do not add up to anything:
///
/// ```compile_fail
/// use scalesim::sim::SimTime;
/// let _ = SimTime::from_secs(1) + SimTime::from_secs(2);
/// ```
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
            SimTime(super::wide::round(ns) as u64)
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
    pub const fn plus(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// `self − d`: the instant `d` before this one (the start of the run at the earliest).
    pub const fn minus(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }

    /// The time from `earlier` to `self`, or zero when `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

/// A span of simulated time, in nanoseconds: a service time, a timeout, an interval, a delay.
/// Added to a [`SimTime`] it gives a later instant; two instants subtract to one.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimDuration(pub u64);

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// Longer than any run.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

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

    /// From whole microseconds.
    pub const fn from_micros(us: u64) -> SimDuration {
        SimDuration(us * 1_000)
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

    /// `self + other`, saturating.
    pub const fn plus(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(other.0))
    }

    /// `n` times this span, saturating.
    pub const fn times(self, n: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(n))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.plus(d)
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = self.plus(d);
    }
}

impl Sub<SimDuration> for SimTime {
    type Output = SimTime;
    fn sub(self, d: SimDuration) -> SimTime {
        self.minus(d)
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    /// The time from `earlier` to `self` ([`SimTime::since`]: zero when `earlier` is later).
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, other: SimDuration) -> SimDuration {
        self.plus(other)
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    /// `self − other`, or zero when `other` is longer.
    fn sub(self, other: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} s", self.as_secs_f64())
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_and_spans_combine_by_their_types() {
        let t = SimTime::from_secs(2);
        let d = SimDuration::from_millis(500);
        assert_eq!(t + d, SimTime(2_500_000_000));
        assert_eq!(t - d, SimTime(1_500_000_000));
        assert_eq!((t + d) - t, d);
        assert_eq!(
            t - (t + d),
            SimDuration::ZERO,
            "an earlier minus a later instant is 0"
        );
        assert_eq!(d + d, SimDuration::from_secs(1));
        assert_eq!(d - SimDuration::from_secs(1), SimDuration::ZERO);
        assert_eq!(d.times(4), SimDuration::from_secs(2));
        let mut u = SimTime::ZERO;
        u += d;
        assert_eq!(u, SimTime(500_000_000));
        assert_eq!(SimTime(u64::MAX - 1) + d, SimTime(u64::MAX), "saturates");
        assert_eq!(SimDuration::MAX.times(2), SimDuration::MAX);
        assert_eq!(SimTime::ZERO - d, SimTime::ZERO);
        assert_eq!(SimDuration::from_secs_f64(-1.0), SimDuration::ZERO);
        assert_eq!(t + d, t.plus(d), "the operators are plus / minus / since");
        assert_eq!(t - d, t.minus(d));
        assert_eq!(t - (t + d), (t).since(t + d));
    }

    #[test]
    fn spans_convert_like_instants() {
        for ms in [0.0, 0.4, 1.5, 1_234.567_891, -3.0, f64::NAN, 1e30] {
            assert_eq!(
                SimDuration::from_millis_f64(ms).as_nanos(),
                SimTime::from_millis_f64(ms).as_nanos(),
                "{ms}"
            );
            assert_eq!(
                SimDuration::from_secs_f64(ms).as_nanos(),
                SimTime::from_secs_f64(ms).as_nanos(),
                "{ms}"
            );
        }
        assert_eq!(SimDuration::from_micros(3).as_nanos(), 3_000);
        assert_eq!(SimDuration::from_secs(3).as_secs_f64(), 3.0);
        assert_eq!(SimDuration::from_millis(3).as_millis_f64(), 3.0);
        assert_eq!(SimDuration::from_millis(1500).to_string(), "1.500 s");
    }
}
