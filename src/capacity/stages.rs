//! How the stage table (`scalesim limit --all-presets`, `docs/limits.json`) searches each
//! stage's preset: with the objective and options given, except stage 11, which gets a budget.
//!
//! ```text
//!   stages 1–10 ──▶ objective and options as given
//!   stage 11    ──▶ 1 seed, runs of at most 10 s + 10 s, p99 at least 300 ms
//! ```
//!
//! Stage 11 serves ten million users from two data centers: every run near its limit simulates
//! well over 100,000 requests per second, about ten times the load of stage 10, so three seeds
//! of 30 s + 30 s runs would take longer than every other stage together. And 15% of its users
//! (Asia) are 150 ms from the nearest data center: its p99 is about 240 ms at any load, so a
//! p99 objective of 200 ms is never met there. It is searched against the p99 its own
//! monitoring alerts on (300 ms) instead.

use super::{SearchOptions, Slo};

/// The stage searched within a budget.
pub const BUDGET_STAGE: u8 = 11;
/// Seeds the budget stage is searched with.
pub const BUDGET_SEEDS: u32 = 1;
/// Longest warm-up and window of a budget stage's runs, in seconds.
pub const BUDGET_SPAN_S: u32 = 10;
/// Lowest p99 objective of the budget stage, in milliseconds (its monitoring's alert).
pub const BUDGET_P99_MS: f64 = 300.0;

/// How one stage is searched.
#[derive(Clone, Debug, PartialEq)]
pub struct StageSearch {
    /// The objective.
    pub slo: Slo,
    /// The options.
    pub options: SearchOptions,
    /// Why they differ from the ones given (`None`: they do not).
    pub note: Option<String>,
}

/// The objective and options stage `stage` is searched with, given the table's.
pub fn stage_search(stage: u8, slo: &Slo, options: &SearchOptions) -> StageSearch {
    if stage != BUDGET_STAGE {
        return StageSearch {
            slo: *slo,
            options: options.clone(),
            note: None,
        };
    }
    let window_s = options.window_s.min(BUDGET_SPAN_S);
    let warmup_s = options.warmup_s.min(BUDGET_SPAN_S) / window_s * window_s;
    let budget = SearchOptions {
        seeds: options.seeds.min(BUDGET_SEEDS),
        warmup_s,
        window_s,
        ..options.clone()
    };
    let budget_slo = Slo {
        p99_ms: slo.p99_ms.max(BUDGET_P99_MS),
        ..*slo
    };
    let mut why = Vec::new();
    if budget != *options {
        why.push(format!(
            "searched within a budget ({} seed{}, {} s + {} s runs): every run simulates over 100,000 requests/s",
            budget.seeds,
            if budget.seeds == 1 { "" } else { "s" },
            budget.warmup_s,
            budget.window_s
        ));
    }
    if budget_slo != *slo {
        why.push(format!(
            "with p99 ≤ {} ms, the latency its monitoring alerts on: 15% of its users (Asia) are 150 ms from the nearest data center, so its p99 is about 240 ms at any load",
            budget_slo.p99_ms
        ));
    }
    StageSearch {
        slo: budget_slo,
        options: budget,
        note: (!why.is_empty()).then(|| why.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stage_11_is_searched_differently() {
        let (slo, options) = (Slo::default(), SearchOptions::default());
        for stage in 1..=10 {
            let s = stage_search(stage, &slo, &options);
            assert_eq!((s.slo, s.options, s.note), (slo, options.clone(), None));
        }
        let s = stage_search(11, &slo, &options);
        assert_eq!(
            (s.options.seeds, s.options.warmup_s, s.options.window_s),
            (1, 10, 10)
        );
        assert_eq!((s.slo.p99_ms, s.slo.error_ratio), (300.0, slo.error_ratio));
        assert!(s.options.validate().is_ok());
        assert!(s.note.unwrap().contains("budget"));
    }

    #[test]
    fn a_cheaper_or_looser_request_is_kept() {
        let slo = Slo {
            p99_ms: 500.0,
            error_ratio: 0.01,
        };
        let options = SearchOptions {
            seeds: 1,
            warmup_s: 6,
            window_s: 3,
            ..SearchOptions::default()
        };
        let s = stage_search(11, &slo, &options);
        assert_eq!((s.slo, s.options, s.note), (slo, options, None));
        let odd = SearchOptions {
            warmup_s: 28,
            window_s: 14,
            ..SearchOptions::default()
        };
        let s = stage_search(11, &slo, &odd);
        assert_eq!((s.options.warmup_s, s.options.window_s), (10, 10));
        assert!(s.options.validate().is_ok());
    }
}
