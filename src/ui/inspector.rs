//! The inspector: the selected component's live figures and its faults (kill, repair).
//! Opened by clicking a node or pressing Enter on it; Escape or the close button shuts it.

use std::rc::Rc;

use yew::prelude::*;

use super::diagram::{kind_slug, lag_text};
use super::format::{grouped, percent};
use super::state::{Action, Figures};
use crate::layout::Diagram;
use crate::sim::{ComponentId, ComponentKind, DbRole};

/// Properties of [`Inspector`].
#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    /// The diagram (names and kinds of the components).
    pub diagram: Rc<Diagram>,
    /// Latest figures.
    pub figures: Rc<Figures>,
    /// The component shown.
    pub selected: ComponentId,
    /// Where actions go (closing).
    pub on_action: Callback<Action>,
    /// Kills (true) or repairs (false) a component.
    pub on_fault: Callback<(ComponentId, bool)>,
}

/// The panel beside the diagram.
#[function_component(Inspector)]
pub fn inspector(props: &InspectorProps) -> Html {
    let heading = use_node_ref();
    // Move focus to the panel when another component is chosen, so keyboard and screen-reader
    // users land on what they opened.
    {
        let heading = heading.clone();
        use_effect_with(props.selected, move |_| {
            if let Some(h) = heading.cast::<web_sys::HtmlElement>() {
                let _ = h.focus();
            }
        });
    }
    let Some(node) = props.diagram.node(props.selected) else {
        return html! {};
    };
    let state = props.figures.component(props.selected);
    let alive = state.is_none_or(|s| s.alive);
    let id = props.selected;
    let on_close = {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Select(None)))
    };
    let on_fault = {
        let cb = props.on_fault.clone();
        Callback::from(move |_: MouseEvent| cb.emit((id, alive)))
    };
    let status = match state {
        None => "up".to_string(),
        Some(s) if !s.alive => "down".to_string(),
        Some(s) if s.retired => "retired (taken out of service)".to_string(),
        Some(s) if node.kind == ComponentKind::Server && !s.in_pool && balanced(&props.diagram) => {
            "up, not in the load balancer's pool".to_string()
        }
        Some(_) if node.kind == ComponentKind::Server && balanced(&props.diagram) => {
            "up, in the pool".to_string()
        }
        Some(_) => "up".to_string(),
    };
    let mut rows: Vec<(&'static str, &'static str, String)> = vec![("Status", "status", status)];
    if let Some(s) = state {
        if let Some(role) = s.role {
            let role = match role {
                DbRole::Master => "master (takes the writes)",
                DbRole::Replica => "replica (serves reads)",
            };
            rows.push(("Role", "role", role.to_string()));
        }
        if s.workers > 0 {
            rows.push(("Load", "utilization", percent(s.utilization)));
            rows.push((
                "Workers busy",
                "busy",
                format!("{} of {}", s.busy_workers, s.workers),
            ));
            rows.push((
                "Queue",
                "queue",
                format!("{} / {}", s.queue_len, s.queue_capacity),
            ));
        }
        if s.role == Some(DbRole::Replica) {
            rows.push(("Replication lag", "lag", lag_text(s.lag_ms, s.lag_writes)));
        }
        if s.role.is_some() {
            rows.push(("Stale reads", "stale_reads", grouped(s.stale_reads)));
        }
    }
    let explain = explain(node.kind);
    html! {
        <aside class="inspector card" aria-labelledby="inspector-title"
            data-inspector={node.label.clone()} data-kind={kind_slug(node.kind)}>
            <div class="inspector-head">
                <h2 id="inspector-title" tabindex="-1" ref={heading}>
                    { node.label.clone() }
                    <span class="muted">{ " · " }{ node.kind.label() }</span>
                </h2>
                <button class="btn btn-icon" data-action="close-inspector" onclick={on_close}
                    aria-label="Close the inspector" title="Close (Esc)">{ "×" }</button>
            </div>
            <p class="inspector-explain">{ explain }</p>
            <dl class="inspector-figures">
                { for rows.into_iter().map(|(label, key, value)| html! {
                    <div>
                        <dt>{ label }</dt>
                        <dd data-inspect={key}>{ value }</dd>
                    </div>
                }) }
            </dl>
            <div class="inspector-actions">
                if alive {
                    <button class="btn btn-danger" data-action="kill" onclick={on_fault}>
                        { format!("Kill {}", node.label) }
                    </button>
                } else {
                    <button class="btn btn-primary" data-action="repair" onclick={on_fault}>
                        { format!("Repair {}", node.label) }
                    </button>
                }
            </div>
        </aside>
    }
}

fn balanced(d: &Diagram) -> bool {
    d.nodes
        .iter()
        .any(|n| n.kind == ComponentKind::LoadBalancer)
}

fn explain(kind: ComponentKind) -> &'static str {
    #[allow(unreachable_patterns)]
    match kind {
        ComponentKind::Dns => "Turns the site's name into an address. Clients cache the answer for its TTL, so a dead DNS server hurts only as the cached answers expire.",
        ComponentKind::LoadBalancer => "The only public address. It spreads requests over the pool and checks each server's health at an interval; a server that fails enough checks leaves the pool.",
        ComponentKind::Server => "Runs the application with a fixed number of workers and a bounded queue. Past its capacity, requests wait, then get turned away.",
        ComponentKind::Database => "Stores the data. The master commits writes; replicas apply them later, in order, and serve reads. If the master dies, the most up-to-date replica is promoted.",
        _ => "A part of the system.",
    }
}
