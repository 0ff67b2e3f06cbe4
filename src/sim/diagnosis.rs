//! Diagnosis: why the system suffers, from the simulation's own state. Once per metrics interval
//! the handle hands the [`Diagnoser`] a [`Snapshot`] and the offered load; it opens an
//! [`Incident`] when something goes wrong (a component dies, a station saturates, the offered
//! load surges, a replica falls behind), follows its consequences while it lasts (load moved to
//! other stations, the cache's hit ratio, the balancer's detection window, the failover
//! window, p99 and failures) and closes it when the system has settled.
//!
//! ```text
//!   snapshot every interval ─▶ Diagnoser::observe ─▶ open incidents (cause + effects so far)
//!   kills / repairs (exact times) ─▶ note_fault          └─▶ closed incidents (the post-mortem)
//! ```
//!
//! Each incident carries its cause as data ([`Cause`]), its numbers, and a causal chain of
//! sentences built from those numbers ("p99 rose from 12 ms to 900 ms at 63 s: db-0 is 99 %
//! busy (was 45 %) because cache-0 went down at 60 s and the cache hit ratio fell from 80 % to
//! 41 %"). It reads only public state, never text, and never changes the run.

use serde::Serialize;

use super::{ComponentInfo, ComponentKind, DbRole, SimTime, Snapshot};
use crate::format::{figure, grouped, percent, times};
use crate::scenario::Scenario;

/// A station this busy over an interval …
pub const SATURATED_UTILIZATION: f64 = 0.95;
/// … with its line at least this full (or requests failing) is saturated;
pub const SATURATED_QUEUE_SHARE: f64 = 0.5;
/// it has recovered below this busy share …
const RECOVERED_UTILIZATION: f64 = 0.85;
/// … and this full a line.
const RECOVERED_QUEUE_SHARE: f64 = 0.2;
/// Offered load at least this many times its recent lowest is a surge …
const SURGE_FACTOR: f64 = 1.5;
/// … which ends below this many times the load before it.
const SURGE_OVER_FACTOR: f64 = 1.2;
/// Intervals the recent lowest offered load looks back over.
const SURGE_WINDOW: usize = 30;
/// A live replica this far behind its master, ms, is lagging …
const LAG_MS: f64 = 1000.0;
/// … until it is back under this, ms.
const LAG_RECOVERED_MS: f64 = 500.0;
/// Synchronous workers: at least this share of the web workers held waiting for the data
/// tier at an interval's end, with a web server saturated, …
const HELD_SHARE: f64 = 0.5;
/// … until fewer than this share are.
const HELD_RECOVERED_SHARE: f64 = 0.25;
/// A station whose busy share rose by at least this much took over load.
const LOAD_SHIFT: f64 = 0.1;
/// Consecutive calm intervals before an incident is closed.
const CALM_INTERVALS: u32 = 2;
/// Most incidents kept (later ones are counted, not kept).
pub const MAX_INCIDENTS: usize = 100;

/// What started an incident.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Cause {
    /// A component went down (killed live or by a scheduled fault).
    ComponentDown {
        /// Its name.
        component: String,
        /// What it is.
        component_kind: ComponentKind,
        /// When it went down, s.
        at_s: f64,
        /// When it came back, s (absent while down).
        repaired_at_s: Option<f64>,
    },
    /// A station had more work than its workers could do, with nothing else to blame.
    Saturation {
        /// The station.
        component: String,
        /// Its highest busy share during the incident, 0–1.
        utilization: f64,
        /// Its longest line seen at an interval's end.
        queue_len: u32,
        /// The most that may wait there.
        queue_capacity: u32,
    },
    /// The offered load rose quickly.
    Surge {
        /// Offered load before, requests/s.
        from_per_s: f64,
        /// Highest offered load during the incident, requests/s.
        to_per_s: f64,
    },
    /// A grey failure: a component stays up and passes its health checks, but serves slower.
    Slow {
        /// Its name.
        component: String,
        /// Its service times were multiplied by this, at the most.
        factor: f64,
        /// When it became slow, s.
        at_s: f64,
    },
    /// A flaky component: up and passing its health checks, it fails a share of its requests.
    Errors {
        /// Its name.
        component: String,
        /// The largest share of its requests it failed, 0–1.
        ratio: f64,
        /// When it started failing them, s.
        at_s: f64,
    },
    /// A replica fell behind its master.
    ReplicationLag {
        /// The replica.
        component: String,
        /// Its largest lag seen, ms.
        lag_ms: f64,
    },
    /// Synchronous web workers: most of the web tier's workers are held waiting for the data
    /// tier, so the web tier saturates although its own work is small.
    WorkersHeld {
        /// The busiest web server.
        component: String,
        /// Most web workers held waiting at an interval's end.
        held: u32,
        /// Web workers in all.
        workers: u32,
        /// The data-tier node they wait for (the slowest, else the busiest).
        waiting_on: String,
    },
    /// The web tier's circuit breaker is open: it fails database calls at once.
    BreakerOpen,
    /// The network between data centers is cut: their replication stops.
    Partition {
        /// Most writes waiting to replicate over the cut links at an interval's end.
        writes_waiting: u64,
    },
}

impl Cause {
    /// The component to blame, if the cause is one.
    pub fn component(&self) -> Option<&str> {
        match self {
            Cause::ComponentDown { component, .. }
            | Cause::Saturation { component, .. }
            | Cause::Slow { component, .. }
            | Cause::Errors { component, .. }
            | Cause::ReplicationLag { component, .. }
            | Cause::WorkersHeld { component, .. } => Some(component),
            Cause::Surge { .. } | Cause::BreakerOpen | Cause::Partition { .. } => None,
        }
    }

    /// A short title: "cache-0 down", "surge".
    pub fn title(&self) -> String {
        match self {
            Cause::ComponentDown { component, .. } => format!("{component} down"),
            Cause::Saturation { component, .. } => format!("{component} saturated"),
            Cause::Surge { .. } => "load surge".to_string(),
            Cause::Slow { component, .. } => format!("{component} slow"),
            Cause::Errors { component, .. } => format!("{component} failing requests"),
            Cause::ReplicationLag { component, .. } => format!("{component} lagging"),
            Cause::WorkersHeld { .. } => "web workers held by the data tier".to_string(),
            Cause::BreakerOpen => "circuit breaker open".to_string(),
            Cause::Partition { .. } => "network partition".to_string(),
        }
    }
}

/// One link of a causal chain: a component (or `requests`, `load`) and what happened to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    /// What the sentence is about.
    pub component: String,
    /// The sentence, with numbers.
    pub text: String,
}

/// Something that went wrong, its cause, what followed and its numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Incident {
    /// When it started, s.
    pub start_s: f64,
    /// When the system had settled again, s (absent while it lasts).
    pub end_s: Option<f64>,
    /// What started it.
    pub cause: Cause,
    /// Cause first, then its consequences, then what users saw.
    pub chain: Vec<Step>,
    /// The chain as one sentence: symptom, then the component most affected, then the cause.
    pub summary: String,
    /// p99 of the interval before it started, ms (0: nothing completed then).
    pub p99_before_ms: f64,
    /// Highest interval p99 during it, ms.
    pub p99_peak_ms: f64,
    /// When that p99 was seen, s.
    pub p99_peak_at_s: f64,
    /// Requests that failed while it lasted.
    pub failed: u64,
    /// Highest failure rate of an interval during it, per s.
    pub failures_per_s_peak: f64,
    /// A web server behind a balancer: s from its death until the balancer stopped sending it
    /// requests (to the metrics interval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection_s: Option<f64>,
    /// A database master: s from its death until a replica was the new master (to the metrics
    /// interval).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover_s: Option<f64>,
}

/// What the diagnosis says now: the incidents under way, or what limits the healthy system.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Verdict {
    /// Time of the last observation, s.
    pub time_s: f64,
    /// Incidents under way, oldest first.
    pub open: Vec<Incident>,
    /// The busiest station and its busy share, 0–1 (what limits the system first).
    pub busiest: Option<(String, f64)>,
}

impl Verdict {
    /// One sentence: the open incidents' summaries, or what limits the system.
    pub fn text(&self) -> String {
        if !self.open.is_empty() {
            return self
                .open
                .iter()
                .map(|i| i.summary.clone())
                .collect::<Vec<_>>()
                .join(" ");
        }
        match &self.busiest {
            Some((name, u)) => format!(
                "Healthy. The busiest part is {name} at {} busy: it is what limits this system first.",
                percent(*u)
            ),
            None => "Healthy.".to_string(),
        }
    }
}

/// One component as observed at an interval's end.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Seen {
    alive: bool,
    utilization: f64,
    queue_len: u32,
    queue_capacity: u32,
    workers: u32,
    in_pool: bool,
    role: Option<DbRole>,
    lag_ms: f64,
    /// Service times × this (1: normal speed).
    slowdown: f64,
    /// Share of its requests it fails on purpose (0: none).
    error_ratio: f64,
}

/// The system as observed at an interval's end.
#[derive(Clone, Debug, Default, PartialEq)]
struct Observation {
    t_s: f64,
    p99_ms: f64,
    failures_per_s: f64,
    failed: u64,
    stale_reads: u64,
    cache_hit: f64,
    queue_depth: u32,
    offered_per_s: f64,
    /// Web workers held waiting for the data tier (synchronous workers).
    held_web_workers: u32,
    /// The circuit breaker is not closed.
    breaker_open: bool,
    /// Writes waiting to replicate over links cut by a partition.
    writes_partitioned: u64,
    components: Vec<Seen>,
}

/// A kill, a repair or a degradation (slow, flaky) at an exact time.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FaultMark {
    t_s: f64,
    component: usize,
    down: bool,
    /// Made slow or flaky (not down).
    degraded: bool,
}

/// An incident under way and what it needs to follow its consequences.
#[derive(Clone, Debug, PartialEq)]
struct Open {
    incident: Incident,
    /// The component it concerns (none for a surge).
    component: Option<usize>,
    before: Observation,
    /// Per component, the highest busy share seen since it started.
    peak_utilization: Vec<f64>,
    lowest_cache_hit: f64,
    deepest_queue: u32,
    calm: u32,
    /// Largest lag of a live replica seen since it started, ms.
    peak_lag_ms: f64,
    /// Was in the balancer's pool when it died.
    was_in_pool: bool,
    was_master: bool,
}

/// Follows the run and keeps its incidents. Cloned with the simulation (time travel).
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnoser {
    interval: SimTime,
    next_at: SimTime,
    /// A load balancer sits in front of the web servers (so a server has a detection window).
    balanced: bool,
    names: Vec<String>,
    kinds: Vec<ComponentKind>,
    faults: Vec<FaultMark>,
    /// Times the user population was changed live, s.
    load_changes: Vec<f64>,
    prev: Option<Observation>,
    /// Offered load of the recent intervals, for surges.
    offered: std::collections::VecDeque<f64>,
    open: Vec<Open>,
    closed: Vec<Incident>,
    dropped: u64,
}

impl Diagnoser {
    /// A diagnoser for a run of `scenario` with these components; it knows the scenario's
    /// scheduled faults in advance.
    pub fn new(scenario: &Scenario, components: &[ComponentInfo]) -> Diagnoser {
        let interval = SimTime::from_micros(1000 * u64::from(scenario.metrics_interval_ms.max(1)));
        let mut d = Diagnoser {
            interval,
            next_at: interval,
            balanced: scenario.load_balancer.is_some(),
            names: components.iter().map(|c| c.name.clone()).collect(),
            kinds: components.iter().map(|c| c.kind).collect(),
            faults: Vec::new(),
            load_changes: Vec::new(),
            prev: None,
            offered: Default::default(),
            open: Vec::new(),
            closed: Vec::new(),
            dropped: 0,
        };
        for f in &scenario.faults {
            if let Some(i) = d.names.iter().position(|n| *n == f.target) {
                let degraded = f.kind != crate::scenario::FaultKind::Down;
                d.faults.push(FaultMark {
                    t_s: f.at_s,
                    component: i,
                    down: !degraded,
                    degraded,
                });
                if f.duration_s > 0.0 {
                    d.faults.push(FaultMark {
                        t_s: f.at_s + f.duration_s,
                        component: i,
                        down: false,
                        degraded: false,
                    });
                }
            }
        }
        d
    }

    /// Learns the components that joined the run since (a new shard during resharding), so
    /// every index of a snapshot has a name.
    pub fn learn_components(&mut self, components: &[ComponentInfo]) {
        for c in components.iter().skip(self.names.len()) {
            self.names.push(c.name.clone());
            self.kinds.push(c.kind);
        }
    }

    /// How many components it has names for.
    pub fn known_components(&self) -> usize {
        self.names.len()
    }

    /// When the next observation is due.
    pub fn next_at(&self) -> SimTime {
        self.next_at
    }

    /// Records a live kill (`down`) or repair of component `id` at `t`.
    pub fn note_fault(&mut self, t: SimTime, id: usize, down: bool) {
        self.faults.push(FaultMark {
            t_s: t.as_secs_f64(),
            component: id,
            down,
            degraded: false,
        });
    }

    /// Records that component `id` was made slow or flaky live at `t`.
    pub fn note_degraded(&mut self, t: SimTime, id: usize) {
        self.faults.push(FaultMark {
            t_s: t.as_secs_f64(),
            component: id,
            down: false,
            degraded: true,
        });
    }

    /// Records a live change of the user population at `t`.
    pub fn note_users(&mut self, t: SimTime) {
        self.load_changes.push(t.as_secs_f64());
    }

    /// Every incident, closed ones first then those under way, each in start order.
    pub fn incidents(&self) -> Vec<Incident> {
        let mut all = self.closed.clone();
        all.extend(self.open.iter().map(|o| o.incident.clone()));
        all
    }

    /// Incidents not kept because [`MAX_INCIDENTS`] were.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// What the diagnosis says now.
    pub fn verdict(&self) -> Verdict {
        let busiest = self.prev.as_ref().and_then(|o| {
            o.components
                .iter()
                .enumerate()
                .filter(|(_, c)| c.alive && c.workers > 0)
                .max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization))
                .map(|(i, c)| (self.names[i].clone(), c.utilization))
        });
        Verdict {
            time_s: self.prev.as_ref().map_or(0.0, |o| o.t_s),
            open: self.open.iter().map(|o| o.incident.clone()).collect(),
            busiest,
        }
    }

    /// Takes in the state at the end of a metrics interval (`offered_per_s`: the offered load
    /// now) and schedules the next observation.
    pub fn observe(&mut self, snap: &Snapshot, offered_per_s: f64) {
        let now = Observation {
            t_s: snap.time_s,
            p99_ms: if snap.recent_throughput_per_s > 0.0 {
                snap.recent_latency_p99_ms
            } else {
                0.0
            },
            failures_per_s: snap.recent_failures_per_s,
            failed: snap.requests_failed,
            stale_reads: snap.stale_reads,
            cache_hit: snap.recent_cache_hit_ratio,
            queue_depth: snap.queue_depth,
            offered_per_s,
            held_web_workers: snap.held_web_workers,
            breaker_open: snap
                .breaker
                .is_some_and(|b| b != super::BreakerState::Closed),
            writes_partitioned: snap.writes_partitioned,
            components: snap
                .components
                .iter()
                .map(|c| Seen {
                    alive: c.alive,
                    utilization: c.utilization,
                    queue_len: c.queue_len,
                    queue_capacity: c.queue_capacity,
                    workers: c.workers,
                    in_pool: c.in_pool,
                    role: c.role,
                    lag_ms: c.lag_ms,
                    slowdown: c.slowdown.unwrap_or(1.0),
                    error_ratio: c.error_ratio.unwrap_or(0.0),
                })
                .collect(),
        };
        let before = self.prev.clone().unwrap_or_else(|| now.clone());
        self.follow(&now);
        self.open_new(&before, &now);
        self.close_settled(&now);
        if self.offered.len() == SURGE_WINDOW {
            self.offered.pop_front();
        }
        self.offered.push_back(offered_per_s);
        self.prev = Some(now);
        self.next_at = self.next_at.plus(self.interval);
    }

    /// The exact time component `i` last went down (or up) at or before `t_s`.
    fn fault_time(&self, i: usize, down: bool, after_s: f64, t_s: f64) -> f64 {
        self.faults
            .iter()
            .filter(|f| {
                f.component == i
                    && f.down == down
                    && !f.degraded
                    && f.t_s >= after_s
                    && f.t_s <= t_s
            })
            .map(|f| f.t_s)
            .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.max(t))))
            .unwrap_or(t_s)
    }

    fn is_open(&self, pred: impl Fn(&Open) -> bool) -> bool {
        self.open.iter().any(pred)
    }

    fn start(
        &mut self,
        cause: Cause,
        component: Option<usize>,
        start_s: f64,
        before: &Observation,
    ) {
        if self.closed.len() + self.open.len() >= MAX_INCIDENTS {
            self.dropped += 1;
            return;
        }
        let was = component.map(|i| before.components[i]).unwrap_or_default();
        // Only a death has a detection window or a failover (a slow or flaky node stays in
        // the balancer's pool, a slow master stays master).
        let died = matches!(cause, Cause::ComponentDown { .. });
        self.open.push(Open {
            incident: Incident {
                start_s,
                end_s: None,
                cause,
                chain: Vec::new(),
                summary: String::new(),
                p99_before_ms: before.p99_ms,
                p99_peak_ms: 0.0,
                p99_peak_at_s: start_s,
                failed: 0,
                failures_per_s_peak: 0.0,
                detection_s: None,
                failover_s: None,
            },
            component,
            before: before.clone(),
            peak_utilization: before.components.iter().map(|c| c.utilization).collect(),
            lowest_cache_hit: before.cache_hit,
            deepest_queue: before.queue_depth,
            calm: 0,
            peak_lag_ms: 0.0,
            was_in_pool: died && self.balanced && was.in_pool,
            was_master: died && was.role == Some(DbRole::Master),
        });
    }

    /// Opens the incidents whose causes appear in `now`.
    fn open_new(&mut self, before: &Observation, now: &Observation) {
        let after_s = before.t_s.min(now.t_s - 1e-9);
        // Deaths: a component alive before and dead now, unless what holds it died too.
        for i in 0..now.components.len().min(before.components.len()) {
            let (was, is) = (before.components[i], now.components[i]);
            if !was.alive || is.alive || self.parent_dead(i, now) {
                continue;
            }
            let at_s = self.fault_time(i, true, after_s, now.t_s);
            let cause = Cause::ComponentDown {
                component: self.names[i].clone(),
                component_kind: self.kinds[i],
                at_s,
                repaired_at_s: None,
            };
            self.start(cause, Some(i), at_s, before);
        }
        // A kill and a repair between two observations (a cache flushed): down and back.
        for i in 0..now.components.len().min(before.components.len()) {
            let (was, is) = (before.components[i], now.components[i]);
            let killed = self
                .faults
                .iter()
                .find(|f| f.component == i && f.down && f.t_s >= after_s && f.t_s <= now.t_s);
            if let (true, true, Some(kill)) = (was.alive, is.alive, killed) {
                let at_s = kill.t_s;
                let cause = Cause::ComponentDown {
                    component: self.names[i].clone(),
                    component_kind: self.kinds[i],
                    at_s,
                    repaired_at_s: Some(self.fault_time(i, false, at_s, now.t_s)),
                };
                self.start(cause, Some(i), at_s, before);
            }
        }
        // Grey failures and flaky nodes: up, but slower or failing on purpose.
        for i in 0..now.components.len().min(before.components.len()) {
            let (was, is) = (before.components[i], now.components[i]);
            let at_s = self
                .faults
                .iter()
                .filter(|f| f.component == i && f.degraded && f.t_s >= after_s && f.t_s <= now.t_s)
                .map(|f| f.t_s)
                .fold(now.t_s, f64::min);
            let name = self.names[i].clone();
            let concerns = |o: &Open| o.component == Some(i);
            if is.alive
                && is.slowdown > was.slowdown.max(1.0)
                && !self.is_open(|o| concerns(o) && matches!(o.incident.cause, Cause::Slow { .. }))
            {
                let cause = Cause::Slow {
                    component: name.clone(),
                    factor: is.slowdown,
                    at_s,
                };
                self.start(cause, Some(i), at_s, before);
            }
            if is.alive
                && is.error_ratio > was.error_ratio
                && !self
                    .is_open(|o| concerns(o) && matches!(o.incident.cause, Cause::Errors { .. }))
            {
                let cause = Cause::Errors {
                    component: name,
                    ratio: is.error_ratio,
                    at_s,
                };
                self.start(cause, Some(i), at_s, before);
            }
        }
        // A surge: offered load well above its recent lowest.
        let lowest = self.offered.iter().copied().fold(f64::INFINITY, f64::min);
        if lowest.is_finite()
            && lowest > 0.0
            && now.offered_per_s >= SURGE_FACTOR * lowest
            && !self.is_open(|o| matches!(o.incident.cause, Cause::Surge { .. }))
        {
            let cause = Cause::Surge {
                from_per_s: lowest,
                to_per_s: now.offered_per_s,
            };
            let at_s = self
                .load_changes
                .iter()
                .copied()
                .filter(|&t| t >= after_s && t <= now.t_s)
                .fold(now.t_s, f64::min);
            self.start(cause, None, at_s, before);
        }
        self.open_mechanisms(before, now);
        // Replicas falling behind (one incident for them all, named after the worst), unless a
        // surge or a slow node already explains it.
        let worst_lag = now
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| c.alive && c.role == Some(DbRole::Replica) && c.lag_ms >= LAG_MS)
            .max_by(|a, b| a.1.lag_ms.total_cmp(&b.1.lag_ms));
        if let Some((i, c)) = worst_lag {
            if !self.is_open(|o| {
                matches!(
                    o.incident.cause,
                    Cause::ReplicationLag { .. } | Cause::Surge { .. } | Cause::Slow { .. }
                )
            }) {
                let cause = Cause::ReplicationLag {
                    component: self.names[i].clone(),
                    lag_ms: c.lag_ms,
                };
                self.start(cause, Some(i), now.t_s, before);
            }
        }
        // Saturation with nothing else to blame.
        if self.open.is_empty() {
            let worst = now
                .components
                .iter()
                .enumerate()
                .filter(|(_, c)| saturated(c, now.failures_per_s))
                .max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization));
            if let Some((i, c)) = worst {
                let cause = Cause::Saturation {
                    component: self.names[i].clone(),
                    utilization: c.utilization,
                    queue_len: c.queue_len,
                    queue_capacity: c.queue_capacity,
                };
                self.start(cause, Some(i), now.t_s, before);
            }
        }
        let names = self.names.clone();
        for o in &mut self.open {
            if o.incident.chain.is_empty() {
                o.take_in(now);
                o.describe(&names, now);
            }
        }
    }

    /// Opens incidents for the failure mechanisms seen in `now`'s state: web workers held by
    /// the data tier, an open circuit breaker, a partition.
    fn open_mechanisms(&mut self, before: &Observation, now: &Observation) {
        let is_web = |kinds: &[ComponentKind], i: usize| kinds[i] == ComponentKind::Server;
        let web_workers: u32 = now
            .components
            .iter()
            .enumerate()
            .filter(|(i, c)| is_web(&self.kinds, *i) && c.alive)
            .map(|(_, c)| c.workers)
            .sum();
        let busiest_web = now
            .components
            .iter()
            .enumerate()
            .filter(|(i, c)| is_web(&self.kinds, *i) && saturated(c, now.failures_per_s))
            .max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization));
        if let Some((web, _)) = busiest_web.filter(|_| {
            f64::from(now.held_web_workers) >= HELD_SHARE * f64::from(web_workers.max(1))
                && !self.is_open(|o| matches!(o.incident.cause, Cause::WorkersHeld { .. }))
        }) {
            let data = |k: ComponentKind| {
                matches!(
                    k,
                    ComponentKind::Database
                        | ComponentKind::Cache
                        | ComponentKind::SessionStore
                        | ComponentKind::NoSql
                )
            };
            let waiting_on = now
                .components
                .iter()
                .enumerate()
                .filter(|(i, c)| data(self.kinds[*i]) && c.alive)
                .max_by(|a, b| {
                    (a.1.slowdown, a.1.utilization)
                        .partial_cmp(&(b.1.slowdown, b.1.utilization))
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .map_or_else(
                    || "the data tier".to_string(),
                    |(i, _)| self.names[i].clone(),
                );
            let cause = Cause::WorkersHeld {
                component: self.names[web].clone(),
                held: now.held_web_workers,
                workers: web_workers,
                waiting_on,
            };
            self.start(cause, Some(web), now.t_s, before);
        }
        if now.breaker_open
            && !before.breaker_open
            && !self.is_open(|o| matches!(o.incident.cause, Cause::BreakerOpen))
        {
            self.start(Cause::BreakerOpen, None, now.t_s, before);
        }
        if now.writes_partitioned > 0
            && !self.is_open(|o| matches!(o.incident.cause, Cause::Partition { .. }))
        {
            let cause = Cause::Partition {
                writes_waiting: now.writes_partitioned,
            };
            self.start(cause, None, now.t_s, before);
        }
    }

    /// Whether the data center holding component `i` (`dc/…`) is down now.
    fn parent_dead(&self, i: usize, now: &Observation) -> bool {
        let Some((dc, _)) = self.names[i].split_once('/') else {
            return false;
        };
        self.names
            .iter()
            .position(|n| n == dc)
            .is_some_and(|p| !now.components[p].alive)
    }

    /// Updates every open incident with `now`.
    fn follow(&mut self, now: &Observation) {
        let repairs: Vec<Option<f64>> = self
            .open
            .iter()
            .map(|o| match (&o.incident.cause, o.component) {
                (Cause::ComponentDown { .. }, Some(i)) if now.components[i].alive => {
                    Some(self.fault_time(i, false, o.incident.start_s, now.t_s))
                }
                _ => None,
            })
            .collect();
        let names = self.names.clone();
        for (o, repaired) in self.open.iter_mut().zip(repairs) {
            if let (
                Cause::ComponentDown {
                    repaired_at_s: r @ None,
                    ..
                },
                Some(t),
            ) = (&mut o.incident.cause, repaired)
            {
                *r = Some(t);
            }
            o.take_in(now);
            o.describe(&names, now);
        }
    }

    /// Closes the incidents whose cause is gone and whose symptoms have settled.
    fn close_settled(&mut self, now: &Observation) {
        let mut i = 0;
        while i < self.open.len() {
            let o = &mut self.open[i];
            let cause_gone = match (&o.incident.cause, o.component) {
                (Cause::ComponentDown { repaired_at_s, .. }, _) => repaired_at_s.is_some(),
                (Cause::Saturation { .. }, Some(c)) => {
                    let s = now.components[c];
                    s.utilization < RECOVERED_UTILIZATION
                        && f64::from(s.queue_len)
                            <= RECOVERED_QUEUE_SHARE * f64::from(s.queue_capacity)
                }
                (Cause::Surge { from_per_s, .. }, _) => {
                    now.offered_per_s < SURGE_OVER_FACTOR * from_per_s
                }
                (Cause::ReplicationLag { .. }, Some(c)) => {
                    !now.components[c].alive || now.components[c].lag_ms < LAG_RECOVERED_MS
                }
                (Cause::Slow { .. }, Some(c)) => {
                    // A slow master's replicas must also have caught up.
                    let master = now.components[c].role == Some(DbRole::Master);
                    now.components[c].slowdown <= 1.0
                        && !(master
                            && now.components.iter().any(|r| {
                                r.alive
                                    && r.role == Some(DbRole::Replica)
                                    && r.lag_ms >= LAG_RECOVERED_MS
                            }))
                }
                (Cause::Errors { .. }, Some(c)) => now.components[c].error_ratio <= 0.0,
                (Cause::WorkersHeld { workers, .. }, _) => {
                    f64::from(now.held_web_workers) < HELD_RECOVERED_SHARE * f64::from(*workers)
                }
                (Cause::BreakerOpen, _) => !now.breaker_open,
                (Cause::Partition { .. }, _) => now.writes_partitioned == 0,
                _ => true,
            };
            let settled = now.failures_per_s <= 1.5 * o.before.failures_per_s + 0.5
                && (now.p99_ms == 0.0 || now.p99_ms <= 1.5 * o.before.p99_ms + 10.0);
            o.calm = if cause_gone && settled { o.calm + 1 } else { 0 };
            if o.calm >= CALM_INTERVALS {
                let mut done = self.open.remove(i);
                done.incident.end_s = Some(now.t_s);
                self.closed.push(done.incident);
            } else {
                i += 1;
            }
        }
    }
}

/// Whether a station is saturated: nearly always busy with its line filling, or busy while
/// requests fail.
fn saturated(c: &Seen, failures_per_s: f64) -> bool {
    c.alive
        && c.workers > 0
        && c.utilization >= SATURATED_UTILIZATION
        && (f64::from(c.queue_len) >= SATURATED_QUEUE_SHARE * f64::from(c.queue_capacity.max(1))
            || failures_per_s > 0.0)
}

fn ms(x: f64) -> String {
    format!("{} ms", figure(x))
}

fn secs(x: f64) -> String {
    format!("{} s", figure(x))
}

impl Open {
    /// Folds `now`'s figures into the incident's numbers.
    fn take_in(&mut self, now: &Observation) {
        let inc = &mut self.incident;
        if now.p99_ms > inc.p99_peak_ms {
            inc.p99_peak_ms = now.p99_ms;
            inc.p99_peak_at_s = now.t_s;
        }
        inc.failures_per_s_peak = inc.failures_per_s_peak.max(now.failures_per_s);
        inc.failed = now.failed.saturating_sub(self.before.failed);
        for (peak, c) in self.peak_utilization.iter_mut().zip(&now.components) {
            if c.alive {
                *peak = peak.max(c.utilization);
            }
        }
        self.lowest_cache_hit = self.lowest_cache_hit.min(now.cache_hit);
        for c in &now.components {
            if c.alive && c.role == Some(DbRole::Replica) {
                self.peak_lag_ms = self.peak_lag_ms.max(c.lag_ms);
            }
        }
        self.deepest_queue = self.deepest_queue.max(now.queue_depth);
        match (&mut inc.cause, self.component) {
            (
                Cause::Saturation {
                    utilization,
                    queue_len,
                    ..
                },
                Some(c),
            ) => {
                *utilization = utilization.max(now.components[c].utilization);
                *queue_len = (*queue_len).max(now.components[c].queue_len);
            }
            (Cause::Surge { to_per_s, .. }, _) => *to_per_s = to_per_s.max(now.offered_per_s),
            (Cause::ReplicationLag { lag_ms, .. }, Some(c)) => {
                *lag_ms = lag_ms.max(now.components[c].lag_ms)
            }
            (Cause::Slow { factor, .. }, Some(c)) => {
                *factor = factor.max(now.components[c].slowdown)
            }
            (Cause::Errors { ratio, .. }, Some(c)) => {
                *ratio = ratio.max(now.components[c].error_ratio)
            }
            (Cause::WorkersHeld { held, .. }, _) => *held = (*held).max(now.held_web_workers),
            (Cause::Partition { writes_waiting }, _) => {
                *writes_waiting = (*writes_waiting).max(now.writes_partitioned)
            }
            _ => {}
        }
        if let Some(c) = self.component {
            let seen = now.components[c];
            if self.was_in_pool && !seen.in_pool && inc.detection_s.is_none() {
                inc.detection_s = Some(now.t_s - inc.start_s);
            }
            if self.was_master && inc.failover_s.is_none() {
                let promoted = now
                    .components
                    .iter()
                    .enumerate()
                    .any(|(i, s)| i != c && s.alive && s.role == Some(DbRole::Master));
                if promoted {
                    inc.failover_s = Some(now.t_s - inc.start_s);
                }
            }
        }
    }

    /// Stations (other than the one the incident is about) whose busy share rose the most,
    /// largest rise first: (index, before, peak).
    fn load_moved(&self) -> Vec<(usize, f64, f64)> {
        let mut moved: Vec<(usize, f64, f64)> = self
            .before
            .components
            .iter()
            .zip(&self.peak_utilization)
            .enumerate()
            .filter(|(i, (b, peak))| {
                Some(*i) != self.component && b.workers > 0 && **peak - b.utilization >= LOAD_SHIFT
            })
            .map(|(i, (b, peak))| (i, b.utilization, *peak))
            .collect();
        moved.sort_by(|a, b| (b.2 - b.1).total_cmp(&(a.2 - a.1)).then(a.0.cmp(&b.0)));
        moved.truncate(3);
        moved
    }

    /// Rebuilds the chain and the summary from the numbers so far.
    fn describe(&mut self, names: &[String], now: &Observation) {
        let mut chain = Vec::new();
        let step = |component: &str, text: String| Step {
            component: component.to_string(),
            text,
        };
        let inc = &self.incident;
        let cause_text = match &inc.cause {
            Cause::ComponentDown {
                component,
                component_kind,
                at_s,
                repaired_at_s,
            } => {
                let back =
                    repaired_at_s.map_or(String::new(), |r| format!(", back at {}", secs(r)));
                let label = component_kind.label().to_lowercase();
                let what = if label == *component {
                    String::new()
                } else {
                    format!(" ({label})")
                };
                chain.push(step(
                    component,
                    format!("{component}{what} went down at {}{back}", secs(*at_s)),
                ));
                format!("{component} went down at {}", secs(*at_s))
            }
            Cause::Saturation {
                component,
                utilization,
                queue_len,
                queue_capacity,
            } => {
                chain.push(step(
                    component,
                    format!(
                        "{component} is {} busy with up to {} of {} waiting: it cannot keep up with what it is sent",
                        percent(*utilization),
                        grouped(u64::from(*queue_len)),
                        grouped(u64::from(*queue_capacity))
                    ),
                ));
                format!(
                    "{component} is the bottleneck ({} busy, {} of {} waiting)",
                    percent(*utilization),
                    grouped(u64::from(*queue_len)),
                    grouped(u64::from(*queue_capacity))
                )
            }
            Cause::Surge {
                from_per_s,
                to_per_s,
            } => {
                chain.push(step(
                    "load",
                    format!(
                        "offered load rose from {} to {} requests/s (×{:.1}) at {}",
                        figure(*from_per_s),
                        figure(*to_per_s),
                        to_per_s / from_per_s.max(1e-9),
                        secs(inc.start_s)
                    ),
                ));
                format!(
                    "offered load rose ×{:.1} at {}",
                    to_per_s / from_per_s.max(1e-9),
                    secs(inc.start_s)
                )
            }
            Cause::Slow {
                component,
                factor,
                at_s,
            } => {
                chain.push(step(
                    component,
                    format!(
                        "{component} became ×{} slower at {} (a grey failure: it is up and passes its health checks, so it keeps its share of requests)",
                        times(*factor),
                        secs(*at_s)
                    ),
                ));
                let master = self
                    .component
                    .is_some_and(|c| now.components[c].role == Some(DbRole::Master));
                if master && self.peak_lag_ms > 0.0 {
                    chain.push(step(
                        component,
                        format!(
                            "as the master it also sends its log to the replicas slower: they fell up to {} behind their master",
                            ms(self.peak_lag_ms)
                        ),
                    ));
                }
                format!(
                    "{component} became ×{} slower at {}",
                    times(*factor),
                    secs(*at_s)
                )
            }
            Cause::Errors {
                component,
                ratio,
                at_s,
            } => {
                chain.push(step(
                    component,
                    format!(
                        "{component} fails {} of the requests it gets from {} (it is up and passes its health checks, so it keeps its share)",
                        percent(*ratio),
                        secs(*at_s)
                    ),
                ));
                format!(
                    "{component} fails {} of its requests since {}",
                    percent(*ratio),
                    secs(*at_s)
                )
            }
            Cause::ReplicationLag { component, lag_ms } => {
                let stale = now.stale_reads.saturating_sub(self.before.stale_reads);
                chain.push(step(
                    component,
                    format!(
                        "{component} fell {} behind its master (from {}): writes reach it faster than it applies them",
                        ms(*lag_ms),
                        secs(inc.start_s)
                    ),
                ));
                chain.push(step(
                    "requests",
                    format!(
                        "{} reads returned data older than the latest write",
                        grouped(stale)
                    ),
                ));
                format!("{component} fell {} behind its master", ms(*lag_ms))
            }
            Cause::WorkersHeld {
                component,
                held,
                workers,
                waiting_on,
            } => {
                chain.push(step(waiting_on, format!("{waiting_on} answers slowly")));
                chain.push(step(
                    component,
                    format!(
                        "synchronous web workers wait for it: up to {} of {} are held, so new requests queue at the web tier although its own work is small",
                        grouped(u64::from(*held)),
                        grouped(u64::from(*workers))
                    ),
                ));
                format!(
                    "{} of {} web workers are held waiting for {waiting_on} (synchronous calls)",
                    grouped(u64::from(*held)),
                    grouped(u64::from(*workers))
                )
            }
            Cause::BreakerOpen => {
                chain.push(step(
                    "breaker",
                    format!(
                        "the web tier's circuit breaker opened at {}: database calls failed or were slow, so it fails them at once and probes now and then",
                        secs(inc.start_s)
                    ),
                ));
                "the circuit breaker is open (database calls fail at once)".to_string()
            }
            Cause::Partition { writes_waiting } => {
                chain.push(step(
                    "network",
                    format!(
                        "the network between data centers is cut since {}: users still reach each one, but replication between them stopped",
                        secs(inc.start_s)
                    ),
                ));
                chain.push(step(
                    "replication",
                    format!(
                        "{} committed writes wait to replicate: lost if their data center fails before it heals",
                        grouped(*writes_waiting)
                    ),
                ));
                format!(
                    "a network partition holds {} writes back from the other data center",
                    grouped(*writes_waiting)
                )
            }
        };
        let mut because = cause_text;
        if let Some(c) = self.component {
            let name = names.get(c).map(String::as_str).unwrap_or_default();
            if self.was_in_pool {
                chain.push(step(
                    "load balancer",
                    match inc.detection_s {
                        Some(d) => format!(
                            "the balancer kept sending it requests for about {} until its health checks failed",
                            secs(d)
                        ),
                        None => "the balancer still sends it requests: its health checks have not failed yet".to_string(),
                    },
                ));
            }
            if self.was_master {
                chain.push(step(
                    name,
                    match inc.failover_s {
                        Some(d) => format!(
                            "no master for about {}: writes failed until a replica was promoted",
                            secs(d)
                        ),
                        None => {
                            "no master yet: writes fail until a replica is promoted".to_string()
                        }
                    },
                ));
            }
        }
        if matches!(
            inc.cause,
            Cause::ComponentDown {
                component_kind: ComponentKind::Cache,
                ..
            }
        ) && self.before.cache_hit - self.lowest_cache_hit >= 0.05
        {
            let fell = format!(
                "the cache hit ratio fell from {} to {}",
                percent(self.before.cache_hit),
                percent(self.lowest_cache_hit)
            );
            chain.push(step(
                "cache",
                format!("{fell}: its misses now reach the database"),
            ));
            because = format!("{because} and {fell}");
        }
        if matches!(
            inc.cause,
            Cause::ComponentDown {
                component_kind: ComponentKind::Workers,
                ..
            }
        ) && self.deepest_queue > self.before.queue_depth
        {
            chain.push(step(
                "queue",
                format!(
                    "jobs piled up in the queue: {} waiting at most (was {})",
                    grouped(u64::from(self.deepest_queue)),
                    grouped(u64::from(self.before.queue_depth))
                ),
            ));
        }
        if !matches!(inc.cause, Cause::ReplicationLag { .. }) {
            let lagging = now
                .components
                .iter()
                .enumerate()
                .filter(|(_, c)| c.alive && c.role == Some(DbRole::Replica) && c.lag_ms >= LAG_MS)
                .max_by(|a, b| a.1.lag_ms.total_cmp(&b.1.lag_ms));
            if let Some((i, c)) = lagging {
                chain.push(step(
                    &names[i],
                    format!(
                        "{} is {} behind its master: reads there return old data",
                        names[i],
                        ms(c.lag_ms)
                    ),
                ));
            }
        }
        let moved = self.load_moved();
        for &(i, was, peak) in &moved {
            chain.push(step(
                &names[i],
                format!(
                    "{} is {} busy (was {})",
                    names[i],
                    percent(peak),
                    percent(was)
                ),
            ));
        }
        let inc = &self.incident;
        let rose = inc.p99_peak_ms > 1.2 * inc.p99_before_ms + 5.0;
        let mut symptoms = Vec::new();
        if rose {
            symptoms.push(format!(
                "p99 rose from {} to {} at {}",
                ms(inc.p99_before_ms),
                ms(inc.p99_peak_ms),
                secs(inc.p99_peak_at_s)
            ));
        }
        if inc.failed > 0 {
            symptoms.push(format!(
                "{} requests failed (up to {} per second)",
                grouped(inc.failed),
                figure(inc.failures_per_s_peak)
            ));
        }
        for s in &symptoms {
            chain.push(step("requests", s.clone()));
        }
        let effect = symptoms.join("; ");
        let summary = match moved.first() {
            Some(&(i, was, peak)) if symptoms.is_empty() => format!(
                "{because}: {} is {} busy (was {}); no effect on p99 or failures so far.",
                names[i],
                percent(peak),
                percent(was)
            ),
            None if symptoms.is_empty() => {
                format!("{because}; no effect on p99 or failures so far.")
            }
            Some(&(i, was, peak)) => format!(
                "{effect}: {} is {} busy (was {}) because {because}.",
                names[i],
                percent(peak),
                percent(was)
            ),
            None => format!("{effect} because {because}."),
        };
        self.incident.chain = chain;
        self.incident.summary = summary;
    }
}
