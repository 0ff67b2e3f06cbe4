//! Sweeps: one scenario run over a grid of changed fields, one row of chosen figures per point.
//!
//! ```text
//!   --vary traffic.users=1000..5000:5  ─┐
//!   --vary server.count=2,4,8          ─┼─▶ Grid ──points()──▶ (assignments, seed) × 5·3·K
//!   --seeds K                          ─┘                          │ apply_set, Sim::run
//!                                                                  ▼
//!                                              Row: varied values, seed, figures (figures.rs)
//! ```
//!
//! The grid's order is fixed: the first `--vary` changes slowest, the seed fastest. Running the
//! points (on one thread or many) is the caller's business; this module only says what they
//! are, so the rows never depend on how they were run.

pub mod figures;

use crate::scenario::{apply_set, Scenario};
use serde_json::Value;
use thiserror::Error;

/// The most points (grid points times seeds) one sweep may run.
pub const MAX_RUNS: usize = 10_000;
/// The most values one `--vary` may give.
pub const MAX_VALUES: usize = 1_000;
/// The most seeds a sweep repeats each point with.
pub const MAX_SEEDS: u32 = 1_000;

/// Why a sweep cannot be set up.
#[derive(Debug, Error, PartialEq)]
pub enum SweepError {
    /// The `--vary` text is not `PATH=A..B:STEPS` or `PATH=V1,V2,…`.
    #[error("--vary '{spec}': {reason} (expected PATH=A..B:STEPS or PATH=V1,V2,...)")]
    Syntax {
        /// The text given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value does not apply to the scenario (unknown path, wrong type, out of bounds).
    #[error("--vary {path}={value}: {reason}")]
    Value {
        /// The field.
        path: String,
        /// The value tried.
        value: String,
        /// Why `--set` refused it.
        reason: String,
    },
    /// The same field varied twice.
    #[error("--vary {0} is given twice")]
    Repeated(String),
    /// Too many runs.
    #[error("the sweep has {runs} runs (points × seeds); at most {MAX_RUNS}")]
    TooLarge {
        /// Points times seeds.
        runs: usize,
    },
    /// `--seeds` out of bounds.
    #[error("--seeds {0}: must be 1 to {MAX_SEEDS}")]
    Seeds(u32),
}

/// One varied field and the values it takes, in order, each as `--set` would read it.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    /// Dotted path of the field (`traffic.users`, see `scalesim schema`).
    pub path: String,
    /// The values, as text (`2`, `0.5`, `round_robin`).
    pub values: Vec<String>,
}

impl Vary {
    /// Reads `PATH=A..B:STEPS` (STEPS evenly spaced values from A to B, both included; whole
    /// numbers when the field holds a whole number) or `PATH=V1,V2,…`, and checks every value
    /// against `base` the way `--set` would.
    pub fn parse(spec: &str, base: &Scenario) -> Result<Vary, SweepError> {
        let syntax = |reason: &str| SweepError::Syntax {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let (path, values) = spec.split_once('=').ok_or_else(|| syntax("no '='"))?;
        let path = path.trim();
        if path.is_empty() {
            return Err(syntax("no field before '='"));
        }
        let values = if let Some((range, steps)) = values.split_once("..") {
            let (end, steps) = steps
                .split_once(':')
                .ok_or_else(|| syntax("a range needs ':STEPS' after it"))?;
            let number = |text: &str, what: &str| {
                text.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| syntax(&format!("{what} '{text}' is not a number")))
            };
            let start = number(range, "the start")?;
            let end = number(end, "the end")?;
            let steps = steps
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (2..=MAX_VALUES).contains(n))
                .ok_or_else(|| {
                    syntax(&format!("STEPS must be a whole number, 2 to {MAX_VALUES}"))
                })?;
            let whole = holds_whole_number(base, path);
            range_values(start, end, steps, whole).map_err(|reason| syntax(&reason))?
        } else {
            let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
            if values.iter().any(String::is_empty) {
                return Err(syntax("an empty value"));
            }
            if values.len() > MAX_VALUES {
                return Err(syntax(&format!("more than {MAX_VALUES} values")));
            }
            values
        };
        for value in &values {
            apply_set(base, &format!("{path}={value}")).map_err(|e| SweepError::Value {
                path: path.to_string(),
                value: value.clone(),
                reason: e.to_string(),
            })?;
        }
        Ok(Vary {
            path: path.to_string(),
            values,
        })
    }
}

/// Whether the field at `path` holds a whole number in `base` (then a range is rounded).
fn holds_whole_number(base: &Scenario, path: &str) -> bool {
    let root = serde_json::to_value(base).expect("a scenario always serialises");
    let pointer = format!("/{}", path.replace('.', "/"));
    root.pointer(&pointer)
        .is_some_and(|v| v.is_u64() || v.is_i64())
}

/// `steps` values from `start` to `end`, evenly spaced; rounded to whole numbers if `whole`
/// (then two equal values are an error: fewer steps are needed).
fn range_values(start: f64, end: f64, steps: usize, whole: bool) -> Result<Vec<String>, String> {
    let last = (steps - 1) as f64;
    let values: Vec<f64> = (0..steps)
        .map(|i| start + (end - start) * i as f64 / last)
        .collect();
    if whole {
        let rounded: Vec<i128> = values.iter().map(|v| v.round() as i128).collect();
        if rounded.windows(2).any(|w| w[0] == w[1]) {
            return Err(format!(
                "{steps} whole numbers do not fit between {start} and {end}"
            ));
        }
        return Ok(rounded.iter().map(i128::to_string).collect());
    }
    // Twelve significant digits hide the sum's rounding (0.30000000000000004 → 0.3).
    Ok(values
        .iter()
        .map(|v| {
            format!("{:.11e}", v)
                .parse::<f64>()
                .expect("a number")
                .to_string()
        })
        .collect())
}

/// The fields varied and the seeds each point is run with.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// The varied fields, the first changing slowest.
    pub varies: Vec<Vary>,
    /// Seeds per point: the base scenario's seed, +1, …
    pub seeds: u32,
}

/// One run of a sweep: the values of the varied fields, and the seed.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// `(path, value)` for each varied field, in the grid's order.
    pub assignments: Vec<(String, String)>,
    /// The seed of this run.
    pub seed: u64,
}

impl Grid {
    /// Checks the grid: no field twice, a bounded number of runs, seeds in bounds.
    pub fn new(varies: Vec<Vary>, seeds: u32) -> Result<Grid, SweepError> {
        for (i, vary) in varies.iter().enumerate() {
            if varies[..i].iter().any(|v| v.path == vary.path) {
                return Err(SweepError::Repeated(vary.path.clone()));
            }
        }
        if !(1..=MAX_SEEDS).contains(&seeds) {
            return Err(SweepError::Seeds(seeds));
        }
        let runs = varies
            .iter()
            .try_fold(seeds as usize, |n, v| n.checked_mul(v.values.len()))
            .unwrap_or(usize::MAX);
        if runs > MAX_RUNS {
            return Err(SweepError::TooLarge { runs });
        }
        Ok(Grid { varies, seeds })
    }

    /// How many runs the grid makes (points times seeds).
    pub fn runs(&self) -> usize {
        self.varies
            .iter()
            .map(|v| v.values.len())
            .product::<usize>()
            * self.seeds as usize
    }

    /// Every run in order: the first varied field slowest, the seed fastest.
    pub fn points(&self, base_seed: u64) -> Vec<Point> {
        (0..self.runs())
            .map(|mut index| {
                let seed_index = index % self.seeds as usize;
                index /= self.seeds as usize;
                let mut assignments = Vec::with_capacity(self.varies.len());
                for vary in self.varies.iter().rev() {
                    let n = vary.values.len();
                    assignments.push((vary.path.clone(), vary.values[index % n].clone()));
                    index /= n;
                }
                assignments.reverse();
                Point {
                    assignments,
                    seed: base_seed.wrapping_add(seed_index as u64),
                }
            })
            .collect()
    }
}

impl Point {
    /// The base scenario with this point's values and seed.
    pub fn scenario(&self, base: &Scenario) -> Result<Scenario, SweepError> {
        let mut s = base.clone();
        for (path, value) in &self.assignments {
            s = apply_set(&s, &format!("{path}={value}")).map_err(|e| SweepError::Value {
                path: path.clone(),
                value: value.clone(),
                reason: e.to_string(),
            })?;
        }
        s.seed = self.seed;
        Ok(s)
    }

    /// A varied value as JSON: a number or boolean when it reads as one, else a string.
    pub fn value_json(value: &str) -> Value {
        serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;

    fn stage3() -> Scenario {
        preset(3).unwrap()
    }

    #[test]
    fn a_range_of_a_whole_number_field_is_rounded() {
        let v = Vary::parse("traffic.users=1000..2000:3", &stage3()).unwrap();
        assert_eq!(v.path, "traffic.users");
        assert_eq!(v.values, ["1000", "1500", "2000"]);
        let v = Vary::parse("traffic.users=1000..2000:4", &stage3()).unwrap();
        assert_eq!(v.values, ["1000", "1333", "1667", "2000"]);
    }

    #[test]
    fn a_range_of_a_real_field_keeps_fractions_without_noise() {
        let v = Vary::parse("traffic.requests_per_user_per_s=0.1..0.3:3", &stage3()).unwrap();
        assert_eq!(v.values, ["0.1", "0.2", "0.3"]);
    }

    #[test]
    fn a_list_is_taken_as_given() {
        let v = Vary::parse("server.count=2, 4,8", &stage3()).unwrap();
        assert_eq!(v.values, ["2", "4", "8"]);
        let v = Vary::parse("load_balancer.policy=random,round_robin", &stage3()).unwrap();
        assert_eq!(v.values, ["random", "round_robin"]);
    }

    #[test]
    fn bad_syntax_says_what_is_wrong() {
        let base = stage3();
        for (spec, part) in [
            ("server.count", "no '='"),
            ("=1,2", "no field"),
            ("server.count=1..4", "':STEPS'"),
            ("server.count=a..4:2", "the start 'a'"),
            ("server.count=1..4:x", "STEPS"),
            ("server.count=1..4:1", "STEPS"),
            ("server.count=1,,2", "empty value"),
            ("server.count=1..2:5", "whole numbers do not fit"),
        ] {
            let e = Vary::parse(spec, &base).unwrap_err().to_string();
            assert!(e.contains(part), "{spec}: {e}");
            assert!(!e.contains('\n'), "{spec}: {e}");
        }
    }

    #[test]
    fn unknown_paths_and_bad_values_are_refused() {
        let base = stage3();
        let e = Vary::parse("server.nope=1,2", &base).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
        let e = Vary::parse("server.workers=0..4:2", &base).unwrap_err();
        assert!(
            matches!(e, SweepError::Value { ref value, .. } if value == "0"),
            "{e}"
        );
    }

    #[test]
    fn points_run_the_first_field_slowest_and_the_seed_fastest() {
        let base = stage3();
        let grid = Grid::new(
            vec![
                Vary::parse("server.count=2,4", &base).unwrap(),
                Vary::parse("traffic.users=100..300:3", &base).unwrap(),
            ],
            2,
        )
        .unwrap();
        assert_eq!(grid.runs(), 12);
        let points = grid.points(7);
        let text: Vec<String> = points
            .iter()
            .map(|p| format!("{}/{}/{}", p.assignments[0].1, p.assignments[1].1, p.seed))
            .collect();
        assert_eq!(
            text[..5],
            ["2/100/7", "2/100/8", "2/200/7", "2/200/8", "2/300/7"]
        );
        assert_eq!(text[11], "4/300/8");
        let s = points[11].scenario(&base).unwrap();
        assert_eq!((s.server.count, s.traffic.users, s.seed), (4, 300, 8));
    }

    #[test]
    fn grids_are_bounded_and_fields_not_repeated() {
        let base = stage3();
        let users = Vary::parse("traffic.users=1..1000:1000", &base).unwrap();
        let e = Grid::new(vec![users.clone()], 11).unwrap_err();
        assert_eq!(e, SweepError::TooLarge { runs: 11_000 });
        let e = Grid::new(vec![users.clone(), users], 1).unwrap_err();
        assert_eq!(e, SweepError::Repeated("traffic.users".into()));
        assert_eq!(Grid::new(vec![], 0).unwrap_err(), SweepError::Seeds(0));
        assert_eq!(Grid::new(vec![], 3).unwrap().points(0).len(), 3);
    }

    #[test]
    fn varied_values_read_back_as_json() {
        assert_eq!(Point::value_json("4"), serde_json::json!(4));
        assert_eq!(Point::value_json("0.5"), serde_json::json!(0.5));
        assert_eq!(Point::value_json("random"), serde_json::json!("random"));
    }
}
