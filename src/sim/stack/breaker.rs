//! The web tier's circuit breaker on the request path (see `components/breaker.rs`): database
//! calls are admitted or failed at once, and each call's outcome is recorded.

use super::super::components::breaker::{Admit, Change};
use super::*;

impl Stack {
    /// A database call of `req` is about to be sent: true if it may go; false if the open
    /// breaker failed it at once (the web server answers with an error).
    pub(super) fn breaker_admits(&mut self, req: ReqRef) -> bool {
        let now = self.kernel.now;
        let Some(b) = self.breaker.as_mut() else {
            return true;
        };
        let (admit, change) = b.admit(now);
        self.log_breaker(change);
        if admit == Admit::Send {
            return true;
        }
        let at = self.answer_time(req, now, Tier::Web);
        self.fail(req, Outcome::DbDown, at);
        false
    }

    /// A database call ended: answered after `at_db` at the database, or refused there
    /// (`at_db` `None`).
    pub(super) fn breaker_record(&mut self, at_db: Option<SimDuration>) {
        let now = self.kernel.now;
        let Some(b) = self.breaker.as_mut() else {
            return;
        };
        let ok = at_db.is_some_and(|t| !b.is_slow(t));
        let change = b.record(ok, now);
        self.log_breaker(change);
    }

    fn log_breaker(&mut self, change: Change) {
        let Some(spec) = self.scenario.server.breaker.as_ref() else {
            return;
        };
        let text = match change {
            Change::None => return,
            Change::Opened => format!(
                "circuit breaker open: database calls failed or were slower than {} ms; they fail at once for {} ms",
                spec.slow_call_ms, spec.open_ms
            ),
            Change::HalfOpened => {
                "circuit breaker half-open: a probe call goes to the database".to_string()
            }
            Change::Closed => {
                "circuit breaker closed: a probe call succeeded, database calls go through again"
                    .to_string()
            }
        };
        self.log_event("breaker", text);
    }
}
