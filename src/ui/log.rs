//! The event log panel: faults, detections, promotions, pool changes, as the core logs them.
//! It is an ARIA live region (`role="log"`), so screen readers announce new entries.

use std::rc::Rc;

use yew::prelude::*;

use crate::sim::{AlertEvent, AlertState, LogEntry};

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
    latest.sort_by_key(|a| !firing(a));
    let firing_now = latest.iter().filter(|a| firing(a)).count();
    html! {
        <section class="alerts card" aria-labelledby="alerts-title" data-alerts={firing_now.to_string()}>
            <h2 id="alerts-title">{ "Alerts" }</h2>
            <ul role="status" aria-live="polite">
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
        </section>
    }
}
