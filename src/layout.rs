//! Topology → diagram geometry, pure (no browser types), so it is tested natively.
//!
//! Components are placed in columns by kind, left to right in the order a request meets them,
//! and in one of two bands: the main band carries the request path, the top band holds the
//! services a client consults on the side (DNS). Nodes of one column stack vertically.
//!
//! ```text
//!              ┌─────┐
//!              │ DNS │                 top band
//!              └──▲──┘
//!   ┌───────┐     │        ┌────────┐
//!   │ Users ├─────┴───────▶│ web-0  │──▶ db-0    main band
//!   └───────┘   (balancer) └────────┘
//!    col 0       col 1       col 2      col 3
//! ```
//!
//! Coordinates are abstract units (an SVG `viewBox`); node positions are centres.

use crate::sim::{ComponentId, ComponentInfo, ComponentKind};

/// Horizontal distance between the centres of two neighbouring columns, in diagram units.
const COLUMN_PITCH: f64 = 270.0;
/// Vertical distance between the centres of two nodes stacked in one column, in diagram units.
const ROW_PITCH: f64 = 120.0;
/// Empty space around the drawing, in diagram units.
const MARGIN: f64 = 28.0;
/// Distance between the centres of neighbouring rows in portrait, in diagram units.
const PORTRAIT_ROW_PITCH: f64 = 160.0;
/// Height reserved for the top band, in diagram units.
const TOP_BAND_HEIGHT: f64 = 100.0;
/// Horizontal gap between side-by-side nodes of the top band, in diagram units.
const TOP_GAP: f64 = 20.0;
/// Size of an ordinary node, in diagram units.
const NODE_W: f64 = 176.0;
const NODE_H: f64 = 84.0;
/// Height of the users node, in diagram units.
const USERS_H: f64 = 100.0;
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
    /// Arrows along which requests travel.
    pub edges: Vec<DiagramEdge>,
    /// Which way requests flow across the drawing.
    pub orientation: Orientation,
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
}

/// An arrow from one component to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiagramEdge {
    /// Where requests come from.
    pub from: ComponentId,
    /// Where they go.
    pub to: ComponentId,
}

/// Which horizontal band a kind of component lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Band {
    /// Side services a client consults (DNS), drawn above the request path.
    Top,
    /// The request path itself.
    Main,
}

/// Where a kind of component goes: its column and band.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    column: usize,
    band: Band,
}

/// The slot of each kind. New kinds get their own column here (load balancer, web pool, cache,
/// databases …); the rest of the layout follows.
fn slot(kind: ComponentKind) -> Slot {
    #[allow(unreachable_patterns)]
    match kind {
        ComponentKind::Users => Slot {
            column: 0,
            band: Band::Main,
        },
        ComponentKind::Dns => Slot {
            column: 1,
            band: Band::Top,
        },
        ComponentKind::LoadBalancer => Slot {
            column: 1,
            band: Band::Main,
        },
        ComponentKind::Server => Slot {
            column: 2,
            band: Band::Main,
        },
        ComponentKind::Database => Slot {
            column: 3,
            band: Band::Main,
        },
        // Kinds the layout does not know yet go to a column of their own at the end.
        _ => Slot {
            column: 4,
            band: Band::Main,
        },
    }
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

    /// Where an arrow between two components starts and ends: on the line joining the centres,
    /// just outside each box.
    pub fn edge_ends(
        &self,
        from: ComponentId,
        to: ComponentId,
    ) -> Option<((f64, f64), (f64, f64))> {
        let (a, b) = (self.node(from)?, self.node(to)?);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        Some((a.border_towards(dx, dy), b.border_towards(-dx, -dy)))
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

impl DiagramNode {
    /// The point just outside this box in direction (dx, dy) from its centre.
    fn border_towards(&self, dx: f64, dy: f64) -> (f64, f64) {
        let (hx, hy) = (self.w / 2.0 + EDGE_GAP, self.h / 2.0 + EDGE_GAP);
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
            (self.x + dx * t, self.y + dy * t)
        } else {
            (self.x, self.y)
        }
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

/// Spacing of one orientation, measured along the flow and across it.
struct Spacing {
    /// Distance between the centres of neighbouring columns (along the flow).
    along_pitch: f64,
    /// Distance between the centres of nodes stacked in one column (across the flow).
    across_pitch: f64,
    /// Room taken by the side band, across the flow.
    side_band: f64,
}

impl Orientation {
    fn spacing(self) -> Spacing {
        match self {
            Orientation::Landscape => Spacing {
                along_pitch: COLUMN_PITCH,
                across_pitch: ROW_PITCH,
                side_band: TOP_BAND_HEIGHT,
            },
            Orientation::Portrait => Spacing {
                along_pitch: PORTRAIT_ROW_PITCH,
                across_pitch: NODE_W + TOP_GAP,
                side_band: NODE_W + 2.0 * TOP_GAP,
            },
        }
    }

    /// A node's extent (along the flow, across it).
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

/// Lays out the components of a topology, left to right.
pub fn diagram(components: &[ComponentInfo]) -> Diagram {
    diagram_oriented(components, Orientation::Landscape)
}

/// Lays out the components of a topology in the given orientation.
pub fn diagram_oriented(components: &[ComponentInfo], orientation: Orientation) -> Diagram {
    let spacing = orientation.spacing();
    let slots: Vec<Slot> = components.iter().map(|c| slot(c.kind)).collect();
    let size = |kind: ComponentKind| {
        let h = if kind == ComponentKind::Users {
            USERS_H
        } else {
            NODE_H
        };
        (NODE_W, h)
    };
    let columns = slots.iter().map(|s| s.column + 1).max().unwrap_or(1);
    let count = |column: usize, band: Band| {
        slots
            .iter()
            .filter(|s| s.column == column && s.band == band)
            .count()
    };
    let tallest_stack = (0..columns)
        .map(|c| count(c, Band::Main))
        .max()
        .unwrap_or(0)
        .max(1);
    // Side-band nodes of one column sit next to each other along the flow.
    let widest_side = (0..columns).map(|c| count(c, Band::Top)).max().unwrap_or(0);
    let (node_along, node_across) = orientation.extents(NODE_W, NODE_H);
    let (users_along, users_across) = orientation.extents(NODE_W, USERS_H);
    let side_step = node_along + TOP_GAP;
    let side_spread = widest_side.saturating_sub(1) as f64 * side_step / 2.0;

    let max_along = node_along.max(users_along);
    let side_band = if widest_side > 0 {
        spacing.side_band
    } else {
        0.0
    };
    let main_span =
        (tallest_stack - 1) as f64 * spacing.across_pitch + node_across.max(users_across);
    let start = MARGIN + side_spread;
    let databases = components
        .iter()
        .filter(|c| c.kind == ComponentKind::Database)
        .count();
    let gutter = if databases > 1 {
        REPLICATION_GUTTER
    } else {
        0.0
    };
    let length = 2.0 * start + (columns - 1) as f64 * spacing.along_pitch + max_along + gutter;
    let breadth = 2.0 * MARGIN + side_band + main_span;
    let main_centre = MARGIN + side_band + main_span / 2.0;
    let side_centre = MARGIN + node_across / 2.0;

    // Nodes already placed per (column, band).
    let mut placed = vec![0usize; columns * 2];
    let nodes = components
        .iter()
        .zip(&slots)
        .map(|(c, s)| {
            let cell = s.column * 2 + usize::from(s.band == Band::Top);
            let index = placed[cell] as f64;
            placed[cell] += 1;
            let offset = index - (count(s.column, s.band) as f64 - 1.0) / 2.0;
            let column = start + max_along / 2.0 + s.column as f64 * spacing.along_pitch;
            let (along, across) = match s.band {
                Band::Top => (column + offset * side_step, side_centre),
                Band::Main => (column, main_centre + offset * spacing.across_pitch),
            };
            let (x, y) = orientation.point(along, across);
            let (w, h) = size(c.kind);
            DiagramNode {
                component: c.id,
                label: c.name.clone(),
                kind: c.kind,
                x,
                y,
                w,
                h,
            }
        })
        .collect();

    let (width, height) = orientation.point(length, breadth);
    Diagram {
        width,
        height,
        nodes,
        edges: edges(components, &slots),
        orientation,
    }
}

/// Users consult every top-band service, and each main-band column feeds the next non-empty one.
fn edges(components: &[ComponentInfo], slots: &[Slot]) -> Vec<DiagramEdge> {
    let mut edges = Vec::new();
    let in_band = |band: Band| {
        components
            .iter()
            .zip(slots)
            .filter(move |(_, s)| s.band == band)
            .map(|(c, s)| (s.column, c.id))
    };
    for user in components.iter().filter(|c| c.kind == ComponentKind::Users) {
        for (_, to) in in_band(Band::Top) {
            edges.push(DiagramEdge { from: user.id, to });
        }
    }
    let mut columns: Vec<usize> = in_band(Band::Main).map(|(col, _)| col).collect();
    columns.sort_unstable();
    columns.dedup();
    for pair in columns.windows(2) {
        for (_, from) in in_band(Band::Main).filter(|(col, _)| *col == pair[0]) {
            for (_, to) in in_band(Band::Main).filter(|(col, _)| *col == pair[1]) {
                edges.push(DiagramEdge { from, to });
            }
        }
    }
    edges
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
    fn empty_topology_gives_an_empty_but_valid_diagram() {
        let d = diagram(&[]);
        assert!(d.nodes.is_empty() && d.edges.is_empty());
        assert!(d.width > 0.0 && d.height > 0.0);
    }
}
