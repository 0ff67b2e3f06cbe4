//! The editor's drawing of a drawn architecture ([`Topology`]): a layered layout for any
//! graph, pure (no browser types), so it is tested natively.
//!
//! ```text
//!   1 layers      each node one layer past the furthest node wiring into it (a node that only
//!                 sends, such as an autoscaler, sits just before what it drives)
//!   2 lanes       a wire over several layers gets a waypoint in each layer it passes, so it
//!                 runs in a lane between the boxes of those layers, never under them
//!   3 order       barycentre sweeps down and up the layers; the order with the fewest
//!                 crossings is kept
//!   4 place       boxes stack in their layer, each pulled towards the boxes it is wired to
//!                 (chains run straight); what every data center runs is kept together in one
//!                 framed group, the other boxes of its layers below the frame
//!
//!   landscape:  users ─▶ dns ─▶ lb ─▶ web ─▶ cache ─▶ db        portrait: the same, top to bottom
//!                                      └────── lane ─────▶ db
//! ```
//!
//! Coordinates are drawing units (1 unit = 1 CSS px at 100 % zoom); a box is its top-left
//! corner and size. Nodes the user moved ([`Topology::positions`]) stay where they were put;
//! their wires then go straight from box to box.

use std::collections::BTreeMap;

use crate::scenario::topology::{NodeKind, Topology};
use crate::sim::PlugKind;

/// Width of a node's box, in drawing units.
pub const W: f64 = 112.0;
/// Height of a node's box (its kind and its name), in drawing units.
pub const H: f64 = 50.0;
/// Extra height of a group's box (web pool, cache, shard router, database): its member chips.
pub const MEMBERS_H: f64 = 24.0;
/// Height of one member's row in an open group's box.
pub const MEMBER_ROW_H: f64 = 24.0;
/// Between two layers (columns, or rows on a narrow screen).
pub const GAP_LAYER: f64 = 24.0;
/// Between two boxes of one layer.
pub const GAP_SIDE: f64 = 14.0;
/// Across-room a wire's lane takes in a layer it passes.
pub const LANE: f64 = 10.0;
/// Empty space round the drawing.
pub const PAD: f64 = 12.0;
/// Room above the stack the data centers run, for its frame's label.
pub const DC_LABEL_H: f64 = 30.0;
/// Between the data centers' frame and the boxes it holds.
const DC_MARGIN: f64 = 8.0;
/// Barycentre sweeps (each one down and up) tried when ordering the layers.
const SWEEPS: usize = 12;

/// A box: its top-left corner and size, in drawing units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// Whether two boxes share any area (touching edges do not count).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    /// Whether a point lies strictly inside.
    fn holds(&self, (x, y): (f64, f64)) -> bool {
        x > self.x && x < self.x + self.w && y > self.y && y < self.y + self.h
    }
}

/// How a wire is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Wire {
    /// Where it leaves its source's box, its waypoints (one per layer it passes), and where it
    /// enters its target's box.
    pub points: Vec<(f64, f64)>,
    /// Straight segments (a wire of a moved node); otherwise smooth curves that leave and
    /// enter each point along the flow.
    pub straight: bool,
}

/// The drawing of a graph.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphLayout {
    /// Each node's box, in the topology's node order.
    pub boxes: Vec<Rect>,
    /// Each wire, in the topology's edge order (`None`: an edge naming a missing node).
    pub wires: Vec<Option<Wire>>,
    /// The drawing's width.
    pub width: f64,
    /// The drawing's height.
    pub height: f64,
    /// The frame round what every data center runs, and its label (stage-11 graphs).
    pub data_centers: Option<(Rect, String)>,
    /// Whether the flow runs top to bottom.
    pub portrait: bool,
}

/// Whether a kind is drawn as a group box (its members as chips, or as rows when open).
pub fn is_group(kind: NodeKind) -> bool {
    matches!(
        kind,
        NodeKind::WebPool
            | NodeKind::Cache
            | NodeKind::ShardRouter
            | NodeKind::Database
            | NodeKind::NoSql
    )
}

/// Where a kind goes when nothing is wired to it yet: one step down the order requests travel.
fn rank(kind: NodeKind) -> usize {
    match kind {
        NodeKind::Users | NodeKind::Monitor => 0,
        NodeKind::Dns | NodeKind::GeoDns => 1,
        NodeKind::DataCenter => 2,
        NodeKind::CdnEdge | NodeKind::LoadBalancer | NodeKind::Autoscaler | NodeKind::Deploy => 3,
        NodeKind::Plug(PlugKind::RateLimiter) => 3,
        NodeKind::Plug(PlugKind::ApiGateway) => 3,
        NodeKind::WebPool => 4,
        NodeKind::SessionStore | NodeKind::Cache | NodeKind::Queue | NodeKind::NoSql => 5,
        NodeKind::ShardRouter | NodeKind::Workers => 6,
        NodeKind::Database => 7,
    }
}

/// An entry of a layer: a node, or the lane of a wire passing through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Item {
    Node(usize),
    /// Wire `k` (index into the forward wires), passing its `j`-th layer.
    Lane(usize, usize),
}

/// Lays a graph out. `open`: the groups opened to their members, with how many member rows
/// each shows (such a box is that much taller).
pub fn layout(t: &Topology, portrait: bool, open: &BTreeMap<String, usize>) -> GraphLayout {
    let n = t.nodes.len();
    let index: BTreeMap<&str, usize> = t
        .nodes
        .iter()
        .enumerate()
        .map(|(i, node)| (node.name.as_str(), i))
        .collect();
    let kinds: Vec<NodeKind> = t.nodes.iter().map(|node| node.spec.kind()).collect();
    // Each pair of wired nodes once (an edge per pair; a pair wired both ways is one wire).
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for e in &t.edges {
        if let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) {
            if a != b && !pairs.contains(&(a, b)) {
                pairs.push((a, b));
            }
        }
    }
    let layer = layers(n, &kinds, &acyclic(n, &kinds, &pairs));
    let sizes: Vec<(f64, f64)> = t
        .nodes
        .iter()
        .map(|node| {
            let h = match open.get(&node.name) {
                Some(&rows) => H + rows as f64 * MEMBER_ROW_H,
                None if is_group(node.spec.kind()) => H + MEMBERS_H,
                None => H,
            };
            (W, h)
        })
        .collect();
    // What every data center runs (kept together in one frame).
    let stack = run_by_data_centers(t, &index, &kinds);
    let has_dc = kinds.contains(&NodeKind::DataCenter);

    // Forward wires get a lane in each layer they pass.
    let forward: Vec<(usize, usize)> = pairs
        .iter()
        .copied()
        .filter(|&(a, b)| layer[b] > layer[a])
        .collect();
    let depth = layer.iter().copied().max().map_or(0, |m| m + 1);
    let mut layers: Vec<Vec<Item>> = vec![Vec::new(); depth];
    for i in 0..n {
        layers[layer[i]].push(Item::Node(i));
    }
    for (k, &(a, b)) in forward.iter().enumerate() {
        for (j, l) in (layer[a] + 1..layer[b]).enumerate() {
            layers[l].push(Item::Lane(k, j));
        }
    }
    // In the frame: what the data centers run, and the lanes of wires into it (a data
    // center's wire to the balancer, past the CDN edge).
    let member = |item: Item| match item {
        Item::Node(i) => stack[i],
        Item::Lane(k, _) => stack[forward[k].1],
    };
    order(&mut layers, &forward, &layer, &member);

    // Across each layer: boxes and lanes in order, pulled towards what they are wired to.
    let extent = |item: Item| match item {
        Item::Node(i) if portrait => sizes[i].0,
        Item::Node(i) => sizes[i].1,
        Item::Lane(..) => LANE,
    };
    let mut across: BTreeMap<ItemKey, f64> = BTreeMap::new();
    for l in &layers {
        let mut at = 0.0;
        for &item in l {
            across.insert(key(item), at + extent(item) / 2.0);
            at += extent(item) + GAP_SIDE;
        }
    }
    for sweep in 0..4 {
        let down = sweep % 2 == 0;
        let seq: Vec<usize> = if down {
            (1..depth).collect()
        } else {
            (0..depth.saturating_sub(1)).rev().collect()
        };
        for l in seq {
            let other = if down { l - 1 } else { l + 1 };
            let wanted: Vec<Option<f64>> = layers[l]
                .iter()
                .map(|&item| {
                    let near: Vec<f64> = neighbours(item, &forward, &layer, &layers[other])
                        .iter()
                        .filter_map(|o| across.get(&key(*o)).copied())
                        .collect();
                    (!near.is_empty()).then(|| near.iter().sum::<f64>() / near.len() as f64)
                })
                .collect();
            // In order, each at its wish (or where it is) or just past the one before; then
            // the whole layer slides so that it sits on its wishes on average.
            let mut placed: Vec<f64> = Vec::with_capacity(layers[l].len());
            let mut end = f64::NEG_INFINITY;
            for (p, &item) in layers[l].iter().enumerate() {
                let half = extent(item) / 2.0;
                let want = wanted[p].unwrap_or(across[&key(item)]);
                let centre = want.max(end + GAP_SIDE + half);
                placed.push(centre);
                end = centre + half;
            }
            let off: Vec<f64> = wanted
                .iter()
                .zip(&placed)
                .filter_map(|(w, p)| w.map(|w| p - w))
                .collect();
            let slide = if off.is_empty() {
                0.0
            } else {
                off.iter().sum::<f64>() / off.len() as f64
            };
            for (p, &item) in layers[l].iter().enumerate() {
                across.insert(key(item), placed[p] - slide);
            }
        }
    }
    // Every layer starts at or below zero: shift all up so the topmost edge is at zero.
    let top_edge = layers
        .iter()
        .flatten()
        .map(|&item| across[&key(item)] - extent(item) / 2.0)
        .fold(f64::INFINITY, f64::min);
    let shift = if top_edge.is_finite() { -top_edge } else { 0.0 };
    for v in across.values_mut() {
        *v = (*v + shift).round();
    }

    // Along the flow: one slot per layer.
    let along_start = PAD;
    let across_start = PAD + if has_dc { DC_LABEL_H } else { 0.0 };
    let pitch = if portrait {
        // Rows as tall as their tallest box.
        let mut tops = Vec::with_capacity(depth);
        let mut y = 0.0;
        for l in &layers {
            tops.push(y);
            let tallest = l
                .iter()
                .map(|&item| match item {
                    Item::Node(i) => sizes[i].1,
                    Item::Lane(..) => 0.0,
                })
                .fold(H, f64::max);
            y += tallest + GAP_LAYER;
        }
        tops
    } else {
        (0..depth).map(|l| l as f64 * (W + GAP_LAYER)).collect()
    };
    // Every entry's place: a box, or a lane as thin as LANE across its layer's whole slot.
    let mut placed: Vec<(Item, usize, Rect)> = Vec::new();
    for (l, items) in layers.iter().enumerate() {
        let along = along_start + pitch[l];
        // A row in portrait is as deep as its tallest box.
        let slot = if portrait {
            items
                .iter()
                .map(|&it| match it {
                    Item::Node(i) => sizes[i].1,
                    Item::Lane(..) => 0.0,
                })
                .fold(H, f64::max)
        } else {
            W
        };
        for &item in items {
            let c = across_start + across[&key(item)];
            let (w, h) = match item {
                Item::Node(i) => sizes[i],
                Item::Lane(..) if portrait => (LANE, slot),
                Item::Lane(..) => (slot, LANE),
            };
            let r = if portrait {
                Rect {
                    x: c - w / 2.0,
                    y: along,
                    w,
                    h,
                }
            } else {
                Rect {
                    x: along,
                    y: c - h / 2.0,
                    w,
                    h,
                }
            };
            placed.push((item, l, r));
        }
    }
    // The frame round the data centers' stack; the rest of its layers goes past it.
    let data_centers = frame(t, &kinds, &mut placed, &member, portrait);
    let mut boxes = vec![
        Rect {
            x: 0.0,
            y: 0.0,
            w: W,
            h: H
        };
        n
    ];
    // Each lane: where it enters its layer's slot and where it leaves it.
    let mut lanes: BTreeMap<(usize, usize), [(f64, f64); 2]> = BTreeMap::new();
    for &(item, _, r) in &placed {
        match item {
            Item::Node(i) => boxes[i] = r,
            Item::Lane(k, j) if portrait => {
                let x = r.x + r.w / 2.0;
                lanes.insert((k, j), [(x, r.y), (x, r.y + r.h)]);
            }
            Item::Lane(k, j) => {
                let y = r.y + r.h / 2.0;
                lanes.insert((k, j), [(r.x, y), (r.x + r.w, y)]);
            }
        }
    }
    // Moved nodes stay where they were put.
    let mut moved = vec![false; n];
    for (i, node) in t.nodes.iter().enumerate() {
        if let Some(p) = t.positions.get(&node.name) {
            boxes[i].x = f64::from(p.x);
            boxes[i].y = f64::from(p.y);
            moved[i] = true;
        }
    }
    let wires: Vec<Option<Wire>> = t
        .edges
        .iter()
        .map(|e| {
            let (a, b) = (*index.get(e.from.as_str())?, *index.get(e.to.as_str())?);
            let k = forward.iter().position(|&p| p == (a, b));
            Some(match k {
                Some(k) if !moved[a] && !moved[b] => {
                    let mut points = vec![port_out(&boxes[a], portrait)];
                    for j in 0..layer[b] - layer[a] - 1 {
                        points.extend(lanes[&(k, j)]);
                    }
                    points.push(port_in(&boxes[b], portrait));
                    Wire {
                        points,
                        straight: false,
                    }
                }
                _ => straight_wire(&boxes[a], &boxes[b]),
            })
        })
        .collect();
    let mut width: f64 = 2.0 * PAD + W;
    let mut height: f64 = 2.0 * PAD + H;
    for r in boxes.iter().chain(data_centers.iter().map(|(r, _)| r)) {
        width = width.max(r.x + r.w + PAD);
        height = height.max(r.y + r.h + PAD);
    }
    for (x, y) in wires
        .iter()
        .flatten()
        .flat_map(|w: &Wire| w.points.iter().copied())
    {
        width = width.max(x + PAD);
        height = height.max(y + PAD);
    }
    GraphLayout {
        boxes,
        wires,
        width,
        height,
        data_centers,
        portrait,
    }
}

/// A layer entry as a map key.
type ItemKey = (usize, usize, usize);

fn key(item: Item) -> ItemKey {
    match item {
        Item::Node(i) => (0, i, 0),
        Item::Lane(k, j) => (1, k, j),
    }
}

/// The wires without those that close a cycle (found walking depth first from the users), so
/// that the layers follow the flow; the wires left out are drawn straight.
fn acyclic(n: usize, kinds: &[NodeKind], pairs: &[(usize, usize)]) -> Vec<(usize, usize)> {
    // 0: not seen, 1: on the walk's path, 2: done.
    let mut state = vec![0u8; n];
    let mut back: Vec<(usize, usize)> = Vec::new();
    let mut starts: Vec<usize> = (0..n).filter(|&i| kinds[i] == NodeKind::Users).collect();
    starts.extend((0..n).filter(|&i| kinds[i] != NodeKind::Users));
    for s in starts {
        if state[s] != 0 {
            continue;
        }
        // An explicit stack of (node, next wire to look at): no recursion.
        let mut stack = vec![(s, 0usize)];
        state[s] = 1;
        while let Some(&mut (i, ref mut next)) = stack.last_mut() {
            match pairs.iter().enumerate().skip(*next).find(|(_, p)| p.0 == i) {
                Some((k, &(_, j))) => {
                    *next = k + 1;
                    match state[j] {
                        0 => {
                            state[j] = 1;
                            stack.push((j, 0));
                        }
                        1 => back.push((i, j)),
                        _ => {}
                    }
                }
                None => {
                    state[i] = 2;
                    stack.pop();
                }
            }
        }
    }
    pairs
        .iter()
        .copied()
        .filter(|p| !back.contains(p))
        .collect()
}

/// Each node's layer: one past the furthest node wiring into it; a node that only sends sits
/// just before the nearest node it drives; a node with no wire at all in its kind's place.
fn layers(n: usize, kinds: &[NodeKind], pairs: &[(usize, usize)]) -> Vec<usize> {
    let mut layer = vec![0usize; n];
    let has_in: Vec<bool> = (0..n).map(|i| pairs.iter().any(|p| p.1 == i)).collect();
    let has_out: Vec<bool> = (0..n).map(|i| pairs.iter().any(|p| p.0 == i)).collect();
    // Longest path, at most n rounds (a cycle stops growing there).
    for _ in 0..n {
        let mut changed = false;
        for &(a, b) in pairs {
            if layer[b] < layer[a] + 1 && layer[a] < n {
                layer[b] = layer[a] + 1;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let deepest = layer.iter().copied().max().unwrap_or(0);
    for i in 0..n {
        if !has_in[i] && has_out[i] && kinds[i] != NodeKind::Users {
            let next = pairs
                .iter()
                .filter(|p| p.0 == i)
                .map(|p| layer[p.1])
                .min()
                .unwrap_or(1);
            layer[i] = next.saturating_sub(1);
        } else if !has_in[i] && !has_out[i] {
            layer[i] = rank(kinds[i]).min(deepest);
        }
    }
    layer
}

/// The entries of the next or previous layer (`others`) an entry is joined to.
fn neighbours(
    item: Item,
    forward: &[(usize, usize)],
    layer: &[usize],
    others: &[Item],
) -> Vec<Item> {
    others
        .iter()
        .copied()
        .filter(|&o| joined(item, o, forward, layer) || joined(o, item, forward, layer))
        .collect()
}

/// Whether a segment of some wire runs from entry `a` to entry `b` of the next layer.
fn joined(a: Item, b: Item, forward: &[(usize, usize)], layer: &[usize]) -> bool {
    match (a, b) {
        (Item::Node(i), Item::Node(j)) => layer[j] == layer[i] + 1 && forward.contains(&(i, j)),
        (Item::Node(i), Item::Lane(k, 0)) => forward[k].0 == i,
        (Item::Lane(k, j), Item::Lane(k2, j2)) => k == k2 && j2 == j + 1,
        (Item::Lane(k, j), Item::Node(i)) => {
            forward[k].1 == i && layer[forward[k].0] + j + 2 == layer[i]
        }
        _ => false,
    }
}

/// Crossings between two neighbouring layers' segments.
fn crossings_between(
    upper: &[Item],
    lower: &[Item],
    forward: &[(usize, usize)],
    layer: &[usize],
) -> usize {
    let mut segs: Vec<(usize, usize)> = Vec::new();
    for (p, &a) in upper.iter().enumerate() {
        for (q, &b) in lower.iter().enumerate() {
            if joined(a, b, forward, layer) {
                segs.push((p, q));
            }
        }
    }
    let mut count = 0;
    for (s, &(p1, q1)) in segs.iter().enumerate() {
        for &(p2, q2) in &segs[s + 1..] {
            if (p1 < p2 && q1 > q2) || (p1 > p2 && q1 < q2) {
                count += 1;
            }
        }
    }
    count
}

/// Orders each layer to cut crossings: barycentre sweeps down and up, the best order kept;
/// what the data centers run comes first in its layers.
fn order(
    layers: &mut [Vec<Item>],
    forward: &[(usize, usize)],
    layer: &[usize],
    member: &dyn Fn(Item) -> bool,
) {
    let total = |ls: &[Vec<Item>]| -> usize {
        ls.windows(2)
            .map(|w| crossings_between(&w[0], &w[1], forward, layer))
            .sum()
    };
    let group_first = |l: &mut Vec<Item>| {
        // Stable: members keep their order, so do the others.
        let (mut inside, outside): (Vec<Item>, Vec<Item>) = l.iter().partition(|&&i| member(i));
        inside.extend(outside);
        *l = inside;
    };
    for l in layers.iter_mut() {
        group_first(l);
    }
    let mut best = layers.to_vec();
    let mut best_count = total(layers);
    for _ in 0..SWEEPS {
        for down in [true, false] {
            let seq: Vec<usize> = if down {
                (1..layers.len()).collect()
            } else {
                (0..layers.len().saturating_sub(1)).rev().collect()
            };
            for l in seq {
                let other = if down { l - 1 } else { l + 1 };
                let pos: BTreeMap<ItemKey, usize> = layers[other]
                    .iter()
                    .enumerate()
                    .map(|(p, &i)| (key(i), p))
                    .collect();
                let mut scored: Vec<(f64, usize, Item)> = layers[l]
                    .iter()
                    .enumerate()
                    .map(|(p, &item)| {
                        let near: Vec<usize> = neighbours(item, forward, layer, &layers[other])
                            .iter()
                            .map(|o| pos[&key(*o)])
                            .collect();
                        let bary = if near.is_empty() {
                            p as f64
                        } else {
                            near.iter().sum::<usize>() as f64 / near.len() as f64
                        };
                        (bary, p, item)
                    })
                    .collect();
                crate::order::sort_by_keys(&mut scored, |s| {
                    (crate::order::f64_key(s.0), s.1 as u64)
                });
                layers[l] = scored.into_iter().map(|s| s.2).collect();
                group_first(&mut layers[l]);
            }
            let count = total(layers);
            if count < best_count {
                best_count = count;
                best = layers.to_vec();
            }
        }
    }
    layers.clone_from_slice(&best);
}

/// The nodes every data center runs: those reached from a data center's wires.
fn run_by_data_centers(
    t: &Topology,
    index: &BTreeMap<&str, usize>,
    kinds: &[NodeKind],
) -> Vec<bool> {
    let n = t.nodes.len();
    let starts: Vec<usize> = (0..n)
        .filter(|&i| kinds[i] == NodeKind::DataCenter)
        .collect();
    let mut seen = vec![false; n];
    let mut todo = starts.clone();
    while let Some(i) = todo.pop() {
        for e in t.edges.iter().filter(|e| e.from == t.nodes[i].name) {
            if let Some(&j) = index.get(e.to.as_str()) {
                if !seen[j] && !starts.contains(&j) {
                    seen[j] = true;
                    todo.push(j);
                }
            }
        }
    }
    seen
}

/// The frame round what the data centers run, with its label; the other entries of its
/// layers (boxes, lanes) that it would cover move past it (below it in landscape, right of it
/// in portrait), keeping their order and spacing.
fn frame(
    t: &Topology,
    kinds: &[NodeKind],
    placed: &mut [(Item, usize, Rect)],
    member: &dyn Fn(Item) -> bool,
    portrait: bool,
) -> Option<(Rect, String)> {
    let inside: Vec<Rect> = placed
        .iter()
        .filter(|(item, _, _)| matches!(item, Item::Node(_)) && member(*item))
        .map(|p| p.2)
        .collect();
    if inside.is_empty() {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for r in &inside {
        x0 = x0.min(r.x);
        y0 = y0.min(r.y);
        x1 = x1.max(r.x + r.w);
        y1 = y1.max(r.y + r.h);
    }
    let rect = Rect {
        x: (x0 - DC_MARGIN).max(0.0),
        y: (y0 - DC_LABEL_H + 4.0).max(0.0),
        w: x1 - x0 + 2.0 * DC_MARGIN,
        h: y1 - y0 + DC_LABEL_H - 4.0 + DC_MARGIN,
    };
    let across = |r: &Rect| if portrait { r.x } else { r.y };
    let depth = placed.iter().map(|p| p.1 + 1).max().unwrap_or(0);
    for l in 0..depth {
        // The first entry of this layer outside the stack that the frame covers.
        let Some(from) = placed
            .iter()
            .filter(|(item, layer, r)| *layer == l && !member(*item) && r.overlaps(&rect))
            .map(|p| across(&p.2))
            .min_by(f64::total_cmp)
        else {
            continue;
        };
        let past = if portrait {
            rect.x + rect.w + GAP_SIDE
        } else {
            rect.y + rect.h + GAP_SIDE
        };
        let by = (past - from).max(0.0);
        for (item, layer, r) in placed.iter_mut() {
            if *layer == l && !member(*item) && across(r) >= from {
                if portrait {
                    r.x += by;
                } else {
                    r.y += by;
                }
            }
        }
    }
    let names: Vec<&str> = t
        .nodes
        .iter()
        .zip(kinds)
        .filter(|(_, k)| **k == NodeKind::DataCenter)
        .map(|(node, _)| node.name.as_str())
        .collect();
    Some((
        rect,
        format!("Runs in each data center ({})", names.join(", ")),
    ))
}

/// Where a wire leaves a box (its side facing the flow).
fn port_out(r: &Rect, portrait: bool) -> (f64, f64) {
    if portrait {
        (r.x + r.w / 2.0, r.y + r.h)
    } else {
        (r.x + r.w, r.y + r.h / 2.0)
    }
}

/// Where a wire enters a box.
fn port_in(r: &Rect, portrait: bool) -> (f64, f64) {
    if portrait {
        (r.x + r.w / 2.0, r.y)
    } else {
        (r.x, r.y + r.h / 2.0)
    }
}

/// A straight wire between two boxes, from border to border on the line joining their centres.
fn straight_wire(a: &Rect, b: &Rect) -> Wire {
    let ca = (a.x + a.w / 2.0, a.y + a.h / 2.0);
    let cb = (b.x + b.w / 2.0, b.y + b.h / 2.0);
    let border = |r: &Rect, c: (f64, f64), towards: (f64, f64)| {
        let (dx, dy) = (towards.0 - c.0, towards.1 - c.1);
        let sx = if dx == 0.0 {
            f64::INFINITY
        } else {
            r.w / 2.0 / dx.abs()
        };
        let sy = if dy == 0.0 {
            f64::INFINITY
        } else {
            r.h / 2.0 / dy.abs()
        };
        let s = sx.min(sy).min(1.0);
        (c.0 + dx * s, c.1 + dy * s)
    };
    Wire {
        points: vec![border(a, ca, cb), border(b, cb, ca)],
        straight: true,
    }
}

impl Wire {
    /// The SVG path data: straight segments, or curves that leave and enter each point along
    /// the flow (horizontally in landscape, vertically in portrait).
    pub fn svg_path(&self, portrait: bool) -> String {
        let mut d = String::new();
        let Some(&(x0, y0)) = self.points.first() else {
            return d;
        };
        d.push_str(&format!("M{x0:.1},{y0:.1}"));
        for w in self.points.windows(2) {
            let ((ax, ay), (bx, by)) = (w[0], w[1]);
            if self.straight || ax == bx || ay == by {
                d.push_str(&format!(" L{bx:.1},{by:.1}"));
            } else {
                let [_, c1, c2, _] = curve(w[0], w[1], portrait);
                d.push_str(&format!(
                    " C{:.1},{:.1} {:.1},{:.1} {bx:.1},{by:.1}",
                    c1.0, c1.1, c2.0, c2.1
                ));
            }
        }
        d
    }

    /// Points along the drawn wire (each curve sampled), for measuring.
    pub fn samples(&self, portrait: bool) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        for w in self.points.windows(2) {
            let ((ax, ay), (bx, by)) = (w[0], w[1]);
            if self.straight || ax == bx || ay == by {
                out.push(w[0]);
                continue;
            }
            let [p0, p1, p2, p3] = curve(w[0], w[1], portrait);
            for s in 0..16 {
                let t = f64::from(s) / 16.0;
                let u = 1.0 - t;
                let b = |a: f64, b: f64, c: f64, d: f64| {
                    u * u * u * a + 3.0 * u * u * t * b + 3.0 * u * t * t * c + t * t * t * d
                };
                out.push((b(p0.0, p1.0, p2.0, p3.0), b(p0.1, p1.1, p2.1, p3.1)));
            }
        }
        if let Some(&last) = self.points.last() {
            out.push(last);
        }
        out
    }
}

/// A cubic from `a` to `b` leaving and arriving along the flow.
fn curve(a: (f64, f64), b: (f64, f64), portrait: bool) -> [(f64, f64); 4] {
    if portrait {
        let mid = (a.1 + b.1) / 2.0;
        [a, (a.0, mid), (b.0, mid), b]
    } else {
        let mid = (a.0 + b.0) / 2.0;
        [a, (mid, a.1), (mid, b.1), b]
    }
}

/// How tangled a drawing is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tangle {
    /// Pairs of wires that cross (wires sharing a node are not counted).
    pub wire_crossings: usize,
    /// Wires that pass under a box they do not join (counted once per box).
    pub wires_under_boxes: usize,
}

impl Tangle {
    /// Both counts together.
    pub fn total(&self) -> usize {
        self.wire_crossings + self.wires_under_boxes
    }
}

impl GraphLayout {
    /// How tangled the drawing is: its wires as drawn (curves sampled), crossing each other
    /// or passing under boxes.
    pub fn tangle(&self, t: &Topology) -> Tangle {
        let index = |name: &str| t.nodes.iter().position(|n| n.name == name);
        // (source, target, the wire's points as drawn)
        let drawn: Vec<(usize, usize, Polyline)> = t
            .edges
            .iter()
            .zip(&self.wires)
            .filter_map(|(e, w)| {
                Some((
                    index(&e.from)?,
                    index(&e.to)?,
                    w.as_ref()?.samples(self.portrait),
                ))
            })
            .collect();
        let mut tangle = Tangle::default();
        for (s, (a1, b1, p)) in drawn.iter().enumerate() {
            for (a2, b2, q) in &drawn[s + 1..] {
                let shared = [a1, b1].iter().any(|x| *x == a2 || *x == b2);
                if !shared && polylines_cross(p, q) {
                    tangle.wire_crossings += 1;
                }
            }
            for (i, r) in self.boxes.iter().enumerate() {
                if i == *a1 || i == *b1 {
                    continue;
                }
                // Inset a little: a wire grazing a box's edge is not under it.
                let inner = Rect {
                    x: r.x + 2.0,
                    y: r.y + 2.0,
                    w: r.w - 4.0,
                    h: r.h - 4.0,
                };
                if dense(p).any(|pt| inner.holds(pt)) {
                    tangle.wires_under_boxes += 1;
                }
            }
        }
        tangle
    }
}

/// Points joined by straight segments.
type Polyline = Vec<(f64, f64)>;

/// A polyline's points with more in between (at most 4 units apart).
fn dense(p: &[(f64, f64)]) -> impl Iterator<Item = (f64, f64)> + '_ {
    p.windows(2).flat_map(|w| {
        let ((ax, ay), (bx, by)) = (w[0], w[1]);
        let steps = (((bx - ax).hypot(by - ay)) / 4.0).ceil().max(1.0) as usize;
        (0..=steps).map(move |s| {
            let f = s as f64 / steps as f64;
            (ax + (bx - ax) * f, ay + (by - ay) * f)
        })
    })
}

/// Whether two polylines cross (a proper crossing of two of their segments).
fn polylines_cross(p: &[(f64, f64)], q: &[(f64, f64)]) -> bool {
    p.windows(2)
        .any(|s| q.windows(2).any(|r| segments_cross(s[0], s[1], r[0], r[1])))
}

fn segments_cross(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let side = |p: (f64, f64), q: (f64, f64), r: (f64, f64)| {
        (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0)
    };
    let (d1, d2) = (side(c, d, a), side(c, d, b));
    let (d3, d4) = (side(a, b, c), side(a, b, d));
    d1 * d2 < -1e-9 && d3 * d4 < -1e-9
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;
    use crate::scenario::topology::{Edge, Flow, Position};

    /// Boxes do not overlap, and every box, wire point and frame lies inside the drawing.
    fn assert_sound(t: &Topology, d: &GraphLayout) {
        for (i, a) in d.boxes.iter().enumerate() {
            assert!(a.x >= 0.0 && a.y >= 0.0, "{} at {a:?}", t.nodes[i].name);
            assert!(
                a.x + a.w <= d.width && a.y + a.h <= d.height,
                "{a:?} in {}x{}",
                d.width,
                d.height
            );
            for (j, b) in d.boxes.iter().enumerate().skip(i + 1) {
                assert!(
                    !a.overlaps(b),
                    "{} {a:?} overlaps {} {b:?}",
                    t.nodes[i].name,
                    t.nodes[j].name
                );
            }
        }
        for w in d.wires.iter().flatten() {
            for &(x, y) in &w.points {
                assert!(
                    x >= 0.0 && y >= 0.0 && x <= d.width && y <= d.height,
                    "wire at {x},{y}"
                );
            }
        }
    }

    /// The tangle of each preset's drawing with the layout this module replaced (columns by
    /// kind, wires as curves from box to box), measured with [`GraphLayout::tangle`] at
    /// b1f493c: (landscape, portrait) for stages 1 to 11.
    const TANGLE_BEFORE: [(usize, usize); 11] = [
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (1, 1),
        (1, 1),
        (1, 1),
        (4, 5),
        (4, 5),
        (1, 1),
        (1, 1),
    ];

    #[test]
    fn the_presets_are_less_tangled_than_with_columns_by_kind() {
        let mut before = 0;
        let mut now = 0;
        for stage in 1..=11u8 {
            let t = preset(stage).expect("preset").topology();
            for portrait in [false, true] {
                let d = layout(&t, portrait, &BTreeMap::new());
                assert_sound(&t, &d);
                let tangle = d.tangle(&t);
                eprintln!(
                    "stage {stage} portrait {portrait}: {tangle:?}, {} x {}",
                    d.width, d.height
                );
                let (l, p) = TANGLE_BEFORE[usize::from(stage) - 1];
                let was = if portrait { p } else { l };
                assert!(
                    tangle.total() <= was,
                    "stage {stage} portrait {portrait}: {tangle:?}, was {was}"
                );
                // No wire passes under a box (at stages 10–11 the database wires did).
                assert_eq!(
                    tangle.wires_under_boxes, 0,
                    "stage {stage} portrait {portrait}"
                );
                before += was;
                now += tangle.total();
            }
        }
        // 28 before, none now.
        assert_eq!(before, 28);
        assert_eq!(
            now, 0,
            "crossings and wires under boxes in the presets' drawings"
        );
    }

    /// The editor's body in a 1400-px-wide window (drawing and side panel), its side panel and
    /// the gap between them, in CSS px (styles/app.css `.editor-body`): the drawing's box is
    /// 932 px beside the panel (`view_w` of scripts/check-a11y.js's "editor drawing at fit",
    /// measured in Chromium on the built app), 1,244 px with the panel wrapped under it.
    const EDITOR_BODY_W_AT_1400_PX: f64 = 1246.0;
    const SIDE_PANEL_W: f64 = 300.0;
    const BODY_GAP: f64 = 12.0;
    /// The drawing box's border, both sides, in CSS px.
    const BOX_BORDER: f64 = 2.0;
    /// The drawing's smallest text at 100 %, and the least it may be shown at, in CSS px.
    const SMALLEST_TEXT_PX: f64 = 13.0;
    const READABLE_PX: f64 = 11.0;

    /// Every stage fits the editor's box at 1400 px with every text ≥ 11 px (no scrolling):
    /// a drawing whose smallest zoom needs more room than is left beside the side panel (the
    /// drawing's min-width in src/ui/editor/canvas.rs) puts the panel under it (stage 11).
    #[test]
    fn the_presets_fit_the_editor_readable_at_1400_px() {
        for stage in 1..=11u8 {
            let t = preset(stage).expect("preset").topology();
            let d = layout(&t, false, &BTreeMap::new());
            let min_w = (d.width * READABLE_PX / SMALLEST_TEXT_PX).ceil() + 1.0 + BOX_BORDER;
            let beside = EDITOR_BODY_W_AT_1400_PX - BODY_GAP - SIDE_PANEL_W;
            let wraps = min_w > beside;
            let view_w = if wraps {
                EDITOR_BODY_W_AT_1400_PX
            } else {
                beside
            } - BOX_BORDER;
            let px = SMALLEST_TEXT_PX * (view_w / d.width).min(1.0);
            println!(
                "stage {stage}: {} units in {view_w} px, {px:.2} px",
                d.width
            );
            assert!(px >= READABLE_PX, "stage {stage}: {px:.2} px");
            assert_eq!(wraps, stage == 11, "stage {stage}: the side panel wraps");
        }
    }

    #[test]
    fn chains_run_straight_and_wires_skip_layers_in_lanes() {
        let t = preset(5).expect("preset").topology();
        let d = layout(&t, false, &BTreeMap::new());
        let at = |name: &str| d.boxes[t.nodes.iter().position(|n| n.name == name).unwrap()];
        // users → dns → lb → web: one row, one layer apart.
        let (users, dns) = (at("users"), at("dns"));
        assert_eq!(users.y + users.h / 2.0, dns.y + dns.h / 2.0);
        assert_eq!(dns.x - users.x, W + GAP_LAYER);
        // A wire over a layer has a lane there: two waypoints in the layer it passes.
        let long = t
            .edges
            .iter()
            .zip(&d.wires)
            .find(|(e, _)| {
                let (a, b) = (at(&e.from), at(&e.to));
                b.x - a.x > W + GAP_LAYER
            })
            .expect("stage 5 has a wire over a layer");
        assert_eq!(
            long.1.as_ref().unwrap().points.len(),
            4,
            "{}→{}",
            long.0.from,
            long.0.to
        );
    }

    #[test]
    fn open_groups_are_taller_and_push_their_layer_along() {
        let t = preset(10).expect("preset").topology();
        let open: BTreeMap<String, usize> = t
            .nodes
            .iter()
            .filter(|n| is_group(n.spec.kind()))
            .map(|n| (n.name.clone(), 16))
            .collect();
        assert!(open.len() >= 3);
        for portrait in [false, true] {
            let d = layout(&t, portrait, &open);
            assert_sound(&t, &d);
            for (n, r) in t.nodes.iter().zip(&d.boxes) {
                if open.contains_key(&n.name) {
                    assert_eq!(r.h, H + 16.0 * MEMBER_ROW_H);
                }
            }
        }
    }

    #[test]
    fn a_moved_node_stays_put_and_its_wires_go_straight() {
        let mut t = preset(3).expect("preset").topology();
        t.positions.insert("lb".into(), Position { x: 40, y: 400 });
        let d = layout(&t, false, &BTreeMap::new());
        let lb = t.nodes.iter().position(|n| n.name == "lb").unwrap();
        assert_eq!((d.boxes[lb].x, d.boxes[lb].y), (40.0, 400.0));
        for (e, w) in t.edges.iter().zip(&d.wires) {
            let w = w.as_ref().unwrap();
            assert_eq!(
                w.straight,
                e.from == "lb" || e.to == "lb",
                "{}→{}",
                e.from,
                e.to
            );
        }
        assert!(d.height >= 400.0 + H);
    }

    #[test]
    fn a_cycle_or_a_wire_to_nowhere_is_still_drawn() {
        let mut t = preset(4).expect("preset").topology();
        t.edges.push(Edge {
            from: "db".into(),
            to: "users".into(),
            flows: vec![Flow::PageView],
        });
        t.edges.push(Edge {
            from: "db".into(),
            to: "nowhere".into(),
            flows: vec![Flow::PageView],
        });
        let d = layout(&t, false, &BTreeMap::new());
        assert_sound(&t, &d);
        assert!(d.wires[d.wires.len() - 2]
            .as_ref()
            .is_some_and(|w| w.straight));
        assert!(d.wires[d.wires.len() - 1].is_none());
    }

    #[test]
    fn the_data_centers_frame_holds_their_stack_and_nothing_else() {
        let t = preset(11).expect("preset").topology();
        for portrait in [false, true] {
            let d = layout(&t, portrait, &BTreeMap::new());
            let (frame, label) = d.data_centers.clone().expect("a frame");
            assert!(label.starts_with("Runs in each data center ("));
            for (n, r) in t.nodes.iter().zip(&d.boxes) {
                let kind = n.spec.kind();
                let inside = r.x >= frame.x
                    && r.y >= frame.y
                    && r.x + r.w <= frame.x + frame.w
                    && r.y + r.h <= frame.y + frame.h;
                match kind {
                    NodeKind::LoadBalancer | NodeKind::WebPool | NodeKind::Database => {
                        assert!(inside, "{} in the frame", n.name)
                    }
                    NodeKind::Users
                    | NodeKind::GeoDns
                    | NodeKind::DataCenter
                    | NodeKind::Autoscaler
                    | NodeKind::Monitor => {
                        assert!(!r.overlaps(&frame), "{} off the frame", n.name)
                    }
                    _ => {}
                }
            }
        }
    }
}
