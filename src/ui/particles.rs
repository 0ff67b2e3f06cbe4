//! Sampled request paths drawn as moving dots on a `<canvas>` laid over the SVG diagram.
//!
//! A dot leaves the users node at `start`, travels to each hop's node (arriving at `enter`),
//! waits there until `leave`, and after the last hop travels back to the users, arriving at
//! `end`. The core records a path when the request finishes, so the canvas shows the recent past:
//! a short display delay (about the recent p99 latency) lets whole journeys play out.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::layout::Diagram;
use crate::sim::{ComponentId, ComponentKind, Outcome, PathSample, Sim, SimTime, MAX_HOPS};

/// Dot radius, in diagram units.
const DOT_RADIUS: f64 = 4.5;
/// Most dots drawn in one frame.
const MAX_DOTS: usize = 600;
/// Shortest and longest display delay, in simulated nanoseconds.
const DELAY_MIN_NS: u64 = 20_000_000;
const DELAY_MAX_NS: u64 = 1_500_000_000;

/// The colour of a dot, by how its request ended. The legend uses the same colours.
pub fn outcome_colour(outcome: Outcome) -> &'static str {
    #[allow(unreachable_patterns)]
    match outcome {
        Outcome::Ok => "#22c55e",
        Outcome::QueueFull => "#f59e0b",
        Outcome::Timeout => "#a855f7",
        Outcome::ServerDown => "#ef4444",
        Outcome::DnsDown => "#ec4899",
        Outcome::NoHealthyServer => "#f97316",
        Outcome::DbDown => "#0ea5e9",
        _ => "#94a3b8",
    }
}

/// Every outcome: success first, then the failures in report order.
pub fn outcomes() -> impl Iterator<Item = Outcome> {
    std::iter::once(Outcome::Ok).chain(Outcome::FAILURES)
}

/// Whether an outcome can happen in a topology with these kinds of components (for the legend).
pub fn outcome_possible(outcome: Outcome, kinds: &[ComponentKind]) -> bool {
    #[allow(unreachable_patterns)]
    match outcome {
        Outcome::NoHealthyServer => kinds.contains(&ComponentKind::LoadBalancer),
        Outcome::DbDown => kinds.contains(&ComponentKind::Database),
        _ => true,
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
    /// Side services (DNS): the client goes there and comes back, by component id.
    side: Vec<bool>,
    /// Where a request that reached nothing was headed (the first stop after the users).
    entry: Option<ComponentId>,
    /// Half-width of the band of lanes dots travel in, in diagram units.
    lane_spread: f64,
    /// Diagram size, in diagram units.
    width: f64,
    height: f64,
    /// How far behind the simulation the dots are drawn, in simulated nanoseconds.
    delay_ns: u64,
}

impl Painter {
    /// A painter for a diagram.
    pub fn new(diagram: &Diagram) -> Painter {
        let size = diagram
            .nodes
            .iter()
            .map(|n| usize::from(n.component.0) + 1)
            .max()
            .unwrap_or(0);
        let users = diagram
            .nodes
            .iter()
            .find(|n| n.kind == ComponentKind::Users);
        let mut side = vec![false; size];
        for n in &diagram.nodes {
            side[usize::from(n.component.0)] = n.kind == ComponentKind::Dns;
        }
        let mut ports = vec![None; size * size];
        let mut set = |from: ComponentId, to: ComponentId, port: Port| {
            let cell = &mut ports[usize::from(from.0) * size + usize::from(to.0)];
            if cell.is_none() {
                *cell = Some(port);
            }
        };
        // Along the arrows, both ways.
        for e in &diagram.edges {
            if let Some((a, b)) = diagram.edge_ends(e.from, e.to) {
                set(e.from, e.to, Port::between(b, a));
                set(e.to, e.from, Port::between(a, b));
            }
        }
        // Between the users and anything else, straight lines where there is no arrow.
        if let Some(u) = users {
            for n in diagram.nodes.iter().filter(|n| n.component != u.component) {
                if let Some((a, b)) = diagram.edge_ends(u.component, n.component) {
                    set(u.component, n.component, Port::between(b, a));
                    set(n.component, u.component, Port::between(a, b));
                }
            }
        }
        let entry = users.and_then(|u| {
            diagram
                .edges
                .iter()
                .find(|e| e.from == u.component && !side[usize::from(e.to.0)])
                .map(|e| e.to)
        });
        Painter {
            size,
            ports,
            users: users.map(|u| u.component),
            side,
            entry,
            lane_spread: users.map_or(30.0, |u| u.h * 0.3),
            width: diagram.width,
            height: diagram.height,
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

    /// The journey of a sampled request as waypoints; returns how many were written.
    fn waypoints(&self, sample: &PathSample, out: &mut [Waypoint; MAX_WAYPOINTS]) -> usize {
        let (Some(users), Some(entry)) = (self.users, self.entry) else {
            return 0;
        };
        // Each request gets its own lane and its own place in a waiting crowd.
        let lane = (spread(sample.seq) - 0.5) * 2.0 * self.lane_spread;
        let depth = spread(sample.seq ^ 0x5bd1_e995) * 44.0;
        let (start, end) = (sample.start.0, sample.end.0);
        let mut n = 0;
        let mut push = |port: Option<Port>, depth: f64, across: f64, arrive: u64, depart: u64| {
            if let (Some(port), true) = (port, n < MAX_WAYPOINTS) {
                out[n] = Waypoint {
                    at: port.offset(depth, across),
                    arrive,
                    depart,
                };
                n += 1;
            }
        };
        let first = sample.hops().first().map_or(entry, |h| h.component);
        push(self.port(first, users), 0.0, lane * 0.5, start, start);
        let mut at = users;
        let mut reached_main = false;
        for hop in sample.hops() {
            let (c, enter, leave) = (hop.component, hop.enter.0, hop.leave.0);
            if self.is_side(c) {
                // Out and back within the hop's time: the client asks and gets the answer.
                let mid = enter + leave.saturating_sub(enter) / 2;
                push(self.port(users, c), 4.0, lane * 0.4, mid, mid);
                push(self.port(c, users), 0.0, lane * 0.5, leave, leave);
                at = users;
                continue;
            }
            reached_main = true;
            // Dots that wait form a crowd; dots passing through stay close to the arrow.
            let crowd = if leave > enter { 4.0 + depth } else { 4.0 };
            push(self.port(at, c), crowd, lane * 0.6, enter, leave);
            at = c;
        }
        if !reached_main && sample.outcome == Outcome::Timeout {
            // It never got an answer: show it waiting at the entry until the client gave up.
            let from = sample.hops().last().map_or(start, |h| h.leave.0);
            let arrive = from + end.saturating_sub(from) / 10;
            let depart = end.saturating_sub(end.saturating_sub(from) / 10);
            push(
                self.port(users, entry),
                4.0 + depth,
                lane * 0.6,
                arrive,
                depart.max(arrive),
            );
            at = entry;
        }
        let home = if at == users { first } else { at };
        push(self.port(home, users), 0.0, lane * 0.5, end, end);
        n
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

    /// Wipes the canvas (reduced motion: no dots at all).
    pub fn clear(&self, canvas: &HtmlCanvasElement) {
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

    /// Clears the canvas and draws the requests under way at the display time.
    pub fn draw(&self, canvas: &HtmlCanvasElement, sim: &Sim, dpr: f64) {
        let Some(ctx) = context(canvas) else {
            return;
        };
        let css_w = f64::from(canvas.client_width());
        let css_h = f64::from(canvas.client_height());
        if css_w <= 0.0 || css_h <= 0.0 || self.width <= 0.0 || self.height <= 0.0 {
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
        let scale = (css_w / self.width).min(css_h / self.height) * dpr;
        let dx = (f64::from(px_w) - self.width * scale) / 2.0;
        let dy = (f64::from(px_h) - self.height * scale) / 2.0;
        let _ = ctx.set_transform(scale, 0.0, 0.0, scale, dx, dy);

        let t = SimTime(sim.now().0.saturating_sub(self.delay_ns));
        let mut drawn = 0;
        // One path and one fill per colour.
        for outcome in outcomes() {
            let mut any = false;
            for sample in sim.recent_paths().filter(|s| s.outcome == outcome) {
                if drawn >= MAX_DOTS {
                    break;
                }
                let Some((x, y)) = self.position(sample, t) else {
                    continue;
                };
                if !any {
                    ctx.set_fill_style_str(outcome_colour(outcome));
                    ctx.begin_path();
                    any = true;
                }
                ctx.move_to(x + DOT_RADIUS, y);
                let _ = ctx.arc(x, y, DOT_RADIUS, 0.0, std::f64::consts::TAU);
                drawn += 1;
            }
            if any {
                ctx.fill();
            }
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
