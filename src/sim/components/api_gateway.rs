//! An API gateway: the system's one public entrance, in front of the load balancer (or of the
//! only web pool). Every request it lets in spends `latency_ms` inside it (checking the
//! caller, routing, ending TLS) before it goes on; it admits at most `quota_per_s` requests in
//! each whole second of simulated time and sheds the rest at once (`rate_limited`), writing
//! one line in the event log at the end of every second in which it shed some.
//!
//! ```text
//!   request ─▶ dead? ──yes──▶ failed now: server_down
//!               │no
//!               ▼
//!          quota of this second used up? ──yes──▶ shed now: rate_limited (counted for the log)
//!               │no
//!               ▼
//!          held latency_ms (× its slowdown) ──▶ on to the node it fronts
//!
//!   every second (its own timer): "shed N requests over its quota of Q/s" if N > 0; count 0
//! ```
//!
//! Unlike a rate limiter it cannot fail open: it is the way in, so while it is down nothing
//! gets in, and the requests inside it when it dies fail (the engine cuts them). Slowed (a
//! grey failure), it holds every request `factor` times as long.
//!
//! This file is the whole kind: its parameters and wiring rules ([`PlugSpec`]), its behaviour
//! ([`Plug`]); it is registered by one line in `registry.rs`.

use super::registry::{
    Component, Figure, Plug, PlugCtx, PlugEvent, PlugEventKind, PlugSpec, Verdict,
};
use crate::scenario::topology::NodeKind;
use crate::sim::kernel::run::Slot;
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::{Outcome, RequestKind};
use serde::{Deserialize, Serialize};

/// An API gateway's parameters (every field has a default, so `{}` is a valid gateway).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiGatewayParams {
    /// How long it holds each request it lets in, ms.
    #[serde(default = "default_latency_ms")]
    pub latency_ms: f64,
    /// Requests it lets in per whole second of simulated time; the rest are shed.
    #[serde(default = "default_quota_per_s")]
    pub quota_per_s: u32,
}

// In the binary form the page reads (src/scenario/wire.rs).
crate::codec::wire_struct!(ApiGatewayParams {
    latency_ms,
    quota_per_s
});

fn default_latency_ms() -> f64 {
    2.0
}

fn default_quota_per_s() -> u32 {
    5000
}

impl Default for ApiGatewayParams {
    fn default() -> ApiGatewayParams {
        ApiGatewayParams {
            latency_ms: default_latency_ms(),
            quota_per_s: default_quota_per_s(),
        }
    }
}

/// Longest latency it may add, ms.
const MAX_LATENCY_MS: f64 = 60_000.0;
/// Largest quota, requests per second.
const MAX_QUOTA_PER_S: u32 = 100_000_000;
/// The span over which its quota counts.
const WINDOW: SimDuration = SimDuration::from_secs(1);

impl PlugSpec for ApiGatewayParams {
    const NAME: &'static str = "api_gateway";
    const LABEL: &'static str = "API gateway";
    const PHRASE: &'static str = "an API gateway";
    const ABOUT: &'static str = "The system's one way in: it holds each request latency_ms (checking the caller, routing) and lets in at most quota_per_s requests each second, shedding the rest at once and logging each second it shed some. Dead, nothing gets in; slowed, it holds requests longer.";
    const ROLE: &'static str = "an API gateway stands at the system's edge, in front of one load balancer or web pool, fed by DNS, a data center or a CDN edge";
    const FED_BY: &'static [NodeKind] = &[NodeKind::Dns, NodeKind::DataCenter, NodeKind::CdnEdge];
    const FRONTS: &'static [NodeKind] = &[NodeKind::LoadBalancer, NodeKind::WebPool];

    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(self.latency_ms.is_finite()
            && self.latency_ms >= 0.0
            && self.latency_ms <= MAX_LATENCY_MS)
        {
            p.push(format!("latency_ms must be 0 – {MAX_LATENCY_MS}"));
        }
        if self.quota_per_s == 0 || self.quota_per_s > MAX_QUOTA_PER_S {
            p.push(format!("quota_per_s must be 1 – {MAX_QUOTA_PER_S}"));
        }
        p
    }
}

/// An API gateway's own events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GatewayEvent {
    /// A second of its quota ends.
    SecondEnds,
}

impl From<GatewayEvent> for PlugEventKind {
    fn from(event: GatewayEvent) -> PlugEventKind {
        PlugEventKind::ApiGateway(event)
    }
}

/// An API gateway: its quota's count, its life, its speed and its counts.
#[derive(Clone, Debug)]
pub struct ApiGateway {
    latency: SimDuration,
    quota: u32,
    alive: bool,
    /// How many times longer it holds requests (1: healthy).
    slowdown: f64,
    /// Requests let in during the current second.
    this_second: u32,
    /// Requests shed during the current second.
    shed_this_second: u64,
    /// Requests let in.
    passed: u64,
    /// Requests shed over the quota.
    shed: u64,
    /// Requests that reached it while it was down (all failed).
    while_down: u64,
}

impl Component for ApiGateway {}

impl Plug for ApiGateway {
    type Params = ApiGatewayParams;
    type Event = GatewayEvent;

    fn new(p: &ApiGatewayParams) -> ApiGateway {
        ApiGateway {
            latency: SimDuration::from_millis_f64(p.latency_ms),
            quota: p.quota_per_s,
            alive: true,
            slowdown: 1.0,
            this_second: 0,
            shed_this_second: 0,
            passed: 0,
            shed: 0,
            while_down: 0,
        }
    }

    fn start<R: Slot, E: Copy + From<PlugEvent>>(&self, ctx: &mut PlugCtx<'_, R, E>) {
        let at = ctx.now().plus(WINDOW);
        ctx.schedule(at, GatewayEvent::SecondEnds);
    }

    #[inline]
    fn on_request<R: Slot, E: Copy + From<PlugEvent>>(
        &mut self,
        _kind: RequestKind,
        _ctx: &mut PlugCtx<'_, R, E>,
    ) -> Verdict {
        if !self.alive {
            self.while_down += 1;
            return Verdict::Reject(Outcome::ServerDown);
        }
        if self.this_second >= self.quota {
            self.shed += 1;
            self.shed_this_second += 1;
            return Verdict::Reject(Outcome::RateLimited);
        }
        self.this_second += 1;
        self.passed += 1;
        Verdict::Delay(self.held())
    }

    fn handle<R: Slot, E: Copy + From<PlugEvent>>(
        &mut self,
        event: GatewayEvent,
        ctx: &mut PlugCtx<'_, R, E>,
    ) {
        match event {
            GatewayEvent::SecondEnds => {
                if self.shed_this_second > 0 {
                    let text = format!(
                        "shed {} requests over its quota of {}/s in the last second",
                        self.shed_this_second, self.quota
                    );
                    ctx.log(text);
                }
                self.this_second = 0;
                self.shed_this_second = 0;
                let at = ctx.now().plus(WINDOW);
                ctx.schedule(at, GatewayEvent::SecondEnds);
            }
        }
    }

    fn kill(&mut self, _now: SimTime) {
        self.alive = false;
    }

    fn repair(&mut self, _now: SimTime) {
        self.alive = true;
    }

    fn slow(&mut self, factor: Option<f64>) -> bool {
        self.slowdown = factor.unwrap_or(1.0);
        true
    }

    fn is_alive(&self) -> bool {
        self.alive
    }

    fn figures_now(&self, _now: SimTime) -> Vec<Figure> {
        vec![
            Figure {
                key: "this_second",
                label: "Let in this second",
                value: f64::from(self.this_second),
            },
            Figure {
                key: "quota_per_s",
                label: "Quota /s",
                value: f64::from(self.quota),
            },
            Figure {
                key: "latency_ms",
                label: "Holds each, ms",
                value: self.held().as_secs_f64() * 1000.0,
            },
            Figure {
                key: "shed",
                label: "Shed",
                value: self.shed as f64,
            },
        ]
    }

    fn report(&self) -> Vec<Figure> {
        vec![
            Figure {
                key: "passed",
                label: "Let in",
                value: self.passed as f64,
            },
            Figure {
                key: "shed",
                label: "Shed over quota",
                value: self.shed as f64,
            },
            Figure {
                key: "while_down",
                label: "Reached it while down",
                value: self.while_down as f64,
            },
        ]
    }
}

impl ApiGateway {
    /// How long it holds a request now (its latency times its slowdown).
    fn held(&self) -> SimDuration {
        if self.slowdown == 1.0 {
            self.latency
        } else {
            SimDuration::from_secs_f64(self.latency.as_secs_f64() * self.slowdown)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kernel::run::Kernel;

    fn gateway(latency_ms: f64, quota_per_s: u32) -> ApiGateway {
        ApiGateway::new(&ApiGatewayParams {
            latency_ms,
            quota_per_s,
        })
    }

    fn ask(g: &mut ApiGateway, k: &mut Kernel<(), PlugEvent>) -> Verdict {
        let ctx = &mut PlugCtx {
            kernel: k,
            me: 0,
            name: "gw",
        };
        g.on_request(RequestKind::ApiRead, ctx)
    }

    /// Pops the gateway's next event and hands it over, as the engine does.
    fn tick(g: &mut ApiGateway, k: &mut Kernel<(), PlugEvent>) {
        let (at, e) = k.events.pop().expect("its timer");
        k.now = at;
        // Irrefutable while the other kinds have no events of their own.
        #[allow(irrefutable_let_patterns)]
        let PlugEventKind::ApiGateway(event) = e.event
        else {
            panic!("its own event: {e:?}");
        };
        g.handle(
            event,
            &mut PlugCtx {
                kernel: k,
                me: 0,
                name: "gw",
            },
        );
    }

    #[test]
    fn holds_what_it_lets_in_and_sheds_over_its_quota_each_second_logging_it() {
        let mut g = gateway(3.0, 2);
        let mut k = Kernel::<(), PlugEvent>::new(1);
        g.start(&mut PlugCtx {
            kernel: &mut k,
            me: 0,
            name: "gw",
        });
        let held = Verdict::Delay(SimDuration::from_millis_f64(3.0));
        assert_eq!(ask(&mut g, &mut k), held);
        assert_eq!(ask(&mut g, &mut k), held);
        assert_eq!(ask(&mut g, &mut k), Verdict::Reject(Outcome::RateLimited));
        // The second ends: its log says how many it shed, and the quota is fresh.
        tick(&mut g, &mut k);
        assert_eq!(k.now, SimTime::from_secs(1));
        let line = k.log.back().expect("a log line");
        assert_eq!(line.component, "gw");
        assert!(line.text.starts_with("shed 1 requests"), "{}", line.text);
        assert_eq!(ask(&mut g, &mut k), held);
        // A second without shedding logs nothing.
        tick(&mut g, &mut k);
        assert_eq!(k.log.len(), 1);
        assert_eq!((g.passed, g.shed), (3, 1));
    }

    #[test]
    fn dead_it_lets_nothing_in_and_slowed_it_holds_longer() {
        let mut g = gateway(2.0, 100);
        let mut k = Kernel::<(), PlugEvent>::new(1);
        assert!(g.slow(Some(2.5)));
        assert_eq!(
            ask(&mut g, &mut k),
            Verdict::Delay(SimDuration::from_millis_f64(5.0))
        );
        g.slow(None);
        g.kill(SimTime::ZERO);
        assert_eq!(ask(&mut g, &mut k), Verdict::Reject(Outcome::ServerDown));
        g.repair(SimTime::ZERO);
        assert_eq!(
            ask(&mut g, &mut k),
            Verdict::Delay(SimDuration::from_millis_f64(2.0))
        );
        assert_eq!(g.while_down, 1);
    }

    #[test]
    fn defaults_fill_missing_fields_and_bad_values_are_named() {
        let p: ApiGatewayParams = serde_json::from_str(r#"{"quota_per_s": 50}"#).unwrap();
        assert_eq!((p.latency_ms, p.quota_per_s), (2.0, 50));
        assert!(p.problems().is_empty());
        let bad: ApiGatewayParams =
            serde_json::from_str(r#"{"latency_ms": -1, "quota_per_s": 0}"#).unwrap();
        assert_eq!(bad.problems().len(), 2);
    }
}
