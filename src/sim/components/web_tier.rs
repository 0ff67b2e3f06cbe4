//! The web tier as a built-in kind on the registration: the web pools ([`WebPool`]), taking
//! their events, applying resizes, describing the stations the stack places for them, and
//! writing the web figures and report parts. The load balancer's view of each pool is the
//! balancer's (`balancer::BalancerNode`), told of each change of a pool by the stack.

use crate::scenario::topology::NodeKind;
use crate::scenario::{Scenario, SessionMode, MAX_WEB_SERVERS};
use crate::sim::components::balancer::Balancer;
use crate::sim::components::deploy::{DeployEvent, DeployPort};
use crate::sim::components::registry::{
    Ask, BuiltIn, BuiltInCtx, BuiltInEvent, Component, Follow, GroupChange, Listed, NewStation,
    OwnEvents, RunSoFar, Starts,
};
use crate::sim::components::station::Station;
use crate::sim::components::web_pool::{web_index, web_of_index, WebEvent, WebPool};
use crate::sim::cost::{Bill, PRICES};
use crate::sim::kernel::rng::Sampler;
use crate::sim::kernel::run::Slot;
use crate::sim::kernel::time::SimTime;
use crate::sim::report::{Sections, SeriesPoint, WebPoolReport};
use crate::sim::{ComponentKind, ComponentState, RequestKind};

/// The web tier as a built-in kind on the registration: the web pools (the scenario's
/// `server` first, then its `more_web_pools` in order). Every stack has one, registered first
/// (`built_ins!`), so it is the stack's built-in component 0, which the request path reads
/// directly. Its own events are the pools' autoscalers' ([`WebEvent`]); its stations are the
/// web servers', placed by the stack ([`BuiltIn::new_station`], [`BuiltIn::station_placed`])
/// in the one station table and read through [`BuiltInCtx::stations`].
#[derive(Clone)]
pub(in crate::sim) struct WebTier {
    /// The web pools, in pool order.
    pub pools: Vec<WebPool>,
    /// Whether a load balancer stands in front of the pools (without one a pool keeps its
    /// size: its servers would have no way to join or leave).
    pub balanced: bool,
}

impl WebTier {
    /// The web tier of a stack built from `scenario` (no server placed yet).
    pub fn new(scenario: &Scenario) -> WebTier {
        let sticky = (scenario.sessions.as_ref()).is_some_and(|s| s.mode == SessionMode::Sticky);
        let first = WebPool::new(
            0,
            "web",
            &scenario.server,
            scenario.autoscaling.as_ref(),
            sticky,
        );
        let more = scenario.more_web_pools.iter().enumerate().map(|(i, m)| {
            let autoscaling = m.autoscaling.as_ref();
            let mut pool = WebPool::new(i as u8 + 1, &m.name, &m.server, autoscaling, sticky);
            pool.serves = m.serves.clone();
            pool
        });
        WebTier {
            pools: std::iter::once(first).chain(more).collect(),
            balanced: scenario.load_balancer.is_some(),
        }
    }

    /// Users logged out with their sticky sessions' servers so far (every pool's).
    pub fn logged_out(&self) -> u64 {
        let sessions = self.pools.iter().filter_map(|w| w.sessions());
        sessions.map(|s| s.logged_out()).sum()
    }

    /// Whether some web server is up and in service, its station read from `stations` (what
    /// a health check of the whole data center sees).
    pub fn any_alive(&self, stations: &[Station]) -> bool {
        self.pools.iter().any(|web| {
            (web.stations.iter())
                .zip(&web.retired)
                .any(|(&s, &retired)| !retired && stations[usize::from(s)].alive)
        })
    }

    /// Whether the tier is one server with no balancer in front (the queueing theory's
    /// model of the report's `theory` check).
    pub fn alone(&self) -> bool {
        self.pools.len() == 1 && self.pools[0].len() == 1 && !self.balanced
    }

    /// The web servers' worker-hours over the run so far, for the bill: with one pool, its
    /// servers in service as each point of the run's series counted them (`interval_h`
    /// each), and those in service now for the time since the points; with several, each
    /// pool's own count of its servers at each point instead. Each server has its pool's
    /// workers.
    pub fn worker_hours(&self, run: &RunSoFar<'_>) -> f64 {
        let RunSoFar {
            hours,
            series,
            interval_h,
        } = *run;
        let counted_h = series.len() as f64 * interval_h;
        let pools = &self.pools;
        if pools.len() == 1 {
            let in_service = f64::from(pools[0].in_service());
            let server_hours = series
                .iter()
                .map(|p| f64::from(p.web_servers) * interval_h)
                .sum::<f64>()
                + in_service * (hours - counted_h).max(0.0);
            return server_hours * f64::from(pools[0].workers);
        }
        // Several pools: each pool's servers as its own ticks counted them, at its own
        // workers per server (the series adds the pools up).
        (pools.iter())
            .map(|web| {
                let ticked = web.servers_ticked as f64 * interval_h;
                let rest = f64::from(web.in_service()) * (hours - counted_h).max(0.0);
                (ticked + rest) * f64::from(web.workers)
            })
            .sum()
    }
}

/// The web tier lent to a kind that drives its servers ([`BuiltIn::drive`]: the deploy
/// controller), with the load balancer's views of its pools, the stack's station table and
/// the kernel: the deploy controller's [`DeployPort`], and nothing else of the stack.
pub(in crate::sim) struct WebPort<'a, R, E> {
    /// The web tier: its pools.
    pub web: &'a mut WebTier,
    /// The load balancer's view of each pool, in pool order (empty without a balancer).
    pub views: &'a mut [Balancer],
    /// The kernel and the station table, with the driving kind's index (its events).
    pub ctx: BuiltInCtx<'a, R, E>,
    /// Whether the data center is down (stage 11): a server started then stays down, and
    /// comes back with its data center, as every component there does.
    pub dc_down: bool,
}

impl<R: Slot, E: Copy + From<BuiltInEvent>> DeployPort for WebPort<'_, R, E> {
    fn now(&self) -> SimTime {
        self.ctx.now
    }

    fn servers(&self, pool: usize) -> usize {
        self.web.pools[pool].len()
    }

    fn server_name(&self, pool: usize, server: usize) -> String {
        self.web.pools[pool].server_name(server)
    }

    fn in_service(&self, pool: usize, server: usize) -> bool {
        !self.web.pools[pool].retired[server]
    }

    fn is_up(&self, pool: usize, server: usize) -> bool {
        self.ctx.stations[usize::from(self.station(pool, server))].alive
    }

    fn station(&self, pool: usize, server: usize) -> u16 {
        self.web.pools[pool].stations[server]
    }

    fn pool_named(&self, name: &str) -> Option<usize> {
        self.web.pools.iter().position(|pool| pool.stem == name)
    }

    fn balancer(&mut self, pool: usize) -> Option<&mut Balancer> {
        self.views.get_mut(pool)
    }

    fn start(&mut self, pool: usize, server: usize) {
        if self.dc_down {
            return;
        }
        let now = self.ctx.now;
        let station = self.web.pools[pool].stations[server];
        let s = &mut self.ctx.stations[usize::from(station)];
        s.account(now);
        s.alive = true;
    }

    fn failed(&self) -> u64 {
        self.ctx.books.failed.iter().sum()
    }

    fn logged_out(&self) -> u64 {
        self.web.logged_out()
    }

    fn log(&mut self, component: &str, text: String) {
        let now = self.ctx.now;
        self.ctx.log_event(now, component, text);
    }

    fn schedule(&mut self, at: SimTime, event: DeployEvent) {
        self.ctx.schedule(at, event);
    }
}

impl Component for WebTier {}

impl BuiltIn for WebTier {
    const NODE: NodeKind = NodeKind::WebPool;
    /// Its first servers right after the front door (the load balancer), before the
    /// databases' nodes.
    const LISTED: Listed = Listed::AfterFrontDoor;
    /// Its autoscalers' first checks, right after the balancer's first health checks.
    const STARTS: Starts = Starts::BeforePlugs;

    fn of_scenario(scenario: &Scenario) -> Option<WebTier> {
        Some(WebTier::new(scenario))
    }

    /// The interval's web figures: every pool's servers' mean utilization and summed
    /// waiting (the first pool's first, retired servers included), the servers in service;
    /// with several pools, each counts its servers in service for its bill.
    fn close_point(&mut self, _now: SimTime, stations: &[Station], point: &mut SeriesPoint) {
        let web_stations = || self.pools.iter().flat_map(|w| w.stations.iter());
        point.utilization = web_stations()
            .map(|&i| {
                let s = &stations[usize::from(i)];
                s.interval.utilization(s.workers)
            })
            .sum::<f64>()
            / web_stations().count().max(1) as f64;
        point.queue_len_mean = web_stations()
            .map(|&i| stations[usize::from(i)].interval.mean_waiting())
            .sum::<f64>();
        if self.pools.len() > 1 {
            for pool in &mut self.pools {
                pool.servers_ticked += u64::from(pool.in_service());
            }
        }
        point.web_servers = self.pools.iter().map(|w| w.in_service()).sum();
    }

    /// The sticky sessions' report (every pool's summed; none without sticky sessions) and
    /// the further pools' entries (none with one pool).
    fn report_section(&self, stations: &[Station], sections: &mut Sections<'_>) {
        let mut sessions = self.pools.iter().filter_map(|w| w.sessions());
        sections.sessions = sessions.next().map(|first| {
            let mut r = first.report();
            for s in sessions {
                let m = s.report();
                r.logged_out += m.logged_out;
                r.relogins += m.relogins;
            }
            r
        });
        sections.more_web_pools = (self.pools.iter().skip(1))
            .map(|web| {
                let stations = web.stations.iter().map(|&s| &stations[usize::from(s)]);
                WebPoolReport {
                    name: web.stem.clone(),
                    serves: web.serves.clone(),
                    servers: web.in_service(),
                    served: stations.clone().map(|s| s.served).sum(),
                    rejected: stations.clone().map(|s| s.rejected).sum(),
                    refused: stations.map(|s| s.refused).sum(),
                }
            })
            .collect();
    }

    /// A web server's figures: whether it is retired, and in the pool (always, without a
    /// balancer; with one, the balancer's view says, after this).
    fn station_state(&self, kind: ComponentKind, index: u16, state: &mut ComponentState) {
        if kind == ComponentKind::Server {
            let (pool, server) = web_of_index(index);
            state.in_pool = true;
            state.retired = self.pools[pool].retired[server];
        }
    }

    /// Its servers' worker-hours ([`WebTier::worker_hours`]): the bill's first line, as the
    /// series counted them in service.
    const MACHINES_FIRST: bool = true;

    fn bill_machines(&self, run: &RunSoFar<'_>, bill: &mut Bill) {
        let worker_hours = self.worker_hours(run);
        bill.add(
            "web servers",
            worker_hours,
            "worker-hours",
            PRICES.web_worker_hour,
        );
    }

    /// Its sticky sessions' table of every user, in each pool that keeps them.
    fn heap_bytes(&self) -> usize {
        let sessions = self.pools.iter().filter_map(|w| w.sessions());
        sessions.map(|s| s.heap_bytes()).sum()
    }

    /// Room for `users` users' sticky sessions in each pool.
    fn users_changed(&mut self, users: usize) {
        for pool in &mut self.pools {
            pool.reserve_users(users);
        }
    }

    /// Each autoscaling group's first decision.
    fn start<R: Slot, E: Copy + From<BuiltInEvent>>(&self, ctx: &mut BuiltInCtx<'_, R, E>) {
        for pool in &self.pools {
            pool.start(ctx);
        }
    }

    /// Pool `group` changes to `count` servers in service (clamped to 1 ..=
    /// `MAX_WEB_SERVERS`): servers come back or retire (each logged, each into `changes`,
    /// for the balancer), and the scenario's count follows. Without a load balancer, or for
    /// no such pool, nothing changes (`None`).
    fn resize<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        group: u8,
        count: u32,
        scenario: &mut Scenario,
        ctx: &mut BuiltInCtx<'_, R, E>,
        changes: &mut Vec<GroupChange>,
    ) -> Option<u32> {
        let pool = usize::from(group);
        if !self.balanced || pool >= self.pools.len() {
            return None;
        }
        let count = count.clamp(1, MAX_WEB_SERVERS);
        // The pool returns or retires servers itself; new ones (never with a retirement in
        // the same change) are for the stack to place.
        let new = self.pools[pool].set_count(count as usize, ctx, changes);
        match pool {
            0 => scenario.server.count = count,
            n => scenario.more_web_pools[n - 1].server.count = count,
        }
        Some(new)
    }

    /// A web server holds the requests it took while they wait on the data tier: their
    /// answers come back through it, and they fail with it.
    const HOLDS_REQUESTS: bool = true;

    /// The server that takes a request holds its user's sticky session from now on (in a
    /// pool that keeps them).
    // On the request path: inlined into the stack's step.
    #[inline]
    fn station_reached(&mut self, index: u16, user: u32, stations: &[Station]) {
        let (pool, server) = web_of_index(index);
        let pool = &mut self.pools[pool];
        if pool.keeps_sessions() {
            pool.note_session(user as usize, server, stations);
        }
    }

    /// A request's service time at a server: its pool's for the request's kind.
    // On the request path: inlined into the stack's step.
    #[inline]
    fn station_service(&self, index: u16, kind: RequestKind) -> Sampler {
        self.pools[web_of_index(index).0].service(kind)
    }

    /// A dying server's sticky sessions are gone (their users are logged out); the requests
    /// it holds fail with it (`None`).
    fn station_died(&mut self, index: u16) -> Option<&'static str> {
        let (pool, server) = web_of_index(index);
        self.pools[pool].server_died(server);
        None
    }

    /// Without a component at the front door, a request for pool `group` reaches its first
    /// server.
    // On the request path: inlined into the stack's step.
    #[inline]
    fn station_for(&mut self, group: u8, _ask: Ask, _stations: &[Station]) -> Option<u16> {
        self.pools[usize::from(group)].stations.first().copied()
    }

    /// The server holding `user`'s sticky session in pool `group`, while it is in the
    /// door's `view` of the pool (none without sticky sessions).
    // On the request path: inlined into the stack's step.
    #[inline]
    fn preferred_member(
        &mut self,
        group: u8,
        user: u32,
        stations: &[Station],
        view: &Balancer,
    ) -> Option<usize> {
        let pool = &mut self.pools[usize::from(group)];
        pool.session_server(user as usize, stations, Some(view))
    }

    /// Each pool's servers as the scenario counts them, in pool order.
    fn initial_stations(&self) -> Vec<u32> {
        self.pools.iter().map(|pool| pool.first_servers).collect()
    }

    fn new_station(&self, group: u8) -> NewStation {
        let pool = &self.pools[usize::from(group)];
        let server = pool.len();
        let mut station = Station::new(pool.workers, pool.queue_capacity);
        station.speed = pool.speeds.get(server).copied().unwrap_or(1.0);
        NewStation {
            name: pool.server_name(server),
            kind: ComponentKind::Server,
            index: web_index(usize::from(group), server),
            station,
        }
    }

    /// Later servers join the balancer's pool after passing its health checks (and say so
    /// in the log); `initial` ones are in it at once.
    fn station_placed(&mut self, group: u8, station: u16, initial: bool) -> Option<String> {
        let pool = usize::from(group);
        let server = self.pools[pool].add(station);
        let name = self.pools[pool].server_name(server);
        (!initial).then(|| format!("{name} added; joins the pool once healthy"))
    }
}

impl OwnEvents<WebEvent> for WebTier {
    fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: WebEvent,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Follow {
        let pool = event.pool();
        match self.pools[pool].handle(event, ctx) {
            Some(count) => Follow::Resize {
                group: pool as u8,
                count,
            },
            None => Follow::Nothing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;
    use std::collections::VecDeque;

    /// Stage 7's web tier with sticky sessions, three servers placed on stations 0–2, and
    /// the balancer's view of its pool with all three in it.
    fn sticky_tier() -> (WebTier, Balancer, Vec<Station>) {
        let mut scenario = preset(7).expect("stage 7");
        (scenario.sessions.as_mut().expect("sessions")).mode = SessionMode::Sticky;
        let mut tier = WebTier::new(&scenario);
        let spec = scenario.load_balancer.as_ref().expect("a balancer");
        let mut view = Balancer::new(spec, 0, "web");
        for s in 0..3 {
            tier.pools[0].add(s);
            view.add_server(true, s);
        }
        tier.users_changed(4);
        (tier, view, vec![Station::new(1, 1); 3])
    }

    #[test]
    fn the_tier_holds_its_requests_keeps_sessions_where_they_land_and_bills_its_servers() {
        let (mut tier, view, mut stations) = sticky_tier();
        const { assert!(WebTier::HOLDS_REQUESTS) };
        // Without a door component a request reaches its pool's first server.
        let ask = Ask::key(RequestKind::PageView, 0);
        assert_eq!(tier.station_for(0, ask, &stations), Some(0));
        // A request of user 0 reaches web-2: the user's session is kept there, and the
        // door is asked to send the user's next requests there while it is in its view.
        tier.station_reached(web_index(0, 2), 0, &stations);
        assert_eq!(tier.preferred_member(0, 0, &stations, &view), Some(2));
        // A server's service time is its pool's for the request's kind.
        let write = RequestKind::Write;
        assert_eq!(
            format!("{:?}", tier.station_service(web_index(0, 1), write)),
            format!("{:?}", tier.pools[0].service(write))
        );
        // web-2 dies: the requests it holds fail with it (no note), its sessions are gone.
        assert_eq!(tier.station_died(web_index(0, 2)), None);
        stations[2].epoch += 1;
        assert_eq!(tier.preferred_member(0, 0, &stations, &view), None);
        assert_eq!(tier.logged_out(), 1);
        // The bill's first line: 3 then 5 servers at two points half an hour apart, then
        // the 3 in service now for the last half hour, at 16 workers each.
        const { assert!(WebTier::MACHINES_FIRST) };
        let series: VecDeque<SeriesPoint> = [3, 5]
            .map(|web_servers| SeriesPoint {
                web_servers,
                ..SeriesPoint::default()
            })
            .into();
        let run = RunSoFar {
            hours: 1.5,
            series: &series,
            interval_h: 0.5,
        };
        let mut bill = Bill::default();
        tier.bill_machines(&run, &mut bill);
        let line = &bill.finish(1.5).items[0];
        assert_eq!((line.item.as_str(), line.quantity), ("web servers", 88.0));
    }
}
