//! Property test over scenario JSON: random mutations of the preset (random paths set to random
//! JSON values) never make `Scenario::from_json` panic; when it accepts, a short bounded run
//! never panics and conserves requests. `PROPTEST_CASES=N` runs more cases (default 10,000).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use scalesim::scenario::path::pointer;
use scalesim::scenario::{preset, Scenario};
use scalesim::sim::{Sim, SimTime};
use serde_json::{json, Value};
use std::time::Instant;

/// A random JSON value: numbers around every bound, strings, nesting.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        (0u32..6, -3i32..10).prop_map(|(m, e)| json!(f64::from(m) * 10f64.powi(e))),
        prop::sample::select(vec![
            0.0,
            1e-9,
            0.001,
            0.01,
            1.0,
            10.0,
            1000.0,
            10_000.0,
            86_400.0,
            600_000.0,
            1e6,
            1e8,
            1e12,
            4294967295.0,
            -1.0,
        ])
        .prop_map(|f| json!(f)),
        prop::sample::select(vec![
            "",
            "web-0",
            "dns",
            "users",
            "exponential",
            "constant",
            "lognormal",
            "x",
            "<img src=x onerror=alert(1)>",
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,3}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A valid fault list to start from, so mutations reach into faults too.
fn base() -> Value {
    let mut s = preset(1).unwrap();
    s.duration_s = 5;
    s.faults = vec![scalesim::scenario::Fault {
        target: "web-0".into(),
        at_s: 1.0,
        duration_s: 1.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    serde_json::to_value(s).unwrap()
}

/// Every path (as keys/indices) of a JSON tree, the root included; only leaves if `leaves`.
fn paths(v: &Value, leaves: bool, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    let compound = v.is_object() || v.is_array();
    if !(leaves && compound) {
        out.push(prefix.clone());
    }
    let children: Vec<(String, &Value)> = match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => return,
    };
    for (k, child) in children {
        prefix.push(k);
        paths(child, leaves, prefix, out);
        prefix.pop();
    }
}

/// The value at `path` (keys of a tree that [`paths`] listed, so it exists), through the
/// scenario's own path rule's JSON pointer.
fn at<'a>(root: &'a mut Value, path: &[String]) -> &'a mut Value {
    root.pointer_mut(&pointer(path))
        .expect("a listed path exists")
}

/// Applies mutations (path index, value, delete?) and returns the JSON text.
fn mutate(mutations: &[(prop::sample::Index, Value, bool)]) -> String {
    let mut root = base();
    for (index, new, delete) in mutations {
        // Scalars mostly replace scalars, so that many mutants get past the type check.
        let scaling = new.get("@scale").is_some();
        let leaves = scaling || !(new.is_object() || new.is_array() || *delete);
        let mut all = Vec::new();
        paths(&root, leaves, &mut Vec::new(), &mut all);
        if all.is_empty() {
            paths(&root, false, &mut Vec::new(), &mut all);
        }
        let path = index.get(&all).clone();
        if *delete && !path.is_empty() {
            let (last, parent) = path.split_last().unwrap();
            match at(&mut root, parent) {
                Value::Object(m) => {
                    m.remove(last);
                }
                Value::Array(a) => {
                    a.remove(last.parse::<usize>().unwrap());
                }
                _ => {}
            }
        } else if let Some(factor) = new.as_object().and_then(|o| o.get("@scale")) {
            // Scale the number already there, keeping integers whole: stays the right type.
            let factor = factor.as_f64().unwrap_or(1.0);
            let scaled = match at(&mut root, &path) {
                Value::Number(n) if n.is_u64() => {
                    json!((n.as_u64().unwrap() as f64 * factor).round() as u64)
                }
                Value::Number(n) => json!(n.as_f64().unwrap() * factor),
                _ => continue,
            };
            *at(&mut root, &path) = scaled;
        } else {
            // Any value, `null` included, goes in as it is (not by `--set`'s rule, where
            // `null` leaves a field out: deletions are drawn on their own).
            *at(&mut root, &path) = new.clone();
        }
    }
    root.to_string()
}

/// Checks one mutated text; `Err` describes the failure.
fn check_text(text: &str) -> Result<bool, String> {
    let Ok(s) = Scenario::from_json(text) else {
        return Ok(false);
    };
    let mut sim = Sim::new(&s).map_err(|e| format!("from_json accepted, Sim::new refused: {e}"))?;
    sim.advance_to(SimTime::from_secs(2), 50_000);
    let q = sim.report().requests;
    if q.generated != q.completed + q.failed + q.in_flight {
        return Err(format!("conservation broken: {q:?}"));
    }
    Ok(true)
}

#[test]
fn mutated_preset_json_never_panics() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    // Half the mutations scale a number in place (`{"@scale": f}`), half put any value anywhere.
    let scale = prop::sample::select(vec![0.0, 0.001, 0.5, 0.9, 1.1, 2.0, 10.0, 1e3, 1e6, 1e12])
        .prop_map(|f| json!({ "@scale": f }));
    let strategy = prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            prop_oneof![scale, value()],
            prop::bool::weighted(0.1),
        ),
        1..4,
    );
    let started = Instant::now();
    let accepted = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |mutations| {
        let text = mutate(&mutations);
        let outcome = std::panic::catch_unwind(|| check_text(&text));
        match outcome {
            Err(_) => Err(TestCaseError::fail(format!("panicked on {text}"))),
            Ok(Err(e)) => Err(TestCaseError::fail(format!("{e} on {text}"))),
            Ok(Ok(ok)) => {
                accepted.set(accepted.get() + u32::from(ok));
                Ok(())
            }
        }
    });
    eprintln!(
        "proptest: {cases} mutated scenarios in {:.1} s, {} accepted and run",
        started.elapsed().as_secs_f64(),
        accepted.get()
    );
    result.unwrap();
}
