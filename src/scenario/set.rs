//! `--set path=value` overrides: change one field of a scenario by its dotted path (the rule
//! is [`super::path`]'s, shared with links).

use super::path::{self, Assigned};
use super::{spelling, DataCenter, FieldDoc, Problem, Scenario, ValidationErrors, FIELDS};
use serde_json::Value;
use thiserror::Error;

/// Why an override could not be applied.
#[derive(Debug, Error)]
pub enum SetError {
    /// The text has no `=`.
    #[error("'{0}' is not of the form path=value")]
    Syntax(String),
    /// No such field.
    #[error("unknown field '{0}' (see `scalesim schema`)")]
    UnknownPath(String),
    /// The value does not fit the field's type.
    #[error("bad value for '{path}': {reason}")]
    BadValue {
        /// The field.
        path: String,
        /// What serde said.
        reason: String,
    },
    /// The result fails validation.
    #[error("{0}")]
    Invalid(ValidationErrors),
}

/// Applies `path=value` to a scenario and validates the result.
///
/// The path is dotted (`server.workers`, `faults.0.at_s`; see [`path::assign`] for the rule);
/// the value is read as JSON, and as a plain string when it is not JSON (so `shape=constant`
/// works without quotes); `null` leaves the field out.
pub fn apply_set(scenario: &Scenario, assignment: &str) -> Result<Scenario, SetError> {
    let (path, raw) = assignment
        .split_once('=')
        .ok_or_else(|| SetError::Syntax(assignment.to_string()))?;
    let path = path.trim();
    let mut keys: Vec<String> = path::split(path).into_iter().map(String::from).collect();
    let mut root = serde_json::to_value(scenario).expect("a scenario always serialises");
    let mut value =
        serde_json::from_str(raw.trim()).unwrap_or_else(|_| Value::String(raw.to_string()));
    if let Some(respelled) = spelling::respell(&keys) {
        // An older path, in percent (`geo.split_percent=[70,30]`): today's field, as shares.
        keys = respelled;
        value = spelling::percent_value(value);
    }
    let assigned = path::assign(&mut root, &keys, value)
        .map_err(|_| SetError::UnknownPath(path.to_string()))?;
    let updated: Scenario = serde_json::from_value(root).map_err(|e| {
        let reason = e.to_string();
        let last = keys.last().map_or("", String::as_str);
        if assigned == Assigned::Added && path::names_unknown_field(&reason, last) {
            SetError::UnknownPath(path.to_string())
        } else {
            SetError::BadValue {
                path: path.to_string(),
                reason,
            }
        }
    })?;
    updated.validate().map_err(SetError::Invalid)?;
    Ok(updated)
}

/// The top-level fields every data center shares, which a data center's `set` may not change,
/// each with the reason.
pub const SHARED_FIELDS: &[(&str, &str)] = &[
    ("version", "the format version is the file's"),
    ("name", "the run has one name"),
    ("stage", "the run is one stage"),
    ("seed", "the run has one seed (each data center's stream is drawn from it)"),
    ("duration_s", "every data center runs for the run's length"),
    ("metrics_interval_ms", "every data center's figures share the run's intervals"),
    (
        "traffic",
        "the users and their requests belong to the whole run: geoDNS spreads them over the data centers",
    ),
    (
        "network",
        "the round trips between users and data centers come from geo.rtt_ms",
    ),
    ("dns", "every data center stands behind the one geoDNS"),
    ("geo", "a data center cannot change the data centers and regions themselves"),
    (
        "faults",
        "faults belong to the whole run: name the component `<data center>/<name>` in the scenario's faults",
    ),
    (
        "deploy",
        "the deploy goes through the data centers one at a time, with one setting for all",
    ),
];

/// The fields a data center's `set` may change, as the editor offers them: every field of the
/// schema ([`FIELDS`]) that names no list entry (`[]`) and is not one every data center shares
/// ([`SHARED_FIELDS`]).
pub fn data_center_fields() -> impl Iterator<Item = &'static FieldDoc> {
    FIELDS.iter().filter(|f| {
        let first = f.path.split('.').next().unwrap_or_default();
        !f.path.contains("[]") && !SHARED_FIELDS.iter().any(|(shared, _)| *shared == first)
    })
}

impl Scenario {
    /// Whether any data center changes its own copy of the stack (`geo.data_centers[].set`).
    pub fn has_data_center_changes(&self) -> bool {
        self.geo
            .as_ref()
            .is_some_and(|geo| geo.data_centers.iter().any(|dc| !dc.set.is_empty()))
    }

    /// The stack data center `dc` runs: this scenario without its `geo` part, with the data
    /// center's `set` applied path by path (in path order) by the rule of `--set`
    /// ([`path::assign`]). Every path that cannot be applied — a field every data center
    /// shares ([`SHARED_FIELDS`]), an unknown field, a value of the wrong type — is one
    /// problem, at `path` (the data center's `set` in the scenario), naming the data center
    /// and the path. The result is not validated: see [`Scenario::validate`].
    pub fn data_center_stack(
        &self,
        dc: &DataCenter,
        path: &str,
    ) -> Result<Scenario, ValidationErrors> {
        let (stack, problems) = self.apply_data_center_set(dc, path);
        if problems.is_empty() {
            Ok(stack)
        } else {
            Err(ValidationErrors(problems))
        }
    }

    /// [`Scenario::data_center_stack`]: the stack with the changes that apply, and a problem
    /// for each one that does not.
    pub(super) fn apply_data_center_set(
        &self,
        dc: &DataCenter,
        path: &str,
    ) -> (Scenario, Vec<Problem>) {
        let mut stack = Scenario {
            geo: None,
            ..self.clone()
        };
        if dc.set.is_empty() {
            return (stack, Vec::new());
        }
        let mut problems = Vec::new();
        let mut fail = |key: &str, reason: String| {
            let shown: String = key.chars().take(60).collect();
            problems.push(Problem {
                path: path.to_string(),
                message: format!("data center {}: {shown}: {reason}", dc.name),
            });
        };
        let mut root = serde_json::to_value(&stack).expect("a scenario always serialises");
        for (key, value) in &dc.set {
            let keys = path::split(key);
            if let Some((_, why)) = SHARED_FIELDS.iter().find(|(f, _)| *f == keys[0]) {
                fail(key, format!("the same in every data center ({why})"));
                continue;
            }
            let before = root.clone();
            let assigned = match path::assign(&mut root, &keys, value.clone()) {
                Ok(a) => a,
                Err(_) => {
                    fail(key, "no such field (see `scalesim schema`)".into());
                    continue;
                }
            };
            match serde_json::from_value::<Scenario>(root.clone()) {
                Ok(updated) => stack = updated,
                Err(e) => {
                    let reason = e.to_string();
                    let last = keys.last().copied().unwrap_or_default();
                    if assigned == Assigned::Added && path::names_unknown_field(&reason, last) {
                        fail(key, "no such field (see `scalesim schema`)".into());
                    } else {
                        fail(key, format!("bad value: {reason}"));
                    }
                    root = before;
                }
            }
        }
        (stack, problems)
    }
}
