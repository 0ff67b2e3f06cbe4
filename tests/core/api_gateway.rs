//! The API gateway: the second registered kind (src/sim/components/api_gateway.rs plus one
//! line in src/sim/components/registry.rs). It is the one that uses the trait's paths the
//! rate limiter does not: a verdict that holds a request (`Verdict::Delay`), a timer of its
//! own (`PlugCtx::schedule`), log lines of its own (`PlugCtx::log`) and a grey failure
//! (`Plug::slow`); and a request it holds when it dies fails.

use crate::helpers::{plug_figure as figure, run};
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

/// Preset 11 for 5 s without its outage, 40,000 users at a constant 0.1 request/s each.
fn stage_11_light() -> Scenario {
    let mut s = preset(11).expect("stage 11");
    s.duration_s = 5;
    s.faults.clear();
    s.traffic.users = 40_000;
    s.traffic.requests_per_user_per_s = 0.1;
    s.traffic.profile = scalesim::scenario::Profile::Constant;
    s
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
    let mut s = stage_11_light();
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

/// A slow fault on `target` from `at_s` for `duration_s`, `factor` times.
fn slow(target: &str, at_s: f64, duration_s: f64, factor: f64) -> Fault {
    Fault {
        target: target.into(),
        kind: FaultKind::Slow,
        factor: Some(factor),
        ..down(at_s, duration_s)
    }
}

/// The report as JSON without what says *who* slowed the component (the log lines' cause,
/// the digest over them, the diagnosis dated from them): a scheduled slowdown and the same
/// slowdown made live must agree on everything else.
fn without_causes(r: &Report) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("a report is JSON");
    let o = v.as_object_mut().expect("an object");
    o.remove("digest");
    o.remove("diagnosis");
    for e in o["events"].as_array_mut().expect("the log") {
        let text = e["text"].as_str().expect("text").to_string();
        let text = [
            "(scheduled fault)",
            "(scheduled repair)",
            "(slowed by the user)",
        ]
        .iter()
        .fold(text, |t, cause| t.replace(cause, "(…)"));
        e["text"] = serde_json::Value::String(text);
    }
    v
}

/// `scenario` with a scheduled slowdown of `target` (×`factor` from `at_s` for `for_s`), run,
/// against the same scenario with the slowdown made live at the same instants, replayed as
/// a link replays it: the same run but for the cause in the log.
fn scheduled_and_live(
    scenario: &Scenario,
    target: &str,
    (at_s, for_s, factor): (f64, f64, f64),
) -> (Report, Report) {
    use scalesim::scenario::{LiveAction, LiveChange};
    let mut planned = scenario.clone();
    planned.faults.push(slow(target, at_s, for_s, factor));
    let planned = Sim::new(&planned)
        .expect("a scheduled slowdown is valid")
        .run();
    let at = |s: f64| SimTime::from_secs_f64(s).as_nanos();
    let change = |at_ns, factor_milli| LiveChange {
        at_ns,
        action: LiveAction::Slow {
            name: target.into(),
            factor_milli,
        },
    };
    let changes = [
        change(at(at_s), (factor * 1000.0) as u32),
        change(at(at_s + for_s), 1000),
    ];
    let end = SimTime::from_secs(u64::from(scenario.duration_s));
    let live = scalesim::sim::live::replay(scenario, &changes, end)
        .expect("a live slowdown replays")
        .report();
    (planned, live)
}

#[test]
fn a_scheduled_slowdown_of_an_api_gateway_does_what_a_live_one_does() {
    let mut s = light(6);
    s.plugs.push(gateway(10.0, 1_000_000));
    let (planned, live) = scheduled_and_live(&s, "gateway", (1.25, 2.5, 5.0));
    assert_eq!(without_causes(&planned), without_causes(&live));
    // It did slow the gateway: 40 ms more for the requests let in during 2.5 s of 6.
    let normal = run(&s);
    let added = planned.latency_ms.mean - normal.latency_ms.mean;
    assert!(
        (12.0..=22.0).contains(&added),
        "{added} ms added on average"
    );
    let lines: Vec<&str> = (planned.events.iter())
        .filter(|e| e.component == "gateway")
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        lines,
        [
            "gateway slow (scheduled fault): ×5",
            "gateway at normal speed again (scheduled repair)"
        ]
    );
}

#[test]
fn at_stage_11_a_scheduled_slowdown_reaches_one_data_centers_api_gateway() {
    let mut s = stage_11_light();
    s.plugs.push(gateway(3.0, 1_000_000));
    let (planned, live) = scheduled_and_live(&s, "us-east/gateway", (1.5, 2.0, 20.0));
    assert_eq!(without_causes(&planned), without_causes(&live));
    let slowed = |dc: &str| {
        (planned.events.iter())
            .any(|e| e.component == format!("{dc}/gateway") && e.text.contains("slow"))
    };
    assert!(
        slowed("us-east") && !slowed("eu-west"),
        "{:?}",
        planned.events
    );
}

#[test]
fn a_scheduled_slowdown_of_a_rate_limiter_is_refused_with_the_reason() {
    let mut s = light(4);
    s.plugs.push(PlugNode {
        name: "limiter".into(),
        fronts: "lb".into(),
        params: PlugParams::RateLimiter(Default::default()),
    });
    s.faults.clear();
    s.validate().expect("a limiter in front of the balancer");
    s.faults.push(slow("limiter", 1.0, 1.0, 4.0));
    let e = s.validate().expect_err("refused").to_string();
    assert!(
        e.contains("faults[0].target")
            && e.contains("'limiter' cannot be slow: a rate limiter holds no request"),
        "{e}"
    );
    // Killing it stays a valid fault.
    s.faults[0] = Fault {
        target: "limiter".into(),
        ..down(1.0, 1.0)
    };
    s.validate().expect("a limiter can be killed");
}

/// A link written before scheduled slowdowns could name a registered component, with a
/// gateway in front of the balancer, a limiter in front of the web pool and live slowdowns,
/// kills and repairs of both, decodes to the same run: its report digest is the one main's
/// binary gave before (a90af7e, `scalesim run --url … --json`, 2026-12-06).
#[test]
fn an_old_link_slowing_registered_components_live_replays_the_same_run() {
    let link = "v1.s3~duration_s=6~faults=%5B%5D~plugs=%5B%7B%22fronts%22:%22lb%22,%22kind%22:%22api_gateway%22,%22name%22:%22gateway%22,%22params%22:%7B%22latency_ms%22:10.0,%22quota_per_s%22:5000%7D%7D,%7B%22fronts%22:%22web%22,%22kind%22:%22rate_limiter%22,%22name%22:%22limiter%22,%22params%22:%7B%22burst%22:20,%22rate_per_s%22:150.0,%22when_down%22:%22open%22%7D%7D%5D~server.count=2~traffic.requests_per_user_per_s=0.1~traffic.users=2000~live=1.5:slow:gateway:4,2:slow:limiter:3,2.5:kill:gateway,2.75:repair:gateway,3:slow:gateway:1,3.5:kill:limiter,4:repair:limiter";
    let decoded = scalesim::scenario::decode_link(link).expect("the link decodes");
    assert_eq!(decoded.live.len(), 7);
    let end = SimTime::from_secs(u64::from(decoded.scenario.duration_s));
    let r = scalesim::sim::live::replay(&decoded.scenario, &decoded.live, end)
        .expect("it replays")
        .report();
    assert_eq!(r.digest, "9a960ee6bc0b13af");
}
