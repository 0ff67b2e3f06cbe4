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
