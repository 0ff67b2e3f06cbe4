//! Stage 11's users of one region as counts of users per state, not a record per user.
//!
//! A user's only state here is their cached geoDNS answer (which data center, until when) and
//! whether they already sent a request in the current metrics interval. Every request comes
//! from a user drawn uniformly from the region, whatever state they are in, so users in the same
//! state are exchangeable: keeping *how many* users are in each state, and drawing a state with
//! probability proportional to its count, gives the same process in distribution as keeping a
//! record per user and drawing a record.
//!
//! ```text
//!   users of a region = cached answers, grouped by (expiry ms, data center), oldest first
//!                     + expired answers, per data center they named
//!                     + never answered (or forgotten when geoDNS died)
//!   each group: users, and how many of them were active in the current interval
//! ```
//!
//! The cached groups live in a ring in expiry order (a lookup's answer expires a fixed time after
//! it was asked, so new groups go at the back and expired ones leave at the front) with a Fenwick
//! tree over its blocks of [`BLOCK`] slots, so the group of the `k`-th cached user is found in
//! O(log n) and a scan of one block (a tree over single slots was 0.26 MB per region at stage
//! 11, in every copy of the simulation; over blocks of 16, 16 KB). The draw
//! itself is the user's index within the region (`offset`): the categories are laid end to end,
//! and the offset's position inside its group says whether that user is one of the group's
//! active ones (each group lists its active users first). No random draw is added.
//!
//! Size: one group per millisecond of the TTL and data center answered in that millisecond, 9
//! bytes each (expiry, users and active users as 16-bit counts, the data center in a byte array
//! beside them; a group that would pass 65,535 users is followed by another of the same answer):
//! about 0.6 MB per region for a 60-s TTL, instead of eight bytes per user. The active counts are all
//! set back to zero when a new metrics interval begins (the region keeps the interval it last
//! saw), rather than each group keeping its own interval number.

use crate::scenario::MAX_DATA_CENTERS;

/// Ring slots per leaf of the Fenwick tree (the ring's capacity, a power of two of at least
/// 64, is a multiple).
const BLOCK: usize = 16;

/// Users in one state, and how many of them sent a request in the region's current metrics
/// interval.
#[derive(Clone, Copy, Debug, Default)]
struct Group {
    users: u32,
    /// Active users in the region's current interval ([`RegionUsers::new_interval`] zeroes it).
    active: u32,
}

impl Group {
    /// The user at `offset` in this group sends a request: true when they had not yet in the
    /// current interval (the group's active users come first).
    fn touch(&mut self, offset: u32) -> bool {
        if offset < self.active {
            false
        } else {
            self.active += 1;
            true
        }
    }

    /// One active user leaves the group (one was just touched).
    fn take_active(&mut self) {
        debug_assert!(self.users > 0 && self.active > 0);
        self.users -= 1;
        self.active -= 1;
    }

    fn absorb(&mut self, other: Group) {
        self.users += other.users;
        self.active += other.active;
    }

    /// Removes up to `n` users, idle ones first; returns how many were removed.
    fn shed(&mut self, n: u32) -> u32 {
        let n = n.min(self.users);
        self.users -= n;
        self.active = self.active.min(self.users);
        n
    }
}

/// Users whose cached answer expires at `expiry_ms`: a [`Group`] in 16-bit counts (answers given
/// in one millisecond; a full one is followed by another of the same answer), 8 bytes. The
/// data center it names is kept apart, in [`RegionUsers::ring_dc`].
#[derive(Clone, Copy, Debug, Default)]
struct Cached {
    expiry_ms: u32,
    users: u16,
    active: u16,
}

impl Cached {
    fn group(self) -> Group {
        Group {
            users: u32::from(self.users),
            active: u32::from(self.active),
        }
    }

    /// Sets the counts (a group taken from this one by [`Cached::group`] that only lost users).
    fn set(&mut self, group: Group) {
        debug_assert!(group.users <= u32::from(u16::MAX) && group.active <= group.users);
        self.users = group.users as u16;
        self.active = group.active as u16;
    }
}

/// The state of the user a request came from, as [`RegionUsers::draw`] found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Drawn {
    /// A cached answer naming `dc`, expiring at `expiry_ms`, in ring slot `slot`.
    Cached {
        slot: u32,
        offset: u32,
        dc: usize,
        expiry_ms: u32,
    },
    /// An expired answer that named `dc`.
    Expired { dc: usize, offset: u32 },
    /// No answer yet (or forgotten).
    Never { offset: u32 },
}

impl Drawn {
    /// The data center the user's last answer named, if they had one.
    pub fn previous_dc(self) -> Option<usize> {
        match self {
            Drawn::Cached { dc, .. } | Drawn::Expired { dc, .. } => Some(dc),
            Drawn::Never { .. } => None,
        }
    }
}

/// The users of one region, by state.
#[derive(Clone, Debug)]
pub(super) struct RegionUsers {
    users: u32,
    /// The metrics interval the active counts are of.
    tick: u32,
    never: Group,
    expired: [Group; MAX_DATA_CENTERS],
    /// Cached answers, oldest (first to expire) at `head`; the capacity is a power of two.
    ring: Vec<Cached>,
    /// The data center each ring slot's answers name.
    ring_dc: Vec<u8>,
    head: usize,
    len: usize,
    /// Fenwick tree (1-based) over the ring's blocks of [`BLOCK`] slots, of each block's users
    /// (a slot outside the cached answers holds no users).
    tree: Vec<u32>,
    cached: u32,
    cached_by_dc: [u64; MAX_DATA_CENTERS],
}

impl Default for RegionUsers {
    fn default() -> Self {
        RegionUsers {
            users: 0,
            tick: 0,
            never: Group::default(),
            expired: [Group::default(); MAX_DATA_CENTERS],
            ring: Vec::new(),
            ring_dc: Vec::new(),
            head: 0,
            len: 0,
            tree: vec![0],
            cached: 0,
            cached_by_dc: [0; MAX_DATA_CENTERS],
        }
    }
}

impl RegionUsers {
    /// Users whose cached answer names each data center (after [`RegionUsers::expire`]).
    pub fn cached_by_dc(&self) -> &[u64; MAX_DATA_CENTERS] {
        &self.cached_by_dc
    }

    /// Bytes held (the ring and its tree).
    pub fn footprint_bytes(&self) -> usize {
        self.ring.len() * (std::mem::size_of::<Cached>() + 1)
            + self.tree.len() * std::mem::size_of::<u32>()
    }

    /// Changes the region's population to `users`. New users have no answer yet; when it
    /// shrinks, users leave without an answer first, then with an expired one, then with the
    /// oldest cached ones (idle users before active ones within each state).
    pub fn resize(&mut self, users: u32, tick: u32) {
        self.new_interval(tick);
        if users >= self.users {
            self.never.users += users - self.users;
            self.users = users;
            return;
        }
        let mut excess = self.users - users;
        self.users = users;
        excess -= self.never.shed(excess);
        for g in &mut self.expired {
            excess -= g.shed(excess);
        }
        while excess > 0 {
            let slot = self.head;
            let dc = usize::from(self.ring_dc[slot]);
            let mut group = self.ring[slot].group();
            let n = group.shed(excess);
            self.ring[slot].set(group);
            excess -= n;
            self.cached -= n;
            self.cached_by_dc[dc] -= u64::from(n);
            self.tree_sub(slot, n);
            if self.ring[slot].users == 0 {
                self.pop_front();
            }
        }
    }

    /// Answers that expired by `now_ms` (an answer is cached while `expiry_ms > now_ms`) move
    /// to the expired users of their data center.
    pub fn expire(&mut self, now_ms: u32, tick: u32) {
        self.new_interval(tick);
        while self.len > 0 && self.ring[self.head].expiry_ms <= now_ms {
            let c = self.ring[self.head];
            let dc = usize::from(self.ring_dc[self.head]);
            self.drop_slot(self.head);
            self.expired[dc].absorb(c.group());
            self.pop_front();
        }
    }

    /// geoDNS died: answers still being looked up (asked at or after `now_ms`, i.e. expiring
    /// at or after `now_ms + ttl_ms`) are forgotten; those users have no answer.
    pub fn forget_pending(&mut self, now_ms: u32, ttl_ms: u32, tick: u32) {
        self.new_interval(tick);
        while self.len > 0 {
            let back = (self.head + self.len - 1) & (self.ring.len() - 1);
            let c = self.ring[back];
            if c.expiry_ms.saturating_sub(ttl_ms) < now_ms {
                break;
            }
            self.drop_slot(back);
            self.never.absorb(c.group());
            self.len -= 1;
        }
    }

    /// The state of the user at `offset` (< `users`) of the region: cached answers first (in
    /// ring-slot order), then expired ones per data center, then those with none.
    #[inline]
    pub fn draw(&self, offset: u32) -> Drawn {
        debug_assert!(offset < self.users);
        if offset < self.cached {
            let (slot, offset) = self.find(offset);
            return Drawn::Cached {
                slot: slot as u32,
                offset,
                dc: usize::from(self.ring_dc[slot]),
                expiry_ms: self.ring[slot].expiry_ms,
            };
        }
        let mut offset = offset - self.cached;
        for (dc, g) in self.expired.iter().enumerate() {
            if offset < g.users {
                return Drawn::Expired { dc, offset };
            }
            offset -= g.users;
        }
        Drawn::Never { offset }
    }

    /// Changes the drawn user's group with `change`.
    fn with_group<T>(&mut self, drawn: Drawn, change: impl FnOnce(&mut Group) -> T) -> T {
        match drawn {
            Drawn::Cached { slot, .. } => {
                let c = &mut self.ring[slot as usize];
                let mut group = c.group();
                let out = change(&mut group);
                c.set(group);
                out
            }
            Drawn::Expired { dc, .. } => change(&mut self.expired[dc]),
            Drawn::Never { .. } => change(&mut self.never),
        }
    }

    /// The drawn user sends a request in interval `tick`: true when it is their first there.
    #[inline]
    pub fn touch(&mut self, drawn: Drawn, tick: u32) -> bool {
        self.new_interval(tick);
        let offset = match drawn {
            Drawn::Cached { offset, .. }
            | Drawn::Expired { offset, .. }
            | Drawn::Never { offset } => offset,
        };
        self.with_group(drawn, |g| g.touch(offset))
    }

    /// Interval `tick` has begun if it is not the one the active counts are of: nobody is
    /// active in it yet. (Intervals only move forward; a group's count is read or changed only
    /// after this has been called with the current interval.)
    #[inline]
    fn new_interval(&mut self, tick: u32) {
        if tick == self.tick {
            return;
        }
        self.tick = tick;
        self.never.active = 0;
        for g in &mut self.expired {
            g.active = 0;
        }
        let mask = self.ring.len().wrapping_sub(1);
        for i in 0..self.len {
            self.ring[(self.head + i) & mask].active = 0;
        }
    }

    /// The drawn user (already touched in `tick`) gets a new answer naming `dc`, expiring at
    /// `expiry_ms` (not before any cached one).
    #[inline]
    pub fn answer(&mut self, drawn: Drawn, dc: usize, expiry_ms: u32, tick: u32) {
        self.new_interval(tick);
        self.with_group(drawn, Group::take_active);
        if let Drawn::Cached { slot, dc: old, .. } = drawn {
            self.cached -= 1;
            self.cached_by_dc[old] -= 1;
            self.tree_sub(slot as usize, 1);
        }
        let slot = self.slot_for(expiry_ms, dc);
        let c = &mut self.ring[slot];
        c.users += 1;
        c.active += 1;
        self.cached += 1;
        self.cached_by_dc[dc] += 1;
        self.tree_add(slot, 1);
    }

    /// The slot of the group (`expiry_ms`, `dc`) with room for a user, added at the back if
    /// there is none.
    fn slot_for(&mut self, expiry_ms: u32, dc: usize) -> usize {
        let mask = self.ring.len().wrapping_sub(1);
        // Groups of the same expiry are the last few (one per data center at most).
        for back in 0..self.len.min(MAX_DATA_CENTERS) {
            let slot = (self.head + self.len - 1 - back) & mask;
            if self.ring[slot].expiry_ms != expiry_ms {
                break;
            }
            if usize::from(self.ring_dc[slot]) == dc {
                if self.ring[slot].users < u16::MAX {
                    return slot;
                }
                break;
            }
        }
        debug_assert!(
            self.len == 0 || self.ring[(self.head + self.len - 1) & mask].expiry_ms <= expiry_ms,
            "answers expire in the order they are given"
        );
        if self.len == self.ring.len() {
            self.grow();
        }
        let slot = (self.head + self.len) & (self.ring.len() - 1);
        self.ring[slot] = Cached {
            expiry_ms,
            users: 0,
            active: 0,
        };
        self.ring_dc[slot] = dc as u8;
        self.len += 1;
        slot
    }

    fn pop_front(&mut self) {
        self.head = (self.head + 1) & (self.ring.len() - 1);
        self.len -= 1;
    }

    /// Takes a slot's users out of the cached counts and the tree (the slot is left empty).
    fn drop_slot(&mut self, slot: usize) {
        let users = u32::from(std::mem::take(&mut self.ring[slot].users));
        self.cached -= users;
        self.cached_by_dc[usize::from(self.ring_dc[slot])] -= u64::from(users);
        self.tree_sub(slot, users);
    }

    /// Doubles the ring (at least 64 slots), keeping the order, and rebuilds the tree.
    fn grow(&mut self) {
        let cap = (self.ring.len() * 2).max(64);
        let mask = self.ring.len().wrapping_sub(1);
        let mut ring = Vec::with_capacity(cap);
        ring.extend((0..self.len).map(|i| self.ring[(self.head + i) & mask]));
        ring.resize(cap, Cached::default());
        self.ring = ring;
        let mut ring_dc = Vec::with_capacity(cap);
        ring_dc.extend((0..self.len).map(|i| self.ring_dc[(self.head + i) & mask]));
        ring_dc.resize(cap, 0);
        self.ring_dc = ring_dc;
        self.head = 0;
        let blocks = cap / BLOCK;
        let mut tree = vec![0u32; blocks + 1];
        for b in 0..blocks {
            tree[b + 1] += self.ring[b * BLOCK..(b + 1) * BLOCK]
                .iter()
                .map(|c| u32::from(c.users))
                .sum::<u32>();
            let parent = (b + 1) + ((b + 1) & (b + 1).wrapping_neg());
            if parent <= blocks {
                tree[parent] += tree[b + 1];
            }
        }
        self.tree = tree;
    }

    fn tree_add(&mut self, slot: usize, n: u32) {
        let mut i = slot / BLOCK + 1;
        while i < self.tree.len() {
            self.tree[i] += n;
            i += i & i.wrapping_neg();
        }
    }

    fn tree_sub(&mut self, slot: usize, n: u32) {
        let mut i = slot / BLOCK + 1;
        while i < self.tree.len() {
            self.tree[i] -= n;
            i += i & i.wrapping_neg();
        }
    }

    /// The slot holding the `k`-th cached user (counted over slots in index order), and `k`'s
    /// offset inside it.
    fn find(&self, mut k: u32) -> (usize, u32) {
        let blocks = self.tree.len() - 1;
        let mut pos = 0;
        let mut step = blocks;
        while step > 0 {
            let next = pos + step;
            if next <= blocks && self.tree[next] <= k {
                pos = next;
                k -= self.tree[next];
            }
            step >>= 1;
        }
        // The `k`-th user is in block `pos`: the first slot whose users pass `k`.
        let first = pos * BLOCK;
        for (slot, c) in self.ring[first..first + BLOCK].iter().enumerate() {
            let users = u32::from(c.users);
            if k < users {
                return (first + slot, k);
            }
            k -= users;
        }
        unreachable!("the tree counts every cached user")
    }

    /// Every user is in exactly one state (for tests).
    #[cfg(test)]
    fn counted(&self) -> u32 {
        let ring: u32 = (0..self.len)
            .map(|i| u32::from(self.ring[(self.head + i) & (self.ring.len() - 1)].users))
            .sum();
        assert_eq!(ring, self.cached);
        self.never.users + self.expired.iter().map(|g| g.users).sum::<u32>() + ring
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_of_cached_answers_is_8_bytes() {
        assert_eq!(std::mem::size_of::<Cached>(), 8);
    }

    #[test]
    fn a_full_group_is_followed_by_another_of_the_same_answer() {
        let users = 70_000;
        let mut r = RegionUsers::default();
        r.resize(users, 1);
        for _ in 0..users {
            let d = r.draw(users - 1);
            assert!(matches!(d, Drawn::Never { .. }));
            r.touch(d, 1);
            r.answer(d, 1, 500, 1);
        }
        assert_eq!(r.len, 2);
        assert_eq!(r.ring[0].users, u16::MAX);
        assert_eq!(u32::from(r.ring[1].users), users - u32::from(u16::MAX));
        assert_eq!(r.counted(), users);
        // Every user is found, in both groups, and all are active in interval 1.
        assert!(matches!(
            r.draw(0),
            Drawn::Cached {
                slot: 0,
                offset: 0,
                dc: 1,
                ..
            }
        ));
        assert!(matches!(
            r.draw(users - 1),
            Drawn::Cached { slot: 1, dc: 1, .. }
        ));
        assert!(!r.touch(r.draw(users - 1), 1));
        r.expire(500, 2);
        assert_eq!(r.expired[1].users, users);
        assert_eq!(r.expired[1].active, 0);
    }

    #[test]
    fn every_user_stays_in_exactly_one_state() {
        let mut r = RegionUsers::default();
        r.resize(1000, 1);
        let mut x: u64 = 12345;
        for step in 0..200_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let now_ms = step / 10;
            let tick = now_ms / 1000 + 1;
            r.expire(now_ms, tick);
            let drawn = r.draw(((x >> 33) % 1000) as u32);
            r.touch(drawn, tick);
            if !matches!(drawn, Drawn::Cached { .. }) {
                r.answer(drawn, (x >> 20) as usize % 3, now_ms + 20 + 5000, tick);
            }
            if step % 50_000 == 0 {
                r.forget_pending(now_ms, 5000, tick);
            }
            assert_eq!(r.counted(), 1000);
        }
        r.resize(10, 99);
        assert_eq!(r.counted(), 10);
    }

    #[test]
    fn draws_find_each_cached_user_once() {
        let mut r = RegionUsers::default();
        r.resize(500, 1);
        // 300 answers, 3 per millisecond, alternating data centers.
        for i in 0..300u32 {
            // The last user of the region has no answer as long as anyone has none.
            let d = r.draw(499);
            assert!(matches!(d, Drawn::Never { .. }));
            r.touch(d, 1);
            r.answer(d, (i % 2) as usize, 1000 + i / 3, 1);
        }
        assert_eq!(r.cached, 300);
        let mut per_slot = std::collections::BTreeMap::new();
        for k in 0..300 {
            match r.draw(k) {
                Drawn::Cached { slot, offset, .. } => {
                    *per_slot.entry(slot).or_insert(0u32) += 1;
                    assert!(offset < u32::from(r.ring[slot as usize].users));
                }
                other => panic!("{k}: {other:?}"),
            }
        }
        for (slot, n) in per_slot {
            assert_eq!(n, u32::from(r.ring[slot as usize].users));
        }
        assert_eq!(r.cached_by_dc()[0] + r.cached_by_dc()[1], 300);
        r.expire(1049, 1);
        assert_eq!(r.cached, 300 - 150);
        assert_eq!(r.expired[0].users + r.expired[1].users, 150);
        // All of them sent a request in interval 1; none yet in interval 2.
        assert_eq!(r.expired[0].active + r.expired[1].active, 150);
        r.expire(1049, 2);
        assert_eq!(r.expired[0].active + r.expired[1].active, 0);
        assert!((0..r.len).all(|i| r.ring[(r.head + i) & (r.ring.len() - 1)].active == 0));
    }

    #[test]
    fn active_users_are_counted_once_per_interval() {
        let mut r = RegionUsers::default();
        r.resize(4, 1);
        let firsts: u32 = (0..4)
            .flat_map(|_| 0..4)
            .map(|k| {
                let d = r.draw(k);
                u32::from(r.touch(d, 1))
            })
            .sum();
        assert_eq!(firsts, 4);
        let d = r.draw(0);
        assert!(r.touch(d, 2));
    }
}
