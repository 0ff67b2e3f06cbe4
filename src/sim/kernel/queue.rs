//! The event queue: pending events ordered by (time, sequence number), so events at the same
//! instant pop in the order they were scheduled.
//!
//! Most events of a simulation are scheduled a fixed delay after "now" (a hop over the internal
//! network, the balancer's forwarding, a DNS lookup, a client's patience): pushed in time order,
//! they need no heap. Such pushes name a [`Lane`]; a lane is a sorted FIFO that takes an event
//! when it belongs among its last few entries, and hands anything further out of order to the
//! heap.
//! Clients' deadlines wait in a heap of their own ([`EventQueue::push_timeout`]): they lie
//! seconds ahead, out of order (requests from far regions join a line later after their start),
//! and almost all of them die unfired (their request ends first). In the main heap they made it
//! hundreds of thousands of entries deep at stage 11; apart, the main heap stays a few thousand
//! near-future events, and the dead deadlines can be dropped ([`EventQueue::retain_timeouts`]).
//!
//! A pop takes the earliest of the two heaps' roots and the lanes' fronts. Every event carries
//! its (time, sequence) key wherever it waits, so the order events come out in is exactly the
//! order a single heap would give.

use crate::sim::kernel::time::SimTime;
use std::collections::VecDeque;

/// A FIFO for events pushed at a fixed delay after the current time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// One hop over the internal network.
    Internal,
    /// From the user to the system's front door, over the leg of the user's region (stage 11:
    /// each region's leg differs, so each has a lane, or shares one past [`FRONT_DOORS`]).
    FrontDoor {
        /// The user's region (0 without regions).
        region: u8,
    },
    /// From the component at the front door to the station it sent the request to (a web
    /// server): one internal hop after the door's own time.
    FromDoor,
    /// A DNS lookup.
    Dns,
    /// Stage 11: requests handed over by the geoDNS layer as they arrive.
    Handover,
    /// The end of a CDN hit (a fixed time at the edge).
    EdgeHit,
}

/// Lanes for the front door: regions beyond share them (a shared lane sends what comes out of
/// order to the heap).
const FRONT_DOORS: usize = 4;

const LANES: usize = 5 + FRONT_DOORS;

impl Lane {
    fn index(self) -> usize {
        match self {
            Lane::Internal => 0,
            Lane::FromDoor => 1,
            Lane::Dns => 2,
            Lane::Handover => 3,
            Lane::EdgeHit => 4,
            Lane::FrontDoor { region } => 5 + usize::from(region) % FRONT_DOORS,
        }
    }
}

/// The fewest deadlines the timeouts' heap holds before dead ones are looked for.
const PRUNE_MIN: usize = 4096;

/// How far back from its lane's end an event may be slotted in (events a little out of order,
/// such as client deadlines counted from slightly different starts).
const NEAR: usize = 8;

#[derive(Clone, Copy)]
struct Entry<E> {
    /// Time and sequence number, read as one `u128` (time in the high 64 bits): one comparison
    /// orders entries. Two `u64`s rather than a `u128`, whose 16-byte alignment would pad an
    /// entry of stage 11's 20-byte events to 48 bytes instead of 40.
    time: u64,
    seq: u64,
    event: E,
}

impl<E> Entry<E> {
    fn new(time: SimTime, seq: u64, event: E) -> Self {
        Entry {
            time: time.0,
            seq,
            event,
        }
    }

    #[inline]
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }

    fn time(&self) -> SimTime {
        SimTime(self.time)
    }
}

/// A min-heap of entries by key with four children per node: half the levels of a binary
/// heap, and a node's children lie side by side in memory, so a sift reads fewer cache lines
/// and moves fewer entries.
#[derive(Clone)]
struct QuadHeap<E> {
    items: Vec<Entry<E>>,
}

impl<E: Copy> QuadHeap<E> {
    fn with_capacity(capacity: usize) -> Self {
        QuadHeap {
            items: Vec::with_capacity(capacity),
        }
    }

    fn len(&self) -> usize {
        self.items.len()
    }

    fn peek(&self) -> Option<&Entry<E>> {
        self.items.first()
    }

    /// Adds `entry`. Inlined, with the pushes of [`EventQueue`] that call it, into the code that
    /// made the event: the entry goes from registers to its slot. Passed on by pointer, it was
    /// read back whole right after its fields were written one by one, a load the processor
    /// cannot forward from those stores (see [`EventQueue::push`]).
    #[inline(always)]
    fn push(&mut self, entry: Entry<E>) {
        self.items.push(entry);
        let at = self.climb(entry.key());
        self.items[at] = entry;
    }

    /// Moves the last entry's ancestors whose key is above `key` one level down; returns the
    /// place left for the entry of `key` (the heap is ordered once it is written there).
    fn climb(&mut self, key: u128) -> usize {
        let mut at = self.items.len() - 1;
        while at > 0 {
            let parent = (at - 1) / 4;
            if self.items[parent].key() < key {
                break;
            }
            self.items[at] = self.items[parent];
            at = parent;
        }
        at
    }

    /// Puts `entry` in the root's place (the heap must not be empty) and sifts it down.
    #[inline(always)]
    fn replace_root(&mut self, entry: Entry<E>) {
        let at = self.sink(0, entry.key());
        self.items[at] = entry;
    }

    /// For an entry of `key` at `at` (below which the heap is ordered): moves the smallest
    /// child up while its key is below `key`, and returns the place left for the entry, which
    /// the caller writes (so that the entry itself is not passed through memory).
    fn sink(&mut self, mut at: usize, key: u128) -> usize {
        let len = self.items.len();
        loop {
            let first = 4 * at + 1;
            let child = if first + 4 <= len {
                let c = &self.items[first..first + 4];
                let (a, b) = (
                    usize::from(c[1].key() < c[0].key()),
                    2 + usize::from(c[3].key() < c[2].key()),
                );
                first + if c[b].key() < c[a].key() { b } else { a }
            } else if first < len {
                (first + 1..len).fold(first, |min, i| {
                    if self.items[i].key() < self.items[min].key() {
                        i
                    } else {
                        min
                    }
                })
            } else {
                break;
            };
            if self.items[child].key() > key {
                break;
            }
            self.items[at] = self.items[child];
            at = child;
        }
        at
    }

    /// Removes the root (the heap must not be empty).
    fn pop(&mut self) {
        let last = self.items.pop().expect("a non-empty heap");
        if !self.items.is_empty() {
            self.replace_root(last);
        }
    }

    /// Keeps only the entries whose event `keep` accepts, and orders the heap again.
    fn retain(&mut self, mut keep: impl FnMut(&E) -> bool) {
        self.items.retain(|e| keep(&e.event));
        let len = self.items.len();
        if len > 1 {
            for at in (0..=(len - 2) / 4).rev() {
                let entry = self.items[at];
                let to = self.sink(at, entry.key());
                self.items[to] = entry;
            }
        }
    }
}

/// Where the earliest pending event waits.
#[derive(Clone, Copy)]
enum Source {
    Heap,
    Timeouts,
    Lane(usize),
}

/// Where the earliest event waits, as [`EventQueue::due_until`] found it.
#[derive(Clone, Copy)]
pub struct Due(Source);

/// The upper half of sequence numbers, for events that go after all others at their time.
const LAST: u64 = 1 << 63;

/// Pending events.
///
/// A pop from the heap only reads its root and leaves it there, marked taken: the handler of an
/// event usually schedules another, and a push into the heap then overwrites the root and sifts
/// it down once (near-future events stop near the top) instead of a removal followed by an
/// insertion. A taken root is removed for real when the next pop or peek comes first.
#[derive(Clone)]
pub struct EventQueue<E> {
    heap: QuadHeap<E>,
    /// Clients' deadlines (see the module's doc).
    timeouts: QuadHeap<E>,
    /// How many deadlines the timeouts' heap may hold before [`EventQueue::push_timeout`] asks
    /// for the dead ones to be dropped: twice what the last pruning left, at least
    /// [`PRUNE_MIN`].
    prune_at: usize,
    lanes: [VecDeque<Entry<E>>; LANES],
    /// The key of each lane's front, `u128::MAX` when the lane is empty.
    fronts: [u128; LANES],
    /// The lane with the smallest front and that front (`u128::MAX`: every lane is empty), kept
    /// up to date so that a pop from the heap need not look at every lane.
    best: (usize, u128),
    next_seq: u64,
    /// Sequence numbers of [`EventQueue::push_last`] (below `LAST`).
    next_last_seq: u64,
    /// The heap's root was handed out by `pop` and is waiting to be overwritten or removed.
    root_taken: bool,
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            heap: QuadHeap::with_capacity(1024),
            timeouts: QuadHeap::with_capacity(0),
            prune_at: PRUNE_MIN,
            lanes: std::array::from_fn(|_| VecDeque::with_capacity(256)),
            fronts: [u128::MAX; LANES],
            best: (0, u128::MAX),
            next_seq: 0,
            next_last_seq: 0,
            root_taken: false,
        }
    }

    #[inline(always)]
    fn entry(&mut self, time: SimTime, event: E) -> Entry<E> {
        let seq = self.next_seq;
        self.next_seq += 1;
        Entry::new(time, seq, event)
    }

    #[inline(always)]
    fn push_heap(&mut self, entry: Entry<E>) {
        if self.root_taken {
            self.root_taken = false;
            // The taken root is still in the heap: the new entry takes its place.
            self.heap.replace_root(entry);
        } else {
            self.heap.push(entry);
        }
    }

    /// Schedules `event` at `time`.
    ///
    /// The pushes are inlined into their callers (`#[inline(always)]`, down to the write into
    /// the heap or the lane): the caller writes an event field by field, and a push out of line
    /// read it back from memory at once, whole, in wider loads than those writes — loads the
    /// processor cannot forward from the pending stores, which wait until they are written
    /// (natively, in `perf`: 53–74% of the samples of `QuadHeap::push`, `EventQueue::insert_in`
    /// and `QuadHeap::sift_down` on those loads, at stage 11).
    #[inline(always)]
    pub fn push(&mut self, time: SimTime, event: E) {
        let entry = self.entry(time, event);
        self.push_heap(entry);
    }

    /// Schedules a client's deadline `event` at `time`, in the timeouts' heap. True when that
    /// heap has grown enough since it was last pruned that the caller should drop the dead
    /// deadlines with [`EventQueue::retain_timeouts`] now.
    #[inline(always)]
    pub fn push_timeout(&mut self, time: SimTime, event: E) -> bool {
        let entry = self.entry(time, event);
        self.timeouts.push(entry);
        self.timeouts.len() >= self.prune_at
    }

    /// Drops the deadlines `keep` rejects: only events whose handling would do nothing (their
    /// request has ended), so that the run is the same with or without them.
    pub fn retain_timeouts(&mut self, keep: impl FnMut(&E) -> bool) {
        self.timeouts.retain(keep);
        self.prune_at = (2 * self.timeouts.len()).max(PRUNE_MIN);
    }

    /// Schedules `event` at `time`, a fixed delay after now for events of `lane`: kept in the
    /// lane's FIFO when it is not earlier than the lane's last few events, in the heap otherwise.
    #[inline(always)]
    pub fn push_in(&mut self, lane: Lane, time: SimTime, event: E) {
        let entry = self.entry(time, event);
        self.insert_in(lane, entry);
    }

    /// Mostly in order: at the end of its lane, inlined (see [`EventQueue::push`]).
    #[inline(always)]
    fn insert_in(&mut self, lane: Lane, entry: Entry<E>) {
        let index = lane.index();
        let fifo = &mut self.lanes[index];
        let key = entry.key();
        match fifo.back() {
            Some(last) if last.key() > key => self.insert_before(index, entry),
            Some(_) => fifo.push_back(entry),
            None => {
                fifo.push_back(entry);
                self.front_fell(index, key);
            }
        }
    }

    /// An entry earlier than the end of lane `index`.
    fn insert_before(&mut self, index: usize, entry: Entry<E>) {
        let fifo = &mut self.lanes[index];
        let key = entry.key();
        // Where it goes among the lane's last few entries (the lane stays sorted); further
        // back than that, the heap takes it.
        let len = fifo.len();
        let mut at = len;
        while at > 0 && len - at < NEAR && fifo[at - 1].key() > entry.key() {
            at -= 1;
        }
        if at > 0 && fifo[at - 1].key() > entry.key() {
            self.push_heap(entry);
            return;
        }
        if at == len {
            fifo.push_back(entry);
        } else {
            fifo.insert(at, entry);
        }
        if at == 0 {
            self.front_fell(index, key);
        }
    }

    /// Lane `lane`'s front is now `key`, earlier than before.
    fn front_fell(&mut self, lane: usize, key: u128) {
        self.fronts[lane] = key;
        if key < self.best.1 {
            self.best = (lane, key);
        }
    }

    /// The lane with the smallest front, and that front: eight comparisons without a branch.
    /// (Keeping the lanes sorted by their fronts, so that a pop moves one lane a step or two,
    /// ran fewer instructions but was not faster in a browser's worker: see
    /// docs/performance.md, session 18.)
    fn smallest_front(&self) -> (usize, u128) {
        let (mut lane, mut key) = (0, self.fronts[0]);
        for (i, &front) in self.fronts.iter().enumerate().skip(1) {
            if front < key {
                (lane, key) = (i, front);
            }
        }
        (lane, key)
    }

    /// Removes a root that `pop` handed out and nothing overwrote.
    fn settle(&mut self) {
        if self.root_taken {
            self.root_taken = false;
            self.heap.pop();
        }
    }

    /// Where the earliest event waits, and its key.
    #[inline(always)]
    fn earliest(&mut self) -> Option<(Source, u128)> {
        self.settle();
        let (lane, mut key) = self.best;
        let mut source = Source::Lane(lane);
        if let Some(root) = self.heap.peek() {
            if root.key() < key {
                (source, key) = (Source::Heap, root.key());
            }
        }
        if let Some(root) = self.timeouts.peek() {
            if root.key() < key {
                (source, key) = (Source::Timeouts, root.key());
            }
        }
        (key != u128::MAX).then_some((source, key))
    }

    #[inline(always)]
    fn take(&mut self, source: Source) -> (SimTime, E) {
        let entry = match source {
            Source::Heap => {
                self.root_taken = true;
                *self.heap.peek().expect("the heap's root")
            }
            Source::Timeouts => {
                let entry = *self.timeouts.peek().expect("the timeouts' root");
                self.timeouts.pop();
                entry
            }
            Source::Lane(i) => {
                let fifo = &mut self.lanes[i];
                // Copied whole from the front, not out of `pop_front`'s `Option`, which splits
                // it the same way (see `due_until`).
                let entry = *fifo.front().expect("the lane's front");
                fifo.pop_front();
                self.fronts[i] = fifo.front().map_or(u128::MAX, |e| e.key());
                self.best = self.smallest_front();
                entry
            }
        };
        (entry.time(), entry.event)
    }

    /// Schedules `event` at `time` in `lane` (as [`EventQueue::push_in`]), but after every
    /// event at that same time that is or will be pushed with [`EventQueue::push`] or
    /// [`EventQueue::push_in`], whenever that happens; among themselves such events keep the
    /// order they were pushed in. For events handed in from outside, so that their order does
    /// not depend on how far the receiver has run when they come.
    #[inline(always)]
    pub fn push_last_in(&mut self, lane: Lane, time: SimTime, event: E) {
        let seq = LAST | self.next_last_seq;
        self.next_last_seq += 1;
        self.insert_in(lane, Entry::new(time, seq, event));
    }

    /// The earliest event and its time.
    pub fn peek(&mut self) -> Option<(SimTime, &E)> {
        let (source, key) = self.earliest()?;
        Some((SimTime((key >> 64) as u64), self.due_event(Due(source))))
    }

    /// The time of the earliest event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.earliest().map(|(_, key)| SimTime((key >> 64) as u64))
    }

    /// Removes and returns the earliest event.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let (source, _) = self.earliest()?;
        Some(self.take(source))
    }

    /// Where the earliest event waits and its time, if it is due at or before `t`: take it
    /// with [`EventQueue::take_due`] before anything else changes the queue.
    ///
    /// With [`EventQueue::pop_until`] an engine's loop moved the event through
    /// `Option<(SimTime, E)>`, whose "none" hides in the event's tag: the compiler copied the
    /// tag and the rest of the event apart, through the stack, and read them back across two
    /// stores (a failed store-to-load forward on every event: about 45% of the stack's loop's
    /// time at stage 11 by `perf` on those two loads). Here the event is copied once, whole.
    #[inline(always)]
    pub fn due_until(&mut self, t: SimTime) -> Option<(Due, SimTime)> {
        let (source, key) = self.earliest()?;
        let at = (key >> 64) as u64;
        (at <= t.0).then_some((Due(source), SimTime(at)))
    }

    /// The event [`EventQueue::due_until`] found, to look at before taking it.
    #[inline(always)]
    pub fn due_event(&self, due: Due) -> &E {
        match due.0 {
            Source::Heap => &self.heap.peek().expect("the heap's root").event,
            Source::Timeouts => &self.timeouts.peek().expect("the timeouts' root").event,
            Source::Lane(i) => &self.lanes[i].front().expect("the lane's front").event,
        }
    }

    /// Removes the event [`EventQueue::due_until`] found and returns it.
    #[inline(always)]
    pub fn take_due(&mut self, due: Due) -> E {
        self.take(due.0).1
    }

    /// Removes and returns the earliest event if it is due at or before `t`.
    ///
    /// `#[inline]`: the engines' event loops call it once per event from another module (and
    /// code-generation unit in the `release` profile).
    #[inline]
    pub fn pop_until(&mut self, t: SimTime) -> Option<(SimTime, E)> {
        let (source, key) = self.earliest()?;
        if (key >> 64) as u64 > t.0 {
            return None;
        }
        Some(self.take(source))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.root_taken)
            + self.timeouts.len()
            + self.lanes.iter().map(VecDeque::len).sum::<usize>()
    }

    /// Bytes a copy of it allocates: lengths, not capacities (an estimate for snapshot budgets).
    pub fn heap_bytes(&self) -> usize {
        (self.heap.len()
            + self.timeouts.len()
            + self.lanes.iter().map(VecDeque::len).sum::<usize>())
            * std::mem::size_of::<Entry<E>>()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random pushes into the heap and the lanes pop in exactly the (time, sequence) order a
    /// single sorted list gives, interleaved with pops as a simulation does.
    #[test]
    fn lanes_and_heap_pop_in_key_order() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut queue = EventQueue::new();
        let mut reference: Vec<(u64, u64)> = Vec::new();
        let mut now = 0u64;
        let mut seq = 0u64;
        let lanes = [
            Lane::Internal,
            Lane::FrontDoor { region: 0 },
            Lane::FrontDoor { region: 5 },
            Lane::FrontDoor { region: 2 },
            Lane::FrontDoor { region: 7 },
            Lane::FrontDoor { region: 4 },
            Lane::FromDoor,
            Lane::Dns,
            Lane::Handover,
            Lane::EdgeHit,
        ];
        for round in 0..20_000u64 {
            for _ in 0..(next() % 3) {
                let r = next();
                let lane = lanes[(r % lanes.len() as u64) as usize];
                // Mostly fixed delays per lane, sometimes out of order, sometimes equal times.
                let delay = match (r >> 8) % 7 {
                    0 => next() % 1000,
                    1 => 0,
                    _ => 10 * (lane.index() as u64 + 1),
                };
                let time = SimTime(now + delay);
                if r % 11 == 0 {
                    queue.push(time, seq);
                } else if r % 13 == 0 {
                    // A deadline: further out, out of order.
                    let time = SimTime(now + 2_000 + next() % 3_000);
                    queue.push_timeout(time, seq);
                    reference.push((time.0, seq));
                    seq += 1;
                    continue;
                } else {
                    queue.push_in(lane, time, seq);
                }
                reference.push((time.0, seq));
                seq += 1;
            }
            if round % 2 == 0 {
                reference.sort_unstable();
                // Half the pops as the engines' loops take events: found, looked at, then
                // taken.
                let popped = if round % 4 == 0 {
                    queue.pop()
                } else {
                    queue.due_until(SimTime(u64::MAX)).map(|(due, at)| {
                        // What the caller is shown before taking it is what it takes.
                        let shown = *queue.due_event(due);
                        let taken = queue.take_due(due);
                        assert_eq!(shown, taken);
                        (at, taken)
                    })
                };
                if let Some((time, event)) = popped {
                    let (t, s) = reference.remove(0);
                    assert_eq!((time.0, event), (t, s));
                    now = time.0;
                }
                assert_eq!(queue.len(), reference.len());
            }
        }
        reference.sort_unstable();
        for (t, s) in reference {
            assert_eq!(queue.pop().map(|(time, e)| (time.0, e)), Some((t, s)));
        }
        assert!(queue.pop().is_none() && queue.is_empty());
    }

    /// Dropping some deadlines leaves every other event popping in the same order, and the
    /// pruning is asked for again only once the deadlines have doubled.
    #[test]
    fn dropped_timeouts_leave_the_order_of_the_rest() {
        let mut x: u64 = 0x51_7cc1_b727_220a;
        let mut queue = EventQueue::new();
        let mut reference: Vec<(u64, u64)> = Vec::new();
        let mut asked = 0;
        for seq in 0..50_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let time = SimTime(x % 100_000);
            if x.is_multiple_of(3) {
                queue.push_in(Lane::Internal, time, seq);
                reference.push((time.0, seq));
            } else {
                if seq % 2 == 0 {
                    reference.push((time.0, seq));
                }
                if !queue.push_timeout(time, seq) {
                    continue;
                }
                asked += 1;
                // Odd sequence numbers are the "dead" deadlines.
                queue.retain_timeouts(|&s| s % 2 == 0);
            }
        }
        assert!(asked >= 2, "pruning asked for {asked} times");
        queue.retain_timeouts(|&s| s % 2 == 0);
        let mut rest: Vec<(u64, u64)> = Vec::new();
        while let Some((time, s)) = queue.pop() {
            rest.push((time.0, s));
        }
        // The survivors, in key order: every lane event and the even deadlines.
        reference.sort_unstable();
        assert_eq!(rest, reference);
    }

    /// The four-way heap alone: pushes, root replacements and pops at every size from empty to
    /// a few thousand (full and partial last levels) give the keys in sorted order.
    #[test]
    fn quad_heap_keeps_key_order() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut heap = QuadHeap::with_capacity(4);
        let mut reference: Vec<u128> = Vec::new();
        for round in 0..30_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let entry = Entry::new(SimTime(x % 5_000), round, ());
            match (x >> 32) % 4 {
                0 | 1 => {
                    heap.push(entry);
                    reference.push(entry.key());
                }
                2 if heap.len() > 0 => {
                    reference.sort_unstable();
                    assert_eq!(heap.peek().map(|e| e.key()), Some(reference.remove(0)));
                    heap.replace_root(entry);
                    reference.push(entry.key());
                }
                _ if heap.len() > 0 => {
                    reference.sort_unstable();
                    assert_eq!(heap.peek().map(|e| e.key()), Some(reference.remove(0)));
                    heap.pop();
                }
                _ => {}
            }
            assert_eq!(heap.len(), reference.len());
        }
        reference.sort_unstable();
        for key in reference {
            assert_eq!(heap.peek().map(|e| e.key()), Some(key));
            heap.pop();
        }
        assert!(heap.peek().is_none());
    }
}
