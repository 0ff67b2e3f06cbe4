//! The queue's workers writing to the database (`queue.job_writes_to_db`, the graph's
//! `workers → db` wire): the stack's side of it. The queue (`components/jobs.rs`) decides
//! which job's write goes when and what a commit or a failure means; this file only turns
//! each write into a request to the first database and tells the queue how it ended.
//!
//! ```text
//!   queue's event ─▶ next_write() ─▶ request (Write, JOB_WRITE, user = running slot)
//!        ─▶ the first database's master (its shard's) ─▶ commit ─▶ write_ended(committed)
//!        (no live master, its line full, an error, the node dying) ─▶ write_ended(failed)
//! ```
//!
//! A job's write is not a user's request: it is counted neither as generated nor as completed
//! or failed, has no client timeout, is never retried by the clients and publishes no job of
//! its own; it is counted where the database counts writes (its stations, the writes
//! committed, the replication it feeds), and by the queue's report (`writes`).

use super::*;
use crate::sim::components::jobs::JobTier;

impl Stack {
    /// After one of built-in component `part`'s events: if it is the queue and jobs are done
    /// whose writes wait to be sent, sends them, in order.
    pub(super) fn send_job_writes(&mut self, part: u8) {
        loop {
            let queue = self.built_ins[usize::from(part)].get_mut::<JobTier>();
            let Some(slot) = queue.and_then(JobTier::next_write) else {
                return;
            };
            let stores = &self.built_ins[usize::from(DATABASES)];
            let key = stores.draw_key(0, &mut self.kernel.rng);
            let req = self.allocate(RequestKind::Write, key);
            let r = self.req_mut(req);
            r.user = slot;
            r.sampled = false;
            r.set_flag(JOB_WRITE, true);
            if let Some(queue) = self.built_ins[usize::from(part)].get_mut::<JobTier>() {
                queue.write_sent(slot, req);
            }
            self.send_job_write(req);
        }
    }

    /// Sends a job's write (or its next denormalised copy) to the master of its shard of the
    /// first database, as the clusters' kind picks it; with no live master there, the write
    /// fails at once. Its commit comes back as a user's does ([`Served::Committed`], in
    /// `service.rs`), then its next copy, or its job is done.
    pub(super) fn send_job_write(&mut self, req: ReqRef) {
        match self.station_for(req, DATABASES, 0) {
            Some(station) => self.move_to(req, station),
            None => self.end_job_write(req, false),
        }
    }

    /// A job's write ended (`committed`, or failed): the queue hears of it, and its slot is
    /// freed.
    pub(super) fn end_job_write(&mut self, req: ReqRef, committed: bool) {
        self.job_write_ended(req, committed);
        self.release(req);
    }

    /// Tells the queue that its job's write `req` committed or failed (the request's slot is
    /// left to whoever holds it).
    pub(super) fn job_write_ended(&mut self, req: ReqRef, committed: bool) {
        let slot = self.request_in(req).user;
        let Some(part) = (self.built_ins.iter()).position(|p| p.get::<JobTier>().is_some()) else {
            return;
        };
        let ctx = &mut BuiltInCtx {
            kernel: &mut self.kernel,
            stations: &mut self.stations,
            me: part as u8,
        };
        if let Some(queue) = self.built_ins[part].get_mut::<JobTier>() {
            queue.write_ended(slot, req, committed, ctx);
        }
    }
}
