//! Stage 11: what a data center's stack carries only because it is one of the geo layer's
//! data centers (a lone stack has none).

use super::*;

/// Stage 11: the part of a data center's stack that exists only because it is one of the geo
/// layer's data centers. A lone stack (stages 1–10) has none.
#[derive(Clone)]
pub(in crate::sim) struct Site {
    /// Per user region, the extra one-way time from that region.
    pub region_far: Vec<SimDuration>,
    /// Latency of completed requests per user region.
    pub region_latency: Vec<Histogram>,
    /// Commit times of writes not yet handed to cross-data-center replication.
    pub outbox: Vec<SimTime>,
    /// The whole data center is down. Nothing in it comes back until the data center does (a
    /// repair or the end of a scheduled fault leaves it down), and web servers added meanwhile
    /// start down.
    pub down: bool,
    /// Requests handed over and counted that have not reached this data center's now (or
    /// their DNS answer) yet.
    pub handed_over_waiting: u64,
    /// Latency histogram of the metrics interval closed last (the geo layer merges the data
    /// centers' intervals).
    pub prev_interval_latency: Histogram,
    /// Cache and CDN hit counts of the metrics interval closed last (the geo layer adds the
    /// data centers' counts up).
    pub prev_interval_hits: IntervalHits,
}

impl Site {
    /// The site of a data center whose users' regions are `region_far` away from it (one way,
    /// per region).
    pub fn new(region_far: Vec<SimDuration>) -> Site {
        Site {
            region_latency: region_far.iter().map(|_| Histogram::new()).collect(),
            region_far,
            outbox: Vec::new(),
            down: false,
            handed_over_waiting: 0,
            prev_interval_latency: Histogram::new(),
            prev_interval_hits: IntervalHits::default(),
        }
    }
}
