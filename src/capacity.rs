//! Capacity search: how many users a scenario sustains under a service-level objective, and
//! what saturates first.
//!
//! ```text
//!   users ──ramp (×2)──▶ first failing count ──bisect──▶ [highest passing, lowest failing]
//!     each probe: one short deterministic run, warm-up skipped, SLO checked on the window after
//!     repeated for a few seeds (scenario seed, +1, +2, …); the limit is their median
//! ```
//!
//! A probe runs the scenario for `warmup_s + window_s` simulated seconds with a metrics interval
//! of `window_s`, so the last time-series point covers exactly the measurement window: its p99
//! latency and its failures decide pass or fail. Everything is bounded: user counts stay within
//! [`MAX_USERS`] (and the offered-load ceiling), runs per seed are capped, and every run has an
//! event budget sized by the requests it offers ([`SearchOptions::max_events_per_request`]). The search reads no clock, so the same inputs give the same answer everywhere.

pub mod job;
pub mod journey;
pub mod stages;
pub mod whatif;

use crate::scenario::{Scenario, MAX_RATE_PER_S, MAX_USERS};
use crate::sim::{ComponentKind, DbRole, SeriesPoint, Sim, SimTime};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Most seeds one search may use.
pub const MAX_SEEDS: u32 = 16;
/// Longest measurement window, in seconds (the simulator's longest metrics interval).
pub const MAX_WINDOW_S: u32 = 60;
/// Longest warm-up, in seconds.
pub const MAX_WARMUP_S: u32 = 600;
/// Most runs one seed's search may make.
pub const MAX_RUNS_PER_SEED: u32 = 200;
/// Default events a run may process per request it offers. Measured (60 s runs of the presets,
/// 2026-12-05): 4.3 events per offered request at stage 1's limit, 7.8–8.3 at stages 3 and 5
/// just above theirs, 9.1 at stage 8's 6.4 million users, 7.0–7.8 at stages 8 and 10 far above
/// their limits (failures are cheap), 10.3–10.7 at stages 7 and 11 just above theirs: four
/// times the most, so only a run that has gone wrong (events that multiply without requests)
/// hits it.
pub const DEFAULT_EVENTS_PER_REQUEST: u32 = 40;
/// The fewest events any run may process: the periodic work (metrics, health checks, scalers)
/// of a run that offers almost no requests.
pub const MIN_EVENTS_PER_RUN: u64 = 1_000_000;

/// A service-level objective, checked over the measurement window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slo {
    /// Highest acceptable 99th-percentile latency of completed requests, in milliseconds.
    pub p99_ms: f64,
    /// Highest acceptable share of finished requests that failed (any reason), 0–1.
    pub error_ratio: f64,
}

impl Default for Slo {
    /// p99 ≤ 200 ms and at most 0.1% errors.
    fn default() -> Self {
        Slo {
            p99_ms: 200.0,
            error_ratio: 0.001,
        }
    }
}

/// Why an objective could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SloError {
    /// Nothing was given.
    #[error("empty SLO: give e.g. p99_ms=200,error_ratio=0.001")]
    Empty,
    /// A part is not `key=value`.
    #[error("SLO part `{0}` is not key=value (e.g. p99_ms=200)")]
    NotKeyValue(String),
    /// An unknown key.
    #[error("unknown SLO key `{0}`: use p99_ms and error_ratio")]
    UnknownKey(String),
    /// A key given twice.
    #[error("SLO key `{0}` is given twice")]
    Duplicate(String),
    /// A value that is not a number in range.
    #[error("SLO {key}={value}: {reason}")]
    BadValue {
        /// The key.
        key: String,
        /// The text given.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Slo {
    /// Reads `p99_ms=200,error_ratio=0.001`. A key left out keeps its default
    /// ([`Slo::default`]); `p99_ms` must be a positive number of milliseconds and
    /// `error_ratio` a number from 0 to 1.
    pub fn parse(text: &str) -> Result<Slo, SloError> {
        if text.trim().is_empty() {
            return Err(SloError::Empty);
        }
        let mut slo = Slo::default();
        let (mut seen_p99, mut seen_errors) = (false, false);
        for part in text.split(',') {
            let part = part.trim();
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| SloError::NotKeyValue(part.to_string()))?;
            let (key, value) = (key.trim(), value.trim());
            let bad = |reason| SloError::BadValue {
                key: key.to_string(),
                value: value.to_string(),
                reason,
            };
            let number: f64 = value.parse().map_err(|_| bad("not a number"))?;
            let seen = match key {
                "p99_ms" => {
                    if !(number.is_finite() && number > 0.0) {
                        return Err(bad("must be a positive number of milliseconds"));
                    }
                    slo.p99_ms = number;
                    &mut seen_p99
                }
                "error_ratio" => {
                    if !(0.0..=1.0).contains(&number) {
                        return Err(bad("must be between 0 and 1"));
                    }
                    slo.error_ratio = number;
                    &mut seen_errors
                }
                _ => return Err(SloError::UnknownKey(key.to_string())),
            };
            if *seen {
                return Err(SloError::Duplicate(key.to_string()));
            }
            *seen = true;
        }
        Ok(slo)
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p99_ms={},error_ratio={}", self.p99_ms, self.error_ratio)
    }
}

/// How the search runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchOptions {
    /// Seeds to repeat every search with: the scenario's seed, then +1, +2, … (1–16).
    pub seeds: u32,
    /// Simulated time skipped before measuring, in seconds; a multiple of `window_s`.
    pub warmup_s: u32,
    /// Simulated time the objective is checked over, in seconds (1–60).
    pub window_s: u32,
    /// Bisection stops when the bracket is at most this fraction of the highest passing count
    /// (and at most one user wide is always enough).
    pub resolution: f64,
    /// Most runs the search of one seed may make (ramp and bisection together).
    pub max_runs_per_seed: u32,
    /// Most events one run may process per request it offers (users × rate × run length at the
    /// traffic profile's peak), and never fewer than [`MIN_EVENTS_PER_RUN`]; a run that needs
    /// more ends the search early. The budget grows with the load, so a search of ten million
    /// users is not cut short by a cap sized for ten thousand.
    pub max_events_per_request: u32,
    /// Keep the scenario's scheduled faults (by default they are removed: the search measures
    /// capacity, not recovery).
    pub keep_faults: bool,
    /// Most users to try (`None`: [`MAX_USERS`], lowered so the offered load stays within
    /// [`MAX_RATE_PER_S`]). A lower ceiling answers "does it reach N users?" cheaply.
    pub max_users: Option<u64>,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            seeds: 3,
            warmup_s: 30,
            window_s: 30,
            resolution: 0.02,
            max_runs_per_seed: 40,
            max_events_per_request: DEFAULT_EVENTS_PER_REQUEST,
            keep_faults: false,
            max_users: None,
        }
    }
}

impl SearchOptions {
    /// Checks the options, naming the first problem.
    pub fn validate(&self) -> Result<(), CapacityError> {
        let bad = |text: String| Err(CapacityError::Options(text));
        if !(1..=MAX_SEEDS).contains(&self.seeds) {
            return bad(format!(
                "seeds must be 1 to {MAX_SEEDS}, not {}",
                self.seeds
            ));
        }
        if !(1..=MAX_WINDOW_S).contains(&self.window_s) {
            return bad(format!(
                "window_s must be 1 to {MAX_WINDOW_S} s, not {}",
                self.window_s
            ));
        }
        if self.warmup_s > MAX_WARMUP_S || !self.warmup_s.is_multiple_of(self.window_s) {
            return bad(format!(
                "warmup_s must be a multiple of window_s ({} s) up to {MAX_WARMUP_S} s, not {}",
                self.window_s, self.warmup_s
            ));
        }
        if !(self.resolution > 0.0 && self.resolution <= 0.5) {
            return bad(format!(
                "resolution must be above 0 and at most 0.5, not {}",
                self.resolution
            ));
        }
        if !(2..=MAX_RUNS_PER_SEED).contains(&self.max_runs_per_seed) {
            return bad(format!(
                "max_runs_per_seed must be 2 to {MAX_RUNS_PER_SEED}, not {}",
                self.max_runs_per_seed
            ));
        }
        if self.max_users == Some(0) {
            return bad("max_users must be at least 1".to_string());
        }
        if self.max_events_per_request == 0 {
            return bad("max_events_per_request must be positive".to_string());
        }
        Ok(())
    }
}

/// Why a search could not start.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CapacityError {
    /// The search options are out of range.
    #[error("bad search options: {0}")]
    Options(String),
    /// The scenario (with the search's duration and interval) is not valid.
    #[error("scenario: {0}")]
    Scenario(String),
}

/// What one run measured over its window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// Users simulated.
    pub users: u64,
    /// Seed of the run.
    pub seed: u64,
    /// 99th-percentile latency of requests completed in the window, ms.
    pub p99_ms: f64,
    /// Failed / (completed + failed) in the window.
    pub error_ratio: f64,
    /// Requests completed in the window.
    pub completed: u64,
    /// Requests failed in the window.
    pub failed: u64,
    /// Whether the objective held.
    pub pass: bool,
}

/// The component that saturates first: the busiest one on the request path at the limit.
///
/// Only components a request waits for count: the queue's worker pool takes jobs after the
/// request has been answered, so however busy it is it slows no request (it is reported apart,
/// in [`Bottleneck::off_request_path`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bottleneck {
    /// Its name (`web-0`, `db-1`, …).
    pub component: String,
    /// Its tier (`server`, `database`, …).
    pub tier: ComponentKind,
    /// Database nodes: master or replica.
    pub role: Option<DbRole>,
    /// Busy fraction of its workers over the measurement window, 0–1.
    pub utilization: f64,
    /// Mean requests waiting over the whole run (warm-up included).
    pub queue_len_mean: f64,
    /// Longest line seen over the run.
    pub queue_len_max: u32,
    /// Most requests that may wait.
    pub queue_capacity: u32,
    /// The next busiest component on the request path, to show the margin.
    pub runner_up: Option<Busy>,
    /// The busiest component off the request path (the queue's workers), when it is busier
    /// than the bottleneck: saturated, yet not what breaks the objective (jobs wait in the
    /// queue; requests do not wait for them).
    #[serde(default)]
    pub off_request_path: Option<Busy>,
}

/// A component and how busy it was over the measurement window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Busy {
    /// Its name.
    pub component: String,
    /// Busy fraction of its workers, 0–1.
    pub utilization: f64,
}

/// The objective's figures in the run just above the limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// Users of that run.
    pub users: u64,
    /// The metrics that missed the objective: `p99_ms`, `error_ratio`, or both.
    pub metrics: Vec<String>,
    /// Its window p99 latency, ms.
    pub p99_ms: f64,
    /// Its window error ratio.
    pub error_ratio: f64,
    /// When requests failed in the window: the most frequent failure reason of that run
    /// (counted over the whole run, warm-up included; the window has no breakdown by reason).
    pub main_failure: Option<String>,
}

/// The search of one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedLimit {
    /// The seed.
    pub seed: u64,
    /// Highest user count that met the objective (0: none did).
    pub limit_users: u64,
    /// Lowest user count that missed it (`None`: met even at the most users allowed).
    pub first_failing_users: Option<u64>,
    /// Runs made.
    pub runs: u32,
    /// Why the search ended before the bracket was narrow enough, if it did.
    pub stopped: Option<Stop>,
}

/// Why a search ended early.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The run cap was reached.
    RunCap,
    /// A run needed more events than allowed.
    EventBudget,
    /// The scenario could not be built at some user count.
    InvalidRun,
}

/// How the search ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A limit between one and the most users allowed.
    Found,
    /// Not even one user meets the objective: the limit is 0.
    NoLoadMeetsSlo,
    /// The objective holds even at the most users allowed.
    MetAtMaxUsers,
    /// A seed's search ended early (run cap or event budget); the limit is a lower bound.
    Incomplete,
}

/// The answer of [`find_limit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LimitResult {
    /// How the search ended.
    pub status: Status,
    /// One sentence saying what was found.
    pub message: String,
    /// The objective.
    pub slo: Slo,
    /// Largest user count meeting the objective: the median over the seeds.
    pub limit_users: u64,
    /// Lowest passing count over the seeds.
    pub lower_users: u64,
    /// Highest first failing count over the seeds (`None` if a seed met the objective at the
    /// most users allowed).
    pub upper_users: Option<u64>,
    /// Width of the final bisection bracket of the median seed (the search's resolution there).
    pub step_users: u64,
    /// Highest minus lowest per-seed limit.
    pub seed_spread_users: u64,
    /// Offered load at the limit, requests per second.
    pub limit_rate_per_s: f64,
    /// Most users the search may try: [`MAX_USERS`], lowered so the offered load stays within
    /// [`MAX_RATE_PER_S`], and to [`SearchOptions::max_users`] if given.
    pub max_users: u64,
    /// The busiest component at the limit (from the median seed's run at its limit; at one
    /// user when no load meets the objective).
    pub bottleneck: Option<Bottleneck>,
    /// What broke just above the limit (median seed).
    pub breach: Option<Breach>,
    /// Each seed's search.
    pub seeds: Vec<SeedLimit>,
    /// Runs made, all seeds together.
    pub runs: u32,
    /// Simulated seconds per run (warm-up + window).
    pub run_s: u32,
    /// Every run, in the order made (users, window p99, error ratio, pass).
    pub probes: Vec<Probe>,
}

/// One run's window figures plus what the bottleneck and breach need.
struct Measured {
    probe: Probe,
    bottleneck: Option<Bottleneck>,
    main_failure: Option<String>,
}

/// The largest user count meeting `slo` on `scenario`, found by ramping (doubling) and then
/// bisecting with short deterministic runs, repeated for `options.seeds` seeds.
pub fn find_limit(
    scenario: &Scenario,
    slo: &Slo,
    options: &SearchOptions,
) -> Result<LimitResult, CapacityError> {
    find_limit_with_progress(scenario, slo, options, &mut |_| {})
}

/// [`find_limit`], calling `progress` after every run (for a progress bar or a live curve).
pub fn find_limit_with_progress(
    scenario: &Scenario,
    slo: &Slo,
    options: &SearchOptions,
    progress: &mut dyn FnMut(&Probe),
) -> Result<LimitResult, CapacityError> {
    let mut search = LimitSearch::new(scenario, slo, options)?;
    while let Some(probe) = search.step() {
        progress(probe);
    }
    Ok(search.finish())
}

/// The capacity search one run at a time, for callers that must not block for the whole
/// search (a browser's main thread) or that report progress between runs (a web worker).
///
/// ```text
///   LimitSearch::new ──▶ step() → Some(&Probe) … step() → None ──▶ finish() → LimitResult
/// ```
///
/// Stepping to the end gives exactly [`find_limit`]'s answer: the runs are the same, in the
/// same order.
pub struct LimitSearch {
    base: Scenario,
    slo: Slo,
    options: SearchOptions,
    max_users: u64,
    /// Searches finished, one per seed, in seed order.
    done: Vec<SeedSearch>,
    /// The seed being searched (`None` once every seed is done).
    current: Option<SeedSearch>,
    probes: Vec<Probe>,
}

impl LimitSearch {
    /// Checks the options and the scenario; no run is made yet.
    pub fn new(
        scenario: &Scenario,
        slo: &Slo,
        options: &SearchOptions,
    ) -> Result<LimitSearch, CapacityError> {
        options.validate()?;
        let base = search_scenario(scenario, options);
        base.validate()
            .map_err(|e| CapacityError::Scenario(e.to_string()))?;
        let max_users = options
            .max_users
            .map_or(max_users(&base), |m| m.min(max_users(&base)));
        let mut search = LimitSearch {
            base,
            slo: *slo,
            options: options.clone(),
            max_users,
            done: Vec::new(),
            current: None,
            probes: Vec::new(),
        };
        search.current = Some(search.seed_search(0));
        Ok(search)
    }

    fn seed_search(&self, index: u32) -> SeedSearch {
        let mut seeded = self.base.clone();
        seeded.seed = self.base.seed.wrapping_add(u64::from(index));
        SeedSearch::new(seeded, self.max_users)
    }

    /// Makes the next run and returns what it measured; `None` when the search is over.
    pub fn step(&mut self) -> Option<&Probe> {
        loop {
            let current = self.current.as_mut()?;
            if let Some(measured) = current.step(&self.slo, &self.options) {
                self.probes.push(measured);
                return self.probes.last();
            }
            let finished = self.current.take().expect("a seed is being searched");
            self.done.push(finished);
            let next = self.done.len() as u32;
            if next < self.options.seeds {
                self.current = Some(self.seed_search(next));
            }
        }
    }

    /// Whether every seed's search is over.
    pub fn is_done(&self) -> bool {
        self.current.is_none()
    }

    /// Runs made so far, all seeds together.
    pub fn runs(&self) -> u32 {
        self.probes.len() as u32
    }

    /// A guess at the total number of runs, for a progress bar: seeds already searched count
    /// what they took; the others as many as the first seed took (or a typical search,
    /// [`TYPICAL_RUNS_PER_SEED`], before the first one ends). Never below [`Self::runs`].
    pub fn runs_estimate(&self) -> u32 {
        let per_seed = self
            .done
            .first()
            .map_or(TYPICAL_RUNS_PER_SEED, |s| s.runs)
            .min(self.options.max_runs_per_seed);
        let finished: u32 = self.done.iter().map(|s| s.runs).sum();
        let current = self.current.as_ref().map_or(0, |s| s.runs.max(per_seed));
        let waiting = self.options.seeds - self.done.len() as u32 - u32::from(!self.is_done());
        (finished + current + waiting * per_seed).max(self.runs())
    }

    /// The seed being searched and its bracket so far: highest passing count (0: none yet)
    /// and lowest failing count.
    pub fn bracket(&self) -> Option<(u64, u64, Option<u64>)> {
        self.current
            .as_ref()
            .map(|s| (s.scenario.seed, s.lo(), s.hi()))
    }

    /// Every run so far, in the order made.
    pub fn probes(&self) -> &[Probe] {
        &self.probes
    }

    /// Finishes the search (making any runs left) and summarises it.
    pub fn finish(mut self) -> LimitResult {
        while self.step().is_some() {}
        summarise(
            self.done,
            &self.slo,
            &self.options,
            &self.base,
            self.max_users,
            self.probes,
        )
    }
}

/// Runs a seed's search typically takes (ramp and bisection), for progress estimates.
pub const TYPICAL_RUNS_PER_SEED: u32 = 9;

/// The scenario as every probe runs it: short, with the window as metrics interval, faults
/// removed unless kept, and an autoscaled web tier at the largest size its group may reach.
///
/// The search measures steady capacity: how many users the system carries once it has
/// scaled. An autoscaler needs minutes of load to grow the pool (it reads the utilization of
/// the last metrics interval, which in a probe is the whole window), so a short probe would
/// measure its reaction time instead; the preset's own run shows that reaction.
fn search_scenario(scenario: &Scenario, options: &SearchOptions) -> Scenario {
    let mut s = scenario.clone();
    s.duration_s = options.warmup_s + options.window_s;
    s.metrics_interval_ms = options.window_s * 1000;
    if !options.keep_faults {
        s.faults.clear();
    }
    if let Some(auto) = s.autoscaling.as_mut() {
        auto.min_servers = auto.max_servers;
        s.server.count = auto.max_servers;
    }
    s
}

/// The most users a valid scenario may have at its per-user rate.
pub fn max_users(s: &Scenario) -> u64 {
    let rate = s.traffic.requests_per_user_per_s;
    if rate <= 0.0 {
        return MAX_USERS;
    }
    let mut users = MAX_USERS.min((MAX_RATE_PER_S / rate) as u64);
    // Float rounding must not push the offered load over the ceiling validation enforces.
    while users > 1 && users as f64 * rate > MAX_RATE_PER_S {
        users -= 1;
    }
    users
}

/// The ramp-and-bisect search of one seed, one run per [`SeedSearch::step`].
struct SeedSearch {
    scenario: Scenario,
    max_users: u64,
    runs: u32,
    /// The next user count to try while ramping (`None`: ramping is over, bisecting).
    ramp_next: Option<u64>,
    /// Highest passing count and its run.
    pass: Option<Measured>,
    /// Lowest failing count and its run.
    fail: Option<Measured>,
    stopped: Option<Stop>,
    finished: bool,
}

impl SeedSearch {
    fn new(scenario: Scenario, max_users: u64) -> SeedSearch {
        let start = scenario.traffic.users.clamp(1, max_users);
        SeedSearch {
            scenario,
            max_users,
            runs: 0,
            ramp_next: Some(start),
            pass: None,
            fail: None,
            stopped: None,
            finished: false,
        }
    }

    fn lo(&self) -> u64 {
        self.pass.as_ref().map_or(0, |m| m.probe.users)
    }

    fn hi(&self) -> Option<u64> {
        self.fail.as_ref().map(|m| m.probe.users)
    }

    /// The next count to try: ramping from the scenario's user count (doubling up, or halving
    /// down) until a passing and a failing count are known (or 1 or the maximum is hit), then
    /// bisecting until the bracket is narrow enough. `None` when the search is over.
    fn next_users(&self, options: &SearchOptions) -> Option<u64> {
        if let Some(users) = self.ramp_next {
            return Some(users);
        }
        let hi = self.hi()?;
        let lo = self.lo();
        let step = ((lo as f64 * options.resolution) as u64).max(1);
        (hi - lo > step).then_some(lo + (hi - lo) / 2)
    }

    /// Makes the next run; `None` when the search is over (done, run cap or event budget).
    fn step(&mut self, slo: &Slo, options: &SearchOptions) -> Option<Probe> {
        if self.finished {
            return None;
        }
        let Some(users) = self.next_users(options) else {
            self.finished = true;
            return None;
        };
        if self.runs >= options.max_runs_per_seed {
            self.stopped = Some(Stop::RunCap);
            self.finished = true;
            return None;
        }
        self.runs += 1;
        let measured = match measure(&self.scenario, users, slo, options) {
            Ok(m) => m,
            Err(why) => {
                self.stopped = Some(why);
                self.finished = true;
                return None;
            }
        };
        let probe = measured.probe.clone();
        let passed = probe.pass;
        if passed {
            if users > self.lo() {
                self.pass = Some(measured);
            }
        } else if self.hi().is_none_or(|hi| users < hi) {
            self.fail = Some(measured);
        }
        if self.ramp_next.is_some() {
            self.ramp_next = if passed {
                (self.hi().is_none() && users < self.max_users)
                    .then(|| users.saturating_mul(2).min(self.max_users))
            } else {
                (self.lo() == 0 && users > 1).then_some(users / 2)
            };
        }
        Some(probe)
    }

    fn outcome(&self) -> SeedLimit {
        SeedLimit {
            seed: self.scenario.seed,
            limit_users: self.lo(),
            first_failing_users: self.hi(),
            runs: self.runs,
            stopped: self.stopped,
        }
    }
}

/// Runs the scenario at `users` and reads the window.
fn measure(
    scenario: &Scenario,
    users: u64,
    slo: &Slo,
    options: &SearchOptions,
) -> Result<Measured, Stop> {
    let mut s = scenario.clone();
    s.traffic.users = users;
    let mut sim = Sim::new(&s).map_err(|_| Stop::InvalidRun)?;
    let end = SimTime::from_secs(u64::from(s.duration_s));
    sim.advance_to(end, event_budget(&s, options));
    if sim.now() < end {
        return Err(Stop::EventBudget);
    }
    let report = sim.report();
    let window = report
        .series
        .last()
        .filter(|p| (p.t_s - end.as_secs_f64()).abs() < 1e-9);
    let (p99_ms, error_ratio, completed, failed) = window.map_or((0.0, 0.0, 0, 0), window_figures);
    // A window in which requests were sent but none finished is a failure whatever the
    // latency of the (absent) completions.
    let stalled = window.is_some_and(|p| p.generated > 0 && p.completed + p.failed == 0);
    let pass = !stalled && p99_ms <= slo.p99_ms && error_ratio <= slo.error_ratio;
    let snapshot = sim.snapshot();
    let infos = sim.components();
    let mut busiest: Vec<(usize, f64)> = snapshot
        .components
        .iter()
        .enumerate()
        .filter(|(_, c)| c.workers > 0)
        .map(|(i, c)| (i, c.utilization))
        .collect();
    busiest.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let (on_path, off_path): (Vec<_>, Vec<_>) = busiest
        .into_iter()
        .partition(|&(i, _)| on_request_path(infos[i].kind));
    let busy = |&(i, utilization): &(usize, f64)| Busy {
        component: infos[i].name.clone(),
        utilization,
    };
    let bottleneck = on_path.first().map(|&(i, utilization)| {
        let state = &snapshot.components[i];
        let info = &infos[i];
        let figures = report.components.iter().find(|c| c.name == info.name);
        Bottleneck {
            component: info.name.clone(),
            tier: info.kind,
            role: state.role,
            utilization,
            queue_len_mean: figures.map_or(0.0, |c| c.mean_queue_len),
            queue_len_max: figures.map_or(0, |c| c.max_queue_len),
            queue_capacity: state.queue_capacity,
            runner_up: on_path.get(1).map(busy),
            off_request_path: off_path
                .first()
                .filter(|&&(_, u)| u > utilization)
                .map(busy),
        }
    });
    // Read the reasons by name, so reasons added to the report are counted too.
    let main_failure = serde_json::to_value(&report.requests.failed_by_reason)
        .ok()
        .and_then(|v| {
            v.as_object()?
                .iter()
                .filter_map(|(name, n)| Some((name.clone(), n.as_u64()?)))
                .filter(|(_, n)| failed > 0 && *n > 0)
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                .map(|(name, _)| name)
        });
    Ok(Measured {
        probe: Probe {
            users,
            seed: s.seed,
            p99_ms,
            error_ratio,
            completed,
            failed,
            pass,
        },
        bottleneck,
        main_failure,
    })
}

/// The events a run of `s` may process: [`SearchOptions::max_events_per_request`] per request
/// it offers at its traffic profile's peak rate over the whole run, at least
/// [`MIN_EVENTS_PER_RUN`].
pub fn event_budget(s: &Scenario, options: &SearchOptions) -> u64 {
    let peak = s.traffic.profile.max_factor().max(1.0);
    let offered =
        s.traffic.users as f64 * s.traffic.requests_per_user_per_s * peak * f64::from(s.duration_s);
    let budget = (offered * f64::from(options.max_events_per_request)).ceil();
    // A float above u64::MAX saturates in the cast.
    (budget as u64).max(MIN_EVENTS_PER_RUN)
}

/// Whether a request waits for components of this kind. The queue's workers run jobs after
/// the request that published them has been answered, so they never slow a request.
fn on_request_path(kind: ComponentKind) -> bool {
    kind != ComponentKind::Workers
}

fn window_figures(p: &SeriesPoint) -> (f64, f64, u64, u64) {
    let finished = p.completed + p.failed;
    let error_ratio = if finished == 0 {
        0.0
    } else {
        p.failed as f64 / finished as f64
    };
    (p.latency_p99_ms, error_ratio, p.completed, p.failed)
}

fn breach_of(m: &Measured, slo: &Slo) -> Breach {
    let p = &m.probe;
    let mut metrics = Vec::new();
    if p.p99_ms > slo.p99_ms || p.completed == 0 {
        metrics.push("p99_ms".to_string());
    }
    if p.error_ratio > slo.error_ratio {
        metrics.push("error_ratio".to_string());
    }
    Breach {
        users: p.users,
        metrics,
        p99_ms: p.p99_ms,
        error_ratio: p.error_ratio,
        main_failure: m.main_failure.clone(),
    }
}

fn summarise(
    searches: Vec<SeedSearch>,
    slo: &Slo,
    options: &SearchOptions,
    base: &Scenario,
    max_users: u64,
    probes: Vec<Probe>,
) -> LimitResult {
    let seeds: Vec<SeedLimit> = searches.iter().map(SeedSearch::outcome).collect();
    let mut order: Vec<usize> = (0..searches.len()).collect();
    order.sort_by_key(|&i| (seeds[i].limit_users, i));
    let median = &searches[order[(order.len() - 1) / 2]];
    let limit_users = median.lo();
    let lower_users = seeds.iter().map(|s| s.limit_users).min().unwrap_or(0);
    let highest = seeds.iter().map(|s| s.limit_users).max().unwrap_or(0);
    let upper_users = seeds
        .iter()
        .map(|s| s.first_failing_users)
        .collect::<Option<Vec<u64>>>()
        .and_then(|v| v.into_iter().max());
    let step_users = median.hi().map_or(0, |hi| hi - limit_users);
    let stopped = seeds
        .iter()
        .find_map(|s| s.stopped.map(|why| (s.seed, why)));
    let rate = base.traffic.requests_per_user_per_s;
    let (status, message) = if let Some((seed, why)) = stopped {
        let why = match why {
            Stop::RunCap => format!("reached {} runs", options.max_runs_per_seed),
            Stop::EventBudget => format!(
                "a run needed more than {} events per request it offered",
                options.max_events_per_request
            ),
            Stop::InvalidRun => {
                "could not build a run (scenario invalid at some user count)".to_string()
            }
        };
        (
            Status::Incomplete,
            format!("search incomplete: seed {seed} {why}; {limit_users} users is a lower bound"),
        )
    } else if limit_users == 0 {
        (
            Status::NoLoadMeetsSlo,
            format!("no load meets the objective ({slo}): it fails even with one user"),
        )
    } else if median.hi().is_none() {
        (
            Status::MetAtMaxUsers,
            format!(
                "the objective ({slo}) holds even at the most users allowed ({max_users}); the limit is higher"
            ),
        )
    } else {
        (
            Status::Found,
            format!(
                "{limit_users} users ({:.0} requests/s) meet the objective ({slo}); {} users do not",
                limit_users as f64 * rate,
                limit_users + step_users
            ),
        )
    };
    let at_limit = median.pass.as_ref().or(median.fail.as_ref());
    LimitResult {
        status,
        message,
        slo: *slo,
        limit_users,
        lower_users,
        upper_users,
        step_users,
        seed_spread_users: highest - lower_users,
        limit_rate_per_s: limit_users as f64 * rate,
        max_users,
        bottleneck: at_limit.and_then(|m| m.bottleneck.clone()),
        breach: median.fail.as_ref().map(|m| breach_of(m, slo)),
        runs: seeds.iter().map(|s| s.runs).sum(),
        seeds,
        run_s: options.warmup_s + options.window_s,
        probes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slo_reads_both_keys_in_any_order_and_defaults_the_rest() {
        let slo = Slo::parse("error_ratio=0.01, p99_ms=150").unwrap();
        assert_eq!((slo.p99_ms, slo.error_ratio), (150.0, 0.01));
        assert_eq!(Slo::parse("p99_ms=50").unwrap().error_ratio, 0.001);
        assert_eq!(Slo::parse(&Slo::default().to_string()), Ok(Slo::default()));
    }

    #[test]
    fn slo_refuses_what_it_cannot_read() {
        assert_eq!(Slo::parse(" "), Err(SloError::Empty));
        assert!(matches!(Slo::parse("p99"), Err(SloError::NotKeyValue(_))));
        assert!(matches!(
            Slo::parse("p95_ms=3"),
            Err(SloError::UnknownKey(_))
        ));
        assert!(matches!(
            Slo::parse("p99_ms=1,p99_ms=2"),
            Err(SloError::Duplicate(_))
        ));
        for bad in [
            "p99_ms=x",
            "p99_ms=0",
            "p99_ms=inf",
            "error_ratio=-0.1",
            "error_ratio=NaN",
        ] {
            assert!(
                matches!(Slo::parse(bad), Err(SloError::BadValue { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_event_budget_follows_the_offered_requests_with_a_floor() {
        let options = SearchOptions::default();
        let mut s = crate::scenario::preset(8).unwrap();
        s.duration_s = 60;
        s.traffic.users = 12_800_000;
        // 128,000 requests/s for 60 s, 40 events each: far above the old fixed 50 million.
        assert_eq!(event_budget(&s, &options), 7_680_000 * 40);
        // A spike profile is budgeted at its peak.
        s.traffic.profile = crate::scenario::Profile::Spike {
            at_s: 10.0,
            duration_s: 5.0,
            factor: 3.0,
        };
        assert_eq!(event_budget(&s, &options), 3 * 7_680_000 * 40);
        // A handful of users still gets the floor.
        s.traffic.users = 10;
        assert_eq!(event_budget(&s, &options), MIN_EVENTS_PER_RUN);
        let none = SearchOptions {
            max_events_per_request: 0,
            ..options
        };
        assert!(none.validate().is_err());
    }

    #[test]
    fn the_ceiling_keeps_the_offered_load_valid() {
        let mut s = crate::scenario::preset(1).unwrap();
        // 0.01 requests/s per user: the user ceiling binds before the rate's.
        assert_eq!(max_users(&s), MAX_USERS);
        s.traffic.requests_per_user_per_s = 0.0;
        assert_eq!(max_users(&s), MAX_USERS);
        s.traffic.requests_per_user_per_s = 0.3;
        let m = max_users(&s);
        assert!(m as f64 * 0.3 <= MAX_RATE_PER_S && (m + 1) as f64 * 0.3 > MAX_RATE_PER_S);
    }
}
