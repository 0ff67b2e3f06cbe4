//! Reading a stack's state (snapshot, footprint, in-flight tallies) and its implementation of
//! the public [`Engine`] API.

use super::*;

impl Stack {
    /// Requests generated and neither completed nor failed: counted from the slab itself, so
    /// conservation checks compare two independent tallies.
    pub(in crate::sim) fn in_flight_counted(&self) -> u64 {
        self.site
            .as_ref()
            .map_or(0, |site| site.handed_over_waiting)
            + self.clients.as_ref().map_or(0, |c| c.waiting())
            + self
                .kernel
                .requests
                .iter()
                .filter(|r| {
                    r.copy_job == NONE
                        && !r.has(JOB_WRITE)
                        && matches!(
                            r.state,
                            ReqState::Transit | ReqState::Queued | ReqState::InService
                        )
                })
                .count() as u64
    }

    /// Requests under way that web station `station` answers (queued or served there, or
    /// waiting on the data tier, or on their way to it).
    pub(in crate::sim) fn requests_of_web(&self, station: u16) -> u64 {
        self.kernel
            .requests
            .iter()
            .filter(|r| {
                r.web == station
                    && matches!(
                        r.state,
                        ReqState::Transit | ReqState::Queued | ReqState::InService
                    )
            })
            .count() as u64
    }

    /// The built-in kinds' figures of station `station`, serving a component of `kind` (a
    /// web server's place in the balancer's pool, retirement, deploy step; a cache node's
    /// items; a database node's role and lag now).
    pub(super) fn station_figures(
        &self,
        station: u16,
        kind: ComponentKind,
        state: &mut ComponentState,
    ) {
        let index = self.station_info[usize::from(station)].2;
        for part in &self.built_ins {
            part.station_state(kind, index, state);
        }
        for part in &self.built_ins {
            part.station_state_at(kind, index, self.kernel.now, state);
        }
    }

    /// State of the components without a station of their own (edge, queue, workers).
    pub(super) fn fill_special_state(&self, state: &mut ComponentState) {
        let part = self.parts[usize::from(state.id.0)];
        if let Part::Plug(plug) = part {
            self.plugs[usize::from(plug)].state(self.kernel.now, state);
            return;
        }
        match part {
            Part::BuiltIn(part) => self.built_ins[usize::from(part)].state(state),
            Part::Member { part, member } => {
                self.built_ins[usize::from(part)].member_state(member, state)
            }
            _ => {}
        }
    }

    /// [`Sim::snapshot`] of one data center's stack.
    pub(in crate::sim) fn snapshot_single(&self) -> Snapshot {
        let failed: u64 = self.kernel.books.failed.iter().sum();
        let recent = self.last_point.as_ref();
        let components = self
            .components
            .iter()
            .map(|c| {
                let mut state = ComponentState {
                    id: c.id,
                    alive: self.is_alive(c.id),
                    ..ComponentState::default()
                };
                if let Some(si) = self.station_of_component(c.id) {
                    let s = &self.stations[usize::from(si)];
                    state.busy_workers = s.busy;
                    state.workers = s.workers;
                    state.queue_len = s.waiting;
                    state.queue_capacity = s.capacity;
                    state.utilization = s.last_interval.utilization(s.workers);
                    state.slowdown = (s.slowdown != 1.0).then_some(s.slowdown);
                    state.error_ratio = (s.error_ratio != 0.0).then_some(s.error_ratio);
                    self.station_figures(si, c.kind, &mut state);
                }
                self.fill_special_state(&mut state);
                state
            })
            .collect();
        // The first breaker that is not closed, else the first.
        let breaker = (self.breakers.iter())
            .position(|b| b.state() != crate::sim::BreakerState::Closed)
            .unwrap_or(0);
        let mut snapshot = Snapshot {
            time_s: self.kernel.now.as_secs_f64(),
            requests_total: self.kernel.books.generated,
            requests_completed: self.kernel.books.completed,
            requests_failed: failed,
            in_flight: self.kernel.books.generated - self.kernel.books.completed - failed,
            latency_p50_ms: self.kernel.books.latency.quantile_ms(0.5),
            latency_p99_ms: self.kernel.books.latency.quantile_ms(0.99),
            latency_mean_ms: self.kernel.books.latency.mean_ms(),
            recent_throughput_per_s: recent.map_or(0.0, |p| p.throughput_per_s),
            recent_latency_p99_ms: recent.map_or(0.0, |p| p.latency_p99_ms),
            recent_failures_per_s: recent
                .map_or(0.0, |p| p.failed as f64 / (self.interval_ns as f64 / 1e9)),
            // Written by the database clusters' component, below.
            writes_lost: 0,
            stale_reads: 0,
            recent_cache_hit_ratio: recent.map_or(0.0, |p| p.cache_hit_ratio),
            recent_cdn_hit_ratio: recent.map_or(0.0, |p| p.cdn_hit_ratio),
            // Written by the message queue's component, below.
            queue_depth: 0,
            recent_active_users: recent.map_or(0, |p| p.active_users),
            recent_page_views_per_s: recent.map_or(0.0, |p| p.page_views_per_s),
            recent_writes_per_s: recent.map_or(0.0, |p| p.writes_per_s),
            logged_out: self.logged_out(),
            // Written by the caches' component, below.
            stale_cache_reads: 0,
            events_processed: self.events_processed,
            held_web_workers: self.held_web_workers(),
            breaker: self.breakers.get(breaker).map(|b| b.state()),
            breaker_store: self.store_name(breaker).map(str::to_string),
            writes_partitioned: 0,
            cut_links: Vec::new(),
            // Written by the caches' component, below.
            stampede: None,
            components,
        };
        // The built-in kinds' own figures (the databases' writes lost and stale reads; the
        // queue's depth; the caches' stale hits and stampede peak).
        for part in &self.built_ins {
            part.snapshot(&mut snapshot);
        }
        snapshot
    }

    /// Users logged out with their sticky sessions' servers so far.
    pub(in crate::sim) fn logged_out(&self) -> u64 {
        self.web().logged_out()
    }

    /// Whether some web server is up and in service (what a health check of the whole data
    /// center sees).
    pub(in crate::sim) fn any_web_alive(&self) -> bool {
        self.web().any_alive(&self.stations)
    }

    /// The monitor, among the built-in kinds' components (`None`: no monitoring).
    pub(in crate::sim) fn monitor(&self) -> Option<&Monitor> {
        self.built_ins.iter().find_map(BuiltInPart::get)
    }

    /// The station of a component (for reports).
    pub(in crate::sim) fn station_of(&self, id: ComponentId) -> Option<&Station> {
        self.station_of_component(id)
            .map(|s| &self.stations[usize::from(s)])
    }
}

impl Engine for Stack {
    /// The scenario this run was built from (with live changes such as users applied).
    fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Current simulated time.
    fn now(&self) -> SimTime {
        self.kernel.now
    }

    /// Every component, in id order.
    fn components(&self) -> &[ComponentInfo] {
        &self.components
    }

    /// Events processed so far.
    fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Records one request in `every` for animation (1 = all). Does not change the run.
    fn set_path_sample_every(&mut self, every: u64) {
        self.kernel.sample_every = every.max(1);
    }

    /// Sampled paths of recent requests, oldest first (at most 512).
    fn recent_paths(&self) -> &VecDeque<PathSample> {
        &self.kernel.paths
    }

    /// The event log, oldest first.
    fn log(&self) -> &VecDeque<LogEntry> {
        &self.kernel.log
    }

    /// Every alert that fired or resolved and is still kept, oldest first (empty without
    /// monitoring). At stage 11 each data center's, its rules named after it ("us-east: …").
    fn alerts(&self) -> Vec<crate::sim::AlertEvent> {
        self.monitor()
            .map_or_else(Vec::new, |m| m.alerts.iter().cloned().collect())
    }

    /// Changes the user population from now on (capped at the validated maximum).
    fn set_users(&mut self, users: u64) {
        let users = users.min(crate::scenario::MAX_USERS);
        self.users = users;
        self.scenario.traffic.users = users;
        for part in &mut self.built_ins {
            part.users_changed(users as usize);
        }
        self.mean_interarrival_ns = mean_interarrival_ns(
            users,
            self.scenario.traffic.requests_per_user_per_s,
            self.profile_max,
        );
        // Poisson arrivals are memoryless: drop the pending arrival and draw afresh.
        self.arrival_epoch = self.arrival_epoch.wrapping_add(1);
        self.schedule_arrival();
    }

    /// Changes the number of servers in service in web pool `pool`. New servers join the
    /// balancer's pool after passing its health checks; removed ones leave the pool at once
    /// and finish what they hold. Without a load balancer the count stays 1.
    fn set_pool_servers(&mut self, pool: usize, count: u32) {
        // The web tier applies it (see `WebTier::resize`).
        if pool < self.web().pools.len() {
            self.resize_part(WEB as u8, pool as u8, count);
        }
    }

    /// Processes every event up to and including time `t`, but at most `max_events`.
    /// Returns the number processed; when the budget runs out, [`Sim::now`] stays below `t`.
    fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64 {
        let mut done = 0;
        while done < max_events {
            let Some((due, at)) = self.kernel.events.due_until(t) else {
                self.kernel.now = self.kernel.now.max(t);
                break;
            };
            let event = self.kernel.events.take_due(due);
            self.kernel.now = at;
            self.handle(event);
            done += 1;
        }
        self.events_processed += done;
        done
    }

    /// Whether a component is up.
    fn is_alive(&self, id: ComponentId) -> bool {
        match self.part(id) {
            None => false,
            Some(Part::Users) => true,
            Some(Part::BuiltIn(part)) => self.built_ins[usize::from(part)].is_alive(),
            Some(Part::Member { part, member }) => {
                self.built_ins[usize::from(part)].member_alive(member)
            }
            Some(Part::Station(s)) => s == NONE || self.stations[usize::from(s)].alive,
            Some(Part::Plug(plug)) => self.plugs[usize::from(plug)].is_alive(),
        }
    }

    /// Takes a component down now.
    fn kill(&mut self, id: ComponentId) {
        self.kill_with_cause(id, "killed by the user");
    }

    /// Brings a component back now.
    fn repair(&mut self, id: ComponentId) {
        self.repair_with_cause(id, "repaired by the user");
    }

    fn slow(&mut self, id: ComponentId, factor: f64) {
        self.slow_with_cause(id, factor, "slowed by the user");
    }

    fn errors(&mut self, id: ComponentId, ratio: f64) {
        self.errors_with_cause(id, ratio, "made flaky by the user");
    }

    /// The state now, for display.
    fn snapshot(&self) -> Snapshot {
        self.snapshot_single()
    }

    /// Number of events waiting in the queue (for tests of boundedness).
    fn pending_events(&self) -> usize {
        self.kernel.events.len()
    }

    fn next_event_at(&mut self) -> Option<SimTime> {
        self.kernel.events.peek().map(|(at, _)| at)
    }

    /// Roughly how many bytes of memory this simulation holds, and so what a clone of it
    /// costs: the request slab, the per-user and per-key tables (the built-in kinds': DNS's
    /// answers, the caches' contents, the web tier's sticky sessions), the event queue (the small, bounded parts are left
    /// out). For snapshot budgets.
    fn footprint_bytes(&self) -> u64 {
        let slab = self.kernel.slab_bytes();
        let per_user = (self.built_ins.iter().map(BuiltInPart::heap_bytes)).sum::<usize>();
        let stations: usize = self
            .stations
            .iter()
            .map(|s| s.line.len() * std::mem::size_of::<ReqRef>())
            .sum();
        (slab + per_user + self.kernel.events.heap_bytes() + stations) as u64
    }

    /// Stage 11: regions, data centers and what geoDNS answers now (`None` below stage 11).
    fn geo_status(&self) -> Option<crate::sim::GeoStatus> {
        None
    }

    fn report(&self) -> crate::sim::Report {
        self.report_single()
    }

    fn reshard(&mut self, store: usize, count: u32) {
        Stack::reshard_store(self, store, count);
    }

    fn reshard_progress(&self, store: usize) -> Option<crate::sim::ReshardProgress> {
        databases(&self.built_ins).reshard_progress(store)
    }

    fn start_deploy(&mut self, spec: &crate::scenario::Deploy) -> bool {
        Stack::start_deploy(self, spec)
    }

    fn deploy_running(&self) -> bool {
        Stack::deploy_running(self)
    }

    fn cdn_purge_all(&mut self) {
        Stack::cdn_purge_all(self);
    }

    fn cdn_new_version(&mut self, object: u32) {
        Stack::cdn_new_version(self, object);
    }

    fn set_mechanism(&mut self, which: crate::scenario::Mechanism, on: bool) {
        Stack::set_mechanism(self, which, on);
    }

    fn set_coalescing_at(&mut self, cache: usize, on: bool) {
        Stack::set_coalescing_at(self, cache, on);
    }

    /// One data center: there is no network between data centers to cut.
    fn partition(&mut self, _a: &str, _b: &str, _cut: bool) -> bool {
        false
    }
}
