//! The web tier's circuit breakers on the request path (see `components/breaker.rs`), one per
//! database: a database call is admitted or failed at once by the breaker of the store it goes
//! to, and each call's outcome is recorded there, so one store failing opens only its own.

use super::super::components::breaker::{Admit, Change};
use super::*;

impl Stack {
    /// A database call of `req` to store `store` is about to be sent: true if it may go;
    /// false if that store's open breaker failed it at once (the web server answers with an
    /// error).
    pub(super) fn breaker_admits(&mut self, req: ReqRef, store: usize) -> bool {
        let now = self.kernel.now;
        let Some(b) = self.breakers.get_mut(store) else {
            return true;
        };
        let (admit, change) = b.admit(now);
        self.log_breaker(store, change);
        if admit == Admit::Send {
            return true;
        }
        let at = self.answer_after_web(req, now);
        self.fail(req, Outcome::DbDown, at);
        false
    }

    /// A database call to store `store` ended: answered after `at_db` at the database, or
    /// refused there (`at_db` `None`).
    pub(super) fn breaker_record(&mut self, store: usize, at_db: Option<SimDuration>) {
        let now = self.kernel.now;
        let Some(b) = self.breakers.get_mut(store) else {
            return;
        };
        let ok = at_db.is_some_and(|t| !b.is_slow(t));
        let change = b.record(ok, now);
        self.log_breaker(store, change);
    }

    /// The name of database `store` when there are several (`db`, then each further
    /// database's), for the breakers' log lines and the snapshot; `None` with one.
    pub(in crate::sim) fn store_name(&self, store: usize) -> Option<&str> {
        if self.scenario.more_databases.is_empty() {
            return None;
        }
        match store {
            0 => Some("db"),
            n => self
                .scenario
                .more_databases
                .get(n - 1)
                .map(|m| m.name.as_str()),
        }
    }

    fn log_breaker(&mut self, store: usize, change: Change) {
        let Some(spec) = self.scenario.server.breaker.as_ref() else {
            return;
        };
        // With several databases, each line says whose breaker it is.
        let (whose, calls) = match self.store_name(store) {
            Some(name) => (format!(" for {name}"), format!("calls to {name}")),
            None => (String::new(), "database calls".to_string()),
        };
        let text = match change {
            Change::None => return,
            Change::Opened => format!(
                "circuit breaker{whose} open: {calls} failed or were slower than {} ms; they fail at once for {} ms",
                spec.slow_call_ms, spec.open_ms
            ),
            Change::HalfOpened => match self.store_name(store) {
                Some(name) => {
                    format!("circuit breaker{whose} half-open: a probe call goes to {name}")
                }
                None => "circuit breaker half-open: a probe call goes to the database".to_string(),
            },
            Change::Closed => format!(
                "circuit breaker{whose} closed: a probe call succeeded, {calls} go through again"
            ),
        };
        self.log_event("breaker", text);
    }
}
