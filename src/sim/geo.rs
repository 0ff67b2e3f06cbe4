//! Stage 11: several data centers in several regions, with geoDNS in front.
//!
//! ```text
//!   users (per region) ──geoDNS (cached per user, TTL)──▶ data center A ─┐  async replication,
//!                                     └─────────────────▶ data center B ◀┘  a finite rate each way
//! ```
//!
//! This layer is the peer of the single-data-center engine: both implement [`Engine`], and
//! [`super::Sim`] runs one or the other. Each data center is a whole [`Stack`] built from the scenario without its `geo` part: load
//! balancer, web servers, caches, shards and all. This layer owns the users: it draws their
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

use super::cost::{Bill, PRICES};
use super::handle::Engine;
use super::hits::IntervalHits;
use super::kernel::histogram::Histogram;
use super::kernel::queue::EventQueue;
use super::kernel::rng::Rng;
use super::report::{
    ChannelReport, DataCenterReport, DnsReport, FailureCounts, GeoReport, KindLatency,
    LatencyReport, LogEntry, MonitoringReport, RegionReport, Report, RequestTotals, SeriesPoint,
};
use super::ring::mix64;
use super::stack::{in_profile, next_arrival, Site, Stack};
use super::{
    ComponentId, ComponentInfo, ComponentKind, ComponentState, PathSample, RequestKind, SimTime,
    Snapshot,
};
use crate::scenario::{GeoRouting, Scenario};
use serde::Serialize;
use std::collections::VecDeque;

/// Sampled paths kept for animation.
const PATH_RING: usize = 512;
/// Event-log entries kept.
const LOG_RING: usize = 1000;
/// Components of a data center's own list that the world shares: `users` and `dns`.
const SHARED: u16 = 2;

#[derive(Clone, Copy, Debug)]
enum GeoEvent {
    /// The next request; its user was drawn when it was scheduled, so that the user's DNS
    /// state could be fetched into the processor's cache meanwhile.
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
    /// The scenario's scheduled deploy starts (data center by data center).
    DeployStart,
}

/// One user's DNS cache entry and activity, packed into eight bytes.
#[derive(Clone, Copy, Debug, Default)]
struct UserState {
    /// When the cached answer expires, milliseconds (0: none yet). An answer still being
    /// looked up has `expiry - ttl` in the future.
    expiry_ms: u32,
    /// Bits 0–1: the data center of the cached answer; bits 2–31: the metrics interval the
    /// user was last counted active in (modulo 2^30).
    packed: u32,
}

// Two bits name a data center.
const _: () = assert!(crate::scenario::MAX_DATA_CENTERS <= 4);

impl UserState {
    const DC_MASK: u32 = 0b11;
    const TICK_SHIFT: u32 = 2;

    fn dc(self) -> usize {
        (self.packed & Self::DC_MASK) as usize
    }

    fn set_dc(&mut self, dc: usize) {
        self.packed = (self.packed & !Self::DC_MASK) | (dc as u32 & Self::DC_MASK);
    }

    /// Records a request in metrics interval `tick` (counted from 1); true when it is the
    /// user's first in that interval.
    fn mark_active(&mut self, tick: u32) -> bool {
        let tick = tick & (u32::MAX >> Self::TICK_SHIFT);
        if self.packed >> Self::TICK_SHIFT == tick {
            return false;
        }
        self.packed = (tick << Self::TICK_SHIFT) | (self.packed & Self::DC_MASK);
        true
    }
}

/// Asks the kernel to back `v`'s spare and used capacity with huge pages where it can (a hint;
/// nothing elsewhere). The table is read at a random user per request: with 4-KiB pages nearly
/// every read also misses the TLB.
fn advise_huge_pages<T>(v: &mut Vec<T>) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = v.as_mut_ptr() as usize;
        let end = start + v.capacity() * std::mem::size_of::<T>();
        let first = start.next_multiple_of(HUGE);
        if end > first + HUGE {
            // SAFETY: the range lies inside the vector's own allocation; madvise only changes
            // how the kernel backs it, never its contents.
            unsafe {
                libc::madvise(first as *mut libc::c_void, end - first, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = v;
}

/// Asks the processor to fetch `slice[i]` into its cache (a hint; nothing elsewhere).
#[inline]
fn prefetch<T>(slice: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(x) = slice.get(i) {
        // SAFETY: a prefetch only hints the cache; the pointer comes from a live reference.
        unsafe {
            std::arch::x86_64::_mm_prefetch(
                (x as *const T).cast::<i8>(),
                std::arch::x86_64::_MM_HINT_T0,
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slice, i);
}

/// A rolling deploy going through the data centers one at a time.
#[derive(Clone)]
struct DeployPlan {
    spec: crate::scenario::Deploy,
    /// The data center deploying now.
    current: usize,
}

/// Writes committed in `from`, on their way to `to`: shipped one at a time, in commit order,
/// one every `gap` (the channel's rate), each leaving no earlier than `gap` after its commit.
///
/// The backlog is kept as runs of writes committed in the same millisecond, not one entry per
/// write: with a channel almost as busy as its rate the writes waiting grow with the run, the
/// milliseconds they were committed in cannot outgrow the backlog's age. Counts stay exact;
/// a write's commit time counts as the start of its millisecond, so it may leave up to 1 ms
/// earlier than with its exact commit time and its lag differs by less than 1 ms.
///
/// ```text
///   backlog: [(t=1200 ms, 3 writes), (1201 ms, 1), (1203 ms, 5)] ──gap──▶ shipped
///              └─ the next leaves at max(1200 ms, last_ship) + gap
/// ```
#[derive(Clone)]
struct Channel {
    from: usize,
    to: usize,
    one_way: SimTime,
    /// Time between two writes leaving (1 / the channel's rate).
    gap: SimTime,
    /// Writes not shipped yet, oldest first, by the millisecond they were committed in.
    backlog: VecDeque<Run>,
    /// Writes in `backlog`.
    waiting: u64,
    /// When the last write left (or the backlog was lost with its data center).
    last_ship: SimTime,
    shipped: u64,
    lost: u64,
    max_lag: SimTime,
}

/// Writes committed in one millisecond, waiting to be shipped.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Run {
    /// The millisecond they were committed in (since the run began; `u32` lasts 49 days,
    /// longer than the validated duration).
    commit_ms: u32,
    /// How many are waiting.
    writes: u32,
}

impl Run {
    /// Commit time of the run's writes: the start of their millisecond.
    fn commit(self) -> SimTime {
        SimTime(u64::from(self.commit_ms) * 1_000_000)
    }
}

impl Channel {
    fn new(from: usize, to: usize, one_way: SimTime, gap: SimTime) -> Channel {
        Channel {
            from,
            to,
            one_way,
            gap: SimTime(gap.as_nanos().max(1)),
            backlog: VecDeque::new(),
            waiting: 0,
            last_ship: SimTime::ZERO,
            shipped: 0,
            lost: 0,
            max_lag: SimTime::ZERO,
        }
    }

    /// A write committed at `commit` joins the backlog (commits come in time order).
    fn push(&mut self, commit: SimTime) {
        let commit_ms = u32::try_from(commit.as_nanos() / 1_000_000).unwrap_or(u32::MAX);
        match self.backlog.back_mut() {
            Some(run) if run.commit_ms == commit_ms && run.writes < u32::MAX => run.writes += 1,
            _ => self.backlog.push_back(Run {
                commit_ms,
                writes: 1,
            }),
        }
        self.waiting += 1;
    }

    /// Ships every write whose turn has come by `now`.
    fn ship_until(&mut self, now: SimTime) {
        while let Some(run) = self.backlog.front_mut() {
            let commit = run.commit();
            let first = commit.max(self.last_ship).plus(self.gap);
            if first > now {
                break;
            }
            let due = now.since(first).as_nanos() / self.gap.as_nanos() + 1;
            let n = due.min(u64::from(run.writes));
            self.last_ship = first.plus(SimTime(self.gap.as_nanos().saturating_mul(n - 1)));
            // The run's last write shipped waited longest.
            self.max_lag = self
                .max_lag
                .max(self.last_ship.plus(self.one_way).since(commit));
            self.shipped += n;
            self.waiting -= n;
            run.writes -= n as u32;
            if run.writes > 0 {
                break;
            }
            self.backlog.pop_front();
        }
    }

    /// The data center fails: what has not left by `now` is lost; returns how many writes.
    fn lose_backlog(&mut self, now: SimTime) -> u64 {
        self.ship_until(now);
        let lost = self.waiting;
        self.lost += lost;
        self.waiting = 0;
        self.backlog.clear();
        self.last_ship = now;
        lost
    }

    /// How far behind the receiving side is now: the age of the oldest write it lacks.
    fn lag_at(&self, now: SimTime) -> SimTime {
        match self.backlog.front() {
            Some(run) => now.since(run.commit()).plus(self.one_way),
            None => SimTime::ZERO,
        }
    }

    /// Bytes the backlog holds.
    fn backlog_bytes(&self) -> usize {
        self.backlog.capacity() * std::mem::size_of::<Run>()
    }
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
    /// GeoDNS's view: whether it names this data center.
    pub in_dns: bool,
    fails_in_row: u32,
    passes_in_row: u32,
    /// Requests handed to it.
    pub handed: u64,
    interval_handed: u64,
    /// Seconds geoDNS named it while it was down (users sent into an outage).
    pub outages: u32,
}

/// Per region figures.
#[derive(Clone)]
struct RegionBooks {
    name: String,
    first_user: u64,
    users: u64,
    generated: u64,
}

/// The world-level counters.
#[derive(Clone)]
pub(super) struct GeoBooks {
    pub generated: u64,
    pub dns_failed: u64,
    pub dns_lookups: u64,
    pub dns_cache_hits: u64,
    /// Lookups answered with each data center.
    pub answers: Vec<u64>,
    /// Lookups whose answer differed from the user's previous one (moves between data centers).
    pub moves: u64,
}

/// One metrics interval of the geo layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GeoPoint {
    /// End of the interval, seconds.
    pub t_s: f64,
    /// Requests handed to each data center in the interval, per second.
    pub requests_per_s: Vec<f64>,
    /// Whether geoDNS named each data center at the end of the interval.
    pub in_dns: Vec<bool>,
    /// Whether each data center was up at the end of the interval.
    pub up: Vec<bool>,
    /// Users whose cached answer names each data center (sampled: see `answer_sample`).
    pub users_by_answer: Vec<u64>,
    /// Largest cross-data-center replication lag at the end of the interval, ms.
    pub replication_lag_ms: f64,
    /// Committed writes not yet shipped to every other data center (at risk if their data
    /// center fails).
    pub writes_at_risk: u64,
}

/// What the geo layer looks like now, for display.
#[derive(Clone, Debug, PartialEq, Serialize)]
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
    /// Committed writes lost with a failed data center so far.
    pub writes_lost: u64,
}

/// The geo layer: users, geoDNS and the data centers.
#[derive(Clone)]
pub(super) struct World {
    pub scenario: Scenario,
    pub now: SimTime,
    rng: Rng,
    events: EventQueue<GeoEvent>,
    pub events_processed: u64,
    pub components: Vec<ComponentInfo>,
    pub dcs: Vec<Dc>,
    regions: Vec<RegionBooks>,
    /// Per region: data centers nearest first.
    nearest: Vec<Vec<usize>>,
    split: Vec<f64>,
    routing: GeoRouting,
    users: u64,
    /// Per user: the cached DNS answer and the metrics interval last active in (one cache line
    /// holds many users; a request touches its user's entry once).
    user_state: Vec<UserState>,
    /// Metrics intervals begun (from 1), for counting distinct active users.
    tick: u32,
    /// Distinct users who sent a request in this metrics interval.
    interval_active: u64,
    dns_alive: bool,
    dns_lookup: SimTime,
    dns_ttl_ms: u32,
    mean_interarrival_ns: f64,
    arrival_epoch: u32,
    profile_max: f64,
    health_interval: SimTime,
    interval_ns: u64,
    channels: Vec<Channel>,
    pub paths: VecDeque<PathSample>,
    pub log: VecDeque<LogEntry>,
    pub log_dropped: u64,
    pub series: VecDeque<SeriesPoint>,
    pub geo_series: VecDeque<GeoPoint>,
    series_cap: usize,
    pub last_point: Option<SeriesPoint>,
    pub books: GeoBooks,
    interval_generated: u64,
    interval_dns_failed: u64,
    interval_latency: Histogram,
    deploying: Option<DeployPlan>,
    /// Every request is checked against the users' cached answers; `users_by_answer` in the
    /// series counts every `answer_sample`-th user.
    answer_sample: u64,
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
            ComponentInfo {
                id: ComponentId(1),
                name: "dns".into(),
                kind: ComponentKind::Dns,
            },
        ];
        let region_index = |name: &str| {
            geo.regions
                .iter()
                .position(|r| r.name == name)
                .expect("validated region")
        };
        let mut dcs = Vec::new();
        for (i, spec) in geo.data_centers.iter().enumerate() {
            let mut inner = scenario.clone();
            inner.geo = None;
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
                    .map(|row| SimTime::from_millis_f64(row[region] / 2.0))
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
                in_dns: true,
                fails_in_row: 0,
                passes_in_row: 0,
                handed: 0,
                interval_handed: 0,
                outages: 0,
            });
        }
        let nearest = (0..geo.regions.len())
            .map(|r| {
                let mut order: Vec<usize> = (0..dcs.len()).collect();
                // Stable: equal distances keep data-center order.
                order.sort_by(|&a, &b| {
                    geo.rtt_ms[r][dcs[a].region].total_cmp(&geo.rtt_ms[r][dcs[b].region])
                });
                order
            })
            .collect();
        let mut channels = Vec::new();
        for from in 0..dcs.len() {
            for to in 0..dcs.len() {
                if from != to {
                    let rtt = geo.rtt_ms[dcs[from].region][dcs[to].region];
                    channels.push(Channel::new(
                        from,
                        to,
                        SimTime::from_millis_f64(rtt / 2.0),
                        SimTime::from_secs_f64(1.0 / geo.replication_writes_per_s),
                    ));
                }
            }
        }
        let series_cap = (end.as_nanos() / interval_ns + 1) as usize;
        let mut world = World {
            scenario: scenario.clone(),
            now: SimTime::ZERO,
            rng: Rng::new(scenario.seed),
            events: EventQueue::new(),
            events_processed: 0,
            components,
            dcs,
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
            nearest,
            split: geo.split_percent.clone(),
            routing: geo.routing,
            users: 0,
            user_state: Vec::new(),
            tick: 1,
            interval_active: 0,
            dns_alive: true,
            dns_lookup: SimTime::from_millis_f64(scenario.dns.lookup_ms),
            dns_ttl_ms: scenario.dns.ttl_s.saturating_mul(1000),
            mean_interarrival_ns: f64::INFINITY,
            arrival_epoch: 0,
            profile_max: scenario.traffic.profile.max_factor().max(1e-9),
            health_interval: SimTime::from_millis_f64(geo.health_interval_ms),
            interval_ns,
            channels,
            paths: VecDeque::with_capacity(PATH_RING),
            log: VecDeque::new(),
            log_dropped: 0,
            series: VecDeque::with_capacity(series_cap.min(4096)),
            geo_series: VecDeque::with_capacity(series_cap.min(4096)),
            series_cap,
            last_point: None,
            books: GeoBooks {
                generated: 0,
                dns_failed: 0,
                dns_lookups: 0,
                dns_cache_hits: 0,
                answers: vec![0; geo.data_centers.len()],
                moves: 0,
            },
            interval_generated: 0,
            interval_dns_failed: 0,
            interval_latency: Histogram::new(),
            answer_sample: 1,
            deploying: None,
        };
        if let Some(at_s) = scenario.deploy.as_ref().and_then(|d| d.at_s) {
            world
                .events
                .push(SimTime::from_secs_f64(at_s), GeoEvent::DeployStart);
        }
        world
            .events
            .push(SimTime(interval_ns), GeoEvent::MetricsTick);
        world
            .events
            .push(world.health_interval, GeoEvent::HealthCheck);
        for fault in &scenario.faults {
            let at = SimTime::from_secs_f64(fault.at_s);
            let back =
                (fault.duration_s > 0.0).then(|| at.plus(SimTime::from_secs_f64(fault.duration_s)));
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
                world.events.push(at, e);
            }
            if let (Some(back), Some(e)) = (back, event(false)) {
                world.events.push(back, e);
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
                ((users as f64 * spec.users_percent / 100.0).round() as u64).min(users - first)
            };
            books.first_user = first;
            books.users = count;
            first += count;
        }
        if self.user_state.len() < users as usize {
            let more = users as usize - self.user_state.len();
            self.user_state.reserve_exact(more);
            advise_huge_pages(&mut self.user_state);
            self.user_state.resize(users as usize, UserState::default());
        }
        self.answer_sample = (users / 100_000).max(1);
        self.mean_interarrival_ns = super::stack::mean_interarrival_ns(
            users,
            self.scenario.traffic.requests_per_user_per_s,
            self.profile_max,
        );
        self.arrival_epoch = self.arrival_epoch.wrapping_add(1);
        self.schedule_arrival();
    }

    fn schedule_arrival(&mut self) {
        if let Some(at) = next_arrival(&mut self.rng, self.now, self.mean_interarrival_ns) {
            let epoch = self.arrival_epoch;
            let user = if self.users == 0 {
                0
            } else {
                self.rng.below(self.users) as u32
            };
            prefetch(&self.user_state, user as usize);
            self.events.push(at, GeoEvent::Arrival { epoch, user });
        }
    }

    /// Processes every event up to and including `t`, at most `max_events` of this layer's
    /// and its data centers' together. Returns the number processed.
    pub fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64 {
        let mut done = 0;
        loop {
            let next = self.events.peek().filter(|&(at, _)| at <= t);
            if let Some((at, &GeoEvent::Arrival { .. })) = next {
                // An arrival only hands a request to a data center, as an event there: the data
                // centers need not have reached its time.
                if done >= max_events {
                    break;
                }
                self.handle_next(at);
                done += 1;
                continue;
            }
            let next = next.map(|(at, _)| at);
            let until = next.unwrap_or(t);
            for dc in &mut self.dcs {
                if done >= max_events {
                    break;
                }
                done += dc.sim.advance_to(until, max_events - done);
            }
            if done >= max_events && self.dcs.iter().any(|d| d.sim.now() < until) {
                // Stopped part-way: the data centers are at different times, so their log
                // lines wait for the next call, but new components are listed now.
                self.sync_components();
                break;
            }
            self.collect();
            let Some(at) = next else {
                self.now = self.now.max(t);
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
        let (_, event) = self.events.pop().expect("peeked");
        self.now = at;
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
            let nothing = dc.sim.paths.is_empty()
                && dc.sim.log.is_empty()
                && dc
                    .sim
                    .site
                    .as_ref()
                    .is_none_or(|site| site.outbox.is_empty());
            if nothing {
                continue;
            }
            for mut p in dc.sim.paths.drain(..) {
                for hop in &mut p.hops[..usize::from(p.hop_count)] {
                    hop.component = to_world(&dc.ids, hop.component);
                }
                if self.paths.len() == PATH_RING {
                    self.paths.pop_front();
                }
                self.paths.push_back(p);
            }
            for mut e in dc.sim.log.drain(..) {
                if e.component != "users" && e.component != "dns" {
                    e.component = format!("{}/{}", dc.name, e.component);
                }
                e.text = format!("{}: {}", dc.name, e.text);
                batch.push(e);
            }
            let outbox = &mut dc.sim.site.as_mut().expect("a data center's site").outbox;
            if !outbox.is_empty() {
                for c in self.channels.iter_mut().filter(|c| c.from == d) {
                    for &commit in outbox.iter() {
                        c.push(commit);
                    }
                }
                outbox.clear();
            }
        }
        if !batch.is_empty() {
            batch.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
            for e in batch {
                self.push_log(e);
            }
        }
    }

    /// Starts a rolling deploy that goes through the data centers one at a time, in order:
    /// the next starts when the one before has brought its last server back.
    pub fn start_deploy(&mut self, spec: &crate::scenario::Deploy) -> bool {
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
        if self.dcs[plan.current].sim.deploy.is_some() {
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
        let per_user = self.user_state.capacity() * std::mem::size_of::<UserState>();
        let pending: usize = self.channels.iter().map(Channel::backlog_bytes).sum();
        let dcs: u64 = self.dcs.iter().map(|d| d.sim.footprint_bytes()).sum();
        dcs + (per_user + pending) as u64
    }

    pub fn pending_events(&self) -> usize {
        self.events.len()
            + self
                .dcs
                .iter()
                .map(|d| d.sim.pending_events())
                .sum::<usize>()
    }

    /// Regions, data centers and geoDNS now.
    pub fn status(&self) -> GeoStatus {
        let geo = self.scenario.geo.as_ref().expect("geo");
        GeoStatus {
            regions: self
                .regions
                .iter()
                .map(|r| (r.name.clone(), r.users))
                .collect(),
            data_centers: self
                .dcs
                .iter()
                .map(|d| (d.name.clone(), d.region, d.up, d.in_dns))
                .collect(),
            answers: (0..self.regions.len())
                .map(|r| self.nearest_named(r))
                .collect(),
            rtt_ms: geo.rtt_ms.clone(),
            last: self.geo_series.back().cloned(),
            writes_lost: self.channels.iter().map(|c| c.lost).max().unwrap_or(0),
        }
    }

    /// What the whole system looks like now.
    pub fn snapshot(&self) -> Snapshot {
        let mut latency = Histogram::new();
        let (mut completed, mut failed, mut in_flight) = (0, self.books.dns_failed, 0);
        let (mut writes_lost, mut stale_reads, mut stale_cache, mut logged_out) = (0, 0, 0, 0);
        let mut queue_depth = 0;
        let mut events = self.events_processed;
        let stacks: Vec<Snapshot> = self.dcs.iter().map(|d| d.sim.snapshot_single()).collect();
        for (dc, s) in self.dcs.iter().zip(&stacks) {
            latency.merge(&dc.sim.books.latency);
            completed += s.requests_completed;
            failed += s.requests_failed;
            in_flight += s.in_flight;
            writes_lost += s.writes_lost;
            stale_reads += s.stale_reads;
            stale_cache += s.stale_cache_reads;
            logged_out += s.logged_out;
            queue_depth += s.queue_depth;
            events += s.events_processed;
        }
        let recent = self.last_point.as_ref();
        let interval_s = self.interval_ns as f64 / 1e9;
        Snapshot {
            time_s: self.now.as_secs_f64(),
            requests_total: self.books.generated,
            requests_completed: completed,
            requests_failed: failed,
            in_flight,
            latency_p50_ms: latency.quantile_ms(0.5),
            latency_p99_ms: latency.quantile_ms(0.99),
            latency_mean_ms: latency.mean_ms(),
            recent_throughput_rps: recent.map_or(0.0, |p| p.throughput_rps),
            recent_latency_p99_ms: recent.map_or(0.0, |p| p.latency_p99_ms),
            recent_failures_per_s: recent.map_or(0.0, |p| p.failed as f64 / interval_s),
            writes_lost: writes_lost + self.channels.iter().map(|c| c.lost).sum::<u64>(),
            stale_reads,
            recent_cache_hit_ratio: recent.map_or(0.0, |p| p.cache_hit_ratio),
            stale_cache_reads: stale_cache,
            recent_cdn_hit_ratio: recent.map_or(0.0, |p| p.cdn_hit_ratio),
            queue_depth,
            recent_active_users: recent.map_or(0, |p| p.active_users),
            recent_page_views_per_s: recent.map_or(0.0, |p| p.page_views_per_s),
            recent_writes_per_s: recent.map_or(0.0, |p| p.writes_per_s),
            logged_out,
            events_processed: events,
            components: self.component_states(stacks),
        }
    }

    fn push_log(&mut self, e: LogEntry) {
        if self.log.len() == LOG_RING {
            self.log.pop_front();
            self.log_dropped += 1;
        }
        self.log.push_back(e);
    }

    fn log_event(&mut self, component: &str, text: String) {
        let e = LogEntry {
            t_s: self.now.as_secs_f64(),
            component: component.to_string(),
            text,
        };
        self.push_log(e);
    }

    fn handle(&mut self, event: GeoEvent) {
        match event {
            GeoEvent::Arrival { epoch, user } => {
                if epoch == self.arrival_epoch {
                    if self.arrival_now_in_profile() {
                        self.on_arrival(user);
                    }
                    self.schedule_arrival();
                }
            }
            GeoEvent::MetricsTick => self.on_tick(),
            GeoEvent::HealthCheck => self.on_health_check(),
            GeoEvent::DcFault { dc, down } => {
                if down {
                    self.kill_dc(usize::from(dc), "scheduled fault");
                } else {
                    self.repair_dc(usize::from(dc), "scheduled repair");
                }
            }
            GeoEvent::DeployStart => {
                if let Some(spec) = self.scenario.deploy.clone() {
                    self.start_deploy(&spec);
                }
            }
            GeoEvent::DnsFault { down } => {
                if down {
                    self.kill(ComponentId(1));
                } else {
                    self.repair(ComponentId(1));
                }
            }
        }
    }

    fn arrival_now_in_profile(&mut self) -> bool {
        let profile = &self.scenario.traffic.profile;
        in_profile(&mut self.rng, profile, self.profile_max, self.now)
    }

    fn region_of(&self, user: u64) -> usize {
        self.regions
            .iter()
            .rposition(|r| r.first_user <= user && r.users > 0)
            .unwrap_or(0)
    }

    /// The data center nearest to `region` that geoDNS names (the nearest of all when it names
    /// none).
    fn nearest_named(&self, region: usize) -> usize {
        let order = &self.nearest[region];
        order
            .iter()
            .copied()
            .find(|&d| self.dcs[d].in_dns)
            .unwrap_or(order[0])
    }

    /// What geoDNS answers to a user of `region` now.
    fn answer(&mut self, region: usize) -> usize {
        let order = &self.nearest[region];
        match self.routing {
            GeoRouting::Nearest => self.nearest_named(region),
            GeoRouting::Split => {
                let total: f64 = (0..self.dcs.len())
                    .filter(|&d| self.dcs[d].in_dns)
                    .map(|d| self.split[d])
                    .sum();
                if total <= 0.0 {
                    // The named ones all have share 0 (those with a share are out): answer
                    // with the nearest named one rather than one geoDNS has stopped naming.
                    return self.nearest_named(region);
                }
                let mut x = self.rng.unit() * total;
                for d in 0..self.dcs.len() {
                    if self.dcs[d].in_dns {
                        x -= self.split[d];
                        if x < 0.0 {
                            return d;
                        }
                    }
                }
                (0..self.dcs.len())
                    .rev()
                    .find(|&d| self.dcs[d].in_dns)
                    .unwrap_or(order[0])
            }
        }
    }

    fn on_arrival(&mut self, user: u32) {
        if self.users == 0 {
            return;
        }
        let region = self.region_of(u64::from(user));
        self.books.generated += 1;
        self.interval_generated += 1;
        self.regions[region].generated += 1;
        let u = user as usize;
        let now_ms = (self.now.as_nanos() / 1_000_000) as u32;
        if self.user_state[u].mark_active(self.tick) {
            self.interval_active += 1;
        }
        let state = self.user_state[u];
        let (dc, lookup, ready_ms) = if self.dns_ttl_ms == 0 || state.expiry_ms <= now_ms {
            self.books.dns_lookups += 1;
            if !self.dns_alive {
                // No answer: the request fails after the lookup's time; the user asks again next
                // time.
                self.books.dns_failed += 1;
                self.interval_dns_failed += 1;
                return;
            }
            let dc = self.answer(region);
            self.books.answers[dc] += 1;
            if state.expiry_ms > 0 && state.dc() != dc {
                self.books.moves += 1;
            }
            let done = self.now.plus(self.dns_lookup);
            let done_ms = done.as_nanos().div_ceil(1_000_000) as u32;
            let s = &mut self.user_state[u];
            s.expiry_ms = done_ms.saturating_add(self.dns_ttl_ms).max(1);
            s.set_dc(dc);
            (dc, true, 0)
        } else {
            self.books.dns_cache_hits += 1;
            // A lookup of the user's may still be under way.
            let ready_ms = state.expiry_ms.saturating_sub(self.dns_ttl_ms);
            (state.dc(), false, ready_ms)
        };
        let d = &mut self.dcs[dc];
        d.handed += 1;
        d.interval_handed += 1;
        d.sim
            .hand_over(self.now, user, region as u8, lookup, ready_ms);
    }

    fn on_health_check(&mut self) {
        let geo = self.scenario.geo.as_ref().expect("geo");
        let (down_after, up_after) = (geo.unhealthy_after, geo.healthy_after);
        for d in 0..self.dcs.len() {
            let healthy = self.dcs[d].up && self.dcs[d].sim.any_web_alive();
            let dc = &mut self.dcs[d];
            if healthy {
                dc.passes_in_row += 1;
                dc.fails_in_row = 0;
            } else {
                dc.fails_in_row += 1;
                dc.passes_in_row = 0;
            }
            if dc.in_dns && dc.fails_in_row >= down_after {
                dc.in_dns = false;
                let name = dc.name.clone();
                self.log_event(
                    &name,
                    format!("geoDNS: {name} failed {down_after} health checks; new lookups are answered with another data center, cached answers still point here until they expire"),
                );
            } else if !dc.in_dns && dc.passes_in_row >= up_after {
                dc.in_dns = true;
                let name = dc.name.clone();
                self.log_event(
                    &name,
                    format!("geoDNS: {name} passed {up_after} health checks; answered again"),
                );
            }
        }
        self.events
            .push(self.now.plus(self.health_interval), GeoEvent::HealthCheck);
    }

    fn on_tick(&mut self) {
        self.tick = self.tick.wrapping_add(1);
        self.deploy_progress();
        let now = self.now;
        let interval_s = self.interval_ns as f64 / 1e9;
        for c in &mut self.channels {
            c.ship_until(now);
        }
        self.interval_latency.clear();
        let mut point: Option<SeriesPoint> = None;
        let mut web_util_weighted = 0.0;
        let mut web_count = 0.0;
        let mut hits = IntervalHits::default();
        for dc in &self.dcs {
            if let Some(site) = &dc.sim.site {
                self.interval_latency.merge(&site.prev_interval_latency);
            }
            let Some(p) = dc.sim.series.back().filter(|p| p.t_s == now.as_secs_f64()) else {
                continue;
            };
            if let Some(site) = &dc.sim.site {
                hits.add(site.prev_interval_hits);
            }
            web_util_weighted += p.utilization * f64::from(p.web_servers);
            web_count += f64::from(p.web_servers);
            match point.as_mut() {
                None => point = Some(p.clone()),
                Some(acc) => {
                    acc.generated += p.generated;
                    acc.completed += p.completed;
                    acc.failed += p.failed;
                    acc.throughput_rps += p.throughput_rps;
                    acc.queue_len_mean += p.queue_len_mean;
                    acc.db_utilization = acc.db_utilization.max(p.db_utilization);
                    acc.replication_lag_ms = acc.replication_lag_ms.max(p.replication_lag_ms);
                    acc.stale_reads += p.stale_reads;
                    acc.writes_committed += p.writes_committed;
                    acc.queue_depth += p.queue_depth;
                    acc.jobs_done += p.jobs_done;
                    acc.web_servers += p.web_servers;
                    acc.page_views_per_s += p.page_views_per_s;
                    acc.writes_per_s += p.writes_per_s;
                    acc.active_users += p.active_users;
                    acc.in_flight += p.in_flight;
                    acc.migration_keys_copied += p.migration_keys_copied;
                }
            }
        }
        let mut point = point.unwrap_or(SeriesPoint {
            t_s: now.as_secs_f64(),
            generated: 0,
            completed: 0,
            failed: 0,
            throughput_rps: 0.0,
            latency_mean_ms: 0.0,
            latency_p50_ms: 0.0,
            latency_p99_ms: 0.0,
            utilization: 0.0,
            queue_len_mean: 0.0,
            db_utilization: 0.0,
            replication_lag_ms: 0.0,
            stale_reads: 0,
            writes_committed: 0,
            cache_hit_ratio: 0.0,
            cdn_hit_ratio: 0.0,
            queue_depth: 0,
            jobs_done: 0,
            web_servers: 0,
            page_views_per_s: 0.0,
            writes_per_s: 0.0,
            active_users: 0,
            in_flight: 0,
            migration_keys_copied: 0,
        });
        // Every data center's hits over every data center's lookups.
        point.cache_hit_ratio = hits.cache.ratio();
        point.cdn_hit_ratio = hits.cdn.ratio();
        // This layer's own requests: generated here, and those DNS failed.
        point.generated = self.interval_generated;
        point.failed += self.interval_dns_failed;
        point.active_users = std::mem::take(&mut self.interval_active);
        point.utilization = if web_count > 0.0 {
            web_util_weighted / web_count
        } else {
            0.0
        };
        point.latency_mean_ms = self.interval_latency.mean_ms();
        point.latency_p50_ms = self.interval_latency.quantile_ms(0.5);
        point.latency_p99_ms = self.interval_latency.quantile_ms(0.99);
        let mut by_answer = vec![0u64; self.dcs.len()];
        let now_ms = (now.as_nanos() / 1_000_000) as u32;
        let mut u = 0;
        while u < self.users as usize {
            let state = self.user_state[u];
            if state.expiry_ms > now_ms {
                by_answer[state.dc()] += self.answer_sample;
            }
            u += self.answer_sample as usize;
        }
        let geo_point = GeoPoint {
            t_s: now.as_secs_f64(),
            requests_per_s: self
                .dcs
                .iter()
                .map(|d| d.interval_handed as f64 / interval_s)
                .collect(),
            in_dns: self.dcs.iter().map(|d| d.in_dns).collect(),
            up: self.dcs.iter().map(|d| d.up).collect(),
            users_by_answer: by_answer,
            replication_lag_ms: self
                .channels
                .iter()
                .map(|c| c.lag_at(now).as_secs_f64() * 1000.0)
                .fold(0.0, f64::max),
            writes_at_risk: self.channels.iter().map(|c| c.waiting).max().unwrap_or(0),
        };
        for d in &mut self.dcs {
            d.interval_handed = 0;
            if d.in_dns && !d.up {
                d.outages += 1;
            }
        }
        self.interval_generated = 0;
        self.interval_dns_failed = 0;
        if self.series.len() == self.series_cap {
            self.series.pop_front();
            self.geo_series.pop_front();
        }
        self.series.push_back(point.clone());
        self.geo_series.push_back(geo_point);
        self.last_point = Some(point);
        self.events
            .push(now.plus(SimTime(self.interval_ns)), GeoEvent::MetricsTick);
    }

    /// A whole data center fails: every server in it stops (requests in progress fail), and
    /// committed writes it had not shipped yet are lost.
    fn kill_dc(&mut self, d: usize, cause: &str) {
        if !self.dcs[d].up {
            return;
        }
        self.collect();
        let now = self.now;
        let mut lost_writes = 0;
        for c in self.channels.iter_mut().filter(|c| c.from == d) {
            lost_writes = lost_writes.max(c.lose_backlog(now));
        }
        let name = self.set_stack(d, false);
        self.log_event(
            &name,
            format!("{name} down ({cause}); {lost_writes} committed writes had not reached the other data centers and are lost; users whose cached DNS answer names it fail until geoDNS notices and their answer expires"),
        );
    }

    /// Takes every component of data center `d`'s stack down or brings it back; returns the
    /// data center's name.
    fn set_stack(&mut self, d: usize, up: bool) -> String {
        let dc = &mut self.dcs[d];
        dc.up = up;
        if let Some(site) = dc.sim.site.as_mut() {
            site.down = !up;
        }
        for c in dc.sim.components().to_vec() {
            if c.id.0 < SHARED {
                continue;
            }
            if up {
                dc.sim.repair_with_cause(c.id, "its data center is back");
            } else {
                dc.sim.kill_with_cause(c.id, "its data center is down");
            }
        }
        let name = dc.name.clone();
        self.collect();
        name
    }

    fn repair_dc(&mut self, d: usize, cause: &str) {
        if self.dcs[d].up {
            return;
        }
        let name = self.set_stack(d, true);
        self.log_event(
            &name,
            format!("{name} back ({cause}); geoDNS answers with it again once it passes its health checks"),
        );
    }

    /// Which data center a world component belongs to, and its id there.
    fn locate(&self, id: ComponentId) -> Option<(usize, Option<ComponentId>)> {
        for (d, dc) in self.dcs.iter().enumerate() {
            if id == dc.id {
                return Some((d, None));
            }
            if let Some(i) = dc
                .ids
                .iter()
                .skip(usize::from(SHARED))
                .position(|&w| w == id)
            {
                return Some((d, Some(ComponentId(i as u16 + SHARED))));
            }
        }
        None
    }

    pub fn is_alive(&self, id: ComponentId) -> bool {
        match id.0 {
            0 => true,
            1 => self.dns_alive,
            _ => match self.locate(id) {
                Some((d, None)) => self.dcs[d].up,
                Some((d, Some(inner))) => self.dcs[d].sim.is_alive(inner),
                None => false,
            },
        }
    }

    pub fn kill(&mut self, id: ComponentId) {
        match id.0 {
            0 => {}
            1 => {
                if self.dns_alive {
                    self.dns_alive = false;
                    self.forget_pending_lookups();
                    self.log_event(
                        "dns",
                        "dns down; clients with a cached answer keep working until it expires"
                            .into(),
                    );
                }
            }
            _ => match self.locate(id) {
                Some((d, None)) => self.kill_dc(d, "killed"),
                Some((d, Some(inner))) => {
                    self.dcs[d].sim.kill(inner);
                    self.collect();
                }
                None => {}
            },
        }
    }

    /// geoDNS died: lookups under way get no answer, so those users look up again next time.
    fn forget_pending_lookups(&mut self) {
        let now_ms = (self.now.as_nanos() / 1_000_000) as u32;
        let ttl = self.dns_ttl_ms;
        for s in &mut self.user_state {
            if s.expiry_ms > 0 && s.expiry_ms.saturating_sub(ttl) >= now_ms {
                s.expiry_ms = 0;
            }
        }
        for dc in &mut self.dcs {
            dc.sim.geo_dns_died();
        }
    }

    pub fn repair(&mut self, id: ComponentId) {
        match id.0 {
            0 => {}
            1 => {
                if !self.dns_alive {
                    self.dns_alive = true;
                    self.log_event("dns", "dns back".into());
                }
            }
            _ => match self.locate(id) {
                Some((d, None)) => self.repair_dc(d, "repaired"),
                Some((d, Some(inner))) => {
                    if !self.dcs[d].up {
                        let name = self.components[usize::from(id.0)].name.clone();
                        let dc = self.dcs[d].name.clone();
                        self.log_event(
                            &name,
                            format!("{name} stays down: {dc} is down, and everything in it comes back with it"),
                        );
                        return;
                    }
                    self.dcs[d].sim.repair(inner);
                    self.collect();
                }
                None => {}
            },
        }
    }

    /// Every component's state, in the world's id order, from the data centers' snapshots.
    fn component_states(&self, stacks: Vec<Snapshot>) -> Vec<ComponentState> {
        let mut states = vec![
            ComponentState {
                id: ComponentId(0),
                alive: true,
                ..ComponentState::default()
            },
            ComponentState {
                id: ComponentId(1),
                alive: self.dns_alive,
                ..ComponentState::default()
            },
        ];
        for (dc, snapshot) in self.dcs.iter().zip(stacks) {
            let busy: u32 = snapshot.components.iter().map(|c| c.busy_workers).sum();
            let workers: u32 = snapshot.components.iter().map(|c| c.workers).sum();
            states.push(ComponentState {
                id: dc.id,
                alive: dc.up,
                in_pool: dc.in_dns,
                busy_workers: busy,
                workers,
                utilization: if workers > 0 {
                    f64::from(busy) / f64::from(workers)
                } else {
                    0.0
                },
                ..ComponentState::default()
            });
            for mut c in snapshot.components.into_iter().skip(usize::from(SHARED)) {
                if let Some(&id) = dc.ids.get(usize::from(c.id.0)) {
                    c.id = id;
                    states.push(c);
                }
            }
        }
        // In the world's id order: web servers a stack added later come after every stack's
        // first components.
        states.sort_by_key(|c| c.id.0);
        states
    }

    /// Every data center's alert history as one, oldest first (at the same time, in
    /// data-center order), each rule named after its data center ("us-east: errors over 1%").
    pub(super) fn alerts(&self) -> Vec<super::AlertEvent> {
        let mut all: Vec<super::AlertEvent> = self
            .dcs
            .iter()
            .filter_map(|dc| dc.sim.monitor.as_ref().map(|m| (&dc.name, m)))
            .flat_map(|(name, m)| {
                m.alerts.iter().map(move |a| super::AlertEvent {
                    rule: format!("{name}: {}", a.rule),
                    ..a.clone()
                })
            })
            .collect();
        // A stable sort: alerts at the same time stay in data-center order.
        all.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
        all
    }

    /// The report of the whole system so far (its digest is filled in by the caller).
    pub fn report(&self) -> Report {
        let elapsed_s = self.now.as_secs_f64();
        let mut latency = Histogram::new();
        let mut by_kind: [Histogram; 4] = std::array::from_fn(|_| Histogram::new());
        let mut totals = RequestTotals {
            generated: self.books.generated,
            completed: 0,
            failed: self.books.dns_failed,
            failed_by_reason: FailureCounts {
                queue_full: 0,
                timeout: 0,
                server_down: 0,
                dns_down: self.books.dns_failed,
                no_healthy_server: 0,
                db_down: 0,
                session_store_down: 0,
            },
            in_flight: 0,
        };
        let mut components = Vec::new();
        let mut monitoring: Option<MonitoringReport> = None;
        let mut data_centers = Vec::new();
        let mut bill = Bill::default();
        let geo = self.scenario.geo.as_ref().expect("geo");
        for (d, dc) in self.dcs.iter().enumerate() {
            let r = dc.sim.report_single();
            latency.merge(&dc.sim.books.latency);
            for (all, mine) in by_kind.iter_mut().zip(&dc.sim.books.latency_by_kind) {
                all.merge(mine);
            }
            bill.extend_prefixed(&format!("{}/", dc.name), r.cost);
            let q = &r.requests;
            totals.completed += q.completed;
            totals.failed += q.failed;
            totals.in_flight += q.in_flight;
            let f = &mut totals.failed_by_reason;
            let g = &q.failed_by_reason;
            f.queue_full += g.queue_full;
            f.timeout += g.timeout;
            f.server_down += g.server_down;
            f.dns_down += g.dns_down;
            f.no_healthy_server += g.no_healthy_server;
            f.db_down += g.db_down;
            f.session_store_down += g.session_store_down;
            components.extend(r.components.into_iter().map(|mut c| {
                c.name = format!("{}/{}", dc.name, c.name);
                c
            }));
            if let Some(m) = r.monitoring {
                let all = monitoring.get_or_insert_with(|| MonitoringReport {
                    alerts: self.alerts(),
                    ..MonitoringReport::default()
                });
                all.firing_at_end.extend(
                    m.firing_at_end
                        .into_iter()
                        .map(|rule| format!("{}: {rule}", dc.name)),
                );
                all.components.extend(m.components.into_iter().map(|mut c| {
                    c.name = format!("{}/{}", dc.name, c.name);
                    c
                }));
            }
            data_centers.push(DataCenterReport {
                name: dc.name.clone(),
                region: geo.regions[dc.region].name.clone(),
                dns_answers: self.books.answers[d],
                requests_received: dc.handed,
                requests: r.requests,
                latency_ms: r.latency_ms,
                up_at_end: dc.up,
                in_dns_at_end: dc.in_dns,
                intervals_named_while_down: dc.outages,
                database: r.database,
                cache: r.cache,
                cdn: r.cdn,
                queue: r.queue,
            });
        }
        let name = |d: usize| self.dcs[d].name.clone();
        let replication: Vec<ChannelReport> = self
            .channels
            .iter()
            .map(|c| ChannelReport {
                from: name(c.from),
                to: name(c.to),
                shipped: c.shipped,
                lost: c.lost,
                waiting: c.waiting,
                max_lag_ms: c.max_lag.as_secs_f64() * 1000.0,
            })
            .collect();
        let regions = self
            .regions
            .iter()
            .enumerate()
            .map(|(i, books)| {
                let mut h = Histogram::new();
                for dc in &self.dcs {
                    if let Some(site) = &dc.sim.site {
                        h.merge(&site.region_latency[i]);
                    }
                }
                RegionReport {
                    name: books.name.clone(),
                    users: books.users,
                    requests: books.generated,
                    latency_ms: LatencyReport::of(&h),
                }
            })
            .collect();
        bill.add_replication(self.channels.iter().map(|c| c.shipped).sum());
        bill.add(
            "geoDNS lookups",
            self.books.dns_lookups as f64 / 1e6,
            "million lookups",
            PRICES.dns_million_lookups,
        );
        Report {
            cost: bill.finish(elapsed_s / 3600.0),
            scenario: self.scenario.name.clone(),
            stage: self.scenario.stage,
            seed: self.scenario.seed,
            sim_time_s: elapsed_s,
            throughput_rps: if elapsed_s > 0.0 {
                totals.completed as f64 / elapsed_s
            } else {
                0.0
            },
            requests: totals,
            latency_ms: LatencyReport::of(&latency),
            latency_by_kind: RequestKind::ALL
                .iter()
                .map(|&kind| KindLatency {
                    kind,
                    latency_ms: LatencyReport::of(&by_kind[kind as usize]),
                })
                .collect(),
            dns: DnsReport {
                lookups: self.books.dns_lookups,
                cache_hits: self.books.dns_cache_hits,
            },
            components,
            database: None,
            cache: None,
            cdn: None,
            queue: None,
            sessions: None,
            monitoring,
            theory: None,
            geo: Some(GeoReport {
                routing: self.routing,
                dns_lookups: self.books.dns_lookups,
                dns_failed: self.books.dns_failed,
                users_moved: self.books.moves,
                regions,
                data_centers,
                writes_lost_cross_dc: replication.iter().map(|c| c.lost).max().unwrap_or(0),
                replication,
                series: self.geo_series.iter().cloned().collect(),
            }),
            data_store: None,
            deploys: self
                .dcs
                .iter()
                .flat_map(|d| d.sim.deploys_done.iter().cloned())
                .collect(),
            series: self.series.iter().cloned().collect(),
            events: self.log.iter().cloned().collect(),
            events_dropped: self.log_dropped,
            digest: String::new(),
        }
    }
}

impl Engine for World {
    fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn now(&self) -> SimTime {
        self.now
    }

    fn components(&self) -> &[ComponentInfo] {
        &self.components
    }

    fn events_processed(&self) -> u64 {
        self.events_processed
            + self
                .dcs
                .iter()
                .map(|d| d.sim.events_processed())
                .sum::<u64>()
    }

    fn set_path_sample_every(&mut self, every: u64) {
        for dc in &mut self.dcs {
            dc.sim.set_path_sample_every(every);
        }
    }

    fn recent_paths(&self) -> &VecDeque<PathSample> {
        &self.paths
    }

    fn log(&self) -> &VecDeque<LogEntry> {
        &self.log
    }

    fn alerts(&self) -> Vec<super::AlertEvent> {
        World::alerts(self)
    }

    fn set_users(&mut self, users: u64) {
        World::set_users(self, users);
    }

    fn set_web_servers(&mut self, count: u32) {
        for dc in &mut self.dcs {
            dc.sim.set_web_servers(count);
        }
        // New servers get their ids, and their log lines show, now (as after a kill).
        self.collect_now();
        self.scenario.server.count = count.clamp(1, crate::scenario::MAX_WEB_SERVERS);
    }

    fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64 {
        World::advance_to(self, t, max_events)
    }

    fn is_alive(&self, id: ComponentId) -> bool {
        World::is_alive(self, id)
    }

    fn kill(&mut self, id: ComponentId) {
        World::kill(self, id);
    }

    fn repair(&mut self, id: ComponentId) {
        World::repair(self, id);
    }

    fn snapshot(&self) -> Snapshot {
        World::snapshot(self)
    }

    fn pending_events(&self) -> usize {
        World::pending_events(self)
    }

    fn footprint_bytes(&self) -> u64 {
        World::footprint_bytes(self)
    }

    fn geo_status(&self) -> Option<GeoStatus> {
        Some(self.status())
    }

    fn report(&self) -> Report {
        World::report(self)
    }

    fn reshard(&mut self, count: u32) {
        for dc in &mut self.dcs {
            dc.sim.reshard(count);
        }
        self.collect_now();
    }

    fn reshard_progress(&self) -> Option<super::ReshardProgress> {
        self.dcs
            .iter()
            .filter_map(|dc| dc.sim.reshard_progress())
            .reduce(|a, b| super::ReshardProgress {
                keys_moved: a.keys_moved + b.keys_moved,
                keys_copied: a.keys_copied + b.keys_copied,
                finished: a.finished && b.finished,
                ..a
            })
    }

    fn start_deploy(&mut self, spec: &crate::scenario::Deploy) -> bool {
        World::start_deploy(self, spec)
    }

    /// The geo layer's deploy goes through the data centers one at a time: it runs until the
    /// last one has finished.
    fn deploy_running(&self) -> bool {
        self.deploying.is_some()
    }

    fn cdn_purge_all(&mut self) {
        for dc in &mut self.dcs {
            dc.sim.cdn_purge_all();
        }
        self.collect_now();
    }

    fn cdn_new_version(&mut self, object: u32) {
        for dc in &mut self.dcs {
            dc.sim.cdn_new_version(object);
        }
        self.collect_now();
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

#[cfg(test)]
mod tests {
    use super::{Channel, SimTime};
    use crate::sim::kernel::rng::Rng;

    const MS: u64 = 1_000_000;

    fn ms(x: f64) -> SimTime {
        SimTime::from_millis_f64(x)
    }

    /// 5,000 writes/s, 35 ms one way.
    fn channel() -> Channel {
        Channel::new(0, 1, ms(35.0), ms(0.2))
    }

    /// The model the runs replace: one entry per write, its commit and ship time.
    struct PerWrite {
        gap: SimTime,
        one_way: SimTime,
        pending: std::collections::VecDeque<(SimTime, SimTime)>,
        last_ship: SimTime,
        shipped: u64,
        lost: u64,
        max_lag: SimTime,
    }

    impl PerWrite {
        fn new(c: &Channel) -> PerWrite {
            PerWrite {
                gap: c.gap,
                one_way: c.one_way,
                pending: Default::default(),
                last_ship: SimTime::ZERO,
                shipped: 0,
                lost: 0,
                max_lag: SimTime::ZERO,
            }
        }
        fn push(&mut self, commit: SimTime) {
            let ship = commit.max(self.last_ship).plus(self.gap);
            self.last_ship = ship;
            self.pending.push_back((commit, ship));
        }
        fn ship_until(&mut self, now: SimTime) {
            while let Some(&(commit, ship)) = self.pending.front() {
                if ship > now {
                    break;
                }
                self.pending.pop_front();
                self.shipped += 1;
                self.max_lag = self.max_lag.max(ship.plus(self.one_way).since(commit));
            }
        }
        fn lose(&mut self, now: SimTime) {
            self.ship_until(now);
            self.lost += self.pending.len() as u64;
            self.pending.clear();
            self.last_ship = now;
        }
        fn lag_at(&self, now: SimTime) -> SimTime {
            self.pending
                .front()
                .map_or(SimTime::ZERO, |&(c, _)| now.since(c).plus(self.one_way))
        }
    }

    #[test]
    fn hand_made_backlog_ships_at_the_rate_and_loses_the_rest() {
        let mut c = channel();
        for t in [10.0, 10.0, 10.0, 11.0, 11.0] {
            c.push(ms(t));
        }
        assert_eq!(c.backlog.len(), 2);
        // Ship times: 10.2, 10.4, 10.6, then max(11, 10.6) + 0.2 = 11.2, 11.4 ms.
        c.ship_until(ms(10.5));
        assert_eq!((c.shipped, c.waiting), (2, 3));
        assert_eq!(c.lag_at(ms(10.5)), ms(35.5));
        assert_eq!(c.max_lag, ms(35.4));
        c.ship_until(ms(11.2));
        assert_eq!((c.shipped, c.waiting), (4, 1));
        assert_eq!(c.lag_at(ms(11.2)), ms(35.2));
        assert_eq!(c.max_lag, ms(35.6));
        assert_eq!(c.lose_backlog(ms(11.3)), 1);
        assert_eq!((c.shipped, c.waiting, c.lost), (4, 0, 1));
        assert_eq!(c.lag_at(ms(11.3)), SimTime::ZERO);
        // After the loss the next write leaves a gap after its commit.
        c.push(ms(12.0));
        c.ship_until(ms(12.1));
        assert_eq!(c.shipped, 4);
        c.ship_until(ms(12.2));
        assert_eq!((c.shipped, c.waiting, c.lost), (5, 0, 1));
        assert_eq!(c.max_lag, ms(35.6));
    }

    /// Random commits, shipping and (with `whole_ms`) failures; `whole_ms` puts every commit on
    /// a millisecond, where the runs must agree exactly with one entry per write. Otherwise a
    /// commit counts from the start of its millisecond, so each write leaves up to 1 ms earlier
    /// and its lag differs by less than 1 ms.
    fn compare_with_per_write(seed: u64, whole_ms: bool) {
        let mut rng = Rng::new(seed);
        let mut c = channel();
        let mut reference = PerWrite::new(&c);
        let mut now = SimTime::ZERO;
        let mut committed = 0u64;
        for _ in 0..5_000 {
            // Bursts around the channel's rate: a backlog builds and drains.
            now = now.plus(SimTime(rng.below(400_000)));
            let commit = if whole_ms {
                SimTime(now.as_nanos() / MS * MS)
            } else {
                now
            };
            for _ in 0..rng.below(3) {
                c.push(commit);
                reference.push(commit);
                committed += 1;
            }
            match rng.below(100) {
                0 if whole_ms => {
                    c.lose_backlog(now);
                    reference.lose(now);
                }
                0..=30 => {
                    c.ship_until(now);
                    reference.ship_until(now);
                }
                _ => {}
            }
            let runs: u64 = c.backlog.iter().map(|r| u64::from(r.writes)).sum();
            assert_eq!(runs, c.waiting, "seed {seed}");
            assert_eq!(
                committed,
                c.shipped + c.waiting + c.lost,
                "seed {seed}: committed = shipped + waiting + lost"
            );
            if whole_ms {
                assert_eq!(c.shipped, reference.shipped, "seed {seed}");
                assert_eq!(c.lost, reference.lost, "seed {seed}");
                assert_eq!(c.lag_at(now), reference.lag_at(now), "seed {seed}");
                assert_eq!(c.max_lag, reference.max_lag, "seed {seed}");
            } else {
                // At most 1 ms / gap = 5 writes ahead.
                let ahead = c.shipped - reference.shipped;
                assert!(ahead <= 5, "seed {seed}: {ahead} writes ahead");
            }
        }
        let end = now.plus(SimTime::from_secs(3_600));
        c.ship_until(end);
        reference.ship_until(end);
        assert_eq!(
            (c.shipped, c.waiting),
            (reference.shipped, 0),
            "seed {seed}"
        );
        let lag_diff = c.max_lag.as_nanos().abs_diff(reference.max_lag.as_nanos());
        assert!(
            lag_diff < MS,
            "seed {seed}: max lag differs by {lag_diff} ns"
        );
        assert!(c.max_lag > ms(36.0), "seed {seed}: a backlog built up");
        if whole_ms {
            assert!(c.lost > 0, "seed {seed}: the case lost writes");
        }
    }

    #[test]
    fn backlog_matches_one_entry_per_write_on_whole_milliseconds() {
        for seed in 1..=20 {
            compare_with_per_write(seed, true);
        }
    }

    #[test]
    fn backlog_lags_stay_within_a_millisecond_of_exact_commit_times() {
        for seed in 1..=20 {
            compare_with_per_write(seed, false);
        }
    }

    #[test]
    fn backlog_memory_grows_with_milliseconds_not_writes() {
        let mut c = channel();
        for i in 0..1_000_000u64 {
            // 1,000 writes in each of 1,000 milliseconds, none shipped yet.
            c.push(SimTime(i / 1_000 * MS + i % 1_000));
        }
        assert_eq!(c.waiting, 1_000_000);
        assert_eq!(c.backlog.len(), 1_000);
        assert!(c.backlog_bytes() <= 2_048 * std::mem::size_of::<super::Run>());
        c.ship_until(SimTime::from_secs(1_000));
        assert_eq!((c.shipped, c.waiting, c.backlog.len()), (1_000_000, 0, 0));
    }
}
