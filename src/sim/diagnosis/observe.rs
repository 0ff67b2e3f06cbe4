//! The diagnoser interval by interval: learning the components and the faults, opening
//! incidents, following them and closing them once the system has settled.

use super::*;

impl Diagnoser {
    /// A diagnoser for a run of `scenario` with these components; it knows the scenario's
    /// scheduled faults in advance.
    pub fn new(scenario: &Scenario, components: &[ComponentInfo]) -> Diagnoser {
        let interval =
            SimDuration::from_micros(1000 * u64::from(scenario.metrics_interval_ms.max(1)));
        let mut d = Diagnoser {
            interval,
            next_at: SimTime::ZERO + interval,
            balanced: scenario.load_balancer.is_some(),
            names: components.iter().map(|c| c.name.clone()).collect(),
            kinds: components.iter().map(|c| c.kind).collect(),
            faults: Vec::new(),
            load_changes: Vec::new(),
            cuts: Vec::new(),
            prev: None,
            offered: Default::default(),
            open: Vec::new(),
            closed: Vec::new(),
            dropped: 0,
        };
        for f in &scenario.faults {
            if let Some(i) = d.names.iter().position(|n| *n == f.target) {
                let degraded = f.kind != crate::scenario::FaultKind::Down;
                d.faults.push(FaultMark {
                    t_s: f.at_s,
                    component: i,
                    down: !degraded,
                    degraded,
                });
                if f.duration_s > 0.0 {
                    d.faults.push(FaultMark {
                        t_s: f.at_s + f.duration_s,
                        component: i,
                        down: false,
                        degraded: false,
                    });
                }
            }
        }
        d
    }

    /// Learns the components that joined the run since (a new shard during resharding), so
    /// every index of a snapshot has a name.
    pub fn learn_components(&mut self, components: &[ComponentInfo]) {
        for c in components.iter().skip(self.names.len()) {
            self.names.push(c.name.clone());
            self.kinds.push(c.kind);
        }
    }

    /// How many components it has names for.
    pub fn known_components(&self) -> usize {
        self.names.len()
    }

    /// When the next observation is due.
    pub fn next_at(&self) -> SimTime {
        self.next_at
    }

    /// Time between two observations (one metrics interval).
    pub fn interval(&self) -> SimDuration {
        self.interval
    }

    /// Records a live kill (`down`) or repair of component `id` at `t`.
    pub fn note_fault(&mut self, t: SimTime, id: usize, down: bool) {
        self.faults.push(FaultMark {
            t_s: t.as_secs_f64(),
            component: id,
            down,
            degraded: false,
        });
    }

    /// Records that component `id` was made slow or flaky live at `t`.
    pub fn note_degraded(&mut self, t: SimTime, id: usize) {
        self.faults.push(FaultMark {
            t_s: t.as_secs_f64(),
            component: id,
            down: false,
            degraded: true,
        });
    }

    /// Records a network between data centers cut live at `t`.
    pub fn note_partition(&mut self, t: SimTime) {
        self.cuts.push(t.as_secs_f64());
    }

    /// Records a live change of the user population at `t`.
    pub fn note_users(&mut self, t: SimTime) {
        self.load_changes.push(t.as_secs_f64());
    }

    /// Every incident, closed ones first then those under way, each in start order.
    pub fn incidents(&self) -> Vec<Incident> {
        let mut all = self.closed.clone();
        all.extend(self.open.iter().map(|o| o.incident.clone()));
        all
    }

    /// Incidents not kept because [`MAX_INCIDENTS`] were.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// What the diagnosis says now.
    pub fn verdict(&self) -> Verdict {
        let busiest = self.prev.as_ref().and_then(|o| {
            o.components
                .iter()
                .enumerate()
                .filter(|(_, c)| c.alive && c.workers > 0)
                .max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization))
                .map(|(i, c)| (self.names[i].clone(), c.utilization))
        });
        Verdict {
            time_s: self.prev.as_ref().map_or(0.0, |o| o.t_s),
            open: self.open.iter().map(|o| o.incident.clone()).collect(),
            busiest,
        }
    }

    /// Takes in the state at the end of a metrics interval (`offered_per_s`: the offered load
    /// now) and schedules the next observation.
    pub fn observe(&mut self, snap: &Snapshot, offered_per_s: f64) {
        let now = Observation {
            t_s: snap.time_s,
            p99_ms: if snap.recent_throughput_per_s > 0.0 {
                snap.recent_latency_p99_ms
            } else {
                0.0
            },
            failures_per_s: snap.recent_failures_per_s,
            failed: snap.requests_failed,
            stale_reads: snap.stale_reads,
            cache_hit: snap.recent_cache_hit_ratio,
            queue_depth: snap.queue_depth,
            offered_per_s,
            held_web_workers: snap.held_web_workers,
            breaker_open: snap
                .breaker
                .is_some_and(|b| b != crate::sim::BreakerState::Closed),
            breaker_store: snap.breaker_store.clone(),
            writes_partitioned: snap.writes_partitioned,
            stampede: snap.stampede.unwrap_or_default(),
            components: snap
                .components
                .iter()
                .map(|c| Seen {
                    alive: c.alive,
                    utilization: c.utilization,
                    queue_len: c.queue_len,
                    queue_capacity: c.queue_capacity,
                    workers: c.workers,
                    in_pool: c.in_pool,
                    role: c.role,
                    lag_ms: c.lag_ms,
                    slowdown: c.slowdown.unwrap_or(1.0),
                    error_ratio: c.error_ratio.unwrap_or(0.0),
                })
                .collect(),
        };
        let before = self.prev.clone().unwrap_or_else(|| now.clone());
        self.follow(&now);
        self.open_new(&before, &now);
        self.close_settled(&now);
        if self.offered.len() == SURGE_WINDOW {
            self.offered.pop_front();
        }
        self.offered.push_back(offered_per_s);
        self.prev = Some(now);
        self.next_at = self.next_at.plus(self.interval);
    }

    /// The exact time component `i` last went down (or up) at or before `t_s`.
    pub(super) fn fault_time(&self, i: usize, down: bool, after_s: f64, t_s: f64) -> f64 {
        self.faults
            .iter()
            .filter(|f| {
                f.component == i
                    && f.down == down
                    && !f.degraded
                    && f.t_s >= after_s
                    && f.t_s <= t_s
            })
            .map(|f| f.t_s)
            .fold(None, |a: Option<f64>, t| Some(a.map_or(t, |a| a.max(t))))
            .unwrap_or(t_s)
    }

    pub(super) fn is_open(&self, pred: impl Fn(&Open) -> bool) -> bool {
        self.open.iter().any(pred)
    }

    pub(super) fn start(
        &mut self,
        cause: Cause,
        component: Option<usize>,
        start_s: f64,
        before: &Observation,
    ) {
        if self.closed.len() + self.open.len() >= MAX_INCIDENTS {
            self.dropped += 1;
            return;
        }
        let was = component.map(|i| before.components[i]).unwrap_or_default();
        // Only a death has a detection window or a failover (a slow or flaky node stays in
        // the balancer's pool, a slow master stays master).
        let died = matches!(cause, Cause::ComponentDown { .. });
        self.open.push(Open {
            incident: Incident {
                start_s,
                end_s: None,
                cause,
                chain: Vec::new(),
                summary: String::new(),
                p99_before_ms: before.p99_ms,
                p99_peak_ms: 0.0,
                p99_peak_at_s: start_s,
                failed: 0,
                failures_per_s_peak: 0.0,
                detection_s: None,
                failover_s: None,
            },
            component,
            before: before.clone(),
            peak_utilization: before.components.iter().map(|c| c.utilization).collect(),
            lowest_cache_hit: before.cache_hit,
            deepest_queue: before.queue_depth,
            calm: 0,
            peak_lag_ms: 0.0,
            was_in_pool: died && self.balanced && was.in_pool,
            was_master: died && was.role == Some(DbRole::Master),
        });
    }

    /// Opens the incidents whose causes appear in `now`.
    pub(super) fn open_new(&mut self, before: &Observation, now: &Observation) {
        let after_s = before.t_s.min(now.t_s - 1e-9);
        // Deaths: a component alive before and dead now, unless what holds it died too.
        for i in 0..now.components.len().min(before.components.len()) {
            let (was, is) = (before.components[i], now.components[i]);
            if !was.alive || is.alive || self.parent_dead(i, now) {
                continue;
            }
            let at_s = self.fault_time(i, true, after_s, now.t_s);
            let cause = Cause::ComponentDown {
                component: self.names[i].clone(),
                component_kind: self.kinds[i],
                at_s,
                repaired_at_s: None,
            };
            self.start(cause, Some(i), at_s, before);
        }
        // A kill and a repair between two observations (a cache flushed): down and back.
        for i in 0..now.components.len().min(before.components.len()) {
            let (was, is) = (before.components[i], now.components[i]);
            let killed = self
                .faults
                .iter()
                .find(|f| f.component == i && f.down && f.t_s >= after_s && f.t_s <= now.t_s);
            if let (true, true, Some(kill)) = (was.alive, is.alive, killed) {
                let at_s = kill.t_s;
                let cause = Cause::ComponentDown {
                    component: self.names[i].clone(),
                    component_kind: self.kinds[i],
                    at_s,
                    repaired_at_s: Some(self.fault_time(i, false, at_s, now.t_s)),
                };
                self.start(cause, Some(i), at_s, before);
            }
        }
        // Grey failures and flaky nodes: up, but slower or failing on purpose.
        for i in 0..now.components.len().min(before.components.len()) {
            let (was, is) = (before.components[i], now.components[i]);
            let at_s = self
                .faults
                .iter()
                .filter(|f| f.component == i && f.degraded && f.t_s >= after_s && f.t_s <= now.t_s)
                .map(|f| f.t_s)
                .fold(now.t_s, f64::min);
            let name = self.names[i].clone();
            let concerns = |o: &Open| o.component == Some(i);
            // A data center slowed as a whole is one incident, named after it, not one per
            // server and node in it.
            let in_slowed_dc = || {
                (name.split_once('/'))
                    .and_then(|(dc, _)| self.names.iter().position(|n| n == dc))
                    .and_then(|d| now.components.get(d))
                    .is_some_and(|d| d.slowdown >= is.slowdown)
            };
            if is.alive
                && is.slowdown > was.slowdown.max(1.0)
                && !self.is_open(|o| concerns(o) && matches!(o.incident.cause, Cause::Slow { .. }))
                && !in_slowed_dc()
            {
                let cause = Cause::Slow {
                    component: name.clone(),
                    factor: is.slowdown,
                    at_s,
                };
                self.start(cause, Some(i), at_s, before);
            }
            if is.alive
                && is.error_ratio > was.error_ratio
                && !self
                    .is_open(|o| concerns(o) && matches!(o.incident.cause, Cause::Errors { .. }))
            {
                let cause = Cause::Errors {
                    component: name,
                    ratio: is.error_ratio,
                    at_s,
                };
                self.start(cause, Some(i), at_s, before);
            }
        }
        // A surge: offered load well above its recent lowest.
        let lowest = self.offered.iter().copied().fold(f64::INFINITY, f64::min);
        if lowest.is_finite()
            && lowest > 0.0
            && now.offered_per_s >= SURGE_FACTOR * lowest
            && !self.is_open(|o| matches!(o.incident.cause, Cause::Surge { .. }))
        {
            let cause = Cause::Surge {
                from_per_s: lowest,
                to_per_s: now.offered_per_s,
            };
            let at_s = self
                .load_changes
                .iter()
                .copied()
                .filter(|&t| t >= after_s && t <= now.t_s)
                .fold(now.t_s, f64::min);
            self.start(cause, None, at_s, before);
        }
        self.open_mechanisms(before, now);
        // Replicas falling behind (one incident for them all, named after the worst), unless a
        // surge or a slow node already explains it.
        let worst_lag = now
            .components
            .iter()
            .enumerate()
            .filter(|(_, c)| c.alive && c.role == Some(DbRole::Replica) && c.lag_ms >= LAG_MS)
            .max_by(|a, b| a.1.lag_ms.total_cmp(&b.1.lag_ms));
        if let Some((i, c)) = worst_lag {
            if !self.is_open(|o| {
                matches!(
                    o.incident.cause,
                    Cause::ReplicationLag { .. } | Cause::Surge { .. } | Cause::Slow { .. }
                )
            }) {
                let cause = Cause::ReplicationLag {
                    component: self.names[i].clone(),
                    lag_ms: c.lag_ms,
                };
                self.start(cause, Some(i), now.t_s, before);
            }
        }
        // Saturation with nothing else to blame.
        if self.open.is_empty() {
            let worst = now
                .components
                .iter()
                .enumerate()
                .filter(|(_, c)| saturated(c, now.failures_per_s))
                .max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization));
            if let Some((i, c)) = worst {
                let cause = Cause::Saturation {
                    component: self.names[i].clone(),
                    utilization: c.utilization,
                    queue_len: c.queue_len,
                    queue_capacity: c.queue_capacity,
                };
                self.start(cause, Some(i), now.t_s, before);
            }
        }
        let names = self.names.clone();
        for o in &mut self.open {
            if o.incident.chain.is_empty() {
                o.take_in(now);
                o.describe(&names, now);
            }
        }
    }

    /// Opens incidents for the failure mechanisms seen in `now`'s state: web workers held by
    /// the data tier, an open circuit breaker, a partition.
    pub(super) fn open_mechanisms(&mut self, before: &Observation, now: &Observation) {
        let is_web = |kinds: &[ComponentKind], i: usize| kinds[i] == ComponentKind::Server;
        let web_workers: u32 = now
            .components
            .iter()
            .enumerate()
            .filter(|(i, c)| is_web(&self.kinds, *i) && c.alive)
            .map(|(_, c)| c.workers)
            .sum();
        let busiest_web = now
            .components
            .iter()
            .enumerate()
            .filter(|(i, c)| is_web(&self.kinds, *i) && saturated(c, now.failures_per_s))
            .max_by(|a, b| a.1.utilization.total_cmp(&b.1.utilization));
        if let Some((web, _)) = busiest_web.filter(|_| {
            f64::from(now.held_web_workers) >= HELD_SHARE * f64::from(web_workers.max(1))
                && !self.is_open(|o| matches!(o.incident.cause, Cause::WorkersHeld { .. }))
        }) {
            let data = |k: ComponentKind| {
                matches!(
                    k,
                    ComponentKind::Database
                        | ComponentKind::Cache
                        | ComponentKind::SessionStore
                        | ComponentKind::NoSql
                )
            };
            let waiting_on = now
                .components
                .iter()
                .enumerate()
                .filter(|(i, c)| data(self.kinds[*i]) && c.alive)
                .max_by(|a, b| {
                    (a.1.slowdown, a.1.utilization)
                        .partial_cmp(&(b.1.slowdown, b.1.utilization))
                        .unwrap_or(std::cmp::Ordering::Equal)
                })
                .map_or_else(
                    || "the data tier".to_string(),
                    |(i, _)| self.names[i].clone(),
                );
            let cause = Cause::WorkersHeld {
                component: self.names[web].clone(),
                held: now.held_web_workers,
                workers: web_workers,
                waiting_on,
            };
            self.start(cause, Some(web), now.t_s, before);
        }
        if now.breaker_open
            && !before.breaker_open
            && !self.is_open(|o| matches!(o.incident.cause, Cause::BreakerOpen { .. }))
        {
            let cause = Cause::BreakerOpen {
                store: now.breaker_store.clone(),
            };
            self.start(cause, None, now.t_s, before);
        }
        if now.writes_partitioned > 0
            && !self.is_open(|o| matches!(o.incident.cause, Cause::Partition { .. }))
        {
            let cause = Cause::Partition {
                writes_waiting: now.writes_partitioned,
            };
            // A live cut is dated to its instant; a scheduled one to the interval's end.
            let after_s = before.t_s.min(now.t_s - 1e-9);
            let at_s = self
                .cuts
                .iter()
                .copied()
                .filter(|&t| t >= after_s && t <= now.t_s)
                .fold(now.t_s, f64::min);
            self.start(cause, None, at_s, before);
        }
        self.open_stampede(before, now);
    }

    /// Whether the data center holding component `i` (`dc/…`) is down now.
    pub(super) fn parent_dead(&self, i: usize, now: &Observation) -> bool {
        let Some((dc, _)) = self.names[i].split_once('/') else {
            return false;
        };
        self.names
            .iter()
            .position(|n| n == dc)
            .is_some_and(|p| !now.components[p].alive)
    }

    /// Updates every open incident with `now`.
    pub(super) fn follow(&mut self, now: &Observation) {
        let repairs: Vec<Option<f64>> = self
            .open
            .iter()
            .map(|o| match (&o.incident.cause, o.component) {
                (Cause::ComponentDown { .. }, Some(i)) if now.components[i].alive => {
                    Some(self.fault_time(i, false, o.incident.start_s, now.t_s))
                }
                _ => None,
            })
            .collect();
        let names = self.names.clone();
        for (o, repaired) in self.open.iter_mut().zip(repairs) {
            if let (
                Cause::ComponentDown {
                    repaired_at_s: r @ None,
                    ..
                },
                Some(t),
            ) = (&mut o.incident.cause, repaired)
            {
                *r = Some(t);
            }
            o.take_in(now);
            o.describe(&names, now);
        }
    }

    /// Closes the incidents whose cause is gone and whose symptoms have settled.
    pub(super) fn close_settled(&mut self, now: &Observation) {
        let mut i = 0;
        while i < self.open.len() {
            let o = &mut self.open[i];
            let cause_gone = match (&o.incident.cause, o.component) {
                (Cause::ComponentDown { repaired_at_s, .. }, _) => repaired_at_s.is_some(),
                (Cause::Saturation { .. }, Some(c)) => {
                    let s = now.components[c];
                    s.utilization < RECOVERED_UTILIZATION
                        && f64::from(s.queue_len)
                            <= RECOVERED_QUEUE_SHARE * f64::from(s.queue_capacity)
                }
                (Cause::Surge { from_per_s, .. }, _) => {
                    now.offered_per_s < SURGE_OVER_FACTOR * from_per_s
                }
                (Cause::ReplicationLag { .. }, Some(c)) => {
                    !now.components[c].alive || now.components[c].lag_ms < LAG_RECOVERED_MS
                }
                (Cause::Slow { .. }, Some(c)) => {
                    // A slow master's replicas must also have caught up.
                    let master = now.components[c].role == Some(DbRole::Master);
                    now.components[c].slowdown <= 1.0
                        && !(master
                            && now.components.iter().any(|r| {
                                r.alive
                                    && r.role == Some(DbRole::Replica)
                                    && r.lag_ms >= LAG_RECOVERED_MS
                            }))
                }
                (Cause::Errors { .. }, Some(c)) => now.components[c].error_ratio <= 0.0,
                (Cause::WorkersHeld { workers, .. }, _) => {
                    f64::from(now.held_web_workers) < HELD_RECOVERED_SHARE * f64::from(*workers)
                }
                (Cause::BreakerOpen { .. }, _) => !now.breaker_open,
                (Cause::Partition { .. }, _) => now.writes_partitioned == 0,
                (Cause::Stampede { .. }, _) => now.stampede.reads < STAMPEDE_READS,
                _ => true,
            };
            let settled = now.failures_per_s <= 1.5 * o.before.failures_per_s + 0.5
                && (now.p99_ms == 0.0 || now.p99_ms <= 1.5 * o.before.p99_ms + 10.0);
            o.calm = if cause_gone && settled { o.calm + 1 } else { 0 };
            if o.calm >= CALM_INTERVALS {
                let mut done = self.open.remove(i);
                done.incident.end_s = Some(now.t_s);
                self.closed.push(done.incident);
            } else {
                i += 1;
            }
        }
    }
}
