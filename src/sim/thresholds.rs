//! Threshold events: the moments a figure crosses a line worth telling the learner about — a
//! queue filling, requests starting or stopping to fail, p99 crossing the objective. The core's
//! event log records what components do (faults, detections, promotions); this watches the
//! figures for what the system suffers, from public [`Snapshot`]s, without touching the run or
//! its report.
//!
//! ```text
//!   snapshot ─▶ ThresholdWatch::observe ─▶ [LogEntry "web-0's queue is 80 % full", …]
//!                 (each crossing reported once, re-armed with hysteresis)
//! ```

use super::{ComponentInfo, LogEntry, Snapshot};

/// A queue is reported filling at this share of its capacity …
const QUEUE_FULL_SHARE: f64 = 0.8;
/// … and re-armed once it drains below this share.
const QUEUE_DRAINED_SHARE: f64 = 0.5;

/// Watches successive snapshots and reports threshold crossings as log entries.
#[derive(Clone, Debug, Default)]
pub struct ThresholdWatch {
    /// The p99 objective, in milliseconds.
    objective_ms: f64,
    /// Per component: whether its queue was last reported filling.
    queue_filling: Vec<bool>,
    failing: bool,
    over_objective: bool,
}

impl ThresholdWatch {
    /// A watch that reports p99 crossing `objective_ms`.
    pub fn new(objective_ms: f64) -> ThresholdWatch {
        ThresholdWatch {
            objective_ms,
            ..ThresholdWatch::default()
        }
    }

    /// Compares `snap` with what was seen before; returns the crossings, stamped with the
    /// snapshot's time. Recent figures are those of the last complete metrics interval.
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
            let total = snap.recent_failures_per_s + snap.recent_throughput_rps;
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
        let completed = snap.recent_throughput_rps > 0.0;
        let over = completed && p99 > self.objective_ms;
        if completed && over != self.over_objective {
            self.over_objective = over;
            let objective = self.objective_ms;
            out.push(entry(
                "latency",
                if over {
                    format!("p99 rose above the {objective:.0} ms objective: {p99:.0} ms")
                } else {
                    format!("p99 back under the {objective:.0} ms objective: {p99:.0} ms")
                },
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;
    use crate::sim::{Sim, SimTime};

    /// Stage 1 flooded with 20,000 users from 5 s (200 requests/s, over twice what its two
    /// workers serve): the queue fills, requests fail, p99 crosses
    /// the objective; each is reported once.
    #[test]
    fn an_overloaded_server_is_reported_once_per_crossing() {
        let mut s = preset(1).unwrap();
        s.duration_s = 60;
        let mut sim = Sim::new(&s).unwrap();
        let mut watch = ThresholdWatch::new(200.0);
        let mut log = Vec::new();
        for t in 1..=30 {
            if t == 5 {
                sim.set_users(20_000);
            }
            sim.advance_to(SimTime::from_secs(t), u64::MAX);
            log.extend(watch.observe(&sim.snapshot(), sim.components()));
        }
        let texts: Vec<&str> = log.iter().map(|e| e.text.as_str()).collect();
        let count = |needle: &str| texts.iter().filter(|t| t.contains(needle)).count();
        assert_eq!(count("queue is"), 1, "{texts:?}");
        assert_eq!(count("started failing"), 1, "{texts:?}");
        assert_eq!(count("rose above the 200 ms objective"), 1, "{texts:?}");
        assert!(
            log.iter().all(|e| e.t_s >= 5.0),
            "nothing before the flood: {texts:?}"
        );

        // Back to 100 users: the crossings reverse.
        sim.set_users(100);
        for t in 31..=60 {
            sim.advance_to(SimTime::from_secs(t), u64::MAX);
            log.extend(watch.observe(&sim.snapshot(), sim.components()));
        }
        let texts: Vec<&str> = log.iter().map(|e| e.text.as_str()).collect();
        assert!(
            texts.iter().any(|t| t.contains("queue drained")),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.contains("stopped failing")),
            "{texts:?}"
        );
        assert!(texts.iter().any(|t| t.contains("back under")), "{texts:?}");
    }
}
