//! The event log panel: faults, detections, promotions, pool changes, as the core logs them.
//! It is an ARIA live region (`role="log"`), so screen readers announce new entries.

use std::rc::Rc;

use yew::prelude::*;

use crate::sim::LogEntry;

/// Entries shown (the newest).
const SHOWN: usize = 12;

/// Properties of [`EventLog`].
#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    /// Recent entries, oldest first.
    pub entries: Rc<Vec<LogEntry>>,
}

/// The event log. Entries are in document order oldest → newest (so a screen reader announces
/// each addition); the list is drawn newest on top.
#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    let skip = props.entries.len().saturating_sub(SHOWN);
    html! {
        <section class="event-log card" aria-labelledby="event-log-title">
            <h2 id="event-log-title">{ "Event log" }</h2>
            <ol role="log" aria-live="polite" aria-relevant="additions" data-log="">
                if props.entries.is_empty() {
                    <li class="muted empty">{ "Nothing has happened yet. Kill something to see the system react." }</li>
                }
                { for props.entries.iter().skip(skip).map(|e| html! {
                    <li key={format!("{:.6}-{}-{}", e.t_s, e.component, e.text)}>
                        <time>{ format!("t={:.1} s", e.t_s) }</time>
                        <span>{ e.text.clone() }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}

/// One alert rule's latest change, read from an `ALERT …` log line.
#[derive(Clone, Debug, PartialEq)]
struct AlertLine {
    rule: String,
    firing: bool,
    t_s: f64,
    value: String,
}

/// Parses "ALERT NAME firing at VALUE (rule: …)" or "ALERT NAME resolved at VALUE (rule: …)";
/// at stage 11 each data center's lines start with its name ("us-east: ALERT …"), and the rule
/// is shown as that data center's ("us-east: NAME").
fn parse_alert(entry: &LogEntry) -> Option<AlertLine> {
    let (scope, rest) = match entry.text.strip_prefix("ALERT ") {
        Some(rest) => (None, rest),
        None => {
            let (dc, rest) = entry.text.split_once(": ALERT ")?;
            (Some(dc), rest)
        }
    };
    let (rule, firing, after) = if let Some((rule, after)) = rest.split_once(" firing at ") {
        (rule, true, after)
    } else {
        let (rule, after) = rest.split_once(" resolved at ")?;
        (rule, false, after)
    };
    let value = after.split(' ').next().unwrap_or("").to_string();
    Some(AlertLine {
        rule: scope.map_or_else(|| rule.to_string(), |dc| format!("{dc}: {rule}")),
        firing,
        t_s: entry.t_s,
        value,
    })
}

/// Properties of [`Alerts`].
#[derive(Properties, PartialEq)]
pub struct AlertsProps {
    /// The alert lines of the log, oldest first (other lines are ignored).
    pub entries: Rc<Vec<LogEntry>>,
}

/// The alerts panel: each rule that changed state in the log, firing ones first, with
/// when it last changed and the value that tripped or cleared it.
#[function_component(Alerts)]
pub fn alerts(props: &AlertsProps) -> Html {
    let mut latest: Vec<AlertLine> = Vec::new();
    for line in props.entries.iter().filter_map(parse_alert) {
        latest.retain(|a| a.rule != line.rule);
        latest.push(line);
    }
    // Firing first, then the most recent change first.
    latest.reverse();
    latest.sort_by_key(|a| !a.firing);
    let firing = latest.iter().filter(|a| a.firing).count();
    html! {
        <section class="alerts card" aria-labelledby="alerts-title" data-alerts={firing.to_string()}>
            <h2 id="alerts-title">{ "Alerts" }</h2>
            <ul role="status" aria-live="polite">
                if latest.is_empty() {
                    <li class="muted empty">{ "All quiet: no rule has fired yet." }</li>
                }
                { for latest.iter().map(|a| {
                    let state = if a.firing { "firing" } else { "resolved" };
                    html! {
                        <li key={a.rule.clone()} class={classes!("alert", state)} data-alert={state}>
                            <span class="alert-state">{ state }</span>
                            <span class="alert-rule">{ a.rule.clone() }</span>
                            <time>{ format!("t={:.1} s", a.t_s) }</time>
                            <span class="muted">{ format!("at {}", a.value) }</span>
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}
