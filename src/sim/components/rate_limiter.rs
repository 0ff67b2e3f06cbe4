//! A rate limiter: a token bucket in front of a load balancer or a web pool. Requests over the
//! limit are turned away at once (`rate_limited`), instead of queueing at the servers behind
//! it, so those that are admitted keep a low latency under overload.
//!
//! ```text
//!   tokens ≤ burst, refilled at rate_per_s (computed when a request comes: no timer)
//!   request ─▶ a token? ──yes──▶ on to the node it fronts (one token spent)
//!                       └─no──▶ rejected now: rate_limited (back to the user)
//!   dead:  when_down = open (default): everything passes, unlimited
//!          when_down = closed: everything fails as server_down
//! ```
//!
//! Over a run of `t` seconds with demand above the rate it admits about `rate_per_s × t +
//! burst` requests. A dead limiter fails open by default: it guards the servers' capacity, not
//! the data, and a limiter that takes the whole site down with it is the worse failure.
//!
//! This file is the whole kind: its parameters and wiring rules ([`PlugSpec`]), its behaviour
//! ([`Plug`]); it is registered by one line in `registry.rs`.

use super::registry::{Component, Figure, NoEvent, Plug, PlugCtx, PlugEvent, PlugSpec, Verdict};
use crate::scenario::topology::NodeKind;
use crate::sim::kernel::run::Slot;
use crate::sim::kernel::time::SimTime;
use crate::sim::{Outcome, RequestKind};
use serde::{Deserialize, Serialize};

/// What a dead rate limiter does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhenDown {
    /// Lets every request through, unlimited (the default).
    #[default]
    Open,
    /// Turns every request away (`server_down`).
    Closed,
}

/// A rate limiter's parameters (every field has a default, so `{}` is a valid limiter).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimiterParams {
    /// Requests admitted per second, on average (the bucket's refill rate).
    #[serde(default = "default_rate")]
    pub rate_per_s: f64,
    /// Requests admitted at once after a quiet spell (the bucket's size; it starts full).
    #[serde(default = "default_burst")]
    pub burst: u32,
    /// What it does while it is down.
    #[serde(default)]
    pub when_down: WhenDown,
}

// In the binary form the page reads (src/scenario/wire.rs).
crate::codec::wire_enum!(WhenDown { 0 => Open, 1 => Closed });
crate::codec::wire_struct!(RateLimiterParams {
    rate_per_s,
    burst,
    when_down
});

fn default_rate() -> f64 {
    1000.0
}

fn default_burst() -> u32 {
    100
}

impl Default for RateLimiterParams {
    fn default() -> RateLimiterParams {
        RateLimiterParams {
            rate_per_s: default_rate(),
            burst: default_burst(),
            when_down: WhenDown::default(),
        }
    }
}

/// Highest rate, per second.
const MAX_RATE_PER_S: f64 = 1e9;
/// Largest burst.
const MAX_BURST: u32 = 100_000_000;

impl PlugSpec for RateLimiterParams {
    const NAME: &'static str = "rate_limiter";
    const LABEL: &'static str = "Rate limiter";
    const PHRASE: &'static str = "a rate limiter";
    const ABOUT: &'static str = "A token bucket in front of the servers: it admits rate_per_s requests a second (and bursts of up to burst), and turns the rest away at once instead of letting them queue. Dead, it lets everything through (when_down: open) or nothing (closed).";
    const ROLE: &'static str = "a rate limiter stands in front of one load balancer or web pool, fed by DNS, a data center, a CDN edge or a load balancer";
    const FED_BY: &'static [NodeKind] = &[
        NodeKind::Dns,
        NodeKind::DataCenter,
        NodeKind::CdnEdge,
        NodeKind::LoadBalancer,
    ];
    const FRONTS: &'static [NodeKind] = &[NodeKind::LoadBalancer, NodeKind::WebPool];

    fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(self.rate_per_s.is_finite()
            && self.rate_per_s > 0.0
            && self.rate_per_s <= MAX_RATE_PER_S)
        {
            p.push(format!(
                "rate_per_s must be above 0 and at most {MAX_RATE_PER_S:e}"
            ));
        }
        if self.burst == 0 || self.burst > MAX_BURST {
            p.push(format!("burst must be 1 – {MAX_BURST}"));
        }
        p
    }
}

/// A rate limiter: its bucket, its life and its counts.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    rate_per_ns: f64,
    burst: f64,
    when_down: WhenDown,
    alive: bool,
    /// Tokens in the bucket at `filled`.
    tokens: f64,
    /// When `tokens` was last brought up to date.
    filled: SimTime,
    /// Requests let through (while up, under the limit).
    admitted: u64,
    /// Requests turned away over the limit.
    limited: u64,
    /// Requests that reached it while it was down (passed when open, failed when closed).
    while_down: u64,
}

impl RateLimiter {
    /// The bucket's tokens at `now` (not before the last update).
    fn tokens_at(&self, now: SimTime) -> f64 {
        let ns = now.as_nanos().saturating_sub(self.filled.as_nanos()) as f64;
        (self.tokens + ns * self.rate_per_ns).min(self.burst)
    }
}

/// No tick: it refills lazily, when a request comes.
impl Component for RateLimiter {}

impl Plug for RateLimiter {
    type Params = RateLimiterParams;
    type Event = NoEvent;

    fn new(p: &RateLimiterParams) -> RateLimiter {
        RateLimiter {
            rate_per_ns: p.rate_per_s / 1e9,
            burst: f64::from(p.burst),
            when_down: p.when_down,
            alive: true,
            tokens: f64::from(p.burst),
            filled: SimTime::ZERO,
            admitted: 0,
            limited: 0,
            while_down: 0,
        }
    }

    #[inline]
    fn on_request<R: Slot, E: Copy + From<PlugEvent>>(
        &mut self,
        _kind: RequestKind,
        ctx: &mut PlugCtx<'_, R, E>,
    ) -> Verdict {
        if !self.alive {
            self.while_down += 1;
            return match self.when_down {
                WhenDown::Open => Verdict::Pass,
                WhenDown::Closed => Verdict::Reject(Outcome::ServerDown),
            };
        }
        let now = ctx.now();
        self.tokens = self.tokens_at(now);
        self.filled = now.max(self.filled);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.admitted += 1;
            Verdict::Pass
        } else {
            self.limited += 1;
            Verdict::Reject(Outcome::RateLimited)
        }
    }

    fn kill(&mut self, _now: SimTime) {
        self.alive = false;
    }

    fn repair(&mut self, now: SimTime) {
        // It comes back with an empty bucket, refilling from now.
        self.alive = true;
        self.tokens = 0.0;
        self.filled = now;
    }

    fn is_alive(&self) -> bool {
        self.alive
    }

    fn figures_now(&self, now: SimTime) -> Vec<Figure> {
        let tokens = if self.alive {
            self.tokens_at(now).floor()
        } else {
            0.0
        };
        vec![
            Figure {
                key: "tokens",
                label: "Tokens now",
                value: tokens,
            },
            Figure {
                key: "burst",
                label: "Burst",
                value: self.burst,
            },
            Figure {
                key: "rate_per_s",
                label: "Rate /s",
                value: self.rate_per_ns * 1e9,
            },
            Figure {
                key: "rate_limited",
                label: "Rate limited",
                value: self.limited as f64,
            },
        ]
    }

    fn report(&self) -> Vec<Figure> {
        vec![
            Figure {
                key: "admitted",
                label: "Admitted",
                value: self.admitted as f64,
            },
            Figure {
                key: "rate_limited",
                label: "Rate limited",
                value: self.limited as f64,
            },
            Figure {
                key: "while_down",
                label: "Reached it while down",
                value: self.while_down as f64,
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kernel::run::Kernel;

    fn ask(l: &mut RateLimiter, k: &mut Kernel<(), PlugEvent>, at_ms: u64) -> Verdict {
        k.now = SimTime::from_micros(at_ms * 1000);
        let ctx = &mut PlugCtx {
            kernel: k,
            me: 0,
            name: "limiter",
        };
        l.on_request(RequestKind::PageView, ctx)
    }

    #[test]
    fn admits_the_burst_then_the_rate() {
        let mut l = RateLimiter::new(&RateLimiterParams {
            rate_per_s: 100.0,
            burst: 5,
            when_down: WhenDown::Open,
        });
        let mut k = Kernel::<(), PlugEvent>::new(1);
        let passed = (0..10)
            .filter(|_| ask(&mut l, &mut k, 0) == Verdict::Pass)
            .count();
        assert_eq!(passed, 5);
        // 10 ms at 100/s refills one token.
        assert_eq!(ask(&mut l, &mut k, 10), Verdict::Pass);
        assert_eq!(
            ask(&mut l, &mut k, 10),
            Verdict::Reject(Outcome::RateLimited)
        );
        assert_eq!((l.admitted, l.limited), (6, 6));
    }

    #[test]
    fn a_dead_limiter_fails_open_by_default_or_closed() {
        let mut k = Kernel::<(), PlugEvent>::new(1);
        let mut open = RateLimiter::new(&RateLimiterParams::default());
        open.kill(SimTime::ZERO);
        assert_eq!(ask(&mut open, &mut k, 0), Verdict::Pass);
        let mut closed = RateLimiter::new(&RateLimiterParams {
            when_down: WhenDown::Closed,
            ..RateLimiterParams::default()
        });
        closed.kill(SimTime::ZERO);
        assert_eq!(
            ask(&mut closed, &mut k, 0),
            Verdict::Reject(Outcome::ServerDown)
        );
        closed.repair(SimTime::ZERO);
        // Back with an empty bucket: one token after 1 ms at 1000/s.
        assert_eq!(
            ask(&mut closed, &mut k, 0),
            Verdict::Reject(Outcome::RateLimited)
        );
        assert_eq!(ask(&mut closed, &mut k, 1), Verdict::Pass);
    }

    #[test]
    fn defaults_fill_missing_fields() {
        let p: RateLimiterParams = serde_json::from_str(r#"{"rate_per_s": 50}"#).unwrap();
        assert_eq!(
            (p.rate_per_s, p.burst, p.when_down),
            (50.0, 100, WhenDown::Open)
        );
        assert!(p.problems().is_empty());
        let bad: RateLimiterParams = serde_json::from_str(r#"{"burst": 0}"#).unwrap();
        assert_eq!(bad.problems().len(), 1);
    }
}
