//! Tests of the deploy controller alone: no engine, a fake web tier of three servers behind
//! its port (`DeployPort`), stopping servers as the stack does.

use super::*;
use crate::scenario::{BalancePolicy, LoadBalancer};
use crate::sim::kernel::queue::EventQueue;

/// A web tier of three servers behind a balancer, with no engine: stopping a server fails
/// the requests the balancer has open on it.
struct FakeWeb {
    now: SimTime,
    up: Vec<bool>,
    balancer: Option<Balancer>,
    events: EventQueue<DeployEvent>,
    log: Vec<String>,
    failed: u64,
}

impl DeployPort for FakeWeb {
    fn now(&self) -> SimTime {
        self.now
    }
    fn servers(&self, _pool: usize) -> usize {
        self.up.len()
    }
    fn server_name(&self, _pool: usize, server: usize) -> String {
        format!("web-{server}")
    }
    fn in_service(&self, _pool: usize, _server: usize) -> bool {
        true
    }
    fn is_up(&self, _pool: usize, server: usize) -> bool {
        self.up[server]
    }
    /// Each server on the station of its number.
    fn station(&self, _pool: usize, server: usize) -> u16 {
        server as u16
    }
    fn pool_named(&self, name: &str) -> Option<usize> {
        (name == "web").then_some(0)
    }
    fn balancer(&mut self, _pool: usize) -> Option<&mut Balancer> {
        self.balancer.as_mut()
    }
    fn start(&mut self, _pool: usize, server: usize) {
        self.up[server] = true;
    }
    fn failed(&self) -> u64 {
        self.failed
    }
    fn logged_out(&self) -> u64 {
        0
    }
    fn log(&mut self, component: &str, text: String) {
        self.log.push(format!("{component}: {text}"));
    }
    fn schedule(&mut self, at: SimTime, event: DeployEvent) {
        self.events.push(at, event);
    }
}

impl FakeWeb {
    /// Stops a server as the stack does: the requests the balancer has open on it fail.
    fn stop(&mut self, server: usize) -> (u64, u64) {
        self.up[server] = false;
        let open = u64::from(
            self.balancer
                .as_ref()
                .map_or(0, |b| b.open_requests(server)),
        );
        if let Some(b) = self.balancer.as_mut() {
            for _ in 0..open {
                b.close(server);
            }
        }
        self.failed += open;
        (open, open)
    }
}

/// Does what the controller asks of the stack: stops each server it asks to stop and
/// tells it what the stop cut, until it asks for nothing more.
fn settle(d: &mut DeployController, port: &mut FakeWeb, mut follow: Follow) {
    while let Follow::Stop { station } = follow {
        let (in_flight, cut) = port.stop(usize::from(station));
        follow = d.step(Nudge::Stopped { in_flight, cut }, port);
    }
    assert_eq!(follow, Follow::Nothing);
}

/// Starts a deploy of pool 0 and does what it asks; returns whether it started.
fn start(d: &mut DeployController, spec: &Deploy, port: &mut FakeWeb) -> bool {
    let (started, follow) = d.start(spec, 0, port);
    settle(d, port, follow);
    started
}

fn web(with_balancer: bool) -> FakeWeb {
    let mut balancer = Balancer::new(
        &LoadBalancer {
            policy: BalancePolicy::RoundRobin,
            latency_ms: 0.5,
            health_interval_ms: 1000.0,
            unhealthy_threshold: 2,
            healthy_threshold: 2,
        },
        0,
        "web",
    );
    // Each server on the station of its number (what the port's `up` is indexed by).
    for s in 0..3 {
        balancer.add_server(true, s);
    }
    FakeWeb {
        now: SimTime::ZERO,
        up: vec![true; 3],
        balancer: with_balancer.then_some(balancer),
        events: EventQueue::new(),
        log: Vec::new(),
        failed: 0,
    }
}

fn spec(drain: bool) -> Deploy {
    Deploy {
        at_s: None,
        batch_size: 2,
        drain,
        drain_timeout_ms: 100.0,
        startup_s: 5.0,
        pool: None,
    }
}

/// Runs the deploy's events (and a health-check round each second) until it is done.
fn run(d: &mut DeployController, port: &mut FakeWeb) {
    let mut next_check = SimTime::from_secs(1);
    for _ in 0..1000 {
        if !d.running() {
            return;
        }
        let event_at = port.events.peek().map(|(at, _)| at);
        if event_at.is_some_and(|at| at <= next_check) {
            let (at, event) = port.events.pop_until(next_check).expect("an event");
            port.now = at;
            let follow = d.handle_event(event, port);
            settle(d, port, follow);
        } else {
            port.now = next_check;
            let up = port.up.clone();
            if let Some(b) = port.balancer.as_mut() {
                b.check(|s| up[s]);
            }
            let follow = d.step(Nudge::Checked, port);
            settle(d, port, follow);
            next_check += SimDuration::from_secs(1);
        }
    }
    panic!("the deploy never finished");
}

#[test]
fn a_drained_deploy_goes_batch_by_batch_and_waits_for_the_health_checks() {
    let mut port = web(true);
    // web-0 has two requests open that never finish: its drain times out.
    let b = port.balancer.as_mut().expect("a balancer");
    b.open(0);
    b.open(0);
    let mut d = DeployController::default();
    assert!(start(&mut d, &spec(true), &mut port));
    assert_eq!(d.step_of(0, 0), Some(DeployStep::Draining));
    assert_eq!(d.step_of(0, 2), None, "web-2 waits for the second batch");
    assert!(
        !start(&mut d, &spec(true), &mut port),
        "one deploy at a time"
    );
    run(&mut d, &mut port);
    let report = &d.reports(port.failed, 0)[0];
    assert_eq!(report.batches, 2);
    assert_eq!((report.drained, report.drain_timeouts), (2, 1));
    assert_eq!(report.longest_drain_ms, 100.0);
    assert_eq!((report.in_flight_at_stop, report.requests_cut), (2, 2));
    assert_eq!(report.failed_during, 2);
    // Batch 1: web-1 drained at once and web-0 stopped at 0.1 s (the drain timeout); they
    // started at 5 s and 5.1 s and passed two checks by 6 s and 7 s. Batch 2 (web-2) then
    // stopped at 7 s, started at 12 s and passed its checks at 12 s and 13 s.
    assert_eq!(report.finished_at_s, Some(13.0));
    assert!(port.log.iter().any(|l| l
        == "web-0: deploy: web-0 stopped (drain timeout with 2 requests still open); 2 requests in progress on it failed; the new version is ready in 5 s"));
    assert!(port.log.last().expect("a log").starts_with(
        "deploy: deploy #1 finished after 13.0 s: 3 servers in 2 batches; 2 requests failed"
    ));
}

#[test]
fn without_a_balancer_each_server_simply_stops_and_serves_once_started() {
    let mut port = web(false);
    port.up[2] = false;
    let mut d = DeployController::default();
    assert!(start(&mut d, &spec(true), &mut port));
    assert!(port.log[0].contains("no load balancer: each server simply stops"));
    assert_eq!(d.step_of(0, 0), Some(DeployStep::Starting));
    run(&mut d, &mut port);
    let report = &d.done[0];
    // No health checks to wait for: both batches take the start-up time; web-2, down, is
    // skipped.
    assert_eq!(report.finished_at_s, Some(5.0));
    assert_eq!(report.drained, 0);
    assert!(port
        .log
        .iter()
        .any(|l| l == "web-2: deploy: web-2 is out of service or down; skipped"));
}
