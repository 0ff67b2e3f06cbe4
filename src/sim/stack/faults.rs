//! Faults: kill and repair dispatch through the component table (`Part`); what a dying
//! station does to the requests it holds; the event log.

use super::*;

impl Stack {
    pub(in crate::sim) fn kill_with_cause(&mut self, id: ComponentId, cause: &str) {
        if usize::from(id.0) >= self.components.len() || !self.is_alive(id) {
            return;
        }
        let name = self.components[usize::from(id.0)].name.clone();
        let station = match self.parts[usize::from(id.0)] {
            Part::Users => return, // they cannot be killed
            Part::BuiltIn(part) => {
                let then = self.built_ins[usize::from(part)].kill(self.kernel.now);
                self.log_event(&name, format!("{name} down ({cause}){then}"));
                return;
            }
            Part::Plug(plug) => {
                self.plugs[usize::from(plug)].kill(self.kernel.now);
                // The requests it holds fail as they would have left it (`on_leave_gate`).
                let deaths = &mut self.plug_deaths[usize::from(plug)];
                *deaths = deaths.wrapping_add(1);
                self.log_event(&name, format!("{name} down ({cause})"));
                return;
            }
            Part::Member { part, member } => {
                let ctx = &mut BuiltInCtx {
                    kernel: &mut self.kernel,
                    stations: &mut self.stations,
                    me: part,
                };
                // `None`: it cannot be killed (the message queue itself, durable).
                if let Some(then) = self.built_ins[usize::from(part)].kill_member(member, ctx) {
                    self.log_event(&name, format!("{name} down ({cause}){then}"));
                }
                return;
            }
            Part::Station(station) => station,
        };
        let (lost, passed_on) = self.take_down(station);
        let mut text = match passed_on {
            Some(note) => format!("{name} down ({cause}); {note} ({lost} redirected)"),
            None => format!("{name} down ({cause}); {lost} requests in progress failed"),
        };
        let (part, index) = self.station_owner(station);
        let ctx = &mut BuiltInCtx {
            kernel: &mut self.kernel,
            stations: &mut self.stations,
            me: part,
        };
        text.push_str(&self.built_ins[usize::from(part)].station_killed(index, ctx));
        self.log_event(&name, text);
    }

    /// The built-in component whose station `station` is, and the station's index within
    /// its kind.
    fn station_owner(&self, station: u16) -> (u8, u16) {
        let (_, Tier::Kind(part), index) = self.station_info[usize::from(station)];
        (part, index)
    }

    /// Kills a station: requests waiting or in service there, and requests a dying web server
    /// is waiting on the database for, fail (or go on past it: see [`Stack::take_down`]).
    /// Returns how many.
    pub(in crate::sim) fn fail_everything_at(&mut self, station: u16) -> u64 {
        self.take_down(station).0
    }

    /// Kills a station: requests waiting or in service there, and requests a dying web server
    /// is waiting on the database for, fail — or go on past it, when its built-in kind says
    /// so (a cache node). Returns how many, and, when they went on, the kind's note for the
    /// log.
    fn take_down(&mut self, station: u16) -> (u64, Option<&'static str>) {
        let now = self.kernel.now;
        let (component, tier, index) = self.station_info[usize::from(station)];
        let Tier::Kind(part) = tier;
        // Its kind hears first (a web server's sticky sessions go; a cache node's contents).
        if let Some(note) = self.built_ins[usize::from(part)].station_died(index) {
            return (self.pass_on_everything_at(station, part, index), Some(note));
        }
        let outcome = self.refused_as(tier);
        let holds = self.holds(tier);
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.alive = false;
        s.refused_at_death = s.refused;
        s.epoch = s.epoch.wrapping_add(1);
        s.busy = 0;
        s.waiting = 0;
        if holds {
            // Its synchronous workers held for requests further down are let go.
            self.drop_web_holds(station);
        }
        let mut lost = 0;
        while let Some(req) = self.stations[usize::from(station)].line.pop_front() {
            let r = self.kernel.requests[req.slot as usize];
            if r.state == ReqState::Queued && r.copy_job != NONE {
                self.retry_copy_job(req);
            } else if r.state == ReqState::Queued {
                self.push_hop(req, component, now, now);
                let at = self.answer_time(req, now, tier);
                self.fail(req, outcome, at);
                lost += 1;
            } else {
                self.release(req);
            }
        }
        // In-service requests keep their (now stale) completion events, which free them.
        for slot in 0..self.kernel.requests.len() {
            let r = self.kernel.requests[slot];
            let here = r.station == station && r.state == ReqState::InService;
            // A station that holds its requests (a web server) drops, as it dies, those
            // waiting further down.
            let orphaned = holds
                && r.web == station
                && r.station != station
                && matches!(
                    r.state,
                    ReqState::Transit | ReqState::Queued | ReqState::InService
                )
                && r.station != NONE;
            if !(here || orphaned) {
                continue;
            }
            let req = ReqRef {
                slot: slot as u32,
                gen: r.gen,
            };
            if r.copy_job != NONE {
                // Its stale completion event finds it moved on and leaves it alone.
                self.retry_copy_job(req);
                continue;
            }
            if r.state == ReqState::Queued {
                let s = &mut self.stations[usize::from(r.station)];
                s.account(now);
                s.waiting -= 1;
            }
            if here {
                self.push_hop_slot(slot, component, r.reached, now);
            }
            let at = now.plus(self.client_leg(req));
            self.count_failure(req, outcome, at);
            self.kernel.requests[slot].state = ReqState::Abandoned;
            lost += 1;
        }
        (lost, None)
    }

    /// Built-in component `part`'s station `station` (its index `index`) died, and its kind
    /// passes on what it held (a cache node, whose contents its kind dropped): the requests
    /// waiting or in service there go on to the database. Returns how many.
    fn pass_on_everything_at(&mut self, station: u16, part: u8, index: u16) -> u64 {
        let now = self.kernel.now;
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.alive = false;
        s.epoch = s.epoch.wrapping_add(1);
        s.busy = 0;
        s.waiting = 0;
        let mut moved = 0;
        while let Some(req) = self.stations[usize::from(station)].line.pop_front() {
            if self.kernel.requests[req.slot as usize].state == ReqState::Queued {
                self.pass_on_from(req, part, index);
                moved += 1;
            } else {
                self.release(req);
            }
        }
        for slot in 0..self.kernel.requests.len() {
            let r = self.kernel.requests[slot];
            if r.station == station && r.state == ReqState::InService {
                let req = ReqRef {
                    slot: slot as u32,
                    gen: r.gen,
                };
                self.pass_on_from(req, part, index);
                moved += 1;
            }
        }
        moved
    }

    /// `req`, at built-in component `part`'s station `index` that is down, goes on past it
    /// as its kind says (a cache node counts a bypass).
    fn pass_on_from(&mut self, req: ReqRef, part: u8, index: u16) {
        match self.built_ins[usize::from(part)].station_down(index) {
            Down::PassOn => self.pass_on(req),
            Down::Fail(outcome) => {
                let at = self.answer_time(req, self.kernel.now, Tier::Kind(part));
                self.fail(req, outcome, at);
            }
        }
    }

    pub(in crate::sim) fn repair_with_cause(&mut self, id: ComponentId, cause: &str) {
        if let Some(Part::Station(station)) = self.parts.get(usize::from(id.0)).copied() {
            if self.stations[usize::from(station)].slowdown != 1.0 {
                self.slow_with_cause(id, 1.0, cause);
            }
            if self.stations[usize::from(station)].error_ratio != 0.0 {
                self.errors_with_cause(id, 0.0, cause);
            }
        }
        if usize::from(id.0) >= self.components.len()
            || self.is_alive(id)
            || self.site.as_ref().is_some_and(|site| site.down)
        {
            return;
        }
        let name = self.components[usize::from(id.0)].name.clone();
        let station = match self.parts[usize::from(id.0)] {
            Part::Users => return,
            Part::BuiltIn(part) => {
                let then = self.built_ins[usize::from(part)].repair(self.kernel.now);
                self.log_event(&name, format!("{name} back up ({cause}){then}"));
                return;
            }
            Part::Plug(plug) => {
                self.plugs[usize::from(plug)].repair(self.kernel.now);
                self.log_event(&name, format!("{name} back up ({cause})"));
                return;
            }
            Part::Member { part, member } => {
                let ctx = &mut BuiltInCtx {
                    kernel: &mut self.kernel,
                    stations: &mut self.stations,
                    me: part,
                };
                if let Some(then) = self.built_ins[usize::from(part)].repair_member(member, ctx) {
                    self.log_event(&name, format!("{name} back up ({cause}){then}"));
                }
                return;
            }
            Part::Station(station) => station,
        };
        let now = self.kernel.now;
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.alive = true;
        let mut text = format!("{name} back up ({cause})");
        let (part, index) = self.station_owner(station);
        let ctx = &mut BuiltInCtx {
            kernel: &mut self.kernel,
            stations: &mut self.stations,
            me: part,
        };
        text.push_str(&self.built_ins[usize::from(part)].station_repaired(index, ctx));
        self.log_event(&name, text);
    }

    /// A grey failure: from now on component `id` serves `factor` times slower (1: healthy
    /// again). It stays alive, so health checks still pass; a database replica also applies
    /// replicated writes that much slower, so its lag grows. Only stations can be slow.
    pub(in crate::sim) fn slow_with_cause(&mut self, id: ComponentId, factor: f64, cause: &str) {
        if let Some(Part::Plug(plug)) = self.parts.get(usize::from(id.0)).copied() {
            // A registered kind says whether (and how) it can be slow.
            let slow = (factor != 1.0).then_some(factor);
            if self.plugs[usize::from(plug)].slow(slow) {
                let name = self.components[usize::from(id.0)].name.clone();
                let text = match slow {
                    None => format!("{name} at normal speed again ({cause})"),
                    Some(f) => format!("{name} slow ({cause}): ×{f}"),
                };
                self.log_event(&name, text);
            }
            return;
        }
        let Some(Part::Station(station)) = self.parts.get(usize::from(id.0)).copied() else {
            return;
        };
        let now = self.kernel.now;
        let s = &mut self.stations[usize::from(station)];
        if s.slowdown == factor {
            return;
        }
        s.set_slowdown(factor, now);
        let (part, index) = self.station_owner(station);
        self.built_ins[usize::from(part)].station_slowed(index, factor, now);
        let name = self.components[usize::from(id.0)].name.clone();
        let text = if factor == 1.0 {
            format!("{name} at normal speed again ({cause})")
        } else {
            format!("{name} slow ({cause}): every request takes ×{factor} as long; it still passes its health checks")
        };
        self.log_event(&name, text);
    }

    /// A whole data center slowed (stage 11): every station of the stack — web servers, cache,
    /// database and NoSQL nodes, the session store — serves `factor` times slower from now on
    /// (1: normal speed again), as [`Stack::slow_with_cause`] does for one, but logged once by
    /// the caller. Returns how many it set.
    pub(in crate::sim) fn slow_every_station(&mut self, factor: f64) -> usize {
        let now = self.kernel.now;
        let mut set = 0;
        for i in 0..self.parts.len() {
            let Part::Station(station) = self.parts[i] else {
                continue;
            };
            if station == NONE {
                continue;
            }
            let s = &mut self.stations[usize::from(station)];
            if s.slowdown != factor {
                s.set_slowdown(factor, now);
            }
            set += 1;
            let (part, index) = self.station_owner(station);
            self.built_ins[usize::from(part)].station_slowed(index, factor, now);
        }
        set
    }

    /// The slowdown every station of the stack shares now (`None`: some station serves at
    /// normal speed): a data center slowed as a whole.
    pub(in crate::sim) fn every_station_slowed(&self) -> Option<f64> {
        let least = (self.stations.iter())
            .map(|s| s.slowdown)
            .fold(f64::INFINITY, f64::min);
        (least.is_finite() && least > 1.0).then_some(least)
    }

    /// A flaky node: from now on component `id` answers a share `ratio` of the requests
    /// reaching it with an error at once (0: healthy again). It stays alive and passes its
    /// health checks. Only stations can be flaky.
    pub(in crate::sim) fn errors_with_cause(&mut self, id: ComponentId, ratio: f64, cause: &str) {
        let Some(Part::Station(station)) = self.parts.get(usize::from(id.0)).copied() else {
            return;
        };
        let s = &mut self.stations[usize::from(station)];
        if s.error_ratio == ratio {
            return;
        }
        s.error_ratio = ratio;
        let name = self.components[usize::from(id.0)].name.clone();
        let text = if ratio == 0.0 {
            format!("{name} stops failing requests ({cause})")
        } else {
            format!(
                "{name} flaky ({cause}): it fails {:.0}% of its requests; it still passes its health checks",
                ratio * 100.0
            )
        };
        self.log_event(&name, text);
    }

    pub(in crate::sim) fn log_event(&mut self, component: &str, text: String) {
        self.kernel.log_event(self.kernel.now, component, text);
    }
}
