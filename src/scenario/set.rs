//! `--set path=value` overrides: change one field of a scenario by its dotted path (the rule
//! is [`super::path`]'s, shared with links).

use super::path::{self, Assigned};
use super::{spelling, Scenario, ValidationErrors};
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
