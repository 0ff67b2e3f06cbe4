//! The front half of a request's path: arrival, the component asked before departure (DNS),
//! the CDN edge or the front door, the load balancer and sticky sessions, reaching a station,
//! and the way back to the user.

use super::*;

impl Stack {
    pub(super) fn on_arrival(&mut self) {
        if self.users == 0 {
            return;
        }
        let user = self.kernel.rng.below(self.users) as usize;
        let req = self.start_request(user, false);
        self.ask_then_depart(req, user);
    }

    /// The request of `user` asks the component standing before departure (DNS: the user's
    /// cached answer, or a lookup) and leaves as it says.
    pub(super) fn ask_then_depart(&mut self, req: ReqRef, user: usize) {
        let departure = self.ask_before_departure(Asking::Own { user }, self.kernel.now);
        self.take_departure(req, user as u32, departure);
    }

    /// What the component standing before departure says at `now` (none: leave now).
    #[inline]
    fn ask_before_departure(&mut self, asking: Asking, now: SimTime) -> Departure {
        match self.before_departure {
            Some(part) => self.built_ins[usize::from(part)].on_depart(asking, now),
            None => Departure::Leave { at: now },
        }
    }

    /// Does what the component standing before departure decided for `req` of `user`: it
    /// leaves, or waits for an answer (one event carrying the request).
    #[inline]
    fn take_departure(&mut self, req: ReqRef, user: u32, departure: Departure) {
        match departure {
            Departure::Leave { at } => self.depart(req, at),
            Departure::Wait { until, tag, lane } => {
                let answer = Event::Answered { req, user, tag };
                self.kernel.events.push_in(lane, until, answer);
            }
        }
    }

    /// A new request of `user`: its kind, key and fan-out drawn, counted as generated.
    /// A request `handed_over` by stage 11's geoDNS layer was counted (and its user's
    /// activity too) when it was handed over.
    pub(super) fn start_request(&mut self, user: usize, handed_over: bool) -> ReqRef {
        let kind = RequestKind::ALL[self.mix.pick(&mut self.kernel.rng)];
        // The key is drawn by the databases for the kind's store.
        let store = self.routes.of(kind).store;
        let key = if kind.touches_data() {
            let stores = &self.built_ins[usize::from(DATABASES)];
            stores.draw_key(store, &mut self.kernel.rng)
        } else {
            0
        };
        let req = self.allocate(kind, key);
        // A share of the data requests belongs to the NoSQL store (feeds, sessions, counters).
        let nosql = match self.routes.of(kind).nosql_share {
            Some(share) => self.kernel.rng.unit() < share,
            None => false,
        };
        if nosql {
            self.req_mut(req).nosql = true;
        } else if self.built_ins[usize::from(DATABASES)].draws_fan_out(
            store,
            kind,
            &mut self.kernel.rng,
        ) {
            // A read that joins data of every shard of its store.
            self.req_mut(req).fanout_next = 0;
        }
        self.req_mut(req).user = user as u32;
        if let Some(c) = self.clients.as_mut() {
            c.attempts += 1;
        }
        if handed_over {
            if let Some(site) = self.site.as_mut() {
                site.handed_over_waiting -= 1;
            }
            return req;
        }
        for &i in &self.user_watchers {
            self.built_ins[usize::from(i)].user_sent(user);
        }
        self.kernel.books.generated += 1;
        self.kernel.interval.generated += 1;
        req
    }

    /// Stage 11: the geoDNS layer sends a request of `user` from `region` here, arriving now
    /// (the world's now: not before this data center's). With `lookup`, the request's lookup
    /// starts now and it is handed over when the answer comes, as the component standing
    /// before departure says ([`Asking::LookupFor`]: failing if geoDNS dies meanwhile); with
    /// `ready_ms > 0` it waits for an earlier lookup of the user's ([`Asking::Pending`]).
    /// Handed-over requests go after this data center's own events at the same time, so the
    /// order does not depend on how far it has run.
    #[inline]
    pub(in crate::sim) fn hand_over(
        &mut self,
        now: SimTime,
        user: u32,
        region: u8,
        lookup: bool,
        ready_ms: u32,
    ) {
        debug_assert!(now >= self.kernel.now);
        // Counted now, when the user sends it, whether or not this data center has got there.
        self.kernel.books.generated += 1;
        self.kernel.interval.generated += 1;
        if let Some(site) = self.site.as_mut() {
            site.handed_over_waiting += 1;
        }
        // Asked at the world's now, which this data center may not have reached yet.
        let departure = if lookup {
            self.ask_before_departure(Asking::LookupFor, now)
        } else {
            Departure::Leave { at: now }
        };
        match departure {
            Departure::Wait { until, tag, lane } => {
                let sent = now.into();
                let answered = Event::InjectAnswered {
                    user,
                    tag,
                    region,
                    sent,
                };
                self.kernel.events.push_last_in(lane, until, answered);
            }
            Departure::Leave { at } => {
                let inject = Event::Inject {
                    user,
                    ready_ms,
                    region,
                };
                self.kernel.events.push_last_in(Lane::Handover, at, inject);
            }
        }
    }

    pub(super) fn on_inject(&mut self, user: u32, ready_ms: u32, region: u8) {
        let req = self.start_request(user as usize, true);
        self.req_mut(req).region = region;
        let ready = SimTime::from_micros(u64::from(ready_ms) * 1000);
        let departure = self.ask_before_departure(Asking::Pending { ready }, self.kernel.now);
        self.take_departure(req, user, departure);
    }

    pub(super) fn on_inject_answered(&mut self, user: u32, tag: u32, region: u8, sent: SimTime) {
        let req = self.start_request(user as usize, true);
        let r = self.req_mut(req);
        r.region = region;
        r.start = sent;
        self.on_answered(req, user, tag);
    }

    /// Stage 11: geoDNS died; the lookups it has under way here get no answer.
    pub(in crate::sim) fn answers_lost(&mut self) {
        if let Some(part) = self.before_departure {
            self.built_ins[usize::from(part)].answers_lost();
        }
    }

    /// One way between the user of `req` and this system.
    pub(super) fn client_leg(&self, req: ReqRef) -> SimDuration {
        let region = usize::from(self.kernel.requests[req.slot as usize].region);
        match self
            .site
            .as_ref()
            .and_then(|site| site.region_far.get(region))
        {
            Some(far) => self.client_one_way.plus(*far),
            None => self.client_one_way,
        }
    }

    /// The answer `req` waited for before departing is due: it leaves now, or fails as the
    /// component standing before departure says (DNS: if it was down when asked or has died
    /// since; the user's next request must look up again — at stage 11 the geoDNS layer
    /// forgot the user's answer itself).
    pub(super) fn on_answered(&mut self, req: ReqRef, user: u32, tag: u32) {
        let Some(r) = self.get(req) else { return };
        let (state, start) = (r.state, r.start);
        if state == ReqState::Abandoned {
            self.release(req);
            return;
        }
        let now = self.kernel.now;
        let Some(part) = self.before_departure else {
            // Only that component's `Wait` schedules this event.
            self.depart(req, now);
            return;
        };
        let id = self.built_in_ids[usize::from(part)];
        self.push_hop(req, id, start, now);
        if self.expired(req) {
            return;
        }
        match self.built_ins[usize::from(part)].on_answer(user, tag, now) {
            Ok(()) => self.depart(req, now),
            Err(outcome) => self.fail(req, outcome, now),
        }
    }

    /// The request leaves the user at `at`, the way its route says: to the CDN edge (static
    /// assets, when there is one) or to the front door (balancer or the one server).
    pub(super) fn depart(&mut self, req: ReqRef, at: SimTime) {
        if self.clients.is_some() {
            // Retrying clients give up on time wherever the attempt is, so that their retry
            // goes out while the system may still work on the attempt they gave up.
            let deadline = self.kernel.requests[req.slot as usize]
                .start
                .plus(self.timeout);
            self.schedule_timeout(deadline, req);
        }
        let kind = self.kernel.requests[req.slot as usize].kind;
        if self.routes.of(kind).via_edge {
            let part = self.entry.expect("a route through the CDN edge");
            let arrive = at.plus(self.built_ins[usize::from(part)].one_way());
            self.kernel
                .events
                .push(arrive, Event::ReachEntry { req, part });
            return;
        }
        let leg = self.client_leg(req);
        self.send_to_front_door(req, at.plus(leg));
    }

    /// A request reaches the component at the front door (the load balancer): it sends it
    /// on to a server of the request's web pool — through the gate standing between them,
    /// if any — or turns it away, as it decides.
    pub(super) fn on_reach_door(&mut self, req: ReqRef) {
        if !self.still_wanted(req) {
            return;
        }
        let now = self.kernel.now;
        let Request { kind, user, .. } = self.request_in(req);
        let pool = self.routes.of(kind).pool;
        let door = usize::from(self.door);
        let id = self.built_in_ids[door];
        let (member, after) = match self.pass_door(pool, user) {
            Pass::Send { member, after } => (member, after),
            Pass::Refuse(outcome) => {
                self.push_hop(req, id, now, now);
                let leg = self.client_leg(req);
                self.fail(req, outcome, now.plus(leg));
                return;
            }
        };
        let mut leave = now.plus(after);
        self.push_hop(req, id, now, leave);
        if let Some(gate) = self.routes.of(kind).gate_pool {
            // A registered component (a rate limiter) stands between the door and the pool.
            match self.pass_gate(req, gate, leave) {
                Some(delay) => {
                    // Only a gate in front of the door holds requests (`LeaveGate` cuts them
                    // if it dies meanwhile): no kind a door may feed answers `Delay`.
                    debug_assert_eq!(delay, SimDuration::ZERO, "a pool gate held a request");
                    leave = leave.plus(delay);
                }
                None => return,
            }
        }
        let station = self.built_ins[door].send(pool, member);
        let r = self.req_mut(req);
        r.set_flag(VIA_DOOR, true);
        r.web = station;
        r.station = station;
        self.kernel.events.push_in(
            Lane::FromDoor,
            leave.plus(self.internal_one_way),
            Event::Reach { req, station },
        );
    }

    pub(super) fn on_reach(&mut self, req: ReqRef, station: u16) {
        if !self.still_wanted(req) {
            return;
        }
        let now = self.kernel.now;
        let (component, tier, index) = self.station_info[usize::from(station)];
        let Tier::Kind(part) = tier;
        let holds = self.holds(tier);
        {
            let r = self.req_mut(req);
            r.station = station;
            r.reached = now;
            if holds {
                r.web = station;
            }
        }
        if holds && self.stations[usize::from(station)].alive {
            // Its kind hears that the station takes it (the web server: the user's sticky
            // session).
            let user = self.kernel.requests[req.slot as usize].user;
            self.built_ins[usize::from(part)].station_reached(index, user, &self.stations);
        }
        let copy_job = self.kernel.requests[req.slot as usize].copy_job != NONE;
        // A worker's write to the database has no client waiting on it.
        let job_write = self.kernel.requests[req.slot as usize].has(JOB_WRITE);
        let s = &mut self.stations[usize::from(station)];
        if copy_job && !(s.alive && (s.has_free_worker() || s.has_room())) {
            self.retry_copy_job(req);
            return;
        }
        let error_ratio = if s.alive && !copy_job {
            s.error_ratio
        } else {
            0.0
        };
        if error_ratio > 0.0 && self.kernel.rng.unit() < error_ratio {
            // A flaky node answers this one with an error at once.
            self.stations[usize::from(station)].errors_injected += 1;
            self.breaker_refused(req, part, index);
            self.push_hop(req, component, now, now);
            let at = self.answer_time(req, now, tier);
            self.fail(req, self.refused_as(tier), at);
            return;
        }
        let s = &mut self.stations[usize::from(station)];
        if !s.alive {
            s.refused += 1;
            self.breaker_refused(req, part, index);
            self.push_hop(req, component, now, now);
            // Its kind says: fail, or go on past it (an unreachable cache is a miss).
            let outcome = match self.built_ins[usize::from(part)].station_down(index) {
                Down::PassOn => return self.pass_on(req),
                Down::Fail(outcome) => outcome,
            };
            let at = self.answer_time(req, now, tier);
            self.fail(req, outcome, at);
            return;
        }
        if s.has_free_worker() {
            self.start_service(req, station);
        } else if s.has_room() {
            s.account(now);
            s.line.push_back(req);
            s.waiting += 1;
            s.max_waiting = s.max_waiting.max(s.waiting);
            let lazy_timeout = !copy_job && !job_write && self.clients.is_none();
            let r = self.req_mut(req);
            r.state = ReqState::Queued;
            if lazy_timeout {
                let deadline = r.start.plus(self.timeout);
                self.schedule_timeout(deadline, req);
            }
        } else {
            s.rejected += 1;
            self.breaker_refused(req, part, index);
            self.push_hop(req, component, now, now);
            let at = self.answer_time(req, now, tier);
            self.fail(req, Outcome::QueueFull, at);
        }
    }

    /// How a request fails at a station of `tier` (an injected error, a station down).
    pub(super) fn refused_as(&self, tier: Tier) -> Outcome {
        let Tier::Kind(part) = tier;
        self.built_ins[usize::from(part)].refuses_as()
    }

    /// When an answer sent at `now` from a component of `tier` reaches the user, recording the
    /// return hops (the station holding it — a web server —, the balancer) on the way.
    pub(super) fn answer_time(&mut self, req: ReqRef, now: SimTime, tier: Tier) -> SimTime {
        let r = self.kernel.requests[req.slot as usize];
        if !self.holds(tier) && r.web != NONE {
            return self.answer_from_web(req, now.plus(self.internal_one_way));
        }
        self.answer_after_web(req, now)
    }

    /// The answer of `req`, at its web server at `t` on its way back: when it reaches the user.
    pub(super) fn answer_from_web(&mut self, req: ReqRef, t: SimTime) -> SimTime {
        let web = self.station_info[usize::from(self.kernel.requests[req.slot as usize].web)].0;
        self.push_hop(req, web, t, t);
        self.answer_after_web(req, t)
    }

    /// The answer of `req`, leaving its web server at `t`: when it reaches the user.
    pub(super) fn answer_after_web(&mut self, req: ReqRef, mut t: SimTime) -> SimTime {
        let r = self.kernel.requests[req.slot as usize];
        if r.has(VIA_DOOR) {
            // Back through the component at the door (the load balancer).
            t = t.plus(self.internal_one_way);
            let door = usize::from(self.door);
            let leave = t.plus(self.built_ins[door].pass_back());
            self.push_hop(req, self.built_in_ids[door], t, leave);
            t = leave;
        }
        if r.has(VIA_CDN) {
            return self.answer_via_edge(req, t);
        }
        t.plus(self.client_leg(req))
    }

    /// `req` is answered by `tier` now. From the data tier the answer first travels back to
    /// the request's web server — an event, so that a web server dying meanwhile (which fails
    /// the requests it was waiting on) relays nothing.
    pub(super) fn answer(&mut self, req: ReqRef, now: SimTime, tier: Tier) {
        let holds = self.holds(tier);
        let r = self.req_mut(req);
        if !holds && r.web != NONE {
            r.state = ReqState::Transit;
            self.kernel.events.push_in(
                Lane::Internal,
                now.plus(self.internal_one_way),
                Event::BackAtWeb { req },
            );
            return;
        }
        let at = self.answer_time(req, now, tier);
        self.complete(req, at);
    }

    pub(super) fn on_back_at_web(&mut self, req: ReqRef) {
        if !self.still_wanted(req) {
            return;
        }
        let at = self.answer_from_web(req, self.kernel.now);
        self.complete(req, at);
    }
}

impl Stack {
    /// A request reaches the built-in component `part` standing first on its route (the
    /// CDN edge): it answers it, holds it, or sends it on, as it decides.
    pub(super) fn on_reach_entry(&mut self, req: ReqRef, part: u8) {
        if !self.still_wanted(req) {
            return;
        }
        let Request { kind, mut key, .. } = self.request_in(req);
        let step = self.built_ins[usize::from(part)].on_request(kind, &mut key, &mut self.kernel);
        self.req_mut(req).key = key;
        self.take_step(req, part, step);
    }

    /// A request the built-in component `part` held is due (see [`Step::Hold`]).
    pub(super) fn on_held(&mut self, req: ReqRef, part: u8, tag: u32) {
        if !self.still_wanted(req) {
            return;
        }
        let (key, now) = (self.request_in(req).key, self.kernel.now);
        let step = self.built_ins[usize::from(part)].on_held(key, tag, now);
        self.take_step(req, part, step);
    }

    /// Does what the built-in component `part` decided for a request: the answer on its way
    /// to the user, the request on to the front door, or an event when a hold is over.
    #[inline]
    fn take_step(&mut self, req: ReqRef, part: u8, step: Step) {
        let id = self.built_in_ids[usize::from(part)];
        match step {
            Step::Answer { from, to, at } => {
                self.push_hop(req, id, from, to);
                self.complete(req, at);
            }
            Step::Onward {
                from,
                to,
                leaves,
                fetch,
            } => {
                if fetch {
                    self.req_mut(req).set_flag(VIA_CDN, true);
                }
                self.push_hop(req, id, from, to);
                self.send_to_front_door(req, leaves.plus(self.client_one_way));
            }
            Step::Hold { until, tag } => {
                let event = Event::Held { req, part, tag };
                self.kernel.events.push(until, event);
            }
        }
    }

    /// The origin answered a request (see `BuiltIn::origin_served`): the component first
    /// on the routes through the CDN edge, if any, is told.
    #[inline]
    pub(super) fn origin_served(&mut self, kind: RequestKind, via_cdn: bool, key: u32) {
        let now = self.kernel.now;
        if let Some(part) = self.entry {
            self.built_ins[usize::from(part)].origin_served(kind, via_cdn, key, now);
        }
    }

    /// Purges every object from the edge now.
    pub fn cdn_purge_all(&mut self) {
        if let Some(edge) = self.edge_mut() {
            edge.purge_all();
        }
        self.log_event(
            "cdn",
            "cdn: every object purged; the next requests go to the origin".into(),
        );
    }

    /// Publishes a new version of `object` (a new URL, e.g. `image.png?v=2`): the edge's copy
    /// of the old URL is never asked for again.
    pub fn cdn_new_version(&mut self, object: u32) {
        if let Some(v) = self.edge_mut().and_then(|e| e.new_version(object)) {
            self.log_event(
                "cdn",
                format!("cdn: object {object} published as version {v}; the old URL is no longer requested"),
            );
        }
    }

    /// When an answer leaving the front door at `t` reaches the user: through the edge for
    /// an asset it fetched, else straight.
    pub(in crate::sim) fn answer_via_edge(&mut self, req: ReqRef, t: SimTime) -> SimTime {
        let Some(part) = self.entry else {
            return t.plus(self.client_one_way);
        };
        let at_edge = t.plus(self.client_one_way);
        let one_way = self.built_ins[usize::from(part)].one_way();
        let id = self.built_in_ids[usize::from(part)];
        self.push_hop(req, id, at_edge, at_edge);
        at_edge.plus(one_way)
    }

    /// The CDN edge, among the built-in kinds' components (`None`: no CDN).
    fn edge_mut(&mut self) -> Option<&mut EdgeTier> {
        self.built_ins.iter_mut().find_map(BuiltInPart::get_mut)
    }

    /// Sends a request into the system's front door (balancer, or the only web server) at `at`.
    pub(in crate::sim) fn send_to_front_door(&mut self, req: ReqRef, at: SimTime) {
        let Request { kind, region, .. } = self.request_in(req);
        let lane = Lane::FrontDoor { region };
        if let Some(gate) = self.routes.of(kind).gate_front {
            // A registered component (a rate limiter) stands in front of the door.
            let event = Event::ReachGate { req, gate };
            self.kernel.events.push_in(lane, at, event);
            return;
        }
        self.enter_front_door(req, at);
    }

    /// A request reaches the registered component `gate` in front of the front door: on
    /// through the door, later, or failed, as it decides.
    pub(super) fn on_reach_gate(&mut self, req: ReqRef, gate: u8) {
        if !self.still_wanted(req) {
            return;
        }
        let now = self.kernel.now;
        match self.pass_gate(req, gate, now) {
            Some(SimDuration::ZERO) => self.enter_front_door(req, now),
            Some(delay) => {
                // Held: it leaves later, if the component is still the one that took it.
                let Request { region, .. } = self.request_in(req);
                let life = self.plug_deaths[usize::from(gate)];
                let event = Event::LeaveGate { req, gate, life };
                let lane = Lane::FrontDoor { region };
                self.kernel.events.push_in(lane, now.plus(delay), event);
            }
            None => {}
        }
    }

    /// A request held by the registered component `gate` leaves it for the front door —
    /// or fails there (`server_down`) if the component died while holding it.
    pub(super) fn on_leave_gate(&mut self, req: ReqRef, gate: u8, life: u32) {
        if !self.still_wanted(req) {
            return;
        }
        let now = self.kernel.now;
        if self.plug_deaths[usize::from(gate)] != life {
            let leg = self.client_leg(req);
            self.fail(req, Outcome::ServerDown, now.plus(leg));
            return;
        }
        self.enter_front_door(req, now);
    }

    /// Hands a request to the registered component `gate` (reached at `at`, now or a
    /// moment later on its way): how long it holds it before it goes on, or `None` when it
    /// turned it away (then failed here, the answer on its way back to the user).
    pub(super) fn pass_gate(&mut self, req: ReqRef, gate: u8, at: SimTime) -> Option<SimDuration> {
        let kind = self.kernel.requests[req.slot as usize].kind;
        let id = self.plug_component(gate);
        let kernel = &mut self.kernel;
        let name = &self.components[usize::from(id.0)].name;
        let ctx = &mut PlugCtx {
            kernel,
            me: gate,
            name,
        };
        let verdict = self.plugs[usize::from(gate)].on_request(kind, ctx);
        match verdict {
            Verdict::Pass => {
                self.push_hop(req, id, at, at);
                Some(SimDuration::ZERO)
            }
            Verdict::Delay(delay) => {
                self.push_hop(req, id, at, at.plus(delay));
                Some(delay)
            }
            Verdict::Reject(outcome) => {
                self.push_hop(req, id, at, at);
                let leg = self.client_leg(req);
                self.fail(req, outcome, at.plus(leg));
                None
            }
        }
    }

    /// The front door (the component at the door, or the pool's first server) takes a
    /// request at `at`.
    fn enter_front_door(&mut self, req: ReqRef, at: SimTime) {
        let Request { kind, region, .. } = self.request_in(req);
        let lane = Lane::FrontDoor { region };
        let Route { front, pool, .. } = *self.routes.of(kind);
        match front {
            Door::Component => {
                self.kernel
                    .events
                    .push_in(lane, at, Event::ReachDoor { req });
            }
            Door::Server => {
                // No component picks: the kind that holds the requests says which of its
                // stations takes it (the pool's first server).
                let Some(station) = self.station_for(req, self.holder, pool) else {
                    unreachable!("a web pool without a server")
                };
                self.req_mut(req).station = station;
                self.kernel
                    .events
                    .push_in(lane, at, Event::Reach { req, station });
            }
        }
    }
}
