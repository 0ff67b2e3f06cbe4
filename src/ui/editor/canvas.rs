//! The editor's drawing: the graph in columns by kind (users on the left, data on the right),
//! wires as arrows. Dragging from one node onto another (mouse, pen or touch: pointer events)
//! wires them; a wire the rules refuse is drawn red with the reason beside it. Nodes are
//! buttons: Tab to one, Enter or Space selects it (their accessible name is their visible text,
//! kind then name).

use std::rc::Rc;

use yew::prelude::*;

use super::Ctx;
use crate::scenario::topology::edit::Edit;
use crate::scenario::topology::{NodeKind, Topology};

/// A wire the rules refused, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Refusal {
    /// Where it would have left.
    pub from: String,
    /// Where it would have arrived.
    pub to: String,
    /// Why not, in words.
    pub reason: String,
}

const W: f64 = 116.0;
const H: f64 = 48.0;
/// Between layers (columns, or rows on a narrow screen).
const GAP_LAYER: f64 = 30.0;
/// Between nodes of one layer.
const GAP_SIDE: f64 = 16.0;
const PAD: f64 = 12.0;
/// A press that moves less than this (pixels) is a click, not a drag.
const CLICK_PX: f64 = 6.0;

/// The column a kind is drawn in: one step down the order requests travel.
fn column(kind: NodeKind) -> usize {
    match kind {
        NodeKind::Users | NodeKind::Monitor => 0,
        NodeKind::Dns | NodeKind::GeoDns => 1,
        NodeKind::DataCenter => 2,
        NodeKind::CdnEdge | NodeKind::LoadBalancer | NodeKind::Autoscaler | NodeKind::Deploy => 3,
        NodeKind::WebPool => 4,
        NodeKind::SessionStore | NodeKind::Cache | NodeKind::Queue | NodeKind::NoSql => 5,
        NodeKind::ShardRouter | NodeKind::Workers => 6,
        NodeKind::Database => 7,
    }
}

/// Whether a layer holding nodes lies strictly between layers `a` and `b`.
fn skips(a: usize, b: usize, t: &Topology) -> bool {
    let (lo, hi) = (a.min(b), a.max(b));
    t.nodes
        .iter()
        .any(|n| (lo + 1..hi).contains(&column(n.spec.kind())))
}

/// Where each node's box is (its top-left corner), in node order, and the drawing's size:
/// layers left to right, or top to bottom when `portrait`.
pub fn place(t: &Topology, portrait: bool) -> (Vec<(f64, f64)>, f64, f64) {
    let mut used = [false; 8];
    for n in &t.nodes {
        used[column(n.spec.kind())] = true;
    }
    // Empty columns take no room.
    let mut at = [0usize; 8];
    let mut next = 0;
    for c in 0..8 {
        at[c] = next;
        if used[c] {
            next += 1;
        }
    }
    let mut rows = [0usize; 8];
    let mut spots = Vec::with_capacity(t.nodes.len());
    for n in &t.nodes {
        let c = column(n.spec.kind());
        let (layer, side) = (at[c] as f64, rows[c] as f64);
        rows[c] += 1;
        spots.push(if portrait {
            (PAD + side * (W + GAP_SIDE), PAD + layer * (H + GAP_LAYER))
        } else {
            (PAD + layer * (W + GAP_LAYER), PAD + side * (H + GAP_SIDE))
        });
    }
    let layers = next.max(1) as f64;
    let widest = rows.iter().copied().max().unwrap_or(1).max(1) as f64;
    let along = |count: f64, size: f64, gap: f64| 2.0 * PAD + count * size + (count - 1.0) * gap;
    // Room beside the boxes for the wires that go round a layer.
    let room = 2.0 * GAP_SIDE;
    if portrait {
        (
            spots,
            along(widest, W, GAP_SIDE) + room,
            along(layers, H, GAP_LAYER),
        )
    } else {
        (
            spots,
            along(layers, W, GAP_LAYER),
            along(widest, H, GAP_SIDE) + room,
        )
    }
}

#[derive(Properties, PartialEq)]
pub struct CanvasProps {
    pub ctx: Ctx,
    /// Layers top to bottom (narrow screens).
    pub portrait: bool,
}

/// A drag under way: from which node, where the pointer is (drawing coordinates).
#[derive(Clone, Debug, PartialEq)]
struct Drag {
    from: String,
    start: (f64, f64),
    at: (f64, f64),
}

/// The drawing.
#[function_component(Canvas)]
pub fn canvas(props: &CanvasProps) -> Html {
    let ctx = props.ctx.clone();
    let svg = use_node_ref();
    let drag = use_state(|| None::<Drag>);
    let i = ctx.inner.borrow();
    let t = i.editor.topology().clone();
    let selected = i.selected.clone();
    let refusal = i.refusal.clone();
    drop(i);
    let portrait = props.portrait;
    let (spots, width, height) = place(&t, portrait);
    let spots = Rc::new(spots);
    let names: Rc<Vec<String>> = Rc::new(t.nodes.iter().map(|n| n.name.clone()).collect());

    // Pointer position in drawing coordinates (the SVG is drawn at its natural size, or
    // scaled down to fit a narrow screen).
    let to_local = {
        let svg = svg.clone();
        move |e: &PointerEvent| -> Option<(f64, f64)> {
            let el = svg.cast::<web_sys::Element>()?;
            let r = el.get_bounding_client_rect();
            if r.width() <= 0.0 || r.height() <= 0.0 {
                return None;
            }
            Some((
                (f64::from(e.client_x()) - r.left()) * width / r.width(),
                (f64::from(e.client_y()) - r.top()) * height / r.height(),
            ))
        }
    };
    let hit = {
        let spots = spots.clone();
        let names = names.clone();
        move |(x, y): (f64, f64)| -> Option<String> {
            spots
                .iter()
                .position(|&(sx, sy)| x >= sx && x <= sx + W && y >= sy && y <= sy + H)
                .map(|i| names[i].clone())
        }
    };
    let on_down = {
        let drag = drag.clone();
        let to_local = to_local.clone();
        let hit = hit.clone();
        Callback::from(move |e: PointerEvent| {
            if !e.is_primary() || e.button() != 0 {
                return;
            }
            if let Some(p) = to_local(&e) {
                if let Some(from) = hit(p) {
                    e.prevent_default();
                    drag.set(Some(Drag {
                        from,
                        start: p,
                        at: p,
                    }));
                }
            }
        })
    };
    let on_move = {
        let drag = drag.clone();
        let to_local = to_local.clone();
        Callback::from(move |e: PointerEvent| {
            if let (Some(d), Some(p)) = ((*drag).clone(), to_local(&e)) {
                drag.set(Some(Drag { at: p, ..d }));
            }
        })
    };
    let on_up = {
        let drag = drag.clone();
        let ctx = ctx.clone();
        Callback::from(move |e: PointerEvent| {
            let Some(d) = (*drag).clone() else { return };
            drag.set(None);
            let Some(p) = to_local(&e) else { return };
            let moved = ((p.0 - d.start.0).powi(2) + (p.1 - d.start.1).powi(2)).sqrt();
            match hit(p) {
                Some(to) if to != d.from => {
                    ctx.edit(Edit::Connect { from: d.from, to });
                }
                Some(_) if moved < CLICK_PX => ctx.select(Some(d.from)),
                _ => {}
            }
        })
    };
    let on_cancel = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| drag.set(None))
    };

    let centre_in = |i: usize| {
        if portrait {
            (spots[i].0 + W / 2.0, spots[i].1)
        } else {
            (spots[i].0, spots[i].1 + H / 2.0)
        }
    };
    let centre_out = |i: usize| {
        if portrait {
            (spots[i].0 + W / 2.0, spots[i].1 + H)
        } else {
            (spots[i].0 + W, spots[i].1 + H / 2.0)
        }
    };
    let index = |name: &str| t.nodes.iter().position(|n| n.name == name);
    let wires = t.edges.iter().filter_map(|e| {
        let (a, b) = (index(&e.from)?, index(&e.to)?);
        let ((x1, y1), (x2, y2)) = (centre_out(a), centre_in(b));
        let layer = |i: usize| column(t.nodes[i].spec.kind());
        let d = if layer(a) == layer(b) {
            // One layer (a control wire, say): straight across.
            let ((x1, y1), (x2, y2)) = if portrait {
                (
                    (spots[a].0 + W, spots[a].1 + H / 2.0),
                    (spots[b].0, spots[b].1 + H / 2.0),
                )
            } else {
                (
                    (spots[a].0 + W / 2.0, spots[a].1 + H),
                    (spots[b].0 + W / 2.0, spots[b].1),
                )
            };
            format!("M{x1},{y1} L{x2},{y2}")
        } else if skips(layer(a), layer(b), &t) {
            // Over a layer in between: round its boxes (below them, or beside them on a
            // narrow screen) instead of running under them.
            if portrait {
                let (x1, y1) = (spots[a].0 + W, spots[a].1 + H / 2.0);
                let (x2, y2) = (spots[b].0 + W, spots[b].1 + H / 2.0);
                let bulge = x1.max(x2) + GAP_SIDE;
                format!("M{x1},{y1} C{bulge},{y1} {bulge},{y2} {x2},{y2}")
            } else {
                let (x1, y1) = (spots[a].0 + W / 2.0, spots[a].1 + H);
                let (x2, y2) = (spots[b].0 + W / 2.0, spots[b].1 + H);
                let bulge = y1.max(y2) + GAP_SIDE + 8.0;
                format!("M{x1},{y1} C{x1},{bulge} {x2},{bulge} {x2},{y2}")
            }
        } else if portrait {
            let mid = (y1 + y2) / 2.0;
            format!("M{x1},{y1} C{x1},{mid} {x2},{mid} {x2},{y2}")
        } else {
            let mid = (x1 + x2) / 2.0;
            format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")
        };
        let flows: Vec<&str> = e.flows.iter().map(|f| f.plural()).collect();
        Some(html! {
            <path class="editor-wire" d={d} marker-end="url(#editor-arrow)"
                data-wire={format!("{}>{}", e.from, e.to)}>
                <title>{ format!("{} → {}: {}", e.from, e.to, flows.join(", ")) }</title>
            </path>
        })
    });
    let nodes = t.nodes.iter().enumerate().map(|(i, n)| {
        let (x, y) = spots[i];
        let kind = n.spec.kind();
        let is_selected = selected.as_deref() == Some(n.name.as_str());
        let refused = refusal
            .as_ref()
            .is_some_and(|r| r.to == n.name || r.from == n.name);
        let onkeydown = {
            let ctx = ctx.clone();
            let name = n.name.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    ctx.select(Some(name.clone()));
                }
            })
        };
        html! {
            <g class={classes!("editor-node", is_selected.then_some("selected"), refused.then_some("refused"))}
                transform={format!("translate({x},{y})")} tabindex="0" role="button"
                aria-pressed={if is_selected { "true" } else { "false" }}
                data-node={n.name.clone()} data-kind={kind.name()} {onkeydown}>
                <rect width={W.to_string()} height={H.to_string()} rx="9" />
                <text class="editor-node-kind" x="8" y="17">{ kind.noun() }</text>
                <text class="editor-node-name" x="8" y="36">{ short(&n.name) }</text>
            </g>
        }
    });
    let line = (*drag).as_ref().and_then(|d| {
        let a = index(&d.from)?;
        let (x1, y1) = centre_out(a);
        let (x2, y2) = d.at;
        Some(html! {
            <line class="editor-drag" x1={x1.to_string()} y1={y1.to_string()}
                x2={x2.to_string()} y2={y2.to_string()} />
        })
    });
    // A refused wire: drawn red, with its reason beside its target.
    let refused = refusal.as_ref().and_then(|r| {
        let (a, b) = (index(&r.from)?, index(&r.to)?);
        let ((x1, y1), (x2, y2)) = (centre_out(a), centre_in(b));
        Some((
            html! {
                <line class="editor-refused" x1={x1.to_string()} y1={y1.to_string()}
                    x2={x2.to_string()} y2={y2.to_string()} />
            },
            html! {
                <p class="refusal" role="alert" data-refusal="">
                    { format!("Not wired ({} → {}): {}", r.from, r.to, r.reason) }
                </p>
            },
        ))
    });
    let (refused_line, refused_note) = match refused {
        Some((l, n)) => (Some(l), Some(n)),
        None => (None, None),
    };
    html! {
        <div class="editor-canvas-wrap">
        <div class="editor-canvas">
            <svg ref={svg} viewBox={format!("0 0 {width} {height}")}
                width={width.to_string()} height={height.to_string()}
                role="group" aria-label="Your architecture: drag from one component onto another to wire them"
                onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up}
                onpointercancel={on_cancel.clone()} onpointerleave={on_cancel}>
                <defs>
                    <marker id="editor-arrow" viewBox="0 0 10 10" refX="9" refY="5"
                        markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="editor-arrow-head" />
                    </marker>
                </defs>
                { for wires }
                { for refused_line }
                { for nodes }
                { for line }
            </svg>
        </div>
            { for refused_note }
        </div>
    }
}

/// A name short enough for its box (the full name is in the side panel).
fn short(name: &str) -> String {
    if name.chars().count() <= 12 {
        name.to_string()
    } else {
        let head: String = name.chars().take(11).collect();
        format!("{head}…")
    }
}
