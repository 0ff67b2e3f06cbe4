//! Grading as a job another thread runs (the app's web worker), as JSON text both ways, like
//! the capacity search's jobs ([`crate::capacity::job`]).
//!
//! ```text
//!   app ──GradeRequest──▶ worker: Grading::step per seed ──Progress──▶ app (n of N seeds)
//!                                                      ──Done(Grade)──▶ app (the verdict)
//! ```

use super::{challenge, Grade, Grading};
use crate::scenario::Scenario;
use serde::{Deserialize, Serialize};

/// What to grade.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GradeRequest {
    /// Chosen by the sender; every update carries it.
    pub job: u32,
    /// The challenge's number.
    pub challenge: u8,
    /// The candidate architecture.
    pub candidate: Scenario,
}

/// What a grading reports (externally tagged: `{"graded": …}`, so that it never reads as a
/// capacity search's update).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GradeUpdate {
    /// One more seed has run.
    Grading {
        /// The job.
        job: u32,
        /// Seeds run so far.
        done: u32,
        /// Seeds in all.
        total: u32,
    },
    /// The verdict.
    Graded {
        /// The job.
        job: u32,
        /// The grade.
        grade: Box<Grade>,
    },
    /// It could not start (no such challenge, a request that does not parse).
    GradeFailed {
        /// The job.
        job: u32,
        /// Why.
        message: String,
    },
}

impl GradeRequest {
    /// As JSON text (through a `serde_json::Value`, as [`crate::capacity::job::JobRequest`]
    /// does: the app's wasm then needs no compact serialiser of a `Scenario` of its own).
    pub fn to_json(&self) -> String {
        serde_json::to_value(self)
            .expect("a request serialises")
            .to_string()
    }

    /// From JSON text (`None`: not a grade request).
    pub fn from_json(text: &str) -> Option<GradeRequest> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        value.get("challenge")?;
        serde_json::from_value(value).ok()
    }
}

impl GradeUpdate {
    /// The job it is about.
    pub fn job(&self) -> u32 {
        match self {
            GradeUpdate::Grading { job, .. }
            | GradeUpdate::Graded { job, .. }
            | GradeUpdate::GradeFailed { job, .. } => *job,
        }
    }

    /// As JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an update serialises")
    }

    /// From JSON text (`None`: not a grading's update).
    pub fn from_json(text: &str) -> Option<GradeUpdate> {
        let value: serde_json::Value = serde_json::from_str(text).ok()?;
        serde_json::from_value(value).ok()
    }
}

/// Runs a request to its end, posting progress after each seed and the grade at the end.
pub fn run(request: &GradeRequest, post: &mut dyn FnMut(GradeUpdate)) {
    let job = request.job;
    let Some(c) = challenge(request.challenge) else {
        post(GradeUpdate::GradeFailed {
            job,
            message: format!("no challenge {}", request.challenge),
        });
        return;
    };
    let mut grading = Grading::new(c, &request.candidate);
    while !grading.is_done() {
        grading.step();
        let (done, total) = grading.progress();
        post(GradeUpdate::Grading {
            job,
            done: done as u32,
            total: total as u32,
        });
    }
    post(GradeUpdate::Graded {
        job,
        grade: Box::new(grading.finish()),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_updates_round_trip_and_are_told_apart_from_searches() {
        let request = GradeRequest {
            job: 3,
            challenge: 1,
            candidate: challenge(1).unwrap().start,
        };
        assert_eq!(
            GradeRequest::from_json(&request.to_json()),
            Some(request.clone())
        );
        assert_eq!(GradeRequest::from_json("\"ready\""), None);
        let update = GradeUpdate::Grading {
            job: 3,
            done: 1,
            total: 2,
        };
        assert_eq!(GradeUpdate::from_json(&update.to_json()), Some(update));
        assert_eq!(GradeUpdate::from_json("\"ready\""), None);
    }

    #[test]
    fn an_unknown_challenge_fails_with_a_message() {
        let request = GradeRequest {
            job: 1,
            challenge: 99,
            candidate: challenge(1).unwrap().start,
        };
        let mut updates = Vec::new();
        run(&request, &mut |u| updates.push(u));
        assert!(matches!(
            &updates[..],
            [GradeUpdate::GradeFailed { job: 1, .. }]
        ));
    }
}
