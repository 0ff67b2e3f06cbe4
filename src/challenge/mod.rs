//! Challenges: a story, a starting architecture, a traffic and fault script, objectives read
//! from the run's report, and a budget from the cost model. A candidate architecture is graded
//! by running it under the challenge's script on fixed seeds.
//!
//! ```text
//!   candidate (any scenario or graph) ──apply(script, hardware, seed)──▶ Sim ──▶ Report
//!        the challenge: traffic, faults, duration, world, celebrity, the hardware's speeds
//!   Report per seed ──measure──▶ one number per objective (worst seed kept) ──▶ Grade
//!                                cost ($/h) ≤ budget → stars; on failure: what broke first
//! ```
//!
//! The candidate chooses the architecture: which components, how many, their workers,
//! capacities, policies, TTLs and health checks. The challenge fixes what no architecture
//! chooses: the users and what they send, the faults, the network, and the hardware's speeds
//! and prices ([`hardware`]), so that no candidate can win by typing a faster disk. Pure Rust:
//! no web type, used by the CLI, the app's worker and the tests alike.

mod catalogue;
pub mod hardware;
pub mod job;
pub mod solutions;

pub use catalogue::{challenge, challenges, CHALLENGE_COUNT};

use crate::scenario::{Fault, HotKey, Network, Region, Scenario, Traffic};
use crate::sim::{ComponentKind, Report, RequestKind, Sim, SimTime};
use serde::{Deserialize, Serialize};

/// Most events one grading run may take (a run that needs more fails the grade).
pub const MAX_EVENTS_PER_RUN: u64 = 40_000_000;
/// An interval in which more than this share of finished requests failed is not recovered.
pub const RECOVERED_ERROR_RATIO: f64 = 0.01;

/// One challenge.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Challenge {
    /// Its number, 1 – [`CHALLENGE_COUNT`], in the order of the journey.
    pub id: u8,
    /// A short title.
    pub title: String,
    /// The stage of the journey whose mechanic it teaches (1–11).
    pub stage: u8,
    /// The story: what happens and what is asked.
    pub story: String,
    /// The mechanic a solution needs, said after grading (a hint, not a spoiler before).
    pub lesson: String,
    /// The architecture the player starts from (it fails the challenge).
    pub start: Scenario,
    /// What the challenge does to every candidate.
    pub script: Script,
    /// What must hold, on every grading seed.
    pub objectives: Vec<Objective>,
    /// Most the candidate may cost, USD per hour (the cost model's `usd_per_hour`).
    pub budget_usd_per_hour: f64,
    /// The seeds every candidate is graded on.
    pub seeds: Vec<u64>,
}

/// The traffic, faults and world the challenge imposes on a candidate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Script {
    /// The users and what they send (replaces the candidate's).
    pub traffic: Traffic,
    /// The network between users and the system (replaces the candidate's).
    pub network: Network,
    /// Faults, by the engine's component names (`web-0`, `db-0`, `us-east`); a candidate
    /// without the named component fails (the challenge is about surviving that fault).
    pub faults: Vec<Fault>,
    /// Simulated seconds of each grading run.
    pub duration_s: u32,
    /// Width of a metrics interval, ms.
    pub metrics_interval_ms: u32,
    /// Where the users live, for challenges across data centers (replaces a multi-data-center
    /// candidate's regions and round trips; a candidate with one data center and no geoDNS
    /// has no regions and fails per-region objectives).
    pub world: Option<World>,
    /// A celebrity: a key that takes a share of the data requests (a sharded candidate's
    /// shard router gets it; without shards it is part of the one database's load).
    pub celebrity: Option<HotKey>,
}

/// Regions and the round trips between them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct World {
    /// Where the users are.
    pub regions: Vec<Region>,
    /// Round trips between regions, ms (one row per region).
    pub rtt_ms: Vec<Vec<f64>>,
}

/// Something that must hold over a grading run, read from its report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Objective {
    /// 99th-percentile latency of all completed requests, at most `max` ms.
    P99Ms {
        /// The limit, ms.
        max: f64,
    },
    /// 99th-percentile latency of one request kind, at most `max` ms.
    KindP99Ms {
        /// The kind.
        request: RequestKind,
        /// The limit, ms.
        max: f64,
    },
    /// 99th-percentile latency of every region's users, at most `max` ms.
    RegionP99Ms {
        /// The limit, ms.
        max: f64,
    },
    /// Failed / (completed + failed) over the run, at most `max`.
    ErrorRatio {
        /// The limit, 0–1.
        max: f64,
    },
    /// In every region, requests not answered / requests sent, at most `max`.
    RegionErrorRatio {
        /// The limit, 0–1.
        max: f64,
    },
    /// Acknowledged writes lost (failover and cross-data-center), at most `max`.
    WritesLost {
        /// The limit.
        max: u64,
    },
    /// Stale reads (replicas and cache) over the run, at most `max`.
    StaleReads {
        /// The limit.
        max: u64,
    },
    /// Time from the first fault until the last metrics interval with more than 1 % of
    /// requests failing ends, at most `max` s (never recovering: the rest of the run).
    RecoverS {
        /// The limit, s.
        max: f64,
    },
}

impl Objective {
    /// What it asks, in words: "p99 ≤ 200 ms".
    pub fn label(&self) -> String {
        use crate::format::figure;
        // A ratio as a percentage with at most two decimals, trailing zeros dropped (0.5 %).
        let percent = |r: f64| format!("{} %", (r * 10_000.0).round() / 100.0);
        match self {
            Objective::P99Ms { max } => format!("p99 latency ≤ {} ms", figure(*max)),
            Objective::KindP99Ms { request, max } => {
                format!("p99 of {} ≤ {} ms", kind_plural(*request), figure(*max))
            }
            Objective::RegionP99Ms { max } => {
                format!("p99 latency in every region ≤ {} ms", figure(*max))
            }
            Objective::ErrorRatio { max } => format!("errors ≤ {}", percent(*max)),
            Objective::RegionErrorRatio { max } => {
                format!("errors in every region ≤ {}", percent(*max))
            }
            Objective::WritesLost { max } => format!("acknowledged writes lost ≤ {max}"),
            Objective::StaleReads { max } => format!("stale reads ≤ {max}"),
            Objective::RecoverS { max } => format!("recovered within {} s", figure(*max)),
        }
    }

    /// Its limit as a number.
    pub fn limit(&self) -> f64 {
        match *self {
            Objective::P99Ms { max }
            | Objective::KindP99Ms { max, .. }
            | Objective::RegionP99Ms { max }
            | Objective::ErrorRatio { max }
            | Objective::RegionErrorRatio { max }
            | Objective::RecoverS { max } => max,
            Objective::WritesLost { max } | Objective::StaleReads { max } => max as f64,
        }
    }

    /// The unit of its numbers (`ms`, `ratio`, `writes`, `reads`, `s`).
    pub fn unit(&self) -> &'static str {
        match self {
            Objective::P99Ms { .. }
            | Objective::KindP99Ms { .. }
            | Objective::RegionP99Ms { .. } => "ms",
            Objective::ErrorRatio { .. } | Objective::RegionErrorRatio { .. } => "ratio",
            Objective::WritesLost { .. } => "writes",
            Objective::StaleReads { .. } => "reads",
            Objective::RecoverS { .. } => "s",
        }
    }

    /// The number this objective reads from one run's report, with a note when the number
    /// needs one (the region it came from, "never recovered"); `Err` when the report cannot
    /// say (no regions).
    pub fn measure(&self, report: &Report, faults: &[Fault]) -> Result<Measured, String> {
        let plain = |value: f64| Ok(Measured { value, note: None });
        match self {
            Objective::P99Ms { .. } => plain(report.latency_ms.p99),
            Objective::KindP99Ms { request, .. } => plain(
                report
                    .latency_by_kind
                    .iter()
                    .find(|k| k.kind == *request)
                    .map_or(0.0, |k| k.latency_ms.p99),
            ),
            Objective::RegionP99Ms { .. } => worst_region(report, |r| r.latency_ms.p99),
            Objective::ErrorRatio { .. } => {
                let r = &report.requests;
                plain(ratio(r.failed, r.completed + r.failed))
            }
            Objective::RegionErrorRatio { .. } => worst_region(report, |r| {
                ratio(r.requests.saturating_sub(r.latency_ms.count), r.requests)
            }),
            Objective::WritesLost { .. } => plain(writes_lost(report) as f64),
            Objective::StaleReads { .. } => plain(stale_reads(report) as f64),
            Objective::RecoverS { .. } => Ok(recovery(report, faults)),
        }
    }
}

fn kind_plural(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::PageView => "page views",
        RequestKind::ApiRead => "API reads",
        RequestKind::Write => "writes",
        RequestKind::StaticAsset => "static assets",
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn worst_region(
    report: &Report,
    value: impl Fn(&crate::sim::RegionReport) -> f64,
) -> Result<Measured, String> {
    let geo = report
        .geo
        .as_ref()
        .ok_or("this architecture has no regions: it needs data centers behind geoDNS")?;
    geo.regions
        .iter()
        .map(|r| (value(r), r.name.clone()))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(value, region)| Measured {
            value,
            note: Some(region),
        })
        .ok_or_else(|| "no region".to_string())
}

/// Committed writes lost by failovers and by a data center dying before shipping them.
fn writes_lost(report: &Report) -> u64 {
    let local = report.database.as_ref().map_or(0, |d| d.writes_lost);
    let geo = report.geo.as_ref().map_or(0, |g| {
        g.writes_lost_cross_dc
            + g.data_centers
                .iter()
                .filter_map(|d| d.database.as_ref())
                .map(|d| d.writes_lost)
                .sum::<u64>()
    });
    local + geo
}

/// Stale reads from replicas and from the cache.
fn stale_reads(report: &Report) -> u64 {
    let db = report.database.as_ref().map_or(0, |d| d.stale_reads);
    let cache = report.cache.as_ref().map_or(0, |c| c.stale_reads);
    let geo = report.geo.as_ref().map_or(0, |g| {
        g.data_centers
            .iter()
            .map(|d| {
                d.database.as_ref().map_or(0, |x| x.stale_reads)
                    + d.cache.as_ref().map_or(0, |x| x.stale_reads)
            })
            .sum::<u64>()
    });
    if report.geo.is_some() {
        geo
    } else {
        db + cache
    }
}

/// Seconds from the first fault until the end of the last interval in which more than
/// [`RECOVERED_ERROR_RATIO`] of the finished requests failed (0 without faults).
fn recovery(report: &Report, faults: &[Fault]) -> Measured {
    let Some(start) = faults.iter().map(|f| f.at_s).min_by(f64::total_cmp) else {
        return Measured {
            value: 0.0,
            note: None,
        };
    };
    let bad = |p: &&crate::sim::SeriesPoint| {
        ratio(p.failed, p.completed + p.failed) > RECOVERED_ERROR_RATIO
            || (p.generated > 0 && p.completed + p.failed == 0)
    };
    let last_bad = report
        .series
        .iter()
        .rev()
        .filter(|p| p.t_s > start)
        .find(bad)
        .map(|p| p.t_s);
    let end = report.sim_time_s;
    match last_bad {
        None => Measured {
            value: 0.0,
            note: None,
        },
        Some(t) if (t - end).abs() < 1e-9 => Measured {
            value: end - start,
            note: Some("not recovered by the end of the run".to_string()),
        },
        Some(t) => Measured {
            value: t - start,
            note: None,
        },
    }
}

/// A number an objective read from a report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measured {
    /// The number, in the objective's unit.
    pub value: f64,
    /// What it needs said beside it (the worst region; "not recovered").
    pub note: Option<String>,
}

/// One objective's outcome over every grading seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveResult {
    /// What was asked.
    pub objective: Objective,
    /// It in words.
    pub label: String,
    /// The worst number over the seeds, in the objective's unit (`None`: not measurable).
    pub measured: Option<f64>,
    /// Its note (the worst region, "not recovered", or why it could not be measured).
    pub note: Option<String>,
    /// The seed that gave the worst number.
    pub worst_seed: u64,
    /// Whether it held on every seed.
    pub pass: bool,
}

/// The verdict on a candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grade {
    /// The challenge's number.
    pub challenge: u8,
    /// Every objective held on every seed and the cost is within the budget.
    pub pass: bool,
    /// Each objective with its number.
    pub objectives: Vec<ObjectiveResult>,
    /// The highest cost over the seeds, USD per hour.
    pub cost_usd_per_hour: f64,
    /// The challenge's budget, USD per hour.
    pub budget_usd_per_hour: f64,
    /// Cost ≤ budget.
    pub within_budget: bool,
    /// 0 unless it passes; then 1 (≤ budget), 2 (≤ 75 % of it) or 3 (≤ 50 %).
    pub stars: u8,
    /// On failure: what broke first (the diagnosis's first incident, or the busiest
    /// component on the request path).
    pub broke_first: Option<String>,
    /// The seeds graded.
    pub seeds: Vec<u64>,
    /// Why the candidate could not be run at all (a fault target it lacks, an invalid
    /// scenario, too many events); then nothing else is filled in.
    pub error: Option<String>,
}

/// Stars for a passing candidate's cost against the budget.
pub fn stars(cost_usd_per_hour: f64, budget_usd_per_hour: f64) -> u8 {
    if cost_usd_per_hour <= 0.5 * budget_usd_per_hour {
        3
    } else if cost_usd_per_hour <= 0.75 * budget_usd_per_hour {
        2
    } else if cost_usd_per_hour <= budget_usd_per_hour {
        1
    } else {
        0
    }
}

impl Challenge {
    /// The candidate as it runs in this challenge on `seed`: the challenge's traffic, network,
    /// faults, duration, world and celebrity, and the hardware's fixed speeds and prices.
    pub fn apply(&self, candidate: &Scenario, seed: u64) -> Result<Scenario, String> {
        let mut s = candidate.clone();
        let script = &self.script;
        s.seed = seed;
        s.duration_s = script.duration_s;
        s.metrics_interval_ms = script.metrics_interval_ms;
        s.traffic = script.traffic.clone();
        s.network = script.network.clone();
        s.faults = script.faults.clone();
        hardware::impose(&mut s);
        if let Some(sharding) = &mut s.sharding {
            sharding.hot_keys = script.celebrity.iter().cloned().collect();
        }
        if let (Some(geo), Some(world)) = (&mut s.geo, &script.world) {
            geo.regions = world.regions.clone();
            geo.rtt_ms = world.rtt_ms.clone();
        }
        s.validate().map_err(|e| e.to_string())?;
        Ok(s)
    }

    /// The starting architecture as a graph file, as it runs in this challenge (its traffic,
    /// faults and hardware), for a player to edit.
    pub fn start_file(&self) -> Result<crate::scenario::TopologyFile, String> {
        let seed = self.seeds.first().copied().unwrap_or(1);
        Ok(self.apply(&self.start, seed)?.topology_file())
    }

    /// Grades a candidate on every seed (see [`Grading`] to do it one seed at a time).
    pub fn grade(&self, candidate: &Scenario) -> Grade {
        let mut grading = Grading::new(self.clone(), candidate);
        while !grading.is_done() {
            grading.step();
        }
        grading.finish()
    }
}

/// A grading under way, one seed per [`Grading::step`] (so a worker can report progress).
pub struct Grading {
    challenge: Challenge,
    candidate: Scenario,
    next: usize,
    runs: Vec<(u64, Report)>,
    error: Option<String>,
}

impl Grading {
    /// Starts grading `candidate`.
    pub fn new(challenge: Challenge, candidate: &Scenario) -> Grading {
        Grading {
            challenge,
            candidate: candidate.clone(),
            next: 0,
            runs: Vec::new(),
            error: None,
        }
    }

    /// Seeds graded so far, and in all.
    pub fn progress(&self) -> (usize, usize) {
        (self.next, self.challenge.seeds.len())
    }

    /// Whether every seed has run (or the candidate cannot run).
    pub fn is_done(&self) -> bool {
        self.error.is_some() || self.next >= self.challenge.seeds.len()
    }

    /// Runs the next seed.
    pub fn step(&mut self) {
        if self.is_done() {
            return;
        }
        let seed = self.challenge.seeds[self.next];
        self.next += 1;
        match run_once(&self.challenge, &self.candidate, seed) {
            Ok(report) => self.runs.push((seed, report)),
            Err(e) => self.error = Some(e),
        }
    }

    /// The grade.
    pub fn finish(self) -> Grade {
        let c = &self.challenge;
        let mut grade = Grade {
            challenge: c.id,
            pass: false,
            objectives: Vec::new(),
            cost_usd_per_hour: 0.0,
            budget_usd_per_hour: c.budget_usd_per_hour,
            within_budget: false,
            stars: 0,
            broke_first: None,
            seeds: c.seeds.clone(),
            error: self.error,
        };
        if grade.error.is_some() || self.runs.is_empty() {
            return grade;
        }
        grade.objectives = c
            .objectives
            .iter()
            .map(|o| judge(o, &self.runs, &c.script.faults))
            .collect();
        grade.cost_usd_per_hour = self
            .runs
            .iter()
            .map(|(_, r)| r.cost.usd_per_hour)
            .fold(0.0, f64::max);
        grade.within_budget = grade.cost_usd_per_hour <= c.budget_usd_per_hour;
        grade.pass = grade.within_budget && grade.objectives.iter().all(|o| o.pass);
        if grade.pass {
            grade.stars = stars(grade.cost_usd_per_hour, c.budget_usd_per_hour);
        } else if grade.objectives.iter().any(|o| !o.pass) {
            let seed = grade
                .objectives
                .iter()
                .find(|o| !o.pass)
                .map_or(c.seeds[0], |o| o.worst_seed);
            let report = self
                .runs
                .iter()
                .find(|(s, _)| *s == seed)
                .map_or(&self.runs[0].1, |(_, r)| r);
            grade.broke_first = broke_first(report);
        }
        grade
    }
}

fn run_once(challenge: &Challenge, candidate: &Scenario, seed: u64) -> Result<Report, String> {
    let scenario = challenge.apply(candidate, seed)?;
    let mut sim = Sim::new(&scenario).map_err(|e| e.to_string())?;
    for fault in &scenario.faults {
        if sim.component_named(&fault.target).is_none() {
            return Err(format!(
                "this challenge takes `{}` down at {} s, and this architecture has no `{}`",
                fault.target, fault.at_s, fault.target
            ));
        }
    }
    let end = SimTime::from_secs(u64::from(scenario.duration_s));
    sim.advance_to(end, MAX_EVENTS_PER_RUN);
    if sim.now() < end {
        return Err(format!(
            "a grading run needed more than {MAX_EVENTS_PER_RUN} events"
        ));
    }
    Ok(sim.report())
}

/// One objective over every run: the worst number, and whether every run held.
fn judge(objective: &Objective, runs: &[(u64, Report)], faults: &[Fault]) -> ObjectiveResult {
    let mut result = ObjectiveResult {
        objective: objective.clone(),
        label: objective.label(),
        measured: None,
        note: None,
        worst_seed: runs[0].0,
        pass: true,
    };
    for (seed, report) in runs {
        match objective.measure(report, faults) {
            Ok(m) => {
                if result.measured.is_none_or(|w| m.value > w) {
                    result.measured = Some(m.value);
                    result.note = m.note;
                    result.worst_seed = *seed;
                }
            }
            Err(why) => {
                result.measured = None;
                result.note = Some(why);
                result.worst_seed = *seed;
                result.pass = false;
                return result;
            }
        }
    }
    result.pass = result.measured.is_some_and(|w| w <= objective.limit());
    result
}

/// What broke first in a run: the diagnosis's first incident, else the busiest component a
/// request waits for.
pub fn broke_first(report: &Report) -> Option<String> {
    if let Some(incident) = report.diagnosis.first() {
        return Some(format!(
            "at {} s: {}",
            crate::format::figure(incident.start_s),
            incident.summary
        ));
    }
    report
        .components
        .iter()
        .filter(|c| c.kind != ComponentKind::Workers)
        .max_by(|a, b| a.utilization.total_cmp(&b.utilization))
        .map(|c| {
            format!(
                "no incident; the busiest part was {} at {} busy: it limits the system first",
                c.name,
                crate::format::percent(c.utilization)
            )
        })
}
