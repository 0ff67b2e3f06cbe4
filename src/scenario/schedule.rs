//! What a scenario has scheduled to happen on its own: faults, load changes, deploys and
//! reshardings, in time order, with a sentence for each. The app marks them on the timeline
//! and names them in the tour, so nothing that happens is a surprise nobody announced.

use super::{Profile, Scenario};

/// What kind of thing is scheduled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScheduledKind {
    /// A component goes down.
    Fault,
    /// The offered load changes (the load profile).
    Load,
    /// A rolling deploy starts.
    Deploy,
    /// The data tier reshards.
    Reshard,
}

/// One scheduled happening.
#[derive(Clone, Debug, PartialEq)]
pub struct Scheduled {
    /// When it starts, in simulated seconds.
    pub at_s: f64,
    /// When it ends, in simulated seconds, if it does within the run.
    pub until_s: Option<f64>,
    /// What kind it is.
    pub kind: ScheduledKind,
    /// A short sentence: "db-0 goes down for 30 s".
    pub text: String,
}

/// Everything `scenario` schedules within its run, in time order.
pub fn schedule(scenario: &Scenario) -> Vec<Scheduled> {
    let end = f64::from(scenario.duration_s);
    let mut out = Vec::new();
    for f in &scenario.faults {
        let until = (f.duration_s > 0.0).then_some(f.at_s + f.duration_s);
        let what = match f.kind {
            super::FaultKind::Down => "goes down".to_string(),
            super::FaultKind::Slow => format!("runs ×{} slower", number(f.slow_factor())),
            super::FaultKind::Partition => {
                format!("is cut off from {}", f.peer.as_deref().unwrap_or("?"))
            }
            super::FaultKind::Errors => {
                format!("fails {}% of its requests", number(f.error_share() * 100.0))
            }
        };
        let text = match until {
            Some(_) => format!("{} {what} for {} s", f.target, number(f.duration_s)),
            None => format!("{} {what} for the rest of the run", f.target),
        };
        out.push(Scheduled {
            at_s: f.at_s,
            until_s: until.filter(|&u| u < end),
            kind: ScheduledKind::Fault,
            text,
        });
    }
    match scenario.traffic.profile {
        Profile::Constant => {}
        Profile::Ramp {
            start_s,
            end_s,
            factor,
        } => out.push(Scheduled {
            at_s: start_s,
            until_s: Some(end_s).filter(|&u| u < end),
            kind: ScheduledKind::Load,
            text: format!("load ramps to ×{} by {} s", number(factor), number(end_s)),
        }),
        Profile::Spike {
            at_s,
            duration_s,
            factor,
        } => out.push(Scheduled {
            at_s,
            until_s: Some(at_s + duration_s).filter(|&u| u < end),
            kind: ScheduledKind::Load,
            text: format!(
                "load spikes to ×{} for {} s",
                number(factor),
                number(duration_s)
            ),
        }),
        Profile::Cycle {
            period_s,
            amplitude,
        } => out.push(Scheduled {
            // The factor is 1 + amplitude × sin(2πt / period): highest a quarter period in.
            at_s: period_s / 4.0,
            until_s: None,
            kind: ScheduledKind::Load,
            text: format!(
                "load peaks at +{} % (a {} s daily cycle)",
                number(amplitude * 100.0),
                number(period_s)
            ),
        }),
    }
    if let Some(d) = scenario.deploy.as_ref().filter(|d| d.at_s.is_some()) {
        let pool = d
            .pool
            .as_ref()
            .map_or(String::new(), |p| format!(" of {p}"));
        out.push(Scheduled {
            at_s: d.at_s.unwrap_or(0.0),
            until_s: None,
            kind: ScheduledKind::Deploy,
            text: format!(
                "a rolling deploy{pool} starts, {} server(s) at a time",
                d.batch_size
            ),
        });
    }
    if let Some(plan) = scenario.sharding.as_ref().and_then(|s| s.reshard.as_ref()) {
        out.push(Scheduled {
            at_s: plan.at_s,
            until_s: None,
            kind: ScheduledKind::Reshard,
            text: format!("the data tier reshards to {} shards", plan.to_shards),
        });
    }
    // A further database's own shard router reshards it, named.
    for m in &scenario.more_databases {
        let (Some(plan), Some(router)) = (
            m.sharding.as_ref().and_then(|s| s.reshard.as_ref()),
            m.router_name(),
        ) else {
            continue;
        };
        out.push(Scheduled {
            at_s: plan.at_s,
            until_s: None,
            kind: ScheduledKind::Reshard,
            text: format!(
                "{} (behind {router}) reshards to {} shards",
                m.name, plan.to_shards
            ),
        });
    }
    out.retain(|s| s.at_s <= end);
    crate::order::sort_by_keys(&mut out, |s| (crate::order::f64_key(s.at_s), 0));
    out
}

/// A number as people write it: `30`, `2.5`.
fn number(x: f64) -> String {
    let rounded = (x * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;

    fn texts(stage: u8) -> Vec<(f64, String)> {
        schedule(&preset(stage).unwrap())
            .into_iter()
            .map(|s| (s.at_s, s.text))
            .collect()
    }

    #[test]
    fn the_presets_scheduled_happenings_are_named() {
        assert!(texts(1).is_empty());
        assert_eq!(
            texts(4),
            vec![(60.0, "db-0 goes down for 30 s".to_string())]
        );
        assert_eq!(texts(5)[0].1, "cache-0 goes down for 30 s");
        assert!(texts(7)
            .iter()
            .any(|(_, t)| t.starts_with("load spikes to ×")));
        assert!(texts(10)
            .iter()
            .any(|(_, t)| t.contains("reshards to 5 shards")));
        let s11 = texts(11);
        assert!(s11
            .iter()
            .any(|(at, t)| *at == 150.0 && t.starts_with("us-east goes down")));
        assert!(s11
            .iter()
            .any(|(at, t)| *at == 180.0 && t.starts_with("load peaks")));
        assert!(s11.windows(2).all(|w| w[0].0 <= w[1].0), "in time order");
    }
}
