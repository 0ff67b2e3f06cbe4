//! Every challenge is fair: its reference solution passes on every grading seed, its starting
//! architecture fails, and a solution that skips the mechanic it teaches fails or costs more
//! than the budget. Plus the rules of grading itself.

use scalesim::challenge::solutions::{reference, shortcut};
use scalesim::challenge::{challenge, challenges, stars, Grade, CHALLENGE_COUNT};

fn shown(g: &Grade) -> String {
    let mut out = format!(
        "challenge {}: pass {} cost ${:.3}/h (budget ${}) stars {} error {:?}\n",
        g.challenge, g.pass, g.cost_usd_per_hour, g.budget_usd_per_hour, g.stars, g.error
    );
    for o in &g.objectives {
        out.push_str(&format!(
            "  {:40} {:>12?} {:?} seed {} pass {}\n",
            o.label, o.measured, o.note, o.worst_seed, o.pass
        ));
    }
    out.push_str(&format!("  broke first: {:?}\n", g.broke_first));
    out
}

/// The three claims for challenge `id`.
fn fair(id: u8) {
    let c = challenge(id).expect("challenge exists");
    let good = c.grade(&reference(id).expect("reference"));
    assert!(good.pass, "the reference fails:\n{}", shown(&good));
    assert!(good.stars >= 1);
    assert!(good.objectives.iter().all(|o| o.measured.is_some()));
    let start = c.grade(&c.start);
    assert!(!start.pass, "the start passes:\n{}", shown(&start));
    assert!(
        start.broke_first.is_some() || start.error.is_some(),
        "the start's failure says nothing:\n{}",
        shown(&start)
    );
    let (skip, what) = shortcut(id).expect("shortcut");
    let skipped = c.grade(&skip);
    assert!(!skipped.pass, "{what} passes:\n{}", shown(&skipped));
    eprintln!("{}{}{}", shown(&good), shown(&start), shown(&skipped));
}

macro_rules! fair {
    ($($name:ident = $id:expr),* $(,)?) => {
        $(#[test] fn $name() { fair($id); })*
    };
}

fair! {
    c01_bigger_box = 1,
    c02_split_the_data = 2,
    c03_a_server_dies = 3,
    c04_lose_the_master = 4,
    c05_read_storm = 5,
    c06_far_from_the_origin = 6,
    c07_launch_day = 7,
    c08_stale_cache = 8,
    c09_celebrity = 9,
    c10_write_wall = 10,
    c11_across_the_ocean = 11,
    c12_region_goes_dark = 12,
}

#[test]
fn there_are_twelve_along_the_journey() {
    let all = challenges();
    assert_eq!(all.len(), usize::from(CHALLENGE_COUNT));
    assert!(all.len() >= 12);
    for (i, c) in all.iter().enumerate() {
        assert_eq!(usize::from(c.id), i + 1);
        assert!(!c.objectives.is_empty() && c.budget_usd_per_hour > 0.0);
        assert!(!c.seeds.is_empty());
        c.start.validate().expect("the start is a valid scenario");
    }
    // Along the journey: the stages never go back by more than the re-visits of a tier.
    assert_eq!(all.first().map(|c| c.stage), Some(1));
    assert_eq!(all.last().map(|c| c.stage), Some(11));
}

#[test]
fn stars_follow_the_budget() {
    assert_eq!(stars(0.5, 1.0), 3);
    assert_eq!(stars(0.51, 1.0), 2);
    assert_eq!(stars(0.75, 1.0), 2);
    assert_eq!(stars(0.76, 1.0), 1);
    assert_eq!(stars(1.0, 1.0), 1);
    assert_eq!(stars(1.01, 1.0), 0);
}

#[test]
fn grading_is_deterministic_and_ignores_the_candidates_own_traffic_faults_and_speeds() {
    let c = challenge(3).unwrap();
    let mut candidate = reference(3).unwrap();
    let a = c.grade(&candidate);
    candidate.traffic.users = 1;
    candidate.faults.clear();
    candidate.seed = 99;
    candidate.duration_s = 5;
    if let Some(db) = &mut candidate.database {
        db.read.mean_ms = 0.01;
    }
    candidate.server.speeds = vec![10.0, 10.0, 10.0];
    let b = c.grade(&candidate);
    assert_eq!(a, b);
}

#[test]
fn a_candidate_without_the_faulted_component_fails_with_a_reason() {
    let c = challenge(4).unwrap();
    // No database at all: the challenge's fault on db-0 has nothing to hit.
    let g = c.grade(&challenge(1).unwrap().start);
    assert!(!g.pass);
    let error = g.error.expect("a reason");
    assert!(error.contains("db-0"), "{error}");
}

fn temp_file(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("scalesim-challenge-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn cli_lists_every_challenge() {
    let (code, out, _) = crate::helpers::scalesim(&["challenge", "list"]);
    assert_eq!(code, 0);
    for c in challenges() {
        assert!(out.contains(&c.title), "{} missing from:\n{out}", c.title);
    }
    let (code, out, _) = crate::helpers::scalesim(&["challenge", "list", "--json"]);
    assert_eq!(code, 0);
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), usize::from(CHALLENGE_COUNT));
}

#[test]
fn cli_check_exits_zero_only_when_the_solution_passes() {
    let good = temp_file("good.json", &reference(2).unwrap().to_json_pretty());
    let good = good.to_str().unwrap();
    let (code, out, _) = crate::helpers::scalesim(&["challenge", "check", "2", good]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("p99 latency ≤ 150 ms") && out.contains("PASS"),
        "{out}"
    );
    // The start, as `show --file` prints it (a graph file), fails with exit code 1.
    let (code, start, _) = crate::helpers::scalesim(&["challenge", "show", "2", "--file"]);
    assert_eq!(code, 0);
    assert!(start.contains("\"topology\""));
    let start = temp_file("start.json", &start);
    let (code, out, _) =
        crate::helpers::scalesim(&["challenge", "check", "2", start.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL") && out.contains("What broke first"),
        "{out}"
    );
    // The same answer from a link, and as JSON.
    let link = scalesim::scenario::encode_link(&reference(2).unwrap(), None);
    let (code, out, _) =
        crate::helpers::scalesim(&["challenge", "check", "2", "--url", &link, "--json"]);
    assert_eq!(code, 0, "{out}");
    let grade: Grade = serde_json::from_str(&out).unwrap();
    assert!(grade.pass);
    // Bad input: exit code 2 and one line.
    let (code, _, err) = crate::helpers::scalesim(&["challenge", "check", "99", good]);
    assert_eq!(code, 2);
    assert!(err.contains("no challenge 99"), "{err}");
}
