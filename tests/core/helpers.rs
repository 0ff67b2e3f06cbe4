//! Scenario builders shared by the tests.

use scalesim::scenario::{preset, Dist, Fault, Scenario};
use scalesim::sim::{Report, Sim};

/// A stage-1 scenario reduced to a textbook queue: Poisson arrivals at `rate_per_s`, `workers`
/// exponential servers with mean `mean_ms`, an effectively unbounded line, no DNS effects.
pub fn textbook(
    workers: u32,
    rate_per_s: f64,
    mean_ms: f64,
    duration_s: u32,
    seed: u64,
) -> Scenario {
    let mut s = preset(1).unwrap();
    s.seed = seed;
    s.duration_s = duration_s;
    s.metrics_interval_ms = 60_000;
    s.traffic.users = 1000;
    s.traffic.requests_per_user_per_s = rate_per_s / 1000.0;
    s.traffic.client_timeout_ms = 600_000.0;
    s.dns.lookup_ms = 0.0;
    s.dns.ttl_s = 86_400;
    s.server.workers = workers;
    s.server.queue_capacity = 1_000_000;
    for d in [
        &mut s.server.service.page_view,
        &mut s.server.service.api_read,
        &mut s.server.service.write,
        &mut s.server.service.static_asset,
    ] {
        *d = Dist::exponential(mean_ms);
    }
    s
}

/// Builds and runs a scenario to its end.
/// The first registered component's figure `key` in `r` (it must report one).
pub fn plug_figure(r: &Report, key: &str) -> f64 {
    let plug = &r.plugs[0];
    (plug.figures.iter().find(|f| f.key == key))
        .map(|f| f.value)
        .unwrap_or_else(|| panic!("{} reports {key}", plug.name))
}

pub fn run(s: &Scenario) -> Report {
    Sim::new(s).expect("valid scenario").run()
}

/// Asserts generated = completed + failed + in flight, with a message naming the seed.
pub fn assert_conserved(r: &Report) {
    let q = &r.requests;
    let reasons = &q.failed_by_reason;
    assert_eq!(
        q.failed,
        reasons.queue_full
            + reasons.timeout
            + reasons.server_down
            + reasons.dns_down
            + reasons.no_healthy_server
            + reasons.db_down
            + reasons.session_store_down
            + reasons.rate_limited,
        "failures by reason must add up (seed {})",
        r.seed
    );
    assert_eq!(
        q.generated,
        q.completed + q.failed + q.in_flight,
        "conservation broken (seed {}): {q:?}",
        r.seed
    );
}

/// A fault of `target` from `at_s` for `duration_s` (0: until the end).
pub fn fault(target: &str, at_s: f64, duration_s: f64) -> Fault {
    Fault {
        target: target.into(),
        at_s,
        duration_s,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }
}

/// Runs the `scalesim` binary: (exit code, stdout, stderr).
pub fn scalesim(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The small stage 2 the mechanism tests were measured on (stage 2's preset before the shared
/// journey traffic model): 200 requests/s (1,000 users at 0.2 requests/s) on one eight-worker
/// web server that only renders (15 ms pages, 5 ms reads and writes, 2 ms files), and a
/// four-worker database (8 ms reads, 15 ms writes) about 40 % busy, so a ×4 slowdown takes it
/// past its capacity.
pub fn small_stage2() -> Scenario {
    let mut s = preset(2).unwrap();
    s.traffic.users = 1000;
    s.traffic.requests_per_user_per_s = 0.2;
    s.server.workers = 8;
    let service = &mut s.server.service;
    service.page_view.mean_ms = 15.0;
    service.page_view.cv = 1.0;
    service.api_read = Dist::exponential(5.0);
    service.write = Dist::exponential(5.0);
    service.static_asset.mean_ms = 2.0;
    let db = s.database.as_mut().unwrap();
    db.workers = 4;
    db.read = Dist::exponential(8.0);
    db.write = Dist::exponential(15.0);
    s
}

/// The small stage 4 the slow-master tests were measured on: [`small_stage2`]'s tiers at
/// 1,000 requests/s over four web servers behind the balancer, an eight-worker master and two
/// replicas applying one write per 9 ms (111 writes/s against about 100), 50 ms behind, with
/// stage 4's preset faults.
pub fn small_stage4() -> Scenario {
    let small = small_stage2();
    let mut s = preset(4).unwrap();
    s.traffic.users = 5000;
    s.traffic.requests_per_user_per_s = 0.2;
    s.server.count = 4;
    s.server.workers = small.server.workers;
    s.server.service = small.server.service;
    let db = s.database.as_mut().unwrap();
    let small_db = small.database.unwrap();
    db.workers = 8;
    db.read = small_db.read;
    db.write = small_db.write;
    db.replicas = 2;
    db.replication.delay_ms = 50.0;
    db.replication.apply_ms = 9.0;
    s
}
