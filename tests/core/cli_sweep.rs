//! The command line as people use it: tables, sweeps, plots, completions.

use crate::helpers::scalesim;
use serde_json::Value;

/// The numbers in a table line after its label (`generated  29,996` → [29996.0]).
fn numbers(line: &str) -> Vec<f64> {
    line.split_whitespace()
        .filter_map(|word| word.replace(',', "").parse::<f64>().ok())
        .collect()
}

/// The first line of `text` that starts (after spaces) with `label` followed by a space.
fn line<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(&format!("{label} ")))
        .unwrap_or_else(|| panic!("no line '{label}' in:\n{text}"))
}

/// `printed` is `exact` written with at most `decimals` decimals (or rounded to a whole number).
fn same(printed: f64, exact: f64, what: &str) {
    let tolerance = if exact.abs() >= 10_000.0 {
        0.5
    } else if exact.abs() >= 100.0 {
        0.05
    } else {
        0.005
    };
    assert!(
        (printed - exact).abs() <= tolerance + 1e-9,
        "{what}: table {printed}, JSON {exact}"
    );
}

#[test]
fn a_run_table_shows_the_numbers_of_the_json_report() {
    let args = ["run", "--preset", "4", "--duration-s", "30"];
    let (code, json, err) = scalesim(&args);
    assert_eq!(code, 0, "{err}");
    let (code, text, err) = scalesim(&[&args[..], &["--format", "table"]].concat());
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&json).unwrap();
    assert!(text.contains(r["digest"].as_str().unwrap()));
    for (label, key) in [
        ("generated", "generated"),
        ("completed", "completed"),
        ("failed", "failed"),
    ] {
        let printed = numbers(line(&text, label));
        assert_eq!(printed, [r["requests"][key].as_f64().unwrap()], "{label}");
    }
    let all = numbers(line(&text, "all"));
    let latency = &r["latency_ms"];
    assert_eq!(all[0], latency["count"].as_f64().unwrap());
    for (i, key) in ["mean", "p50", "p95", "p99", "max"].iter().enumerate() {
        same(all[i + 1], latency[key].as_f64().unwrap(), key);
    }
    let components = r["components"].as_array().unwrap();
    assert!(components.len() >= 7);
    for c in components {
        let row = numbers(line(&text, c["name"].as_str().unwrap()));
        // utilization (percent), mean queue, max queue, served/s, rejected, refused
        same(
            row[0] / 100.0,
            c["utilization"].as_f64().unwrap(),
            "utilization",
        );
        same(row[1], c["mean_queue_len"].as_f64().unwrap(), "mean queue");
        assert_eq!(row[2], c["max_queue_len"].as_f64().unwrap());
        same(row[3], c["throughput_per_s"].as_f64().unwrap(), "served/s");
    }
    let total = line(&text, "total").replace('$', "");
    same(
        numbers(&total)[0],
        r["cost"]["total_usd"].as_f64().unwrap(),
        "cost",
    );
    let busiest = components
        .iter()
        .filter(|c| c["kind"] != "workers")
        .max_by(|a, b| {
            let u = |c: &Value| c["utilization"].as_f64().unwrap();
            u(a).total_cmp(&u(b))
        })
        .unwrap();
    let bottleneck = line(&text, "Bottleneck:");
    assert!(
        bottleneck.contains(busiest["name"].as_str().unwrap()),
        "{bottleneck}"
    );
}

#[test]
fn in_a_pipe_run_prints_the_json_report_as_before() {
    let args = ["run", "--preset", "1", "--duration-s", "10"];
    let plain = scalesim(&args).1;
    assert_eq!(plain, scalesim(&[&args[..], &["--json"]].concat()).1);
    assert_eq!(
        plain,
        scalesim(&[&args[..], &["--format", "json"]].concat()).1
    );
    assert!(serde_json::from_str::<Value>(&plain).is_ok());
}

fn sweep_args(threads: &str) -> Vec<String> {
    [
        "sweep",
        "--preset",
        "3",
        "--duration-s",
        "10",
        "--vary",
        "server.count=2,4",
        "--vary",
        "traffic.users=2000..6000:3",
        "--threads",
        threads,
    ]
    .map(String::from)
    .to_vec()
}

fn run_strings(args: &[String]) -> (i32, String, String) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    scalesim(&args)
}

#[test]
fn a_sweep_is_the_same_on_one_thread_and_on_four() {
    let (code, one, err) = run_strings(&sweep_args("1"));
    assert_eq!(code, 0, "{err}");
    let (code, four, err) = run_strings(&sweep_args("4"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(one, four);
    let lines: Vec<&str> = one.lines().collect();
    assert_eq!(lines.len(), 1 + 2 * 3, "{one}");
    assert!(lines[0].starts_with("server.count,traffic.users,seed,requests_generated,"));
    assert!(lines[1].starts_with("2,2000,1,"), "{}", lines[1]);
    assert!(lines[6].starts_with("4,6000,1,"), "{}", lines[6]);
    // Each row is the run `scalesim run` makes with the same changes.
    let mut jsonl = sweep_args("2");
    jsonl.extend(["--format", "jsonl", "--figures", "latency_p99_ms,digest"].map(String::from));
    let (code, out, err) = run_strings(&jsonl);
    assert_eq!(code, 0, "{err}");
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let (_, report, _) = scalesim(&[
        "run",
        "--preset",
        "3",
        "--duration-s",
        "10",
        "--set",
        "server.count=4",
        "--set",
        "traffic.users=6000",
    ]);
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(last["digest"], report["digest"]);
    assert_eq!(last["latency_p99_ms"], report["latency_ms"]["p99"]);
    assert_eq!(last["server.count"], 4);
}

#[test]
fn seeds_give_one_row_each() {
    let (code, out, err) = scalesim(&[
        "sweep",
        "--preset",
        "1",
        "--duration-s",
        "5",
        "--vary",
        "server.workers=4,8",
        "--seeds",
        "3",
        "--figures",
        "digest",
    ]);
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 6);
    let seeds: Vec<&str> = rows.iter().map(|r| r.split(',').nth(1).unwrap()).collect();
    assert_eq!(seeds, ["1", "2", "3", "1", "2", "3"]);
}

#[test]
fn bad_sweeps_exit_2_with_one_line() {
    for (vary, says) in [
        ("server.count", "no '='"),
        ("server.count=1..4", "':STEPS'"),
        ("server.count=1..x:3", "the end 'x'"),
        ("server.count=1..4:0", "STEPS"),
        ("server.nope=1,2", "unknown field 'server.nope'"),
        ("nothing.here=1..3:3", "unknown field"),
        ("server.workers=0,4", "server.workers=0"),
    ] {
        let (code, out, err) = scalesim(&["sweep", "--preset", "3", "--vary", vary]);
        assert_eq!(code, 2, "{vary}");
        assert!(out.is_empty(), "{vary}");
        assert_eq!(err.trim_end().lines().count(), 1, "{vary}: {err}");
        assert!(err.starts_with("error: "), "{vary}: {err}");
        assert!(err.contains(says), "{vary}: {err}");
    }
    let (code, _, err) = scalesim(&["sweep", "--preset", "3", "--figures", "p99"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown figure 'p99'"), "{err}");
}

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scalesim-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn plot_draws_a_valid_svg_with_a_legend() {
    let dir = temp_dir();
    let csv = dir.join("sweep.csv");
    let svg = dir.join("p99.svg");
    let mut args = sweep_args("2");
    args.extend(["-o".to_string(), csv.to_str().unwrap().to_string()]);
    let (code, out, err) = run_strings(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty());
    let (code, _, err) = scalesim(&[
        "plot",
        csv.to_str().unwrap(),
        "--x",
        "traffic.users",
        "--y",
        "latency_p99_ms",
        "--by",
        "server.count",
        "-o",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for wanted in [
        "server.count = 2",
        "server.count = 4",
        "traffic.users (users)",
        "latency_p99_ms (ms)",
    ] {
        assert!(texts.contains(&wanted), "{wanted} not in {texts:?}");
    }
    let lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .count();
    assert!(lines >= 2, "{lines} lines");
    let (code, _, err) = scalesim(&["plot", csv.to_str().unwrap(), "--x", "users", "--y", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("no column 'users'"), "{err}");
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = scalesim(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for word in ["scalesim", "sweep", "plot", "--vary"] {
            assert!(out.contains(word), "{shell}: no {word}");
        }
    }
}

#[test]
fn limit_prints_a_table_and_csv_with_the_json_numbers() {
    let args = ["limit", "--preset", "1", "--seeds", "1"];
    let (code, json, err) = scalesim(&args);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&json).unwrap();
    let (code, text, _) = scalesim(&[&args[..], &["--format", "table"]].concat());
    assert_eq!(code, 0);
    let limit = numbers(line(&text, "limit (users)"));
    assert_eq!(limit, [r["limit_users"].as_f64().unwrap()]);
    let bottleneck = r["bottleneck"]["component"].as_str().unwrap();
    assert!(line(&text, "bottleneck").contains(bottleneck), "{text}");
    let (code, csv, _) = scalesim(&[&args[..], &["--format", "csv"]].concat());
    assert_eq!(code, 0);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let get = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
    assert_eq!(get("limit_users"), r["limit_users"].to_string());
    assert_eq!(get("bottleneck"), bottleneck);
}
