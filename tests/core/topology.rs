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

/// [`nosql_case`] taking every data request, drawn with a second NoSQL store, `feeds`, taking
/// the API reads (its share of them); sending only `mix`.
fn two_nosql_stores(mix: [f64; 4]) -> Scenario {
    let p = nosql_case(mix, Flow::DATA.to_vec());
    let file = second_of_a_kind(p, "nosql", "feeds", vec![Flow::ApiRead]);
    file.lower().expect("two NoSQL stores lower")
}

#[test]
fn two_nosql_stores_each_take_the_kinds_their_edges_name() {
    let s = two_nosql_stores([1.0, 1.0, 1.0, 0.0]);
    assert_eq!(s.more_nosql.len(), 1);
    assert_eq!(s.more_nosql[0].name, "feeds");
    assert_eq!(s.more_nosql[0].takes, vec![Flow::ApiRead]);
    assert_eq!(s.nosql_of(Flow::ApiRead), Some(1));
    assert_eq!(s.nosql_of(Flow::PageView), Some(0));
    assert_eq!(s.nosql_of(Flow::Write), Some(0));
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    assert_eq!(Scenario::from_json(&s.to_json_pretty()).expect("reads"), s);
    let names = scalesim::scenario::component_names(&s);
    for n in ["nosql-0", "nosql-1", "feeds-0", "feeds-1"] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    // Only API reads: about half go to `feeds`, none to the first store.
    let r = run(&two_nosql_stores([0.0, 1.0, 0.0, 0.0]));
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served(&r, "nosql-"), 0);
    let d = r.data_store.as_ref().expect("a data-store report");
    let feeds = &d.more_nosql[0];
    assert_eq!((feeds.name.as_str(), feeds.nosql.writes), ("feeds", 0));
    assert_eq!(feeds.nosql.reads, served(&r, "feeds-"));
    about(
        feeds.nosql.reads + served(&r, "db-"),
        r.requests.completed,
        &r,
    );
    let share = feeds.nosql.reads as f64 / r.requests.completed as f64;
    assert!((share - 0.5).abs() < 0.05, "feeds' share {share}");
    assert_eq!(d.nosql.as_ref().expect("the first store").reads, 0);
    // Only writes: `feeds` sees none, the first store about half.
    let r = run(&two_nosql_stores([0.0, 0.0, 1.0, 0.0]));
    assert_conserved(&r);
    assert_eq!(served(&r, "feeds-"), 0);
    let first = r.data_store.as_ref().and_then(|d| d.nosql.as_ref());
    let writes = first.expect("the first store").writes;
    assert_eq!(writes, served(&r, "nosql-"));
    let share = writes as f64 / r.requests.completed as f64;
    assert!(
        (share - 0.5).abs() < 0.05,
        "the first store's share {share}"
    );
}

#[test]
fn killing_one_nosql_store_leaves_the_other_serving() {
    // Both of `feeds`' nodes die at 5 s for good: its API reads fail from then on, while the
    // first NoSQL store goes on serving page views and writes.
    let mut s = two_nosql_stores([1.0, 1.0, 1.0, 0.0]);
    for node in ["feeds-0", "feeds-1"] {
        s.faults.push(scalesim::scenario::Fault {
            target: node.into(),
            at_s: 5.0,
            duration_s: 0.0,
            kind: scalesim::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        });
    }
    s.validate().expect("valid faults");
    let r = run(&s);
    assert_conserved(&r);
    let served_at = |name: &str| {
        r.components
            .iter()
            .find(|c| c.name == name)
            .map_or(0, |c| c.served)
    };
    let feeds = served(&r, "feeds-");
    let first = served(&r, "nosql-");
    // 20 s of traffic: `feeds` served only in its first 5 s, the first store throughout.
    assert!(
        feeds > 100 && first > 4 * feeds,
        "feeds {feeds}, nosql {first}"
    );
    assert!(served_at("feeds-0") > 0 && served_at("feeds-1") > 0);
    assert!(r.requests.failed > feeds, "{:?}", r.requests);
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
pub(crate) fn two_of_a_kind(
    first: &str,
    second: &str,
    moved: Vec<Flow>,
) -> scalesim::scenario::TopologyFile {
    two_of_a_kind_in(5, first, second, moved)
}

/// [`two_of_a_kind`] in stage `stage`'s graph.
fn two_of_a_kind_in(
    stage: u8,
    first: &str,
    second: &str,
    moved: Vec<Flow>,
) -> scalesim::scenario::TopologyFile {
    second_of_a_kind(preset(stage).expect("a stage"), first, second, moved)
}

/// [`two_of_a_kind`] in scenario `s`'s graph.
fn second_of_a_kind(
    s: Scenario,
    first: &str,
    second: &str,
    moved: Vec<Flow>,
) -> scalesim::scenario::TopologyFile {
    let mut file = s.topology_file();
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
fn two_databases_lower_to_more_databases_and_back() {
    // Stage 5 drawn with a second database, `db-writes`, taking the writes while the cache
    // fronts the reads of the first: it lowers to `more_databases`, and back.
    let file = two_of_a_kind("db", "db-writes", vec![Flow::Write]);
    let s = file.lower().expect("two databases lower");
    assert_eq!(s.more_databases.len(), 1);
    assert_eq!(s.more_databases[0].name, "db-writes");
    assert_eq!(s.more_databases[0].takes, vec![Flow::Write]);
    assert_eq!(s.store_of(Flow::Write), 1);
    assert_eq!(s.store_of(Flow::PageView), 0);
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    assert_eq!(Scenario::from_json(&s.to_json_pretty()).expect("reads"), s);
    let names = scalesim::scenario::component_names(&s);
    for n in ["db-0", "db-1", "db-writes-0", "db-writes-1"] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }
    // Both reads through one cache (stage 5's own graph) still lower to one database.
    let s = preset(5)
        .expect("stage 5")
        .topology_file()
        .lower()
        .expect("lowers");
    assert!(s.more_databases.is_empty());
}

/// Stage 5 drawn with a second database, `db-writes`, storing the writes (straight from the
/// web pool) while the cache fronts the first's reads; sending only `mix`, for 20 s.
fn two_databases(mix: [f64; 4]) -> Scenario {
    let mut file = two_of_a_kind("db", "db-writes", vec![Flow::Write]);
    file.duration_s = 20;
    file.faults.clear();
    let mut s = file.lower().expect("two databases lower");
    let m = &mut s.traffic.mix;
    (m.page_view, m.api_read, m.write, m.static_asset) = (mix[0], mix[1], mix[2], mix[3]);
    s
}

/// Requests served by the first database's nodes (`db-0`, `db-1`…).
fn served_by_first_db(r: &scalesim::sim::Report) -> u64 {
    r.components
        .iter()
        .filter(|c| {
            c.name
                .strip_prefix("db-")
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|c| c.served)
        .sum()
}

#[test]
fn two_databases_each_store_what_their_edges_carry() {
    // Only writes: `db-writes` commits every one, the first database and the cache see none.
    let r = run(&two_databases([0.0, 0.0, 1.0, 0.0]));
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served_by_first_db(&r), 0);
    assert_eq!(served(&r, "cache-"), 0);
    about(served(&r, "db-writes-0"), r.requests.completed, &r);
    let writes = &r.more_databases[0];
    assert_eq!(writes.name, "db-writes");
    about(writes.database.writes_committed, r.requests.completed, &r);
    let first = r.database.as_ref().expect("the first database's report");
    assert_eq!(first.writes_committed, 0);

    // Only reads: through the cache to the first database; `db-writes` serves none.
    let r = run(&two_databases([50.0, 50.0, 0.0, 0.0]));
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served(&r, "db-writes-"), 0);
    let cache = r.cache.as_ref().expect("the cache's report");
    about(cache.hits + cache.misses, r.requests.completed, &r);
    about(served_by_first_db(&r), cache.misses, &r);

    // Both: writes commit in `db-writes` only, so they invalidate nothing in the cache in
    // front of the first database (a key of one store is not a key of the other).
    let r = run(&two_databases([40.0, 40.0, 20.0, 0.0]));
    assert_conserved(&r);
    let cache = r.cache.as_ref().expect("the cache's report");
    let first = r.database.as_ref().expect("the first database's report");
    let writes = &r.more_databases[0].database;
    assert!(writes.writes_committed > 500, "{writes:?}");
    assert_eq!(first.writes_committed, 0);
    assert_eq!(cache.invalidations, 0, "{cache:?}");
    about(served_by_first_db(&r), cache.misses, &r);
    about(
        served_by_first_db(&r) + served(&r, "db-writes-0") + served(&r, "db-writes-1"),
        cache.misses + writes.writes_committed,
        &r,
    );
}

#[test]
fn killing_one_database_leaves_the_other_serving() {
    // `db-writes`'s master dies at 5 s for good: writes fail until its replica is
    // promoted, then commit there; the first database keeps answering reads throughout.
    let mut s = two_databases([40.0, 40.0, 20.0, 0.0]);
    s.faults.push(scalesim::scenario::Fault {
        target: "db-writes-0".into(),
        at_s: 5.0,
        duration_s: 0.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    });
    s.validate().expect("valid faults");
    let r = run(&s);
    assert_conserved(&r);
    let writes = &r.more_databases[0].database;
    assert_eq!(writes.failovers.len(), 1, "{writes:?}");
    assert_eq!(writes.failovers[0].old_master, "db-writes-0");
    assert_eq!(writes.failovers[0].new_master, "db-writes-1");
    let first = r.database.as_ref().expect("the first database's report");
    assert!(first.failovers.is_empty(), "{first:?}");
    assert!(first
        .nodes
        .iter()
        .all(|n| n.name.starts_with("db-") && !n.name.starts_with("db-writes")));
    let up = |name: &str| {
        r.components
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.served)
            .expect("a component")
    };
    assert!(up("db-1") > 0 && up("db-writes-1") > 0);
    // The first database never failed a read: every failure was a write in the gap.
    let first_served = served_by_first_db(&r);
    let cache = r.cache.as_ref().expect("the cache's report");
    about(first_served, cache.misses, &r);
    // Slowing one of its nodes is a fault it may carry too.
    let mut slow = two_databases([0.0, 0.0, 1.0, 0.0]);
    slow.faults.push(scalesim::scenario::Fault {
        target: "db-writes-0".into(),
        kind: scalesim::scenario::FaultKind::Slow,
        factor: Some(4.0),
        at_s: 1.0,
        duration_s: 5.0,
        error_ratio: None,
        peer: None,
    });
    slow.validate()
        .expect("a further database's node can be slow");
    let r = run(&slow);
    assert_conserved(&r);
}

#[test]
fn each_database_has_its_own_circuit_breaker() {
    // `db-writes` loses both its nodes at 5 s for good: its breaker opens and fails writes at
    // once, while the first database's breaker stays closed and every read is served.
    let mut s = two_databases([40.0, 40.0, 20.0, 0.0]);
    s.server.breaker = Some(scalesim::scenario::Breaker {
        failures: 5,
        slow_call_ms: 500.0,
        open_ms: 2000.0,
        probes: 1,
    });
    for target in ["db-writes-0", "db-writes-1"] {
        s.faults
            .push(scalesim::scenario::Fault::down(target, 5.0, 0.0));
    }
    s.validate().expect("valid");
    let r = run(&s);
    assert_conserved(&r);
    let first = r.breaker.as_ref().expect("the first database's breaker");
    assert_eq!((first.trips, first.refused), (0, 0), "{first:?}");
    let writes = r.more_databases[0]
        .breaker
        .as_ref()
        .expect("db-writes' breaker");
    assert!(writes.trips >= 1 && writes.refused > 100, "{writes:?}");
    // Reads never failed: the first database answered every cache miss.
    let cache = r.cache.as_ref().expect("the cache's report");
    about(served_by_first_db(&r), cache.misses, &r);
    assert!(r.requests.failed >= writes.refused, "{:?}", r.requests);
    // The log and the diagnosis say whose breaker it is.
    assert!(r.events.iter().any(|e| e
        .text
        .starts_with("circuit breaker for db-writes open: calls to db-writes")));
    assert!(!r
        .events
        .iter()
        .any(|e| e.text.starts_with("circuit breaker open")));
    assert!(r.diagnosis.iter().any(|i| i.cause
        == scalesim::sim::diagnosis::Cause::BreakerOpen {
            store: Some("db-writes".into())
        }
        && i.summary.contains("db-writes")));
    // The report lists each breaker: the further database's beside its figures.
    let json = serde_json::to_value(&r).expect("serialises");
    assert!(json["more_databases"][0]["breaker"]["trips"].as_u64() >= Some(1));
}

/// Stage 10 drawn with a second database, `db-views`, beside the shard router: page views
/// go straight from the web pool to `db-views`, API reads through the cache and writes to
/// the router, which shards `db`.
fn database_beside_shards() -> scalesim::scenario::TopologyFile {
    let mut file = preset(10).expect("stage 10").topology_file();
    file.duration_s = 20;
    file.faults.clear();
    let t = &mut file.topology;
    let spec = t
        .nodes
        .iter()
        .find(|n| n.name == "db")
        .expect("db")
        .spec
        .clone();
    t.nodes.push(Node {
        name: "db-views".into(),
        spec,
    });
    for e in &mut t.edges {
        if ["cache", "shards", "db"].contains(&e.to.as_str()) {
            e.flows.retain(|f| *f != Flow::PageView);
        }
    }
    t.edges.retain(|e| !e.flows.is_empty());
    t.edges.push(Edge {
        from: "web".into(),
        to: "db-views".into(),
        flows: vec![Flow::PageView],
    });
    file
}

#[test]
fn a_second_database_runs_beside_a_shard_router() {
    let s = database_beside_shards().lower().expect("lowers");
    assert!(s.sharding.is_some());
    assert_eq!(s.more_databases.len(), 1);
    assert_eq!(s.more_databases[0].name, "db-views");
    assert_eq!(s.more_databases[0].takes, vec![Flow::PageView]);
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    let shards = s.sharding.as_ref().expect("sharding").shards;
    // Each kind reaches its store: page views only db-views, the rest only the shards.
    let r = run(&s);
    assert_conserved(&r);
    let views = served(&r, "db-views-");
    let sharded = served(&r, "shard-");
    assert!(views > 1000 && sharded > 1000, "{views} {sharded}");
    let pv = r
        .latency_by_kind
        .iter()
        .find(|k| k.kind == scalesim::sim::RequestKind::PageView)
        .expect("page views")
        .latency_ms
        .count;
    about(views, pv, &r);
    let first = r.database.as_ref().expect("the sharded database");
    assert!(first.writes_committed > 500, "{first:?}");
    assert_eq!(r.more_databases[0].database.writes_committed, 0);
    // A live reshard moves only the sharded store's keys, and says so.
    let five = scalesim::sim::SimTime::from_secs(5);
    let change = scalesim::scenario::LiveChange {
        at_ns: five.0,
        action: scalesim::scenario::LiveAction::Reshard(shards + 1),
    };
    let end = scalesim::sim::SimTime::from_secs(20);
    let r = scalesim::sim::live::replay(&s, &[change], end)
        .expect("runs")
        .report();
    assert_conserved(&r);
    let first = r.database.as_ref().expect("the sharded database");
    assert_eq!(first.reshards.len(), 1, "{:?}", first.reshards);
    assert!(first.reshards[0].keys_moved > 0);
    assert!(r.more_databases[0].database.reshards.is_empty());
    assert!(r.events.iter().any(|e| e
        .text
        .starts_with("resharding db (behind the shard router) to")
        && e.text.contains("db-views keeps its data")));
    assert!(served(&r, &format!("shard-{shards}-")) > 0);
}

/// Stage 5 drawn with a second cache, `cache-api`, fronting API reads while the first
/// fronts page views, both in front of the one database; sending only `mix`, for 20 s.
fn two_caches(mix: [f64; 4]) -> Scenario {
    let mut file = two_of_a_kind("cache", "cache-api", vec![Flow::ApiRead]);
    file.duration_s = 20;
    file.faults.clear();
    let mut s = file.lower().expect("two caches lower");
    let m = &mut s.traffic.mix;
    (m.page_view, m.api_read, m.write, m.static_asset) = (mix[0], mix[1], mix[2], mix[3]);
    s
}

/// Two caches with a stampede each: page views and API reads half and half, hot keys
/// (Zipf 1.3) expiring every second in both.
fn two_stampeding_caches(first: Option<bool>, second: Option<bool>) -> Scenario {
    let mut s = two_caches([0.5, 0.5, 0.0, 0.0]);
    s.duration_s = 30;
    s.traffic.keyspace.zipf_s = 1.3;
    let cache = s.cache.as_mut().expect("a cache");
    (cache.ttl_s, cache.coalesce) = (1.0, first);
    let api = &mut s.more_caches[0].cache;
    (api.ttl_s, api.coalesce) = (1.0, second);
    s
}

#[test]
fn two_caches_coalesce_each_with_its_own_reads_in_flight() {
    // Drawn with coalescing at both caches, it lowers (it used to be refused) and round-trips.
    let mut file = two_of_a_kind("cache", "cache-api", vec![Flow::ApiRead]);
    for n in &mut file.topology.nodes {
        if let NodeSpec::Cache(c) = &mut n.spec {
            c.coalesce = Some(true);
        }
    }
    let s = file.lower().expect("coalescing at two caches lowers");
    assert_eq!(s.more_caches[0].cache.coalesce, Some(true));
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    let stampede = |r: &scalesim::sim::Report, i: usize| {
        let c = match i {
            0 => r.cache.as_ref().expect("a cache"),
            n => &r.more_caches[n - 1].cache,
        };
        c.stampede.clone().expect("stampede figures")
    };
    // The first coalesces, the second only counts: each reports its own (30 s measured 95–131
    // coalesced or duplicate reads per cluster in the runs below).
    let r = run(&two_stampeding_caches(Some(true), Some(false)));
    assert_conserved(&r);
    let (first, second) = (stampede(&r, 0), stampede(&r, 1));
    assert!(first.coalesce && !second.coalesce);
    assert_eq!(first.duplicate_db_reads, 0, "{first:?}");
    assert!(first.coalesced > 50, "{first:?}");
    assert_eq!(second.coalesced, 0, "{second:?}");
    assert!(second.duplicate_db_reads > 50, "{second:?}");
    // And the other way round.
    let r = run(&two_stampeding_caches(Some(false), Some(true)));
    let (first, second) = (stampede(&r, 0), stampede(&r, 1));
    assert!(
        first.duplicate_db_reads > 50 && first.coalesced == 0,
        "{first:?}"
    );
    assert!(
        second.duplicate_db_reads == 0 && second.coalesced > 50,
        "{second:?}"
    );
    // Both coalescing: each cluster's misses wait only for its own reads, so every miss
    // either reads or waits, per cluster, and each saves its database reads.
    let r = run(&two_stampeding_caches(Some(true), Some(true)));
    assert_conserved(&r);
    for i in 0..2 {
        let st = stampede(&r, i);
        assert!(
            st.coalesced > 50 && st.duplicate_db_reads == 0,
            "{i}: {st:?}"
        );
    }
    // The old live switch (`coalesce:on`, as links written before caches had names) turns
    // both on.
    let s = two_stampeding_caches(None, None);
    let change = scalesim::scenario::LiveChange {
        at_ns: scalesim::sim::SimTime::from_secs(5).0,
        action: scalesim::scenario::LiveAction::Mechanism {
            which: scalesim::scenario::Mechanism::Coalesce,
            on: true,
        },
    };
    let until = scalesim::sim::SimTime::from_secs(30);
    let sim = scalesim::sim::live::replay(&s, &[change], until).expect("replays");
    let r = sim.report();
    assert_conserved(&r);
    for i in 0..2 {
        let st = stampede(&r, i);
        assert!(st.coalesce && st.coalesced > 50, "{i}: {st:?}");
    }
    assert_eq!(sim.scenario().more_caches[0].cache.coalesce, Some(true));
}

#[test]
fn coalescing_switches_live_at_one_cache_alone() {
    use scalesim::scenario::live::{decode_changes, encode_changes};
    use scalesim::scenario::{LiveAction, LiveChange};
    use scalesim::sim::{chaos, live, Sim, SimTime};
    let s = two_stampeding_caches(None, None);
    let sim = Sim::new(&s).expect("runs");
    // With two caches the catalogue offers coalescing once per cache, each marked with it.
    let entries = chaos::catalogue(sim.scenario(), sim.components(), &sim.snapshot());
    let offered: Vec<&chaos::Entry> = entries.iter().filter(|e| e.key == "coalesce").collect();
    let marks: Vec<Option<&str>> = offered.iter().map(|e| e.cache.as_deref()).collect();
    assert_eq!(marks, [Some("cache"), Some("cache-api")]);
    let entry = offered[1];
    assert_eq!(entry.unavailable, None);
    assert!(entry.title.contains("cache-api"), "{}", entry.title);
    assert_eq!(
        entry.actions,
        [LiveAction::CoalesceAt {
            cache: "cache-api".into(),
            on: true
        }]
    );
    // Switched on at cache-api at 5 s: cache-api coalesces, the first cache does not.
    let changes = vec![LiveChange {
        at_ns: SimTime::from_secs(5).0,
        action: entry.actions[0].clone(),
    }];
    let text = encode_changes(&changes);
    assert_eq!(text, "5:coalesce:cache-api:on");
    assert_eq!(decode_changes(&text).unwrap(), changes);
    let until = SimTime::from_secs(30);
    let sim = live::replay(&s, &changes, until).expect("replays");
    let r = sim.report();
    assert_conserved(&r);
    let api = r.more_caches[0].cache.stampede.clone().expect("counted");
    assert!(api.coalesce && api.coalesced > 50, "{api:?}");
    let first = r.cache.as_ref().expect("a cache").stampede.clone();
    assert!(
        first
            .as_ref()
            .is_none_or(|f| !f.coalesce && f.coalesced == 0),
        "{first:?}"
    );
    assert_eq!(sim.scenario().cache.as_ref().unwrap().coalesce, None);
    assert_eq!(sim.scenario().more_caches[0].cache.coalesce, Some(true));
    // The log names the cache.
    assert!(r
        .events
        .iter()
        .any(|e| e.text.starts_with("request coalescing on at cache-api:")));
    // The catalogue now offers switching it off there, and still on at the first.
    let entries = chaos::catalogue(sim.scenario(), sim.components(), &sim.snapshot());
    let titles: Vec<&str> = (entries.iter())
        .filter(|e| e.key == "coalesce")
        .map(|e| e.title.as_str())
        .collect();
    assert_eq!(
        titles,
        [
            "Request coalescing on at cache (the stampede's repair)",
            "Request coalescing off at cache-api"
        ]
    );
    // Flushing the first cache counts its stampede without switching cache-api off.
    let flush = entries.iter().find(|e| e.key == "stampede").expect("flush");
    assert!(!flush.actions.iter().any(|a| match a {
        LiveAction::Mechanism { .. } => true,
        LiveAction::CoalesceAt { cache, .. } => cache == "cache-api",
        _ => false,
    }));
    // A cache the run does not have is refused by name.
    let mut sim = Sim::new(&s).expect("runs");
    let bad = LiveAction::CoalesceAt {
        cache: "cache-x".into(),
        on: true,
    };
    assert_eq!(
        live::apply(&mut sim, &bad),
        Err(live::LiveApplyError::UnknownComponent("cache-x".into()))
    );
}

/// With two caches the catalogue offers "Kill cache node" and "Flush cache" once per cache,
/// each marked with it (they used to name only the first cache's node). Flushing `cache-api`
/// at 5 s switches coalescing off there alone (so its stampede is counted), empties its
/// first node and brings it straight back: the link carries it by the cache's names, the log
/// and the diagnosis name the node, the first cache is left as it was, and the CLI running
/// the link reports the same stampede. The first cache's flush is the same three changes as
/// before, so links written before keep their meaning.
#[test]
fn killing_and_flushing_are_offered_at_each_cache() {
    use scalesim::scenario::live::{decode_changes, encode_changes};
    use scalesim::scenario::{encode_graph, LiveAction, LiveChange};
    use scalesim::sim::diagnosis::Cause;
    use scalesim::sim::{chaos, live, Sim, SimTime};
    let s = two_stampeding_caches(None, None);
    let sim = Sim::new(&s).expect("runs");
    let entries = chaos::catalogue(sim.scenario(), sim.components(), &sim.snapshot());
    let of =
        |key: &str| -> Vec<&chaos::Entry> { entries.iter().filter(|e| e.key == key).collect() };
    for key in ["kill-cache", "stampede", "coalesce"] {
        let marks: Vec<Option<&str>> = of(key).iter().map(|e| e.cache.as_deref()).collect();
        assert_eq!(marks, [Some("cache"), Some("cache-api")], "{key}");
        assert!(of(key).iter().all(|e| e.unavailable.is_none()), "{key}");
    }
    let titles: Vec<&str> = of("kill-cache").iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Kill cache node cache-0", "Kill cache node cache-api-0"]
    );
    let (first, api) = (of("stampede")[0], of("stampede")[1]);
    assert_eq!(api.title, "Flush cache-api-0 (stampede)");
    assert_eq!(
        first.actions,
        [
            LiveAction::CoalesceAt {
                cache: "cache".into(),
                on: false
            },
            LiveAction::Kill("cache-0".into()),
            LiveAction::Repair("cache-0".into()),
        ]
    );
    assert_eq!(
        api.actions,
        [
            LiveAction::CoalesceAt {
                cache: "cache-api".into(),
                on: false
            },
            LiveAction::Kill("cache-api-0".into()),
            LiveAction::Repair("cache-api-0".into()),
        ]
    );
    let five = SimTime::from_secs(5);
    let changes: Vec<LiveChange> = (api.actions.iter())
        .map(|a| LiveChange {
            at_ns: five.0,
            action: a.clone(),
        })
        .collect();
    let text = encode_changes(&changes);
    assert_eq!(
        text,
        "5:coalesce:cache-api:off,5:kill:cache-api-0,5:repair:cache-api-0"
    );
    assert_eq!(decode_changes(&text).unwrap(), changes);
    let until = SimTime::from_secs(u64::from(s.duration_s));
    let sim = live::replay(&s, &changes, until).expect("replays");
    let r = sim.report();
    assert_conserved(&r);
    let counted = r.more_caches[0].cache.stampede.clone().expect("counted");
    assert!(
        !counted.coalesce && counted.duplicate_db_reads > 50,
        "{counted:?}"
    );
    // The first cache is left alone: coalescing neither switched nor counted there.
    assert_eq!(sim.scenario().cache.as_ref().unwrap().coalesce, None);
    assert!(r.cache.as_ref().unwrap().stampede.is_none());
    assert_eq!(sim.scenario().more_caches[0].cache.coalesce, Some(false));
    for line in [
        "request coalescing off at cache-api:",
        "cache-api-0 down (killed by the user); its keys are gone",
        "cache-api-0 back up (repaired by the user)",
    ] {
        assert!(
            r.events.iter().any(|e| e.text.starts_with(line)),
            "{line}: {:#?}",
            r.events
        );
    }
    assert!(!r.events.iter().any(|e| e.text.starts_with("cache-0 ")));
    assert!(
        sim.incidents().iter().any(|i| i.start_s == 5.0
            && matches!(&i.cause, Cause::ComponentDown { component, .. } if component == "cache-api-0")),
        "{:#?}",
        sim.incidents()
    );
    // The CLI runs the link with these changes to the same stampede.
    let link = encode_graph(&s.topology_file(), &changes, None);
    let (code, out, err) = scalesim(&["run", "--url", &link, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let by_cli = &report["more_caches"][0]["stampede"];
    assert_eq!(
        by_cli["duplicate_db_reads"].as_u64(),
        Some(counted.duplicate_db_reads),
        "{by_cli}"
    );
    // Killed at cache-api alone: that cache is offered its node's repair, the first its kill.
    let kill = of("kill-cache")[1];
    let killed = live::replay(
        &s,
        &[LiveChange {
            at_ns: five.0,
            action: kill.actions[0].clone(),
        }],
        SimTime::from_secs(6),
    )
    .expect("replays");
    let later = chaos::catalogue(killed.scenario(), killed.components(), &killed.snapshot());
    let keys: Vec<(&str, Option<&str>)> = (later.iter())
        .filter(|e| e.cache.is_some() && e.key != "coalesce")
        .map(|e| (e.key, e.cache.as_deref()))
        .collect();
    assert_eq!(
        keys,
        [
            ("kill-cache", Some("cache")),
            ("stampede", Some("cache")),
            ("repair-cache", Some("cache-api")),
            ("stampede", Some("cache-api")),
        ]
    );
    let flush = later
        .iter()
        .find(|e| e.key == "stampede" && e.cache.as_deref() == Some("cache-api"));
    assert!(flush.is_some_and(|f| f.unavailable.is_some()), "{flush:#?}");
}

/// Requests served by the first cache's nodes (`cache-0`, `cache-1`…).
fn served_by_first_cache(r: &scalesim::sim::Report) -> u64 {
    r.components
        .iter()
        .filter(|c| {
            c.name
                .strip_prefix("cache-")
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|c| c.served)
        .sum()
}

#[test]
fn two_caches_each_take_the_reads_their_edges_carry() {
    let file = two_of_a_kind("cache", "cache-api", vec![Flow::ApiRead]);
    let s = file.lower().expect("two caches lower");
    assert_eq!(s.more_caches.len(), 1);
    assert_eq!(s.more_caches[0].name, "cache-api");
    assert_eq!(s.more_caches[0].fronts, vec![Flow::ApiRead]);
    assert!(s.cache_fronts(Flow::PageView) && !s.cache_fronts(Flow::ApiRead));
    assert!(s.routes.is_none(), "{:?}", s.routes);
    // Its graph lowers back to the same scenario, and its file and link carry it.
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    assert_eq!(Scenario::from_json(&s.to_json_pretty()).expect("reads"), s);
    let names = scalesim::scenario::component_names(&s);
    for n in ["cache-0", "cache-2", "cache-api-0", "cache-api-2"] {
        assert!(names.iter().any(|x| x == n), "{n} in {names:?}");
    }

    // Only page views: the first cache takes every one, `cache-api` none.
    let r = run(&two_caches([1.0, 0.0, 0.0, 0.0]));
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served(&r, "cache-api-"), 0);
    about(served_by_first_cache(&r), r.requests.completed, &r);
    let first = r.cache.as_ref().expect("the first cache's report");
    let api = &r.more_caches[0];
    assert_eq!(api.name, "cache-api");
    assert_eq!(api.cache.hits + api.cache.misses, 0);
    about(served(&r, "db-"), first.misses, &r);

    // Only API reads: `cache-api` takes every one, the first cache none; the database sees
    // only `cache-api`'s misses.
    let r = run(&two_caches([0.0, 1.0, 0.0, 0.0]));
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served_by_first_cache(&r), 0);
    about(served(&r, "cache-api-"), r.requests.completed, &r);
    let api = &r.more_caches[0].cache;
    about(api.hits + api.misses, r.requests.completed, &r);
    assert!(api.hits > api.misses, "{api:?}");
    about(served(&r, "db-"), api.misses, &r);
    let first = r.cache.as_ref().expect("the first cache's report");
    assert_eq!(first.hits + first.misses, 0);

    // Both, and writes: each cache answers its own kind; the whole is conserved.
    let r = run(&two_caches([40.0, 40.0, 20.0, 0.0]));
    assert_conserved(&r);
    let first = r.cache.as_ref().expect("the first cache's report");
    let api = &r.more_caches[0].cache;
    assert!(first.hits > 0 && api.hits > 0, "{first:?} {api:?}");
    assert!(first.invalidations > 0 && api.invalidations > 0);
    about(
        served_by_first_cache(&r) + served(&r, "cache-api-"),
        first.hits + first.misses + api.hits + api.misses,
        &r,
    );
}

#[test]
fn killing_one_cache_leaves_the_other_serving() {
    // Every node of `cache-api` dies at 5 s for good: its API reads go straight to the
    // database from then on, while the first cache keeps answering page views.
    let mut s = two_caches([50.0, 50.0, 0.0, 0.0]);
    for node in 0..3 {
        s.faults.push(scalesim::scenario::Fault {
            target: format!("cache-api-{node}"),
            at_s: 5.0,
            duration_s: 0.0,
            kind: scalesim::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        });
    }
    s.validate().expect("valid faults");
    let r = run(&s);
    assert_conserved(&r);
    let first = r.cache.as_ref().expect("the first cache's report");
    let api = &r.more_caches[0].cache;
    assert_eq!(first.bypassed, 0, "{first:?}");
    assert!(api.bypassed > 1000, "{api:?}");
    assert!(first.hits > api.hits * 2, "{first:?} {api:?}");
    assert!(api.items.iter().all(|&n| n == 0), "{api:?}");
    let up = |name: &str| {
        r.components
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.served)
            .expect("a component")
    };
    assert!(up("cache-0") > 0 && up("cache-api-0") > 0);
    // Slowing one of its nodes is a fault it may carry too.
    let mut slow = two_caches([0.0, 1.0, 0.0, 0.0]);
    slow.faults.push(scalesim::scenario::Fault {
        target: "cache-api-1".into(),
        kind: scalesim::scenario::FaultKind::Slow,
        factor: Some(4.0),
        at_s: 1.0,
        duration_s: 5.0,
        error_ratio: None,
        peer: None,
    });
    slow.validate().expect("a cache node can be slow");
}

#[test]
fn two_caches_are_checked() {
    // The same read through two caches: one next stop per flow.
    let mut file = two_of_a_kind("cache", "cache-api", vec![Flow::ApiRead]);
    for e in &mut file.topology.edges {
        if e.from == "web" && e.to == "cache" {
            e.flows = vec![Flow::PageView, Flow::ApiRead];
        }
    }
    let e = file.lower().expect_err("refused").to_string();
    assert!(e.contains("has one next stop"), "{e}");
    // A second cache named like the engine's web servers (`web-0`…).
    let mut s = two_caches([1.0, 0.0, 0.0, 0.0]);
    s.more_caches[0].name = "web".into();
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("more_caches[0].name"), "{e}");
    assert!(e.contains("choose another name"), "{e}");
    // A further cache in a scenario file names reads only, each once.
    let mut s = two_caches([1.0, 0.0, 0.0, 0.0]);
    s.more_caches[0].fronts = vec![Flow::Write, Flow::ApiRead, Flow::ApiRead];
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("more_caches[0].fronts[0]"), "{e}");
    assert!(e.contains("named twice"), "{e}");
    // Every read through further caches leaves the first one idle.
    let mut s = two_caches([1.0, 0.0, 0.0, 0.0]);
    s.more_caches[0].fronts = vec![Flow::PageView, Flow::ApiRead];
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("fronts none"), "{e}");
}

#[test]
fn two_caches_run_in_every_data_center_at_stage_11() {
    let mut file = two_of_a_kind_in(11, "cache", "cache-api", vec![Flow::ApiRead]);
    file.duration_s = 10;
    file.faults.clear();
    let mut s = file.lower().expect("two caches lower at stage 11");
    assert_eq!(s.more_caches.len(), 1);
    let dc = s.geo.as_ref().expect("geo").data_centers[0].name.clone();
    // A slow node of one data center's second cache is a fault it may carry.
    s.faults.push(scalesim::scenario::Fault {
        target: format!("{dc}/cache-api-0"),
        kind: scalesim::scenario::FaultKind::Slow,
        factor: Some(4.0),
        at_s: 1.0,
        duration_s: 5.0,
        error_ratio: None,
        peer: None,
    });
    s.validate().expect("valid");
    let r = run(&s);
    assert_conserved(&r);
    let geo = r.geo.as_ref().expect("a geo report");
    let busy = geo
        .data_centers
        .iter()
        .filter(|d| d.requests.completed >= 1000)
        .count();
    assert!(busy >= 2, "{busy} busy data centers");
    for d in &geo.data_centers {
        if d.requests.completed < 1000 {
            continue;
        }
        let first = d.cache.as_ref().expect("its first cache");
        let api = &d.more_caches[0];
        assert_eq!(api.name, "cache-api");
        assert!(
            first.hits > 0 && api.cache.hits > 0,
            "{}: {first:?} {api:?}",
            d.name
        );
    }
    assert!(r
        .components
        .iter()
        .any(|c| c.name == format!("{dc}/cache-api-0") && c.served > 0));
}

#[test]
fn two_databases_run_in_every_data_center_at_stage_11() {
    // Stage 11 without its shard router (a second database beside one is tested above).
    let mut p = preset(11).expect("stage 11");
    p.sharding = None;
    let mut file = second_of_a_kind(p, "db", "db-writes", vec![Flow::Write]);
    file.duration_s = 12;
    file.faults.clear();
    let mut s = file.lower().expect("two databases lower at stage 11");
    assert_eq!(s.more_databases.len(), 1);
    let dc = s.geo.as_ref().expect("geo").data_centers[0].name.clone();
    // One data center's second database loses its master at 1 s (promoted 8 s later).
    s.faults.push(scalesim::scenario::Fault {
        target: format!("{dc}/db-writes-0"),
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        at_s: 1.0,
        duration_s: 0.0,
        error_ratio: None,
        peer: None,
    });
    s.validate().expect("valid");
    let r = run(&s);
    assert_conserved(&r);
    let geo = r.geo.as_ref().expect("a geo report");
    let busy: Vec<_> = geo
        .data_centers
        .iter()
        .filter(|d| d.requests.completed >= 1000)
        .collect();
    assert!(busy.len() >= 2, "{} busy data centers", busy.len());
    for d in busy {
        let first = d.database.as_ref().expect("its first database");
        let writes = &d.more_databases[0];
        assert_eq!(writes.name, "db-writes");
        assert_eq!(first.writes_committed, 0, "{}", d.name);
        assert!(writes.database.writes_committed > 0, "{}", d.name);
        let failovers = writes.database.failovers.len();
        assert_eq!(failovers, usize::from(d.name == dc), "{}", d.name);
        assert!(first.failovers.is_empty(), "{}", d.name);
    }
    assert!(r
        .components
        .iter()
        .any(|c| c.name == format!("{dc}/db-writes-1") && c.served > 0));
}

#[test]
fn two_databases_are_checked() {
    // A cache fronting reads stored in two databases: one message, on the cache.
    let mut file = two_of_a_kind("db", "db-writes", vec![Flow::Write]);
    for e in &mut file.topology.edges {
        if e.from == "cache" && e.to == "db" {
            e.flows = vec![Flow::PageView];
        }
    }
    file.topology.edges.push(Edge {
        from: "cache".into(),
        to: "db-writes".into(),
        flows: vec![Flow::ApiRead],
    });
    let e = file.lower().expect_err("refused").to_string();
    assert_eq!(e.matches("a cache fronts one database").count(), 1, "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    // Beside a shard router (stage 10), a request sent straight to the database the router
    // shards is refused, naming both; a router sending to two databases too.
    let mut file = preset(10).expect("stage 10").topology_file();
    for e in &mut file.topology.edges {
        if e.from == "web" && e.to == "shards" {
            e.flows.retain(|f| *f != Flow::Write);
        }
    }
    file.topology.edges.push(Edge {
        from: "web".into(),
        to: "db".into(),
        flows: vec![Flow::Write],
    });
    let e = file.lower().expect_err("refused").to_string();
    assert!(
        e.contains("`shards`") && e.contains("straight to `db`"),
        "{e}"
    );
    assert_eq!(e.matches("which the router shards").count(), 1, "{e}");
    let mut file = database_beside_shards();
    file.topology.edges.push(Edge {
        from: "shards".into(),
        to: "db-views".into(),
        flows: vec![Flow::PageView],
    });
    let e = file.lower().expect_err("refused").to_string();
    assert!(e.contains("splits one database's data"), "{e}");
    assert!(e.contains("raise the router's shard count"), "{e}");
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    // Two NoSQL stores: a further one named like the first's nodes, or taking a kind
    // twice, is refused by name.
    let mut s = two_nosql_stores([1.0, 1.0, 1.0, 0.0]);
    s.more_nosql[0].name = "nosql".into();
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("more_nosql[0].name"), "{e}");
    assert!(e.contains("choose another name"), "{e}");
    let mut s = two_nosql_stores([1.0, 1.0, 1.0, 0.0]);
    s.more_nosql[0].takes = vec![Flow::ApiRead, Flow::ApiRead, Flow::StaticAsset];
    let e = s.validate().expect_err("refused").to_string();
    assert!(
        e.contains("more_nosql[0].takes[1]: API reads named twice"),
        "{e}"
    );
    assert!(e.contains("cannot take static assets"), "{e}");
    // In a scenario file: a name like the engine's own, flows that are not data requests or
    // named twice, every flow taken from the first database.
    let mut s = two_databases([1.0, 0.0, 0.0, 0.0]);
    s.more_databases[0].name = "web".into();
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("more_databases[0].name"), "{e}");
    assert!(e.contains("choose another name"), "{e}");
    let mut s = two_databases([1.0, 0.0, 0.0, 0.0]);
    s.more_databases[0].takes = vec![Flow::Job, Flow::Write, Flow::Write];
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("more_databases[0].takes[0]"), "{e}");
    assert!(e.contains("named twice"), "{e}");
    let mut s = two_databases([1.0, 0.0, 0.0, 0.0]);
    s.more_databases[0].takes = Flow::DATA.to_vec();
    s.cache = None;
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("stores none"), "{e}");
    // The chaos catalogue offers each database's entries, against its own nodes, even with
    // both nodes of the first down.
    let s = two_databases([1.0, 0.0, 1.0, 0.0]);
    let mut sim = scalesim::sim::Sim::new(&s).expect("runs");
    for name in ["db-0", "db-1"] {
        let id = sim
            .components()
            .iter()
            .find(|c| c.name == name)
            .expect("a node")
            .id;
        sim.kill(id);
    }
    let entries =
        scalesim::sim::chaos::catalogue(sim.scenario(), sim.components(), &sim.snapshot());
    let slow = |store: &str| {
        entries
            .iter()
            .find(|e| e.key == "slow-database" && e.store.as_deref() == Some(store))
            .unwrap_or_else(|| panic!("a slow-database entry for {store}"))
    };
    assert!(slow("db").title.contains("db-0"), "{}", slow("db").title);
    assert!(slow("db").unavailable.is_some());
    assert!(slow("db-writes").title.contains("db-writes-0"));
    assert_eq!(slow("db-writes").unavailable, None);
    // Five entries per store (db-0 is down: its repair), each naming its store.
    for store in ["db", "db-writes"] {
        let keys: Vec<&str> = entries
            .iter()
            .filter(|e| e.store.as_deref() == Some(store))
            .map(|e| e.key)
            .collect();
        let kill = if store == "db" {
            "repair-master"
        } else {
            "kill-master"
        };
        for key in [
            kill,
            "slow-database",
            "retry-storm",
            "sync-workers",
            "breaker",
        ] {
            assert!(keys.contains(&key), "{store}: {key} in {keys:?}");
        }
        assert_eq!(keys.len(), 5, "{store}: {keys:?}");
    }
}

#[test]
fn the_chaos_catalogue_kills_each_database_on_its_own() {
    // Each store gets its own kill-master entry; applying `db-writes`' at 5 s fails over
    // `db-writes` only, while `db` keeps its master and serves reads.
    let s = two_databases([40.0, 40.0, 20.0, 0.0]);
    let five = scalesim::sim::SimTime::from_secs(5);
    let sim = scalesim::sim::live::replay(&s, &[], five).expect("runs");
    let entries =
        scalesim::sim::chaos::catalogue(sim.scenario(), sim.components(), &sim.snapshot());
    let kills: Vec<_> = entries.iter().filter(|e| e.key == "kill-master").collect();
    assert_eq!(kills.len(), 2, "{kills:?}");
    assert_eq!(kills[0].store.as_deref(), Some("db"));
    assert_eq!(kills[0].title, "Master database db-0 fails");
    let writes = kills[1];
    assert_eq!(writes.store.as_deref(), Some("db-writes"));
    assert_eq!(writes.title, "Master database db-writes-0 fails");
    let changes: Vec<scalesim::scenario::LiveChange> = writes
        .actions
        .iter()
        .map(|a| scalesim::scenario::LiveChange {
            at_ns: five.0,
            action: a.clone(),
        })
        .collect();
    let end = scalesim::sim::SimTime::from_secs(u64::from(s.duration_s));
    let r = scalesim::sim::live::replay(&s, &changes, end)
        .expect("runs")
        .report();
    assert_conserved(&r);
    let failovers = &r.more_databases[0].database.failovers;
    assert_eq!(failovers.len(), 1, "{failovers:?}");
    assert_eq!(failovers[0].old_master, "db-writes-0");
    let first = r.database.as_ref().expect("the first database's report");
    assert!(first.failovers.is_empty(), "{first:?}");
    assert!(served_by_first_db(&r) > 1000);
    // With one database, the entries name no store (as before).
    let one = scalesim::scenario::preset(4).expect("stage 4");
    let sim = scalesim::sim::live::replay(&one, &[], five).expect("runs");
    let entries =
        scalesim::sim::chaos::catalogue(sim.scenario(), sim.components(), &sim.snapshot());
    assert!(entries.iter().all(|e| e.store.is_none()));
    assert_eq!(entries.iter().filter(|e| e.key == "kill-master").count(), 1);
}

/// Stage `stage`'s graph with a second web pool, `web-api`, beside `web` (with its
/// parameters, its own autoscaler if `web` has one), serving the kinds `moved` (the balancer's
/// wire and the data wires of those kinds go to and from `web-api`; both pools read sessions
/// from the store, if there is one).
fn two_web_pools_in(stage: u8, moved: Vec<Flow>) -> scalesim::scenario::TopologyFile {
    let mut file = preset(stage).expect("a stage").topology_file();
    let t = &mut file.topology;
    let web = t.nodes.iter().find(|n| n.name == "web").expect("web");
    let spec = web.spec.clone();
    t.nodes.push(Node {
        name: "web-api".into(),
        spec,
    });
    if let Some(a) = t.nodes.iter().find(|n| n.name == "autoscaler") {
        let spec = a.spec.clone();
        t.nodes.push(Node {
            name: "web-api-autoscaler".into(),
            spec,
        });
        t.edges.push(Edge {
            from: "web-api-autoscaler".into(),
            to: "web-api".into(),
            flows: vec![Flow::Control],
        });
    }
    let mut extra = Vec::new();
    for e in &mut t.edges {
        if e.to == "web" {
            extra.push(Edge {
                from: e.from.clone(),
                to: "web-api".into(),
                flows: e
                    .flows
                    .iter()
                    .copied()
                    .filter(|f| moved.contains(f))
                    .collect(),
            });
            e.flows
                .retain(|f| !moved.contains(f) || *f == Flow::Control);
        }
        if e.from == "web" {
            let (theirs, ours): (Vec<Flow>, Vec<Flow>) = e.flows.iter().partition(|f| {
                moved.contains(f) || (**f == Flow::Job && moved.contains(&Flow::Write))
            });
            if e.flows.contains(&Flow::Session) {
                extra.push(Edge {
                    from: "web-api".into(),
                    to: e.to.clone(),
                    flows: vec![Flow::Session],
                });
            }
            extra.push(Edge {
                from: "web-api".into(),
                to: e.to.clone(),
                flows: theirs,
            });
            e.flows = ours;
        }
    }
    t.edges.extend(extra);
    t.edges.retain(|e| !e.flows.is_empty());
    file
}

/// Stage 5 drawn with a second web pool, `web-api`, serving API reads and writes while `web`
/// serves page views and static assets; sending only `mix`, for 20 s.
fn two_web_pools(mix: [f64; 4]) -> Scenario {
    let mut file = two_web_pools_in(5, vec![Flow::ApiRead, Flow::Write]);
    file.duration_s = 20;
    file.faults.clear();
    let mut s = file.lower().expect("two web pools lower");
    let m = &mut s.traffic.mix;
    (m.page_view, m.api_read, m.write, m.static_asset) = (mix[0], mix[1], mix[2], mix[3]);
    s
}

/// Requests served by the first web pool's servers (`web-0`, `web-1`…).
fn served_by_first_pool(r: &scalesim::sim::Report) -> u64 {
    r.components
        .iter()
        .filter(|c| {
            c.name
                .strip_prefix("web-")
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .map(|c| c.served)
        .sum()
}

#[test]
fn two_web_pools_each_serve_the_kinds_their_edges_carry() {
    let file = two_web_pools_in(5, vec![Flow::ApiRead, Flow::Write]);
    let s = file.lower().expect("two web pools lower");
    // The editor's group boxes open to the servers named after each pool.
    let t = &file.topology;
    assert_eq!(t.web_stem("web"), Some("web"));
    assert_eq!(t.web_stem("web-api"), Some("web-api"));
    assert_eq!(t.web_stem("lb"), None);
    assert_eq!(s.more_web_pools.len(), 1);
    let api = &s.more_web_pools[0];
    assert_eq!(api.name, "web-api");
    assert_eq!(api.serves, vec![Flow::ApiRead, Flow::Write]);
    assert_eq!(api.server, s.server);
    assert_eq!(s.web_pool_of(Flow::PageView), 0);
    assert_eq!(s.web_pool_of(Flow::Write), 1);
    // Its graph lowers back to the same scenario, and its file and link carry it.
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    assert_eq!(Scenario::from_json(&s.to_json_pretty()).expect("reads"), s);
    let names = scalesim::scenario::component_names(&s);
    let count = s.server.count;
    for n in [
        "web-0".to_string(),
        format!("web-{}", count - 1),
        "web-api-0".to_string(),
        format!("web-api-{}", count - 1),
    ] {
        assert!(names.contains(&n), "{n} in {names:?}");
    }

    // Only page views: the first pool serves every one, `web-api` none.
    let r = run(&two_web_pools([1.0, 0.0, 0.0, 0.0]));
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served(&r, "web-api-"), 0);
    about(served_by_first_pool(&r), r.requests.completed, &r);
    assert_eq!(r.more_web_pools[0].served, 0);

    // Only API reads and writes: `web-api` serves every one, the first pool none; its report
    // entry counts what its servers did.
    let r = run(&two_web_pools([0.0, 60.0, 40.0, 0.0]));
    assert_conserved(&r);
    assert!(r.requests.completed > 1000, "{:?}", r.requests);
    assert_eq!(served_by_first_pool(&r), 0);
    about(served(&r, "web-api-"), r.requests.completed, &r);
    let entry = &r.more_web_pools[0];
    assert_eq!(entry.name, "web-api");
    assert_eq!(entry.served, served(&r, "web-api-"));
    assert_eq!(entry.servers, count);

    // Every kind: each pool serves its own; the whole is conserved and every request that
    // reached a web server was served by the pool its kind goes to.
    let r = run(&two_web_pools([40.0, 30.0, 10.0, 20.0]));
    assert_conserved(&r);
    let (first, api) = (served_by_first_pool(&r), served(&r, "web-api-"));
    assert!(first > 1000 && api > 1000, "{first} {api}");
    about(first + api, r.requests.completed, &r);
    use scalesim::sim::RequestKind as K;
    let done = |k: K| {
        (r.latency_by_kind.iter())
            .find(|x| x.kind == k)
            .map_or(0, |x| x.latency_ms.count)
    };
    about(first, done(K::PageView) + done(K::StaticAsset), &r);
    about(api, done(K::ApiRead) + done(K::Write), &r);
}

#[test]
fn killing_one_pools_servers_leaves_the_other_pool_serving() {
    // Every server of `web-api` dies at 5 s for good: once the balancer's health checks take
    // them out, API reads and writes find no healthy server, while page views keep being
    // served by the first pool; `web-0`… never see an API read.
    let mut s = two_web_pools([50.0, 40.0, 10.0, 0.0]);
    for server in 0..s.more_web_pools[0].server.count {
        s.faults.push(scalesim::scenario::Fault {
            target: format!("web-api-{server}"),
            at_s: 5.0,
            duration_s: 0.0,
            kind: scalesim::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        });
    }
    s.validate().expect("valid faults");
    let r = run(&s);
    assert_conserved(&r);
    let reasons = &r.requests.failed_by_reason;
    assert!(reasons.no_healthy_server > 1000, "{reasons:?}");
    use scalesim::sim::RequestKind as K;
    let done = |k: K| {
        (r.latency_by_kind.iter())
            .find(|x| x.kind == k)
            .map_or(0, |x| x.latency_ms.count)
    };
    // API reads and writes completed only in the first 5 s (of 20), page views throughout.
    assert!(
        done(K::PageView) > 3 * done(K::ApiRead),
        "{}",
        done(K::ApiRead)
    );
    about(served_by_first_pool(&r), done(K::PageView), &r);
    assert!(r.events.iter().any(|e| e.text.contains("web-api-0 down")));
    assert!(!r.events.iter().any(|e| e.text.contains("web-0 down")));
    // Slowing one of its servers is a fault it may carry too.
    let mut slow = two_web_pools([0.0, 1.0, 0.0, 0.0]);
    slow.faults.push(scalesim::scenario::Fault {
        target: "web-api-1".into(),
        kind: scalesim::scenario::FaultKind::Slow,
        factor: Some(4.0),
        at_s: 1.0,
        duration_s: 5.0,
        error_ratio: None,
        peer: None,
    });
    slow.validate().expect("a web-api server can be slow");
    let r = run(&slow);
    let api1 = r.components.iter().find(|c| c.name == "web-api-1");
    assert!(api1.is_some_and(|c| c.slowed_s.is_some()), "{api1:?}");
    let web1 = r.components.iter().find(|c| c.name == "web-1");
    assert!(web1.is_some_and(|c| c.slowed_s.is_none()), "{web1:?}");
}

#[test]
fn each_web_pool_keeps_its_sessions_and_its_autoscaler() {
    // Stage 7 (shared session store, autoscaling) with `web-api` serving API reads and
    // writes: both pools read sessions from the store, each has its own autoscaler.
    let mut file = two_web_pools_in(7, vec![Flow::ApiRead, Flow::Write]);
    file.duration_s = 30;
    file.faults.clear();
    let s = file.lower().expect("lowers");
    assert!(s.autoscaling.is_some());
    assert_eq!(s.more_web_pools[0].autoscaling, s.autoscaling);
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    let r = run(&s);
    assert_conserved(&r);
    assert!(served(&r, "sessions") > 1000);
    assert!(served(&r, "web-api-") > 1000 && served_by_first_pool(&r) > 1000);
    // A pool left without the session store is refused, on that pool's node.
    let mut lone = file.clone();
    lone.topology
        .edges
        .retain(|e| !(e.from == "web-api" && e.flows == vec![Flow::Session]));
    for e in &mut lone.topology.edges {
        if e.from == "web-api" {
            e.flows.retain(|f| *f != Flow::Session);
        }
    }
    let e = lone.lower().expect_err("refused").to_string();
    assert!(e.contains("every web pool reads its sessions there"), "{e}");
    assert!(e.contains("`web-api`"), "{e}");
    // Sticky sessions instead: each pool keeps its own users' sessions on its own servers.
    let mut sticky = s.clone();
    let store = sticky.sessions.as_mut().expect("sessions");
    store.mode = scalesim::scenario::SessionMode::Sticky;
    sticky.validate().expect("valid");
    let r = run(&sticky);
    assert_conserved(&r);
    assert!(served(&r, "web-api-") > 1000 && served_by_first_pool(&r) > 1000);
    assert!(r.sessions.is_some());
    // Resizing the second pool adds servers named after it, the first pool unchanged.
    let mut sim = scalesim::sim::Sim::new(&s).expect("runs");
    sim.set_pool_servers(1, s.more_web_pools[0].server.count + 2);
    let names: Vec<&str> = sim.components().iter().map(|c| c.name.as_str()).collect();
    let n = s.more_web_pools[0].server.count;
    assert!(
        names.contains(&format!("web-api-{}", n + 1).as_str()),
        "{names:?}"
    );
    assert!(!names.contains(&format!("web-{n}").as_str()), "{names:?}");
}

/// A drained deploy, one server at a time, of the pool named `pool` (`None`: the first).
fn deploy_of(pool: Option<&str>) -> scalesim::scenario::Deploy {
    scalesim::scenario::Deploy {
        batch_size: 1,
        drain: true,
        drain_timeout_ms: 1000.0,
        startup_s: 1.0,
        at_s: Some(2.0),
        pool: pool.map(str::to_string),
    }
}

#[test]
fn a_rolling_deploy_rolls_the_pool_it_names_while_the_other_keeps_full_capacity() {
    // Drawn: the deploy controller wired to `web-api` lowers to `deploy.pool = "web-api"` and
    // back; wired to the first pool it names none (files and links of one pool unchanged).
    let mut file = two_web_pools_in(5, vec![Flow::ApiRead, Flow::Write]);
    file.duration_s = 30;
    file.faults.clear();
    file.topology.nodes.push(Node {
        name: "deploy".into(),
        spec: NodeSpec::Deploy(deploy_of(None)),
    });
    file.topology.edges.push(Edge {
        from: "deploy".into(),
        to: "web-api".into(),
        flows: vec![Flow::Control],
    });
    let s = file.lower().expect("a deploy of the second pool lowers");
    assert_eq!(s.deploy, Some(deploy_of(Some("web-api"))));
    let planned = scalesim::scenario::schedule(&s);
    assert!(
        planned
            .iter()
            .any(|p| p.text == "a rolling deploy of web-api starts, 1 server(s) at a time"),
        "{planned:?}"
    );
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    let mut first = file.clone();
    for e in &mut first.topology.edges {
        if e.from == "deploy" {
            e.to = "web".into();
        }
    }
    assert_eq!(first.lower().expect("lowers").deploy, Some(deploy_of(None)));
    // Run it and look every 100 ms: `web-api`'s servers leave one at a time; every `web-N`
    // stays up and in the balancer's pool the whole time.
    let mut s = s;
    s.more_web_pools[0].server.count = 6;
    let servers = s.more_web_pools[0].server.count as usize;
    let first_count = s.server.count as usize;
    assert!(servers >= 2 && first_count >= 2);
    let mut sim = scalesim::sim::Sim::new(&s).expect("runs");
    let (mut seen_out, mut most_out) = (std::collections::BTreeSet::new(), 0);
    for step in 1..=300u64 {
        sim.advance_to(scalesim::sim::SimTime(step * 100_000_000), u64::MAX);
        let snapshot = sim.snapshot();
        let names = sim.components();
        let mut out = 0;
        for c in &snapshot.components {
            let name = &names[usize::from(c.id.0)].name;
            let web_n = name
                .strip_prefix("web-")
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()));
            if web_n {
                assert!(
                    c.alive && c.in_pool && c.deploy.is_none(),
                    "{name} at {step}"
                );
            }
            if name.starts_with("web-api-") && c.deploy.is_some() {
                out += 1;
                seen_out.insert(name.clone());
            }
        }
        most_out = most_out.max(out);
    }
    assert_eq!(most_out, 1, "one server at a time");
    assert_eq!(seen_out.len(), servers, "{seen_out:?}");
    let r = sim.report();
    assert_conserved(&r);
    assert_eq!(r.deploys.len(), 1);
    let d = &r.deploys[0];
    assert_eq!(d.pool.as_deref(), Some("web-api"));
    assert_eq!(d.servers as usize, servers);
    assert!(d.finished_at_s.is_some(), "{d:?}");
    let stopped: Vec<&str> = (r.events.iter())
        .filter(|e| e.text.contains("deploy: ") && e.text.contains(" stopped ("))
        .map(|e| e.component.as_str())
        .collect();
    assert_eq!(stopped.len(), servers, "{stopped:?}");
    assert!(
        stopped.iter().all(|c| c.starts_with("web-api-")),
        "{stopped:?}"
    );
    assert!(served_by_first_pool(&r) > 1000);
    // The same deploy of the first pool rolls `web-N` and leaves `web-api` alone.
    let mut s = s.clone();
    s.deploy = Some(deploy_of(None));
    let r = run(&s);
    assert_eq!(r.deploys[0].servers as usize, first_count);
    assert_eq!(r.deploys[0].pool, None);
    assert!(!(r.events.iter())
        .any(|e| e.component.starts_with("web-api-") && e.text.contains("deploy")));
    // Live, named as a link names it: the same run as the scenario's own deploy.
    let mut named = s.clone();
    named.deploy = None;
    let at = scalesim::sim::SimTime::from_secs(2);
    let change = scalesim::scenario::LiveChange {
        at_ns: at.0,
        action: scalesim::scenario::LiveAction::Deploy {
            batch: 1,
            drain: true,
            pool: Some("web-api".into()),
        },
    };
    let text = scalesim::scenario::live::encode_changes(std::slice::from_ref(&change));
    assert_eq!(text, "2:deploy:1:drain:web-api");
    let until = scalesim::sim::SimTime::from_secs(30);
    let live = scalesim::sim::live::replay(&named, &[change], until).expect("replays");
    let r = live.report();
    assert_eq!(r.deploys[0].pool.as_deref(), Some("web-api"));
    assert_eq!(r.deploys[0].servers as usize, servers);
}

#[test]
fn each_web_pools_servers_change_live_by_name_and_replay() {
    use scalesim::scenario::live::{decode_changes, encode_changes};
    use scalesim::scenario::{LiveAction, LiveChange};
    use scalesim::sim::{live::replay, SimTime};
    let mut s = two_web_pools([0.5, 0.5, 0.0, 0.0]);
    s.more_web_pools[0].server.count = 3;
    let first = s.server.count;
    // web-api grows to 5 at 2 s and shrinks to 2 at 6 s; the first pool grows by one at 4 s,
    // written as links before pools had names write it.
    let text = "2:servers:web-api:5,4:servers:".to_string()
        + &(first + 1).to_string()
        + ",6:servers:web-api:2";
    let changes = decode_changes(&text).expect("reads");
    assert_eq!(
        changes[0].action,
        LiveAction::PoolServers {
            pool: "web-api".into(),
            count: 5
        }
    );
    assert_eq!(encode_changes(&changes), text);
    let names = |sim: &scalesim::sim::Sim, stem: &str| {
        let snapshot = sim.snapshot();
        (snapshot.components.iter())
            .filter(|c| !c.retired)
            .map(|c| sim.components()[usize::from(c.id.0)].name.clone())
            .filter(|n| {
                n.strip_prefix(stem)
                    .and_then(|r| r.strip_prefix('-'))
                    .is_some_and(|r| r.bytes().all(|b| b.is_ascii_digit()))
            })
            .count()
    };
    let at = |t: u64| replay(&s, &changes, SimTime::from_secs(t)).expect("replays");
    let sim = at(3);
    assert_eq!(
        (names(&sim, "web-api"), names(&sim, "web")),
        (5, first as usize)
    );
    assert_eq!(sim.scenario().more_web_pools[0].server.count, 5);
    let sim = at(5);
    assert_eq!(
        (names(&sim, "web-api"), names(&sim, "web")),
        (5, first as usize + 1)
    );
    let sim = at(10);
    assert_eq!(
        (names(&sim, "web-api"), names(&sim, "web")),
        (2, first as usize + 1)
    );
    let r = sim.report();
    assert_conserved(&r);
    assert_eq!(r.more_web_pools[0].servers, 2);
    // Recorded as the app records them, then a seek back to 3 s replays them: the second
    // pool is at 5 again, and playing on to 10 s gives the report of the run straight through.
    let mut playback = scalesim::sim::Playback::new(&s).expect("runs");
    for c in &changes {
        playback.play(SimTime(c.at_ns), u64::MAX);
        playback.record(c.action.clone());
    }
    playback.play(SimTime::from_secs(10), u64::MAX);
    playback.seek(SimTime::from_secs(3));
    while !playback.seek_step(u64::MAX) {}
    assert_eq!(names(playback.sim(), "web-api"), 5);
    playback.play(SimTime::from_secs(10), u64::MAX);
    assert_eq!(
        serde_json::to_string(&playback.sim().report()).expect("json"),
        serde_json::to_string(&r).expect("json")
    );
    // A pool this run does not have is named in the error.
    let wrong = [LiveChange {
        at_ns: 0,
        action: LiveAction::PoolServers {
            pool: "web-apii".into(),
            count: 2,
        },
    }];
    let e = replay(&s, &wrong, SimTime::from_secs(1))
        .err()
        .expect("refused")
        .to_string();
    assert!(e.contains("web-apii"), "{e}");
}

#[test]
fn two_web_pools_are_checked() {
    // A deploy naming no pool of the scenario: one message, with the pools it may name.
    let mut s = two_web_pools([1.0, 0.0, 0.0, 0.0]);
    s.deploy = Some(deploy_of(Some("web-apii")));
    let e = s.validate().expect_err("refused").to_string();
    assert_eq!(e.matches("deploy.pool").count(), 1, "{e}");
    assert!(e.contains("name one of web, web-api"), "{e}");
    // A live deploy naming no pool is refused, and says why in the log.
    let s = two_web_pools([1.0, 0.0, 0.0, 0.0]);
    let mut sim = scalesim::sim::Sim::new(&s).expect("runs");
    assert!(!sim.start_deploy(&deploy_of(Some("nope"))));
    assert!(sim.log().any(|e| e.text.contains("no web pool named nope")));
    // A second pool named like the engine's cache nodes; one serving nothing; one taking
    // every kind from the first.
    let mut s = two_web_pools([1.0, 0.0, 0.0, 0.0]);
    s.more_web_pools[0].name = "cache".into();
    let e = s.validate().expect_err("refused").to_string();
    assert!(
        e.contains("more_web_pools[0].name") && e.contains("choose another name"),
        "{e}"
    );
    let mut s = two_web_pools([1.0, 0.0, 0.0, 0.0]);
    s.more_web_pools[0].serves = vec![Flow::Session, Flow::Write, Flow::Write];
    let e = s.validate().expect_err("refused").to_string();
    assert!(
        e.contains("more_web_pools[0].serves[0]") && e.contains("named twice"),
        "{e}"
    );
    let mut s = two_web_pools([1.0, 0.0, 0.0, 0.0]);
    s.more_web_pools[0].serves = Flow::REQUESTS.to_vec();
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("serves none"), "{e}");
    // Without a balancer, on the pool's node.
    let mut file = two_web_pools_in(5, vec![Flow::ApiRead]);
    file.topology.nodes.retain(|n| n.name != "lb");
    for e in &mut file.topology.edges {
        if e.from == "lb" {
            e.from = "dns".into();
        }
        if e.to == "lb" {
            e.to = "web".into();
        }
    }
    assert!(file.lower().is_err());
}

#[test]
fn a_deploy_of_the_second_pool_goes_through_every_data_center_at_stage_11() {
    let mut file = two_web_pools_in(11, vec![Flow::ApiRead, Flow::Write]);
    file.duration_s = 40;
    file.faults.clear();
    let mut s = file.lower().expect("two web pools lower at stage 11");
    s.more_web_pools[0].server.count = 2;
    s.deploy = Some(scalesim::scenario::Deploy {
        at_s: Some(1.0),
        ..deploy_of(Some("web-api"))
    });
    s.validate().expect("valid");
    let r = run(&s);
    assert_conserved(&r);
    let dcs = s.geo.as_ref().expect("geo").data_centers.len();
    assert_eq!(r.deploys.len(), dcs, "one deploy per data center");
    for d in &r.deploys {
        assert_eq!(
            (d.pool.as_deref(), d.servers),
            (Some("web-api"), 2),
            "{d:?}"
        );
        assert!(d.finished_at_s.is_some(), "{d:?}");
    }
    let stopped: Vec<&str> = (r.events.iter())
        .filter(|e| e.text.contains(" stopped ("))
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(stopped.len(), 2 * dcs, "{stopped:?}");
    assert!(
        stopped.iter().all(|t| t.contains("web-api-")),
        "{stopped:?}"
    );
}

#[test]
fn two_web_pools_run_in_every_data_center_at_stage_11() {
    let mut file = two_web_pools_in(11, vec![Flow::ApiRead, Flow::Write]);
    file.duration_s = 10;
    file.faults.clear();
    let mut s = file.lower().expect("two web pools lower at stage 11");
    assert_eq!(s.more_web_pools.len(), 1);
    let dc = s.geo.as_ref().expect("geo").data_centers[0].name.clone();
    // One data center's `web-api-1` dies at 2 s: only that data center's, only that pool's.
    s.faults.push(scalesim::scenario::Fault {
        target: format!("{dc}/web-api-1"),
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        at_s: 2.0,
        duration_s: 0.0,
        error_ratio: None,
        peer: None,
    });
    s.validate().expect("valid");
    let r = run(&s);
    assert_conserved(&r);
    let geo = r.geo.as_ref().expect("a geo report");
    for d in &geo.data_centers {
        if d.requests.completed < 1000 {
            continue;
        }
        let api = &d.more_web_pools[0];
        assert_eq!(api.name, "web-api");
        assert!(api.served > 0, "{}: {api:?}", d.name);
        let first: u64 = (r.components.iter())
            .filter(|c| {
                c.name
                    .strip_prefix(&format!("{}/web-", d.name))
                    .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
            })
            .map(|c| c.served)
            .sum();
        assert!(first > 0, "{}", d.name);
    }
    let down: Vec<&str> = (r.events.iter())
        .filter(|e| e.text.contains(" down ("))
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(down.len(), 1, "{down:?}");
    assert!(
        down[0].starts_with(&format!("{dc}: web-api-1 down")),
        "{down:?}"
    );
}

/// Stage 10 drawn with a second shard router: `orders-shards` splits `orders` (the writes)
/// over two shards by key modulo 2, while `shards` splits `db` (page views and API reads)
/// over four as stage 10 does. 20 s, no scheduled fault, no scheduled resharding.
pub(crate) fn two_routers() -> scalesim::scenario::TopologyFile {
    let mut file = preset(10).expect("stage 10").topology_file();
    file.duration_s = 20;
    file.faults.clear();
    let t = &mut file.topology;
    let spec = |name: &str| {
        (t.nodes.iter().find(|n| n.name == name))
            .expect("a node")
            .spec
            .clone()
    };
    let (NodeSpec::ShardRouter(mut orders), db) = (spec("shards"), spec("db")) else {
        panic!("stage 10 has a shard router");
    };
    orders.shards = 2;
    orders.strategy = scalesim::scenario::ShardStrategy::Modulo;
    orders.hot_keys.clear();
    orders.cross_shard_share = 0.0;
    orders.reshard = None;
    orders.migration_keys_per_s = 2000.0;
    for n in &mut t.nodes {
        if let NodeSpec::ShardRouter(first) = &mut n.spec {
            first.reshard = None;
        }
    }
    t.nodes.push(Node {
        name: "orders-shards".into(),
        spec: NodeSpec::ShardRouter(orders),
    });
    t.nodes.push(Node {
        name: "orders".into(),
        spec: db,
    });
    for e in &mut t.edges {
        if e.to == "shards" || e.from == "shards" {
            e.flows.retain(|f| *f != Flow::Write);
        }
    }
    t.edges.retain(|e| !e.flows.is_empty());
    t.edges.push(Edge {
        from: "web".into(),
        to: "orders-shards".into(),
        flows: vec![Flow::Write],
    });
    t.edges.push(Edge {
        from: "orders-shards".into(),
        to: "orders".into(),
        flows: vec![Flow::Write],
    });
    file
}

#[test]
fn two_shard_routers_each_split_their_own_database() {
    let file = two_routers();
    let s = file.lower().expect("two shard routers lower");
    // The first router lowers to `sharding`, the second into the entry of the database
    // behind it, named; both come back from the scenario's own graph and from a v2 link.
    assert_eq!(s.sharding.as_ref().map(|sh| sh.shards), Some(4));
    let orders = &s.more_databases[0];
    assert_eq!(orders.name, "orders");
    assert_eq!(orders.takes, vec![Flow::Write]);
    assert_eq!(orders.router.as_deref(), Some("orders-shards"));
    assert_eq!(orders.sharding.as_ref().map(|sh| sh.shards), Some(2));
    assert_eq!(s.router_store("orders-shards"), Some(1));
    assert_eq!(s.router_store("shards"), Some(0));
    assert_eq!(s.topology_file().lower().expect("lowers"), s);
    let link = scalesim::scenario::encode_graph(&file, &[], None);
    let back = scalesim::scenario::decode_link(&link).expect("the v2 link decodes");
    assert_eq!(back.graph.as_ref(), Some(&file));
    assert_eq!(back.scenario, s);
    // Each database holds its own kinds, on its own shards' nodes.
    let r = run(&s);
    assert_conserved(&r);
    let db = r.database.as_ref().expect("the first database");
    assert_eq!(db.writes_committed, 0, "writes go to orders only");
    assert!(served(&r, "shard-") > 1000, "db's shards serve the reads");
    let o = &r.more_databases[0];
    assert_eq!(o.router.as_deref(), Some("orders-shards"));
    assert_eq!(o.database.shards.len(), 2);
    let masters: Vec<&str> = o
        .database
        .shards
        .iter()
        .map(|x| x.master.as_str())
        .collect();
    assert_eq!(masters, ["orders-shard-0-0", "orders-shard-1-0"]);
    assert!(o.database.writes_committed > 500, "{:?}", o.database);
    for shard in &o.database.shards {
        // Modulo 2 over a Zipf keyspace: each shard takes a fair part of the writes.
        assert!(
            shard.writes * 5 > o.database.writes_committed,
            "{shard:?} of {}",
            o.database.writes_committed
        );
    }
    let writes = r
        .latency_by_kind
        .iter()
        .find(|k| k.kind == scalesim::sim::RequestKind::Write)
        .expect("writes")
        .latency_ms
        .count;
    about(o.database.writes_committed, writes, &r);
    // The JSON report names the router beside its database's figures.
    let json = serde_json::to_value(&r).expect("serialises");
    assert_eq!(json["more_databases"][0]["router"], "orders-shards");
    assert!(json["database"].get("router").is_none());
}

#[test]
fn two_shard_routers_are_checked() {
    // Two routers in front of one database: one message, on the database.
    let mut file = two_routers();
    file.topology.edges.push(Edge {
        from: "orders-shards".into(),
        to: "db".into(),
        flows: vec![Flow::Write],
    });
    file.topology.edges.retain(|e| e.to != "orders");
    file.topology.nodes.retain(|n| n.name != "orders");
    let e = file.lower().expect_err("refused").to_string();
    assert!(
        e.contains("database `db` stands behind shard routers `shards` and `orders-shards`"),
        "{e}"
    );
    // A request sent straight to the database the second router shards (API reads, while
    // writes go through the router) names that router.
    let mut file = two_routers();
    for e in &mut file.topology.edges {
        if ["cache", "shards", "db"].contains(&e.to.as_str()) {
            e.flows.retain(|f| *f != Flow::ApiRead);
        }
    }
    file.topology.edges.retain(|e| !e.flows.is_empty());
    file.topology.edges.push(Edge {
        from: "web".into(),
        to: "orders".into(),
        flows: vec![Flow::ApiRead],
    });
    let e = file.lower().expect_err("refused").to_string();
    assert!(
        e.contains(
            "shard router `orders-shards` and straight to `orders`, which the router shards"
        ),
        "{e}"
    );
    // In the scenario: a further router's name is its own, and goes with its sharding.
    let s = two_routers().lower().expect("lowers");
    let mut bad = s.clone();
    bad.more_databases[0].router = Some("shards".into());
    let e = bad.validate().expect_err("refused").to_string();
    assert!(e.contains("two shard routers are named `shards`"), "{e}");
    let mut bad = s.clone();
    bad.more_databases[0].router = Some("web-0".into());
    let e = bad.validate().expect_err("refused").to_string();
    assert!(
        e.contains("a component or database is named so already"),
        "{e}"
    );
    let mut bad = s.clone();
    bad.more_databases[0].sharding = None;
    let e = bad.validate().expect_err("refused").to_string();
    assert!(
        e.contains("a shard router's name goes with its `sharding`"),
        "{e}"
    );
    let mut bad = s.clone();
    if let Some(sh) = bad.more_databases[0].sharding.as_mut() {
        sh.shards = 0;
    }
    let e = bad.validate().expect_err("refused").to_string();
    assert!(e.contains("more_databases[0].sharding.shards"), "{e}");
    // Drawn, the same mistake lands on the second router's node.
    let mut file = two_routers();
    for n in &mut file.topology.nodes {
        if let (NodeSpec::ShardRouter(sh), "orders-shards") = (&mut n.spec, n.name.as_str()) {
            sh.shards = 0;
        }
    }
    let e = file.lower().expect_err("refused");
    let at = e.0.iter().find(|p| p.message.contains("orders-shards"));
    assert!(
        at.is_some_and(|p| p.path.ends_with(".params.shards")),
        "{e}"
    );
}
