//! Bringing the data centers forward through one span of time, one after another or side by
//! side on several threads (natively; the browser has one thread).
//!
//! A span is the time between two of the world's own events other than arrivals (a metrics
//! tick, a health check, a fault, a partition, a deploy, or the end of the caller's step).
//! Arrivals only hand requests to the data centers as events there, so the world hands over
//! every request of the span first, then brings each data center to the span's end:
//!
//! ```text
//!   world: hand over (T0, T1] ─┬─ us-east.advance_to(T1) ─┬─ collect, event at T1,
//!                              └─ eu-west.advance_to(T1) ─┘  hand over (T1, T2] …
//!                                 (on a second thread)
//! ```
//!
//! Why side by side gives the same run, byte for byte: a data center's `Stack::advance_to`
//! takes `&mut` to that stack and nothing else, and the stack owns everything it reads and
//! writes during the span — its kernel (clock, event queue, random stream seeded from the
//! scenario's seed and its index, request slab, books, sampled paths, log), its components
//! and its `Site` (outbox of committed writes, per-region latency). Nothing in `src/sim` is
//! shared through `Rc`, `Arc`, a cell, a trait object or a static with interior mutability
//! (the one static with a lock, `chaos::key_of`, interns names read back from JSON and is
//! never reached from a stack's events), and `Dc` is `Send` (checked below when compiling).
//! So each data center sees exactly the events it would see alone, in the same order; the
//! world reads what they produced only afterwards, in data-center order (`collect`), as it
//! does after running them one after another.
//!
//! Only calls without a budget (`max_events == u64::MAX`) run side by side: with a budget the
//! first data center takes what it needs and the next gets the rest, which only the
//! sequential loop can do. And only when it pays: at least two data centers that are up were
//! handed [`MIN_REQUESTS`] requests since the data centers last advanced (starting a thread
//! costs tens of microseconds; a request costs about a microsecond of a data center's work,
//! except in a data center that is down, where it fails on arrival).

use super::*;

/// Requests handed to a data center since the data centers last advanced without a budget, in
/// at least two of them, for a span to run side by side: below it the threads' start would
/// cost a good part of the work they share.
pub(super) const MIN_REQUESTS: u64 = 256;

// A data center moves to another thread for a span.
const _: () = {
    const fn send<T: Send>() {}
    send::<Dc>();
};

/// How the world runs its data centers' spans, and how it ran them so far.
#[derive(Clone, Debug, Default)]
pub(super) struct Spans {
    /// Threads the data centers may use at once (0 or 1: one after another).
    #[cfg(not(target_arch = "wasm32"))]
    pub threads: u32,
    /// What was run how.
    pub stats: SpanStats,
}

/// How a stage-11 run brought its data centers forward so far, for `scalesim run --timing`.
/// Counts only calls without a budget, and only spans in which a data center handled an
/// event. None of it changes the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SpanStats {
    /// Spans whose data centers ran side by side.
    pub side_by_side: u64,
    /// Spans whose data centers ran one after another (one thread allowed, or too little
    /// work in a second data center, or all but one down).
    pub one_by_one: u64,
    /// Events the data centers handled in the side-by-side spans.
    pub events_side_by_side: u64,
    /// Per side-by-side span, the events of its busiest thread, summed: the side-by-side
    /// spans take at least this many events' time, so `events_side_by_side / events_busiest`
    /// bounds what running them side by side can gain.
    pub events_busiest: u64,
    /// Events the data centers handled in the spans run one after another.
    pub events_one_by_one: u64,
}

impl World {
    /// Brings every data center to `until` with no budget: side by side when threads are
    /// allowed and at least two data centers have work enough, else one after another in
    /// data-center order. Returns the events handled.
    pub(super) fn advance_dcs_unbounded(&mut self, until: SimTime) -> u64 {
        let busy = self
            .dcs
            .iter()
            .filter(|d| d.up && d.handed - d.handed_before_span >= MIN_REQUESTS)
            .count();
        for d in &mut self.dcs {
            d.handed_before_span = d.handed;
        }
        #[cfg(not(target_arch = "wasm32"))]
        if self.spans.threads > 1 && busy >= 2 {
            return self.advance_side_by_side(until);
        }
        let _ = busy;
        let done: u64 = self
            .dcs
            .iter_mut()
            .map(|d| d.sim.advance_to(until, u64::MAX))
            .sum();
        if done > 0 {
            self.spans.stats.one_by_one += 1;
            self.spans.stats.events_one_by_one += done;
        }
        done
    }

    /// Brings the data centers to `until` on up to `spans.threads` threads: contiguous groups
    /// of data centers, the first on this thread, each of the others on a thread of its own.
    #[cfg(not(target_arch = "wasm32"))]
    fn advance_side_by_side(&mut self, until: SimTime) -> u64 {
        let groups = (self.spans.threads as usize).min(self.dcs.len());
        let per_group = self.dcs.len().div_ceil(groups);
        let counts: Vec<u64> = std::thread::scope(|scope| {
            let mut chunks = self.dcs.chunks_mut(per_group);
            let mine = chunks.next().expect("two data centers or more");
            let others: Vec<_> = chunks
                .map(|group| scope.spawn(move || advance_group(group, until)))
                .collect();
            let mut counts = vec![advance_group(mine, until)];
            for other in others {
                counts.push(
                    other
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            counts
        });
        let done = counts.iter().sum();
        let stats = &mut self.spans.stats;
        stats.side_by_side += 1;
        stats.events_side_by_side += done;
        stats.events_busiest += counts.iter().copied().max().unwrap_or(0);
        done
    }
}

/// Brings each data center of `group` to `until`, in order; returns the events handled.
#[cfg(not(target_arch = "wasm32"))]
fn advance_group(group: &mut [Dc], until: SimTime) -> u64 {
    group
        .iter_mut()
        .map(|d| d.sim.advance_to(until, u64::MAX))
        .sum()
}
