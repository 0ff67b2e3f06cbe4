//! Exact replay in the browser: the core, compiled to wasm and run in headless Chromium, gives
//! the same report digests as the native CLI did when it wrote tests/fixtures/digests.json
//! (scripts/make-fixtures.sh). Run with
//! `cargo test --target wasm32-unknown-unknown --features web --no-default-features --test replay`.
#![cfg(target_arch = "wasm32")]

use gloo::timers::future::TimeoutFuture;
use scalesim::scenario::{apply_set, preset};
use scalesim::sim::Sim;
use serde::Deserialize;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[derive(Deserialize)]
struct Fixtures {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    /// "presets", or "mmck" for runs whose report includes the exact M/M/c/K theory.
    group: String,
    preset: u8,
    duration_s: u32,
    /// `--set` assignments applied after the duration.
    set: Vec<String>,
    digest: String,
}

fn fixtures() -> Vec<Case> {
    let f: Fixtures = serde_json::from_str(include_str!("fixtures/digests.json"))
        .expect("tests/fixtures/digests.json is valid");
    f.cases
}

/// Runs a preset exactly as `scalesim run --preset N --duration-s S --set …` does.
fn run(stage: u8, duration_s: u32, set: &[String]) -> scalesim::sim::Report {
    let scenario = preset(stage).expect("a simulated preset");
    let mut scenario = apply_set(&scenario, &format!("duration_s={duration_s}")).expect("duration");
    for assignment in set {
        scenario = apply_set(&scenario, assignment).expect("a valid --set");
    }
    Sim::new(&scenario).expect("valid").run()
}

/// Runs every fixture case of `group` in wasm; returns the cases whose digest differs.
async fn mismatches(group: &str) -> Vec<String> {
    let cases: Vec<Case> = fixtures()
        .into_iter()
        .filter(|c| c.group == group)
        .collect();
    assert!(!cases.is_empty(), "no replay fixtures in group {group}");
    let mut wrong = Vec::new();
    for c in &cases {
        // Give the page's event loop a turn between runs: the test runner polls the page, and
        // a main thread busy for too long makes its poll time out.
        TimeoutFuture::new(0).await;
        let t0 = js_sys::Date::now();
        let report = run(c.preset, c.duration_s, &c.set);
        let ms = js_sys::Date::now() - t0;
        console_log!(
            "preset {} at {} s {:?}: {ms} ms",
            c.preset,
            c.duration_s,
            c.set
        );
        if report.digest != c.digest {
            wrong.push(format!(
                "preset {} at {} s {:?}: native {}, wasm {} (generated {}, completed {}; theory {})",
                c.preset,
                c.duration_s,
                c.set,
                c.digest,
                report.digest,
                report.requests.generated,
                report.requests.completed,
                serde_json::to_string(&report.theory).expect("json"),
            ));
        }
    }
    wrong
}

fn explain(wrong: &[String]) -> String {
    format!(
        "wasm digests differ from the native ones in tests/fixtures/digests.json:\n  {}\n\
         If the native test (tests/replay_native.rs) passes, the browser build diverges from the \
         native one; otherwise regenerate the fixtures with scripts/make-fixtures.sh.",
        wrong.join("\n  ")
    )
}

/// Every simulated preset, short runs and runs through their scheduled faults.
#[wasm_bindgen_test]
async fn wasm_runs_give_the_native_digests() {
    let wrong = mismatches("presets").await;
    assert!(wrong.is_empty(), "{}", explain(&wrong));
}

/// With one exponential service time the report's `theory` section is the exact M/M/c/K;
/// `theory::mmck` uses `libm` (not std `ln`/`exp`, which differ in the last bits between
/// glibc natively and musl's port in wasm), so these digests match too.
#[wasm_bindgen_test]
async fn mmck_theory_gives_the_native_digests() {
    let wrong = mismatches("mmck").await;
    assert!(wrong.is_empty(), "{}", explain(&wrong));
}

/// The same run twice in one wasm instance gives the same report: nothing leaks between runs.
#[wasm_bindgen_test]
fn a_run_in_wasm_is_repeatable() {
    let a = run(4, 30, &[]);
    let b = run(4, 30, &[]);
    assert_eq!(a.digest, b.digest);
    assert_eq!(a, b);
}
