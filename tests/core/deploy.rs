//! Rolling deploys: drained ones fail nothing, undrained ones fail exactly what the stopped
//! servers held, a batch of every server is an outage, sticky sessions are lost, and without a
//! balancer a deploy is a full outage. Fixed seeds; every test checks conservation.

use crate::helpers::{assert_conserved, run};
use scalesim::scenario::{decode, encode, preset, Deploy, Dist, Scenario, SessionMode, Sessions};
use scalesim::sim::{ComponentKind, DeployStep, Report, Sim};

/// Stage 3 cut to three web servers behind a balancer, 600 requests/s (60,000 users), without
/// its fault, for 60 s, with a deploy at 10 s.
fn stage3_deploy(batch_size: u32, drain: bool) -> Scenario {
    let mut s = preset(3).unwrap();
    s.server.count = 3;
    s.traffic.users = 60_000;
    s.seed = 11;
    s.duration_s = 60;
    s.faults.clear();
    s.deploy = Some(Deploy {
        at_s: Some(10.0),
        batch_size,
        drain,
        drain_timeout_ms: 5000.0,
        startup_s: 5.0,
        pool: None,
    });
    s
}

fn only_deploy(r: &Report) -> &scalesim::sim::DeployReport {
    assert_eq!(r.deploys.len(), 1, "one deploy (seed {})", r.seed);
    &r.deploys[0]
}

#[test]
fn a_drained_rolling_deploy_fails_no_request() {
    let s = stage3_deploy(1, true);
    let r = run(&s);
    assert_conserved(&r);
    let d = only_deploy(&r);
    assert_eq!(r.requests.failed, 0, "{:?}", r.requests);
    assert_eq!(d.servers, 3);
    assert_eq!(d.batches, 3);
    assert_eq!(d.drained, 3);
    assert_eq!(d.drain_timeouts, 0);
    assert_eq!(d.in_flight_at_stop, 0);
    let finished = d.finished_at_s.expect("finished within the run");
    // Each server: a drain, 5 s of start-up, then two passed health checks (2 s apart).
    assert!(
        (10.0 + 3.0 * 5.0..=10.0 + 3.0 * 9.0).contains(&finished),
        "finished at {finished}"
    );
    // A bounded latency bump: two servers carry the load of three meanwhile.
    let mut without = s.clone();
    without.deploy = None;
    let base = run(&without);
    assert!(
        d.latency_ms.p99 < 2.0 * base.latency_ms.p99,
        "p99 during the deploy {} vs {} without",
        d.latency_ms.p99,
        base.latency_ms.p99
    );
    // Every step is in the event log.
    let log: Vec<&str> = r.events.iter().map(|e| e.text.as_str()).collect();
    for server in 0..3 {
        for step in [
            "taken out of the load balancer",
            "stopped (drained",
            "started the new version",
        ] {
            assert!(
                log.iter()
                    .any(|t| t.contains(&format!("web-{server} {step}"))),
                "web-{server}: no '{step}' in the log"
            );
        }
    }
    assert!(log.iter().any(|t| t.contains("deploy #1 finished")));
}

#[test]
fn an_undrained_deploy_fails_exactly_the_requests_in_flight_on_the_stopped_servers() {
    let r = run(&stage3_deploy(1, false));
    assert_conserved(&r);
    let d = only_deploy(&r);
    assert!(d.in_flight_at_stop > 0, "{d:?}");
    assert_eq!(r.requests.failed, d.in_flight_at_stop, "{:?}", r.requests);
    assert_eq!(r.requests.failed_by_reason.server_down, d.in_flight_at_stop);
    assert_eq!(d.failed_during, d.in_flight_at_stop);
    assert_eq!(d.drained, 0);
}

#[test]
fn a_zero_drain_timeout_cuts_like_no_draining() {
    let mut s = stage3_deploy(1, true);
    s.deploy.as_mut().unwrap().drain_timeout_ms = 0.0;
    let r = run(&s);
    assert_conserved(&r);
    let d = only_deploy(&r);
    assert_eq!(d.drain_timeouts, 3, "{d:?}");
    assert!(d.in_flight_at_stop > 0);
    assert_eq!(r.requests.failed, d.in_flight_at_stop);
}

#[test]
fn a_batch_of_every_server_is_an_outage_even_drained() {
    let r = run(&stage3_deploy(3, true));
    assert_conserved(&r);
    let d = only_deploy(&r);
    assert_eq!(d.batches, 1);
    assert_eq!(d.in_flight_at_stop, 0, "drained: nothing cut");
    // No server in the pool for start-up + health checks: ~600 requests/s turned away.
    let refused = r.requests.failed_by_reason.no_healthy_server;
    assert!(refused > 600 * 5, "{:?}", r.requests);
    assert_eq!(r.requests.failed, refused);
}

#[test]
fn sticky_sessions_are_lost_in_a_deploy_even_when_drained() {
    let mut s = stage3_deploy(1, true);
    s.sessions = Some(Sessions {
        mode: SessionMode::Sticky,
        store_workers: 1,
        store_get: Dist::exponential(1.0),
    });
    let r = run(&s);
    assert_conserved(&r);
    let d = only_deploy(&r);
    assert_eq!(r.requests.failed, 0, "{:?}", r.requests);
    // Every user who had a session on a restarted server is logged out: with 3000 users
    // spread over three servers, about a third at each stop.
    assert!(d.logged_out_during > 1000, "{d:?}");
    assert_eq!(r.sessions.as_ref().unwrap().logged_out, d.logged_out_during);
}

#[test]
fn without_a_balancer_a_deploy_is_a_full_outage() {
    let mut s = preset(2).unwrap();
    s.seed = 5;
    s.duration_s = 30;
    s.deploy = Some(Deploy {
        at_s: Some(10.0),
        batch_size: 1,
        drain: false,
        drain_timeout_ms: 0.0,
        startup_s: 5.0,
        pool: None,
    });
    let r = run(&s);
    assert_conserved(&r);
    let d = only_deploy(&r);
    assert_eq!(d.finished_at_s, Some(15.0));
    // 20,000 users × 0.01 requests/s = 200 requests/s, all refused for 5 s.
    let down = r.requests.failed_by_reason.server_down;
    assert!((900..=1100).contains(&down), "{:?}", r.requests);
    assert_eq!(r.requests.failed, down);
}

#[test]
fn a_live_deploy_runs_once_at_a_time_and_is_reproducible() {
    let mut s = stage3_deploy(1, true);
    s.deploy = None;
    let spec = Deploy {
        at_s: None,
        batch_size: 2,
        drain: true,
        drain_timeout_ms: 2000.0,
        startup_s: 3.0,
        pool: None,
    };
    let live = || {
        let mut sim = Sim::new(&s).unwrap();
        sim.advance_to(scalesim::sim::SimTime::from_secs(10), u64::MAX);
        assert!(sim.start_deploy(&spec));
        assert!(sim.deploy_running());
        // The first batch (web-0, web-1) is draining; web-2 waits its turn.
        let steps: Vec<Option<DeployStep>> = sim
            .snapshot()
            .components
            .iter()
            .filter(|c| sim.components()[usize::from(c.id.0)].kind == ComponentKind::Server)
            .map(|c| c.deploy)
            .collect();
        assert_eq!(
            steps,
            [Some(DeployStep::Draining), Some(DeployStep::Draining), None]
        );
        assert!(!sim.start_deploy(&spec), "a second deploy waits");
        sim.run()
    };
    let (a, b) = (live(), live());
    assert_eq!(a.digest, b.digest, "same seed, same run");
    assert_conserved(&a);
    let d = only_deploy(&a);
    assert_eq!(d.batches, 2, "3 servers in batches of 2");
    assert_eq!(a.requests.failed, 0);
}

#[test]
fn impossible_deploy_settings_are_refused_with_a_reason() {
    let mut s = stage3_deploy(0, true);
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("deploy.batch_size"), "{e}");
    s = preset(1).unwrap();
    s.deploy = Some(Deploy {
        at_s: Some(1.0),
        batch_size: 1,
        drain: true,
        drain_timeout_ms: 1000.0,
        startup_s: 1.0,
        pool: None,
    });
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("draining needs a load balancer"), "{e}");
}

#[test]
fn deploy_settings_travel_in_links_and_presets_stay_unchanged() {
    let s = stage3_deploy(2, false);
    assert_eq!(decode(&encode(&s)).unwrap(), s);
    for stage in 1..=10 {
        assert!(preset(stage).unwrap().deploy.is_none());
        assert!(run_short(stage).deploys.is_empty());
    }
}

fn run_short(stage: u8) -> Report {
    let mut s = preset(stage).unwrap();
    s.duration_s = 2;
    run(&s)
}

/// Deploys over every stage with a balancer, with faults and live changes crossing them: runs
/// finish, requests are conserved, and a deploy never leaves a server out of the pool for good.
#[test]
fn deploys_mixed_with_faults_and_live_changes_keep_the_books() {
    for stage in 3..=10u8 {
        for (seed, batch_size, drain) in [(1, 1, true), (2, 2, false), (3, 1000, true)] {
            let mut s = preset(stage).unwrap();
            s.seed = seed;
            // Up to 8 servers one by one, each ≤ 2 s of start-up + 2 checks 2 s apart.
            s.server.count = s.server.count.min(8);
            if let Some(a) = &mut s.autoscaling {
                a.min_servers = a.min_servers.min(8);
            }
            s.duration_s = 70;
            s.traffic.users /= 10;
            s.faults = vec![crate::helpers::fault("web-0", 6.0, 8.0)];
            s.deploy = Some(Deploy {
                at_s: Some(5.0),
                batch_size,
                drain,
                drain_timeout_ms: 300.0,
                startup_s: 2.0,
                pool: None,
            });
            let mut sim = Sim::new(&s).unwrap();
            sim.advance_to(scalesim::sim::SimTime::from_secs(7), u64::MAX);
            sim.set_web_servers(s.server.count + 1);
            sim.advance_to(scalesim::sim::SimTime::from_secs(9), u64::MAX);
            sim.set_web_servers(s.server.count.saturating_sub(1).max(1));
            let r = sim.run();
            assert_conserved(&r);
            let d = only_deploy(&r);
            assert!(
                d.finished_at_s.is_some(),
                "stage {stage} seed {seed}: deploy unfinished: {d:?}"
            );
            let snap = sim.snapshot();
            let out_of_pool = snap
                .components
                .iter()
                .filter(|c| c.alive && !c.in_pool && !c.retired && c.workers > 0)
                .filter(|c| sim.components()[usize::from(c.id.0)].kind == ComponentKind::Server)
                .count();
            assert_eq!(
                out_of_pool, 0,
                "stage {stage} seed {seed}: servers left out"
            );
        }
    }
}

/// Stage 11: a rolling deploy whose servers are restarting in a data center that goes down
/// meanwhile leaves them down with it (the swarm found them back up inside a dead data center,
/// graph seed 228 with its stage-11 deploys): they come back with the data center.
#[test]
fn a_deploy_does_not_restart_servers_in_a_data_center_that_is_down() {
    use scalesim::scenario::{Fault, FaultKind};
    use scalesim::sim::SimTime;
    let mut s = preset(11).unwrap();
    s.faults.clear();
    s.traffic.users = 200_000;
    s.duration_s = 30;
    let dc = s.geo.as_ref().unwrap().data_centers[0].name.clone();
    // Every server of the first data center stops at 5 s and starts again 5 s later; the data
    // center is down from 6 s to 20 s.
    s.deploy = Some(Deploy {
        at_s: Some(5.0),
        batch_size: 100,
        drain: false,
        drain_timeout_ms: 0.0,
        startup_s: 5.0,
        pool: None,
    });
    s.faults.push(Fault {
        target: dc.clone(),
        at_s: 6.0,
        duration_s: 14.0,
        kind: FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    });
    s.validate().expect("valid");
    let mut sim = Sim::new(&s).unwrap();
    let servers = |sim: &Sim| -> Vec<(String, bool)> {
        let snap = sim.snapshot();
        (sim.components().iter())
            .filter(|c| c.kind == ComponentKind::Server && c.name.starts_with(&format!("{dc}/")))
            .map(|c| {
                let alive = snap.components.iter().find(|x| x.id == c.id).unwrap().alive;
                (c.name.clone(), alive)
            })
            .collect()
    };
    sim.advance_to(SimTime::from_secs(12), u64::MAX);
    let inside = servers(&sim);
    assert!(!inside.is_empty());
    assert!(inside.iter().all(|(_, alive)| !alive), "{inside:?}");
    let log: Vec<String> = sim.log().map(|e| e.text.clone()).collect();
    assert!(
        log.iter()
            .any(|t| t.contains("deploy: web-0 started the new version")),
        "{log:#?}"
    );
    // Back with their data center.
    sim.advance_to(SimTime::from_secs(22), u64::MAX);
    assert!(
        servers(&sim).iter().all(|(_, alive)| *alive),
        "{:?}",
        servers(&sim)
    );
    assert_conserved(&sim.run());
}

/// The deploy report's latency counts exactly the requests completed while the deploy ran:
/// the controller is told of completions from its start to its end (since session 17 the
/// stack tells only the kinds watching completions at the time, asked after each of the
/// controller's steps). Both start and end fall on metrics-interval ends, so the series
/// counts the same requests.
#[test]
fn a_deploys_latency_counts_the_requests_completed_while_it_ran() {
    let r = run(&stage3_deploy(1, true));
    let d = only_deploy(&r);
    let (start, end) = (d.started_at_s, d.finished_at_s.expect("it finished"));
    assert_eq!(start.fract(), 0.0);
    assert_eq!(end.fract(), 0.0);
    let during: u64 = (r.series.iter())
        .filter(|p| p.t_s > start && p.t_s <= end)
        .map(|p| p.completed)
        .sum();
    assert!(
        during > 10_000,
        "{during} requests completed during the deploy"
    );
    assert_eq!(d.latency_ms.count, during);
}

/// The NoSQL stores and the deploy controller watch completions through one list, which the
/// stack makes again after each step of the deploy: the deploy's latency still counts exactly
/// the requests completed while it ran, and the NoSQL store, on the list from the start, is
/// not dropped from it when the deploy starts or ends — its own and the relational tier's
/// latencies together count every completed request that touched data, over the whole run.
#[test]
fn a_nosql_store_and_a_deploy_both_count_their_completions() {
    let mut s = stage3_deploy(1, true);
    s.nosql = Some(scalesim::scenario::NoSqlStore {
        kind: scalesim::scenario::StoreKind::KeyValue,
        share: 0.5,
        nodes: 2,
        workers: 16,
        queue_capacity: 1000,
        read: Dist::exponential(1.0),
        write: Dist::exponential(2.0),
    });
    let r = run(&s);
    assert_conserved(&r);
    let d = only_deploy(&r);
    let (start, end) = (d.started_at_s, d.finished_at_s.expect("it finished"));
    assert!(end < 50.0, "the deploy ends before the run does: {end}");
    let during: u64 = (r.series.iter())
        .filter(|p| p.t_s > start && p.t_s <= end)
        .map(|p| p.completed)
        .sum();
    assert!(during > 10_000, "{during} completed during the deploy");
    assert_eq!(d.latency_ms.count, during);
    let n = (r.data_store.as_ref().and_then(|d| d.nosql.as_ref())).expect("the store's figures");
    let with_data: u64 = (r.latency_by_kind.iter())
        .filter(|k| k.kind.touches_data())
        .map(|k| k.latency_ms.count)
        .sum();
    assert!(n.latency_ms.count > 1_000, "{n:?}");
    assert!(
        with_data > during,
        "{with_data} with data, {during} during the deploy"
    );
    assert_eq!(
        n.latency_ms.count + n.relational_latency_ms.count,
        with_data
    );
}
