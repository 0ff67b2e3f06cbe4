//! The figures a sweep (or a plot) can pick out of a report, by name, with their units.
//!
//! Names carry their unit last (`latency_p99_ms`, `cost_usd_per_hour`); a figure a report
//! lacks (`cache_hit_ratio` before stage 5) is [`Cell::Empty`].

use crate::sim::{ComponentKind, ComponentReport, Report};

/// One figure's value.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// A count.
    Count(u64),
    /// A measured quantity.
    Real(f64),
    /// A name.
    Text(String),
    /// Not in this report.
    Empty,
}

impl Cell {
    /// The value as JSON (`null` when empty).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Count(n) => (*n).into(),
            Cell::Real(x) => {
                serde_json::Number::from_f64(*x).map_or(serde_json::Value::Null, Into::into)
            }
            Cell::Text(t) => t.clone().into(),
            Cell::Empty => serde_json::Value::Null,
        }
    }

    /// The value as CSV text (Rust's shortest round-trip form for reals; empty when empty).
    pub fn to_text(&self) -> String {
        match self {
            Cell::Count(n) => n.to_string(),
            Cell::Real(x) => x.to_string(),
            Cell::Text(t) => t.clone(),
            Cell::Empty => String::new(),
        }
    }
}

/// A figure: its name, unit, meaning and how it is read from a report.
#[derive(Clone, Copy)]
pub struct Figure {
    /// Its name (a CSV column, a `--figures` entry).
    pub name: &'static str,
    /// Its unit, or `-`.
    pub unit: &'static str,
    /// What it is.
    pub meaning: &'static str,
    /// Reads it.
    pub read: fn(&Report) -> Cell,
}

impl std::fmt::Debug for Figure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

const fn figure(
    name: &'static str,
    unit: &'static str,
    meaning: &'static str,
    read: fn(&Report) -> Cell,
) -> Figure {
    Figure {
        name,
        unit,
        meaning,
        read,
    }
}

/// Every figure, in the order `scalesim sweep --figures list` prints them.
pub const FIGURES: &[Figure] = &[
    figure("requests_generated", "requests", "requests sent", |r| {
        Cell::Count(r.requests.generated)
    }),
    figure("requests_completed", "requests", "requests answered", |r| {
        Cell::Count(r.requests.completed)
    }),
    figure(
        "requests_failed",
        "requests",
        "requests failed, any reason",
        |r| Cell::Count(r.requests.failed),
    ),
    figure(
        "error_ratio",
        "ratio",
        "failed / (completed + failed)",
        |r| Cell::Real(error_ratio(r)),
    ),
    figure(
        "throughput_per_s",
        "requests/s",
        "requests completed per second",
        |r| Cell::Real(r.throughput_per_s),
    ),
    figure(
        "latency_mean_ms",
        "ms",
        "mean latency of completed requests",
        |r| Cell::Real(r.latency_ms.mean),
    ),
    figure("latency_p50_ms", "ms", "median latency", |r| {
        Cell::Real(r.latency_ms.p50)
    }),
    figure("latency_p95_ms", "ms", "95th percentile latency", |r| {
        Cell::Real(r.latency_ms.p95)
    }),
    figure("latency_p99_ms", "ms", "99th percentile latency", |r| {
        Cell::Real(r.latency_ms.p99)
    }),
    figure("latency_max_ms", "ms", "largest latency", |r| {
        Cell::Real(r.latency_ms.max)
    }),
    figure(
        "failed_queue_full",
        "requests",
        "turned away by a full queue",
        |r| Cell::Count(r.requests.failed_by_reason.queue_full),
    ),
    figure(
        "failed_timeout",
        "requests",
        "given up by the client",
        |r| Cell::Count(r.requests.failed_by_reason.timeout),
    ),
    figure(
        "failed_server_down",
        "requests",
        "sent to a dead server",
        |r| Cell::Count(r.requests.failed_by_reason.server_down),
    ),
    figure("failed_db_down", "requests", "no database to answer", |r| {
        Cell::Count(r.requests.failed_by_reason.db_down)
    }),
    figure(
        "bottleneck",
        "-",
        "busiest component on the request path",
        |r| busiest(r).map_or(Cell::Empty, |c| Cell::Text(c.name.clone())),
    ),
    figure(
        "bottleneck_utilization",
        "ratio",
        "the busiest component's mean utilization",
        |r| busiest(r).map_or(Cell::Empty, |c| Cell::Real(c.utilization)),
    ),
    figure("cache_hit_ratio", "ratio", "cache hits / lookups", |r| {
        r.cache
            .as_ref()
            .map_or(Cell::Empty, |c| Cell::Real(c.hit_ratio))
    }),
    figure("cdn_hit_ratio", "ratio", "CDN edge hits / requests", |r| {
        r.cdn
            .as_ref()
            .map_or(Cell::Empty, |c| Cell::Real(c.hit_ratio))
    }),
    figure(
        "db_stale_reads",
        "reads",
        "reads of a key not yet replicated",
        |r| {
            r.database
                .as_ref()
                .map_or(Cell::Empty, |d| Cell::Count(d.stale_reads))
        },
    ),
    figure(
        "db_writes_lost",
        "writes",
        "writes lost in failovers",
        |r| {
            r.database
                .as_ref()
                .map_or(Cell::Empty, |d| Cell::Count(d.writes_lost))
        },
    ),
    figure("queue_max_depth", "jobs", "longest job backlog", |r| {
        r.queue
            .as_ref()
            .map_or(Cell::Empty, |q| Cell::Count(u64::from(q.max_depth)))
    }),
    figure("cost_usd", "USD", "estimated cost of the run", |r| {
        Cell::Real(r.cost.total_usd)
    }),
    figure(
        "cost_usd_per_hour",
        "USD/h",
        "the cost spread over an hour",
        |r| Cell::Real(r.cost.usd_per_hour),
    ),
    figure("digest", "-", "the report's digest", |r| {
        Cell::Text(r.digest.clone())
    }),
];

/// The figures a sweep writes when `--figures` is not given.
pub const DEFAULT_FIGURES: &[&str] = &[
    "requests_generated",
    "requests_failed",
    "error_ratio",
    "throughput_per_s",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "bottleneck",
    "bottleneck_utilization",
    "cost_usd_per_hour",
];

/// Names that figures had before rates were spelled `_per_s` everywhere: `--figures` still
/// reads them, so older command lines keep working.
pub const OLD_NAMES: &[(&str, &str)] = &[("throughput_rps", "throughput_per_s")];

/// The figure of this name (or of its old name, see [`OLD_NAMES`]).
pub fn find(name: &str) -> Option<&'static Figure> {
    let name = OLD_NAMES
        .iter()
        .find(|(old, _)| *old == name)
        .map_or(name, |&(_, new)| new);
    FIGURES.iter().find(|f| f.name == name)
}

/// Reads a comma-separated list of figure names (`latency_p99_ms,error_ratio`).
pub fn parse_list(list: &str) -> Result<Vec<&'static Figure>, String> {
    let names: Vec<&str> = list.split(',').map(str::trim).collect();
    let mut figures = Vec::with_capacity(names.len());
    for name in names {
        let figure = find(name).ok_or_else(|| {
            format!(
                "--figures: unknown figure '{name}' (`scalesim sweep --figures list` lists them)"
            )
        })?;
        if figures.iter().any(|f: &&Figure| f.name == figure.name) {
            return Err(format!("--figures: '{name}' is given twice"));
        }
        figures.push(figure);
    }
    Ok(figures)
}

/// Failed over finished requests (0 when none finished).
pub fn error_ratio(r: &Report) -> f64 {
    let finished = r.requests.completed + r.requests.failed;
    if finished == 0 {
        0.0
    } else {
        r.requests.failed as f64 / finished as f64
    }
}

/// The busiest component on the request path over the whole run (queue workers run jobs after
/// the request was answered, so they are left out; the first listed wins a tie).
pub fn busiest(r: &Report) -> Option<&ComponentReport> {
    busiest_two(r).0
}

/// The busiest component on the request path and the next busiest.
pub fn busiest_two(r: &Report) -> (Option<&ComponentReport>, Option<&ComponentReport>) {
    let mut on_path: Vec<&ComponentReport> = r
        .components
        .iter()
        .filter(|c| c.kind != ComponentKind::Workers)
        .collect();
    // A stable sort keeps the report's order among equals.
    on_path.sort_by(|a, b| b.utilization.total_cmp(&a.utilization));
    (on_path.first().copied(), on_path.get(1).copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;
    use crate::sim::Sim;

    fn short_run(stage: u8) -> Report {
        let mut s = preset(stage).unwrap();
        s.duration_s = 10;
        Sim::new(&s).unwrap().run()
    }

    #[test]
    fn names_are_unique_and_defaults_exist() {
        for (i, f) in FIGURES.iter().enumerate() {
            assert!(FIGURES[..i].iter().all(|g| g.name != f.name), "{}", f.name);
        }
        for name in DEFAULT_FIGURES {
            assert!(find(name).is_some(), "{name}");
        }
    }

    #[test]
    fn figures_read_the_report() {
        let r = short_run(5);
        let get = |name: &str| (find(name).unwrap().read)(&r);
        assert_eq!(get("latency_p99_ms"), Cell::Real(r.latency_ms.p99));
        assert_eq!(get("requests_generated"), Cell::Count(r.requests.generated));
        assert_eq!(
            get("cache_hit_ratio"),
            Cell::Real(r.cache.as_ref().unwrap().hit_ratio)
        );
        let ratio = r.requests.failed as f64 / (r.requests.completed + r.requests.failed) as f64;
        assert_eq!(get("error_ratio"), Cell::Real(ratio));
        let stage1 = short_run(1);
        assert_eq!(
            (find("cache_hit_ratio").unwrap().read)(&stage1),
            Cell::Empty
        );
        assert_eq!(
            (find("bottleneck").unwrap().read)(&stage1),
            Cell::Text("web-0".into())
        );
    }

    #[test]
    fn the_busiest_component_leaves_queue_workers_out() {
        let r = short_run(8);
        let (first, second) = busiest_two(&r);
        let first = first.unwrap();
        assert!(first.kind != ComponentKind::Workers);
        assert!(first.utilization >= second.unwrap().utilization);
        assert!(r
            .components
            .iter()
            .filter(|c| c.kind != ComponentKind::Workers)
            .all(|c| c.utilization <= first.utilization));
    }

    #[test]
    fn lists_are_checked() {
        let f = parse_list("latency_p99_ms, error_ratio").unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].name, "error_ratio");
        assert!(parse_list("p99")
            .unwrap_err()
            .contains("unknown figure 'p99'"));
        assert!(parse_list("digest,digest").unwrap_err().contains("twice"));
    }

    #[test]
    fn old_figure_names_still_read() {
        for &(old, new) in OLD_NAMES {
            assert!(FIGURES.iter().all(|f| f.name != old), "{old}");
            assert_eq!(find(old).map(|f| f.name), Some(new));
            assert_eq!(parse_list(old).unwrap()[0].name, new);
            let twice = format!("{old},{new}");
            assert!(parse_list(&twice).unwrap_err().contains("twice"), "{twice}");
        }
        assert_eq!(
            parse_list("throughput_rps").unwrap()[0].name,
            "throughput_per_s"
        );
    }

    #[test]
    fn cells_print_as_csv_and_json() {
        assert_eq!(Cell::Real(0.1).to_text(), "0.1");
        assert_eq!(Cell::Count(12).to_json(), serde_json::json!(12));
        assert_eq!(Cell::Empty.to_text(), "");
        assert_eq!(Cell::Empty.to_json(), serde_json::Value::Null);
        assert_eq!(Cell::Real(f64::NAN).to_json(), serde_json::Value::Null);
    }
}
