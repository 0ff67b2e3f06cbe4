//! The web tier: the web servers in server order (their stations), which are in service, their
//! service times, and the autoscaling group that decides how many there should be.
//!
//! ```text
//!   AutoscaleCheck every `evaluation_interval_s`:
//!     mean utilization of the servers in service over the last interval
//!       ─▶ desired = ⌈count × utilization / target⌉ within [min, max]
//!       ─▶ above count + booting: launch the difference (ServerBooted after the delay)
//!       ─▶ below count, nothing booting, cooldown over: shrink to desired
//!   ServerBooted ─▶ one more server in service
//! ```
//!
//! [`WebPool`] owns that state and its events ([`WebEvent`]), and its sticky sessions (stage
//! 7: which of its servers holds each user's session). [`WebTier`](super::web_tier::WebTier)
//! (web_tier.rs) holds the pools and is the built-in kind on the registration: it takes the
//! pools' events, applies resizes and describes the stations the stack places for it, and
//! writes the web figures and report parts. A change of size ([`WebPool::set_count`], live
//! or from its autoscaler) brings retired servers back and takes servers out of service,
//! logging each and listing each as a `GroupChange`, which the stack hands the load
//! balancer's view of the pool; it hands back how many new servers the engine must place
//! (their stations), which then join through [`WebPool::add`].
//!
//! ```text
//!   request of user u ──▶ session_server(u): u's server, same life, still in the pool?
//!   served by server s ──▶ note_session(u, s)      server s dies ──▶ server_died(s)
//!   set_count(n) ──▶ Back / Retired changes (the balancer's view follows) ──▶ new to place
//! ```

use crate::scenario::{Autoscaling, Flow, Server};
use crate::sim::components::balancer::Balancer;
use crate::sim::components::registry::{BuiltInCtx, BuiltInEvent, GroupChange};
use crate::sim::components::sessions::StickySessions;
use crate::sim::components::station::Station;
use crate::sim::kernel::rng::Sampler;
use crate::sim::kernel::run::{Ctx, Slot};
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::RequestKind;

/// The web tier's own events, each for the pool numbered `pool` (0: the scenario's `server`,
/// then its `more_web_pools` in order).
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) enum WebEvent {
    /// The autoscaling group decides.
    AutoscaleCheck { pool: u8 },
    /// A web server launched by the autoscaler has booted.
    ServerBooted { pool: u8 },
}

impl WebEvent {
    /// The pool the event is for.
    pub fn pool(self) -> usize {
        match self {
            WebEvent::AutoscaleCheck { pool } | WebEvent::ServerBooted { pool } => {
                usize::from(pool)
            }
        }
    }
}

/// Most servers a pool numbers (a web station's index keeps the server in its low bits).
const SERVER_BITS: u16 = 10;

/// The station index of server `server` of web pool `pool` (the first pool's servers keep
/// their plain numbers), as kept in a station's info.
pub(in crate::sim) fn web_index(pool: usize, server: usize) -> u16 {
    ((pool as u16) << SERVER_BITS) | server as u16
}

/// The (pool, server) of a web station index made by [`web_index`].
#[inline]
pub(in crate::sim) fn web_of_index(index: u16) -> (usize, usize) {
    (
        usize::from(index >> SERVER_BITS),
        usize::from(index & ((1 << SERVER_BITS) - 1)),
    )
}

/// How the pool changes size (see [`WebPool::resize`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(in crate::sim) struct Resize {
    /// Retired servers back in service, lowest number first.
    pub back: Vec<usize>,
    /// New servers to add (after the existing ones).
    pub new: u32,
    /// Servers taken out of service, highest number first.
    pub retired: Vec<usize>,
}

/// The web servers and their autoscaling group.
#[derive(Clone)]
pub(in crate::sim) struct WebPool {
    /// Its number (0: the scenario's `server`, then its `more_web_pools` in order).
    pub number: u8,
    /// What its servers are named after (`web` for the first pool: `web-0`, `web-1`…; a
    /// further pool's own name).
    pub stem: String,
    /// The request kinds it serves (a further pool's; empty for the first, which serves
    /// the kinds no other pool does).
    pub serves: Vec<Flow>,
    /// Per server (`web-0`, `web-1`, …): its station.
    pub stations: Vec<u16>,
    /// Per server: taken out of service (it drains and idles).
    pub retired: Vec<bool>,
    /// Service time per request kind.
    service: [Sampler; 4],
    /// Each server's workers and the length of its line.
    pub(super) workers: u32,
    pub(super) queue_capacity: u32,
    /// Each server's speed by number (1 past the list's end).
    pub(super) speeds: Vec<f64>,
    /// The autoscaling group, if the web tier has one.
    autoscaling: Option<Autoscaling>,
    /// Servers launched by the autoscaler and still booting.
    booting: u32,
    /// When the autoscaler last changed the size.
    last_scaling: SimTime,
    /// Servers in service summed over the metrics ticks (kept only when there are several
    /// pools, for each pool's bill).
    pub servers_ticked: u64,
    /// Its sticky sessions, when the web tier keeps them on its servers.
    sticky: Option<StickySessions>,
    /// How many servers it starts with (the scenario's count as the stack is built).
    pub first_servers: u32,
}

impl WebPool {
    /// Web pool number `number` of `server`s named after `stem` (none placed yet), scaled by
    /// `autoscaling` if any, keeping sticky sessions if `sticky`.
    pub fn new(
        number: u8,
        stem: &str,
        server: &Server,
        autoscaling: Option<&Autoscaling>,
        sticky: bool,
    ) -> WebPool {
        WebPool {
            number,
            stem: stem.to_string(),
            serves: Vec::new(),
            stations: Vec::new(),
            retired: Vec::new(),
            service: server.service.by_kind().map(Sampler::new),
            workers: server.workers,
            queue_capacity: server.queue_capacity,
            speeds: server.speeds.clone(),
            autoscaling: autoscaling.cloned(),
            booting: 0,
            last_scaling: SimTime::ZERO,
            servers_ticked: 0,
            sticky: sticky.then(StickySessions::default),
            first_servers: server.count,
        }
    }

    /// Servers ever added (retired ones included).
    pub fn len(&self) -> usize {
        self.stations.len()
    }

    /// Adds a server served by `station`, in service; returns its number.
    pub fn add(&mut self, station: u16) -> usize {
        self.stations.push(station);
        self.retired.push(false);
        if let Some(sticky) = self.sticky.as_mut() {
            sticky.add_server();
        }
        self.stations.len() - 1
    }

    /// Whether it keeps sticky sessions (the hot path asks before it reads the user).
    #[inline]
    pub fn keeps_sessions(&self) -> bool {
        self.sticky.is_some()
    }

    /// Its sticky sessions (`None`: it keeps none).
    pub fn sessions(&self) -> Option<&StickySessions> {
        self.sticky.as_ref()
    }

    /// Room for `users` users' sessions.
    pub fn reserve_users(&mut self, users: usize) {
        if let Some(sticky) = self.sticky.as_mut() {
            sticky.reserve_users(users);
        }
    }

    /// Sticky sessions: the server holding `user`'s session, if it still can (the same life
    /// of that server, read from its station's epoch in `stations`, and still in `balancer`'s
    /// pool); a session that cannot is gone (a re-login).
    #[inline]
    pub fn session_server(
        &mut self,
        user: usize,
        stations: &[Station],
        balancer: Option<&Balancer>,
    ) -> Option<usize> {
        let sticky = self.sticky.as_mut()?;
        let web = &self.stations;
        sticky.server_for(
            user,
            |i| stations[usize::from(web[i])].epoch,
            |i| balancer.is_some_and(|b| b.in_pool(i)),
        )
    }

    /// Sticky sessions: `user` reached `server`; a user without a session gets one there, in
    /// that server's life now.
    #[inline]
    pub fn note_session(&mut self, user: usize, server: usize, stations: &[Station]) {
        if let Some(sticky) = self.sticky.as_mut() {
            let life = stations[usize::from(self.stations[server])].epoch;
            sticky.note(user, server, life);
        }
    }

    /// Server `server` died: the sessions it held are gone, their users logged out.
    pub fn server_died(&mut self, server: usize) {
        if let Some(sticky) = self.sticky.as_mut() {
            sticky.server_died(server);
        }
    }

    /// Changes the number of servers in service to `count` ([`WebPool::resize`]): each
    /// server back in service (it joins the balancer's pool once healthy) and each retired
    /// one (it leaves at once) is logged and listed in `changes`. Returns how many new
    /// servers the engine must place (each then joins through [`WebPool::add`]).
    pub fn set_count<R: Slot, E: Copy>(
        &mut self,
        count: usize,
        ctx: &mut Ctx<R, E>,
        changes: &mut Vec<GroupChange>,
    ) -> u32 {
        let resize = self.resize(count);
        for i in resize.back {
            changes.push(GroupChange::Back { member: i as u16 });
            let name = self.server_name(i);
            let text = format!("{name} added back; joins the pool once healthy");
            ctx.log(&name, text);
        }
        for i in resize.retired {
            changes.push(GroupChange::Retired { member: i as u16 });
            let name = self.server_name(i);
            let text = format!("{name} removed from the pool");
            ctx.log(&name, text);
        }
        resize.new
    }

    /// Servers in service.
    pub fn in_service(&self) -> u32 {
        self.retired.iter().filter(|r| !**r).count() as u32
    }

    /// Service time of a request of `kind` on a web server.
    #[inline]
    pub fn service(&self, kind: RequestKind) -> Sampler {
        self.service[kind as usize]
    }

    /// The first autoscaling decision, one evaluation interval after the start.
    pub fn start<R: Slot, E: Copy + From<BuiltInEvent>>(&self, ctx: &mut BuiltInCtx<'_, R, E>) {
        if let Some(a) = &self.autoscaling {
            let at = ctx.now + SimDuration::from_secs_f64(a.evaluation_interval_s);
            ctx.schedule(at, WebEvent::AutoscaleCheck { pool: self.number });
        }
    }

    /// Handles one of its events (its servers' stations read from `ctx.stations`); returns
    /// the number of servers the pool should now have in service, when that changes (the
    /// engine applies it through [`BuiltIn::resize`]).
    pub fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: WebEvent,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<u32> {
        match event {
            WebEvent::AutoscaleCheck { .. } => self.autoscale(ctx),
            WebEvent::ServerBooted { .. } => {
                self.booting = self.booting.saturating_sub(1);
                Some(self.in_service() + 1)
            }
        }
    }

    /// The autoscaling group compares utilization with its target.
    fn autoscale<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<u32> {
        let a = self.autoscaling.as_ref()?;
        let now = ctx.now;
        let next = now + SimDuration::from_secs_f64(a.evaluation_interval_s);
        let pool = self.number;
        ctx.schedule(next, WebEvent::AutoscaleCheck { pool });
        let count = self.in_service();
        let utilization = (0..self.len())
            .filter(|&i| !self.retired[i])
            .map(|i| {
                let s = &ctx.stations[usize::from(self.stations[i])];
                s.last_interval.utilization(s.workers)
            })
            .sum::<f64>()
            / f64::from(count.max(1));
        let desired = ((f64::from(count) * utilization / a.target_utilization).ceil() as u32)
            .clamp(a.min_servers, a.max_servers);
        if desired > count + self.booting {
            let more = desired - count - self.booting;
            self.booting += more;
            let ready = now + SimDuration::from_secs_f64(a.scale_out_delay_s);
            for _ in 0..more {
                ctx.schedule(ready, WebEvent::ServerBooted { pool });
            }
            self.last_scaling = now;
            ctx.log(
                "autoscaling",
                format!(
                    "autoscaling: {} at {:.0}% (target {:.0}%); launching {more} servers, ready in {} s",
                    self.tier_name(),
                    utilization * 100.0,
                    a.target_utilization * 100.0,
                    a.scale_out_delay_s
                ),
            );
            None
        } else if desired < count
            && self.booting == 0
            && now - self.last_scaling >= SimDuration::from_secs_f64(a.scale_in_cooldown_s)
        {
            self.last_scaling = now;
            ctx.log(
                "autoscaling",
                format!(
                    "autoscaling: {} at {:.0}% (target {:.0}%); removing {} servers",
                    self.tier_name(),
                    utilization * 100.0,
                    a.target_utilization * 100.0,
                    count - desired
                ),
            );
            Some(desired)
        } else {
            None
        }
    }

    /// What the log calls it: `web tier` for the first pool, `web pool <name>` for another.
    fn tier_name(&self) -> String {
        if self.number == 0 {
            "web tier".to_string()
        } else {
            format!("web pool {}", self.stem)
        }
    }

    /// The name of its server number `server` (`web-3`, `web-api-0`).
    pub fn server_name(&self, server: usize) -> String {
        format!("{}-{server}", self.stem)
    }

    /// Changes the number of servers in service to `count`: retired servers come back first
    /// (lowest number first), then new ones are needed; beyond `count`, the highest-numbered
    /// servers in service retire. Marks `back` and `retired`; the engine adds the new ones.
    pub fn resize(&mut self, count: usize) -> Resize {
        let mut out = Resize::default();
        let mut active = self.in_service() as usize;
        for i in 0..self.len() {
            if active >= count {
                break;
            }
            if self.retired[i] {
                self.retired[i] = false;
                out.back.push(i);
                active += 1;
            }
        }
        out.new = count.saturating_sub(active) as u32;
        active += out.new as usize;
        for i in (0..self.len()).rev() {
            if active <= count {
                break;
            }
            if !self.retired[i] {
                self.retired[i] = true;
                out.retired.push(i);
                active -= 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::components::balancer::BalancerNode;
    use crate::sim::components::built_in::{BuiltInEventKind, BuiltInPart};
    use crate::sim::components::registry::{BuiltIn, Follow, Listed, Starts};
    use crate::sim::components::web_tier::WebTier;
    use crate::sim::kernel::run::Kernel;
    use crate::sim::{ComponentKind, ComponentState};

    fn autoscaling() -> Autoscaling {
        Autoscaling {
            min_servers: 1,
            max_servers: 6,
            target_utilization: 0.5,
            evaluation_interval_s: 10.0,
            scale_out_delay_s: 30.0,
            scale_in_cooldown_s: 60.0,
        }
    }

    /// Two stations whose last interval was `busy` of their one worker's time.
    fn stations(busy: f64) -> Vec<Station> {
        (0..2)
            .map(|_| {
                let mut s = Station::new(1, 10);
                s.busy = 1;
                s.account(SimTime::ZERO);
                s.account(SimTime::from_millis_f64(busy * 1000.0));
                s.busy = 0;
                s.account(SimTime::from_secs(1));
                s.close_interval();
                s
            })
            .collect()
    }

    #[test]
    fn resize_brings_back_the_lowest_retired_first_and_retires_the_highest() {
        let scenario = crate::scenario::preset(3).expect("preset 3");
        let mut pool = WebPool::new(0, "web", &scenario.server, None, false);
        for s in 0..4 {
            pool.add(s);
        }
        let shrink = pool.resize(2);
        assert_eq!(shrink.retired, vec![3, 2]);
        assert_eq!((shrink.back.len(), shrink.new), (0, 0));
        assert_eq!(pool.in_service(), 2);
        let grow = pool.resize(5);
        assert_eq!(grow.back, vec![2, 3]);
        assert_eq!(grow.new, 1);
        assert!(grow.retired.is_empty());
        assert_eq!(pool.resize(4), Resize::default());
    }

    /// Preset 7's first pool with sticky sessions, `servers` placed on stations 0, 1…, each
    /// in its balancer's pool.
    fn sticky_pool(servers: u16) -> (WebPool, Balancer, Vec<Station>) {
        let scenario = crate::scenario::preset(7).expect("preset 7");
        let mut pool = WebPool::new(0, "web", &scenario.server, None, true);
        let spec = scenario.load_balancer.as_ref().expect("a balancer");
        let mut balancer = Balancer::new(spec, 0, "web");
        for s in 0..servers {
            pool.add(s);
            balancer.add_server(true, s);
        }
        pool.reserve_users(4);
        (
            pool,
            balancer,
            vec![Station::new(1, 1); usize::from(servers)],
        )
    }

    #[test]
    fn the_pool_keeps_its_sticky_sessions_until_their_server_dies_or_leaves() {
        let (mut pool, mut balancer, mut stations) = sticky_pool(3);
        assert_eq!(pool.session_server(0, &stations, Some(&balancer)), None);
        pool.note_session(0, 2, &stations);
        pool.note_session(1, 1, &stations);
        pool.note_session(1, 0, &stations); // has one already: unchanged
        assert_eq!(pool.session_server(0, &stations, Some(&balancer)), Some(2));
        assert_eq!(pool.session_server(1, &stations, Some(&balancer)), Some(1));
        // Server 2 dies (its station's next life): user 0 is logged out and logs in again.
        pool.server_died(2);
        stations[2].epoch += 1;
        assert_eq!(pool.session_server(0, &stations, Some(&balancer)), None);
        // Server 1 leaves the balancer's pool: user 1's session is gone too.
        balancer.deregister(1);
        assert_eq!(pool.session_server(1, &stations, Some(&balancer)), None);
        let r = pool.sessions().expect("sticky").report();
        assert_eq!((r.logged_out, r.relogins), (1, 2));
        // A pool without sticky sessions keeps none.
        let scenario = crate::scenario::preset(7).expect("preset 7");
        let mut plain = WebPool::new(0, "web", &scenario.server, None, false);
        plain.add(0);
        plain.note_session(0, 0, &stations);
        assert_eq!(plain.session_server(0, &stations, Some(&balancer)), None);
        assert!(plain.sessions().is_none());
    }

    #[test]
    fn set_count_retires_and_returns_servers_for_the_balancer_and_logs_each() {
        let (mut pool, mut balancer, _) = sticky_pool(4);
        let mut kernel = Kernel::<(), WebEvent>::new(1);
        // What the stack does: each change listed goes to the balancer's view of the pool.
        let mut set_count = |pool: &mut WebPool, count: usize| {
            let mut changes = Vec::new();
            let new = pool.set_count(count, &mut kernel, &mut changes);
            for &change in &changes {
                balancer.changed(change);
            }
            (new, changes, balancer.clone())
        };
        let (new, changes, b) = set_count(&mut pool, 2);
        assert_eq!(new, 0);
        assert_eq!(
            changes,
            [
                GroupChange::Retired { member: 3 },
                GroupChange::Retired { member: 2 }
            ]
        );
        assert_eq!(pool.in_service(), 2);
        assert!(b.in_pool(1) && !b.in_pool(2) && !b.in_pool(3));
        // Growing to 5: servers 2 and 3 come back (registered, in the pool once healthy) and
        // one new server is for the engine to place.
        let (new, changes, b) = set_count(&mut pool, 5);
        assert_eq!(new, 1);
        assert_eq!(
            changes,
            [
                GroupChange::Back { member: 2 },
                GroupChange::Back { member: 3 }
            ]
        );
        assert_eq!(pool.in_service(), 4, "the new one counts once placed");
        assert!(!b.in_pool(2), "joins only after passing checks");
        pool.add(4);
        assert_eq!((pool.len(), pool.in_service()), (5, 5));
        assert_eq!(set_count(&mut pool, 5).0, 0);
        let log: Vec<(&str, &str)> = (kernel.log.iter())
            .map(|e| (e.component.as_str(), e.text.as_str()))
            .collect();
        assert_eq!(
            log,
            [
                ("web-3", "web-3 removed from the pool"),
                ("web-2", "web-2 removed from the pool"),
                ("web-2", "web-2 added back; joins the pool once healthy"),
                ("web-3", "web-3 added back; joins the pool once healthy"),
            ]
        );
    }

    type TestKernel = Kernel<(), BuiltInEvent>;

    /// The next event up to 100 s (a web tier's, as built-in component 0), the clock moved
    /// to it.
    fn next(k: &mut TestKernel) -> Option<(SimTime, WebEvent)> {
        let (t, BuiltInEvent { part, event }) = k.events.pop_until(SimTime::from_secs(100))?;
        k.now = t;
        assert_eq!(part, 0);
        let BuiltInEventKind::Web(event) = event else {
            panic!("an event of another kind: {event:?}");
        };
        Some((t, event))
    }

    /// Hands `pool` one of its events, with `stations` as the stack's table.
    fn handle(
        pool: &mut WebPool,
        event: WebEvent,
        stations: &mut [Station],
        kernel: &mut TestKernel,
    ) -> Option<u32> {
        let ctx = &mut BuiltInCtx {
            kernel,
            stations,
            me: 0,
        };
        pool.handle(event, ctx)
    }

    #[test]
    fn the_autoscaler_launches_servers_when_busy_and_removes_them_after_the_cooldown() {
        let scenario = crate::scenario::preset(3).expect("preset 3");
        let mut pool = WebPool::new(0, "web", &scenario.server, Some(&autoscaling()), false);
        pool.add(0);
        pool.add(1);
        let mut kernel = TestKernel::new(1);
        let k = &mut kernel;
        pool.start(&mut BuiltInCtx {
            kernel: k,
            stations: &mut [],
            me: 0,
        });
        // 90 % busy against a 50 % target: 2 × 0.9 / 0.5 = 3.6, so 4 servers, 2 more.
        let busy = &mut stations(0.9);
        let (t, e) = next(k).expect("a check");
        assert_eq!(t, SimTime::from_secs(10));
        assert_eq!(handle(&mut pool, e, busy, k), None);
        // The next check while they boot launches no more.
        let (t, e) = next(k).expect("a check");
        assert_eq!(t, SimTime::from_secs(20));
        assert_eq!(handle(&mut pool, e, busy, k), None);
        let (t, e) = next(k).expect("a check");
        assert_eq!(t, SimTime::from_secs(30));
        handle(&mut pool, e, busy, k);
        // Launched at 10 s, booted at 40 s: each adds one server.
        let (t, e) = next(k).expect("a boot");
        assert_eq!(
            (t, matches!(e, WebEvent::ServerBooted { .. })),
            (SimTime::from_secs(40), true)
        );
        assert_eq!(handle(&mut pool, e, busy, k), Some(3));
        pool.add(2);
        let (t, e) = next(k).expect("a boot");
        assert_eq!(t, SimTime::from_secs(40));
        assert_eq!(handle(&mut pool, e, busy, k), Some(4));
        pool.add(3);
        // Now idle (10 % busy): 4 × 0.1 / 0.5 = 0.8 → 1 server, but only once 60 s have
        // passed since the last scaling action (10 s).
        let idle = &mut (0..4)
            .flat_map(|_| stations(0.1))
            .take(4)
            .collect::<Vec<_>>();
        let mut removed_at = None;
        while let Some((t, e)) = next(k) {
            if let Some(count) = handle(&mut pool, e, idle, k) {
                removed_at = Some((t, count));
                break;
            }
        }
        assert_eq!(removed_at, Some((SimTime::from_secs(70), 1)));
        let log: Vec<&str> = k.log.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            log,
            vec![
                "autoscaling: web tier at 90% (target 50%); launching 2 servers, ready in 30 s",
                "autoscaling: web tier at 10% (target 50%); removing 3 servers",
            ]
        );
    }

    #[test]
    fn the_tier_and_the_balancer_take_their_events_and_resize_through_the_hooks() {
        // Stage 7's balancer, two servers, the autoscaler above: the web tier is built-in
        // component 0 and the balancer 1, and this test does what the stack does between
        // them (every change of a pool goes to the balancer's view).
        let mut scenario = crate::scenario::preset(7).expect("preset 7");
        scenario.server.count = 2;
        scenario.autoscaling = Some(autoscaling());
        let mut parts = BuiltInPart::of_scenario(&scenario);
        parts.truncate(1);
        let lb = BalancerNode::of_scenario(&scenario).expect("stage 7 has a balancer");
        parts.push(BuiltInPart::Balancer(lb));
        assert_eq!(parts[0].starts(), Starts::BeforePlugs);
        assert_eq!(
            parts[1].starts(),
            Starts::First,
            "health checks start first"
        );
        assert_eq!(parts[1].views(), Some(parts[0].node()));
        // Its first servers are placed where it is listed, right after the front door.
        assert_eq!(parts[0].listed(), Listed::AfterFrontDoor);
        assert_eq!(parts[0].initial_stations(), [2]);
        let placed = |parts: &mut [BuiltInPart], station: u16, initial: bool| {
            let note = parts[0].station_placed(0, station, initial);
            parts[1].group_changed(0, GroupChange::Placed { station, initial });
            note
        };
        for server in 0..2u16 {
            let new = parts[0].new_station(0);
            let name = ["web-0", "web-1"][usize::from(server)];
            assert_eq!((new.name.as_str(), new.index), (name, server));
            assert_eq!(placed(&mut parts, server, true), None);
        }
        let mut kernel = TestKernel::new(1);
        for me in [1, 0] {
            parts[me].start(&mut BuiltInCtx {
                kernel: &mut kernel,
                stations: &mut [],
                me: me as u8,
            });
        }
        // The balancer's health checks (its own events), the autoscaler's checks and boots
        // come back tagged with their part and are handed back to it, until a booted server
        // asks for a third one (its two servers 90 % busy).
        let mut stations = stations(0.9);
        let mut health_checks = 0;
        let mut step =
            |kernel: &mut TestKernel, parts: &mut [BuiltInPart], stations: &mut [Station]| {
                let (t, BuiltInEvent { part: me, event }) =
                    (kernel.events.pop_until(SimTime::from_secs(100))).expect("an event");
                kernel.now = t;
                let follow = parts[usize::from(me)].handle(
                    event,
                    &mut BuiltInCtx {
                        kernel,
                        stations,
                        me,
                    },
                );
                if follow == Follow::Checked {
                    assert_eq!(me, 1, "health checks are the balancer's");
                    health_checks += 1;
                }
                follow
            };
        let follow = loop {
            match step(&mut kernel, &mut parts, &mut stations) {
                Follow::Nothing | Follow::Checked => continue,
                follow => break (kernel.now, follow),
            }
        };
        let (at, follow) = follow;
        assert_eq!(
            (at, follow),
            (
                SimTime::from_secs(40),
                Follow::Resize { group: 0, count: 3 }
            )
        );
        // The resize: one new server for the stack to place, the scenario's count follows.
        let mut changes = Vec::new();
        let ctx = &mut BuiltInCtx {
            kernel: &mut kernel,
            stations: &mut stations,
            me: 0,
        };
        assert_eq!(
            parts[0].resize(0, 3, &mut scenario, ctx, &mut changes),
            Some(1)
        );
        assert!(changes.is_empty(), "no server back or retired");
        assert_eq!(scenario.server.count, 3);
        let new = parts[0].new_station(0);
        assert_eq!(new.name, "web-2");
        stations.push(new.station);
        assert_eq!(
            placed(&mut parts, 2, false).as_deref(),
            Some("web-2 added; joins the pool once healthy")
        );
        let web = parts[0].get::<WebTier>().expect("the web tier");
        assert_eq!(web.pools[0].in_service(), 3);
        let in_pool = |parts: &[BuiltInPart], server: u16| {
            let mut state = ComponentState::default();
            parts[1].station_state(ComponentKind::Server, server, &mut state);
            state.in_pool
        };
        assert!(!in_pool(&parts, 2), "joins only after passing checks");
        // The balancer's next checks see web-2's station up and take it in.
        while !in_pool(&parts, 2) {
            assert!(kernel.now < SimTime::from_secs(60), "web-2 never joined");
            step(&mut kernel, &mut parts, &mut stations);
        }
        // Stage 7's balancer checks every 2 s: rounds at 2, 4, … 38 s before the boot (the
        // round at 40 s was scheduled after it), then 40 and 42 s for web-2's two passes.
        assert_eq!(health_checks, 21);
        assert_eq!(
            kernel.log.back().map(|e| e.text.as_str()),
            Some("load balancer: web-2 passed 2 checks, back in the pool")
        );
        // Without a balancer the count stays.
        let mut lone = crate::scenario::preset(1).expect("preset 1");
        let mut alone = BuiltInPart::Web(WebTier::new(&lone));
        let ctx = &mut BuiltInCtx {
            kernel: &mut kernel,
            stations: &mut stations,
            me: 0,
        };
        assert_eq!(alone.resize(0, 3, &mut lone, ctx, &mut changes), None);
        assert_eq!(lone.server.count, 1);
    }
}
