//! The inspector: the selected component's live figures and its faults (kill, repair).
//! Opened by clicking a node or pressing Enter on it; Escape or the close button shuts it.

use std::rc::Rc;

use yew::prelude::*;

use super::diagram::{kind_slug, lag_text};
use super::format::{grouped, percent};
use super::runner::Op;
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
    /// Kills, repairs, purges … a component.
    pub on_fault: Callback<(ComponentId, Op)>,
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
    let press = |op: Op| {
        let cb = props.on_fault.clone();
        Callback::from(move |_: MouseEvent| cb.emit((id, op)))
    };
    let geo = props.figures.geo.as_deref();
    // A data center's place in the stage-11 figures (its index among the data centers).
    let dc = (node.kind == ComponentKind::DataCenter)
        .then(|| geo?.data_centers.iter().position(|d| d.0 == node.label))
        .flatten();
    let status = match state {
        None => "up".to_string(),
        Some(s) if node.kind == ComponentKind::DataCenter => match (s.alive, s.in_pool) {
            (true, true) => "up, named by geoDNS".to_string(),
            (true, false) => {
                "up, not named by geoDNS until it passes its health checks".to_string()
            }
            (false, true) => "down, but geoDNS still names it (health checks pending)".to_string(),
            (false, false) => "down, left out of geoDNS answers".to_string(),
        },
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
            rows.push(("Load (recent mean)", "utilization", percent(s.utilization)));
            rows.push((
                "Workers busy now",
                "busy",
                format!("{} of {}", s.busy_workers, s.workers),
            ));
            if !matches!(
                node.kind,
                ComponentKind::Workers | ComponentKind::DataCenter
            ) {
                rows.push((
                    "Queue",
                    "queue",
                    format!("{} / {}", s.queue_len, s.queue_capacity),
                ));
            }
        }
        match node.kind {
            ComponentKind::Cache | ComponentKind::Cdn => {
                rows.push(("Hit ratio (run)", "hit_ratio", percent(s.hit_ratio)));
                rows.push((
                    "Items held",
                    "items",
                    format!(
                        "{} of {}",
                        grouped(u64::from(s.items)),
                        grouped(u64::from(s.capacity_items))
                    ),
                ));
            }
            ComponentKind::Queue => {
                rows.push((
                    "Jobs waiting",
                    "backlog",
                    format!(
                        "{} (at most {})",
                        grouped(u64::from(s.queue_len)),
                        grouped(u64::from(s.queue_capacity))
                    ),
                ));
            }
            _ => {}
        }
        if node.kind == ComponentKind::Cache {
            rows.push(("Stale hits", "stale_reads", grouped(s.stale_reads)));
        }

        if let (Some(i), Some(g)) = (dc, geo) {
            let last = g.last.as_ref();
            let per_s = g.requests_per_s.get(i).copied();
            let answered = last.and_then(|p| p.users_by_answer.get(i)).copied();
            rows.push((
                "Requests",
                "dc_per_s",
                format!("{} /s", grouped(per_s.unwrap_or(0.0).round() as u64)),
            ));
            rows.push((
                "Cached answers",
                "dc_users",
                format!("{} users", grouped(answered.unwrap_or(0))),
            ));
            if let Some((_, region, _, _)) = g.data_centers.get(i) {
                if let Some((name, _)) = g.regions.get(*region) {
                    rows.push(("Region", "region", name.clone()));
                }
            }
        }
        if s.role == Some(DbRole::Replica) {
            rows.push(("Replication lag", "lag", lag_text(s.lag_ms, s.lag_writes)));
        }
        if s.role.is_some() {
            rows.push(("Stale reads", "stale_reads", grouped(s.stale_reads)));
        }
    }
    // A registered kind's own figures (a rate limiter's tokens, …).
    let kind_rows = figure_rows(state);
    // At stage 11 a data center's registered components (its API gateway, …) are drawn only
    // in its stack: their figures are listed in its inspector, one block each.
    let dc_plugs: Vec<(String, Vec<FigureRow>)> = if node.kind == ComponentKind::DataCenter {
        let prefix = format!("{}/", node.label);
        (props.diagram.components().into_iter())
            .filter(|c| matches!(c.kind, ComponentKind::Plug(_)))
            .filter_map(|c| {
                let own = c.name.strip_prefix(&prefix)?.to_string();
                Some((own, figure_rows(props.figures.component(c.id))))
            })
            .collect()
    } else {
        Vec::new()
    };
    let explain = explain(node.kind);
    let stack = props
        .diagram
        .geo
        .as_ref()
        .and_then(|g| g.data_centers.iter().find(|d| d.component == id))
        .map(|d| super::geo::stack_view(&d.stack, &props.figures));
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
                { for rows.iter().map(|(label, key, value)| figure(label, key, value)) }
                { for kind_rows.iter().map(|(label, key, value)| figure(label, key, value)) }
            </dl>
            if let Some(stack) = stack {
                { stack }
            }
            { for dc_plugs.into_iter().map(|(name, rows)| html! {
                <section class="dc-plug" data-plug={name.clone()}>
                    <h3>{ name }</h3>
                    <dl class="inspector-figures">
                        { for rows.iter().map(|(label, key, value)| figure(label, key, value)) }
                    </dl>
                </section>
            }) }
            <div class="inspector-actions">
                if node.kind == ComponentKind::Queue {
                    <p class="muted">{ "The queue is durable: it is not something to kill here. Kill the workers instead." }</p>
                } else if alive {
                    <button class="btn btn-danger" data-action="kill" onclick={press(Op::Kill)}>
                        { kill_label(node.kind, &node.label) }
                    </button>
                } else {
                    <button class="btn btn-primary" data-action="repair" onclick={press(Op::Repair)}>
                        { if node.kind == ComponentKind::DataCenter {
                            format!("Bring {} back", node.label)
                        } else {
                            format!("Repair {}", node.label)
                        } }
                    </button>
                }
                if node.kind == ComponentKind::Cdn {
                    <button class="btn" data-action="purge" onclick={press(Op::PurgeAll)}
                        title="Drop every object from the edge">{ "Purge all" }</button>
                    <button class="btn" data-action="new-version" onclick={press(Op::NewVersion)}
                        title="Publish the most popular object under a new URL (image.png?v=2)">
                        { "New version of the top object" }
                    </button>
                }
            </div>
        </aside>
    }
}

/// One of a registered kind's figures as the inspector lists it: (label, key, value).
type FigureRow = (String, String, String);

/// One figure of the inspector's list: its label, and its value under `data-inspect={key}`.
fn figure(label: &str, key: &str, value: &str) -> Html {
    html! {
        <div>
            <dt>{ label }</dt>
            <dd data-inspect={key.to_string()}>{ value }</dd>
        </div>
    }
}

/// A registered kind's own figures, as the inspector lists them.
fn figure_rows(state: Option<&super::state::ComponentFigures>) -> Vec<FigureRow> {
    (state
        .map(|s| s.figures.as_slice())
        .unwrap_or_default()
        .iter())
    .map(|f| {
        let value = if f.value.fract() == 0.0 {
            grouped(f.value as u64)
        } else {
            format!("{:.1}", f.value)
        };
        (f.label.clone(), f.key.clone(), value)
    })
    .collect()
}

fn balanced(d: &Diagram) -> bool {
    d.nodes
        .iter()
        .any(|n| n.kind == ComponentKind::LoadBalancer)
}

/// The kill button's text: what killing means for this kind.
fn kill_label(kind: ComponentKind, name: &str) -> String {
    match kind {
        ComponentKind::Cache => format!("Kill {name} (flush its keys)"),
        ComponentKind::Cdn => "CDN outage".to_string(),
        ComponentKind::DataCenter => format!("Take {name} down"),
        _ => format!("Kill {name}"),
    }
}

fn explain(kind: ComponentKind) -> &'static str {
    match kind {
        ComponentKind::Plug(kind) => kind.about(),
        ComponentKind::Dns => "Turns the site's name into an address. Clients cache the answer for its TTL, so a dead DNS server hurts only as the cached answers expire.",
        ComponentKind::LoadBalancer => "The only public address. It spreads requests over the pool and checks each server's health at an interval; a server that fails enough checks leaves the pool.",
        ComponentKind::Server => "Runs the application with a fixed number of workers and a bounded queue. Past its capacity, requests wait, then get turned away.",
        ComponentKind::Database => "Stores the data. The master commits writes; replicas apply them later, in order, and serve reads. If the master dies, the most up-to-date replica is promoted.",
        ComponentKind::Cache => "Keeps recently read values in memory. The web server asks it first; on a miss the database answers and the cache keeps the value. Killing it empties it: its keys start cold.",
        ComponentKind::Cdn => "Edge servers near the users hold copies of static files. A miss is fetched from the origin through the edge; an outage makes browsers wait for their timeout, then go to the origin.",
        ComponentKind::SessionStore => "Holds every user's session, so any web server can serve anyone. If it fails, requests that need a session fail.",
        ComponentKind::Queue => "A durable list of jobs the web servers published. It grows when the workers fall behind and drains when they catch up; jobs are not lost.",
        ComponentKind::Workers => "A pool of processes taking jobs off the queue one at a time. Killed, their jobs in progress go back to the queue; the scaler adds workers as the backlog grows.",
        ComponentKind::Users => "The people using the site.",
        ComponentKind::NoSql => "A NoSQL node: single-key reads and writes only, spread over the nodes by key. Fast and easy to spread out, but it cannot join; killed, the requests for its keys fail.",
        ComponentKind::DataCenter => "A whole copy of the stack (balancer, web servers, caches, shards) in one region. GeoDNS sends each user to the nearest healthy one; taking it down fails everything in it, and its users move only as their cached DNS answers expire.",
    }
}
