//! Synchronous web workers on the request path (see `components/sync.rs`): a web worker
//! whose request goes on to the data tier stays held until the request ends, and a web
//! server that dies drops the holds it had.

use super::*;

impl Stack {
    /// The web service of `req` at `station` ended and the request goes on: with synchronous
    /// workers its worker stays held (true), otherwise it is free (false).
    pub(super) fn hold_web_worker(&mut self, req: ReqRef, station: u16) -> bool {
        let Some(sync) = self.sync.as_mut() else {
            return false;
        };
        let now = self.kernel.now;
        let r = &mut self.kernel.requests[req.slot as usize];
        if r.holds_web || r.copy_job != NONE {
            return false;
        }
        r.holds_web = true;
        r.web = station;
        let slot = req.slot as usize;
        if self.held_since.len() <= slot {
            self.held_since.resize(slot + 1, SimTime::ZERO);
        }
        self.held_since[slot] = now;
        sync.hold();
        true
    }

    /// Whether `req`, just served by its web server and still wanted, goes on to the session
    /// store or the data tier (rather than being answered by the web server).
    pub(super) fn goes_on_from_web(&self, req: ReqRef) -> bool {
        let Some(r) = self.get(req) else {
            return false;
        };
        if r.state == ReqState::Abandoned {
            return false;
        }
        let route = self.routes.of(r.kind);
        (route.session && !r.has(SESSION_DONE)) || !matches!(route.data, DataStep::AtWeb)
    }

    /// Web workers held now, waiting for the data tier.
    pub(in crate::sim) fn held_web_workers(&self) -> u32 {
        self.sync.as_ref().map_or(0, |s| s.held_now())
    }

    /// `req` ends (its slot is being freed): the web worker it held, if any, is free and
    /// takes the next request waiting there.
    pub(super) fn free_web_worker(&mut self, req: ReqRef) {
        let now = self.kernel.now;
        let r = &mut self.kernel.requests[req.slot as usize];
        if !r.holds_web {
            return;
        }
        r.holds_web = false;
        let web = r.web;
        let held_ns = now.since(self.held_since[req.slot as usize]).as_nanos();
        if let Some(sync) = self.sync.as_mut() {
            sync.free(held_ns);
        }
        let s = &mut self.stations[usize::from(web)];
        s.account(now);
        s.busy -= 1;
        // The hold is part of the request's time at its web server (Little's law there).
        s.sojourn_sum_ns += u128::from(held_ns);
        self.start_next_waiting(web);
    }

    /// Web station `station` died (its workers are all free now): the requests holding its
    /// workers hold nothing any more.
    pub(super) fn drop_web_holds(&mut self, station: u16) {
        let Some(sync) = self.sync.as_mut() else {
            return;
        };
        let mut dropped = 0;
        for r in self.kernel.requests.iter_mut() {
            if r.holds_web && r.web == station {
                r.holds_web = false;
                dropped += 1;
            }
        }
        sync.dropped(dropped);
    }
}
