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
    let log_a = a.ln();
    let mut log_terms = Vec::with_capacity(k as usize + 1);
    let mut log_t = 0.0;
    log_terms.push(0.0);
    for n in 1..=k {
        let divisor = n.min(u64::from(c)) as f64;
        log_t += log_a - divisor.ln();
        log_terms.push(log_t);
    }
    let max = log_terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = log_terms.iter().map(|l| (l - max).exp()).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

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
