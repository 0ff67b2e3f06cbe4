//! Swarm testing of the simulation core, in the manner of TigerBeetle's VOPR: each seed derives a
//! whole random scenario and a timeline of live actions ([`generator`]); the run is observed only
//! through public outputs and judged by [`checkers`] that live apart from the engine.
//!
//! ```text
//!   cargo test --release --test swarm                          # the default 1,000 seeds
//!   SWARM_SEEDS=100000 cargo test --release --test swarm -- swarm_seeds --nocapture
//!   SWARM_SEED=1234 cargo test --release --test swarm -- one_seed --nocapture
//! ```
//!
//! `SWARM_FIRST_SEED=N` moves the window of seeds. A failing seed prints the one command that
//! reproduces it. Also here: the smallest reproductions of the bugs it found ([`bugs`]), absurd
//! inputs ([`absurd`]), a proptest over scenario JSON ([`fuzz`]) and a flat-memory measurement
//! ([`memory`]).

mod absurd;
mod bugs;
mod checkers;
mod fuzz;
mod generator;
mod graphs;
mod layout;
mod memory;

use checkers::{Context, Timeline};
use generator::{Action, Case};
use scalesim::scenario::LiveAction;
use scalesim::sim::{Sim, SimTime, Snapshot};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// Seeds in the default suite.
const DEFAULT_SEEDS: u64 = 1_000;
/// Most events one run of a case may process before it counts as a freeze.
const EVENT_BUDGET: u64 = 5_000_000;
/// Events per `advance_to` call, as the app's animation frame would grant.
const FRAME_EVENTS: u64 = 20_000;

/// How a run is observed; two different ways must give the same report.
#[derive(Clone, Copy, Debug)]
struct Observation {
    /// Snapshots between the action times too (sub-steps per step).
    substeps: u64,
    /// Record one request path in this many.
    path_sample_every: u64,
}

/// Runs a case once, checking at every step; returns the final report as JSON.
fn run_once(case: &Case, obs: Observation) -> Result<String, String> {
    let mut sim =
        Sim::new(&case.scenario).map_err(|e| format!("generated scenario refused: {e}"))?;
    // The page's first diagram is planned from the scenario alone: it must name the engine's
    // components, with the same ids, for every architecture the engine builds.
    if scalesim::layout_plan::components(&case.scenario) != sim.components() {
        return Err("the planned components (layout_plan) differ from the engine's".into());
    }
    sim.set_path_sample_every(obs.path_sample_every);
    let mut ctx = Context {
        scenario: &case.scenario,
        components: sim.components().to_vec(),
        timeline: Timeline::new(case, sim.components()),
        capacities: Vec::new(),
        deploys: case.scenario.deploy.is_some()
            || (case.steps.iter().flat_map(|s| &s.actions))
                .any(|a| matches!(a, Action::Live(LiveAction::Deploy { .. }))),
        own_stacks: checkers::own_stacks(&case.scenario),
    };
    let mut prev: Option<Snapshot> = None;
    let mut from = SimTime::ZERO;
    for step in &case.steps {
        let span = step.at.since(from).as_nanos();
        for k in 1..=obs.substeps {
            let t = SimTime(from.as_nanos() + span * k / obs.substeps);
            advance(&mut sim, t)?;
            if k < obs.substeps {
                observe(&mut ctx, &sim, &mut prev, false)?;
            }
        }
        ctx.timeline.grow(sim.components(), sim.now());
        // What the engine did at this instant comes before the live actions.
        learn_deploys(&mut ctx, &sim);
        if !step.actions.is_empty() {
            ctx.timeline.live_actions_at(sim.now());
        }
        for a in &step.actions {
            match a {
                Action::Kill(n) | Action::Repair(n) => {
                    // Web servers that autoscaling may add later are skipped until they exist.
                    let Some(id) = sim.component_named(n) else {
                        continue;
                    };
                    let down = matches!(a, Action::Kill(_));
                    if down {
                        sim.kill(id);
                    } else {
                        sim.repair(id);
                    }
                    ctx.timeline.live(sim.now(), n, down);
                }
                Action::SetUsers(u) => sim.set_users(*u),
                Action::SetWebServers(n) => sim.set_web_servers(*n),
                Action::Live(change) => scalesim::sim::live::apply(&mut sim, change)
                    .map_err(|e| format!("live change {change:?} refused: {e}"))?,
            }
            ctx.timeline.grow(sim.components(), sim.now());
            learn_deploys(&mut ctx, &sim);
        }
        observe(&mut ctx, &sim, &mut prev, true)?;
        from = step.at;
    }
    learn_deploys(&mut ctx, &sim);
    let report = sim.report();
    checkers::check_report(&ctx, &report).map_err(|e| format!("final report: {e}"))?;
    let log: Vec<_> = sim.log().cloned().collect();
    checkers::check_log(&ctx, &log, sim.now(), report.events_dropped)?;
    Ok(serde_json::to_string(&report).expect("a report serialises"))
}

/// Advances to `t` in frame-sized slices, failing if the run exceeds its event budget. At
/// least once, even when the clock is already at `t` (the first step, at 0 s): the events of
/// the instant are handled before its live actions and its snapshot, as at every other step
/// (a data center's outage drawn at exactly 0 s was checked before it had happened).
fn advance(sim: &mut Sim, t: SimTime) -> Result<(), String> {
    loop {
        sim.advance_to(t, FRAME_EVENTS);
        if sim.events_processed() > EVENT_BUDGET {
            return Err(format!(
                "more than {EVENT_BUDGET} events by {} s: the run does not keep to its bound",
                sim.now().as_secs_f64()
            ));
        }
        if sim.now() >= t {
            return Ok(());
        }
    }
}

/// Checks what the simulation shows now; `step`: at an action step (not a sub-step), where a
/// stage-11 run's whole report is checked too.
fn observe(
    ctx: &mut Context,
    sim: &Sim,
    prev: &mut Option<Snapshot>,
    step: bool,
) -> Result<(), String> {
    if ctx.components.len() != sim.components().len() {
        ensure_grows(&ctx.components, sim.components())?;
        ctx.components = sim.components().to_vec();
    }
    learn_deploys(ctx, sim);
    let snap = sim.snapshot();
    ctx.capacities.resize(snap.components.len(), 0);
    for (cap, c) in ctx.capacities.iter_mut().zip(&snap.components) {
        *cap = (*cap).max(c.queue_capacity);
    }
    ctx.timeline.grow(sim.components(), sim.now());
    checkers::check_snapshot(ctx, prev.as_ref(), &snap, sim.now())?;
    if let Some(status) = sim.geo_status() {
        checkers::check_geo_status(ctx, &status, &snap, sim.now())?;
        // Stage 11: each data center's books are only in the report; check them at every
        // action step, not only at the end.
        if step {
            checkers::check_report(ctx, &sim.report())
                .map_err(|e| format!("report at {} s: {e}", sim.now().as_secs_f64()))?;
        }
    }
    for p in sim.recent_paths() {
        checkers::check_path(ctx, p)?;
    }
    *prev = Some(snap);
    Ok(())
}

/// Tells the timeline which servers a rolling deploy stopped or started (from the event log)
/// since it last looked.
fn learn_deploys(ctx: &mut Context, sim: &Sim) {
    if ctx.deploys {
        let log: Vec<_> = sim.log().cloned().collect();
        ctx.timeline.learn_deploys(&log);
    }
}

/// Components are only ever added (web servers), never renumbered or removed.
fn ensure_grows(
    before: &[scalesim::sim::ComponentInfo],
    after: &[scalesim::sim::ComponentInfo],
) -> Result<(), String> {
    if after.len() < before.len() || after[..before.len()] != *before {
        return Err(format!(
            "the component list changed from {} to {} entries, not by appending",
            before.len(),
            after.len()
        ));
    }
    Ok(())
}

/// Runs a case twice, observed differently, and compares the reports.
fn check_case(case: &Case) -> Result<(), String> {
    let fine = Observation {
        substeps: 3,
        path_sample_every: 1,
    };
    let coarse = Observation {
        substeps: 1,
        path_sample_every: case.path_sample_every,
    };
    let a = run_once(case, fine)?;
    let b = run_once(case, coarse)?;
    if a != b {
        // Show where the reports part, not just how they begin.
        let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        let from = a[..at].char_indices().rev().nth(200).map_or(0, |(i, _)| i);
        let around = |r: &str| r[from..].chars().take(400).collect::<String>();
        return Err(format!(
            "same seed, different report: observing with {fine:?} and with {coarse:?} must not \
             change the run; they part at byte {at}\n  first:  …{}\n  second: …{}",
            around(&a),
            around(&b)
        ));
    }
    Ok(())
}

/// What a passed case was drawn with, for the window's counts.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Drawn {
    stage: u8,
    /// Its registered components (rate limiters, API gateways) in its scenario.
    plugs: usize,
}

impl Drawn {
    fn of(case: &Case) -> Drawn {
        Drawn {
            stage: case.scenario.stage,
            plugs: case.scenario.plugs.len(),
        }
    }
}

/// Counts of passed cases in a window: of stage 11, with registered components, both.
#[derive(Default)]
struct Counts {
    geo: std::sync::atomic::AtomicU64,
    plugs: std::sync::atomic::AtomicU64,
    geo_plugs: std::sync::atomic::AtomicU64,
}

impl Counts {
    fn add(&self, d: Drawn) {
        use std::sync::atomic::Ordering::Relaxed;
        let geo = d.stage == 11;
        self.geo.fetch_add(u64::from(geo), Relaxed);
        self.plugs.fetch_add(u64::from(d.plugs > 0), Relaxed);
        self.geo_plugs
            .fetch_add(u64::from(geo && d.plugs > 0), Relaxed);
    }

    fn text(&self) -> String {
        use std::sync::atomic::Ordering::Relaxed;
        format!(
            "{} passed cases of stage 11, {} with registered components ({} of them at stage 11)",
            self.geo.load(Relaxed),
            self.plugs.load(Relaxed),
            self.geo_plugs.load(Relaxed)
        )
    }
}

/// Checks one seed, turning a panic into a failure that names the seed; returns what the case
/// was drawn with.
fn check_seed(seed: u64) -> Result<Drawn, String> {
    let case = catch_unwind(|| generator::case(seed))
        .map_err(|p| format!("generator panicked: {}", panic_text(&p)))?;
    match catch_unwind(AssertUnwindSafe(|| check_case(&case))) {
        Ok(result) => result.map(|()| Drawn::of(&case)),
        Err(p) => Err(format!("panicked: {}", panic_text(&p))),
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

fn reproduce(seed: u64, test: &str) -> String {
    format!("SWARM_SEED={seed} cargo test --release --test swarm -- {test} --exact --nocapture")
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a whole number"))
    })
}

/// Checks `count` seeds from `first` on all cores; panics naming the first failing seed.
fn swarm(first: u64, count: u64, test: &str) {
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    // `SWARM_SLOW_MS=N` names every seed that takes longer than N ms.
    let slow = env_u64("SWARM_SLOW_MS");
    let counts = Counts::default();
    let counts = &counts;
    let failures: Vec<(u64, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (first + t..first + count)
                        .step_by(threads as usize)
                        .filter_map(|seed| {
                            let started = Instant::now();
                            let result = check_seed(seed);
                            let took = started.elapsed().as_secs_f64();
                            if slow.is_some_and(|ms| took * 1000.0 > ms as f64) {
                                eprintln!("swarm: seed {seed} took {took:.3} s");
                            }
                            match result {
                                Ok(drawn) => {
                                    counts.add(drawn);
                                    None
                                }
                                Err(e) => Some((seed, e)),
                            }
                        })
                        .take(3)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    eprintln!(
        "swarm: {count} seeds from {first} in {:.1} s on {threads} threads ({}), {} failed",
        started.elapsed().as_secs_f64(),
        counts.text(),
        failures.len()
    );
    if let Some((seed, message)) = failures.iter().min_by_key(|f| f.0) {
        let others: Vec<u64> = failures.iter().map(|f| f.0).filter(|s| s != seed).collect();
        panic!(
            "swarm seed {seed} failed: {message}\nreproduce with: {}\nother failing seeds: {others:?}",
            reproduce(*seed, test)
        );
    }
}

/// The default suite: `SWARM_SEEDS` seeds (1,000 unless set) from `SWARM_FIRST_SEED` (0).
#[test]
fn swarm_seeds() {
    let count = env_u64("SWARM_SEEDS").unwrap_or(DEFAULT_SEEDS);
    let first = env_u64("SWARM_FIRST_SEED").unwrap_or(0);
    swarm(first, count, "one_seed");
}

/// One seed, with its scenario and actions printed: `SWARM_SEED=N` (0 unless set).
#[test]
fn one_seed() {
    let seed = env_u64("SWARM_SEED").unwrap_or(0);
    let case = generator::case(seed);
    eprintln!("{}", case.scenario.to_json_pretty());
    eprintln!(
        "seed {}: path sample every {}; steps:",
        case.seed, case.path_sample_every
    );
    for s in case.steps.iter().filter(|s| !s.actions.is_empty()) {
        eprintln!("  at {}: {:?}", s.at, s.actions);
    }
    if let Err(e) = check_seed(seed) {
        panic!(
            "swarm seed {seed} failed: {e}\nreproduce with: {}",
            reproduce(seed, "one_seed")
        );
    }
}

/// The default windows (1,000 swarm seeds, 1,000 graph seeds) draw registered components of
/// every kind in every place it may stand — in front of the front door, and (a kind a
/// balancer may feed) behind the balancer in front of a web pool — at stage 11 too, and kill,
/// repair and slow them live. Drawn once, counted for each.
#[test]
fn registered_components_are_drawn_in_each_place() {
    use scalesim::scenario::LiveAction;
    use scalesim::sim::PlugKind;
    let mut cases: Vec<Case> = (0..DEFAULT_SEEDS).map(generator::case).collect();
    cases.extend((0..1_000).map(|seed| generator::graph_case(seed).0));
    let mut places: std::collections::BTreeMap<(PlugKind, bool), u32> = Default::default();
    let (mut geo, mut killed, mut repaired, mut slowed) = (0, 0, 0, 0);
    for case in &cases {
        let s = &case.scenario;
        for p in &s.plugs {
            let behind = s.load_balancer.is_some() && p.fronts != "lb";
            *places.entry((p.params.kind(), behind)).or_default() += 1;
        }
        geo += u32::from(!s.plugs.is_empty() && s.geo.is_some());
        let named = |n: &str| s.plugs.iter().any(|p| checkers::local_name(n) == p.name);
        for a in case.steps.iter().flat_map(|st| &st.actions) {
            match a {
                Action::Kill(n) if named(n) => killed += 1,
                Action::Repair(n) if named(n) => repaired += 1,
                Action::Live(LiveAction::Slow { name, .. }) if named(name) => slowed += 1,
                _ => {}
            }
        }
    }
    for kind in PlugKind::ALL {
        let behind = kind
            .fed_by()
            .contains(&scalesim::scenario::topology::NodeKind::LoadBalancer);
        for place in [false, true].into_iter().filter(|&b| !b || behind) {
            let n = places.get(&(kind, place)).copied().unwrap_or(0);
            let at = if place {
                "in front of a web pool"
            } else {
                "in front of the door"
            };
            eprintln!("{n} {} {at}", kind.label());
            assert!(n >= 20, "only {n} {} drawn {at}", kind.label());
        }
    }
    for (n, what) in [
        (geo, "cases of stage 11 with registered components"),
        (killed, "live kills of registered components"),
        (repaired, "live repairs of registered components"),
        (slowed, "live slowdowns of registered components"),
    ] {
        eprintln!("{n} {what}");
        assert!(n >= 20, "only {n} {what}");
    }
}
