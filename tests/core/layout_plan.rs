//! The page's first diagram (`scalesim::layout_plan`), drawn from the scenario before the
//! engine has loaded, names the components the engine builds, with the same ids, so the
//! engine's figures land on the right boxes and its own diagram (which replaces the page's)
//! is the same drawing.

use scalesim::challenge::solutions::{reference, shortcut};
use scalesim::challenge::{challenge, CHALLENGE_COUNT};
use scalesim::layout::{self, Orientation};
use scalesim::layout_geo;
use scalesim::layout_plan;
use scalesim::scenario::topology::Flow;
use scalesim::scenario::{preset, Scenario};
use scalesim::sim::Sim;

/// Checks the planned components and diagram of `s` against the built simulation's.
fn same_as_engine(what: &str, s: &Scenario) {
    let sim = Sim::new(s).unwrap_or_else(|e| panic!("{what} builds: {e}"));
    assert_eq!(
        layout_plan::components(s),
        sim.components(),
        "{what}: the planned components"
    );
    for orientation in [Orientation::Landscape, Orientation::Portrait] {
        let places = layout_plan::plug_places(s);
        let engine = match &s.geo {
            Some(geo) => {
                layout_geo::geo_diagram_placed(sim.components(), geo, &places, orientation)
            }
            None => layout::diagram_placed(sim.components(), &places, orientation),
        };
        assert_eq!(
            layout_plan::diagram(s, orientation),
            engine,
            "{what}: the {orientation:?} diagram"
        );
    }
}

#[test]
fn every_preset_is_planned_as_the_engine_builds_it() {
    for stage in 1..=11 {
        let s = preset(stage).expect("a preset");
        same_as_engine(&format!("preset {stage}"), &s);
        // More of each: servers, replicas, shards, cache and NoSQL nodes.
        let mut more = s.clone();
        more.server.count += 2;
        if let Some(db) = more.database.as_mut() {
            db.replicas += 1;
        }
        if let Some(sharding) = more.sharding.as_mut() {
            sharding.shards += 1;
        }
        if let Some(cache) = more.cache.as_mut() {
            cache.nodes += 1;
        }
        if let Some(nosql) = more.nosql.as_mut() {
            nosql.nodes += 1;
        }
        if more.validate().is_ok() {
            same_as_engine(&format!("preset {stage}, more of each"), &more);
        }
    }
}

#[test]
fn every_challenge_is_planned_as_the_engine_builds_it() {
    for id in 1..=CHALLENGE_COUNT {
        let c = challenge(id).expect("a challenge");
        let start = c.start_file().expect("a start").lower().expect("lowers");
        same_as_engine(&format!("challenge {id}'s start"), &start);
        let good = c
            .apply(&reference(id).expect("a reference"), 1)
            .expect("applies");
        same_as_engine(&format!("challenge {id}'s reference"), &good);
        if let Some((bad, _)) = shortcut(id) {
            if let Ok(bad) = c.apply(&bad, 1) {
                same_as_engine(&format!("challenge {id}'s shortcut"), &bad);
            }
        }
    }
}

#[test]
fn a_second_cache_is_planned_as_the_engine_builds_it() {
    let file = crate::topology::two_of_a_kind("cache", "cache-api", vec![Flow::ApiRead]);
    let s = file.lower().expect("two caches lower");
    assert_eq!(s.more_caches.len(), 1);
    same_as_engine("two caches", &s);
}

#[test]
fn a_second_database_is_planned_as_the_engine_builds_it() {
    let file = crate::topology::two_of_a_kind("db", "db-writes", vec![Flow::Write]);
    let s = file.lower().expect("two databases lower");
    assert_eq!(s.more_databases.len(), 1);
    same_as_engine("two databases", &s);
    let mut more = s.clone();
    more.more_databases[0].database.replicas += 2;
    same_as_engine("two databases, the second with more replicas", &more);
}
