//! What the geo layer shows: its status (regions, data centers, answers, traffic) and the
//! snapshot of the whole world, merged from the data centers'.

use super::*;

impl World {
    /// Regions, data centers and geoDNS now.
    pub fn status(&self) -> GeoStatus {
        let geo = self.scenario.geo.as_ref().expect("geo");
        GeoStatus {
            regions: self
                .regions
                .iter()
                .map(|r| (r.name.clone(), r.users))
                .collect(),
            data_centers: self
                .dcs
                .iter()
                .zip(self.dns.named())
                .map(|(d, &named)| (d.name.clone(), d.region, d.up, named))
                .collect(),
            answers: (0..self.regions.len())
                .map(|r| self.dns.nearest_named(r))
                .collect(),
            rtt_ms: geo.rtt_ms.clone(),
            last: self.geo_series.back().cloned(),
            requests_per_s: self.requests_per_s_now(),
            writes_lost: self.replication.most_lost(),
            users_by_answer: self.users_by_answer_now(),
        }
    }

    /// See [`GeoStatus::users_by_answer`]. Before the first interval the running counts are
    /// read as they stand: expired answers are swept at each interval's end, so with a DNS TTL
    /// shorter than one interval they may still include answers that have just run out.
    fn users_by_answer_now(&self) -> Vec<u64> {
        if let Some(last) = self.geo_series.back() {
            return last.users_by_answer.clone();
        }
        self.cached_users_by_dc()
    }

    /// Users whose cached answer names each data center, over every region, as the running
    /// counts stand (expired answers leave them when a region's population is swept).
    pub(super) fn cached_users_by_dc(&self) -> Vec<u64> {
        let mut by_answer = vec![0u64; self.dcs.len()];
        for pop in &self.population {
            for (total, n) in by_answer.iter_mut().zip(pop.cached_by_dc()) {
                *total += n;
            }
        }
        by_answer
    }

    /// See [`GeoStatus::requests_per_s`].
    fn requests_per_s_now(&self) -> Vec<f64> {
        if let Some(last) = self.geo_series.back() {
            return last.requests_per_s.clone();
        }
        let elapsed_s = self.kernel.now.as_secs_f64();
        self.dcs
            .iter()
            .map(|d| {
                if elapsed_s > 0.0 {
                    d.interval_handed as f64 / elapsed_s
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// What the whole system looks like now.
    pub fn snapshot(&self) -> Snapshot {
        let mut latency = Histogram::new();
        let (mut completed, mut failed, mut in_flight) = (0, self.dns.failed(), 0);
        let (mut writes_lost, mut stale_reads, mut stale_cache, mut logged_out) = (0, 0, 0, 0);
        let mut queue_depth = 0;
        let mut events = self.events_processed;
        let stacks: Vec<Snapshot> = self.dcs.iter().map(|d| d.sim.snapshot_single()).collect();
        for (dc, s) in self.dcs.iter().zip(&stacks) {
            latency.merge(&dc.sim.kernel.books.latency);
            completed += s.requests_completed;
            failed += s.requests_failed;
            in_flight += s.in_flight;
            writes_lost += s.writes_lost;
            stale_reads += s.stale_reads;
            stale_cache += s.stale_cache_reads;
            logged_out += s.logged_out;
            queue_depth += s.queue_depth;
            events += s.events_processed;
        }
        let recent = self.last_point.as_ref();
        let interval_s = self.interval_ns as f64 / 1e9;
        Snapshot {
            time_s: self.kernel.now.as_secs_f64(),
            requests_total: self.books.generated,
            requests_completed: completed,
            requests_failed: failed,
            in_flight,
            latency_p50_ms: latency.quantile_ms(0.5),
            latency_p99_ms: latency.quantile_ms(0.99),
            latency_mean_ms: latency.mean_ms(),
            recent_throughput_per_s: recent.map_or(0.0, |p| p.throughput_per_s),
            recent_latency_p99_ms: recent.map_or(0.0, |p| p.latency_p99_ms),
            recent_failures_per_s: recent.map_or(0.0, |p| p.failed as f64 / interval_s),
            writes_lost: writes_lost + self.replication.total_lost(),
            stale_reads,
            recent_cache_hit_ratio: recent.map_or(0.0, |p| p.cache_hit_ratio),
            stale_cache_reads: stale_cache,
            recent_cdn_hit_ratio: recent.map_or(0.0, |p| p.cdn_hit_ratio),
            queue_depth,
            recent_active_users: recent.map_or(0, |p| p.active_users),
            recent_page_views_per_s: recent.map_or(0.0, |p| p.page_views_per_s),
            recent_writes_per_s: recent.map_or(0.0, |p| p.writes_per_s),
            logged_out,
            events_processed: events,
            held_web_workers: stacks.iter().map(|s| s.held_web_workers).sum(),
            breaker: stacks
                .iter()
                .filter_map(|s| s.breaker)
                .fold(None, |all, b| match all {
                    Some(crate::sim::BreakerState::Closed) | None => Some(b),
                    open => open,
                }),
            breaker_store: stacks
                .iter()
                .find(|s| {
                    s.breaker
                        .is_some_and(|b| b != crate::sim::BreakerState::Closed)
                })
                .or_else(|| stacks.first())
                .and_then(|s| s.breaker_store.clone()),
            writes_partitioned: self.writes_partitioned(),
            cut_links: self.cut_links(),
            stampede: stacks
                .iter()
                .filter_map(|s| s.stampede)
                .max_by_key(|p| (p.reads, std::cmp::Reverse(p.key))),
            components: self.component_states(stacks),
        }
    }
}
