//! Exact replay: the report digests committed in tests/fixtures/digests.json (made by the native
//! CLI with scripts/make-fixtures.sh) are still what the CLI and the core produce. The browser
//! suite (tests/replay.rs) checks the same fixtures in wasm, so native and browser runs agree.
#![cfg(not(target_arch = "wasm32"))]

use scalesim::scenario::{apply_set, preset};
use scalesim::sim::Sim;
use serde::Deserialize;
use std::process::Command;

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

const HOW_TO_UPDATE: &str = "If the model changed on purpose, regenerate the fixtures with \
     `scripts/make-fixtures.sh` and commit tests/fixtures/digests.json with the change; \
     otherwise a run is no longer reproducible from its scenario and seed.";

fn fixtures() -> Vec<Case> {
    let f: Fixtures = serde_json::from_str(include_str!("fixtures/digests.json"))
        .expect("tests/fixtures/digests.json is valid");
    f.cases
}

impl Case {
    /// `scalesim run --preset N --duration-s S --set …`, as the CLI spells it.
    fn command(&self) -> Vec<String> {
        let mut args = vec![
            "run".to_string(),
            "--preset".to_string(),
            self.preset.to_string(),
            "--duration-s".to_string(),
            self.duration_s.to_string(),
        ];
        for assignment in &self.set {
            args.push("--set".to_string());
            args.push(assignment.clone());
        }
        args
    }

    fn describe(&self) -> String {
        format!("[{}] scalesim {}", self.group, self.command().join(" "))
    }
}

fn core_digest(c: &Case) -> String {
    let scenario = preset(c.preset).expect("a simulated preset");
    let mut scenario =
        apply_set(&scenario, &format!("duration_s={}", c.duration_s)).expect("duration");
    for assignment in &c.set {
        scenario = apply_set(&scenario, assignment).expect("a valid --set");
    }
    Sim::new(&scenario).expect("valid").run().digest
}

fn cli_digest(c: &Case) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_scalesim"))
        .args(c.command())
        .output()
        .expect("runs");
    assert!(out.status.success(), "{} failed", c.describe());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    report["digest"].as_str().expect("a digest").to_string()
}

#[test]
fn fixtures_cover_every_simulated_preset() {
    let cases = fixtures();
    for stage in (1..=11).filter(|&s| preset(s).is_some()) {
        assert!(
            cases.iter().any(|c| c.preset == stage),
            "preset {stage} has no replay fixture: add it to scripts/make-fixtures.sh and run it"
        );
    }
}

#[test]
fn core_and_cli_reproduce_the_committed_digests() {
    let mut wrong = Vec::new();
    for c in fixtures() {
        let core = core_digest(&c);
        let cli = cli_digest(&c);
        assert_eq!(core, cli, "{}: the core and the CLI disagree", c.describe());
        if core != c.digest {
            wrong.push(format!(
                "{}: committed {}, now {}",
                c.describe(),
                c.digest,
                core
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "report digests differ from tests/fixtures/digests.json:\n  {}\n{HOW_TO_UPDATE}",
        wrong.join("\n  ")
    );
}
