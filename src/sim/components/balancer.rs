//! The load balancer's view of the web servers: which are in the pool (by its health checks,
//! not by the truth), how many requests each has open, and the policy that picks one.
//!
//! A server that dies stays in the pool — and keeps receiving requests that fail — until
//! `unhealthy_threshold` consecutive checks have failed.

use crate::scenario::{BalancePolicy, LoadBalancer};
use crate::sim::kernel::rng::Rng;
use crate::sim::kernel::time::SimDuration;

/// One server as the balancer sees it.
#[derive(Clone, Debug)]
struct Member {
    /// In the pool: receives requests.
    in_pool: bool,
    /// Registered with the balancer (false once removed from service).
    registered: bool,
    passes: u32,
    failures: u32,
    open: u32,
}

/// A change of pool membership found by a health check.
#[derive(Clone, Copy, Debug)]
pub struct PoolChange {
    /// Server index.
    pub server: usize,
    /// Joined (true) or left (false) the pool.
    pub healthy: bool,
    /// Consecutive checks that decided it.
    pub checks: u32,
}

/// The balancer's state.
#[derive(Clone)]
pub struct Balancer {
    policy: BalancePolicy,
    /// Time between health checks.
    pub interval: SimDuration,
    unhealthy_threshold: u32,
    healthy_threshold: u32,
    members: Vec<Member>,
    /// The members in the pool, in index order (rebuilt whenever membership changes).
    pool: Vec<usize>,
    next: usize,
}

impl Balancer {
    /// A balancer with no servers yet.
    pub fn new(spec: &LoadBalancer) -> Balancer {
        Balancer {
            policy: spec.policy,
            interval: SimDuration::from_millis_f64(spec.health_interval_ms),
            unhealthy_threshold: spec.unhealthy_threshold,
            healthy_threshold: spec.healthy_threshold,
            members: Vec::new(),
            pool: Vec::new(),
            next: 0,
        }
    }

    /// Registers a new server: `healthy` ones join the pool at once, others after checks.
    pub fn add_server(&mut self, healthy: bool) {
        self.members.push(Member {
            in_pool: healthy,
            registered: true,
            passes: 0,
            failures: 0,
            open: 0,
        });
        self.rebuild_pool();
    }

    fn rebuild_pool(&mut self) {
        self.pool.clear();
        let members = self.members.iter().enumerate();
        self.pool
            .extend(members.filter(|(_, m)| m.in_pool).map(|(i, _)| i));
    }

    /// Registers a server again; it joins after passing checks.
    pub fn register(&mut self, server: usize) {
        let m = &mut self.members[server];
        m.registered = true;
        m.in_pool = false;
        m.passes = 0;
        self.rebuild_pool();
    }

    /// Removes a server from service: it leaves the pool at once.
    pub fn deregister(&mut self, server: usize) {
        let m = &mut self.members[server];
        m.registered = false;
        m.in_pool = false;
        self.rebuild_pool();
    }

    /// Whether the server receives requests.
    pub fn in_pool(&self, server: usize) -> bool {
        self.members.get(server).is_some_and(|m| m.in_pool)
    }

    /// Picks a server from the pool, or `None` when the pool is empty.
    #[inline]
    pub fn pick(&mut self, rng: &mut Rng) -> Option<usize> {
        let pool = self.pool.len();
        if pool == 0 {
            return None;
        }
        let chosen = match self.policy {
            BalancePolicy::RoundRobin => {
                let k = self.next % pool;
                self.next = self.next.wrapping_add(1);
                self.pool[k]
            }
            BalancePolicy::Random => self.pool[rng.below(pool as u64) as usize],
            BalancePolicy::LeastConnections => *self
                .pool
                .iter()
                .min_by_key(|&&i| (self.members[i].open, i))
                .expect("a non-empty pool"),
        };
        Some(chosen)
    }

    /// A request to `server` is open.
    pub fn open(&mut self, server: usize) {
        self.members[server].open += 1;
    }

    /// Requests sent to `server` and not yet answered.
    pub fn open_requests(&self, server: usize) -> u32 {
        self.members.get(server).map_or(0, |m| m.open)
    }

    /// A request to `server` is finished.
    pub fn close(&mut self, server: usize) {
        let m = &mut self.members[server];
        m.open = m.open.saturating_sub(1);
    }

    /// One round of health checks given which servers really are up.
    pub fn check(&mut self, alive: &[bool]) -> Vec<PoolChange> {
        let mut changes = Vec::new();
        for (i, (m, &up)) in self.members.iter_mut().zip(alive).enumerate() {
            if !m.registered {
                continue;
            }
            if up {
                m.passes += 1;
                m.failures = 0;
                if !m.in_pool && m.passes >= self.healthy_threshold {
                    m.in_pool = true;
                    changes.push(PoolChange {
                        server: i,
                        healthy: true,
                        checks: m.passes,
                    });
                }
            } else {
                m.failures += 1;
                m.passes = 0;
                if m.in_pool && m.failures >= self.unhealthy_threshold {
                    m.in_pool = false;
                    changes.push(PoolChange {
                        server: i,
                        healthy: false,
                        checks: m.failures,
                    });
                }
            }
        }
        if !changes.is_empty() {
            self.rebuild_pool();
        }
        changes
    }
}
