//! The public handle, [`Sim`], over two peer engines:
//!
//! ```text
//!                 Sim (what the UI, the CLI, capacity and the tests drive)
//!                  │  one `match`, no tier probing
//!        ┌─────────┴──────────┐
//!   Stack (one data center)   World (stage 11: geoDNS over several Stacks)
//! ```
//!
//! Both implement [`Engine`], the public API, once each; `Sim` only picks which one runs.

use super::components::monitor::AlertEvent;
use super::diagnosis::{Diagnoser, Incident, Verdict};
use super::figures::offered_per_s_now;
use super::geo::{SpanStats, World};
use super::report::{with_digest, LogEntry};
use super::stack::Stack;
use super::{
    ComponentId, ComponentInfo, GeoStatus, PathSample, Report, ReshardProgress, SimTime, Snapshot,
};
use crate::scenario::{Deploy, Mechanism, Scenario, ValidationErrors};
use std::collections::VecDeque;

/// Events handled per call while finishing an instant the budget broke off (see
/// [`Sim::advance_to`]).
const INSTANT_STEP: u64 = 64;

/// The public API of an engine, implemented by the single-data-center [`Stack`] and by the
/// multi-data-center [`World`]. [`Sim`] forwards each public method to one of them.
pub(super) trait Engine {
    /// The scenario this run was built from (with live changes such as users applied).
    fn scenario(&self) -> &Scenario;
    /// Current simulated time.
    fn now(&self) -> SimTime;
    /// Every component, in id order.
    fn components(&self) -> &[ComponentInfo];
    /// Events processed so far.
    fn events_processed(&self) -> u64;
    /// Records one request in `every` for animation (1 = all).
    fn set_path_sample_every(&mut self, every: u64);
    /// Sampled paths of recent requests, oldest first.
    fn recent_paths(&self) -> &VecDeque<PathSample>;
    /// The event log, oldest first.
    fn log(&self) -> &VecDeque<LogEntry>;
    /// Every alert that fired or resolved and is still kept, oldest first.
    fn alerts(&self) -> Vec<AlertEvent>;
    /// Changes the user population from now on.
    fn set_users(&mut self, users: u64);
    /// Changes the number of web servers in service in the first web pool.
    fn set_web_servers(&mut self, count: u32) {
        self.set_pool_servers(0, count);
    }
    /// Changes the number of web servers in service in web pool `pool` (0: the scenario's
    /// `server`, then its `more_web_pools` in order).
    fn set_pool_servers(&mut self, pool: usize, count: u32);
    /// Changes the number of web servers in service in web pool `pool` of data center `dc`
    /// only (stage 11; one data center has no other to leave alone, so it ignores this).
    fn set_data_center_pool_servers(&mut self, _dc: usize, _pool: usize, _count: u32) {}
    /// Processes every event up to and including `t`, at most `max_events`.
    fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64;
    /// Lets the run use up to `threads` threads at once where it can (stage 11's data centers
    /// in calls without a budget); one data center has nothing to run side by side.
    #[cfg(not(target_arch = "wasm32"))]
    fn set_threads(&mut self, _threads: u32) {}
    /// `advance_to(t, u64::MAX)` in one go, handing the engine to [`observe`] with
    /// `diagnoser` at each of its stops on the way, in the state [`Sim::advance_to`]'s loop
    /// would observe there; `None` (nothing done) where the engine leaves that loop to the
    /// caller (all but stage 11 on several threads, see `geo::spans`).
    #[cfg(not(target_arch = "wasm32"))]
    fn advance_observed(&mut self, _t: SimTime, _diagnoser: &mut Diagnoser) -> Option<u64> {
        None
    }
    /// How the run brought its data centers forward so far (`None`: one data center).
    fn span_stats(&self) -> Option<SpanStats> {
        None
    }
    /// Whether a component is up.
    fn is_alive(&self, id: ComponentId) -> bool;
    /// Takes a component down now.
    fn kill(&mut self, id: ComponentId);
    /// Brings a component back now.
    fn repair(&mut self, id: ComponentId);
    /// A grey failure: the component serves `factor` times slower from now on (1: healthy).
    fn slow(&mut self, id: ComponentId, factor: f64);
    /// A flaky node: the component fails a share `ratio` of its requests from now on (0: healthy).
    fn errors(&mut self, id: ComponentId, ratio: f64);
    /// The state now, for display.
    fn snapshot(&self) -> Snapshot;
    /// Number of events waiting.
    fn pending_events(&self) -> usize;
    /// When the earliest waiting event is due (`None`: nothing waits).
    fn next_event_at(&mut self) -> Option<SimTime>;
    /// Roughly how many bytes of memory the run holds.
    fn footprint_bytes(&self) -> u64;
    /// Stage 11's regions and data centers (`None` for a single data center).
    fn geo_status(&self) -> Option<GeoStatus>;
    /// The report of the run so far, without its digest.
    fn report(&self) -> Report;
    /// Reshards store `store`'s data (0: the first database, behind the first shard
    /// router) to `count` shards now.
    fn reshard(&mut self, store: usize, count: u32);
    /// The latest resharding of store `store` and how far its copy has got.
    fn reshard_progress(&self, store: usize) -> Option<ReshardProgress>;
    /// Starts a rolling deploy of the web tier now.
    fn start_deploy(&mut self, spec: &Deploy) -> bool;
    /// Whether a deploy is under way.
    fn deploy_running(&self) -> bool;
    /// Purges every object from the CDN edge now.
    fn cdn_purge_all(&mut self);
    /// Publishes a new version of a static object.
    fn cdn_new_version(&mut self, object: u32);
    /// Switches a failure mechanism on or off now (every data center's at stage 11).
    fn set_mechanism(&mut self, which: Mechanism, on: bool);
    /// Switches request coalescing on or off at one cache cluster alone (0: the first,
    /// `n`: `more_caches[n - 1]`; every data center's at stage 11).
    fn set_coalescing_at(&mut self, cache: usize, on: bool);
    /// Cuts or heals the network between two data centers now; false if they are not two of
    /// this run's data centers.
    fn partition(&mut self, a: &str, b: &str, cut: bool) -> bool;
}

/// Which engine runs.
#[derive(Clone)]
enum Which {
    /// One data center (stages 1–10).
    Single(Box<Stack>),
    /// Several data centers under geoDNS (stage 11).
    Geo(Box<World>),
}

/// A running simulation. Cloning it is a snapshot: the clone runs on exactly as the original
/// would (see `Runner::seek` in the app, which keeps clones to seek back quickly).
#[derive(Clone)]
pub struct Sim {
    engine: Which,
    /// Watches the run once per metrics interval and keeps its incidents.
    diagnoser: Diagnoser,
    /// Simulated time at which a batch run ends (the scenario's duration).
    end: SimTime,
}

impl Sim {
    /// Builds a simulation from a scenario, after validating it.
    pub fn new(scenario: &Scenario) -> Result<Sim, ValidationErrors> {
        scenario.validate()?;
        let engine = if scenario.geo.is_some() {
            Which::Geo(Box::new(World::build(scenario)))
        } else {
            Which::Single(Box::new(Stack::single(scenario)))
        };
        let diagnoser = Diagnoser::new(
            scenario,
            match &engine {
                Which::Single(stack) => stack.components(),
                Which::Geo(world) => world.components(),
            },
        );
        Ok(Sim {
            engine,
            diagnoser,
            end: SimTime::from_secs(u64::from(scenario.duration_s)),
        })
    }

    fn engine(&self) -> &dyn Engine {
        match &self.engine {
            Which::Single(stack) => stack.as_ref(),
            Which::Geo(world) => world.as_ref(),
        }
    }

    fn engine_mut(&mut self) -> &mut dyn Engine {
        match &mut self.engine {
            Which::Single(stack) => stack.as_mut(),
            Which::Geo(world) => world.as_mut(),
        }
    }

    /// The scenario this run was built from (with live changes such as users applied).
    pub fn scenario(&self) -> &Scenario {
        self.engine().scenario()
    }

    /// Current simulated time.
    pub fn now(&self) -> SimTime {
        self.engine().now()
    }

    /// Simulated time at which a batch run ends (the scenario's duration).
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// Every component, in id order.
    pub fn components(&self) -> &[ComponentInfo] {
        self.engine().components()
    }

    /// The component with this name.
    pub fn component_named(&self, name: &str) -> Option<ComponentId> {
        self.components()
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id)
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.engine().events_processed()
    }

    /// Records one request in `every` for animation (1 = all). Does not change the run.
    pub fn set_path_sample_every(&mut self, every: u64) {
        self.engine_mut().set_path_sample_every(every);
    }

    /// Sampled paths of recent requests, oldest first (at most 512).
    pub fn recent_paths(&self) -> impl Iterator<Item = &PathSample> {
        self.engine().recent_paths().iter()
    }

    /// The event log, oldest first.
    pub fn log(&self) -> impl Iterator<Item = &LogEntry> {
        self.engine().log().iter()
    }

    /// Every alert that fired or resolved and is still kept, oldest first (empty without
    /// monitoring). At stage 11 each data center's, its rules named after it ("us-east: …").
    pub fn alerts(&self) -> Vec<AlertEvent> {
        self.engine().alerts()
    }

    /// Changes the user population from now on (capped at the validated maximum).
    pub fn set_users(&mut self, users: u64) {
        let now = self.now();
        self.diagnoser.note_users(now);
        self.engine_mut().set_users(users);
    }

    /// Changes the number of web servers in service. New servers join the balancer's pool
    /// after passing its health checks; removed ones leave the pool at once and finish what
    /// they hold. Without a load balancer the count stays 1.
    pub fn set_web_servers(&mut self, count: u32) {
        self.engine_mut().set_web_servers(count);
    }

    /// Changes the number of web servers in service in web pool `pool` (0: the scenario's
    /// `server`, then its `more_web_pools` in order), as [`Sim::set_web_servers`] does for
    /// the first; a pool number the scenario does not have changes nothing.
    pub fn set_pool_servers(&mut self, pool: usize, count: u32) {
        self.engine_mut().set_pool_servers(pool, count);
    }

    /// Changes the number of web servers in service in web pool `pool` (numbered in that
    /// data center's own stack) of data center `dc` only, at stage 11: the other data
    /// centers keep theirs, and the scenario records the count as the data center's own
    /// change (`geo.data_centers[dc].set`, `server.count` for the first pool). A data center
    /// or pool the run does not have, or a run with one data center, changes nothing.
    pub fn set_data_center_pool_servers(&mut self, dc: usize, pool: usize, count: u32) {
        self.engine_mut()
            .set_data_center_pool_servers(dc, pool, count);
    }

    /// Processes every event up to and including time `t`, but at most `max_events`
    /// (`u64::MAX`: no budget, which lets a stage-11 run bring its data centers forward side by
    /// side, see [`Sim::set_threads`]). Returns the number processed; when the budget runs out,
    /// [`Sim::now`] stays below `t`. The diagnosis looks at the state at each metrics
    /// interval's end on the way (stopping there changes no event's order); stage 11 on
    /// several threads with no budget does the whole call itself and observes at the same
    /// points (`Engine::advance_observed`).
    pub fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64 {
        #[cfg(not(target_arch = "wasm32"))]
        if max_events == u64::MAX {
            let Sim {
                engine, diagnoser, ..
            } = self;
            let engine: &mut dyn Engine = match engine {
                Which::Single(stack) => stack.as_mut(),
                Which::Geo(world) => world.as_mut(),
            };
            if let Some(done) = engine.advance_observed(t, diagnoser) {
                return done;
            }
        }
        let mut done = 0;
        loop {
            let due = self.diagnoser.next_at();
            let stop = due.min(t);
            let budget = match max_events {
                u64::MAX => u64::MAX,
                _ => max_events.saturating_sub(done),
            };
            done += self.engine_mut().advance_to(stop, budget);
            if self.now() < stop {
                return done;
            }
            // The budget can run out between two events due at `stop` itself, leaving the
            // clock at `stop` with work due then still waiting. Finish that instant (a few
            // events past the budget), so that "now ≥ t" always means "all that was due by t
            // has happened": otherwise a kill right after would land before those events, and
            // the diagnosis would look at a half-done instant (swarm seed 3072802).
            while self
                .engine_mut()
                .next_event_at()
                .is_some_and(|at| at <= stop)
            {
                done += self.engine_mut().advance_to(stop, INSTANT_STEP);
            }
            if stop == due {
                let snapshot = self.snapshot();
                let offered = offered_per_s_now(self);
                if snapshot.components.len() > self.diagnoser.known_components() {
                    let infos = self.engine().components().to_vec();
                    self.diagnoser.learn_components(&infos);
                }
                self.diagnoser.observe(&snapshot, offered);
            }
            if stop == t {
                return done;
            }
        }
    }

    /// Lets the run use up to `threads` threads (natively): at stage 11, calls to
    /// [`Sim::advance_to`] without a budget bring the data centers through each span between
    /// the world's own events side by side when at least two have work enough. The run is the
    /// same, event for event and byte for byte, whatever the number. 0 or 1 (the default): one
    /// thread. Callers that already run one simulation per core (sweeps, capacity searches)
    /// leave it at 1.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_threads(&mut self, threads: u32) {
        self.engine_mut().set_threads(threads);
    }

    /// How a stage-11 run brought its data centers forward so far: spans run side by side and
    /// one after another, and their events (`None` below stage 11).
    pub fn span_stats(&self) -> Option<SpanStats> {
        self.engine().span_stats()
    }

    /// Every incident the diagnosis found so far: closed ones, then those under way.
    pub fn incidents(&self) -> Vec<Incident> {
        self.diagnoser.incidents()
    }

    /// What the diagnosis says now: the incidents under way, or what limits the system.
    pub fn verdict(&self) -> Verdict {
        self.diagnoser.verdict()
    }

    /// Runs to the scenario's end and returns the report.
    pub fn run(&mut self) -> Report {
        self.advance_to(self.end, u64::MAX);
        self.report()
    }

    /// Whether a component is up.
    pub fn is_alive(&self, id: ComponentId) -> bool {
        self.engine().is_alive(id)
    }

    /// Takes a component down now.
    pub fn kill(&mut self, id: ComponentId) {
        let now = self.now();
        self.diagnoser.note_fault(now, usize::from(id.0), true);
        self.engine_mut().kill(id);
    }

    /// Brings a component back now (a slow one to normal speed).
    pub fn repair(&mut self, id: ComponentId) {
        let now = self.now();
        self.diagnoser.note_fault(now, usize::from(id.0), false);
        self.engine_mut().repair(id);
    }

    /// A grey failure now: the component (a web server, a database, cache or NoSQL node, the
    /// session store) stays up and passes its health checks but serves `factor` times slower
    /// (1: normal speed again). Other components are left alone.
    pub fn slow(&mut self, id: ComponentId, factor: f64) {
        if factor.is_finite() && (1.0..=crate::scenario::MAX_SLOW_FACTOR).contains(&factor) {
            if factor > 1.0 {
                let now = self.now();
                self.diagnoser.note_degraded(now, usize::from(id.0));
            }
            self.engine_mut().slow(id, factor);
        }
    }

    /// A flaky node now: the component (a web server, a database, cache or NoSQL node, the
    /// session store) stays up and passes its health checks but fails a share `ratio` (0–1) of
    /// the requests reaching it at once (0: healthy again). Other components are left alone.
    pub fn errors(&mut self, id: ComponentId, ratio: f64) {
        if (0.0..=1.0).contains(&ratio) {
            if ratio > 0.0 {
                let now = self.now();
                self.diagnoser.note_degraded(now, usize::from(id.0));
            }
            self.engine_mut().errors(id, ratio);
        }
    }

    /// The state now, for display.
    pub fn snapshot(&self) -> Snapshot {
        self.engine().snapshot()
    }

    /// Number of events waiting in the queue (for tests of boundedness).
    pub fn pending_events(&self) -> usize {
        self.engine().pending_events()
    }

    /// Roughly how many bytes a clone of this simulation allocates: the request slab, the
    /// per-user and per-key tables, the event queue and the cache contents, counted by their
    /// lengths (a clone allocates lengths, not the original's spare capacity; the small,
    /// bounded parts are left out). For snapshot budgets.
    pub fn footprint_bytes(&self) -> u64 {
        self.engine().footprint_bytes()
    }

    /// Stage 11: regions, data centers and what geoDNS answers now (`None` below stage 11).
    pub fn geo_status(&self) -> Option<GeoStatus> {
        self.engine().geo_status()
    }

    /// The report of the run so far.
    pub fn report(&self) -> Report {
        let mut report = self.engine().report();
        report.diagnosis = self.diagnoser.incidents();
        with_digest(report)
    }

    /// Reshards the data tier to `count` shards now (every data center's at stage 11): new
    /// shards start empty and are built like the others, and the keys whose shard changes are
    /// copied to it at the scenario's `migration_keys_per_s` (see `migration.rs`). Refused
    /// while an earlier one is copying.
    pub fn reshard(&mut self, count: u32) {
        self.engine_mut().reshard(0, count);
    }

    /// Reshards store `store` — the database behind a shard router: 0 the first, `n` the
    /// `n`-th further database, [`crate::scenario::Scenario::router_store`] — to `count`
    /// shards now, as [`Sim::reshard`] does the first. Nothing happens for a store no shard
    /// router splits.
    pub fn reshard_store(&mut self, store: usize, count: u32) {
        self.engine_mut().reshard(store, count);
    }

    /// The latest resharding and how far its copy has got (`None`: no resharding yet).
    pub fn reshard_progress(&self) -> Option<ReshardProgress> {
        self.engine().reshard_progress(0)
    }

    /// The latest resharding of store `store` (see [`Sim::reshard_store`]) and how far its
    /// copy has got (`None`: none yet, or no such store).
    pub fn reshard_progress_of(&self, store: usize) -> Option<ReshardProgress> {
        self.engine().reshard_progress(store)
    }

    /// Starts a rolling deploy of the web tier now (at stage 11, one data center at a time).
    /// Returns false (and logs why) if one is already under way or there is no server to
    /// deploy.
    pub fn start_deploy(&mut self, spec: &Deploy) -> bool {
        self.engine_mut().start_deploy(spec)
    }

    /// Whether a deploy is under way.
    pub fn deploy_running(&self) -> bool {
        self.engine().deploy_running()
    }

    /// Purges every object from the CDN edge (every data center's) now.
    pub fn cdn_purge_all(&mut self) {
        self.engine_mut().cdn_purge_all();
    }

    /// Publishes a new version of `object` (a new URL, e.g. `image.png?v=2`): the edge's copy
    /// of the old URL is never asked for again.
    pub fn cdn_new_version(&mut self, object: u32) {
        self.engine_mut().cdn_new_version(object);
    }

    /// Switches a failure mechanism on or off now, as its scenario option would have from the
    /// start: synchronous web workers, the circuit breaker ([`crate::scenario::live::LIVE_BREAKER`])
    /// or request coalescing (with a cache only). [`Sim::scenario`] says what is on.
    pub fn set_mechanism(&mut self, which: Mechanism, on: bool) {
        self.engine_mut().set_mechanism(which, on);
    }

    /// Switches request coalescing on or off at one cache cluster alone (0: the scenario's
    /// `cache`, `n`: `more_caches[n - 1]`, see [`Scenario::cache_number`]); the others keep
    /// theirs. A number the scenario does not have changes nothing.
    pub fn set_coalescing_at(&mut self, cache: usize, on: bool) {
        self.engine_mut().set_coalescing_at(cache, on);
    }

    /// Stage 11: cuts (`cut`) or heals the network between the data centers named `a` and `b`
    /// now, as a scheduled partition fault does (users still reach both; replication between
    /// them stops until it heals). Returns false, changing nothing, if they are not two of
    /// this run's data centers.
    pub fn partition(&mut self, a: &str, b: &str, cut: bool) -> bool {
        let now = self.now();
        let done = self.engine_mut().partition(a, b, cut);
        if done && cut {
            self.diagnoser.note_partition(now);
        }
        done
    }
}

impl super::PlugParams {
    /// Whether a component of this kind can be slowed (a grey failure): a fresh one is asked
    /// through the same hook the engine asks a running one (`Plug::slow`), so the answer is
    /// the kind's own. An API gateway can (it holds each request longer); a rate limiter cannot
    /// (it holds no request). Validation reads it for scheduled `slow` faults.
    pub fn can_be_slowed(&self) -> bool {
        super::components::registry::PlugPart::new(self).slow(Some(2.0))
    }
}

/// What [`Sim::advance_to`] does at each of the diagnoser's stops: `engine`'s snapshot and the
/// offered load at its time observed, components it has added since learnt first.
#[cfg(not(target_arch = "wasm32"))]
pub(super) fn observe(diagnoser: &mut Diagnoser, engine: &dyn Engine) {
    let snapshot = engine.snapshot();
    let scenario = engine.scenario();
    // As `offered_per_s_now`, at the engine's time.
    let offered =
        scenario.offered_rate_per_s() * scenario.traffic.profile.factor(engine.now().as_secs_f64());
    if snapshot.components.len() > diagnoser.known_components() {
        diagnoser.learn_components(engine.components());
    }
    diagnoser.observe(&snapshot, offered);
}
