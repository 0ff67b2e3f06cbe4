//! Topology → diagram geometry, pure (no browser types), so it is tested natively.
//!
//! Components are placed in columns by kind, left to right in the order a request meets them,
//! and in one of three bands: the main band carries the request path; the top band holds the
//! services consulted on the side (DNS, the session store, the job queue and its workers); the
//! bottom band holds the caches that sit beside the path (the CDN edge, the cache nodes).
//! Nodes of one main-band column stack vertically; many web servers become a grid of compact
//! tiles in a frame. Columns without nodes take no room.
//!
//! ```text
//!              ┌─────┐          ┌──────────┐  ┌───────┐ ┌─────────┐
//!              │ DNS │          │ sessions │  │ queue │▶│ workers │   top band
//!              └──▲──┘          └────▲─────┘  └───▲───┘ └─────────┘
//!   ┌───────┐     │     ┌────┐  ┌────┴─────┐      │     ┌────────┐
//!   │ Users ├─────┴────▶│ lb │─▶│ web tier │──────┴────▶│ db-0…  │   main band
//!   └───┬───┘           └─▲──┘  └────┬─────┘            └───▲────┘
//!       │    ┌─────┐      │          │   ┌─────────┬─────────┐│
//!       └───▶│ CDN │──────┘          └──▶│ cache-0 │ cache-1 │┘     bottom band
//!            └─────┘                     └─────────┴─────────┘
//! ```
//!
//! Coordinates are abstract units (an SVG `viewBox`); node positions are centres.

use crate::sim::{ComponentId, ComponentInfo, ComponentKind};

/// Gap between the boxes of two neighbouring columns (room for the arrows), in diagram units.
const COLUMN_GAP: f64 = 94.0;
/// Vertical distance between the centres of two nodes stacked in one column, in diagram units.
const ROW_PITCH: f64 = 120.0;
/// Empty space around the drawing, in diagram units.
const MARGIN: f64 = 28.0;
/// Gap between the boxes of neighbouring rows in portrait, in diagram units.
const PORTRAIT_ROW_GAP: f64 = 76.0;
/// Gap between the main band and a side band, in diagram units.
const BAND_GAP: f64 = 16.0;
/// Gap between side-by-side nodes of a side band, in diagram units.
const SIDE_GAP: f64 = 20.0;
/// Size of an ordinary node, in diagram units.
const NODE_W: f64 = 176.0;
const NODE_H: f64 = 84.0;
/// Height of the users node, in diagram units.
const USERS_H: f64 = 100.0;
/// Size of a compact web-server tile, in diagram units.
const TILE_W: f64 = 100.0;
const TILE_H: f64 = 40.0;
/// Gap between compact tiles, in diagram units.
const TILE_GAP: f64 = 8.0;
/// Padding between a group's frame and its tiles (the top one holds the label).
const GROUP_PAD: f64 = 10.0;
const GROUP_LABEL: f64 = 22.0;
/// More web servers than this are drawn as compact tiles.
const COMPACT_ABOVE: usize = 4;
/// Rows of compact tiles per sub-column.
const TILE_ROWS: usize = 8;
/// Space left between an arrow's ends and the boxes it joins, in diagram units.
const EDGE_GAP: f64 = 6.0;
/// Room beyond the database column for the replication arcs (master → replicas), in diagram
/// units. Only reserved when there are replicas.
const REPLICATION_GUTTER: f64 = 70.0;
/// How far a replication arc bulges out of the database column, in diagram units.
const REPLICATION_BULGE: f64 = 52.0;

/// The geometry of a whole diagram.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagram {
    /// Total width, in diagram units.
    pub width: f64,
    /// Total height, in diagram units.
    pub height: f64,
    /// One node per component, in the order of the components given.
    pub nodes: Vec<DiagramNode>,
    /// Which component sends requests to which.
    pub edges: Vec<DiagramEdge>,
    /// The arrows to draw (an edge from a grouped tile is drawn once, from its group).
    pub lines: Vec<DiagramLine>,
    /// Frames around groups of compact tiles (a large web tier).
    pub groups: Vec<DiagramGroup>,
    /// Which way requests flow across the drawing.
    pub orientation: Orientation,
    /// Stage 11's region view (regions, routes, data centers drawn as one box each); `None`
    /// for the other stages.
    pub geo: Option<crate::layout_geo::GeoView>,
}

/// One component drawn as a box.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagramNode {
    /// The component drawn.
    pub component: ComponentId,
    /// The component's name (`users`, `dns`, `web-0`).
    pub label: String,
    /// What the component is.
    pub kind: ComponentKind,
    /// Centre, in diagram units.
    pub x: f64,
    /// Centre, in diagram units.
    pub y: f64,
    /// Width, in diagram units.
    pub w: f64,
    /// Height, in diagram units.
    pub h: f64,
    /// Whether it is a small tile of a group (name and load bar only).
    pub compact: bool,
}

/// An arrow from one component to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiagramEdge {
    /// Where requests come from.
    pub from: ComponentId,
    /// Where they go.
    pub to: ComponentId,
}

/// A straight arrow to draw, in diagram units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DiagramLine {
    /// Start (just outside the source box).
    pub from: (f64, f64),
    /// End (just outside the target box).
    pub to: (f64, f64),
}

/// A labelled frame around compact tiles of one kind.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagramGroup {
    /// What the tiles are.
    pub kind: ComponentKind,
    /// The caption (`web tier · 12 servers`).
    pub label: String,
    /// Centre, in diagram units.
    pub x: f64,
    /// Centre, in diagram units.
    pub y: f64,
    /// Width, in diagram units.
    pub w: f64,
    /// Height, in diagram units.
    pub h: f64,
}

/// Which band a kind of component lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Band {
    /// Side services consulted on the way (DNS, sessions, queue), drawn above the path.
    Top,
    /// The request path itself.
    Main,
    /// Caches beside the path (CDN edge, cache nodes), drawn below it.
    Bottom,
}

/// Where a kind of component goes: its column and band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    column: usize,
    band: Band,
}

/// The slot of each kind; the rest of the layout follows.
fn slot(kind: ComponentKind) -> Slot {
    let (column, band) = match kind {
        ComponentKind::Users => (0, Band::Main),
        ComponentKind::Dns => (2, Band::Top),
        ComponentKind::Cdn => (1, Band::Bottom),
        ComponentKind::LoadBalancer => (2, Band::Main),
        ComponentKind::Server => (3, Band::Main),
        ComponentKind::SessionStore => (3, Band::Top),
        ComponentKind::Cache => (4, Band::Bottom),
        ComponentKind::Queue => (4, Band::Top),
        ComponentKind::Workers => (5, Band::Top),
        ComponentKind::Database => (5, Band::Main),
        ComponentKind::NoSql => (5, Band::Bottom),
        // Data centers are laid out by `layout_geo`, each around its own stack; in a single
        // stack one would get a column of its own at the end.
        ComponentKind::DataCenter => (6, Band::Main),
    };
    Slot { column, band }
}

impl DiagramNode {
    /// Whether two nodes' boxes intersect.
    pub fn overlaps(&self, other: &DiagramNode) -> bool {
        (self.x - other.x).abs() * 2.0 < self.w + other.w
            && (self.y - other.y).abs() * 2.0 < self.h + other.h
    }
}

impl Diagram {
    /// The centre of a component's node, if it is drawn.
    pub fn node_centre(&self, id: ComponentId) -> Option<(f64, f64)> {
        self.node(id).map(|n| (n.x, n.y))
    }

    /// A component's node, if it is drawn.
    pub fn node(&self, id: ComponentId) -> Option<&DiagramNode> {
        self.nodes.iter().find(|n| n.component == id)
    }

    /// The node a component is drawn as: its own, or in the region view the box of the data
    /// center whose stack it belongs to.
    pub fn drawn_as(&self, id: ComponentId) -> Option<ComponentId> {
        if self.node(id).is_some() {
            return Some(id);
        }
        self.geo
            .as_ref()
            .and_then(|g| g.data_center_of(id))
            .map(|dc| dc.component)
    }

    /// Where an arrow between two components starts and ends: on the line joining the centres,
    /// just outside each box.
    pub fn edge_ends(
        &self,
        from: ComponentId,
        to: ComponentId,
    ) -> Option<((f64, f64), (f64, f64))> {
        if let Some(line) = self.geo.as_ref().and_then(|g| g.line(self, from, to)) {
            return Some(line);
        }
        let (a, b) = (self.node(from)?, self.node(to)?);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        Some((
            border_towards((a.x, a.y), (a.w, a.h), dx, dy),
            border_towards((b.x, b.y), (b.w, b.h), -dx, -dy),
        ))
    }

    /// The replication arc from a master to a replica of the same column: a cubic Bézier
    /// (start, control 1, control 2, end) that leaves the master's far side (right in landscape,
    /// bottom in portrait), bulges into the gutter and enters the replica's far side, so it never
    /// crosses the boxes in between.
    pub fn replication_arc(
        &self,
        master: ComponentId,
        replica: ComponentId,
    ) -> Option<[(f64, f64); 4]> {
        let (a, b) = (self.node(master)?, self.node(replica)?);
        let far = |n: &DiagramNode| match self.orientation {
            Orientation::Landscape => (n.x + n.w / 2.0 + EDGE_GAP, n.y),
            Orientation::Portrait => (n.x, n.y + n.h / 2.0 + EDGE_GAP),
        };
        let out = |(x, y): (f64, f64)| match self.orientation {
            Orientation::Landscape => (x + REPLICATION_BULGE, y),
            Orientation::Portrait => (x, y + REPLICATION_BULGE),
        };
        let (start, end) = (far(a), far(b));
        Some([start, out(start), out(end), end])
    }
}

/// The point just outside a box (centre, size) in direction (dx, dy) from its centre.
pub(crate) fn border_towards(centre: (f64, f64), size: (f64, f64), dx: f64, dy: f64) -> (f64, f64) {
    let (hx, hy) = (size.0 / 2.0 + EDGE_GAP, size.1 / 2.0 + EDGE_GAP);
    let tx = if dx.abs() > f64::EPSILON {
        hx / dx.abs()
    } else {
        f64::INFINITY
    };
    let ty = if dy.abs() > f64::EPSILON {
        hy / dy.abs()
    } else {
        f64::INFINITY
    };
    let t = tx.min(ty);
    if t.is_finite() {
        (centre.0 + dx * t, centre.1 + dy * t)
    } else {
        centre
    }
}

/// Which way requests flow across the drawing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Orientation {
    /// Left to right, side services above (wide screens).
    #[default]
    Landscape,
    /// Top to bottom, side services on the left (narrow screens).
    Portrait,
}

impl Orientation {
    /// Gap between neighbouring columns, along the flow.
    fn column_gap(self) -> f64 {
        match self {
            Orientation::Landscape => COLUMN_GAP,
            Orientation::Portrait => PORTRAIT_ROW_GAP,
        }
    }

    /// Distance between the centres of full-size nodes stacked in one column (across the flow).
    fn across_pitch(self) -> f64 {
        match self {
            Orientation::Landscape => ROW_PITCH,
            Orientation::Portrait => NODE_W + SIDE_GAP,
        }
    }

    /// A size given as (width, height) as (along the flow, across it).
    fn extents(self, w: f64, h: f64) -> (f64, f64) {
        match self {
            Orientation::Landscape => (w, h),
            Orientation::Portrait => (h, w),
        }
    }

    /// Drawing coordinates of a point given along and across the flow.
    fn point(self, along: f64, across: f64) -> (f64, f64) {
        match self {
            Orientation::Landscape => (along, across),
            Orientation::Portrait => (across, along),
        }
    }
}

/// The size (width, height) of a full node of a kind.
fn node_size(kind: ComponentKind) -> (f64, f64) {
    if kind == ComponentKind::Users {
        (NODE_W, USERS_H)
    } else {
        (NODE_W, NODE_H)
    }
}

/// How the nodes of one main-band column are arranged: full nodes stacked across the flow, or
/// compact tiles in `sub_columns` (along the flow) of `rows` (across it) inside a frame.
#[derive(Clone, Copy, Debug)]
struct Stack {
    count: usize,
    compact: bool,
    sub_columns: usize,
    rows: usize,
}

impl Stack {
    fn new(count: usize, kind: Option<ComponentKind>) -> Stack {
        let compact = kind == Some(ComponentKind::Server) && count > COMPACT_ABOVE;
        if !compact {
            return Stack {
                count,
                compact,
                sub_columns: 1,
                rows: count,
            };
        }
        let sub_columns = count.div_ceil(TILE_ROWS);
        Stack {
            count,
            compact,
            sub_columns,
            rows: count.div_ceil(sub_columns),
        }
    }

    /// (along, across) extent of the whole stack, frame included.
    fn extent(&self, o: Orientation, kind: ComponentKind) -> (f64, f64) {
        if self.count == 0 {
            return (0.0, 0.0);
        }
        if !self.compact {
            let (w, h) = node_size(kind);
            let (along, across) = o.extents(w, h);
            return (along, (self.count - 1) as f64 * o.across_pitch() + across);
        }
        let (along, across) = o.extents(TILE_W, TILE_H);
        let (pad_along, pad_across) = o.extents(2.0 * GROUP_PAD, GROUP_PAD + GROUP_LABEL);
        (
            self.sub_columns as f64 * (along + TILE_GAP) - TILE_GAP + pad_along,
            self.rows as f64 * (across + TILE_GAP) - TILE_GAP + pad_across,
        )
    }

    /// (along, across) offset of item `i` from the stack's centre.
    fn offset(&self, i: usize, o: Orientation) -> (f64, f64) {
        if !self.compact {
            let across = (i as f64 - (self.count as f64 - 1.0) / 2.0) * o.across_pitch();
            return (0.0, across);
        }
        let (along, across) = o.extents(TILE_W, TILE_H);
        let (col, row) = (i / self.rows, i % self.rows);
        let a = (col as f64 - (self.sub_columns as f64 - 1.0) / 2.0) * (along + TILE_GAP);
        let c = (row as f64 - (self.rows as f64 - 1.0) / 2.0) * (across + TILE_GAP);
        // The frame's label sits at its top: the tiles move down by half its room.
        let shift = (GROUP_LABEL - GROUP_PAD) / 2.0;
        match o {
            Orientation::Landscape => (a, c + shift),
            Orientation::Portrait => (a + shift, c),
        }
    }
}

/// Lays out the components of a topology, left to right.
pub fn diagram(components: &[ComponentInfo]) -> Diagram {
    diagram_oriented(components, Orientation::Landscape)
}

/// Lays out the components of a topology in the given orientation.
pub fn diagram_oriented(components: &[ComponentInfo], orientation: Orientation) -> Diagram {
    let o = orientation;
    let slots: Vec<Slot> = components.iter().map(|c| slot(c.kind)).collect();
    // Columns that hold something, in order; empty ones take no room.
    let mut used: Vec<usize> = slots.iter().map(|s| s.column).collect();
    used.sort_unstable();
    used.dedup();
    let members = |column: usize, band: Band| -> Vec<usize> {
        (0..components.len())
            .filter(|&i| slots[i].column == column && slots[i].band == band)
            .collect()
    };
    let stacks: Vec<Stack> = used
        .iter()
        .map(|&col| {
            let m = members(col, Band::Main);
            Stack::new(m.len(), m.first().map(|&i| components[i].kind))
        })
        .collect();
    let main_kind = |k: usize| {
        members(used[k], Band::Main)
            .first()
            .map_or(ComponentKind::Server, |&i| components[i].kind)
    };
    let (node_along, node_across) = o.extents(NODE_W, NODE_H);
    let side_run = |n: usize| {
        if n == 0 {
            0.0
        } else {
            n as f64 * (node_along + SIDE_GAP) - SIDE_GAP
        }
    };
    // Along-the-flow extent of each used column: its main stack or its top run. The bottom
    // band (caches) may reach under the neighbouring columns; it only needs its own column when
    // it is the only thing there.
    let widths: Vec<f64> = used
        .iter()
        .enumerate()
        .map(|(k, &col)| {
            let main = stacks[k].extent(o, main_kind(k)).0;
            let top = side_run(members(col, Band::Top).len());
            let bottom = side_run(members(col, Band::Bottom).len());
            let neighbours = k > 0 && k + 1 < used.len();
            if main > 0.0 || top > 0.0 || !neighbours {
                main.max(top).max(if neighbours { 0.0 } else { bottom })
            } else {
                0.0
            }
        })
        .collect();
    let main_span = (0..used.len())
        .map(|k| stacks[k].extent(o, main_kind(k)).1)
        .fold(node_across, f64::max);
    let has = |band: Band| slots.iter().any(|s| s.band == band);
    let top_span = if has(Band::Top) {
        node_across + BAND_GAP
    } else {
        0.0
    };
    let bottom_span = if has(Band::Bottom) {
        node_across + BAND_GAP
    } else {
        0.0
    };
    let databases = components
        .iter()
        .filter(|c| c.kind == ComponentKind::Database)
        .count();
    let gutter = if databases > 1 {
        REPLICATION_GUTTER
    } else {
        0.0
    };
    // Column centres along the flow.
    let mut centres = Vec::with_capacity(used.len());
    let mut along = MARGIN;
    for (k, w) in widths.iter().enumerate() {
        if k > 0 {
            along += o.column_gap();
        }
        centres.push(along + w / 2.0);
        along += w;
    }
    // Bottom runs wider than their column must still fit in the drawing.
    let bottom_reach = used
        .iter()
        .enumerate()
        .map(|(k, &col)| centres[k] + side_run(members(col, Band::Bottom).len()) / 2.0)
        .fold(0.0, f64::max);
    let length = (along + gutter).max(bottom_reach) + MARGIN;
    let breadth = 2.0 * MARGIN + top_span + main_span + bottom_span;
    let main_centre = MARGIN + top_span + main_span / 2.0;
    let top_centre = MARGIN + node_across / 2.0;
    let bottom_centre = MARGIN + top_span + main_span + BAND_GAP + node_across / 2.0;

    let column_index = |col: usize| used.iter().position(|&c| c == col).unwrap_or(0);
    let mut placed = vec![[0usize; 3]; used.len()];
    let mut groups = Vec::new();
    let mut nodes = Vec::with_capacity(components.len());
    for (c, s) in components.iter().zip(&slots) {
        let k = column_index(s.column);
        let band_index = match s.band {
            Band::Top => 0,
            Band::Main => 1,
            Band::Bottom => 2,
        };
        let i = placed[k][band_index];
        placed[k][band_index] += 1;
        let (along, across, compact) = match s.band {
            Band::Main => {
                let (da, dc) = stacks[k].offset(i, o);
                (centres[k] + da, main_centre + dc, stacks[k].compact)
            }
            side => {
                let n = members(s.column, side).len();
                let offset = (i as f64 - (n as f64 - 1.0) / 2.0) * (node_along + SIDE_GAP);
                let across = if side == Band::Top {
                    top_centre
                } else {
                    bottom_centre
                };
                (centres[k] + offset, across, false)
            }
        };
        let (x, y) = o.point(along, across);
        let (w, h) = if compact {
            (TILE_W, TILE_H)
        } else {
            node_size(c.kind)
        };
        nodes.push(DiagramNode {
            component: c.id,
            label: c.name.clone(),
            kind: c.kind,
            x,
            y,
            w,
            h,
            compact,
        });
    }
    for (k, stack) in stacks.iter().enumerate() {
        if stack.compact {
            let (along, across) = stack.extent(o, ComponentKind::Server);
            let (x, y) = o.point(centres[k], main_centre);
            let (w, h) = match o {
                Orientation::Landscape => (along, across),
                Orientation::Portrait => (across, along),
            };
            groups.push(DiagramGroup {
                kind: ComponentKind::Server,
                label: format!("web tier · {} servers", stack.count),
                x,
                y,
                w,
                h,
            });
        }
    }

    let (width, height) = o.point(length, breadth);
    let mut d = Diagram {
        width,
        height,
        nodes,
        edges: edges(components),
        lines: Vec::new(),
        groups,
        orientation,
        geo: None,
    };
    d.lines = lines(&d);
    d
}

/// Who sends requests to whom, by kind:
///
/// users → DNS, users → CDN → front door, users → front door (the balancer, else the servers),
/// balancer → servers, servers → session store, caches, databases and the queue,
/// caches → databases (misses), servers → NoSQL nodes, queue → workers.
fn edges(components: &[ComponentInfo]) -> Vec<DiagramEdge> {
    let of = |kind: ComponentKind| {
        components
            .iter()
            .filter(move |c| c.kind == kind)
            .map(|c| c.id)
    };
    let mut edges = Vec::new();
    let mut link = |from: &[ComponentId], to: &[ComponentId]| {
        for &f in from {
            for &t in to {
                edges.push(DiagramEdge { from: f, to: t });
            }
        }
    };
    let users: Vec<_> = of(ComponentKind::Users).collect();
    let balancers: Vec<_> = of(ComponentKind::LoadBalancer).collect();
    let servers: Vec<_> = of(ComponentKind::Server).collect();
    let front = if balancers.is_empty() {
        servers.clone()
    } else {
        balancers.clone()
    };
    let cdn: Vec<_> = of(ComponentKind::Cdn).collect();
    let caches: Vec<_> = of(ComponentKind::Cache).collect();
    let databases: Vec<_> = of(ComponentKind::Database).collect();
    let queue: Vec<_> = of(ComponentKind::Queue).collect();
    link(&users, &of(ComponentKind::Dns).collect::<Vec<_>>());
    link(&users, &cdn);
    link(&cdn, &front);
    link(&users, &front);
    link(&balancers, &servers);
    link(
        &servers,
        &of(ComponentKind::SessionStore).collect::<Vec<_>>(),
    );
    link(&servers, &caches);
    link(&caches, &databases);
    link(&servers, &databases);
    link(&servers, &of(ComponentKind::NoSql).collect::<Vec<_>>());
    link(&servers, &queue);
    link(&queue, &of(ComponentKind::Workers).collect::<Vec<_>>());
    edges
}

/// The arrows to draw: one per edge, except that edges leaving grouped tiles are drawn once per
/// target, from the group's frame.
fn lines(d: &Diagram) -> Vec<DiagramLine> {
    let mut lines = Vec::with_capacity(d.edges.len());
    let mut from_group: Vec<ComponentId> = Vec::new();
    for e in &d.edges {
        let (Some(a), Some(b)) = (d.node(e.from), d.node(e.to)) else {
            continue;
        };
        let group = d.groups.iter().find(|g| g.kind == a.kind);
        match group {
            Some(g) if a.compact && !b.compact => {
                if from_group.contains(&e.to) {
                    continue;
                }
                from_group.push(e.to);
                let (dx, dy) = (b.x - g.x, b.y - g.y);
                lines.push(DiagramLine {
                    from: border_towards((g.x, g.y), (g.w, g.h), dx, dy),
                    to: border_towards((b.x, b.y), (b.w, b.h), -dx, -dy),
                });
            }
            _ => {
                if let Some((from, to)) = d.edge_ends(e.from, e.to) {
                    lines.push(DiagramLine { from, to });
                }
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: u16, name: &str, kind: ComponentKind) -> ComponentInfo {
        ComponentInfo {
            id: ComponentId(id),
            name: name.to_string(),
            kind,
        }
    }

    fn stage1() -> Vec<ComponentInfo> {
        vec![
            info(0, "users", ComponentKind::Users),
            info(1, "dns", ComponentKind::Dns),
            info(2, "web-0", ComponentKind::Server),
        ]
    }

    /// Every component has a node, no two nodes overlap, all lie inside the drawing.
    fn assert_sound(components: &[ComponentInfo], d: &Diagram) {
        assert_eq!(d.nodes.len(), components.len());
        for c in components {
            let node = d.node(c.id).expect("every component gets a node");
            assert_eq!(node.label, c.name);
            assert_eq!(node.kind, c.kind);
        }
        for (i, a) in d.nodes.iter().enumerate() {
            assert!(
                a.x - a.w / 2.0 >= 0.0 && a.x + a.w / 2.0 <= d.width,
                "{a:?}"
            );
            assert!(
                a.y - a.h / 2.0 >= 0.0 && a.y + a.h / 2.0 <= d.height,
                "{a:?}"
            );
            for b in &d.nodes[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
        for e in &d.edges {
            assert!(d.node_centre(e.from).is_some() && d.node_centre(e.to).is_some());
        }
    }

    #[test]
    fn stage1_places_users_left_dns_above_and_server_right() {
        let components = stage1();
        let d = diagram(&components);
        assert_sound(&components, &d);
        let (ux, uy) = d.node_centre(ComponentId(0)).unwrap();
        let (dx, dy) = d.node_centre(ComponentId(1)).unwrap();
        let (sx, sy) = d.node_centre(ComponentId(2)).unwrap();
        assert!(ux < dx && dx < sx);
        assert!(dy < uy);
        assert_eq!(uy, sy);
    }

    #[test]
    fn stage1_edges_go_from_users_to_dns_and_server() {
        let d = diagram(&stage1());
        let edge = |from, to| DiagramEdge {
            from: ComponentId(from),
            to: ComponentId(to),
        };
        assert_eq!(d.edges, vec![edge(0, 1), edge(0, 2)]);
    }

    #[test]
    fn stacked_servers_and_side_by_side_dns_do_not_overlap() {
        let mut components = stage1();
        for i in 1..6u16 {
            components.push(info(2 + i, &format!("web-{i}"), ComponentKind::Server));
        }
        components.push(info(9, "dns-2", ComponentKind::Dns));
        components.push(info(10, "dns-3", ComponentKind::Dns));
        let d = diagram(&components);
        assert_sound(&components, &d);
        // Users feed every server.
        let from_users = d.edges.iter().filter(|e| e.from == ComponentId(0)).count();
        assert_eq!(from_users, 3 + 6);
    }

    #[test]
    fn portrait_puts_users_on_top_dns_aside_and_server_below() {
        let components = stage1();
        let d = diagram_oriented(&components, Orientation::Portrait);
        assert_sound(&components, &d);
        let (ux, uy) = d.node_centre(ComponentId(0)).unwrap();
        let (dx, dy) = d.node_centre(ComponentId(1)).unwrap();
        let (sx, sy) = d.node_centre(ComponentId(2)).unwrap();
        assert!(uy < dy && dy < sy);
        assert!(dx < ux);
        assert_eq!(ux, sx);
        assert!(d.width < d.height, "portrait is taller than wide");
    }

    #[test]
    fn portrait_stacks_do_not_overlap() {
        let mut components = stage1();
        for i in 1..4u16 {
            components.push(info(2 + i, &format!("web-{i}"), ComponentKind::Server));
        }
        components.push(info(9, "dns-2", ComponentKind::Dns));
        let d = diagram_oriented(&components, Orientation::Portrait);
        assert_sound(&components, &d);
    }

    #[test]
    fn edge_ends_lie_just_outside_both_boxes() {
        let d = diagram(&stage1());
        for e in &d.edges {
            let (start, end) = d.edge_ends(e.from, e.to).unwrap();
            let (a, b) = (d.node(e.from).unwrap(), d.node(e.to).unwrap());
            let inside = |n: &DiagramNode, (x, y): (f64, f64)| {
                (x - n.x).abs() * 2.0 < n.w && (y - n.y).abs() * 2.0 < n.h
            };
            assert!(!inside(a, start) && !inside(b, start));
            assert!(!inside(a, end) && !inside(b, end));
            let near = |n: &DiagramNode, (x, y): (f64, f64)| {
                (x - n.x).abs() * 2.0 <= n.w + 2.0 * EDGE_GAP + 1e-9
                    && (y - n.y).abs() * 2.0 <= n.h + 2.0 * EDGE_GAP + 1e-9
            };
            assert!(near(a, start) && near(b, end));
        }
    }

    #[test]
    fn tiers_go_left_to_right_and_feed_each_other() {
        let components = vec![
            info(0, "users", ComponentKind::Users),
            info(1, "dns", ComponentKind::Dns),
            info(2, "lb", ComponentKind::LoadBalancer),
            info(3, "web-0", ComponentKind::Server),
            info(4, "web-1", ComponentKind::Server),
            info(5, "db-0", ComponentKind::Database),
            info(6, "db-1", ComponentKind::Database),
        ];
        for orientation in [Orientation::Landscape, Orientation::Portrait] {
            let d = diagram_oriented(&components, orientation);
            assert_sound(&components, &d);
        }
        let d = diagram(&components);
        let x = |id| d.node_centre(ComponentId(id)).unwrap().0;
        assert!(x(0) < x(2) && x(2) < x(3) && x(3) < x(5));
        let has = |from, to| {
            d.edges.contains(&DiagramEdge {
                from: ComponentId(from),
                to: ComponentId(to),
            })
        };
        assert!(has(0, 1) && has(0, 2) && has(2, 3) && has(2, 4));
        assert!(has(3, 5) && has(3, 6) && has(4, 5) && has(4, 6));
        assert!(
            !has(0, 3),
            "users reach the servers only through the balancer"
        );
    }

    #[test]
    fn replication_arcs_stay_outside_the_boxes_and_inside_the_drawing() {
        let components = vec![
            info(0, "users", ComponentKind::Users),
            info(1, "dns", ComponentKind::Dns),
            info(2, "web-0", ComponentKind::Server),
            info(3, "db-0", ComponentKind::Database),
            info(4, "db-1", ComponentKind::Database),
            info(5, "db-2", ComponentKind::Database),
        ];
        for orientation in [Orientation::Landscape, Orientation::Portrait] {
            let d = diagram_oriented(&components, orientation);
            assert_sound(&components, &d);
            let arc = d
                .replication_arc(ComponentId(3), ComponentId(5))
                .expect("both nodes are drawn");
            for (x, y) in arc {
                assert!(x >= 0.0 && x <= d.width && y >= 0.0 && y <= d.height);
                for n in &d.nodes {
                    let inside = (x - n.x).abs() * 2.0 < n.w && (y - n.y).abs() * 2.0 < n.h;
                    assert!(!inside, "{orientation:?}: ({x}, {y}) inside {}", n.label);
                }
            }
        }
    }

    #[test]
    fn stages_5_to_8_place_every_component_without_overlap() {
        for stage in 5..=8 {
            let scenario = crate::scenario::preset(stage).expect("preset");
            let sim = crate::sim::Sim::new(&scenario).expect("valid preset");
            let components = sim.components();
            for orientation in [Orientation::Landscape, Orientation::Portrait] {
                let d = diagram_oriented(components, orientation);
                assert_sound(components, &d);
                assert!(!d.lines.is_empty());
            }
            let d = diagram(components);
            let x = |kind| {
                d.nodes
                    .iter()
                    .find(|n| n.kind == kind)
                    .map(|n| n.x)
                    .unwrap()
            };
            let users = x(ComponentKind::Users);
            let lb = x(ComponentKind::LoadBalancer);
            let web = x(ComponentKind::Server);
            let db = x(ComponentKind::Database);
            // The cache row, taken as a whole, sits between the web tier and the databases.
            let caches: Vec<f64> = d
                .nodes
                .iter()
                .filter(|n| n.kind == ComponentKind::Cache)
                .map(|n| n.x)
                .collect();
            let cache = caches.iter().sum::<f64>() / caches.len() as f64;
            assert!(
                users < lb && lb < web && web < cache && cache < db,
                "stage {stage}"
            );
            if stage >= 6 {
                let cdn = x(ComponentKind::Cdn);
                assert!(
                    users < cdn && cdn < lb,
                    "the CDN sits between users and the balancer"
                );
            }
            // Many web servers: compact tiles inside one frame, one arrow per target.
            let servers = d.nodes.iter().filter(|n| n.kind == ComponentKind::Server);
            assert!(servers.clone().all(|n| n.compact));
            let g = &d.groups[0];
            for n in servers {
                assert!((n.x - g.x).abs() * 2.0 <= g.w && (n.y - g.y).abs() * 2.0 <= g.h);
            }
            assert!(d.lines.len() < d.edges.len());
        }
    }

    #[test]
    fn empty_topology_gives_an_empty_but_valid_diagram() {
        let d = diagram(&[]);
        assert!(d.nodes.is_empty() && d.edges.is_empty());
        assert!(d.width > 0.0 && d.height > 0.0);
    }
}
