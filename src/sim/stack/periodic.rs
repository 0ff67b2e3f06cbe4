//! Periodic work of a stack: the metrics tick (the web tier's autoscalers and the balancer's
//! health checks are the web tier's own events, `web_pool::WebTier`).

use super::*;

impl Stack {
    pub(super) fn on_tick(&mut self) {
        let now = self.kernel.now;
        let interval_s = self.interval_ns as f64 / 1e9;
        for s in &mut self.stations {
            s.account(now);
        }
        let mut hits = IntervalHits::default();
        // The components' own counts of the interval (the caches' and the CDN edge's hits).
        for part in &mut self.built_ins {
            part.close_interval(&mut hits);
        }
        if let Some(site) = self.site.as_mut() {
            site.prev_interval_hits = hits;
        }
        let point = SeriesPoint {
            t_s: now.as_secs_f64(),
            generated: self.kernel.interval.generated,
            completed: self.kernel.interval.completed,
            failed: self.kernel.interval.failed,
            throughput_per_s: self.kernel.interval.completed as f64 / interval_s,
            latency_mean_ms: self.kernel.interval_latency.mean_ms(),
            latency_p50_ms: self.kernel.interval_latency.quantile_ms(0.5),
            latency_p99_ms: self.kernel.interval_latency.quantile_ms(0.99),
            // Written by the web tier's component, below.
            utilization: 0.0,
            queue_len_mean: 0.0,
            // Written by the database clusters' component, below.
            db_utilization: 0.0,
            replication_lag_ms: 0.0,
            stale_reads: self.kernel.interval.stale_reads,
            writes_committed: self.kernel.interval.writes_committed,
            cdn_hit_ratio: hits.cdn.ratio(),
            // Written by the message queue's component, below.
            queue_depth: 0,
            jobs_done: 0,
            web_servers: 0,
            page_views_per_s: self.kernel.interval.completed_by_kind[RequestKind::PageView as usize]
                as f64
                / interval_s,
            writes_per_s: self.kernel.interval.completed_by_kind[RequestKind::Write as usize]
                as f64
                / interval_s,
            active_users: 0,
            cache_hit_ratio: hits.cache.ratio(),
            in_flight: self.in_flight_counted(),
            migration_keys_copied: self.kernel.interval.migration_keys_copied,
        };
        let mut point = point;
        // The built-in kinds' own fields of the point (the web servers' utilization, waiting
        // and count; the databases' busiest node and replication lag; the queue's depth and
        // jobs done).
        for part in &mut self.built_ins {
            part.close_point(now, &self.stations, &mut point);
        }
        self.tick_components(&mut point);
        if self.series.len() == self.series_cap {
            self.series.pop_front();
        }
        self.series.push_back(point.clone());
        self.last_point = Some(point);
        for s in &mut self.stations {
            s.close_interval();
        }
        self.kernel.interval = Default::default();
        if self.site.is_none() {
            self.log_thresholds();
        }
        if let Some(site) = self.site.as_mut() {
            std::mem::swap(
                &mut self.kernel.interval_latency,
                &mut site.prev_interval_latency,
            );
        }
        self.kernel.interval_latency.clear();
        self.kernel
            .events
            .push(now.plus(SimDuration(self.interval_ns)), Event::MetricsTick);
    }

    /// Logs the threshold crossings of the interval just closed (see [`ThresholdWatch`]); its
    /// latencies are still in `interval_latency`.
    fn log_thresholds(&mut self) {
        let snapshot = self.snapshot_single();
        let latency = &self.kernel.interval_latency;
        for e in self.watch.observe(&snapshot, &self.components, latency) {
            self.log_event(&e.component, e.text);
        }
    }

    /// Hands every component that takes the tick (built-in and registered kinds) the
    /// interval that just closed: its point, to which a component may add (the monitor: the
    /// active users), and the figures of every component served by a station.
    fn tick_components(&mut self, point: &mut SeriesPoint) {
        if self.built_ins.is_empty() && self.plugs.is_empty() {
            return;
        }
        let (parts, stations) = (&self.parts, &self.stations);
        let figures: Vec<StationTick<'_>> = (self.components.iter())
            .filter_map(|c| match parts.get(usize::from(c.id.0)) {
                Some(&Part::Station(s)) if s != NONE => {
                    let s = &stations[usize::from(s)];
                    Some(StationTick {
                        name: &c.name,
                        utilization: s.last_interval.utilization(s.workers).min(1.0),
                        waiting: s.last_interval.mean_waiting(),
                        served: s.served,
                    })
                }
                _ => None,
            })
            .collect();
        let mut tick = Tick {
            point,
            interval_s: f64::from(self.scenario.metrics_interval_ms) / 1000.0,
            stations: &figures,
        };
        for part in &mut self.built_ins {
            part.on_tick(&mut tick, &mut self.kernel);
        }
        for plug in &mut self.plugs {
            plug.on_tick(&mut tick, &mut self.kernel);
        }
    }

    /// The part component `id` is (`None`: no such component).
    pub(super) fn part(&self, id: ComponentId) -> Option<Part> {
        self.parts.get(usize::from(id.0)).copied()
    }

    /// The station serving component `id`, if it has one.
    pub(super) fn station_of_component(&self, id: ComponentId) -> Option<u16> {
        match self.part(id)? {
            Part::Station(s) if s != NONE => Some(s),
            _ => None,
        }
    }
}
