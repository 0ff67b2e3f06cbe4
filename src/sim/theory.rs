//! Queueing theory the simulation is checked against: Erlang B/C for M/M/c, the exact
//! finite-capacity M/M/c/K, and the Allen–Cunneen approximation for M/G/c.

/// Erlang B: probability that all `c` servers are busy and an arrival is lost, for offered
/// load `a = λ/μ` erlangs (stable recurrence).
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang C: probability that an arrival must wait in M/M/c with offered load `a` (< c).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let rho = a / f64::from(c);
    let b = erlang_b(c, a);
    b / (1.0 - rho * (1.0 - b))
}

/// Mean response time (wait + service) of M/M/c, in units of the mean service time's unit.
/// `lambda` arrivals per unit, `mean_service` per request; `None` when unstable.
pub fn mmc_mean_response(c: u32, lambda: f64, mean_service: f64) -> Option<f64> {
    let a = lambda * mean_service;
    if a >= f64::from(c) {
        return None;
    }
    let wait = erlang_c(c, a) * mean_service / (f64::from(c) - a);
    Some(wait + mean_service)
}

/// Steady state of M/M/c/K where `queue_capacity` may wait (K = c + queue_capacity).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MmckResult {
    /// Probability an arrival finds the system full and is rejected.
    pub blocking: f64,
    /// Mean number in the system.
    pub mean_in_system: f64,
    /// Mean response time of admitted requests (same unit as the mean service time).
    pub mean_response: f64,
    /// Busy fraction of the servers.
    pub utilization: f64,
}

/// Exact M/M/c/K, computed in log space so large `c` and loads do not overflow.
pub fn mmck(c: u32, queue_capacity: u32, lambda: f64, mean_service: f64) -> MmckResult {
    let a = lambda * mean_service;
    let k = u64::from(c) + u64::from(queue_capacity);
    // log of the unnormalised probability of n in the system.
    // libm, not std: the same bits natively and in wasm (reports are compared by digest).
    let log_a = libm::log(a);
    let mut log_terms = Vec::with_capacity(k as usize + 1);
    let mut log_t = 0.0;
    log_terms.push(0.0);
    for n in 1..=k {
        let divisor = n.min(u64::from(c)) as f64;
        log_t += log_a - libm::log(divisor);
        log_terms.push(log_t);
    }
    let max = log_terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = log_terms.iter().map(|l| libm::exp(l - max)).collect();
    let total: f64 = weights.iter().sum();
    let blocking = weights[k as usize] / total;
    let mean_in_system = weights
        .iter()
        .enumerate()
        .map(|(n, w)| n as f64 * w)
        .sum::<f64>()
        / total;
    let admitted = lambda * (1.0 - blocking);
    MmckResult {
        blocking,
        mean_in_system,
        mean_response: mean_in_system / admitted,
        utilization: admitted * mean_service / f64::from(c),
    }
}

/// Allen–Cunneen: mean response of M/G/c from the service time's mean and squared
/// coefficient of variation; `None` when unstable.
pub fn mgc_mean_response(c: u32, lambda: f64, mean_service: f64, scv: f64) -> Option<f64> {
    let mmc = mmc_mean_response(c, lambda, mean_service)?;
    let wait_mmc = mmc - mean_service;
    Some(wait_mmc * (1.0 + scv) / 2.0 + mean_service)
}

/// Zipf popularity of `keys` keys with exponent `s`: probabilities of ranks 1..=keys.
pub fn zipf_probabilities(keys: u32, s: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=keys).map(|k| f64::from(k).powf(-s)).collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// Che's approximation of an LRU cache's hit ratio under independent requests with
/// popularities `p` and room for `capacity` items: the characteristic time T solves
/// Σ (1 − e^{−p_i T}) = C, and the hit ratio is Σ p_i (1 − e^{−p_i T}).
pub fn che_lru_hit_ratio(p: &[f64], capacity: u32) -> f64 {
    let c = f64::from(capacity);
    if c >= p.len() as f64 {
        return 1.0;
    }
    let filled = |t: f64| p.iter().map(|pi| 1.0 - (-pi * t).exp()).sum::<f64>();
    let (mut lo, mut hi) = (0.0, 1.0);
    while filled(hi) < c {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if filled(mid) < c {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let t = (lo + hi) / 2.0;
    p.iter().map(|pi| pi * (1.0 - (-pi * t).exp())).sum()
}

/// Hit ratio of a TTL cache with unlimited room (the TTL starts when an item is filled):
/// a key requested at rate λ_i hits with probability λ_i T / (1 + λ_i T).
pub fn ttl_hit_ratio(p: &[f64], rate_per_s: f64, ttl_s: f64) -> f64 {
    p.iter()
        .map(|pi| {
            let lt = pi * rate_per_s * ttl_s;
            pi * lt / (1.0 + lt)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn che_is_exact_for_uniform_popularity_limit() {
        // Uniform popularity, C = N/2: T solves N(1 − e^{−T/N}) = N/2 → hit ratio 1/2.
        let p = vec![1.0 / 1000.0; 1000];
        assert!((che_lru_hit_ratio(&p, 500) - 0.5).abs() < 1e-9);
        assert!((ttl_hit_ratio(&[1.0], 2.0, 1.0) - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn mm1_closed_form() {
        // M/M/1: W = 1/(μ−λ).
        let w = mmc_mean_response(1, 0.5, 1.0).unwrap();
        assert!((w - 2.0).abs() < 1e-12);
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
    }

    #[test]
    fn erlang_c_textbook_value() {
        // c = 2, a = 1: C = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn mmck_tends_to_mmc_with_a_long_line() {
        let exact = mmc_mean_response(4, 3.0, 1.0).unwrap();
        let finite = mmck(4, 5000, 3.0, 1.0);
        assert!((finite.mean_response - exact).abs() < 1e-9);
        assert!(finite.blocking < 1e-12);
    }

    #[test]
    fn mm1k_blocking_closed_form() {
        // M/M/1/K with ρ = 2 and K = 3: P_K = ρ^K (1−ρ)/(1−ρ^{K+1}) = 8·(−1)/(−15).
        let r = mmck(1, 2, 2.0, 1.0);
        assert!((r.blocking - 8.0 / 15.0).abs() < 1e-12);
    }
}
