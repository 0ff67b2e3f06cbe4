//! Hit counts of one metrics interval, kept as counts so that ratios can be merged: several
//! data centers' hit ratio is their hits summed over their lookups summed, divided once — not
//! an average of their ratios (which weighs an idle or dead data center like a busy one).

/// Lookups of one cache (or CDN edge) over an interval, and how many found their item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HitCount {
    /// Lookups that found their item.
    pub hits: u64,
    /// All lookups, hits included.
    pub lookups: u64,
}

impl HitCount {
    /// hits / lookups, 0 when nothing was looked up.
    pub fn ratio(self) -> f64 {
        if self.lookups == 0 {
            0.0
        } else {
            self.hits as f64 / self.lookups as f64
        }
    }

    /// Adds another interval's (or data center's) counts.
    pub fn add(&mut self, other: HitCount) {
        self.hits += other.hits;
        self.lookups += other.lookups;
    }
}

/// One metrics interval's hit counts at the cache tier and at the CDN edge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct IntervalHits {
    /// The cache tier; a lookup that skipped a dead node counts as a miss.
    pub cache: HitCount,
    /// The CDN edge.
    pub cdn: HitCount,
}

impl IntervalHits {
    /// Adds another data center's counts.
    pub fn add(&mut self, other: IntervalHits) {
        self.cache.add(other.cache);
        self.cdn.add(other.cdn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_ratio_divides_summed_counts_once() {
        // Three data centers: 90 of 100, 1 of 1, and one down with no lookups.
        let mut merged = HitCount::default();
        for (hits, lookups) in [(90, 100), (1, 1), (0, 0)] {
            merged.add(HitCount { hits, lookups });
        }
        assert_eq!(merged.ratio(), 91.0 / 101.0);
        assert_eq!(HitCount::default().ratio(), 0.0);
    }
}
