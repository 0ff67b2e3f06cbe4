//! The world's report (the data centers' reports merged) and its implementation of the public
//! [`Engine`] API.

use super::*;

impl World {
    /// The report of the whole system so far (its digest is filled in by the caller): every
    /// data center's sections merged by the report builder, with the geo layer's own figures.
    pub fn report(&self) -> Report {
        let elapsed_s = self.kernel.now.as_secs_f64();
        let totals = RequestTotals {
            generated: self.books.generated,
            completed: 0,
            failed: self.dns.failed(),
            failed_by_reason: self.dns.failures(),
            in_flight: 0,
        };
        let dns = self.dns.section();
        let mut builder = ReportBuilder::merged(totals, dns, self.alerts());
        let geo = self.scenario.geo.as_ref().expect("geo");
        let mut data_centers = Vec::new();
        for (d, dc) in self.dcs.iter().enumerate() {
            let part = builder.add_data_center(&dc.name, dc.sim.sections());
            data_centers.push(self.dns.data_center_report(
                d,
                DataCenterReport {
                    region: geo.regions[dc.region].name.clone(),
                    requests_received: dc.handed,
                    up_at_end: dc.up,
                    ..part
                },
            ));
        }
        let name = |d: usize| self.dcs[d].name.clone();
        let replication = self.replication.report(name);
        let regions = self
            .regions
            .iter()
            .enumerate()
            .map(|(i, books)| {
                let mut h = Histogram::new();
                for dc in &self.dcs {
                    if let Some(site) = &dc.sim.site {
                        h.merge(&site.region_latency[i]);
                    }
                }
                RegionReport {
                    name: books.name.clone(),
                    users: books.users,
                    requests: books.generated,
                    latency_ms: LatencyReport::of(&h),
                }
            })
            .collect();
        let bill = builder.bill();
        self.replication.bill(bill);
        self.dns.bill(bill);
        let dns = self.dns.geo_figures();
        let geo = GeoReport {
            routing: dns.routing,
            dns_lookups: dns.lookups,
            dns_failed: dns.failed,
            users_moved: dns.users_moved,
            regions,
            data_centers,
            writes_lost_cross_dc: replication.iter().map(|c| c.lost).max().unwrap_or(0),
            replication,
            series: self.geo_series.iter().cloned().collect(),
        };
        let head = RunHead {
            scenario: &self.scenario,
            elapsed_s,
        };
        builder.finish(
            head,
            self.series.iter().cloned().collect(),
            &self.kernel.log,
            self.kernel.log_dropped,
            Some(geo),
        )
    }
}

impl Engine for World {
    fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    fn now(&self) -> SimTime {
        self.kernel.now
    }

    fn components(&self) -> &[ComponentInfo] {
        &self.components
    }

    fn events_processed(&self) -> u64 {
        self.events_processed
            + self
                .dcs
                .iter()
                .map(|d| d.sim.events_processed())
                .sum::<u64>()
    }

    fn set_path_sample_every(&mut self, every: u64) {
        for dc in &mut self.dcs {
            dc.sim.set_path_sample_every(every);
        }
    }

    fn recent_paths(&self) -> &VecDeque<PathSample> {
        &self.kernel.paths
    }

    fn log(&self) -> &VecDeque<LogEntry> {
        &self.kernel.log
    }

    fn alerts(&self) -> Vec<crate::sim::AlertEvent> {
        World::alerts(self)
    }

    fn set_users(&mut self, users: u64) {
        World::set_users(self, users);
    }

    fn set_pool_servers(&mut self, pool: usize, count: u32) {
        if pool > self.scenario.more_web_pools.len() {
            return;
        }
        for dc in &mut self.dcs {
            dc.sim.set_pool_servers(pool, count);
        }
        // New servers get their ids, and their log lines show, now (as after a kill).
        self.collect_now();
        let count = count.clamp(1, crate::scenario::MAX_WEB_SERVERS);
        match pool {
            0 => self.scenario.server.count = count,
            n => self.scenario.more_web_pools[n - 1].server.count = count,
        }
        // Every data center now runs that many: none keeps a count of its own.
        let path = crate::scenario::pool_count_path(pool);
        for dc in self
            .scenario
            .geo
            .iter_mut()
            .flat_map(|g| &mut g.data_centers)
        {
            dc.set.remove(&path);
        }
    }

    fn set_data_center_pool_servers(&mut self, dc: usize, pool: usize, count: u32) {
        let Some(spec) = (self.scenario.geo.as_ref()).and_then(|g| g.data_centers.get(dc)) else {
            return;
        };
        let pools =
            (self.scenario.data_center_stack(spec, "")).map_or(0, |s| 1 + s.more_web_pools.len());
        if pool >= pools {
            return;
        }
        self.dcs[dc].sim.set_pool_servers(pool, count);
        // New servers get their ids, and their log lines show, now (as after a kill).
        self.collect_now();
        let count = count.clamp(1, crate::scenario::MAX_WEB_SERVERS);
        if let Some(spec) = (self.scenario.geo.as_mut()).and_then(|g| g.data_centers.get_mut(dc)) {
            spec.set
                .insert(crate::scenario::pool_count_path(pool), count.into());
        }
    }

    fn advance_to(&mut self, t: SimTime, max_events: u64) -> u64 {
        World::advance_to(self, t, max_events)
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn set_threads(&mut self, threads: u32) {
        self.spans.threads = threads;
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn advance_observed(
        &mut self,
        t: SimTime,
        diagnoser: &mut crate::sim::diagnosis::Diagnoser,
    ) -> Option<u64> {
        (self.spans.threads > 1).then(|| self.advance_ahead(t, diagnoser))
    }

    fn span_stats(&self) -> Option<super::SpanStats> {
        Some(self.spans.stats)
    }

    fn is_alive(&self, id: ComponentId) -> bool {
        World::is_alive(self, id)
    }

    fn kill(&mut self, id: ComponentId) {
        World::kill(self, id);
    }

    fn repair(&mut self, id: ComponentId) {
        World::repair(self, id);
    }

    fn slow(&mut self, id: ComponentId, factor: f64) {
        match self.locate(id) {
            Some((d, Some(inner))) if self.dcs[d].up => {
                self.dcs[d]
                    .sim
                    .slow_with_cause(inner, factor, "slowed by the user");
                self.collect();
            }
            // The data center by its name: every server and node in it.
            Some((d, None)) if self.dcs[d].up => {
                let n = self.dcs[d].sim.slow_every_station(factor);
                let name = self.dcs[d].name.clone();
                let text = if factor == 1.0 {
                    format!("{name} at normal speed again (by the user): its {n} servers and nodes")
                } else {
                    format!("{name} slow (by the user): its {n} servers and nodes take ×{factor} as long; it still passes geoDNS's health checks")
                };
                self.log_event(&name, text);
                self.collect();
            }
            _ => {}
        }
    }

    fn errors(&mut self, id: ComponentId, ratio: f64) {
        if let Some((d, Some(inner))) = self.locate(id) {
            if self.dcs[d].up {
                self.dcs[d]
                    .sim
                    .errors_with_cause(inner, ratio, "made flaky by the user");
                self.collect();
            }
        }
    }

    fn snapshot(&self) -> Snapshot {
        World::snapshot(self)
    }

    fn pending_events(&self) -> usize {
        World::pending_events(self)
    }

    fn next_event_at(&mut self) -> Option<SimTime> {
        World::next_event_at(self)
    }

    fn footprint_bytes(&self) -> u64 {
        World::footprint_bytes(self)
    }

    fn geo_status(&self) -> Option<GeoStatus> {
        Some(self.status())
    }

    fn report(&self) -> Report {
        World::report(self)
    }

    fn reshard(&mut self, store: usize, count: u32) {
        for dc in &mut self.dcs {
            dc.sim.reshard_store(store, count);
        }
        self.collect_now();
    }

    fn reshard_progress(&self, store: usize) -> Option<crate::sim::ReshardProgress> {
        self.dcs
            .iter()
            .filter_map(|dc| dc.sim.reshard_progress(store))
            .reduce(|a, b| crate::sim::ReshardProgress {
                keys_moved: a.keys_moved + b.keys_moved,
                keys_copied: a.keys_copied + b.keys_copied,
                finished: a.finished && b.finished,
                ..a
            })
    }

    fn start_deploy(&mut self, spec: &crate::scenario::Deploy) -> bool {
        World::start_deploy(self, spec)
    }

    /// The geo layer's deploy goes through the data centers one at a time: it runs until the
    /// last one has finished.
    fn deploy_running(&self) -> bool {
        self.deploying.is_some()
    }

    fn cdn_purge_all(&mut self) {
        for dc in &mut self.dcs {
            dc.sim.cdn_purge_all();
        }
        self.collect_now();
    }

    fn cdn_new_version(&mut self, object: u32) {
        for dc in &mut self.dcs {
            dc.sim.cdn_new_version(object);
        }
        self.collect_now();
    }

    fn set_mechanism(&mut self, which: crate::scenario::Mechanism, on: bool) {
        which.set(&mut self.scenario, on);
        for dc in &mut self.dcs {
            dc.sim.set_mechanism(which, on);
        }
        self.collect_now();
    }

    fn set_coalescing_at(&mut self, cache: usize, on: bool) {
        crate::scenario::live::set_coalesce_at(&mut self.scenario, cache, on);
        for dc in &mut self.dcs {
            dc.sim.set_coalescing_at(cache, on);
        }
        self.collect_now();
    }

    fn partition(&mut self, a: &str, b: &str, cut: bool) -> bool {
        self.partition_named(a, b, cut)
    }
}
