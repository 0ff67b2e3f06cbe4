//! A stack's report: each component's section (built by the component), the stations'
//! figures, the bill and the theory check, as the [`Sections`] the report builder
//! (`report/build.rs`) assembles into one [`Report`] — or merges with other data centers'
//! (`geo/report.rs`).

use super::*;
use crate::scenario::Shape;
use crate::sim::report::*;
use crate::sim::theory;
use crate::sim::PlugReport;

impl Stack {
    /// [`Sim::report`] of one data center's stack, without its digest.
    pub(in crate::sim) fn report_single(&self) -> Report {
        let head = RunHead {
            scenario: &self.scenario,
            elapsed_s: self.now().as_secs_f64(),
        };
        ReportBuilder::single(self.sections()).finish(
            head,
            self.series.iter().cloned().collect(),
            &self.kernel.log,
            self.kernel.log_dropped,
            None,
        )
    }

    /// What this stack contributes to a report: its components' sections, its stations'
    /// figures, its books and its bill.
    pub(in crate::sim) fn sections(&self) -> Sections<'_> {
        let b = &self.kernel.books;
        let elapsed_s = self.now().as_secs_f64();
        let per_s = |n: u64| {
            if elapsed_s > 0.0 {
                n as f64 / elapsed_s
            } else {
                0.0
            }
        };
        let failed_by_reason = FailureCounts {
            queue_full: b.failed[0],
            timeout: b.failed[1],
            server_down: b.failed[2],
            dns_down: b.failed[3],
            no_healthy_server: b.failed[4],
            db_down: b.failed[5],
            session_store_down: b.failed[6],
            rate_limited: b.failed[7],
        };
        let components = self
            .components
            .iter()
            .filter_map(|c| self.station_of(c.id).map(|s| (c, s)))
            .map(|(c, s)| {
                let span = s.total;
                let completed_here = s.served.max(1) as f64;
                ComponentReport {
                    name: c.name.clone(),
                    kind: c.kind,
                    utilization: span.utilization(s.workers),
                    mean_queue_len: span.mean_waiting(),
                    mean_in_system: if span.span_ns == 0 {
                        0.0
                    } else {
                        (span.busy + span.queued) as f64 / span.span_ns as f64
                    },
                    max_queue_len: s.max_waiting,
                    throughput_per_s: per_s(s.served),
                    mean_sojourn_ms: s.sojourn_sum_ns as f64 / completed_here / 1e6,
                    mean_wait_ms: s.wait_sum_ns as f64 / s.started.max(1) as f64 / 1e6,
                    served: s.served,
                    rejected: s.rejected,
                    refused: s.refused,
                    role: self.role_of(c.id, c.kind),
                    slowed_s: (s.slowdown_max != 1.0).then(|| s.slowed_ns(self.now()) as f64 / 1e9),
                    slowdown_max: (s.slowdown_max != 1.0).then_some(s.slowdown_max),
                    errors_injected: (s.errors_injected > 0).then_some(s.errors_injected),
                }
            })
            .collect::<Vec<_>>();
        let theory = if self.web().alone() {
            self.theory_check(components.iter().find(|c| c.kind == ComponentKind::Server))
        } else {
            None
        };
        let mut sections = Sections {
            requests: RequestTotals {
                generated: b.generated,
                completed: b.completed,
                failed: b.failed.iter().sum(),
                failed_by_reason,
                in_flight: self.in_flight_counted(),
            },
            latency: &b.latency,
            latency_by_kind: &b.latency_by_kind,
            // Written by the DNS server's component, below.
            dns: DnsReport::default(),
            components,
            // Written by the database clusters' component, below.
            database: None,
            // Written by the caches' component, below.
            cache: None,
            more_caches: Vec::new(),
            plugs: (self.scenario.plugs.iter())
                .zip(&self.plugs)
                .map(|(p, part)| PlugReport {
                    name: p.name.clone(),
                    kind: part.kind(),
                    figures: part.report(),
                })
                .collect(),
            more_databases: Vec::new(),
            // Written by the CDN edge's component, below.
            cdn: None,
            // Written by the message queue's component, below.
            queue: None,
            // Written by the web tier's component, below.
            more_web_pools: Vec::new(),
            sessions: None,
            // Written by the monitor's component, below.
            monitoring: None,
            data_store: None,
            // Written by the deploy controller's component, below.
            deploys: Vec::new(),
            deploys_finished: 0,
            clients: self.clients.as_ref(),
            sync: self.sync.as_ref(),
            breaker: self.breakers.first().map(|b| b.report(self.now())),
            theory,
            cost: self.cost(),
        };
        for part in &self.built_ins {
            part.report_section(&self.stations, &mut sections);
        }
        // The web tier's breaker around each further database (store `n + 1`).
        for (n, more) in sections.more_databases.iter_mut().enumerate() {
            more.breaker = self.breakers.get(n + 1).map(|b| b.report(self.now()));
        }
        if (sections.data_store.as_ref()).is_some_and(|d| self.data_store_is_plain(d)) {
            sections.data_store = None;
        }
        sections
    }

    /// The bill of this stack so far: every node for the time it existed (web servers as the
    /// series counted them in service, other nodes for the whole run), stored data, DNS
    /// lookups and the CDN.
    pub(in crate::sim) fn cost(&self) -> crate::sim::cost::CostReport {
        use crate::sim::cost::Bill;
        let run = RunSoFar {
            hours: self.now().as_secs_f64() / 3600.0,
            series: &self.series,
            interval_h: self.interval_ns as f64 / 1e9 / 3600.0,
        };
        let mut bill = Bill::default();
        // The built-in kinds' machines billed first, in registration order (the web servers
        // as the series counted them, then the load balancer).
        for part in self.built_ins.iter().filter(|part| part.machines_first()) {
            part.bill_machines(&run, &mut bill);
        }
        // The built-in kinds' other machines, in registration order (the database nodes and
        // their stored data, the cache nodes, the session store, the queue's broker and
        // workers).
        for part in self.built_ins.iter().filter(|part| !part.machines_first()) {
            part.bill_machines(&run, &mut bill);
        }
        // The built-in kinds' lines (the DNS lookups, the CDN's transfer), in their bill
        // order.
        let mut parts: Vec<&BuiltInPart> = self.built_ins.iter().collect();
        parts.sort_by_key(|part| part.bill_order());
        for part in parts {
            part.bill(&mut bill);
        }
        bill.finish(run.hours)
    }

    /// Whether the data store's section says nothing worth a section: a plain relational
    /// database (one copy of each record) with no NoSQL store beside it.
    fn data_store_is_plain(&self, data: &DataStoreReport) -> bool {
        let relational =
            (self.scenario.database.as_ref()).is_some_and(|db| db.kind.is_relational());
        relational && data.write_factor == 1 && data.nosql.is_none() && data.more_nosql.is_empty()
    }

    /// The role of component `id` of `kind` among its group's stations, as its kind says
    /// (a database node: master or replica).
    fn role_of(&self, id: ComponentId, kind: ComponentKind) -> Option<DbRole> {
        let station = self.station_of_component(id)?;
        let index = self.station_info[usize::from(station)].2;
        let mut state = ComponentState::default();
        for part in &self.built_ins {
            part.station_state_at(kind, index, self.kernel.now, &mut state);
        }
        state.role
    }

    fn theory_check(&self, server: Option<&ComponentReport>) -> Option<TheoryCheck> {
        let server = server?;
        let s = &self.scenario;
        let weights = s.traffic.mix.weights();
        let total: f64 = weights.iter().sum();
        let dists = s.server.service.by_kind();
        let used: Vec<(f64, &crate::scenario::Dist)> = weights
            .iter()
            .zip(dists)
            .filter(|(w, _)| **w > 0.0)
            .map(|(w, d)| (w / total, d))
            .collect();
        let mean_ms: f64 = used.iter().map(|(p, d)| p * d.mean_ms).sum();
        let second_moment: f64 = used
            .iter()
            .map(|(p, d)| {
                let m2 = d.mean_ms * d.mean_ms;
                p * match d.shape {
                    Shape::Exponential => 2.0 * m2,
                    Shape::Constant => m2,
                    Shape::Lognormal => m2 * (1.0 + d.cv * d.cv),
                }
            })
            .sum();
        let scv = second_moment / (mean_ms * mean_ms) - 1.0;
        let lambda_per_ms = s.offered_rate_per_s() / 1000.0;
        let c = s.server.workers;
        let arrived = server.served + server.rejected;
        let rejection_measured = if arrived == 0 {
            0.0
        } else {
            server.rejected as f64 / arrived as f64
        };
        let all_exponential_same_mean = used.iter().all(|(_, d)| {
            d.shape == Shape::Exponential && (d.mean_ms - used[0].1.mean_ms).abs() < 1e-12
        });
        let (model, response, utilization, rejection) = if all_exponential_same_mean {
            let r = theory::mmck(c, s.server.queue_capacity, lambda_per_ms, mean_ms);
            (
                "M/M/c/K (exact)",
                Some(r.mean_response),
                r.utilization,
                Some(r.blocking),
            )
        } else {
            (
                "M/G/c (Allen–Cunneen approximation, infinite queue)",
                theory::mgc_mean_response(c, lambda_per_ms, mean_ms, scv),
                (lambda_per_ms * mean_ms / f64::from(c)).min(1.0),
                None,
            )
        };
        Some(TheoryCheck {
            model: model.to_string(),
            arrival_rate_per_s: lambda_per_ms * 1000.0,
            mean_service_ms: mean_ms,
            workers: c,
            utilization_expected: utilization,
            utilization_measured: server.utilization,
            mean_response_ms_expected: response,
            mean_response_ms_measured: server.mean_sojourn_ms,
            rejection_expected: rejection,
            rejection_measured,
        })
    }
}
