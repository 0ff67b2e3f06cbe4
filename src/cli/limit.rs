//! `scalesim limit`: one capacity search, or every stage's, with a bar of runs made.

use super::progress;
use crate::capacity::journey::{time_to_detect, Detection, MONITORING_STAGE};
use crate::capacity::stages::stage_search;
use crate::capacity::{
    Bottleneck, Breach, CapacityError, LimitResult, LimitSearch, SearchOptions, Slo, Status,
};
use crate::scenario::{preset, Scenario, StageInfo, STAGES};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Searches one scenario's limit, moving a bar of runs made (estimated total as its length).
pub fn find_limit_with_bar(
    scenario: &Scenario,
    slo: &Slo,
    options: &SearchOptions,
) -> Result<LimitResult, CapacityError> {
    let mut search = LimitSearch::new(scenario, slo, options)?;
    let bar = progress::bar(u64::from(search.runs_estimate()), "runs");
    while let Some(probe) = search.step() {
        let message = format!("{} users: {}", probe.users, verdict(probe.pass));
        bar.set_message(message);
        bar.set_length(u64::from(search.runs_estimate()));
        bar.set_position(u64::from(search.runs()));
    }
    bar.finish_and_clear();
    Ok(search.finish())
}

fn verdict(pass: bool) -> &'static str {
    if pass {
        "met"
    } else {
        "missed"
    }
}

/// One stage's row of `limit --all-presets`.
#[derive(Clone, Debug, Serialize)]
pub struct StageRow {
    /// Stage number.
    pub stage: u8,
    /// Its title.
    pub title: &'static str,
    /// How the search ended.
    pub status: Status,
    /// The limit, users.
    pub limit_users: u64,
    /// Highest count met by every seed, users.
    pub lower_users: u64,
    /// Lowest count missed, users.
    pub upper_users: Option<u64>,
    /// The search's resolution, users.
    pub step_users: u64,
    /// Spread of the seeds' limits, users.
    pub seed_spread_users: u64,
    /// The limit's offered load, requests/s.
    pub limit_rate_per_s: f64,
    /// What was busiest at the limit.
    pub bottleneck: Option<Bottleneck>,
    /// What broke just above it.
    pub breach: Option<Breach>,
    /// Runs made.
    pub runs: u32,
    /// The search's summary sentence.
    pub message: String,
    /// How a stage is searched, when not as asked (stage 11: its p99 per region).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub search: Option<StageBudget>,
    /// The monitoring stage, which adds no capacity: how soon its alerts notice its preset's
    /// first failure (one run of the preset, faults kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detection: Option<Detection>,
    /// Wall time of the search, s (with `--timing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_s: Option<f64>,
    /// CPU time of the search, s (with `--timing`, where the platform tells a thread's CPU
    /// time): each stage is searched on one thread, so this is its own cost whatever else
    /// the machine runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_s: Option<f64>,
}

/// The objective and runs a stage was searched with instead of the ones asked for.
#[derive(Clone, Debug, Serialize)]
pub struct StageBudget {
    /// The objective used.
    pub slo: Slo,
    /// Seeds used.
    pub seeds: u32,
    /// Length of each run, s.
    pub run_s: u32,
    /// Why.
    pub note: String,
}

/// Every simulated stage's limit, searched on as many threads as there are cores (each search
/// is deterministic on its own, so the rows do not depend on the threads); a bar counts the
/// runs made by all the searches together. `only`: these stages (empty: every one).
pub fn all_presets(
    slo: &Slo,
    options: &SearchOptions,
    only: &[u8],
    timing: bool,
) -> Result<(Vec<StageRow>, usize), String> {
    if let Some(unknown) = only
        .iter()
        .find(|n| !STAGES.iter().any(|s| s.built && s.number == **n))
    {
        return Err(format!("no simulated stage {unknown}"));
    }
    // Later stages carry more users and take longest: start them first. Stage 11 judges its
    // p99 against its users' own round trip (see `capacity::stages`).
    let stages: Vec<&StageInfo> = STAGES
        .iter()
        .filter(|s| s.built && (only.is_empty() || only.contains(&s.number)))
        .rev()
        .collect();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(stages.len())
        .max(1);
    let bar = progress::bar(0, "runs");
    // Each stage's (runs made, runs expected), for the bar.
    let counts = Mutex::new(vec![(0u32, 0u32); stages.len()]);
    let mut rows: Vec<Result<StageRow, String>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(stage) = stages.get(index) else {
                            break;
                        };
                        let mut report = |runs: u32, expected: u32| {
                            let mut counts = counts.lock().expect("no thread panicked");
                            counts[index] = (runs, expected);
                            bar.set_length(counts.iter().map(|c| u64::from(c.1)).sum());
                            bar.set_position(counts.iter().map(|c| u64::from(c.0)).sum());
                        };
                        done.push(stage_row(stage, slo, options, timing, &mut report));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a search thread panicked"))
            .collect()
    });
    bar.finish_and_clear();
    rows.sort_by_key(|row| row.as_ref().map_or(0, |r| r.stage));
    let rows = rows.into_iter().collect::<Result<Vec<_>, _>>()?;
    Ok((rows, threads))
}

fn stage_row(
    stage: &StageInfo,
    slo: &Slo,
    options: &SearchOptions,
    timing: bool,
    report: &mut dyn FnMut(u32, u32),
) -> Result<StageRow, String> {
    let scenario = preset(stage.number).ok_or_else(|| format!("no preset {}", stage.number))?;
    let search = stage_search(&scenario, slo, options);
    let started = Instant::now();
    let cpu_started = thread_cpu_s();
    let mut limit_search =
        LimitSearch::new(&scenario, &search.slo, &search.options).map_err(|e| e.to_string())?;
    report(0, limit_search.runs_estimate());
    while limit_search.step().is_some() {
        report(limit_search.runs(), limit_search.runs_estimate());
    }
    let r = limit_search.finish();
    report(r.runs, r.runs);
    Ok(StageRow {
        stage: stage.number,
        title: stage.title,
        status: r.status,
        limit_users: r.limit_users,
        lower_users: r.lower_users,
        upper_users: r.upper_users,
        step_users: r.step_users,
        seed_spread_users: r.seed_spread_users,
        limit_rate_per_s: r.limit_rate_per_s,
        bottleneck: r.bottleneck,
        breach: r.breach,
        runs: r.runs,
        message: r.message,
        search: search.note.map(|note| StageBudget {
            slo: search.slo,
            seeds: search.options.seeds,
            run_s: search.options.warmup_s + search.options.window_s,
            note,
        }),
        detection: (stage.number == MONITORING_STAGE)
            .then(|| time_to_detect(&scenario))
            .flatten(),
        wall_s: timing.then(|| started.elapsed().as_secs_f64()),
        cpu_s: timing
            .then(|| Some(thread_cpu_s()? - cpu_started?))
            .flatten(),
    })
}

/// CPU time the calling thread has used, s.
#[cfg(unix)]
fn thread_cpu_s() -> Option<f64> {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid, writable timespec for the call's duration.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0;
    ok.then_some(t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9)
}

/// CPU time the calling thread has used: not read on this platform.
#[cfg(not(unix))]
fn thread_cpu_s() -> Option<f64> {
    None
}

/// One line of `limit --format csv`: a search's result, with its stage for `--all-presets`.
pub struct CsvLine<'a> {
    /// Stage number and title (`--all-presets`).
    pub stage: Option<(u8, &'a str)>,
    /// How the search ended.
    pub status: Status,
    /// The limit, users.
    pub limit_users: u64,
    /// Highest count met by every seed, users.
    pub lower_users: u64,
    /// Lowest count missed, users.
    pub upper_users: Option<u64>,
    /// The limit's offered load, requests/s.
    pub limit_rate_per_s: f64,
    /// What was busiest at the limit.
    pub bottleneck: Option<&'a Bottleneck>,
    /// What broke just above it.
    pub breach: Option<&'a Breach>,
    /// Runs made.
    pub runs: u32,
}

impl<'a> From<&'a StageRow> for CsvLine<'a> {
    fn from(r: &'a StageRow) -> Self {
        CsvLine {
            stage: Some((r.stage, r.title)),
            status: r.status,
            limit_users: r.limit_users,
            lower_users: r.lower_users,
            upper_users: r.upper_users,
            limit_rate_per_s: r.limit_rate_per_s,
            bottleneck: r.bottleneck.as_ref(),
            breach: r.breach.as_ref(),
            runs: r.runs,
        }
    }
}

impl<'a> From<&'a LimitResult> for CsvLine<'a> {
    fn from(r: &'a LimitResult) -> Self {
        CsvLine {
            stage: None,
            status: r.status,
            limit_users: r.limit_users,
            lower_users: r.lower_users,
            upper_users: r.upper_users,
            limit_rate_per_s: r.limit_rate_per_s,
            bottleneck: r.bottleneck.as_ref(),
            breach: r.breach.as_ref(),
            runs: r.runs,
        }
    }
}

/// The lines as CSV with a header (the `stage,title` columns when the lines have stages).
pub fn csv_text(lines: &[CsvLine]) -> Result<String, String> {
    let staged = lines.iter().any(|l| l.stage.is_some());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = if staged {
        vec!["stage", "title"]
    } else {
        vec![]
    };
    header.extend([
        "status",
        "limit_users",
        "lower_users",
        "upper_users",
        "limit_rate_per_s",
        "bottleneck",
        "bottleneck_utilization",
        "breach_users",
        "breach_metrics",
        "breach_p99_ms",
        "breach_error_ratio",
        "main_failure",
        "runs",
    ]);
    w.write_record(&header).map_err(|e| e.to_string())?;
    let text = |v: Option<String>| v.unwrap_or_default();
    for l in lines {
        let mut record = match l.stage {
            Some((n, title)) if staged => vec![n.to_string(), title.to_string()],
            _ if staged => vec![String::new(), String::new()],
            _ => vec![],
        };
        let status = serde_json::to_value(l.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string));
        record.extend([
            text(status),
            l.limit_users.to_string(),
            l.lower_users.to_string(),
            text(l.upper_users.map(|u| u.to_string())),
            l.limit_rate_per_s.to_string(),
            text(l.bottleneck.map(|b| b.component.clone())),
            text(l.bottleneck.map(|b| b.utilization.to_string())),
            text(l.breach.map(|b| b.users.to_string())),
            text(l.breach.map(|b| b.metrics.join("+"))),
            text(l.breach.map(|b| b.p99_ms.to_string())),
            text(l.breach.map(|b| b.error_ratio.to_string())),
            text(l.breach.and_then(|b| b.main_failure.clone())),
            l.runs.to_string(),
        ]);
        w.write_record(&record).map_err(|e| e.to_string())?;
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}
