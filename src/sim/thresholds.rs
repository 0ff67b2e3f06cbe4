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

use super::{ComponentInfo, LogEntry, Snapshot};

/// The p99 objective the log reports crossings of, in milliseconds (the capacity search's
/// default objective).
pub const P99_OBJECTIVE_MS: f64 = 200.0;

/// A queue is reported filling at this share of its capacity …
const QUEUE_FULL_SHARE: f64 = 0.8;
/// … and re-armed once it drains below this share.
const QUEUE_DRAINED_SHARE: f64 = 0.5;
/// p99 is reported crossing the objective only once it has stayed on the other side for this
/// many intervals in a row (a single slow second of a server near its objective is noise).
const P99_HOLD_INTERVALS: u32 = 3;
/// Intervals that completed fewer requests than this say nothing about p99 (the 99th
/// percentile of fewer than 100 latencies is their maximum) and are passed over.
const P99_MIN_COMPLETED: f64 = 100.0;

/// Watches successive snapshots and reports threshold crossings as log entries.
#[derive(Clone, Debug, Default)]
pub struct ThresholdWatch {
    /// The p99 objective, in milliseconds.
    objective_ms: f64,
    /// Per component: whether its queue was last reported filling.
    queue_filling: Vec<bool>,
    failing: bool,
    over_objective: bool,
    /// Intervals in a row with p99 on the other side of the objective from `over_objective`.
    p99_streak: u32,
    /// The metrics interval, in seconds.
    interval_s: f64,
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
    /// the interval just closed.
    pub fn observe(&mut self, snap: &Snapshot, components: &[ComponentInfo]) -> Vec<LogEntry> {
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
        let p99 = snap.recent_latency_p99_ms;
        if snap.recent_throughput_per_s * self.interval_s >= P99_MIN_COMPLETED {
            let over = p99 > self.objective_ms;
            self.p99_streak = if over == self.over_objective {
                0
            } else {
                self.p99_streak + 1
            };
            if self.p99_streak == P99_HOLD_INTERVALS {
                self.over_objective = over;
                self.p99_streak = 0;
                let objective = self.objective_ms;
                let held_s = f64::from(P99_HOLD_INTERVALS) * self.interval_s;
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
        // P99_MIN_COMPLETED, so its p99 crossings are never logged).
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

    /// Detection runs in the core at every metrics interval: how often the run is looked at
    /// (the playback speed in the app) does not change what is logged, nor when.
    #[test]
    fn crossings_do_not_depend_on_how_often_the_run_is_looked_at() {
        let every_second = flooded_log(1000);
        assert_eq!(flooded_log(50), every_second);
        assert_eq!(flooded_log(5000), every_second);
    }
}
