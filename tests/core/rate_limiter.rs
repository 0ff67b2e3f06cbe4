//! The rate limiter: a component kind added as one file (src/sim/components/rate_limiter.rs)
//! plus one registration line (src/sim/components/registry.rs). It runs from a scenario's
//! `plugs` and from a drawn graph, and it is validated, reported, snapshotted and killed like
//! any component.

use crate::helpers::{plug_figure as figure, run};
use scalesim::scenario::topology::{Edge, Flow, Node, NodeSpec, TopologyFile};
use scalesim::scenario::{preset, Fault, FaultKind, PlugNode, Scenario};
use scalesim::sim::{
    ComponentKind, PlugKind, PlugParams, RateLimiterParams, Report, Sim, WhenDown,
};

const SECONDS: u32 = 20;

/// Stage 3 with two web servers (about 2,200 requests/s between them) and demand of about
/// 4,000 requests/s: overloaded.
fn overloaded() -> Scenario {
    let mut s = preset(3).expect("stage 3");
    s.duration_s = SECONDS;
    s.server.count = 2;
    s.traffic.users = 400_000;
    s
}

fn limiter(rate_per_s: f64, burst: u32, when_down: WhenDown) -> PlugNode {
    PlugNode {
        name: "limiter".into(),
        fronts: "lb".into(),
        params: PlugParams::RateLimiter(RateLimiterParams {
            rate_per_s,
            burst,
            when_down,
        }),
    }
}

#[test]
fn a_rate_limiter_admits_its_rate_and_burst_and_turns_the_rest_away_fast() {
    let bare = run(&overloaded());
    let (rate, burst) = (1500.0, 200);
    let mut s = overloaded();
    s.plugs.push(limiter(rate, burst, WhenDown::Open));
    let r = run(&s);
    let q = &r.requests;
    // Admitted: at most rate × t + burst, and nearly that under demand well above the rate.
    let most = rate * f64::from(SECONDS) + f64::from(burst);
    let admitted = figure(&r, "admitted");
    assert!(admitted <= most, "{admitted} admitted, at most {most}");
    assert!(
        admitted >= 0.99 * most,
        "{admitted} admitted, expected ≈ {most}"
    );
    // Served ≈ admitted (a few are under way at the end); the rest were rate limited.
    let served = q.completed as f64;
    assert!(
        (served - admitted).abs() <= 0.01 * admitted,
        "{served} served"
    );
    assert_eq!(
        q.failed_by_reason.rate_limited as f64,
        figure(&r, "rate_limited")
    );
    assert_eq!(
        q.failed, q.failed_by_reason.rate_limited,
        "nothing else fails"
    );
    assert_eq!(
        q.generated,
        q.completed + q.failed + q.in_flight,
        "conservation"
    );
    // Without it the servers' lines overflow and the admitted requests wait: p99 well above.
    assert!(bare.requests.failed_by_reason.queue_full > 10_000);
    assert_eq!(bare.requests.failed_by_reason.rate_limited, 0);
    let (with, without) = (r.latency_ms.p99, bare.latency_ms.p99);
    assert!(
        with * 1.5 < without,
        "p99 {with} ms with the limiter, {without} ms without"
    );
    // The report's JSON names it; a run without one has no `plugs` and no `rate_limited`.
    let json = serde_json::to_value(&r).expect("serialises");
    assert_eq!(json["plugs"][0]["kind"], "rate_limiter");
    let bare_json = serde_json::to_value(&bare).expect("serialises");
    assert!(bare_json.get("plugs").is_none());
    assert!(bare_json["requests"]["failed_by_reason"]
        .get("rate_limited")
        .is_none());
}

#[test]
fn a_dead_rate_limiter_fails_open_by_default_and_closed_when_asked() {
    let down = |when_down| {
        let mut s = overloaded();
        s.plugs.push(limiter(100.0, 10, when_down));
        s.faults.push(Fault {
            target: "limiter".into(),
            at_s: 0.0,
            duration_s: 0.0,
            kind: FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        });
        run(&s)
    };
    let open = down(WhenDown::Open);
    assert_eq!(open.requests.failed_by_reason.rate_limited, 0);
    assert!(open.requests.completed > 30_000, "open: unlimited");
    let closed = down(WhenDown::Closed);
    assert_eq!(closed.requests.completed, 0, "closed: nothing passes");
    assert_eq!(
        closed.requests.failed_by_reason.server_down,
        closed.requests.failed
    );
    assert!(figure(&closed, "while_down") > 0.0);
}

#[test]
fn a_rate_limiter_is_a_component_with_its_snapshot_and_kill_hooks() {
    let mut s = overloaded();
    s.plugs.push(limiter(1000.0, 50, WhenDown::Open));
    let mut sim = Sim::new(&s).expect("valid");
    let planned: Vec<String> = scalesim::layout_plan::components(&s)
        .into_iter()
        .map(|c| c.name)
        .collect();
    let running: Vec<String> = sim.components().iter().map(|c| c.name.clone()).collect();
    assert_eq!(planned, running, "the page draws what the engine runs");
    let id = sim
        .components()
        .iter()
        .find(|c| c.name == "limiter")
        .unwrap();
    assert_eq!(id.kind, ComponentKind::Plug(PlugKind::RateLimiter));
    let id = id.id;
    sim.advance_to(scalesim::sim::SimTime::from_secs(2), u64::MAX);
    let state = &sim.snapshot().components[usize::from(id.0)];
    assert!(state.alive);
    let limited = state
        .figures
        .iter()
        .find(|f| f.key == "rate_limited")
        .unwrap();
    assert!(limited.value > 0.0);
    sim.kill(id);
    assert!(!sim.snapshot().components[usize::from(id.0)].alive);
}

/// The graph `users → dns → limiter → lb → web → db`, drawn by hand.
fn drawn() -> TopologyFile {
    let mut f = overloaded().topology_file();
    let t = &mut f.topology;
    for e in &mut t.edges {
        if e.from == "dns" && e.to == "lb" {
            e.to = "limiter".into();
        }
    }
    t.nodes.push(Node {
        name: "limiter".into(),
        spec: NodeSpec::Plug(PlugParams::RateLimiter(RateLimiterParams {
            rate_per_s: 1500.0,
            ..RateLimiterParams::default()
        })),
    });
    t.edges.push(Edge {
        from: "limiter".into(),
        to: "lb".into(),
        flows: Flow::REQUESTS.to_vec(),
    });
    f
}

#[test]
fn a_drawn_rate_limiter_lowers_runs_and_draws_again_the_same() {
    let f = drawn();
    let s = f.lower().expect("a valid graph");
    assert_eq!(s.plugs.len(), 1);
    assert_eq!(s.plugs[0].fronts, "lb");
    assert_eq!(s.plugs[0].name, "limiter");
    // Its file form: parameters left out take their defaults.
    let text = serde_json::to_string(&f).unwrap();
    let back: TopologyFile = serde_json::from_str(&text).unwrap();
    assert_eq!(back, f);
    let short = text.replace(r#""burst":100,"#, "");
    assert_ne!(short, text);
    let back: TopologyFile = serde_json::from_str(&short).unwrap();
    assert_eq!(back.lower().unwrap(), s);
    // The scenario compiles back to a graph that lowers to the same scenario and run.
    let again = s.topology_file().lower().expect("valid");
    assert_eq!(again, s);
    assert_eq!(run(&again).digest, run(&s).digest);
    assert!(run(&s).requests.failed_by_reason.rate_limited > 10_000);
}

#[test]
fn a_miswired_rate_limiter_is_refused_one_message_per_broken_rule() {
    // Fed by the web pool, in front of the database, and a bad rate.
    let mut f = overloaded().topology_file();
    let t = &mut f.topology;
    t.nodes.push(Node {
        name: "limiter".into(),
        spec: NodeSpec::Plug(PlugParams::RateLimiter(RateLimiterParams {
            rate_per_s: 0.0,
            ..RateLimiterParams::default()
        })),
    });
    t.edges.push(Edge {
        from: "web".into(),
        to: "limiter".into(),
        flows: vec![Flow::Write],
    });
    t.edges.push(Edge {
        from: "limiter".into(),
        to: "db".into(),
        flows: vec![Flow::Write],
    });
    let e = f.lower().expect_err("refused");
    let text = e.to_string();
    assert!(text.contains("rate_per_s must be above 0"), "{text}");
    assert!(text.contains("cannot stand in front of `db`"), "{text}");
    assert!(
        text.contains("`web` cannot send requests to a rate limiter `limiter`"),
        "{text}"
    );
    let about_it = e.0.iter().filter(|p| p.message.contains("limiter")).count();
    assert_eq!(about_it, 3, "{text}");
    // In a scenario: it must front the balancer or a web pool.
    let mut s = overloaded();
    s.plugs.push(PlugNode {
        fronts: "db".into(),
        ..limiter(10.0, 1, WhenDown::Open)
    });
    let e = s.validate().expect_err("refused");
    assert!(e.to_string().contains("fronts `db`"), "{e}");
}

/// Stage 11 with a limiter in front of each data center's balancer, over a short run with
/// demand well above its rate in both data centers.
fn stage_11_limited(rate_per_s: f64, burst: u32) -> Scenario {
    let mut s = preset(11).expect("stage 11");
    s.duration_s = 10;
    s.faults.clear();
    s.traffic.users = 40_000;
    s.traffic.requests_per_user_per_s = 0.1;
    s.traffic.profile = scalesim::scenario::Profile::Constant;
    s.plugs.push(limiter(rate_per_s, burst, WhenDown::Closed));
    s
}

fn figure_of(r: &Report, name: &str, key: &str) -> f64 {
    let p = r
        .plugs
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("the report lists {name}"));
    p.figures
        .iter()
        .find(|f| f.key == key)
        .map(|f| f.value)
        .unwrap_or_else(|| panic!("{name} reports {key}"))
}

#[test]
fn at_stage_11_each_data_center_runs_its_own_limiter_named_after_it() {
    let (rate, burst) = (300.0, 50);
    let mut s = stage_11_limited(rate, burst);
    // One data center's limiter dies for the whole run (it fails closed): only that data
    // center's requests fail for it.
    s.faults.push(Fault {
        target: "eu-west/limiter".into(),
        at_s: 0.0,
        duration_s: 0.0,
        kind: FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    });
    s.validate().expect("registered kinds run at stage 11");
    let sim = Sim::new(&s).expect("valid");
    let names: Vec<&str> = (sim.components().iter())
        .filter(|c| c.kind == ComponentKind::Plug(PlugKind::RateLimiter))
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["us-east/limiter", "eu-west/limiter"]);
    let planned = scalesim::layout_plan::components(&s);
    assert_eq!(
        planned,
        sim.components(),
        "the page draws what the engine runs"
    );
    let r = run(&s);
    let listed: Vec<&str> = r.plugs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(listed, ["us-east/limiter", "eu-west/limiter"]);
    // The live one admits its rate and burst, and no more.
    let most = rate * f64::from(s.duration_s) + f64::from(burst);
    let admitted = figure_of(&r, "us-east/limiter", "admitted");
    assert!(admitted <= most, "{admitted} admitted, at most {most}");
    assert!(admitted >= 0.95 * most, "{admitted} admitted, ≈ {most}");
    let limited = figure_of(&r, "us-east/limiter", "rate_limited");
    assert!(limited > 1_000.0, "{limited} rate limited");
    // The dead one turned everything away, as server_down, and limited nothing.
    assert_eq!(figure_of(&r, "eu-west/limiter", "admitted"), 0.0);
    assert_eq!(figure_of(&r, "eu-west/limiter", "rate_limited"), 0.0);
    let down = figure_of(&r, "eu-west/limiter", "while_down");
    assert!(down > 1_000.0, "{down} reached it while down");
    let q = &r.requests;
    assert_eq!(q.failed_by_reason.rate_limited as f64, limited);
    assert!(q.failed_by_reason.server_down as f64 >= down);
    assert_eq!(q.generated, q.completed + q.failed + q.in_flight);
    let geo = r.geo.as_ref().expect("a geo section");
    let eu = geo
        .data_centers
        .iter()
        .find(|d| d.name == "eu-west")
        .unwrap();
    assert_eq!(
        eu.requests.completed, 0,
        "nothing passes eu-west's dead limiter"
    );
}

#[test]
fn at_stage_11_a_data_centers_limiter_is_killed_repaired_and_inspected_by_its_name() {
    let s = stage_11_limited(300.0, 50);
    let mut sim = Sim::new(&s).expect("valid");
    let us = sim.component_named("us-east/limiter").expect("us-east's");
    let eu = sim.component_named("eu-west/limiter").expect("eu-west's");
    sim.advance_to(scalesim::sim::SimTime::from_secs(2), u64::MAX);
    let snap = sim.snapshot();
    for id in [us, eu] {
        let state = &snap.components[usize::from(id.0)];
        assert!(state.alive);
        let limited = state.figures.iter().find(|f| f.key == "rate_limited");
        assert!(
            limited.is_some_and(|f| f.value > 0.0),
            "{:?}",
            state.figures
        );
    }
    sim.kill(us);
    assert!(!sim.is_alive(us));
    assert!(sim.is_alive(eu), "the other data center's limiter stays up");
    let snap = sim.snapshot();
    assert!(!snap.components[usize::from(us.0)].alive);
    sim.advance_to(scalesim::sim::SimTime::from_secs(4), u64::MAX);
    sim.repair(us);
    assert!(sim.is_alive(us));
    let r = sim.report();
    let downs: Vec<&str> = (r.events.iter())
        .filter(|e| e.text.contains("limiter down"))
        .map(|e| e.component.as_str())
        .collect();
    assert_eq!(downs, ["us-east/limiter"], "logged under its full name");
    // Killed for two seconds, failing closed: it turned requests away while down.
    assert!(figure_of(&r, "us-east/limiter", "while_down") > 100.0);
    assert_eq!(figure_of(&r, "eu-west/limiter", "while_down"), 0.0);
}

#[test]
fn a_stage_11_graph_with_a_limiter_lowers_to_the_same_scenario_and_run() {
    let s = stage_11_limited(300.0, 50);
    let f = s.topology_file();
    let limiter = (f.topology.edges.iter())
        .filter(|e| e.to == "limiter")
        .map(|e| e.from.as_str())
        .collect::<Vec<_>>();
    // Each data center feeds it (and the CDN edge, for its origin fetches).
    assert_eq!(limiter, ["us-east", "eu-west", "cdn"]);
    let back = f.lower().expect("a valid graph");
    assert_eq!(back, s);
    assert_eq!(run(&back).digest, run(&s).digest);
}
