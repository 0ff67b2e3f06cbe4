//! Random valid topologies in the swarm: [`generator::graph_case`] draws a graph kind by kind,
//! lowers it and runs it under the same checkers as every other case (conservation,
//! accounting, no request to a dead node after detection, same report however observed).
//! Also: every scenario the ordinary generator draws survives scenario → graph → scenario
//! unchanged, and every generated graph survives its file form.
//!
//! ```text
//!   cargo test --release --test swarm -- graph        # the default 1,000 graph seeds
//!   GRAPH_SEEDS=20000 GRAPH_FIRST_SEED=0 cargo test --release --test swarm -- graph_seeds --nocapture
//!   GRAPH_SEED=12 cargo test --release --test swarm -- one_graph_seed --nocapture
//! ```

use super::{check_case, env_u64, panic_text, Counts, Drawn};
use crate::generator;
use scalesim::scenario::{decode_link, encode_graph, Scenario, TopologyFile};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// Graph seeds in the default suite.
const DEFAULT_GRAPH_SEEDS: u64 = 1_000;

/// Draws graph `seed`, checks its round trips, runs it; returns what it was drawn with.
fn check_graph_seed(seed: u64) -> Result<Drawn, String> {
    let (case, file) = catch_unwind(|| generator::graph_case(seed))
        .map_err(|p| format!("graph generator panicked: {}", panic_text(&p)))?;
    round_trips(&case.scenario, &file)?;
    match catch_unwind(AssertUnwindSafe(|| check_case(&case))) {
        Ok(result) => result.map(|()| Drawn::of(&case)),
        Err(p) => Err(format!("panicked: {}", panic_text(&p))),
    }
}

/// The graph file reads back from its JSON to the same scenario, and the scenario compiles to
/// a graph that lowers to it again.
fn round_trips(scenario: &Scenario, file: &TopologyFile) -> Result<(), String> {
    let text = serde_json::to_string(file).map_err(|e| format!("graph file: {e}"))?;
    let read = Scenario::from_json(&text).map_err(|e| format!("graph file refused: {e}"))?;
    if read != *scenario {
        return Err("the graph file read back to a different scenario".into());
    }
    let again = scenario
        .topology_file()
        .lower()
        .map_err(|e| format!("the scenario's own graph was refused: {e}"))?;
    if again != *scenario {
        return Err("scenario → graph → scenario changed the scenario".into());
    }
    link_round_trips(scenario, file)
}

/// The graph survives its `v2.` link unchanged; the same graph broken (a node or a wire
/// removed) is either still valid or refused with a message, never a panic.
fn link_round_trips(scenario: &Scenario, file: &TopologyFile) -> Result<(), String> {
    let link = encode_graph(file, &[], None);
    let back = decode_link(&link).map_err(|e| format!("v2 link refused: {e}"))?;
    if back.graph.as_ref() != Some(file) || back.scenario != *scenario {
        return Err("the graph read back from its v2 link is different".into());
    }
    let n = file.topology.nodes.len();
    for cut in 0..n + file.topology.edges.len() {
        let mut broken = file.clone();
        if cut < n {
            let name = broken.topology.nodes.remove(cut).name;
            broken
                .topology
                .edges
                .retain(|e| e.from != name && e.to != name);
        } else {
            broken.topology.edges.remove(cut - n);
        }
        let link = encode_graph(&broken, &[], None);
        let read = catch_unwind(AssertUnwindSafe(|| decode_link(&link)))
            .map_err(|p| format!("v2 link of a broken graph panicked: {}", panic_text(&p)))?;
        match (read, broken.lower()) {
            (Ok(l), Ok(s)) if l.scenario == s && l.graph.as_ref() == Some(&broken) => {}
            (Err(e), Err(_)) if !e.to_string().is_empty() => {}
            (read, lowered) => {
                return Err(format!(
                    "broken graph (cut {cut}): link says {:?}, lowering says {:?}",
                    read.map(|_| ()),
                    lowered.map(|_| ())
                ))
            }
        }
    }
    Ok(())
}

/// Checks `count` graph seeds from `first` on all cores; panics naming the first failure.
fn graph_swarm(first: u64, count: u64) {
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    let counts = Counts::default();
    let counts = &counts;
    let failures: Vec<(u64, String)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (first + t..first + count)
                        .step_by(threads as usize)
                        .filter_map(|seed| match check_graph_seed(seed) {
                            Ok(drawn) => {
                                counts.add(drawn);
                                None
                            }
                            Err(e) => Some((seed, e)),
                        })
                        .take(20)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    eprintln!(
        "graph swarm: {count} seeds from {first} in {:.1} s on {threads} threads ({}), {} failed",
        started.elapsed().as_secs_f64(),
        counts.text(),
        failures.len()
    );
    if let Some((seed, message)) = failures.iter().min_by_key(|f| f.0) {
        let others: Vec<u64> = failures.iter().map(|f| f.0).filter(|s| s != seed).collect();
        panic!(
            "graph seed {seed} failed: {message}\nreproduce with: GRAPH_SEED={seed} cargo test \
             --release --test swarm -- graphs::one_graph_seed --exact --nocapture\nother failing \
             seeds: {others:?}"
        );
    }
}

/// The default graph suite: `GRAPH_SEEDS` seeds (1,000 unless set) from `GRAPH_FIRST_SEED`.
#[test]
fn graph_seeds() {
    let count = env_u64("GRAPH_SEEDS").unwrap_or(DEFAULT_GRAPH_SEEDS);
    let first = env_u64("GRAPH_FIRST_SEED").unwrap_or(0);
    graph_swarm(first, count);
}

/// One graph seed, with its graph printed: `GRAPH_SEED=N` (0 unless set).
#[test]
fn one_graph_seed() {
    let seed = env_u64("GRAPH_SEED").unwrap_or(0);
    let (case, file) = generator::graph_case(seed);
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&file).expect("serialises")
    );
    for s in case.steps.iter().filter(|s| !s.actions.is_empty()) {
        eprintln!("  at {}: {:?}", s.at, s.actions);
    }
    if let Err(e) = check_graph_seed(seed) {
        panic!("graph seed {seed} failed: {e}");
    }
}

/// Every scenario of the ordinary swarm window compiles to a graph the rules accept and
/// lowers back to itself (so its run, and its digest, cannot change).
#[test]
fn swarm_scenarios_round_trip_through_their_graphs() {
    let count = env_u64("SWARM_SEEDS").unwrap_or(1_000);
    let first = env_u64("SWARM_FIRST_SEED").unwrap_or(0);
    for seed in first..first + count {
        let case = generator::case(seed);
        let file = case.scenario.topology_file();
        if let Err(e) = file.topology.check() {
            panic!("swarm seed {seed}: its graph breaks the rules: {e}");
        }
        match file.lower() {
            Ok(s) if s == case.scenario => {}
            Ok(_) => panic!("swarm seed {seed}: scenario → graph → scenario changed it"),
            Err(e) => panic!("swarm seed {seed}: its graph was refused: {e}"),
        }
    }
}

/// The default window draws graphs with two of a kind, so the checkers above run on them:
/// two caches (about one in ten), two web pools (about one in eight), two databases (a
/// quarter of those with a database), some of them beside a shard router, two NoSQL stores
/// (two in five of those with a NoSQL store taking two kinds or more), two shard routers
/// (three in five of the second databases beside a router), resharded live by name; a deploy
/// controller rolling the second pool by name, started live in most of them; coalescing at
/// one of two caches and not the other; live changes by name: a further pool resized,
/// coalescing switched at one cache. Drawn once, counted for each.
#[test]
fn graphs_with_two_of_a_kind_are_drawn() {
    use crate::generator::Action;
    use scalesim::scenario::LiveAction;
    let (mut caches, mut pools, mut databases, mut beside) = (0, 0, 0, 0);
    let (mut routers, mut reshards) = (0, 0);
    let (mut deploys, mut one_coalescing, mut resized, mut switched) = (0, 0, 0, 0);
    let mut started = 0;
    let mut nosql = 0;
    for seed in 0..DEFAULT_GRAPH_SEEDS {
        let case = generator::graph_case(seed).0;
        let s = &case.scenario;
        caches += usize::from(!s.more_caches.is_empty());
        pools += usize::from(!s.more_web_pools.is_empty());
        databases += usize::from(!s.more_databases.is_empty());
        beside += usize::from(!s.more_databases.is_empty() && s.sharding.is_some());
        nosql += usize::from(!s.more_nosql.is_empty());
        routers += usize::from(s.more_databases.iter().any(|m| m.sharding.is_some()));
        deploys += usize::from(s.deploy.as_ref().is_some_and(|d| d.pool.is_some()));
        if let (Some(first), [second]) = (&s.cache, s.more_caches.as_slice()) {
            let on = |c: Option<bool>| c == Some(true);
            one_coalescing += usize::from(on(first.coalesce) != on(second.cache.coalesce));
        }
        let live = case.steps.iter().flat_map(|st| &st.actions);
        let live: Vec<&LiveAction> = live
            .filter_map(|a| match a {
                Action::Live(l) => Some(l),
                _ => None,
            })
            .collect();
        resized += usize::from(
            live.iter()
                .any(|l| matches!(l, LiveAction::PoolServers { .. })),
        );
        switched += usize::from(
            live.iter()
                .any(|l| matches!(l, LiveAction::CoalesceAt { .. })),
        );
        reshards += usize::from(
            live.iter()
                .any(|l| matches!(l, LiveAction::ReshardAt { .. })),
        );
        if s.geo.is_none() && live.iter().any(|l| matches!(l, LiveAction::Deploy { .. })) {
            started += 1;
            eprintln!("graph seed {seed} starts a deploy of its second pool live");
        }
    }
    for (two, what, least) in [
        (caches, "two caches", 50),
        (pools, "two web pools", 50),
        (databases, "two databases", 50),
        (beside, "a second database beside a shard router", 25),
        (nosql, "two NoSQL stores", 25),
        (routers, "two shard routers", 15),
        (reshards, "a live resharding naming its router", 10),
        (deploys, "a deploy of the second pool", 10),
        (started, "a deploy of the second pool started live", 8),
        (one_coalescing, "coalescing at one of two caches", 15),
        (resized, "a live resize of the second pool", 40),
        (switched, "coalescing switched live at one cache", 40),
    ] {
        eprintln!("{two} of {DEFAULT_GRAPH_SEEDS} graphs have {what}");
        assert!(two >= least, "only {two} graphs with {what}");
    }
}

/// Queue workers writing each job to the database (`queue.job_writes_to_db`): drawn in the
/// ordinary window's scenarios and, as a `workers → …` wire, in the graph window's graphs
/// (some behind a shard router, some at stage 11), each counted.
#[test]
fn workers_writing_to_the_database_are_drawn() {
    use scalesim::scenario::topology::{Flow, NodeKind};
    let writes = |s: &Scenario| s.queue.as_ref().is_some_and(|q| q.job_writes_to_db);
    let scenarios = (0..crate::DEFAULT_SEEDS)
        .filter(|&seed| writes(&generator::case(seed).scenario))
        .count();
    let (mut graphs, mut sharded, mut geo) = (0, 0, 0);
    for seed in 0..DEFAULT_GRAPH_SEEDS {
        let (case, file) = generator::graph_case(seed);
        let s = &case.scenario;
        if !writes(s) {
            continue;
        }
        assert!(
            file.topology
                .edges
                .iter()
                .any(|e| e.flows.contains(&Flow::Job)
                    && file
                        .topology
                        .node(&e.from)
                        .is_some_and(|n| n.spec.kind() == NodeKind::Workers)),
            "graph {seed}: the field without the wire"
        );
        graphs += 1;
        sharded += usize::from(s.sharding.is_some());
        geo += usize::from(s.geo.is_some());
    }
    for (n, what, least) in [
        (scenarios, "scenarios whose workers write", 50),
        (graphs, "graphs whose workers write", 50),
        (
            sharded,
            "graphs whose workers write through a shard router",
            10,
        ),
        (geo, "stage-11 graphs whose workers write", 5),
    ] {
        eprintln!("{n} of 1,000 {what}");
        assert!(n >= least, "only {n} {what}");
    }
}

/// Stage 11's rolling deploys (through the data centers, one at a time), drawn on a stream of
/// their own (`generator::geo_deploys`), so the checkers run on them: in the ordinary window
/// (`SWARM_SEEDS` from `SWARM_FIRST_SEED`; 1,000 from 0 unless set) one scheduled in the
/// scenario and one started live; in the graph window (`GRAPH_SEEDS` from
/// `GRAPH_FIRST_SEED`) one started live, of the pool a deploy controller names or of the
/// first. Each is counted, and drawn at least once.
#[test]
fn stage_11_deploys_are_drawn() {
    use crate::generator::{Action, Case};
    use scalesim::scenario::LiveAction;
    let live = |case: &Case| {
        (case.steps.iter().flat_map(|st| &st.actions))
            .any(|a| matches!(a, Action::Live(LiveAction::Deploy { .. })))
    };
    let count = env_u64("SWARM_SEEDS").unwrap_or(1_000);
    let first = env_u64("SWARM_FIRST_SEED").unwrap_or(0);
    let (mut geo, mut scheduled, mut started, mut both) = (0, 0, 0, 0);
    for seed in first..first + count {
        let case = generator::case(seed);
        let s = &case.scenario;
        if s.geo.is_none() {
            assert!(!live(&case), "seed {seed}: a live deploy below stage 11");
            continue;
        }
        geo += 1;
        let at = s.deploy.as_ref().is_some_and(|d| d.at_s.is_some());
        scheduled += usize::from(at);
        started += usize::from(live(&case));
        both += usize::from(at && live(&case));
    }
    eprintln!(
        "{count} cases from {first}: {geo} of stage 11; {scheduled} with a deploy scheduled, \
         {started} with one started live ({both} both)"
    );
    assert!(scheduled > 0 && started > 0, "no stage-11 deploy drawn");
    let count = env_u64("GRAPH_SEEDS").unwrap_or(DEFAULT_GRAPH_SEEDS);
    let first = env_u64("GRAPH_FIRST_SEED").unwrap_or(0);
    let (mut geo, mut controller, mut started, mut second) = (0, 0, 0, 0);
    for seed in first..first + count {
        let case = generator::graph_case(seed).0;
        let s = &case.scenario;
        if s.geo.is_none() {
            continue;
        }
        geo += 1;
        controller += usize::from(s.deploy.is_some());
        if live(&case) {
            started += 1;
            second += usize::from(s.deploy.as_ref().is_some_and(|d| d.pool.is_some()));
        }
    }
    eprintln!(
        "{count} graphs from {first}: {geo} of stage 11, {controller} with a deploy \
         controller; {started} start a deploy live ({second} of a second pool)"
    );
    assert!(started > 0, "no stage-11 graph starts a deploy");
}
