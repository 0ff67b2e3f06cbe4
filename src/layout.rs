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
//!   │ Users ├─────┴───────▶│ web-0  │  main band
//!   └───────┘              └────────┘
//!    col 0       col 1       col 2 …
//! ```
//!
//! Coordinates are abstract units (an SVG `viewBox`); node positions are centres.

use crate::sim::{ComponentId, ComponentInfo, ComponentKind};

/// Horizontal distance between the centres of two neighbouring columns, in diagram units.
const COLUMN_PITCH: f64 = 230.0;
/// Vertical distance between the centres of two nodes stacked in one column, in diagram units.
const ROW_PITCH: f64 = 120.0;
/// Empty space around the drawing, in diagram units.
const MARGIN: f64 = 40.0;
/// Height reserved for the top band, in diagram units.
const TOP_BAND_HEIGHT: f64 = 110.0;
/// Horizontal gap between side-by-side nodes of the top band, in diagram units.
const TOP_GAP: f64 = 20.0;
/// Size of an ordinary node, in diagram units.
const NODE_W: f64 = 150.0;
const NODE_H: f64 = 76.0;
/// Height of the users node, in diagram units.
const USERS_H: f64 = 96.0;

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
        ComponentKind::Server => Slot {
            column: 2,
            band: Band::Main,
        },
        // Kinds the layout does not know yet go to a column after the server.
        _ => Slot {
            column: 3,
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
}

/// Lays out the components of a topology.
pub fn diagram(components: &[ComponentInfo]) -> Diagram {
    let slots: Vec<Slot> = components.iter().map(|c| slot(c.kind)).collect();
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
    // Side-by-side top-band nodes may be wider than a column.
    let widest_top = (0..columns).map(|c| count(c, Band::Top)).max().unwrap_or(0);
    let top_spread = widest_top.saturating_sub(1) as f64 * (NODE_W + TOP_GAP) / 2.0;

    let top_height = if widest_top > 0 { TOP_BAND_HEIGHT } else { 0.0 };
    let main_height = (tallest_stack - 1) as f64 * ROW_PITCH + USERS_H.max(NODE_H);
    let left = MARGIN + top_spread;
    let width = 2.0 * left + (columns - 1) as f64 * COLUMN_PITCH + NODE_W;
    let height = 2.0 * MARGIN + top_height + main_height;
    let main_centre_y = MARGIN + top_height + main_height / 2.0;
    let top_centre_y = MARGIN + NODE_H / 2.0;

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
            let column_x = left + NODE_W / 2.0 + s.column as f64 * COLUMN_PITCH;
            let (x, y) = match s.band {
                Band::Top => (column_x + offset * (NODE_W + TOP_GAP), top_centre_y),
                Band::Main => (column_x, main_centre_y + offset * ROW_PITCH),
            };
            let h = if c.kind == ComponentKind::Users {
                USERS_H
            } else {
                NODE_H
            };
            DiagramNode {
                component: c.id,
                label: c.name.clone(),
                kind: c.kind,
                x,
                y,
                w: NODE_W,
                h,
            }
        })
        .collect();

    Diagram {
        width,
        height,
        nodes,
        edges: edges(components, &slots),
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
    fn empty_topology_gives_an_empty_but_valid_diagram() {
        let d = diagram(&[]);
        assert!(d.nodes.is_empty() && d.edges.is_empty());
        assert!(d.width > 0.0 && d.height > 0.0);
    }
}
