//! The post-mortem as Markdown: every incident the diagnosis found, each with its timeline
//! (onset, detection, failover, recovery, when the system settled), its counts and its causal
//! chain. The app copies it; the CLI prints it (`scalesim run … --postmortem`); both from the
//! same [`Incident`]s, so they say the same.
//!
//! ```text
//!   [Incident] ─▶ markdown() ─▶ "# Post-mortem … ## 1. cache-0 down (60 s – 75 s) …"
//! ```

use std::fmt::Write;

use super::diagnosis::{Cause, Incident};
use crate::format::{figure, grouped};

fn secs(t: f64) -> String {
    format!("{} s", figure(t))
}

fn ms(x: f64) -> String {
    format!("{} ms", figure(x))
}

/// The post-mortem of a run observed up to `until_s` (s), its incidents in start order.
pub fn markdown(title: &str, incidents: &[Incident], until_s: f64) -> String {
    let mut order: Vec<&Incident> = incidents.iter().collect();
    crate::order::sort_by_keys(&mut order, |a| (crate::order::f64_key(a.start_s), 0));
    let mut out = String::new();
    let _ = writeln!(out, "# Post-mortem: {title}\n");
    if order.is_empty() {
        let _ = writeln!(out, "No incident in the first {}.", secs(until_s));
        return out;
    }
    let _ = writeln!(
        out,
        "{} incident{} in the first {}.",
        order.len(),
        if order.len() == 1 { "" } else { "s" },
        secs(until_s)
    );
    for (n, inc) in order.iter().enumerate() {
        let span = match inc.end_s {
            Some(end) => format!("{} – {}", secs(inc.start_s), secs(end)),
            None => format!("{} – still under way", secs(inc.start_s)),
        };
        let _ = writeln!(out, "\n## {}. {} ({span})\n", n + 1, inc.cause.title());
        let _ = writeln!(out, "{}\n", inc.summary);
        let _ = writeln!(out, "Timeline:\n");
        for (t, what) in timeline(inc) {
            let _ = writeln!(out, "- {}: {what}", secs(t));
        }
        let _ = writeln!(out, "\nCounts:\n");
        let _ = writeln!(
            out,
            "- requests failed: {} (at most {} per second)",
            grouped(inc.failed),
            figure(inc.failures_per_s_peak)
        );
        let _ = writeln!(
            out,
            "- p99: {} before, {} at its worst ({})",
            ms(inc.p99_before_ms),
            ms(inc.p99_peak_ms),
            secs(inc.p99_peak_at_s)
        );
        if let Some(d) = inc.detection_s {
            let _ = writeln!(out, "- detection: {}", secs(d));
        }
        if let Some(d) = inc.failover_s {
            let _ = writeln!(out, "- failover: {}", secs(d));
        }
        if !inc.chain.is_empty() {
            let _ = writeln!(out, "\nHow it happened:\n");
            for (i, step) in inc.chain.iter().enumerate() {
                let _ = writeln!(out, "{}. {}", i + 1, step.text);
            }
        }
    }
    out
}

/// The moments of an incident, in time order: onset, detection, failover, repair, worst p99,
/// settled.
fn timeline(inc: &Incident) -> Vec<(f64, String)> {
    let mut moments = vec![(inc.start_s, format!("onset: {}", inc.cause.title()))];
    if let Some(d) = inc.detection_s {
        moments.push((
            inc.start_s + d,
            "detected: the balancer stopped sending it requests".to_string(),
        ));
    }
    if let Some(d) = inc.failover_s {
        moments.push((
            inc.start_s + d,
            "a replica was promoted to master".to_string(),
        ));
    }
    if let Cause::ComponentDown {
        component,
        repaired_at_s: Some(r),
        ..
    } = &inc.cause
    {
        moments.push((*r, format!("{component} back up")));
    }
    if inc.p99_peak_ms > 0.0 {
        moments.push((
            inc.p99_peak_at_s,
            format!("worst p99: {}", ms(inc.p99_peak_ms)),
        ));
    }
    if let Some(end) = inc.end_s {
        moments.push((end, "recovered: the system had settled".to_string()));
    }
    crate::order::sort_by_keys(&mut moments, |m| (crate::order::f64_key(m.0), 0));
    moments
}
