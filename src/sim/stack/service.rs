//! Service at stations and what follows it: the web server's part (session store, cache or
//! database next), what a built-in kind's station decides (a cache lookup), database queries
//! and their commits, and a request's end (completed or failed, its path sample recorded).

use super::*;

impl Stack {
    pub(super) fn start_service(&mut self, req: ReqRef, station: u16) {
        let kind = self.kernel.requests[req.slot as usize].kind;
        let tier = self.station_info[usize::from(station)].1;
        let index = self.station_info[usize::from(station)].2;
        let mark = self.kernel.requests[req.slot as usize].copy_job;
        let Tier::Kind(part) = tier;
        if mark != NONE {
            // A request of the kind's own (a resharding's copy job): its work is the kind's.
            let at = &self.built_ins[usize::from(part)];
            let work = at.own_work(index, mark, &mut self.kernel.rng);
            return self.begin_service(req, station, work);
        }
        let sampler = self.built_ins[usize::from(part)].station_service(index, kind);
        let work = sampler.sample_ns(&mut self.kernel.rng);
        self.begin_service(req, station, work);
    }

    /// A worker of `station` starts `work` ns of service (at speed 1) on `req`.
    pub(super) fn begin_service(&mut self, req: ReqRef, station: u16, work: u64) {
        let now = self.kernel.now;
        let s = &mut self.stations[usize::from(station)];
        let duration = s.service_ns(work);
        s.account(now);
        s.busy += 1;
        s.started += 1;
        let r = &mut self.kernel.requests[req.slot as usize];
        s.wait_sum_ns += u128::from(now.since(r.reached).as_nanos());
        r.state = ReqState::InService;
        let epoch = s.epoch;
        self.kernel.events.push(
            now.plus(SimDuration(duration)),
            Event::ServiceDone {
                req,
                station,
                epoch,
            },
        );
    }

    pub(super) fn on_service_done(&mut self, req: ReqRef, station: u16, epoch: u32) {
        let now = self.kernel.now;
        let s = &mut self.stations[usize::from(station)];
        if !(s.alive && s.epoch == epoch) {
            // The node died during this service; the request was failed (abandoned) or sent
            // elsewhere then. Free it only if it is still held here.
            if let Some(r) = self.get(req) {
                if r.state == ReqState::Abandoned && r.station == station {
                    self.release(req);
                }
            }
            return;
        }
        s.account(now);
        s.served += 1;
        // Synchronous workers: a web worker whose request goes on to the data tier stays held.
        let held = self.sync.is_some()
            && self.scenario.server.sync_calls
            && self.holds(self.station_info[usize::from(station)].1)
            && self.goes_on_from_web(req)
            && self.hold_web_worker(req, station);
        if !held {
            self.stations[usize::from(station)].busy -= 1;
        }
        if let Some(r) = self.get(req) {
            if r.state == ReqState::Abandoned {
                if let Some(c) = self.clients.as_mut() {
                    c.wasted_services += 1;
                }
                self.release(req);
            } else {
                let reached = r.reached;
                let s = &mut self.stations[usize::from(station)];
                s.sojourn_sum_ns += u128::from(now.since(reached).as_nanos());
                let (component, tier, index) = self.station_info[usize::from(station)];
                self.push_hop(req, component, reached, now);
                match tier {
                    // The station that holds it (a web server) has done its part.
                    Tier::Kind(part) if part == self.holder => self.after_web(req),
                    // A request of the kind's own (a resharding's copy job at a master).
                    Tier::Kind(part)
                        if self.kernel.requests[req.slot as usize].copy_job != NONE =>
                    {
                        self.own_request_served(req, part, index);
                    }
                    // A cache node, the session store, a NoSQL store's node, a database node
                    // (whose kinds say what follows: `Served`).
                    Tier::Kind(part) => {
                        if let Some(store) = self.breaker_of(req, part, index) {
                            self.breaker_record(store, Some(now.since(reached)));
                        }
                        self.after_kind_station(req, station, part, index);
                    }
                }
            }
        }
        if !held {
            self.start_next_waiting(station);
        }
    }

    /// Built-in component `part`'s station `station` (its index `index`) has served `req`:
    /// the kind says what follows (a cache: a hit answers, a miss goes on to the database or
    /// waits for a read of its key under way; the session store: back to the web server's
    /// way).
    pub(super) fn after_kind_station(&mut self, req: ReqRef, station: u16, part: u8, index: u16) {
        let now = self.kernel.now;
        let ask = self.ask_of(req);
        let served = if part == DATABASES {
            // The database clusters keep the key versions themselves.
            let at = &mut self.built_ins[usize::from(part)];
            at.station_served(index, req, ask, now, |_| 0, |_| false)
        } else {
            self.served_beside_stores(req, part, index, ask)
        };
        match served {
            Served::Answer => self.answer(req, now, Tier::Kind(part)),
            Served::Resume => {
                self.req_mut(req).set_flag(SESSION_DONE, true);
                self.after_web(req);
            }
            Served::ToStore => {
                self.req_mut(req).fill = station;
                self.send_to_db(req);
            }
            Served::Wait => {
                self.req_mut(req).fill = station;
                self.wait_for_store(req);
            }
            Served::Committed {
                store,
                key_changed,
                last,
            } => self.committed(req, part, store, key_changed, last),
            Served::Read { version, stale } => {
                if stale {
                    self.kernel.interval.stale_reads += 1;
                }
                let r = self.kernel.requests[req.slot as usize];
                if r.fill != NONE {
                    self.store_answered(req, r.fill, r.key, version);
                }
                self.answer(req, now, Tier::Kind(part));
            }
            Served::NextShard => {
                self.req_mut(req).fanout_next += 1;
                self.send_to_db(req);
            }
        }
    }

    /// What the kinds of the request path are told of `req` (see [`Ask`]).
    #[inline(always)]
    fn ask_of(&self, req: ReqRef) -> Ask {
        let r = &self.kernel.requests[req.slot as usize];
        Ask {
            kind: r.kind,
            key: r.key,
            copy: r.copy,
            fanout: (r.fanout_next != NONE).then_some(r.fanout_next),
            own: (r.copy_job != NONE).then_some(r.copy_job),
        }
    }

    /// The database store whose circuit breaker records the call `req` makes at built-in
    /// component `part`'s station `index`: a user's query at a database node (`None`: any
    /// other station, a worker's write, or no breakers).
    #[inline(always)]
    fn breaker_of(&self, req: ReqRef, part: u8, index: u16) -> Option<usize> {
        if self.breakers.is_empty() || part != DATABASES {
            return None;
        }
        let r = &self.kernel.requests[req.slot as usize];
        if r.has(JOB_WRITE) || r.copy_job != NONE {
            return None;
        }
        Some(usize::from(
            self.built_ins[usize::from(part)].group_of(index),
        ))
    }

    /// A call of `req` was refused at built-in component `part`'s station `index` (down, its
    /// line full, an injected error): a user's query at a database node counts against its
    /// store's circuit breaker; a worker's write stays out of the web tier's breakers, as its
    /// commits do.
    #[inline]
    pub(super) fn breaker_refused(&mut self, req: ReqRef, part: u8, index: u16) {
        if let Some(store) = self.breaker_of(req, part, index) {
            self.breaker_record(store, None);
        }
    }

    /// A write committed at a database node of built-in component `part`, in store `store`
    /// ([`Served::Committed`]): a new version of its key is counted and watched (stage 11's
    /// outbox, the kinds that watch commits); then on to its next denormalised copy, or,
    /// the last one done, past the kinds that take writes (the queue publishes its job; a
    /// job's own write publishes none) to its answer.
    fn committed(&mut self, req: ReqRef, part: u8, store: u8, key_changed: bool, last: bool) {
        let now = self.kernel.now;
        let r = self.kernel.requests[req.slot as usize];
        if key_changed {
            self.kernel.interval.writes_committed += 1;
            if let Some(site) = self.site.as_mut() {
                site.outbox.push(now);
            }
            self.key_committed(usize::from(store), r.key);
        }
        let job_write = r.has(JOB_WRITE);
        if !last {
            self.req_mut(req).copy += 1;
            return match job_write {
                true => self.send_job_write(req),
                false => self.send_to_db(req),
            };
        }
        if job_write {
            return self.end_job_write(req, true);
        }
        match self.write_committed() {
            None => self.answer(req, now, Tier::Kind(part)),
            Some(outcome) => {
                let at = self.answer_time(req, now, Tier::Kind(part));
                self.fail(req, outcome, at);
            }
        }
    }

    /// What built-in component `part` (after the databases) says of `req`, served at its
    /// station `index`, lent the databases' key versions.
    #[inline]
    fn served_beside_stores(&mut self, req: ReqRef, part: u8, index: u16, ask: Ask) -> Served {
        let now = self.kernel.now;
        let key = ask.key;
        // The database clusters are built-in component 1, every kind with stations on the
        // request path comes later: split there to lend the one the other's key versions.
        let (head, rest) = self.built_ins.split_at_mut(usize::from(DATABASES) + 1);
        let (stores, requests) = (databases(head), &self.kernel.requests);
        let latest = |store: u8| stores.latest(store, key);
        // Whether request `l` still reads `key` from the store on a station's behalf.
        let leading = |l: ReqRef| {
            requests.get(l.slot as usize).is_some_and(|r| {
                r.gen == l.gen
                    && r.key == key
                    && r.fill != NONE
                    && matches!(
                        r.state,
                        ReqState::Transit | ReqState::Queued | ReqState::InService
                    )
            })
        };
        let at = &mut rest[usize::from(part - DATABASES - 1)];
        at.station_served(index, req, ask, now, latest, leading)
    }

    /// A request at a built-in kind's station that is down goes on past it, to the
    /// database, and nothing comes back through the station ([`Down::PassOn`]).
    pub(super) fn pass_on(&mut self, req: ReqRef) {
        self.req_mut(req).fill = NONE;
        self.send_to_db(req);
    }

    /// The web server has done its part: the request goes on the way its route says — the
    /// session store first, then the NoSQL store (its share), the cache or the data store, or
    /// nowhere (the web server answers).
    pub(super) fn after_web(&mut self, req: ReqRef) {
        let now = self.kernel.now;
        let r = self.kernel.requests[req.slot as usize];
        let kind = r.kind;
        let route = *self.routes.of(kind);
        if route.session && !r.has(SESSION_DONE) {
            if let Some(part) = self.session_step {
                return self.send_to_kind(req, part, 0);
            }
        }
        match route.data {
            DataStep::AtWeb => {
                let at = self.answer_after_web(req, now);
                let refused = match kind {
                    RequestKind::Write => self.write_committed(),
                    _ => None,
                };
                match refused {
                    Some(outcome) => self.fail(req, outcome, at),
                    None => self.complete(req, at),
                }
            }
            _ if r.nosql => {
                let part = self.data_share_part();
                self.send_to_kind(req, part, route.nosql);
            }
            // A read that asks every shard in turn skips the cache.
            DataStep::Cache(cluster) if r.fanout_next == NONE => {
                let Some(part) = self.before_store else {
                    return self.send_to_db(req);
                };
                self.send_to_kind(req, part, cluster);
            }
            DataStep::Cache(_) | DataStep::Store => self.send_to_db(req),
        }
    }

    /// The built-in component whose stations take a share of the data requests (the NoSQL
    /// stores): there is one when a request is routed to such a station.
    #[inline]
    fn data_share_part(&self) -> u8 {
        match self.data_share {
            Some(part) => part,
            None => unreachable!("a NoSQL station without the NoSQL stores"),
        }
    }

    /// Sends `req` to the station of built-in component `part`'s group `group` that its kind
    /// picks, or fails it as the kind refuses ([`Stack::refused_by`]).
    // Inlined into the web server's step, where the step to a cache node was before.
    #[inline(always)]
    fn send_to_kind(&mut self, req: ReqRef, part: u8, group: u8) {
        match self.station_for(req, part, group) {
            Some(station) => self.move_to(req, station),
            None => self.refused_by(req, part),
        }
    }

    /// The station of built-in component `part`'s group `group` that its kind picks for
    /// `req` now (`None`: the kind refuses it, [`BuiltIn::station_for`]).
    #[inline(always)]
    pub(super) fn station_for(&mut self, req: ReqRef, part: u8, group: u8) -> Option<u16> {
        let ask = self.ask_of(req);
        let at = &mut self.built_ins[usize::from(part)];
        at.station_for(group, ask, &self.stations)
    }

    /// Built-in component `part` refused `req` on its way there: it fails at once as the
    /// kind refuses ([`BuiltIn::refuses_as`]), the web server answering with the error.
    fn refused_by(&mut self, req: ReqRef, part: u8) {
        let outcome = self.built_ins[usize::from(part)].refuses_as();
        let at = self.answer_after_web(req, self.kernel.now);
        self.fail(req, outcome, at);
    }

    /// Sends a request over the internal network to `station`.
    pub(in crate::sim) fn move_to(&mut self, req: ReqRef, station: u16) {
        let at = self.kernel.now.plus(self.internal_one_way);
        let r = self.req_mut(req);
        r.state = ReqState::Transit;
        r.station = station;
        self.kernel
            .events
            .push_in(Lane::Internal, at, Event::Reach { req, station });
    }

    /// Sends a query to the database node the web tier would pick (the clusters' kind
    /// picks it), or fails it: its store's circuit breaker is open, or no node can take it.
    pub(super) fn send_to_db(&mut self, req: ReqRef) {
        let store = self
            .routes
            .of(self.kernel.requests[req.slot as usize].kind)
            .store;
        if !self.breakers.is_empty() && !self.breaker_admits(req, usize::from(store)) {
            return;
        }
        match self.station_for(req, DATABASES, store) {
            Some(station) => self.move_to(req, station),
            None => {
                // A refused query is the breaker's too, recorded before the web server answers.
                self.breaker_record(usize::from(store), None);
                self.refused_by(req, DATABASES);
            }
        }
    }

    /// A committed write passes the built-in kinds that take writes (the message queue
    /// publishes its job); `Some(outcome)`: one refused it (the queue was full), and the
    /// write fails so.
    #[inline]
    fn write_committed(&mut self) -> Option<Outcome> {
        for &part in &self.write_takers {
            let ctx = &mut BuiltInCtx {
                kernel: &mut self.kernel,
                stations: &mut self.stations,
                me: part,
            };
            let refused = self.built_ins[usize::from(part)].write_committed(ctx);
            if refused.is_some() {
                return refused;
            }
        }
        None
    }

    /// A write of `key` committed in database `store`: the built-in kinds that watch
    /// commits are told (a cache in front of that database drops its copy, with the
    /// `invalidate` policy).
    #[inline]
    pub(super) fn key_committed(&mut self, store: usize, key: u32) {
        for &part in &self.commit_watchers {
            self.built_ins[usize::from(part)].key_committed(store as u8, key);
        }
    }

    /// Hands the freed worker to the first waiting request whose client is still there.
    pub(super) fn start_next_waiting(&mut self, station: u16) {
        while let Some(next) = self.stations[usize::from(station)].line.pop_front() {
            let state = self.kernel.requests[next.slot as usize].state;
            if state == ReqState::Abandoned {
                self.release(next);
                continue;
            }
            let s = &mut self.stations[usize::from(station)];
            s.account(self.kernel.now);
            s.waiting -= 1;
            self.start_service(next, station);
            return;
        }
    }

    pub(super) fn on_timeout(&mut self, req: ReqRef) {
        let Some(&Request { state, station, .. }) = self.get(req) else {
            return;
        };
        match state {
            ReqState::Transit | ReqState::InService => {}
            ReqState::Queued => {
                let s = &mut self.stations[usize::from(station)];
                s.account(self.kernel.now);
                s.waiting -= 1;
            }
            ReqState::Abandoned | ReqState::Free => return,
        }
        self.count_failure(req, Outcome::Timeout, self.kernel.now);
        self.req_mut(req).state = ReqState::Abandoned;
        if state == ReqState::Queued {
            self.compact_line(station);
        }
    }

    /// Keeps a waiting line's abandoned entries at most as many as its live ones (plus a
    /// little), so memory stays bounded by the line's capacity, not by the arrival rate.
    pub(super) fn compact_line(&mut self, station: u16) {
        let s = &self.stations[usize::from(station)];
        if s.line.len() <= 2 * s.waiting as usize + 64 {
            return;
        }
        for _ in 0..s.line.len() {
            let entry = self.stations[usize::from(station)]
                .line
                .pop_front()
                .expect("counted");
            if self.kernel.requests[entry.slot as usize].state == ReqState::Queued {
                self.stations[usize::from(station)].line.push_back(entry);
            } else {
                self.release(entry);
            }
        }
    }

    /// Answer reaches the user at `at`.
    pub(in crate::sim) fn complete(&mut self, req: ReqRef, at: SimTime) {
        let r = self.kernel.requests[req.slot as usize];
        if at.since(r.start) > self.timeout {
            // The client stopped waiting before the answer could reach it.
            if let Some(c) = self.clients.as_mut() {
                c.late_answers += 1;
            }
            self.fail(req, Outcome::Timeout, at);
            return;
        }
        // What the user waited, from the first attempt.
        let latency = at.since(self.first_start(req.slot as usize));
        if r.web != NONE {
            self.origin_served(r.kind, r.has(VIA_CDN), r.key);
        }
        let ns = latency.as_nanos();
        self.kernel.books.completed += 1;
        self.kernel.interval.completed += 1;
        self.kernel.interval.completed_by_kind[r.kind as usize] += 1;
        self.kernel.books.latency.record(ns);
        self.kernel.books.latency_by_kind[r.kind as usize].record(ns);
        self.kernel.interval_latency.record(ns);
        if !self.completion_watchers.is_empty() {
            // The NoSQL store that served it on the data tier's behalf, if one did.
            let taken_by = r.nosql.then(|| self.routes.of(r.kind).nosql);
            for w in 0..self.completion_watchers.len() {
                let part = usize::from(self.completion_watchers[w]);
                self.built_ins[part].request_completed(r.kind, taken_by, ns);
            }
        }
        if let Some(h) = self
            .site
            .as_mut()
            .and_then(|site| site.region_latency.get_mut(usize::from(r.region)))
        {
            h.record(ns);
        }
        self.record_path(req.slot as usize, &r, Outcome::Ok, at);
        self.release(req);
    }

    /// Counts a failure that the user learns of at `at`, and frees the slot. A client that
    /// gave up before the failure could reach it saw a timeout.
    pub(super) fn fail(&mut self, req: ReqRef, outcome: Outcome, at: SimTime) {
        self.count_failure(req, outcome, at);
        self.release(req);
    }

    /// Counts a failure the user learns of at `at` — as a timeout if the client had given up
    /// by then.
    pub(super) fn count_failure(&mut self, req: ReqRef, outcome: Outcome, at: SimTime) {
        if self.kernel.requests[req.slot as usize].has(JOB_WRITE) {
            // A job's write has no user: its job goes back to the queue.
            self.job_write_ended(req, false);
            return;
        }
        let start = self.kernel.requests[req.slot as usize].start;
        let deadline = start.plus(self.timeout);
        let (outcome, at) = if at > deadline {
            (Outcome::Timeout, deadline)
        } else {
            (outcome, at)
        };
        if self.clients.is_some() && self.retry_later(req, outcome, at) {
            return;
        }
        self.kernel.books.failed[outcome.failure_index()] += 1;
        self.kernel.interval.failed += 1;
        let r = self.kernel.requests[req.slot as usize];
        self.record_path(req.slot as usize, &r, outcome, at.max(self.kernel.now));
    }

    pub(super) fn record_path(&mut self, slot: usize, r: &Request, outcome: Outcome, end: SimTime) {
        if !r.sampled {
            return;
        }
        // Hops planned past the moment the user stopped waiting are cut there.
        let mut hops = self.kernel.trace(slot);
        let seq = self.kernel.trace_seq(slot);
        let mut hop_count = 0;
        for hop in &mut hops[..usize::from(r.hop_count)] {
            if hop.enter > end {
                break;
            }
            hop.leave = hop.leave.min(end);
            hop_count += 1;
        }
        self.kernel.keep_path(PathSample {
            seq,
            kind: r.kind,
            outcome,
            start: r.start,
            end,
            region: r.region,
            hops,
            hop_count,
        });
    }
}
