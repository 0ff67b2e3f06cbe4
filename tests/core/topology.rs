//! Scenario files that carry a graph (`{"topology": …}`): the CLI runs them like any scenario.

use crate::helpers::{run, scalesim};
use scalesim::scenario::topology::{Edge, Flow, Node, NodeSpec};
use scalesim::scenario::{preset, Scenario};

fn write_temp(name: &str, text: &str) -> String {
    let path =
        std::env::temp_dir().join(format!("scalesim-topology-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("writes");
    path.to_string_lossy().into_owned()
}

#[test]
fn a_graph_file_runs_as_its_preset_does() {
    let mut s = preset(5).expect("stage 5");
    s.duration_s = 20;
    let graph = serde_json::to_string_pretty(&s.topology_file()).expect("serialises");
    let plain = write_temp("plain.json", &s.to_json_pretty());
    let drawn = write_temp("graph.json", &graph);
    let (code_a, a, err_a) = scalesim(&["run", &plain]);
    let (code_b, b, err_b) = scalesim(&["run", &drawn]);
    assert_eq!((code_a, code_b), (0, 0), "{err_a} {err_b}");
    let digest = |text: &str| {
        let v: serde_json::Value = serde_json::from_str(text).expect("a report");
        v["digest"].clone()
    };
    assert_eq!(digest(&a), digest(&b));
    assert_eq!(digest(&b), serde_json::json!(run(&s).digest));
    // The link of a graph file is the link of the scenario it lowers to.
    let (_, link_a, _) = scalesim(&["url", &plain]);
    let (_, link_b, _) = scalesim(&["url", &drawn]);
    assert_eq!(link_a, link_b);
    let _ = std::fs::remove_file(plain);
    let _ = std::fs::remove_file(drawn);
}

#[test]
fn a_drawn_architecture_no_preset_has_runs() {
    // A CDN in front of one web server with a NoSQL store and a queue, no balancer, no cache.
    let mut file = preset(1).expect("stage 1").topology_file();
    file.stage = None;
    file.duration_s = 10;
    let t = &mut file.topology;
    let stage10 = preset(10).expect("stage 10");
    let add = |t: &mut scalesim::scenario::Topology, name: &str, spec: NodeSpec| {
        t.nodes.push(Node {
            name: name.to_string(),
            spec,
        })
    };
    add(
        t,
        "edge",
        NodeSpec::CdnEdge(preset(6).expect("stage 6").cdn.expect("cdn")),
    );
    add(
        t,
        "pg",
        NodeSpec::Database(stage10.database.clone().expect("db")),
    );
    let mut nosql = preset(1).expect("stage 1");
    nosql.nosql = None;
    add(
        t,
        "kv",
        NodeSpec::NoSql(scalesim::scenario::NoSqlStore {
            kind: scalesim::scenario::StoreKind::KeyValue,
            share: 0.5,
            nodes: 2,
            workers: 8,
            queue_capacity: 100,
            read: scalesim::scenario::Dist::exponential(1.0),
            write: scalesim::scenario::Dist::exponential(2.0),
        }),
    );
    // Static assets now go through the edge, whose origin is the web server.
    for e in &mut t.edges {
        if e.from == "dns" {
            e.flows.retain(|f| *f != Flow::StaticAsset);
        }
    }
    let wire = |from: &str, to: &str, flows: &[Flow]| Edge {
        from: from.into(),
        to: to.into(),
        flows: flows.to_vec(),
    };
    t.edges.push(wire("dns", "edge", &[Flow::StaticAsset]));
    t.edges.push(wire("edge", "web", &[Flow::StaticAsset]));
    t.edges.push(wire("web", "pg", &Flow::DATA));
    t.edges.push(wire("web", "kv", &Flow::DATA));
    let text = serde_json::to_string(&file).expect("serialises");
    let s = Scenario::from_json(&text).expect("a valid architecture");
    assert_eq!(s.stage, 6, "inferred from its most advanced part, the CDN");
    assert!(s.cdn.is_some() && s.nosql.is_some() && s.load_balancer.is_none());
    let path = write_temp("drawn.json", &text);
    let (code, out, err) = scalesim(&["run", &path]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("a report");
    assert!(v["requests"]["completed"].as_u64().expect("a count") > 0);
    assert!(
        v["cdn"].is_object() && v["data_store"]["nosql"].is_object(),
        "{out}"
    );
    // Miswired, it is refused with one line naming the nodes.
    let mut bad = file.clone();
    bad.topology.edges.push(wire("kv", "pg", &[Flow::Write]));
    let path_bad = write_temp(
        "bad.json",
        &serde_json::to_string(&bad).expect("serialises"),
    );
    let (code, _, err) = scalesim(&["run", &path_bad]);
    assert_ne!(code, 0);
    assert!(
        err.contains("NoSQL store `kv` cannot send writes to `pg`"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let _ = std::fs::remove_file(path);
    let _ = std::fs::remove_file(path_bad);
}
