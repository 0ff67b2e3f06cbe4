//! Figures a learner can trust: the headline figures the app shows, each computed in one place
//! from the simulation's public state, over a stated window, so that they agree with each other.
//!
//! ```text
//!   offered now      = users × requests per user × the load profile's factor now
//!   p99 (window)     = the last complete metrics interval's p99, or none if nothing completed
//!   in service       = web servers up and not retired
//!   replication lag  = the largest lag of the replicas that are up
//! ```

use super::{ComponentKind, DbRole, Sim, Snapshot};

/// Offered load now, in requests per simulated second: the users' base rate times the load
/// profile's factor at this instant (a spike or a cycle changes it; a constant profile not).
pub fn offered_per_s_now(sim: &Sim) -> f64 {
    let scenario = sim.scenario();
    scenario.offered_rate_per_s() * scenario.traffic.profile.factor(sim.now().as_secs_f64())
}

/// The window recent latency figures cover, in simulated seconds: one metrics interval.
pub fn latency_window_s(sim: &Sim) -> f64 {
    f64::from(sim.scenario().metrics_interval_ms) / 1000.0
}

/// The 99th-percentile latency of the requests completed in the last complete metrics
/// interval, in milliseconds; `None` when none completed in it (a dead server serves nothing,
/// so it has no recent latency, rather than the run's old one).
pub fn recent_p99_ms(snapshot: &Snapshot) -> Option<f64> {
    (snapshot.recent_throughput_per_s > 0.0 && snapshot.recent_latency_p99_ms > 0.0)
        .then_some(snapshot.recent_latency_p99_ms)
}

/// Web servers in service: up and not retired (a dead server is not in service, though it
/// still counts as launched).
pub fn web_servers_in_service(sim: &Sim, snapshot: &Snapshot) -> u32 {
    sim.components()
        .iter()
        .zip(&snapshot.components)
        .filter(|(c, s)| c.kind == ComponentKind::Server && s.alive && !s.retired)
        .count() as u32
}

/// The largest replication lag among the replicas that are up, in milliseconds (a dead
/// replica applies nothing, so its lag grows without meaning; it is left out).
pub fn live_replica_lag_ms(snapshot: &Snapshot) -> f64 {
    snapshot
        .components
        .iter()
        .filter(|c| c.alive && c.role == Some(DbRole::Replica))
        .map(|c| c.lag_ms)
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{preset, Profile};
    use crate::sim::SimTime;

    fn run_to(sim: &mut Sim, s: u64) {
        sim.advance_to(SimTime::from_secs(s), u64::MAX);
    }

    #[test]
    fn offered_load_follows_the_profile() {
        let mut s = preset(1).unwrap();
        s.traffic.profile = Profile::Spike {
            at_s: 10.0,
            duration_s: 5.0,
            factor: 3.0,
        };
        let base = s.offered_rate_per_s();
        let mut sim = Sim::new(&s).unwrap();
        run_to(&mut sim, 5);
        assert_eq!(offered_per_s_now(&sim), base);
        run_to(&mut sim, 12);
        assert_eq!(offered_per_s_now(&sim), 3.0 * base);
    }

    #[test]
    fn a_dead_single_server_has_no_recent_p99() {
        let mut sim = Sim::new(&preset(1).unwrap()).unwrap();
        run_to(&mut sim, 5);
        assert!(recent_p99_ms(&sim.snapshot()).is_some());
        let server = sim.component_named("web-0").unwrap();
        sim.kill(server);
        // Requests already at the server finish within a second or two; then nothing completes.
        run_to(&mut sim, 20);
        let snap = sim.snapshot();
        assert_eq!(recent_p99_ms(&snap), None);
        assert!(snap.latency_p99_ms > 0.0, "the run's p99 is still there");
    }

    #[test]
    fn dead_servers_and_replicas_are_left_out() {
        let mut sim = Sim::new(&preset(4).unwrap()).unwrap();
        run_to(&mut sim, 5);
        let before = web_servers_in_service(&sim, &sim.snapshot());
        let web = sim.component_named("web-1").unwrap();
        let replica = sim.component_named("db-1").unwrap();
        sim.kill(web);
        sim.kill(replica);
        run_to(&mut sim, 30);
        let snap = sim.snapshot();
        assert_eq!(web_servers_in_service(&sim, &snap), before - 1);
        let dead_lag = snap.components[usize::from(replica.0)].lag_ms;
        let lag = live_replica_lag_ms(&snap);
        assert!(
            lag < dead_lag,
            "{lag} ms counted the dead replica's {dead_lag} ms"
        );
    }
}
