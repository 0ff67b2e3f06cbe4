//! Derives a whole random but valid case from one `u64` seed: a scenario (any mix of the
//! features the core has, sizes within the validated bounds, random service shapes, a random
//! fault schedule) plus a timeline of live actions applied between `advance_to` steps.
//!
//! ```text
//!   seed ──ChaCha8──▶ Gen ──▶ Case { scenario, steps: [(t, [kill | repair | set_users])] }
//! ```
//!
//! Sizes are kept small (a few tens of thousands of requests) so one case takes milliseconds;
//! the extremes of each bound are drawn now and then with a small probability ("swarm" style:
//! each case switches whole features on or off, instead of averaging over all of them).

use rand::{Rng as _, SeedableRng};
use rand_chacha::ChaCha8Rng;
use scalesim::scenario::{preset, Dist, Fault, Scenario, Shape};
use scalesim::sim::{ComponentKind, Sim, SimTime};

/// Most requests a case is expected to generate (keeps one case in milliseconds).
pub const REQUEST_BUDGET: f64 = 20_000.0;
/// Most offered requests per second in a case, including after live `set_users`.
pub const RATE_CAP_PER_S: f64 = 5_000.0;

/// A small deterministic generator for the swarm, independent of the engine's own.
pub struct Gen(ChaCha8Rng);

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen(ChaCha8Rng::seed_from_u64(seed ^ 0x5157_4152_4d00_0000))
    }

    pub fn u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in [lo, hi].
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + ((u128::from(self.u64()) * u128::from(hi - lo + 1)) >> 64) as u64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Log-uniform in [lo, hi] (lo > 0).
    pub fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + self.unit() * (hi.ln() - lo.ln()))
            .exp()
            .clamp(lo, hi)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as u64 - 1) as usize]
    }
}

/// Something done to a running simulation between two steps.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Kill(String),
    Repair(String),
    SetUsers(u64),
}

/// Advance to `at`, then apply `actions` in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub at: SimTime,
    pub actions: Vec<Action>,
}

/// One generated case.
#[derive(Clone, Debug)]
pub struct Case {
    pub seed: u64,
    pub scenario: Scenario,
    pub steps: Vec<Step>,
    /// Records one request path in this many (1 = all); must not change the run.
    pub path_sample_every: u64,
}

/// Names of the components faults and kills may target (everything but the users), read
/// from a simulation built from the scenario, so new stages' components join automatically.
pub fn target_names(scenario: &Scenario) -> Vec<String> {
    let sim = Sim::new(scenario).expect("generated scenario is valid");
    sim.components()
        .iter()
        .filter(|c| c.kind != ComponentKind::Users)
        .map(|c| c.name.clone())
        .collect()
}

fn dist(g: &mut Gen) -> Dist {
    let shape = *g.pick(&[Shape::Exponential, Shape::Constant, Shape::Lognormal]);
    let mean_ms = if g.chance(0.03) {
        *g.pick(&[0.001, 600_000.0])
    } else {
        g.log_uniform(0.05, 400.0)
    };
    let cv = if g.chance(0.05) {
        *g.pick(&[0.01, 10.0])
    } else {
        g.log_uniform(0.1, 3.0)
    };
    Dist { shape, mean_ms, cv }
}

fn mix_weight(g: &mut Gen) -> f64 {
    match g.range(0, 5) {
        0 => 0.0,
        1 => 1e6,
        _ => g.log_uniform(0.001, 100.0),
    }
}

/// The scenario part of a case.
pub fn scenario(g: &mut Gen, seed: u64) -> Scenario {
    let mut s = preset(1).expect("preset 1 exists");
    s.name = format!("swarm {seed}");
    s.seed = g.u64();

    // Load first, then a duration that keeps the request count within budget.
    let rate_per_s = if g.chance(0.05) {
        0.0
    } else {
        g.log_uniform(0.5, RATE_CAP_PER_S)
    };
    s.traffic.users = match g.range(0, 9) {
        0 => 0,
        1 => 1,
        2 => g.range(1_000, 200_000),
        _ => g.range(2, 1_000),
    };
    s.traffic.requests_per_user_per_s = if s.traffic.users == 0 {
        g.unit() * 10.0
    } else {
        (rate_per_s / s.traffic.users as f64).min(1000.0)
    };
    let max_duration = (REQUEST_BUDGET / rate_per_s.max(1.0)).clamp(1.0, 30.0) as u64;
    s.duration_s = g.range(1, max_duration) as u32;
    s.metrics_interval_ms = *g.pick(&[10, 37, 100, 250, 1000, 5000, 60_000]);

    s.traffic.mix.page_view = mix_weight(g);
    s.traffic.mix.api_read = mix_weight(g);
    s.traffic.mix.write = mix_weight(g);
    s.traffic.mix.static_asset = mix_weight(g);
    if s.traffic.mix.weights().iter().sum::<f64>() <= 0.0 {
        s.traffic.mix.api_read = 1.0;
    }
    s.traffic.client_timeout_ms = match g.range(0, 9) {
        0 => 1.0,
        1 => 600_000.0,
        _ => g.log_uniform(5.0, 10_000.0),
    };

    s.dns.lookup_ms = match g.range(0, 4) {
        0 => 0.0,
        1 => g.log_uniform(100.0, 10_000.0),
        _ => g.log_uniform(0.1, 100.0),
    };
    s.dns.ttl_s = match g.range(0, 5) {
        0 => 0,
        1 => 86_400,
        _ => g.range(1, 120) as u32,
    };
    s.network.client_rtt_ms = match g.range(0, 4) {
        0 => 0.0,
        1 => g.log_uniform(300.0, 10_000.0),
        _ => g.log_uniform(0.1, 300.0),
    };

    s.server.workers = match g.range(0, 9) {
        0 => 1,
        1 => 10_000,
        _ => g.range(1, 64) as u32,
    };
    s.server.queue_capacity = match g.range(0, 9) {
        0 => 0,
        1 => 1_000_000,
        _ => g.range(1, 2_000) as u32,
    };
    s.server.service.page_view = dist(g);
    s.server.service.api_read = dist(g);
    s.server.service.write = dist(g);
    s.server.service.static_asset = dist(g);

    let names = target_names(&s);
    let duration = f64::from(s.duration_s);
    let faults = if g.chance(0.4) { 0 } else { g.range(1, 8) };
    s.faults = (0..faults)
        .map(|_| Fault {
            target: g.pick(&names).clone(),
            at_s: round_ms(g.unit() * duration * 1.1),
            duration_s: if g.chance(0.2) {
                0.0
            } else {
                round_ms(g.unit() * duration * 0.5)
            },
        })
        .collect();
    s
}

/// Whole milliseconds, or occasionally an arbitrary float, to exercise exact ties and not.
fn round_ms(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The live-action timeline of a case.
pub fn steps(g: &mut Gen, s: &Scenario) -> Vec<Step> {
    let names = target_names(s);
    let end_ns = u64::from(s.duration_s) * 1_000_000_000;
    // Sometimes run a little past the scenario's end, as the app does.
    let horizon_ns = if g.chance(0.2) {
        end_ns + end_ns / 5
    } else {
        end_ns
    };
    let count = g.range(1, 40);
    let mut times: Vec<u64> = (0..count)
        .map(|_| {
            if g.chance(0.2) {
                // A whole millisecond, to collide with fault times now and then.
                g.range(0, horizon_ns / 1_000_000) * 1_000_000
            } else {
                g.range(0, horizon_ns)
            }
        })
        .collect();
    times.push(horizon_ns);
    times.sort_unstable();
    times.dedup();
    let per_user = s.traffic.requests_per_user_per_s;
    let max_users = if per_user > 0.0 {
        (RATE_CAP_PER_S / per_user).min(1e6) as u64
    } else {
        1_000
    };
    let live = g.chance(0.7);
    times
        .into_iter()
        .map(|t| {
            let n = if live { g.range(0, 3) } else { 0 };
            let actions = (0..n)
                .map(|_| match g.range(0, 4) {
                    0 | 1 => Action::Kill(g.pick(&names).clone()),
                    2 | 3 => Action::Repair(g.pick(&names).clone()),
                    _ => Action::SetUsers(if g.chance(0.2) {
                        0
                    } else {
                        g.range(0, max_users)
                    }),
                })
                .collect();
            Step {
                at: SimTime(t),
                actions,
            }
        })
        .collect()
}

/// The whole case for a seed.
pub fn case(seed: u64) -> Case {
    let mut g = Gen::new(seed);
    let scenario = scenario(&mut g, seed);
    let steps = steps(&mut g, &scenario);
    let path_sample_every = *g.pick(&[1, 1, 2, 3, 10]);
    Case {
        seed,
        scenario,
        steps,
        path_sample_every,
    }
}
