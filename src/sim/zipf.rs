//! Zipf-distributed key ranks by rejection-inversion (Hörmann & Derflinger, 1996): constant
//! memory and expected O(1) time for any number of keys, using only `libm` functions so that
//! every platform draws the same ranks.

use super::kernel::rng::Rng;
use super::kernel::wide::round;

/// Draws ranks 1..=n with P(k) ∝ 1/k^s.
#[derive(Clone, Debug)]
pub struct Zipf {
    n: f64,
    s: f64,
    h_integral_x1: f64,
    h_integral_n: f64,
    squeeze: f64,
}

/// (e^x − 1)/x, accurate near 0.
fn expm1_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::expm1(x) / x
    } else {
        1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x))
    }
}

/// ln(1 + x)/x, accurate near 0.
fn log1p_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        libm::log1p(x) / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

impl Zipf {
    /// Ranks 1..=`n` with exponent `s` ≥ 0.
    pub fn new(n: u32, s: f64) -> Zipf {
        let mut z = Zipf {
            n: f64::from(n.max(1)),
            s,
            h_integral_x1: 0.0,
            h_integral_n: 0.0,
            squeeze: 0.0,
        };
        z.h_integral_x1 = z.h_integral(1.5) - 1.0;
        z.h_integral_n = z.h_integral(z.n + 0.5);
        z.squeeze = 2.0 - z.h_integral_inverse(z.h_integral(2.5) - z.h(2.0));
        z
    }

    fn h(&self, x: f64) -> f64 {
        libm::exp(-self.s * libm::log(x))
    }

    fn h_integral(&self, x: f64) -> f64 {
        let log_x = libm::log(x);
        expm1_over_x((1.0 - self.s) * log_x) * log_x
    }

    fn h_integral_inverse(&self, x: f64) -> f64 {
        let t = (x * (1.0 - self.s)).max(-1.0);
        libm::exp(log1p_over_x(t) * x)
    }

    /// One rank in 1..=n (1 is the most popular).
    pub fn sample(&self, rng: &mut Rng) -> u32 {
        // The acceptance rate is above 90% for every s; the bound only guards the loop.
        for _ in 0..1000 {
            let u = self.h_integral_n + rng.unit() * (self.h_integral_x1 - self.h_integral_n);
            let x = self.h_integral_inverse(u);
            let k = round(x).clamp(1.0, self.n);
            if k - x <= self.squeeze || u >= self.h_integral(k + 0.5) - self.h(k) {
                return k as u32;
            }
        }
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_follow_the_law() {
        let n = 1000;
        let s = 1.1;
        let z = Zipf::new(n, s);
        let mut rng = Rng::new(3);
        let draws = 400_000;
        let mut counts = vec![0u32; n as usize + 1];
        for _ in 0..draws {
            counts[z.sample(&mut rng) as usize] += 1;
        }
        let norm: f64 = (1..=n).map(|k| 1.0 / f64::from(k).powf(s)).sum();
        for k in [1u32, 2, 3, 10, 100] {
            let expected = draws as f64 / f64::from(k).powf(s) / norm;
            let got = f64::from(counts[k as usize]);
            assert!(
                (got - expected).abs() < 4.0 * expected.sqrt() + 0.01 * expected,
                "rank {k}: {got} vs {expected}"
            );
        }
        assert_eq!(counts[0], 0);
    }

    #[test]
    fn exponent_zero_is_uniform() {
        let z = Zipf::new(10, 0.0);
        let mut rng = Rng::new(1);
        let mut counts = [0u32; 11];
        for _ in 0..100_000 {
            counts[z.sample(&mut rng) as usize] += 1;
        }
        for c in &counts[1..] {
            assert!((*c as f64 - 10_000.0).abs() < 500.0, "{counts:?}");
        }
    }
}
