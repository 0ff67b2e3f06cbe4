//! Older spellings that inputs may still use, read into today's fields.
//!
//! Shares were once written in percent (`geo.regions[].users_percent: 35`,
//! `geo.split_percent: [70, 30]`, a data center's `split_percent`); every share is a ratio 0 – 1
//! now (`users_share: 0.35`), and percent is only for display. Files, links and `--set` paths
//! written before keep decoding to the same scenario:
//!
//! ```text
//!   {"name": "asia", "users_percent": 15}  ─serde (RegionFields)─▶  Region { users_share: 0.15 }
//!   --set geo.split_percent=[70,30]        ─respell─▶  geo.split_share = [0.7, 0.3]
//! ```
//!
//! Serde reads either spelling through the `…Fields` types below (never both at once); a dotted
//! path with an old name is rewritten by [`respell`] before it is assigned.

use super::{DataCenter, Geo, GeoRouting, Region};
use serde::Deserialize;
use serde_json::{Number, Value};

/// Old field names of shares written in percent, and the names of their ratios now.
pub const PERCENT_FIELDS: &[(&str, &str)] = &[
    ("users_percent", "users_share"),
    ("split_percent", "split_share"),
];

/// A share given in percent, as a ratio 0 – 1.
pub fn percent_to_share(percent: f64) -> f64 {
    percent / 100.0
}

/// The path as it is spelled now, if `keys` use an old name (`geo.split_percent.1` →
/// `geo.split_share.1`); the value assigned to it must then go through [`percent_value`].
pub fn respell<S: AsRef<str>>(keys: &[S]) -> Option<Vec<String>> {
    let mut renamed = false;
    let keys = keys
        .iter()
        .map(|key| {
            let key = key.as_ref();
            match PERCENT_FIELDS.iter().find(|(old, _)| *old == key) {
                Some(&(_, new)) => {
                    renamed = true;
                    new.to_string()
                }
                None => key.to_string(),
            }
        })
        .collect();
    renamed.then_some(keys)
}

/// A value written in percent (a number or a list of numbers), as shares; anything else is left
/// as it is, for serde to refuse with its usual message.
pub fn percent_value(value: Value) -> Value {
    match value {
        Value::Number(n) => match n.as_f64().map(percent_to_share).and_then(Number::from_f64) {
            Some(share) => Value::Number(share),
            None => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(percent_value).collect()),
        other => other,
    }
}

/// One of two spellings, or neither: the share, converted from percent when that was given.
fn either(
    share: Option<f64>,
    percent: Option<f64>,
    names: (&str, &str),
) -> Result<Option<f64>, String> {
    match (share, percent) {
        (Some(_), Some(_)) => Err(format!(
            "give `{}` (a share 0 – 1) or the older `{}` (percent), not both",
            names.1, names.0
        )),
        (share, percent) => Ok(share.or(percent.map(percent_to_share))),
    }
}

/// A region as files may write it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegionFields {
    name: String,
    #[serde(default)]
    users_share: Option<f64>,
    #[serde(default)]
    users_percent: Option<f64>,
}

impl TryFrom<RegionFields> for Region {
    type Error = String;

    fn try_from(f: RegionFields) -> Result<Region, String> {
        let names = ("users_percent", "users_share");
        Ok(Region {
            name: f.name,
            users_share: either(f.users_share, f.users_percent, names)?
                .ok_or("missing field `users_share`")?,
        })
    }
}

/// Stage 11's geo section as files may write it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GeoFields {
    regions: Vec<Region>,
    rtt_ms: Vec<Vec<f64>>,
    data_centers: Vec<DataCenter>,
    routing: GeoRouting,
    #[serde(default)]
    split_share: Option<Vec<f64>>,
    #[serde(default)]
    split_percent: Option<Vec<f64>>,
    health_interval_ms: f64,
    unhealthy_after: u32,
    healthy_after: u32,
    replication_writes_per_s: f64,
}

impl TryFrom<GeoFields> for Geo {
    type Error = String;

    fn try_from(f: GeoFields) -> Result<Geo, String> {
        let split_share = match (f.split_share, f.split_percent) {
            (Some(_), Some(_)) => {
                return Err(
                    "give `split_share` (shares 0 – 1) or the older `split_percent` (percent), not both"
                        .to_string(),
                )
            }
            (Some(shares), None) => shares,
            (None, Some(percents)) => percents.into_iter().map(percent_to_share).collect(),
            (None, None) => Vec::new(),
        };
        Ok(Geo {
            regions: f.regions,
            rtt_ms: f.rtt_ms,
            data_centers: f.data_centers,
            routing: f.routing,
            split_share,
            health_interval_ms: f.health_interval_ms,
            unhealthy_after: f.unhealthy_after,
            healthy_after: f.healthy_after,
            replication_writes_per_s: f.replication_writes_per_s,
        })
    }
}

/// A drawn data center's parameters as files and v2 links may write them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DataCenterParamsFields {
    region: String,
    #[serde(default)]
    split_share: Option<f64>,
    #[serde(default)]
    split_percent: Option<f64>,
    #[serde(default)]
    set: std::collections::BTreeMap<String, Value>,
}

impl TryFrom<DataCenterParamsFields> for super::topology::DataCenterParams {
    type Error = String;

    fn try_from(f: DataCenterParamsFields) -> Result<Self, String> {
        Ok(super::topology::DataCenterParams {
            region: f.region,
            split_share: either(
                f.split_share,
                f.split_percent,
                ("split_percent", "split_share"),
            )?,
            set: f.set,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn old_paths_are_respelled() {
        assert_eq!(
            respell(&["geo", "split_percent", "1"]),
            Some(vec!["geo".into(), "split_share".into(), "1".into()])
        );
        assert_eq!(
            respell(&["geo", "regions", "0", "users_percent"]).unwrap()[3],
            "users_share"
        );
        assert_eq!(respell(&["geo", "split_share"]), None);
        assert_eq!(respell(&["server", "workers"]), None);
        assert_eq!(percent_value(json!([70, 30.0])), json!([0.7, 0.3]));
        assert_eq!(percent_value(json!(15)), json!(0.15));
        assert_eq!(percent_value(json!("x")), json!("x"));
        assert_eq!(percent_value(Value::Null), Value::Null);
    }

    #[test]
    fn regions_read_either_spelling_but_not_both() {
        let old: Region =
            serde_json::from_value(json!({"name": "a", "users_percent": 35})).unwrap();
        let new: Region =
            serde_json::from_value(json!({"name": "a", "users_share": 0.35})).unwrap();
        assert_eq!(old, new);
        let both = serde_json::from_value::<Region>(
            json!({"name": "a", "users_share": 0.35, "users_percent": 35}),
        );
        assert!(both.unwrap_err().to_string().contains("not both"));
        let neither = serde_json::from_value::<Region>(json!({"name": "a"}));
        assert!(neither.unwrap_err().to_string().contains("users_share"));
        let typo = serde_json::from_value::<Region>(json!({"name": "a", "users_pct": 3}));
        assert!(typo
            .unwrap_err()
            .to_string()
            .contains("unknown field `users_pct`"));
        assert_eq!(
            serde_json::to_value(&new).unwrap(),
            json!({"name": "a", "users_share": 0.35})
        );
    }
}
