//! Scenario validation, overrides, presets and the field documentation.

use scalesim::scenario::{
    apply_set, preset, schema_markdown, Profile, Scenario, SetError, FIELDS, STAGES,
};
use serde_json::Value;

#[test]
fn preset_1_is_valid_and_round_trips_through_json() {
    let s = preset(1).unwrap();
    s.validate().unwrap();
    let back = Scenario::from_json(&s.to_json_pretty()).unwrap();
    assert_eq!(back, s);
}

#[test]
fn stages_not_simulated_have_no_preset() {
    for stage in STAGES.iter().filter(|s| !s.built) {
        assert!(preset(stage.number).is_none());
    }
    assert!(preset(0).is_none() && preset(12).is_none());
}

#[test]
fn validation_lists_every_problem() {
    let mut s = preset(1).unwrap();
    s.server.workers = 0;
    s.traffic.requests_per_user_per_s = -1.0;
    s.traffic.users = 1_000_000_000_000;
    s.server.service.write.mean_ms = 0.0;
    s.version = 99;
    let errors = s.validate().unwrap_err();
    let paths: Vec<&str> = errors.0.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "version",
        "traffic.users",
        "traffic.requests_per_user_per_s",
        "server.workers",
        "server.service.write.mean_ms",
    ] {
        assert!(
            paths.contains(&expected),
            "{expected} missing from {paths:?}"
        );
    }
    let text = errors.to_string();
    assert!(!text.contains('\n'));
    assert!(
        text.contains("server.workers: 0 workers is out of range"),
        "{text}"
    );
}

#[test]
fn offered_load_is_capped() {
    let mut s = preset(1).unwrap();
    s.traffic.users = 100_000_000;
    s.traffic.requests_per_user_per_s = 1.0;
    let text = s.validate().unwrap_err().to_string();
    assert!(text.contains("offered load"), "{text}");
}

#[test]
fn bad_json_and_unknown_fields_are_refused_with_a_message() {
    assert!(Scenario::from_json("{").is_err());
    let mut v: Value = serde_json::to_value(preset(1).unwrap()).unwrap();
    v["server"]["wrokers"] = Value::from(3);
    let e = Scenario::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(e.contains("wrokers"), "{e}");
}

#[test]
fn fault_targets_must_exist() {
    let mut s = preset(1).unwrap();
    s.faults.push(scalesim::scenario::Fault {
        target: "db-7".into(),
        at_s: 1.0,
        duration_s: 1.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    });
    let e = s.validate().unwrap_err().to_string();
    assert!(e.contains("no component named 'db-7'"), "{e}");
}

#[test]
fn set_changes_a_field_and_refuses_unknown_paths() {
    let s = preset(1).unwrap();
    let t = apply_set(&s, "server.workers=16").unwrap();
    assert_eq!(t.server.workers, 16);
    let t = apply_set(&s, "server.service.write.shape=constant").unwrap();
    assert_eq!(
        t.server.service.write.shape,
        scalesim::scenario::Shape::Constant
    );
    assert!(matches!(
        apply_set(&s, "server.wrkers=1"),
        Err(SetError::UnknownPath(_))
    ));
    assert!(matches!(
        apply_set(&s, "server.workers"),
        Err(SetError::Syntax(_))
    ));
    assert!(matches!(
        apply_set(&s, "server.workers=lots"),
        Err(SetError::BadValue { .. })
    ));
    assert!(matches!(
        apply_set(&s, "server.workers=0"),
        Err(SetError::Invalid(_))
    ));
}

fn leaf_paths(prefix: &str, v: &Value, out: &mut Vec<String>) {
    match v {
        // A data center's changes: dotted paths of the scenario itself, as keys.
        Value::Object(_) if prefix == "geo.data_centers[].set" => out.push(prefix.to_string()),
        Value::Object(map) => {
            for (k, child) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_paths(&p, child, out);
            }
        }
        Value::Array(items) => {
            for child in items {
                leaf_paths(&format!("{prefix}[]"), child, out);
            }
        }
        _ => out.push(prefix.to_string()),
    }
}

#[test]
fn every_field_is_documented_and_every_documented_field_exists() {
    let mut paths = Vec::new();
    for stage in STAGES.iter().filter(|s| s.built) {
        let mut s = preset(stage.number).unwrap();
        s.faults.push(scalesim::scenario::Fault {
            target: "web-0".into(),
            at_s: 1.0,
            duration_s: 1.0,
            kind: scalesim::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        });
        s.server.speeds = vec![1.0; s.server.count as usize];
        leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
        // Every shape of load profile.
        for profile in [
            Profile::Ramp {
                start_s: 1.0,
                end_s: 2.0,
                factor: 2.0,
            },
            Profile::Cycle {
                period_s: 60.0,
                amplitude: 0.5,
            },
        ] {
            s.traffic.profile = profile;
            leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
        }
        // Stage 11's split routing and its shares.
        if let Some(geo) = s.geo.as_mut() {
            geo.routing = scalesim::scenario::GeoRouting::Split;
            geo.split_share = vec![0.5; geo.data_centers.len()];
            leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
            // A partition between its two data centers.
            s.faults = vec![scalesim::scenario::Fault::partition(
                "us-east", "eu-west", 1.0, 1.0,
            )];
            assert_eq!(s.validate(), Ok(()));
            leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
        }
    }
    // Optional parts no preset has: a deploy, a NoSQL store, denormalised key-value shards.
    let mut s = preset(10).unwrap();
    s.database.as_mut().unwrap().kind = scalesim::scenario::StoreKind::KeyValue;
    s.sharding.as_mut().unwrap().denormalise =
        Some(scalesim::scenario::Denormalise { write_factor: 2 });
    s.nosql = Some(scalesim::scenario::NoSqlStore {
        kind: scalesim::scenario::StoreKind::Document,
        share: 0.2,
        nodes: 2,
        workers: 4,
        queue_capacity: 10,
        read: scalesim::scenario::Dist::exponential(1.0),
        write: scalesim::scenario::Dist::exponential(1.0),
    });
    s.deploy = Some(scalesim::scenario::Deploy {
        at_s: Some(1.0),
        batch_size: 1,
        drain: true,
        drain_timeout_ms: 100.0,
        startup_s: 1.0,
        pool: None,
    });
    // Cache coalescing, a flaky node, retrying clients, and a slow fault (grey failure).
    s.cache.as_mut().expect("stage 10 has a cache").coalesce = Some(true);
    s.faults
        .push(scalesim::scenario::Fault::errors("web-0", 0.2, 1.0, 1.0));
    s.traffic.retries = Some(scalesim::scenario::Retries {
        max: 2,
        backoff_ms: 50.0,
        multiplier: 2.0,
        jitter: 0.5,
    });
    s.faults.push(scalesim::scenario::Fault::slow(
        "shard-0-db-1",
        4.0,
        1.0,
        1.0,
    ));
    // Synchronous workers and a circuit breaker.
    s.server.sync_calls = true;
    s.server.breaker = Some(scalesim::scenario::Breaker {
        failures: 5,
        slow_call_ms: 200.0,
        open_ms: 2000.0,
        probes: 1,
    });
    s.routes = Some(scalesim::scenario::Routes {
        cached: Some(vec![scalesim::scenario::Flow::PageView]),
        nosql: Some(vec![scalesim::scenario::Flow::ApiRead]),
    });
    assert_eq!(s.validate(), Ok(()));
    leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
    // A second cache beside the first, fronting API reads (without coalescing).
    let mut s = preset(5).unwrap();
    let mut api = s.cache.clone().unwrap();
    api.nodes = 2;
    s.more_caches = vec![scalesim::scenario::NamedCache {
        name: "cache-api".into(),
        fronts: vec![scalesim::scenario::Flow::ApiRead],
        cache: api,
    }];
    assert_eq!(s.validate(), Ok(()));
    leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
    // A second web pool behind the balancer, serving API reads and writes, with its own
    // speeds and autoscaler.
    let mut s = preset(7).unwrap();
    let mut server = s.server.clone();
    server.speeds = vec![1.0, 2.0];
    s.more_web_pools = vec![scalesim::scenario::NamedWebPool {
        name: "web-api".into(),
        serves: vec![
            scalesim::scenario::Flow::ApiRead,
            scalesim::scenario::Flow::Write,
        ],
        server,
        autoscaling: s.autoscaling.clone(),
    }];
    // Its rolling deploy, named.
    s.deploy = Some(scalesim::scenario::Deploy {
        at_s: None,
        batch_size: 1,
        drain: true,
        drain_timeout_ms: 1000.0,
        startup_s: 5.0,
        pool: Some("web-api".into()),
    });
    assert_eq!(s.validate(), Ok(()));
    leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
    // A second database beside the first, storing the writes.
    let mut s = preset(5).unwrap();
    let mut db = s.database.clone().unwrap();
    db.kind = scalesim::scenario::StoreKind::Document;
    s.more_databases = vec![scalesim::scenario::NamedDatabase {
        name: "db-writes".into(),
        takes: vec![scalesim::scenario::Flow::Write],
        database: db,
        sharding: None,
        router: None,
    }];
    assert_eq!(s.validate(), Ok(()));
    leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
    // A second shard router in front of a second database, with every setting.
    let mut s = preset(10).unwrap();
    let mut sharding = s.sharding.clone().unwrap();
    sharding.denormalise = Some(scalesim::scenario::Denormalise { write_factor: 2 });
    s.more_databases = vec![scalesim::scenario::NamedDatabase {
        name: "orders".into(),
        takes: vec![scalesim::scenario::Flow::Write],
        database: s.database.clone().unwrap(),
        sharding: Some(sharding),
        router: Some("orders-shards".into()),
    }];
    assert_eq!(s.validate(), Ok(()));
    leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
    // A data center with its own copy of the stack.
    let mut s = preset(11).unwrap();
    s.geo.as_mut().unwrap().data_centers[1].set =
        [("server.count".to_string(), serde_json::json!(4))].into();
    assert_eq!(s.validate(), Ok(()));
    leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
    // Queue workers writing each job to the database.
    let mut s = preset(8).unwrap();
    s.queue.as_mut().unwrap().job_writes_to_db = true;
    assert_eq!(s.validate(), Ok(()));
    leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
    // A second NoSQL store beside the first, taking the writes.
    let mut s = preset(10).unwrap();
    let store = scalesim::scenario::NoSqlStore {
        kind: scalesim::scenario::StoreKind::KeyValue,
        share: 0.5,
        nodes: 2,
        workers: 8,
        queue_capacity: 100,
        read: scalesim::scenario::Dist::exponential(1.0),
        write: scalesim::scenario::Dist::exponential(1.0),
    };
    s.nosql = Some(store.clone());
    s.more_nosql = vec![scalesim::scenario::NamedNoSql {
        name: "feeds".into(),
        takes: vec![scalesim::scenario::Flow::Write],
        nosql: store,
    }];
    assert_eq!(s.validate(), Ok(()));
    leaf_paths("", &serde_json::to_value(&s).unwrap(), &mut paths);
    let documented: Vec<&str> = FIELDS.iter().map(|f| f.path).collect();
    for p in &paths {
        assert!(
            documented.contains(&p.as_str()),
            "{p} is not in the schema table"
        );
    }
    for d in documented {
        assert!(
            paths.iter().any(|p| p == d),
            "{d} is documented but does not exist"
        );
    }
}

#[test]
fn docs_scenario_md_matches_the_schema() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenario.md");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == schema_markdown(),
        "docs/scenario.md is stale: regenerate with `cargo run -- schema --markdown > docs/scenario.md`"
    );
}
