//! Failure badges: what is wrong with one component now, from its state alone, so the diagram
//! can mark a dead, slow, erroring or saturated node with a shape and a word (never colour
//! alone). Pure: the same state gives the same badges natively and in the page.
//!
//! ```text
//!   ComponentState ─▶ badges() ─▶ [Down] | [Slow ×8, Errors 30 %, Saturated] (worst first)
//! ```

use super::diagnosis::{SATURATED_QUEUE_SHARE, SATURATED_UTILIZATION};
use super::ComponentState;
use crate::format::{percent, times};

/// One thing wrong with a component.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Badge {
    /// It is down.
    Down,
    /// A grey failure: it serves this many times slower.
    Slow(f64),
    /// A flaky node: it fails this share of its requests, 0–1.
    Errors(f64),
    /// Nearly always busy with its line at least half full.
    Saturated,
}

impl Badge {
    /// A stable slug (`down`, `slow`, `errors`, `saturated`) for styles and tests.
    pub fn slug(&self) -> &'static str {
        match self {
            Badge::Down => "down",
            Badge::Slow(_) => "slow",
            Badge::Errors(_) => "errors",
            Badge::Saturated => "saturated",
        }
    }

    /// The word shown in the badge: `"down"`, `"slow ×8"`, `"errors 30 %"`, `"saturated"`.
    pub fn text(&self) -> String {
        match self {
            Badge::Down => "down".to_string(),
            Badge::Slow(factor) => format!("slow ×{}", times(*factor)),
            Badge::Errors(ratio) => format!("errors {}", percent(*ratio)),
            Badge::Saturated => "saturated".to_string(),
        }
    }
}

/// What is wrong with a component in state `state`, whose busy share is `utilization` (0–1;
/// the app passes its own smoothed figure), worst first. A dead component has only
/// [`Badge::Down`]: nothing else about it matters until it is back.
pub fn badges(state: &ComponentState, utilization: f64) -> Vec<Badge> {
    if !state.alive {
        return vec![Badge::Down];
    }
    let mut out = Vec::new();
    if let Some(ratio) = state.error_ratio.filter(|&r| r > 0.0) {
        out.push(Badge::Errors(ratio));
    }
    if let Some(factor) = state.slowdown.filter(|&f| f != 1.0) {
        out.push(Badge::Slow(factor));
    }
    let line_full = f64::from(state.queue_len)
        >= SATURATED_QUEUE_SHARE * f64::from(state.queue_capacity.max(1));
    if state.workers > 0 && utilization >= SATURATED_UTILIZATION && line_full {
        out.push(Badge::Saturated);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up() -> ComponentState {
        ComponentState {
            alive: true,
            workers: 4,
            queue_capacity: 100,
            ..ComponentState::default()
        }
    }

    #[test]
    fn a_healthy_node_has_no_badge() {
        assert!(badges(&up(), 0.5).is_empty());
    }

    #[test]
    fn a_dead_node_is_only_down() {
        let s = ComponentState {
            alive: false,
            slowdown: Some(8.0),
            ..up()
        };
        assert_eq!(badges(&s, 1.0), vec![Badge::Down]);
        assert_eq!(Badge::Down.text(), "down");
    }

    #[test]
    fn slow_and_flaky_nodes_say_by_how_much() {
        let s = ComponentState {
            slowdown: Some(8.0),
            error_ratio: Some(0.3),
            ..up()
        };
        let b = badges(&s, 0.2);
        assert_eq!(b, vec![Badge::Errors(0.3), Badge::Slow(8.0)]);
        assert_eq!(b[0].text(), "errors 30 %");
        assert_eq!(b[1].text(), "slow ×8");
        assert_eq!(Badge::Slow(2.5).text(), "slow ×2.5");
    }

    #[test]
    fn saturated_needs_both_busy_workers_and_a_filling_line() {
        let busy_empty_line = ComponentState {
            queue_len: 10,
            ..up()
        };
        assert!(badges(&busy_empty_line, 0.99).is_empty());
        let full = ComponentState {
            queue_len: 50,
            ..up()
        };
        assert_eq!(badges(&full, 0.99), vec![Badge::Saturated]);
        assert!(badges(&full, 0.9).is_empty());
        // No workers (a balancer, DNS): never saturated.
        let no_workers = ComponentState {
            workers: 0,
            queue_len: 100,
            ..up()
        };
        assert!(badges(&no_workers, 1.0).is_empty());
    }
}
