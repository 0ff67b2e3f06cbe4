//! Consistent hashing with virtual nodes: keys map to the first node point clockwise of their
//! hash on a 64-bit ring. Adding or removing one of N nodes moves about 1/N of the keys.

/// SplitMix64: a fast, well-mixed, platform-independent 64-bit hash of an integer.
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A hash ring of `nodes` nodes with `virtual_nodes` points each.
#[derive(Clone, Debug)]
pub struct HashRing {
    points: Vec<(u64, u16)>,
}

impl HashRing {
    /// Builds the ring (nodes ≥ 1, virtual nodes ≥ 1).
    pub fn new(nodes: u16, virtual_nodes: u32) -> HashRing {
        let mut points: Vec<(u64, u16)> = (0..nodes.max(1))
            .flat_map(|n| {
                (0..virtual_nodes.max(1))
                    .map(move |v| (mix64((u64::from(n) << 32) | u64::from(v)), n))
            })
            .collect();
        points.sort_unstable();
        HashRing { points }
    }

    /// The node that owns `key`.
    #[inline]
    pub fn node_for(&self, key: u64) -> u16 {
        let h = mix64(key ^ 0x5bd1_e995);
        let i = self.points.partition_point(|&(p, _)| p < h);
        self.points[i % self.points.len()].1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_spread_evenly_and_move_little_when_a_node_joins() {
        let four = HashRing::new(4, 200);
        let five = HashRing::new(5, 200);
        let keys = 100_000u64;
        let mut per_node = [0u32; 4];
        let mut moved = 0;
        for k in 0..keys {
            let a = four.node_for(k);
            per_node[usize::from(a)] += 1;
            if a != five.node_for(k) {
                moved += 1;
            }
        }
        for n in per_node {
            // About 1/sqrt(200) ≈ 7% spread per node with 200 points each.
            assert!((f64::from(n) / 25_000.0 - 1.0).abs() < 0.15, "{per_node:?}");
        }
        let fraction = moved as f64 / keys as f64;
        assert!((fraction - 0.2).abs() < 0.03, "moved {fraction}");
    }
}
