//! Rolling deploys of a web pool: servers leave the load balancer in batches, drain (or not),
//! stop, start the new version, and rejoin once the balancer's health checks pass; then the
//! next batch goes.
//!
//! ```text
//!  batch k:  deregister ──drain: wait until no request of it is open (or the timeout)──▶ stop
//!            stop ──startup_s──▶ started ──healthy_threshold checks──▶ in the pool again
//!  next batch once every server of batch k is back; done when no server is left
//! ```
//!
//! Nothing is decided by chance: a request fails because it was in progress on a server that
//! stopped (it is failed exactly like on a crash, as `server_down`), or because it reached a
//! stopped server without a balancer in front. Sticky sessions held by a stopped server are
//! lost (the users are logged out), drained or not.
//!
//! [`DeployController`] owns the deploy under way, the finished ones, the scenario's scheduled
//! deploy and its events ([`DeployEvent`]). A deploy rolls one web pool (the scenario's
//! `deploy.pool`, the first without one); the other pools keep serving at full size. It is a
//! built-in kind on the registration (`built_ins!`): its events come back through
//! `Event::BuiltIn`, and each of its steps is handed the web tier as a [`DeployPort`] — which
//! servers of a pool are in service and up, their balancer view, starting a server, the
//! clock, the log and the event queue (`web_tier::WebPort`, made of the web tier, the
//! station table and the kernel; a test fakes it). Stopping a server fails the requests it
//! holds, which is the stack's business: the controller asks for it
//! ([`Follow::Stop`]) and goes on when the stack tells it what the stop cut
//! ([`Nudge::Stopped`]).

use crate::scenario::topology::NodeKind;
use crate::scenario::{Deploy, Scenario};
use crate::sim::components::balancer::Balancer;
use crate::sim::components::registry::{
    BuiltIn, BuiltInCtx, BuiltInEvent, Component, Follow, Nudge, OwnEvents,
};
use crate::sim::components::station::Station;
use crate::sim::components::web_pool::web_of_index;
use crate::sim::components::web_tier::WebPort;
use crate::sim::kernel::histogram::Histogram;
use crate::sim::kernel::run::Slot;
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::Sections;
use crate::sim::report::{DeployReport, LatencyReport};
use crate::sim::{ComponentKind, ComponentState, DeployStep, RequestKind};

/// How often a draining server is looked at (drain times are measured to this step).
const DRAIN_POLL: SimDuration = SimDuration::from_millis(5);

/// The deploy controller's own events.
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) enum DeployEvent {
    /// The scenario's scheduled deploy starts.
    Start,
    /// A server draining for deploy number `run` is looked at.
    DrainCheck { server: u16, run: u32 },
    /// A server stopped by deploy number `run` has started its new version.
    ServerStarted { server: u16, run: u32 },
}

/// What the deploy controller may see and do of the system it deploys to.
pub(in crate::sim) trait DeployPort {
    /// Simulated now.
    fn now(&self) -> SimTime;
    /// Servers ever added to web pool `pool` (`web-0` … ).
    fn servers(&self, pool: usize) -> usize;
    /// The name of server `server` of web pool `pool` (`web-3`, `web-api-1`).
    fn server_name(&self, pool: usize, server: usize) -> String;
    /// Whether server `server` of web pool `pool` is in service (not retired).
    fn in_service(&self, pool: usize, server: usize) -> bool;
    /// Whether server `server` of web pool `pool` is up.
    fn is_up(&self, pool: usize, server: usize) -> bool;
    /// The station serving server `server` of web pool `pool` (what the controller asks the
    /// stack to stop, [`Follow::Stop`]).
    fn station(&self, pool: usize, server: usize) -> u16;
    /// The number of the web pool named `name` (`web`: the first), if there is one.
    fn pool_named(&self, name: &str) -> Option<usize>;
    /// The load balancer's view of web pool `pool`, if there is a balancer.
    fn balancer(&mut self, pool: usize) -> Option<&mut Balancer>;
    /// Server `server` of web pool `pool` has started again (its new version).
    fn start(&mut self, pool: usize, server: usize);
    /// Requests failed so far.
    fn failed(&self) -> u64;
    /// Users logged out so far.
    fn logged_out(&self) -> u64;
    /// Adds an entry to the event log now.
    fn log(&mut self, component: &str, text: String);
    /// Schedules one of the controller's events.
    fn schedule(&mut self, at: SimTime, event: DeployEvent);
}

/// Where a server is in the deploy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Not yet taken out.
    Waiting,
    /// Out of the pool, finishing what it holds until `deadline`.
    Draining { since: SimTime, deadline: SimTime },
    /// Stopped; the new version is starting.
    Starting,
    /// Started; waiting for the balancer's health checks.
    Checking,
    /// Serving the new version (or left out: retired or dead).
    Done,
}

/// A deploy under way.
#[derive(Clone)]
struct DeployRun {
    spec: Deploy,
    /// The web pool it rolls.
    pool: usize,
    /// Number of this deploy in the run (events of older deploys are ignored).
    run: u32,
    /// Servers in deploy order.
    servers: Vec<usize>,
    /// Next server of `servers` to take out.
    next: usize,
    /// Phase per server index (servers added during the deploy are not part of it).
    phase: Vec<Phase>,
    batch: Vec<usize>,
    /// Next server of `batch` to take out (the batch's length once all are out).
    taking: usize,
    /// The server whose stop the controller asked for ([`Follow::Stop`]) and waits to hear
    /// of ([`Nudge::Stopped`]).
    stopping: Option<Stopping>,
    started_at: SimTime,
    failed_at_start: u64,
    logged_out_at_start: u64,
    batches: u32,
    drained: u32,
    drain_timeouts: u32,
    longest_drain: SimDuration,
    in_flight_at_stop: u64,
    requests_cut: u64,
    /// Latency of requests completed while the deploy runs.
    latency: Histogram,
}

/// A stop the controller asked the stack for.
#[derive(Clone)]
struct Stopping {
    server: usize,
    /// Why, for the log line.
    why: String,
    /// Whether the batch's take-out goes on once it has stopped (false: a drained server,
    /// stopped on its own).
    resume: bool,
}

/// The deploy controller: the deploy under way (if any), the finished ones and the
/// scenario's scheduled one.
#[derive(Clone, Default)]
pub(in crate::sim) struct DeployController {
    /// The rolling deploy under way.
    current: Option<DeployRun>,
    /// Deploys finished.
    pub done: Vec<DeployReport>,
    /// The scenario's scheduled deploy: when it starts, what it does and the number of the
    /// pool it rolls.
    scheduled: Option<(f64, Deploy, usize)>,
    /// Its own event handed back by the stack, waiting for the web tier to be lent
    /// ([`Follow::Drive`], then [`Nudge::Own`]).
    due: Option<DeployEvent>,
}

impl DeployController {
    /// Whether a deploy is under way.
    pub fn running(&self) -> bool {
        self.current.is_some()
    }

    /// A request completed in `latency_ns` (counted in the deploy under way, if any).
    #[inline]
    pub fn completed(&mut self, latency_ns: u64) {
        if let Some(d) = self.current.as_mut() {
            d.latency.record(latency_ns);
        }
    }

    /// Where the deploy under way has server `server` of web pool `pool` now.
    pub fn step_of(&self, pool: usize, server: usize) -> Option<DeployStep> {
        let d = self.current.as_ref().filter(|d| d.pool == pool)?;
        match d.phase.get(server)? {
            Phase::Draining { .. } => Some(DeployStep::Draining),
            Phase::Starting => Some(DeployStep::Starting),
            Phase::Checking => Some(DeployStep::HealthChecks),
            Phase::Waiting | Phase::Done => None,
        }
    }

    /// Takes its next step with the web tier lent as `port`: `nudge` says why (see
    /// [`Nudge`]). Returns [`Follow::Stop`] when it needs a server stopped (then the stack
    /// nudges it again with what the stop cut), else [`Follow::Nothing`].
    pub fn step(&mut self, nudge: Nudge, port: &mut impl DeployPort) -> Follow {
        match nudge {
            Nudge::Own => match self.due.take() {
                Some(event) => self.handle_event(event, port),
                None => Follow::Nothing,
            },
            Nudge::Checked => self.progress(port),
            Nudge::Stopped { in_flight, cut } => self.stopped(in_flight, cut, port),
        }
    }

    /// Handles one of its events.
    fn handle_event(&mut self, event: DeployEvent, port: &mut impl DeployPort) -> Follow {
        match event {
            DeployEvent::Start => match self.scheduled.clone() {
                Some((_, spec, pool)) => self.start(&spec, pool, port).1,
                None => Follow::Nothing,
            },
            DeployEvent::DrainCheck { server, run } => self.drain_check(server, run, port),
            DeployEvent::ServerStarted { server, run } => self.server_started(server, run, port),
        }
    }

    /// Starts a rolling deploy now of the web pool `spec.pool` names (the first without a
    /// name). Returns false (and logs why) if it names no pool of this run, and otherwise as
    /// [`DeployController::start`] does.
    pub fn start_named(&mut self, spec: &Deploy, port: &mut impl DeployPort) -> (bool, Follow) {
        let pool = match spec.pool.as_deref() {
            None => Some(0),
            Some(name) => port.pool_named(name),
        };
        let Some(pool) = pool else {
            let name: String = spec.pool.iter().flat_map(|p| p.chars()).take(40).collect();
            let text = format!("deploy: not started; this run has no web pool named {name}");
            port.log("deploy", text);
            return (false, Follow::Nothing);
        };
        self.start(spec, pool, port)
    }

    /// Starts a rolling deploy of web pool `pool` now. Returns false (and logs why) if one is
    /// already under way or there is no server to deploy; and what the stack must do next
    /// (see [`DeployController::step`]).
    pub fn start(
        &mut self,
        spec: &Deploy,
        pool: usize,
        port: &mut impl DeployPort,
    ) -> (bool, Follow) {
        if self.current.is_some() {
            port.log("deploy", "a deploy is already under way".to_string());
            return (false, Follow::Nothing);
        }
        let servers: Vec<usize> = (0..port.servers(pool))
            .filter(|&i| port.in_service(pool, i))
            .collect();
        if servers.is_empty() {
            return (false, Follow::Nothing);
        }
        let mut spec = spec.clone();
        spec.batch_size = spec.batch_size.clamp(1, servers.len() as u32);
        let with_balancer = port.balancer(pool).is_some();
        let how = match (with_balancer, spec.drain) {
            (false, _) => {
                "no load balancer: each server simply stops, a full outage while it starts"
                    .to_string()
            }
            (true, true) => format!("draining each (timeout {} ms)", spec.drain_timeout_ms),
            (true, false) => "without draining".to_string(),
        };
        port.log(
            "deploy",
            format!(
                "deploy #{} started: {} web servers{} in batches of {}, {how}; start-up {} s",
                self.done.len() + 1,
                servers.len(),
                spec.pool
                    .as_ref()
                    .map_or(String::new(), |p| format!(" of pool {p}")),
                spec.batch_size,
                spec.startup_s
            ),
        );
        self.current = Some(DeployRun {
            spec,
            run: self.done.len() as u32,
            pool,
            phase: vec![Phase::Waiting; port.servers(pool)],
            servers,
            next: 0,
            batch: Vec::new(),
            taking: 0,
            stopping: None,
            started_at: port.now(),
            failed_at_start: port.failed(),
            logged_out_at_start: port.logged_out(),
            batches: 0,
            drained: 0,
            drain_timeouts: 0,
            longest_drain: SimDuration::ZERO,
            in_flight_at_stop: 0,
            requests_cut: 0,
            latency: Histogram::new(),
        });
        (true, self.next_batch(port))
    }

    /// Takes the next batch out, or finishes the deploy when no server is left.
    fn next_batch(&mut self, port: &mut impl DeployPort) -> Follow {
        let Some(d) = self.current.as_mut() else {
            return Follow::Nothing;
        };
        let end = (d.next + d.spec.batch_size as usize).min(d.servers.len());
        if d.next == end {
            self.finish(port);
            return Follow::Nothing;
        }
        d.batch = d.servers[d.next..end].to_vec();
        d.next = end;
        d.batches += 1;
        d.taking = 0;
        let (number, pool) = (d.batches, d.pool);
        let names: Vec<String> = d.batch.iter().map(|&i| port.server_name(pool, i)).collect();
        port.log(
            "deploy",
            format!("deploy: batch {number}: {}", names.join(", ")),
        );
        self.take_out_rest(port)
    }

    /// Takes out the batch's servers not out yet, in order, until one must be stopped (the
    /// stack stops it, then [`DeployController::stopped`] goes on here); then moves on if the
    /// batch already serves again.
    fn take_out_rest(&mut self, port: &mut impl DeployPort) -> Follow {
        loop {
            let Some(d) = self.current.as_mut() else {
                return Follow::Nothing;
            };
            let Some(&server) = d.batch.get(d.taking) else {
                return self.progress(port);
            };
            d.taking += 1;
            let follow = self.take_out(server, port);
            if follow != Follow::Nothing {
                return follow;
            }
        }
    }

    /// Deregisters a server and drains or stops it.
    fn take_out(&mut self, server: usize, port: &mut impl DeployPort) -> Follow {
        let pool = self.pool();
        let name = port.server_name(pool, server);
        if !port.in_service(pool, server) || !port.is_up(pool, server) {
            self.set_phase(server, Phase::Done);
            port.log(
                &name,
                format!("deploy: {name} is out of service or down; skipped"),
            );
            return Follow::Nothing;
        }
        let Some(b) = port.balancer(pool) else {
            return self.stop(server, "no load balancer to take it out of", true, port);
        };
        b.deregister(server);
        let open = b.open_requests(server);
        let d = self.current.as_ref().expect("a deploy");
        if !d.spec.drain {
            let why = "taken out of the load balancer, not drained";
            return self.stop(server, why, true, port);
        }
        let now = port.now();
        let deadline = now + SimDuration::from_millis_f64(d.spec.drain_timeout_ms);
        let run = d.run;
        self.set_phase(
            server,
            Phase::Draining {
                since: now,
                deadline,
            },
        );
        port.log(
            &name,
            format!("deploy: {name} taken out of the load balancer; draining {open} requests in progress"),
        );
        let server = server as u16;
        port.schedule(now, DeployEvent::DrainCheck { server, run });
        Follow::Nothing
    }

    /// A draining server is looked at: stop it once empty or at the drain timeout.
    fn drain_check(&mut self, server: u16, run: u32, port: &mut impl DeployPort) -> Follow {
        let server = usize::from(server);
        let now = port.now();
        let Some(d) = self.current.as_mut() else {
            return Follow::Nothing;
        };
        let Some(&Phase::Draining { since, deadline }) =
            d.phase.get(server).filter(|_| d.run == run)
        else {
            return Follow::Nothing;
        };
        let open = port.balancer(d.pool).map_or(0, |b| b.open_requests(server));
        if open == 0 {
            d.drained += 1;
            d.longest_drain = d.longest_drain.max(now - since);
            let ms = (now - since).as_millis_f64();
            self.stop(server, &format!("drained in {ms:.0} ms"), false, port)
        } else if now >= deadline {
            d.drain_timeouts += 1;
            d.longest_drain = d.longest_drain.max(now - since);
            let why = format!("drain timeout with {open} requests still open");
            self.stop(server, &why, false, port)
        } else {
            let at = (now + DRAIN_POLL).min(deadline);
            let server = server as u16;
            port.schedule(at, DeployEvent::DrainCheck { server, run });
            Follow::Nothing
        }
    }

    /// Asks the stack to stop a server for the new version (whatever it still holds fails);
    /// `resume`: the batch's take-out goes on once it has stopped.
    fn stop(&mut self, server: usize, why: &str, resume: bool, port: &impl DeployPort) -> Follow {
        let d = self.current.as_mut().expect("a deploy");
        d.stopping = Some(Stopping {
            server,
            why: why.to_string(),
            resume,
        });
        Follow::Stop {
            station: port.station(d.pool, server),
        }
    }

    /// The server asked for has stopped: `in_flight` requests were in progress on it and
    /// `cut` of them failed with it. It starts the new version; the take-out goes on.
    fn stopped(&mut self, in_flight: u64, cut: u64, port: &mut impl DeployPort) -> Follow {
        let Some(d) = self.current.as_mut() else {
            return Follow::Nothing;
        };
        let Some(Stopping {
            server,
            why,
            resume,
        }) = d.stopping.take()
        else {
            return Follow::Nothing;
        };
        let name = port.server_name(d.pool, server);
        d.in_flight_at_stop += in_flight;
        d.requests_cut += cut;
        let (startup, run) = (d.spec.startup_s, d.run);
        self.set_phase(server, Phase::Starting);
        port.log(
            &name,
            format!("deploy: {name} stopped ({why}); {in_flight} requests in progress on it failed; the new version is ready in {startup} s"),
        );
        let at = port.now() + SimDuration::from_secs_f64(startup);
        let server = server as u16;
        port.schedule(at, DeployEvent::ServerStarted { server, run });
        if resume {
            self.take_out_rest(port)
        } else {
            Follow::Nothing
        }
    }

    /// The new version has started: the server rejoins through the health checks.
    fn server_started(&mut self, server: u16, run: u32, port: &mut impl DeployPort) -> Follow {
        let server = usize::from(server);
        let Some(d) = self.current.as_ref() else {
            return Follow::Nothing;
        };
        if d.run != run || d.phase.get(server) != Some(&Phase::Starting) {
            return Follow::Nothing;
        }
        let pool = d.pool;
        let name = port.server_name(pool, server);
        port.start(pool, server);
        let in_service = port.in_service(pool, server);
        match port.balancer(pool) {
            Some(b) if in_service => {
                b.register(server);
                self.set_phase(server, Phase::Checking);
                port.log(
                    &name,
                    format!("deploy: {name} started the new version; joins the pool once healthy"),
                );
            }
            _ => {
                self.set_phase(server, Phase::Done);
                port.log(
                    &name,
                    format!("deploy: {name} started the new version and serves again"),
                );
            }
        }
        self.progress(port)
    }

    /// Moves on when every server of the batch serves again (called after health checks too).
    fn progress(&mut self, port: &mut impl DeployPort) -> Follow {
        let Some(d) = self.current.as_mut() else {
            return Follow::Nothing;
        };
        for &server in &d.batch {
            if d.phase[server] == Phase::Checking {
                let in_service = port.in_service(d.pool, server);
                if !in_service || port.balancer(d.pool).is_none_or(|b| b.in_pool(server)) {
                    d.phase[server] = Phase::Done;
                }
            }
        }
        if d.batch.iter().all(|&s| d.phase[s] == Phase::Done) {
            return self.next_batch(port);
        }
        Follow::Nothing
    }

    /// The pool of the deploy under way (0 without one).
    fn pool(&self) -> usize {
        self.current.as_ref().map_or(0, |d| d.pool)
    }

    fn set_phase(&mut self, server: usize, phase: Phase) {
        if let Some(p) = self.current.as_mut().and_then(|d| d.phase.get_mut(server)) {
            *p = phase;
        }
    }

    fn finish(&mut self, port: &mut impl DeployPort) {
        let Some(d) = self.current.take() else {
            return;
        };
        let now = port.now();
        let report = Self::report_of(&d, Some(now), port.failed(), port.logged_out());
        port.log(
            "deploy",
            format!(
                "deploy #{} finished after {:.1} s: {} servers in {} batches; {} requests failed meanwhile, {} users logged out",
                d.run + 1,
                (now - d.started_at).as_secs_f64(),
                report.servers,
                report.batches,
                report.failed_during,
                report.logged_out_during
            ),
        );
        self.done.push(report);
    }

    /// Reports of every deploy: finished ones, then the one under way (without an end), given
    /// the requests failed and users logged out so far.
    pub fn reports(&self, failed: u64, logged_out: u64) -> Vec<DeployReport> {
        let mut out = self.done.clone();
        if let Some(d) = &self.current {
            out.push(Self::report_of(d, None, failed, logged_out));
        }
        out
    }

    fn report_of(
        d: &DeployRun,
        finished: Option<SimTime>,
        failed: u64,
        logged_out: u64,
    ) -> DeployReport {
        DeployReport {
            pool: d.spec.pool.clone(),
            started_at_s: d.started_at.as_secs_f64(),
            finished_at_s: finished.map(SimTime::as_secs_f64),
            servers: d.servers.len() as u32,
            batch_size: d.spec.batch_size,
            drain: d.spec.drain,
            batches: d.batches,
            drained: d.drained,
            drain_timeouts: d.drain_timeouts,
            longest_drain_ms: d.longest_drain.as_millis_f64(),
            in_flight_at_stop: d.in_flight_at_stop,
            requests_cut: d.requests_cut,
            failed_during: failed - d.failed_at_start,
            logged_out_during: logged_out - d.logged_out_at_start,
            latency_ms: LatencyReport::of(&d.latency),
        }
    }
}

impl Component for DeployController {}

/// The deploy controller on the registration: no component of its own in the run (it rolls
/// the web pools' servers), its events, its steps with the web tier lent as its port, the
/// latency of the requests completed while it runs, its step of each web server in the
/// snapshot and its part of the report.
impl BuiltIn for DeployController {
    /// It has no node of its own in the graph: it rolls the web pools.
    const NODE: NodeKind = NodeKind::WebPool;
    const DRIVES_WEB: bool = true;

    /// Every stack has one (a deploy can be started live); it keeps the scenario's scheduled
    /// deploy, if any (validation made sure it names one of the pools).
    fn of_scenario(scenario: &Scenario) -> Option<DeployController> {
        let scheduled = scenario.deploy.as_ref().and_then(|spec| {
            let pool = scenario.deploy_pool().unwrap_or(0);
            Some((spec.at_s?, spec.clone(), pool))
        });
        Some(DeployController {
            scheduled,
            ..DeployController::default()
        })
    }

    /// Every deploy (the one under way without an end), read after the web tier's part:
    /// the failures and the sticky sessions' logouts so far come from the sections.
    fn report_section(&self, _stations: &[Station], sections: &mut Sections<'_>) {
        let logged_out = sections.sessions.as_ref().map_or(0, |s| s.logged_out);
        sections.deploys = self.reports(sections.requests.failed, logged_out);
        sections.deploys_finished = self.done.len();
    }

    /// While a deploy runs (its report's latency).
    fn watches_completions(&self) -> bool {
        self.running()
    }

    #[inline]
    fn request_completed(&mut self, _kind: RequestKind, _taken_by: Option<u8>, latency_ns: u64) {
        self.completed(latency_ns);
    }

    /// The scheduled deploy's start.
    fn plan<R: Slot, E: Copy + From<BuiltInEvent>>(&self, ctx: &mut BuiltInCtx<'_, R, E>) {
        if let Some((at_s, ..)) = self.scheduled {
            ctx.schedule(SimTime::from_secs_f64(at_s), DeployEvent::Start);
        }
    }

    /// Where the deploy under way has a web server now.
    fn station_state(&self, kind: ComponentKind, index: u16, state: &mut ComponentState) {
        if kind == ComponentKind::Server {
            let (pool, server) = web_of_index(index);
            state.deploy = self.step_of(pool, server);
        }
    }

    fn drive<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        nudge: Nudge,
        port: &mut WebPort<'_, R, E>,
    ) -> Follow {
        self.step(nudge, port)
    }
}

impl OwnEvents<DeployEvent> for DeployController {
    /// Keeps the event for the step the stack then lends it the web tier for.
    fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: DeployEvent,
        _ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Follow {
        self.due = Some(event);
        Follow::Drive
    }
}

#[cfg(test)]
mod tests;
