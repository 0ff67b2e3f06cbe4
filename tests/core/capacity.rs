//! The capacity search: its limit against M/M/c theory, the stage-by-stage ordering of the
//! presets' limits, the answers at both ends (no load meets the objective, met at the ceiling),
//! and the `limit` command's input checks.

use crate::helpers::{scalesim, textbook};
use scalesim::capacity::journey::{next_step, relieves, MONITORING_STAGE};
use scalesim::capacity::whatif::relief;
use scalesim::capacity::{find_limit, Bottleneck, LimitResult, SearchOptions, Slo, Status};
use scalesim::scenario::{preset, Scenario, REQUESTS_PER_USER_PER_S};
use scalesim::sim::theory::erlang_c;
use scalesim::sim::ComponentKind;

/// P(sojourn > t) in an M/M/c queue (FCFS), t in ms: the wait is 0 with probability 1 − C and
/// exponential with rate θ = cμ − λ otherwise; the service is exponential with rate μ.
fn mmc_sojourn_tail(c: u32, lambda_per_ms: f64, mu_per_ms: f64, t: f64) -> f64 {
    let erlang = erlang_c(c, lambda_per_ms / mu_per_ms);
    let theta = f64::from(c) * mu_per_ms - lambda_per_ms;
    let wait_then_serve = if (theta - mu_per_ms).abs() < 1e-12 {
        (1.0 + mu_per_ms * t) * (-mu_per_ms * t).exp()
    } else {
        (theta * (-mu_per_ms * t).exp() - mu_per_ms * (-theta * t).exp()) / (theta - mu_per_ms)
    };
    (1.0 - erlang) * (-mu_per_ms * t).exp() + erlang * wait_then_serve
}

/// The 99th percentile of the M/M/c sojourn time, ms (bisection on the tail).
fn mmc_p99_ms(c: u32, lambda_per_ms: f64, mean_ms: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1e6);
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if mmc_sojourn_tail(c, lambda_per_ms, 1.0 / mean_ms, mid) > 0.01 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The arrival rate (per second) at which the M/M/c p99 equals `p99_ms` (p99 rises with λ).
fn mmc_rate_for_p99(c: u32, mean_ms: f64, p99_ms: f64) -> f64 {
    let capacity_per_ms = f64::from(c) / mean_ms;
    let (mut lo, mut hi) = (0.0, capacity_per_ms * (1.0 - 1e-9));
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if mmc_p99_ms(c, mid, mean_ms) <= p99_ms {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo * 1000.0
}

/// The textbook M/M/c of the fidelity tests with no network: one request per user per second,
/// so users = λ in requests per second.
fn mmc_scenario(workers: u32, mean_ms: f64) -> Scenario {
    let mut s = textbook(workers, 500.0, mean_ms, 60, 1);
    s.traffic.users = 500;
    s.traffic.requests_per_user_per_s = 1.0;
    s.network.client_rtt_ms = 0.0;
    s
}

#[test]
fn mmc_limit_matches_erlang_c_p99() {
    let (workers, mean_ms, p99_ms) = (8, 10.0, 80.0);
    // About 731 requests/s: ρ ≈ 0.91, where the p99 climbs steeply.
    let expected = mmc_rate_for_p99(workers, mean_ms, p99_ms);
    let slo = Slo {
        p99_ms,
        error_ratio: 0.001,
    };
    let options = SearchOptions {
        warmup_s: 60,
        window_s: 60,
        resolution: 0.01,
        ..SearchOptions::default()
    };
    let r = find_limit(&mmc_scenario(workers, mean_ms), &slo, &options).unwrap();
    assert_eq!(r.status, Status::Found, "{}", r.message);
    // Within the search's resolution: one bisection step and the spread over the seeds.
    let tolerance = (r.step_users + r.seed_spread_users) as f64;
    let error = r.limit_users as f64 - expected;
    assert!(
        error.abs() <= tolerance,
        "limit {} users vs M/M/{workers} theory {expected:.1} (tolerance {tolerance}); seeds {:?}",
        r.limit_users,
        r.seeds
    );
    // And the resolution itself is tight: a few percent of the limit.
    assert!(tolerance <= 0.04 * expected, "too coarse: {tolerance}");
    let b = r.bottleneck.as_ref().unwrap();
    assert_eq!(
        (b.component.as_str(), b.tier),
        ("web-0", ComponentKind::Server)
    );
    assert!(
        (b.utilization - expected / 800.0).abs() < 0.03,
        "utilization {} at ρ {}",
        b.utilization,
        expected / 800.0
    );
    assert_eq!(r.breach.as_ref().unwrap().metrics, vec!["p99_ms"]);
}

/// A short, one-seed search of a preset with the default objective.
fn preset_limit(stage: u8) -> LimitResult {
    let options = SearchOptions {
        seeds: 1,
        ..SearchOptions::default()
    };
    find_limit(&preset(stage).unwrap(), &Slo::default(), &options).unwrap()
}

/// The committed stage table (`scalesim limit --all-presets > docs/limits.json`): a fresh
/// search of every stage takes many minutes of CPU, so the journey tests read it, and
/// `the_committed_stage_table_matches_a_fresh_search` checks it against the code for the fast
/// stages (the ignored test below for all of them).
fn committed_table() -> serde_json::Value {
    serde_json::from_str(include_str!("../../docs/limits.json")).unwrap()
}

fn committed_row(table: &serde_json::Value, stage: u8) -> &serde_json::Value {
    table["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["stage"] == stage)
        .unwrap_or_else(|| panic!("stage {stage} is in the table"))
}

fn committed_bottleneck(row: &serde_json::Value) -> Bottleneck {
    serde_json::from_value(row["bottleneck"].clone()).expect("a bottleneck")
}

/// All eleven stages, one traffic model: every step lifts the limit (monitoring, which adds
/// no capacity, at least keeps it), from a few thousand users at stage 1 to over ten million
/// at stage 11.
#[test]
fn each_stage_scales_further_than_the_last() {
    let table = committed_table();
    let limits: Vec<u64> = (1..=11u8)
        .map(|stage| {
            let row = committed_row(&table, stage);
            // Every stage's search finished: a limit with a failing count just above it, not
            // a lower bound.
            assert_eq!(row["status"], "found", "stage {stage}: {}", row["message"]);
            assert!(
                row["breach"]["users"].as_u64() > row["limit_users"].as_u64(),
                "stage {stage}: {}",
                row["breach"]
            );
            row["limit_users"].as_u64().unwrap()
        })
        .collect();
    for stage in 2..=11u8 {
        let (before, now) = (
            limits[usize::from(stage) - 2],
            limits[usize::from(stage) - 1],
        );
        let step = committed_row(&table, stage - 1)["step_users"]
            .as_u64()
            .unwrap();
        if stage == MONITORING_STAGE {
            assert!(
                now + step >= before,
                "monitoring must not cost capacity: {before} then {now}"
            );
        } else {
            assert!(
                now > before + step,
                "stage {stage} must scale further than stage {}: {before} then {now}",
                stage - 1
            );
        }
    }
    assert!(
        (1_000..=5_000).contains(&limits[0]),
        "stage 1: {}",
        limits[0]
    );
    assert!(limits[10] >= 10_000_000, "stage 11: {}", limits[10]);
    // One traffic model: the same requests per user at every stage.
    for (i, stage) in (1..=11u8).enumerate() {
        let rate = committed_row(&table, stage)["limit_rate_per_s"]
            .as_f64()
            .unwrap();
        let expected = limits[i] as f64 * REQUESTS_PER_USER_PER_S;
        assert!((rate - expected).abs() < 1e-6 * expected, "stage {stage}");
        assert_eq!(
            preset(stage).unwrap().traffic.requests_per_user_per_s,
            REQUESTS_PER_USER_PER_S
        );
    }
    // The first stages again, fresh (one seed): the same order.
    let fresh: Vec<LimitResult> = (1..=3).map(preset_limit).collect();
    for pair in fresh.windows(2) {
        assert!(pair[1].limit_users > pair[0].limit_users + pair[0].step_users);
    }
}

/// The journey's chain: at each stage's limit the search names the component its successor
/// relieves (`capacity::journey::next_step`), and the what-if for that bottleneck lifts the
/// limit: the relieved preset meets the objective at the very count that broke it.
#[test]
fn each_bottleneck_is_what_the_next_step_relieves_and_its_what_if_lifts_the_limit() {
    let table = committed_table();
    for stage in 1..=10u8 {
        let row = committed_row(&table, stage);
        let b = committed_bottleneck(row);
        let step = next_step(stage).unwrap();
        assert!(
            relieves(&step, &b),
            "stage {stage}: {} ({:?}, {:?}) saturates, yet stage {} relieves {:?} {:?}",
            b.component,
            b.tier,
            b.role,
            step.stage,
            step.tier,
            step.role
        );
        let relieved = relief(&preset(stage).unwrap(), &b).expect("a what-if");
        let broke_at = row["breach"]["users"]
            .as_u64()
            .unwrap_or_else(|| panic!("stage {stage}: no failing count: {}", row["message"]));
        let mut scenario = relieved.scenario;
        scenario.traffic.users = broke_at;
        let options = SearchOptions {
            seeds: 1,
            max_users: Some(broke_at),
            ..SearchOptions::default()
        };
        let after = find_limit(&scenario, &Slo::default(), &options).unwrap();
        assert_eq!(
            (after.status, after.runs),
            (Status::MetAtMaxUsers, 1),
            "stage {stage} with {}: {}",
            relieved.change,
            after.message
        );
    }
}

/// Stages 8–10 add a message queue whose workers run jobs after the request is answered: the
/// pool is never named the bottleneck (it is reported apart when it is the busiest).
#[test]
fn queue_workers_are_never_the_bottleneck() {
    let table = committed_table();
    for stage in 8..=10u8 {
        let b = committed_bottleneck(committed_row(&table, stage));
        assert_ne!(b.tier, ComponentKind::Workers, "stage {stage}");
        if let Some(off) = &b.off_request_path {
            assert_eq!(off.component, "workers", "stage {stage}");
            assert!(off.utilization > b.utilization, "stage {stage}: {b:?}");
        }
    }
}

#[test]
fn same_inputs_same_limit() {
    let a = preset_limit(1);
    let b = preset_limit(1);
    assert_eq!(a, b);
}

#[test]
fn an_objective_no_load_meets_gives_zero() {
    // The client round trip alone is 40 ms: a 1 ms p99 is out of reach.
    let slo = Slo {
        p99_ms: 1.0,
        error_ratio: 0.001,
    };
    // One request per user per second, so that even one user's window holds requests (at the
    // journey's 0.01 requests/s a lone user's 30 s window is usually empty, and passes).
    let mut s = preset(1).unwrap();
    s.traffic.requests_per_user_per_s = 1.0;
    let r = find_limit(&s, &slo, &SearchOptions::default()).unwrap();
    assert_eq!(r.status, Status::NoLoadMeetsSlo);
    assert_eq!(r.limit_users, 0);
    assert!(r.message.contains("no load meets"), "{}", r.message);
    assert_eq!(r.breach.as_ref().unwrap().metrics, vec!["p99_ms"]);
    // Halving from 500 users to 1: ten runs a seed, no more.
    assert!(r.runs <= 3 * 10, "{} runs", r.runs);
}

#[test]
fn an_objective_met_at_the_ceiling_says_so() {
    let slo = Slo {
        p99_ms: 60_000.0,
        error_ratio: 1.0,
    };
    let options = SearchOptions {
        seeds: 1,
        max_users: Some(20_000),
        ..SearchOptions::default()
    };
    let r = find_limit(&preset(1).unwrap(), &slo, &options).unwrap();
    assert_eq!(r.status, Status::MetAtMaxUsers, "{}", r.message);
    assert_eq!((r.limit_users, r.upper_users), (20_000, None));
    assert!(r.message.contains("most users allowed"), "{}", r.message);
    assert!(r.breach.is_none());
}

#[test]
fn the_run_cap_ends_the_search_with_a_lower_bound() {
    let options = SearchOptions {
        seeds: 1,
        max_runs_per_seed: 3,
        ..SearchOptions::default()
    };
    let r = find_limit(&preset(1).unwrap(), &Slo::default(), &options).unwrap();
    assert_eq!(r.status, Status::Incomplete, "{}", r.message);
    assert_eq!(r.runs, 3);
    assert!(r.message.contains("lower bound"), "{}", r.message);
}

/// A run that needs more events than its budget (events per offered request) ends the search
/// with a lower bound, and the message names the budget.
#[test]
fn the_event_budget_ends_the_search_with_a_lower_bound() {
    // One overloaded server at 20,000 requests/s: 1.2 million requests in the 60 s run, each
    // at least an arrival and an answer, so one event per request is not enough.
    let mut s = preset(1).unwrap();
    s.traffic.requests_per_user_per_s = 1.0;
    s.traffic.users = 20_000;
    let tight = SearchOptions {
        seeds: 1,
        max_events_per_request: 1,
        ..SearchOptions::default()
    };
    let r = find_limit(&s, &Slo::default(), &tight).unwrap();
    assert_eq!((r.status, r.runs), (Status::Incomplete, 1), "{}", r.message);
    assert!(
        r.message
            .contains("a run needed more than 1 events per request it offered"),
        "{}",
        r.message
    );
    // The default budget lets the same first run finish.
    let roomy = SearchOptions {
        max_events_per_request: SearchOptions::default().max_events_per_request,
        ..tight
    };
    let r = find_limit(&s, &Slo::default(), &roomy).unwrap();
    assert_ne!(r.status, Status::Incomplete, "{}", r.message);
}

#[test]
fn bad_options_are_refused() {
    let s = preset(1).unwrap();
    for options in [
        SearchOptions {
            seeds: 0,
            ..SearchOptions::default()
        },
        SearchOptions {
            window_s: 61,
            ..SearchOptions::default()
        },
        SearchOptions {
            warmup_s: 45,
            window_s: 30,
            ..SearchOptions::default()
        },
    ] {
        assert!(find_limit(&s, &Slo::default(), &options).is_err());
    }
}

#[test]
fn limit_command_prints_the_limit() {
    let (code, out, err) = scalesim(&["limit", "--preset", "1", "--seeds", "1"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "found");
    assert!(v["limit_users"].as_u64().unwrap() > 500);
    assert_eq!(v["bottleneck"]["component"], "web-0");
    assert!(v["runs"].as_u64().unwrap() > 2);
    assert!(v.get("probes").is_none());
}

#[test]
fn malformed_slo_exits_2_with_one_line() {
    for slo in [
        "",
        "p99_ms",
        "p99_ms=fast",
        "p99_ms=-5",
        "p99_ms=0",
        "error_ratio=2",
        "p99=200",
        "p99_ms=200,p99_ms=100",
        "p99_ms=NaN",
    ] {
        let (code, out, err) = scalesim(&["limit", "--preset", "1", "--slo", slo]);
        assert_eq!(code, 2, "--slo {slo:?} must fail");
        assert!(out.is_empty(), "--slo {slo:?} printed {out}");
        assert_eq!(err.trim_end().lines().count(), 1, "--slo {slo:?}: {err}");
        assert!(err.starts_with("error: "), "--slo {slo:?}: {err}");
    }
    for args in [
        &["limit"][..],
        &["limit", "--preset", "1", "--seeds", "0"],
        &["limit", "--preset", "1", "--warmup-s", "45"],
        &["limit", "--preset", "99"],
    ] {
        let (code, _, err) = scalesim(args);
        assert_eq!(code, 2, "{args:?}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

/// `docs/limits.json` (the stage chart of the app) is what `scalesim limit --all-presets`
/// prints. Stages 1 to 4, searched again here, give the committed rows; the whole table is
/// checked by the ignored test below.
#[test]
fn the_committed_stage_table_matches_a_fresh_search() {
    let table = committed_table();
    // The table is searched with the seeds it names (one: docs/performance.md gives its CPU time).
    let options = SearchOptions {
        seeds: table["seeds"].as_u64().unwrap() as u32,
        ..SearchOptions::default()
    };
    assert_eq!(table["slo"], serde_json::to_value(Slo::default()).unwrap());
    assert_eq!(table["run_s"], options.warmup_s + options.window_s);
    for stage in [1u8, 2, 3, 4] {
        let row = table["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["stage"] == stage)
            .unwrap_or_else(|| panic!("stage {stage} is in the table"));
        let r = find_limit(&preset(stage).unwrap(), &Slo::default(), &options).unwrap();
        let fresh = serde_json::to_value(&r).unwrap();
        for field in [
            "status",
            "limit_users",
            "lower_users",
            "upper_users",
            "step_users",
            "limit_rate_per_s",
            "bottleneck",
            "breach",
            "runs",
            "message",
        ] {
            assert_eq!(row[field], fresh[field], "stage {stage}: {field}");
        }
    }
}

/// `--stages` searches only the rows asked for, each as the whole table does (one row can be
/// searched again without the rest): stage 1's row is the committed one.
#[test]
fn all_presets_searches_only_the_stages_asked_for() {
    let (code, out, err) = scalesim(&[
        "limit",
        "--all-presets",
        "--stages",
        "1",
        "--seeds",
        "1",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = printed["stages"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0], *committed_row(&committed_table(), 1));
    let (code, _, err) = scalesim(&["limit", "--all-presets", "--stages", "12"]);
    assert_ne!(code, 0);
    assert!(err.contains("no simulated stage 12"), "{err}");
}

/// The whole committed table against the CLI (minutes):
/// `cargo test --release --test core -- --ignored whole_committed_stage_table`.
#[test]
#[ignore]
fn the_whole_committed_stage_table_matches_the_cli() {
    let (code, out, err) = scalesim(&["limit", "--all-presets", "--seeds", "1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out.trim_end(),
        include_str!("../../docs/limits.json").trim_end(),
        "regenerate with: scalesim limit --all-presets --seeds 1 > docs/limits.json"
    );
}
