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
//!
//! This file holds the thresholds, the public types and what the diagnoser keeps; `observe`
//! opens, follows and closes incidents interval by interval; `story` folds each interval's
//! figures into an incident and tells its causal chain.

mod observe;
mod stampede;
mod story;

use serde::Serialize;

use super::{ComponentInfo, ComponentKind, DbRole, SimDuration, SimTime, Snapshot};
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
/// A cache stampede: at least this many database reads of one key under way at once (where
/// the cache counts them) …
pub const STAMPEDE_READS: u32 = 10;
/// A station whose busy share rose by at least this much took over load.
const LOAD_SHIFT: f64 = 0.1;
/// Consecutive calm intervals before an incident is closed.
const CALM_INTERVALS: u32 = 2;
/// Most incidents kept (later ones are counted, not kept).
pub const MAX_INCIDENTS: usize = 100;

/// What started an incident.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
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
    BreakerOpen {
        /// With several databases: the database whose breaker opened (`db`, or a further
        /// database's name); absent with one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        store: Option<String>,
    },
    /// The network between data centers is cut: their replication stops.
    Partition {
        /// Most writes waiting to replicate over the cut links at an interval's end.
        writes_waiting: u64,
    },
    /// A cache stampede: many misses of one key (a hot key that expired or was flushed) read
    /// the database at once, each while the first read was still under way.
    Stampede {
        /// The key (0 is the most requested).
        key: u32,
        /// Most reads of it under way at once.
        reads: u32,
        /// The database they reached (the busiest).
        database: String,
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
            Cause::Surge { .. }
            | Cause::BreakerOpen { .. }
            | Cause::Partition { .. }
            | Cause::Stampede { .. } => None,
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
            Cause::BreakerOpen { store: None } => "circuit breaker open".to_string(),
            Cause::BreakerOpen { store: Some(s) } => format!("circuit breaker for {s} open"),
            Cause::Partition { .. } => "network partition".to_string(),
            Cause::Stampede { .. } => "cache stampede".to_string(),
        }
    }
}

/// One link of a causal chain: a component (or `requests`, `load`) and what happened to it.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Step {
    /// What the sentence is about.
    pub component: String,
    /// The sentence, with numbers.
    pub text: String,
}

/// Something that went wrong, its cause, what followed and its numbers.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
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
    /// With several databases: whose breaker that is.
    breaker_store: Option<String>,
    /// Writes waiting to replicate over links cut by a partition.
    writes_partitioned: u64,
    /// The last interval's most database reads of one key at once.
    stampede: super::StampedePeak,
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
    interval: SimDuration,
    next_at: SimTime,
    /// A load balancer sits in front of the web servers (so a server has a detection window).
    balanced: bool,
    names: Vec<String>,
    kinds: Vec<ComponentKind>,
    faults: Vec<FaultMark>,
    /// Times the user population was changed live, s.
    load_changes: Vec<f64>,
    /// Times a network between data centers was cut live, s.
    cuts: Vec<f64>,
    prev: Option<Observation>,
    /// Offered load of the recent intervals, for surges.
    offered: std::collections::VecDeque<f64>,
    open: Vec<Open>,
    closed: Vec<Incident>,
    dropped: u64,
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
