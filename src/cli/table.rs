//! Reports and capacity results as aligned tables, for a person at a terminal.
//!
//! Counts are written with thousands separators (`12,345`), times in ms, utilization and
//! error ratios in percent; the JSON report (`--format json`) holds every figure unrounded.

use super::limit::StageRow;
use crate::capacity::{Bottleneck, Breach, LimitResult, Status};
use crate::sim::{ComponentKind, GeoReport, LatencyReport, Report};
use crate::sweep::figures::{busiest_two, error_ratio};
use comfy_table::{CellAlignment, ContentArrangement, LineStyle, Table, TableStyle};
use serde::Serialize;

/// The wall-clock figures `run --timing` adds.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Events handled.
    pub events: u64,
    /// Wall time, s.
    pub wall_s: f64,
    /// Threads the run was allowed (`run --threads`).
    pub threads: u32,
}

/// A run's report as a title and tables: requests, latency, components, bottleneck, the
/// tiers present, alerts, cost.
pub fn run_tables(r: &Report, timing: Option<Timing>) -> String {
    let mut out = format!(
        "{} — stage {}, seed {}, {} s simulated, digest {}\n",
        r.scenario,
        r.stage,
        r.seed,
        real(r.sim_time_s),
        r.digest
    );
    section(&mut out, "Requests", requests(r));
    section(&mut out, "Latency (ms)", latency(r));
    if let Some(geo) = &r.geo {
        section(&mut out, "Regions", regions(geo));
        section(&mut out, "Data centers", data_centers(geo));
    }
    section(&mut out, "Components", components(r));
    out.push_str(&bottleneck_line(r));
    if let Some(tiers) = tiers(r) {
        section(&mut out, "Tiers", tiers);
    }
    if let Some(alerts) = alerts(r) {
        out.push_str(&alerts);
    }
    if !r.diagnosis.is_empty() {
        out.push_str(&diagnosis(r));
    }
    section(&mut out, "Cost (assumed prices)", cost(r));
    if let Some(t) = timing {
        out.push_str(&format!(
            "\nTiming: {} events in {} s wall ({} events/s, {}× real time, {} thread{})\n",
            count(t.events),
            real(t.wall_s),
            real(t.events as f64 / t.wall_s.max(1e-9)),
            real(r.sim_time_s / t.wall_s.max(1e-9)),
            t.threads,
            if t.threads == 1 { "" } else { "s" },
        ));
    }
    out
}

fn section(out: &mut String, title: &str, table: Table) {
    out.push('\n');
    out.push_str(title);
    out.push('\n');
    out.push_str(&table.to_string());
    out.push('\n');
}

/// Columns apart, a rule under the header, nothing else.
const STYLE: TableStyle =
    TableStyle::new().header_separator(LineStyle::none().fill('─').junction('─'));

pub(crate) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(STYLE)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().copied());
    for i in 1..header.len() {
        if let Some(column) = t.column_mut(i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    t
}

/// Two columns: what, how much.
fn pairs(rows: Vec<(String, String)>) -> Table {
    let mut t = table(&["figure", "value"]);
    for (what, value) in rows {
        t.add_row(vec![what, value]);
    }
    t
}

fn requests(r: &Report) -> Table {
    let q = &r.requests;
    let mut rows = vec![
        ("generated".to_string(), count(q.generated)),
        ("completed".to_string(), count(q.completed)),
        ("failed".to_string(), count(q.failed)),
    ];
    let reasons = serde_json::to_value(&q.failed_by_reason).unwrap_or_default();
    if let Some(reasons) = reasons.as_object() {
        for (reason, n) in reasons {
            if let Some(n) = n.as_u64().filter(|&n| n > 0) {
                rows.push((format!("  failed: {}", reason.replace('_', " ")), count(n)));
            }
        }
    }
    rows.push(("in flight at the end".into(), count(q.in_flight)));
    rows.push(("error ratio".into(), percent(error_ratio(r))));
    rows.push(("throughput (requests/s)".into(), real(r.throughput_per_s)));
    pairs(rows)
}

fn latency(r: &Report) -> Table {
    let mut t = table(&["requests", "count", "mean", "p50", "p95", "p99", "max"]);
    let row = |name: &str, l: &LatencyReport| {
        vec![
            name.to_string(),
            count(l.count),
            real(l.mean),
            real(l.p50),
            real(l.p95),
            real(l.p99),
            real(l.max),
        ]
    };
    t.add_row(row("all", &r.latency_ms));
    for k in &r.latency_by_kind {
        t.add_row(row(k.kind.name(), &k.latency_ms));
    }
    t
}

fn regions(geo: &GeoReport) -> Table {
    let mut t = table(&["region", "users", "requests", "p50 ms", "p99 ms"]);
    for region in &geo.regions {
        t.add_row(vec![
            region.name.clone(),
            count(region.users),
            count(region.requests),
            real(region.latency_ms.p50),
            real(region.latency_ms.p99),
        ]);
    }
    t
}

fn data_centers(geo: &GeoReport) -> Table {
    let mut t = table(&[
        "data center",
        "region",
        "up at the end",
        "requests",
        "failed",
        "p99 ms",
    ]);
    for dc in &geo.data_centers {
        let up = match (dc.up_at_end, dc.in_dns_at_end) {
            (true, true) => "yes",
            (true, false) => "yes, not in DNS",
            (false, true) => "no, still in DNS",
            (false, false) => "no",
        };
        t.add_row(vec![
            dc.name.clone(),
            dc.region.clone(),
            up.to_string(),
            count(dc.requests_received),
            count(dc.requests.failed),
            real(dc.latency_ms.p99),
        ]);
    }
    t
}

/// A component kind's name as the JSON report spells it.
fn kind_name(kind: ComponentKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn components(r: &Report) -> Table {
    let mut t = table(&[
        "component",
        "kind",
        "utilization",
        "mean queue",
        "max queue",
        "served/s",
        "rejected",
        "refused",
    ]);
    for c in &r.components {
        let kind = match c.role {
            Some(role) => format!("{} ({})", kind_name(c.kind), snake(&role)),
            None => kind_name(c.kind),
        };
        t.add_row(vec![
            c.name.clone(),
            kind,
            percent(c.utilization),
            real(c.mean_queue_len),
            count(u64::from(c.max_queue_len)),
            real(c.throughput_per_s),
            count(c.rejected),
            count(c.refused),
        ]);
    }
    t
}

fn bottleneck_line(r: &Report) -> String {
    match busiest_two(r) {
        (Some(first), second) => {
            let next = second.map_or(String::new(), |s| {
                format!("; next: {} at {}", s.name, percent(s.utilization))
            });
            format!(
                "\nBottleneck: {} ({}) at {} utilization, mean queue {}{}\n",
                first.name,
                kind_name(first.kind),
                percent(first.utilization),
                real(first.mean_queue_len),
                next
            )
        }
        (None, _) => String::new(),
    }
}

/// With a shard router of a further database's own, one row per router for its shards and
/// one per resharding, each named (a single router's run prints as before: no rows).
fn routers(r: &Report, rows: &mut Vec<(String, String)>) {
    let further = r.more_databases.iter().filter_map(|m| {
        let router = m.router.as_deref()?;
        Some((format!("shard router {router} ({})", m.name), &m.database))
    });
    let further: Vec<(String, &crate::sim::DatabaseReport)> = further.collect();
    if further.is_empty() {
        return;
    }
    let first = (r.database.iter()).map(|d| ("shard router shards (db)".to_string(), d));
    for (label, d) in first
        .filter(|(_, d)| d.shards.len() > 1 || !d.reshards.is_empty())
        .chain(further)
    {
        rows.push((format!("{label}: shards"), count(d.shards.len() as u64)));
        for x in &d.reshards {
            let done = match x.duration_s {
                Some(s) => format!("copied in {} s", real(s)),
                None => "copy under way".to_string(),
            };
            rows.push((
                format!(
                    "{label}: reshard {} → {} at {} s",
                    x.from_shards,
                    x.to_shards,
                    real(x.at_s)
                ),
                format!(
                    "{} of {} keys moved, {done}",
                    count(x.keys_copied),
                    count(x.keys_moved)
                ),
            ));
        }
    }
}

fn tiers(r: &Report) -> Option<Table> {
    let mut rows = Vec::new();
    if let Some(d) = &r.database {
        rows.push((
            "database: writes committed".into(),
            count(d.writes_committed),
        ));
        rows.push(("database: writes lost".into(), count(d.writes_lost)));
        rows.push(("database: stale reads".into(), count(d.stale_reads)));
        for f in &d.failovers {
            rows.push((
                format!("database: failover {} → {}", f.old_master, f.new_master),
                format!("{} s without a master", real(f.outage_s)),
            ));
        }
    }
    for m in &r.more_databases {
        let d = &m.database;
        let name = &m.name;
        rows.push((
            format!("database {name}: writes committed"),
            count(d.writes_committed),
        ));
        rows.push((
            format!("database {name}: writes lost"),
            count(d.writes_lost),
        ));
        rows.push((
            format!("database {name}: stale reads"),
            count(d.stale_reads),
        ));
        for f in &d.failovers {
            rows.push((
                format!(
                    "database {name}: failover {} → {}",
                    f.old_master, f.new_master
                ),
                format!("{} s without a master", real(f.outage_s)),
            ));
        }
    }
    routers(r, &mut rows);
    if let Some(d) = &r.data_store {
        let first = d.nosql.iter().map(|n| ("nosql".to_string(), n));
        let more = (d.more_nosql.iter()).map(|m| (format!("nosql {}", m.name), &m.nosql));
        for (label, n) in first.chain(more) {
            rows.push((format!("{label}: reads served"), count(n.reads)));
            rows.push((format!("{label}: writes served"), count(n.writes)));
            rows.push((
                format!("{label}: busiest node"),
                percent(n.busiest_node_utilization),
            ));
        }
    }
    // The web tier's circuit breaker around each database's calls, one row per database.
    let more =
        (r.more_databases.iter()).filter_map(|m| m.breaker.as_ref().map(|b| (m.name.as_str(), b)));
    for (name, b) in r.breaker.iter().map(|b| ("db", b)).chain(more) {
        let state = match b.state {
            crate::sim::BreakerState::Closed => "closed",
            crate::sim::BreakerState::Open => "open",
            crate::sim::BreakerState::HalfOpen => "half-open",
        };
        rows.push((
            format!("circuit breaker {name}"),
            format!(
                "{state}; opened {} {}; {} rejected",
                count(b.trips),
                if b.trips == 1 { "time" } else { "times" },
                count(b.refused)
            ),
        ));
    }
    if let Some(c) = &r.cache {
        rows.push(("cache: hit ratio".into(), percent(c.hit_ratio)));
        rows.push(("cache: stale reads".into(), count(c.stale_reads)));
    }
    for m in &r.more_caches {
        rows.push((
            format!("cache {}: hit ratio", m.name),
            percent(m.cache.hit_ratio),
        ));
        rows.push((
            format!("cache {}: stale reads", m.name),
            count(m.cache.stale_reads),
        ));
    }
    for p in &r.more_web_pools {
        let serves: Vec<&str> = p.serves.iter().map(|f| f.plural()).collect();
        rows.push((format!("web pool {}: serves", p.name), serves.join(", ")));
        rows.push((
            format!("web pool {}: servers", p.name),
            count(u64::from(p.servers)),
        ));
        rows.push((format!("web pool {}: served", p.name), count(p.served)));
    }
    // Registered kinds (a rate limiter, …): their own figures, each a row.
    for p in &r.plugs {
        for f in &p.figures {
            let value = if f.value.fract() == 0.0 {
                count(f.value as u64)
            } else {
                real(f.value)
            };
            let kind = p.kind.label().to_lowercase();
            let what = f.label.to_lowercase();
            rows.push((format!("{kind} {}: {what}", p.name), value));
        }
    }
    if let Some(c) = &r.cdn {
        rows.push(("CDN: hit ratio".into(), percent(c.hit_ratio)));
        rows.push(("CDN: fallbacks to origin".into(), count(c.fallbacks)));
    }
    if let Some(s) = &r.sessions {
        rows.push(("sessions: logged out".into(), count(s.logged_out)));
    }
    if let Some(q) = &r.queue {
        rows.push(("queue: jobs published".into(), count(q.published)));
        rows.push(("queue: jobs done".into(), count(q.done)));
        rows.push((
            "queue: longest backlog".into(),
            count(u64::from(q.max_depth)),
        ));
        rows.push(("queue: job p99 (ms)".into(), real(q.job_latency_ms.p99)));
        if let Some(w) = &q.writes {
            rows.push(("queue: job writes committed".into(), count(w.committed)));
            rows.push((
                "queue: job writes failed (redelivered)".into(),
                count(w.failed),
            ));
        }
    }
    if let Some(g) = &r.geo {
        rows.push(("geo: users moved".into(), count(g.users_moved)));
        rows.push((
            "geo: writes lost across DCs".into(),
            count(g.writes_lost_cross_dc),
        ));
    }
    (!rows.is_empty()).then(|| pairs(rows))
}

fn alerts(r: &Report) -> Option<String> {
    let m = r.monitoring.as_ref()?;
    let firing = if m.firing_at_end.is_empty() {
        "none".to_string()
    } else {
        m.firing_at_end.join(", ")
    };
    Some(format!(
        "\nAlerts: {} state changes; firing at the end: {}\n",
        m.alerts.len(),
        firing
    ))
}

/// The diagnosis: each incident's time span and summary, then its causal chain.
fn diagnosis(r: &Report) -> String {
    let mut out = String::from("\nDiagnosis\n");
    for i in &r.diagnosis {
        let end = i.end_s.map_or("ongoing".to_string(), |e| {
            format!("{} s", crate::format::figure(e))
        });
        out.push_str(&format!(
            "  {} s – {}: {}\n",
            crate::format::figure(i.start_s),
            end,
            i.summary
        ));
        for step in &i.chain {
            out.push_str(&format!("      · {}\n", step.text));
        }
    }
    out
}

fn cost(r: &Report) -> Table {
    let mut t = table(&["item", "quantity", "unit", "USD"]);
    for item in &r.cost.items {
        t.add_row(vec![
            item.item.clone(),
            real(item.quantity),
            item.unit.clone(),
            usd(item.usd),
        ]);
    }
    t.add_row(vec![
        "total".into(),
        String::new(),
        String::new(),
        usd(r.cost.total_usd),
    ]);
    t.add_row(vec![
        "per hour".into(),
        String::new(),
        String::new(),
        usd(r.cost.usd_per_hour),
    ]);
    t
}

/// A capacity search's result: the limit, its bracket, the bottleneck, what broke above it.
pub fn limit_tables(r: &LimitResult) -> String {
    let mut out = format!("{}\n", r.message);
    let mut rows = vec![
        ("status".to_string(), snake(&r.status)),
        (
            "objective".into(),
            format!(
                "p99 ≤ {} ms, errors ≤ {}",
                real(r.slo.p99_ms),
                percent(r.slo.error_ratio)
            ),
        ),
        ("limit (users)".into(), count(r.limit_users)),
        ("met by every seed (users)".into(), count(r.lower_users)),
        (
            "lowest missed (users)".into(),
            r.upper_users.map_or("—".into(), count),
        ),
        ("resolution (users)".into(), count(r.step_users)),
        ("seed spread (users)".into(), count(r.seed_spread_users)),
        (
            "offered load at the limit (requests/s)".into(),
            real(r.limit_rate_per_s),
        ),
        (
            "runs".into(),
            format!("{} of {} s", count(u64::from(r.runs)), r.run_s),
        ),
    ];
    if let Some(b) = &r.bottleneck {
        rows.extend(bottleneck_rows(b));
    }
    if let Some(b) = &r.breach {
        rows.extend(breach_rows(b));
    }
    section(&mut out, "Capacity", pairs(rows));
    out
}

fn bottleneck_rows(b: &Bottleneck) -> Vec<(String, String)> {
    let kind = match b.role {
        Some(role) => format!("{} ({})", kind_name(b.tier), snake(&role)),
        None => kind_name(b.tier),
    };
    let mut rows = vec![
        (
            "bottleneck".to_string(),
            format!("{} — {}", b.component, kind),
        ),
        ("  utilization".into(), percent(b.utilization)),
        (
            "  queue mean / max / capacity".into(),
            format!(
                "{} / {} / {}",
                real(b.queue_len_mean),
                count(u64::from(b.queue_len_max)),
                count(u64::from(b.queue_capacity))
            ),
        ),
    ];
    if let Some(next) = &b.runner_up {
        rows.push((
            "  runner-up".into(),
            format!("{} at {}", next.component, percent(next.utilization)),
        ));
    }
    if let Some(off) = &b.off_request_path {
        rows.push((
            "  busier, off the request path".into(),
            format!("{} at {}", off.component, percent(off.utilization)),
        ));
    }
    rows
}

fn breach_rows(b: &Breach) -> Vec<(String, String)> {
    vec![
        ("missed at (users)".to_string(), count(b.users)),
        ("  missed".into(), b.metrics.join(", ")),
        ("  p99 (ms)".into(), real(b.p99_ms)),
        ("  error ratio".into(), percent(b.error_ratio)),
        (
            "  main failure".into(),
            b.main_failure.as_deref().unwrap_or("—").replace('_', " "),
        ),
    ]
}

/// `limit --all-presets`: one row per stage (with each search's wall and CPU time after
/// `--timing`).
pub fn stages_table(rows: &[StageRow]) -> String {
    let timed = rows.iter().any(|r| r.wall_s.is_some());
    let mut header = vec![
        "stage",
        "title",
        "limit (users)",
        "requests/s",
        "bottleneck",
        "utilization",
        "breaks by",
        "runs",
    ];
    if timed {
        header.extend(["wall s", "CPU s"]);
    }
    let mut t = table(&header);
    for row in rows {
        let limit = match row.status {
            Status::Found => count(row.limit_users),
            Status::MetAtMaxUsers => format!("≥ {}", count(row.limit_users)),
            Status::NoLoadMeetsSlo => "none".into(),
            Status::Incomplete => format!("{} (incomplete)", count(row.limit_users)),
        };
        let breaks = row.breach.as_ref().map_or("—".to_string(), |b| {
            let metric = b.metrics.join("+");
            match &b.main_failure {
                Some(reason) => format!("{metric} ({})", reason.replace('_', " ")),
                None => metric,
            }
        });
        let mut cells = vec![
            format!(
                "{}{}",
                row.stage,
                if row.search.is_some() { "*" } else { "" }
            ),
            row.title.to_string(),
            limit,
            real(row.limit_rate_per_s),
            row.bottleneck
                .as_ref()
                .map_or("—".into(), |b| b.component.clone()),
            row.bottleneck
                .as_ref()
                .map_or("—".into(), |b| percent(b.utilization)),
            breaks,
            count(u64::from(row.runs)),
        ];
        if timed {
            cells.push(row.wall_s.map_or(String::new(), real));
            cells.push(row.cpu_s.map_or(String::new(), real));
        }
        t.add_row(cells);
    }
    let mut out = t.to_string();
    out.push('\n');
    for row in rows {
        if let Some(budget) = &row.search {
            out.push_str(&format!("* stage {}: {}\n", row.stage, budget.note));
        }
    }
    out
}

/// An enum's name as serde writes it (`no_load_meets_slo` → `no load meets slo`).
fn snake(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

/// A count with thousands separators.
pub fn count(n: u64) -> String {
    crate::format::grouped(n)
}

/// A measured quantity: 2 decimals below 100, 1 below 10,000, none above (with separators).
pub fn real(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let a = x.abs();
    if a < 100.0 {
        format!("{x:.2}")
    } else if a < 10_000.0 {
        format!("{x:.1}")
    } else {
        let sign = if x < 0.0 { "-" } else { "" };
        format!("{sign}{}", count(a.round() as u64))
    }
}

/// A ratio as a percentage with three significant decimals (`0.125 %`, `87.3 %`).
pub fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p != 0.0 && p.abs() < 1.0 {
        format!("{p:.3} %")
    } else {
        format!("{p:.1} %")
    }
}

fn usd(x: f64) -> String {
    if x.abs() < 100.0 {
        format!("${x:.2}")
    } else {
        format!("${}", count(x.round() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_for_people() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(real(12.345), "12.35");
        assert_eq!(real(1234.56), "1234.6");
        assert_eq!(real(123_456.7), "123,457");
        assert_eq!(percent(0.8734), "87.3 %");
        assert_eq!(percent(0.00125), "0.125 %");
        assert_eq!(percent(0.0), "0.0 %");
        assert_eq!(usd(3.456), "$3.46");
    }

    #[test]
    fn the_stage_table_has_a_row_per_stage_and_notes_budgets() {
        let row = |stage: u8, budget: bool| StageRow {
            stage,
            title: "t",
            status: Status::Found,
            limit_users: 12_345,
            lower_users: 12_000,
            upper_users: Some(13_000),
            step_users: 500,
            seed_spread_users: 0,
            limit_rate_per_s: 2469.0,
            bottleneck: None,
            breach: None,
            runs: 9,
            message: String::new(),
            search: budget.then(|| super::super::limit::StageBudget {
                slo: crate::capacity::Slo::default(),
                seeds: 1,
                run_s: 20,
                note: "within a budget".into(),
            }),
            detection: None,
            wall_s: Some(1.5),
            cpu_s: Some(1.25),
        };
        let text = stages_table(&[row(1, false), row(11, true)]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("wall s") && lines[0].contains("CPU s"),
            "{text}"
        );
        assert!(lines[2].trim_start().starts_with("1 "), "{text}");
        assert!(lines[3].trim_start().starts_with("11*"), "{text}");
        assert!(
            lines[2].contains("12,345") && lines[2].contains("1.50") && lines[2].contains("1.25"),
            "{text}"
        );
        assert_eq!(lines[4], "* stage 11: within a budget");
    }

    #[test]
    fn a_geo_run_table_has_regions_and_data_centers() {
        let mut s = crate::scenario::preset(11).unwrap();
        s.duration_s = 5;
        s.traffic.users = 200_000;
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        let geo = r.geo.as_ref().unwrap();
        for name in geo
            .regions
            .iter()
            .map(|g| &g.name)
            .chain(geo.data_centers.iter().map(|d| &d.name))
        {
            assert!(text.contains(name.as_str()), "{name}");
        }
        let dc = &geo.data_centers[0];
        let row = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{} ", dc.name)))
            .unwrap();
        assert!(row.contains(&count(dc.requests_received)), "{row}");
    }

    #[test]
    fn a_run_table_has_a_row_per_cache() {
        let mut s = crate::scenario::preset(5).unwrap();
        s.duration_s = 5;
        let mut api = s.cache.clone().unwrap();
        api.nodes = 1;
        s.more_caches = vec![crate::scenario::NamedCache {
            name: "cache-api".into(),
            fronts: vec![crate::scenario::Flow::ApiRead],
            cache: api,
        }];
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        assert!(text.contains("cache: hit ratio"), "{text}");
        let row = text
            .lines()
            .find(|l| l.contains("cache cache-api: hit ratio"))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            row.contains(&percent(r.more_caches[0].cache.hit_ratio)),
            "{row}"
        );
    }

    #[test]
    fn a_run_table_counts_the_workers_writes() {
        let mut s = crate::scenario::preset(8).unwrap();
        s.duration_s = 5;
        let plain = run_tables(&crate::sim::Sim::new(&s).unwrap().run(), None);
        assert!(!plain.contains("job writes"), "{plain}");
        s.queue.as_mut().unwrap().job_writes_to_db = true;
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        let row = (text.lines())
            .find(|l| l.contains("queue: job writes committed"))
            .unwrap_or_else(|| panic!("{text}"));
        let committed = r.queue.as_ref().unwrap().writes.as_ref().unwrap().committed;
        assert!(committed > 0 && row.contains(&count(committed)), "{row}");
        assert!(
            text.contains("queue: job writes failed (redelivered)"),
            "{text}"
        );
    }

    #[test]
    fn a_run_table_has_rows_per_further_web_pool() {
        let mut s = crate::scenario::preset(3).unwrap();
        s.duration_s = 5;
        s.more_web_pools = vec![crate::scenario::NamedWebPool {
            name: "web-api".into(),
            serves: vec![crate::scenario::Flow::ApiRead],
            server: s.server.clone(),
            autoscaling: None,
        }];
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        let row = |what: &str| {
            text.lines()
                .find(|l| l.contains(&format!("web pool web-api: {what}")))
                .unwrap_or_else(|| panic!("{text}"))
                .to_string()
        };
        assert!(row("serves").contains("API reads"), "{text}");
        assert!(row("served").contains(&count(r.more_web_pools[0].served)));
        assert!(r.more_web_pools[0].served > 0);
    }

    #[test]
    fn a_run_table_has_rows_per_database() {
        let mut s = crate::scenario::preset(4).unwrap();
        s.duration_s = 5;
        let db = s.database.clone().unwrap();
        s.more_databases = vec![crate::scenario::NamedDatabase {
            name: "db-orders".into(),
            takes: vec![crate::scenario::Flow::Write],
            database: db,
            sharding: None,
            router: None,
        }];
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        let row = text
            .lines()
            .find(|l| l.contains("database db-orders: writes committed"))
            .unwrap_or_else(|| panic!("{text}"));
        let committed = r.more_databases[0].database.writes_committed;
        assert!(committed > 0 && row.contains(&count(committed)), "{row}");
        assert!(text.contains("database: writes committed"), "{text}");
    }

    #[test]
    fn a_run_table_has_rows_per_nosql_store() {
        let mut s = crate::scenario::preset(4).unwrap();
        s.duration_s = 5;
        let store = crate::scenario::NoSqlStore {
            kind: crate::scenario::StoreKind::KeyValue,
            share: 0.5,
            nodes: 2,
            workers: 8,
            queue_capacity: 100,
            read: crate::scenario::Dist::exponential(1.0),
            write: crate::scenario::Dist::exponential(1.0),
        };
        s.nosql = Some(store.clone());
        s.more_nosql = vec![crate::scenario::NamedNoSql {
            name: "feeds".into(),
            takes: vec![crate::scenario::Flow::Write],
            nosql: store,
        }];
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        let row = |what: &str| {
            text.lines()
                .find(|l| l.contains(what))
                .unwrap_or_else(|| panic!("{what} in {text}"))
                .to_string()
        };
        let d = r.data_store.as_ref().unwrap();
        let feeds = &d.more_nosql[0].nosql;
        assert!(feeds.writes > 0 && feeds.reads == 0, "{feeds:?}");
        assert!(row("nosql feeds: writes served").contains(&count(feeds.writes)));
        let first = d.nosql.as_ref().unwrap();
        assert!(first.reads > 0 && first.writes == 0, "{first:?}");
        assert!(row("nosql: reads served").contains(&count(first.reads)));
    }

    #[test]
    fn a_run_table_has_a_row_per_database_breaker() {
        let mut s = crate::scenario::preset(4).unwrap();
        s.duration_s = 10;
        let db = s.database.clone().unwrap();
        s.more_databases = vec![crate::scenario::NamedDatabase {
            name: "db-orders".into(),
            takes: vec![crate::scenario::Flow::Write],
            database: db,
            sharding: None,
            router: None,
        }];
        s.server.breaker = Some(crate::scenario::Breaker {
            failures: 5,
            slow_call_ms: 200.0,
            open_ms: 2000.0,
            probes: 1,
        });
        // `db-orders`' master dies at 2 s for good: its breaker opens, the first's does not.
        s.faults = vec![crate::scenario::Fault::down("db-orders-0", 2.0, 0.0)];
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        let row = |name: &str| {
            text.lines()
                .find(|l| l.contains(&format!("circuit breaker {name} ")))
                .unwrap_or_else(|| panic!("{name} in {text}"))
                .to_string()
        };
        let b = r.more_databases[0].breaker.as_ref().unwrap();
        assert!(b.trips >= 1 && b.refused > 0, "{b:?}");
        let orders = row("db-orders");
        assert!(
            orders.contains(&format!("opened {} time", count(b.trips))),
            "{orders}"
        );
        assert!(
            orders.contains(&format!("{} rejected", count(b.refused))),
            "{orders}"
        );
        assert!(
            row("db").contains("closed; opened 0 times; 0 rejected"),
            "{text}"
        );
        // Without a breaker, no row.
        s.server.breaker = None;
        let plain = run_tables(&crate::sim::Sim::new(&s).unwrap().run(), None);
        assert!(!plain.contains("circuit breaker"), "{plain}");
    }

    #[test]
    fn a_run_table_has_the_diagnosis_when_something_went_wrong() {
        let mut s = crate::scenario::preset(4).unwrap();
        s.duration_s = 70;
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        let part = text
            .split("\nDiagnosis\n")
            .nth(1)
            .expect("a diagnosis section");
        assert!(part.contains("60.0 s – ongoing: "), "{part}");
        assert!(part.contains("db-0 went down at 60.0 s"), "{part}");
        s.faults.clear();
        let quiet = run_tables(&crate::sim::Sim::new(&s).unwrap().run(), None);
        assert!(!quiet.contains("Diagnosis"), "{quiet}");
    }

    #[test]
    fn a_run_table_names_every_component() {
        let mut s = crate::scenario::preset(4).unwrap();
        s.duration_s = 10;
        let r = crate::sim::Sim::new(&s).unwrap().run();
        let text = run_tables(&r, None);
        for c in &r.components {
            assert!(text.contains(&c.name), "{}", c.name);
        }
        assert!(text.contains("Bottleneck: "));
        assert!(text.contains(&r.digest));
        // Aligned: every line of a table is as wide as its header.
        let latency: Vec<&str> = text
            .split("Latency (ms)\n")
            .nth(1)
            .unwrap()
            .lines()
            .take_while(|l| !l.is_empty())
            .collect();
        let width = latency[0].chars().count();
        assert!(
            latency.iter().all(|l| l.chars().count() == width),
            "{latency:#?}"
        );
    }
}
