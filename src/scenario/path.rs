//! Dotted field paths — `server.workers`, `faults.0.at_s` — and the one rule for changing the
//! field a path names in a scenario's JSON. `--set` (set.rs), links (url.rs) and the tests all
//! go through [`assign`]; the walk itself is serde_json's JSON pointer.
//!
//! ```text
//!   "server.service.write.mean_ms"  ─split─▶  [server, service, write, mean_ms]
//!        ─pointer─▶ "/server/service/write" ─pointer_mut─▶ parent ─▶ set or remove "mean_ms"
//! ```
//!
//! The rule: every key but the last must lead to an object or list that exists. The last key
//! names a field of that object — added when the object lacks it, so that an optional part
//! (`deploy`, `cdn`) can be set whole — or an element of that list that exists. `null` leaves
//! a field out, so its default applies (`None`, an empty list); when the field is not there,
//! `null` is set as a value and the type decides. Whether an added name is a field at all is
//! the type's business too: [`names_unknown_field`] reads serde's refusal.

use serde_json::Value;
use thiserror::Error;

/// A path that names nothing in the scenario.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("unknown field '{0}'")]
pub struct UnknownPath(pub String);

/// What [`assign`] did to the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Assigned {
    /// The field or list element was there and holds the new value.
    Replaced,
    /// The object had no such field; it has now (the type may still refuse the name).
    Added,
    /// The field was there and is now left out (`null`).
    Removed,
}

/// The keys of a dotted path (`faults.0.at_s` → `faults`, `0`, `at_s`).
pub fn split(path: &str) -> Vec<&str> {
    path.split('.').collect()
}

/// The JSON pointer (RFC 6901) of `keys`: `/server/workers`; `""` for no keys (the root).
pub fn pointer<S: AsRef<str>>(keys: &[S]) -> String {
    let mut out = String::new();
    for key in keys {
        out.push('/');
        out.push_str(&key.as_ref().replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// Sets the field that `keys` name in `root` to `value`, by the rule in the module's doc.
pub fn assign<S: AsRef<str>>(
    root: &mut Value,
    keys: &[S],
    value: Value,
) -> Result<Assigned, UnknownPath> {
    let unknown = || UnknownPath(keys.iter().map(AsRef::as_ref).collect::<Vec<_>>().join("."));
    let (last, parents) = keys.split_last().ok_or_else(unknown)?;
    let last = last.as_ref();
    if last.is_empty() || parents.iter().any(|k| k.as_ref().is_empty()) {
        return Err(unknown());
    }
    match root.pointer_mut(&pointer(parents)).ok_or_else(unknown)? {
        Value::Object(map) => Ok(match map.contains_key(last) {
            true if value.is_null() => {
                map.remove(last);
                Assigned::Removed
            }
            true => {
                map.insert(last.to_string(), value);
                Assigned::Replaced
            }
            false => {
                map.insert(last.to_string(), value);
                Assigned::Added
            }
        }),
        list @ Value::Array(_) => {
            let slot = list.pointer_mut(&pointer(&[last])).ok_or_else(unknown)?;
            *slot = value;
            Ok(Assigned::Replaced)
        }
        _ => Err(unknown()),
    }
}

/// Whether serde's refusal `reason` says that `key` — a field [`assign`] added — is not a
/// field of its object at all (rather than a field with a bad value).
pub fn names_unknown_field(reason: &str, key: &str) -> bool {
    reason.starts_with(&format!("unknown field `{key}`"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_adds_removes_and_refuses() {
        let mut v = json!({ "server": { "workers": 8 }, "faults": [{ "at_s": 1.0 }], "cdn": {} });
        assert_eq!(
            assign(&mut v, &split("server.workers"), json!(16)),
            Ok(Assigned::Replaced)
        );
        assert_eq!(
            assign(&mut v, &split("faults.0.at_s"), json!(2.0)),
            Ok(Assigned::Replaced)
        );
        assert_eq!(
            assign(&mut v, &split("faults.0"), json!({})),
            Ok(Assigned::Replaced)
        );
        assert_eq!(
            assign(&mut v, &split("deploy"), json!({ "at_s": 3 })),
            Ok(Assigned::Added)
        );
        assert_eq!(
            assign(&mut v, &split("cdn"), Value::Null),
            Ok(Assigned::Removed)
        );
        assert_eq!(
            assign(&mut v, &split("cdn"), Value::Null),
            Ok(Assigned::Added)
        );
        assert_eq!(
            v,
            json!({ "server": { "workers": 16 }, "faults": [{}], "deploy": { "at_s": 3 }, "cdn": null })
        );
        for bad in [
            "",
            "server..workers",
            ".server",
            "server.",
            "nope.deeper",
            "faults.1",
            "faults.01",
            "faults.x",
            "server.workers.x",
        ] {
            assert_eq!(
                assign(&mut v, &split(bad), json!(1)),
                Err(UnknownPath(bad.to_string())),
                "{bad}"
            );
        }
    }

    #[test]
    fn keys_with_pointer_characters_are_escaped() {
        assert_eq!(pointer(&["a/b", "c~d"]), "/a~1b/c~0d");
        let mut v = json!({ "a/b": { "c~d": 1 } });
        assert_eq!(
            assign(&mut v, &["a/b", "c~d"], json!(2)),
            Ok(Assigned::Replaced)
        );
        assert_eq!(v, json!({ "a/b": { "c~d": 2 } }));
    }

    #[test]
    fn unknown_field_means_that_name() {
        let reason = "unknown field `wrkers`, expected one of `count`, `workers`";
        assert!(names_unknown_field(reason, "wrkers"));
        assert!(!names_unknown_field(reason, "wrk"));
        assert!(!names_unknown_field("invalid type: null", "wrkers"));
    }
}
