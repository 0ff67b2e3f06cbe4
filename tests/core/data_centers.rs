//! Stage 11 with data centers that run different stacks (`geo.data_centers[].set`): each
//! data center's own copy of the stack, validated on its own, built, reported, faulted and
//! changed live by its own component names. The preset shrunk to 200,000 users for 30 s.

use super::helpers::{assert_conserved, run};
use scalesim::layout_plan;
use scalesim::scenario::{
    decode_link, encode_link, preset, Deploy, Fault, GeoRouting, Scenario, ValidationErrors,
};
use scalesim::sim::{live, ComponentKind, Report, Sim, SimTime};
use serde_json::{json, Value};

/// Preset 11 with 200,000 users for 30 s, no fault, constant traffic, geoDNS splitting every
/// user's requests half and half, and eu-west's stack changed by `set`.
fn with_eu_west(set: &[(&str, Value)]) -> Scenario {
    let mut s = preset(11).unwrap();
    s.traffic.users = 200_000;
    s.traffic.profile = Default::default();
    s.faults.clear();
    s.duration_s = 30;
    let geo = s.geo.as_mut().unwrap();
    geo.routing = GeoRouting::Split;
    geo.split_share = vec![0.5, 0.5];
    geo.data_centers[1].set = set
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    s
}

/// The smaller site: 4 web servers and no autoscaling (us-east keeps 24, autoscaled).
fn smaller() -> Vec<(&'static str, Value)> {
    vec![("autoscaling", Value::Null), ("server.count", json!(4))]
}

fn problems(s: &Scenario) -> String {
    s.validate()
        .map_or_else(|e: ValidationErrors| e.to_string(), |()| String::new())
}

/// Mean utilisation of a data center's web servers, with how many there are.
fn web_utilisation(r: &Report, dc: &str) -> (f64, usize) {
    let prefix = format!("{dc}/web-");
    let web: Vec<f64> = (r.components.iter())
        .filter(|c| c.name.starts_with(&prefix))
        .map(|c| c.utilization)
        .collect();
    (web.iter().sum::<f64>() / web.len() as f64, web.len())
}

/// Requests a data center's database nodes served.
fn database_served(r: &Report, dc: &str) -> u64 {
    (r.components.iter())
        .filter(|c| c.kind == ComponentKind::Database && c.name.starts_with(&format!("{dc}/")))
        .map(|c| c.served)
        .sum()
}

fn geo_dc<'a>(r: &'a Report, name: &str) -> &'a scalesim::sim::DataCenterReport {
    let g = r.geo.as_ref().unwrap();
    g.data_centers.iter().find(|d| d.name == name).unwrap()
}

#[test]
fn without_changes_nothing_is_written_and_nothing_moves() {
    let s = preset(11).unwrap();
    let text = serde_json::to_string(&s).unwrap();
    assert!(!text.contains("\"set\""), "{text}");
    // An empty `set` is the same scenario as none.
    let mut empty = s.clone();
    empty.geo.as_mut().unwrap().data_centers[1].set.clear();
    assert_eq!(empty, s);
}

#[test]
fn a_smaller_site_runs_its_servers_hotter() {
    let s = with_eu_west(&smaller());
    assert_eq!(problems(&s), "");
    let r = run(&s);
    assert_conserved(&r);
    let (east, east_n) = web_utilisation(&r, "us-east");
    let (west, west_n) = web_utilisation(&r, "eu-west");
    assert_eq!(west_n, 4, "eu-west runs its own 4 servers");
    assert!(east_n >= 24, "us-east keeps its {east_n} servers");
    // The same share of the users on a sixth of the servers: each works about six times
    // as hard (autoscaling may add servers to us-east, which only widens the gap).
    assert!(west > 4.0 * east, "eu-west {west:.3} vs us-east {east:.3}");
    // Each data center's own requests add up, and the split is half and half.
    let (e, w) = (geo_dc(&r, "us-east"), geo_dc(&r, "eu-west"));
    for d in [e, w] {
        let t = &d.requests;
        assert_eq!(
            t.generated,
            t.completed + t.failed + t.in_flight,
            "{}",
            d.name
        );
    }
    let share = w.requests_received as f64 / (e.requests_received + w.requests_received) as f64;
    assert!((share - 0.5).abs() < 0.02, "eu-west share {share}");
}

#[test]
fn a_site_without_a_cache_reads_its_database() {
    let s = with_eu_west(&[("cache", Value::Null)]);
    assert_eq!(problems(&s), "");
    let names = layout_plan::components(&s);
    let has = |name: &str| names.iter().any(|c| c.name == name);
    assert!(has("us-east/cache-0") && !has("eu-west/cache-0"));
    let r = run(&s);
    assert_conserved(&r);
    let (e, w) = (geo_dc(&r, "us-east"), geo_dc(&r, "eu-west"));
    assert!(w.cache.is_none(), "eu-west reports no cache");
    let hit = e.cache.as_ref().expect("us-east's cache").hit_ratio;
    assert!(hit > 0.3, "us-east's cache answers reads: hit ratio {hit}");
    // Half the requests each; eu-west's database serves every read, us-east's only the misses.
    let (de, dw) = (
        database_served(&r, "us-east"),
        database_served(&r, "eu-west"),
    );
    assert!(
        dw as f64 > 1.5 * de as f64,
        "eu-west db {dw} vs us-east db {de}"
    );
}

#[test]
fn each_stack_is_validated_and_every_problem_named() {
    let s = with_eu_west(&[
        ("server.count", json!(0)),
        ("traffic.users", json!(5)),
        ("seed", json!(3)),
        ("geo.routing", json!("nearest")),
        ("faults", json!([])),
        ("sevrer.count", json!(2)),
        ("database.replicas", json!("two")),
        ("load_balancer", Value::Null),
    ]);
    let e = s.validate().unwrap_err();
    let text = e.to_string();
    for needle in [
        "data center eu-west: server.count: 0 servers is out of range",
        "data center eu-west: traffic.users: the same in every data center",
        "data center eu-west: seed: the same in every data center",
        "data center eu-west: geo.routing: the same in every data center",
        "data center eu-west: faults: the same in every data center",
        "data center eu-west: sevrer.count: no such field",
        "data center eu-west: database.replicas: bad value",
        "data center eu-west: load_balancer: each data center needs a load balancer",
        "data center eu-west: autoscaling: autoscaling needs a load balancer",
    ] {
        assert!(text.contains(needle), "{needle} missing from: {text}");
    }
    assert!(
        e.0.iter().all(|p| p.path == "geo.data_centers[1].set"),
        "{e:?}"
    );
    assert_eq!(e.0.len(), 9, "{text}");
    // The same broken rule in the shared stack is reported once, for the scenario.
    let mut both = with_eu_west(&[("server.count", json!(4))]);
    both.server.workers = 0;
    let text = problems(&both);
    assert_eq!(text.matches("server.workers").count(), 1, "{text}");
    // A deploy naming a pool one data center removed.
    let mut pools = preset(11).unwrap();
    let first = pools.server.clone();
    pools.more_web_pools.push(scalesim::scenario::NamedWebPool {
        name: "api".into(),
        server: first,
        serves: vec![scalesim::scenario::Flow::ApiRead],
        autoscaling: None,
    });
    pools.deploy = Some(Deploy {
        pool: Some("api".into()),
        ..deploy()
    });
    pools.geo.as_mut().unwrap().data_centers[1].set =
        [("more_web_pools".to_string(), json!([]))].into();
    let text = problems(&pools);
    assert!(
        text.contains("data center eu-west: deploy.pool: `api` is not a web pool"),
        "{text}"
    );
}

#[test]
fn faults_and_live_changes_name_each_data_centers_own_components() {
    let mut s = with_eu_west(&[
        ("cache", Value::Null),
        ("server.count", json!(4)),
        ("autoscaling", Value::Null),
    ]);
    // A fault naming what only one data center has: refused where it is missing.
    s.faults = vec![Fault::down("eu-west/web-9", 5.0, 5.0)];
    let text = problems(&s);
    assert!(
        text.contains("no component named 'eu-west/web-9'"),
        "{text}"
    );
    s.faults = vec![Fault::down("eu-west/cache-0", 5.0, 5.0)];
    assert!(problems(&s).contains("no component named 'eu-west/cache-0'"));
    // Named where it is: us-east's cache node and eu-west's last server, down from 5 s to 10 s.
    s.faults = vec![
        Fault::down("us-east/cache-0", 5.0, 5.0),
        Fault::down("eu-west/web-3", 5.0, 5.0),
        Fault::down("us-east/web-20", 5.0, 5.0),
    ];
    assert_eq!(problems(&s), "");
    let r = run(&s);
    assert_conserved(&r);
    for name in ["us-east/cache-0", "eu-west/web-3", "us-east/web-20"] {
        let down = (r.events.iter())
            .any(|e| e.component == name && e.text.contains("down (scheduled fault)"));
        assert!(down, "{name} in the log: {:?}", r.events);
    }
    // Live: kill a component only us-east has, and one of eu-west's four servers.
    s.faults.clear();
    let mut sim = Sim::new(&s).unwrap();
    sim.advance_to(SimTime::from_secs(3), u64::MAX);
    assert!(sim.component_named("eu-west/cache-0").is_none());
    assert!(sim.component_named("eu-west/web-4").is_none());
    for name in ["us-east/cache-1", "eu-west/web-2"] {
        let id = sim.component_named(name).unwrap();
        live::apply(&mut sim, &scalesim::scenario::LiveAction::Kill(name.into())).unwrap();
        assert!(!sim.is_alive(id), "{name}");
    }
    let missing = live::apply(
        &mut sim,
        &scalesim::scenario::LiveAction::Kill("eu-west/cache-0".into()),
    );
    assert!(missing.is_err(), "{missing:?}");
    // The snapshot lists every component of both stacks, each once.
    let snap = sim.snapshot();
    assert_eq!(snap.components.len(), sim.components().len());
    let r = sim.run();
    assert_conserved(&r);
    assert!(geo_dc(&r, "eu-west").cache.is_none());
}

fn deploy() -> Deploy {
    Deploy {
        at_s: Some(2.0),
        batch_size: 2,
        drain: true,
        drain_timeout_ms: 1_000.0,
        startup_s: 1.0,
        pool: None,
    }
}

#[test]
fn a_deploy_goes_through_stacks_of_different_sizes() {
    let mut s = with_eu_west(&smaller());
    s.deploy = Some(deploy());
    // us-east's 24 servers first, 2 at a time, then eu-west's 4.
    s.duration_s = 60;
    let r = run(&s);
    assert_conserved(&r);
    let logged = |needle: &str| r.events.iter().any(|e| e.text.contains(needle));
    assert!(logged("deploy moves on to eu-west"), "{:?}", r.events);
    assert!(
        logged("deploy finished in every data center"),
        "{:?}",
        r.events
    );
    // Each data center deploys its own servers: 2 batches of 2 in eu-west, at least 12 in
    // us-east.
    let batches = |dc: &str| {
        (r.events.iter())
            .filter(|e| e.component.starts_with(&format!("{dc}/")))
            .filter(|e| e.text.contains("deploy: batch"))
            .count()
    };
    assert_eq!(batches("eu-west"), 2, "{:?}", r.events);
    assert!(batches("us-east") >= 12, "{:?}", r.events);
}

#[test]
fn the_planned_diagram_is_each_stacks_own() {
    for set in [
        smaller(),
        vec![("cache", Value::Null)],
        vec![("database.replicas", json!(0))],
    ] {
        let s = with_eu_west(&set);
        let sim = Sim::new(&s).unwrap();
        assert_eq!(layout_plan::components(&s), sim.components(), "{set:?}");
    }
}

#[test]
fn two_threads_run_the_same_different_stacks() {
    let mut s = with_eu_west(&[
        ("cache", Value::Null),
        ("server.count", json!(6)),
        ("autoscaling", Value::Null),
        ("database.replicas", json!(2)),
    ]);
    s.faults = vec![
        Fault::down("eu-west/web-5", 4.0, 6.0),
        Fault::down("us-east", 12.0, 5.0),
    ];
    s.deploy = Some(deploy());
    let one = Sim::new(&s).unwrap().run();
    let mut sim = Sim::new(&s).unwrap();
    sim.set_threads(2);
    let two = sim.run();
    assert_eq!(one.digest, two.digest);
    assert_eq!(
        serde_json::to_string(&one).unwrap(),
        serde_json::to_string(&two).unwrap()
    );
}

#[test]
fn a_link_and_the_wire_carry_the_changes() {
    let s = with_eu_west(&[
        ("cache", Value::Null),
        ("server.count", json!(4)),
        ("autoscaling", Value::Null),
        ("server.service.page_view.mean_ms", json!(12.5)),
        ("database.replicas", json!(2)),
    ]);
    let link = encode_link(&s, Some(3.0));
    let back = decode_link(&link).unwrap();
    assert_eq!(back.scenario, s, "{link}");
    let bytes = scalesim::codec::to_bytes(&back);
    let again: scalesim::scenario::Link = scalesim::codec::from_bytes(&bytes).unwrap();
    assert_eq!(again.scenario, s);
    // Same run from the link as from the scenario.
    assert_eq!(run(&back.scenario).digest, run(&s).digest);
}

/// The fields the editor offers for a data center's own changes (`data_center_fields`): none
/// is one every data center shares, none names a list entry, and each one the preset has,
/// set in eu-west to the very value it has, passes validation (the per-data-center rules).
#[test]
fn every_field_the_editor_offers_a_data_center_is_accepted() {
    use scalesim::scenario::{data_center_fields, SHARED_FIELDS};
    let base = with_eu_west(&[]);
    let root = serde_json::to_value(&base).unwrap();
    let (mut offered, mut checked) = (0, 0);
    for field in data_center_fields() {
        offered += 1;
        let first = field.path.split('.').next().unwrap();
        assert!(
            !SHARED_FIELDS.iter().any(|(f, _)| *f == first),
            "{}",
            field.path
        );
        assert!(!field.path.contains("[]"), "{}", field.path);
        let pointer = format!("/{}", field.path.replace('.', "/"));
        let Some(value) = root.pointer(&pointer) else {
            continue; // a tier the preset does not have
        };
        let s = with_eu_west(&[(field.path, value.clone())]);
        assert!(s.validate().is_ok(), "{}: {}", field.path, problems(&s));
        checked += 1;
    }
    assert!(
        offered > 60 && checked > 30,
        "{offered} offered, {checked} checked"
    );
    for shared in ["traffic.users", "seed", "dns.ttl_s", "deploy.batch_size"] {
        assert!(
            !data_center_fields().any(|f| f.path == shared),
            "{shared} is shared"
        );
    }
}
