//! Stage 9: per-component series, business metrics and alert rules.

use crate::helpers::{assert_conserved, run};
use scalesim::scenario::{preset, AlertMetric, AlertRule, Fault};
use scalesim::sim::AlertState;

#[test]
fn alerts_fire_after_their_duration_and_resolve() {
    let s = preset(9).unwrap();
    let r = run(&s);
    assert_conserved(&r);
    let m = r.monitoring.unwrap();
    let errors: Vec<_> = m
        .alerts
        .iter()
        .filter(|a| a.rule == "errors over 1%")
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].state, AlertState::Firing);
    // The report writes the state as the word, as it always has.
    let json = serde_json::to_value(errors[0]).unwrap();
    assert_eq!(json["state"], "firing", "{json}");
    // The master dies at 60 s; the rule needs 2 s of errors, judged once a second.
    assert!(
        errors[0].t_s >= 62.0 && errors[0].t_s <= 64.0,
        "{}",
        errors[0].t_s
    );
    assert_eq!(errors[1].state, AlertState::Resolved);
    assert_eq!(
        serde_json::to_value(errors[1]).unwrap()["state"],
        "resolved"
    );
    let fo = &s.database.as_ref().unwrap().failover;
    let outage_end = 60.0 + (fo.detection_ms + fo.promotion_ms) / 1000.0;
    assert!(errors[1].t_s > outage_end && errors[1].t_s <= outage_end + 2.0);
    assert!(m
        .alerts
        .iter()
        .any(|a| a.rule == "job backlog over 1,000" && a.state == AlertState::Firing));
    assert!(r
        .events
        .iter()
        .any(|e| e.text.starts_with("ALERT errors over 1% firing")));
    assert!(m.firing_at_end.is_empty());
}

#[test]
fn a_breach_shorter_than_the_rule_does_not_fire() {
    let mut s = preset(9).unwrap();
    s.faults = vec![Fault {
        target: "db-0".into(),
        at_s: 30.0,
        duration_s: 1.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    let m = s.monitoring.as_mut().unwrap();
    m.alerts = vec![AlertRule {
        name: "errors".into(),
        metric: AlertMetric::ErrorRatio,
        threshold: 0.001,
        above: true,
        for_s: 10.0,
    }];
    let r = run(&s);
    assert!(r.requests.failed > 0);
    assert!(r.monitoring.unwrap().alerts.is_empty());
}

#[test]
fn active_users_match_poisson_arrivals() {
    let r = run(&preset(9).unwrap());
    let s = preset(9).unwrap();
    let p = 1.0 - (-s.traffic.requests_per_user_per_s * 1.0f64).exp();
    let expected = s.traffic.users as f64 * p;
    let points: Vec<f64> = r
        .series
        .iter()
        .skip(1)
        .map(|p| p.active_users as f64)
        .collect();
    let mean = points.iter().sum::<f64>() / points.len() as f64;
    assert!(
        (mean - expected).abs() / expected < 0.02,
        "{mean} vs {expected}"
    );
    let pv: f64 = r.series.iter().map(|p| p.page_views_per_s).sum::<f64>() / r.series.len() as f64;
    let offered_pv = s.offered_rate_per_s() * 0.3;
    assert!(
        (pv - offered_pv).abs() / offered_pv < 0.05,
        "{pv} vs {offered_pv}"
    );
}

#[test]
fn every_component_has_a_series_point_per_interval() {
    let s = preset(9).unwrap();
    let r = run(&s);
    let m = r.monitoring.unwrap();
    let stations = r.components.len();
    assert_eq!(m.components.len(), stations);
    for c in &m.components {
        assert_eq!(c.utilization.len(), r.series.len(), "{}", c.name);
        assert!(c.utilization.iter().all(|u| (0.0..=1.0).contains(u)));
    }
    let db1 = m.components.iter().find(|c| c.name == "db-1").unwrap();
    assert!(db1.throughput_per_s.iter().sum::<f64>() > 0.0);
}
