//! The API gateway: the second registered kind (src/sim/components/api_gateway.rs plus one
//! line in src/sim/components/registry.rs). It is the one that uses the trait's paths the
//! rate limiter does not: a verdict that holds a request (`Verdict::Delay`), a timer of its
//! own (`PlugCtx::schedule`), log lines of its own (`PlugCtx::log`) and a grey failure
//! (`Plug::slow`); and a request it holds when it dies fails.

use crate::helpers::run;
use scalesim::scenario::{preset, Fault, FaultKind, PlugNode, Scenario};
use scalesim::sim::{ApiGatewayParams, ComponentKind, PlugKind, PlugParams, Report, Sim, SimTime};

fn gateway(latency_ms: f64, quota_per_s: u32) -> PlugNode {
    PlugNode {
        name: "gateway".into(),
        fronts: "lb".into(),
        params: PlugParams::ApiGateway(ApiGatewayParams {
            latency_ms,
            quota_per_s,
        }),
    }
}

/// Stage 3 under a light, steady load (about 200 requests/s on two servers): nothing queues.
fn light(seconds: u32) -> Scenario {
    let mut s = preset(3).expect("stage 3");
    s.duration_s = seconds;
    s.server.count = 2;
    s.traffic.users = 2_000;
    s.traffic.requests_per_user_per_s = 0.1;
    s.traffic.profile = scalesim::scenario::Profile::Constant;
    s
}

fn figure(r: &Report, key: &str) -> f64 {
    r.plugs[0]
        .figures
        .iter()
        .find(|f| f.key == key)
        .map(|f| f.value)
        .unwrap_or_else(|| panic!("the gateway reports {key}"))
}

fn down(at_s: f64, duration_s: f64) -> Fault {
    Fault {
        target: "gateway".into(),
        at_s,
        duration_s,
        kind: FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }
}

#[test]
fn an_api_gateway_holds_each_request_its_latency() {
    let bare = run(&light(20));
    let mut s = light(20);
    s.plugs.push(gateway(25.0, 1_000_000));
    let r = run(&s);
    assert_eq!(r.requests.failed, 0);
    // It let in every request that reached it (a few were still on their way at the end).
    let passed = figure(&r, "passed");
    let q = &r.requests;
    assert!(passed >= q.completed as f64 && passed <= q.generated as f64);
    // Every answered request spent 25 ms more: its latency, not a queue.
    let added = r.latency_ms.mean - bare.latency_ms.mean;
    assert!((added - 25.0).abs() < 1.0, "{added} ms added");
    assert!(r.latency_ms.p50 >= bare.latency_ms.p50 + 24.0);
    // Sampled paths show the time spent inside it as its hop.
    let mut sim = Sim::new(&s).expect("valid");
    sim.advance_to(SimTime::from_secs(2), u64::MAX);
    let id = sim.component_named("gateway").expect("a component");
    let held: Vec<u64> = (sim.recent_paths())
        .flat_map(|p| p.hops().iter().copied())
        .filter(|h| h.component == id)
        .map(|h| h.leave.since(h.enter).as_nanos())
        .collect();
    assert!(!held.is_empty());
    assert!(held.iter().all(|&ns| ns == 25_000_000), "{held:?}");
}

#[test]
fn an_api_gateway_sheds_over_its_quota_each_second_and_logs_it() {
    let quota = 150;
    let mut s = light(10);
    s.plugs.push(gateway(1.0, quota));
    let r = run(&s);
    let (passed, shed) = (figure(&r, "passed"), figure(&r, "shed"));
    // At most its quota in each of the ten seconds; demand is ~200/s, so it uses it all.
    let most = f64::from(quota) * 10.0;
    assert!(passed <= most, "{passed} let in, at most {most}");
    assert!(passed >= 0.98 * most, "{passed} let in, ≈ {most}");
    assert!(shed > 300.0, "{shed} shed");
    assert_eq!(r.requests.failed_by_reason.rate_limited as f64, shed);
    // Its own timer writes one line a second it shed (about every second here).
    let lines: Vec<&str> = (r.events.iter())
        .filter(|e| e.component == "gateway")
        .map(|e| e.text.as_str())
        .collect();
    assert!(lines.len() >= 8, "{lines:?}");
    assert!(lines.iter().all(|t| t.starts_with("shed ")), "{lines:?}");
    let logged: u64 = (lines.iter())
        .map(|t| t.split(' ').nth(1).unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(logged as f64 <= shed && logged as f64 >= shed - 250.0);
}

#[test]
fn a_dying_api_gateway_fails_what_it_holds_and_lets_nothing_in_while_down() {
    // 200 ms inside it, ~200 requests/s: about 40 inside when it dies at 2 s.
    let mut s = light(6);
    s.plugs.push(gateway(200.0, 1_000_000));
    s.faults.push(down(2.0, 1.0));
    let r = run(&s);
    let q = &r.requests;
    let while_down = figure(&r, "while_down");
    assert!(while_down > 100.0, "{while_down} reached it while down");
    // Failed: those turned away while it was down, and those inside it when it died.
    let cut = q.failed_by_reason.server_down as f64 - while_down;
    assert!((15.0..=80.0).contains(&cut), "{cut} cut inside it");
    assert_eq!(q.failed, q.failed_by_reason.server_down);
    assert_eq!(q.generated, q.completed + q.failed + q.in_flight);
}

#[test]
fn a_slowed_api_gateway_holds_requests_longer() {
    let mut s = light(4);
    s.plugs.push(gateway(10.0, 1_000_000));
    let mut sim = Sim::new(&s).expect("valid");
    let id = sim.component_named("gateway").expect("a component");
    sim.slow(id, 5.0);
    let snap = sim.snapshot();
    let held = (snap.components[usize::from(id.0)].figures.iter())
        .find(|f| f.key == "latency_ms")
        .map(|f| f.value);
    assert_eq!(held, Some(50.0));
    let slowed = sim.run();
    let normal = run(&s);
    let added = slowed.latency_ms.mean - normal.latency_ms.mean;
    assert!((added - 40.0).abs() < 2.0, "{added} ms added");
    assert!(slowed
        .events
        .iter()
        .any(|e| e.text.contains("gateway slow")));
}

#[test]
fn an_api_gateway_stands_only_at_the_edge() {
    // Behind the balancer (in front of the web pool) it is refused: nothing it may be fed by
    // sends requests there.
    let mut s = light(4);
    s.plugs.push(PlugNode {
        fronts: "web".into(),
        ..gateway(1.0, 100)
    });
    let e = s.validate().expect_err("refused");
    assert!(e.to_string().contains("gateway"), "{e}");
    // Without a balancer it fronts the web pool itself.
    let mut s = preset(2).expect("stage 2");
    s.duration_s = 2;
    s.plugs.push(PlugNode {
        fronts: "web".into(),
        ..gateway(1.0, 100)
    });
    s.validate().expect("in front of the only web pool");
    let r = run(&s);
    assert!(figure(&r, "passed") > 0.0);
}

#[test]
fn at_stage_11_each_data_center_runs_its_own_api_gateway() {
    let mut s = preset(11).expect("stage 11");
    s.duration_s = 5;
    s.faults.clear();
    s.traffic.users = 40_000;
    s.traffic.requests_per_user_per_s = 0.1;
    s.traffic.profile = scalesim::scenario::Profile::Constant;
    s.plugs.push(gateway(3.0, 400));
    s.faults.push(Fault {
        target: "us-east/gateway".into(),
        ..down(1.0, 1.0)
    });
    let sim = Sim::new(&s).expect("valid");
    let kinds: Vec<(&str, ComponentKind)> = (sim.components().iter())
        .filter(|c| matches!(c.kind, ComponentKind::Plug(_)))
        .map(|c| (c.name.as_str(), c.kind))
        .collect();
    let gw = ComponentKind::Plug(PlugKind::ApiGateway);
    assert_eq!(kinds, [("us-east/gateway", gw), ("eu-west/gateway", gw)]);
    let r = run(&s);
    let names: Vec<&str> = r.plugs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["us-east/gateway", "eu-west/gateway"]);
    let of = |name: &str, key: &str| {
        (r.plugs
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .figures
            .iter())
        .find(|f| f.key == key)
        .unwrap()
        .value
    };
    assert!(of("us-east/gateway", "while_down") > 0.0);
    assert_eq!(of("eu-west/gateway", "while_down"), 0.0);
    for dc in ["us-east", "eu-west"] {
        let name = format!("{dc}/gateway");
        assert!(of(&name, "passed") <= 400.0 * 5.0);
        assert!(
            r.events
                .iter()
                .any(|e| e.component == name && e.text.contains("shed")),
            "{name} logs its shedding"
        );
    }
}
