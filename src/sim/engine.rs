//! The engine: owns the event queue, the RNG, the request slab and the components, and moves
//! requests through them one event at a time.
//!
//! A request's slot is freed only by the event or queue entry that currently holds it (its
//! "main reference"); a client timeout marks it abandoned and counts the failure, and the
//! holder frees it later. Events carry slot generations, so a stale timeout is ignored.

use super::histogram::Histogram;
use super::queue::EventQueue;
use super::report::{self, LogEntry, SeriesPoint};
use super::rng::{Rng, Sampler, Weighted};
use super::station::{ReqRef, Station};
use super::{
    ComponentId, ComponentInfo, ComponentKind, ComponentState, Hop, Outcome, PathSample,
    RequestKind, SimTime, Snapshot, MAX_HOPS,
};
use crate::scenario::{Scenario, ValidationErrors};
use std::collections::VecDeque;

/// Sampled paths kept for animation.
const PATH_RING: usize = 512;
/// Event-log entries kept (older ones are dropped and counted).
const LOG_RING: usize = 1000;

const USERS: ComponentId = ComponentId(0);
const DNS: ComponentId = ComponentId(1);
const SERVER: ComponentId = ComponentId(2);
/// The server's index in `stations`.
const SERVER_STATION: u16 = 0;

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next request of the open-loop arrival process (ignored if `epoch` is stale).
    Arrival { epoch: u32 },
    /// A request reaches a station over the network.
    Reach { req: ReqRef, station: u16 },
    /// A worker finishes a request.
    ServiceDone {
        req: ReqRef,
        station: u16,
        epoch: u32,
    },
    /// The client's patience runs out.
    ClientTimeout { req: ReqRef },
    /// A metrics interval closes.
    MetricsTick,
    /// A scheduled fault starts (`down`) or ends.
    Fault { component: ComponentId, down: bool },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReqState {
    Free,
    /// On the network toward a station.
    Transit,
    Queued,
    InService,
    /// Failure already counted; waiting for its holder to free the slot.
    Abandoned,
}

#[derive(Clone, Copy)]
struct Request {
    gen: u32,
    state: ReqState,
    kind: RequestKind,
    sampled: bool,
    hop_count: u8,
    station: u16,
    seq: u64,
    start: SimTime,
    /// When it reached its current station.
    reached: SimTime,
    hops: [Hop; MAX_HOPS],
}

impl Request {
    const EMPTY: Request = Request {
        gen: 0,
        state: ReqState::Free,
        kind: RequestKind::PageView,
        sampled: false,
        hop_count: 0,
        station: 0,
        seq: 0,
        start: SimTime::ZERO,
        reached: SimTime::ZERO,
        hops: [Hop {
            component: ComponentId(0),
            enter: SimTime::ZERO,
            leave: SimTime::ZERO,
        }; MAX_HOPS],
    };

    fn push_hop(&mut self, component: ComponentId, enter: SimTime, leave: SimTime) {
        if self.sampled && usize::from(self.hop_count) < MAX_HOPS {
            self.hops[usize::from(self.hop_count)] = Hop {
                component,
                enter,
                leave,
            };
            self.hop_count += 1;
        }
    }
}

/// Counters of the current metrics interval.
#[derive(Default)]
struct IntervalCounters {
    generated: u64,
    completed: u64,
    failed: u64,
}

/// Run-wide accounting.
pub(super) struct Books {
    pub generated: u64,
    pub completed: u64,
    pub failed: [u64; 4],
    pub latency: Histogram,
    pub latency_by_kind: [Histogram; 4],
    pub dns_lookups: u64,
    pub dns_cache_hits: u64,
}

/// A running simulation.
pub struct Sim {
    pub(super) scenario: Scenario,
    now: SimTime,
    end: SimTime,
    rng: Rng,
    events: EventQueue<Event>,
    events_processed: u64,
    pub(super) components: Vec<ComponentInfo>,
    /// `alive` of components without a station (users, DNS).
    dns_alive: bool,
    pub(super) stations: Vec<Station>,
    service: [Sampler; 4],
    mix: Weighted<4>,
    requests: Vec<Request>,
    free_slots: Vec<u32>,
    next_seq: u64,
    users: u64,
    /// Per user: when the cached DNS answer expires, in ms of simulated time.
    dns_expiry_ms: Vec<u32>,
    mean_interarrival_ns: f64,
    arrival_epoch: u32,
    one_way_ns: u64,
    dns_lookup_ns: u64,
    dns_ttl_ms: u32,
    timeout_ns: u64,
    interval_ns: u64,
    sample_every: u64,
    paths: VecDeque<PathSample>,
    pub(super) books: Books,
    interval: IntervalCounters,
    interval_latency: Histogram,
    pub(super) series: VecDeque<SeriesPoint>,
    series_cap: usize,
    last_point: Option<SeriesPoint>,
    pub(super) log: VecDeque<LogEntry>,
    pub(super) log_dropped: u64,
}

impl Sim {
    /// Builds a simulation from a scenario, after validating it.
    pub fn new(scenario: &Scenario) -> Result<Sim, ValidationErrors> {
        scenario.validate()?;
        let components = vec![
            ComponentInfo {
                id: USERS,
                name: "users".into(),
                kind: ComponentKind::Users,
            },
            ComponentInfo {
                id: DNS,
                name: "dns".into(),
                kind: ComponentKind::Dns,
            },
            ComponentInfo {
                id: SERVER,
                name: "web-0".into(),
                kind: ComponentKind::Server,
            },
        ];
        let server = &scenario.server;
        let service = server.service.by_kind().map(Sampler::new);
        let end = SimTime::from_secs(u64::from(scenario.duration_s));
        let interval_ns = u64::from(scenario.metrics_interval_ms) * 1_000_000;
        let series_cap = (end.as_nanos() / interval_ns + 1) as usize;
        let mut sim = Sim {
            scenario: scenario.clone(),
            now: SimTime::ZERO,
            end,
            rng: Rng::new(scenario.seed),
            events: EventQueue::new(),
            events_processed: 0,
            components,
            dns_alive: true,
            stations: vec![Station::new(server.workers, server.queue_capacity)],
            service,
            mix: Weighted::new(scenario.traffic.mix.weights()),
            requests: Vec::new(),
            free_slots: Vec::new(),
            next_seq: 0,
            users: 0,
            dns_expiry_ms: Vec::new(),
            mean_interarrival_ns: f64::INFINITY,
            arrival_epoch: 0,
            one_way_ns: SimTime::from_millis_f64(scenario.network.client_rtt_ms / 2.0).as_nanos(),
            dns_lookup_ns: SimTime::from_millis_f64(scenario.dns.lookup_ms).as_nanos(),
            dns_ttl_ms: scenario.dns.ttl_s.saturating_mul(1000),
            timeout_ns: SimTime::from_millis_f64(scenario.traffic.client_timeout_ms).as_nanos(),
            interval_ns,
            sample_every: 1,
            paths: VecDeque::with_capacity(PATH_RING),
            books: Books {
                generated: 0,
                completed: 0,
                failed: [0; 4],
                latency: Histogram::new(),
                latency_by_kind: std::array::from_fn(|_| Histogram::new()),
                dns_lookups: 0,
                dns_cache_hits: 0,
            },
            interval: IntervalCounters::default(),
            interval_latency: Histogram::new(),
            series: VecDeque::with_capacity(series_cap.min(4096)),
            series_cap,
            last_point: None,
            log: VecDeque::new(),
            log_dropped: 0,
        };
        sim.set_users(scenario.traffic.users);
        sim.events.push(SimTime(interval_ns), Event::MetricsTick);
        for fault in &scenario.faults {
            let Some(component) = sim.component_named(&fault.target) else {
                continue; // validation guarantees the name exists
            };
            let at = SimTime::from_secs_f64(fault.at_s);
            sim.events.push(
                at,
                Event::Fault {
                    component,
                    down: true,
                },
            );
            if fault.duration_s > 0.0 {
                sim.events.push(
                    at.plus(SimTime::from_secs_f64(fault.duration_s)),
                    Event::Fault {
                        component,
                        down: false,
                    },
                );
            }
        }
        Ok(sim)
    }

    /// The scenario this run was built from (with live changes such as users applied).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Simulated time at which a batch run ends (the scenario's duration).
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// Every component, in id order.
    pub fn components(&self) -> &[ComponentInfo] {
        &self.components
    }

    /// The component with this name.
    pub fn component_named(&self, name: &str) -> Option<ComponentId> {
        self.components
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id)
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Records one request in `every` for animation (1 = all). Does not change the run.
    pub fn set_path_sample_every(&mut self, every: u64) {
        self.sample_every = every.max(1);
    }

    /// Sampled paths of recent requests, oldest first (at most 512).
    pub fn recent_paths(&self) -> impl Iterator<Item = &PathSample> {
        self.paths.iter()
    }

    /// The event log, oldest first.
    pub fn log(&self) -> impl Iterator<Item = &LogEntry> {
        self.log.iter()
    }

    /// Changes the user population from now on (capped at the validated maximum).
    pub fn set_users(&mut self, users: u64) {
        let users = users.min(crate::scenario::MAX_USERS);
        self.users = users;
        self.scenario.traffic.users = users;
        if self.dns_expiry_ms.len() < users as usize {
            self.dns_expiry_ms.resize(users as usize, 0);
        }
        let rate_per_ns = users as f64 * self.scenario.traffic.requests_per_user_per_s / 1e9;
        let rate_per_ns = rate_per_ns.min(crate::scenario::MAX_RATE_PER_S / 1e9);
        self.mean_interarrival_ns = if rate_per_ns > 0.0 {
            1.0 / rate_per_ns
        } else {
            f64::INFINITY
        };
        // Poisson arrivals are memoryless: drop the pending arrival and draw afresh.
        self.arrival_epoch = self.arrival_epoch.wrapping_add(1);
        self.schedule_arrival();
    }

    fn schedule_arrival(&mut self) {
        if self.mean_interarrival_ns.is_finite() {
            let gap = self.rng.exponential(self.mean_interarrival_ns);
            let at = self.now.plus(SimTime(libm::round(gap) as u64));
            self.events.push(
                at,
                Event::Arrival {
                    epoch: self.arrival_epoch,
                },
            );
        }
    }

    /// Processes every event up to and including time `t`, but at most `max_events`.
    /// Returns the number processed; when the budget runs out, [`Sim::now`] stays below `t`.
    pub fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64 {
        let mut done = 0;
        while done < max_events {
            match self.events.peek_time() {
                Some(at) if at <= t => {
                    let (at, event) = self.events.pop().expect("peeked");
                    self.now = at;
                    self.handle(event);
                    done += 1;
                }
                _ => {
                    self.now = self.now.max(t);
                    break;
                }
            }
        }
        self.events_processed += done;
        done
    }

    /// Runs to the scenario's end and returns the report.
    pub fn run(&mut self) -> report::Report {
        self.advance_to(self.end, u64::MAX);
        self.report()
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrival { epoch } => {
                if epoch == self.arrival_epoch {
                    self.on_arrival();
                    self.schedule_arrival();
                }
            }
            Event::Reach { req, station } => self.on_reach(req, station),
            Event::ServiceDone {
                req,
                station,
                epoch,
            } => self.on_service_done(req, station, epoch),
            Event::ClientTimeout { req } => self.on_timeout(req),
            Event::MetricsTick => self.on_tick(),
            Event::Fault { component, down } => {
                if down {
                    self.kill_with_cause(component, "scheduled fault");
                } else {
                    self.repair_with_cause(component, "scheduled repair");
                }
            }
        }
    }

    fn allocate(&mut self, kind: RequestKind) -> ReqRef {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.requests.push(Request::EMPTY);
                (self.requests.len() - 1) as u32
            }
        };
        let r = &mut self.requests[slot as usize];
        r.state = ReqState::Transit;
        r.kind = kind;
        r.sampled = seq % self.sample_every == 0;
        r.hop_count = 0;
        r.seq = seq;
        r.start = self.now;
        ReqRef { slot, gen: r.gen }
    }

    fn get(&self, req: ReqRef) -> Option<&Request> {
        self.requests
            .get(req.slot as usize)
            .filter(|r| r.gen == req.gen && r.state != ReqState::Free)
    }

    fn release(&mut self, req: ReqRef) {
        let r = &mut self.requests[req.slot as usize];
        r.state = ReqState::Free;
        r.gen = r.gen.wrapping_add(1);
        self.free_slots.push(req.slot);
    }

    fn on_arrival(&mut self) {
        if self.users == 0 {
            return;
        }
        let user = self.rng.below(self.users) as usize;
        let kind = RequestKind::ALL[self.mix.pick(&mut self.rng)];
        let req = self.allocate(kind);
        self.books.generated += 1;
        self.interval.generated += 1;
        self.events.push(
            self.now.plus(SimTime(self.timeout_ns)),
            Event::ClientTimeout { req },
        );

        let now_ms = (self.now.as_nanos() / 1_000_000) as u32;
        let mut depart = self.now;
        let expiry_ms = self.dns_expiry_ms[user];
        if self.dns_ttl_ms == 0 || expiry_ms <= now_ms {
            self.books.dns_lookups += 1;
            let done = self.now.plus(SimTime(self.dns_lookup_ns));
            self.requests[req.slot as usize].push_hop(DNS, self.now, done);
            if !self.dns_alive {
                self.fail(req, Outcome::DnsDown, done);
                return;
            }
            // Whole milliseconds, rounded up, so the answer is never taken as ready too early.
            let done_ms = done.as_nanos().div_ceil(1_000_000) as u32;
            self.dns_expiry_ms[user] = done_ms.saturating_add(self.dns_ttl_ms);
            depart = done;
        } else {
            self.books.dns_cache_hits += 1;
            // A lookup of this user's may still be under way: the request waits for its answer.
            let ready = SimTime::from_micros(u64::from(expiry_ms - self.dns_ttl_ms) * 1000);
            depart = depart.max(ready);
        }
        self.events.push(
            depart.plus(SimTime(self.one_way_ns)),
            Event::Reach {
                req,
                station: SERVER_STATION,
            },
        );
    }

    fn on_reach(&mut self, req: ReqRef, station: u16) {
        let Some(r) = self.get(req) else { return };
        if r.state == ReqState::Abandoned {
            self.release(req);
            return;
        }
        let now = self.now;
        let s = &mut self.stations[usize::from(station)];
        if !s.alive {
            let component = station_component(station);
            self.requests[req.slot as usize].push_hop(component, now, now);
            self.fail(req, Outcome::ServerDown, now.plus(SimTime(self.one_way_ns)));
            return;
        }
        {
            let r = &mut self.requests[req.slot as usize];
            r.station = station;
            r.reached = now;
        }
        if s.has_free_worker() {
            self.start_service(req, station);
        } else if s.has_room() {
            s.account(now);
            s.line.push_back(req);
            s.waiting += 1;
            s.max_waiting = s.max_waiting.max(s.waiting);
            self.requests[req.slot as usize].state = ReqState::Queued;
        } else {
            s.rejected += 1;
            let component = station_component(station);
            self.requests[req.slot as usize].push_hop(component, now, now);
            self.fail(req, Outcome::QueueFull, now.plus(SimTime(self.one_way_ns)));
        }
    }

    fn start_service(&mut self, req: ReqRef, station: u16) {
        let now = self.now;
        let kind = self.requests[req.slot as usize].kind;
        let duration = self.service[kind as usize].sample_ns(&mut self.rng);
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.busy += 1;
        s.started += 1;
        let r = &mut self.requests[req.slot as usize];
        s.wait_sum_ns += u128::from(now.since(r.reached).as_nanos());
        r.state = ReqState::InService;
        let epoch = s.epoch;
        self.events.push(
            now.plus(SimTime(duration)),
            Event::ServiceDone {
                req,
                station,
                epoch,
            },
        );
    }

    fn on_service_done(&mut self, req: ReqRef, station: u16, epoch: u32) {
        let now = self.now;
        let s = &mut self.stations[usize::from(station)];
        let same_life = s.alive && s.epoch == epoch;
        if same_life {
            s.account(now);
            s.busy -= 1;
            s.served += 1;
        }
        if let Some(r) = self.get(req) {
            if r.state == ReqState::Abandoned {
                self.release(req);
            } else {
                let reached = r.reached;
                let s = &mut self.stations[usize::from(station)];
                s.sojourn_sum_ns += u128::from(now.since(reached).as_nanos());
                self.requests[req.slot as usize].push_hop(station_component(station), reached, now);
                self.complete(req, now.plus(SimTime(self.one_way_ns)));
            }
        }
        if same_life {
            self.start_next_waiting(station);
        }
    }

    /// Hands the freed worker to the first waiting request whose client is still there.
    fn start_next_waiting(&mut self, station: u16) {
        while let Some(next) = self.stations[usize::from(station)].line.pop_front() {
            let state = self.requests[next.slot as usize].state;
            if state == ReqState::Abandoned {
                self.release(next);
                continue;
            }
            let s = &mut self.stations[usize::from(station)];
            s.account(self.now);
            s.waiting -= 1;
            self.start_service(next, station);
            return;
        }
    }

    fn on_timeout(&mut self, req: ReqRef) {
        let Some(&Request { state, station, .. }) = self.get(req) else {
            return;
        };
        match state {
            ReqState::Transit | ReqState::InService => {}
            ReqState::Queued => {
                let s = &mut self.stations[usize::from(station)];
                s.account(self.now);
                s.waiting -= 1;
            }
            ReqState::Abandoned | ReqState::Free => return,
        }
        self.count_failure(req, Outcome::Timeout, self.now);
        self.requests[req.slot as usize].state = ReqState::Abandoned;
    }

    /// Answer reaches the user at `at`.
    fn complete(&mut self, req: ReqRef, at: SimTime) {
        let r = self.requests[req.slot as usize];
        let latency = at.since(r.start).as_nanos();
        if latency > self.timeout_ns {
            // The client stopped waiting before the answer could reach it.
            self.fail(req, Outcome::Timeout, at);
            return;
        }
        self.books.completed += 1;
        self.interval.completed += 1;
        self.books.latency.record(latency);
        self.books.latency_by_kind[r.kind as usize].record(latency);
        self.interval_latency.record(latency);
        self.record_path(&r, Outcome::Ok, at);
        self.release(req);
    }

    /// Counts a failure that the user learns of at `at`, and frees the slot.
    fn fail(&mut self, req: ReqRef, outcome: Outcome, at: SimTime) {
        self.count_failure(req, outcome, at);
        self.release(req);
    }

    fn count_failure(&mut self, req: ReqRef, outcome: Outcome, at: SimTime) {
        let index = Outcome::FAILURES
            .iter()
            .position(|&o| o == outcome)
            .expect("a failure outcome");
        self.books.failed[index] += 1;
        self.interval.failed += 1;
        let r = self.requests[req.slot as usize];
        self.record_path(&r, outcome, at.max(self.now));
    }

    fn record_path(&mut self, r: &Request, outcome: Outcome, end: SimTime) {
        if !r.sampled {
            return;
        }
        if self.paths.len() == PATH_RING {
            self.paths.pop_front();
        }
        self.paths.push_back(PathSample {
            seq: r.seq,
            kind: r.kind,
            outcome,
            start: r.start,
            end,
            hops: r.hops,
            hop_count: r.hop_count,
        });
    }

    fn on_tick(&mut self) {
        let now = self.now;
        let interval_s = self.interval_ns as f64 / 1e9;
        for s in &mut self.stations {
            s.account(now);
        }
        let server = &self.stations[usize::from(SERVER_STATION)];
        let point = SeriesPoint {
            t_s: now.as_secs_f64(),
            generated: self.interval.generated,
            completed: self.interval.completed,
            failed: self.interval.failed,
            throughput_rps: self.interval.completed as f64 / interval_s,
            latency_mean_ms: self.interval_latency.mean_ms(),
            latency_p50_ms: self.interval_latency.quantile_ms(0.5),
            latency_p99_ms: self.interval_latency.quantile_ms(0.99),
            utilization: server.interval.utilization(server.workers),
            queue_len_mean: server.interval.mean_waiting(),
            in_flight: self.in_flight_counted(),
        };
        if self.series.len() == self.series_cap {
            self.series.pop_front();
        }
        self.series.push_back(point.clone());
        self.last_point = Some(point);
        for s in &mut self.stations {
            s.reset_interval();
        }
        self.interval = IntervalCounters::default();
        self.interval_latency.clear();
        self.events
            .push(now.plus(SimTime(self.interval_ns)), Event::MetricsTick);
    }

    /// Requests generated and neither completed nor failed: counted from the slab itself, so
    /// conservation checks compare two independent tallies.
    pub(super) fn in_flight_counted(&self) -> u64 {
        self.requests
            .iter()
            .filter(|r| {
                matches!(
                    r.state,
                    ReqState::Transit | ReqState::Queued | ReqState::InService
                )
            })
            .count() as u64
    }

    /// Whether a component is up.
    pub fn is_alive(&self, id: ComponentId) -> bool {
        match id {
            DNS => self.dns_alive,
            USERS => true,
            _ => station_of(id).is_some_and(|s| self.stations[usize::from(s)].alive),
        }
    }

    /// Takes a component down now.
    pub fn kill(&mut self, id: ComponentId) {
        self.kill_with_cause(id, "killed by the user");
    }

    /// Brings a component back now.
    pub fn repair(&mut self, id: ComponentId) {
        self.repair_with_cause(id, "repaired by the user");
    }

    fn kill_with_cause(&mut self, id: ComponentId, cause: &str) {
        if !self.is_alive(id) || id == USERS {
            return;
        }
        let name = self.components[usize::from(id.0)].name.clone();
        if id == DNS {
            self.dns_alive = false;
            self.log_event(
                &name,
                format!("{name} down ({cause}); clients with a cached answer keep working until it expires"),
            );
            return;
        }
        let Some(station) = station_of(id) else { return };
        let lost = self.fail_everything_at(station);
        self.log_event(
            &name,
            format!("{name} down ({cause}); {lost} requests in progress failed"),
        );
    }

    /// Kills a station: its waiting and in-service requests fail as `ServerDown`.
    fn fail_everything_at(&mut self, station: u16) -> u64 {
        let now = self.now;
        let answer_at = now.plus(SimTime(self.one_way_ns));
        let component = station_component(station);
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.alive = false;
        s.epoch = s.epoch.wrapping_add(1);
        s.busy = 0;
        s.waiting = 0;
        let line: Vec<ReqRef> = s.line.drain(..).collect();
        let mut lost = 0;
        for req in line {
            if self.requests[req.slot as usize].state == ReqState::Queued {
                self.requests[req.slot as usize].push_hop(component, now, now);
                self.fail(req, Outcome::ServerDown, answer_at);
                lost += 1;
            } else {
                self.release(req);
            }
        }
        // In-service requests keep their (now stale) completion events, which free them.
        for slot in 0..self.requests.len() {
            let r = self.requests[slot];
            if r.state == ReqState::InService && r.station == station {
                let req = ReqRef {
                    slot: slot as u32,
                    gen: r.gen,
                };
                self.requests[slot].push_hop(component, r.reached, now);
                self.count_failure(req, Outcome::ServerDown, answer_at);
                self.requests[slot].state = ReqState::Abandoned;
                lost += 1;
            }
        }
        lost
    }

    fn repair_with_cause(&mut self, id: ComponentId, cause: &str) {
        if self.is_alive(id) {
            return;
        }
        let name = self.components[usize::from(id.0)].name.clone();
        if id == DNS {
            self.dns_alive = true;
        } else if let Some(station) = station_of(id) {
            let now = self.now;
            let s = &mut self.stations[usize::from(station)];
            s.account(now);
            s.alive = true;
        }
        self.log_event(&name, format!("{name} back up ({cause})"));
    }

    fn log_event(&mut self, component: &str, text: String) {
        if self.log.len() == LOG_RING {
            self.log.pop_front();
            self.log_dropped += 1;
        }
        self.log.push_back(LogEntry {
            t_s: self.now.as_secs_f64(),
            component: component.to_string(),
            text,
        });
    }

    /// The state now, for display.
    pub fn snapshot(&self) -> Snapshot {
        let failed: u64 = self.books.failed.iter().sum();
        let recent = self.last_point.as_ref();
        let components = self
            .components
            .iter()
            .map(|c| match station_of(c.id) {
                Some(si) => {
                    let s = &self.stations[usize::from(si)];
                    ComponentState {
                        id: c.id,
                        alive: s.alive,
                        busy_workers: s.busy,
                        workers: s.workers,
                        queue_len: s.waiting,
                        queue_capacity: s.capacity,
                        utilization: recent.map_or(0.0, |p| p.utilization),
                    }
                }
                None => ComponentState {
                    id: c.id,
                    alive: self.is_alive(c.id),
                    busy_workers: 0,
                    workers: 0,
                    queue_len: 0,
                    queue_capacity: 0,
                    utilization: 0.0,
                },
            })
            .collect();
        Snapshot {
            time_s: self.now.as_secs_f64(),
            requests_total: self.books.generated,
            requests_completed: self.books.completed,
            requests_failed: failed,
            in_flight: self.books.generated - self.books.completed - failed,
            latency_p50_ms: self.books.latency.quantile_ms(0.5),
            latency_p99_ms: self.books.latency.quantile_ms(0.99),
            latency_mean_ms: self.books.latency.mean_ms(),
            recent_throughput_rps: recent.map_or(0.0, |p| p.throughput_rps),
            recent_latency_p99_ms: recent.map_or(0.0, |p| p.latency_p99_ms),
            recent_failures_per_s: recent.map_or(0.0, |p| {
                p.failed as f64 / (self.interval_ns as f64 / 1e9)
            }),
            events_processed: self.events_processed,
            components,
        }
    }

    /// Number of events waiting in the queue (for tests of boundedness).
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }
}

fn station_of(id: ComponentId) -> Option<u16> {
    (id == SERVER).then_some(SERVER_STATION)
}

fn station_component(station: u16) -> ComponentId {
    debug_assert_eq!(station, SERVER_STATION);
    SERVER
}
