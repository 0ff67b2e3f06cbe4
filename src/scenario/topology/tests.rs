//! Native tests of the graph: presets round-trip, wiring rules, messages, no panics.

use super::*;
use crate::scenario::{preset, Scenario, SessionMode, Sessions};
use proptest::prelude::*;

fn presets() -> Vec<Scenario> {
    (1..=11).map(|n| preset(n).expect("a preset")).collect()
}

fn messages(e: &crate::scenario::ValidationErrors) -> Vec<String> {
    e.0.iter().map(|p| p.message.clone()).collect()
}

#[test]
fn every_preset_compiles_to_a_valid_graph_and_lowers_back_unchanged() {
    for s in presets() {
        let file = s.topology_file();
        file.topology
            .check()
            .unwrap_or_else(|e| panic!("stage {}: {e}", s.stage));
        assert_eq!(file.lower().expect("lowers"), s, "stage {}", s.stage);
        // Through JSON text too, as a file would travel.
        let text = serde_json::to_string_pretty(&file).expect("serialises");
        assert_eq!(
            Scenario::from_json(&text).expect("reads"),
            s,
            "stage {}",
            s.stage
        );
        // Without a stage, the stage is inferred as the presets' own.
        let mut unstaged = file.clone();
        unstaged.stage = None;
        assert_eq!(unstaged.lower().expect("lowers").stage, s.stage);
    }
}

#[test]
fn data_centers_with_their_own_changes_round_trip_through_the_graph() {
    use serde_json::json;
    let mut s = preset(11).expect("stage 11");
    let dcs = &mut s.geo.as_mut().expect("geo").data_centers;
    dcs[1].set = [
        ("autoscaling".to_string(), json!(null)),
        ("cache".to_string(), json!(null)),
        ("server.count".to_string(), json!(4)),
    ]
    .into();
    s.validate().expect("valid");
    let file = s.topology_file();
    let node = |f: &TopologyFile| {
        f.topology
            .nodes
            .iter()
            .find(|n| n.name == "eu-west")
            .map(|n| n.spec.clone())
    };
    let Some(NodeSpec::DataCenter(d)) = node(&file) else {
        panic!("eu-west is a data center node");
    };
    assert_eq!(d.set.len(), 3, "{d:?}");
    assert_eq!(file.lower().expect("lowers"), s);
    let text = serde_json::to_string_pretty(&file).expect("serialises");
    assert!(text.contains("\"server.count\": 4"), "{text}");
    assert_eq!(Scenario::from_json(&text).expect("reads"), s);
    let bytes = crate::codec::to_bytes(&file);
    assert_eq!(
        crate::codec::from_bytes::<TopologyFile>(&bytes),
        Some(file.clone())
    );
    // A change that does not apply is the data center node's problem.
    let mut bad = file.clone();
    for n in &mut bad.topology.nodes {
        if let NodeSpec::DataCenter(d) = &mut n.spec {
            if n.name == "eu-west" {
                d.set.insert("server.count".into(), json!(0));
            }
        }
    }
    let e = bad.lower().expect_err("refused");
    let at = bad
        .topology
        .nodes
        .iter()
        .position(|n| n.name == "eu-west")
        .unwrap();
    let found =
        e.0.iter()
            .find(|p| p.message.contains("server.count"))
            .expect("named");
    assert!(
        found
            .path
            .starts_with(&format!("topology.nodes[{at}].params")),
        "{e:?}"
    );
    assert!(found.message.contains("data center eu-west"), "{e:?}");
}

#[test]
fn preset_graphs_have_the_expected_shape() {
    let t = preset(5).expect("stage 5").topology();
    let names: Vec<&str> = t.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["users", "dns", "lb", "web", "cache", "db"]);
    let via = |from: &str, flow: Flow| -> Vec<&str> {
        t.edges
            .iter()
            .filter(|e| e.from == from && e.flows.contains(&flow))
            .map(|e| e.to.as_str())
            .collect()
    };
    assert_eq!(via("web", Flow::PageView), ["cache"]);
    assert_eq!(via("web", Flow::Write), ["db"]);
    assert_eq!(via("cache", Flow::ApiRead), ["db"]);
    let t = preset(11).expect("stage 11").topology();
    let kinds: Vec<NodeKind> = t.nodes.iter().map(|n| n.spec.kind()).collect();
    assert_eq!(
        kinds[..4],
        [
            NodeKind::Users,
            NodeKind::GeoDns,
            NodeKind::DataCenter,
            NodeKind::DataCenter
        ]
    );
    assert!(t.node("us-east").is_some() && t.node("eu-west").is_some());
}

#[test]
fn optional_tiers_dropped_in_any_combination_still_round_trip() {
    // Every subset of the stage-10 preset's droppable tiers that still validates.
    let base = preset(10).expect("stage 10");
    let mut tried = 0;
    for mask in 0u32..(1 << 7) {
        let mut s = base.clone();
        let drop = |bit: u32| mask & (1 << bit) != 0;
        if drop(0) {
            s.cache = None;
        }
        if drop(1) {
            s.cdn = None;
        }
        if drop(2) {
            s.sessions = None;
        }
        if drop(3) {
            s.autoscaling = None;
        }
        if drop(4) {
            s.queue = None;
        }
        if drop(5) {
            s.monitoring = None;
        }
        if drop(6) {
            s.sharding = None;
        }
        if s.validate().is_err() {
            continue;
        }
        tried += 1;
        let file = s.topology_file();
        assert_eq!(file.lower().expect("lowers"), s, "mask {mask:b}");
    }
    assert_eq!(tried, 128);
}

#[test]
fn sticky_sessions_ride_on_the_balancer_and_come_back() {
    let mut s = preset(7).expect("stage 7");
    s.sessions = Some(Sessions {
        mode: SessionMode::Sticky,
        store_workers: 3,
        store_get: crate::scenario::Dist::exponential(2.5),
    });
    let t = s.topology();
    assert!(t
        .nodes
        .iter()
        .all(|n| n.spec.kind() != NodeKind::SessionStore));
    let text = t.to_json_pretty();
    assert!(text.contains("\"sticky_sessions\""), "{text}");
    let back: Topology = serde_json::from_str(&text).expect("reads back");
    assert_eq!(back, t);
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
}

#[test]
fn a_data_center_named_like_a_tier_keeps_its_name() {
    let mut s = preset(11).expect("stage 11");
    if let Some(g) = &mut s.geo {
        g.data_centers[0].name = "lb".to_string();
    }
    s.faults.clear();
    s.validate().expect("valid");
    let t = s.topology();
    assert_eq!(
        t.node("lb").map(|n| n.spec.kind()),
        Some(NodeKind::DataCenter)
    );
    assert_eq!(
        t.node("lb-2").map(|n| n.spec.kind()),
        Some(NodeKind::LoadBalancer)
    );
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
}

#[test]
fn can_connect_answers_with_the_reason() {
    use NodeKind as K;
    assert!(can_connect(K::LoadBalancer, K::WebPool, Flow::PageView).is_ok());
    assert!(can_connect(K::Cache, K::Database, Flow::ApiRead).is_ok());
    assert!(can_connect(K::Queue, K::Workers, Flow::Job).is_ok());
    let e = can_connect(K::Cache, K::WebPool, Flow::PageView).expect_err("refused");
    assert!(
        e.0.contains("a cache must sit in front of a database or a shard router"),
        "{e}"
    );
    assert!(can_connect(K::Cache, K::Database, Flow::Write).is_err());
    assert!(can_connect(K::Workers, K::Database, Flow::Write).is_err());
    // Workers write each job's result to the database, or the shard router in front of it.
    assert!(can_connect(K::Workers, K::Database, Flow::Job).is_ok());
    assert!(can_connect(K::Workers, K::ShardRouter, Flow::Job).is_ok());
    assert!(can_connect(K::Workers, K::Cache, Flow::Job).is_err());
    let stage8 = preset(8).expect("stage 8").topology();
    assert_eq!(
        stage8.candidates("workers"),
        [("db".to_string(), Flow::Job)]
    );

    let mut t = preset(5).expect("stage 5").topology();
    let e = t
        .can_connect("cache", "web", Flow::PageView)
        .expect_err("refused");
    assert!(e.0.contains("`cache`") && e.0.contains("`web`"), "{e}");
    assert!(
        t.can_connect("web", "cache", Flow::PageView).is_err(),
        "already wired"
    );
    assert!(t.can_connect("lb", "nowhere", Flow::PageView).is_err());
    assert!(t.can_connect("lb", "lb", Flow::PageView).is_err());
    // A second database for the same reads: one next stop.
    t.nodes.push(Node {
        name: "db-b".into(),
        spec: t.node("db").expect("db").spec.clone(),
    });
    let e = t
        .can_connect("cache", "db-b", Flow::PageView)
        .expect_err("refused");
    assert!(e.0.contains("already sends page views to `db`"), "{e}");
}

#[test]
fn candidates_list_the_wires_a_node_may_still_get() {
    let mut t = preset(2).expect("stage 2").topology();
    // Fully wired: the web pool has its one next stop for every data flow.
    assert_eq!(t.candidates("web"), []);
    assert_eq!(t.candidates("db"), [], "a database sends nothing on");
    // A cache added beside it may take the database's reads.
    t.nodes.push(Node {
        name: "cache-0".into(),
        spec: NodeSpec::Cache(preset(5).expect("stage 5").cache.expect("a cache")),
    });
    assert_eq!(
        t.candidates("cache-0"),
        [
            ("db".to_string(), Flow::PageView),
            ("db".to_string(), Flow::ApiRead)
        ]
    );
    for (to, flow) in t.candidates("cache-0") {
        assert!(t.can_connect("cache-0", &to, flow).is_ok());
    }
}

#[test]
fn a_broken_graph_lists_every_problem_naming_the_nodes() {
    let mut t = preset(8).expect("stage 8").topology();
    // A cache pointed at the web pool, the queue's workers unwired, a stray second DNS.
    for e in &mut t.edges {
        if e.from == "cache" {
            e.to = "web".into();
        }
    }
    t.edges
        .retain(|e| !(e.from == "queue" && e.to == "workers"));
    let dns = t.node("dns").expect("dns").clone();
    t.nodes.push(Node {
        name: "dns-2".into(),
        spec: dns.spec,
    });
    let e = t.check().expect_err("broken");
    let all = messages(&e).join("\n");
    assert!(all.contains("Cache `cache` cannot send page views and API reads to `web` (a web pool): a cache must sit in front of a database or a shard router"), "{all}");
    assert!(
        all.contains("queue `queue` is drained by no workers"),
        "{all}"
    );
    assert!(all.contains("workers `workers` drain no queue"), "{all}");
    assert!(all.contains("at most one DNS: `dns`, `dns-2`"), "{all}");
    assert!(
        all.contains("`dns-2` (a DNS server) is on no request's path"),
        "{all}"
    );
    assert!(
        !all.contains("`workers` (workers) is on no request's path"),
        "said twice: {all}"
    );
    assert_eq!(e.0.len(), 6, "{all}");
}

#[test]
fn engine_limits_are_refused_with_reasons() {
    // Writes to the database while reads are served by the web pool itself.
    let mut t = preset(2).expect("stage 2").topology();
    for e in &mut t.edges {
        if e.from == "web" {
            e.flows = vec![Flow::Write];
        }
    }
    let all = messages(&t.check().expect_err("refused")).join("\n");
    assert!(all.contains("serves others itself"), "{all}");
    // An autoscaler without a load balancer.
    let mut s = preset(2).expect("stage 2");
    s.autoscaling = preset(7).expect("stage 7").autoscaling;
    let t = s.topology();
    let all = messages(&t.check().expect_err("refused")).join("\n");
    assert!(all.contains("no load balancer in front"), "{all}");
    // Sticky sessions and a store at once.
    let mut t = preset(7).expect("stage 7").topology();
    for n in &mut t.nodes {
        if let NodeSpec::LoadBalancer(p) = &mut n.spec {
            p.sticky_sessions = Some(SessionParams {
                store_workers: 1,
                store_get: crate::scenario::Dist::exponential(1.0),
            });
        }
    }
    let all = messages(&t.check().expect_err("refused")).join("\n");
    assert!(all.contains("sessions live in one place"), "{all}");
}

#[test]
fn parameter_problems_name_their_node() {
    let mut file = preset(5).expect("stage 5").topology_file();
    for n in &mut file.topology.nodes {
        if let NodeSpec::Cache(c) = &mut n.spec {
            c.nodes = 1000;
        }
        if let NodeSpec::WebPool(w) = &mut n.spec {
            w.workers = 0;
        }
    }
    let e = file.lower().expect_err("refused");
    let paths: Vec<&str> = e.0.iter().map(|p| p.path.as_str()).collect();
    assert!(
        paths.contains(&"topology.nodes[4].params.nodes"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"topology.nodes[3].params.workers"),
        "{paths:?}"
    );
    assert!(e.to_string().contains("cache `cache`"), "{e}");
}

#[test]
fn unknown_kinds_and_fields_are_refused_in_files() {
    let mut v = serde_json::to_value(preset(3).expect("stage 3").topology_file()).expect("value");
    v["topology"]["nodes"][2]["kind"] = "load_balancr".into();
    let e = Scenario::from_json(&v.to_string()).expect_err("refused");
    assert!(e.to_string().contains("unknown kind `load_balancr`"), "{e}");
    let mut v = serde_json::to_value(preset(3).expect("stage 3").topology_file()).expect("value");
    v["topology"]["nodes"][2]["params"]["polcy"] = "random".into();
    assert!(Scenario::from_json(&v.to_string()).is_err());
}

/// A random edit of a preset's graph: rewire, drop or duplicate things.
fn mutate(t: &mut Topology, ops: &[(u8, u16, u16, u8)]) {
    for &(op, a, b, f) in ops {
        let nodes = t.nodes.len().max(1);
        let (a, b) = (usize::from(a) % nodes, usize::from(b) % nodes);
        let flow = Flow::ALL[usize::from(f) % Flow::ALL.len()];
        match op % 6 {
            0 if !t.nodes.is_empty() => {
                let name = t.nodes[a].name.clone();
                t.nodes.remove(a);
                if b % 2 == 0 {
                    t.edges.retain(|e| e.from != name && e.to != name);
                }
            }
            1 if !t.nodes.is_empty() => {
                let mut n = t.nodes[a].clone();
                n.name = format!("{}-{b}", n.name);
                t.nodes.push(n);
            }
            2 if !t.nodes.is_empty() => t.edges.push(Edge {
                from: t.nodes[a].name.clone(),
                to: t.nodes[b].name.clone(),
                flows: vec![flow],
            }),
            3 if !t.edges.is_empty() => {
                let k = a % t.edges.len();
                t.edges.remove(k);
            }
            4 if !t.edges.is_empty() => {
                let k = a % t.edges.len();
                t.edges[k].flows.retain(|x| *x != flow);
            }
            5 if !t.nodes.is_empty() => {
                t.nodes[a].name = ["", "a b", "<b>x</b>", "users"][usize::from(f) % 4].to_string()
            }
            _ => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Random edits of the presets' graphs never panic; a graph the rules accept lowers to a
    /// scenario the engine accepts (or is refused with messages), and a refused one says why.
    #[test]
    fn random_edits_are_refused_with_messages_or_lower_to_valid_scenarios(
        stage in 1u8..=11,
        ops in proptest::collection::vec((any::<u8>(), any::<u16>(), any::<u16>(), any::<u8>()), 0..8),
    ) {
        let mut file = preset(stage).expect("a preset").topology_file();
        file.faults.clear();
        mutate(&mut file.topology, &ops);
        match file.topology.check() {
            Ok(()) => {
                // The presets' parameters are valid, so a graph the rules accept lowers.
                let s = file.lower();
                prop_assert!(s.is_ok(), "checked but refused: {}", s.unwrap_err());
                let s = s.expect("lowered");
                prop_assert!(s.validate().is_ok());
                // And it compiles back to a graph the rules accept.
                prop_assert!(s.topology().check().is_ok());
            }
            Err(e) => {
                prop_assert!(!e.0.is_empty());
                prop_assert!(e.0.iter().all(|p| !p.message.is_empty()));
                prop_assert!(file.lower().is_err());
            }
        }
        // Whatever it is, it survives JSON.
        let text = serde_json::to_string(&file).expect("serialises");
        let back: TopologyFile = serde_json::from_str(&text).expect("reads back");
        prop_assert_eq!(back.topology.nodes.len(), file.topology.nodes.len());
    }
}

#[test]
fn the_example_in_the_docs_is_the_stage_3_preset() {
    let doc = include_str!("../../../docs/topology.md");
    let start = doc.find("```json\n").expect("a JSON example") + "```json\n".len();
    let end = start + doc[start..].find("```").expect("its end");
    let s = Scenario::from_json(&doc[start..end]).expect("the example is valid");
    let mut expected = preset(3).expect("stage 3");
    expected.name = "Three tiers behind a balancer".to_string();
    assert_eq!(s, expected);
}

/// Every number, switch and word among the parameters of the stage-10 and stage-11 graphs'
/// nodes that the schema documents is found through `field_path` (what the editor's inspector
/// shows as its unit and bounds): the nodes' own fields, not only the top-level tiers.
#[test]
fn node_parameters_find_their_documented_field() {
    fn leaves(v: &serde_json::Value, path: String, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    leaves(x, p, out);
                }
            }
            _ => out.push(path),
        }
    }
    let documented = |p: &str| crate::scenario::FIELDS.iter().any(|f| f.path == p);
    let (mut found, mut total) = (0, 0);
    for stage in [10, 11] {
        let t = preset(stage).unwrap().topology();
        for node in &t.nodes {
            let params = serde_json::to_value(node).unwrap()["params"].clone();
            let mut out = Vec::new();
            leaves(&params, String::new(), &mut out);
            for leaf in out {
                total += 1;
                let path = field_path(node.spec.kind(), &leaf);
                if documented(&path) {
                    found += 1;
                }
            }
        }
    }
    // The web pool's, the cache's and the database's fields are all documented.
    for (kind, leaf, path) in [
        (NodeKind::WebPool, "workers", "server.workers"),
        (NodeKind::Cache, "get.mean_ms", "cache.get.mean_ms"),
        (NodeKind::Database, "replicas", "database.replicas"),
        (NodeKind::Users, "traffic.users", "traffic.users"),
        (NodeKind::Workers, "job.mean_ms", "queue.job.mean_ms"),
    ] {
        assert_eq!(field_path(kind, leaf), path);
        assert!(documented(path), "{path}");
    }
    // Measured: 200 of 205 (`cargo test --lib node_parameters -- --nocapture`).
    println!("{found} of {total} parameter leaves of the stage-10/11 graphs are documented");
    assert!(total - found <= 5, "{found} of {total}");
}
