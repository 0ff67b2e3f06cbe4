//! The run's single random number generator and the distributions drawn from it.
//!
//! Xoshiro256++ (seeded through SplitMix64) is a fixed algorithm, so a seed gives the same
//! stream on every platform; the transcendental functions come from `libm` (pure Rust), so
//! native and wasm builds agree bit for bit. It is not a cryptographic generator, and needs not
//! be: it is fast (a few instructions a draw, where ChaCha8 cost ~40) and passes the
//! statistical test batteries a simulation relies on.

use super::wide::mul_high;
use crate::scenario::{Dist, Shape};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng as _, SeedableRng};

/// The seeded generator every random decision of a run goes through.
#[derive(Clone)]
pub struct Rng(Xoshiro256PlusPlus);

impl Rng {
    /// A generator for this seed.
    pub fn new(seed: u64) -> Rng {
        Rng(Xoshiro256PlusPlus::seed_from_u64(seed))
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in (0, 1]: safe to take the logarithm of.
    fn unit_open_low(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// Uniform integer in [0, n); `n` must be above 0.
    pub fn below(&mut self, n: u64) -> u64 {
        mul_high(self.0.next_u64(), n)
    }

    /// Exponential with this mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * libm::log(self.unit_open_low())
    }

    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        // IEEE 754 rounds a square root correctly, so `f64::sqrt` gives the same bits
        // everywhere, in one instruction (`libm::sqrt` is that instruction natively, but a
        // software loop in wasm).
        let r = (-2.0 * libm::log(self.unit_open_low())).sqrt();
        r * libm::cos(std::f64::consts::TAU * self.unit())
    }
}

/// A service-time distribution prepared for fast sampling, in nanoseconds.
#[derive(Clone, Copy, Debug)]
pub enum Sampler {
    /// Exponential with this mean.
    Exponential { mean_ns: f64 },
    /// Always this value.
    Constant { ns: f64 },
    /// `exp(mu + sigma·Z)`, Z standard normal.
    Lognormal { mu: f64, sigma: f64 },
}

impl Sampler {
    /// Prepares a scenario distribution.
    pub fn new(dist: &Dist) -> Sampler {
        let mean_ns = dist.mean_ms * 1e6;
        match dist.shape {
            Shape::Exponential => Sampler::Exponential { mean_ns },
            Shape::Constant => Sampler::Constant { ns: mean_ns },
            Shape::Lognormal => {
                let sigma2 = libm::log(1.0 + dist.cv * dist.cv);
                Sampler::Lognormal {
                    mu: libm::log(mean_ns) - sigma2 / 2.0,
                    sigma: libm::sqrt(sigma2),
                }
            }
        }
    }

    /// One draw, in whole nanoseconds (at least 1).
    pub fn sample_ns(&self, rng: &mut Rng) -> u64 {
        let ns = match *self {
            Sampler::Exponential { mean_ns } => rng.exponential(mean_ns),
            Sampler::Constant { ns } => ns,
            Sampler::Lognormal { mu, sigma } => libm::exp(mu + sigma * rng.normal()),
        };
        round_ns(ns).max(1)
    }
}

/// The nearest whole number of nanoseconds to a non-negative `ns`, halves up (saturating).
/// Plain IEEE arithmetic, so every platform agrees, and cheaper than a general rounding.
pub fn round_ns(ns: f64) -> u64 {
    (ns + 0.5) as u64
}

/// Picks an index with probability proportional to its weight (a cumulative table).
#[derive(Clone, Debug)]
pub struct Weighted<const N: usize> {
    cumulative: [f64; N],
}

impl<const N: usize> Weighted<N> {
    /// From non-negative weights with a positive sum.
    pub fn new(weights: [f64; N]) -> Self {
        let total: f64 = weights.iter().sum();
        let mut cumulative = [0.0; N];
        let mut acc = 0.0;
        for (slot, w) in cumulative.iter_mut().zip(weights) {
            acc += w / total;
            *slot = acc;
        }
        Weighted { cumulative }
    }

    /// One index.
    pub fn pick(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or_else(|| {
                // Rounding may leave the last cumulative a hair below 1: take the last
                // index with weight.
                self.cumulative
                    .iter()
                    .rposition(|&c| c > 0.0)
                    .unwrap_or(N - 1)
            })
    }
}
