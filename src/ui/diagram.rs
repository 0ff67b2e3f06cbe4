//! The architecture diagram: SVG boxes and arrows from [`crate::layout`], with a canvas for the
//! moving requests (drawn by [`super::particles`], not by Yew) over the arrows and under the
//! boxes.

use std::rc::Rc;

use yew::prelude::*;

use super::format::{grouped, percent};
use super::geo::geo_view;
use super::runner::Op;
use super::state::{Action, Figures};
use crate::layout::{
    font, Diagram, DiagramCluster, DiagramNode, Orientation, MAX_SCALE, READABLE_PX,
};
use crate::sim::badge::Badge;
use crate::sim::{ComponentId, ComponentKind, DbRole, PlugKind};

/// Properties of [`DiagramView`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// Geometry of the topology.
    pub diagram: Rc<Diagram>,
    /// Latest figures (utilization, queue, up/down, pool, roles, lag).
    pub figures: Rc<Figures>,
    /// Whether the diagram flows top to bottom.
    pub portrait: bool,
    /// Number of users, shown in the users box.
    pub users: u64,
    /// The component shown in the inspector.
    pub selected: Option<ComponentId>,
    /// The canvas the runner draws requests on.
    pub canvas: NodeRef,
    /// Where user actions go.
    pub on_action: Callback<Action>,
    /// Kills or repairs a component (the data centers' own controls in the region view).
    #[prop_or_default]
    pub on_fault: Callback<(ComponentId, Op)>,
    /// The group whose panel is open (its key); a press on a group asks for a change through
    /// `on_action`.
    #[prop_or_default]
    pub open_group: Option<String>,
}

/// The SVG diagram with the request canvas laid over it.
#[function_component(DiagramView)]
pub fn diagram_view(props: &DiagramProps) -> Html {
    let d = &props.diagram;
    let view_box = format!("0 0 {} {}", d.width, d.height);
    // Landscape: never enlarged more than MAX_SCALE times (a small system would otherwise be
    // drawn with huge texts), never shrunk below readable texts (a narrow box, such as beside
    // the inspector, scrolls sideways instead).
    let aspect = match d.orientation {
        Orientation::Landscape => format!(
            "aspect-ratio: {} / {}; max-width: {:.0}px; min-width: {:.0}px;",
            d.width,
            d.height,
            d.width * MAX_SCALE,
            (d.width * READABLE_PX / font::MIN).ceil()
        ),
        Orientation::Portrait => format!("aspect-ratio: {} / {};", d.width, d.height),
    };
    let edges = d.lines.iter().map(|l| {
        let ((x1, y1), (x2, y2)) = (l.from, l.to);
        html! {
            <path class="edge" d={format!("M{x1:.1},{y1:.1} L{x2:.1},{y2:.1}")}
                marker-end="url(#arrow)" />
        }
    });
    // A frame round compact tiles: its box under the dots, its caption over them.
    let frame_origin = |g: &crate::layout::DiagramGroup| (g.x - g.w / 2.0, g.y - g.h / 2.0);
    let group_frames = d.groups.iter().map(|g| {
        let (x0, y0) = frame_origin(g);
        html! {
            <g class="group" data-group={kind_slug(g.kind)}
                transform={format!("translate({x0:.1},{y0:.1})")}>
                <rect class="group-box" width={format!("{:.1}", g.w)} height={format!("{:.1}", g.h)} rx="12" />
            </g>
        }
    });
    let group_labels = d.groups.iter().map(|g| {
        let (x0, y0) = frame_origin(g);
        html! {
            <g class="group" transform={format!("translate({x0:.1},{y0:.1})")}>
                <text class="group-label" x="10" y="16" font-size={font::SMALL.to_string()}>{ g.label.clone() }</text>
            </g>
        }
    });
    // The group whose panel is open: the one clicked, or the one holding the selection. It is
    // the app's state, so that it outlives this view (a restart draws the diagram anew).
    let open = props.open_group.clone();
    {
        let on_action = props.on_action.clone();
        let held = props
            .selected
            .and_then(|id| d.cluster_of(id))
            .map(|c| c.key.clone());
        use_effect_with(held, move |held| {
            if held.is_some() {
                on_action.emit(Action::OpenGroup(held.clone()));
            }
        });
    }
    // What the last press on a group did, for screen readers.
    let said = use_state(String::new);
    let toggle = {
        let open = open.clone();
        let said = said.clone();
        let diagram = props.diagram.clone();
        let on_action = props.on_action.clone();
        Callback::from(move |key: String| {
            let caption = diagram
                .clusters
                .iter()
                .find(|c| c.key == key)
                .map_or_else(|| key.clone(), |c| c.caption.clone());
            let next = if open.as_deref() == Some(key.as_str()) {
                said.set(format!("Closed {caption}."));
                None
            } else {
                said.set(format!(
                    "Opened {caption}: each member is a button that shows it in the inspector, where it is killed or repaired."
                ));
                Some(key)
            };
            on_action.emit(Action::OpenGroup(next));
        })
    };
    // A selected component out of sight (the diagram scrolls sideways beside the inspector)
    // is brought into the middle of the view.
    let scroller = use_node_ref();
    {
        let scroller = scroller.clone();
        let at = props
            .selected
            .and_then(|id| d.node(id))
            .map(|n| (n.x / d.width * 1000.0).round() as i32);
        use_effect_with(at, move |at| {
            let el = scroller.cast::<web_sys::Element>();
            if let (Some(el), Some(at)) = (el, *at) {
                let (content, view) = (el.scroll_width(), el.client_width());
                if content > view {
                    el.set_scroll_left((content * at / 1000 - view / 2).max(0));
                }
            }
        });
    }
    let opened = d
        .clusters
        .iter()
        .find(|c| open.as_deref() == Some(c.key.as_str()));
    let nodes = d.nodes.iter().map(|n| {
        if n.members.is_empty() {
            node_view(n, props)
        } else {
            cluster_view(
                n,
                d,
                props,
                opened.is_some_and(|c| c.node == n.component),
                &toggle,
            )
        }
    });
    // Wires under the request dots, boxes and texts over them, so that no label is hidden
    // (a crowd of dots arriving at the balancer covered its name): the wires get an SVG of
    // their own under the canvas. The region view (stage 11) stays one SVG under the dots.
    let (wires, content) = match &d.geo {
        Some(view) => (None, geo_view(d, view, props)),
        None => (
            Some(html! { <>
                { for group_frames }
                { for edges }
                { replication(d, &props.figures) }
            </> }),
            html! { <>
                { for group_labels }
                { shard_frames(d, &props.figures) }
                { for nodes }
                if let Some(c) = opened {
                    { panel_view(c, props, &toggle) }
                }
            </> },
        ),
    };
    let canvas = html! { <canvas ref={props.canvas.clone()} aria-hidden="true"></canvas> };
    let over_dots = wires.is_some();
    html! {
        <div class="diagram-scroll" ref={scroller}>
        <p class="visually-hidden" role="status" aria-live="polite" data-diagram-status="">{ (*said).clone() }</p>
        <div class={classes!("diagram", props.portrait.then_some("portrait"), d.geo.is_some().then_some("geo"))} style={aspect}>
            if let Some(wires) = wires {
                <svg class="diagram-wires" viewBox={view_box.clone()} preserveAspectRatio="xMidYMid meet"
                    aria-hidden="true" data-diagram-wires="">
                    { wires }
                </svg>
                { canvas.clone() }
            }
            <svg viewBox={view_box} preserveAspectRatio="xMidYMid meet" role="group"
                aria-label="Architecture diagram: select a component to inspect it" data-diagram="">
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
                        markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,1 L9,5 L0,9 z" fill="var(--edge)" />
                    </marker>
                    <marker id="arrow-repl" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6"
                        markerHeight="6" orient="auto-start-reverse">
                        <path d="M0,1 L9,5 L0,9 z" fill="var(--repl)" />
                    </marker>
                    <marker id="arrow-route" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5"
                        markerHeight="5" orient="auto-start-reverse">
                        <path d="M0,1 L9,5 L0,9 z" fill="var(--accent)" />
                    </marker>
                </defs>
                { content }
            </svg>
            if !over_dots {
                { canvas }
            }
        </div>
        </div>
    }
}

/// Dash period of a replication stream (`stroke-dasharray: 7 6` in the style sheet), in SVG units.
const STREAM_DASH_PERIOD: f64 = 13.0;
/// How fast a replication stream's dashes march, in SVG units per real second.
const STREAM_SPEED_PER_S: f64 = 16.0;

/// Where a replication stream's dashes are now (`stroke-dashoffset`). The dashes move at each
/// re-render — four times a second while the figures update — rather than through a CSS
/// animation, which would restyle and repaint the whole diagram on every frame. The style
/// sheet pins the offset under prefers-reduced-motion.
pub(super) fn stream_style() -> String {
    let now_s = js_sys::Date::now() / 1000.0;
    format!(
        "stroke-dashoffset:{:.1}",
        -((now_s * STREAM_SPEED_PER_S) % STREAM_DASH_PERIOD)
    )
}

/// The replication stream: an arc from each replica's master (the master of its own store:
/// `db-writes-1` replicates from `db-writes-0`, not from `db-0`) to the replica, flowing while
/// both are up.
fn replication(d: &Diagram, figures: &Figures) -> Html {
    let store = |id: ComponentId| d.node(id).map(|n| crate::layout::stem_of(&n.label));
    let masters: Vec<_> = figures
        .components
        .iter()
        .filter(|c| c.role == Some(DbRole::Master))
        .collect();
    let arcs = figures
        .components
        .iter()
        .filter(|c| c.role == Some(DbRole::Replica))
        .filter_map(|replica| {
            let stem = store(replica.id)?;
            let mut own = masters.iter().filter(|m| store(m.id) == Some(stem));
            // The store's live master, else (none alive) the first.
            let master = own.clone().find(|m| m.alive).or_else(|| own.next())?;
            let [a, b, c, e] = d.replication_arc(master.id, replica.id)?;
            let flowing = master.alive && replica.alive;
            let class = classes!("replication", (!flowing).then_some("stalled"));
            Some(html! {
                <path class={class} data-replication={replica.id.0.to_string()}
                    data-replication-from={master.id.0.to_string()}
                    style={flowing.then(stream_style)}
                    d={format!("M{:.1},{:.1} C{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}",
                        a.0, a.1, b.0, b.1, c.0, c.1, e.0, e.1)}
                    marker-end="url(#arrow-repl)" />
            })
        });
    html! { <g class="replication-stream" aria-hidden="true">{ for arcs }</g> }
}

/// How a component is doing, for its look and its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Health {
    Up,
    Down,
    /// Up, but the load balancer does not send it requests (yet, or any more).
    OutOfPool,
    /// Taken out of service by the user.
    Retired,
}

fn health(n: &DiagramNode, figures: &Figures, balanced: bool) -> Health {
    let Some(state) = figures.component(n.component) else {
        return Health::Up;
    };
    if !state.alive {
        Health::Down
    } else if state.retired {
        Health::Retired
    } else if n.kind == ComponentKind::Server && !state.in_pool && balanced {
        Health::OutOfPool
    } else {
        Health::Up
    }
}

/// Whether the web servers sit behind a load balancer (stage 3 on); before that there is no
/// pool and `in_pool` means nothing.
fn has_balancer(d: &Diagram) -> bool {
    d.nodes
        .iter()
        .any(|n| n.kind == ComponentKind::LoadBalancer)
}

/// What every node shares: its classes, click and key handlers, and its health.
pub(super) struct Interaction {
    pub class: Classes,
    pub health: Health,
    pub clickable: bool,
    pub selected: bool,
    pub on_click: Option<Callback<MouseEvent>>,
    pub on_key: Option<Callback<KeyboardEvent>>,
}

pub(super) fn interaction(n: &DiagramNode, props: &DiagramProps) -> Interaction {
    let health = health(n, &props.figures, has_balancer(&props.diagram));
    let clickable = n.kind != ComponentKind::Users;
    let selected = props.selected == Some(n.component);
    let mut class = classes!("node", format!("kind-{}", kind_slug(n.kind)));
    if n.compact {
        class.push("compact");
    }
    if clickable {
        class.push("clickable");
    }
    if selected {
        class.push("selected");
    }
    match health {
        Health::Up => {}
        Health::Down => class.push("down"),
        Health::OutOfPool => class.push("out-of-pool"),
        Health::Retired => class.push("retired"),
    }
    let id = n.component;
    let on_click = clickable.then(|| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Action::Select(Some(id))))
    });
    let on_key = clickable.then(|| {
        let cb = props.on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                cb.emit(Action::Select(Some(id)));
            }
        })
    });
    Interaction {
        class,
        health,
        clickable,
        selected,
        on_click,
        on_key,
    }
}

fn node_view(n: &DiagramNode, props: &DiagramProps) -> Html {
    if n.compact {
        return tile_view(n, props);
    }
    let Interaction {
        class,
        health,
        clickable,
        selected,
        on_click,
        on_key,
    } = interaction(n, props);
    let state = props.figures.component(n.component);
    let role = state.and_then(|s| s.role);
    let (x0, y0) = (n.x - n.w / 2.0, n.y - n.h / 2.0);
    let (title, detail) = texts(n, props, health);
    // A long name takes the pill's room: the role then leads the second line.
    let fit = crate::layout::fit_title(&title, n.w, role.is_some());
    let detail = match (role, fit.pill, health) {
        (Some(r), false, Health::Up) => with_role(r, detail, n, state),
        _ => detail,
    };
    let cut = (fit.text != title).then_some(title);
    // A shard's database nodes are tinted by their load, so a hot shard stands out.
    let heat = state
        .filter(|s| s.alive && shard_key(&n.label).is_some())
        .map(|s| s.utilization.clamp(0.0, 1.0));
    // Every database and NoSQL node carries its load (several stores: each shows its own),
    // tinted only in a shard.
    let load = heat.or_else(|| {
        state
            .filter(|s| s.alive && matches!(n.kind, ComponentKind::Database | ComponentKind::NoSql))
            .map(|s| s.utilization.clamp(0.0, 1.0))
    });
    let hit_ratio = state
        .filter(|_| matches!(n.kind, ComponentKind::Cache | ComponentKind::Cdn))
        .map(|s| format!("{:.3}", s.hit_ratio));
    // Its accessible name is its visible text: no aria-label that could say something else.
    html! {
        <g key={n.component.0} class={class} data-component={n.label.clone()} data-kind={kind_slug(n.kind)}
            data-alive={(health != Health::Down).to_string()}
            data-in-pool={(health != Health::OutOfPool && health != Health::Retired).to_string()}
            data-role={role.map(role_slug)} data-hit-ratio={hit_ratio}
            data-utilization={load.map(|u| format!("{u:.3}"))}
            data-deploy={state.and_then(|s| s.deploy).map(|d| d.label())}
            data-badges={badge_slugs(state)}
            transform={format!("translate({x0:.1},{y0:.1})")}
            role={clickable.then_some("button")} tabindex={clickable.then_some("0")}
            aria-pressed={clickable.then(|| selected.to_string())}
            onclick={on_click} onkeydown={on_key}>
            <rect class="node-box" width={n.w.to_string()} height={n.h.to_string()} rx="12" />
            if let Some(u) = heat {
                <rect class="node-heat" width={n.w.to_string()} height={n.h.to_string()} rx="12"
                    fill={load_colour(u)} stroke={load_colour(u)} />
            }
            { icon(n.kind) }
            if let Some(full) = cut {
                <title>{ full }</title>
            }
            <text class="node-title" x={crate::layout::TITLE_X.to_string()} y="29"
                font-size={((fit.size * 100.0).round() / 100.0).to_string()}>{ fit.text }</text>
            <text class="node-sub" x="14" y="51" font-size={font::BODY.to_string()}>{ detail }</text>
            if let Some(role) = role.filter(|_| fit.pill) {
                <g class={classes!("role-pill", role_slug(role))}
                    transform={format!("translate({:.1},6)", n.w - 64.0)}>
                    <rect width="58" height="18" rx="9" />
                    <text x="29" y="13" text-anchor="middle" font-size={font::SMALL.to_string()}>{ role_slug(role) }</text>
                </g>
            }
            { extras(n, props, health) }
            if health == Health::Down {
                <path class="node-cross"
                    d={format!("M10,10 L{:.0},{:.0} M{:.0},10 L10,{:.0}", n.w - 10.0, n.h - 10.0, n.w - 10.0, n.h - 10.0)} />
            }
        </g>
    }
}

pub use crate::layout::shard_key;

/// A shard: the database it is a shard of (empty: the first) and its number.
type ShardKey<'a> = (&'a str, u32);

/// A dashed frame around each shard's database nodes, captioned with the shard and the load
/// of its busiest node.
fn shard_frames(d: &Diagram, figures: &Figures) -> Html {
    const PAD: f64 = 10.0;
    // ((database, shard), min x, min y, max x, max y, busiest load): the first database's
    // shards unnamed, a further one's (behind its own router) named with it.
    let mut shards: Vec<(ShardKey, f64, f64, f64, f64, f64)> = Vec::new();
    for n in &d.nodes {
        let Some(shard) = shard_key(&n.label) else {
            continue;
        };
        let u = figures
            .component(n.component)
            .filter(|s| s.alive)
            .map_or(0.0, |s| s.utilization);
        let (x0, y0, x1, y1) = (
            n.x - n.w / 2.0,
            n.y - n.h / 2.0,
            n.x + n.w / 2.0,
            n.y + n.h / 2.0,
        );
        match shards.iter_mut().find(|s| s.0 == shard) {
            Some(s) => {
                s.1 = s.1.min(x0);
                s.2 = s.2.min(y0);
                s.3 = s.3.max(x1);
                s.4 = s.4.max(y1);
                s.5 = s.5.max(u);
            }
            None => shards.push((shard, x0, y0, x1, y1, u)),
        }
    }
    let portrait = d.orientation == Orientation::Portrait;
    let frames = shards.iter().map(|&((store, shard), x0, y0, x1, y1, u)| {
        let (x, y) = (x0 - PAD, y0 - PAD);
        let name = match store {
            "" => format!("shard {shard}"),
            store => format!("{store} shard {shard}"),
        };
        let store = (!store.is_empty()).then(|| store.to_string());
        html! {
            <g key={name.clone()} class="shard-frame" data-shard={shard.to_string()} data-store={store}
                transform={format!("translate({x:.1},{y:.1})")}>
                <rect class="shard-box" width={format!("{:.1}", x1 - x0 + 2.0 * PAD)}
                    height={format!("{:.1}", y1 - y0 + 2.0 * PAD)} rx="14"
                    stroke={load_colour(u)} />
                if portrait {
                    // Shards side by side: the caption goes above the frame.
                    <text class="group-label shard-label" x="6" y="-5" font-size={font::SMALL.to_string()}>
                        { format!("{name} · {}", percent(u)) }
                    </text>
                } else {
                    <text class="group-label shard-label" x="-6" y="16" text-anchor="end" font-size={font::SMALL.to_string()}>
                        { name.clone() }
                    </text>
                    <text class="shard-load" x="-6" y="32" text-anchor="end" font-size={font::SMALL.to_string()}>{ percent(u) }</text>
                }
            </g>
        }
    });
    html! { <g class="shards">{ for frames }</g> }
}

/// A compact tile of a large web tier: its name and a load bar (a cross when down).
fn tile_view(n: &DiagramNode, props: &DiagramProps) -> Html {
    let Interaction {
        class,
        health,
        selected,
        on_click,
        on_key,
        ..
    } = interaction(n, props);
    let u = props
        .figures
        .component(n.component)
        .map_or(0.0, |s| s.utilization)
        .clamp(0.0, 1.0);
    let (x0, y0) = (n.x - n.w / 2.0, n.y - n.h / 2.0);
    let (title, detail) = texts(n, props, health);
    let status = match health {
        Health::Up => percent(u),
        _ => detail.clone(),
    };
    let bar_w = n.w - 16.0;
    let state = props.figures.component(n.component);
    let role = state.and_then(|s| s.role);
    let status = match (health, role) {
        (Health::Up, Some(role)) => format!("{} · {status}", role_slug(role)),
        _ => status,
    };
    // A slow, erroring or saturated tile says so instead of its load.
    let badge = state
        .and_then(|s| s.badges.first())
        .filter(|b| **b != Badge::Down);
    let status = badge.map_or(status, |b| b.text());
    html! {
        <g key={n.component.0} class={class} data-component={n.label.clone()} data-kind={kind_slug(n.kind)}
            data-alive={(health != Health::Down).to_string()}
            data-in-pool={(health != Health::OutOfPool && health != Health::Retired).to_string()}
            data-role={role.map(role_slug)}
            data-utilization={state.filter(|s| s.alive).map(|s| format!("{:.3}", s.utilization.clamp(0.0, 1.0)))}
            data-badges={badge_slugs(state)}
            transform={format!("translate({x0:.1},{y0:.1})")}
            role="button" tabindex="0"
            aria-pressed={selected.to_string()} onclick={on_click} onkeydown={on_key}>
            <rect class="node-box" width={n.w.to_string()} height={n.h.to_string()} rx="8" />
            <text class="tile-title" x="8" y="16" font-size={font::BODY.to_string()}>{ title }</text>
            <text class={classes!("tile-pct", badge.map(|b| format!("badge-text badge-{}", b.slug())))}
                x={(n.w - 8.0).to_string()} y="16" text-anchor="end"
                font-size={font::SMALL.to_string()}>{ status }</text>
            if health == Health::Down {
                <path class="node-cross" d={format!("M6,6 L{:.0},{:.0} M{:.0},6 L6,{:.0}", n.w - 6.0, n.h - 6.0, n.w - 6.0, n.h - 6.0)} />
            } else {
                <rect class="node-bar-track" x="8" y="26" width={bar_w.to_string()} height="5" rx="2.5" />
                <rect class="node-bar" x="8" y="26" width={format!("{:.1}", bar_w * u)} height="5" rx="2.5"
                    fill={load_colour(u)} />
            }
        </g>
    }
}

/// A group drawn as one box (a large web tier, a shard): how many members are up, their
/// load (the busiest one's for a shard, so a hot shard stands out), and a press opens the
/// panel that lists them.
fn cluster_view(
    n: &DiagramNode,
    d: &Diagram,
    props: &DiagramProps,
    open: bool,
    toggle: &Callback<String>,
) -> Html {
    let Some(cluster) = d.clusters.iter().find(|c| c.node == n.component) else {
        return html! {};
    };
    let states: Vec<_> = n
        .members
        .iter()
        .filter_map(|&id| props.figures.component(id))
        .filter(|s| !s.retired)
        .collect();
    let count = states.len().max(1);
    let down = states.iter().filter(|s| !s.alive).count();
    let up: Vec<f64> = states
        .iter()
        .filter(|s| s.alive)
        .map(|s| s.utilization.clamp(0.0, 1.0))
        .collect();
    // A shard's box (not a further database's shards drawn as one box: `layout::layout`),
    // and the further database its nodes belong to.
    let first = shard_key(&cluster.tiles[0].label);
    let shard = first.filter(|k| (cluster.tiles.iter()).all(|t| shard_key(&t.label) == Some(*k)));
    let store = (first.map(|(store, _)| store.to_string())).filter(|s| !s.is_empty());
    let load = if shard.is_some() {
        up.iter().copied().fold(0.0, f64::max)
    } else {
        up.iter().sum::<f64>() / up.len().max(1) as f64
    };
    let what = match n.kind {
        ComponentKind::Server => "servers",
        _ => "nodes",
    };
    // How many members are slow, erroring or saturated (down ones are counted above).
    let troubled = |slug: &str| {
        states
            .iter()
            .filter(|s| s.badges.iter().any(|b| b.slug() == slug))
            .count()
    };
    let mut detail = format!("{count} {what}");
    for (n, word) in [
        (down, "down"),
        (troubled("slow"), "slow"),
        (troubled("errors"), "erroring"),
        (troubled("saturated"), "saturated"),
    ] {
        if n > 0 {
            detail.push_str(&format!(" · {n} {word}"));
        }
    }
    let key = cluster.key.clone();
    let on_click = toggle.reform(move |_: MouseEvent| key.clone());
    let key = cluster.key.clone();
    let toggle = toggle.clone();
    let on_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            e.stop_propagation();
            toggle.emit(key.clone());
        }
    });
    let (x0, y0) = (n.x - n.w / 2.0, n.y - n.h / 2.0);
    let bar_w = n.w - 28.0 - 40.0;
    let y = n.h - 16.0;
    let colour = load_colour(load);
    let class = classes!(
        "node",
        "cluster",
        "clickable",
        format!("kind-{}", kind_slug(n.kind)),
        open.then_some("open"),
        (down > 0 && down == states.len()).then_some("down")
    );
    html! {
        <g key={n.component.0} class={class} data-group-key={cluster.key.clone()}
            data-group={(n.kind == ComponentKind::Server).then_some("server")}
            data-shard={shard.map(|(_, s)| s.to_string())}
            data-store={store}
            data-utilization={format!("{load:.3}")}
            transform={format!("translate({x0:.1},{y0:.1})")}
            role="button" tabindex="0" aria-expanded={open.to_string()}
            onclick={on_click} onkeydown={on_key}>
            <rect class="node-box cluster-back" x="4" y="4" width={n.w.to_string()} height={n.h.to_string()} rx="12" />
            <rect class="node-box" width={n.w.to_string()} height={n.h.to_string()} rx="12" />
            if shard.is_some() {
                <rect class="node-heat" width={n.w.to_string()} height={n.h.to_string()} rx="12"
                    fill={colour} stroke={colour} />
            }
            { icon(n.kind) }
            <text class="node-title" x="42" y="29" font-size={font::TITLE.to_string()}>{ n.label.clone() }</text>
            <text class="node-sub" x="14" y="51" font-size={font::BODY.to_string()}>{ detail }</text>
            <rect class="node-bar-track" x="14" y={y.to_string()} width={bar_w.to_string()} height="6" rx="3" />
            <rect class="node-bar" x="14" y={y.to_string()} width={format!("{:.1}", bar_w * load)}
                height="6" rx="3" fill={colour} />
            <text class="node-pct" x={(n.w - 14.0).to_string()} y={(y + 6.0).to_string()}
                text-anchor="end" font-size={font::BODY.to_string()}>{ percent(load) }</text>
        </g>
    }
}

/// The open panel of a group: a caption, a close button, and a tile per member (each one
/// selects its component, as its own node would).
fn panel_view(c: &DiagramCluster, props: &DiagramProps, toggle: &Callback<String>) -> Html {
    let (x0, y0) = (c.x - c.w / 2.0, c.y - c.h / 2.0);
    let key = c.key.clone();
    let close = toggle.reform(move |_: MouseEvent| key.clone());
    let key = c.key.clone();
    let toggle = toggle.clone();
    let close_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " || e.key() == "Escape" {
            e.prevent_default();
            e.stop_propagation();
            toggle.emit(key.clone());
        }
    });
    html! {
        <g class="cluster-panel" data-panel={c.key.clone()}>
            <rect class="cluster-panel-box" x={format!("{x0:.1}")} y={format!("{y0:.1}")}
                width={format!("{:.1}", c.w)} height={format!("{:.1}", c.h)} rx="12" />
            <text class="group-label" x={format!("{:.1}", x0 + 12.0)} y={format!("{:.1}", y0 + 24.0)}
                font-size={font::BODY.to_string()}>{ c.caption.clone() }</text>
            <g class="cluster-close" data-action="close-group" role="button" tabindex="0"
                aria-label={format!("Close {}", c.caption)}
                transform={format!("translate({:.1},{:.1})", x0 + c.w - 70.0, y0 + 8.0)}
                onclick={close} onkeydown={close_key}>
                <rect width="60" height="24" rx="8" />
                <text x="30" y="16.5" text-anchor="middle" font-size={font::BODY.to_string()}>{ "Close" }</text>
            </g>
            { for c.tiles.iter().map(|t| tile_view(t, props)) }
        </g>
    }
}

/// The slugs of a component's badges, space-separated (`None` when it has none).
fn badge_slugs(state: Option<&super::state::ComponentFigures>) -> Option<String> {
    let badges = &state?.badges;
    (!badges.is_empty()).then(|| badges.iter().map(Badge::slug).collect::<Vec<_>>().join(" "))
}

/// Width of a badge pill for `text`, in SVG units (icon, gap, bold text at the small size).
fn pill_w(text: &str) -> f64 {
    26.0 + text.chars().count() as f64 * font::SMALL * 0.62
}

/// The worst trouble of a live node other than being down, if any.
fn live_badge(state: Option<&super::state::ComponentFigures>) -> Option<Badge> {
    state?.badges.iter().copied().find(|b| *b != Badge::Down)
}

/// The pill of a slow, erroring or saturated node, in its bottom row where the load bar is
/// otherwise drawn: an icon and a word, so the trouble reads without colour; its load figure
/// stays beside it when there is room. (A dead node has its cross and its "DOWN" instead.)
fn badge_row(b: Badge, load: String, n: &DiagramNode) -> Html {
    let text = b.text();
    let w = pill_w(&text);
    let (x, y) = (10.0, n.h - 24.0);
    let load_fits = x + w + 8.0 + load.chars().count() as f64 * font::BODY * 0.6 <= n.w - 14.0;
    html! {
        <g class="badges">
            <g class={classes!("badge", format!("badge-{}", b.slug()))} data-badge={b.slug()}
                transform={format!("translate({x:.1},{y:.1})")}>
                <rect width={format!("{w:.1}")} height="19" rx="9.5" />
                { badge_icon(b) }
                <text x="21" y="13.5" font-size={font::SMALL.to_string()}>{ text }</text>
            </g>
            if load_fits {
                <text class="node-pct" x={(n.w - 14.0).to_string()} y={(n.h - 10.0).to_string()}
                    text-anchor="end" font-size={font::BODY.to_string()}>{ load }</text>
            }
        </g>
    }
}

/// A 12-unit icon at a pill's left: an hourglass (slow), a warning triangle (errors), a full
/// gauge (saturated), a cross (down).
fn badge_icon(b: Badge) -> Html {
    let d = match b {
        Badge::Slow(_) => "M4,4 H14 M4,16 H14 M5,4 C5,9 13,11 13,16 M13,4 C13,9 5,11 5,16",
        Badge::Errors(_) => "M9,3 L16,16 H2 z M9,8 V11.5 M9,13.5 V14",
        Badge::Saturated => "M3,15 A6.5,6.5 0 1 1 15,15 M9,12 L13.5,7.5",
        Badge::Down => "M4,4 L14,14 M14,4 L4,14",
    };
    html! { <path class="badge-icon" transform="translate(1,1)" d={d} /> }
}

/// A database node's second line led by its role, when its name left no room for the pill:
/// `master · 4 workers`, `replica · 120 ms behind` (the longest lag form that fits).
fn with_role(
    role: DbRole,
    detail: String,
    n: &DiagramNode,
    state: Option<&super::state::ComponentFigures>,
) -> String {
    match (role, state) {
        (DbRole::Replica, Some(s)) => {
            let forms = crate::layout::replica_lag_forms(s.lag_ms, s.lag_writes)
                .map(|f| format!("replica · {f}"));
            crate::layout::fit_second_line(n, &forms)
        }
        _ => format!("{} · {detail}", role_slug(role)),
    }
}

fn role_slug(role: DbRole) -> &'static str {
    match role {
        DbRole::Master => "master",
        DbRole::Replica => "replica",
    }
}

fn texts(n: &DiagramNode, props: &DiagramProps, health: Health) -> (String, String) {
    let state = props.figures.component(n.component);
    let workers = state.map_or(0, |s| s.workers);
    // Before the engine's first figures (the page draws the diagram while it loads).
    let sized = || match state {
        Some(s) => format!("{} workers", s.workers),
        None => "starting…".into(),
    };
    match n.kind {
        ComponentKind::Users => ("Users".into(), format!("{} people", grouped(props.users))),
        _ if state.and_then(|s| s.deploy).is_some() => (
            n.label.clone(),
            state
                .and_then(|s| s.deploy)
                .map_or("", |d| d.label())
                .into(),
        ),
        _ if health == Health::Down => (n.label.clone(), "DOWN".into()),
        _ if health == Health::Retired => (n.label.clone(), "retired".into()),
        _ if health == Health::OutOfPool => (n.label.clone(), "not in the pool".into()),
        ComponentKind::Dns => ("DNS".into(), "name → address".into()),
        ComponentKind::LoadBalancer => (n.label.clone(), "load balancer".into()),
        ComponentKind::Database => match state {
            Some(s) if s.role == Some(DbRole::Replica) => {
                let forms = crate::layout::replica_lag_forms(s.lag_ms, s.lag_writes);
                (n.label.clone(), crate::layout::fit_second_line(n, &forms))
            }
            _ => (n.label.clone(), sized()),
        },
        ComponentKind::Server => (n.label.clone(), sized()),
        ComponentKind::NoSql => (n.label.clone(), "key-spread store".into()),
        ComponentKind::Cache => (
            n.label.clone(),
            format!("hits {}", percent(state.map_or(0.0, |s| s.hit_ratio))),
        ),
        ComponentKind::Cdn => (
            "CDN edge".into(),
            format!("edge hits {}", percent(state.map_or(0.0, |s| s.hit_ratio))),
        ),
        ComponentKind::SessionStore => (n.label.clone(), "shared session store".into()),
        ComponentKind::Queue => {
            let depth = state.map_or(0, |s| s.queue_len);
            (
                "queue".into(),
                format!(
                    "{} job{} waiting",
                    grouped(u64::from(depth)),
                    if depth == 1 { "" } else { "s" }
                ),
            )
        }
        ComponentKind::Workers => (
            n.label.clone(),
            format!("{} of {workers} busy", state.map_or(0, |s| s.busy_workers)),
        ),
        ComponentKind::DataCenter => (n.label.clone(), n.kind.label().into()),
        ComponentKind::Plug(PlugKind::RateLimiter) => {
            let limited = state
                .and_then(|s| s.figures.iter().find(|f| f.key == "rate_limited"))
                .map_or(0, |f| f.value as u64);
            (n.label.clone(), format!("{} limited", grouped(limited)))
        }
        ComponentKind::Plug(PlugKind::ApiGateway) => {
            let shed = state
                .and_then(|s| s.figures.iter().find(|f| f.key == "shed"))
                .map_or(0, |f| f.value as u64);
            (n.label.clone(), format!("{} shed", grouped(shed)))
        }
    }
}

/// `"120 ms / 14 writes behind"`.
pub fn lag_text(lag_ms: f64, lag_writes: u64) -> String {
    let [whole, ..] = crate::layout::replica_lag_forms(lag_ms, lag_writes);
    whole
}

/// The utilization bar under a server, the hint under a dead node, the users' request rate.
fn extras(n: &DiagramNode, props: &DiagramProps, health: Health) -> Html {
    let bar_w = n.w - 28.0 - 40.0;
    let y = n.h - 16.0;
    if health == Health::Down {
        return html! {
            <text class="node-hint" x="14" y={(n.h - 9.0).to_string()} font-size={font::SMALL.to_string()}>{ "select to repair" }</text>
        };
    }
    let state = props.figures.component(n.component);
    if let Some(b) = live_badge(state) {
        let u = state.map_or(0.0, |s| s.utilization).clamp(0.0, 1.0);
        return badge_row(b, percent(u), n);
    }
    let bar = |fill: f64, colour: &'static str, text: String| {
        let fill = if fill.is_finite() {
            fill.clamp(0.0, 1.0)
        } else {
            0.0
        };
        html! {
            <g>
                <rect class="node-bar-track" x="14" y={y.to_string()}
                    width={bar_w.to_string()} height="6" rx="3" />
                <rect class="node-bar" x="14" y={y.to_string()}
                    width={format!("{:.1}", bar_w * fill)} height="6" rx="3" fill={colour} />
                <text class="node-pct" x={(n.w - 14.0).to_string()} y={(y + 6.0).to_string()}
                    text-anchor="end" font-size={font::BODY.to_string()}>{ text }</text>
            </g>
        }
    };
    match n.kind {
        ComponentKind::Server
        | ComponentKind::Database
        | ComponentKind::NoSql
        | ComponentKind::SessionStore
        | ComponentKind::Workers => {
            let u = state.map_or(0.0, |s| s.utilization).clamp(0.0, 1.0);
            bar(u, load_colour(u), percent(u))
        }
        ComponentKind::Cache | ComponentKind::Cdn => {
            // How full it is: items held of the items it can hold.
            let (items, capacity) = state.map_or((0, 0), |s| (s.items, s.capacity_items));
            let fill = f64::from(items) / f64::from(capacity.max(1));
            bar(fill, "var(--cache)", percent(fill))
        }
        ComponentKind::Queue => {
            // The backlog on a log scale, so both 10 and 100,000 waiting jobs show.
            let depth = state.map_or(0, |s| s.queue_len);
            let fill = backlog_fill(depth);
            html! {
                <g class="backlog" data-backlog={depth.to_string()}>
                    { bar(fill, load_colour(fill), compact_count(depth)) }
                </g>
            }
        }
        ComponentKind::Users => html! {
            <text class="node-hint" x="14" y={(n.h - 14.0).to_string()} font-size={font::SMALL.to_string()}>
                { format!("{} req/s offered", grouped(props.figures.offered_per_s.round() as u64)) }
            </text>
        },
        _ => html! {},
    }
}

/// How full the backlog bar of a queue with `depth` waiting jobs is: 0 when empty, half at
/// 1,000 jobs, full at 1,000,000 (a log scale).
pub fn backlog_fill(depth: u32) -> f64 {
    (f64::from(depth) + 1.0).log10() / 6.0
}

/// `12` → `"12"`, `12345` → `"12k"`, `1234567` → `"1.2M"`.
fn compact_count(n: u32) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", f64::from(n) / 1e6),
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

pub fn kind_slug(kind: ComponentKind) -> &'static str {
    match kind {
        ComponentKind::Users => "users",
        ComponentKind::Dns => "dns",
        ComponentKind::LoadBalancer => "load-balancer",
        ComponentKind::Server => "server",
        ComponentKind::Database => "database",
        ComponentKind::Cache => "cache",
        ComponentKind::Cdn => "cdn",
        ComponentKind::SessionStore => "session-store",
        ComponentKind::Queue => "queue",
        ComponentKind::Workers => "workers",
        ComponentKind::NoSql => "nosql",
        ComponentKind::DataCenter => "data-center",
        ComponentKind::Plug(PlugKind::RateLimiter) => "rate-limiter",
        ComponentKind::Plug(PlugKind::ApiGateway) => "api-gateway",
    }
}

/// A small line icon per kind, drawn at the box's top left.
fn icon(kind: ComponentKind) -> Html {
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
        ComponentKind::NoSql => html! {
            <g class="node-icon" transform="translate(12,12)">
                <rect x="2" y="3" width="7" height="7" rx="1.5" />
                <rect x="13" y="3" width="7" height="7" rx="1.5" />
                <rect x="2" y="13" width="7" height="7" rx="1.5" />
                <rect x="13" y="13" width="7" height="7" rx="1.5" />
            </g>
        },
        ComponentKind::Database => html! {
            <g class="node-icon" transform="translate(12,12)">
                <ellipse cx="11" cy="4.5" rx="8" ry="3" />
                <path d="M3,4.5 V17.5 C3,21.5 19,21.5 19,17.5 V4.5" />
                <path d="M3,11 C3,15 19,15 19,11" />
            </g>
        },
        ComponentKind::Cache => html! {
            <g class="node-icon" transform="translate(12,12)">
                <path d="M12,1 L4,12 H11 L9,21 L18,9 H11 z" />
            </g>
        },
        ComponentKind::Cdn => html! {
            <g class="node-icon" transform="translate(12,12)">
                <path d="M6,17 A5,5 0 0 1 6.5,7 A6,6 0 0 1 17.5,8.5 A4.3,4.3 0 0 1 17,17 z" />
                <path d="M11,10 V15 M8.5,12.5 L11,15 L13.5,12.5" />
            </g>
        },
        ComponentKind::SessionStore => html! {
            <g class="node-icon" transform="translate(12,12)">
                <circle cx="7" cy="11" r="4" />
                <path d="M11,11 H20 M17,11 V15 M20,11 V14" />
            </g>
        },
        ComponentKind::Queue => html! {
            <g class="node-icon" transform="translate(12,12)">
                <rect x="1" y="6" width="20" height="10" rx="2" />
                <path d="M6,6 V16 M11,6 V16 M16,6 V16" />
            </g>
        },
        ComponentKind::Workers => html! {
            <g class="node-icon" transform="translate(12,12)">
                <circle cx="11" cy="11" r="3.5" />
                <path d="M11,1.5 V5 M11,17 V20.5 M1.5,11 H5 M17,11 H20.5 M4.3,4.3 L6.8,6.8 M15.2,15.2 L17.7,17.7 M4.3,17.7 L6.8,15.2 M15.2,6.8 L17.7,4.3" />
            </g>
        },
        ComponentKind::DataCenter => html! {
            <g class="node-icon" transform="translate(12,12)">
                <rect x="2" y="2" width="18" height="18" rx="3" />
            </g>
        },
        // A funnel: many in, a few out.
        ComponentKind::Plug(PlugKind::RateLimiter) => html! {
            <g class="node-icon" transform="translate(12,12)">
                <path d="M2,3 H20 L13,11 V19 L9,21 V11 z" />
            </g>
        },
        // A gate: an arch with its door.
        ComponentKind::Plug(PlugKind::ApiGateway) => html! {
            <g class="node-icon" transform="translate(12,12)">
                <path d="M2,21 V9 L11,2 L20,9 V21" />
                <path d="M8,21 V13 H14 V21" />
            </g>
        },
    }
}
