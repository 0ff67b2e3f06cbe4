//! One sort for every list the page orders (a size measure, issue 22).
//!
//! Each `sort_by` / `sort_by_key` call on a new element type or with a new closure makes the
//! compiler emit the standard library's whole sort again (nine of them held 36.6 KB of the app's code). The
//! lists here are short (a diagram's clusters and columns, a layer of the layered layout,
//! the incidents and their moments in the post-mortem, the alerts, the scheduled events, the
//! web-server counts offered), so they all go through one sort of
//! `(key, tie, position)` triples instead, and are then reordered by it: the same order a
//! stable sort by `(key, tie)` gives, with the sort's code in the wasm once.
//!
//! ```text
//!   items ──key(item)──▶ [(k, t, 0), (k, t, 1), …] ──sort_unstable──▶ positions ──▶ items reordered
//! ```

/// A sort key for a float that orders as [`f64::total_cmp`] does (−NaN < −∞ < … < −0 < +0 <
/// … < +∞ < NaN).
pub fn f64_key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// Sorts `items` by `key` (first its first part, then its second), keeping the order of
/// equal items: what `items.sort_by_key(key)` does, through the one shared sort.
pub fn sort_by_keys<T>(items: &mut Vec<T>, key: impl Fn(&T) -> (u64, u64)) {
    let mut order: Vec<(u64, u64, u32)> = (items.iter().enumerate())
        .map(|(i, item)| {
            let (k, t) = key(item);
            (k, t, i as u32)
        })
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(
        (order.iter()).filter_map(|&(_, _, i)| slots.get_mut(i as usize).and_then(Option::take)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_order_as_total_cmp() {
        let mut xs = [
            f64::NAN,
            1.5,
            -0.0,
            0.0,
            f64::INFINITY,
            -2.0,
            f64::NEG_INFINITY,
            -f64::NAN,
            1e-300,
        ];
        let mut by_key = xs.to_vec();
        by_key.sort_by_key(|&x| f64_key(x));
        xs.sort_by(f64::total_cmp);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&by_key), bits(&xs));
    }

    #[test]
    fn sorts_as_a_stable_sort_by_key() {
        // (key, tie, label): equal keys keep their order.
        let items: Vec<(u64, u64, char)> = vec![
            (3, 0, 'a'),
            (1, 2, 'b'),
            (3, 0, 'c'),
            (1, 1, 'd'),
            (0, 9, 'e'),
            (3, 0, 'f'),
            (1, 2, 'g'),
        ];
        let mut ours = items.clone();
        sort_by_keys(&mut ours, |&(k, t, _)| (k, t));
        let mut std = items;
        std.sort_by_key(|&(k, t, _)| (k, t));
        assert_eq!(ours, std);
        let mut empty: Vec<u8> = Vec::new();
        sort_by_keys(&mut empty, |&b| (u64::from(b), 0));
        assert!(empty.is_empty());
    }
}
