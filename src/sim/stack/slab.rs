//! The request slab: slots allocated and freed with generations, recorded hops of sampled
//! requests, and the lazy client-timeout checks every handler starts with.

use super::*;

impl Stack {
    pub(in crate::sim) fn allocate(&mut self, kind: RequestKind, key: u32) -> ReqRef {
        let (slot, seq) = self.kernel.take_slot();
        let sampled = self.kernel.sampled(seq);
        let r = &mut self.kernel.requests[slot as usize];
        r.state = ReqState::Transit;
        r.kind = kind;
        r.key = key;
        r.sampled = sampled;
        r.flags = 0;
        r.hop_count = 0;
        r.region = 0;
        r.station = NONE;
        r.web = NONE;
        r.fill = NONE;
        r.fanout_next = NONE;
        r.copy = 0;
        r.nosql = false;
        r.copy_job = NONE;
        r.start = self.kernel.now;
        r.attempt = 1;
        let gen = r.gen;
        if sampled {
            // Its sequence number lives with its hops, not in its slot.
            self.kernel.start_trace(slot as usize, seq);
        }
        ReqRef { slot, gen }
    }

    /// Thinning of the peak-rate arrival stream to the profile's rate now.
    pub(super) fn arrival_now_in_profile(&mut self) -> bool {
        let profile = &self.scenario.traffic.profile;
        in_profile(
            &mut self.kernel.rng,
            profile,
            self.profile_max,
            self.kernel.now,
        )
    }

    /// Records a hop of a sampled request.
    #[inline]
    pub(in crate::sim) fn push_hop(
        &mut self,
        req: ReqRef,
        component: ComponentId,
        enter: SimTime,
        leave: SimTime,
    ) {
        self.push_hop_slot(req.slot as usize, component, enter, leave);
    }

    /// Records a hop of the request in `slot` if it is sampled: the check inline at every
    /// hop, the recording out of line (most requests are not sampled: the CLI samples none,
    /// the page one in a few hundred at stage 11).
    #[inline]
    pub(super) fn push_hop_slot(
        &mut self,
        slot: usize,
        component: ComponentId,
        enter: SimTime,
        leave: SimTime,
    ) {
        if self.kernel.requests[slot].sampled {
            self.record_hop(slot, component, enter, leave);
        }
    }

    #[cold]
    #[inline(never)]
    fn record_hop(&mut self, slot: usize, component: ComponentId, enter: SimTime, leave: SimTime) {
        let r = &mut self.kernel.requests[slot];
        if usize::from(r.hop_count) < MAX_HOPS {
            let hop = usize::from(r.hop_count);
            r.hop_count += 1;
            self.kernel.trace_mut(slot)[hop] = Hop {
                component,
                enter,
                leave,
            };
        }
    }

    /// A request arriving somewhere whose client has already given up fails as a timeout
    /// (counted at its deadline). Returns true when that happened.
    ///
    /// Client timeouts are lazy: a timeout event is scheduled only for requests that join a
    /// waiting line; every other request is checked when it next moves. This keeps the event
    /// queue at the size of the work in progress instead of rate × timeout.
    pub(in crate::sim) fn expired(&mut self, req: ReqRef) -> bool {
        let r = &self.kernel.requests[req.slot as usize];
        if r.copy_job != NONE || r.has(JOB_WRITE) {
            return false; // a copy job or a job's write has no client to give up
        }
        if self.kernel.now.since(r.start) > self.timeout {
            self.fail(req, Outcome::Timeout, self.kernel.now);
            return true;
        }
        false
    }

    /// Schedules the client's deadline for `req` (a [`Event::ClientTimeout`]); when the
    /// queue's deadlines have grown enough, first drops those of requests that have ended
    /// (their slot freed: handling them would do nothing), so the deadlines held stay about
    /// as many as the requests under way instead of every request of the last timeout.
    pub(in crate::sim) fn schedule_timeout(&mut self, deadline: SimTime, req: ReqRef) {
        if self
            .kernel
            .events
            .push_timeout(deadline, Event::ClientTimeout { req })
        {
            let requests = &self.kernel.requests;
            self.kernel.events.retain_timeouts(|event| match *event {
                Event::ClientTimeout { req } => {
                    let r = &requests[req.slot as usize];
                    r.gen == req.gen && r.state != ReqState::Free
                }
                _ => true,
            });
        }
    }

    /// A request arrives somewhere: false (and it is dealt with) if it is stale, its client
    /// gave up earlier (freed now), or its client gives up now (a timeout).
    pub(in crate::sim) fn still_wanted(&mut self, req: ReqRef) -> bool {
        let Some(r) = self.get(req) else {
            return false;
        };
        if r.state == ReqState::Abandoned {
            self.release(req);
            return false;
        }
        !self.expired(req)
    }

    pub(in crate::sim) fn get(&self, req: ReqRef) -> Option<&Request> {
        self.kernel
            .requests
            .get(req.slot as usize)
            .filter(|r| r.gen == req.gen && r.state != ReqState::Free)
    }

    /// When the user sent the first attempt of the request in `slot`.
    pub(super) fn first_start(&self, slot: usize) -> SimTime {
        let r = &self.kernel.requests[slot];
        if r.attempt > 1 {
            self.first_starts[slot]
        } else {
            r.start
        }
    }

    pub(in crate::sim) fn req_mut(&mut self, req: ReqRef) -> &mut Request {
        &mut self.kernel.requests[req.slot as usize]
    }

    /// The request in `req`'s slot (whatever its generation).
    pub(in crate::sim) fn request_in(&self, req: ReqRef) -> Request {
        self.kernel.requests[req.slot as usize]
    }

    pub(in crate::sim) fn release(&mut self, req: ReqRef) {
        if self.kernel.requests[req.slot as usize].holds_web {
            self.free_web_worker(req);
        }
        let r = &self.kernel.requests[req.slot as usize];
        if r.has(VIA_DOOR) {
            let index = self.station_info[usize::from(r.web)].2;
            self.built_ins[usize::from(self.door)].sent_done(index);
        }
        let r = &mut self.kernel.requests[req.slot as usize];
        r.state = ReqState::Free;
        r.gen = r.gen.wrapping_add(1);
        self.kernel.free_slot(req.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::super::event::SplitTime;
    use super::*;

    /// Every copy of a simulation carries each data center's slab (at stage 11, tens of
    /// thousands of slots after an outage's backlog).
    #[test]
    fn a_request_slot_is_48_bytes() {
        assert_eq!(std::mem::size_of::<Request>(), 48);
    }

    /// Every pending event is copied into and out of the queue; an 8-byte field in one variant
    /// (stage 11's hand-over time) would pad them all to 24 bytes.
    #[test]
    fn an_event_is_20_bytes() {
        assert_eq!(std::mem::size_of::<Event>(), 20);
        let t = SimTime(0x0123_4567_89ab_cdef);
        assert_eq!(SimTime::from(SplitTime::from(t)), t);
    }
}
