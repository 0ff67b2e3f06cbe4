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

use crate::sim::{ComponentId, ComponentInfo, ComponentKind, PlugKind};

/// Gap between the boxes of two neighbouring columns (room for the arrows), in diagram units.
const COLUMN_GAP: f64 = 44.0;
/// The least gap between columns, when a long drawing closes them up to fit
/// [`FIT_LENGTH`]: an arrow of 16 units between its two 6-unit gaps, in diagram units.
const MIN_COLUMN_GAP: f64 = 28.0;
/// Vertical distance between the centres of two nodes stacked in one column, in diagram units.
const ROW_PITCH: f64 = 84.0;
/// Empty space around the drawing, in diagram units.
const MARGIN: f64 = 16.0;
/// Gap between the boxes of neighbouring rows in portrait, in diagram units.
const PORTRAIT_ROW_GAP: f64 = 56.0;
/// Gap between the main band and a side band, in diagram units.
const BAND_GAP: f64 = 14.0;
/// More gap under the top band when the workers there write to the database below it, so
/// their arrow down is long enough to see, in diagram units.
const WRITES_GAP: f64 = 36.0;
/// Gap between side-by-side nodes of a side band, in diagram units.
const SIDE_GAP: f64 = 14.0;
/// Size of an ordinary node, in diagram units.
const NODE_W: f64 = 150.0;
const NODE_H: f64 = 76.0;
/// Height of the users node, in diagram units.
const USERS_H: f64 = 88.0;
/// Size of a compact web-server tile, in diagram units.
const TILE_W: f64 = 100.0;
const TILE_H: f64 = 40.0;
/// Width of a member's tile in an open group's panel (room for `shard-0-db-0` and `replica · 34 %`).
const PANEL_TILE_W: f64 = 200.0;
/// Gap between compact tiles, in diagram units.
const TILE_GAP: f64 = 8.0;
/// Padding between a group's frame and its tiles (the top one holds the label).
const GROUP_PAD: f64 = 10.0;
const GROUP_LABEL: f64 = 22.0;
/// Room at the top of an open group's panel for its caption and its close button.
const PANEL_HEAD: f64 = 40.0;
/// More web servers than this are drawn as compact tiles.
const COMPACT_ABOVE: usize = 4;
/// More web servers than this are drawn as one box (the web tier) that opens on click.
const GROUP_ABOVE: usize = 6;
/// Rows of compact tiles per sub-column.
const TILE_ROWS: usize = 4;
/// Space left between an arrow's ends and the boxes it joins, in diagram units.
const EDGE_GAP: f64 = 6.0;
/// Room beyond the database column for the replication arcs (master → replicas), in diagram
/// units. Only reserved when there are replicas. An arc reaches `EDGE_GAP` plus ¾ of its
/// bulge (a cubic Bézier whose two controls lie `REPLICATION_BULGE` out) past the boxes:
/// 40.5 units; the margin follows.
const REPLICATION_GUTTER: f64 = 44.0;
/// How far a replication arc bulges out of the database column, in diagram units.
const REPLICATION_BULGE: f64 = 46.0;

/// Font sizes of the diagram's texts, in diagram units. The SVG sets them as attributes from
/// here (not from the style sheet), so that the readability of a laid-out diagram is checked
/// natively: [`Diagram::smallest_text_px`].
pub mod font {
    /// A node's name.
    pub const TITLE: f64 = 14.5;
    /// A node's second line, a load percentage, a tile's name.
    pub const BODY: f64 = 12.0;
    /// Hints, role pills, captions of frames and load figures in tiles.
    pub const SMALL: f64 = 11.5;
    /// The big request rate of a data center (stage 11).
    pub const FIGURE: f64 = 26.0;
    /// The smallest of them.
    pub const MIN: f64 = SMALL;
}

/// How wide `text` is drawn at `size` diagram units, at most: per character, 0.32 em for a
/// space, comma, full stop, slash or middle dot, 1 em for `m` and `w`, 0.64 em for any other
/// (digits are the widest of those). Measured in Chromium on the built app with the fonts the
/// style sheet falls back to here (DejaVu Sans: digits 0.636 em, `m` 0.974, `,` 0.318; an
/// average 0.52 em over `1,234 ms / 5,678 writes behind`); narrower fonts draw less.
pub fn text_width(text: &str, size: f64) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            ' ' | ',' | '.' | '/' | '·' => 0.32,
            'm' | 'w' | 'M' | 'W' => 1.0,
            _ => 0.64,
        })
        .sum();
    em * size
}

/// A node's second line as drawn (from 14 units in, in [`font::BODY`]): the longest of
/// `forms` that fits the box with 14 units to spare on the right, else the last.
pub fn fit_second_line(node: &DiagramNode, forms: &[String]) -> String {
    let room = node.w - 28.0;
    forms
        .iter()
        .find(|f| text_width(f, font::BODY) <= room)
        .or(forms.last())
        .cloned()
        .unwrap_or_default()
}

/// A replica's replication lag, as long as its box allows: `120 ms / 14 writes behind`, else
/// `120 ms / 14 writes`, else `120 ms behind`, else `120 s behind`.
pub fn replica_lag_forms(lag_ms: f64, lag_writes: u64) -> [String; 4] {
    let ms = lag_ms.max(0.0).round() as u64;
    let writes = format!(
        "{} write{}",
        crate::format::grouped(lag_writes),
        if lag_writes == 1 { "" } else { "s" }
    );
    let ms_text = crate::format::grouped(ms);
    [
        format!("{ms_text} ms / {writes} behind"),
        format!("{ms_text} ms / {writes}"),
        format!("{ms_text} ms behind"),
        format!("{} s behind", crate::format::grouped(ms.div_ceil(1000))),
    ]
}

/// Where a node's title starts (after its icon), in diagram units.
pub const TITLE_X: f64 = 42.0;
/// Where a database node's role pill starts, counted back from the box's right edge (the pill
/// is 58 units wide), in diagram units.
pub const PILL_FROM_RIGHT: f64 = 64.0;

/// A node's title as drawn: its text, its size, and whether a database node's role pill is
/// drawn beside it (else the role leads the second line).
#[derive(Clone, Debug, PartialEq)]
pub struct TitleFit {
    /// The title, cut in the middle (`db-or…ive-0`) only if it fits no other way.
    pub text: String,
    /// Its size, in diagram units: [`font::TITLE`], or less, down to [`font::SMALL`].
    pub size: f64,
    /// Whether the role pill fits beside it.
    pub pill: bool,
}

/// Fits `label` on a node `node_w` units wide, beside a role pill if `role` (a database node):
/// at [`font::TITLE`] beside the pill if it fits there; else without the pill; else smaller,
/// down to [`font::SMALL`]; else cut in the middle at that size. A short name (`db-0`) keeps
/// its pill; a graph's longer one (`db-writes-0`) no longer runs under it.
pub fn fit_title(label: &str, node_w: f64, role: bool) -> TitleFit {
    let beside_pill = node_w - PILL_FROM_RIGHT - 6.0 - TITLE_X;
    let room = node_w - 12.0 - TITLE_X;
    let wide = text_width(label, font::TITLE);
    let fit = |text: String, size: f64, pill: bool| TitleFit { text, size, pill };
    if role && wide <= beside_pill {
        return fit(label.to_string(), font::TITLE, true);
    }
    if wide <= room {
        return fit(label.to_string(), font::TITLE, false);
    }
    let size = font::TITLE * room / wide;
    if size >= font::SMALL {
        return fit(label.to_string(), size, false);
    }
    let chars: Vec<char> = label.chars().collect();
    let mut keep = chars.len();
    loop {
        keep -= 1;
        let tail = keep / 2;
        let head = keep - tail;
        let text: String = chars[..head]
            .iter()
            .chain(std::iter::once(&'…'))
            .chain(&chars[chars.len() - tail..])
            .collect();
        if keep <= 2 || text_width(&text, font::SMALL) <= room {
            return fit(text, font::SMALL, false);
        }
    }
}

/// The box the diagram is drawn in on a 1400-px-wide window when it has the card's full width,
/// in CSS pixels: the page's content (1280 px), less the lesson column beside it (320 px) and
/// the gap (16 px), less the card's padding and border (2 × 13 px); the stage list is a strip
/// above at this width. Measured in Chromium on the built app (`view_w` of
/// `scripts/check-a11y.js`, the `.diagram-scroll`'s client width), the same on stages 1–11. A
/// drawing wider than its box keeps its texts readable and scrolls sideways (the diagram's
/// min-width in src/ui/diagram.rs); a wide one closes its columns up to fit ([`FIT_LENGTH`]).
pub const BOX_W_AT_1400_PX: f64 = 918.0;
/// The tallest the diagram's box gets (`.diagram { max-height }` in styles/app.css), in CSS px.
pub const BOX_MAX_H_PX: f64 = 600.0;
/// The most a drawing is enlarged to fill its box, in CSS px per diagram unit: the diagram's
/// box is at most `width × MAX_SCALE` wide, so that a small system is not drawn with texts
/// twice their size.
pub const MAX_SCALE: f64 = 1.25;
/// No text of the diagram may be drawn smaller than this at a 1400-px-wide window, in CSS px.
pub const READABLE_PX: f64 = 11.0;
/// The longest landscape drawing whose smallest text is still [`READABLE_PX`] in the box of a
/// 1400-px window ([`BOX_W_AT_1400_PX`]), in diagram units: a longer one closes its columns up.
pub const FIT_LENGTH: f64 = BOX_W_AT_1400_PX * font::MIN / READABLE_PX;
/// The tallest landscape drawing whose smallest text is still [`READABLE_PX`] in the box's
/// greatest height ([`BOX_MAX_H_PX`]), in diagram units: a taller one draws a further
/// database's shards as one box ([`layout`]).
pub const FIT_BREADTH: f64 = BOX_MAX_H_PX * font::MIN / READABLE_PX;

/// The geometry of a whole diagram.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// Frames around groups of compact tiles (a web tier of five or six servers).
    pub groups: Vec<DiagramGroup>,
    /// Groups drawn as one box that opens on click (a large web tier, each shard's master and
    /// replicas), with the panel that shows their members when open.
    pub clusters: Vec<DiagramCluster>,
    /// Which way requests flow across the drawing.
    pub orientation: Orientation,
    /// Stage 11's region view (regions, routes, data centers drawn as one box each); `None`
    /// for the other stages.
    pub geo: Option<crate::layout_geo::GeoView>,
}

/// One component drawn as a box.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
    /// For a group's box ([`DiagramCluster`]): the components it stands for (its own
    /// `component` is the first of them). Empty for a component's own node.
    pub members: Vec<ComponentId>,
}

/// A group of components drawn as one box, and the panel that lists them when it is open.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DiagramCluster {
    /// A stable name for the group (`web`, `shard-2`), kept across layouts.
    pub key: String,
    /// The caption of the open panel (`web tier · 12 servers`).
    pub caption: String,
    /// The box standing for the group in [`Diagram::nodes`] (its first member's id).
    pub node: ComponentId,
    /// The open panel: centre and size, in diagram units, inside the drawing.
    pub x: f64,
    /// Centre, in diagram units.
    pub y: f64,
    /// Width, in diagram units.
    pub w: f64,
    /// Height, in diagram units.
    pub h: f64,
    /// Each member as a compact tile inside the panel.
    pub tiles: Vec<DiagramNode>,
}

/// An arrow from one component to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DiagramEdge {
    /// Where requests come from.
    pub from: ComponentId,
    /// Where they go.
    pub to: ComponentId,
}

/// A straight arrow to draw, in diagram units.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DiagramLine {
    /// Start (just outside the source box).
    pub from: (f64, f64),
    /// End (just outside the target box).
    pub to: (f64, f64),
}

/// A labelled frame around compact tiles of one kind.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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
        // A rate limiter stands on the users' way in, before the front door; one placed
        // between the balancer and a pool is moved there by its wires (`follow_wires`).
        ComponentKind::Plug(PlugKind::RateLimiter) => (1, Band::Main),
        // An API gateway is the system's way in, before the front door.
        ComponentKind::Plug(PlugKind::ApiGateway) => (1, Band::Main),
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

    /// A component's node: its own box, or its tile in its group's panel.
    pub fn node(&self, id: ComponentId) -> Option<&DiagramNode> {
        self.clusters
            .iter()
            .flat_map(|c| c.tiles.iter())
            .find(|n| n.component == id)
            .or_else(|| self.drawn(id))
    }

    /// The box drawn with this id (a component's own, or a group's).
    fn drawn(&self, id: ComponentId) -> Option<&DiagramNode> {
        self.nodes.iter().find(|n| n.component == id)
    }

    /// Every component drawn, with its full name and kind, in drawing order: a component's
    /// own box, each member of a group drawn as one box, and in the region view each
    /// component of a data center's stack (named `<data center>/…`). The regions' users
    /// (ids past the system's components) are left out.
    pub fn components(&self) -> Vec<ComponentInfo> {
        let mut out = Vec::new();
        self.collect_components("", &mut out);
        out
    }

    fn collect_components(&self, prefix: &str, out: &mut Vec<ComponentInfo>) {
        let info = |n: &DiagramNode| ComponentInfo {
            id: n.component,
            name: format!("{prefix}{}", n.label),
            kind: n.kind,
        };
        for n in &self.nodes {
            if let Some(dc) = self
                .geo
                .as_ref()
                .and_then(|g| g.data_centers.iter().find(|d| d.component == n.component))
            {
                out.push(info(n));
                dc.stack
                    .collect_components(&format!("{prefix}{}/", n.label), out);
            } else if self
                .geo
                .as_ref()
                .is_some_and(|g| g.regions.contains(&n.component))
            {
                continue;
            } else if n.members.is_empty() {
                out.push(info(n));
            } else if let Some(c) = self.clusters.iter().find(|c| c.node == n.component) {
                out.extend(c.tiles.iter().map(info));
            }
        }
    }

    /// The group a component is drawn in, if any.
    pub fn cluster_of(&self, id: ComponentId) -> Option<&DiagramCluster> {
        self.clusters
            .iter()
            .find(|c| c.tiles.iter().any(|t| t.component == id))
    }

    /// The node a component is drawn as: its own, its group's box, or in the region view the
    /// box of the data center whose stack it belongs to.
    pub fn drawn_as(&self, id: ComponentId) -> Option<ComponentId> {
        if let Some(c) = self.cluster_of(id) {
            return Some(c.node);
        }
        if self.drawn(id).is_some() {
            return Some(id);
        }
        self.geo
            .as_ref()
            .and_then(|g| g.data_center_of(id))
            .map(|dc| dc.component)
    }

    /// How much the drawing is scaled when fitted into a box `box_w_px` wide (and at most
    /// [`BOX_MAX_H_PX`] tall, and enlarged at most [`MAX_SCALE`] times), as the SVG's
    /// `preserveAspectRatio="xMidYMid meet"` does.
    pub fn fit_scale(&self, box_w_px: f64) -> f64 {
        (box_w_px / self.width)
            .min(BOX_MAX_H_PX / self.height)
            .min(MAX_SCALE)
    }

    /// The size, in CSS px, of the smallest text of the drawing fitted into a box `box_w_px`
    /// wide.
    pub fn smallest_text_px(&self, box_w_px: f64) -> f64 {
        font::MIN * self.fit_scale(box_w_px)
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
        let (a, b) = (self.drawn(from)?, self.drawn(to)?);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        // Boxes in different columns: from side to side, so that the arrow stays in the gap
        // between the columns instead of cutting through the boxes stacked beside its ends.
        let side = |n: &DiagramNode, towards: f64| match self.orientation {
            Orientation::Landscape => (n.x + towards.signum() * (n.w / 2.0 + EDGE_GAP), n.y),
            Orientation::Portrait => (n.x, n.y + towards.signum() * (n.h / 2.0 + EDGE_GAP)),
        };
        let apart = match self.orientation {
            Orientation::Landscape => dx.abs() * 2.0 >= a.w + b.w,
            Orientation::Portrait => dy.abs() * 2.0 >= a.h + b.h,
        };
        let direct = (
            border_towards((a.x, a.y), (a.w, a.h), dx, dy),
            border_towards((b.x, b.y), (b.w, b.h), -dx, -dy),
        );
        if !apart {
            return Some(direct);
        }
        let along = match self.orientation {
            Orientation::Landscape => dx,
            Orientation::Portrait => dy,
        };
        let sides = (side(a, along), side(b, -along));
        // Unless that cuts through a box the direct line misses (a cache below the path).
        let blocked = |(p, q): ((f64, f64), (f64, f64))| {
            self.nodes
                .iter()
                .filter(|n| n.component != from && n.component != to)
                .any(|n| segment_hits_box(p, q, n))
        };
        if blocked(sides) && !blocked(direct) {
            return Some(direct);
        }
        Some(sides)
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
        let (a, b) = (self.drawn(master)?, self.drawn(replica)?);
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

/// Whether the segment p–q passes through the inside of a node's box (Liang–Barsky clipping).
fn segment_hits_box(p: (f64, f64), q: (f64, f64), n: &DiagramNode) -> bool {
    let (dx, dy) = (q.0 - p.0, q.1 - p.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    let sides = [
        (-dx, p.0 - (n.x - n.w / 2.0)),
        (dx, (n.x + n.w / 2.0) - p.0),
        (-dy, p.1 - (n.y - n.h / 2.0)),
        (dy, (n.y + n.h / 2.0) - p.1),
    ];
    for (d, room) in sides {
        if d.abs() < f64::EPSILON {
            if room <= 0.0 {
                return false;
            }
            continue;
        }
        let t = room / d;
        if d < 0.0 {
            t0 = t0.max(t);
        } else {
            t1 = t1.min(t);
        }
        if t0 >= t1 {
            return false;
        }
    }
    true
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

/// What the layout draws: the components and who sends requests to whom. Built today from the
/// simulation's component list (the edges follow from the kinds, [`LayoutInput::from_components`]);
/// a typed topology graph can fill it just as well.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LayoutInput {
    /// The components, in the order their nodes are listed.
    pub components: Vec<ComponentInfo>,
    /// Who sends requests to whom.
    pub edges: Vec<DiagramEdge>,
}

impl LayoutInput {
    /// The components of a simulation, wired by the rules of their kinds.
    pub fn from_components(components: &[ComponentInfo]) -> LayoutInput {
        LayoutInput::placed(components, &[])
    }

    /// The same, with the registered components standing where `places` say.
    pub fn placed(components: &[ComponentInfo], places: &[PlugPlace]) -> LayoutInput {
        LayoutInput {
            components: components.to_vec(),
            edges: edges(components, places),
        }
    }
}

/// Where a registered component (a rate limiter, an API gateway) stands: the node it is in
/// front of, as the scenario's `plugs` say (`lb`, `web` or a further pool's name). One named
/// in no place stands before the front door. The queue's workers stand in a place
/// ([`WORKERS_WRITE`]) only when they write their jobs to the first database
/// (`queue.job_writes_to_db`): then they are drawn with arrows to its boxes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlugPlace {
    /// The component's name in its stack (without a data center's).
    pub name: String,
    /// The node it stands in front of.
    pub fronts: String,
}

/// The place of workers that write their jobs to the first database: `fronts` is `db`
/// (whether or not a shard router stands in front of it).
pub const WORKERS_WRITE: &str = "db";

/// Lays out the components of a topology, left to right.
pub fn diagram(components: &[ComponentInfo]) -> Diagram {
    diagram_oriented(components, Orientation::Landscape)
}

/// Lays out the components of a topology in the given orientation.
pub fn diagram_oriented(components: &[ComponentInfo], orientation: Orientation) -> Diagram {
    diagram_placed(components, &[], orientation)
}

/// Lays out the components of a topology in the given orientation, its registered
/// components where `places` say they stand.
pub fn diagram_placed(
    components: &[ComponentInfo],
    places: &[PlugPlace],
    orientation: Orientation,
) -> Diagram {
    layout(&LayoutInput::placed(components, places), orientation)
}

/// The shard a database node belongs to, with the database it is a shard of: `("", S)` for
/// the first database's `shard-S-db-N`, `("orders", S)` for `orders-shard-S-N`, a shard of a
/// further database behind a shard router of its own (read by [`crate::sim::shard_node`]).
pub fn shard_key(label: &str) -> Option<(&str, u32)> {
    crate::sim::shard_node(label).map(|n| (n.store, n.shard))
}

/// The pool or store a node belongs to: its name without the data center and the `-N` number
/// (`web` for `web-3` and `us-east/web-3`, `web-api` for `web-api-0`, `db-writes` for
/// `db-writes-1`, `shard-2-db` for `shard-2-db-0`).
pub fn stem_of(name: &str) -> &str {
    let local = name.rsplit('/').next().unwrap_or(name);
    match local.rsplit_once('-') {
        Some((stem, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => stem,
        _ => local,
    }
}

/// A group to draw as one box: its key, its box's name, its panel's caption, its members
/// (indices into the components).
struct Cluster {
    key: String,
    label: String,
    caption: String,
    members: Vec<usize>,
}

/// The groups drawn as one box: each web pool of more than [`GROUP_ABOVE`] servers (the first
/// pool, `web-N`, keyed `web` and labelled "web tier"; a further pool by its own name), and each
/// shard of more than one database node — but all the shards of a further database named in
/// `folded` as one group (keyed and labelled with its name).
fn clusters(components: &[ComponentInfo], folded: &[&str]) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::new();
    let mut pools: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, c) in components.iter().enumerate() {
        if c.kind != ComponentKind::Server {
            continue;
        }
        let pool = stem_of(&c.name);
        match pools.iter_mut().find(|p| p.0 == pool) {
            Some(p) => p.1.push(i),
            None => pools.push((pool, vec![i])),
        }
    }
    for (pool, servers) in pools {
        if servers.len() <= GROUP_ABOVE {
            continue;
        }
        let (key, label) = match pool {
            "web" => ("web".to_string(), "web tier".to_string()),
            other => (other.to_string(), other.to_string()),
        };
        out.push(Cluster {
            key,
            caption: format!("{label} · {} servers", servers.len()),
            label,
            members: servers,
        });
    }
    // Each shard, of the first database (`shard-S`) or of a further one behind its own shard
    // router (`orders-shard-S`, named with its database); a folded database's shards together
    // (no shard number).
    /// A shard group's database and shard (`None`: all the database's shards, folded).
    type ShardGroup<'a> = (&'a str, Option<u32>);
    let mut shards: Vec<(ShardGroup, Vec<usize>)> = Vec::new();
    let shard_count = |stem: &str| -> usize {
        let mut seen: Vec<u32> = (components.iter())
            .filter_map(|c| shard_key(&c.name))
            .filter(|k| k.0 == stem)
            .map(|k| k.1)
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    for (i, c) in components.iter().enumerate() {
        let Some((stem, shard)) = shard_key(&c.name).filter(|_| c.kind == ComponentKind::Database)
        else {
            continue;
        };
        let group = (stem, (!folded.contains(&stem)).then_some(shard));
        match shards.iter_mut().find(|s| s.0 == group) {
            Some(s) => s.1.push(i),
            None => shards.push((group, vec![i])),
        }
    }
    for ((stem, shard), members) in shards.into_iter().filter(|s| s.1.len() > 1) {
        let nodes = members.len();
        let (key, label, caption) = match (stem, shard) {
            ("", Some(shard)) => {
                let label = format!("shard {shard}");
                let caption = format!("{label} · {nodes} database nodes");
                (format!("shard-{shard}"), label, caption)
            }
            (stem, Some(shard)) => {
                let label = format!("{stem} shard {shard}");
                let caption = format!("{label} · {nodes} database nodes");
                (format!("{stem}-shard-{shard}"), label, caption)
            }
            (stem, None) => {
                let caption = format!(
                    "{stem} · {} shards · {nodes} database nodes",
                    shard_count(stem)
                );
                (stem.to_string(), stem.to_string(), caption)
            }
        };
        out.push(Cluster {
            key,
            caption,
            label,
            members,
        });
    }
    crate::order::sort_by_keys(&mut out, |c| (c.members[0] as u64, 0));
    out
}

/// Lays out a topology: groups become one box each, the boxes are placed in columns and
/// bands, the arrows join the boxes, and each group gets the panel that shows it open.
///
/// Each shard is one box, stacked in the database column. A landscape drawing that this
/// makes taller than [`FIT_BREADTH`] (its texts then under [`READABLE_PX`] in the box's
/// greatest height: six shard boxes, with two shard routers, need 708 units) draws a further
/// database's shards as one box instead, the last database first, until it fits (or none is
/// left to fold); the box opens to all that database's nodes. The first database's shards,
/// the stage's subject, always keep a box each.
pub fn layout(input: &LayoutInput, orientation: Orientation) -> Diagram {
    let mut d = layout_folded(input, orientation, &[]);
    if orientation != Orientation::Landscape {
        return d;
    }
    let mut further: Vec<&str> = Vec::new();
    for c in &input.components {
        match shard_key(&c.name) {
            Some((stem, _)) if !stem.is_empty() && !further.contains(&stem) => further.push(stem),
            _ => {}
        }
    }
    let mut folded: Vec<&str> = Vec::new();
    while d.height > FIT_BREADTH {
        let Some(store) = further.pop() else {
            break;
        };
        folded.push(store);
        d = layout_folded(input, orientation, &folded);
    }
    d
}

/// [`layout`] with the further databases named in `folded` drawn as one box each.
fn layout_folded(input: &LayoutInput, orientation: Orientation, folded: &[&str]) -> Diagram {
    let components = &input.components;
    let clusters = clusters(components, folded);
    let mut cluster_of = vec![None; components.len()];
    for (k, c) in clusters.iter().enumerate() {
        for &i in &c.members {
            cluster_of[i] = Some(k);
        }
    }
    // The boxes to place: each component outside a group, and each group once (at its first
    // member, with its first member's id).
    let mut items = Vec::new();
    let mut grouped = Vec::new();
    let mut members = Vec::new();
    for (i, c) in components.iter().enumerate() {
        match cluster_of[i] {
            None => {
                items.push(c.clone());
                grouped.push(false);
                members.push(Vec::new());
            }
            Some(k) if clusters[k].members[0] == i => {
                items.push(ComponentInfo {
                    id: c.id,
                    name: clusters[k].label.clone(),
                    kind: c.kind,
                });
                grouped.push(true);
                members.push(
                    clusters[k]
                        .members
                        .iter()
                        .map(|&m| components[m].id)
                        .collect(),
                );
            }
            Some(_) => {}
        }
    }
    // The wires between the boxes (a group's are its box's).
    let item_of = |id: ComponentId| {
        let i = components.iter().position(|c| c.id == id)?;
        let first =
            cluster_of[i].map_or(components[i].id, |k| components[clusters[k].members[0]].id);
        items.iter().position(|c: &ComponentInfo| c.id == first)
    };
    let wires: Vec<(usize, usize)> = input
        .edges
        .iter()
        .filter_map(|e| Some((item_of(e.from)?, item_of(e.to)?)))
        .filter(|(a, b)| a != b)
        .collect();
    let mut d = place(&items, &grouped, &wires, orientation);
    for (node, m) in d.nodes.iter_mut().zip(members) {
        node.members = m;
    }
    d.edges = input.edges.clone();
    // A pool whose panel is taller than the drawing (a few dozen servers) makes it taller.
    let tallest = clusters
        .iter()
        .map(|c| panel(&d, c, components).h)
        .fold(0.0, f64::max);
    d.height = d.height.max(tallest + 2.0 * MARGIN);
    d.clusters = clusters.iter().map(|c| panel(&d, c, components)).collect();
    d.lines = lines(&d);
    d
}

/// The open panel of a group: its members as tiles in a grid, over the drawing around the
/// group's box, inside the drawing.
fn panel(d: &Diagram, c: &Cluster, components: &[ComponentInfo]) -> DiagramCluster {
    let n = c.members.len();
    let pitch_x = PANEL_TILE_W + TILE_GAP;
    let pitch_y = TILE_H + TILE_GAP;
    let room = ((d.width - 2.0 * MARGIN - 2.0 * GROUP_PAD + TILE_GAP) / pitch_x).floor();
    let max_cols = (room as usize).max(1);
    // Rows that fit the drawing's height: a tall pool gets more columns instead of spilling.
    let fit_rows = ((d.height - 2.0 * MARGIN - PANEL_HEAD - GROUP_PAD + TILE_GAP) / pitch_y)
        .floor()
        .max(1.0) as usize;
    let cols = (((2 * n) as f64).sqrt().ceil() as usize)
        .max(n.div_ceil(fit_rows))
        .clamp(1, max_cols)
        .min(n.max(1));
    let rows = n.div_ceil(cols).max(1);
    let w = cols as f64 * pitch_x - TILE_GAP + 2.0 * GROUP_PAD;
    let h = PANEL_HEAD + rows as f64 * pitch_y - TILE_GAP + GROUP_PAD;
    let node = components[c.members[0]].id;
    let (cx, cy) = d.drawn(node).map_or((w / 2.0, h / 2.0), |b| (b.x, b.y));
    let clamp = |centre: f64, size: f64, total: f64| {
        let lo = MARGIN.min(total / 2.0) + size / 2.0;
        let hi = total - MARGIN.min(total / 2.0) - size / 2.0;
        if lo > hi {
            size / 2.0
        } else {
            centre.clamp(lo, hi)
        }
    };
    let (x, y) = (clamp(cx, w, d.width), clamp(cy, h, d.height));
    let (x0, y0) = (x - w / 2.0, y - h / 2.0);
    let tiles = c
        .members
        .iter()
        .enumerate()
        .map(|(k, &m)| DiagramNode {
            component: components[m].id,
            label: components[m].name.clone(),
            kind: components[m].kind,
            x: x0 + GROUP_PAD + (k % cols) as f64 * pitch_x + PANEL_TILE_W / 2.0,
            y: y0 + PANEL_HEAD + (k / cols) as f64 * pitch_y + TILE_H / 2.0,
            w: PANEL_TILE_W,
            h: TILE_H,
            compact: true,
            members: Vec::new(),
        })
        .collect();
    DiagramCluster {
        key: c.key.clone(),
        caption: c.caption.clone(),
        node,
        x,
        y,
        w,
        h,
        tiles,
    }
}

fn place(
    components: &[ComponentInfo],
    grouped: &[bool],
    wires: &[(usize, usize)],
    orientation: Orientation,
) -> Diagram {
    let o = orientation;
    let mut slots: Vec<Slot> = components.iter().map(|c| slot(c.kind)).collect();
    follow_wires(&mut slots, wires);
    // Columns that hold something, in order; empty ones take no room.
    let mut used: Vec<usize> = slots.iter().map(|s| s.column).collect();
    crate::order::sort_by_keys(&mut used, |&c| (c as u64, 0));
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
            // Tiles only for one pool's own servers: not around a group's box, and not two
            // pools in one frame.
            let one_pool = m.iter().all(|&i| {
                !grouped[i] && stem_of(&components[i].name) == stem_of(&components[m[0]].name)
            });
            let kind = m.first().map(|&i| components[i].kind);
            Stack::new(m.len(), kind.filter(|_| one_pool))
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
    // A landscape drawing's bottom band wraps into rows of at most this many nodes, so that a
    // long run of caches (two caches of three nodes: 979 px at 11-px text, more than the
    // 1400-px box) does not make the drawing longer than FIT_LENGTH; rows share their nodes
    // evenly (six nodes: two rows of three, one cache each).
    let bottom_max_row = match o {
        Orientation::Landscape => {
            let room = FIT_LENGTH.floor() - 2.0 * MARGIN + SIDE_GAP;
            ((room / (node_along + SIDE_GAP)).floor() as usize).max(1)
        }
        Orientation::Portrait => usize::MAX,
    };
    let bottom_rows = |n: usize| n.div_ceil(bottom_max_row).max(1);
    let bottom_per_row = |n: usize| n.div_ceil(bottom_rows(n));
    // Along-the-flow extent of each used column: its main stack or its top run. The bottom
    // band (caches) may reach under the neighbouring columns; it only needs its own column when
    // it is the only thing there.
    let widths: Vec<f64> = used
        .iter()
        .enumerate()
        .map(|(k, &col)| {
            let main = stacks[k].extent(o, main_kind(k)).0;
            let top = side_run(members(col, Band::Top).len());
            let bottom = side_run(bottom_per_row(members(col, Band::Bottom).len()));
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
    // Workers above the database that write to it (`queue.job_writes_to_db`): the path
    // moves down by WRITES_GAP more, so their arrow down to it is long enough to see.
    let writes_down = wires.iter().any(|&(a, b)| {
        components[a].kind == ComponentKind::Workers
            && components[b].kind == ComponentKind::Database
    });
    let top_span = if has(Band::Top) {
        node_across + BAND_GAP + if writes_down { WRITES_GAP } else { 0.0 }
    } else {
        0.0
    };
    let bottom_row_count = used
        .iter()
        .map(|&col| bottom_rows(members(col, Band::Bottom).len()))
        .max()
        .unwrap_or(1);
    let bottom_span = if has(Band::Bottom) {
        bottom_row_count as f64 * (node_across + SIDE_GAP) - SIDE_GAP + BAND_GAP
    } else {
        0.0
    };
    let databases = components
        .iter()
        .zip(grouped)
        .filter(|(c, &g)| c.kind == ComponentKind::Database && !g)
        .count();
    let gutter = if databases > 1 {
        REPLICATION_GUTTER
    } else {
        0.0
    };
    // Column centres along the flow, and the drawing's length, for a gap between columns.
    let columns = |gap: f64| {
        let mut centres = Vec::with_capacity(used.len());
        let mut along = MARGIN;
        for (k, w) in widths.iter().enumerate() {
            // A column whose only content reaches under its neighbours takes no room, gap
            // included.
            if k > 0 && *w > 0.0 {
                along += gap;
            }
            centres.push(along + w / 2.0);
            along += w;
        }
        // Bottom runs wider than their column must still fit in the drawing.
        let bottom_reach = used
            .iter()
            .enumerate()
            .map(|(k, &col)| {
                centres[k] + side_run(bottom_per_row(members(col, Band::Bottom).len())) / 2.0
            })
            .fold(0.0, f64::max);
        let length = (along + gutter).max(bottom_reach) + MARGIN;
        (centres, length)
    };
    let (mut centres, mut length) = columns(o.column_gap());
    // A landscape drawing too long to be readable in the 1400-px box closes its columns up
    // (not below MIN_COLUMN_GAP) rather than scroll there.
    let gaps = widths.iter().skip(1).filter(|w| **w > 0.0).count();
    let fit = FIT_LENGTH.floor();
    if o == Orientation::Landscape && length > fit && gaps > 0 {
        let gap = (COLUMN_GAP - (length - fit) / gaps as f64).max(MIN_COLUMN_GAP);
        (centres, length) = columns(gap);
    }
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
            Band::Top => {
                let n = members(s.column, Band::Top).len();
                let offset = (i as f64 - (n as f64 - 1.0) / 2.0) * (node_along + SIDE_GAP);
                (centres[k] + offset, top_centre, false)
            }
            Band::Bottom => {
                // Row by row, each row centred on the column.
                let n = members(s.column, Band::Bottom).len();
                let per_row = bottom_per_row(n);
                let (row, at) = (i / per_row, i % per_row);
                let in_row = per_row.min(n - row * per_row);
                let offset = (at as f64 - (in_row as f64 - 1.0) / 2.0) * (node_along + SIDE_GAP);
                let across = bottom_centre + row as f64 * (node_across + SIDE_GAP);
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
            members: Vec::new(),
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
            let pool = members(used[k], Band::Main)
                .first()
                .map_or("web", |&i| stem_of(&components[i].name));
            let pool = if pool == "web" { "web tier" } else { pool };
            groups.push(DiagramGroup {
                kind: ComponentKind::Server,
                label: format!("{pool} · {} servers", stack.count),
                x,
                y,
                w,
                h,
            });
        }
    }

    let (width, height) = o.point(length, breadth);
    Diagram {
        width,
        height,
        nodes,
        edges: Vec::new(),
        lines: Vec::new(),
        groups,
        clusters: Vec::new(),
        orientation,
        geo: None,
    }
}

/// Layers the boxes along the wires: a box a main-band box sends to sits in a later column, a
/// side box (DNS, sessions, caches …) in the same column or later, whatever their kinds' slots
/// say, so that every arrow of the request path points along the flow. The kinds' slots are
/// the starting layers (they already agree with the wiring rules); a wire against them, as a
/// drawn architecture may have (a balancer between web servers and databases), moves its
/// target on. Bounded: a cycle stops moving after one pass per box.
fn follow_wires(slots: &mut [Slot], wires: &[(usize, usize)]) {
    for _ in 0..slots.len() {
        let mut moved = false;
        for &(a, b) in wires {
            let step = usize::from(slots[a].band == Band::Main && slots[b].band == Band::Main);
            let need = slots[a].column + step;
            if slots[b].column < need {
                slots[b].column = need;
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
}

/// Who sends requests to whom, by kind:
///
/// users → DNS, users → CDN → front door, users → front door (the balancer, else the servers),
/// balancer → servers, servers → session store, caches, databases and the queue,
/// caches → databases (misses), servers → NoSQL nodes, queue → workers, and workers → the
/// first database's nodes when `places` says they write there ([`WORKERS_WRITE`]). A registered
/// component stands where `places` say: between the users and the front door, or between the
/// balancer and the servers of the pool it fronts.
fn edges(components: &[ComponentInfo], places: &[PlugPlace]) -> Vec<DiagramEdge> {
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
    // Registered kinds in front of the door take the users' way in; behind a balancer, one
    // in front of a web pool stands between the balancer and that pool's servers.
    let pool_of = |c: &ComponentInfo| {
        let place = places.iter().find(|p| p.name == c.name)?;
        (!balancers.is_empty() && place.fronts != "lb").then_some(place.fronts.as_str())
    };
    let plugs = || (components.iter()).filter(|c| matches!(c.kind, ComponentKind::Plug(_)));
    let gates: Vec<_> = plugs()
        .filter(|c| pool_of(c).is_none())
        .map(|c| c.id)
        .collect();
    if gates.is_empty() {
        link(&users, &front);
    } else {
        link(&users, &gates);
        link(&gates, &front);
    }
    let pool_gates: Vec<(ComponentId, &str)> =
        plugs().filter_map(|c| Some((c.id, pool_of(c)?))).collect();
    let pool_servers = |pool: &str| -> Vec<ComponentId> {
        (components.iter())
            .filter(|c| c.kind == ComponentKind::Server && stem_of(&c.name) == pool)
            .map(|c| c.id)
            .collect()
    };
    let behind_gates: Vec<ComponentId> = (pool_gates.iter())
        .flat_map(|&(_, pool)| pool_servers(pool))
        .collect();
    let open: Vec<ComponentId> = (servers.iter().copied())
        .filter(|s| !behind_gates.contains(s))
        .collect();
    link(&balancers, &open);
    for &(gate, pool) in &pool_gates {
        link(&balancers, &[gate]);
        link(&[gate], &pool_servers(pool));
    }
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
    // Workers writing their jobs' results to the first database: one arrow down to its
    // master the run starts with, `db-0`, or with shards to the first shard's `shard-0-db-0`
    // (the shards stand in one column under the workers: arrows to the lower ones would cross
    // the upper ones, so the top one stands for them all, as one arrow from the web tier would).
    let first_db: Vec<ComponentId> = (components.iter())
        .filter(|c| c.kind == ComponentKind::Database)
        .filter(|c| {
            let local = c.name.rsplit('/').next().unwrap_or(&c.name);
            local == "db-0" || local == "shard-0-db-0"
        })
        .map(|c| c.id)
        .take(1)
        .collect();
    for w in components
        .iter()
        .filter(|c| c.kind == ComponentKind::Workers)
    {
        let local = w.name.rsplit('/').next().unwrap_or(&w.name);
        if (places.iter()).any(|p| p.name == local && p.fronts == WORKERS_WRITE) {
            link(&[w.id], &first_db);
        }
    }
    edges
}

/// The arrows to draw: one per edge, except that edges leaving grouped tiles are drawn once per
/// target, from the group's frame.
fn lines(d: &Diagram) -> Vec<DiagramLine> {
    // A grouped component's arrows are its group's: each pair of boxes once.
    let mut pairs: Vec<(ComponentId, ComponentId)> = Vec::new();
    for e in &d.edges {
        let (Some(from), Some(to)) = (d.drawn_as(e.from), d.drawn_as(e.to)) else {
            continue;
        };
        if from != to && !pairs.contains(&(from, to)) {
            pairs.push((from, to));
        }
    }
    let mut lines = Vec::with_capacity(pairs.len());
    let mut done = vec![false; pairs.len()];
    for (from, to, sources, targets) in bundles(d, &pairs) {
        for (k, p) in pairs.iter().enumerate() {
            done[k] |= sources.contains(&p.0) && targets.contains(&p.1);
        }
        let (dx, dy) = (to.0 - from.0, to.1 - from.1);
        lines.push(DiagramLine {
            from: border_towards((from.0, from.1), (from.2, from.3), dx, dy),
            to: border_towards((to.0, to.1), (to.2, to.3), -dx, -dy),
        });
    }
    let mut from_group: Vec<ComponentId> = Vec::new();
    for (&(from, to), _) in pairs.iter().zip(&done).filter(|(_, &done)| !done) {
        let (Some(a), Some(b)) = (d.drawn(from), d.drawn(to)) else {
            continue;
        };
        let group = d.groups.iter().find(|g| g.kind == a.kind);
        match group {
            Some(g) if a.compact && !b.compact => {
                if from_group.contains(&to) {
                    continue;
                }
                from_group.push(to);
                let (dx, dy) = (b.x - g.x, b.y - g.y);
                lines.push(DiagramLine {
                    from: border_towards((g.x, g.y), (g.w, g.h), dx, dy),
                    to: border_towards((b.x, b.y), (b.w, b.h), -dx, -dy),
                });
            }
            _ => {
                if let Some((from, to)) = d.edge_ends(from, to) {
                    lines.push(DiagramLine { from, to });
                }
            }
        }
    }
    lines
}

/// A box around some nodes: centre and size.
type Bounds = (f64, f64, f64, f64);

/// Sources of one kind that all send to the same targets of one kind (two or more of each,
/// such as the web servers and the databases of stage 4, or the cache nodes and the shards):
/// one arrow between the boxes around them instead of one per pair, so that the database
/// wires do not criss-cross the drawing. Returns (sources' bounds, targets' bounds, sources,
/// targets).
fn bundles(
    d: &Diagram,
    pairs: &[(ComponentId, ComponentId)],
) -> Vec<(Bounds, Bounds, Vec<ComponentId>, Vec<ComponentId>)> {
    let mut sources: Vec<ComponentId> = Vec::new();
    for p in pairs {
        if !sources.contains(&p.0) {
            sources.push(p.0);
        }
    }
    let targets_of = |s: ComponentId| -> Vec<ComponentId> {
        pairs.iter().filter(|p| p.0 == s).map(|p| p.1).collect()
    };
    let kind = |id: ComponentId| d.drawn(id).map(|n| n.kind);
    let one_kind = |ids: &[ComponentId]| ids.iter().all(|&i| kind(i) == kind(ids[0]));
    let mut out = Vec::new();
    let mut taken: Vec<ComponentId> = Vec::new();
    for &s in &sources {
        if taken.contains(&s) {
            continue;
        }
        let targets = targets_of(s);
        if targets.len() < 2 || !one_kind(&targets) {
            continue;
        }
        let same: Vec<ComponentId> = sources
            .iter()
            .copied()
            .filter(|&o| kind(o) == kind(s) && targets_of(o) == targets)
            .collect();
        if same.len() < 2 {
            continue;
        }
        taken.extend(&same);
        let (Some(a), Some(b)) = (bounds(d, &same), bounds(d, &targets)) else {
            continue;
        };
        out.push((a, b, same, targets));
    }
    out
}

/// The box around some drawn nodes.
fn bounds(d: &Diagram, ids: &[ComponentId]) -> Option<Bounds> {
    let mut it = ids.iter().filter_map(|&i| d.drawn(i));
    let first = it.next()?;
    let mut b = (
        first.x - first.w / 2.0,
        first.y - first.h / 2.0,
        first.x + first.w / 2.0,
        first.y + first.h / 2.0,
    );
    for n in it {
        b.0 = b.0.min(n.x - n.w / 2.0);
        b.1 = b.1.min(n.y - n.h / 2.0);
        b.2 = b.2.max(n.x + n.w / 2.0);
        b.3 = b.3.max(n.y + n.h / 2.0);
    }
    Some(((b.0 + b.2) / 2.0, (b.1 + b.3) / 2.0, b.2 - b.0, b.3 - b.1))
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

    /// A drawing lists each of its components once, with its own name, groups included.
    #[test]
    fn a_drawing_lists_each_component_once_with_its_name() {
        for stage in [1, 8, 10] {
            let scenario = crate::scenario::preset(stage).expect("preset");
            let sim = crate::sim::Sim::new(&scenario).expect("valid preset");
            let d = diagram(sim.components());
            assert!(
                stage < 8 || !d.clusters.is_empty(),
                "stage {stage} has groups"
            );
            let mut listed = d.components();
            listed.sort_by_key(|c| c.id);
            assert_eq!(listed, sim.components().to_vec(), "stage {stage}");
        }
    }

    /// Two web pools of more than a handful of servers each are two groups, each holding only
    /// its own servers (not one "web tier" of both), and the drawing stays sound.
    #[test]
    fn each_web_pool_is_its_own_group() {
        let mut c = vec![
            info(0, "users", ComponentKind::Users),
            info(1, "dns", ComponentKind::Dns),
            info(2, "lb", ComponentKind::LoadBalancer),
        ];
        for (pool, n) in [("web", 8), ("web-api", 7)] {
            for i in 0..n {
                let id = c.len() as u16;
                c.push(info(id, &format!("{pool}-{i}"), ComponentKind::Server));
            }
        }
        c.push(info(c.len() as u16, "db-0", ComponentKind::Database));
        let d = diagram(&c);
        let keys: Vec<&str> = d.clusters.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, ["web", "web-api"]);
        for k in &d.clusters {
            let prefix = format!("{}-", k.key);
            for tile in &k.tiles {
                let name = &tile.label;
                let n = name
                    .strip_prefix(&prefix)
                    .expect("a member of its own pool");
                assert!(n.bytes().all(|b| b.is_ascii_digit()), "{name} in {}", k.key);
            }
        }
        assert_eq!(d.clusters[0].tiles.len(), 8);
        assert_eq!(d.clusters[1].tiles.len(), 7);
        assert_sound(&c, &d);
    }

    /// A database node's title never runs under its role pill: `db-0` keeps the pill at full
    /// size, `db-writes-0` drops it (the role leads the second line) and shrinks no lower than
    /// the small size, a 40-character name is cut in the middle; each fits its room.
    #[test]
    fn a_title_fits_beside_its_role_pill_or_goes_without() {
        let w = NODE_W;
        let short = fit_title("db-0", w, true);
        assert_eq!(
            (short.text.as_str(), short.size, short.pill),
            ("db-0", font::TITLE, true)
        );
        assert!(text_width("db-0", font::TITLE) <= w - PILL_FROM_RIGHT - 6.0 - TITLE_X);
        let long = fit_title("db-writes-0", w, true);
        assert!(
            !long.pill,
            "db-writes-0 runs under the pill at {} units",
            text_width("db-writes-0", font::TITLE)
        );
        assert_eq!(long.text, "db-writes-0");
        assert!(long.size >= font::SMALL && long.size <= font::TITLE);
        assert!(text_width(&long.text, long.size) <= w - 12.0 - TITLE_X + 1e-9);
        let name = "orders-archive-of-every-region-since-20";
        let cut = fit_title(name, w, false);
        assert_eq!(cut.size, font::SMALL);
        assert!(cut.text.contains('…') && cut.text.starts_with("ord") && cut.text.ends_with("20"));
        assert!(text_width(&cut.text, cut.size) <= w - 12.0 - TITLE_X);
        // Names the presets draw keep today's look.
        for label in [
            "web-0", "lb", "sessions", "workers", "nosql-0", "cache-0", "CDN edge",
        ] {
            let f = fit_title(label, w, false);
            assert_eq!((f.text.as_str(), f.size), (label, font::TITLE), "{label}");
        }
    }

    /// A pool of many servers (one box) beside a small one (its own servers): the small pool's
    /// servers are full nodes, not tiles in a frame around the other's box; two small pools are
    /// not framed as one; one small pool's frame is named after it.
    #[test]
    fn a_small_pool_beside_another_is_not_framed_with_it() {
        let build = |pools: &[(&str, usize)]| {
            let mut c = vec![
                info(0, "users", ComponentKind::Users),
                info(1, "dns", ComponentKind::Dns),
                info(2, "lb", ComponentKind::LoadBalancer),
            ];
            for &(pool, n) in pools {
                for i in 0..n {
                    let id = c.len() as u16;
                    c.push(info(id, &format!("{pool}-{i}"), ComponentKind::Server));
                }
            }
            c.push(info(c.len() as u16, "db-0", ComponentKind::Database));
            c
        };
        for pools in [[("web", 24), ("web-api", 4)], [("web", 3), ("web-api", 3)]] {
            let c = build(&pools);
            let d = diagram(&c);
            assert!(d.groups.is_empty(), "{pools:?}: {:?}", d.groups);
            assert!(d.nodes.iter().all(|n| !n.compact), "{pools:?}");
            assert_sound(&c, &d);
        }
        let c = build(&[("web-api", 5)]);
        let d = diagram(&c);
        let labels: Vec<&str> = d.groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["web-api · 5 servers"]);
        let c = build(&[("web", 5)]);
        assert_eq!(diagram(&c).groups[0].label, "web tier · 5 servers");
    }

    /// Every component has a node, no two nodes overlap, all lie inside the drawing.
    fn assert_sound(components: &[ComponentInfo], d: &Diagram) {
        let hidden: usize = d
            .nodes
            .iter()
            .map(|n| n.members.len().saturating_sub(1))
            .sum();
        assert_eq!(d.nodes.len() + hidden, components.len());
        for c in components {
            let node = d.node(c.id).expect("every component gets a node");
            assert_eq!(node.label, c.name);
            assert_eq!(node.kind, c.kind);
            assert!(d.drawn_as(c.id).is_some(), "{} is drawn", c.name);
        }
        for cluster in &d.clusters {
            let (x0, y0) = (cluster.x - cluster.w / 2.0, cluster.y - cluster.h / 2.0);
            assert!(x0 >= 0.0 && y0 >= 0.0, "{}", cluster.key);
            assert!(
                x0 + cluster.w <= d.width && y0 + cluster.h <= d.height,
                "{} {}x{} at {},{} in {}x{}",
                cluster.key,
                cluster.w,
                cluster.h,
                x0,
                y0,
                d.width,
                d.height
            );
            for (i, a) in cluster.tiles.iter().enumerate() {
                assert!((a.x - cluster.x).abs() * 2.0 <= cluster.w - a.w);
                assert!((a.y - cluster.y).abs() * 2.0 <= cluster.h - a.h);
                for b in &cluster.tiles[i + 1..] {
                    assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
                }
            }
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

    /// Every preset's diagram, as the app lays it out on a wide screen.
    fn preset_diagram(stage: u8) -> (Vec<ComponentInfo>, Diagram) {
        let scenario = crate::scenario::preset(stage).expect("preset");
        let sim = crate::sim::Sim::new(&scenario).expect("valid preset");
        let components = sim.components().to_vec();
        let d = match &scenario.geo {
            Some(geo) => crate::layout_geo::geo_diagram(&components, geo, Orientation::Landscape),
            None => diagram(&components),
        };
        (components, d)
    }

    /// Every stage's drawing fits the viewer's box at 1400 px with every text ≥ 11 px: the
    /// diagram's min-width (src/ui/diagram.rs: the width at which its smallest text is 11 px)
    /// is no wider than the box, so nothing scrolls sideways.
    #[test]
    fn every_preset_fits_a_1400_px_window_readable() {
        let mut unreadable = Vec::new();
        for stage in 1..=11 {
            let (_, d) = preset_diagram(stage);
            let px = d.smallest_text_px(BOX_W_AT_1400_PX);
            let min_width_px = (d.width * READABLE_PX / font::MIN).ceil();
            let line = format!(
                "stage {stage}: {:.0} × {:.0} units, smallest text {px:.2} px, \
                 at least {min_width_px} px wide in a {BOX_W_AT_1400_PX} px box",
                d.width, d.height
            );
            println!("{line}");
            if px < READABLE_PX || min_width_px > BOX_W_AT_1400_PX {
                unreadable.push(line);
            }
        }
        assert!(unreadable.is_empty(), "{unreadable:#?}");
    }

    /// Stage 5 with a second cache of three nodes fronting API reads (`cache-api`): its six
    /// cache nodes wrap into two rows under the path, so the drawing fits the 1400-px box with
    /// its texts at 11 px (in one row it needed 979 px in a 918-px box, and scrolled).
    #[test]
    fn two_caches_fit_a_1400_px_window_readable() {
        let mut scenario = crate::scenario::preset(5).expect("preset");
        let cache = scenario.cache.clone().expect("stage 5 has a cache");
        scenario.more_caches.push(crate::scenario::NamedCache {
            name: "cache-api".into(),
            fronts: vec![crate::scenario::topology::Flow::ApiRead],
            cache,
        });
        let sim = crate::sim::Sim::new(&scenario).expect("two caches are valid");
        let components = sim.components().to_vec();
        let d = diagram(&components);
        assert_sound(&components, &d);
        let caches = d.nodes.iter().filter(|n| n.kind == ComponentKind::Cache);
        assert_eq!(caches.count(), 6, "both caches drawn node by node");
        let min_width_px = (d.width * READABLE_PX / font::MIN).ceil();
        assert!(
            d.smallest_text_px(BOX_W_AT_1400_PX) >= READABLE_PX && min_width_px <= BOX_W_AT_1400_PX,
            "{:.0} units wide: at least {min_width_px} px in a {BOX_W_AT_1400_PX}-px box",
            d.width
        );
    }

    /// Stage 10 with a second shard router splitting `orders` over `orders_shards` shards (a
    /// master and a replica each), the first database over `shards`.
    fn two_routers(shards: u32, orders_shards: u32) -> Vec<ComponentInfo> {
        let mut scenario = crate::scenario::preset(10).expect("preset");
        let first = scenario.sharding.as_mut().expect("stage 10 shards");
        (first.shards, first.reshard) = (shards, None);
        let mut sharding = first.clone();
        (sharding.shards, sharding.reshard) = (orders_shards, None);
        sharding.hot_keys.clear();
        let database = scenario.database.clone().expect("a database");
        scenario
            .more_databases
            .push(crate::scenario::NamedDatabase {
                name: "orders".into(),
                takes: vec![crate::scenario::topology::Flow::Write],
                database,
                sharding: Some(sharding),
                router: Some("orders-shards".into()),
            });
        let sim = crate::sim::Sim::new(&scenario).expect("two routers are valid");
        sim.components().to_vec()
    }

    /// Stage 10 with a second shard router splitting `orders` over two shards: six shard
    /// boxes stacked in the database column would make the drawing 708 units tall, its
    /// smallest text 9.75 px in the 600-px-high box. So `orders`' shards are one box (its
    /// panel lists their four nodes), the first database's four shards keep one each, and
    /// every text is at least 11 px in the 1400-px window's box and in those of the 1280- and
    /// 1000-px windows (1,198 and 934 px wide, measured in Chromium on the built app: there the
    /// box's 600-px height is the limit).
    #[test]
    fn two_shard_routers_fit_a_1400_px_window_readable() {
        let components = two_routers(4, 2);
        let d = diagram(&components);
        assert_sound(&components, &d);
        let keys: Vec<&str> = d.clusters.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["web", "shard-0", "shard-1", "shard-2", "shard-3", "orders"]
        );
        let orders = d.clusters.iter().find(|c| c.key == "orders").unwrap();
        let tiles: Vec<&str> = orders.tiles.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(
            tiles,
            [
                "orders-shard-0-0",
                "orders-shard-0-1",
                "orders-shard-1-0",
                "orders-shard-1-1"
            ]
        );
        assert_eq!(orders.caption, "orders · 2 shards · 4 database nodes");
        assert_eq!(
            d.drawn(orders.node).map(|n| n.label.as_str()),
            Some("orders")
        );
        let min_width_px = (d.width * READABLE_PX / font::MIN).ceil();
        println!(
            "two routers: {:.0} × {:.0} units, smallest text {:.2} px",
            d.width,
            d.height,
            d.smallest_text_px(BOX_W_AT_1400_PX)
        );
        assert!(min_width_px <= BOX_W_AT_1400_PX, "{min_width_px} px wide");
        for box_w in [BOX_W_AT_1400_PX, 1198.0, 934.0] {
            let px = d.smallest_text_px(box_w);
            assert!(
                px >= READABLE_PX,
                "{:.0} × {:.0} units: smallest text {px:.2} px in a {box_w}-px box",
                d.width,
                d.height
            );
        }
    }

    /// A further database's shards keep a box each when the drawing fits without folding
    /// them (two shards for each router), and in portrait, where the drawing scrolls down
    /// rather than shrink.
    #[test]
    fn a_further_databases_shards_fold_only_when_the_drawing_is_too_tall() {
        let components = two_routers(2, 2);
        let d = diagram(&components);
        let keys: Vec<&str> = d.clusters.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "web",
                "shard-0",
                "shard-1",
                "orders-shard-0",
                "orders-shard-1"
            ]
        );
        assert!(d.smallest_text_px(BOX_W_AT_1400_PX) >= READABLE_PX);
        let tall = two_routers(4, 2);
        let d = diagram_oriented(&tall, Orientation::Portrait);
        assert_sound(&tall, &d);
        assert!(d.clusters.iter().any(|c| c.key == "orders-shard-1"));
    }

    /// A replica's lag line fits its box at stages 4 and 8 for any lag up to a day and a
    /// billion writes (`5 ms / 1 write behind` alone was 128 px in Chromium where the box
    /// leaves 122, and `1,234 ms / 5,678 writes behind` 187).
    #[test]
    fn a_replicas_lag_line_fits_its_box() {
        for stage in [4, 8] {
            let (_, d) = preset_diagram(stage);
            let databases: Vec<&DiagramNode> = d
                .nodes
                .iter()
                .filter(|n| n.kind == ComponentKind::Database)
                .collect();
            assert!(databases.len() >= 2, "stage {stage} has replicas");
            for n in databases {
                let room = n.w - 28.0;
                for ms in [0.0, 5.0, 987.0, 12_345.0, 987_654.0, 86_400_000.0] {
                    for writes in [0, 1, 14, 5_678, 1_234_567, 1_000_000_000] {
                        let forms = replica_lag_forms(ms, writes);
                        let line = fit_second_line(n, &forms);
                        let w = text_width(&line, font::BODY);
                        assert!(
                            w <= room,
                            "stage {stage}: {line:?} is {w:.0} units in {room}"
                        );
                    }
                }
                // Short lags keep both figures.
                let forms = replica_lag_forms(5.0, 1);
                assert_eq!(fit_second_line(n, &forms), "5 ms / 1 write");
            }
        }
    }

    /// Panics if the straight line `l` passes through any box of `d` (200 points along it).
    fn assert_crosses_no_box(d: &Diagram, l: &DiagramLine, stage: u8) {
        for n in &d.nodes {
            let crosses = (1..200).any(|i| {
                let f = f64::from(i) / 200.0;
                let (x, y) = (
                    l.from.0 + (l.to.0 - l.from.0) * f,
                    l.from.1 + (l.to.1 - l.from.1) * f,
                );
                (x - n.x).abs() * 2.0 < n.w && (y - n.y).abs() * 2.0 < n.h
            });
            assert!(!crosses, "stage {stage}: {l:?} crosses {}", n.label);
        }
    }

    #[test]
    fn presets_1_to_10_are_sound_and_no_database_wire_crosses_a_box() {
        for stage in 1..=10 {
            let (components, d) = preset_diagram(stage);
            assert_sound(&components, &d);
            let databases: Vec<&DiagramNode> = d
                .nodes
                .iter()
                .filter(|n| n.kind == ComponentKind::Database)
                .collect();
            let ends_at_database = |l: &&DiagramLine| {
                databases.iter().any(|n| {
                    (l.to.0 - n.x).abs() * 2.0 <= n.w + 2.0 * EDGE_GAP + 1e-9
                        && (l.to.1 - n.y).abs() * 2.0 <= n.h + 2.0 * EDGE_GAP + 1e-9
                })
            };
            let wires: Vec<&DiagramLine> = d.lines.iter().filter(ends_at_database).collect();
            assert!(stage == 1 || !wires.is_empty(), "stage {stage}");
            for l in wires {
                assert_crosses_no_box(&d, l, stage);
            }
        }
    }

    /// Stage 8 (`workers → db`) and stage 10 (`workers → shards`) with the workers writing
    /// their jobs to the database: one arrow leaves the workers' box for the first database
    /// (its master `db-0`; on stage 10 the top shard's box, standing for the shards), long
    /// enough to see, crossing no box, and the drawing still fits the 1400-px box at ≥ 11 px.
    #[test]
    fn workers_writing_to_the_database_are_drawn_with_arrows_to_it() {
        for stage in [8, 10] {
            let mut s = crate::scenario::preset(stage).expect("preset");
            s.queue.as_mut().expect("a queue").job_writes_to_db = true;
            let sim = crate::sim::Sim::new(&s).expect("valid");
            let components = sim.components().to_vec();
            let d = crate::layout_plan::drawn(&s, &components, Orientation::Landscape);
            assert_sound(&components, &d);
            let near = |p: (f64, f64), x: f64, y: f64, w: f64, h: f64| {
                (p.0 - x).abs() * 2.0 <= w + 2.0 * EDGE_GAP + 1e-9
                    && (p.1 - y).abs() * 2.0 <= h + 2.0 * EDGE_GAP + 1e-9
            };
            let workers = (d.nodes.iter())
                .find(|n| n.kind == ComponentKind::Workers)
                .expect("the workers' box");
            // The database's boxes: its node, or its shards' frames.
            let mut targets: Vec<(f64, f64, f64, f64)> = (d.clusters.iter())
                .filter(|c| c.key.starts_with("shard-"))
                .map(|c| (c.x, c.y, c.w, c.h))
                .collect();
            targets.extend(
                (d.nodes.iter())
                    .filter(|n| n.kind == ComponentKind::Database)
                    .map(|n| (n.x, n.y, n.w, n.h)),
            );
            let from_workers: Vec<&DiagramLine> = (d.lines.iter())
                .filter(|l| near(l.from, workers.x, workers.y, workers.w, workers.h))
                .filter(|l| targets.iter().any(|&(x, y, w, h)| near(l.to, x, y, w, h)))
                .collect();
            assert_eq!(from_workers.len(), 1, "stage {stage}: {:?}", d.lines);
            let l = from_workers[0];
            let length = ((l.to.0 - l.from.0).powi(2) + (l.to.1 - l.from.1).powi(2)).sqrt();
            assert!(length >= 30.0, "stage {stage}: {l:?}");
            for l in &from_workers {
                assert_crosses_no_box(&d, l, stage);
            }
            let px = d.smallest_text_px(BOX_W_AT_1400_PX);
            let min_width_px = (d.width * READABLE_PX / font::MIN).ceil();
            assert!(
                px >= READABLE_PX && min_width_px <= BOX_W_AT_1400_PX,
                "stage {stage}: {px:.2} px, {min_width_px} px wide"
            );
            // Without the field, no arrow leaves the workers but to nothing: they only take
            // jobs from the queue.
            let plain = crate::scenario::preset(stage).unwrap();
            let d = crate::layout_plan::drawn(&plain, &components, Orientation::Landscape);
            let workers = (d.nodes.iter())
                .find(|n| n.kind == ComponentKind::Workers)
                .unwrap();
            assert!(
                !(d.lines.iter()).any(|l| near(l.from, workers.x, workers.y, workers.w, workers.h)),
                "stage {stage}"
            );
        }
    }

    #[test]
    fn each_shard_is_one_box_that_opens_on_its_master_and_replicas() {
        let (_, d) = preset_diagram(10);
        let shards: Vec<&DiagramCluster> = d
            .clusters
            .iter()
            .filter(|c| c.key.starts_with("shard-"))
            .collect();
        assert_eq!(shards.len(), 4);
        for (s, cluster) in shards.iter().enumerate() {
            assert_eq!(cluster.key, format!("shard-{s}"));
            let names: Vec<&str> = cluster.tiles.iter().map(|t| t.label.as_str()).collect();
            assert_eq!(
                names,
                [format!("shard-{s}-db-0"), format!("shard-{s}-db-1")]
            );
            let node = d.drawn(cluster.node).expect("the shard's box is drawn");
            assert_eq!(node.label, format!("shard {s}"));
            assert!(!node.compact);
        }
        // The cache nodes all read from every shard: one arrow between the cache row and the
        // shard column, not twelve.
        let caches: Vec<&DiagramNode> = d
            .nodes
            .iter()
            .filter(|n| n.kind == ComponentKind::Cache)
            .collect();
        assert_eq!(caches.len(), 3);
        let near = |n: &DiagramNode, (x, y): (f64, f64)| {
            (x - n.x).abs() * 2.0 <= n.w + 2.0 * EDGE_GAP + 1e-9
                && (y - n.y).abs() * 2.0 <= n.h + 2.0 * EDGE_GAP + 1e-9
        };
        let shard_boxes: Vec<&DiagramNode> =
            shards.iter().map(|c| d.drawn(c.node).unwrap()).collect();
        let into_shards = d
            .lines
            .iter()
            .filter(|l| shard_boxes.iter().any(|b| near(b, l.to)))
            .count();
        // One from the web tier to each shard, one from the cache row.
        assert_eq!(into_shards, 4 + 1, "arrows ending at a shard's box");
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
            // Many web servers: one box for the tier, its servers as tiles in its panel.
            let servers: Vec<&ComponentInfo> = components
                .iter()
                .filter(|c| c.kind == ComponentKind::Server)
                .collect();
            let tier = d
                .clusters
                .iter()
                .find(|c| c.key == "web")
                .expect("a web tier");
            assert_eq!(tier.tiles.len(), servers.len(), "stage {stage}");
            for s in &servers {
                assert_eq!(d.drawn_as(s.id), Some(tier.node));
            }
            assert_eq!(d.drawn(tier.node).unwrap().members.len(), servers.len());
            assert!(d.lines.len() < d.edges.len());
        }
    }

    #[test]
    fn columns_follow_the_wires_of_a_drawn_architecture() {
        // A balancer between the web servers and the databases: the kinds alone would put it
        // left of the web servers; its wires put it between them and the databases.
        let components = vec![
            info(0, "users", ComponentKind::Users),
            info(1, "lb", ComponentKind::LoadBalancer),
            info(2, "web-0", ComponentKind::Server),
            info(3, "db-lb", ComponentKind::LoadBalancer),
            info(4, "db-0", ComponentKind::Database),
            info(5, "db-1", ComponentKind::Database),
        ];
        let wire = |from, to| DiagramEdge {
            from: ComponentId(from),
            to: ComponentId(to),
        };
        let input = LayoutInput {
            components: components.clone(),
            edges: vec![wire(0, 1), wire(1, 2), wire(2, 3), wire(3, 4), wire(3, 5)],
        };
        for orientation in [Orientation::Landscape, Orientation::Portrait] {
            let d = layout(&input, orientation);
            assert_sound(&components, &d);
            let along = |id| {
                let (x, y) = d.node_centre(ComponentId(id)).unwrap();
                match orientation {
                    Orientation::Landscape => x,
                    Orientation::Portrait => y,
                }
            };
            assert!(
                along(0) < along(1) && along(1) < along(2),
                "{orientation:?}"
            );
            assert!(
                along(2) < along(3) && along(3) < along(4),
                "{orientation:?}"
            );
            assert_eq!(d.lines.len(), 5);
        }
        // A cycle (a wire back to the users) ends, and still places everything.
        let mut cyclic = input.clone();
        cyclic.edges.push(wire(5, 0));
        assert_sound(&components, &layout(&cyclic, Orientation::Landscape));
    }

    #[test]
    fn empty_topology_gives_an_empty_but_valid_diagram() {
        let d = diagram(&[]);
        assert!(d.nodes.is_empty() && d.edges.is_empty());
        assert!(d.width > 0.0 && d.height > 0.0);
    }

    /// Stage 3 with a second web pool (`web-api`) and a rate limiter standing at `fronts`.
    fn limited_at(fronts: &str) -> (crate::scenario::Scenario, Vec<ComponentInfo>, Diagram) {
        let mut s = crate::scenario::preset(3).expect("preset");
        s.more_web_pools.push(crate::scenario::NamedWebPool {
            name: "web-api".into(),
            serves: vec![crate::scenario::topology::Flow::ApiRead],
            server: s.server.clone(),
            autoscaling: None,
        });
        s.plugs.push(crate::scenario::PlugNode {
            name: "limiter".into(),
            fronts: fronts.into(),
            params: crate::sim::PlugParams::RateLimiter(Default::default()),
        });
        let sim = crate::sim::Sim::new(&s).expect("valid");
        let components = sim.components().to_vec();
        let d = crate::layout_plan::drawn(&s, &components, Orientation::Landscape);
        (s, components, d)
    }

    fn id_of(components: &[ComponentInfo], name: &str) -> ComponentId {
        components.iter().find(|c| c.name == name).expect(name).id
    }

    fn has_edge(d: &Diagram, from: ComponentId, to: ComponentId) -> bool {
        d.edges.contains(&DiagramEdge { from, to })
    }

    /// A limiter in front of the balancer is drawn before it, on the users' way in.
    #[test]
    fn a_limiter_in_front_of_the_balancer_is_drawn_before_it() {
        let (_, c, d) = limited_at("lb");
        assert_sound(&c, &d);
        let (users, lb, limiter) = (id_of(&c, "users"), id_of(&c, "lb"), id_of(&c, "limiter"));
        assert!(has_edge(&d, users, limiter) && has_edge(&d, limiter, lb));
        assert!(!has_edge(&d, users, lb));
        let x = |id| d.node_centre(id).unwrap().0;
        assert!(x(users) < x(limiter) && x(limiter) < x(lb));
    }

    /// A limiter behind the balancer, in front of one web pool, is drawn where it stands:
    /// between the balancer and that pool's servers, which only it feeds; the other pool is
    /// fed by the balancer as before, and the drawing stays readable at 1400 px.
    #[test]
    fn a_limiter_in_front_of_a_web_pool_is_drawn_between_the_balancer_and_that_pool() {
        for pool in ["web", "web-api"] {
            let (_, c, d) = limited_at(pool);
            assert_sound(&c, &d);
            let (users, lb, limiter) = (id_of(&c, "users"), id_of(&c, "lb"), id_of(&c, "limiter"));
            assert!(has_edge(&d, users, lb), "{pool}: users reach the balancer");
            assert!(
                !has_edge(&d, users, limiter),
                "{pool}: not on the users' way in"
            );
            assert!(has_edge(&d, lb, limiter), "{pool}");
            // A server's drawn box (its pool's, for a pool drawn as one box).
            let x = |id| d.drawn(d.drawn_as(id).unwrap()).unwrap().x;
            for s in c.iter().filter(|s| s.kind == ComponentKind::Server) {
                let gated = stem_of(&s.name) == pool;
                assert_eq!(has_edge(&d, limiter, s.id), gated, "{pool}: {}", s.name);
                assert_eq!(has_edge(&d, lb, s.id), !gated, "{pool}: {}", s.name);
                if gated {
                    assert!(x(lb) < x(limiter) && x(limiter) < x(s.id), "{pool}");
                }
            }
            let min_width_px = (d.width * READABLE_PX / font::MIN).ceil();
            assert!(
                d.smallest_text_px(BOX_W_AT_1400_PX) >= READABLE_PX
                    && min_width_px <= BOX_W_AT_1400_PX,
                "{pool}: {:.0} units wide, at least {min_width_px} px in a {BOX_W_AT_1400_PX}-px box",
                d.width
            );
        }
    }

    /// At stage 11 every data center's stack draws its own limiter where it stands.
    #[test]
    fn at_stage_11_each_data_centers_limiter_is_drawn_in_its_stack_where_it_stands() {
        for fronts in ["lb", "web"] {
            let mut s = crate::scenario::preset(11).expect("preset");
            s.plugs.push(crate::scenario::PlugNode {
                name: "limiter".into(),
                fronts: fronts.into(),
                params: crate::sim::PlugParams::RateLimiter(Default::default()),
            });
            let d = crate::layout_plan::diagram(&s, Orientation::Landscape);
            let geo = d.geo.as_ref().expect("the region view");
            for dc in &geo.data_centers {
                let stack = &dc.stack;
                let named = |name: &str| {
                    let n = stack.nodes.iter().find(|n| n.label == name);
                    n.unwrap_or_else(|| panic!("{name} drawn")).component
                };
                let (limiter, lb) = (named("limiter"), named("lb"));
                let before_lb = has_edge(stack, limiter, lb);
                assert_eq!(before_lb, fronts == "lb", "{fronts}");
                assert_eq!(has_edge(stack, lb, limiter), fronts == "web", "{fronts}");
            }
        }
    }
}
