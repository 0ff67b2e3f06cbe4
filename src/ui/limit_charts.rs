//! The capacity panel's charts: the curve of p99 latency and errors against users (log scale)
//! of one search, and the stage-by-stage bars of the presets' limits (log scale), from the
//! table measured natively (`docs/limits.json`, written by `scalesim limit --all-presets`) or
//! from searches made in this browser.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;
use yew::prelude::*;

use super::format::grouped;
use super::limits::{tier_name, Search};
use super::state::Action;
use crate::capacity::journey::{why_next, Detection, MONITORING_STAGE};
use crate::capacity::stages::REGIONAL_STAGE;
use crate::capacity::{Bottleneck, Probe, SearchOptions, Slo, Status};
use crate::scenario::{REQUESTS_PER_USER_PER_S, STAGES};

/// The presets' limits measured natively: `scalesim limit --all-presets > docs/limits.json`.
pub const EMBEDDED_TABLE: &str = include_str!("../../docs/limits.json");

/// The stage table (the fields the chart needs).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StageTable {
    /// The objective.
    pub slo: Slo,
    /// Seeds per search.
    pub seeds: u32,
    /// Simulated seconds per run (warm-up + window, half each).
    pub run_s: u32,
    /// One row per stage measured.
    pub stages: Vec<StageRow>,
}

/// One stage's limit.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StageRow {
    /// The stage.
    pub stage: u8,
    /// How the search ended.
    pub status: Status,
    /// The limit, users.
    pub limit_users: u64,
    /// Offered load at the limit, requests per second.
    #[serde(default)]
    pub limit_rate_per_s: f64,
    /// What saturates first.
    pub bottleneck: Option<Bottleneck>,
    /// How the stage was searched, when not as the table says (stage 11: its p99 per region).
    #[serde(default)]
    pub search: Option<RowSearch>,
    /// The monitoring stage: how soon its alerts notice a failure.
    #[serde(default)]
    pub detection: Option<Detection>,
}

/// A stage searched with its own objective or options.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct RowSearch {
    /// The objective.
    pub slo: Slo,
    /// Seeds.
    pub seeds: u32,
    /// Simulated seconds per run.
    pub run_s: u32,
    /// Why, for a reader.
    pub note: String,
}

impl StageTable {
    /// The table built into the app (empty if it cannot be read).
    pub fn embedded() -> StageTable {
        crate::capacity::job::from_json_via_value(EMBEDDED_TABLE).unwrap_or(StageTable {
            slo: Slo::default(),
            seeds: 3,
            run_s: 60,
            stages: Vec::new(),
        })
    }
}

/// Drawing size of the curve, in SVG units.
const CW: f64 = 560.0;
const CH: f64 = 180.0;
const PAD_L: f64 = 44.0;
const PAD_R: f64 = 44.0;
const PAD_T: f64 = 10.0;
const PAD_B: f64 = 24.0;

/// Properties of [`Curve`].
#[derive(Properties, PartialEq)]
pub struct CurveProps {
    /// The runs.
    pub probes: Vec<Probe>,
    /// The objective (its p99 is drawn as a dashed line).
    pub slo: Slo,
    /// The limit, once found (a vertical line).
    pub limit_users: Option<u64>,
}

/// p99 latency (left axis) and error ratio (right axis) of every run against users.
#[function_component(Curve)]
pub fn curve(props: &CurveProps) -> Html {
    let mut probes: Vec<&Probe> = props.probes.iter().collect();
    probes.sort_unstable_by_key(|p| (p.users, p.seed));
    let (Some(first), Some(last)) = (probes.first(), probes.last()) else {
        return html! {};
    };
    let x_lo = (first.users.max(1) as f64).log10().floor();
    let x_hi = ((last.users.max(1) as f64).log10().ceil()).max(x_lo + 1.0);
    let x = |users: u64| {
        PAD_L + ((users.max(1) as f64).log10() - x_lo) / (x_hi - x_lo) * (CW - PAD_L - PAD_R)
    };
    let p99_top = props.slo.p99_ms * 3.0;
    let err_top = probes
        .iter()
        .map(|p| p.error_ratio)
        .fold(props.slo.error_ratio * 3.0, f64::max)
        .max(0.001);
    let y = |v: f64, top: f64| CH - PAD_B - (v / top).clamp(0.0, 1.0) * (CH - PAD_T - PAD_B);
    let line = |value: &dyn Fn(&Probe) -> f64, top: f64| {
        probes
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.users), y(value(p), top)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let p99_line = line(&|p| p.p99_ms, p99_top);
    let err_line = line(&|p| p.error_ratio, err_top);
    let slo_y = y(props.slo.p99_ms, p99_top);
    let ticks = (x_lo as i32..=x_hi as i32).map(|e| {
        let users = 10u64.pow(e.max(0) as u32);
        let tx = x(users);
        html! {
            <g class="curve-tick">
                <line x1={format!("{tx:.1}")} x2={format!("{tx:.1}")} y1={PAD_T.to_string()} y2={(CH - PAD_B).to_string()} />
                <text x={format!("{tx:.1}")} y={(CH - 6.0).to_string()} text-anchor="middle">{ short(users) }</text>
            </g>
        }
    });
    let dots = probes.iter().map(|p| {
        let class = if p.pass { "curve-dot pass" } else { "curve-dot fail" };
        html! {
            <circle class={class} cx={format!("{:.1}", x(p.users))} cy={format!("{:.1}", y(p.p99_ms, p99_top))} r="3">
                <title>{ format!("{} users (seed {}): p99 {:.0} ms, errors {:.2} %{}", grouped(p.users), p.seed,
                    p.p99_ms, p.error_ratio * 100.0, if p.pass { "" } else { " — misses the objective" }) }</title>
            </circle>
        }
    });
    let label = format!(
        "p99 latency and errors of {} runs from {} to {} users",
        probes.len(),
        grouped(first.users),
        grouped(last.users)
    );
    html! {
        <figure class="limit-curve" data-curve={probes.len().to_string()}>
            <svg viewBox={format!("0 0 {CW} {CH}")} role="img" aria-label={label}>
                { for ticks }
                <line class="curve-slo" x1={PAD_L.to_string()} x2={(CW - PAD_R).to_string()}
                    y1={format!("{slo_y:.1}")} y2={format!("{slo_y:.1}")} />
                if let Some(limit) = props.limit_users.filter(|&u| u > 0) {
                    <line class="curve-limit" x1={format!("{:.1}", x(limit))} x2={format!("{:.1}", x(limit))}
                        y1={PAD_T.to_string()} y2={(CH - PAD_B).to_string()} />
                }
                <polyline class="curve-errors" points={err_line} />
                <polyline class="curve-p99" points={p99_line} />
                { for dots }
                <text class="curve-axis" x="4" y={(PAD_T + 8.0).to_string()}>{ format!("{:.0} ms", p99_top) }</text>
                <text class="curve-axis" x="4" y={format!("{:.1}", slo_y - 3.0)}>{ format!("{:.0}", props.slo.p99_ms) }</text>
                <text class="curve-axis errors" x={(CW - 4.0).to_string()} y={(PAD_T + 8.0).to_string()} text-anchor="end">
                    { format!("{:.1} %", err_top * 100.0) }</text>
            </svg>
            <figcaption class="hint">
                <span class="key p99">{ "p99 latency" }</span>{ " (left, dots: runs; hollow: missed the objective) · " }
                <span class="key errors">{ "errors" }</span>{ " (right) · dashed: the objective · users on a log scale" }
            </figcaption>
        </figure>
    }
}

/// `1000` → `1k`, `1000000` → `1M`.
fn short(n: u64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// Properties of [`StageBars`].
#[derive(Properties, PartialEq)]
pub struct StageBarsProps {
    /// Stage searches made in this browser.
    pub searches: BTreeMap<u8, Search>,
    /// The stage shown.
    pub current: u8,
    /// Where a bar's link goes.
    pub on_action: Callback<Action>,
    /// Measure a stage here, with the table's objective and options.
    pub on_measure: Callback<(u8, Rc<StageTable>)>,
}

/// Stages from this one on are too expensive to measure in a browser: stage 11's runs simulate
/// over 100,000 requests per second each (about a minute of CPU for its search natively, and
/// the browser build is slower), so its bar shows the table's row only.
const TOO_LARGE_TO_MEASURE_HERE: u8 = REGIONAL_STAGE;

/// What one bar shows.
struct Bar {
    limit_users: u64,
    /// Offered load at the limit, requests per second.
    rate_per_s: f64,
    status: Status,
    bottleneck: Option<Bottleneck>,
    /// Measured in this browser (`Some(equal to the table)`, or `None` if the table has no row).
    here: Option<Option<bool>>,
    /// How the table's row was searched, when not with the table's objective and options.
    search: Option<RowSearch>,
    /// The monitoring stage: how soon its alerts notice a failure (from the table).
    detection: Option<Detection>,
}

/// The limits of every simulated stage's preset, one bar per stage on a log scale of users.
#[function_component(StageBars)]
pub fn stage_bars(props: &StageBarsProps) -> Html {
    let table = use_memo((), |_| StageTable::embedded());
    let table: Rc<StageTable> = table.clone();
    let built: Vec<u8> = STAGES
        .iter()
        .filter(|s| s.built)
        .map(|s| s.number)
        .collect();
    let bars: Vec<(u8, Option<Bar>, Option<&Search>)> = built
        .iter()
        .map(|&stage| {
            let row = table.stages.iter().find(|r| r.stage == stage);
            let search = props.searches.get(&stage);
            let bar = match search.and_then(|s| s.result.as_ref()) {
                Some(r) => Some(Bar {
                    limit_users: r.limit_users,
                    rate_per_s: r.limit_rate_per_s,
                    status: r.status,
                    bottleneck: r.bottleneck.clone(),
                    here: Some(row.map(|row| row.limit_users == r.limit_users)),
                    search: None,
                    detection: row.and_then(|row| row.detection.clone()),
                }),
                None => row.map(|row| Bar {
                    limit_users: row.limit_users,
                    rate_per_s: row.limit_rate_per_s,
                    status: row.status,
                    bottleneck: row.bottleneck.clone(),
                    here: None,
                    search: row.search.clone(),
                    detection: row.detection.clone(),
                }),
            };
            (stage, bar, search)
        })
        .collect();
    let limits = bars
        .iter()
        .filter_map(|(_, b, _)| b.as_ref().map(|b| b.limit_users.max(1)));
    let lo = limits.clone().min().unwrap_or(100);
    let hi = limits.max().unwrap_or(1_000_000);
    let x_lo = (lo as f64).log10().floor() - 1.0;
    let x_hi = (hi as f64).log10().ceil().max(x_lo + 1.0);
    let pct = |users: u64| ((users.max(1) as f64).log10() - x_lo) / (x_hi - x_lo) * 100.0;
    let on_measure_all = {
        let on_measure = props.on_measure.clone();
        let table = table.clone();
        let built = built.clone();
        Callback::from(move |_: MouseEvent| {
            for &stage in built.iter().filter(|&&s| s < TOO_LARGE_TO_MEASURE_HERE) {
                on_measure.emit((stage, table.clone()));
            }
        })
    };
    let mut previous: Option<(u64, f64)> = None;
    let rows = bars.iter().map(|(stage, bar, search)| {
        let stage = *stage;
        let info = STAGES.iter().find(|s| s.number == stage);
        let title = info.map_or("", |s| s.title);
        let on_open = props.on_action.reform(move |_: MouseEvent| Action::SelectStage(stage));
        let on_measure = {
            let table = table.clone();
            props.on_measure.reform(move |_: MouseEvent| (stage, table.clone()))
        };
        let ratio = match (previous, bar) {
            (Some((p, _)), Some(b)) if p > 0 => Some(b.limit_users as f64 / p as f64),
            _ => None,
        };
        // When users send requests at another rate than the stage before (stage 11), the jump
        // in users is not the jump in load: say both.
        let rate_ratio = match (previous, bar) {
            (Some((_, p)), Some(b)) if p > 0.0 && b.rate_per_s > 0.0 => Some(b.rate_per_s / p),
            _ => None,
        }
        .filter(|&r| ratio.is_some_and(|u| (r / u - 1.0).abs() > 0.1));
        let jump = ratio.map(|r| format!("×{r:.1}")).unwrap_or_default();
        let rate_jump = rate_ratio.map(|r| format!("(×{r:.1} in requests/s)"));
        let flat = ratio.is_some_and(|r| r < 1.05);
        previous = bar.as_ref().map(|b| (b.limit_users, b.rate_per_s)).or(previous);
        let running = search.filter(|s| s.result.is_none() && s.error.is_none());
        html! {
            <li class={classes!("stage-bar", (stage == props.current).then_some("current"))}
                data-stage-limit={stage.to_string()}>
                <button class="stage-bar-link" onclick={on_open} title={format!("Open stage {stage}")}>
                    <span class="stage-num">{ stage }</span>
                    <span>{ title }</span>
                </button>
                <div class="bar-track">
                    if let Some(b) = bar {
                        <div class={classes!("bar", b.here.is_some().then_some("here"))}
                            style={format!("width:{:.1}%", pct(b.limit_users))}></div>
                    }
                </div>
                <div class="bar-text">
                    if let Some(b) = bar {
                        <strong data-users={b.limit_users.to_string()}>{ users_text(b) }</strong>
                        <span class={classes!("jump", flat.then_some("flat"))}
                            data-jump={ratio.map(|r| format!("{r:.2}"))}
                            title="limit of this stage / limit of the stage before">{ jump }</span>
                        if let Some(rate_jump) = rate_jump {
                            <span class="muted" data-rate-jump="">{ rate_jump }</span>
                        }
                        if let Some(bn) = &b.bottleneck {
                            <span class="muted">{ format!(" {} ({}) {:.0} %", bn.component, tier_name(bn), bn.utilization * 100.0) }</span>
                        }
                        if b.status == Status::Incomplete {
                            <span class="muted" data-lower-bound="">{ lower_bound_text() }</span>
                        }
                        if stage == MONITORING_STAGE {
                            <span class="badge" data-not-capacity="">{ "not a capacity step" }</span>
                        }
                        if let Some(d) = &b.detection {
                            <span class="muted" data-detect-s={format!("{:.0}", d.after_s)}>{
                                format!(" buys time to detect: “{}” fired {:.0} s after {} failed", d.alert, d.after_s, d.fault) }</span>
                        }
                        if let Some(why) = why_next(stage, b.bottleneck.as_ref()) {
                            <span class="why-next muted" data-why-next="">{ why }</span>
                        }
                        if let Some(own) = &b.search {
                            <details class="own-search muted" data-own-search="">
                                <summary>{ format!("searched with p99 ≤ {} ms (judged against its users' own round trip), {} seed{}, {} s runs", own.slo.p99_ms,
                                    own.seeds, if own.seeds == 1 { "" } else { "s" }, own.run_s) }</summary>
                                { own.note.clone() }
                            </details>
                        }
                        if let Some(equal) = b.here {
                            <span class="badge" data-here={equal.map(|e| e.to_string())}>{
                                match equal {
                                    Some(true) => "measured here = table",
                                    Some(false) => "measured here ≠ table",
                                    None => "measured here",
                                }
                            }</span>
                        }
                    } else if running.is_none() {
                        <span class="muted">{ "not measured yet " }</span>
                    }
                    if stage >= TOO_LARGE_TO_MEASURE_HERE {
                        <span class="muted" data-measure-here="too-expensive"
                            title="Every run of its search simulates over 100,000 requests per second: about a minute of CPU natively, and a browser is slower">{
                            "too expensive to re-measure in the page" }</span>
                    } else if running.is_none() && bar.as_ref().is_none_or(|b| b.here.is_none()) {
                        <button class="link-button" data-action="measure-stage" onclick={on_measure}
                            title="Search this stage in this browser with the table's objective and seeds">{ "measure here" }</button>
                    }
                    if let Some(s) = running {
                        <progress max={s.runs_estimate.max(s.runs).max(1).to_string()} value={s.runs.to_string()}></progress>
                    }
                </div>
            </li>
        }
    });
    let ticks = (x_lo as i32 + 1..=x_hi as i32).map(|e| {
        let users = 10u64.pow(e.max(0) as u32);
        html! { <span style={format!("left:{:.1}%", pct(users))}>{ short(users) }</span> }
    });
    html! {
        <div class="stage-limits" data-stage-chart="">
            <h3>{ "Stage by stage" }</h3>
            <p class="hint">
                { format!("Each preset's limit within p99 ≤ {} ms and errors ≤ {} % ({} seed{}, {} s runs), every stage with the same users (one request every {:.0} s each), measured natively with ",
                    table.slo.p99_ms, table.slo.error_ratio * 100.0, table.seeds, if table.seeds == 1 { "" } else { "s" }, table.run_s, 1.0 / REQUESTS_PER_USER_PER_S) }
                <code>{ "scalesim limit --all-presets" }</code>
                { ". The jump is what each step buys; the bottleneck motivates the next one. Open a stage from its name." }
            </p>
            <ol class="stage-bars">
                { for rows }
                <li class="stage-bar bar-axis-row" aria-hidden="true">
                    <span></span><div class="bar-axis">{ for ticks }</div><span class="hint">{ "users (log scale)" }</span>
                </li>
            </ol>
            <button class="btn btn-small" data-action="measure-all" onclick={on_measure_all}
                title="Search every stage but the last in this browser (long: stages 7–10 carry millions of users, and each of their searches took one to two minutes of CPU natively)">
                { format!("Measure stages 1–{} here", TOO_LARGE_TO_MEASURE_HERE - 1) }</button>
        </div>
    }
}

/// Why an incomplete search's limit is only a lower bound.
fn lower_bound_text() -> String {
    format!(
        " lower bound: the search caps each run at {} events per request it sends, and the next count needed more",
        SearchOptions::default().max_events_per_request
    )
}

fn users_text(b: &Bar) -> String {
    match b.status {
        Status::MetAtMaxUsers => format!("> {}", grouped(b.limit_users)),
        Status::Incomplete => format!("≥ {}", grouped(b.limit_users)),
        _ => grouped(b.limit_users),
    }
}
