//! The architecture diagram: SVG boxes and arrows from [`crate::layout`], with a canvas on top
//! for the moving requests (drawn by [`super::particles`], not by Yew).

use std::rc::Rc;

use yew::prelude::*;

use super::format::{grouped, percent};
use super::state::{Action, Figures};
use crate::layout::{Diagram, DiagramNode};
use crate::sim::{ComponentId, ComponentKind};

/// Properties of [`DiagramView`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// Geometry of the topology.
    pub diagram: Rc<Diagram>,
    /// Latest figures (utilization, queue, up/down).
    pub figures: Rc<Figures>,
    /// Whether the diagram flows top to bottom.
    pub portrait: bool,
    /// Components the user switched off (shown down at once, before the next figures).
    pub down: Vec<ComponentId>,
    /// Number of users, shown in the users box.
    pub users: u64,
    /// The canvas the runner draws requests on.
    pub canvas: NodeRef,
    /// Where user actions go.
    pub on_action: Callback<Action>,
}

/// The SVG diagram with the request canvas laid over it.
#[function_component(DiagramView)]
pub fn diagram_view(props: &DiagramProps) -> Html {
    let d = &props.diagram;
    let view_box = format!("0 0 {} {}", d.width, d.height);
    let aspect = format!("aspect-ratio: {} / {};", d.width, d.height);
    let edges = d.edges.iter().filter_map(|e| {
        let ((x1, y1), (x2, y2)) = d.edge_ends(e.from, e.to)?;
        Some(html! {
            <path class="edge" d={format!("M{x1:.1},{y1:.1} L{x2:.1},{y2:.1}")}
                marker-end="url(#arrow)" />
        })
    });
    let nodes = d.nodes.iter().map(|n| node_view(n, props));
    html! {
        <div class="diagram-scroll">
        <div class={classes!("diagram", props.portrait.then_some("portrait"))} style={aspect}>
            <svg viewBox={view_box} preserveAspectRatio="xMidYMid meet" role="group"
                aria-label="Architecture diagram" data-diagram="">
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
                        markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,1 L9,5 L0,9 z" fill="var(--edge)" />
                    </marker>
                </defs>
                { for edges }
                { for nodes }
            </svg>
            <canvas ref={props.canvas.clone()} aria-hidden="true"></canvas>
        </div>
        </div>
    }
}

fn node_view(n: &DiagramNode, props: &DiagramProps) -> Html {
    let state = props.figures.component(n.component);
    let alive = !props.down.contains(&n.component) && state.is_none_or(|s| s.alive);
    let clickable = n.kind != ComponentKind::Users;
    let mut class = classes!("node", format!("kind-{}", kind_slug(n.kind)));
    if clickable {
        class.push("clickable");
    }
    if !alive {
        class.push("down");
    }
    let (x0, y0) = (n.x - n.w / 2.0, n.y - n.h / 2.0);
    let id = n.component;
    let on_click = clickable.then(|| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::ToggleComponent(id)))
    });
    let on_key = clickable.then(|| {
        let cb = props.on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                cb.emit(Action::ToggleComponent(id));
            }
        })
    });
    let label = if clickable {
        format!(
            "{} {}: {}. Press to {} it.",
            n.kind.label(),
            n.label,
            if alive { "up" } else { "down" },
            if alive { "kill" } else { "repair" }
        )
    } else {
        format!("{} users", grouped(props.users))
    };
    let (title, detail) = texts(n, props, alive);
    html! {
        <g class={class} data-component={n.label.clone()} data-kind={kind_slug(n.kind)}
            data-alive={alive.to_string()}
            transform={format!("translate({x0:.1},{y0:.1})")}
            role={clickable.then_some("button")} tabindex={clickable.then_some("0")}
            aria-label={label} onclick={on_click} onkeydown={on_key}>
            <title>{ if clickable { format!("Click to {} {}", if alive { "kill" } else { "repair" }, n.label) } else { "The user population".to_string() } }</title>
            <rect class="node-box" width={n.w.to_string()} height={n.h.to_string()} rx="12" />
            { icon(n.kind) }
            <text class="node-title" x="46" y="31">{ title }</text>
            <text class="node-sub" x="46" y="49">{ detail }</text>
            { extras(n, props, alive) }
        </g>
    }
}

fn texts(n: &DiagramNode, props: &DiagramProps, alive: bool) -> (String, String) {
    #[allow(unreachable_patterns)]
    match n.kind {
        ComponentKind::Users => ("Users".into(), format!("{} people", grouped(props.users))),
        _ if !alive => (n.label.clone(), "DOWN".into()),
        ComponentKind::Dns => ("DNS".into(), "name → address".into()),
        ComponentKind::LoadBalancer => (n.label.clone(), "load balancer".into()),
        ComponentKind::Database => {
            let workers = props
                .figures
                .component(n.component)
                .map_or(0, |s| s.workers);
            (n.label.clone(), format!("database · {workers} workers"))
        }
        ComponentKind::Server => {
            let workers = props
                .figures
                .component(n.component)
                .map_or(0, |s| s.workers);
            (n.label.clone(), format!("{workers} workers"))
        }
        _ => (n.label.clone(), n.kind.label().into()),
    }
}

/// The utilization bar under a server, the hint under a dead node, the users' request rate.
fn extras(n: &DiagramNode, props: &DiagramProps, alive: bool) -> Html {
    let bar_w = n.w - 28.0 - 40.0;
    let y = n.h - 19.0;
    if !alive {
        return html! {
            <text class="node-hint" x="46" y={(n.h - 14.0).to_string()}>{ "click to repair" }</text>
        };
    }
    match n.kind {
        ComponentKind::Server | ComponentKind::Database => {
            let u = props
                .figures
                .component(n.component)
                .map_or(0.0, |s| s.utilization)
                .clamp(0.0, 1.0);
            html! {
                <g>
                    <rect class="node-bar-track" x="14" y={y.to_string()}
                        width={bar_w.to_string()} height="6" rx="3" />
                    <rect class="node-bar" x="14" y={y.to_string()}
                        width={format!("{:.1}", bar_w * u)} height="6" rx="3"
                        fill={load_colour(u)} />
                    <text class="node-pct" x={(n.w - 14.0).to_string()} y={(y + 6.0).to_string()}
                        text-anchor="end">{ percent(u) }</text>
                </g>
            }
        }
        ComponentKind::Users => html! {
            <text class="node-hint" x="46" y={(n.h - 18.0).to_string()}>
                { format!("{} req/s offered", grouped(props.figures.offered_rps.round() as u64)) }
            </text>
        },
        _ => html! {},
    }
}

/// Green below 60 %, amber below 85 %, red above.
pub fn load_colour(utilization: f64) -> &'static str {
    if utilization < 0.6 {
        "var(--ok)"
    } else if utilization < 0.85 {
        "var(--warn)"
    } else {
        "var(--bad)"
    }
}

fn kind_slug(kind: ComponentKind) -> &'static str {
    #[allow(unreachable_patterns)]
    match kind {
        ComponentKind::Users => "users",
        ComponentKind::Dns => "dns",
        ComponentKind::LoadBalancer => "load-balancer",
        ComponentKind::Server => "server",
        ComponentKind::Database => "database",
        _ => "other",
    }
}

/// A small line icon per kind, drawn at the box's top left.
fn icon(kind: ComponentKind) -> Html {
    #[allow(unreachable_patterns)]
    match kind {
        ComponentKind::Users => html! {
            <g class="node-icon" transform="translate(12,12)">
                <circle cx="8" cy="7" r="4" />
                <path d="M1,21 C1,15 15,15 15,21" />
                <circle cx="17" cy="9" r="3" />
                <path d="M15,15.5 C19,14.5 23,16 23,20" />
            </g>
        },
        ComponentKind::Dns => html! {
            <g class="node-icon" transform="translate(12,12)">
                <circle cx="11" cy="11" r="9" />
                <ellipse cx="11" cy="11" rx="4" ry="9" />
                <path d="M2,11 H20" />
            </g>
        },
        ComponentKind::Server => html! {
            <g class="node-icon" transform="translate(12,12)">
                <rect x="2" y="2" width="18" height="8" rx="2" />
                <rect x="2" y="12" width="18" height="8" rx="2" />
                <path d="M6,6 h0.01 M6,16 h0.01" />
            </g>
        },
        ComponentKind::LoadBalancer => html! {
            <g class="node-icon" transform="translate(12,12)">
                <circle cx="4" cy="11" r="2.5" />
                <path d="M6.5,11 H11 M11,11 L18,4 M11,11 H18 M11,11 L18,18" />
                <path d="M15,2.5 L18.5,4 L17,7.5 M15.5,9 L18.5,11 L15.5,13 M17,14.5 L18.5,18 L15,19.5" />
            </g>
        },
        ComponentKind::Database => html! {
            <g class="node-icon" transform="translate(12,12)">
                <ellipse cx="11" cy="4.5" rx="8" ry="3" />
                <path d="M3,4.5 V17.5 C3,21.5 19,21.5 19,17.5 V4.5" />
                <path d="M3,11 C3,15 19,15 19,11" />
            </g>
        },
        _ => html! {
            <g class="node-icon" transform="translate(12,12)">
                <rect x="2" y="2" width="18" height="18" rx="3" />
            </g>
        },
    }
}
