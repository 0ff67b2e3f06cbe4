//! Stage 11's region view: topology → geometry (pure, tested natively), in the same
//! [`Diagram`] the other stages use, so the inspector, the request dots and the tour work on it.
//!
//! A stage-11 system has ~90 components per data center; drawing them all would be unreadable.
//! Instead the user regions stand on the left, geoDNS on top, and each data center is one large
//! box on the right; the components of its stack are drawn as that box (see
//! [`Diagram::drawn_as`]).
//!
//! ```text
//!                          ┌────────┐
//!                          │ geoDNS │
//!                          └───▲────┘
//!   ┌───────────────┐     ╱         ┌────────────────────┐
//!   │ north-america ├────────────────▶ us-east           │
//!   └───────────────┘ ╲  ╱          │  (a whole stack)   │
//!   ┌───────────────┐  ╲╱           └──┬─────────────────┘
//!   │ europe        ├──╱╲────────────┐ │ replication: lag, writes at risk
//!   └───────────────┘     ╲         ┌▼─┴─────────────────┐
//!   ┌───────────────┐      ╲────────▶ eu-west           │
//!   │ asia          ├────────────────▶                   │
//!   └───────────────┘               └────────────────────┘
//! ```
//!
//! In portrait the same three columns become rows: geoDNS on top, the regions side by side
//! under it, the data centers side by side at the bottom.

use crate::layout::{border_towards, Diagram, DiagramEdge, DiagramLine, DiagramNode, Orientation};
use crate::scenario::Geo;
use crate::sim::{ComponentId, ComponentInfo, ComponentKind};

/// Empty space around the drawing, in diagram units.
const MARGIN: f64 = 16.0;
/// Size of a region box, in diagram units.
const REGION_W: f64 = 236.0;
const REGION_H: f64 = 88.0;
/// Gap between neighbouring region boxes, in diagram units.
const REGION_GAP: f64 = 26.0;
/// Size of the geoDNS box, in diagram units.
const DNS_W: f64 = 200.0;
const DNS_H: f64 = 76.0;
/// Size of a data-center box, in diagram units.
const DC_W: f64 = 340.0;
const DC_H: f64 = 176.0;
/// Gap between neighbouring data centers (room for the replication link and its caption).
const DC_GAP: f64 = 100.0;
/// Distance between the regions and the data centers (room for the routes), along the flow.
const ROUTE_GAP: f64 = 240.0;
/// Gap between geoDNS and the regions/data centers under it.
const DNS_GAP: f64 = 30.0;
/// Space left between an arrow's ends and the boxes it joins, in diagram units.
const EDGE_GAP: f64 = 6.0;
/// Spacing of the routes' ends along a box's side, so parallel routes stay apart.
const FAN: f64 = 16.0;
/// Room under the data centers for the replication caption in portrait.
const PORTRAIT_CAPTION: f64 = 64.0;

/// The region view's own geometry, beyond the nodes.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeoView {
    /// The node standing for each region's users, in region order (a `Users` node whose id
    /// lies past the system's components).
    pub regions: Vec<ComponentId>,
    /// The data centers, in scenario order.
    pub data_centers: Vec<GeoDataCenter>,
    /// A route from every region to every data center.
    pub routes: Vec<GeoRoute>,
    /// Cross-data-center replication, between neighbouring data centers.
    pub links: Vec<GeoLink>,
}

/// One data center of the region view.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeoDataCenter {
    /// Its own component (kind `DataCenter`).
    pub component: ComponentId,
    /// Index of its region in the scenario's regions.
    pub region: usize,
    /// The components of its stack (`<name>/lb`, `<name>/web-0` …), drawn as its box.
    pub members: Vec<ComponentId>,
    /// What each member is, in the order of `members`.
    pub kinds: Vec<ComponentKind>,
    /// Its stack laid out as the other stages are (names without the `<name>/` prefix, the
    /// world's component ids), for a closer look.
    pub stack: Diagram,
}

/// The line users of a region follow to a data center.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeoRoute {
    /// Index of the region.
    pub region: usize,
    /// Index of the data center in [`GeoView::data_centers`].
    pub data_center: usize,
    /// Start, just outside the region's box, in diagram units.
    pub from: (f64, f64),
    /// End, just outside the data center's box, in diagram units.
    pub to: (f64, f64),
}

/// Replication between two data centers (both ways).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GeoLink {
    /// Index of one data center in [`GeoView::data_centers`].
    pub a: usize,
    /// Index of the other.
    pub b: usize,
    /// End at `a`, just outside its box.
    pub from: (f64, f64),
    /// End at `b`, just outside its box.
    pub to: (f64, f64),
    /// Where the caption starts (its text runs to the right), in diagram units.
    pub caption: (f64, f64),
}

/// Lays out a stage-11 system: its components (as [`crate::sim::Sim::components`] lists them)
/// and its scenario's `geo` part.
pub fn geo_diagram(components: &[ComponentInfo], geo: &Geo, orientation: Orientation) -> Diagram {
    geo_diagram_placed(components, geo, &[], orientation)
}

/// The same, each data center's registered components drawn where `places` say they stand
/// (every data center runs its own, in the same place).
pub fn geo_diagram_placed(
    components: &[ComponentInfo],
    geo: &Geo,
    places: &[crate::layout::PlugPlace],
    orientation: Orientation,
) -> Diagram {
    let n_regions = geo.regions.len();
    let centres = match orientation {
        Orientation::Landscape => landscape(n_regions, geo.data_centers.len()),
        Orientation::Portrait => portrait(n_regions, geo.data_centers.len()),
    };
    let region_base = components.len();
    let mut nodes = Vec::new();
    let node = |component, label: &str, kind, (x, y): (f64, f64), (w, h)| DiagramNode {
        component,
        label: label.to_string(),
        kind,
        x,
        y,
        w,
        h,
        compact: false,
        members: Vec::new(),
    };
    let dns = components.iter().find(|c| c.kind == ComponentKind::Dns);
    if let Some(d) = dns {
        nodes.push(node(d.id, &d.name, d.kind, centres.dns, (DNS_W, DNS_H)));
    }
    let regions: Vec<ComponentId> = (0..n_regions)
        .map(|r| ComponentId((region_base + r) as u16))
        .collect();
    for (r, spec) in geo.regions.iter().enumerate() {
        nodes.push(node(
            regions[r],
            &spec.name,
            ComponentKind::Users,
            centres.regions[r],
            (REGION_W, REGION_H),
        ));
    }
    let mut data_centers = Vec::new();
    for (d, spec) in geo.data_centers.iter().enumerate() {
        let Some(own) = components
            .iter()
            .find(|c| c.kind == ComponentKind::DataCenter && c.name == spec.name)
        else {
            continue;
        };
        let prefix = format!("{}/", spec.name);
        let at = centres.data_centers[d];
        nodes.push(node(own.id, &own.name, own.kind, at, (DC_W, DC_H)));
        data_centers.push(GeoDataCenter {
            component: own.id,
            region: geo
                .regions
                .iter()
                .position(|r| r.name == spec.region)
                .unwrap_or(0),
            members: components
                .iter()
                .filter(|c| c.name.starts_with(&prefix))
                .map(|c| c.id)
                .collect(),
            kinds: components
                .iter()
                .filter(|c| c.name.starts_with(&prefix))
                .map(|c| c.kind)
                .collect(),
            stack: stack_diagram(components, &prefix, places),
        });
    }
    let mut d = Diagram {
        width: centres.width,
        height: centres.height,
        nodes,
        edges: Vec::new(),
        lines: Vec::new(),
        groups: Vec::new(),
        clusters: Vec::new(),
        orientation,
        geo: None,
    };
    let routes = routes(&d, &regions, &data_centers);
    let links = links(&d, &data_centers);
    // Users ask geoDNS, then go to a data center; the "users" component is every region.
    if let Some(dns) = dns {
        for &region in &regions {
            d.edges.push(DiagramEdge {
                from: region,
                to: dns.id,
            });
            if let Some((from, to)) = dns_line(&d, region, dns.id) {
                d.lines.push(DiagramLine { from, to });
            }
        }
    }
    for route in &routes {
        d.edges.push(DiagramEdge {
            from: regions[route.region],
            to: data_centers[route.data_center].component,
        });
    }
    d.geo = Some(GeoView {
        regions,
        data_centers,
        routes,
        links,
    });
    d
}

/// The stack of one data center (its components named `<prefix>…`), laid out left to right
/// like a single-site stage, behind the shared users and DNS.
fn stack_diagram(
    components: &[ComponentInfo],
    prefix: &str,
    places: &[crate::layout::PlugPlace],
) -> Diagram {
    let stack: Vec<ComponentInfo> = components
        .iter()
        .filter_map(|c| {
            let name = c.name.strip_prefix(prefix)?;
            Some(ComponentInfo {
                id: c.id,
                name: name.to_string(),
                kind: c.kind,
            })
        })
        .collect();
    crate::layout::diagram_placed(&stack, places, Orientation::Landscape)
}

/// Centres of every box, and the drawing's size.
struct Centres {
    dns: (f64, f64),
    regions: Vec<(f64, f64)>,
    data_centers: Vec<(f64, f64)>,
    width: f64,
    height: f64,
}

/// Centres of `n` boxes of extent `size` with `gap` between them, stacked around `centre`.
fn stack(n: usize, size: f64, gap: f64, centre: f64) -> Vec<f64> {
    let pitch = size + gap;
    (0..n)
        .map(|i| centre + (i as f64 - (n as f64 - 1.0) / 2.0) * pitch)
        .collect()
}

/// The extent of `n` boxes of extent `size` with `gap` between them.
fn extent(n: usize, size: f64, gap: f64) -> f64 {
    if n == 0 {
        0.0
    } else {
        n as f64 * size + (n - 1) as f64 * gap
    }
}

/// Regions in a column on the left, data centers in a column on the right, geoDNS on top
/// between them.
fn landscape(n_regions: usize, n_dcs: usize) -> Centres {
    let span = extent(n_regions, REGION_H, REGION_GAP)
        .max(extent(n_dcs, DC_H, DC_GAP))
        .max(REGION_H);
    let top = MARGIN + DNS_H + DNS_GAP;
    let mid = top + span / 2.0;
    let region_x = MARGIN + REGION_W / 2.0;
    let dc_x = MARGIN + REGION_W + ROUTE_GAP + DC_W / 2.0;
    Centres {
        dns: (MARGIN + REGION_W + ROUTE_GAP / 2.0, MARGIN + DNS_H / 2.0),
        regions: stack(n_regions, REGION_H, REGION_GAP, mid)
            .into_iter()
            .map(|y| (region_x, y))
            .collect(),
        data_centers: stack(n_dcs, DC_H, DC_GAP, mid)
            .into_iter()
            .map(|y| (dc_x, y))
            .collect(),
        width: 2.0 * MARGIN + REGION_W + ROUTE_GAP + DC_W,
        height: top + span + MARGIN,
    }
}

/// geoDNS on top, the regions side by side under it, the data centers side by side at the
/// bottom (with the replication caption under them).
fn portrait(n_regions: usize, n_dcs: usize) -> Centres {
    let span = extent(n_regions, REGION_W, REGION_GAP)
        .max(extent(n_dcs, DC_W, DC_GAP))
        .max(DNS_W);
    let mid = MARGIN + span / 2.0;
    let region_y = MARGIN + DNS_H + DNS_GAP + REGION_H / 2.0;
    let dc_y = MARGIN + DNS_H + DNS_GAP + REGION_H + ROUTE_GAP + DC_H / 2.0;
    let caption = if n_dcs > 1 { PORTRAIT_CAPTION } else { 0.0 };
    Centres {
        dns: (mid, MARGIN + DNS_H / 2.0),
        regions: stack(n_regions, REGION_W, REGION_GAP, mid)
            .into_iter()
            .map(|x| (x, region_y))
            .collect(),
        data_centers: stack(n_dcs, DC_W, DC_GAP, mid)
            .into_iter()
            .map(|x| (x, dc_y))
            .collect(),
        width: 2.0 * MARGIN + span,
        height: dc_y + DC_H / 2.0 + caption + MARGIN,
    }
}

/// The offset of item `i` of `n` in a fan of parallel line ends.
fn fan(i: usize, n: usize, step: f64) -> f64 {
    (i as f64 - (n as f64 - 1.0) / 2.0) * step
}

/// From each region's far side to each data center's near side, the ends spread along both
/// sides so that no two routes share an end.
fn routes(d: &Diagram, regions: &[ComponentId], dcs: &[GeoDataCenter]) -> Vec<GeoRoute> {
    let mut routes = Vec::new();
    for (r, &region) in regions.iter().enumerate() {
        let Some(a) = d.node(region) else { continue };
        for (i, dc) in dcs.iter().enumerate() {
            let Some(b) = d.node(dc.component) else {
                continue;
            };
            let (from, to) = match d.orientation {
                Orientation::Landscape => (
                    (
                        a.x + a.w / 2.0 + EDGE_GAP,
                        a.y + 8.0 + fan(i, dcs.len(), FAN),
                    ),
                    (
                        b.x - b.w / 2.0 - EDGE_GAP,
                        b.y + fan(r, regions.len(), FAN * 1.5),
                    ),
                ),
                Orientation::Portrait => (
                    (
                        a.x + fan(i, dcs.len(), FAN * 2.0),
                        a.y + a.h / 2.0 + EDGE_GAP,
                    ),
                    (
                        b.x + fan(r, regions.len(), FAN * 2.0),
                        b.y - b.h / 2.0 - EDGE_GAP,
                    ),
                ),
            };
            routes.push(GeoRoute {
                region: r,
                data_center: i,
                from,
                to,
            });
        }
    }
    routes
}

/// The line from a region to geoDNS: it leaves the region's far side (landscape) or its top
/// (portrait), so it never crosses another region's box.
fn dns_line(
    d: &Diagram,
    region: ComponentId,
    dns: ComponentId,
) -> Option<((f64, f64), (f64, f64))> {
    let (a, b) = (d.node(region)?, d.node(dns)?);
    let from = match d.orientation {
        Orientation::Landscape => (a.x + a.w / 2.0 + EDGE_GAP, a.y - a.h / 4.0),
        Orientation::Portrait => (a.x, a.y - a.h / 2.0 - EDGE_GAP),
    };
    let to = border_towards((b.x, b.y), (b.w, b.h), from.0 - b.x, from.1 - b.y);
    Some((from, to))
}

/// Between neighbouring data centers: a straight link in the gap between their boxes, near
/// their inner edge, its caption beside it.
fn links(d: &Diagram, dcs: &[GeoDataCenter]) -> Vec<GeoLink> {
    let mut links = Vec::new();
    for i in 1..dcs.len() {
        let (Some(a), Some(b)) = (d.node(dcs[i - 1].component), d.node(dcs[i].component)) else {
            continue;
        };
        let link = match d.orientation {
            Orientation::Landscape => {
                let x = a.x - a.w / 2.0 + 40.0;
                let from = (x, a.y + a.h / 2.0 + EDGE_GAP);
                let to = (x, b.y - b.h / 2.0 - EDGE_GAP);
                GeoLink {
                    a: i - 1,
                    b: i,
                    from,
                    to,
                    caption: (x + 16.0, (from.1 + to.1) / 2.0 - 14.0),
                }
            }
            Orientation::Portrait => {
                let y = a.y + a.h / 2.0 - 40.0;
                let from = (a.x + a.w / 2.0 + EDGE_GAP, y);
                let to = (b.x - b.w / 2.0 - EDGE_GAP, y);
                GeoLink {
                    a: i - 1,
                    b: i,
                    from,
                    to,
                    caption: (a.x + a.w / 2.0 - 40.0, a.y + a.h / 2.0 + 24.0),
                }
            }
        };
        links.push(link);
    }
    links
}

impl GeoView {
    /// The region view's line between two drawn nodes, if it has its own (a region's line to
    /// geoDNS or to a data center), oriented from `from` to `to`.
    pub fn line(
        &self,
        d: &Diagram,
        from: ComponentId,
        to: ComponentId,
    ) -> Option<((f64, f64), (f64, f64))> {
        let oriented = |a: ComponentId, b: ComponentId| -> Option<((f64, f64), (f64, f64))> {
            let r = self.regions.iter().position(|&x| x == a)?;
            if let Some(i) = self.data_centers.iter().position(|dc| dc.component == b) {
                let route = self
                    .routes
                    .iter()
                    .find(|x| x.region == r && x.data_center == i)?;
                return Some((route.from, route.to));
            }
            if d.node(b)?.kind == ComponentKind::Dns {
                return dns_line(d, a, b);
            }
            None
        };
        oriented(from, to).or_else(|| oriented(to, from).map(|(a, b)| (b, a)))
    }

    /// The data center a component belongs to (its own component or one of its stack's).
    pub fn data_center_of(&self, id: ComponentId) -> Option<&GeoDataCenter> {
        self.data_centers
            .iter()
            .find(|dc| dc.component == id || dc.members.contains(&id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::DiagramNode;

    fn stage11() -> (Vec<ComponentInfo>, Geo) {
        let mut scenario = crate::scenario::preset(11).expect("preset 11");
        scenario.traffic.users = 1_000;
        let sim = crate::sim::Sim::new(&scenario).expect("valid preset");
        (sim.components().to_vec(), scenario.geo.expect("a geo part"))
    }

    fn inside(n: &DiagramNode, (x, y): (f64, f64)) -> bool {
        (x - n.x).abs() * 2.0 < n.w && (y - n.y).abs() * 2.0 < n.h
    }

    /// Whether the segment a–b passes through a box (sampled finely).
    fn crosses(n: &DiagramNode, a: (f64, f64), b: (f64, f64)) -> bool {
        (0..=200).any(|i| {
            let f = f64::from(i) / 200.0;
            inside(n, (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f))
        })
    }

    #[test]
    fn preset_11_draws_regions_dns_and_one_box_per_data_center() {
        let (components, geo) = stage11();
        for orientation in [Orientation::Landscape, Orientation::Portrait] {
            let d = geo_diagram(&components, &geo, orientation);
            let view = d.geo.as_ref().expect("a region view");
            // 3 regions, geoDNS, 2 data centers: readable, whatever the stacks hold.
            assert_eq!(d.nodes.len(), 6, "{orientation:?}");
            assert_eq!(view.regions.len(), 3);
            assert_eq!(view.data_centers.len(), 2);
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
            let names: Vec<&str> = d.nodes.iter().map(|n| n.label.as_str()).collect();
            for name in [
                "dns",
                "north-america",
                "europe",
                "asia",
                "us-east",
                "eu-west",
            ] {
                assert!(
                    names.contains(&name),
                    "{orientation:?}: {name} in {names:?}"
                );
            }
            // Region nodes stand past the components' ids.
            for &r in &view.regions {
                assert!(usize::from(r.0) >= components.len());
                assert_eq!(d.node(r).map(|n| n.kind), Some(ComponentKind::Users));
            }
        }
    }

    /// The region view lists every component but the users with its full name (the stacks'
    /// `<data center>/…`), once each, and none of the regions' stand-in ids.
    #[test]
    fn the_region_view_lists_every_component_with_its_full_name() {
        let (components, geo) = stage11();
        let d = geo_diagram(&components, &geo, Orientation::Landscape);
        let listed = d.components();
        let expected: Vec<&ComponentInfo> = components
            .iter()
            .filter(|c| c.kind != ComponentKind::Users)
            .collect();
        assert_eq!(listed.len(), expected.len());
        for c in expected {
            let found: Vec<&ComponentInfo> = listed.iter().filter(|l| l.id == c.id).collect();
            assert_eq!(found.len(), 1, "{} listed once", c.name);
            assert_eq!((&found[0].name, found[0].kind), (&c.name, c.kind));
        }
    }

    #[test]
    fn every_stack_component_is_drawn_as_its_data_center() {
        let (components, geo) = stage11();
        let d = geo_diagram(&components, &geo, Orientation::Landscape);
        let view = d.geo.as_ref().unwrap();
        let us = view.data_centers[0].component;
        let eu = view.data_centers[1].component;
        for c in &components {
            let drawn = d.drawn_as(c.id);
            match c.name.split_once('/') {
                Some(("us-east", _)) => assert_eq!(drawn, Some(us), "{}", c.name),
                Some(("eu-west", _)) => assert_eq!(drawn, Some(eu), "{}", c.name),
                _ => assert_eq!(drawn, d.node(c.id).map(|n| n.component), "{}", c.name),
            }
        }
        // A whole stack each (balancer, web servers, shards …), laid out on its own with the
        // prefix stripped and the world's ids.
        for dc in &view.data_centers {
            assert!(dc.members.len() > 20);
            // Its web tier and each shard one box, standing for their members.
            let hidden: usize = dc
                .stack
                .nodes
                .iter()
                .map(|n| n.members.len().saturating_sub(1))
                .sum();
            assert_eq!(dc.stack.nodes.len() + hidden, dc.members.len());
            for (i, a) in dc.stack.nodes.iter().enumerate() {
                assert!(dc.members.contains(&a.component));
                assert!(!a.label.contains('/'), "{}", a.label);
                for b in &dc.stack.nodes[i + 1..] {
                    assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
                }
            }
            assert!(dc.stack.nodes.iter().any(|n| n.label == "lb"));
            assert!(dc.stack.node(dc.members[0]).is_some());
            let shard = dc
                .stack
                .clusters
                .iter()
                .find(|c| c.key == "shard-0")
                .unwrap();
            assert_eq!(shard.tiles[0].label, "shard-0-db-0");
        }
        assert_eq!(view.data_centers[0].region, 0);
        assert_eq!(view.data_centers[1].region, 1);
        // The users component has no box of its own: the regions stand for it.
        assert!(d.node(ComponentId(0)).is_none());
    }

    #[test]
    fn routes_and_links_stay_clear_of_other_boxes() {
        let (components, geo) = stage11();
        for orientation in [Orientation::Landscape, Orientation::Portrait] {
            let d = geo_diagram(&components, &geo, orientation);
            let view = d.geo.as_ref().unwrap();
            assert_eq!(view.routes.len(), 3 * 2);
            assert_eq!(view.links.len(), 1);
            let mut segments: Vec<((f64, f64), (f64, f64))> =
                view.routes.iter().map(|r| (r.from, r.to)).collect();
            segments.extend(view.links.iter().map(|l| (l.from, l.to)));
            segments.extend(d.lines.iter().map(|l| (l.from, l.to)));
            assert_eq!(d.lines.len(), 3, "one line from each region to geoDNS");
            for (a, b) in segments {
                for n in &d.nodes {
                    assert!(
                        !crosses(n, a, b),
                        "{orientation:?}: {a:?} → {b:?} crosses {}",
                        n.label
                    );
                }
                for p in [a, b] {
                    assert!(p.0 >= 0.0 && p.0 <= d.width && p.1 >= 0.0 && p.1 <= d.height);
                }
            }
            // No two routes share an end.
            for (i, x) in view.routes.iter().enumerate() {
                for y in &view.routes[i + 1..] {
                    assert_ne!(x.from, y.from);
                    assert_ne!(x.to, y.to);
                }
            }
        }
    }

    #[test]
    fn landscape_flows_left_to_right_and_portrait_top_to_bottom() {
        let (components, geo) = stage11();
        let d = geo_diagram(&components, &geo, Orientation::Landscape);
        let view = d.geo.as_ref().unwrap();
        let at = |id| d.node_centre(id).unwrap();
        let dns = at(ComponentId(1));
        for &r in &view.regions {
            for dc in &view.data_centers {
                assert!(at(r).0 < dns.0 && dns.0 < at(dc.component).0);
                assert!(dns.1 < at(r).1 && dns.1 < at(dc.component).1);
            }
        }
        let p = geo_diagram(&components, &geo, Orientation::Portrait);
        let at = |id| p.node_centre(id).unwrap();
        let dns = at(ComponentId(1));
        for &r in &view.regions {
            for dc in &view.data_centers {
                assert!(dns.1 < at(r).1 && at(r).1 < at(dc.component).1);
            }
        }
    }

    #[test]
    fn edge_ends_follow_the_drawn_routes_both_ways() {
        let (components, geo) = stage11();
        let d = geo_diagram(&components, &geo, Orientation::Landscape);
        let view = d.geo.as_ref().unwrap();
        let route = view.routes[1];
        let (r, dc) = (
            view.regions[route.region],
            view.data_centers[route.data_center].component,
        );
        assert_eq!(d.edge_ends(r, dc), Some((route.from, route.to)));
        assert_eq!(d.edge_ends(dc, r), Some((route.to, route.from)));
        // Between two data centers: the plain border-to-border line.
        let (a, b) = (
            view.data_centers[0].component,
            view.data_centers[1].component,
        );
        assert!(d.edge_ends(a, b).is_some());
    }

    #[test]
    fn one_data_center_and_many_regions_still_fit() {
        let (components, mut geo) = stage11();
        geo.data_centers.truncate(1);
        for i in 0..5 {
            geo.regions.push(crate::scenario::Region {
                name: format!("extra-{i}"),
                users_share: 0.01,
            });
        }
        for orientation in [Orientation::Landscape, Orientation::Portrait] {
            let d = geo_diagram(&components, &geo, orientation);
            let view = d.geo.as_ref().unwrap();
            assert_eq!(view.regions.len(), 8);
            assert_eq!(view.data_centers.len(), 1);
            assert!(view.links.is_empty());
            for (i, a) in d.nodes.iter().enumerate() {
                assert!(a.y + a.h / 2.0 <= d.height && a.x + a.w / 2.0 <= d.width);
                for b in &d.nodes[i + 1..] {
                    assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
                }
            }
        }
    }
}
