//! Checkers that live apart from the engine: they read only its public outputs (snapshots,
//! sampled request paths, the event log and the report) and what the swarm itself did to the
//! simulation (the fault schedule and the live kills and repairs), never its internals.
//!
//! ```text
//!   Case ──▶ Timeline (when each component was down, from the schedule the swarm applied)
//!                 │
//!   Sim ──snapshot/paths/log/report──▶ checkers ──▶ Ok | Err("what broke, with numbers")
//! ```

use crate::generator::Case;
use scalesim::scenario::{Dist, GeoRouting, Scenario, SessionMode, Shape, WritePolicy};
use scalesim::sim::{
    CacheReport, CdnReport, ComponentInfo, ComponentKind, DataCenterReport, DatabaseReport, DbRole,
    GeoReport, GeoStatus, LogEntry, NamedCacheReport, NamedDatabaseReport, Outcome, PathSample,
    PlugParams, QueueReport, Report, RequestKind, RequestTotals, SessionReport, SimDuration,
    SimTime, Snapshot, MAX_HOPS,
};

/// Returns `Err(message)` from the enclosing function when `cond` is false (NaN included).
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {{
        let holds: bool = $cond;
        if !holds {
            return Err(format!($($fmt)+));
        }
    }};
}

/// An interval `[down, up)` of simulated nanoseconds during which a component was down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outage {
    pub down: u64,
    pub up: u64,
}

/// Whether a component of this kind can be taken down (users and the message queue itself
/// cannot: a kill leaves them up; the balancer can, since 9dcb368).
pub fn killable(kind: ComponentKind) -> bool {
    !matches!(kind, ComponentKind::Users | ComponentKind::Queue)
}

/// Where a change sits among others at the same instant: the engine applies, at one time,
/// scheduled faults inside a data center's stack, then scheduled faults of whole data centers
/// (the geo layer brings every stack to a time before handling its own events), then the live
/// actions in the order the runner applied them.
type Order = (u64, bool, bool, usize);

/// One recorded change of state.
#[derive(Clone, Debug)]
struct Change {
    order: Order,
    name: String,
    down: bool,
}

/// Who was down when, replayed from the scenario's fault schedule and the live actions in the
/// order the engine must apply them: at one instant, scheduled faults (in list order, the down
/// before its repair, a data center's after its components') come before the live actions
/// applied after `advance_to` returns. Live actions are recorded as the runner applies them (a
/// kill of a web server that does not exist yet is skipped), so the timeline is complete up to
/// the simulation's now.
///
/// Stage 11: a data center going down takes down every component of its stack that exists at
/// that moment, and coming back brings every one of them back (also those killed on their own
/// before); a component inside may still be killed or repaired on its own at any time.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    changes: Vec<Change>,
    /// Names that cannot die.
    immortal: Vec<String>,
    /// Stage 11: each data center and its killable components, with when each was first seen.
    members: Vec<(String, Vec<(String, Order)>)>,
    /// Per target name: its outages, in time order.
    pub outages: Vec<(String, Vec<Outage>)>,
    /// Per target name: how many times it actually changed state.
    pub transitions: Vec<(String, u64)>,
    /// Per target name: the instants of its scheduled changes and whether each took it down,
    /// in the order the engine applies them (live actions left out).
    scheduled: Vec<(String, Vec<(u64, bool)>)>,
    /// The latest instant the runner applied live actions at.
    live_instant: Option<u64>,
    /// Web servers a rolling deploy took out of the load balancer to drain them (up, but
    /// sent nothing: with every server of a pool out at once, requests fail as
    /// `no_healthy_server` while none is down).
    drained: Vec<String>,
    /// The deploy's stops and starts already learned from the log (instant, name, down): the
    /// log is read again at every look, and a live kill of the same server at the same instant
    /// is a change of its own, not this one.
    deploy_seen: Vec<(u64, String, bool)>,
}

/// The data center a stage-11 component belongs to (`us-east` for `us-east/web-0`).
pub fn site_of(name: &str) -> Option<&str> {
    name.split_once('/').map(|(dc, _)| dc)
}

/// A component's name inside its stack (`web-0` for `us-east/web-0`).
pub fn local_name(name: &str) -> &str {
    name.split_once('/').map_or(name, |(_, rest)| rest)
}

impl Timeline {
    pub fn new(case: &Case, components: &[ComponentInfo]) -> Timeline {
        let mut t = Timeline {
            immortal: components
                .iter()
                .filter(|c| !killable(c.kind))
                .map(|c| c.name.clone())
                .collect(),
            members: components
                .iter()
                .filter(|c| c.kind == ComponentKind::DataCenter)
                .map(|c| (c.name.clone(), Vec::new()))
                .collect(),
            ..Timeline::default()
        };
        t.note_components(components, (0, false, false, 0));
        for f in &case.scenario.faults {
            let at = SimTime::from_secs_f64(f.at_s);
            let site = t.is_site(&f.target);
            let n = t.changes.len();
            t.changes.push(Change {
                order: (at.as_nanos(), false, site, n),
                name: f.target.clone(),
                down: true,
            });
            if f.duration_s > 0.0 {
                let up = at.plus(SimDuration::from_secs_f64(f.duration_s));
                t.changes.push(Change {
                    order: (up.as_nanos(), false, site, n + 1),
                    name: f.target.clone(),
                    down: false,
                });
            }
        }
        t.rebuild();
        t
    }

    fn is_site(&self, name: &str) -> bool {
        self.members.iter().any(|(dc, _)| dc == name)
    }

    /// Stage 11: records the components of each data center not seen before, as existing from
    /// `now` on (after every change recorded so far). The runner calls it whenever the list may
    /// have grown: after advancing and after each live action.
    pub fn grow(&mut self, components: &[ComponentInfo], now: SimTime) {
        let born = (now.as_nanos(), true, false, self.changes.len());
        if self.note_components(components, born) {
            self.rebuild();
        }
    }

    fn note_components(&mut self, components: &[ComponentInfo], born: Order) -> bool {
        let mut added = false;
        for c in components.iter().filter(|c| killable(c.kind)) {
            let Some(site) = site_of(&c.name) else {
                continue;
            };
            let Some((_, list)) = self.members.iter_mut().find(|(dc, _)| dc == site) else {
                continue;
            };
            if !list.iter().any(|(n, _)| *n == c.name) {
                list.push((c.name.clone(), born));
                added = true;
            }
        }
        added
    }

    /// Rolling deploys: the servers a deploy stopped (`deploy: web-api-0 stopped (…)`; at stage
    /// 11 `us-east: deploy: web-0 stopped (…)`, one data center after another) and started
    /// again (`deploy: web-api-0 started the new version…`), read from the event log
    /// (a public output) as the run goes, each recorded once: an engine change at its instant,
    /// like a scheduled fault's, unless live actions were applied at that instant (see
    /// [`Timeline::live_actions_at`]): then it came after them (a deploy started live stops
    /// its first batch during the action, or, drained, in an event of the same instant
    /// handled after the actions), in the order it is learned. Returns whether any was new.
    pub fn learn_deploys(&mut self, log: &[LogEntry]) -> bool {
        let mut added = false;
        for e in log {
            // Stage 11: a data center's entry names its component `us-east/web-0` and says
            // `us-east: deploy: web-0 stopped (…)`.
            let text = match e.component.split_once('/') {
                Some((site, _)) => (e.text.strip_prefix(site))
                    .and_then(|t| t.strip_prefix(": "))
                    .unwrap_or(&e.text),
                None => &e.text,
            };
            let Some(rest) = text.strip_prefix("deploy: ") else {
                continue;
            };
            let Some(after) = rest.strip_prefix(local_name(&e.component)) else {
                continue;
            };
            let down = if after.starts_with(" stopped (") {
                true
            } else if after.starts_with(" started the new version") {
                false
            } else {
                if after.starts_with(" taken out of the load balancer")
                    && !self.drained.contains(&e.component)
                {
                    self.drained.push(e.component.clone());
                }
                continue;
            };
            let at = (e.t_s * 1e9).round() as u64;
            let known = self
                .deploy_seen
                .iter()
                .any(|(t, name, d)| *t == at && *name == e.component && *d == down);
            if !known {
                self.deploy_seen.push((at, e.component.clone(), down));
                let n = self.changes.len();
                // Stage 11: a deploy waiting for a data center that was down moves on to it
                // when it comes back, so a stop or start in the instant of the data center's
                // own scheduled change follows that change (ordered with the data center's
                // changes, after them), not the components' changes before it.
                let after_site = site_of(&e.component).is_some_and(|site| {
                    (self.changes.iter()).any(|c| c.name == site && c.order.0 == at && c.order.2)
                });
                self.changes.push(Change {
                    order: (at, self.live_instant == Some(at), after_site, n),
                    name: e.component.clone(),
                    down,
                });
                added = true;
            }
        }
        if added {
            self.rebuild();
        }
        added
    }

    /// Whether a rolling deploy took a web server whose name starts with `site` (`us-east/`;
    /// `""` for any) out of the load balancer to drain it.
    pub fn drained_in(&self, site: &str) -> bool {
        self.drained.iter().any(|n| n.starts_with(site))
    }

    /// The runner is about to apply live actions at `at`.
    pub fn live_actions_at(&mut self, at: SimTime) {
        self.live_instant = Some(at.as_nanos());
    }

    /// A live kill (`down`) or repair of an existing component, applied at `at`.
    pub fn live(&mut self, at: SimTime, name: &str, down: bool) {
        let n = self.changes.len();
        self.changes.push(Change {
            order: (at.as_nanos(), true, false, n),
            name: name.to_string(),
            down,
        });
        self.rebuild();
    }

    /// Every change, with a data center's spread over the components it had at that moment,
    /// in the order the engine applies them. Killing a data center that is down, or repairing
    /// one that is up, changes nothing inside it; while it is down, a repair of a component
    /// inside it does nothing, and a web server added to it starts down.
    fn expanded(&self) -> Vec<(Order, &str, bool)> {
        // (order, a birth before a change at the same order?, site index, name, down)
        let mut events: Vec<(Order, bool, Option<usize>, &str, bool)> = Vec::new();
        for c in self
            .changes
            .iter()
            .filter(|c| !self.immortal.contains(&c.name))
        {
            let site = self
                .members
                .iter()
                .position(|(dc, _)| *dc == c.name || Some(dc.as_str()) == site_of(&c.name));
            events.push((c.order, true, site, c.name.as_str(), c.down));
        }
        for (i, (_, list)) in self.members.iter().enumerate() {
            for (member, born) in list {
                events.push((*born, false, Some(i), member.as_str(), true));
            }
        }
        events.sort_by_key(|e| (e.0, e.1));
        let mut site_down = vec![false; self.members.len()];
        let mut all = Vec::new();
        for (order, change, site, name, down) in events {
            let Some(i) = site else {
                all.push((order, name, down));
                continue;
            };
            if !change {
                // Born: down if its data center is.
                if site_down[i] {
                    all.push((order, name, true));
                }
                continue;
            }
            if self.members[i].0 != name {
                // A component inside a data center (a site's own change has its name).
                // A repair inside a data center that is down does nothing.
                if !site_down[i] || down {
                    all.push((order, name, down));
                }
                continue;
            }
            all.push((order, name, down));
            if site_down[i] == down {
                continue;
            }
            site_down[i] = down;
            for (member, born) in &self.members[i].1 {
                // Born at the same order: before the change (see `grow`).
                if *born <= order {
                    all.push((order, member.as_str(), down));
                }
            }
        }
        all
    }

    fn rebuild(&mut self) {
        let changes = self.expanded();
        let mut names: Vec<&str> = changes.iter().map(|c| c.1).collect();
        names.sort_unstable();
        names.dedup();
        let mut outages = Vec::new();
        let mut transitions = Vec::new();
        let mut scheduled = Vec::new();
        for name in names {
            let mut list = Vec::new();
            let mut count = 0;
            let mut down_since: Option<u64> = None;
            let mut planned = Vec::new();
            for &((t, live, ..), n, down) in &changes {
                if n != name {
                    continue;
                }
                if !live {
                    planned.push((t, down));
                }
                match (down, down_since) {
                    (true, None) => {
                        down_since = Some(t);
                        count += 1;
                    }
                    (false, Some(d)) => {
                        list.push(Outage { down: d, up: t });
                        down_since = None;
                        count += 1;
                    }
                    _ => {}
                }
            }
            if let Some(d) = down_since {
                list.push(Outage {
                    down: d,
                    up: u64::MAX,
                });
            }
            outages.push((name.to_string(), list));
            transitions.push((name.to_string(), count));
            scheduled.push((name.to_string(), planned));
        }
        self.outages = outages;
        self.transitions = transitions;
        self.scheduled = scheduled;
    }

    /// Whether `name` may be seen (up, down) by a metrics tick at `t`. The engine handles the
    /// tick among the scheduled changes of its instant, in either order, and always before the
    /// live actions of that instant (the runner applies them after `advance_to(t)` returns):
    /// so the tick sees the state before `t` or the state after any of the scheduled changes
    /// at `t` — never one that only a live action at `t` brought.
    pub fn seen_by_tick(&self, name: &str, t: u64) -> (bool, bool) {
        let before = self.down_after(name, t.saturating_sub(1));
        let (mut up, mut down) = (!before, before);
        let planned = self
            .scheduled
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[][..], |(_, p)| p.as_slice());
        for &(_, d) in planned.iter().filter(|(at, _)| *at == t) {
            up |= !d;
            down |= d;
        }
        (up, down)
    }

    /// State changes of `name` up to and including `now` (scheduled ones may lie ahead).
    pub fn transitions_by(&self, name: &str, now: u64) -> u64 {
        let mut count = 0;
        for o in self.outages_of(name) {
            if o.down <= now {
                count += 1;
            }
            if o.up <= now {
                count += 1;
            }
        }
        count
    }

    fn outages_of(&self, name: &str) -> &[Outage] {
        self.outages
            .iter()
            .find(|(n, _)| n == name)
            .map_or(&[], |(_, o)| o.as_slice())
    }

    /// Whether `name` is down just after everything at `t` (including live actions) happened.
    pub fn down_after(&self, name: &str, t: u64) -> bool {
        self.outages_of(name)
            .iter()
            .any(|o| o.down <= t && t < o.up)
    }

    /// Whether `name` was down at any time up to `now`.
    pub fn ever_down(&self, name: &str, now: u64) -> bool {
        self.outages_of(name).iter().any(|o| o.down <= now)
    }

    /// Whether any component whose name starts with `prefix` was down up to `now`; stage 11:
    /// in any data center (`web-` matches `us-east/web-0`), or in one when the prefix names it
    /// (`us-east/web-`).
    pub fn any_down(&self, prefix: &str, now: u64) -> bool {
        self.outages.iter().any(|(n, o)| {
            (n.starts_with(prefix) || local_name(n).starts_with(prefix))
                && o.iter().any(|o| o.down <= now)
        })
    }

    /// Outages of a whole data center (stage 11), or of any component.
    pub fn outages_named(&self, name: &str) -> &[Outage] {
        self.outages_of(name)
    }

    /// An outage that overlaps the open work span `(enter, leave)`: down strictly before the
    /// work ends and back up strictly after it started. A zero-length pass at `t` overlaps an
    /// outage that strictly contains `t`.
    pub fn outage_during(&self, name: &str, enter: u64, leave: u64) -> Option<Outage> {
        self.outages_of(name).iter().copied().find(|o| {
            if enter == leave {
                o.down < enter && enter < o.up
            } else {
                o.down < leave && o.up > enter
            }
        })
    }
}

/// What the checkers know about a run: the scenario, the components (public; the list grows
/// when web servers are added), the outage timeline and each component's waiting-line capacity
/// as its snapshots show it.
pub struct Context<'a> {
    pub scenario: &'a Scenario,
    pub components: Vec<ComponentInfo>,
    pub timeline: Timeline,
    /// Per component id: the largest `queue_capacity` any snapshot showed.
    pub capacities: Vec<u32>,
    /// Whether a rolling deploy may run (the scenario has one, or one is started live): the
    /// timeline then learns its stops and starts from the event log.
    pub deploys: bool,
    /// Stage 11: each data center that changes its own copy of the stack
    /// (`geo.data_centers[].set`), with that copy: `<name>/` and the scenario it runs.
    pub own_stacks: Vec<(String, Scenario)>,
}

/// [`Context::own_stacks`] of `scenario`.
pub fn own_stacks(scenario: &Scenario) -> Vec<(String, Scenario)> {
    let Some(geo) = &scenario.geo else {
        return Vec::new();
    };
    geo.data_centers
        .iter()
        .filter(|dc| !dc.set.is_empty())
        .map(|dc| {
            let stack = scenario
                .data_center_stack(dc, "")
                .expect("a valid scenario's data center changes apply");
            (format!("{}/", dc.name), stack)
        })
        .collect()
}

impl Context<'_> {
    /// The scenario the stack of component `name` (or of data center `site`, written
    /// `<name>/`) runs: its data center's own copy, or the scenario.
    fn scenario_of(&self, name: &str) -> &Scenario {
        self.own_stacks
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix.as_str()))
            .map_or(self.scenario, |(_, stack)| stack)
    }

    /// The data centers' names (stage 11), or one unnamed stack.
    fn sites(&self) -> Vec<Option<String>> {
        let sites: Vec<Option<String>> = self
            .components
            .iter()
            .filter(|c| c.kind == ComponentKind::DataCenter)
            .map(|c| Some(c.name.clone()))
            .collect();
        if sites.is_empty() {
            vec![None]
        } else {
            sites
        }
    }

    fn name(&self, id: scalesim::sim::ComponentId) -> &str {
        self.components
            .get(usize::from(id.0))
            .map_or("?", |c| c.name.as_str())
    }

    fn kind(&self, id: scalesim::sim::ComponentId) -> Option<ComponentKind> {
        self.components.get(usize::from(id.0)).map(|c| c.kind)
    }

    fn timeout_ns(&self) -> u64 {
        SimTime::from_millis_f64(self.scenario.traffic.client_timeout_ms).as_nanos()
    }

    /// The least latency any answered request of this path can have: a DNS lookup when
    /// nothing is cached (TTL 0), the client round trip when it reached the origin, the edge
    /// round trip when it went through the CDN. 4 ns of slack for rounding to nanoseconds.
    fn min_latency_ns(&self, p: &PathSample) -> u64 {
        let s = self.scenario;
        let mut ns = 0;
        if s.dns.ttl_s == 0 {
            ns += SimTime::from_millis_f64(s.dns.lookup_ms).as_nanos();
        }
        let hops = p.hops();
        let via = |k: ComponentKind| hops.iter().any(|h| self.kind(h.component) == Some(k));
        if via(ComponentKind::Server) || via(ComponentKind::LoadBalancer) {
            ns += 2 * SimTime::from_millis_f64(s.network.client_rtt_ms / 2.0).as_nanos();
        }
        let edge_hops = hops
            .iter()
            .filter(|h| self.kind(h.component) == Some(ComponentKind::Cdn))
            .count();
        if let (true, Some(cdn)) = (edge_hops > 0, &s.cdn) {
            let one_way = SimTime::from_millis_f64(cdn.edge_rtt_ms / 2.0).as_nanos();
            let origin = via(ComponentKind::Server) || via(ComponentKind::LoadBalancer);
            // The edge was down: the client waited its fallback timeout, then asked the
            // origin itself (and the answer does not come back through the edge).
            let fallback = one_way + SimTime::from_millis_f64(cdn.fallback_timeout_ms).as_nanos();
            ns += match (origin && edge_hops == 1, hops.len() < MAX_HOPS) {
                (true, true) => fallback,
                // A full list may have lost the edge's second hop (a miss fetched from the
                // origin, back through the edge): either way, the least of the two.
                (true, false) => fallback.min(2 * one_way),
                (false, _) => 2 * one_way,
            };
        }
        ns.saturating_sub(4)
    }

    /// The least time a completed hop of `kind` at this component takes: a constant service
    /// time divided by the node's speed, the balancer's latency, the edge's hit time.
    fn min_hop_ns(&self, p: &PathSample, name: &str, kind: ComponentKind) -> u64 {
        let s = self.scenario_of(name);
        let constant = |d: &Dist, speed: f64| {
            if d.shape == Shape::Constant {
                (SimTime::from_millis_f64(d.mean_ms).as_nanos() as f64 / speed) as u64
            } else {
                0
            }
        };
        let ns = match kind {
            ComponentKind::Server => {
                // The pool it belongs to (`web-3`, or `<name>-3` of a further pool).
                let own = local_name(name);
                let (server, i) = std::iter::once(("web", &s.server))
                    .chain(
                        s.more_web_pools
                            .iter()
                            .map(|m| (m.name.as_str(), &m.server)),
                    )
                    .find_map(|(stem, server)| {
                        let i = own.strip_prefix(stem)?.strip_prefix('-')?.parse().ok()?;
                        Some((server, i))
                    })
                    .unwrap_or((&s.server, 0usize));
                let speed = server.speeds.get(i).copied().unwrap_or(1.0);
                constant(server.service.by_kind()[p.kind as usize], speed)
            }
            ComponentKind::Database => s.database.as_ref().map_or(0, |db| {
                let d = if p.kind == RequestKind::Write {
                    &db.write
                } else {
                    &db.read
                };
                constant(d, db.speed)
            }),
            ComponentKind::Cache => s.cache.as_ref().map_or(0, |c| constant(&c.get, 1.0)),
            ComponentKind::SessionStore => s
                .sessions
                .as_ref()
                .map_or(0, |x| constant(&x.store_get, 1.0)),
            _ => 0,
        };
        ns.saturating_sub(2)
    }
}

fn sticky(s: &Scenario) -> bool {
    s.sessions
        .as_ref()
        .is_some_and(|x| x.mode == SessionMode::Sticky)
}

/// Replication delay 0 and apply at its least (1 µs).
fn replication_instant(s: &Scenario) -> bool {
    s.database
        .as_ref()
        .is_some_and(|db| db.replication.delay_ms == 0.0 && db.replication.apply_ms <= 0.001)
}

/// Counters that may only grow, and the snapshot's own conservation and bounds.
pub fn check_snapshot(
    ctx: &Context,
    prev: Option<&Snapshot>,
    snap: &Snapshot,
    now: SimTime,
) -> Result<(), String> {
    ensure!(
        snap.in_flight <= snap.requests_total,
        "snapshot at {} s: in flight {} above generated {} (books underflow)",
        snap.time_s,
        snap.in_flight,
        snap.requests_total
    );
    ensure!(
        snap.requests_total == snap.requests_completed + snap.requests_failed + snap.in_flight,
        "snapshot at {} s: generated {} != completed {} + failed {} + in flight {}",
        snap.time_s,
        snap.requests_total,
        snap.requests_completed,
        snap.requests_failed,
        snap.in_flight
    );
    ensure!(
        (snap.time_s - now.as_secs_f64()).abs() < 1e-9,
        "snapshot time {} s is not the simulation's now {} s",
        snap.time_s,
        now.as_secs_f64()
    );
    for (label, v) in [
        ("latency_p50_ms", snap.latency_p50_ms),
        ("latency_p99_ms", snap.latency_p99_ms),
        ("latency_mean_ms", snap.latency_mean_ms),
        ("recent_throughput_per_s", snap.recent_throughput_per_s),
        ("recent_latency_p99_ms", snap.recent_latency_p99_ms),
        ("recent_failures_per_s", snap.recent_failures_per_s),
    ] {
        ensure!(
            v.is_finite() && v >= 0.0,
            "snapshot at {} s: {label} = {v} is not a finite non-negative number",
            snap.time_s
        );
    }
    ensure!(
        snap.components.len() == ctx.components.len(),
        "snapshot lists {} components, the simulation has {}",
        snap.components.len(),
        ctx.components.len()
    );
    let t = now.as_nanos();
    let mut masters = 0;
    for c in &snap.components {
        let name = ctx.name(c.id);
        let kind = ctx.kind(c.id).ok_or("a component id outside the list")?;
        ensure!(
            c.queue_len <= c.queue_capacity,
            "{name} at {} s: queue {} above capacity {}",
            snap.time_s,
            c.queue_len,
            c.queue_capacity
        );
        ensure!(
            c.busy_workers <= c.workers,
            "{name} at {} s: {} busy of {} workers",
            snap.time_s,
            c.busy_workers,
            c.workers
        );
        ensure!(
            (0.0..=1.0).contains(&c.utilization) && (0.0..=1.0).contains(&c.hit_ratio),
            "{name} at {} s: utilization {} or hit ratio {} outside [0, 1]",
            snap.time_s,
            c.utilization,
            c.hit_ratio
        );
        ensure!(
            c.items <= c.capacity_items,
            "{name} at {} s: holds {} items, capacity {}",
            snap.time_s,
            c.items,
            c.capacity_items
        );
        if !c.alive {
            ensure!(
                c.busy_workers == 0 && (c.queue_len == 0 || kind == ComponentKind::Workers),
                "{name} is down at {} s but has {} busy workers and {} waiting",
                snap.time_s,
                c.busy_workers,
                c.queue_len
            );
            ensure!(
                c.items == 0,
                "{name} is down at {} s but holds {} items (an outage loses them)",
                snap.time_s,
                c.items
            );
        }
        if killable(kind) {
            let expected_down = ctx.timeline.down_after(name, t);
            ensure!(
                c.alive != expected_down,
                "{name} at {} s: alive = {}, but the fault schedule and live actions say {}",
                snap.time_s,
                c.alive,
                if expected_down { "down" } else { "up" }
            );
        } else {
            ensure!(
                c.alive,
                "{name} ({kind:?}) cannot be taken down, but is down at {} s",
                snap.time_s
            );
        }
        match c.role {
            Some(DbRole::Master) => {
                masters += 1;
                ensure!(
                    c.lag_writes == 0 && c.lag_ms == 0.0,
                    "master {name} at {} s lags {} writes / {} ms behind itself",
                    snap.time_s,
                    c.lag_writes,
                    c.lag_ms
                );
            }
            Some(DbRole::Replica) => ensure!(
                c.lag_ms.is_finite() && c.lag_ms >= 0.0,
                "{name} at {} s: lag {} ms",
                snap.time_s,
                c.lag_ms
            ),
            None => ensure!(
                kind != ComponentKind::Database,
                "database node {name} without a role at {} s",
                snap.time_s
            ),
        }
    }
    if ctx.scenario.database.is_some() {
        // One master per shard (in each data center); shards only grow (resharding adds them).
        // A store's shards are named after a prefix: `shard-S-…` for the first database's,
        // `<name>-shard-S-N` behind a further database's own shard router; a store without
        // shards has one master.
        let mut shards = 0;
        for site in ctx.sites() {
            let count = |prefix: &str| {
                snap.components
                    .iter()
                    .filter(|c| c.role == Some(DbRole::Master) || c.role == Some(DbRole::Replica))
                    .map(|c| ctx.name(c.id))
                    .filter(|name| site_of(name) == site.as_deref())
                    .filter_map(|name| {
                        local_name(name)
                            .strip_prefix(prefix)
                            .and_then(|rest| rest.split('-').next())
                            .and_then(|n| n.parse::<usize>().ok())
                    })
                    .max()
                    .map_or(1, |s| s + 1)
            };
            shards += count("shard-");
            for m in &ctx.scenario.more_databases {
                shards += match m.sharding {
                    Some(_) => count(&format!("{}-shard-", m.name)),
                    None => 1,
                };
            }
        }
        ensure!(
            masters == shards,
            "{masters} database masters at {} s for {shards} shards (roles change only by \
             promotion)",
            snap.time_s
        );
    }
    if let Some(q) = &ctx.scenario.queue {
        ensure!(
            q.jobs_per_write > 0.0 || snap.queue_depth == 0,
            "{} jobs queued at {} s, but no write publishes one",
            snap.queue_depth,
            snap.time_s
        );
    }
    ensure!(
        snap.logged_out == 0 || sticky(ctx.scenario),
        "{} users logged out at {} s without sticky sessions",
        snap.logged_out,
        snap.time_s
    );
    ensure!(
        snap.logged_out == 0 || any_web_down(ctx.scenario, &ctx.timeline, "", t),
        "{} users logged out at {} s, but no web server ever died",
        snap.logged_out,
        snap.time_s
    );
    ensure!(
        snap.writes_lost == 0
            || ctx.timeline.any_down("db-", t)
            || ctx.timeline.any_down("shard-", t)
            || ctx
                .scenario
                .more_databases
                .iter()
                .any(|m| ctx.timeline.any_down(&format!("{}-", m.name), t)),
        "{} writes lost at {} s, but no database node was ever down",
        snap.writes_lost,
        snap.time_s
    );
    ensure!(
        snap.stale_reads == 0 || ctx.scenario.traffic.mix.write > 0.0,
        "{} stale replica reads at {} s without a single write",
        snap.stale_reads,
        snap.time_s
    );
    if let Some(p) = prev {
        for (label, before, after) in [
            ("requests_total", p.requests_total, snap.requests_total),
            (
                "requests_completed",
                p.requests_completed,
                snap.requests_completed,
            ),
            ("requests_failed", p.requests_failed, snap.requests_failed),
            (
                "events_processed",
                p.events_processed,
                snap.events_processed,
            ),
            ("writes_lost", p.writes_lost, snap.writes_lost),
            ("stale_reads", p.stale_reads, snap.stale_reads),
            (
                "stale_cache_reads",
                p.stale_cache_reads,
                snap.stale_cache_reads,
            ),
            ("logged_out", p.logged_out, snap.logged_out),
        ] {
            ensure!(
                after >= before,
                "{label} went down from {before} to {after} between {} s and {} s",
                p.time_s,
                snap.time_s
            );
        }
        ensure!(
            snap.time_s >= p.time_s,
            "time went back from {} s to {} s",
            p.time_s,
            snap.time_s
        );
    }
    Ok(())
}

/// Every sampled path: time order, latency bounds, and no work done by a dead component.
pub fn check_path(ctx: &Context, p: &PathSample) -> Result<(), String> {
    let id = format!("request #{} ({:?}, {:?})", p.seq, p.kind, p.outcome);
    ensure!(
        p.start <= p.end,
        "{id}: ends at {} before it starts at {}",
        p.end,
        p.start
    );
    let hops = p.hops();
    let mut at = p.start;
    for (i, h) in hops.iter().enumerate() {
        let name = ctx.name(h.component);
        ensure!(
            h.enter >= at && h.leave >= h.enter,
            "{id}: hop {i} at {name} [{}, {}] is out of time order (previous event at {at})",
            h.enter,
            h.leave
        );
        at = h.leave;
    }
    ensure!(
        at <= p.end,
        "{id}: last hop leaves at {at}, after the request ended at {}",
        p.end
    );
    let latency = p.end.since(p.start).as_nanos();
    let timeout = ctx.timeout_ns();
    match p.outcome {
        Outcome::Ok => {
            ensure!(
                latency <= timeout,
                "{id}: answered after {latency} ns, beyond the client timeout of {timeout} ns"
            );
            let min = ctx.min_latency_ns(p);
            ensure!(
                latency >= min,
                "{id}: answered in {latency} ns, below the least possible {min} ns: {}",
                hops_text(ctx, hops)
            );
        }
        Outcome::Timeout => ensure!(
            latency >= timeout,
            "{id}: timed out after {latency} ns, before the client timeout of {timeout} ns"
        ),
        _ => ensure!(
            latency <= timeout,
            "{id}: the user learns of the failure after {latency} ns, but gave up at \
             {timeout} ns, so it should count as a timeout"
        ),
    }
    // No component does work while it is down. Every hop of an answered request was done
    // (a zero-length hop at a web server is the answer passing back: it must be up then too);
    // of a failed request, every hop but the last one of real work (the one it failed at,
    // which may have been cut by a death).
    let last_work = hops
        .iter()
        .rposition(|h| h.leave > h.enter && ctx.kind(h.component).is_some_and(killable));
    for (i, h) in hops.iter().enumerate() {
        let name = ctx.name(h.component);
        let kind = ctx
            .kind(h.component)
            .ok_or("a hop at an unknown component")?;
        if !killable(kind) {
            continue;
        }
        if p.outcome != Outcome::Ok && (h.leave == h.enter || Some(i) == last_work) {
            continue;
        }
        // Zero-length hops elsewhere are refusals (a dead cache node is skipped, a dead edge
        // sends the client to the origin), not work; at a web server, the answer passing back.
        if h.leave == h.enter && kind != ComponentKind::Server {
            continue;
        }
        if p.outcome == Outcome::Ok && h.leave > h.enter {
            let min = ctx.min_hop_ns(p, name, kind);
            let took = h.leave.since(h.enter).as_nanos();
            ensure!(
                took >= min,
                "{id}: hop {i} at {name} took {took} ns, below its least service time {min} ns"
            );
        }
        // A balancer's death stops the requests that reach it after it; a request it already
        // took, and the answers already inside the system, are delivered (the model decides a
        // request's next step when it arrives, and an answer's way back when the server sends
        // it): so only the moment a path first reaches the balancer must find it up.
        let balancer = kind == ComponentKind::LoadBalancer;
        if balancer && hops[..i].iter().any(|e| e.component == h.component) {
            continue;
        }
        let leave = if balancer {
            h.enter.as_nanos()
        } else {
            h.leave.as_nanos()
        };
        if let Some(o) = ctx.timeline.outage_during(name, h.enter.as_nanos(), leave) {
            return Err(format!(
                "{id}: served by {name} over [{}, {}] though it was down over [{}, {}); \
                 path from {} to {}: {}",
                h.enter,
                h.leave,
                SimTime(o.down),
                SimTime(o.up),
                p.start,
                p.end,
                hops_text(ctx, hops)
            ));
        }
    }
    Ok(())
}

fn hops_text(ctx: &Context, hops: &[scalesim::sim::Hop]) -> String {
    hops.iter()
        .map(|h| format!("{} [{}, {}]", ctx.name(h.component), h.enter, h.leave))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// The event log: in time order, never ahead of the simulation, every state change logged.
pub fn check_log(
    ctx: &Context,
    log: &[LogEntry],
    now: SimTime,
    dropped: u64,
) -> Result<(), String> {
    let mut last = 0.0;
    for e in log {
        ensure!(
            e.t_s >= last && e.t_s <= now.as_secs_f64() + 1e-9,
            "log entry at {} s out of order (previous {last} s, now {} s): {}",
            e.t_s,
            now.as_secs_f64(),
            e.text
        );
        last = e.t_s;
    }
    if dropped == 0 {
        for (name, _) in &ctx.timeline.transitions {
            let count = &ctx.timeline.transitions_by(name, now.as_nanos());
            let logged = log.iter().filter(|e| &e.component == name).count() as u64;
            ensure!(
                logged >= *count,
                "{name} changed state {count} times but the log has {logged} entries for it"
            );
        }
    }
    Ok(())
}

/// The final report: conservation against the independently counted in-flight requests,
/// failure reasons, per-kind latency counts, component figures, and the time series.
pub fn check_report(ctx: &Context, r: &Report) -> Result<(), String> {
    let q = &r.requests;
    let why = &q.failed_by_reason;
    ensure!(
        q.failed
            == why.queue_full
                + why.timeout
                + why.server_down
                + why.dns_down
                + why.no_healthy_server
                + why.db_down
                + why.session_store_down
                + why.rate_limited,
        "failures {} != sum by reason {why:?}",
        q.failed
    );
    ensure!(
        q.generated == q.completed + q.failed + q.in_flight,
        "report: generated {} != completed {} + failed {} + in flight {} (counted)",
        q.generated,
        q.completed,
        q.failed,
        q.in_flight
    );
    ensure!(
        r.latency_ms.count == q.completed,
        "latency histogram holds {} requests, {} completed",
        r.latency_ms.count,
        q.completed
    );
    let by_kind: u64 = r.latency_by_kind.iter().map(|k| k.latency_ms.count).sum();
    ensure!(
        by_kind == q.completed,
        "per-kind latency counts add to {by_kind}, {} completed",
        q.completed
    );
    let timeout_ms = ctx.scenario.traffic.client_timeout_ms;
    for (label, l) in std::iter::once(("all", &r.latency_ms)).chain(
        r.latency_by_kind
            .iter()
            .map(|k| (k.kind.name(), &k.latency_ms)),
    ) {
        ensure!(
            l.max <= timeout_ms + 1e-6 && l.mean <= l.max + 1e-9,
            "latency ({label}): mean {} max {} with client timeout {timeout_ms} ms",
            l.mean,
            l.max
        );
        ensure!(
            l.p50 <= l.p95 && l.p95 <= l.p99,
            "latency ({label}): quantiles out of order {l:?}"
        );
    }
    ensure!(
        r.dns.lookups + r.dns.cache_hits == q.generated,
        "DNS lookups {} + cache hits {} != generated {}",
        r.dns.lookups,
        r.dns.cache_hits,
        q.generated
    );
    // A rejection whose answer reaches the user after the client gave up counts as a timeout;
    // a write whose job the full message queue refused fails as `queue_full` too.
    let site_queues = r
        .geo
        .iter()
        .flat_map(|g| &g.data_centers)
        .filter_map(|d| d.queue.as_ref());
    let rejected: u64 = r.components.iter().map(|c| c.rejected).sum::<u64>()
        + r.queue
            .iter()
            .chain(site_queues)
            .map(|q| q.rejected)
            .sum::<u64>();
    ensure!(
        why.queue_full <= rejected,
        "components rejected {rejected}, failures by full queue {}",
        why.queue_full
    );
    // A failure for a component being down needs that component to have been down.
    let end = SimTime::from_secs_f64(r.sim_time_s).as_nanos() + 1;
    let tl = &ctx.timeline;
    for (reason, count, prefix) in [
        ("server_down", why.server_down, "web-"),
        ("no_healthy_server", why.no_healthy_server, "web-"),
        ("dns_down", why.dns_down, "dns"),
        ("db_down", why.db_down, "db-"),
        ("session_store_down", why.session_store_down, "sessions"),
    ] {
        // Sharded database nodes are named shard-S-db-N; NoSQL nodes fail theirs as db_down.
        let web = prefix == "web-" && any_web_down(ctx.scenario, tl, "", end)
            // A deploy draining every server of a pool at once leaves it none healthy.
            || (reason == "no_healthy_server" && tl.drained_in(""));
        // A further database's nodes are named <name>-N.
        let further = || {
            let s = ctx.scenario;
            let dbs = s.more_databases.iter().map(|m| &m.name);
            let nosql = s.more_nosql.iter().map(|m| &m.name);
            dbs.chain(nosql)
                .any(|name| tl.any_down(&format!("{name}-"), end))
        };
        let down = tl.any_down(prefix, end)
            || web
            || (prefix == "db-"
                && (tl.any_down("shard-", end) || tl.any_down("nosql-", end) || further()))
            // A dead load balancer fails the requests that reach it as server_down, and so
            // does a dead registered component (a rate limiter failing closed, an API
            // gateway, and the requests inside it when it died).
            || (reason == "server_down" && (tl.any_down("lb", end) || plug_down(ctx, "", end)));
        ensure!(
            count == 0 || down,
            "{count} failures by {reason}, but no {prefix}* component was ever down"
        );
    }
    for c in &r.components {
        ensure!(
            (0.0..=1.0).contains(&c.utilization),
            "{}: utilization {} outside [0, 1]",
            c.name,
            c.utilization
        );
        let capacity = ctx
            .components
            .iter()
            .position(|x| x.name == c.name)
            .and_then(|i| ctx.capacities.get(i).copied())
            .ok_or_else(|| format!("{}: in the report but never in a snapshot", c.name))?;
        ensure!(
            c.max_queue_len <= capacity && c.mean_queue_len <= f64::from(capacity) + 1e-9,
            "{}: queue max {} mean {} above capacity {capacity}",
            c.name,
            c.max_queue_len,
            c.mean_queue_len
        );
        ensure!(
            c.refused == 0 || tl.ever_down(&c.name, end),
            "{}: refused {} arrivals, but was never down",
            c.name,
            c.refused
        );
        for (label, v) in [
            ("mean_in_system", c.mean_in_system),
            ("mean_sojourn_ms", c.mean_sojourn_ms),
            ("mean_wait_ms", c.mean_wait_ms),
            ("throughput_per_s", c.throughput_per_s),
        ] {
            ensure!(
                v.is_finite() && v >= 0.0,
                "{}: {label} = {v} is not finite and non-negative",
                c.name
            );
        }
    }
    check_plugs(ctx, r)?;
    if r.geo.is_none() {
        check_nosql(ctx.scenario, r)?;
    }
    match &r.geo {
        None => check_tiers(ctx, &Tiers::of(r), "", end)?,
        Some(g) => {
            ensure!(
                Tiers::of(r).is_empty(),
                "a stage-11 report keeps its tiers per data center, but has some at the top"
            );
            check_geo(ctx, r, g, end)?;
        }
    }
    if let Some(t) = &r.theory {
        ensure!(
            (0.0..=1.0).contains(&t.utilization_measured)
                && (0.0..=1.0).contains(&t.rejection_measured),
            "theory: measured utilization {} rejection {} outside [0, 1]",
            t.utilization_measured,
            t.rejection_measured
        );
    }
    check_series(ctx, r)
}

/// Whether a registered component of the scenario (in data center `site`, `dc/`, or with `""`
/// in any) was ever down before `end`.
fn plug_down(ctx: &Context, site: &str, end: u64) -> bool {
    (ctx.scenario.plugs.iter()).any(|p| ctx.timeline.any_down(&format!("{site}{}", p.name), end))
}

/// The registered components' sections: one per component (each data center's at stage 11,
/// named `dc/name`), each within its kind's own bound — a rate limiter admits at most
/// `burst + rate_per_s × t`, an API gateway lets in at most `quota_per_s` in each whole second
/// begun — and the requests failed as rate limited no more than they turned away.
fn check_plugs(ctx: &Context, r: &Report) -> Result<(), String> {
    let s = ctx.scenario;
    let sites = data_center_prefixes(s);
    let expected: Vec<String> = (sites.iter())
        .flat_map(|site| s.plugs.iter().map(move |p| format!("{site}{}", p.name)))
        .collect();
    let listed: Vec<&str> = r.plugs.iter().map(|p| p.name.as_str()).collect();
    ensure!(
        listed == expected,
        "registered components in the report: {listed:?}, expected {expected:?}"
    );
    let t = r.sim_time_s;
    let mut turned_away = 0.0;
    for p in &r.plugs {
        let spec = (s.plugs.iter())
            .find(|x| x.name == local_name(&p.name))
            .ok_or_else(|| format!("{}: not in the scenario", p.name))?;
        let figure = |key: &str| {
            (p.figures.iter())
                .find(|f| f.key == key)
                .map(|f| f.value)
                .ok_or_else(|| format!("{}: no figure {key}", p.name))
        };
        match &spec.params {
            PlugParams::RateLimiter(l) => {
                let admitted = figure("admitted")?;
                let most = f64::from(l.burst) + l.rate_per_s * t;
                ensure!(
                    admitted <= most + 1e-6 * most.max(1.0),
                    "{}: admitted {admitted} over {t} s, more than burst {} + rate {}/s × t = {most}",
                    p.name,
                    l.burst,
                    l.rate_per_s
                );
                turned_away += figure("rate_limited")?;
            }
            PlugParams::ApiGateway(g) => {
                let passed = figure("passed")?;
                let most = f64::from(g.quota_per_s) * (t.floor() + 1.0);
                ensure!(
                    passed <= most,
                    "{}: let {passed} in over {t} s, more than its quota {}/s allows ({most})",
                    p.name,
                    g.quota_per_s
                );
                turned_away += figure("shed")?;
            }
        }
    }
    let limited = r.requests.failed_by_reason.rate_limited as f64;
    ensure!(
        limited <= turned_away,
        "{limited} requests failed as rate limited, but the registered components turned away \
         {turned_away}"
    );
    Ok(())
}

/// `dc/` for each data center (stage 11), else one empty prefix.
fn data_center_prefixes(s: &Scenario) -> Vec<String> {
    match &s.geo {
        Some(geo) => (geo.data_centers.iter())
            .map(|d| format!("{}/", d.name))
            .collect(),
        None => vec![String::new()],
    }
}

/// The tiers of one stack's report: the whole report's below stage 11, one data center's in it
/// (which has no sessions section).
struct Tiers<'a> {
    database: Option<&'a DatabaseReport>,
    cache: Option<&'a CacheReport>,
    /// The further cache clusters' sections (below stage 11 only).
    more_caches: &'a [NamedCacheReport],
    /// The further databases' sections.
    more_databases: &'a [NamedDatabaseReport],
    cdn: Option<&'a CdnReport>,
    queue: Option<&'a QueueReport>,
    sessions: Option<&'a SessionReport>,
    /// Whether this stack reports sessions at all.
    has_sessions: bool,
}

impl<'a> Tiers<'a> {
    fn of(r: &'a Report) -> Tiers<'a> {
        Tiers {
            database: r.database.as_ref(),
            cache: r.cache.as_ref(),
            more_caches: &r.more_caches,
            more_databases: &r.more_databases,
            cdn: r.cdn.as_ref(),
            queue: r.queue.as_ref(),
            sessions: r.sessions.as_ref(),
            has_sessions: true,
        }
    }

    fn of_site(d: &'a DataCenterReport) -> Tiers<'a> {
        Tiers {
            database: d.database.as_ref(),
            cache: d.cache.as_ref(),
            more_caches: &d.more_caches,
            more_databases: &d.more_databases,
            cdn: d.cdn.as_ref(),
            queue: d.queue.as_ref(),
            sessions: None,
            has_sessions: false,
        }
    }

    fn is_empty(&self) -> bool {
        self.database.is_none()
            && self.cache.is_none()
            && self.cdn.is_none()
            && self.queue.is_none()
            && self.sessions.is_none()
    }
}

/// The database, cache, CDN, queue and session figures of one stack; `site` is `""` or a data
/// center's name and `/` (its components' names start with it).
/// Each NoSQL store by itself (one data center): the further ones by name, in the
/// scenario's order; each store's reads and writes were served by its own nodes (`nosql-N`
/// for the first, `<name>-N` for a further one), and it took no write it was not wired for.
fn check_nosql(s: &Scenario, r: &Report) -> Result<(), String> {
    let d = r.data_store.as_ref();
    let more = d.map_or(&[][..], |d| &d.more_nosql[..]);
    ensure!(
        more.len() == s.more_nosql.len()
            && more
                .iter()
                .zip(&s.more_nosql)
                .all(|(n, m)| n.name == m.name),
        "further NoSQL sections {:?} do not match the scenario's {:?}",
        more.iter().map(|n| &n.name).collect::<Vec<_>>(),
        s.more_nosql.iter().map(|m| &m.name).collect::<Vec<_>>()
    );
    let first = d.and_then(|d| d.nosql.as_ref()).map(|n| ("nosql", n, 0));
    let further = (more.iter().enumerate()).map(|(i, n)| (n.name.as_str(), &n.nosql, i + 1));
    for (name, n, store) in first.into_iter().chain(further) {
        let served: u64 = (r.components.iter())
            .filter(|c| {
                c.name
                    .strip_prefix(name)
                    .and_then(|x| x.strip_prefix('-'))
                    .is_some_and(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|c| c.served)
            .sum();
        // (Its nodes also count the services of requests their clients had given up on.)
        ensure!(
            n.reads + n.writes <= served,
            "NoSQL store {name}: {} reads + {} writes, its nodes served {served}",
            n.reads,
            n.writes
        );
        let writes = s.nosql_of(scalesim::scenario::Flow::Write) == Some(store);
        ensure!(
            writes || n.writes == 0,
            "NoSQL store {name} served {} writes it does not take",
            n.writes
        );
    }
    Ok(())
}

fn check_tiers(ctx: &Context, r: &Tiers, site: &str, end: u64) -> Result<(), String> {
    let s = ctx.scenario_of(site);
    let tl = &ctx.timeline;
    let named = |local: &str| format!("{site}{local}");
    ensure!(
        r.database.is_some() == s.database.is_some()
            && r.cache.is_some() == s.cache.is_some()
            && r.cdn.is_some() == s.cdn.is_some()
            && r.queue.is_some() == s.queue.is_some()
            && (!r.has_sessions || r.sessions.is_some() == sticky(s)),
        "{site} report sections (database {}, cache {}, cdn {}, queue {}, sessions {}) do not \
         match the scenario's features",
        r.database.is_some(),
        r.cache.is_some(),
        r.cdn.is_some(),
        r.queue.is_some(),
        r.sessions.is_some()
    );
    if let (Some(d), Some(spec)) = (r.database, &s.database) {
        ensure!(
            d.writes_lost <= d.writes_committed,
            "{} writes lost of {} committed",
            d.writes_lost,
            d.writes_committed
        );
        let lost: u64 = d.failovers.iter().map(|f| f.writes_lost).sum();
        ensure!(
            lost == d.writes_lost,
            "failovers lost {lost} writes in all, the database {}",
            d.writes_lost
        );
        // Until a failover, each shard's node 0 is its master: no master death, no failover,
        // nothing lost.
        let first_masters_down = d
            .shards
            .iter()
            .map(|sh| {
                if s.sharding.is_some() {
                    named(&format!("shard-{}-db-0", sh.shard))
                } else {
                    named("db-0")
                }
            })
            .any(|name| tl.ever_down(&name, end));
        ensure!(
            first_masters_down || (d.failovers.is_empty() && d.writes_lost == 0),
            "the master db-0 was never down, yet {} failovers lost {} writes",
            d.failovers.len(),
            d.writes_lost
        );
        let least_s = (spec.failover.detection_ms + spec.failover.promotion_ms) / 1000.0;
        for f in &d.failovers {
            let down = SimTime::from_secs_f64(f.down_at_s).as_nanos();
            let promoted = SimTime::from_secs_f64(f.promoted_at_s).as_nanos();
            ensure!(
                tl.down_after(&named(&f.old_master), down)
                    && !tl.down_after(&named(&f.new_master), promoted),
                "failover {f:?}: the old master must be down when it died and the new one up \
                 when promoted"
            );
            ensure!(
                f.promoted_at_s - f.down_at_s >= least_s - 1e-6,
                "failover {f:?} took less than detection + promotion ({least_s} s)"
            );
        }
        ensure!(
            d.nodes.len() == (1 + spec.replicas as usize) * d.shards.len(),
            "{} database nodes reported for {} replicas",
            d.nodes.len(),
            spec.replicas
        );
        let stale: u64 = d.nodes.iter().map(|n| n.stale_reads).sum();
        let reads: u64 = d.nodes.iter().map(|n| n.reads).sum();
        ensure!(
            stale == d.stale_reads && d.stale_reads <= d.replica_reads && d.replica_reads <= reads,
            "stale reads {} (nodes: {stale}), replica reads {}, reads {reads}",
            d.stale_reads,
            d.replica_reads
        );
        for n in &d.nodes {
            ensure!(
                n.stale_reads <= n.reads && n.lag_ms_max.is_finite() && n.lag_ms_max >= 0.0,
                "{}: {} stale of {} reads, lag max {} ms",
                n.name,
                n.stale_reads,
                n.reads,
                n.lag_ms_max
            );
        }
        ensure!(
            spec.replicas > 0 || (d.replica_reads == 0 && d.stale_reads == 0),
            "no replicas, yet {} replica reads ({} stale)",
            d.replica_reads,
            d.stale_reads
        );
        // Replication delay 0 and apply 1 µs (its least): a read is stale only when it ends
        // within a microsecond or so of a write of its key; at the swarm's at most 5,000
        // requests/s that is well under 1 in 100 reads, hot key or not.
        ensure!(
            !replication_instant(s)
                || tl.any_down(&named("db-"), end)
                || d.stale_reads <= d.replica_reads / 100 + 3,
            "{} stale of {} replica reads with replication delay 0 and apply 1 µs",
            d.stale_reads,
            d.replica_reads
        );
        ensure!(
            s.traffic.mix.write > 0.0 || (d.stale_reads == 0 && d.writes_committed == 0),
            "{} stale reads and {} writes committed without a single write sent",
            d.stale_reads,
            d.writes_committed
        );
        ensure!(
            d.nodes.iter().filter(|n| n.role == DbRole::Master).count() == d.shards.len(),
            "not exactly one master per shard at the end: {:?}",
            d.nodes
        );
    }
    ensure!(
        r.more_caches.len() == s.more_caches.len()
            && r.more_caches
                .iter()
                .zip(&s.more_caches)
                .all(|(c, m)| c.name == m.name),
        "{site} further cache sections {:?} do not match the scenario's {:?}",
        r.more_caches.iter().map(|c| &c.name).collect::<Vec<_>>(),
        s.more_caches.iter().map(|m| &m.name).collect::<Vec<_>>()
    );
    // Each further database by itself: its name, one node per replica and the master, its
    // failovers its own.
    ensure!(
        r.more_databases.len() == s.more_databases.len(),
        "{site} {} further database sections for {} in the scenario",
        r.more_databases.len(),
        s.more_databases.len()
    );
    for (d, m) in r.more_databases.iter().zip(&s.more_databases) {
        let prefix = format!("{}-", m.name);
        // Behind a shard router of its own: its shards' nodes `<name>-shard-S-N`, shard S's
        // master first; a shard per reshard's target at least, as many as the scenario says at
        // the start without one.
        let sharded = format!("{}-shard-", m.name);
        let shards = d.database.shards.len();
        let reshards = &d.database.reshards;
        let shards_ok = match &m.sharding {
            None => shards == 1 && reshards.is_empty(),
            Some(sh) => {
                let most = (reshards.iter().map(|x| x.to_shards))
                    .chain([sh.shards])
                    .max()
                    .unwrap_or(sh.shards);
                shards == most as usize
                    && (d.database.shards.iter().enumerate()).all(|(i, x)| {
                        x.master.starts_with(&format!("{sharded}{i}-")) && x.shard as usize == i
                    })
            }
        };
        ensure!(
            d.name == m.name
                && d.router == m.router_name()
                && shards_ok
                && d.database.nodes.len() == (m.database.replicas as usize + 1) * shards
                && d.database.nodes.iter().all(|n| {
                    n.name.starts_with(if m.sharding.is_some() { &sharded } else { &prefix })
                }),
            "{site} further database {} (router {:?}) reports nodes {:?} in {shards} shards for {} replicas",
            d.name,
            d.router,
            d.database.nodes.iter().map(|n| &n.name).collect::<Vec<_>>(),
            m.database.replicas
        );
        ensure!(
            d.database
                .nodes
                .iter()
                .filter(|n| n.role == DbRole::Master)
                .count()
                == shards,
            "{site} further database {}: not exactly one master per shard at the end",
            d.name
        );
        ensure!(
            d.database
                .failovers
                .iter()
                .all(|f| f.old_master.starts_with(&prefix) && f.new_master.starts_with(&prefix)),
            "{site} further database {} lists failovers of other nodes: {:?}",
            d.name,
            d.database.failovers
        );
    }
    // Each cache cluster by itself: the first (`cache-N`), then the further ones (`<name>-N`).
    let first = r
        .cache
        .zip(s.cache.as_ref())
        .map(|(c, spec)| (c, spec, named("cache-")));
    let more = r
        .more_caches
        .iter()
        .zip(&s.more_caches)
        .map(|(c, m)| (&c.cache, &m.cache, named(&format!("{}-", m.name))));
    for (c, spec, prefix) in first.into_iter().chain(more) {
        ensure!(
            c.items.len() == spec.nodes as usize
                && c.items.iter().all(|&n| n <= spec.capacity_items),
            "cache items per node {:?} with {} nodes of capacity {}",
            c.items,
            spec.nodes,
            spec.capacity_items
        );
        ensure!(
            c.stale_reads <= c.hits,
            "{} stale cache hits of {} hits",
            c.stale_reads,
            c.hits
        );
        ensure!(
            spec.write_policy == WritePolicy::Invalidate || c.invalidations == 0,
            "{} invalidations with the ttl_only write policy",
            c.invalidations
        );
        ensure!(
            c.bypassed == 0 || tl.any_down(&prefix, end),
            "{} lookups bypassed the cache {prefix}*, but none of its nodes was ever down",
            c.bypassed
        );
        let db = s.database.as_ref().expect("a cache needs a database");
        ensure!(
            !(db.replicas == 0 && spec.write_policy == WritePolicy::Invalidate)
                || c.stale_reads == 0,
            "{} stale cache hits, though every write invalidates and reads fill from the master",
            c.stale_reads
        );
    }
    if let (Some(c), Some(spec)) = (r.cdn, &s.cdn) {
        let cost = c.edge_gb * spec.edge_price_per_gb + c.origin_gb * spec.origin_price_per_gb;
        ensure!(
            (c.cost_usd - cost).abs() <= 1e-9 * cost.max(1.0),
            "CDN cost ${} != {} GB × ${} + {} GB × ${} = ${cost}",
            c.cost_usd,
            c.edge_gb,
            spec.edge_price_per_gb,
            c.origin_gb,
            spec.origin_price_per_gb
        );
        ensure!(
            c.edge_gb >= 0.0 && c.origin_gb >= 0.0 && (0.0..=1.0).contains(&c.hit_ratio),
            "CDN edge {} GB origin {} GB hit ratio {}",
            c.edge_gb,
            c.origin_gb,
            c.hit_ratio
        );
        ensure!(
            c.fallbacks == 0 || tl.ever_down(&named("cdn"), end),
            "{} CDN fallbacks, but the edge was never down",
            c.fallbacks
        );
        let max_kb = spec.object_kb_mean * 1.75;
        ensure!(
            c.edge_gb * 1024.0 * 1024.0 <= (c.hits + c.misses) as f64 * max_kb * (1.0 + 1e-9),
            "the edge sent {} GB for {} hits and {} misses of at most {max_kb} KB",
            c.edge_gb,
            c.hits,
            c.misses
        );
    }
    if let (Some(q), Some(spec)) = (r.queue, &s.queue) {
        ensure!(
            q.published == q.done + u64::from(q.queued) + u64::from(q.in_progress),
            "jobs published {} != done {} + queued {} + in progress {}",
            q.published,
            q.done,
            q.queued,
            q.in_progress
        );
        ensure!(
            q.in_progress <= q.workers && (0.0..=1.0).contains(&q.utilization),
            "{} jobs in progress on {} workers, utilization {}",
            q.in_progress,
            q.workers,
            q.utilization
        );
        ensure!(
            q.queued <= spec.max_depth && q.max_depth <= spec.max_depth,
            "queue holds {} (most {}) of at most {}",
            q.queued,
            q.max_depth,
            spec.max_depth
        );
        // A job goes back to the queue when its workers die, or when its write to the
        // database fails (`job_writes_to_db`).
        let failed_writes = q.writes.as_ref().map_or(0, |w| w.failed);
        ensure!(
            q.redelivered == failed_writes || tl.ever_down(&named("workers"), end),
            "{} jobs redelivered, {failed_writes} for a failed write, but the workers never died",
            q.redelivered
        );
        ensure!(
            q.writes.is_some() == (spec.job_writes_to_db && s.database.is_some()),
            "the queue reports writes {:?}, but job_writes_to_db is {}",
            q.writes,
            spec.job_writes_to_db
        );
        if let Some(w) = &q.writes {
            ensure!(
                w.committed == q.done && w.failed <= q.redelivered && w.in_flight <= q.in_progress,
                "job writes {w:?}: {} jobs done, {} redelivered, {} in progress",
                q.done,
                q.redelivered,
                q.in_progress
            );
        }
        ensure!(
            q.job_latency_ms.count == q.done,
            "job latency holds {} jobs, {} done",
            q.job_latency_ms.count,
            q.done
        );
        ensure!(
            spec.jobs_per_write > 0.0 || q.published + q.rejected == 0,
            "{} jobs published and {} refused, but no write carries one",
            q.published,
            q.rejected
        );
    }
    if let Some(x) = r.sessions {
        ensure!(
            x.logged_out == 0 || any_web_down(ctx.scenario, tl, "", end),
            "{} users logged out, but no web server ever died",
            x.logged_out
        );
    }
    Ok(())
}

/// Per-interval counts add up to the in-flight count taken from the request slab at each tick:
/// conservation at every metrics tick, from two independent tallies.
fn check_series(ctx: &Context, r: &Report) -> Result<(), String> {
    let interval_s = f64::from(ctx.scenario.metrics_interval_ms) / 1000.0;
    let complete = r
        .series
        .first()
        .is_none_or(|p| (p.t_s - interval_s).abs() < 1e-9);
    let (mut generated, mut done) = (0u64, 0u64);
    let mut last_t = 0.0;
    for p in &r.series {
        ensure!(
            p.t_s > last_t,
            "series point at {} s after {last_t} s",
            p.t_s
        );
        last_t = p.t_s;
        ensure!(
            (0.0..=1.0).contains(&p.utilization) && p.queue_len_mean >= 0.0,
            "series at {} s: utilization {} queue mean {}",
            p.t_s,
            p.utilization,
            p.queue_len_mean
        );
        ensure!(
            [p.db_utilization, p.cache_hit_ratio, p.cdn_hit_ratio]
                .iter()
                .all(|v| (0.0..=1.0).contains(v))
                && p.replication_lag_ms >= 0.0
                && p.web_servers >= 1,
            "series at {} s: database utilization {}, cache hit ratio {}, CDN hit ratio {}, \
             lag {} ms, {} web servers",
            p.t_s,
            p.db_utilization,
            p.cache_hit_ratio,
            p.cdn_hit_ratio,
            p.replication_lag_ms,
            p.web_servers
        );
        if let Some(q) = &ctx.scenario.queue {
            // Stage 11: the series adds up every data center's queue.
            let sites = ctx.sites().len() as u64;
            ensure!(
                u64::from(p.queue_depth) <= u64::from(q.max_depth) * sites,
                "series at {} s: {} jobs queued, most {}",
                p.t_s,
                p.queue_depth,
                q.max_depth
            );
        }
        generated += p.generated;
        done += p.completed + p.failed;
        if complete {
            ensure!(
                generated == done + p.in_flight,
                "series at {} s: {generated} generated so far != {done} ended + {} in flight",
                p.t_s,
                p.in_flight
            );
        }
    }
    ensure!(
        !complete || generated <= r.requests.generated,
        "series counts {generated} generated, report {}",
        r.requests.generated
    );
    Ok(())
}

/// One stack's (or the whole system's) request books: every request ended or is under way, and
/// the failures add up by reason.
fn check_totals(label: &str, q: &RequestTotals) -> Result<(), String> {
    let why = &q.failed_by_reason;
    let by_reason = why.queue_full
        + why.timeout
        + why.server_down
        + why.dns_down
        + why.no_healthy_server
        + why.db_down
        + why.session_store_down
        + why.rate_limited;
    ensure!(
        q.failed == by_reason,
        "{label}: failures {} != sum by reason {why:?}",
        q.failed
    );
    ensure!(
        q.generated == q.completed + q.failed + q.in_flight,
        "{label}: generated {} != completed {} + failed {} + in flight {}",
        q.generated,
        q.completed,
        q.failed,
        q.in_flight
    );
    Ok(())
}

/// Stage 11: every data center's books and tiers on their own, their sum against the whole,
/// geoDNS's answers, cross-data-center replication, and the geo series.
fn check_geo(ctx: &Context, r: &Report, g: &GeoReport, end: u64) -> Result<(), String> {
    let spec = ctx
        .scenario
        .geo
        .as_ref()
        .ok_or("a geo report without `geo`")?;
    let tl = &ctx.timeline;
    ensure!(
        g.data_centers.len() == spec.data_centers.len() && g.regions.len() == spec.regions.len(),
        "{} data centers and {} regions reported for {} and {}",
        g.data_centers.len(),
        g.regions.len(),
        spec.data_centers.len(),
        spec.regions.len()
    );
    let received: u64 = g.data_centers.iter().map(|d| d.requests_received).sum();
    ensure!(
        r.requests.generated == received + g.dns_failed,
        "{} requests generated, {received} handed to data centers + {} failed at geoDNS",
        r.requests.generated,
        g.dns_failed
    );
    let by_region: u64 = g.regions.iter().map(|x| x.requests).sum();
    ensure!(
        by_region == r.requests.generated,
        "regions sent {by_region} requests, {} generated",
        r.requests.generated
    );
    ensure!(
        g.dns_failed == 0 || tl.ever_down("dns", end),
        "{} requests failed at geoDNS, but it was never down",
        g.dns_failed
    );
    let answers: u64 = g.data_centers.iter().map(|d| d.dns_answers).sum();
    ensure!(
        answers + g.dns_failed == g.dns_lookups && g.dns_lookups == r.dns.lookups,
        "geoDNS: {answers} answers + {} failed != {} lookups (top level {})",
        g.dns_failed,
        g.dns_lookups,
        r.dns.lookups
    );
    let (mut completed, mut failed, mut in_flight) = (0, g.dns_failed, 0);
    for d in &g.data_centers {
        let q = &d.requests;
        check_totals(&d.name, q)?;
        ensure!(
            q.generated == d.requests_received,
            "{}: {} requests received, {} in its books",
            d.name,
            d.requests_received,
            q.generated
        );
        ensure!(
            d.latency_ms.count == q.completed,
            "{}: latency holds {} requests, {} completed",
            d.name,
            d.latency_ms.count,
            q.completed
        );
        // A data center's DNS failures are lookups geoDNS died during (the request is handed
        // over when its answer is due, and fails there).
        ensure!(
            q.failed_by_reason.dns_down == 0 || tl.ever_down("dns", end),
            "{}: {} requests failed by DNS inside a data center, but geoDNS was never down",
            d.name,
            q.failed_by_reason.dns_down
        );
        let at = end.saturating_sub(1);
        ensure!(
            d.up_at_end != tl.down_after(&d.name, at),
            "{}: up at the end = {}, but the schedule and live actions say otherwise",
            d.name,
            d.up_at_end
        );
        let site = format!("{}/", d.name);
        let why = &q.failed_by_reason;
        for (reason, count, local) in [
            ("server_down", why.server_down, "web-"),
            ("no_healthy_server", why.no_healthy_server, "web-"),
            ("session_store_down", why.session_store_down, "sessions"),
        ] {
            let prefix = format!("{site}{local}");
            // A dead load balancer fails the requests that reach it as server_down, and so
            // does a dead registered component.
            let balancer = reason == "server_down"
                && (tl.any_down(&format!("{site}lb"), end) || plug_down(ctx, &site, end));
            let web = local == "web-" && any_web_down(ctx.scenario, tl, &site, end)
                || (reason == "no_healthy_server" && tl.drained_in(&site));
            ensure!(
                count == 0 || tl.any_down(&prefix, end) || balancer || web,
                "{}: {count} failures by {reason}, but no {prefix}* component was ever down",
                d.name
            );
        }
        completed += q.completed;
        failed += q.failed;
        in_flight += q.in_flight;
        check_tiers(ctx, &Tiers::of_site(d), &site, end)?;
    }
    ensure!(
        (completed, failed, in_flight)
            == (
                r.requests.completed,
                r.requests.failed,
                r.requests.in_flight
            ),
        "data centers: {completed} completed, {failed} failed (with geoDNS's), {in_flight} in \
         flight; the whole: {:?}",
        r.requests
    );
    check_replication(ctx, g, end)?;
    check_geo_series(ctx, r, g)?;
    check_dead_sites(ctx, r, g)
}

/// Every write committed in a data center is, for each other data center, shipped, lost with
/// its sender, or still waiting: per direction, shipped + lost + waiting = committed.
fn check_replication(ctx: &Context, g: &GeoReport, end: u64) -> Result<(), String> {
    let n = g.data_centers.len();
    ensure!(
        g.replication.len() == n * (n - 1),
        "{} replication channels between {n} data centers",
        g.replication.len()
    );
    for c in &g.replication {
        let from = g
            .data_centers
            .iter()
            .find(|d| d.name == c.from)
            .ok_or_else(|| format!("replication from unknown {}", c.from))?;
        ensure!(
            c.to != c.from && g.data_centers.iter().any(|d| d.name == c.to),
            "replication from {} to {}",
            c.from,
            c.to
        );
        // Every database of the data center ships its commits (the further ones too).
        let committed = from.database.as_ref().map_or(0, |db| db.writes_committed)
            + from
                .more_databases
                .iter()
                .map(|m| m.database.writes_committed)
                .sum::<u64>();
        ensure!(
            c.shipped + c.lost + c.waiting == committed,
            "replication {} → {}: shipped {} + lost {} + waiting {} != {committed} committed",
            c.from,
            c.to,
            c.shipped,
            c.lost,
            c.waiting
        );
        ensure!(
            c.lost == 0 || ctx.timeline.ever_down(&c.from, end),
            "replication {} → {}: {} writes lost, but {} was never down",
            c.from,
            c.to,
            c.lost,
            c.from
        );
        ensure!(
            c.max_lag_ms.is_finite() && c.max_lag_ms >= 0.0,
            "replication {} → {}: lag {} ms",
            c.from,
            c.to,
            c.max_lag_ms
        );
    }
    let most = g.replication.iter().map(|c| c.lost).max().unwrap_or(0);
    ensure!(
        g.writes_lost_cross_dc == most,
        "{} writes lost across data centers, the channels' most is {most}",
        g.writes_lost_cross_dc
    );
    Ok(())
}

/// The geo series: one point per metrics tick beside the main series, figures per data center,
/// and each data center's `up` flag as the outage timeline has it.
fn check_geo_series(ctx: &Context, r: &Report, g: &GeoReport) -> Result<(), String> {
    let n = g.data_centers.len();
    ensure!(
        g.series.len() == r.series.len(),
        "{} geo series points beside {} series points",
        g.series.len(),
        r.series.len()
    );
    for (p, main) in g.series.iter().zip(&r.series) {
        ensure!(
            p.t_s == main.t_s
                && p.requests_per_s.len() == n
                && p.in_dns.len() == n
                && p.up.len() == n
                && p.users_by_answer.len() == n,
            "geo series point at {} s (main series at {} s) does not list {n} data centers",
            p.t_s,
            main.t_s
        );
        ensure!(
            p.requests_per_s.iter().all(|v| v.is_finite() && *v >= 0.0)
                && p.replication_lag_ms.is_finite()
                && p.replication_lag_ms >= 0.0,
            "geo series at {} s: rates {:?}, lag {} ms",
            p.t_s,
            p.requests_per_s,
            p.replication_lag_ms
        );
        let t = SimTime::from_secs_f64(p.t_s).as_nanos();
        for (d, up) in g.data_centers.iter().zip(&p.up) {
            // A scheduled change at the tick's own instant may fall either side of it; live
            // actions at that instant come after it.
            let (may_be_up, may_be_down) = ctx.timeline.seen_by_tick(&d.name, t);
            ensure!(
                if *up { may_be_up } else { may_be_down },
                "geo series at {} s: {} up = {up}, but the schedule and live actions say {}",
                p.t_s,
                d.name,
                if *up { "down" } else { "up" }
            );
        }
    }
    Ok(())
}

/// Whether geoDNS named each data center, replayed from its log lines ("geoDNS: X failed …",
/// "geoDNS: X passed …"); all are named at the start.
struct Named {
    /// (time ns, data center, named from then on)
    changes: Vec<(u64, usize, bool)>,
    count: usize,
}

impl Named {
    fn from_log(r: &Report, g: &GeoReport) -> Named {
        let mut changes = Vec::new();
        for e in &r.events {
            for (i, d) in g.data_centers.iter().enumerate() {
                if e.component != d.name {
                    continue;
                }
                let t = SimTime::from_secs_f64(e.t_s).as_nanos();
                if e.text.starts_with(&format!("geoDNS: {} failed", d.name)) {
                    changes.push((t, i, false));
                } else if e.text.starts_with(&format!("geoDNS: {} passed", d.name)) {
                    changes.push((t, i, true));
                }
            }
        }
        Named {
            changes,
            count: g.data_centers.len(),
        }
    }

    /// Whether, at every moment of [from, to], geoDNS named some data center other than `d`
    /// that it would answer with (with `split` routing, one with a share above 0).
    fn other_named_throughout(&self, d: usize, from: u64, to: u64, usable: &[bool]) -> bool {
        let mut named = vec![true; self.count];
        let fine = |named: &[bool]| (0..named.len()).any(|i| i != d && named[i] && usable[i]);
        let mut checked = false;
        for &(t, i, on) in &self.changes {
            if t > to {
                break;
            }
            if t > from && !checked {
                if !fine(&named) {
                    return false;
                }
                checked = true;
            }
            named[i] = on;
            if t >= from && !fine(&named) {
                return false;
            }
        }
        checked || fine(&named)
    }
}

/// After the DNS TTL and geoDNS's detection no user is sent to a dead data center: in every
/// metrics interval that starts after a data center has been down for health checks ×
/// interval + lookup + TTL (and stays down), it receives nothing — as long as geoDNS had
/// another data center to name meanwhile. Needs the whole log (skipped if lines were dropped).
fn check_dead_sites(ctx: &Context, r: &Report, g: &GeoReport) -> Result<(), String> {
    if r.events_dropped > 0 {
        return Ok(());
    }
    let s = ctx.scenario;
    let spec = s.geo.as_ref().ok_or("a geo report without `geo`")?;
    let ms = |v: f64| SimTime::from_millis_f64(v).as_nanos();
    let detection = u64::from(spec.unhealthy_after) * ms(spec.health_interval_ms);
    // Cached answers expire on whole milliseconds after the lookup ends: 2 ms of slack.
    let settle =
        detection + ms(s.dns.lookup_ms) + u64::from(s.dns.ttl_s) * 1_000_000_000 + 2_000_000;
    let interval = u64::from(s.metrics_interval_ms) * 1_000_000;
    let usable = vec![true; g.data_centers.len()];
    let named = Named::from_log(r, g);
    for (d, dc) in g.data_centers.iter().enumerate() {
        for o in ctx.timeline.outages_named(&dc.name) {
            for p in &g.series {
                let t1 = SimTime::from_secs_f64(p.t_s).as_nanos();
                let t0 = t1.saturating_sub(interval);
                if o.down.saturating_add(settle) > t0 || o.up <= t1 {
                    continue;
                }
                if !named.other_named_throughout(d, o.down, t1, &usable) {
                    continue;
                }
                ensure!(
                    p.requests_per_s[d] == 0.0,
                    "{} has been down since {}, longer than geoDNS detection ({} s) + lookup \
                     + TTL ({} s), yet users sent it {} requests/s in the interval ending at {} s",
                    dc.name,
                    SimTime(o.down),
                    detection as f64 / 1e9,
                    s.dns.ttl_s,
                    p.requests_per_s[d],
                    p.t_s
                );
            }
        }
    }
    Ok(())
}

/// Stage 11, at every observation: geoDNS's status agrees with the snapshot and the outage
/// timeline.
pub fn check_geo_status(
    ctx: &Context,
    status: &GeoStatus,
    snap: &Snapshot,
    now: SimTime,
) -> Result<(), String> {
    let sites: Vec<_> = ctx
        .components
        .iter()
        .filter(|c| c.kind == ComponentKind::DataCenter)
        .collect();
    ensure!(
        status.data_centers.len() == sites.len()
            && status.answers.len() == status.regions.len()
            && status.answers.iter().all(|&a| a < sites.len()),
        "geo status lists {} data centers for {} and answers {:?} for {} regions",
        status.data_centers.len(),
        sites.len(),
        status.answers,
        status.regions.len()
    );
    let t = now.as_nanos();
    for ((name, _, up, in_dns), c) in status.data_centers.iter().zip(&sites) {
        ensure!(
            *name == c.name && *up != ctx.timeline.down_after(name, t),
            "{name} at {} s: up = {up} in the geo status, but the schedule and live actions say \
             otherwise",
            now.as_secs_f64()
        );
        let state = snap
            .components
            .iter()
            .find(|s| s.id == c.id)
            .ok_or_else(|| format!("{name} missing from the snapshot"))?;
        ensure!(
            state.alive == *up && state.in_pool == *in_dns,
            "{name} at {} s: snapshot alive {} in pool {}, geo status up {up} named {in_dns}",
            now.as_secs_f64(),
            state.alive,
            state.in_pool
        );
    }
    if ctx.scenario.geo.as_ref().map(|g| g.routing) == Some(GeoRouting::Nearest) {
        for (r, &a) in status.answers.iter().enumerate() {
            ensure!(
                status.data_centers[a].3 || status.data_centers.iter().all(|d| !d.3),
                "region {r}: geoDNS answers {}, which it does not name, though it names others",
                status.data_centers[a].0
            );
        }
    }
    Ok(())
}

/// Whether a web server of any pool was down up to `now` (`web-3`, or `<name>-3` of a further
/// pool), in data center `site` (`us-east/`) or, with `""`, anywhere.
fn any_web_down(s: &Scenario, tl: &Timeline, site: &str, now: u64) -> bool {
    std::iter::once("web")
        .chain(s.more_web_pools.iter().map(|m| m.name.as_str()))
        .any(|stem| tl.any_down(&format!("{site}{stem}-"), now))
}
