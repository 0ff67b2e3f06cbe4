//! A fixed-capacity key cache with LRU, LFU or FIFO eviction and an optional TTL, in O(1) per
//! operation and without allocating after construction.
//!
//! ```text
//!  entries (slab, capacity C):  [key, prev, next, version (low 32 bits), expires] = 24 bytes
//!  beside them, only when needed: each entry's LFU group (LFU only), the versions' high
//!  32 bits (only once a version does not fit in 32)
//!  LRU/FIFO: one list, head = next victim       LFU: groups of equal frequency, ascending,
//!  LRU moves a hit to the tail; FIFO does not     each group a list in arrival order
//! ```
//!
//! Several caches (one per node) share one `key → entry` index, since consistent hashing
//! places each key on exactly one node.

use crate::scenario::Eviction;
use crate::sim::kernel::time::{SimDuration, SimTime};

const NIL: u32 = u32::MAX;

/// A cached key: 24 bytes (the version's high bits and the LFU group live apart, only when
/// used: at stage 11 six caches hold about 30,000 entries each in every copy of the simulation).
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: u32,
    prev: u32,
    next: u32,
    /// The cached version's low 32 bits (the high ones in `Cache::version_hi`).
    version: u32,
    expires: SimTime,
}

#[derive(Clone, Copy, Debug)]
struct Group {
    freq: u64,
    head: u32,
    tail: u32,
    prev: u32,
    next: u32,
}

/// What a lookup found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// Present and fresh: the cached version.
    Hit(u64),
    /// Absent (or expired, and now removed).
    Miss,
}

/// One cache node.
#[derive(Clone)]
pub struct Cache {
    eviction: Eviction,
    ttl: Option<SimDuration>,
    entries: Vec<Entry>,
    /// Most entries it holds.
    capacity: u32,
    /// Entries freed and not used again yet (below `entries.len()`); a new entry takes the
    /// last one freed, else the next never used.
    free: Vec<u32>,
    /// LRU/FIFO list ends.
    head: u32,
    tail: u32,
    /// LFU groups (slab) and the lowest-frequency group.
    groups: Vec<Group>,
    free_groups: Vec<u32>,
    low_group: u32,
    /// LFU only (empty otherwise): the frequency group of each entry.
    entry_group: Vec<u32>,
    /// The high 32 bits of each entry's version: empty while every version put fits in 32
    /// bits (then they are all 0), one per entry from the first that does not.
    version_hi: Vec<u32>,
    len: u32,
    /// Evictions to make room.
    pub evictions: u64,
}

/// `key → (node, entry)` for every key cached on any node: one `u32` per key, the node in its
/// high bits, when every node and entry number fits (a million keys: 4 MB instead of 8 in every
/// copy of the simulation); a pair per key otherwise.
#[derive(Clone)]
pub struct KeyIndex {
    slots: Slots,
    /// Low bits of a packed slot that hold the entry (32 with a single node).
    entry_bits: u32,
}

#[derive(Clone)]
enum Slots {
    /// `node << entry_bits | entry`, or [`NIL`].
    Packed(Vec<u32>),
    Pairs(Vec<(u16, u32)>),
}

impl KeyIndex {
    /// An empty index over `keys` keys, for `nodes` caches of at most `capacity` entries each.
    pub fn new(keys: u32, nodes: u16, capacity: u32) -> KeyIndex {
        let node_bits = u32::BITS - u32::from(nodes.max(1) - 1).leading_zeros();
        let entry_bits = u32::BITS - node_bits;
        let largest = (u64::from(nodes.max(1) - 1) << entry_bits) | u64::from(capacity.max(1) - 1);
        let fits = u64::from(capacity.max(1)) <= 1 << entry_bits && largest < u64::from(NIL);
        KeyIndex {
            slots: if fits {
                Slots::Packed(vec![NIL; keys as usize])
            } else {
                Slots::Pairs(vec![(u16::MAX, NIL); keys as usize])
            },
            entry_bits,
        }
    }

    /// Bytes a copy of it allocates: lengths, not capacities (an estimate for snapshot budgets).
    pub fn heap_bytes(&self) -> usize {
        match &self.slots {
            Slots::Packed(v) => v.len() * 4,
            Slots::Pairs(v) => v.len() * std::mem::size_of::<(u16, u32)>(),
        }
    }

    #[inline]
    fn get(&self, key: u32, node: u16) -> Option<u32> {
        match &self.slots {
            Slots::Packed(v) => {
                let slot = v[key as usize];
                let at = u64::from(slot);
                (slot != NIL && at >> self.entry_bits == u64::from(node))
                    .then_some((at & ((1 << self.entry_bits) - 1)) as u32)
            }
            Slots::Pairs(v) => {
                let (n, e) = v[key as usize];
                (n == node && e != NIL).then_some(e)
            }
        }
    }

    fn set(&mut self, key: u32, node: u16, entry: u32) {
        match &mut self.slots {
            Slots::Packed(v) => {
                v[key as usize] = ((u64::from(node) << self.entry_bits) | u64::from(entry)) as u32;
            }
            Slots::Pairs(v) => v[key as usize] = (node, entry),
        }
    }

    fn clear(&mut self, key: u32) {
        match &mut self.slots {
            Slots::Packed(v) => v[key as usize] = NIL,
            Slots::Pairs(v) => v[key as usize] = (u16::MAX, NIL),
        }
    }
}

impl Cache {
    /// Bytes a copy of it allocates: lengths, not capacities (an estimate for snapshot budgets).
    pub fn heap_bytes(&self) -> usize {
        self.entries.len() * std::mem::size_of::<Entry>()
            + self.free.len() * 4
            + self.groups.len() * std::mem::size_of::<Group>()
            + self.free_groups.len() * 4
            + (self.entry_group.len() + self.version_hi.len()) * 4
    }

    /// An empty cache of `capacity` items (at least 1).
    pub fn new(capacity: u32, eviction: Eviction, ttl: Option<SimDuration>) -> Cache {
        let capacity = capacity.max(1);
        Cache {
            eviction,
            ttl,
            entries: Vec::with_capacity(capacity.min(1 << 20) as usize),
            capacity,
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            groups: Vec::new(),
            free_groups: Vec::new(),
            low_group: NIL,
            entry_group: Vec::new(),
            version_hi: Vec::new(),
            len: 0,
            evictions: 0,
        }
    }

    /// Items held.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether it holds nothing.
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Looks `key` up at `now`; a hit counts as a use (LRU recency, LFU frequency).
    pub fn get(&mut self, index: &mut KeyIndex, node: u16, key: u32, now: SimTime) -> Lookup {
        let Some(e) = index.get(key, node) else {
            return Lookup::Miss;
        };
        if self.entries[e as usize].expires <= now {
            self.remove(index, e);
            return Lookup::Miss;
        }
        match self.eviction {
            Eviction::Lru => {
                self.unlink(e);
                self.push_tail(e);
            }
            Eviction::Fifo => {}
            Eviction::Lfu => self.bump(e),
        }
        Lookup::Hit(self.version(e))
    }

    /// The version entry `e` holds.
    #[inline]
    fn version(&self, e: u32) -> u64 {
        let low = u64::from(self.entries[e as usize].version);
        match self.version_hi.get(e as usize) {
            Some(&high) => (u64::from(high) << 32) | low,
            None => low,
        }
    }

    /// Sets entry `e`'s version (the entry exists).
    fn set_version(&mut self, e: u32, version: u64) {
        self.entries[e as usize].version = version as u32;
        let high = (version >> 32) as u32;
        if high != 0 && self.version_hi.is_empty() {
            self.version_hi = vec![0; self.entries.len()];
        }
        if let Some(h) = self.version_hi.get_mut(e as usize) {
            *h = high;
        }
    }

    /// Stores `key` at `version` (a fill after a miss), evicting if full.
    pub fn put(&mut self, index: &mut KeyIndex, node: u16, key: u32, version: u64, now: SimTime) {
        let expires = self.ttl.map_or(SimTime(u64::MAX), |t| now.plus(t));
        if let Some(e) = index.get(key, node) {
            self.entries[e as usize].expires = expires;
            self.set_version(e, version);
            return;
        }
        if self.free.is_empty() && self.entries.len() as u32 >= self.capacity {
            let victim = match self.eviction {
                Eviction::Lru | Eviction::Fifo => self.head,
                Eviction::Lfu => self.groups[self.low_group as usize].head,
            };
            self.remove(index, victim);
            self.evictions += 1;
        }
        let e = self.free.pop().unwrap_or(self.entries.len() as u32);
        let entry = Entry {
            key,
            prev: NIL,
            next: NIL,
            version: 0,
            expires,
        };
        if e as usize == self.entries.len() {
            self.entries.push(entry);
            if !self.version_hi.is_empty() {
                self.version_hi.push(0);
            }
            if self.eviction == Eviction::Lfu {
                self.entry_group.push(NIL);
            }
        } else {
            self.entries[e as usize] = entry;
        }
        self.set_version(e, version);
        index.set(key, node, e);
        self.len += 1;
        match self.eviction {
            Eviction::Lru | Eviction::Fifo => self.push_tail(e),
            Eviction::Lfu => self.insert_freq_one(e),
        }
    }

    /// Drops `key` if present (write invalidation).
    pub fn invalidate(&mut self, index: &mut KeyIndex, node: u16, key: u32) -> bool {
        match index.get(key, node) {
            Some(e) => {
                self.remove(index, e);
                true
            }
            None => false,
        }
    }

    /// Drops everything (a node restarted cold).
    pub fn flush(&mut self, index: &mut KeyIndex) {
        let live: Vec<u32> = match self.eviction {
            Eviction::Lru | Eviction::Fifo => self.list_from(self.head),
            Eviction::Lfu => {
                let mut all = Vec::new();
                let mut g = self.low_group;
                while g != NIL {
                    all.extend(self.list_from(self.groups[g as usize].head));
                    g = self.groups[g as usize].next;
                }
                all
            }
        };
        for e in live {
            self.remove(index, e);
        }
    }

    fn list_from(&self, mut e: u32) -> Vec<u32> {
        let mut out = Vec::new();
        while e != NIL {
            out.push(e);
            e = self.entries[e as usize].next;
        }
        out
    }

    fn remove(&mut self, index: &mut KeyIndex, e: u32) {
        match self.eviction {
            Eviction::Lru | Eviction::Fifo => self.unlink(e),
            Eviction::Lfu => self.unlink_from_group(e),
        }
        index.clear(self.entries[e as usize].key);
        self.free.push(e);
        self.len -= 1;
    }

    // ----- one list (LRU, FIFO) -----

    fn push_tail(&mut self, e: u32) {
        let tail = self.tail;
        {
            let entry = &mut self.entries[e as usize];
            entry.prev = tail;
            entry.next = NIL;
        }
        if tail == NIL {
            self.head = e;
        } else {
            self.entries[tail as usize].next = e;
        }
        self.tail = e;
    }

    fn unlink(&mut self, e: u32) {
        let Entry { prev, next, .. } = self.entries[e as usize];
        if prev == NIL {
            self.head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
    }

    // ----- frequency groups (LFU) -----

    fn new_group(&mut self, freq: u64, prev: u32, next: u32) -> u32 {
        let g = Group {
            freq,
            head: NIL,
            tail: NIL,
            prev,
            next,
        };
        let id = match self.free_groups.pop() {
            Some(id) => {
                self.groups[id as usize] = g;
                id
            }
            None => {
                self.groups.push(g);
                (self.groups.len() - 1) as u32
            }
        };
        if prev == NIL {
            self.low_group = id;
        } else {
            self.groups[prev as usize].next = id;
        }
        if next != NIL {
            self.groups[next as usize].prev = id;
        }
        id
    }

    fn drop_group_if_empty(&mut self, g: u32) {
        let Group {
            head, prev, next, ..
        } = self.groups[g as usize];
        if head != NIL {
            return;
        }
        if prev == NIL {
            self.low_group = next;
        } else {
            self.groups[prev as usize].next = next;
        }
        if next != NIL {
            self.groups[next as usize].prev = prev;
        }
        self.free_groups.push(g);
    }

    fn append_to_group(&mut self, e: u32, g: u32) {
        let tail = self.groups[g as usize].tail;
        self.entry_group[e as usize] = g;
        {
            let entry = &mut self.entries[e as usize];
            entry.prev = tail;
            entry.next = NIL;
        }
        if tail == NIL {
            self.groups[g as usize].head = e;
        } else {
            self.entries[tail as usize].next = e;
        }
        self.groups[g as usize].tail = e;
    }

    fn unlink_from_group(&mut self, e: u32) {
        let Entry { prev, next, .. } = self.entries[e as usize];
        let group = self.entry_group[e as usize];
        if prev == NIL {
            self.groups[group as usize].head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NIL {
            self.groups[group as usize].tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
        self.drop_group_if_empty(group);
    }

    fn insert_freq_one(&mut self, e: u32) {
        let low = self.low_group;
        let g = if low != NIL && self.groups[low as usize].freq == 1 {
            low
        } else {
            self.new_group(1, NIL, low)
        };
        self.append_to_group(e, g);
    }

    fn bump(&mut self, e: u32) {
        let g = self.entry_group[e as usize];
        let Group { freq, next, .. } = self.groups[g as usize];
        let target = if next != NIL && self.groups[next as usize].freq == freq + 1 {
            next
        } else {
            self.new_group(freq + 1, g, next)
        };
        self.unlink_from_group(e);
        self.append_to_group(e, target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: u64) -> SimTime {
        SimTime::from_micros(ms * 1000)
    }

    fn hits(eviction: Eviction, sequence: &[u32], capacity: u32) -> Vec<bool> {
        let mut index = KeyIndex::new(100, 1, capacity);
        let mut c = Cache::new(capacity, eviction, None);
        sequence
            .iter()
            .map(|&k| match c.get(&mut index, 0, k, t(0)) {
                Lookup::Hit(_) => true,
                Lookup::Miss => {
                    c.put(&mut index, 0, k, 0, t(0));
                    false
                }
            })
            .collect()
    }

    #[test]
    fn lru_evicts_the_least_recently_used() {
        // 1 2 1 3 (evicts 2) 1 2
        let h = hits(Eviction::Lru, &[1, 2, 1, 3, 1, 2], 2);
        assert_eq!(h, [false, false, true, false, true, false]);
    }

    #[test]
    fn fifo_evicts_the_oldest_insert() {
        // 1 2 1 3 (evicts 1) 1
        let h = hits(Eviction::Fifo, &[1, 2, 1, 3, 1], 2);
        assert_eq!(h, [false, false, true, false, false]);
    }

    #[test]
    fn lfu_evicts_the_least_frequently_used() {
        // 1 1 2 3 (evicts 2: freq 1, older than nothing else with freq 1) 1 2
        let h = hits(Eviction::Lfu, &[1, 1, 2, 3, 1, 2], 2);
        assert_eq!(h, [false, true, false, false, true, false]);
        // 3 was evicted by 2: freq(3) = 1 < freq(1) = 3.
        let h = hits(Eviction::Lfu, &[1, 1, 2, 3, 1, 2, 3], 2);
        assert!(!h[6]);
    }

    #[test]
    fn ttl_expires_entries() {
        let mut index = KeyIndex::new(10, 1, 10);
        let mut c = Cache::new(10, Eviction::Lru, Some(SimDuration::from_millis(100)));
        c.put(&mut index, 0, 5, 7, t(0));
        assert_eq!(c.get(&mut index, 0, 5, t(99)), Lookup::Hit(7));
        assert_eq!(c.get(&mut index, 0, 5, t(100)), Lookup::Miss);
        assert!(c.is_empty());
    }

    #[test]
    fn entries_are_24_bytes_and_versions_past_32_bits_stay_exact() {
        assert_eq!(std::mem::size_of::<Entry>(), 24);
        for eviction in [Eviction::Lru, Eviction::Lfu, Eviction::Fifo] {
            let mut index = KeyIndex::new(10, 1, 4);
            let mut c = Cache::new(4, eviction, None);
            c.put(&mut index, 0, 1, 7, t(0));
            c.put(&mut index, 0, 2, (5 << 32) | 9, t(0));
            c.put(&mut index, 0, 3, 11, t(0));
            c.put(&mut index, 0, 1, (1 << 40) + 3, t(0));
            assert_eq!(c.get(&mut index, 0, 1, t(0)), Lookup::Hit((1 << 40) + 3));
            assert_eq!(c.get(&mut index, 0, 2, t(0)), Lookup::Hit((5 << 32) | 9));
            assert_eq!(c.get(&mut index, 0, 3, t(0)), Lookup::Hit(11));
            // A slot reused after the widening holds its new version.
            assert!(c.invalidate(&mut index, 0, 2));
            c.put(&mut index, 0, 4, 12, t(0));
            assert_eq!(c.get(&mut index, 0, 4, t(0)), Lookup::Hit(12));
            c.put(&mut index, 0, 5, u64::MAX, t(0));
            assert_eq!(c.get(&mut index, 0, 5, t(0)), Lookup::Hit(u64::MAX));
            assert_eq!(c.len(), 4);
        }
    }

    #[test]
    fn invalidate_and_flush() {
        let mut index = KeyIndex::new(10, 1, 4);
        for eviction in [Eviction::Lru, Eviction::Lfu, Eviction::Fifo] {
            let mut c = Cache::new(4, eviction, None);
            for k in 0..6 {
                c.put(&mut index, 0, k, 0, t(0));
            }
            assert_eq!(c.len(), 4);
            assert!(c.invalidate(&mut index, 0, 5));
            assert_eq!(c.len(), 3);
            c.flush(&mut index);
            assert!(c.is_empty());
            for k in 0..6 {
                assert_eq!(c.get(&mut index, 0, k, t(0)), Lookup::Miss);
            }
        }
    }

    #[test]
    fn the_key_index_packs_node_and_entry_when_they_fit_and_keeps_pairs_otherwise() {
        // (nodes, entries per node, packed): 3 nodes take 2 bits and leave 30 for the entry;
        // 4 nodes of 2^30 entries would make the largest slot u32::MAX, the empty mark.
        let cases: [(u16, u32, bool); 6] = [
            (3, 1_000, true),
            (1, u32::MAX - 1, true),
            (3, 1 << 30, true),
            (3, (1 << 30) + 1, false),
            (4, 1 << 30, false),
            (u16::MAX, 1 << 20, false),
        ];
        for (nodes, capacity, packed) in cases {
            let mut index = KeyIndex::new(8, nodes, capacity);
            let bytes = if packed { 32 } else { 64 };
            assert_eq!(index.heap_bytes(), bytes, "{nodes} nodes of {capacity}");
            let last = nodes - 1;
            index.set(1, last, capacity - 1);
            index.set(2, 0, 0);
            assert_eq!(index.get(1, last), Some(capacity - 1));
            if last > 0 {
                assert_eq!(index.get(1, 0), None);
                assert_eq!(index.get(2, last), None);
            }
            assert_eq!(index.get(2, 0), Some(0));
            assert_eq!(index.get(3, 0), None);
            index.clear(1);
            assert_eq!(index.get(1, last), None);
        }
    }
}
