//! Scenario files that carry a graph (`{"topology": …}`): the CLI runs them like any scenario.

use crate::helpers::{assert_conserved, run, scalesim};
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
    // A graph file's link keeps its graph (a v2 link) and reopens the same run as the
    // scenario's v1 link.
    let (_, link_a, _) = scalesim(&["url", &plain]);
    let (_, link_b, _) = scalesim(&["url", &drawn]);
    assert!(link_a.starts_with("v1."), "{link_a}");
    assert!(link_b.starts_with("v2."), "{link_b}");
    let (code_c, c, err_c) = scalesim(&["run", "--url", link_b.trim()]);
    assert_eq!(code_c, 0, "{err_c}");
    assert_eq!(digest(&c), digest(&a));
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

/// Stage 5 (cache in front of the database) sending only `mix` kinds of request, `cached` the
/// reads the cache fronts (`None`: the usual both).
fn cache_case(mix: [f64; 4], cached: Option<Vec<Flow>>) -> Scenario {
    let mut s = preset(5).expect("stage 5");
    s.duration_s = 20;
    s.faults.clear();
    let m = &mut s.traffic.mix;
    (m.page_view, m.api_read, m.write, m.static_asset) = (mix[0], mix[1], mix[2], mix[3]);
    s.routes = cached.map(|c| scalesim::scenario::Routes {
        cached: Some(c),
        nosql: None,
    });
    s
}

/// Requests served by the components whose names start with `prefix`.
fn served(r: &scalesim::sim::Report, prefix: &str) -> u64 {
    r.components
        .iter()
        .filter(|c| c.name.starts_with(prefix))
        .map(|c| c.served)
        .sum()
}

/// `count` is what the run's answered requests say, give or take the requests still under
/// way or failed at the end (served somewhere, not answered).
fn about(count: u64, expected: u64, r: &scalesim::sim::Report) {
    let slack = r.requests.in_flight + r.requests.failed;
    assert!(
        count + slack >= expected && count <= expected + slack,
        "{count} vs {expected} (slack {slack})"
    );
}

#[test]
fn page_views_through_the_cache_and_api_reads_straight_to_the_database() {
    // Drawn as a graph: the web pool sends page views to the cache, API reads and writes to
    // the database. It lowers to `routes.cached = [page_view]`.
    let mut file = preset(5).expect("stage 5").topology_file();
    for e in &mut file.topology.edges {
        match (e.from.as_str(), e.to.as_str()) {
            ("web", "cache") | ("cache", "db") => e.flows = vec![Flow::PageView],
            ("web", "db") => e.flows = vec![Flow::ApiRead, Flow::Write],
            _ => {}
        }
    }
    let lowered = file.lower().expect("the graph lowers");
    assert_eq!(
        lowered.routes.as_ref().and_then(|r| r.cached.clone()),
        Some(vec![Flow::PageView])
    );
    // Its graph is the one drawn.
    assert_eq!(lowered.topology(), file.topology);

    // Only API reads: none reaches the cache; the database serves every one that completed.
    let r = run(&cache_case(
        [0.0, 1.0, 0.0, 0.0],
        Some(vec![Flow::PageView]),
    ));
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served(&r, "cache-"), 0);
    let cache = r.cache.as_ref().expect("a cache report");
    assert_eq!(cache.hits + cache.misses + cache.bypassed, 0);
    about(served(&r, "db-"), r.requests.completed, &r);
    // The same traffic with the usual routes: the cache answers most of it.
    let usual = run(&cache_case([0.0, 1.0, 0.0, 0.0], None));
    assert_conserved(&usual);
    about(served(&usual, "cache-"), usual.requests.completed, &usual);
    assert!(served(&usual, "db-") < usual.requests.completed / 2);

    // Only page views: every one asks the cache, and only its misses reach the database.
    let r = run(&cache_case(
        [1.0, 0.0, 0.0, 0.0],
        Some(vec![Flow::PageView]),
    ));
    assert_conserved(&r);
    let cache = r.cache.as_ref().expect("a cache report");
    about(served(&r, "cache-"), r.requests.completed, &r);
    about(cache.hits + cache.misses, r.requests.completed, &r);
    about(served(&r, "db-"), cache.misses, &r);
    assert!(cache.hits > cache.misses, "{cache:?}");
}

/// Stage 4 with a NoSQL store taking `share` of the `taken` data requests, sending only `mix`.
fn nosql_case(mix: [f64; 4], taken: Vec<Flow>) -> Scenario {
    let mut s = preset(4).expect("stage 4");
    s.duration_s = 20;
    s.faults.clear();
    let m = &mut s.traffic.mix;
    (m.page_view, m.api_read, m.write, m.static_asset) = (mix[0], mix[1], mix[2], mix[3]);
    s.nosql = Some(scalesim::scenario::NoSqlStore {
        kind: scalesim::scenario::StoreKind::KeyValue,
        share: 0.5,
        nodes: 2,
        workers: 8,
        queue_capacity: 100,
        read: scalesim::scenario::Dist::exponential(1.0),
        write: scalesim::scenario::Dist::exponential(2.0),
    });
    s.routes = Some(scalesim::scenario::Routes {
        cached: None,
        nosql: Some(taken),
    });
    s
}

#[test]
fn reads_from_nosql_while_writes_go_to_the_database() {
    // Drawn: the web pool sends reads to the NoSQL store (its share) and everything to the
    // database; writes reach the database only.
    let s = nosql_case([0.0, 0.0, 1.0, 0.0], vec![Flow::PageView, Flow::ApiRead]);
    let file = s.topology_file();
    let to_nosql: Vec<&Edge> = file
        .topology
        .edges
        .iter()
        .filter(|e| e.to == "nosql")
        .collect();
    assert_eq!(to_nosql.len(), 1);
    assert_eq!(to_nosql[0].flows, vec![Flow::PageView, Flow::ApiRead]);
    assert_eq!(file.lower().expect("lowers"), s);

    // Only writes: the NoSQL store sees none of them.
    let r = run(&s);
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served(&r, "nosql-"), 0);
    let db = r.database.as_ref().expect("a database report");
    about(db.writes_committed, r.requests.completed, &r);
    // Only API reads: about half go to the NoSQL store, the rest to the database.
    let r = run(&nosql_case(
        [0.0, 1.0, 0.0, 0.0],
        vec![Flow::PageView, Flow::ApiRead],
    ));
    assert_conserved(&r);
    let nosql = r
        .data_store
        .as_ref()
        .and_then(|d| d.nosql.as_ref())
        .expect("a NoSQL report");
    assert_eq!(nosql.writes, 0);
    about(nosql.reads + served(&r, "db-"), r.requests.completed, &r);
    let share = nosql.reads as f64 / r.requests.completed as f64;
    assert!((share - 0.5).abs() < 0.05, "NoSQL share {share}");
    // With the usual routes the writes are shared too.
    let mut usual = nosql_case([0.0, 0.0, 1.0, 0.0], vec![Flow::PageView]);
    usual.routes = None;
    let r = run(&usual);
    assert_conserved(&r);
    assert!(served(&r, "nosql-") > r.requests.completed / 3);
}

#[test]
fn routes_are_checked() {
    let mut s = cache_case(
        [1.0, 0.0, 0.0, 0.0],
        Some(vec![Flow::Write, Flow::PageView]),
    );
    s.routes.as_mut().unwrap().nosql = Some(vec![Flow::ApiRead]);
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("routes.cached[0]"), "{e}");
    assert!(e.contains("the cache cannot take writes"), "{e}");
    assert!(e.contains("there is no NoSQL store"), "{e}");
    let s = cache_case([1.0, 0.0, 0.0, 0.0], Some(vec![]));
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("takes no request"), "{e}");
}

/// Stage 5's graph with a second node of `kind` beside the first (named `second`, with the
/// first's parameters) taking the flows `moved` of the web pool's wire to the first.
fn two_of_a_kind(first: &str, second: &str, moved: Vec<Flow>) -> scalesim::scenario::TopologyFile {
    let mut file = preset(5).expect("stage 5").topology_file();
    let t = &mut file.topology;
    let spec = t
        .nodes
        .iter()
        .find(|n| n.name == first)
        .expect("the first node")
        .spec
        .clone();
    t.nodes.push(Node {
        name: second.to_string(),
        spec,
    });
    let mut extra = Vec::new();
    for e in &mut t.edges {
        if e.to == first && e.from == "web" {
            e.flows.retain(|f| !moved.contains(f));
            extra.push(Edge {
                from: e.from.clone(),
                to: second.to_string(),
                flows: moved.clone(),
            });
        }
        // The second node's own way on (a cache's misses go to the database).
        if e.from == first {
            extra.push(Edge {
                from: second.to_string(),
                to: e.to.clone(),
                flows: moved.clone(),
            });
        }
    }
    t.edges.extend(extra);
    t.edges.retain(|e| !e.flows.is_empty());
    file
}

#[test]
fn two_caches_or_two_databases_are_refused_by_name_and_one_of_each_runs() {
    // Two cache clusters, one per read flow: lowering refuses it with one message that
    // names both and says what to do.
    let file = two_of_a_kind("cache", "cache-api", vec![Flow::ApiRead]);
    let e = file
        .lower()
        .expect_err("two caches are refused")
        .to_string();
    assert!(e.contains("not two of a kind yet"), "{e}");
    assert!(e.contains("`cache`") && e.contains("`cache-api`"), "{e}");
    assert!(e.contains("send every flow through one of them"), "{e}");
    assert_eq!(e.matches("not two of a kind").count(), 1, "{e}");
    // Two databases, reads to one and writes to the other: refused the same way.
    let file = two_of_a_kind("db", "db-writes", vec![Flow::Write]);
    let e = file
        .lower()
        .expect_err("two databases are refused")
        .to_string();
    assert!(e.contains("`db`") && e.contains("`db-writes`"), "{e}");
    assert!(e.contains("not two of a kind yet"), "{e}");
    // Both reads through one cache (stage 5's own graph): it lowers and runs.
    let mut file = preset(5).expect("stage 5").topology_file();
    file.duration_s = 10;
    let s = file.lower().expect("one cache lowers");
    let r = run(&s);
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert!(served(&r, "cache-") > 0);
}
