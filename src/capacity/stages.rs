//! How the stage table (`scalesim limit --all-presets`, `docs/limits.json`) searches each
//! stage's preset: with the objective and options given, and at stage 11 with a p99 bound that
//! allows for its far users' own round trip.
//!
//! ```text
//!   stages 1–10 ──▶ objective and options as given
//!   stage 11    ──▶ options as given; p99 judged against the users' own round trip:
//!                   the objective + (farthest region's round trip − client_rtt_ms)
//! ```
//!
//! Every stage's objective keeps the same server-side budget: the objective's p99 includes the
//! client round trip (`network.client_rtt_ms`, 40 ms), but stage 11's Asian users are 150 ms
//! from their nearest data center, so a 200 ms p99 over everyone is out of reach at any load.
//! The p99 bound grows by the farthest region's extra round trip (150 − 40 = 110 ms: 310 ms),
//! read from the scenario. Stage 11 is searched with the same seeds and run lengths as every
//! other stage (the table's 30 s + 30 s runs): about two minutes of CPU natively.

use super::{SearchOptions, Slo};
use crate::scenario::Scenario;

/// The stage whose users are far apart: its p99 bound allows for their own round trip, and
/// its runs (over 100,000 requests/s near the limit) are too heavy to re-measure in a page.
pub const REGIONAL_STAGE: u8 = 11;

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

/// How much longer than `network.client_rtt_ms` the round trip of the farthest region to its
/// nearest data center is, in ms (0 without regions, or when every region is that close).
pub fn extra_round_trip_ms(scenario: &Scenario) -> f64 {
    let Some(geo) = &scenario.geo else {
        return 0.0;
    };
    let region_index = |name: &str| geo.regions.iter().position(|r| r.name == name);
    let farthest = (0..geo.regions.len())
        .filter_map(|r| {
            geo.data_centers
                .iter()
                .filter_map(|dc| geo.rtt_ms.get(r)?.get(region_index(&dc.region)?).copied())
                .reduce(f64::min)
        })
        .fold(0.0, f64::max);
    (farthest - scenario.network.client_rtt_ms).max(0.0)
}

/// The objective and options `scenario` (a stage's preset, or a scenario of the same stage) is
/// searched with, given the table's.
pub fn stage_search(scenario: &Scenario, slo: &Slo, options: &SearchOptions) -> StageSearch {
    let extra_ms = if scenario.stage == REGIONAL_STAGE {
        extra_round_trip_ms(scenario)
    } else {
        0.0
    };
    if extra_ms <= 0.0 {
        return StageSearch {
            slo: *slo,
            options: options.clone(),
            note: None,
        };
    }
    let regional = Slo {
        p99_ms: slo.p99_ms + extra_ms,
        ..*slo
    };
    StageSearch {
        slo: regional,
        options: options.clone(),
        note: Some(format!(
            "p99 is judged against the users' own round trip: {} ms with a {} ms round trip elsewhere, so {} ms here, where the farthest region is {} ms further from its nearest data center",
            slo.p99_ms, scenario.network.client_rtt_ms, regional.p99_ms, extra_ms
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;

    #[test]
    fn only_stage_11_is_searched_differently() {
        let (slo, options) = (Slo::default(), SearchOptions::default());
        for stage in 1..=10 {
            let s = stage_search(&preset(stage).unwrap(), &slo, &options);
            assert_eq!((s.slo, s.options, s.note), (slo, options.clone(), None));
        }
        let s = stage_search(&preset(11).unwrap(), &slo, &options);
        // The same seeds and runs as every other stage: only the objective differs.
        assert_eq!(s.options, options);
        // Asia is 150 ms from US East; the other stages' users 40 ms from theirs.
        assert_eq!((s.slo.p99_ms, s.slo.error_ratio), (310.0, slo.error_ratio));
        assert!(s.options.validate().is_ok());
        assert!(s.note.unwrap().contains("own round trip"));
    }

    #[test]
    fn the_options_are_kept_and_the_round_trip_allowance_follows_the_regions() {
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
        let mut eleven = preset(11).unwrap();
        let s = stage_search(&eleven, &slo, &options);
        assert_eq!((&s.options, s.slo.p99_ms), (&options, 610.0));
        assert!(s.note.unwrap().contains("own round trip"));
        let odd = SearchOptions {
            warmup_s: 28,
            window_s: 14,
            ..SearchOptions::default()
        };
        let s = stage_search(&eleven, &slo, &odd);
        assert_eq!(s.options, odd);
        // Every region within the client round trip of a data center: no allowance.
        for row in eleven.geo.as_mut().unwrap().rtt_ms.iter_mut() {
            for rtt in row.iter_mut() {
                *rtt = rtt.min(40.0);
            }
        }
        assert_eq!(extra_round_trip_ms(&eleven), 0.0);
        let s = stage_search(&eleven, &slo, &options);
        assert_eq!((s.slo, s.note), (slo, None));
    }
}
