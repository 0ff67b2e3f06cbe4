//! `--set path=value` overrides: change one field of a scenario by its dotted path.

use super::{Scenario, ValidationErrors};
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
/// The path is dotted (`server.workers`, `faults.0.at_s`); the value is read as JSON, and
/// as a plain string when it is not JSON (so `shape=constant` works without quotes).
pub fn apply_set(scenario: &Scenario, assignment: &str) -> Result<Scenario, SetError> {
    let (path, raw) = assignment
        .split_once('=')
        .ok_or_else(|| SetError::Syntax(assignment.to_string()))?;
    let path = path.trim();
    let mut root = serde_json::to_value(scenario).expect("a scenario always serialises");
    let (parent_path, last) = path.rsplit_once('.').unwrap_or(("", path));
    let parent = parent_path
        .split('.')
        .filter(|key| !key.is_empty())
        .try_fold(&mut root, |node, key| match node {
            Value::Object(map) => map.get_mut(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        })
        .ok_or_else(|| SetError::UnknownPath(path.to_string()))?;
    let value = serde_json::from_str(raw.trim()).unwrap_or_else(|_| Value::String(raw.to_string()));
    // An optional part the scenario lacks (e.g. `deploy`) can be set whole; serde refuses
    // names that are not fields.
    let added = match parent {
        Value::Object(map) => map.insert(last.to_string(), value).is_none(),
        Value::Array(items) => match last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
            Some(slot) => {
                *slot = value;
                false
            }
            None => return Err(SetError::UnknownPath(path.to_string())),
        },
        _ => return Err(SetError::UnknownPath(path.to_string())),
    };
    let updated: Scenario = serde_json::from_value(root).map_err(|e| {
        if added && e.to_string().contains("unknown field") {
            SetError::UnknownPath(path.to_string())
        } else {
            SetError::BadValue {
                path: path.to_string(),
                reason: e.to_string(),
            }
        }
    })?;
    updated.validate().map_err(SetError::Invalid)?;
    Ok(updated)
}
