//! The diagram of a scenario before its simulation is built: the components the engine will
//! register for it, named and ordered as the engine names and orders them, laid out as the
//! run's first diagram is.
//!
//! The page draws this as soon as its own wasm is up, while the engine (in the web worker,
//! whose wasm is fetched after the page's) is still loading; the run's own diagram replaces it
//! when the engine answers, and the figures fill it in. So this must not need the engine:
//! it reads only the scenario. `tests/core.rs` checks, for every preset and every stage the
//! tour and the challenges load, that the list equals the built simulation's
//! (`Sim::components`).
//!
//! The order follows the stack's `build_topology` (src/sim/stack/build.rs) and, at stage 11,
//! the geo layer's `World::build` (src/sim/geo/mod.rs): change them together.

use crate::layout::{self, Diagram, Orientation};
use crate::layout_geo;
use crate::scenario::{
    Scenario, SessionMode, MAX_CACHE_NODES, MAX_DATA_CENTERS, MAX_MORE_CACHES, MAX_MORE_DATABASES,
    MAX_MORE_NOSQL, MAX_MORE_WEB_POOLS, MAX_NOSQL_NODES, MAX_REPLICAS, MAX_SHARDS, MAX_WEB_SERVERS,
};
use crate::sim::{db_node_name, further_db_node_name, ComponentId, ComponentInfo, ComponentKind};

/// The components the engine registers when it builds `scenario` (before any live change),
/// in its order, with its ids and names. For a valid scenario ([`Scenario::validate`]) this
/// is exactly the engine's list; for one that is not, counts are held to validation's limits,
/// so the names are still those a valid edit of it could have (validation reads them, through
/// [`crate::scenario::component_names`], to check the names a fault or live change gives).
pub fn components(scenario: &Scenario) -> Vec<ComponentInfo> {
    listed(scenario, &|shared, dc| {
        scenario
            .data_center_stack(dc, "")
            .unwrap_or_else(|_| shared.clone())
    })
}

/// [`components`] with every data center running the shared stack, its own changes (`set`)
/// left out: what the page plans before the engine's first frame (applying a data center's
/// changes goes through the scenario as JSON, which stays out of the page's wasm), used only
/// for scenarios whose data centers have none ([`Scenario::has_data_center_changes`]).
fn components_shared(scenario: &Scenario) -> Vec<ComponentInfo> {
    listed(scenario, &|shared, _| shared.clone())
}

/// The components of `scenario`, each data center's stack given by `own` (from the shared
/// stack and the data center).
fn listed(
    scenario: &Scenario,
    own: &dyn Fn(&Scenario, &crate::scenario::DataCenter) -> Scenario,
) -> Vec<ComponentInfo> {
    let mut list = Vec::new();
    let mut add = |name: String, kind: ComponentKind| {
        list.push(ComponentInfo {
            id: ComponentId(list.len() as u16),
            name,
            kind,
        });
    };
    add("users".into(), ComponentKind::Users);
    add("dns".into(), ComponentKind::Dns);
    match &scenario.geo {
        // Each data center is a whole stack of its own (without the users and the DNS, which
        // the world shares), named `<data center>/<name>`, after a box for the data center.
        // A data center whose changes (`set`) do not apply runs the shared stack here, so that
        // validation still reads names a valid edit could have.
        Some(geo) => {
            let shared = Scenario {
                geo: None,
                ..scenario.clone()
            };
            for dc in geo.data_centers.iter().take(MAX_DATA_CENTERS) {
                let stack = listed(&own(&shared, dc), own);
                add(dc.name.clone(), ComponentKind::DataCenter);
                for c in &stack[2..] {
                    add(format!("{}/{}", dc.name, c.name), c.kind);
                }
            }
        }
        None => stack(scenario, &mut add),
    }
    list
}

/// One data center's components after the users and the DNS.
fn stack(scenario: &Scenario, add: &mut impl FnMut(String, ComponentKind)) {
    if scenario.load_balancer.is_some() {
        add("lb".into(), ComponentKind::LoadBalancer);
    }
    for i in 0..scenario.server.count.min(MAX_WEB_SERVERS) {
        add(format!("web-{i}"), ComponentKind::Server);
    }
    // Further web pools, each named after its graph node: `<name>-0`, `<name>-1`…
    for pool in scenario.more_web_pools.iter().take(MAX_MORE_WEB_POOLS) {
        for i in 0..pool.server.count.min(MAX_WEB_SERVERS) {
            add(format!("{}-{i}", pool.name), ComponentKind::Server);
        }
    }
    if let Some(db) = &scenario.database {
        let sharded = scenario.sharding.is_some();
        let shards = scenario
            .sharding
            .as_ref()
            .map_or(1, |s| s.shards.clamp(1, MAX_SHARDS) as usize);
        for shard in 0..shards {
            for node in 0..=db.replicas.min(MAX_REPLICAS) as usize {
                add(db_node_name(sharded, shard, node), ComponentKind::Database);
            }
        }
        // Further stores, each one cluster named after its graph node: `<name>-0` its master;
        // behind a shard router of its own, one per shard (`<name>-shard-S-N`).
        for more in scenario.more_databases.iter().take(MAX_MORE_DATABASES) {
            let sharded = more.sharding.is_some();
            let shards = more
                .sharding
                .as_ref()
                .map_or(1, |s| s.shards.clamp(1, MAX_SHARDS) as usize);
            for shard in 0..shards {
                for node in 0..=more.database.replicas.min(MAX_REPLICAS) as usize {
                    let name = further_db_node_name(&more.name, sharded, shard, node);
                    add(name, ComponentKind::Database);
                }
            }
        }
    }
    if scenario.cdn.is_some() {
        add("cdn".into(), ComponentKind::Cdn);
    }
    if scenario
        .sessions
        .as_ref()
        .is_some_and(|s| s.mode == SessionMode::SharedStore)
    {
        add("sessions".into(), ComponentKind::SessionStore);
    }
    if scenario.queue.is_some() {
        add("queue".into(), ComponentKind::Queue);
        add("workers".into(), ComponentKind::Workers);
    }
    if let Some(nosql) = &scenario.nosql {
        for i in 0..nosql.nodes.min(MAX_NOSQL_NODES) {
            add(format!("nosql-{i}"), ComponentKind::NoSql);
        }
    }
    for more in scenario.more_nosql.iter().take(MAX_MORE_NOSQL) {
        for i in 0..more.nosql.nodes.min(MAX_NOSQL_NODES) {
            add(format!("{}-{i}", more.name), ComponentKind::NoSql);
        }
    }
    let more = scenario
        .more_caches
        .iter()
        .take(MAX_MORE_CACHES)
        .map(|m| (m.name.as_str(), &m.cache));
    for (name, spec) in scenario.cache.iter().map(|c| ("cache", c)).chain(more) {
        for i in 0..spec.nodes.min(MAX_CACHE_NODES) {
            add(format!("{name}-{i}"), ComponentKind::Cache);
        }
    }
    for p in scenario.plugs.iter().take(crate::scenario::MAX_PLUGS) {
        add(p.name.clone(), ComponentKind::Plug(p.params.kind()));
    }
}

/// The diagram the run draws first for `scenario`, laid out `orientation`: for a valid one,
/// the same as the engine's session lays out when it loads the scenario with no live
/// changes and no seek. The page draws it before any validation (the engine's answer says
/// whether the scenario runs), so it must draw any scenario without panicking.
pub fn diagram(scenario: &Scenario, orientation: Orientation) -> Diagram {
    let components = components(scenario);
    drawn(scenario, &components, orientation)
}

/// [`diagram`] for a scenario whose data centers make no changes of their own (`None` for one
/// that does, which only the engine can list): what the page draws before the engine's first
/// frame, without linking what applies a data center's changes.
pub fn diagram_shared(scenario: &Scenario, orientation: Orientation) -> Option<Diagram> {
    if scenario.has_data_center_changes() {
        return None;
    }
    let components = components_shared(scenario);
    Some(drawn(scenario, &components, orientation))
}

/// Lays out `components` (the engine's list for `scenario`, or the part of it shown) as the
/// run draws them: stage 11 as its regions and data centers, and every registered component
/// where the scenario says it stands.
pub fn drawn(
    scenario: &Scenario,
    components: &[ComponentInfo],
    orientation: Orientation,
) -> Diagram {
    let places = plug_places(scenario);
    match &scenario.geo {
        Some(geo) => layout_geo::geo_diagram_placed(components, geo, &places, orientation),
        None => layout::diagram_placed(components, &places, orientation),
    }
}

/// Where the scenario's registered components stand (its `plugs`: each one's name and the
/// node it fronts), and the queue's workers when they write their jobs to the first database
/// (`queue.job_writes_to_db`, [`layout::WORKERS_WRITE`]).
pub fn plug_places(scenario: &Scenario) -> Vec<layout::PlugPlace> {
    let mut places: Vec<layout::PlugPlace> = (scenario.plugs.iter())
        .map(|p| layout::PlugPlace {
            name: p.name.clone(),
            fronts: p.fronts.clone(),
        })
        .collect();
    if scenario.queue.as_ref().is_some_and(|q| q.job_writes_to_db) {
        places.push(layout::PlugPlace {
            name: "workers".to_string(),
            fronts: layout::WORKERS_WRITE.to_string(),
        });
    }
    places
}
