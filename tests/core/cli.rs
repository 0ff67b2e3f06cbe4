//! The command line: outputs and one-line errors.

use crate::helpers::scalesim;

#[test]
fn preset_prints_scenario_json() {
    let (code, out, _) = scalesim(&["preset", "1"]);
    assert_eq!(code, 0);
    let s = scalesim::scenario::Scenario::from_json(&out).unwrap();
    assert_eq!(s.stage, 1);
}

#[test]
fn run_prints_a_deterministic_report() {
    let args = [
        "run",
        "--preset",
        "1",
        "--duration-s",
        "20",
        "--set",
        "server.workers=4",
        "--set",
        "traffic.users=3000",
    ];
    let (code, a, _) = scalesim(&args);
    assert_eq!(code, 0);
    let (_, b, _) = scalesim(&args);
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(v["sim_time_s"], 20.0);
    // 3,000 users at 0.01 requests/s: about 600 requests in 20 s.
    assert!(v["requests"]["generated"].as_u64().unwrap() > 500);
    assert!(v.get("timing").is_none());
}

#[test]
fn timing_adds_events_per_second() {
    let (code, out, _) = scalesim(&["run", "--preset", "1", "--duration-s", "5", "--timing"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["timing"]["events_per_s"].as_f64().unwrap() > 0.0);
}

/// The first stage not simulated yet ("11" once all are: still refused, by validation of 12).
fn first_unbuilt_stage() -> &'static str {
    const NAMES: [&str; 12] = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12",
    ];
    let n = scalesim::scenario::STAGES
        .iter()
        .find(|s| !s.built)
        .map_or(12, |s| s.number);
    NAMES[usize::from(n) - 1]
}

#[test]
fn bad_input_exits_non_zero_with_one_line() {
    for args in [
        &["run", "/nonexistent/scenario.json"][..],
        &["run", "--preset", "1", "--set", "server.nope=3"],
        &["run", "--preset", "1", "--set", "server.workers=0"],
        &["run", "--preset", "99"],
        &["run", "--preset", first_unbuilt_stage()],
        &["run", "--bogus"],
        &["run"],
    ] {
        let (code, out, err) = scalesim(args);
        assert_ne!(code, 0, "{args:?}");
        assert!(out.is_empty(), "{args:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}

#[test]
fn bad_json_file_is_reported() {
    let dir = std::env::temp_dir().join(format!("scalesim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.json");
    std::fs::write(&file, "{\"version\": 1,").unwrap();
    let (code, _, err) = scalesim(&["run", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("not a valid scenario"), "{err}");
}

#[test]
fn schema_lists_fields() {
    let (code, out, _) = scalesim(&["schema"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.as_array().unwrap().len() > 20);
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scalesim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, contents).unwrap();
    file
}

#[test]
fn url_and_decode_convert_between_json_and_link() {
    let mut s = scalesim::scenario::preset(1).unwrap();
    s.seed = 7;
    s.traffic.users = 5000;
    s.server.workers = 16;
    let file = temp_file("changed.json", &s.to_json_pretty());
    let (code, link, err) = scalesim(&["url", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let link = link.trim_end();
    assert_eq!(link, "v1.s1~seed=7~server.workers=16~traffic.users=5000");
    for given in [link.to_string(), format!("https://example.org/app/#{link}")] {
        let (code, json, err) = scalesim(&["decode", &given]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(scalesim::scenario::Scenario::from_json(&json).unwrap(), s);
    }
    let (code, with_time, _) = scalesim(&["url", file.to_str().unwrap(), "--time-s", "30.5"]);
    assert_eq!(code, 0);
    assert_eq!(with_time.trim_end(), format!("{link}~t=30.5"));
}

#[test]
fn a_graph_file_gets_a_v2_link_that_runs_the_same() {
    let mut graph = scalesim::scenario::preset(5).unwrap().topology_file();
    graph.name = "drawn".into();
    graph.duration_s = 20;
    let file = temp_file("drawn.json", &serde_json::to_string_pretty(&graph).unwrap());
    let (code, link, err) = scalesim(&["url", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let link = link.trim_end();
    assert!(link.starts_with("v2."), "{link}");
    let (code, json, err) = scalesim(&["decode", link]);
    assert_eq!(code, 0, "{err}");
    let back: scalesim::scenario::TopologyFile = serde_json::from_str(&json).unwrap();
    assert_eq!(back, graph);
    let by_file = scalesim(&["run", file.to_str().unwrap(), "--format", "json"]);
    let by_link = scalesim(&["run", "--url", link, "--format", "json"]);
    assert_eq!(by_file.0, 0, "{}", by_file.2);
    assert_eq!(by_file, by_link);
}

#[test]
fn run_url_runs_what_the_link_describes() {
    let by_link = scalesim(&["run", "--url", "v1.s1~server.workers=4~duration_s=20"]);
    let by_set = scalesim(&[
        "run",
        "--preset",
        "1",
        "--duration-s",
        "20",
        "--set",
        "server.workers=4",
    ]);
    assert_eq!(by_link.0, 0, "{}", by_link.2);
    assert_eq!(by_link.1, by_set.1);
}

#[test]
fn bad_links_exit_non_zero_with_one_line() {
    let file = temp_file(
        "p.json",
        &scalesim::scenario::preset(1).unwrap().to_json_pretty(),
    );
    for args in [
        &["decode", "v9.s1"][..],
        &["decode", "garbage"],
        &["decode", "v1.s1~server.workers=0"],
        &["decode", "v1.s1~traffic.users=1e999"],
        &["run", "--url", "v1.s1~nope=1"],
        &["run", "--url", "v1.s1", "--preset", "1"],
        &["run", "--url", "v1.s1", file.to_str().unwrap()],
        &["url", "/nonexistent/scenario.json"],
        &["url", file.to_str().unwrap(), "--time-s", "-3"],
    ] {
        let (code, out, err) = scalesim(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty(), "{args:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}
