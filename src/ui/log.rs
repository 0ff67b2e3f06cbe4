//! The event log panel: faults, detections, promotions, pool changes, as the core logs them,
//! and threshold events (a queue filling, failures starting and stopping, p99 against the
//! objective) — the whole run, newest on top.
//!
//! ```text
//!   entries ─▶ filter (component family, problems only) ─▶ group repeats ─▶ rows
//!   rows ─▶ only those in the scrolled window are rendered (a virtualised list)
//! ```
//!
//! The newest entry is also announced through a small ARIA live region (`role="log"`); the
//! long list itself is not a live region, so scrolling it announces nothing.

use std::rc::Rc;

use web_sys::{Element, HtmlSelectElement};
use yew::prelude::*;

use super::format::count;
use crate::sim::{AlertEvent, AlertState, LogEntry};

/// Height of one row, in CSS pixels (the list's CSS gives rows this height).
const ROW_PX: f64 = 26.0;
/// Rows the list shows at once.
const VISIBLE_ROWS: usize = 12;
/// Rows rendered beyond the visible ones on each side, so fast scrolling shows no gap.
const OVERSCAN_ROWS: usize = 6;
/// Repeats further apart than this (simulated seconds) from a group's first are not grouped.
const GROUP_SPAN_S: f64 = 30.0;

/// Properties of [`EventLog`].
#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    /// The run's entries, oldest first.
    pub entries: Rc<Vec<LogEntry>>,
}

/// One row of the log: an entry, or several alike in a row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Simulated time of the first and the last entry, in seconds.
    pub t_s: (f64, f64),
    /// What happened (for a group: the components named together).
    pub text: String,
    /// How many entries it stands for.
    pub count: usize,
    /// Whether it reports a problem (something down, failing, lost, over a limit).
    pub problem: bool,
}

/// Whether an entry reports a problem rather than a recovery or routine news. The core's log
/// has no severity field (adding one would change the report), so this reads its words.
pub fn is_problem(e: &LogEntry) -> bool {
    const WORDS: [&str; 11] = [
        "down",
        "fail",
        "lost",
        "killed",
        "reject",
        "p99 above",
        "full",
        "logged out",
        "firing",
        "timed out",
        "turned away",
    ];
    let text = e.text.to_lowercase();
    WORDS.iter().any(|w| text.contains(w)) && !text.contains("stopped failing")
}

/// A component's family: its name without a trailing `-<number>` (`web-3` → `web`,
/// `us-east/db-0` → `us-east/db`).
pub fn family(component: &str) -> &str {
    match component.rsplit_once('-') {
        Some((head, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => component,
    }
}

/// The entries that pass the filters, with repeats in a row grouped: "web-3 … web-14 (12)
/// passed health checks". Oldest first.
pub fn rows(entries: &[LogEntry], family_filter: Option<&str>, problems_only: bool) -> Vec<Row> {
    let template = |e: &LogEntry| {
        if !e.component.is_empty() && e.text.contains(&e.component) {
            e.text.replacen(&e.component, "\u{1}", 1)
        } else {
            e.text.clone()
        }
    };
    let mut out: Vec<Row> = Vec::new();
    let mut group: Vec<&LogEntry> = Vec::new();
    let mut group_template = String::new();
    let flush = |group: &mut Vec<&LogEntry>, template: &str, out: &mut Vec<Row>| {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            return;
        };
        let text = if group.len() == 1 {
            first.text.clone()
        } else {
            let names = if group.len() <= 3 {
                group
                    .iter()
                    .map(|e| e.component.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                format!("{} … {} ({})", first.component, last.component, group.len())
            };
            if template.contains('\u{1}') {
                template.replacen('\u{1}', &names, 1)
            } else {
                format!("{} ({}×)", first.text, group.len())
            }
        };
        out.push(Row {
            t_s: (first.t_s, last.t_s),
            text,
            count: group.len(),
            problem: is_problem(first),
        });
        group.clear();
    };
    for e in entries {
        if family_filter.is_some_and(|f| family(&e.component) != f) {
            continue;
        }
        if problems_only && !is_problem(e) {
            continue;
        }
        let t = template(e);
        let joins = group
            .first()
            .is_some_and(|first| t == group_template && e.t_s - first.t_s <= GROUP_SPAN_S);
        if !joins {
            flush(&mut group, &group_template, &mut out);
            group_template = t;
        }
        group.push(e);
    }
    flush(&mut group, &group_template, &mut out);
    out
}

/// The event log: filters, then a scrolled list of the whole run, newest on top, of which only
/// the rows in view are rendered.
#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    let family_filter = use_state(|| None::<String>);
    let problems_only = use_state(|| false);
    let scroll_top = use_state(|| 0.0f64);

    let mut families: Vec<&str> = props.entries.iter().map(|e| family(&e.component)).collect();
    families.sort_unstable();
    families.dedup();
    let mut shown = rows(&props.entries, family_filter.as_deref(), *problems_only);
    shown.reverse();

    let first = ((*scroll_top / ROW_PX) as usize).saturating_sub(OVERSCAN_ROWS);
    let last = (first + VISIBLE_ROWS + 2 * OVERSCAN_ROWS).min(shown.len());
    let first = first.min(last);
    let on_scroll = {
        let scroll_top = scroll_top.clone();
        Callback::from(move |e: Event| {
            let list: Element = e.target_unchecked_into();
            scroll_top.set(f64::from(list.scroll_top()));
        })
    };
    let on_family = {
        let family_filter = family_filter.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let value = select.value();
            family_filter.set((!value.is_empty()).then_some(value));
        })
    };
    let on_problems = {
        let problems_only = problems_only.clone();
        Callback::from(move |_: Event| problems_only.set(!*problems_only))
    };
    let newest = props.entries.last();
    let total = props.entries.len();
    html! {
        <section class="event-log card" aria-labelledby="event-log-title">
            <h2 id="event-log-title">{ "Event log" }</h2>
            <div class="log-filters">
                <label>
                    <span class="visually-hidden">{ "Component" }</span>
                    <select data-control="log-component" onchange={on_family}>
                        <option value="" selected={family_filter.is_none()}>{ "All components" }</option>
                        { for families.iter().map(|f| html! {
                            <option value={f.to_string()} selected={family_filter.as_deref() == Some(*f)}>
                                { format!("{f}…") }
                            </option>
                        }) }
                    </select>
                </label>
                <label>
                    <input type="checkbox" data-control="log-problems" checked={*problems_only}
                        onchange={on_problems} />
                    { " problems only" }
                </label>
                <span class="muted log-count" data-log-count={total.to_string()}>
                    { count(total as u64, "entry", "entries") }
                </span>
            </div>
            <p class="visually-hidden" role="log" aria-live="polite">
                { newest.map(|e| format!("t={:.1} s: {}", e.t_s, e.text)).unwrap_or_default() }
            </p>
            <div class="log-scroll" data-log="" data-log-rows={shown.len().to_string()}
                onscroll={on_scroll} tabindex="0" aria-label="Event log entries, newest first"
                style={format!("height:{}px", ROW_PX * VISIBLE_ROWS as f64)}>
                if shown.is_empty() {
                    <p class="muted empty">{
                        if total == 0 {
                            "Nothing has happened yet. Kill something, or add users, to see the system react."
                        } else {
                            "No entry matches these filters."
                        }
                    }</p>
                } else {
                    <ol class="log-rows" style={format!("height:{}px", ROW_PX * shown.len() as f64)}>
                        { for shown[first..last].iter().enumerate().map(|(i, row)| {
                            let index = first + i;
                            let time = if row.count > 1 && row.t_s.1 > row.t_s.0 {
                                format!("t={:.1}–{:.1} s", row.t_s.0, row.t_s.1)
                            } else {
                                format!("t={:.1} s", row.t_s.0)
                            };
                            html! {
                                <li key={index.to_string()} class={classes!("log-row", row.problem.then_some("problem"))}
                                    style={format!("top:{}px;height:{ROW_PX}px", ROW_PX * index as f64)}
                                    title={row.text.clone()}>
                                    <time>{ time }</time>
                                    <span>{ row.text.clone() }</span>
                                </li>
                            }
                        }) }
                    </ol>
                }
            </div>
        </section>
    }
}

/// Properties of [`Alerts`].
#[derive(Properties, PartialEq)]
pub struct AlertsProps {
    /// The simulation's alert history, oldest first ([`crate::sim::Sim::alerts`]).
    pub alerts: Rc<Vec<AlertEvent>>,
}

/// The alerts panel: each rule that changed state, firing ones first, with when it last
/// changed and the value that tripped or cleared it.
#[function_component(Alerts)]
pub fn alerts(props: &AlertsProps) -> Html {
    let mut latest: Vec<&AlertEvent> = Vec::new();
    for event in props.alerts.iter() {
        latest.retain(|a| a.rule != event.rule);
        latest.push(event);
    }
    // Firing first, then the most recent change first.
    latest.reverse();
    let firing = |a: &AlertEvent| a.state == AlertState::Firing;
    crate::order::sort_by_keys(&mut latest, |a| (u64::from(!firing(a)), 0));
    let firing_now = latest.iter().filter(|a| firing(a)).count();
    html! {
        <section class="alerts card" aria-labelledby="alerts-title" data-alerts={firing_now.to_string()}>
            <h2 id="alerts-title">{ "Alerts" }</h2>
            // The live region wraps the list (a list with role="status" is no longer a list).
            <div role="status" aria-live="polite">
            <ul>
                if latest.is_empty() {
                    <li class="muted empty">{ "All quiet: no rule has fired yet." }</li>
                }
                { for latest.iter().map(|a| {
                    let state = a.state.as_str();
                    html! {
                        <li key={a.rule.clone()} class={classes!("alert", state)} data-alert={state}>
                            <span class="alert-state">{ state }</span>
                            <span class="alert-rule">{ a.rule.clone() }</span>
                            <time>{ format!("t={:.1} s", a.t_s) }</time>
                            <span class="muted">{ format!("at {:.3}", a.value) }</span>
                        </li>
                    }
                }) }
            </ul>
            </div>
        </section>
    }
}
