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
//! [`WebPool`] owns that state and its events ([`WebEvent`]); a change of size comes back to
//! the engine as a [`Resize`] (which servers return to service, how many are new, which leave),
//! and the engine adds the new servers' stations and tells the balancer and the sessions.

use crate::scenario::{Autoscaling, Server};
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
    /// Per server (`web-0`, `web-1`, …): its station.
    pub stations: Vec<u16>,
    /// Per server: taken out of service (it drains and idles).
    pub retired: Vec<bool>,
    /// Service time per request kind.
    service: [Sampler; 4],
    /// The autoscaling group, if the web tier has one.
    autoscaling: Option<Autoscaling>,
    /// Servers launched by the autoscaler and still booting.
    booting: u32,
    /// When the autoscaler last changed the size.
    last_scaling: SimTime,
    /// Servers in service summed over the metrics ticks (kept only when there are several
    /// pools, for each pool's bill).
    pub servers_ticked: u64,
}

impl WebPool {
    /// Web pool number `number` of `server`s named after `stem` (none placed yet), scaled by
    /// `autoscaling` if any.
    pub fn new(
        number: u8,
        stem: &str,
        server: &Server,
        autoscaling: Option<&Autoscaling>,
    ) -> WebPool {
        WebPool {
            number,
            stem: stem.to_string(),
            stations: Vec::new(),
            retired: Vec::new(),
            service: server.service.by_kind().map(Sampler::new),
            autoscaling: autoscaling.cloned(),
            booting: 0,
            last_scaling: SimTime::ZERO,
            servers_ticked: 0,
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
        self.stations.len() - 1
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
    pub fn start<R: Slot, E: Copy + From<WebEvent>>(&self, ctx: &mut Ctx<R, E>) {
        if let Some(a) = &self.autoscaling {
            let at = ctx.now + SimDuration::from_secs_f64(a.evaluation_interval_s);
            ctx.schedule(at, WebEvent::AutoscaleCheck { pool: self.number });
        }
    }

    /// Handles one of its events; returns the number of servers the pool should now have in
    /// service, when that changes (the engine applies it with [`WebPool::resize`]).
    pub fn handle<R: Slot, E: Copy + From<WebEvent>>(
        &mut self,
        event: WebEvent,
        stations: &[Station],
        ctx: &mut Ctx<R, E>,
    ) -> Option<u32> {
        match event {
            WebEvent::AutoscaleCheck { .. } => self.autoscale(stations, ctx),
            WebEvent::ServerBooted { .. } => {
                self.booting = self.booting.saturating_sub(1);
                Some(self.in_service() + 1)
            }
        }
    }

    /// The autoscaling group compares utilization with its target.
    fn autoscale<R: Slot, E: Copy + From<WebEvent>>(
        &mut self,
        stations: &[Station],
        ctx: &mut Ctx<R, E>,
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
                let s = &stations[usize::from(self.stations[i])];
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
    use crate::sim::kernel::run::Kernel;

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
        let mut pool = WebPool::new(0, "web", &scenario.server, None);
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

    #[test]
    fn the_autoscaler_launches_servers_when_busy_and_removes_them_after_the_cooldown() {
        let scenario = crate::scenario::preset(3).expect("preset 3");
        let mut pool = WebPool::new(0, "web", &scenario.server, Some(&autoscaling()));
        pool.add(0);
        pool.add(1);
        let mut kernel = Kernel::<(), WebEvent>::new(1);
        let k = &mut kernel;
        /// The next event up to 100 s, the clock moved to it.
        fn next(k: &mut Kernel<(), WebEvent>) -> Option<(SimTime, WebEvent)> {
            let (t, e) = k.events.pop_until(SimTime::from_secs(100))?;
            k.now = t;
            Some((t, e))
        }
        pool.start(k);
        // 90 % busy against a 50 % target: 2 × 0.9 / 0.5 = 3.6, so 4 servers, 2 more.
        let busy = stations(0.9);
        let (t, e) = next(k).expect("a check");
        assert_eq!(t, SimTime::from_secs(10));
        assert_eq!(pool.handle(e, &busy, k), None);
        // The next check while they boot launches no more.
        let (t, e) = next(k).expect("a check");
        assert_eq!(t, SimTime::from_secs(20));
        assert_eq!(pool.handle(e, &busy, k), None);
        let (t, e) = next(k).expect("a check");
        assert_eq!(t, SimTime::from_secs(30));
        pool.handle(e, &busy, k);
        // Launched at 10 s, booted at 40 s: each adds one server.
        let (t, e) = next(k).expect("a boot");
        assert_eq!(
            (t, matches!(e, WebEvent::ServerBooted { .. })),
            (SimTime::from_secs(40), true)
        );
        assert_eq!(pool.handle(e, &busy, k), Some(3));
        pool.add(2);
        let (t, e) = next(k).expect("a boot");
        assert_eq!(t, SimTime::from_secs(40));
        assert_eq!(pool.handle(e, &busy, k), Some(4));
        pool.add(3);
        // Now idle (10 % busy): 4 × 0.1 / 0.5 = 0.8 → 1 server, but only once 60 s have
        // passed since the last scaling action (10 s).
        let idle: Vec<Station> = (0..4).flat_map(|_| stations(0.1)).take(4).collect();
        let mut removed_at = None;
        while let Some((t, e)) = next(k) {
            if let Some(count) = pool.handle(e, &idle, k) {
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
}
