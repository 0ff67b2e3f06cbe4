//! The geo layer's metrics tick (the data centers' intervals merged), data-center and geoDNS
//! faults, and the world's view of its components.

use super::*;

/// What [`World::tick_world`] read for the interval's point: the layer's own figures of the
/// interval that has just ended.
#[derive(Clone, Debug)]
pub(super) struct TickWorld {
    /// Requests the users sent.
    generated: u64,
    /// Requests that failed for want of a DNS answer.
    dns_failed: u64,
    /// Distinct users who sent a request.
    active: u64,
    /// The interval's geo point, but for replication (lag and writes at risk).
    geo: GeoPoint,
}

impl World {
    pub(super) fn on_tick(&mut self) {
        let own = self.tick_world();
        self.tick_dcs(own);
    }

    /// The part of a metrics tick that reads only this layer's own state (its interval
    /// counters, the users' cached answers, geoDNS's view, which data centers are up): it
    /// starts the next interval, so the next span's arrivals may be drawn after it while the
    /// data centers are still running this one (see `spans`).
    pub(super) fn tick_world(&mut self) -> TickWorld {
        self.tick = self.tick.wrapping_add(1);
        let now = self.kernel.now;
        let interval_s = self.interval_ns as f64 / 1e9;
        let now_ms = (now.as_nanos() / 1_000_000) as u32;
        for pop in &mut self.population {
            pop.expire(now_ms, self.tick);
        }
        let geo = GeoPoint {
            t_s: now.as_secs_f64(),
            requests_per_s: self
                .dcs
                .iter()
                .map(|d| d.interval_handed as f64 / interval_s)
                .collect(),
            in_dns: self.dns.named().to_vec(),
            up: self.dcs.iter().map(|d| d.up).collect(),
            users_by_answer: self.cached_users_by_dc(),
            // Read from the replication channels by `tick_dcs`.
            replication_lag_ms: 0.0,
            writes_at_risk: 0,
        };
        for d in &mut self.dcs {
            d.interval_handed = 0;
        }
        let dns_failed = self.dns.end_interval(self.dcs.iter().map(|d| d.up));
        self.kernel.events.push(
            now.plus(SimDuration(self.interval_ns)),
            GeoEvent::MetricsTick,
        );
        TickWorld {
            generated: std::mem::take(&mut self.interval_generated),
            dns_failed,
            active: std::mem::take(&mut self.interval_active),
            geo,
        }
    }

    /// The part of a metrics tick that reads the data centers at its time: the deploy's
    /// progress, replication, every data center's interval figures merged into one point,
    /// and the threshold watch.
    pub(super) fn tick_dcs(&mut self, own: TickWorld) {
        self.deploy_progress();
        let now = self.kernel.now;
        self.replication.ship_until(now);
        self.kernel.interval_latency.clear();
        let mut point: Option<SeriesPoint> = None;
        let mut web_util_weighted = 0.0;
        let mut web_count = 0.0;
        let mut hits = IntervalHits::default();
        for dc in &self.dcs {
            if let Some(site) = &dc.sim.site {
                self.kernel
                    .interval_latency
                    .merge(&site.prev_interval_latency);
            }
            let Some(p) = dc.sim.series.back().filter(|p| p.t_s == now.as_secs_f64()) else {
                continue;
            };
            if let Some(site) = &dc.sim.site {
                hits.add(site.prev_interval_hits);
            }
            web_util_weighted += p.utilization * f64::from(p.web_servers);
            web_count += f64::from(p.web_servers);
            match point.as_mut() {
                None => point = Some(p.clone()),
                Some(acc) => {
                    acc.generated += p.generated;
                    acc.completed += p.completed;
                    acc.failed += p.failed;
                    acc.throughput_per_s += p.throughput_per_s;
                    acc.queue_len_mean += p.queue_len_mean;
                    acc.db_utilization = acc.db_utilization.max(p.db_utilization);
                    acc.replication_lag_ms = acc.replication_lag_ms.max(p.replication_lag_ms);
                    acc.stale_reads += p.stale_reads;
                    acc.writes_committed += p.writes_committed;
                    acc.queue_depth += p.queue_depth;
                    acc.jobs_done += p.jobs_done;
                    acc.web_servers += p.web_servers;
                    acc.page_views_per_s += p.page_views_per_s;
                    acc.writes_per_s += p.writes_per_s;
                    acc.active_users += p.active_users;
                    acc.in_flight += p.in_flight;
                    acc.migration_keys_copied += p.migration_keys_copied;
                }
            }
        }
        let mut point = point.unwrap_or(SeriesPoint {
            t_s: now.as_secs_f64(),
            generated: 0,
            completed: 0,
            failed: 0,
            throughput_per_s: 0.0,
            latency_mean_ms: 0.0,
            latency_p50_ms: 0.0,
            latency_p99_ms: 0.0,
            utilization: 0.0,
            queue_len_mean: 0.0,
            db_utilization: 0.0,
            replication_lag_ms: 0.0,
            stale_reads: 0,
            writes_committed: 0,
            cache_hit_ratio: 0.0,
            cdn_hit_ratio: 0.0,
            queue_depth: 0,
            jobs_done: 0,
            web_servers: 0,
            page_views_per_s: 0.0,
            writes_per_s: 0.0,
            active_users: 0,
            in_flight: 0,
            migration_keys_copied: 0,
        });
        // Every data center's hits over every data center's lookups.
        point.cache_hit_ratio = hits.cache.ratio();
        point.cdn_hit_ratio = hits.cdn.ratio();
        // This layer's own requests: generated here, and those DNS failed.
        point.generated = own.generated;
        point.failed += own.dns_failed;
        point.active_users = own.active;
        point.utilization = if web_count > 0.0 {
            web_util_weighted / web_count
        } else {
            0.0
        };
        point.latency_mean_ms = self.kernel.interval_latency.mean_ms();
        point.latency_p50_ms = self.kernel.interval_latency.quantile_ms(0.5);
        point.latency_p99_ms = self.kernel.interval_latency.quantile_ms(0.99);
        let geo_point = GeoPoint {
            replication_lag_ms: self.replication.lag_ms(now),
            writes_at_risk: self.replication.writes_at_risk(),
            ..own.geo
        };
        if self.series.len() == self.series_cap {
            self.series.pop_front();
            self.geo_series.pop_front();
        }
        self.series.push_back(point.clone());
        self.geo_series.push_back(geo_point);
        self.last_point = Some(point);
        let snapshot = self.snapshot();
        for e in self
            .watch
            .observe(&snapshot, &self.components, &self.kernel.interval_latency)
        {
            self.kernel.push_log(e);
        }
    }

    /// A whole data center fails: every server in it stops (requests in progress fail), and
    /// committed writes it had not shipped yet are lost.
    pub(super) fn kill_dc(&mut self, d: usize, cause: &str) {
        if !self.dcs[d].up {
            return;
        }
        self.collect();
        let now = self.kernel.now;
        let lost_writes = self.replication.lose_from(d, now);
        let name = self.set_stack(d, false);
        self.log_event(
            &name,
            format!("{name} down ({cause}); {lost_writes} committed writes had not reached the other data centers and are lost; users whose cached DNS answer names it fail until geoDNS notices and their answer expires"),
        );
    }

    /// Takes every component of data center `d`'s stack down or brings it back; returns the
    /// data center's name.
    pub(super) fn set_stack(&mut self, d: usize, up: bool) -> String {
        let dc = &mut self.dcs[d];
        dc.up = up;
        if let Some(site) = dc.sim.site.as_mut() {
            site.down = !up;
        }
        for c in dc.sim.components().to_vec() {
            if c.id.0 < SHARED {
                continue;
            }
            if up {
                dc.sim.repair_with_cause(c.id, "its data center is back");
            } else {
                dc.sim.kill_with_cause(c.id, "its data center is down");
            }
        }
        let name = dc.name.clone();
        self.collect();
        name
    }

    pub(super) fn repair_dc(&mut self, d: usize, cause: &str) {
        if self.dcs[d].up {
            return;
        }
        let name = self.set_stack(d, true);
        self.log_event(
            &name,
            format!("{name} back ({cause}); geoDNS answers with it again once it passes its health checks"),
        );
    }

    /// Which data center a world component belongs to, and its id there.
    pub(super) fn locate(&self, id: ComponentId) -> Option<(usize, Option<ComponentId>)> {
        for (d, dc) in self.dcs.iter().enumerate() {
            if id == dc.id {
                return Some((d, None));
            }
            if let Some(i) = dc
                .ids
                .iter()
                .skip(usize::from(SHARED))
                .position(|&w| w == id)
            {
                return Some((d, Some(ComponentId(i as u16 + SHARED))));
            }
        }
        None
    }

    pub fn is_alive(&self, id: ComponentId) -> bool {
        match id.0 {
            0 => true,
            1 => self.dns.is_alive(),
            _ => match self.locate(id) {
                Some((d, None)) => self.dcs[d].up,
                Some((d, Some(inner))) => self.dcs[d].sim.is_alive(inner),
                None => false,
            },
        }
    }

    pub fn kill(&mut self, id: ComponentId) {
        match id.0 {
            0 => {}
            1 => {
                if self.dns.kill(&mut self.kernel) {
                    self.forget_pending_lookups();
                }
            }
            _ => match self.locate(id) {
                Some((d, None)) => self.kill_dc(d, "killed"),
                Some((d, Some(inner))) => {
                    self.dcs[d].sim.kill(inner);
                    self.collect();
                }
                None => {}
            },
        }
    }

    /// geoDNS died: lookups under way get no answer, so those users look up again next time.
    pub(super) fn forget_pending_lookups(&mut self) {
        let now_ms = (self.kernel.now.as_nanos() / 1_000_000) as u32;
        let ttl = self.dns.ttl_ms();
        for pop in &mut self.population {
            pop.forget_pending(now_ms, ttl, self.tick);
        }
        for dc in &mut self.dcs {
            dc.sim.answers_lost();
        }
    }

    pub fn repair(&mut self, id: ComponentId) {
        match id.0 {
            0 => {}
            1 => self.dns.repair(&mut self.kernel),
            _ => match self.locate(id) {
                Some((d, None)) => self.repair_dc(d, "repaired"),
                Some((d, Some(inner))) => {
                    if !self.dcs[d].up {
                        let name = self.components[usize::from(id.0)].name.clone();
                        let dc = self.dcs[d].name.clone();
                        self.log_event(
                            &name,
                            format!("{name} stays down: {dc} is down, and everything in it comes back with it"),
                        );
                        return;
                    }
                    self.dcs[d].sim.repair(inner);
                    self.collect();
                }
                None => {}
            },
        }
    }

    /// Every component's state, in the world's id order, from the data centers' snapshots.
    pub(super) fn component_states(&self, stacks: Vec<Snapshot>) -> Vec<ComponentState> {
        let mut states = vec![
            ComponentState {
                id: ComponentId(0),
                alive: true,
                ..ComponentState::default()
            },
            self.dns.state(),
        ];
        for ((dc, snapshot), &named) in self.dcs.iter().zip(stacks).zip(self.dns.named()) {
            let busy: u32 = snapshot.components.iter().map(|c| c.busy_workers).sum();
            let workers: u32 = snapshot.components.iter().map(|c| c.workers).sum();
            states.push(ComponentState {
                id: dc.id,
                alive: dc.up,
                in_pool: named,
                busy_workers: busy,
                workers,
                utilization: if workers > 0 {
                    f64::from(busy) / f64::from(workers)
                } else {
                    0.0
                },
                // Slowed as a whole (by its name): every station in it.
                slowdown: dc.sim.every_station_slowed(),
                ..ComponentState::default()
            });
            for mut c in snapshot.components.into_iter().skip(usize::from(SHARED)) {
                if let Some(&id) = dc.ids.get(usize::from(c.id.0)) {
                    c.id = id;
                    states.push(c);
                }
            }
        }
        // In the world's id order: web servers a stack added later come after every stack's
        // first components.
        states.sort_by_key(|c| c.id.0);
        states
    }

    /// Every data center's alert history as one, oldest first (at the same time, in
    /// data-center order), each rule named after its data center ("us-east: errors over 1%").
    pub(in crate::sim) fn alerts(&self) -> Vec<crate::sim::AlertEvent> {
        let mut all: Vec<crate::sim::AlertEvent> = self
            .dcs
            .iter()
            .filter_map(|dc| dc.sim.monitor().map(|m| (&dc.name, m)))
            .flat_map(|(name, m)| {
                m.alerts.iter().map(move |a| crate::sim::AlertEvent {
                    rule: format!("{name}: {}", a.rule),
                    ..a.clone()
                })
            })
            .collect();
        // A stable sort: alerts at the same time stay in data-center order.
        all.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
        all
    }
}
