//! Threshold events: the moments a figure crosses a line worth telling the learner about — a
//! queue filling, requests starting or stopping to fail, p99 crossing the objective. The event
//! log records what components do (faults, detections, promotions); this watches the figures
//! for what the system suffers. Each engine runs one watch at the end of every metrics
//! interval, in simulated time, and writes its crossings into the event log (and so into the
//! report), whatever speed the run is watched at.
//!
//! ```text
//!   metrics tick ─▶ snapshot ─▶ ThresholdWatch::observe ─▶ log "web-0's queue is 80 % full", …
//!                                 (each crossing reported once, re-armed with hysteresis)
//! ```
//!
//! p99 is judged over a window of at least [`P99_MIN_COMPLETED`] completions: one interval
//! when that many finish in it, else the intervals pooled until they have (a small system,
//! such as stage 1's one server at 39 requests/s, is judged every few seconds instead of
//! never), and not over more than [`P99_MAX_WINDOW_S`] seconds.

use super::kernel::histogram::Histogram;
use super::{ComponentInfo, LogEntry, Snapshot};
use std::fmt;

/// The p99 objective the log reports crossings of, in milliseconds (the capacity search's
/// default objective).
pub const P99_OBJECTIVE_MS: f64 = 200.0;

/// A queue is reported filling at this share of its capacity …
const QUEUE_FULL_SHARE: f64 = 0.8;
/// … and re-armed once it drains below this share.
const QUEUE_DRAINED_SHARE: f64 = 0.5;
/// p99 is reported crossing the objective only once it has stayed on the other side for this
/// many windows in a row (a single slow second of a server near its objective is noise).
const P99_HOLD_INTERVALS: u32 = 3;
/// Fewest completions p99 is judged on: the 99th percentile of fewer than 100 latencies is
/// their maximum, so intervals with fewer are pooled with the next ones.
pub const P99_MIN_COMPLETED: u64 = 100;
/// Longest window p99 is pooled over, in seconds: completions that do not reach
/// [`P99_MIN_COMPLETED`] in this long are dropped unjudged (a system that idle has no p99
/// worth telling), and pooling starts again.
pub const P99_MAX_WINDOW_S: f64 = 60.0;

/// Watches successive snapshots and reports threshold crossings as log entries.
#[derive(Clone, Default)]
pub struct ThresholdWatch {
    /// The p99 objective, in milliseconds.
    objective_ms: f64,
    /// Per component: whether its queue was last reported filling.
    queue_filling: Vec<bool>,
    failing: bool,
    over_objective: bool,
    /// Windows in a row with p99 on the other side of the objective from `over_objective`.
    p99_streak: u32,
    /// When the first window of the current streak began, seconds.
    streak_since_s: f64,
    /// Latencies of the intervals not judged yet (fewer than [`P99_MIN_COMPLETED`]).
    pooled: Histogram,
    /// When the pooled window began, seconds.
    pooled_since_s: f64,
    /// The metrics interval, in seconds.
    interval_s: f64,
}

impl fmt::Debug for ThresholdWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThresholdWatch")
            .field("objective_ms", &self.objective_ms)
            .field("over_objective", &self.over_objective)
            .field("p99_streak", &self.p99_streak)
            .field("pooled", &self.pooled.count())
            .finish_non_exhaustive()
    }
}

impl ThresholdWatch {
    /// A watch that reports p99 crossing `objective_ms`, fed once per metrics interval of
    /// `interval_s` seconds.
    pub fn new(objective_ms: f64, interval_s: f64) -> ThresholdWatch {
        ThresholdWatch {
            objective_ms,
            interval_s,
            ..ThresholdWatch::default()
        }
    }

    /// Compares `snap`, taken as a metrics interval closes, with what was seen before;
    /// returns the crossings, stamped with the snapshot's time. Recent figures are those of
    /// the interval just closed, and `interval_latency` holds its completions' latencies.
    pub fn observe(
        &mut self,
        snap: &Snapshot,
        components: &[ComponentInfo],
        interval_latency: &Histogram,
    ) -> Vec<LogEntry> {
        let mut out = Vec::new();
        let entry = |component: &str, text: String| LogEntry {
            t_s: snap.time_s,
            component: component.to_string(),
            text,
        };
        self.queue_filling.resize(snap.components.len(), false);
        for ((c, info), filling) in snap
            .components
            .iter()
            .zip(components)
            .zip(&mut self.queue_filling)
        {
            if c.queue_capacity == 0 {
                continue;
            }
            let share = f64::from(c.queue_len) / f64::from(c.queue_capacity);
            if !*filling && c.alive && share >= QUEUE_FULL_SHARE {
                *filling = true;
                out.push(entry(
                    &info.name,
                    format!(
                        "{}'s queue is {:.0} % full ({} of {} waiting): requests will soon be turned away",
                        info.name,
                        share * 100.0,
                        c.queue_len,
                        c.queue_capacity
                    ),
                ));
            } else if *filling && (share < QUEUE_DRAINED_SHARE || !c.alive) {
                *filling = false;
                out.push(entry(
                    &info.name,
                    format!("{}'s queue drained ({} waiting)", info.name, c.queue_len),
                ));
            }
        }
        let failing = snap.recent_failures_per_s > 0.0;
        if failing != self.failing {
            self.failing = failing;
            let total = snap.recent_failures_per_s + snap.recent_throughput_per_s;
            out.push(entry(
                "requests",
                if failing {
                    format!(
                        "requests started failing: {:.0} per second ({:.1} % of those finished)",
                        snap.recent_failures_per_s,
                        100.0 * snap.recent_failures_per_s / total.max(1e-9)
                    )
                } else {
                    "requests stopped failing".to_string()
                },
            ));
        }
        if let Some((p99, since_s)) = self.p99_window(snap.time_s, interval_latency) {
            let over = p99 > self.objective_ms;
            if over == self.over_objective {
                self.p99_streak = 0;
            } else {
                if self.p99_streak == 0 {
                    self.streak_since_s = since_s;
                }
                self.p99_streak += 1;
            }
            if self.p99_streak == P99_HOLD_INTERVALS {
                self.over_objective = over;
                self.p99_streak = 0;
                let objective = self.objective_ms;
                let held_s = snap.time_s - self.streak_since_s;
                out.push(entry(
                    "latency",
                    if over {
                        format!("p99 above the {objective:.0} ms objective for {held_s:.0} s: {p99:.0} ms")
                    } else {
                        format!("p99 back under the {objective:.0} ms objective for {held_s:.0} s: {p99:.0} ms")
                    },
                ));
            }
        }
        out
    }

    /// Pools the interval just closed (ending at `now_s`) and, once the pool holds
    /// [`P99_MIN_COMPLETED`] completions, its p99 in ms and when its window began; the pool
    /// then starts again. A pool that spans [`P99_MAX_WINDOW_S`] without enough is dropped.
    fn p99_window(&mut self, now_s: f64, interval_latency: &Histogram) -> Option<(f64, f64)> {
        if self.pooled.count() == 0 {
            self.pooled_since_s = now_s - self.interval_s;
        }
        self.pooled.merge(interval_latency);
        let since_s = self.pooled_since_s;
        if self.pooled.count() >= P99_MIN_COMPLETED {
            let p99 = self.pooled.quantile_ms(0.99);
            self.pooled.clear();
            return Some((p99, since_s));
        }
        if now_s - since_s >= P99_MAX_WINDOW_S - 1e-9 {
            self.pooled.clear();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;
    use crate::sim::{Sim, SimTime};

    /// Stage 1 with 500 users, flooded with 20,000 (200 requests/s, over twice what its two
    /// workers serve) from 5 s to 30 s, advanced in steps of
    /// `step_ms`: the run's threshold entries.
    fn flooded_log(step_ms: u64) -> Vec<LogEntry> {
        let mut s = preset(1).unwrap();
        s.duration_s = 60;
        // 120 requests/s before and after the flood: enough completions to read p99.
        s.traffic.users = 12_000;
        // Eight workers complete about 300 requests a second when flooded: enough for p99 to
        // be read every interval (the preset's two complete about 74, under
        // P99_MIN_COMPLETED, so their intervals are pooled in pairs).
        s.server.workers = 8;
        let mut sim = Sim::new(&s).unwrap();
        let mut t_ms = 0;
        while t_ms < 60_000 {
            t_ms += step_ms;
            sim.advance_to(SimTime::from_millis_f64(t_ms as f64), u64::MAX);
            if t_ms == 5_000 {
                // 1,000 requests/s against about 300.
                sim.set_users(100_000);
            }
            if t_ms == 30_000 {
                sim.set_users(12_000);
            }
        }
        sim.log()
            .filter(|e| ["web-0", "requests", "latency"].contains(&e.component.as_str()))
            .cloned()
            .collect()
    }

    /// The queue fills, requests fail, p99 crosses the objective: each is logged once, in
    /// simulated time, and reversed once the flood ends.
    #[test]
    fn an_overloaded_server_is_logged_once_per_crossing() {
        let log = flooded_log(1000);
        let texts: Vec<&str> = log.iter().map(|e| e.text.as_str()).collect();
        let count = |needle: &str| texts.iter().filter(|t| t.contains(needle)).count();
        assert_eq!(count("queue is"), 1, "{texts:?}");
        assert_eq!(count("started failing"), 1, "{texts:?}");
        assert_eq!(count("above the 200 ms objective for 3 s"), 1, "{texts:?}");
        assert_eq!(count("queue drained"), 1, "{texts:?}");
        assert_eq!(count("stopped failing"), 1, "{texts:?}");
        assert_eq!(count("back under"), 1, "{texts:?}");
        let first = log.first().expect("crossings").t_s;
        assert!(
            (5.0..=8.0).contains(&first),
            "first crossing at {first} s: {texts:?}"
        );
        let reversed = log
            .iter()
            .find(|e| e.text.contains("stopped failing"))
            .unwrap()
            .t_s;
        assert!(reversed >= 30.0, "{texts:?}");
    }

    /// Stage 1's own server completes under 100 requests a second even flooded: its p99 is
    /// judged over pooled intervals, so a learner who pushes it past its limit sees the
    /// crossing (it was never logged when intervals were judged alone), held for more than
    /// three one-second intervals; at the preset's own load nothing crosses.
    #[test]
    fn a_small_server_past_its_limit_logs_p99_over_pooled_windows() {
        let latency_log = |users: u64| -> Vec<String> {
            let mut s = preset(1).unwrap();
            s.duration_s = 60;
            s.traffic.users = users;
            let mut sim = Sim::new(&s).unwrap();
            sim.advance_to(SimTime::from_secs(60), u64::MAX);
            sim.log()
                .filter(|e| e.component == "latency")
                .map(|e| e.text.clone())
                .collect()
        };
        assert_eq!(latency_log(1000), Vec::<String>::new());
        // 90 requests/s against the two workers' ~74: the queue grows, p99 climbs.
        let log = latency_log(9000);
        let above = log
            .iter()
            .find(|t| t.contains("p99 above the 200 ms objective"))
            .unwrap_or_else(|| panic!("no p99 crossing logged: {log:?}"));
        let held_s: f64 = above
            .split(" for ")
            .nth(1)
            .and_then(|rest| rest.split(" s:").next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{above}"));
        assert!(
            held_s > 3.0,
            "pooled windows are longer than one interval: {above}"
        );
    }

    /// An interval with enough completions is judged alone; fewer are pooled until there are
    /// enough; a pool that never gets there within the longest window is dropped.
    #[test]
    fn p99_windows_pool_until_a_hundred_completions() {
        let mut watch = ThresholdWatch::new(200.0, 1.0);
        let latencies = |n: u64, ms: u64| {
            let mut h = Histogram::new();
            for _ in 0..n {
                h.record(ms * 1_000_000);
            }
            h
        };
        let w = watch.p99_window(1.0, &latencies(150, 10)).unwrap();
        assert!((w.0 - 10.0).abs() < 0.1 && w.1 == 0.0, "{w:?}");
        assert_eq!(watch.p99_window(2.0, &latencies(60, 300)), None);
        let w = watch.p99_window(3.0, &latencies(60, 5)).unwrap();
        // 120 pooled from 1 s: the 119th is one of the slow ones.
        assert!((w.0 - 300.0).abs() < 3.0 && w.1 == 1.0, "{w:?}");
        for t in 4..=63 {
            assert_eq!(watch.p99_window(f64::from(t), &latencies(1, 900)), None);
        }
        // The 60 slow completions from 4 s to 63 s were dropped with their window.
        let w = watch.p99_window(64.0, &latencies(100, 20)).unwrap();
        assert!((w.0 - 20.0).abs() < 0.2 && w.1 == 63.0, "{w:?}");
    }

    /// Detection runs in the core at every metrics interval: how often the run is looked at
    /// (the playback speed in the app) does not change what is logged, nor when.
    #[test]
    fn crossings_do_not_depend_on_how_often_the_run_is_looked_at() {
        let every_second = flooded_log(1000);
        assert_eq!(flooded_log(50), every_second);
        assert_eq!(flooded_log(5000), every_second);
    }
}
