//! The stack's side of the database clusters (`components/database/`): placing a
//! resharding's new nodes (components and stations are the stack's registry), and moving the
//! clusters' own requests (a resharding's copy jobs: where each goes, its work and what
//! follows its service are the clusters' hooks, `station_for` with `Ask::own`, `own_work`,
//! `own_served`). The clusters decide; this file only moves requests and registers nodes.

use super::*;
use crate::sim::components::migration::COPY_RETRY;
use crate::sim::components::registry::OwnStep;

impl Stack {
    /// Reshards store `store` to `count` shards now, as the clusters' kind decides
    /// (`components/database/reshard.rs`: refused, or started): the stack only places the
    /// new shards' nodes it asks for (`new_station` / `station_placed`, group `store`; inside
    /// a data center that is down they start down) before the copy starts.
    pub fn reshard_store(&mut self, store: usize, count: u32) {
        let (scenario, kernel) = (&self.scenario, &mut self.kernel);
        let Some(count) =
            databases_mut(&mut self.built_ins).reshard_asked(store, count, scenario, kernel)
        else {
            return;
        };
        for _ in 0..databases_mut(&mut self.built_ins).nodes_to_build(store, count) {
            self.place_station(DATABASES, store as u8, false);
        }
        let (scenario, kernel) = (&mut self.scenario, &mut self.kernel);
        databases_mut(&mut self.built_ins).start_reshard(store, count, scenario, kernel);
    }

    /// Starts a request of the database clusters' own, marked `mark` ([`Follow::Send`]: a
    /// resharding's copy job), and sends it where they say.
    pub(super) fn start_own_request(&mut self, mark: u16) {
        let req = self.allocate(RequestKind::Write, 0);
        let r = self.req_mut(req);
        r.copy_job = mark;
        r.sampled = false;
        self.send_copy_job(req);
    }

    /// Sends a request of the database clusters' own to the station they pick for its
    /// mark, or lets it wait a little when they pick none (the web tier knows no live
    /// master there).
    pub(in crate::sim) fn send_copy_job(&mut self, req: ReqRef) {
        if self.get(req).is_none() {
            return;
        }
        match self.station_for(req, DATABASES, 0) {
            Some(station) => self.move_to(req, station),
            None => self.retry_copy_job(req),
        }
    }

    /// A request of the clusters' own could not be queued (its node is down or its line
    /// full): it tries again a little later.
    pub(in crate::sim) fn retry_copy_job(&mut self, req: ReqRef) {
        let at = self.kernel.now.plus(COPY_RETRY);
        self.req_mut(req).state = ReqState::Transit;
        self.kernel.events.push(at, Event::CopyRetry { req });
    }

    /// Built-in component `part`'s own request `req` was served at its station `index`:
    /// it goes on where the kind says, or is over (and the kind may start the next one).
    pub(super) fn own_request_served(&mut self, req: ReqRef, part: u8, index: u16) {
        let mark = self.request_in(req).copy_job;
        let ctx = &mut BuiltInCtx {
            kernel: &mut self.kernel,
            stations: &mut self.stations,
            me: part,
        };
        match self.built_ins[usize::from(part)].own_served(index, mark, ctx) {
            OwnStep::Onward { mark } => {
                self.req_mut(req).copy_job = mark;
                self.send_copy_job(req);
            }
            OwnStep::Over { next } => {
                self.release(req);
                if let Some(mark) = next {
                    self.start_own_request(mark);
                }
            }
        }
    }
}
