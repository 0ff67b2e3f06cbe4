//! Applies a user's live changes ([`crate::scenario::live`]) to a running [`Sim`], and replays
//! a recorded list of them: the app records what the user does, a link carries it, and
//! [`replay`] runs the same simulation again, change for change, at the same instants.
//!
//! ```text
//!   Sim::new(scenario) ──advance_to(change.at)──▶ apply(change) ──▶ … ──advance_to(until)
//! ```

use thiserror::Error;

use super::{Sim, SimTime};
use crate::scenario::{Deploy, LiveAction, LiveChange, Scenario, ValidationErrors};

/// Live deploys: longest wait for a server to drain, in milliseconds.
pub const DEPLOY_DRAIN_TIMEOUT_MS: f64 = 5000.0;
/// Live deploys: time a restarted server takes to start, in seconds.
pub const DEPLOY_STARTUP_S: f64 = 5.0;

/// Why a live change could not be applied or replayed.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum LiveApplyError {
    /// The change names a component this simulation does not have.
    #[error("the live change names '{0}', which this run has no component called")]
    UnknownComponent(String),
    /// A partition names something other than two of this run's data centers.
    #[error("'{0}' and '{1}' are not two data centers of this run")]
    NotDataCenters(String, String),
    /// The scenario itself is not valid.
    #[error("the scenario is not valid: {0}")]
    Invalid(ValidationErrors),
}

/// Does `action` to the simulation now.
pub fn apply(sim: &mut Sim, action: &LiveAction) -> Result<(), LiveApplyError> {
    let named = |sim: &Sim, name: &str| {
        sim.component_named(name)
            .ok_or_else(|| LiveApplyError::UnknownComponent(name.to_string()))
    };
    match action {
        LiveAction::Users(users) => sim.set_users(*users),
        LiveAction::WebServers(count) => sim.set_web_servers(*count),
        LiveAction::PoolServers { pool, count } => {
            let scenario = sim.scenario();
            if let Some((dc, number)) = scenario.data_center_pool(pool) {
                sim.set_data_center_pool_servers(dc, number, *count);
                return Ok(());
            }
            let number = scenario.web_pool_number(pool);
            let number = number.ok_or_else(|| LiveApplyError::UnknownComponent(pool.clone()))?;
            sim.set_pool_servers(number, *count);
        }
        LiveAction::Kill(name) => {
            let id = named(sim, name)?;
            sim.kill(id);
        }
        LiveAction::Repair(name) => {
            let id = named(sim, name)?;
            sim.repair(id);
        }
        LiveAction::Slow { name, factor_milli } => {
            let id = named(sim, name)?;
            sim.slow(id, f64::from(*factor_milli) / 1000.0);
        }
        LiveAction::Errors { name, ratio_milli } => {
            let id = named(sim, name)?;
            sim.errors(id, f64::from(*ratio_milli) / 1000.0);
        }
        LiveAction::CdnPurgeAll => sim.cdn_purge_all(),
        // Objects are numbered by popularity: 0 is the most requested.
        LiveAction::CdnNewVersion => sim.cdn_new_version(0),
        LiveAction::Reshard(count) => sim.reshard(*count),
        LiveAction::ReshardAt { router, count } => {
            let store = sim.scenario().router_store(router);
            let store = store.ok_or_else(|| LiveApplyError::UnknownComponent(router.clone()))?;
            sim.reshard_store(store, *count);
        }
        LiveAction::Mechanism { which, on } => sim.set_mechanism(*which, *on),
        LiveAction::CoalesceAt { cache, on } => {
            let number = sim.scenario().cache_number(cache);
            let number = number.ok_or_else(|| LiveApplyError::UnknownComponent(cache.clone()))?;
            sim.set_coalescing_at(number, *on);
        }
        LiveAction::Partition { a, b, cut } => {
            if !sim.partition(a, b, *cut) {
                return Err(LiveApplyError::NotDataCenters(a.clone(), b.clone()));
            }
        }
        LiveAction::Deploy { batch, drain, pool } => {
            if let Some(name) = pool {
                if sim.scenario().web_pool_number(name).is_none() {
                    return Err(LiveApplyError::UnknownComponent(name.clone()));
                }
            }
            let drain = *drain && sim.scenario().load_balancer.is_some();
            sim.start_deploy(&Deploy {
                at_s: None,
                batch_size: *batch,
                drain,
                drain_timeout_ms: DEPLOY_DRAIN_TIMEOUT_MS,
                startup_s: DEPLOY_STARTUP_S,
                pool: pool.clone(),
            });
        }
    }
    Ok(())
}

/// Builds the simulation of `scenario` and runs it to `until`, applying each change at its
/// time (changes at the same instant in their order, before the events of later instants).
pub fn replay(
    scenario: &Scenario,
    changes: &[LiveChange],
    until: SimTime,
) -> Result<Sim, LiveApplyError> {
    let sim = Sim::new(scenario).map_err(LiveApplyError::Invalid)?;
    replay_in(sim, changes, until)
}

/// [`replay`] on up to `threads` threads (see [`Sim::set_threads`]): the same run, which keeps
/// the threads setting to run on.
#[cfg(not(target_arch = "wasm32"))]
pub fn replay_on(
    scenario: &Scenario,
    changes: &[LiveChange],
    until: SimTime,
    threads: u32,
) -> Result<Sim, LiveApplyError> {
    let mut sim = Sim::new(scenario).map_err(LiveApplyError::Invalid)?;
    sim.set_threads(threads);
    replay_in(sim, changes, until)
}

/// Runs `sim` from its start to `until`, applying each change at its time.
fn replay_in(mut sim: Sim, changes: &[LiveChange], until: SimTime) -> Result<Sim, LiveApplyError> {
    for change in changes {
        let at = SimTime(change.at_ns);
        if at > until {
            break;
        }
        sim.advance_to(at, u64::MAX);
        apply(&mut sim, &change.action)?;
    }
    sim.advance_to(until, u64::MAX);
    Ok(sim)
}
