//! Sampled request paths drawn as moving dots on a `<canvas>` between the SVG diagram's wires
//! and its boxes: [`Painter::dots`] turns paths into positions (in the page or in the web
//! worker), [`draw`] puts them on the canvas.
//!
//! A dot leaves the users node at `start`, travels to each hop's node (arriving at `enter`),
//! waits there until `leave`, and after the last hop travels back to the users, arriving at
//! `end`. The core records a path when the request finishes, so the canvas shows the recent past:
//! a short display delay (about the recent p99 latency) lets whole journeys play out.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::layout::Diagram;
use crate::sim::{ComponentId, ComponentKind, Outcome, PathSample, PlugKind, SimTime, MAX_HOPS};

/// Dot radius, in diagram units.
const DOT_RADIUS: f64 = 4.5;
/// Most dots drawn in one frame.
const MAX_DOTS: usize = 600;
/// Shortest and longest display delay, in simulated nanoseconds.
const DELAY_MIN_NS: u64 = 20_000_000;
const DELAY_MAX_NS: u64 = 1_500_000_000;

/// What a dot shows: how its request ended, and for successful requests where it was
/// answered (the CDN edge, a cache) when the topology has such a place. The legend uses the same
/// colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DotClass {
    /// Served by the CDN edge from its copy.
    CdnHit,
    /// The CDN edge did not hold it: fetched from the origin (web servers) through the edge.
    CdnOrigin,
    /// A cache node held the key.
    CacheHit,
    /// The cache missed: the database answered, and the cache keeps the value.
    CacheMiss,
    /// Anything else, by outcome (`Ok`: served without a cache on the way).
    Outcome(Outcome),
}

impl DotClass {
    /// Its colour (CSS).
    pub fn colour(self) -> &'static str {
        match self {
            DotClass::CdnHit => crate::palette::CDN_HIT,
            DotClass::CdnOrigin => crate::palette::CDN_ORIGIN,
            DotClass::CacheHit => crate::palette::CACHE_HIT,
            DotClass::CacheMiss => crate::palette::CACHE_MISS,
            DotClass::Outcome(o) => outcome_colour(o),
        }
    }

    /// A short human label.
    pub fn label(self) -> &'static str {
        match self {
            DotClass::CdnHit => "CDN edge hit",
            DotClass::CdnOrigin => "CDN miss → origin",
            DotClass::CacheHit => "cache hit",
            DotClass::CacheMiss => "cache miss → database",
            DotClass::Outcome(o) => o.label(),
        }
    }

    /// Every class: the successes first, then the failures in report order.
    pub fn all() -> impl Iterator<Item = DotClass> {
        [
            DotClass::Outcome(Outcome::Ok),
            DotClass::CdnHit,
            DotClass::CdnOrigin,
            DotClass::CacheHit,
            DotClass::CacheMiss,
        ]
        .into_iter()
        .chain(Outcome::FAILURES.into_iter().map(DotClass::Outcome))
    }

    /// Its place in [`DotClass::all`] (how a dot's class travels in a typed array).
    pub fn index(self) -> u8 {
        DotClass::all().position(|c| c == self).unwrap_or(0) as u8
    }

    /// Whether dots of this class can appear in a topology with these kinds of components.
    pub fn possible(self, kinds: &[ComponentKind]) -> bool {
        match self {
            DotClass::CdnHit | DotClass::CdnOrigin => kinds.contains(&ComponentKind::Cdn),
            DotClass::CacheHit | DotClass::CacheMiss => kinds.contains(&ComponentKind::Cache),
            DotClass::Outcome(o) => outcome_possible(o, kinds),
        }
    }

    /// The class of a sampled request, from the kinds of the components it visited
    /// (`kind_of` gives a component's kind): through the CDN edge and no web server is an edge
    /// hit, through it and a web server an origin fetch; a cache followed by a database is a
    /// miss, a cache as the last data stop a hit.
    pub fn of(sample: &PathSample, kind_of: impl Fn(ComponentId) -> Option<ComponentKind>) -> Self {
        if sample.outcome != Outcome::Ok {
            return DotClass::Outcome(sample.outcome);
        }
        let mut cdn = false;
        let mut server = false;
        let mut cache = false;
        let mut database_after_cache = false;
        for hop in sample.hops() {
            match kind_of(hop.component) {
                Some(ComponentKind::Cdn) => cdn = true,
                Some(ComponentKind::Server) => server = true,
                Some(ComponentKind::Cache) => cache = true,
                Some(ComponentKind::Database) if cache => database_after_cache = true,
                _ => {}
            }
        }
        match (cdn, server, cache, database_after_cache) {
            (true, false, _, _) => DotClass::CdnHit,
            (true, true, _, _) => DotClass::CdnOrigin,
            (false, _, true, true) => DotClass::CacheMiss,
            (false, _, true, false) => DotClass::CacheHit,
            _ => DotClass::Outcome(Outcome::Ok),
        }
    }
}

/// The colour of a dot, by how its request ended.
pub fn outcome_colour(outcome: Outcome) -> &'static str {
    crate::palette::outcome_colour(outcome)
}

/// Whether an outcome can happen in a topology with these kinds of components (for the legend).
pub fn outcome_possible(outcome: Outcome, kinds: &[ComponentKind]) -> bool {
    // A data center holds a whole stack: any failure can happen inside it.
    if kinds.contains(&ComponentKind::DataCenter) {
        return true;
    }
    match outcome {
        Outcome::NoHealthyServer => kinds.contains(&ComponentKind::LoadBalancer),
        Outcome::DbDown => kinds.contains(&ComponentKind::Database),
        Outcome::SessionStoreDown => kinds.contains(&ComponentKind::SessionStore),
        Outcome::RateLimited => {
            kinds.contains(&ComponentKind::Plug(PlugKind::RateLimiter))
                || kinds.contains(&ComponentKind::Plug(PlugKind::ApiGateway))
        }
        // Every topology has a web server with a waiting line, DNS and a client timeout.
        Outcome::Ok
        | Outcome::QueueFull
        | Outcome::Timeout
        | Outcome::ServerDown
        | Outcome::DnsDown => true,
    }
}

/// Where a dot arriving at a component from a neighbour stops, and which way is back.
#[derive(Clone, Copy, Debug)]
struct Port {
    /// The arrow's end at the component, in diagram units.
    at: (f64, f64),
    /// Unit vector from `at` back towards the neighbour (a waiting crowd queues along it).
    outward: (f64, f64),
}

impl Port {
    fn between(at: (f64, f64), towards: (f64, f64)) -> Port {
        let (dx, dy) = (towards.0 - at.0, towards.1 - at.1);
        let len = dx.hypot(dy).max(1e-9);
        Port {
            at,
            outward: (dx / len, dy / len),
        }
    }

    /// A point `depth` units back along the arrow and `across` units to its side.
    fn offset(&self, depth: f64, across: f64) -> (f64, f64) {
        let (ox, oy) = self.outward;
        (
            self.at.0 + ox * depth - oy * across,
            self.at.1 + oy * depth + ox * across,
        )
    }
}

/// A point a dot reaches at `arrive` and leaves at `depart` (simulated nanoseconds).
#[derive(Clone, Copy, Debug, Default)]
struct Waypoint {
    at: (f64, f64),
    arrive: u64,
    depart: u64,
}

/// Most waypoints of one path: start, two per hop, a guessed stop, the end.
const MAX_WAYPOINTS: usize = 2 * MAX_HOPS + 3;

/// Turns sampled paths into dot positions and draws them.
#[derive(Clone, Debug, Default)]
pub struct Painter {
    /// Number of component ids covered by `ports`.
    size: usize,
    /// `ports[from * size + to]`: where a dot coming from `from` stops at `to`.
    ports: Vec<Option<Port>>,
    /// The users component.
    users: Option<ComponentId>,
    /// Stage 11: the node of each region's users, by region index (dots start and end at
    /// their user's region); empty otherwise.
    origins: Vec<ComponentId>,
    /// The node each component is drawn as, by component id (in the region view, a data
    /// center's stack is drawn as its box).
    drawn: Vec<ComponentId>,
    /// Side services (DNS): the client goes there and comes back, by component id.
    side: Vec<bool>,
    /// Each drawn component's kind, by component id.
    kinds: Vec<Option<ComponentKind>>,
    /// Where a request that reached nothing was headed (the first stop after the users).
    entry: Option<ComponentId>,
    /// Half-width of the band of lanes dots travel in, in diagram units.
    lane_spread: f64,
    /// How far behind the simulation the dots are drawn, in simulated nanoseconds.
    delay_ns: u64,
}

impl Painter {
    /// A painter for a diagram.
    pub fn new(diagram: &Diagram) -> Painter {
        let members = diagram
            .geo
            .iter()
            .flat_map(|g| g.data_centers.iter().flat_map(|dc| dc.members.iter()));
        let size = diagram
            .nodes
            .iter()
            .map(|n| n.component)
            .chain(members.copied())
            .map(|id| usize::from(id.0) + 1)
            .max()
            .unwrap_or(0);
        let users = diagram
            .nodes
            .iter()
            .find(|n| n.kind == ComponentKind::Users);
        let origins = diagram
            .geo
            .as_ref()
            .map_or_else(Vec::new, |g| g.regions.clone());
        let drawn: Vec<ComponentId> = (0..size)
            .map(|i| {
                let id = ComponentId(i as u16);
                diagram.drawn_as(id).unwrap_or(id)
            })
            .collect();
        let mut side = vec![false; size];
        let mut kinds = vec![None; size];
        for n in &diagram.nodes {
            side[usize::from(n.component.0)] = n.kind == ComponentKind::Dns;
            kinds[usize::from(n.component.0)] = Some(n.kind);
        }
        let mut ports = vec![None; size * size];
        let mut set = |from: ComponentId, to: ComponentId, port: Port| {
            let cell = &mut ports[usize::from(from.0) * size + usize::from(to.0)];
            if cell.is_none() {
                *cell = Some(port);
            }
        };
        // Straight from any component to any other, both ways (a grouped web server's
        // arrows are drawn from its frame, but its dots still go to the tile itself).
        for (i, a) in diagram.nodes.iter().enumerate() {
            for b in &diagram.nodes[i + 1..] {
                if let Some((from, to)) = diagram.edge_ends(a.component, b.component) {
                    set(a.component, b.component, Port::between(to, from));
                    set(b.component, a.component, Port::between(from, to));
                }
            }
        }
        // The front door: the balancer, else the (first) web server (none in the region view:
        // a request that reached nothing has no data center to wait at).
        let entry = diagram
            .nodes
            .iter()
            .find(|n| n.kind == ComponentKind::LoadBalancer)
            .or_else(|| {
                diagram
                    .nodes
                    .iter()
                    .find(|n| n.kind == ComponentKind::Server)
            })
            .map(|n| n.component);
        Painter {
            size,
            ports,
            users: users.map(|u| u.component),
            origins,
            drawn,
            side,
            kinds,
            entry,
            lane_spread: users.map_or(30.0, |u| u.h * 0.3),
            delay_ns: DELAY_MIN_NS * 5,
        }
    }

    /// Sets the display delay from the recent p99 latency (smoothed so dots do not jump).
    pub fn set_latency_hint(&mut self, p99_ms: f64) {
        let wanted = (p99_ms.max(0.0) * 1.2 * 1e6) as u64;
        let wanted = wanted.clamp(DELAY_MIN_NS, DELAY_MAX_NS);
        self.delay_ns = (self.delay_ns / 2).saturating_add(wanted / 2);
    }

    /// How far behind the simulation the dots are drawn, in simulated seconds.
    pub fn delay_s(&self) -> f64 {
        self.delay_ns as f64 * 1e-9
    }

    /// Where a dot coming from `from` stops at `to`.
    fn port(&self, from: ComponentId, to: ComponentId) -> Option<Port> {
        let (from, to) = (usize::from(from.0), usize::from(to.0));
        if from >= self.size || to >= self.size {
            return None;
        }
        self.ports[from * self.size + to]
    }

    fn is_side(&self, id: ComponentId) -> bool {
        self.side.get(usize::from(id.0)).copied().unwrap_or(false)
    }

    /// The node a component is drawn as.
    fn drawn(&self, id: ComponentId) -> ComponentId {
        self.drawn.get(usize::from(id.0)).copied().unwrap_or(id)
    }

    /// Where a sampled request's user is drawn: its region's node, or the users.
    fn origin(&self, sample: &PathSample) -> Option<ComponentId> {
        if self.origins.is_empty() {
            self.users
        } else {
            self.origins
                .get(usize::from(sample.region))
                .or(self.origins.first())
                .copied()
        }
    }

    /// The journey of a sampled request as waypoints; returns how many were written.
    fn waypoints(&self, sample: &PathSample, out: &mut [Waypoint; MAX_WAYPOINTS]) -> usize {
        let Some(users) = self.origin(sample) else {
            return 0;
        };
        let Some(first) = sample
            .hops()
            .first()
            .map(|h| self.drawn(h.component))
            .or(self.entry)
        else {
            return 0;
        };
        // Each request gets its own lane and its own place in a waiting crowd.
        let lane = (spread(sample.seq) - 0.5) * 2.0 * self.lane_spread;
        let depth = spread(sample.seq ^ 0x5bd1_e995) * 44.0;
        let (start, end) = (sample.start.0, sample.end.0);
        let mut n = 0;
        // Appends a stop where the port is known; returns how many stops there are.
        let push = |out: &mut [Waypoint; MAX_WAYPOINTS],
                    n: &mut usize,
                    port: Option<Port>,
                    depth: f64,
                    across: f64,
                    arrive: u64,
                    depart: u64| {
            if let (Some(port), true) = (port, *n < MAX_WAYPOINTS) {
                out[*n] = Waypoint {
                    at: port.offset(depth, across),
                    arrive,
                    depart,
                };
                *n += 1;
            }
            *n
        };
        push(
            out,
            &mut n,
            self.port(first, users),
            0.0,
            lane * 0.5,
            start,
            start,
        );
        let mut at = users;
        let mut reached_main = false;
        // The waypoint where the dot stops at `at` (hops drawn as one box merge into it).
        let mut stop: Option<usize> = None;
        for hop in sample.hops() {
            let (c, enter, leave) = (self.drawn(hop.component), hop.enter.0, hop.leave.0);
            if self.is_side(c) {
                // Out and back within the hop's time: the client asks and gets the answer.
                let mid = enter + leave.saturating_sub(enter) / 2;
                push(out, &mut n, self.port(users, c), 4.0, lane * 0.4, mid, mid);
                push(
                    out,
                    &mut n,
                    self.port(c, users),
                    0.0,
                    lane * 0.5,
                    leave,
                    leave,
                );
                at = users;
                stop = None;
                continue;
            }
            reached_main = true;
            if c == at {
                if let Some(i) = stop {
                    out[i].depart = out[i].depart.max(leave);
                }
                continue;
            }
            // Dots that wait form a crowd in front of the box; dots passing through stay
            // close to the arrow. (A data center's dots waited inside its box, over its big
            // req/s figure and the lines under it.)
            let crowd = if leave > enter { 4.0 + depth } else { 4.0 };
            let before = n;
            let written = push(
                out,
                &mut n,
                self.port(at, c),
                crowd,
                lane * 0.6,
                enter,
                leave,
            );
            stop = (written > before).then(|| written - 1);
            at = c;
        }
        if !reached_main && sample.outcome == Outcome::Timeout {
            if let Some(entry) = self.entry {
                // It never got an answer: show it waiting at the entry until the client gave up.
                let from = sample.hops().last().map_or(start, |h| h.leave.0);
                let arrive = from + end.saturating_sub(from) / 10;
                let depart = end.saturating_sub(end.saturating_sub(from) / 10);
                push(
                    out,
                    &mut n,
                    self.port(users, entry),
                    4.0 + depth,
                    lane * 0.6,
                    arrive,
                    depart.max(arrive),
                );
                at = entry;
            }
        }
        let home = if at == users { first } else { at };
        push(
            out,
            &mut n,
            self.port(home, users),
            0.0,
            lane * 0.5,
            end,
            end,
        )
    }

    /// Where a sampled request is at time `t`, in diagram units; `None` if it is not under way.
    fn position(&self, sample: &PathSample, t: SimTime) -> Option<(f64, f64)> {
        if t < sample.start || t > sample.end {
            return None;
        }
        let t = t.0;
        let mut points = [Waypoint::default(); MAX_WAYPOINTS];
        let count = self.waypoints(sample, &mut points);
        let points = &points[..count];
        if points.is_empty() {
            return None;
        }
        for (i, w) in points.iter().enumerate() {
            if t <= w.depart.max(w.arrive) {
                if t >= w.arrive || i == 0 {
                    return Some(w.at);
                }
                let prev = &points[i - 1];
                return Some(lerp(prev.at, w.at, prev.depart, w.arrive, t));
            }
        }
        points.last().map(|w| w.at)
    }

    /// The requests under way at the display time (`now` less the display delay) among
    /// `paths`, as dots: `x, y, class` triples in diagram units (the class as
    /// [`DotClass::index`]), appended to `out`. Pure: the web worker computes them and sends
    /// them to the page in one typed array.
    pub fn dots<'a>(
        &self,
        paths: impl Iterator<Item = &'a PathSample>,
        now: SimTime,
        out: &mut Vec<f32>,
    ) {
        let t = SimTime(now.0.saturating_sub(self.delay_ns));
        let kind_of = |id: ComponentId| self.kinds.get(usize::from(id.0)).copied().flatten();
        let mut count = 0;
        for sample in paths {
            if count >= MAX_DOTS {
                break;
            }
            if let Some((x, y)) = self.position(sample, t) {
                let class = DotClass::of(sample, kind_of).index();
                out.extend_from_slice(&[x as f32, y as f32, f32::from(class)]);
                count += 1;
            }
        }
    }
}

/// Wipes the canvas (reduced motion: no dots at all).
pub fn clear(canvas: &HtmlCanvasElement) {
    if let Some(ctx) = context(canvas) {
        let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
        ctx.clear_rect(
            0.0,
            0.0,
            f64::from(canvas.width()),
            f64::from(canvas.height()),
        );
    }
}

/// Clears the canvas and draws `dots` (`x, y, class` triples from [`Painter::dots`]) over a
/// diagram `width` × `height` units large.
pub fn draw(canvas: &HtmlCanvasElement, dots: &[f32], (width, height): (f64, f64), dpr: f64) {
    let Some(ctx) = context(canvas) else {
        return;
    };
    let css_w = f64::from(canvas.client_width());
    let css_h = f64::from(canvas.client_height());
    if css_w <= 0.0 || css_h <= 0.0 || width <= 0.0 || height <= 0.0 {
        return;
    }
    let px_w = (css_w * dpr).round() as u32;
    let px_h = (css_h * dpr).round() as u32;
    if canvas.width() != px_w || canvas.height() != px_h {
        canvas.set_width(px_w);
        canvas.set_height(px_h);
    }
    let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, f64::from(px_w), f64::from(px_h));

    // The SVG uses `xMidYMid meet`: scale to fit, centre the rest.
    let scale = (css_w / width).min(css_h / height) * dpr;
    let dx = (f64::from(px_w) - width * scale) / 2.0;
    let dy = (f64::from(px_h) - height * scale) / 2.0;
    let _ = ctx.set_transform(scale, 0.0, 0.0, scale, dx, dy);

    // One path and one fill per colour.
    for (index, class) in DotClass::all().enumerate() {
        let mut any = false;
        for dot in dots.chunks_exact(3) {
            if usize::from(dot[2] as u8) != index {
                continue;
            }
            let (x, y) = (f64::from(dot[0]), f64::from(dot[1]));
            if !any {
                ctx.set_fill_style_str(class.colour());
                ctx.begin_path();
                any = true;
            }
            ctx.move_to(x + DOT_RADIUS, y);
            let _ = ctx.arc(x, y, DOT_RADIUS, 0.0, std::f64::consts::TAU);
        }
        if any {
            ctx.fill();
        }
    }
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
}

/// Linear interpolation between two points for `t` between `t0` and `t1` (nanoseconds).
fn lerp(a: (f64, f64), b: (f64, f64), t0: u64, t1: u64, t: u64) -> (f64, f64) {
    let span = t1.saturating_sub(t0);
    if span == 0 {
        return b;
    }
    let f = (t.saturating_sub(t0) as f64 / span as f64).clamp(0.0, 1.0);
    (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f)
}

/// A well-mixed number in 0–1 from a sequence number (splitmix64 finaliser).
fn spread(seq: u64) -> f64 {
    let mut z = seq.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}
