//! Stage 11: several data centers in several regions, with geoDNS in front.
//!
//! ```text
//!   users (per region) ──geoDNS (cached per user, TTL)──▶ data center A ─┐  async replication,
//!                                     └─────────────────▶ data center B ◀┘  a finite rate each way
//! ```
//!
//! This layer is the peer of the single-data-center engine: both implement [`Engine`], and
//! [`super::Sim`] runs one or the other. Each data center is a whole [`Stack`] built from the
//! scenario without its `geo` part, changed by the data center's own `set`
//! ([`Scenario::data_center_stack`]): load balancer, web servers, caches, shards and all.
//! This layer owns the users: it draws their
//! requests (one Poisson stream for everyone), keeps each user's cached DNS answer, asks geoDNS
//! when it has expired, and hands the request to the data center the answer names, adding the
//! round trip between the user's region and that data center. GeoDNS health-checks every data
//! center and stops naming one after `unhealthy_after` failed checks, so after an outage users
//! move only as their cached answers expire. Writes committed in one data center are shipped to
//! every other one at a finite rate; writes still waiting to leave a data center when it fails
//! are lost.
//!
//! The layer advances in time order: before handling one of its own events at time t it brings
//! every data center to t, so a request handed over at t starts at the data center's "now".
//! The data centers draw from their own random streams, each seeded from the scenario's seed
//! and its index, so a run is deterministic.

mod channel;
mod dns;
mod ops;
mod partition;
mod population;
mod replication;
mod report;
mod spans;
mod state;
mod traffic;

use super::handle::Engine;
use super::hits::IntervalHits;
use super::kernel::histogram::Histogram;
use super::kernel::run::Kernel;
use super::report::{
    DataCenterReport, GeoReport, LatencyReport, LogEntry, RegionReport, Report, ReportBuilder,
    RequestTotals, RunHead, SeriesPoint,
};
use super::ring::mix64;
use super::stack::{in_profile, next_arrival, Site, Stack};
use super::thresholds::{ThresholdWatch, P99_OBJECTIVE_MS};
use super::{
    ComponentId, ComponentInfo, ComponentKind, ComponentState, PathSample, SimDuration, SimTime,
    Snapshot,
};
use crate::scenario::Scenario;
use dns::GeoDns;
use population::RegionUsers;
use replication::Replication;
use serde::Serialize;
pub use spans::SpanStats;
use spans::Spans;
use std::collections::VecDeque;

/// Components of a data center's own list that the world shares: `users` and `dns`.
const SHARED: u16 = 2;

#[derive(Clone, Copy, Debug)]
enum GeoEvent {
    /// The next request, from `user` (drawn when it was scheduled: its index within its region
    /// also draws that user's state, see `population`).
    Arrival {
        epoch: u32,
        user: u32,
    },
    MetricsTick,
    HealthCheck,
    /// A scheduled data-center outage starts (`down`) or ends.
    DcFault {
        dc: u16,
        down: bool,
    },
    /// A scheduled DNS fault.
    DnsFault {
        down: bool,
    },
    /// A scheduled partition between data centers `a` and `b` starts (`cut`) or heals.
    Partition {
        a: u16,
        b: u16,
        cut: bool,
    },
    /// The scenario's scheduled deploy starts (data center by data center).
    DeployStart,
}

/// A rolling deploy going through the data centers one at a time.
#[derive(Clone)]
struct DeployPlan {
    spec: crate::scenario::Deploy,
    /// The data center deploying now.
    current: usize,
}

/// One data center.
#[derive(Clone)]
pub(super) struct Dc {
    pub name: String,
    pub region: usize,
    pub sim: Stack,
    /// Its own component in the world's list.
    pub id: ComponentId,
    /// World id of each component of its stack, by its id in the stack (`users` and `dns`
    /// are the world's own). Components the stack adds later (web servers) join the end of
    /// the world's list, so a data center's ids are not one block.
    pub ids: Vec<ComponentId>,
    /// The truth: false during an outage.
    pub up: bool,
    /// Requests handed to it.
    pub handed: u64,
    /// `handed` when the data centers last advanced without a budget (see `spans`).
    handed_before_span: u64,
    interval_handed: u64,
    /// Requests drawn for it and not handed over yet (see `spans`): empty except within a
    /// call that draws a span's arrivals ahead.
    inbox: Vec<spans::Handover>,
}

/// Per region figures.
#[derive(Clone)]
struct RegionBooks {
    name: String,
    first_user: u64,
    users: u64,
    generated: u64,
}

/// The world-level counters (geoDNS keeps its own).
#[derive(Clone)]
pub(super) struct GeoBooks {
    /// Requests the users sent.
    pub generated: u64,
}

/// One metrics interval of the geo layer.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct GeoPoint {
    /// End of the interval, seconds.
    pub t_s: f64,
    /// Requests handed to each data center in the interval, per second.
    pub requests_per_s: Vec<f64>,
    /// Whether geoDNS named each data center at the end of the interval.
    pub in_dns: Vec<bool>,
    /// Whether each data center was up at the end of the interval.
    pub up: Vec<bool>,
    /// Users whose cached answer names each data center.
    pub users_by_answer: Vec<u64>,
    /// Largest cross-data-center replication lag at the end of the interval, ms.
    pub replication_lag_ms: f64,
    /// Committed writes not yet shipped to every other data center (at risk if their data
    /// center fails).
    pub writes_at_risk: u64,
}

/// What the geo layer looks like now, for display.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct GeoStatus {
    /// Regions: name and users living there.
    pub regions: Vec<(String, u64)>,
    /// Data centers: name, index of their region, up, named by geoDNS.
    pub data_centers: Vec<(String, usize, bool, bool)>,
    /// Per region: the nearest data center geoDNS names now (with `split` routing, users spread
    /// over the named ones by their shares instead).
    pub answers: Vec<usize>,
    /// Round-trip times between regions, ms.
    pub rtt_ms: Vec<Vec<f64>>,
    /// The last complete metrics interval (traffic per data center, lag, writes at risk).
    pub last: Option<GeoPoint>,
    /// Requests per second handed to each data center: over the last complete metrics
    /// interval, or before the first one completes, over the time run so far (so the figures
    /// show from the first frame instead of waiting a whole interval).
    pub requests_per_s: Vec<f64>,
    /// Committed writes lost with a failed data center so far.
    pub writes_lost: u64,
    /// Users whose cached DNS answer names each data center: at the end of the last complete
    /// metrics interval, or before the first one completes, now (so the figure shows from
    /// the first frame).
    pub users_by_answer: Vec<u64>,
}

/// The geo layer: users, geoDNS and the data centers.
#[derive(Clone)]
pub(super) struct World {
    pub scenario: Scenario,
    /// The kernel: the clock, the event queue, the RNG, sampled paths, the event log and the
    /// interval's latency (its request slab and books stay empty: requests live in the data
    /// centers, and the layer's own counts are in `books`).
    kernel: Kernel<(), GeoEvent>,
    pub events_processed: u64,
    pub components: Vec<ComponentInfo>,
    pub dcs: Vec<Dc>,
    /// GeoDNS: what it names (apart from the data centers, so that users' requests can be
    /// drawn while the data centers run on other threads), its life, its health checks and
    /// its books.
    dns: GeoDns,
    regions: Vec<RegionBooks>,
    users: u64,
    /// Per region: its users by state (cached answer, activity in this interval), as counts.
    population: Vec<RegionUsers>,
    /// Metrics intervals begun (from 1), for counting distinct active users.
    tick: u32,
    /// Distinct users who sent a request in this metrics interval.
    interval_active: u64,
    mean_interarrival_ns: f64,
    arrival_epoch: u32,
    profile_max: f64,
    interval_ns: u64,
    /// Cross-data-center replication: a channel each way between every two data centers,
    /// and the partitions that cut them.
    replication: Replication,
    pub series: VecDeque<SeriesPoint>,
    pub geo_series: VecDeque<GeoPoint>,
    series_cap: usize,
    pub last_point: Option<SeriesPoint>,
    /// Watches each interval's merged figures for threshold crossings.
    watch: ThresholdWatch,
    pub books: GeoBooks,
    interval_generated: u64,
    deploying: Option<DeployPlan>,
    /// How the data centers are brought through a span: one after another or side by side.
    spans: Spans,
}

/// Seed of data center `i`'s random stream.
fn dc_seed(seed: u64, i: usize) -> u64 {
    mix64(seed ^ mix64(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(i as u64 + 1)))
}

impl World {
    /// Builds the geo layer (and its data centers) from a valid stage-11 scenario.
    pub(super) fn build(scenario: &Scenario) -> World {
        let geo = scenario.geo.clone().expect("a geo scenario");
        let end = SimTime::from_secs(u64::from(scenario.duration_s));
        let interval_ns = u64::from(scenario.metrics_interval_ms) * 1_000_000;
        let mut components = vec![
            ComponentInfo {
                id: ComponentId(0),
                name: "users".into(),
                kind: ComponentKind::Users,
            },
            GeoDns::info(),
        ];
        let region_index = |name: &str| {
            geo.regions
                .iter()
                .position(|r| r.name == name)
                .expect("validated region")
        };
        let mut dcs = Vec::new();
        for (i, spec) in geo.data_centers.iter().enumerate() {
            // Its own copy of the stack, with its own changes (validated with the scenario).
            let mut inner = scenario
                .data_center_stack(spec, "")
                .expect("a valid scenario's data centers apply their changes");
            inner.seed = dc_seed(scenario.seed, i);
            inner.name = format!("{} ({})", scenario.name, spec.name);
            inner.traffic.users = 0;
            // Deploys go one data center at a time: this layer starts each.
            inner.deploy = None;
            let prefix = format!("{}/", spec.name);
            inner.faults = scenario
                .faults
                .iter()
                .filter_map(|f| {
                    f.target.strip_prefix(&prefix).map(|t| {
                        let mut f = f.clone();
                        f.target = t.to_string();
                        f
                    })
                })
                .collect();
            let mut sim = Stack::single(&inner);
            let region = region_index(&spec.region);
            sim.site = Some(Site::new(
                geo.rtt_ms
                    .iter()
                    .map(|row| SimDuration::from_millis_f64(row[region] / 2.0))
                    .collect(),
            ));
            let id = ComponentId(components.len() as u16);
            components.push(ComponentInfo {
                id,
                name: spec.name.clone(),
                kind: ComponentKind::DataCenter,
            });
            let mut ids: Vec<ComponentId> = (0..SHARED).map(ComponentId).collect();
            append_new(&mut components, &mut ids, &sim, &prefix);
            dcs.push(Dc {
                name: spec.name.clone(),
                region,
                sim,
                id,
                ids,
                up: true,
                handed: 0,
                handed_before_span: 0,
                interval_handed: 0,
                inbox: Vec::new(),
            });
        }
        let regions_of_dcs: Vec<usize> = dcs.iter().map(|d| d.region).collect();
        let dns = GeoDns::new(&geo, &scenario.dns, &regions_of_dcs);
        let replication = Replication::new(&geo, &regions_of_dcs);
        let series_cap = (end.as_nanos() / interval_ns + 1) as usize;
        let mut world = World {
            scenario: scenario.clone(),
            kernel: Kernel::new(scenario.seed),
            events_processed: 0,
            components,
            dcs,
            dns,
            regions: geo
                .regions
                .iter()
                .map(|r| RegionBooks {
                    name: r.name.clone(),
                    first_user: 0,
                    users: 0,
                    generated: 0,
                })
                .collect(),
            users: 0,
            population: vec![RegionUsers::default(); geo.regions.len()],
            tick: 1,
            interval_active: 0,
            mean_interarrival_ns: f64::INFINITY,
            arrival_epoch: 0,
            profile_max: scenario.traffic.profile.max_factor().max(1e-9),
            interval_ns,
            replication,
            series: VecDeque::with_capacity(series_cap.min(4096)),
            geo_series: VecDeque::with_capacity(series_cap.min(4096)),
            series_cap,
            last_point: None,
            watch: ThresholdWatch::new(P99_OBJECTIVE_MS, interval_ns as f64 / 1e9),
            books: GeoBooks { generated: 0 },
            interval_generated: 0,
            deploying: None,
            spans: Spans::default(),
        };
        if let Some(at_s) = scenario.deploy.as_ref().and_then(|d| d.at_s) {
            world
                .kernel
                .events
                .push(SimTime::from_secs_f64(at_s), GeoEvent::DeployStart);
        }
        world
            .kernel
            .events
            .push(SimTime(interval_ns), GeoEvent::MetricsTick);
        world.dns.schedule_check(&mut world.kernel);
        for fault in &scenario.faults {
            let at = SimTime::from_secs_f64(fault.at_s);
            if fault.kind == crate::scenario::FaultKind::Partition {
                world.schedule_partition(fault, at);
                continue;
            }
            let back = (fault.duration_s > 0.0)
                .then(|| at.plus(SimDuration::from_secs_f64(fault.duration_s)));
            let event = |down| {
                if fault.target == "dns" {
                    Some(GeoEvent::DnsFault { down })
                } else {
                    world
                        .dcs
                        .iter()
                        .position(|d| d.name == fault.target)
                        .map(|dc| GeoEvent::DcFault {
                            dc: dc as u16,
                            down,
                        })
                }
            };
            if let Some(e) = event(true) {
                world.kernel.events.push(at, e);
            }
            if let (Some(back), Some(e)) = (back, event(false)) {
                world.kernel.events.push(back, e);
            }
        }
        world.set_users(scenario.traffic.users);
        world
    }

    /// Changes the user population from now on; users are spread over the regions by their
    /// shares, in region order.
    pub fn set_users(&mut self, users: u64) {
        let users = users.min(crate::scenario::MAX_USERS);
        self.users = users;
        self.scenario.traffic.users = users;
        let geo = self.scenario.geo.as_ref().expect("geo");
        let mut first = 0;
        let last = self.regions.len() - 1;
        for (i, (books, spec)) in self.regions.iter_mut().zip(&geo.regions).enumerate() {
            let count = if i == last {
                users - first
            } else {
                ((users as f64 * spec.users_share).round() as u64).min(users - first)
            };
            books.first_user = first;
            books.users = count;
            first += count;
        }
        for (pop, books) in self.population.iter_mut().zip(&self.regions) {
            pop.resize(books.users as u32, self.tick);
        }
        self.mean_interarrival_ns = super::stack::mean_interarrival_ns(
            users,
            self.scenario.traffic.requests_per_user_per_s,
            self.profile_max,
        );
        self.arrival_epoch = self.arrival_epoch.wrapping_add(1);
        self.schedule_arrival();
    }

    fn schedule_arrival(&mut self) {
        if let Some(at) = next_arrival(
            &mut self.kernel.rng,
            self.kernel.now,
            self.mean_interarrival_ns,
        ) {
            let epoch = self.arrival_epoch;
            let user = if self.users == 0 {
                0
            } else {
                self.kernel.rng.below(self.users) as u32
            };
            self.kernel
                .events
                .push(at, GeoEvent::Arrival { epoch, user });
        }
    }

    /// Processes every event up to and including `t`, at most `max_events` of this layer's
    /// and its data centers' together. Returns the number processed.
    pub fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64 {
        let mut done = 0;
        loop {
            let next = self.kernel.events.due_until(t);
            if let Some((due, at)) = next {
                if let GeoEvent::Arrival { .. } = self.kernel.events.due_event(due) {
                    // An arrival only hands a request to a data center, as an event there: the
                    // data centers need not have reached its time. Taken where it was found
                    // (one look for the earliest event, not a peek and then a pop).
                    if done >= max_events {
                        break;
                    }
                    let event = self.kernel.events.take_due(due);
                    self.kernel.now = at;
                    self.handle(event);
                    self.events_processed += 1;
                    done += 1;
                    continue;
                }
            }
            let next = next.map(|(_, at)| at);
            let until = next.unwrap_or(t);
            if max_events == u64::MAX {
                // No budget: the data centers may run side by side (see `spans`).
                done += self.advance_dcs_unbounded(until);
            } else {
                for dc in &mut self.dcs {
                    if done >= max_events {
                        break;
                    }
                    done += dc.sim.advance_to(until, max_events - done);
                }
            }
            if done >= max_events && self.dcs.iter().any(|d| d.sim.now() < until) {
                // Stopped part-way: the data centers are at different times, so their log
                // lines wait for the next call, but new components are listed now.
                self.sync_components();
                break;
            }
            self.collect();
            let Some(at) = next else {
                self.kernel.now = self.kernel.now.max(t);
                break;
            };
            if done >= max_events {
                break;
            }
            self.handle_next(at);
            done += 1;
        }
        done
    }

    /// Takes this layer's next event, due at `at`, and handles it.
    fn handle_next(&mut self, at: SimTime) {
        let (_, event) = self.kernel.events.pop().expect("peeked");
        self.kernel.now = at;
        self.handle(event);
        self.events_processed += 1;
    }

    /// Takes what the data centers produced since the last call: sampled paths, log lines and
    /// committed writes for cross-data-center replication.
    fn collect(&mut self) {
        self.sync_components();
        // Log lines of one batch come from events in the same span of time (every data center
        // has just been brought to the same moment); ordering them by time, then data center,
        // makes the log independent of how the run was cut into steps.
        let mut batch: Vec<LogEntry> = Vec::new();
        for d in 0..self.dcs.len() {
            let dc = &mut self.dcs[d];
            let nothing = dc.sim.kernel.paths.is_empty()
                && dc.sim.kernel.log.is_empty()
                && dc
                    .sim
                    .site
                    .as_ref()
                    .is_none_or(|site| site.outbox.is_empty());
            if nothing {
                continue;
            }
            for mut p in dc.sim.kernel.paths.drain(..) {
                for hop in &mut p.hops[..usize::from(p.hop_count)] {
                    hop.component = to_world(&dc.ids, hop.component);
                }
                self.kernel.keep_path(p);
            }
            for mut e in dc.sim.kernel.log.drain(..) {
                if e.component != "users" && e.component != "dns" {
                    e.component = format!("{}/{}", dc.name, e.component);
                }
                e.text = format!("{}: {}", dc.name, e.text);
                batch.push(e);
            }
            let outbox = &mut dc.sim.site.as_mut().expect("a data center's site").outbox;
            if !outbox.is_empty() {
                self.replication.ship_out(d, outbox);
                outbox.clear();
            }
        }
        if !batch.is_empty() {
            batch.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
            for e in batch {
                self.kernel.push_log(e);
            }
        }
    }

    /// Starts a rolling deploy that goes through the data centers one at a time, in order:
    /// the next starts when the one before has brought its last server back.
    pub fn start_deploy(&mut self, spec: &crate::scenario::Deploy) -> bool {
        if let Some(name) = spec.pool.as_deref() {
            if self.scenario.web_pool_number(name).is_none() {
                let name: String = name.chars().take(40).collect();
                self.log_event(
                    "deploy",
                    format!("deploy: not started; this run has no web pool named {name}"),
                );
                return false;
            }
        }
        if self.deploying.is_some() {
            self.log_event("deploy", "a deploy is already under way".to_string());
            return false;
        }
        let count = self.dcs.len();
        self.log_event(
            "deploy",
            format!("deploy: {count} data centers, one at a time"),
        );
        self.deploying = Some(DeployPlan {
            spec: spec.clone(),
            current: 0,
        });
        self.dcs[0].sim.start_deploy(spec);
        self.collect();
        true
    }

    /// Moves the deploy on to the next data center once the current one has finished.
    fn deploy_progress(&mut self) {
        let Some(plan) = self.deploying.as_mut() else {
            return;
        };
        if self.dcs[plan.current].sim.deploy_running() {
            return;
        }
        plan.current += 1;
        if plan.current == self.dcs.len() {
            self.deploying = None;
            self.log_event("deploy", "deploy finished in every data center".into());
            return;
        }
        let (d, spec) = (plan.current, plan.spec.clone());
        let name = self.dcs[d].name.clone();
        self.log_event("deploy", format!("deploy moves on to {name}"));
        self.dcs[d].sim.start_deploy(&spec);
        self.collect();
    }

    /// Gives the components the data centers added since the last call (web servers) their
    /// world ids, in data-center order.
    fn sync_components(&mut self) {
        for dc in &mut self.dcs {
            if dc.ids.len() < dc.sim.components().len() {
                let prefix = format!("{}/", dc.name);
                append_new(&mut self.components, &mut dc.ids, &dc.sim, &prefix);
            }
        }
    }

    /// [`World::collect`], after a live change to the data centers.
    pub fn collect_now(&mut self) {
        self.collect();
    }

    /// Events waiting, here and in every data center.
    /// Roughly how many bytes of memory the world holds: see [`Sim::footprint_bytes`].
    pub fn footprint_bytes(&self) -> u64 {
        let per_user: usize = self
            .population
            .iter()
            .map(RegionUsers::footprint_bytes)
            .sum();
        let pending = self.replication.backlog_bytes();
        let dcs: u64 = self.dcs.iter().map(|d| d.sim.footprint_bytes()).sum();
        dcs + (per_user + pending) as u64
    }

    /// When the earliest waiting event is due, here or in any data center.
    pub fn next_event_at(&mut self) -> Option<SimTime> {
        let own = self.kernel.events.peek().map(|(at, _)| at);
        self.dcs
            .iter_mut()
            .filter_map(|d| d.sim.next_event_at())
            .chain(own)
            .min()
    }

    pub fn pending_events(&self) -> usize {
        self.kernel.events.len()
            + self
                .dcs
                .iter()
                .map(|d| d.sim.pending_events())
                .sum::<usize>()
    }
}

/// A data center's component id in the world's list (`ids`: see [`Dc::ids`]).
fn to_world(ids: &[ComponentId], id: ComponentId) -> ComponentId {
    ids.get(usize::from(id.0)).copied().unwrap_or(id)
}

/// Appends to the world's list the components of `sim` it does not have yet (all of them when
/// a data center is built, web servers added since later), named `<data center>/<name>`.
fn append_new(
    components: &mut Vec<ComponentInfo>,
    ids: &mut Vec<ComponentId>,
    sim: &Stack,
    prefix: &str,
) {
    for c in &sim.components()[ids.len()..] {
        let id = ComponentId(components.len() as u16);
        components.push(ComponentInfo {
            id,
            name: format!("{prefix}{}", c.name),
            kind: c.kind,
        });
        ids.push(id);
    }
}
