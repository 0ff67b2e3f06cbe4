//! The load balancer's view of the web servers: which are in the pool (by its health checks,
//! not by the truth), how many requests each has open, and the policy that picks one.
//!
//! A server that dies stays in the pool — and keeps receiving requests that fail — until
//! `unhealthy_threshold` consecutive checks have failed.
//!
//! ```text
//!   HealthCheck every `interval` ─▶ each registered server up? ─▶ passes / failures in a row
//!        ─▶ joins the pool after `healthy_threshold` passes, leaves after
//!           `unhealthy_threshold` failures (logged) ─▶ the next HealthCheck
//! ```
//!
//! [`Balancer`] is its view of one web pool: the pool, the policy, its health checks and
//! their event ([`BalancerEvent`]); the engine asks `pick`, tells it `open` / `close`.
//! [`BalancerNode`] is the balancer as a component of the run, a built-in kind of its own:
//! its life (a dead balancer forwards nothing), the time it adds, its kill and repair, its
//! line on the bill, and its view of each web pool, with their health checks as its own
//! events. It views the web tier's groups (`BuiltIn::VIEWS`): the stack tells it each server
//! placed, retired or back in service (`BuiltIn::group_changed`), and lends it beside the web
//! tier where one step reads both (the request path's pick and sticky sessions, the deploy
//! controller's port).
//!
//! ```text
//!   web tier ──resize / placed station──▶ stack ──GroupChange──▶ BalancerNode.views[pool]
//!   request ──▶ sticky server (web tier's sessions, view's pool) or views[pool].pick ──▶ open
//! ```

use crate::scenario::topology::NodeKind;
use crate::scenario::{BalancePolicy, LoadBalancer, Scenario};
use crate::sim::components::built_in::{
    BuiltIn, BuiltInCtx, BuiltInEvent, BuiltInEventKind, Follow, GroupChange, Listed, OwnEvents,
    Pass, RunSoFar, Starts,
};
use crate::sim::components::registry::Component;
use crate::sim::components::web_pool::web_of_index;
use crate::sim::cost::{Bill, PRICES};
use crate::sim::kernel::rng::Rng;
use crate::sim::kernel::run::Slot;
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::{ComponentKind, ComponentState, Outcome};

/// The balancer's own events.
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) enum BalancerEvent {
    /// A round of health checks of web pool `pool`'s servers is due.
    HealthCheck { pool: u8 },
}

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
    /// The server's station in the stack's table (what its health checks look at).
    station: u16,
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

/// The balancer's state for one web pool (a balancer in front of several pools keeps one
/// of these per pool: its members, health checks and policy's place).
#[derive(Clone)]
pub struct Balancer {
    /// The web pool it sends to (see [`BalancerEvent::HealthCheck`]).
    web_pool: u8,
    /// What the pool's servers are named after (`web`: `web-0`…).
    stem: String,
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
    /// A balancer in front of web pool `pool` (its servers named after `stem`), with no
    /// servers yet.
    pub fn new(spec: &LoadBalancer, pool: u8, stem: &str) -> Balancer {
        Balancer {
            web_pool: pool,
            stem: stem.to_string(),
            policy: spec.policy,
            interval: SimDuration::from_millis_f64(spec.health_interval_ms),
            unhealthy_threshold: spec.unhealthy_threshold,
            healthy_threshold: spec.healthy_threshold,
            members: Vec::new(),
            pool: Vec::new(),
            next: 0,
        }
    }

    /// Registers a new server, served by station `station`: `healthy` ones join the pool at
    /// once, others after checks.
    pub fn add_server(&mut self, healthy: bool, station: u16) {
        self.members.push(Member {
            in_pool: healthy,
            registered: true,
            passes: 0,
            failures: 0,
            open: 0,
            station,
        });
        self.rebuild_pool();
    }

    /// Follows a change of its pool (a server placed, back in service, retired).
    pub fn changed(&mut self, change: GroupChange) {
        match change {
            GroupChange::Placed { station, initial } => self.add_server(initial, station),
            GroupChange::Back { member } => self.register(usize::from(member)),
            GroupChange::Retired { member } => self.deregister(usize::from(member)),
        }
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

    /// A request to `server` is open; returns the server's station.
    #[inline]
    pub fn open(&mut self, server: usize) -> u16 {
        let m = &mut self.members[server];
        m.open += 1;
        m.station
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

    /// One round of health checks given which servers really are up (`up(station)`, asked
    /// of each registered server's station).
    pub fn check(&mut self, up: impl Fn(usize) -> bool) -> Vec<PoolChange> {
        let mut changes = Vec::new();
        for (i, m) in self.members.iter_mut().enumerate() {
            if !m.registered {
                continue;
            }
            if up(usize::from(m.station)) {
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

impl Balancer {
    /// The first round of health checks, one interval after the start.
    pub fn start<R: Slot, E: Copy + From<BuiltInEvent>>(&self, ctx: &mut BuiltInCtx<'_, R, E>)
    where
        BuiltInEventKind: From<BalancerEvent>,
    {
        let pool = self.web_pool;
        ctx.schedule(ctx.now + self.interval, BalancerEvent::HealthCheck { pool });
    }

    /// Handles one of its events: a round of health checks given which servers are really up
    /// (`up(station)`), logging each change of the pool (`refused(station)`: the requests a
    /// server refused since it died), then the next round. Returns whether the pool changed.
    pub fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: BalancerEvent,
        up: impl Fn(usize) -> bool,
        refused: impl Fn(usize) -> u64,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> bool
    where
        BuiltInEventKind: From<BalancerEvent>,
    {
        match event {
            BalancerEvent::HealthCheck { pool } => {
                let changes = self.check(up);
                for change in &changes {
                    let name = format!("{}-{}", self.stem, change.server);
                    let text = if change.healthy {
                        format!(
                            "load balancer: {name} passed {} checks, back in the pool",
                            change.checks
                        )
                    } else {
                        format!(
                            "load balancer: {name} failed {} checks, taken out of the pool; {} requests were sent to it while it was down",
                            change.checks,
                            refused(usize::from(self.members[change.server].station))
                        )
                    };
                    ctx.log(&name, text);
                }
                ctx.schedule(ctx.now + self.interval, BalancerEvent::HealthCheck { pool });
                !changes.is_empty()
            }
        }
    }
}

/// The load balancer as a component of the run (`lb`), a built-in kind on the registration:
/// its life, the time it adds each way, its kill and repair, its line on the bill, and its
/// view of each web pool ([`Balancer`]: members, health checks, the policy's place). One
/// balancer stands in front of every web pool; killing it leaves its views as they are (the
/// servers stay healthy, the health checks go on) while no request passes it.
#[derive(Clone)]
pub(in crate::sim) struct BalancerNode {
    /// Whether it is up (when down, requests reach no server: they fail as `server_down`).
    pub alive: bool,
    /// The time it adds to a request, each way.
    pub latency: SimDuration,
    /// Its view of each web pool, in pool order (the scenario's `server`, then its
    /// `more_web_pools`); each server joins as the stack tells it one was placed.
    pub views: Vec<Balancer>,
}

impl Component for BalancerNode {}

impl BuiltIn for BalancerNode {
    const NODE: NodeKind = NodeKind::LoadBalancer;
    /// In front of the web servers, after DNS (component 2 with DNS, as before it was a
    /// kind).
    const LISTED: Listed = Listed::FrontDoor;
    /// Its line comes right after the web servers', before the other machines'.
    const MACHINES_FIRST: bool = true;

    fn of_scenario(scenario: &Scenario) -> Option<BalancerNode> {
        let stems = std::iter::once("web").chain(scenario.more_web_pools.iter().map(|m| &*m.name));
        scenario.load_balancer.as_ref().map(|lb| BalancerNode {
            alive: true,
            latency: SimDuration::from_millis_f64(lb.latency_ms),
            views: (stems.enumerate())
                .map(|(pool, stem)| Balancer::new(lb, pool as u8, stem))
                .collect(),
        })
    }

    fn component(&self) -> Option<(&'static str, ComponentKind)> {
        Some(("lb", ComponentKind::LoadBalancer))
    }

    /// The servers stay healthy (its views of the pools keep them) but no request reaches
    /// them.
    fn kill(&mut self, _now: SimTime) -> &'static str {
        self.alive = false;
        "; the servers are healthy but no request reaches them"
    }

    fn repair(&mut self, _now: SimTime) -> &'static str {
        self.alive = true;
        ""
    }

    fn is_alive(&self) -> bool {
        self.alive
    }

    fn bill_machines(&self, run: &RunSoFar<'_>, bill: &mut Bill) {
        bill.add(
            "load balancer",
            run.hours,
            "hours",
            PRICES.load_balancer_hour,
        );
    }

    /// Its first round of health checks of each pool, before any other kind's first events
    /// (where the web tier scheduled them when it held the views).
    const STARTS: Starts = Starts::First;

    fn start<R: Slot, E: Copy + From<BuiltInEvent>>(&self, ctx: &mut BuiltInCtx<'_, R, E>) {
        for view in &self.views {
            view.start(ctx);
        }
    }

    /// A web server's place in its pool: whether the balancer sends it requests.
    fn station_state(&self, kind: ComponentKind, index: u16, state: &mut ComponentState) {
        if kind == ComponentKind::Server {
            let (pool, server) = web_of_index(index);
            state.in_pool = self.views[pool].in_pool(server);
        }
    }

    const VIEWS: Option<NodeKind> = Some(NodeKind::WebPool);

    /// A web pool's server placed, retired or back in service: its view follows.
    fn group_changed(&mut self, group: u8, change: GroupChange) {
        self.views[usize::from(group)].changed(change);
    }

    fn views_mut(&mut self) -> &mut [Balancer] {
        &mut self.views
    }

    /// A request for web pool `group`: dead, it forwards nothing (`server_down`); alive, it
    /// sends it to the server holding the user's sticky session (`preferred`, the web
    /// tier's) or to its policy's pick from the pool's view, and with none in the pool it
    /// fails the request as `no_healthy_server`.
    #[inline]
    fn pass(
        &mut self,
        group: u8,
        rng: &mut Rng,
        preferred: impl FnOnce(&Balancer) -> Option<usize>,
    ) -> Pass {
        if !self.alive {
            return Pass::Refuse(Outcome::ServerDown);
        }
        let view = &mut self.views[usize::from(group)];
        match preferred(view).or_else(|| view.pick(rng)) {
            Some(server) => Pass::Send {
                member: server as u16,
                after: self.latency,
            },
            None => Pass::Refuse(Outcome::NoHealthyServer),
        }
    }

    /// The request is open on the server until its slot is freed ([`BuiltIn::sent_done`]).
    #[inline]
    fn send(&mut self, group: u8, member: u16) -> u16 {
        self.views[usize::from(group)].open(usize::from(member))
    }

    /// Its latency, as on the way in.
    #[inline]
    fn pass_back(&self) -> SimDuration {
        self.latency
    }

    #[inline]
    fn sent_done(&mut self, index: u16) {
        let (pool, server) = web_of_index(index);
        self.views[pool].close(server);
    }
}

impl OwnEvents<BalancerEvent> for BalancerNode {
    /// A round of health checks of a pool's servers (their stations read from `ctx`); the
    /// kinds that drive the web tier (a rolling deploy waiting for its batch) move on after
    /// each.
    fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: BalancerEvent,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Follow {
        let BalancerEvent::HealthCheck { pool } = event;
        // The stations lent apart from the kernel for the round, so both borrow at once.
        let stations = std::mem::take(&mut ctx.stations);
        self.views[usize::from(pool)].handle(
            event,
            |station| stations[station].alive,
            |station| stations[station].refused - stations[station].refused_at_death,
            ctx,
        );
        ctx.stations = stations;
        Follow::Checked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kernel::run::Kernel;
    use crate::sim::kernel::time::SimTime;
    use std::cell::Cell;

    fn spec(policy: BalancePolicy) -> LoadBalancer {
        LoadBalancer {
            policy,
            latency_ms: 0.5,
            health_interval_ms: 1000.0,
            unhealthy_threshold: 2,
            healthy_threshold: 3,
        }
    }

    #[test]
    fn health_checks_take_a_dead_server_out_after_the_threshold_and_back_after_passes() {
        let mut b = Balancer::new(&spec(BalancePolicy::RoundRobin), 0, "web");
        // Servers 0, 1, 2 on stations 10, 11, 12: the checks look at the stations.
        for station in 10..13 {
            b.add_server(true, station);
        }
        let mut kernel = Kernel::<(), BuiltInEvent>::new(1);
        let web1_up = Cell::new(false);
        let up = |station: usize| station != 11 || web1_up.get();
        /// The kernel handed as the balancer's (built-in component 0 here) with no station.
        fn ctx(kernel: &mut Kernel<(), BuiltInEvent>) -> BuiltInCtx<'_, (), BuiltInEvent> {
            BuiltInCtx {
                kernel,
                stations: &mut [],
                me: 0,
            }
        }
        b.start(&mut ctx(&mut kernel));
        let mut in_pool_after = Vec::new();
        let mut changed_at = Vec::new();
        for round in 1..=8u64 {
            if round == 4 {
                web1_up.set(true);
            }
            let (now, BuiltInEvent { part, event }) = kernel
                .events
                .pop_until(SimTime::from_secs(100))
                .expect("next");
            assert_eq!(now, SimTime::from_secs(round), "one round per interval");
            // Scheduled as the balancer's own event (built-in component 0 here).
            let BuiltInEventKind::Balancer(event) = event else {
                panic!("not a health check: {event:?}");
            };
            assert_eq!(part, 0);
            kernel.now = now;
            if b.handle(
                event,
                up,
                |station| u64::from(station == 11) * 7,
                &mut ctx(&mut kernel),
            ) {
                changed_at.push(round);
            }
            in_pool_after.push(b.in_pool(1));
        }
        // Out after the 2nd failed check; back after 3 passes (rounds 4, 5, 6).
        assert_eq!(changed_at, vec![2, 6]);
        assert_eq!(
            in_pool_after,
            vec![true, false, false, false, false, true, true, true]
        );
        let log: Vec<&str> = kernel.log.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            log,
            vec![
                "load balancer: web-1 failed 2 checks, taken out of the pool; 7 requests were sent to it while it was down",
                "load balancer: web-1 passed 3 checks, back in the pool",
            ]
        );
        // Round robin skips the server while it is out.
        let mut b2 = b.clone();
        b2.check(|station| station != 10);
        b2.check(|station| station != 10);
        let mut rng = Rng::new(2);
        let picks: Vec<usize> = (0..4).map(|_| b2.pick(&mut rng).expect("a pool")).collect();
        assert!(!picks.contains(&0) && picks.contains(&1) && picks.contains(&2));
    }

    #[test]
    fn least_connections_picks_the_least_loaded_and_a_dead_balancer_says_so() {
        let mut b = Balancer::new(&spec(BalancePolicy::LeastConnections), 0, "web");
        for station in 5..8 {
            b.add_server(true, station);
        }
        let mut rng = Rng::new(3);
        assert_eq!(b.open(0), 5, "open names the server's station");
        b.open(0);
        assert_eq!(b.open(2), 7);
        assert_eq!(b.pick(&mut rng), Some(1));
        b.close(0);
        b.close(0);
        assert_eq!(b.pick(&mut rng), Some(0));
        b.deregister(0);
        b.deregister(1);
        assert_eq!(b.pick(&mut rng), Some(2));
        b.deregister(2);
        assert_eq!(b.pick(&mut rng), None);
        let mut node = BalancerNode::of_scenario(&crate::scenario::preset(3).expect("stage 3"))
            .expect("stage 3 has a balancer");
        assert_eq!(node.component(), Some(("lb", ComponentKind::LoadBalancer)));
        assert!(node.kill(SimTime::ZERO).contains("no request reaches them"));
        assert!(!node.is_alive());
        assert_eq!(node.repair(SimTime::ZERO), "");
        assert!(node.is_alive());
        let mut bill = Bill::default();
        node.bill_machines(&RunSoFar::without_points(2.0), &mut bill);
        assert_eq!(bill.finish(2.0).items[0].item, "load balancer");
        assert!(BalancerNode::of_scenario(&crate::scenario::preset(2).expect("stage 2")).is_none());
    }

    #[test]
    fn at_the_door_it_prefers_the_sticky_server_and_refuses_when_dead_or_empty() {
        use crate::sim::components::web_pool::web_index;
        let mut node = BalancerNode::of_scenario(&crate::scenario::preset(3).expect("stage 3"))
            .expect("stage 3 has a balancer");
        // Servers 0, 1, 2 of pool 0 on stations 10, 11, 12, in the pool at once.
        for station in 10..13 {
            node.group_changed(
                0,
                GroupChange::Placed {
                    station,
                    initial: true,
                },
            );
        }
        let mut rng = Rng::new(1);
        let after = node.latency;
        let send = |member| Pass::Send { member, after };
        // The web tier's choice first; the policy's pick (round robin) only without one.
        assert_eq!(node.pass(0, &mut rng, |_| Some(2)), send(2));
        assert_eq!(node.pass(0, &mut rng, |_| None), send(0));
        // The choice is made given the pool's view.
        let in_view = |view: &Balancer| view.in_pool(1).then_some(1);
        assert_eq!(node.pass(0, &mut rng, in_view), send(1));
        // Sending opens the request on the server until its slot is freed.
        assert_eq!(node.send(0, 1), 11, "the server's station");
        assert_eq!(node.views[0].open_requests(1), 1);
        node.sent_done(web_index(0, 1));
        assert_eq!(node.views[0].open_requests(1), 0);
        assert_eq!(node.pass_back(), after);
        // Dead, it refuses before anyone is asked.
        node.kill(SimTime::ZERO);
        let refused = node.pass(0, &mut rng, |_| panic!("a dead balancer asks no one"));
        assert_eq!(refused, Pass::Refuse(Outcome::ServerDown));
        node.repair(SimTime::ZERO);
        for member in 0..3 {
            node.group_changed(0, GroupChange::Retired { member });
        }
        let empty = node.pass(0, &mut rng, |_| None);
        assert_eq!(empty, Pass::Refuse(Outcome::NoHealthyServer));
    }
}
