//! The editor's drawing: the graph in columns by kind (users on the left, data on the right),
//! wires as arrows, tiers drawn as group boxes (a web pool's servers, a cache cluster's nodes,
//! a database's master and replicas, a shard router's shards, a NoSQL store's nodes inside its
//! box; at stage 11 one box round the stack every data center runs).
//!
//! ```text
//!  pointer down on a node ─▶ drag ─┬─ released on another node ─▶ wire them (or say why not)
//!                                  ├─ released on empty space  ─▶ move the node there (undoable)
//!                                  └─ not moved                ─▶ select it
//!  pointer down on empty space ─▶ pan       two fingers ─▶ pinch zoom     Ctrl+wheel ─▶ zoom
//!  keyboard: Tab to a node, Enter selects, arrows move it (Shift: further); + − 0 zoom and fit
//! ```
//!
//! Nodes are buttons (their accessible name is their visible text, kind then name). The
//! drawing is never shown smaller than [`MIN_ZOOM`], so its smallest text stays ≥ 11 px; a
//! drawing wider than its box at that size scrolls.

use std::collections::BTreeMap;
use std::rc::Rc;

use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::Ctx;
use crate::layout_graph::{self, is_group, H, MEMBER_ROW_H, W};
use crate::scenario::topology::edit::Edit;
use crate::scenario::topology::{NodeKind, NodeSpec, Position, Topology, MAX_COORD};
use crate::sim::{ComponentId, ComponentInfo, ComponentKind};

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

/// Most member rows an open group shows (the last then says how many more there are).
const MAX_MEMBER_ROWS: usize = 16;
/// A press that moves less than this (pixels) is a click, not a drag.
const CLICK_PX: f64 = 6.0;
/// The drawing's smallest text at 100 %, in CSS px (styles/app.css: `.editor-node-kind`,
/// `.editor-members text`, `.editor-group-label`).
pub const SMALLEST_TEXT_PX: f64 = 13.0;
/// The smallest zoom: the smallest text is then 11 px on screen.
pub const MIN_ZOOM: f64 = 11.0 / SMALLEST_TEXT_PX;
/// The largest zoom.
pub const MAX_ZOOM: f64 = 3.0;
/// One press of a zoom button or key.
const ZOOM_STEP: f64 = 1.25;
/// One arrow-key move of a node, in drawing units (with Shift: five times this).
const NUDGE: u32 = 8;

/// Most member chips drawn in a group box (the last one then says how many more).
const MAX_CHIPS: usize = 5;

/// A group's members, as the short labels of the chips drawn inside its box (none: not a
/// group), and what they are, for the box's tooltip.
fn members(spec: &NodeSpec) -> Option<(Vec<String>, String)> {
    let numbered = |count: u32, prefix: &str| -> Vec<String> {
        let count = count as usize;
        let shown = if count > MAX_CHIPS {
            MAX_CHIPS - 1
        } else {
            count
        };
        let mut chips: Vec<String> = (0..shown).map(|i| format!("{prefix}{i}")).collect();
        if count > shown {
            chips.push(format!("+{}", count - shown));
        }
        chips
    };
    match spec {
        NodeSpec::WebPool(s) => Some((
            numbered(s.count, ""),
            format!("{} web server{}", s.count, plural(s.count)),
        )),
        NodeSpec::Cache(c) => Some((
            numbered(c.nodes, ""),
            format!("{} cache node{}", c.nodes, plural(c.nodes)),
        )),
        NodeSpec::NoSql(n) => Some((
            numbered(n.nodes, ""),
            format!("{} NoSQL node{}", n.nodes, plural(n.nodes)),
        )),
        NodeSpec::ShardRouter(s) => Some((
            numbered(s.shards, "s"),
            format!("{} shard{}", s.shards, plural(s.shards)),
        )),
        NodeSpec::Database(d) => {
            let mut chips = vec!["M".to_string()];
            let replicas = d.replicas as usize;
            let shown = replicas.min(MAX_CHIPS - 2);
            chips.extend((0..shown).map(|_| "R".to_string()));
            if replicas > shown {
                chips.push(format!("+{}", replicas - shown));
            }
            Some((
                chips,
                format!("a master and {} replica{}", d.replicas, plural(d.replicas)),
            ))
        }
        _ => None,
    }
}

/// Between two member chips.
const CHIP_GAP: f64 = 3.0;

/// A chip's width for its label (13 px text).
fn chip_width(label: &str) -> f64 {
    8.0 + 8.0 * label.chars().count() as f64
}

/// The chips that fit in `room`: the last ones give way to one saying how many more there are.
fn fit_chips(chips: Vec<String>, room: f64) -> Vec<String> {
    // How many members the chips stand for ("+4" stands for four).
    let count = |c: &String| {
        c.strip_prefix('+')
            .and_then(|n| n.parse().ok())
            .unwrap_or(1)
    };
    let total = |cs: &[String]| cs.iter().map(|c| chip_width(c) + CHIP_GAP).sum::<f64>() - CHIP_GAP;
    let mut shown = chips;
    let mut hidden: u32 = 0;
    while total(&shown) > room && shown.len() > 1 {
        let take = |shown: &mut Vec<String>| shown.pop().map_or(0, |c| count(&c));
        if shown.last().is_some_and(|c| c.starts_with('+')) {
            hidden += take(&mut shown);
        }
        hidden += take(&mut shown);
        shown.push(format!("+{hidden}"));
        hidden = 0;
    }
    shown
}

fn plural(n: u32) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[derive(Properties, PartialEq)]
pub struct CanvasProps {
    pub ctx: Ctx,
    /// Layers top to bottom (narrow screens).
    pub portrait: bool,
    /// The running system's components (an open group's members are among them).
    pub running: Rc<Vec<ComponentInfo>>,
    /// The running components that are down now.
    pub down: Rc<Vec<ComponentId>>,
    /// The component shown in the inspector.
    pub inspected: Option<ComponentId>,
}

/// The running components the group `name` of the drawing `t` stands for: a web pool's
/// servers, a cache's nodes (its own, when the drawing has several caches), a database's (or
/// a shard router's) database nodes, a NoSQL store's nodes (its own, when there are several);
/// in the order they are drawn.
pub fn running_members(t: &Topology, name: &str, running: &[ComponentInfo]) -> Vec<ComponentInfo> {
    let Some(kind) = t.node(name).map(|n| n.spec.kind()) else {
        return Vec::new();
    };
    let of = match kind {
        NodeKind::WebPool => ComponentKind::Server,
        NodeKind::Cache => ComponentKind::Cache,
        NodeKind::Database | NodeKind::ShardRouter => ComponentKind::Database,
        NodeKind::NoSql => ComponentKind::NoSql,
        _ => return Vec::new(),
    };
    // With several caches, databases, web pools or NoSQL stores, each group holds the nodes
    // named after it (`<stem>-<n>`); a sharded database's are its shards' (`shard-S-db-N` for
    // the first, `<stem>-shard-S-N` behind a router of its own), and a shard router's are
    // those of the database behind it.
    let of_kind = |k: NodeKind| t.nodes.iter().filter(|n| n.spec.kind() == k).count();
    let databases = of_kind(NodeKind::Database);
    let behind = |router: &str| {
        (t.edges.iter())
            .find(|e| e.from == router && t.database_stem(&e.to).is_some())
            .and_then(|e| t.database_stem(&e.to))
    };
    let stem = match kind {
        NodeKind::Cache => t.cache_stem(name).filter(|_| of_kind(kind) > 1),
        NodeKind::Database => t.database_stem(name).filter(|_| databases > 1),
        NodeKind::ShardRouter => behind(name).filter(|_| databases > 1),
        NodeKind::WebPool => t.web_stem(name).filter(|_| of_kind(kind) > 1),
        NodeKind::NoSql => t.nosql_stem(name).filter(|_| of_kind(kind) > 1),
        _ => None,
    };
    let own = |c: &ComponentInfo| {
        let Some(stem) = stem else {
            return true;
        };
        let local = c.name.rsplit('/').next().unwrap_or(&c.name);
        let numbered = local
            .strip_prefix(stem)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        let store = if stem == "db" { "" } else { stem };
        numbered || crate::sim::shard_node(local).is_some_and(|n| n.store == store)
    };
    let mut list: Vec<ComponentInfo> = running
        .iter()
        .filter(|c| c.kind == of && own(c))
        .cloned()
        .collect();
    list.sort_by_key(|c| c.id);
    list
}

/// The member rows an open group shows: one per member up to [`MAX_MEMBER_ROWS`] (the last
/// then says how many more), one saying none runs when none does.
fn member_rows(members: usize) -> usize {
    members.clamp(1, MAX_MEMBER_ROWS)
}

/// What the pointer is doing.
#[derive(Clone, Debug, PartialEq)]
enum Gesture {
    /// Dragging a node: from where (drawing coordinates), where the pointer is, and where
    /// in the node's box it was grabbed.
    Node {
        from: String,
        start: (f64, f64),
        at: (f64, f64),
        grab: (f64, f64),
    },
    /// Panning: the pointer's start on screen and the scroll position then.
    Pan {
        start: (f64, f64),
        scroll: (f64, f64),
    },
}

/// Two fingers on the drawing: their distance when the pinch began and the zoom then.
#[derive(Clone, Copy, Debug)]
struct Pinch {
    distance: f64,
    zoom: f64,
}

/// The drawing.
#[function_component(Canvas)]
pub fn canvas(props: &CanvasProps) -> Html {
    let ctx = props.ctx.clone();
    let svg = use_node_ref();
    let scroller = use_node_ref();
    let gesture = use_state(|| None::<Gesture>);
    let touches = use_mut_ref(BTreeMap::<i32, (f64, f64)>::new);
    let pinch = use_mut_ref(|| None::<Pinch>);
    let i = ctx.inner.borrow();
    let t = i.editor.topology().clone();
    let selected = i.selected.clone();
    let refusal = i.refusal.clone();
    let zoom = i.zoom;
    let open_names = i.open.clone();
    drop(i);
    // The editor's width (its drawing and side panel), measured after each render and on a
    // resize of the window.
    let body_w = use_state_eq(|| None::<i32>);
    {
        let scroller = scroller.clone();
        let body_w = body_w.clone();
        use_effect(move || body_w.set(editor_body_width(&scroller)));
    }
    {
        let scroller = scroller.clone();
        let body_w = body_w.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|w| {
                EventListener::new(&w, "resize", move |_| {
                    body_w.set(editor_body_width(&scroller))
                })
            });
            move || drop(listener)
        });
    }
    let running = &props.running;
    // Each open group's members: the components running for it now.
    let open: BTreeMap<String, Vec<ComponentInfo>> = t
        .nodes
        .iter()
        .filter(|n| open_names.contains(&n.name) && is_group(n.spec.kind()))
        .map(|n| (n.name.clone(), running_members(&t, &n.name, running)))
        .collect();
    let open_rows: BTreeMap<String, usize> = open
        .iter()
        .map(|(name, m)| (name.clone(), member_rows(m.len())))
        .collect();
    // A drawing that cannot fit the editor's width sideways even at its smallest zoom (stage
    // 11 at 1000 px: 1,044 px in 924) flows top to bottom instead, as on a narrow screen.
    let landscape = layout_graph::layout(&t, props.portrait, &open_rows);
    let too_long =
        |w: f64| body_w.is_some_and(|room| (w * MIN_ZOOM).ceil() + 3.0 > f64::from(room));
    let portrait = props.portrait || too_long(landscape.width);
    let geometry = if portrait && !props.portrait {
        layout_graph::layout(&t, true, &open_rows)
    } else {
        landscape
    };
    let (width, height) = (geometry.width, geometry.height);
    let boxes: Rc<Vec<(f64, f64, f64, f64)>> = Rc::new(
        geometry
            .boxes
            .iter()
            .map(|r| (r.x, r.y, r.w, r.h))
            .collect(),
    );
    let names: Rc<Vec<String>> = Rc::new(t.nodes.iter().map(|n| n.name.clone()).collect());

    // After a zoom about a point, scroll so that the point stays under the pointer.
    {
        let scroller = scroller.clone();
        let ctx = ctx.clone();
        use_effect(move || {
            let to = ctx.inner.borrow_mut().scroll_to.take();
            if let (Some((x, y)), Some(el)) = (to, scroller.cast::<web_sys::Element>()) {
                el.set_scroll_left(x.round() as i32);
                el.set_scroll_top(y.round() as i32);
            }
        });
    }
    // Ctrl+wheel (and a trackpad's pinch, which arrives as one) zooms about the pointer; a
    // plain wheel scrolls the page as usual.
    // The drawing's width now, for the listener set up once.
    let current_width = use_mut_ref(|| width);
    *current_width.borrow_mut() = width;
    {
        let scroller = scroller.clone();
        let svg = svg.clone();
        let ctx = ctx.clone();
        use_effect_with((), move |_| {
            let listener = scroller.cast::<web_sys::Element>().map(|el| {
                let options = EventListenerOptions::enable_prevent_default();
                EventListener::new_with_options(&el, "wheel", options, move |event| {
                    let Some(e) = event.dyn_ref::<web_sys::WheelEvent>() else {
                        return;
                    };
                    if !(e.ctrl_key() || e.meta_key()) {
                        return;
                    }
                    e.prevent_default();
                    let factor = (-e.delta_y() * 0.002).exp().clamp(0.5, 2.0);
                    let at = (f64::from(e.client_x()), f64::from(e.client_y()));
                    let width = *current_width.borrow();
                    zoom_about(&ctx, &svg, &scroller, width, factor, Some(at));
                })
            });
            move || drop(listener)
        });
    }

    // Pointer position in drawing coordinates.
    let to_local = {
        let svg = svg.clone();
        move |x: f64, y: f64| -> Option<(f64, f64)> {
            let el = svg.cast::<web_sys::Element>()?;
            let r = el.get_bounding_client_rect();
            if r.width() <= 0.0 || r.height() <= 0.0 {
                return None;
            }
            Some((
                (x - r.left()) * width / r.width(),
                (y - r.top()) * height / r.height(),
            ))
        }
    };
    let client = |e: &PointerEvent| (f64::from(e.client_x()), f64::from(e.client_y()));
    let hit = {
        let boxes = boxes.clone();
        let names = names.clone();
        move |(x, y): (f64, f64)| -> Option<String> {
            // The last drawn is on top.
            boxes
                .iter()
                .rposition(|&(bx, by, w, h)| x >= bx && x <= bx + w && y >= by && y <= by + h)
                .map(|i| names[i].clone())
        }
    };
    let on_down = {
        let gesture = gesture.clone();
        let to_local = to_local.clone();
        let hit = hit.clone();
        let boxes = boxes.clone();
        let names = names.clone();
        let scroller = scroller.clone();
        let touches = touches.clone();
        let pinch = pinch.clone();
        let svg = svg.clone();
        Callback::from(move |e: PointerEvent| {
            if e.pointer_type() == "touch" {
                touches.borrow_mut().insert(e.pointer_id(), client(&e));
                let t = touches.borrow();
                if t.len() == 2 {
                    // A second finger: a pinch, not a drag.
                    let mut p = t.values();
                    if let (Some(a), Some(b)) = (p.next(), p.next()) {
                        *pinch.borrow_mut() = Some(Pinch {
                            distance: distance(*a, *b).max(1.0),
                            zoom: shown_zoom(&svg, width),
                        });
                    }
                    gesture.set(None);
                    return;
                }
            }
            if e.button() != 0 || !e.is_primary() {
                return;
            }
            let Some(p) = to_local(f64::from(e.client_x()), f64::from(e.client_y())) else {
                return;
            };
            match hit(p) {
                Some(from) => {
                    e.prevent_default();
                    let i = names.iter().position(|n| *n == from).unwrap_or(0);
                    let (bx, by, _, _) = boxes[i];
                    gesture.set(Some(Gesture::Node {
                        from,
                        start: p,
                        at: p,
                        grab: (p.0 - bx, p.1 - by),
                    }));
                }
                None => {
                    if let Some(el) = scroller.cast::<web_sys::Element>() {
                        gesture.set(Some(Gesture::Pan {
                            start: client(&e),
                            scroll: (f64::from(el.scroll_left()), f64::from(el.scroll_top())),
                        }));
                    }
                }
            }
        })
    };
    let on_move = {
        let gesture = gesture.clone();
        let to_local = to_local.clone();
        let scroller = scroller.clone();
        let touches = touches.clone();
        let pinch = pinch.clone();
        let svg = svg.clone();
        let ctx = ctx.clone();
        Callback::from(move |e: PointerEvent| {
            if e.pointer_type() == "touch" && touches.borrow().contains_key(&e.pointer_id()) {
                touches.borrow_mut().insert(e.pointer_id(), client(&e));
                let started = *pinch.borrow();
                if let Some(p) = started {
                    let t = touches.borrow();
                    let mut at = t.values();
                    if let (Some(a), Some(b)) = (at.next(), at.next()) {
                        let want = p.zoom * distance(*a, *b) / p.distance;
                        let now = shown_zoom(&svg, width);
                        let mid = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
                        drop(t);
                        if (want / now - 1.0).abs() > 0.02 {
                            zoom_about(&ctx, &svg, &scroller, width, want / now, Some(mid));
                        }
                    }
                    return;
                }
            }
            match (*gesture).clone() {
                Some(Gesture::Node {
                    from, start, grab, ..
                }) => {
                    if let Some(p) = to_local(f64::from(e.client_x()), f64::from(e.client_y())) {
                        gesture.set(Some(Gesture::Node {
                            from,
                            start,
                            at: p,
                            grab,
                        }));
                    }
                }
                Some(Gesture::Pan { start, scroll }) => {
                    if let Some(el) = scroller.cast::<web_sys::Element>() {
                        let (x, y) = client(&e);
                        el.set_scroll_left((scroll.0 - (x - start.0)).round() as i32);
                        el.set_scroll_top((scroll.1 - (y - start.1)).round() as i32);
                    }
                }
                None => {}
            }
        })
    };
    let on_up = {
        let gesture = gesture.clone();
        let ctx = ctx.clone();
        let t_up = t.clone();
        let running_up = running.clone();
        let touches = touches.clone();
        let pinch = pinch.clone();
        Callback::from(move |e: PointerEvent| {
            touches.borrow_mut().remove(&e.pointer_id());
            if touches.borrow().len() < 2 {
                *pinch.borrow_mut() = None;
            }
            let Some(Gesture::Node {
                from, start, grab, ..
            }) = (*gesture).clone()
            else {
                gesture.set(None);
                return;
            };
            gesture.set(None);
            let Some(p) = to_local(f64::from(e.client_x()), f64::from(e.client_y())) else {
                return;
            };
            let moved = ((p.0 - start.0).powi(2) + (p.1 - start.1).powi(2)).sqrt();
            match hit(p) {
                Some(to) if to != from => {
                    ctx.edit(Edit::Connect { from, to });
                }
                _ if moved >= CLICK_PX => {
                    let coord = |v: f64| v.round().clamp(0.0, f64::from(MAX_COORD)) as u32;
                    ctx.edit(Edit::Move {
                        name: from,
                        to: Some(Position {
                            x: coord(p.0 - grab.0),
                            y: coord(p.1 - grab.1),
                        }),
                    });
                }
                _ => toggle_or_select(&ctx, &t_up, &running_up, &from),
            }
        })
    };
    let on_cancel = {
        let gesture = gesture.clone();
        let touches = touches.clone();
        let pinch = pinch.clone();
        Callback::from(move |e: PointerEvent| {
            touches.borrow_mut().remove(&e.pointer_id());
            *pinch.borrow_mut() = None;
            gesture.set(None);
        })
    };
    // + − 0 anywhere in the drawing: zoom in, out, fit.
    let on_key = {
        let ctx = ctx.clone();
        let svg = svg.clone();
        let scroller = scroller.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            match e.key().as_str() {
                "+" | "=" => zoom_about(&ctx, &svg, &scroller, width, ZOOM_STEP, None),
                "-" | "_" => zoom_about(&ctx, &svg, &scroller, width, 1.0 / ZOOM_STEP, None),
                "0" => ctx.set_zoom(None),
                _ => return,
            }
            e.prevent_default();
        })
    };

    let b = |i: usize| boxes[i];
    let centre_in = |i: usize| {
        let (x, y, w, h) = b(i);
        if portrait {
            (x + w / 2.0, y)
        } else {
            (x, y + h / 2.0)
        }
    };
    let centre_out = |i: usize| {
        let (x, y, w, h) = b(i);
        if portrait {
            (x + w / 2.0, y + h)
        } else {
            (x + w, y + h / 2.0)
        }
    };
    let index = |name: &str| t.nodes.iter().position(|n| n.name == name);
    let wires = t.edges.iter().zip(&geometry.wires).filter_map(|(e, wire)| {
        let d = wire.as_ref()?.svg_path(portrait);
        let flows: Vec<&str> = e.flows.iter().map(|f| f.plural()).collect();
        Some(html! {
            <path class="editor-wire" d={d} marker-end="url(#editor-arrow)"
                data-wire={format!("{}>{}", e.from, e.to)}>
                <title>{ format!("{} → {}: {}", e.from, e.to, flows.join(", ")) }</title>
            </path>
        })
    });
    let nodes = t.nodes.iter().enumerate().map(|(i, n)| {
        let (x, y, w, h) = b(i);
        let kind = n.spec.kind();
        let is_selected = selected.as_deref() == Some(n.name.as_str());
        let refused = refusal
            .as_ref()
            .is_some_and(|r| r.to == n.name || r.from == n.name);
        let onkeydown = {
            let ctx = ctx.clone();
            let name = n.name.clone();
            let t_key = t.clone();
            let running_key = running.clone();
            Callback::from(move |e: KeyboardEvent| {
                let step = if e.shift_key() { NUDGE * 5 } else { NUDGE };
                let by = match e.key().as_str() {
                    "Enter" | " " => {
                        e.prevent_default();
                        toggle_or_select(&ctx, &t_key, &running_key, &name);
                        return;
                    }
                    "ArrowLeft" => (-1, 0),
                    "ArrowRight" => (1, 0),
                    "ArrowUp" => (0, -1),
                    "ArrowDown" => (0, 1),
                    _ => return,
                };
                e.prevent_default();
                e.stop_propagation();
                let shift = |v: f64, d: i32| {
                    let v = v.round() as i64 + i64::from(d) * i64::from(step);
                    v.clamp(0, i64::from(MAX_COORD)) as u32
                };
                ctx.edit(Edit::Move {
                    name: name.clone(),
                    to: Some(Position {
                        x: shift(x, by.0),
                        y: shift(y, by.1),
                    }),
                });
            })
        };
        let is_open = open.contains_key(&n.name);
        let group = is_group(n.spec.kind());
        let chips = members(&n.spec).filter(|_| !is_open).map(|(chips, _)| {
            let chips = fit_chips(chips, W - 12.0);
            let mut cx = 6.0;
            let items = chips.into_iter().map(|c| {
                let cw = chip_width(&c);
                let at = cx;
                cx += cw + CHIP_GAP;
                html! {
                    <g transform={format!("translate({at},{})", H - 4.0)}>
                        <rect class="editor-chip" width={cw.to_string()} height="20" rx="4" />
                        <text x={(cw / 2.0).to_string()} y="15" text-anchor="middle">{ c }</text>
                    </g>
                }
            });
            html! { <g class="editor-members" aria-hidden="true">{ for items }</g> }
        });
        let member_list = open
            .get(&n.name)
            .map(|list| member_buttons(&ctx, &n.name, list, (x, y), &props.down, props.inspected));
        html! {
            <>
            <g class={classes!("editor-node", is_selected.then_some("selected"), refused.then_some("refused"),
                    group.then_some("group"), is_open.then_some("open"))}
                transform={format!("translate({x},{y})")} tabindex="0" role="button"
                aria-pressed={if is_selected { "true" } else { "false" }}
                aria-expanded={group.then(|| is_open.to_string())}
                aria-keyshortcuts="ArrowLeft ArrowRight ArrowUp ArrowDown"
                data-node={n.name.clone()} data-kind={kind.name()}
                data-x={x.to_string()} data-y={y.to_string()} {onkeydown}>
                <rect width={w.to_string()} height={h.to_string()} rx="9" />
                <text class="editor-node-kind" x="8" y="18">{ kind.noun() }</text>
                <text class="editor-node-name" x="8" y="38">{ short(&n.name) }</text>
                { for chips }
            </g>
            { for member_list }
            </>
        }
    });
    let dc_box = geometry.data_centers.as_ref().map(|(r, label)| {
        let (x, y, w, h) = (r.x, r.y, r.w, r.h);
        html! {
            <g class="editor-dc" data-dc-group="">
                <rect x={x.to_string()} y={y.to_string()} width={w.to_string()} height={h.to_string()} rx="12" />
                <text class="editor-group-label" x={(x + 10.0).to_string()} y={(y + 19.0).to_string()}>{ label.clone() }</text>
            </g>
        }
    });
    let (drag_line, ghost) = match &*gesture {
        Some(Gesture::Node {
            from,
            at,
            grab,
            start,
        }) => {
            let moved = ((at.0 - start.0).powi(2) + (at.1 - start.1).powi(2)).sqrt();
            match index(from) {
                Some(a) if moved >= CLICK_PX => {
                    let (x1, y1) = centre_out(a);
                    let (_, _, w, h) = b(a);
                    (
                        Some(html! {
                            <line class="editor-drag" x1={x1.to_string()} y1={y1.to_string()}
                                x2={at.0.to_string()} y2={at.1.to_string()} />
                        }),
                        Some(html! {
                            <rect class="editor-ghost" x={(at.0 - grab.0).to_string()} y={(at.1 - grab.1).to_string()}
                                width={w.to_string()} height={h.to_string()} rx="9" />
                        }),
                    )
                }
                _ => (None, None),
            }
        }
        _ => (None, None),
    };
    // A refused wire: drawn red, with its reason beside the drawing.
    let refused = refusal.as_ref().and_then(|r| {
        let (a, z) = (index(&r.from)?, index(&r.to)?);
        let ((x1, y1), (x2, y2)) = (centre_out(a), centre_in(z));
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
    // Fit: as wide as the box allows, never above 100 % nor below MIN_ZOOM (then it scrolls).
    let fit_min_w = (width * MIN_ZOOM).ceil() + 1.0;
    let size = match zoom {
        None => format!(
            "width:100%;height:auto;max-width:{width}px;min-width:{fit_min_w}px;aspect-ratio:{width}/{height}"
        ),
        Some(z) => format!("width:{}px;height:{}px", width * z, height * z),
    };
    // The box asks for the room the drawing needs at the smallest zoom (and its border), so
    // that a long drawing puts the side panel under it rather than scroll (styles/app.css:
    // `.editor-body` wraps). Whatever the zoom, so that zooming does not move the panel.
    let wrap_style = format!("--drawing-min-w:{}px", fit_min_w + 2.0);
    let zoom_button =
        |label: &'static str, action: &'static str, name: &'static str, keys: &'static str| {
            let ctx = ctx.clone();
            let svg = svg.clone();
            let scroller = scroller.clone();
            let onclick = Callback::from(move |_: MouseEvent| match action {
                "zoom-in" => zoom_about(&ctx, &svg, &scroller, width, ZOOM_STEP, None),
                "zoom-out" => zoom_about(&ctx, &svg, &scroller, width, 1.0 / ZOOM_STEP, None),
                _ => ctx.set_zoom(None),
            });
            html! {
                <button class="btn btn-small" data-action={action} {onclick} aria-label={name}
                    title={format!("{name} ({keys})")} aria-keyshortcuts={keys}>{ label }</button>
            }
        };
    let zoom_text = match zoom {
        None => "Zoom: fit".to_string(),
        Some(z) => format!("Zoom: {:.0} %", z * 100.0),
    };
    html! {
        <div class="editor-canvas-wrap" style={wrap_style}>
        <div class="editor-view-tools" role="group" aria-label="Zoom">
            { zoom_button("−", "zoom-out", "Zoom out", "-") }
            { zoom_button("+", "zoom-in", "Zoom in", "+") }
            { zoom_button("Fit", "zoom-fit", "Fit the drawing to its box", "0") }
            <span class="muted" data-zoom={zoom.map_or("fit".to_string(), |z| format!("{z:.3}"))}>{ zoom_text }</span>
        </div>
        <div class="editor-canvas" ref={scroller} tabindex="0" role="region"
            aria-label="Drawing (scrolls; + and − zoom, 0 fits)" onkeydown={on_key}>
            <svg ref={svg} viewBox={format!("0 0 {width} {height}")} style={size}
                role="group" aria-label="Your architecture: drag a component onto another to wire them, or onto empty space to move it"
                data-editor-drawing=""
                onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up}
                onpointercancel={on_cancel.clone()} onpointerleave={on_cancel}>
                <defs>
                    <marker id="editor-arrow" viewBox="0 0 10 10" refX="9" refY="5"
                        markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                        <path d="M0,0 L10,5 L0,10 z" class="editor-arrow-head" />
                    </marker>
                </defs>
                { for dc_box }
                { for wires }
                { for refused_line }
                { for nodes }
                { for ghost }
                { for drag_line }
            </svg>
        </div>
            { for refused_note }
        </div>
    }
}

fn distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// The zoom the drawing is shown at now (its width on screen over its own width).
fn shown_zoom(svg: &NodeRef, width: f64) -> f64 {
    svg.cast::<web_sys::Element>()
        .map(|el| el.get_bounding_client_rect().width() / width)
        .filter(|z| z.is_finite() && *z > 0.0)
        .unwrap_or(1.0)
}

/// Zooms by `factor` about a point on screen (`None`: the middle of the visible part), keeping
/// that point of the drawing where it is.
fn zoom_about(
    ctx: &Ctx,
    svg: &NodeRef,
    scroller: &NodeRef,
    width: f64,
    factor: f64,
    at: Option<(f64, f64)>,
) {
    let now = shown_zoom(svg, width);
    let next = (now * factor).clamp(MIN_ZOOM, MAX_ZOOM);
    if let (Some(s), Some(view)) = (
        svg.cast::<web_sys::Element>(),
        scroller.cast::<web_sys::Element>(),
    ) {
        let r = s.get_bounding_client_rect();
        let v = view.get_bounding_client_rect();
        let (px, py) = at.unwrap_or((v.left() + v.width() / 2.0, v.top() + v.height() / 2.0));
        // The drawing's point under (px, py), and where it must be after the zoom.
        let (dx, dy) = ((px - r.left()) / now, (py - r.top()) / now);
        ctx.inner.borrow_mut().scroll_to =
            Some((dx * next - (px - v.left()), dy * next - (py - v.top())));
    }
    ctx.set_zoom(Some(next));
}

/// A name short enough for its box (the full name is in the side panel).
fn short(name: &str) -> String {
    fit(name, 11)
}

/// A press on a node (a click, Enter): a group opens to its running members, or closes, and
/// is selected; another node is selected.
fn toggle_or_select(ctx: &Ctx, t: &Topology, running: &[ComponentInfo], name: &str) {
    let Some(node) = t.node(name) else {
        return;
    };
    match members(&node.spec) {
        Some((_, what)) => {
            let list = running_members(t, name, running);
            let opened = if list.is_empty() {
                format!("Opened {name} ({what}): none of them runs now.")
            } else {
                format!(
                    "Opened {name} ({what}): {} running, listed in its box; select one to inspect it, kill it or repair it.",
                    list.len()
                )
            };
            ctx.toggle_group(name.to_string(), opened);
        }
        None => ctx.select(Some(name.to_string())),
    }
}

/// An open group's members, one row each inside its box (drawn after the box, not inside its
/// button: no control nested in another). A press shows the member in the inspector, whose
/// buttons kill or repair it.
fn member_buttons(
    ctx: &Ctx,
    group: &str,
    list: &[ComponentInfo],
    (x, y): (f64, f64),
    down: &[ComponentId],
    inspected: Option<ComponentId>,
) -> Html {
    let shown = if list.len() > MAX_MEMBER_ROWS {
        MAX_MEMBER_ROWS - 1
    } else {
        list.len()
    };
    let row_y = |k: usize| y + H - 4.0 + k as f64 * MEMBER_ROW_H;
    let rows = list[..shown].iter().enumerate().map(|(k, c)| {
        let down = down.contains(&c.id);
        let pressed = inspected == Some(c.id);
        let inspect = {
            let ctx = ctx.clone();
            let c = c.clone();
            move || ctx.inspect(c.id, &c.name)
        };
        let onclick = {
            let inspect = inspect.clone();
            Callback::from(move |_: MouseEvent| inspect())
        };
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                inspect();
            }
        });
        // Not a drag of the group's box under it.
        let onpointerdown = Callback::from(|e: PointerEvent| e.stop_propagation());
        // Cut in the middle, so that a data center's members (`us-east/cache-0`) keep their
        // region and their number; the full name is the row's title (a tooltip, and its
        // accessible name, which then says "down" itself).
        let name = fit_middle(&c.name, if down { 9 } else { 13 });
        let title = if down {
            format!("{} (down)", c.name)
        } else {
            c.name.clone()
        };
        html! {
            <g class={classes!("editor-member", down.then_some("down"), pressed.then_some("selected"))}
                transform={format!("translate({},{})", x + 6.0, row_y(k))}
                role="button" tabindex="0" aria-pressed={pressed.to_string()}
                data-member={c.name.clone()} data-alive={(!down).to_string()}
                {onclick} {onkeydown} {onpointerdown}>
                <title>{ title }</title>
                <rect width={(W - 12.0).to_string()} height="20" rx="4" />
                <text x="6" y="15">{ name }</text>
                if down {
                    <text class="editor-member-down" x={(W - 18.0).to_string()} y="15" text-anchor="end">{ "down" }</text>
                }
            </g>
        }
    });
    let more = (list.len() > shown).then(|| {
        html! {
            <text class="editor-member-more" x={(x + 12.0).to_string()} y={(row_y(shown) + 15.0).to_string()}>
                { format!("+{} more", list.len() - shown) }
            </text>
        }
    });
    let none = list.is_empty().then(|| {
        html! {
            <text class="editor-member-more" x={(x + 12.0).to_string()} y={(row_y(0) + 15.0).to_string()}>
                { "none running" }
            </text>
        }
    });
    html! {
        <g class="editor-member-list" role="group" aria-label={format!("Members of {group}")}
            data-members-of={group.to_string()}>
            { for rows }
            { for more }
            { for none }
        </g>
    }
}

/// The width of the editor's body (the drawing's box and the side panel), in CSS px.
fn editor_body_width(scroller: &NodeRef) -> Option<i32> {
    let body = scroller
        .cast::<web_sys::Element>()?
        .closest(".editor-body")
        .ok()??;
    Some(body.client_width())
}

/// A name cut to at most `chars` characters, its middle dropped for an ellipsis (its start
/// and its end stay: `us-eas…ache-0`).
fn fit_middle(name: &str, chars: usize) -> String {
    let count = name.chars().count();
    if count <= chars {
        return name.to_string();
    }
    let head = (chars - 1) / 2;
    let tail = chars - 1 - head;
    let start: String = name.chars().take(head).collect();
    let end: String = name.chars().skip(count - tail).collect();
    format!("{start}…{end}")
}

/// A name cut to at most `chars` characters (an ellipsis ends a cut one).
fn fit(name: &str, chars: usize) -> String {
    if name.chars().count() <= chars {
        name.to_string()
    } else {
        let head: String = name.chars().take(chars - 1).collect();
        format!("{head}…")
    }
}
