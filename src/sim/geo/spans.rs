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
//! With two threads or more the world also draws the next span's requests while the data
//! centers run this one, where the world's events between the two spans do not change what
//! those draws read ([`World::advance_ahead`]; why that is the same run: docs/architecture.md,
//! "Stage 11's data centers side by side"):
//!
//! ```text
//!   world: tick's own half at T1, hand over (T1, T2] into inboxes ─┐ tick's data-center
//!   us-east: its inbox of (T0, T1], advance_to(T1) ─────────────────┤ half at T1, …
//!   eu-west: its inbox of (T0, T1], advance_to(T1) ─────────────────┘
//! ```
//!
//! Only calls without a budget (`max_events == u64::MAX`) run side by side: with a budget the
//! first data center takes what it needs and the next gets the rest, which only the
//! sequential loop can do. And only when it pays: at least two data centers that are up were
//! handed [`MIN_REQUESTS`] requests since the data centers last advanced (starting a thread
//! costs tens of microseconds; a request costs about a microsecond of a data center's work,
//! except in a data center that is down, where it fails on arrival).

use super::*;
#[cfg(not(target_arch = "wasm32"))]
use crate::sim::diagnosis::Diagnoser;
#[cfg(not(target_arch = "wasm32"))]
use crate::sim::handle::observe;

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
    /// While true, the users' requests go to `inboxes` instead of the data centers: the data
    /// centers may be running the span before theirs (see [`World::advance_ahead`]).
    pub drawing: bool,
    /// Per data center, the requests drawn for it and not yet given to its `inbox`.
    pub inboxes: Vec<Vec<Handover>>,
    /// The world's own events whose world half was done ahead of the data centers' half
    /// (kept to reuse its buffer; empty between spans).
    #[cfg(not(target_arch = "wasm32"))]
    early: Vec<Early>,
}

/// A user's request for a data center, as the world drew it: handed over when the data center
/// is at the start of the span the request belongs to.
#[derive(Clone, Copy, Debug)]
pub(super) struct Handover {
    /// When the user sent it.
    pub at: SimTime,
    /// The user (the world's numbering).
    pub user: u32,
    /// The user's region.
    pub region: u8,
    /// Whether the user has no cached answer and looks geoDNS up first.
    pub lookup: bool,
    /// When a lookup of the user's still under way is answered, ms (0: none).
    pub ready_ms: u32,
}

impl Handover {
    /// Hands the request to `dc`.
    pub fn hand_to(self, dc: &mut Stack) {
        dc.hand_over(self.at, self.user, self.region, self.lookup, self.ready_ms);
    }
}

impl Dc {
    /// Hands over the requests drawn for this data center, in the order drawn, then brings it
    /// to `until` with no budget; returns the events handled.
    fn run_span(&mut self, until: SimTime) -> u64 {
        for handover in self.inbox.drain(..) {
            handover.hand_to(&mut self.sim);
        }
        self.sim.advance_to(until, u64::MAX)
    }
}

/// The clock and the figures a snapshot of the world reads that drawing arrivals moves on:
/// an event whose world half was done early has its data-center half done with the values
/// it would have seen.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Copy, Debug)]
struct Head {
    now: SimTime,
    generated: u64,
    dns_failed: u64,
    events_processed: u64,
}

/// One of the world's own events at a span's end, its world half done, its data centers'
/// half waiting for them.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug)]
struct Early {
    head: Head,
    half: Half,
}

#[cfg(not(target_arch = "wasm32"))]
#[derive(Clone, Debug)]
enum Half {
    Tick(super::ops::TickWorld),
    Check,
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
    /// Spans (counted above too) during which the world drew the next span's arrivals on a
    /// thread of its own or beside the least busy data center.
    pub drawn_ahead: u64,
    /// The world's events in those next spans (arrivals), drawn while the data centers ran.
    pub events_drawn_ahead: u64,
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
        let done: u64 = self.dcs.iter_mut().map(|d| d.run_span(until)).sum();
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
    group.iter_mut().map(|d| d.run_span(until)).sum()
}

#[cfg(not(target_arch = "wasm32"))]
impl World {
    /// `Sim::advance_to(t, u64::MAX)` on several threads, the diagnoser's stops included: the
    /// same run as calling [`World::advance_to`] to each stop and observing there, but where a
    /// span ends with events of the world that do not change what its users' next requests
    /// draw (a metrics tick, a health check that cannot change geoDNS's view), the world does
    /// their own half first and draws the next span's requests while the data centers run
    /// this one, then does their data-center half, and the observation, with the clock and
    /// figures of their time. Returns the events processed.
    pub(super) fn advance_ahead(&mut self, t: SimTime, diagnoser: &mut Diagnoser) -> u64 {
        let dcs = self.dcs.len();
        self.spans.inboxes.resize_with(dcs, Vec::new);
        self.spans.drawing = true;
        // Each call to a stop would draw only up to that stop.
        let mut bound = diagnoser.next_at().min(t);
        let (mut next, mut done) = self.draw_span(bound);
        self.give_drawn();
        loop {
            let until = next.unwrap_or(bound);
            let stop = diagnoser.next_at();
            let inside = until < bound || (until == stop && until < t);
            if next.is_some() && inside && self.may_draw_ahead(until) {
                let (after, n) = self.span_ahead(until, t, diagnoser);
                next = after;
                done += n;
                bound = bound.max(diagnoser.next_at().min(t));
                continue;
            }
            done += self.advance_dcs_unbounded(until);
            self.collect();
            if let Some(at) = next {
                self.handle_next(at);
                done += 1;
            } else {
                // The end of a call to `bound`.
                self.kernel.now = self.kernel.now.max(bound);
                if bound == stop {
                    observe(diagnoser, self);
                }
                if bound == t {
                    break;
                }
                bound = diagnoser.next_at().min(t);
            }
            let (after, n) = self.draw_span(bound);
            next = after;
            done += n;
            self.give_drawn();
        }
        self.spans.drawing = false;
        done
    }

    /// Handles this layer's arrivals due by `t` up to its next own event; returns when that
    /// event is due (`None`: nothing else by `t`) and the arrivals handled.
    fn draw_span(&mut self, t: SimTime) -> (Option<SimTime>, u64) {
        let mut drawn = 0;
        while let Some((due, at)) = self.kernel.events.due_until(t) {
            if !matches!(self.kernel.events.due_event(due), GeoEvent::Arrival { .. }) {
                return (Some(at), drawn);
            }
            let event = self.kernel.events.take_due(due);
            self.kernel.now = at;
            self.handle(event);
            self.events_processed += 1;
            drawn += 1;
        }
        (None, drawn)
    }

    /// Gives each data center the requests drawn for it (its `inbox` must be empty: it ran
    /// the span before) and counts them as handed.
    fn give_drawn(&mut self) {
        for (dc, drawn) in self.dcs.iter_mut().zip(&mut self.spans.inboxes) {
            debug_assert!(dc.inbox.is_empty(), "a span's requests left over");
            std::mem::swap(&mut dc.inbox, drawn);
            let n = dc.inbox.len() as u64;
            dc.handed += n;
            dc.interval_handed += n;
        }
    }

    /// Whether the world's event due at `until` (the end of the span the data centers are
    /// about to run) lets it draw the next span ahead: a metrics tick with no deploy under
    /// way, or a health check that cannot change geoDNS's view; and the span has work enough
    /// for a thread's start to pay.
    fn may_draw_ahead(&mut self, until: SimTime) -> bool {
        let handed: usize = self.dcs.iter().map(|d| d.inbox.len()).sum();
        if (handed as u64) < MIN_REQUESTS {
            return false;
        }
        match self.kernel.events.peek() {
            Some((at, &event)) if at == until => self.goes_early(event),
            _ => false,
        }
    }

    /// Whether the world half of `event` can be done before the data centers reach its time
    /// and the next span be drawn after it, with the same result:
    ///
    /// - a metrics tick: its world half ([`World::tick_world`]) reads and resets only the
    ///   world's interval counters and users' answers, and the arrivals after it read nothing
    ///   its data-center half ([`World::tick_dcs`]) writes, except when a deploy is under
    ///   way (the tick moves it on, which starts a data center's deploy before the next
    ///   span's requests reach it);
    /// - a health check: its world half schedules the next; its data-center half can change
    ///   only the counts of checks in a row unless [`GeoDns::check_may_flip`], and geoDNS's
    ///   view, the one thing arrivals read from it, stays as it is.
    ///
    /// Faults, partitions, geoDNS's own faults and deploys change what the next span draws.
    fn goes_early(&self, event: GeoEvent) -> bool {
        match event {
            GeoEvent::MetricsTick => self.deploying.is_none(),
            GeoEvent::HealthCheck => !self.dns.check_may_flip(),
            _ => false,
        }
    }

    /// Runs the span ending at `until` with the next one drawn beside it (see
    /// [`World::advance_ahead`]): the world halves of its events at `until`; then, unless
    /// something else is due at `until` (an event that cannot go early, a user's request at
    /// that very nanosecond), the data centers' span with the next span drawn beside it (up to
    /// the diagnoser's next stop if `until` is one, else up to its current one, never past
    /// `t`); the data centers' halves; at a stop, the observation. Returns when the world's
    /// next own event is due (`None`: nothing else up to the stop drawn to) and the events
    /// processed.
    fn span_ahead(
        &mut self,
        until: SimTime,
        t: SimTime,
        diagnoser: &mut Diagnoser,
    ) -> (Option<SimTime>, u64) {
        let mut early = std::mem::take(&mut self.spans.early);
        // In queue order: one tick and one health check at most (a second check would be
        // judged on counts the first has not updated).
        let (mut ticked, mut checked) = (false, false);
        while let Some((at, &event)) = self.kernel.events.peek() {
            let again = match event {
                GeoEvent::MetricsTick => ticked,
                GeoEvent::HealthCheck => checked,
                _ => true,
            };
            if at != until || again || !self.goes_early(event) {
                break;
            }
            self.kernel.events.pop();
            self.kernel.now = at;
            let head = self.head();
            let half = if let GeoEvent::MetricsTick = event {
                ticked = true;
                Half::Tick(self.tick_world())
            } else {
                checked = true;
                self.check_world();
                Half::Check
            };
            early.push(Early { head, half });
            self.events_processed += 1;
        }
        let own = early.len() as u64;
        for d in &mut self.dcs {
            d.handed_before_span = d.handed;
        }
        let more_now = self.kernel.events.peek_time() == Some(until);
        let at_stop = !more_now && until == diagnoser.next_at();
        let draw_to = if more_now {
            // Nothing to draw: the loop goes on from `until`.
            until
        } else if at_stop {
            diagnoser.next_at().plus(diagnoser.interval()).min(t)
        } else {
            diagnoser.next_at().min(t)
        };
        let at_end = self.head();
        let ((next, drawn), counts) = if more_now {
            let done = self.advance_dcs_unbounded(until);
            ((Some(until), 0), vec![done])
        } else {
            self.run_beside_draw(until, draw_to)
        };
        self.collect();
        let ahead = self.head();
        for Early { head, half } in early.drain(..) {
            self.set_head(head);
            match half {
                Half::Tick(world) => self.tick_dcs(world),
                Half::Check => self.check_dcs(),
            }
        }
        self.spans.early = early;
        let mut dc_events: u64 = counts.iter().sum();
        if at_stop {
            // Where the call to this stop ends: every data center brought to it (nothing is
            // due there: the data centers' halves give them no events), then the observation.
            for d in &mut self.dcs {
                dc_events += d.sim.advance_to(until, u64::MAX);
            }
            self.collect();
            self.set_head(at_end);
            observe(diagnoser, self);
        }
        self.set_head(ahead);
        self.give_drawn();
        if !more_now {
            let stats = &mut self.spans.stats;
            if counts.iter().filter(|&&n| n > 0).count() >= 2 {
                stats.side_by_side += 1;
                stats.events_side_by_side += dc_events;
                stats.events_busiest += counts.iter().copied().max().unwrap_or(0);
            } else if dc_events > 0 {
                stats.one_by_one += 1;
                stats.events_one_by_one += dc_events;
            }
            stats.drawn_ahead += 1;
            stats.events_drawn_ahead += drawn;
        }
        (next, own + drawn + dc_events)
    }

    /// Brings the data centers to `until` in groups on `spans.threads` threads while this
    /// thread draws the next span's requests up to `t` (into `spans.inboxes`) and then runs
    /// the group with the fewest requests to handle (none when there is one group). Returns
    /// what [`World::draw_span`] returned and each group's events.
    fn run_beside_draw(
        &mut self,
        until: SimTime,
        t: SimTime,
    ) -> ((Option<SimTime>, u64), Vec<u64>) {
        let mut dcs = std::mem::take(&mut self.dcs);
        let groups = (self.spans.threads as usize).min(dcs.len());
        let per_group = dcs.len().div_ceil(groups);
        let work =
            |group: &[Dc]| -> usize { group.iter().filter(|d| d.up).map(|d| d.inbox.len()).sum() };
        let lightest = (groups > 1).then(|| {
            dcs.chunks(per_group)
                .enumerate()
                .min_by_key(|&(_, group)| work(group))
                .map_or(0, |(i, _)| i)
        });
        let result = std::thread::scope(|scope| {
            let mut mine = None;
            let mut others = Vec::new();
            for (i, group) in dcs.chunks_mut(per_group).enumerate() {
                if Some(i) == lightest {
                    mine = Some(group);
                } else {
                    others.push(scope.spawn(move || advance_group(group, until)));
                }
            }
            // The data centers are away: drawing touches only the world's own state.
            let drawn = self.draw_span(t);
            let mut counts: Vec<u64> = mine
                .map(|group| advance_group(group, until))
                .into_iter()
                .collect();
            for other in others {
                counts.push(
                    other
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            (drawn, counts)
        });
        self.dcs = dcs;
        result
    }

    fn head(&self) -> Head {
        Head {
            now: self.kernel.now,
            generated: self.books.generated,
            dns_failed: self.dns.failed(),
            events_processed: self.events_processed,
        }
    }

    fn set_head(&mut self, head: Head) {
        self.kernel.now = head.now;
        self.books.generated = head.generated;
        self.dns.set_failed(head.dns_failed);
        self.events_processed = head.events_processed;
    }
}
