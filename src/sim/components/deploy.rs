//! Rolling deploys of the web tier: servers leave the load balancer in batches, drain (or not),
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

use crate::scenario::Deploy;
use crate::sim::handle::Engine;
use crate::sim::kernel::histogram::Histogram;
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::{DeployReport, LatencyReport};
use crate::sim::stack::{Event, Stack};
use crate::sim::DeployStep;

/// How often a draining server is looked at (drain times are measured to this step).
const DRAIN_POLL: SimDuration = SimDuration(5_000_000);

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
pub(in crate::sim) struct DeployRun {
    spec: Deploy,
    /// Number of this deploy in the run (events of older deploys are ignored).
    run: u32,
    /// Servers in deploy order.
    servers: Vec<usize>,
    /// Next server of `servers` to take out.
    next: usize,
    /// Phase per server index (servers added during the deploy are not part of it).
    phase: Vec<Phase>,
    batch: Vec<usize>,
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
    pub(in crate::sim) latency: Histogram,
}

impl Stack {
    /// Starts a rolling deploy of the web tier now. Returns false (and logs why) if one is
    /// already under way or there is no server to deploy.
    pub fn start_deploy(&mut self, spec: &Deploy) -> bool {
        if self.deploy.is_some() {
            self.log_event("deploy", "a deploy is already under way".to_string());
            return false;
        }
        let servers: Vec<usize> = (0..self.web.len())
            .filter(|&i| !self.web_retired[i])
            .collect();
        if servers.is_empty() {
            return false;
        }
        let mut spec = spec.clone();
        spec.batch_size = spec.batch_size.clamp(1, servers.len() as u32);
        let with_balancer = self.balancer.is_some();
        let how = match (with_balancer, spec.drain) {
            (false, _) => {
                "no load balancer: each server simply stops, a full outage while it starts"
                    .to_string()
            }
            (true, true) => format!("draining each (timeout {} ms)", spec.drain_timeout_ms),
            (true, false) => "without draining".to_string(),
        };
        self.log_event(
            "deploy",
            format!(
                "deploy #{} started: {} web servers in batches of {}, {how}; start-up {} s",
                self.deploys_done.len() + 1,
                servers.len(),
                spec.batch_size,
                spec.startup_s
            ),
        );
        let failed_at_start = self.kernel.books.failed.iter().sum();
        self.deploy = Some(DeployRun {
            spec,
            run: self.deploys_done.len() as u32,
            phase: vec![Phase::Waiting; self.web.len()],
            servers,
            next: 0,
            batch: Vec::new(),
            started_at: self.now(),
            failed_at_start,
            logged_out_at_start: self.logged_out(),
            batches: 0,
            drained: 0,
            drain_timeouts: 0,
            longest_drain: SimDuration::ZERO,
            in_flight_at_stop: 0,
            requests_cut: 0,
            latency: Histogram::new(),
        });
        self.next_deploy_batch();
        true
    }

    /// Where the deploy under way has web server `server` now.
    pub(in crate::sim) fn deploy_step_of(&self, server: usize) -> Option<DeployStep> {
        match self.deploy.as_ref()?.phase.get(server)? {
            Phase::Draining { .. } => Some(DeployStep::Draining),
            Phase::Starting => Some(DeployStep::Starting),
            Phase::Checking => Some(DeployStep::HealthChecks),
            Phase::Waiting | Phase::Done => None,
        }
    }

    /// Whether a deploy is under way.
    pub fn deploy_running(&self) -> bool {
        self.deploy.is_some()
    }

    /// Takes the next batch out, or finishes the deploy when no server is left.
    fn next_deploy_batch(&mut self) {
        let Some(d) = self.deploy.as_mut() else {
            return;
        };
        let end = (d.next + d.spec.batch_size as usize).min(d.servers.len());
        if d.next == end {
            self.finish_deploy();
            return;
        }
        d.batch = d.servers[d.next..end].to_vec();
        d.next = end;
        d.batches += 1;
        let (batch, number) = (d.batch.clone(), d.batches);
        let names: Vec<String> = batch.iter().map(|i| format!("web-{i}")).collect();
        self.log_event(
            "deploy",
            format!("deploy: batch {number}: {}", names.join(", ")),
        );
        for server in batch {
            self.take_out_for_deploy(server);
        }
        self.deploy_progress();
    }

    /// Deregisters a server and drains or stops it.
    fn take_out_for_deploy(&mut self, server: usize) {
        let name = format!("web-{server}");
        let station = self.web[server];
        if self.web_retired[server] || !self.stations[usize::from(station)].alive {
            self.set_phase(server, Phase::Done);
            self.log_event(
                &name,
                format!("deploy: {name} is out of service or down; skipped"),
            );
            return;
        }
        let Some(b) = self.balancer.as_mut() else {
            self.stop_for_deploy(server, "no load balancer to take it out of");
            return;
        };
        b.deregister(server);
        let open = b.open_requests(server);
        let d = self.deploy.as_ref().expect("a deploy");
        if !d.spec.drain {
            self.stop_for_deploy(server, "taken out of the load balancer, not drained");
            return;
        }
        let now = self.now();
        let deadline = now.plus(SimDuration::from_millis_f64(d.spec.drain_timeout_ms));
        let run = d.run;
        self.set_phase(
            server,
            Phase::Draining {
                since: now,
                deadline,
            },
        );
        self.log_event(
            &name,
            format!("deploy: {name} taken out of the load balancer; draining {open} requests in progress"),
        );
        self.events.push(
            now,
            Event::DeployDrainCheck {
                server: server as u16,
                run,
            },
        );
    }

    /// A draining server is looked at: stop it once empty or at the drain timeout.
    pub(in crate::sim) fn on_deploy_drain_check(&mut self, server: u16, run: u32) {
        let server = usize::from(server);
        let now = self.now();
        let Some(d) = self.deploy.as_mut() else {
            return;
        };
        let Some(&Phase::Draining { since, deadline }) =
            d.phase.get(server).filter(|_| d.run == run)
        else {
            return;
        };
        let open = self
            .balancer
            .as_ref()
            .map_or(0, |b| b.open_requests(server));
        if open == 0 {
            d.drained += 1;
            d.longest_drain = d.longest_drain.max(now.since(since));
            let ms = now.since(since).as_millis_f64();
            self.stop_for_deploy(server, &format!("drained in {ms:.0} ms"));
        } else if now >= deadline {
            d.drain_timeouts += 1;
            d.longest_drain = d.longest_drain.max(now.since(since));
            self.stop_for_deploy(
                server,
                &format!("drain timeout with {open} requests still open"),
            );
        } else {
            let at = now.plus(DRAIN_POLL).min(deadline);
            self.events.push(
                at,
                Event::DeployDrainCheck {
                    server: server as u16,
                    run,
                },
            );
        }
    }

    /// Stops a server for the new version: whatever it still holds fails.
    fn stop_for_deploy(&mut self, server: usize, why: &str) {
        let name = format!("web-{server}");
        let station = self.web[server];
        let in_flight = self.requests_of_web(station);
        let cut = if self.stations[usize::from(station)].alive {
            self.fail_everything_at(station)
        } else {
            0
        };
        let d = self.deploy.as_mut().expect("a deploy");
        d.in_flight_at_stop += in_flight;
        d.requests_cut += cut;
        let (startup, run) = (d.spec.startup_s, d.run);
        self.set_phase(server, Phase::Starting);
        self.log_event(
            &name,
            format!("deploy: {name} stopped ({why}); {in_flight} requests in progress on it failed; the new version is ready in {startup} s"),
        );
        self.events.push(
            self.now().plus(SimDuration::from_secs_f64(startup)),
            Event::DeployServerStarted {
                server: server as u16,
                run,
            },
        );
    }

    /// The new version has started: the server rejoins through the health checks.
    pub(in crate::sim) fn on_deploy_server_started(&mut self, server: u16, run: u32) {
        let server = usize::from(server);
        let Some(d) = self.deploy.as_ref() else {
            return;
        };
        if d.run != run || d.phase.get(server) != Some(&Phase::Starting) {
            return;
        }
        let now = self.now();
        let name = format!("web-{server}");
        let s = &mut self.stations[usize::from(self.web[server])];
        s.account(now);
        s.alive = true;
        let retired = self.web_retired[server];
        match self.balancer.as_mut() {
            Some(b) if !retired => {
                b.register(server);
                self.set_phase(server, Phase::Checking);
                self.log_event(
                    &name,
                    format!("deploy: {name} started the new version; joins the pool once healthy"),
                );
            }
            _ => {
                self.set_phase(server, Phase::Done);
                self.log_event(
                    &name,
                    format!("deploy: {name} started the new version and serves again"),
                );
            }
        }
        self.deploy_progress();
    }

    /// Moves on when every server of the batch serves again (called after health checks too).
    pub(in crate::sim) fn deploy_progress(&mut self) {
        let Some(d) = self.deploy.as_mut() else {
            return;
        };
        let balancer = self.balancer.as_ref();
        for &server in &d.batch {
            if d.phase[server] == Phase::Checking
                && (balancer.is_none_or(|b| b.in_pool(server)) || self.web_retired[server])
            {
                d.phase[server] = Phase::Done;
            }
        }
        if d.batch.iter().all(|&s| d.phase[s] == Phase::Done) {
            self.next_deploy_batch();
        }
    }

    fn set_phase(&mut self, server: usize, phase: Phase) {
        if let Some(p) = self.deploy.as_mut().and_then(|d| d.phase.get_mut(server)) {
            *p = phase;
        }
    }

    fn finish_deploy(&mut self) {
        let Some(d) = self.deploy.take() else {
            return;
        };
        let now = self.now();
        let report = self.deploy_report(&d, Some(now));
        self.log_event(
            "deploy",
            format!(
                "deploy #{} finished after {:.1} s: {} servers in {} batches; {} requests failed meanwhile, {} users logged out",
                d.run + 1,
                now.since(d.started_at).as_secs_f64(),
                report.servers,
                report.batches,
                report.failed_during,
                report.logged_out_during
            ),
        );
        self.deploys_done.push(report);
    }

    /// Reports of every deploy: finished ones, then the one under way (without an end).
    pub(in crate::sim) fn deploy_reports(&self) -> Vec<DeployReport> {
        let mut out = self.deploys_done.clone();
        if let Some(d) = &self.deploy {
            out.push(self.deploy_report(d, None));
        }
        out
    }

    fn deploy_report(&self, d: &DeployRun, finished: Option<SimTime>) -> DeployReport {
        let failed: u64 = self.kernel.books.failed.iter().sum();
        DeployReport {
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
            logged_out_during: self.logged_out() - d.logged_out_at_start,
            latency_ms: LatencyReport::of(&d.latency),
        }
    }
}
