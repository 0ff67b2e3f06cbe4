//! One incident's numbers and story: folding each interval's figures into it, the load it
//! moved, and the causal chain told from those numbers.

use super::*;

impl Open {
    /// Folds `now`'s figures into the incident's numbers.
    pub(super) fn take_in(&mut self, now: &Observation) {
        let inc = &mut self.incident;
        if now.p99_ms > inc.p99_peak_ms {
            inc.p99_peak_ms = now.p99_ms;
            inc.p99_peak_at_s = now.t_s;
        }
        inc.failures_per_s_peak = inc.failures_per_s_peak.max(now.failures_per_s);
        inc.failed = now.failed.saturating_sub(self.before.failed);
        for (peak, c) in self.peak_utilization.iter_mut().zip(&now.components) {
            if c.alive {
                *peak = peak.max(c.utilization);
            }
        }
        self.lowest_cache_hit = self.lowest_cache_hit.min(now.cache_hit);
        for c in &now.components {
            if c.alive && c.role == Some(DbRole::Replica) {
                self.peak_lag_ms = self.peak_lag_ms.max(c.lag_ms);
            }
        }
        self.deepest_queue = self.deepest_queue.max(now.queue_depth);
        match (&mut inc.cause, self.component) {
            (
                Cause::Saturation {
                    utilization,
                    queue_len,
                    ..
                },
                Some(c),
            ) => {
                *utilization = utilization.max(now.components[c].utilization);
                *queue_len = (*queue_len).max(now.components[c].queue_len);
            }
            (Cause::Surge { to_per_s, .. }, _) => *to_per_s = to_per_s.max(now.offered_per_s),
            (Cause::ReplicationLag { lag_ms, .. }, Some(c)) => {
                *lag_ms = lag_ms.max(now.components[c].lag_ms)
            }
            (Cause::Slow { factor, .. }, Some(c)) => {
                *factor = factor.max(now.components[c].slowdown)
            }
            (Cause::Errors { ratio, .. }, Some(c)) => {
                *ratio = ratio.max(now.components[c].error_ratio)
            }
            (Cause::WorkersHeld { held, .. }, _) => *held = (*held).max(now.held_web_workers),
            (Cause::Partition { writes_waiting }, _) => {
                *writes_waiting = (*writes_waiting).max(now.writes_partitioned)
            }
            (Cause::Stampede { key, reads, .. }, _) if now.stampede.reads > *reads => {
                (*key, *reads) = (now.stampede.key, now.stampede.reads);
            }
            _ => {}
        }
        if let Some(c) = self.component {
            let seen = now.components[c];
            if self.was_in_pool && !seen.in_pool && inc.detection_s.is_none() {
                inc.detection_s = Some(now.t_s - inc.start_s);
            }
            if self.was_master && inc.failover_s.is_none() {
                let promoted = now
                    .components
                    .iter()
                    .enumerate()
                    .any(|(i, s)| i != c && s.alive && s.role == Some(DbRole::Master));
                if promoted {
                    inc.failover_s = Some(now.t_s - inc.start_s);
                }
            }
        }
    }

    /// Stations (other than the one the incident is about) whose busy share rose the most,
    /// largest rise first: (index, before, peak).
    pub(super) fn load_moved(&self) -> Vec<(usize, f64, f64)> {
        let mut moved: Vec<(usize, f64, f64)> = self
            .before
            .components
            .iter()
            .zip(&self.peak_utilization)
            .enumerate()
            .filter(|(i, (b, peak))| {
                Some(*i) != self.component && b.workers > 0 && **peak - b.utilization >= LOAD_SHIFT
            })
            .map(|(i, (b, peak))| (i, b.utilization, *peak))
            .collect();
        moved.sort_by(|a, b| (b.2 - b.1).total_cmp(&(a.2 - a.1)).then(a.0.cmp(&b.0)));
        moved.truncate(3);
        moved
    }

    /// Rebuilds the chain and the summary from the numbers so far.
    pub(super) fn describe(&mut self, names: &[String], now: &Observation) {
        let mut chain = Vec::new();
        let step = |component: &str, text: String| Step {
            component: component.to_string(),
            text,
        };
        let inc = &self.incident;
        let cause_text = match &inc.cause {
            Cause::ComponentDown {
                component,
                component_kind,
                at_s,
                repaired_at_s,
            } => {
                let back =
                    repaired_at_s.map_or(String::new(), |r| format!(", back at {}", secs(r)));
                let label = component_kind.label().to_lowercase();
                let what = if label == *component {
                    String::new()
                } else {
                    format!(" ({label})")
                };
                chain.push(step(
                    component,
                    format!("{component}{what} went down at {}{back}", secs(*at_s)),
                ));
                format!("{component} went down at {}", secs(*at_s))
            }
            Cause::Saturation {
                component,
                utilization,
                queue_len,
                queue_capacity,
            } => {
                chain.push(step(
                    component,
                    format!(
                        "{component} is {} busy with up to {} of {} waiting: it cannot keep up with what it is sent",
                        percent(*utilization),
                        grouped(u64::from(*queue_len)),
                        grouped(u64::from(*queue_capacity))
                    ),
                ));
                format!(
                    "{component} is the bottleneck ({} busy, {} of {} waiting)",
                    percent(*utilization),
                    grouped(u64::from(*queue_len)),
                    grouped(u64::from(*queue_capacity))
                )
            }
            Cause::Surge {
                from_per_s,
                to_per_s,
            } => {
                chain.push(step(
                    "load",
                    format!(
                        "offered load rose from {} to {} requests/s (×{:.1}) at {}",
                        figure(*from_per_s),
                        figure(*to_per_s),
                        to_per_s / from_per_s.max(1e-9),
                        secs(inc.start_s)
                    ),
                ));
                format!(
                    "offered load rose ×{:.1} at {}",
                    to_per_s / from_per_s.max(1e-9),
                    secs(inc.start_s)
                )
            }
            Cause::Slow {
                component,
                factor,
                at_s,
            } => {
                chain.push(step(
                    component,
                    format!(
                        "{component} became ×{} slower at {} (a grey failure: it is up and passes its health checks, so it keeps its share of requests)",
                        times(*factor),
                        secs(*at_s)
                    ),
                ));
                let master = self
                    .component
                    .is_some_and(|c| now.components[c].role == Some(DbRole::Master));
                if master && self.peak_lag_ms > 0.0 {
                    chain.push(step(
                        component,
                        format!(
                            "as the master it also sends its log to the replicas slower: they fell up to {} behind their master",
                            ms(self.peak_lag_ms)
                        ),
                    ));
                }
                format!(
                    "{component} became ×{} slower at {}",
                    times(*factor),
                    secs(*at_s)
                )
            }
            Cause::Errors {
                component,
                ratio,
                at_s,
            } => {
                chain.push(step(
                    component,
                    format!(
                        "{component} fails {} of the requests it gets from {} (it is up and passes its health checks, so it keeps its share)",
                        percent(*ratio),
                        secs(*at_s)
                    ),
                ));
                format!(
                    "{component} fails {} of its requests since {}",
                    percent(*ratio),
                    secs(*at_s)
                )
            }
            Cause::ReplicationLag { component, lag_ms } => {
                let stale = now.stale_reads.saturating_sub(self.before.stale_reads);
                chain.push(step(
                    component,
                    format!(
                        "{component} fell {} behind its master (from {}): writes reach it faster than it applies them",
                        ms(*lag_ms),
                        secs(inc.start_s)
                    ),
                ));
                chain.push(step(
                    "requests",
                    format!(
                        "{} reads returned data older than the latest write",
                        grouped(stale)
                    ),
                ));
                format!("{component} fell {} behind its master", ms(*lag_ms))
            }
            Cause::WorkersHeld {
                component,
                held,
                workers,
                waiting_on,
            } => {
                chain.push(step(waiting_on, format!("{waiting_on} answers slowly")));
                chain.push(step(
                    component,
                    format!(
                        "synchronous web workers wait for it: up to {} of {} are held, so new requests queue at the web tier although its own work is small",
                        grouped(u64::from(*held)),
                        grouped(u64::from(*workers))
                    ),
                ));
                format!(
                    "{} of {} web workers are held waiting for {waiting_on} (synchronous calls)",
                    grouped(u64::from(*held)),
                    grouped(u64::from(*workers))
                )
            }
            Cause::BreakerOpen { store: None } => {
                chain.push(step(
                    "breaker",
                    format!(
                        "the web tier's circuit breaker opened at {}: database calls failed or were slow, so it fails them at once and probes now and then",
                        secs(inc.start_s)
                    ),
                ));
                "the circuit breaker is open (database calls fail at once)".to_string()
            }
            Cause::BreakerOpen { store: Some(store) } => {
                chain.push(step(
                    "breaker",
                    format!(
                        "the web tier's circuit breaker for {store} opened at {}: calls to {store} failed or were slow, so it fails them at once and probes now and then; the other databases' calls go through",
                        secs(inc.start_s)
                    ),
                ));
                format!("the circuit breaker for {store} is open (calls to {store} fail at once)")
            }
            Cause::Partition { writes_waiting } => {
                chain.push(step(
                    "network",
                    format!(
                        "the network between data centers is cut since {}: users still reach each one, but replication between them stopped",
                        secs(inc.start_s)
                    ),
                ));
                chain.push(step(
                    "replication",
                    format!(
                        "{} committed writes wait to replicate: lost if their data center fails before it heals",
                        grouped(*writes_waiting)
                    ),
                ));
                format!(
                    "a network partition holds {} writes back from the other data center",
                    grouped(*writes_waiting)
                )
            }
            Cause::Stampede {
                key,
                reads,
                database,
            } => super::stampede::describe(*key, *reads, database, &mut chain),
        };
        let mut because = cause_text;
        if let Some(c) = self.component {
            let name = names.get(c).map(String::as_str).unwrap_or_default();
            if self.was_in_pool {
                chain.push(step(
                    "load balancer",
                    match inc.detection_s {
                        Some(d) => format!(
                            "the balancer kept sending it requests for about {} until its health checks failed",
                            secs(d)
                        ),
                        None => "the balancer still sends it requests: its health checks have not failed yet".to_string(),
                    },
                ));
            }
            if self.was_master {
                chain.push(step(
                    name,
                    match inc.failover_s {
                        Some(d) => format!(
                            "no master for about {}: writes failed until a replica was promoted",
                            secs(d)
                        ),
                        None => {
                            "no master yet: writes fail until a replica is promoted".to_string()
                        }
                    },
                ));
            }
        }
        if matches!(
            inc.cause,
            Cause::ComponentDown {
                component_kind: ComponentKind::Cache,
                ..
            }
        ) && self.before.cache_hit - self.lowest_cache_hit >= 0.05
        {
            let fell = format!(
                "the cache hit ratio fell from {} to {}",
                percent(self.before.cache_hit),
                percent(self.lowest_cache_hit)
            );
            chain.push(step(
                "cache",
                format!("{fell}: its misses now reach the database"),
            ));
            because = format!("{because} and {fell}");
        }
        if matches!(
            inc.cause,
            Cause::ComponentDown {
                component_kind: ComponentKind::Workers,
                ..
            }
        ) && self.deepest_queue > self.before.queue_depth
        {
            chain.push(step(
                "queue",
                format!(
                    "jobs piled up in the queue: {} waiting at most (was {})",
                    grouped(u64::from(self.deepest_queue)),
                    grouped(u64::from(self.before.queue_depth))
                ),
            ));
        }
        if !matches!(inc.cause, Cause::ReplicationLag { .. }) {
            let lagging = now
                .components
                .iter()
                .enumerate()
                .filter(|(_, c)| c.alive && c.role == Some(DbRole::Replica) && c.lag_ms >= LAG_MS)
                .max_by(|a, b| a.1.lag_ms.total_cmp(&b.1.lag_ms));
            if let Some((i, c)) = lagging {
                chain.push(step(
                    &names[i],
                    format!(
                        "{} is {} behind its master: reads there return old data",
                        names[i],
                        ms(c.lag_ms)
                    ),
                ));
            }
        }
        let moved = self.load_moved();
        for &(i, was, peak) in &moved {
            chain.push(step(
                &names[i],
                format!(
                    "{} is {} busy (was {})",
                    names[i],
                    percent(peak),
                    percent(was)
                ),
            ));
        }
        let inc = &self.incident;
        let rose = inc.p99_peak_ms > 1.2 * inc.p99_before_ms + 5.0;
        let mut symptoms = Vec::new();
        if rose {
            symptoms.push(format!(
                "p99 rose from {} to {} at {}",
                ms(inc.p99_before_ms),
                ms(inc.p99_peak_ms),
                secs(inc.p99_peak_at_s)
            ));
        }
        if inc.failed > 0 {
            symptoms.push(format!(
                "{} requests failed (up to {} per second)",
                grouped(inc.failed),
                figure(inc.failures_per_s_peak)
            ));
        }
        for s in &symptoms {
            chain.push(step("requests", s.clone()));
        }
        let effect = symptoms.join("; ");
        let summary = match moved.first() {
            Some(&(i, was, peak)) if symptoms.is_empty() => format!(
                "{because}: {} is {} busy (was {}); no effect on p99 or failures so far.",
                names[i],
                percent(peak),
                percent(was)
            ),
            None if symptoms.is_empty() => {
                format!("{because}; no effect on p99 or failures so far.")
            }
            Some(&(i, was, peak)) => format!(
                "{effect}: {} is {} busy (was {}) because {because}.",
                names[i],
                percent(peak),
                percent(was)
            ),
            None => format!("{effect} because {because}."),
        };
        self.incident.chain = chain;
        self.incident.summary = summary;
    }
}
