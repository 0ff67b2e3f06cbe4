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

/// The page draws a new run's first diagram from its scenario without validating it (the
/// engine validates, and its answer replaces the drawing with the reason): the plan must draw
/// any scenario, valid or not, without panicking, and hold its counts to validation's limits.
#[test]
fn a_scenario_that_fails_validation_is_planned_without_panicking() {
    let mut cases = Vec::new();
    for stage in 1..=11 {
        let s = preset(stage).expect("a preset");
        let mut huge = s.clone();
        huge.server.count = u32::MAX;
        if let Some(db) = huge.database.as_mut() {
            db.replicas = u32::MAX;
        }
        if let Some(sharding) = huge.sharding.as_mut() {
            sharding.shards = u32::MAX;
        }
        if let Some(cache) = huge.cache.as_mut() {
            cache.nodes = u32::MAX;
        }
        cases.push((format!("preset {stage}, every count at its maximum"), huge));
        let mut none = s.clone();
        none.server.count = 0;
        if let Some(sharding) = none.sharding.as_mut() {
            sharding.shards = 0;
        }
        cases.push((format!("preset {stage}, no server"), none));
    }
    let world = preset(11).expect("preset 11");
    let geo = world.geo.clone().expect("a geo part");
    let mut variants = Vec::new();
    let mut no_region = geo.clone();
    no_region.regions.clear();
    variants.push(("no region", no_region));
    let mut no_dc = geo.clone();
    no_dc.data_centers.clear();
    variants.push(("no data center", no_dc));
    let mut lost = geo.clone();
    lost.data_centers[0].region = "nowhere".into();
    variants.push(("a data center in no region", lost));
    let mut twins = geo.clone();
    twins.data_centers[1].name = twins.data_centers[0].name.clone();
    variants.push(("two data centers of one name", twins));
    let mut many = geo;
    let dc = many.data_centers[0].clone();
    many.data_centers = (0..40)
        .map(|i| scalesim::scenario::DataCenter {
            name: format!("dc-{i}"),
            ..dc.clone()
        })
        .collect();
    variants.push(("forty data centers", many));
    for (what, geo) in variants {
        let mut s = world.clone();
        s.geo = Some(geo);
        cases.push((format!("preset 11, {what}"), s));
    }
    for (what, s) in &cases {
        assert!(s.validate().is_err(), "{what}: meant to be invalid");
        let planned = layout_plan::components(s);
        assert!(
            planned.len() < usize::from(u16::MAX),
            "{what}: {} components planned",
            planned.len()
        );
        for orientation in [Orientation::Landscape, Orientation::Portrait] {
            let d = layout_plan::diagram(s, orientation);
            assert!(
                d.width.is_finite() && d.height.is_finite(),
                "{what}: {orientation:?}"
            );
        }
    }
}
