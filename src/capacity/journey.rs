//! The journey as one story: which component each stage's next step relieves, and why that
//! step is the fix for the bottleneck the capacity search names at the stage's limit.
//!
//! ```text
//!   stage n's limit ──bottleneck (tier, role)──▶ next_step(n) relieves that tier?
//!        yes ──▶ "why the next step is the fix"     no ──▶ say what it relieves instead
//!   stage 9 (monitoring) adds no capacity: its step buys time to detect instead
//! ```
//!
//! The chain is written once here; `tests/core/capacity.rs` checks it against the searches
//! (each stage's bottleneck is the tier its successor relieves, and the what-if for that
//! bottleneck lifts the limit).

use super::Bottleneck;
use crate::scenario::Scenario;
use crate::sim::{AlertState, ComponentKind, DbRole, Sim};
use serde::{Deserialize, Serialize};

/// The stage that adds no capacity: it watches the system instead.
pub const MONITORING_STAGE: u8 = 9;

/// The step that relieves a stage's bottleneck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextStep {
    /// The stage whose change relieves it.
    pub stage: u8,
    /// The tier it relieves.
    pub tier: ComponentKind,
    /// Database steps: the role they relieve (`None`: any node of the tier).
    pub role: Option<DbRole>,
    /// Why that step is the fix, in one sentence.
    pub why: &'static str,
}

/// The capacity step after `stage` (stage 9, monitoring, is skipped: stages 8 and 9 share
/// stage 10's), or `None` after the last stage.
pub fn next_step(stage: u8) -> Option<NextStep> {
    let step = |stage, tier, role, why| {
        Some(NextStep {
            stage,
            tier,
            role,
            why,
        })
    };
    use ComponentKind::{Database, Server};
    match stage {
        1 => step(
            2,
            Server,
            None,
            "the next step moves the queries to a database node of their own, so the web server only renders",
        ),
        2 => step(
            3,
            Server,
            None,
            "the next step puts a load balancer in front of a pool of web servers: the web tier grows sideways, not up",
        ),
        3 => step(
            4,
            Database,
            Some(DbRole::Master),
            "the next step sends the reads to a replica, so the master keeps only the writes",
        ),
        4 => step(
            5,
            Database,
            Some(DbRole::Replica),
            "the next step answers most reads from a cache in memory, so the replica sees only the misses",
        ),
        5 => step(
            6,
            Server,
            None,
            "the next step serves static files from a CDN edge, which takes their share of work off the web servers",
        ),
        6 => step(
            7,
            Server,
            None,
            "the next step keeps sessions in a shared store, so any server can serve anyone and the pool can grow with the load",
        ),
        7 => step(
            8,
            Server,
            None,
            "the next step takes photo processing out of the write requests: a queue and its workers do it after the answer",
        ),
        8 | 9 => step(
            10,
            Database,
            Some(DbRole::Master),
            "sharding splits the data over four masters, so the writes are shared",
        ),
        10 => step(
            11,
            Server,
            None,
            "the next step adds data centers on other continents, each a full stack, so no one data center carries everyone",
        ),
        _ => None,
    }
}

/// Whether `step` relieves `bottleneck` (its tier, and its role when the step names one).
pub fn relieves(step: &NextStep, bottleneck: &Bottleneck) -> bool {
    step.tier == bottleneck.tier && step.role.is_none_or(|role| bottleneck.role == Some(role))
}

/// One sentence on what follows stage `stage`'s limit, from the bottleneck the search named:
/// why the next step is the fix, or, when the search named another component, what the next
/// step relieves instead. `None` after the last stage or without a bottleneck.
pub fn why_next(stage: u8, bottleneck: Option<&Bottleneck>) -> Option<String> {
    let step = next_step(stage)?;
    let b = bottleneck?;
    let lead = if stage == MONITORING_STAGE {
        "Monitoring adds no capacity (it buys time to detect); "
    } else {
        ""
    };
    Some(if relieves(&step, b) {
        format!("{lead}{} saturates first: {}.", b.component, step.why)
    } else {
        format!(
            "{lead}{} saturates first, yet stage {} relieves another tier ({:?}).",
            b.component, step.stage, step.tier
        )
    })
}

/// What monitoring buys: how long after a failure its first alert fires.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The component that failed.
    pub fault: String,
    /// When it failed, seconds into the run.
    pub at_s: f64,
    /// The first alert rule that fired at or after the failure.
    pub alert: String,
    /// Time from the failure to that alert, seconds.
    pub after_s: f64,
}

/// Runs `scenario` (with its faults and alert rules) to its end and measures, for its first
/// scheduled fault, how long the first alert after it took to fire. `None` without faults,
/// monitoring or an alert after the fault.
pub fn time_to_detect(scenario: &Scenario) -> Option<Detection> {
    let fault = scenario
        .faults
        .iter()
        .min_by(|a, b| a.at_s.total_cmp(&b.at_s))?;
    let mut sim = Sim::new(scenario).ok()?;
    sim.advance_to(sim.end(), u64::MAX);
    let report = sim.report();
    let alert = report
        .monitoring?
        .alerts
        .into_iter()
        .find(|a| a.state == AlertState::Firing && a.t_s >= fault.at_s)?;
    Some(Detection {
        fault: fault.target.clone(),
        at_s: fault.at_s,
        alert: alert.rule,
        after_s: alert.t_s - fault.at_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(tier: ComponentKind, role: Option<DbRole>) -> Bottleneck {
        Bottleneck {
            component: "x-0".to_string(),
            tier,
            role,
            utilization: 0.9,
            queue_len_mean: 0.0,
            queue_len_max: 0,
            queue_capacity: 0,
            runner_up: None,
            off_request_path: None,
        }
    }

    #[test]
    fn every_stage_but_the_last_has_a_next_step_later_than_itself() {
        for stage in 1..=10 {
            let step = next_step(stage).unwrap();
            assert!(step.stage > stage && step.stage != MONITORING_STAGE);
        }
        assert_eq!(next_step(11), None);
    }

    #[test]
    fn the_sentence_follows_the_bottleneck() {
        let master = at(ComponentKind::Database, Some(DbRole::Master));
        let fix = why_next(3, Some(&master)).unwrap();
        assert!(fix.contains("replica"), "{fix}");
        let other = why_next(3, Some(&at(ComponentKind::Server, None))).unwrap();
        assert!(other.contains("yet stage 4"), "{other}");
        assert!(why_next(9, Some(&master))
            .unwrap()
            .starts_with("Monitoring adds no capacity"));
        assert_eq!(why_next(11, Some(&master)), None);
        assert_eq!(why_next(1, None), None);
    }
}
