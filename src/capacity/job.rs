//! A capacity search as a job another thread runs: the request the app sends, the updates it
//! gets back (JSON text both ways, so a web worker and the page share nothing but strings).
//!
//! ```text
//!   app ──JobRequest──▶ worker: LimitSearch::step … ──Progress per run──▶ app (bar, curve)
//!                                                  ──Done(LimitResult) / Failed──▶ app
//! ```
//!
//! The worker and the page run the same [`LimitSearch`], so where the search runs changes
//! nothing in its answer.

use super::{CapacityError, LimitResult, LimitSearch, Probe, SearchOptions, Slo};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// What to search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRequest {
    /// Chosen by the sender; every update of this job carries it.
    pub job: u32,
    /// The scenario.
    pub scenario: Scenario,
    /// The objective.
    pub slo: Slo,
    /// How to search.
    pub options: SearchOptions,
}

/// What a running job reports.
///
/// Externally tagged (`{"progress":{…}}`, `"ready"`): an internally tagged enum is buffered
/// through serde's `Content` when read, which costs the browser build code size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobUpdate {
    /// The worker has started and takes requests (requests sent before are lost).
    Ready,
    /// One more run was made.
    Progress {
        /// The job.
        job: u32,
        /// Runs made so far.
        runs: u32,
        /// A guess at the runs the whole search takes (see [`LimitSearch::runs_estimate`]).
        runs_estimate: u32,
        /// The run just made.
        probe: Probe,
        /// Highest passing count of the seed being searched (0: none yet).
        lo_users: u64,
        /// Lowest failing count of the seed being searched.
        hi_users: Option<u64>,
    },
    /// The search is over.
    Done {
        /// The job.
        job: u32,
        /// Its answer.
        result: Box<LimitResult>,
    },
    /// The search could not start.
    Failed {
        /// The job.
        job: u32,
        /// Why, for a reader.
        message: String,
    },
}

impl JobUpdate {
    /// The job this update is about (0 for `Ready`).
    pub fn job(&self) -> u32 {
        match self {
            JobUpdate::Ready => 0,
            JobUpdate::Progress { job, .. }
            | JobUpdate::Done { job, .. }
            | JobUpdate::Failed { job, .. } => *job,
        }
    }

    /// As JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| {
            let failed = JobUpdate::Failed {
                job: self.job(),
                message: e.to_string(),
            };
            serde_json::to_string(&failed).unwrap_or_default()
        })
    }

    /// From JSON text.
    pub fn from_json(text: &str) -> Result<JobUpdate, String> {
        from_json_via_value(text).map_err(|e| format!("bad message from the search: {e}"))
    }
}

impl JobRequest {
    /// As JSON text (through a `serde_json::Value`, as the app's links serialise scenarios, so
    /// the browser build needs no second serialiser for them).
    pub fn to_json(&self) -> String {
        serde_json::to_value(self)
            .map(|v| v.to_string())
            .unwrap_or_default()
    }

    /// From JSON text.
    pub fn from_json(text: &str) -> Result<JobRequest, String> {
        from_json_via_value(text).map_err(|e| format!("bad search request: {e}"))
    }
}

/// Parses JSON text into a `Value`, then into `T`: the browser build reads scenarios this way
/// too, so it shares the code.
pub fn from_json_via_value<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, serde_json::Error> {
    serde_json::from_str::<serde_json::Value>(text).and_then(serde_json::from_value)
}

/// A job being run one step at a time.
pub struct Job {
    job: u32,
    search: Option<LimitSearch>,
}

impl Job {
    /// Starts a job; a request that cannot start gives the `Failed` update to send.
    pub fn start(request: &JobRequest) -> Result<Job, JobUpdate> {
        LimitSearch::new(&request.scenario, &request.slo, &request.options)
            .map(|search| Job {
                job: request.job,
                search: Some(search),
            })
            .map_err(|e: CapacityError| JobUpdate::Failed {
                job: request.job,
                message: e.to_string(),
            })
    }

    /// Makes one run and says what happened: `Progress`, or `Done` once (then `None`).
    pub fn step(&mut self) -> Option<JobUpdate> {
        let search = self.search.as_mut()?;
        if let Some(probe) = search.step() {
            let probe = probe.clone();
            let (_, lo_users, hi_users) = search.bracket().unwrap_or((0, 0, None));
            return Some(JobUpdate::Progress {
                job: self.job,
                runs: search.runs(),
                runs_estimate: search.runs_estimate(),
                probe,
                lo_users,
                hi_users,
            });
        }
        let search = self.search.take()?;
        Some(JobUpdate::Done {
            job: self.job,
            result: Box::new(search.finish()),
        })
    }
}

/// Runs a whole job, handing every update to `post` (what a web worker does with a request).
pub fn run(request: &JobRequest, post: &mut dyn FnMut(JobUpdate)) {
    match Job::start(request) {
        Ok(mut job) => {
            while let Some(update) = job.step() {
                post(update);
            }
        }
        Err(failed) => post(failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capacity::find_limit;
    use crate::scenario::preset;

    #[test]
    fn a_job_gives_find_limits_answer_through_json() {
        let request = JobRequest {
            job: 7,
            scenario: preset(1).unwrap(),
            slo: Slo::default(),
            options: SearchOptions {
                seeds: 2,
                warmup_s: 5,
                window_s: 5,
                ..SearchOptions::default()
            },
        };
        let request = JobRequest::from_json(&request.to_json()).unwrap();
        let mut updates = Vec::new();
        run(&request, &mut |u| {
            updates.push(JobUpdate::from_json(&u.to_json()).unwrap())
        });
        let expected = find_limit(&request.scenario, &request.slo, &request.options).unwrap();
        let Some(JobUpdate::Done { job, result }) = updates.pop() else {
            panic!("the last update is Done");
        };
        assert_eq!((job, *result), (7, expected.clone()));
        assert_eq!(updates.len() as u32, expected.runs);
        for (i, u) in updates.iter().enumerate() {
            let JobUpdate::Progress {
                runs,
                runs_estimate,
                probe,
                ..
            } = u
            else {
                panic!("progress expected");
            };
            assert_eq!(*runs, i as u32 + 1);
            assert!(runs_estimate >= runs);
            assert_eq!(probe, &expected.probes[i]);
        }
    }
}
