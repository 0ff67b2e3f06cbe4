//! The full 128-bit product of two `u64`s, written for the target.
//!
//! Natively one instruction (`mul` on x86-64) gives both halves. WebAssembly has no
//! instruction for the high half, so LLVM turns a `u128` product into a call of compiler-rt's
//! `__multi3`, a general 128 × 128-bit multiply; in the worker's wasm that call was 1.3% of the
//! engine's time at stage 11 (the bounded draws of the random stream, the stations' busy
//! integrals). On wasm32 the product is built here from four 32 × 32 → 64-bit products, inline:
//! the same bits, fewer instructions, no call.
//!
//! [`round`] is the same kind of helper for rounding a float to a whole number.

/// `a × b`, exactly.
#[inline(always)]
pub fn mul_wide(a: u64, b: u64) -> u128 {
    #[cfg(target_arch = "wasm32")]
    {
        from_halves(a, b)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        u128::from(a) * u128::from(b)
    }
}

/// The high 64 bits of `a × b`.
#[inline(always)]
pub fn mul_high(a: u64, b: u64) -> u64 {
    (mul_wide(a, b) >> 64) as u64
}

/// `a × b` from 32-bit halves (schoolbook): no partial sum overflows 64 bits, since each
/// product of halves is at most (2³² − 1)² and at most two 32-bit carries are added to one.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
#[inline(always)]
fn from_halves(a: u64, b: u64) -> u128 {
    const LOW: u64 = 0xffff_ffff;
    let (a_lo, a_hi) = (a & LOW, a >> 32);
    let (b_lo, b_hi) = (b & LOW, b >> 32);
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    // Bits 32..96: the middle products' low halves and the carry out of the lowest product.
    let middle = (lo_lo >> 32) + (hi_lo & LOW) + (lo_hi & LOW);
    let low = (lo_lo & LOW) | (middle << 32);
    let high = hi_hi + (hi_lo >> 32) + (lo_hi >> 32) + (middle >> 32);
    (u128::from(high) << 64) | u128::from(low)
}

/// `x` rounded to the nearest whole number, halves away from zero: bit for bit what
/// `libm::round` gives, which is `trunc(x + copysign(0.5 − 2⁻⁵⁴, x))`. Truncation is exact, so
/// `f64::trunc` (WebAssembly's `f64.trunc` instruction, `roundsd` natively) gives the same bits
/// as libm's; but libm's is a software routine in wasm (its intrinsics need a nightly feature).
#[inline(always)]
pub fn round(x: f64) -> f64 {
    const HALF_BELOW: f64 = 0.5 - 0.25 * f64::EPSILON;
    (x + HALF_BELOW.copysign(x)).trunc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{Rng as _, SeedableRng};

    #[test]
    fn halves_give_the_product() {
        let edges = [
            0,
            1,
            2,
            3,
            0xffff_ffff,
            0x1_0000_0000,
            0x1_0000_0001,
            u64::MAX / 3,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &a in &edges {
            for &b in &edges {
                assert_eq!(
                    from_halves(a, b),
                    u128::from(a) * u128::from(b),
                    "{a} × {b}"
                );
            }
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(22);
        for _ in 0..100_000 {
            let (a, b) = (rng.next_u64(), rng.next_u64());
            // Mixed magnitudes too: most products in the engine have one small factor.
            let b_small = b >> (a % 64);
            assert_eq!(
                from_halves(a, b),
                u128::from(a) * u128::from(b),
                "{a} × {b}"
            );
            assert_eq!(from_halves(a, b_small), u128::from(a) * u128::from(b_small));
            assert_eq!(mul_wide(a, b), u128::from(a) * u128::from(b));
            assert_eq!(
                mul_high(a, b),
                ((u128::from(a) * u128::from(b)) >> 64) as u64
            );
        }
    }

    #[test]
    fn round_is_libms() {
        let edges = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.5,
            2.5,
            -2.5,
            0.499_999_999_999_999_94,
            4_503_599_627_370_495.5,
            4_503_599_627_370_496.0,
            9_007_199_254_740_993.0,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ];
        for x in edges {
            assert_eq!(round(x).to_bits(), libm::round(x).to_bits(), "{x}");
        }
        assert!(round(f64::NAN).is_nan());
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(54);
        for _ in 0..100_000 {
            let bits = rng.next_u64();
            // Any float, and the magnitudes the engine rounds (times in ns, Zipf ranks).
            let any = f64::from_bits(bits);
            let near = (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * 1e12;
            let half = (bits % 1_000_000) as f64 + 0.5;
            for x in [any, near, half, -near] {
                if !x.is_nan() {
                    assert_eq!(round(x).to_bits(), libm::round(x).to_bits(), "{x}");
                }
            }
        }
    }
}
