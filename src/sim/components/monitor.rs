//! Monitoring (stage 9): every metrics interval, each component's utilization, waiting line
//! and throughput are recorded, and alert rules are evaluated on the interval's figures. An
//! alert fires once its condition has held for `for_s`, and resolves when it stops holding;
//! both go to the event log.
//!
//! [`Monitor`] owns the series, the rules' states and the alert history. It is a built-in
//! kind on the registration (`built_in.rs`, `built_ins!`): the stack holds no field for it
//! and reaches it only through the hooks it takes there —
//!
//! ```text
//!   of_scenario     the scenario's `monitoring` (none: no monitor)
//!   user_sent       a user's request: counted active this interval
//!   users_changed   the population changes: room for every user at once
//!   on_tick         an interval closes: record the stations' series, evaluate the rules,
//!                   log what fires or resolves, put the active users into the point
//!   report_section  the report's `monitoring`
//! ```

use super::registry::{BuiltIn, Component, StationTick, Tick};
use super::station::Station;
use crate::scenario::topology::NodeKind;
use crate::scenario::{AlertMetric, AlertRule, Monitoring, Scenario};
use crate::sim::kernel::run::{Ctx, Slot};
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::{MonitoringReport, Sections, SeriesPoint};
use serde::Serialize;
use std::collections::VecDeque;

/// Points kept per component series (the newest).
const COMPONENT_POINTS: usize = 600;
/// Alert events kept.
const ALERT_EVENTS: usize = 1000;

/// What an alert did: started or stopped firing. Written `"firing"` / `"resolved"` in the
/// report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Its condition has held for the rule's `for_s`.
    Firing,
    /// Its condition stopped holding.
    Resolved,
}

impl AlertState {
    /// The word the report and the app use: `firing` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }
}

impl std::fmt::Display for AlertState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An alert changing state.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct AlertEvent {
    /// When, seconds.
    pub t_s: f64,
    /// The rule's name.
    pub rule: String,
    /// Whether it started or stopped firing.
    pub state: AlertState,
    /// The metric's value in the interval that decided it.
    pub value: f64,
    /// The rule's threshold.
    pub threshold: f64,
}

/// One component's figures, one value per metrics interval (the newest 600).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ComponentSeries {
    /// Component name.
    pub name: String,
    /// Busy fraction, 0–1.
    pub utilization: VecDeque<f64>,
    /// Mean requests waiting.
    pub queue_len: VecDeque<f64>,
    /// Services completed per second.
    pub throughput_per_s: VecDeque<f64>,
}

#[derive(Clone, Copy, Default)]
struct RuleState {
    breach_since: Option<SimTime>,
    firing: bool,
}

/// Monitoring state of a run.
#[derive(Clone)]
pub(crate) struct Monitor {
    rules: Vec<AlertRule>,
    /// Per rule: whether its metric is measured in this stack (a cache hit ratio is not
    /// where there is no cache: such a rule never fires rather than reading the 0 of a tier
    /// that is not there).
    measured: Vec<bool>,
    states: Vec<RuleState>,
    /// The alert history (the newest 1000 changes).
    pub alerts: VecDeque<AlertEvent>,
    components: Vec<ComponentSeries>,
    /// Per component: services completed at the previous tick.
    served_before: Vec<u64>,
    /// Per user: the tick in which they were last counted active (mod 2^16).
    seen: Vec<u16>,
    tick: u16,
    /// Users counted active in the current interval.
    active_users: u64,
}

impl Monitor {
    pub fn new(spec: &Monitoring) -> Monitor {
        Monitor {
            rules: spec.alerts.clone(),
            measured: vec![true; spec.alerts.len()],
            states: vec![RuleState::default(); spec.alerts.len()],
            alerts: VecDeque::new(),
            components: Vec::new(),
            served_before: Vec::new(),
            seen: Vec::new(),
            tick: 1,
            active_users: 0,
        }
    }
}

/// Whether `metric` has a tier to measure it in `scenario` (a data center's own copy at
/// stage 11, which may leave out a tier the others have).
fn is_measured(metric: AlertMetric, scenario: &Scenario) -> bool {
    match metric {
        AlertMetric::CacheHitRatio => scenario.cache.is_some() || !scenario.more_caches.is_empty(),
        AlertMetric::DbUtilization | AlertMetric::ReplicationLagMs => scenario.database.is_some(),
        AlertMetric::QueueDepth => scenario.queue.is_some(),
        AlertMetric::LatencyP99Ms | AlertMetric::ErrorRatio | AlertMetric::WebUtilization => true,
    }
}

fn metric_value(point: &SeriesPoint, metric: AlertMetric) -> f64 {
    match metric {
        AlertMetric::LatencyP99Ms => point.latency_p99_ms,
        AlertMetric::ErrorRatio => {
            let ended = point.completed + point.failed;
            if ended == 0 {
                0.0
            } else {
                point.failed as f64 / ended as f64
            }
        }
        AlertMetric::WebUtilization => point.utilization,
        AlertMetric::DbUtilization => point.db_utilization,
        AlertMetric::ReplicationLagMs => point.replication_lag_ms,
        AlertMetric::QueueDepth => f64::from(point.queue_depth),
        AlertMetric::CacheHitRatio => point.cache_hit_ratio,
    }
}

impl Monitor {
    /// Its report section: the alert history, the rules firing at the end, the series.
    pub fn report(&self) -> MonitoringReport {
        let mut firing: Vec<String> = Vec::new();
        for a in &self.alerts {
            firing.retain(|r| *r != a.rule);
            if a.state == AlertState::Firing {
                firing.push(a.rule.clone());
            }
        }
        MonitoringReport {
            alerts: self.alerts.iter().cloned().collect(),
            firing_at_end: firing,
            components: self.components.clone(),
        }
    }

    /// Records component series and evaluates the alert rules for the interval of
    /// `interval_s` seconds that just closed (`point`); returns the active-user count of that
    /// interval. `stations`: each component with a station, in component order.
    fn evaluate<R: Slot, E: Copy>(
        &mut self,
        point: &SeriesPoint,
        stations: &[StationTick<'_>],
        interval_s: f64,
        ctx: &mut Ctx<R, E>,
    ) -> u64 {
        let now = ctx.now;
        let m = self;
        for (i, s) in stations.iter().enumerate() {
            if m.components.len() <= i {
                m.components.push(ComponentSeries {
                    name: s.name.to_string(),
                    ..ComponentSeries::default()
                });
                m.served_before.push(0);
            }
            let series = &mut m.components[i];
            if series.utilization.len() == COMPONENT_POINTS {
                series.utilization.pop_front();
                series.queue_len.pop_front();
                series.throughput_per_s.pop_front();
            }
            series.utilization.push_back(s.utilization);
            series.queue_len.push_back(s.waiting);
            let done = s.served - m.served_before[i];
            m.served_before[i] = s.served;
            series.throughput_per_s.push_back(done as f64 / interval_s);
        }
        let mut changes = Vec::new();
        for ((rule, state), _) in m
            .rules
            .iter()
            .zip(m.states.iter_mut())
            .zip(&m.measured)
            .filter(|(_, &measured)| measured)
        {
            let value = metric_value(point, rule.metric);
            let breaching = if rule.above {
                value > rule.threshold
            } else {
                value < rule.threshold
            };
            if breaching {
                let since = *state.breach_since.get_or_insert(now);
                if !state.firing && now.since(since) >= SimDuration::from_secs_f64(rule.for_s) {
                    state.firing = true;
                    changes.push((rule.clone(), AlertState::Firing, value));
                }
            } else {
                state.breach_since = None;
                if state.firing {
                    state.firing = false;
                    changes.push((rule.clone(), AlertState::Resolved, value));
                }
            }
        }
        let active = std::mem::take(&mut m.active_users);
        m.tick = m.tick.wrapping_add(1).max(1);
        for (rule, state, value) in changes {
            let event = AlertEvent {
                t_s: now.as_secs_f64(),
                rule: rule.name.clone(),
                state,
                value,
                threshold: rule.threshold,
            };
            if m.alerts.len() == ALERT_EVENTS {
                m.alerts.pop_front();
            }
            m.alerts.push_back(event);
            let relation = if rule.above { ">" } else { "<" };
            ctx.log(
                "monitoring",
                format!(
                    "ALERT {} {state} at {:.3} (rule: {relation} {} for {} s)",
                    rule.name, value, rule.threshold, rule.for_s
                ),
            );
        }
        active
    }
}

impl Component for Monitor {
    /// Records the stations' series, evaluates the rules (logging what fires or resolves)
    /// and puts the interval's active users into its point.
    fn on_tick<R: Slot, E: Copy>(&mut self, tick: &mut Tick<'_>, ctx: &mut Ctx<R, E>) {
        let active = self.evaluate(tick.point, tick.stations, tick.interval_s, ctx);
        tick.point.active_users = active;
    }
}

impl BuiltIn for Monitor {
    const NODE: NodeKind = NodeKind::Monitor;
    const WATCHES_USERS: bool = true;

    fn of_scenario(scenario: &Scenario) -> Option<Monitor> {
        let mut monitor = Monitor::new(scenario.monitoring.as_ref()?);
        for (measured, rule) in monitor.measured.iter_mut().zip(&monitor.rules) {
            *measured = is_measured(rule.metric, scenario);
        }
        Some(monitor)
    }

    /// Counts `user` active in the current interval (once).
    #[inline]
    fn user_sent(&mut self, user: usize) {
        if self.seen.len() <= user {
            self.seen.resize(user + 1, 0);
        }
        if self.seen[user] != self.tick {
            self.seen[user] = self.tick;
            self.active_users += 1;
        }
    }

    /// Makes room for `users` users at once (avoids growing one by one).
    fn users_changed(&mut self, users: usize) {
        if self.seen.len() < users {
            self.seen.resize(users, 0);
        }
    }

    fn report_section(&self, _stations: &[Station], sections: &mut Sections<'_>) {
        sections.monitoring = Some(self.report());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kernel::run::Kernel;

    fn rule(name: &str, metric: AlertMetric, threshold: f64, above: bool, for_s: f64) -> AlertRule {
        AlertRule {
            name: name.into(),
            metric,
            threshold,
            above,
            for_s,
        }
    }

    #[test]
    fn a_rule_on_a_tier_the_stack_does_not_have_never_fires() {
        let mut scenario = crate::scenario::preset(9).expect("preset 9");
        scenario.monitoring = Some(Monitoring {
            alerts: vec![
                rule("cold", AlertMetric::CacheHitRatio, 0.5, false, 0.0),
                rule("slow", AlertMetric::LatencyP99Ms, 100.0, true, 0.0),
            ],
        });
        let fired = |scenario: &Scenario| {
            let mut m = Monitor::of_scenario(scenario).expect("a monitor");
            let mut kernel = Kernel::<(), ()>::new(1);
            for t in 1..=3 {
                kernel.now = SimTime::from_secs(t);
                let mut point = SeriesPoint {
                    t_s: t as f64,
                    latency_p99_ms: 150.0,
                    ..SeriesPoint::default()
                };
                let mut tick = Tick {
                    point: &mut point,
                    interval_s: 1.0,
                    stations: &[],
                };
                m.on_tick(&mut tick, &mut kernel);
            }
            let mut names: Vec<String> = m.alerts.iter().map(|a| a.rule.clone()).collect();
            names.sort();
            names
        };
        // With its cache, a hit ratio of 0 is cold; without one, there is no ratio to alert on.
        assert_eq!(fired(&scenario), ["cold", "slow"]);
        scenario.cache = None;
        scenario.more_caches.clear();
        assert_eq!(fired(&scenario), ["slow"]);
    }

    #[test]
    fn an_alert_fires_once_its_condition_held_for_its_time_and_clears_when_it_stops() {
        let mut m = Monitor::new(&Monitoring {
            alerts: vec![
                rule("slow", AlertMetric::LatencyP99Ms, 100.0, true, 3.0),
                rule("cold", AlertMetric::CacheHitRatio, 0.5, false, 0.0),
            ],
        });
        let mut kernel = Kernel::<(), ()>::new(1);
        // p99 over 100 ms from 2 s to 6 s; the hit ratio under 0.5 at 3 s only.
        let p99 = [50.0, 150.0, 150.0, 150.0, 150.0, 150.0, 50.0, 50.0];
        let mut served = 0;
        for (i, &p) in p99.iter().enumerate() {
            let t = i as u64 + 1;
            for user in [7, 7, 9] {
                m.user_sent(user);
            }
            let mut point = SeriesPoint {
                t_s: t as f64,
                latency_p99_ms: p,
                cache_hit_ratio: if t == 3 { 0.2 } else { 0.9 },
                ..SeriesPoint::default()
            };
            served += 40;
            let stations = [StationTick {
                name: "web-0",
                utilization: 0.5,
                waiting: 1.0,
                served,
            }];
            kernel.now = SimTime::from_secs(t);
            let mut tick = Tick {
                point: &mut point,
                interval_s: 1.0,
                stations: &stations,
            };
            m.on_tick(&mut tick, &mut kernel);
            assert_eq!(point.active_users, 2, "two distinct users");
        }
        let alerts: Vec<(f64, &str, AlertState)> = m
            .alerts
            .iter()
            .map(|a| (a.t_s, a.rule.as_str(), a.state))
            .collect();
        // Breaching since 2 s, it fires at 5 s (held 3 s) and resolves at 7 s.
        assert_eq!(
            alerts,
            vec![
                (3.0, "cold", AlertState::Firing),
                (4.0, "cold", AlertState::Resolved),
                (5.0, "slow", AlertState::Firing),
                (7.0, "slow", AlertState::Resolved),
            ]
        );
        assert_eq!(
            kernel.log[2].text,
            "ALERT slow firing at 150.000 (rule: > 100 for 3 s)"
        );
        let report = m.report();
        assert!(report.firing_at_end.is_empty());
        assert_eq!(report.components[0].throughput_per_s.back(), Some(&40.0));
        assert_eq!(report.components[0].utilization.len(), p99.len());
    }
}
