//! One report builder for both engines. A data center's stack hands over its [`Sections`] —
//! what each of its components reports, its stations' figures, its books' counts and
//! histograms, its bill — and a [`ReportBuilder`] assembles a [`Report`] from one of them (a
//! lone stack) or merges several (the geo layer's data centers):
//!
//! ```text
//!   Stack::sections ──▶ ReportBuilder::single ───────────────────────────▶ finish ─▶ Report
//!   Stack::sections ×n ─▶ ReportBuilder::merged + add_data_center(name) ×n ─▶ finish ─▶ Report
//! ```
//!
//! Merging carries what can be added (request counts, latency histograms, the retrying
//! clients' and synchronous workers' counters, circuit breakers, bills) and turns it into
//! figures once, at the end; what belongs to one data center (its database, cache, CDN and
//! queue sections) stays in its [`DataCenterReport`], and its components and monitoring
//! series are named after it (`dc/name`).

use super::*;
use crate::sim::components::clients::Clients;
use crate::sim::components::sync::SyncWorkers;
use crate::sim::cost::{Bill, CostReport};
use crate::sim::PlugReport;

/// What one data center's stack contributes to a report.
pub(in crate::sim) struct Sections<'a> {
    /// Its requests: generated, completed, failed, in flight.
    pub requests: RequestTotals,
    /// Latency of the requests it completed.
    pub latency: &'a Histogram,
    /// The same per request kind.
    pub latency_by_kind: &'a [Histogram; 4],
    /// Its DNS server's section.
    pub dns: DnsReport,
    /// Its stations' figures, in component order.
    pub components: Vec<ComponentReport>,
    /// Its components' sections (each `None` when it has no such component).
    pub database: Option<DatabaseReport>,
    pub cache: Option<CacheReport>,
    pub more_caches: Vec<NamedCacheReport>,
    pub more_web_pools: Vec<WebPoolReport>,
    pub more_databases: Vec<NamedDatabaseReport>,
    /// Its registered kinds' components (rate limiters, …), in the scenario's order.
    pub plugs: Vec<PlugReport>,
    pub cdn: Option<CdnReport>,
    pub queue: Option<QueueReport>,
    pub sessions: Option<SessionReport>,
    pub monitoring: Option<MonitoringReport>,
    pub data_store: Option<DataStoreReport>,
    /// Its deploys: the finished ones, then the one under way (if any).
    pub deploys: Vec<DeployReport>,
    /// How many of `deploys` are finished (a merged report lists only those).
    pub deploys_finished: usize,
    /// Its retrying clients' counters (reported against the run's totals at the end).
    pub clients: Option<&'a Clients>,
    /// Its synchronous web workers' counters.
    pub sync: Option<&'a SyncWorkers>,
    pub breaker: Option<super::super::BreakerReport>,
    /// The queueing-theory check of a lone web server (`None` otherwise).
    pub theory: Option<TheoryCheck>,
    /// Its bill.
    pub cost: CostReport,
}

/// What identifies a run in its report.
pub(in crate::sim) struct RunHead<'a> {
    pub scenario: &'a crate::scenario::Scenario,
    /// Simulated time run, s.
    pub elapsed_s: f64,
}

/// A report being assembled.
pub(in crate::sim) struct ReportBuilder {
    requests: RequestTotals,
    latency: Histogram,
    latency_by_kind: [Histogram; 4],
    dns: DnsReport,
    components: Vec<ComponentReport>,
    database: Option<DatabaseReport>,
    cache: Option<CacheReport>,
    more_caches: Vec<NamedCacheReport>,
    more_web_pools: Vec<WebPoolReport>,
    more_databases: Vec<NamedDatabaseReport>,
    plugs: Vec<PlugReport>,
    cdn: Option<CdnReport>,
    queue: Option<QueueReport>,
    sessions: Option<SessionReport>,
    monitoring: Option<MonitoringReport>,
    data_store: Option<DataStoreReport>,
    deploys: Vec<DeployReport>,
    clients: Option<Clients>,
    sync: Option<SyncWorkers>,
    breaker: Option<super::super::BreakerReport>,
    theory: Option<TheoryCheck>,
    bill: Bill,
    cost: Option<CostReport>,
    /// The merged monitoring's alert history (the caller's, merged from every data center).
    alerts: Vec<crate::sim::AlertEvent>,
}

impl ReportBuilder {
    /// A report of one stack: its sections as they are.
    pub fn single(s: Sections<'_>) -> ReportBuilder {
        ReportBuilder {
            requests: s.requests,
            latency: s.latency.clone(),
            latency_by_kind: s.latency_by_kind.clone(),
            dns: s.dns,
            components: s.components,
            database: s.database,
            cache: s.cache,
            more_caches: s.more_caches,
            more_web_pools: s.more_web_pools,
            more_databases: s.more_databases,
            plugs: s.plugs,
            cdn: s.cdn,
            queue: s.queue,
            sessions: s.sessions,
            monitoring: s.monitoring,
            data_store: s.data_store,
            deploys: s.deploys,
            clients: s.clients.cloned(),
            sync: s.sync.cloned(),
            breaker: s.breaker,
            theory: s.theory,
            bill: Bill::default(),
            cost: Some(s.cost),
            alerts: Vec::new(),
        }
    }

    /// A report merged from data centers (added with [`ReportBuilder::add_data_center`]):
    /// `requests` holds what happened above them (generated, failed at geoDNS), `dns` the
    /// geoDNS figures, `alerts` every data center's alert history in order.
    pub fn merged(
        requests: RequestTotals,
        dns: DnsReport,
        alerts: Vec<crate::sim::AlertEvent>,
    ) -> ReportBuilder {
        ReportBuilder {
            requests,
            latency: Histogram::new(),
            latency_by_kind: std::array::from_fn(|_| Histogram::new()),
            dns,
            components: Vec::new(),
            database: None,
            cache: None,
            more_caches: Vec::new(),
            more_web_pools: Vec::new(),
            more_databases: Vec::new(),
            plugs: Vec::new(),
            cdn: None,
            queue: None,
            sessions: None,
            monitoring: None,
            data_store: None,
            deploys: Vec::new(),
            clients: None,
            sync: None,
            breaker: None,
            theory: None,
            bill: Bill::default(),
            cost: None,
            alerts,
        }
    }

    /// Merges data center `dc`'s sections; returns its own report (its requests, latency and
    /// the sections that stay its own), for the caller to complete with the geo figures.
    pub fn add_data_center(&mut self, dc: &str, s: Sections<'_>) -> DataCenterReport {
        self.latency.merge(s.latency);
        for (all, mine) in self.latency_by_kind.iter_mut().zip(s.latency_by_kind) {
            all.merge(mine);
        }
        self.bill.extend_prefixed(&format!("{dc}/"), s.cost);
        self.requests.add_handled(&s.requests);
        self.components
            .extend(s.components.into_iter().map(|c| c.in_data_center(dc)));
        // Each data center runs its own registered components: listed after the data
        // center's, named as its components are (`dc/name`).
        self.plugs.extend(s.plugs.into_iter().map(|p| PlugReport {
            name: format!("{dc}/{}", p.name),
            ..p
        }));
        if let Some(m) = s.monitoring {
            let alerts = &self.alerts;
            self.monitoring
                .get_or_insert_with(|| MonitoringReport {
                    alerts: alerts.clone(),
                    ..MonitoringReport::default()
                })
                .absorb(m, dc);
        }
        if let Some(c) = s.clients {
            match self.clients.as_mut() {
                Some(all) => all.add(c),
                None => self.clients = Some(c.clone()),
            }
        }
        if let Some(w) = s.sync {
            match self.sync.as_mut() {
                Some(all) => all.add(w),
                None => self.sync = Some(w.clone()),
            }
        }
        if let Some(r) = s.breaker {
            match self.breaker.as_mut() {
                Some(all) => {
                    all.trips += r.trips;
                    all.refused += r.refused;
                    all.open_s += r.open_s;
                    if all.state == crate::sim::BreakerState::Closed {
                        all.state = r.state;
                    }
                }
                None => self.breaker = Some(r),
            }
        }
        self.deploys
            .extend(s.deploys.into_iter().take(s.deploys_finished));
        DataCenterReport {
            name: dc.to_string(),
            region: String::new(),
            dns_answers: 0,
            requests_received: 0,
            requests: s.requests,
            latency_ms: LatencyReport::of(s.latency),
            up_at_end: true,
            in_dns_at_end: true,
            intervals_named_while_down: 0,
            database: s.database,
            cache: s.cache,
            more_caches: s.more_caches,
            more_web_pools: s.more_web_pools,
            more_databases: s.more_databases,
            cdn: s.cdn,
            queue: s.queue,
        }
    }

    /// The merged bill so far, for the caller's own lines (replication, geoDNS).
    pub fn bill(&mut self) -> &mut Bill {
        &mut self.bill
    }

    /// The report: its head, the sections, the run's series and event log, the geo section.
    pub fn finish(
        self,
        head: RunHead<'_>,
        series: Vec<SeriesPoint>,
        log: &std::collections::VecDeque<LogEntry>,
        events_dropped: u64,
        geo: Option<GeoReport>,
    ) -> Report {
        let elapsed_s = head.elapsed_s;
        let (generated, completed) = (self.requests.generated, self.requests.completed);
        Report {
            scenario: head.scenario.name.clone(),
            stage: head.scenario.stage,
            seed: head.scenario.seed,
            sim_time_s: elapsed_s,
            throughput_per_s: if elapsed_s > 0.0 {
                completed as f64 / elapsed_s
            } else {
                0.0
            },
            requests: self.requests,
            latency_ms: LatencyReport::of(&self.latency),
            latency_by_kind: RequestKind::ALL
                .iter()
                .map(|&kind| KindLatency {
                    kind,
                    latency_ms: LatencyReport::of(&self.latency_by_kind[kind as usize]),
                })
                .collect(),
            dns: self.dns,
            components: self.components,
            database: self.database,
            cache: self.cache,
            more_caches: self.more_caches,
            more_web_pools: self.more_web_pools,
            more_databases: self.more_databases,
            plugs: self.plugs,
            cdn: self.cdn,
            queue: self.queue,
            sessions: self.sessions,
            monitoring: self.monitoring,
            data_store: self.data_store,
            deploys: self.deploys,
            theory: self.theory,
            clients: self
                .clients
                .map(|c| c.report(generated, completed, elapsed_s)),
            sync_workers: self.sync.map(|s| s.report()),
            breaker: self.breaker,
            cost: self
                .cost
                .unwrap_or_else(|| self.bill.finish(elapsed_s / 3600.0)),
            geo,
            series,
            diagnosis: Vec::new(),
            events: log.iter().cloned().collect(),
            events_dropped,
            digest: String::new(),
        }
    }
}
