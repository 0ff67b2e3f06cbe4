//! Absurd but well-formed inputs: each is refused with a message, or accepted and then runs
//! without freezing (a bounded number of events per `advance_to`, a wall-clock bound).
//!
//! Two doors are tried: `scalesim::scenario::apply_set` (the CLI's and the app's `--set`), and
//! `Scenario::from_json` with raw JSON tokens (NaN, infinities, huge integers) spliced into
//! every field of the preset.

use scalesim::scenario::{apply_set, path, preset, Scenario, FIELDS};
use scalesim::sim::{Sim, SimDuration, SimTime};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// Events one bounded run may process (about what one animation frame is granted, times ten).
const BUDGET: u64 = 200_000;
/// Wall time a bounded run may take, building included.
const WALL: Duration = Duration::from_secs(10);

/// Builds and runs an accepted scenario for at most [`BUDGET`] events per call, a few calls,
/// and checks that it returned promptly and conserved requests.
pub fn bounded_run(s: &Scenario, label: &str, budget: u64) {
    let started = Instant::now();
    let mut sim = Sim::new(s).unwrap_or_else(|e| panic!("{label}: accepted but Sim::new: {e}"));
    for _ in 0..3 {
        let done = sim.advance_to(SimTime(u64::MAX), budget);
        assert!(
            done <= budget,
            "{label}: {done} events above the budget {budget}"
        );
    }
    sim.kill(sim.components()[sim.components().len() - 1].id);
    sim.advance_to(sim.end(), budget);
    let snap = sim.snapshot();
    let r = sim.report();
    let q = &r.requests;
    assert_eq!(
        q.generated,
        q.completed + q.failed + q.in_flight,
        "{label}: conservation broken: {q:?}"
    );
    assert_eq!(
        snap.requests_total, q.generated,
        "{label}: snapshot and report disagree"
    );
    let took = started.elapsed();
    assert!(took < WALL, "{label}: a bounded run took {took:?}");
}

/// Applies the assignments in order; a refusal must say something.
fn try_sets(sets: &[&str]) -> Result<Scenario, String> {
    let mut s = preset(1).unwrap();
    for a in sets {
        s = apply_set(&s, a).map_err(|e| e.to_string())?;
    }
    Ok(s)
}

const ABSURD_SETS: &[&[&str]] = &[
    &["traffic.users=1000000000000"],
    &["traffic.users=18446744073709551615"],
    &[
        "traffic.users=100000000",
        "traffic.requests_per_user_per_s=0.01",
    ],
    &[
        "traffic.requests_per_user_per_s=0.01",
        "traffic.users=100000000",
    ],
    &["traffic.requests_per_user_per_s=1e308"],
    &["traffic.requests_per_user_per_s=-0"],
    &["server.workers=1000000"],
    &["server.workers=10000"],
    &["server.workers=4294967296"],
    &["duration_s=31536000"],
    &["duration_s=86400"],
    &["duration_s=86400", "metrics_interval_ms=10"],
    &["dns.ttl_s=0"],
    &[
        "dns.ttl_s=0",
        "dns.lookup_ms=10000",
        "traffic.client_timeout_ms=1",
    ],
    &["server.queue_capacity=4294967295"],
    &["server.queue_capacity=1000000"],
    &[
        "server.service.page_view.mean_ms=0.001",
        "server.service.api_read.mean_ms=0.001",
    ],
    &[
        "server.service.write.mean_ms=600000",
        "server.service.write.shape=lognormal",
        "server.service.write.cv=10",
    ],
    &[
        "server.service.write.cv=1e-300",
        "server.service.write.shape=lognormal",
    ],
    &[
        "traffic.mix.page_view=0",
        "traffic.mix.api_read=0",
        "traffic.mix.write=0",
        "traffic.mix.static_asset=0",
    ],
    &["traffic.mix.page_view=1e6", "traffic.mix.api_read=1e-300"],
    &["network.client_rtt_ms=10000", "dns.lookup_ms=10000"],
    &["faults=[{\"target\":\"web-0\",\"at_s\":0,\"duration_s\":0}]"],
    &["faults=[{\"target\":\"dns\",\"at_s\":86400,\"duration_s\":86400}]"],
    &["faults=[{\"target\":\"users\",\"at_s\":1,\"duration_s\":1}]"],
    &["faults=[{\"target\":\"<img src=x onerror=alert(1)>\",\"at_s\":1,\"duration_s\":1}]"],
    &["name=\"<img src=x onerror=alert(1)>\""],
    &["version=2"],
    &["stage=0"],
    &["stage=255"],
    &["seed=18446744073709551615"],
    &["metrics_interval_ms=0"],
    &[
        "duration_s=86400",
        "metrics_interval_ms=60000",
        "traffic.users=100000000",
        "traffic.requests_per_user_per_s=0.01",
        "traffic.client_timeout_ms=600000",
        "dns.ttl_s=0",
        "dns.lookup_ms=10000",
        "network.client_rtt_ms=10000",
        "server.workers=10000",
        "server.queue_capacity=1000000",
        "server.service.page_view.mean_ms=600000",
    ],
];

#[test]
fn absurd_sets_are_refused_or_run_bounded() {
    let (mut refused, mut ran) = (0, 0);
    for sets in ABSURD_SETS {
        let label = sets.join(" ");
        match catch_unwind(|| try_sets(sets)) {
            Err(_) => panic!("{label}: apply_set panicked"),
            Ok(Err(message)) => {
                assert!(
                    !message.trim().is_empty(),
                    "{label}: refused without a message"
                );
                refused += 1;
            }
            Ok(Ok(s)) => {
                let run = catch_unwind(AssertUnwindSafe(|| bounded_run(&s, &label, BUDGET)));
                assert!(run.is_ok(), "{label}: the bounded run panicked");
                ran += 1;
            }
        }
    }
    eprintln!("absurd sets: {refused} refused, {ran} accepted and ran bounded");
}

/// Raw JSON tokens for a number field: out-of-range, non-finite, wrong type, bounds.
const TOKENS: &[&str] = &[
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1e999",
    "1e-400",
    "-0",
    "-1",
    "0",
    "0.5",
    "1",
    "10",
    "86400",
    "600000",
    "1000000",
    "100000000",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "1e308",
    "null",
    "true",
    "\"7\"",
    "[]",
    "{}",
];

/// The preset's JSON with the field at `path` (dotted) replaced by a raw token, by the
/// scenario's one path rule ([`path::assign`]); `None` when the preset has no such field.
fn splice(dotted: &str, token: &str) -> Option<String> {
    let mut root = serde_json::to_value(preset(1).unwrap()).unwrap();
    let placeholder = serde_json::Value::String("@@TOKEN@@".into());
    match path::assign(&mut root, &path::split(dotted), placeholder) {
        Ok(path::Assigned::Replaced) => Some(root.to_string().replace("\"@@TOKEN@@\"", token)),
        _ => None,
    }
}

#[test]
fn absurd_json_tokens_in_every_field() {
    let (mut refused, mut ran) = (0, 0);
    for field in FIELDS.iter().filter(|f| !f.path.contains("[]")) {
        for token in TOKENS {
            let Some(text) = splice(field.path, token) else {
                continue;
            };
            let label = format!("{}={token}", field.path);
            match catch_unwind(|| Scenario::from_json(&text)) {
                Err(_) => panic!("{label}: from_json panicked"),
                Ok(Err(e)) => {
                    assert!(!e.to_string().trim().is_empty(), "{label}: no message");
                    refused += 1;
                }
                Ok(Ok(s)) => {
                    let run =
                        catch_unwind(AssertUnwindSafe(|| bounded_run(&s, &label, BUDGET / 10)));
                    assert!(run.is_ok(), "{label}: the bounded run panicked");
                    ran += 1;
                }
            }
        }
    }
    eprintln!("absurd JSON tokens: {refused} refused, {ran} accepted and ran bounded");
    assert!(refused > 0 && ran > 0);
}

/// Live changes an app user can make that validation never sees.
#[test]
fn absurd_live_actions_run_bounded() {
    let mut s = preset(1).unwrap();
    s.traffic.requests_per_user_per_s = 1000.0;
    let mut sim = Sim::new(&s).unwrap();
    let started = Instant::now();
    for users in [u64::MAX, 1_000_000_000_000, 0, 1_000] {
        sim.set_users(users);
        let done = sim.advance_to(sim.now().plus(SimDuration::from_secs(1)), BUDGET);
        assert!(done <= BUDGET);
    }
    for c in sim.components().to_vec() {
        for _ in 0..3 {
            sim.kill(c.id);
            sim.repair(c.id);
        }
    }
    sim.advance_to(SimTime(u64::MAX - 1), BUDGET);
    let q = sim.report().requests;
    assert_eq!(q.generated, q.completed + q.failed + q.in_flight, "{q:?}");
    assert!(started.elapsed() < WALL * 2, "took {:?}", started.elapsed());
}
