//! Retrying clients on the request path: a failed attempt goes back to its client, which
//! sends it again after a backoff (see `components/clients.rs`); and scheduled grey faults
//! (slow or flaky nodes) starting and ending.

use super::*;

impl Stack {
    /// A failed attempt of `req` that its client learns of at `at` (with `outcome`): held for
    /// a retry when attempts are left (true), or left to be counted as failed (false).
    pub(super) fn retry_later(&mut self, req: ReqRef, outcome: Outcome, at: SimTime) -> bool {
        let r = self.kernel.requests[req.slot as usize];
        let first_start = self.first_start(req.slot as usize);
        let Some(c) = self.clients.as_mut() else {
            return false;
        };
        if r.copy_job != NONE {
            return false;
        }
        if !c.may_retry(r.attempt) {
            c.gave_up += 1;
            return false;
        }
        let wait = c.backoff(r.attempt + 1, &mut self.kernel.rng);
        let slot = c.hold(PendingRetry {
            user: r.user,
            kind: r.kind,
            key: r.key,
            region: r.region,
            nosql: r.nosql,
            fanout: r.fanout_next != NONE,
            attempt: r.attempt + 1,
            first_start,
        });
        let due = at.plus(wait).max(self.kernel.now);
        self.kernel.events.push(due, Event::Retry { slot });
        self.record_path(req.slot as usize, &r, outcome, at.max(self.kernel.now));
        true
    }

    /// A retry's backoff ended: the client sends the request again, as new work.
    pub(super) fn on_retry(&mut self, slot: u32) {
        let Some(c) = self.clients.as_mut() else {
            return;
        };
        let p = c.release(slot);
        c.attempts += 1;
        let req = self.allocate(p.kind, p.key);
        let r = self.req_mut(req);
        r.user = p.user;
        r.region = p.region;
        r.nosql = p.nosql;
        r.fanout_next = if p.fanout { 0 } else { NONE };
        r.attempt = p.attempt;
        let slot = req.slot as usize;
        if self.first_starts.len() <= slot {
            self.first_starts.resize(slot + 1, SimTime::ZERO);
        }
        self.first_starts[slot] = p.first_start;
        if self.site.is_some() {
            // Stage 11: the client still holds geoDNS's answer naming this data center.
            self.depart(req, self.kernel.now);
        } else {
            self.ask_then_depart(req, p.user as usize);
        }
    }

    /// Scheduled fault number `fault` (slow or errors) on `component` starts or ends.
    pub(super) fn on_degrade(&mut self, component: ComponentId, fault: usize, start: bool) {
        let Some(f) = self.scenario.faults.get(fault) else {
            return;
        };
        let (cause, slow, errors) = if start {
            ("scheduled fault", f.slow_factor(), f.error_share())
        } else {
            ("scheduled repair", 1.0, 0.0)
        };
        match f.kind {
            FaultKind::Slow => self.slow_with_cause(component, slow, cause),
            FaultKind::Errors => self.errors_with_cause(component, errors, cause),
            FaultKind::Down | FaultKind::Partition => {}
        }
    }
}

impl Stack {
    /// `req` waits, held by a built-in kind, for a read of its key under way
    /// ([`Served::Wait`]: a coalesced cache miss); its client's timeout still runs.
    pub(super) fn wait_for_store(&mut self, req: ReqRef) {
        let lazy_timeout = self.clients.is_none();
        let r = self.req_mut(req);
        r.state = ReqState::Transit;
        let deadline = r.start.plus(self.timeout);
        if lazy_timeout {
            self.schedule_timeout(deadline, req);
        }
    }

    /// The store answered `req`'s read of `key` with `version`, on behalf of the built-in
    /// kind's station `station` that sent it ([`Served::ToStore`]): the kind takes the
    /// answer (a cache node fills it), and the requests it held for it are answered.
    pub(super) fn store_answered(&mut self, req: ReqRef, station: u16, key: u32, version: u64) {
        let (_, tier, index) = self.station_info[usize::from(station)];
        let Tier::Kind(part) = tier;
        let now = self.kernel.now;
        let alive = self.stations[usize::from(station)].alive;
        let released = &mut self.released;
        self.built_ins[usize::from(part)]
            .store_answered(index, alive, req, key, version, now, released);
        if released.is_empty() {
            return;
        }
        let mut released = std::mem::take(released);
        for &waiter in &released {
            match self.get(waiter).map(|r| r.state) {
                Some(ReqState::Abandoned) => self.release(waiter),
                Some(_) => self.answer(waiter, now, tier),
                None => {}
            }
        }
        released.clear();
        self.released = released;
    }
}
