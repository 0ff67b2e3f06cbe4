//! What-if: from the component that saturates first, the change that relieves it.
//!
//! ```text
//!   bottleneck ──▶ tier / role ──▶ one change to the scenario (more replicas, more shards,
//!                                   a bigger node, …) ──▶ search again, compare the limits
//! ```
//!
//! Each change doubles one resource, within the limits validation allows, so the two limits
//! side by side say how much that resource was holding the system back.

use super::Bottleneck;
use crate::scenario::{
    Scenario, MAX_CACHE_NODES, MAX_DB_WORKERS, MAX_REPLICAS, MAX_SHARDS, MAX_SPEED, MAX_WEB_SERVERS,
};
use crate::sim::{ComponentKind, DbRole};

/// Most workers a web server, the session store or the queue may have in a what-if.
const MAX_WORKERS: u32 = 10_000;

/// A change to a scenario that relieves its bottleneck.
#[derive(Clone, Debug, PartialEq)]
pub struct Relief {
    /// What changes, for a reader: `more read replicas: 2 → 4`.
    pub change: String,
    /// The scenario with the change made.
    pub scenario: Scenario,
}

/// The change that relieves `bottleneck` in `scenario`, if there is one within the limits
/// validation allows (`None` also for tiers no single knob relieves, such as the DNS).
pub fn relief(scenario: &Scenario, bottleneck: &Bottleneck) -> Option<Relief> {
    let mut s = scenario.clone();
    let change = match bottleneck.tier {
        ComponentKind::Server => more_web_capacity(&mut s)?,
        ComponentKind::Database => more_database_capacity(&mut s, bottleneck.role)?,
        ComponentKind::Cache => {
            let cache = s.cache.as_mut()?;
            let to = double_within(cache.nodes, MAX_CACHE_NODES)?;
            let change = format!("more cache nodes: {} → {to}", cache.nodes);
            cache.nodes = to;
            change
        }
        ComponentKind::SessionStore => {
            let sessions = s.sessions.as_mut()?;
            let to = double_within(sessions.store_workers, MAX_WORKERS)?;
            let change = format!(
                "a bigger session store: {} → {to} workers",
                sessions.store_workers
            );
            sessions.store_workers = to;
            change
        }
        ComponentKind::Workers => {
            let queue = s.queue.as_mut()?;
            let to = double_within(queue.workers.max(1), MAX_WORKERS)?;
            let change = format!("more queue workers: {} → {to}", queue.workers);
            queue.workers = to;
            if let Some(auto) = queue.autoscale.as_mut() {
                auto.max_workers = auto.max_workers.max(to);
            }
            change
        }
        _ => return None,
    };
    s.validate().ok()?;
    Some(Relief {
        change,
        scenario: s,
    })
}

/// Twice `n`, if that stays within `max`.
fn double_within(n: u32, max: u32) -> Option<u32> {
    let to = n.checked_mul(2)?.min(max);
    (to > n).then_some(to)
}

/// More web servers behind the balancer (and room for the autoscaler to grow into), or a
/// bigger machine when there is only one server.
fn more_web_capacity(s: &mut Scenario) -> Option<String> {
    if s.load_balancer.is_some() {
        let to = double_within(s.server.count, MAX_WEB_SERVERS)?;
        let change = format!("more web servers: {} → {to}", s.server.count);
        s.server.count = to;
        if let Some(auto) = s.autoscaling.as_mut() {
            auto.max_servers = auto.max_servers.max(to).min(MAX_WEB_SERVERS);
            auto.min_servers = auto.min_servers.max(to).min(auto.max_servers);
        }
        return Some(change);
    }
    let to = double_within(s.server.workers, MAX_WORKERS)?;
    let change = format!("a bigger server: {} → {to} workers", s.server.workers);
    s.server.workers = to;
    Some(change)
}

/// Replicas take reads off a master without them; more replicas share the reads; more
/// shards split the data; otherwise a bigger (more workers, then faster) database node.
fn more_database_capacity(s: &mut Scenario, role: Option<DbRole>) -> Option<String> {
    if let Some(sharding) = s.sharding.as_mut() {
        if let Some(to) = double_within(sharding.shards, MAX_SHARDS) {
            let change = format!("more shards: {} → {to}", sharding.shards);
            sharding.shards = to;
            return Some(change);
        }
    }
    let db = s.database.as_mut()?;
    let replicas_help = match role {
        Some(DbRole::Replica) => true,
        _ => db.replicas == 0 && s.load_balancer.is_some(),
    };
    if replicas_help {
        let to = if db.replicas == 0 {
            Some(2)
        } else {
            double_within(db.replicas, MAX_REPLICAS)
        };
        if let Some(to) = to {
            let change = format!("more read replicas: {} → {to}", db.replicas);
            db.replicas = to;
            return Some(change);
        }
    }
    if let Some(to) = double_within(db.workers, MAX_DB_WORKERS) {
        let change = format!("a bigger database node: {} → {to} workers", db.workers);
        db.workers = to;
        return Some(change);
    }
    let speed = (db.speed * 2.0).min(MAX_SPEED);
    (speed > db.speed).then(|| {
        let change = format!("a faster database node: speed {} → {speed}", db.speed);
        db.speed = speed;
        change
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;

    fn bottleneck(tier: ComponentKind, role: Option<DbRole>) -> Bottleneck {
        Bottleneck {
            component: "x".to_string(),
            tier,
            role,
            utilization: 1.0,
            queue_len_mean: 0.0,
            queue_len_max: 0,
            queue_capacity: 0,
            runner_up: None,
            off_request_path: None,
        }
    }

    #[test]
    fn each_stage_bottleneck_has_a_valid_relief() {
        let one = relief(
            &preset(1).unwrap(),
            &bottleneck(ComponentKind::Server, None),
        )
        .unwrap();
        assert!(one.change.starts_with("a bigger server"), "{}", one.change);
        let three = relief(
            &preset(3).unwrap(),
            &bottleneck(ComponentKind::Server, None),
        )
        .unwrap();
        assert!(
            three.change.starts_with("more web servers"),
            "{}",
            three.change
        );
        let replica = relief(
            &preset(4).unwrap(),
            &bottleneck(ComponentKind::Database, Some(DbRole::Replica)),
        )
        .unwrap();
        assert!(replica.change.starts_with("more read replicas"));
        let master = relief(
            &preset(5).unwrap(),
            &bottleneck(ComponentKind::Database, Some(DbRole::Master)),
        )
        .unwrap();
        assert!(master.change.starts_with("a bigger database node"));
        let shards = relief(
            &preset(10).unwrap(),
            &bottleneck(ComponentKind::Database, Some(DbRole::Master)),
        )
        .unwrap();
        assert!(
            shards.change.starts_with("more shards"),
            "{}",
            shards.change
        );
        assert!(relief(&preset(1).unwrap(), &bottleneck(ComponentKind::Dns, None)).is_none());
    }
}
