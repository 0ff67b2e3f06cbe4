//! Checkers that live apart from the engine: they read only its public outputs (snapshots,
//! sampled request paths, the event log and the report) and what the swarm itself did to the
//! simulation (the fault schedule and the live kills and repairs), never its internals.
//!
//! ```text
//!   Case ──▶ Timeline (when each component was down, from the schedule the swarm applied)
//!                 │
//!   Sim ──snapshot/paths/log/report──▶ checkers ──▶ Ok | Err("what broke, with numbers")
//! ```

use crate::generator::{Action, Case};
use scalesim::scenario::{Scenario, Shape};
use scalesim::sim::{ComponentInfo, LogEntry, Outcome, PathSample, Report, SimTime, Snapshot};

/// Returns `Err(message)` from the enclosing function when `cond` is false (NaN included).
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {{
        let holds: bool = $cond;
        if !holds {
            return Err(format!($($fmt)+));
        }
    }};
}

/// Invariants that once-found engine bugs broke (late failures not counted as timeouts, DNS
/// deaths during a lookup, hops past a timeout). All fixed; every suite runs with them on
/// (`ALL`); the switches stay so a regression can be bisected check by check.
#[derive(Clone, Copy, Debug, Default)]
pub struct KnownBugChecks {
    /// A failure the user learns of after its client timeout must be counted as a timeout.
    pub failure_after_timeout: bool,
    /// A DNS lookup must not succeed when the DNS server dies during it.
    pub dns_dies_during_lookup: bool,
    /// A timed-out request's path must not hold a hop that ends after the request did (the
    /// engine records a DNS hop when the lookup starts, so a timeout during it leaves a hop
    /// reaching into the future).
    pub hop_after_timeout: bool,
}

impl KnownBugChecks {
    pub const ALL: KnownBugChecks = KnownBugChecks {
        failure_after_timeout: true,
        dns_dies_during_lookup: true,
        hop_after_timeout: true,
    };
}

/// An interval `[down, up)` of simulated nanoseconds during which a component was down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outage {
    pub down: u64,
    pub up: u64,
}

/// Who was down when, replayed from the scenario's fault schedule and the live actions in the
/// order the engine must apply them: at one instant, scheduled faults (in list order, the down
/// before its repair) come before the live actions applied after `advance_to` returns.
#[derive(Clone, Debug, Default)]
pub struct Timeline {
    /// Per target name: its outages, in time order.
    pub outages: Vec<(String, Vec<Outage>)>,
    /// Per target name: how many times it actually changed state.
    pub transitions: Vec<(String, u64)>,
}

impl Timeline {
    pub fn new(case: &Case, names: &[String]) -> Timeline {
        // (time, live?, order, name, down?)
        let mut changes: Vec<(u64, bool, usize, String, bool)> = Vec::new();
        for f in &case.scenario.faults {
            let at = SimTime::from_secs_f64(f.at_s);
            changes.push((at.as_nanos(), false, changes.len(), f.target.clone(), true));
            if f.duration_s > 0.0 {
                let up = at.plus(SimTime::from_secs_f64(f.duration_s));
                changes.push((up.as_nanos(), false, changes.len(), f.target.clone(), false));
            }
        }
        for step in &case.steps {
            for a in &step.actions {
                let (name, down) = match a {
                    Action::Kill(n) => (n.clone(), true),
                    Action::Repair(n) => (n.clone(), false),
                    Action::SetUsers(_) => continue,
                };
                changes.push((step.at.as_nanos(), true, changes.len(), name, down));
            }
        }
        // Only what happened before the run's last step.
        let horizon = case.steps.last().map_or(0, |s| s.at.as_nanos());
        changes.retain(|c| c.0 <= horizon);
        changes.sort_by_key(|c| (c.0, c.1, c.2));
        let mut outages = Vec::new();
        let mut transitions = Vec::new();
        for name in names {
            let mut list = Vec::new();
            let mut count = 0;
            let mut down_since: Option<u64> = None;
            for (t, _, _, n, down) in &changes {
                if n != name {
                    continue;
                }
                match (down, down_since) {
                    (true, None) => {
                        down_since = Some(*t);
                        count += 1;
                    }
                    (false, Some(d)) => {
                        list.push(Outage { down: d, up: *t });
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
            outages.push((name.clone(), list));
            transitions.push((name.clone(), count));
        }
        Timeline {
            outages,
            transitions,
        }
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

    /// An outage that overlaps the open work span `(enter, leave)`: down strictly before the
    /// work ends and back up strictly after it started.
    pub fn outage_during(&self, name: &str, enter: u64, leave: u64) -> Option<Outage> {
        self.outages_of(name)
            .iter()
            .copied()
            .find(|o| o.down < leave && o.up > enter)
    }
}

/// What the checkers know about a run: the scenario and the components (public, read once).
pub struct Context<'a> {
    pub scenario: &'a Scenario,
    pub components: Vec<ComponentInfo>,
    pub timeline: Timeline,
    pub bugs: KnownBugChecks,
}

impl Context<'_> {
    fn name(&self, id: scalesim::sim::ComponentId) -> &str {
        self.components
            .get(usize::from(id.0))
            .map_or("?", |c| c.name.as_str())
    }

    fn timeout_ns(&self) -> u64 {
        SimTime::from_millis_f64(self.scenario.traffic.client_timeout_ms).as_nanos()
    }

    /// The least latency any answered request of this path can have: the round trip, a DNS
    /// lookup when nothing is cached (TTL 0), and a constant service time. 2 ns of slack for
    /// rounding of each part to whole nanoseconds.
    fn min_latency_ns(&self, p: &PathSample) -> u64 {
        let s = self.scenario;
        let mut ns = SimTime::from_millis_f64(s.network.client_rtt_ms).as_nanos();
        if s.dns.ttl_s == 0 {
            ns += SimTime::from_millis_f64(s.dns.lookup_ms).as_nanos();
        }
        let d = s.server.service.by_kind()[p.kind as usize];
        if d.shape == Shape::Constant {
            ns += SimTime::from_millis_f64(d.mean_ms).as_nanos().max(1);
        }
        ns.saturating_sub(4)
    }
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
        ("recent_throughput_rps", snap.recent_throughput_rps),
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
    for c in &snap.components {
        let name = ctx.name(c.id);
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
            (0.0..=1.0).contains(&c.utilization),
            "{name} at {} s: utilization {} outside [0, 1]",
            snap.time_s,
            c.utilization
        );
        if !c.alive {
            ensure!(
                c.busy_workers == 0 && c.queue_len == 0,
                "{name} is down at {} s but has {} busy workers and {} waiting",
                snap.time_s,
                c.busy_workers,
                c.queue_len
            );
        }
        if ctx.timeline.transitions.iter().any(|(n, _)| n == name) {
            let expected_down = ctx.timeline.down_after(name, now.as_nanos());
            ensure!(
                c.alive != expected_down,
                "{name} at {} s: alive = {}, but the fault schedule and live actions say {}",
                snap.time_s,
                c.alive,
                if expected_down { "down" } else { "up" }
            );
        }
    }
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
    let known = p.outcome == Outcome::Timeout && !ctx.bugs.hop_after_timeout;
    ensure!(
        at <= p.end || known,
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
                "{id}: answered in {latency} ns, below the least possible {min} ns"
            );
        }
        Outcome::Timeout => ensure!(
            latency >= timeout,
            "{id}: timed out after {latency} ns, before the client timeout of {timeout} ns"
        ),
        _ => {
            if ctx.bugs.failure_after_timeout {
                ensure!(
                    latency <= timeout,
                    "{id}: the user learns of the failure after {latency} ns, but gave up at \
                     {timeout} ns, so it should count as a timeout"
                );
            }
        }
    }
    // A hop whose work completed (every hop of an answered request, every hop but the last
    // of a failed one) must not overlap an outage of its component.
    let completed_hops = match p.outcome {
        Outcome::Ok => hops.len(),
        _ => hops.len().saturating_sub(1),
    };
    for h in &hops[..completed_hops] {
        let name = ctx.name(h.component);
        if name == "dns" && !ctx.bugs.dns_dies_during_lookup {
            // Known: the engine checks DNS only when the lookup starts (see KnownBugChecks).
            if ctx.timeline.down_after(name, h.enter.as_nanos()) && h.enter < h.leave {
                return Err(format!("{id}: DNS lookup started while DNS was down"));
            }
            continue;
        }
        if let Some(o) = ctx
            .timeline
            .outage_during(name, h.enter.as_nanos(), h.leave.as_nanos())
        {
            return Err(format!(
                "{id}: served by {name} over [{}, {}] though it was down over [{}, {})",
                h.enter,
                h.leave,
                SimTime(o.down),
                SimTime(o.up)
            ));
        }
    }
    Ok(())
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
        for (name, count) in &ctx.timeline.transitions {
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
                + why.session_store_down,
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
    // A rejection whose answer reaches the user after the client gave up counts as a timeout.
    let rejected: u64 = r.components.iter().map(|c| c.rejected).sum();
    ensure!(
        why.queue_full <= rejected,
        "components rejected {rejected}, failures by full queue {}",
        why.queue_full
    );
    let capacity = ctx.scenario.server.queue_capacity;
    for c in &r.components {
        ensure!(
            (0.0..=1.0).contains(&c.utilization),
            "{}: utilization {} outside [0, 1]",
            c.name,
            c.utilization
        );
        ensure!(
            c.max_queue_len <= capacity && c.mean_queue_len <= f64::from(capacity) + 1e-9,
            "{}: queue max {} mean {} above capacity {capacity}",
            c.name,
            c.max_queue_len,
            c.mean_queue_len
        );
        for (label, v) in [
            ("mean_in_system", c.mean_in_system),
            ("mean_sojourn_ms", c.mean_sojourn_ms),
            ("mean_wait_ms", c.mean_wait_ms),
            ("throughput_rps", c.throughput_rps),
        ] {
            ensure!(
                v.is_finite() && v >= 0.0,
                "{}: {label} = {v} is not finite and non-negative",
                c.name
            );
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
