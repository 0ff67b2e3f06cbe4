//! The kernel of a run: simulated time, the event queue, the one seeded RNG, the request slab
//! (slots, their generations are the owner's, the recorded hops of sampled requests), the
//! run's books and the current metrics interval's counters, the ring of sampled paths and the
//! event log. One value per engine (a data center's stack, the geo layer); it knows what an
//! event, a slot, a count and a log entry are, not which tier a request is at. A component's
//! handler is handed the kernel as its [`Ctx`].
//!
//! ```text
//!   Kernel<R, E> ─ now · events: EventQueue<E> (lanes + four-way heap) · rng
//!                ─ requests: [R]   slots taken from free_slots or pushed
//!                ─ traces: [[Hop]] for the sampled requests in flight only; trace_of: slot → trace
//!                ─ books (whole run) · interval (this metrics interval) · interval_latency
//!                ─ paths (last PATH_RING sampled requests) · log (last LOG_RING entries)
//! ```

use super::histogram::Histogram;
use super::queue::EventQueue;
use super::rng::Rng;
use super::time::SimTime;
use crate::sim::report::LogEntry;
use crate::sim::{Hop, Outcome, PathSample, MAX_HOPS};
use std::collections::VecDeque;

/// `trace_of` of a slot without a trace.
const NO_TRACE: u32 = u32::MAX;

/// Sampled paths kept for animation.
pub(in crate::sim) const PATH_RING: usize = 512;
/// Event-log entries kept (older ones are dropped and counted).
pub(in crate::sim) const LOG_RING: usize = 1000;

/// Counters of the current metrics interval.
#[derive(Clone, Default)]
pub(in crate::sim) struct IntervalCounters {
    pub generated: u64,
    pub completed: u64,
    pub failed: u64,
    pub stale_reads: u64,
    pub writes_committed: u64,
    pub completed_by_kind: [u64; 4],
    pub migration_keys_copied: u64,
}

/// Run-wide accounting.
#[derive(Clone)]
pub(in crate::sim) struct Books {
    pub generated: u64,
    pub completed: u64,
    pub failed: [u64; Outcome::FAILURES.len()],
    pub latency: Histogram,
    pub latency_by_kind: [Histogram; 4],
}

impl Books {
    fn new() -> Books {
        Books {
            generated: 0,
            completed: 0,
            failed: [0; Outcome::FAILURES.len()],
            latency: Histogram::new(),
            latency_by_kind: std::array::from_fn(|_| Histogram::new()),
        }
    }
}

/// A slab entry's empty value (what a new slot starts as).
pub(in crate::sim) trait Slot: Copy {
    /// A free slot.
    const EMPTY: Self;
}

/// No request: the slot type of an engine (or a test) without a request slab.
impl Slot for () {
    const EMPTY: () = ();
}

/// The kernel of one engine over requests of type `R` and events of type `E`.
#[derive(Clone)]
pub(in crate::sim) struct Kernel<R, E> {
    /// Simulated now.
    pub now: SimTime,
    /// The event queue (a component schedules its own events through `E: From<…>`).
    pub events: EventQueue<E>,
    /// The engine's one seeded generator.
    pub rng: Rng,
    /// Request slots (free ones included).
    pub requests: Vec<R>,
    /// The hops of sampled requests (kept apart so requests stay small): a trace is taken by
    /// a sampled request's first hop and given back when its slot is freed, so there are
    /// about as many as sampled requests in flight, not one per slot (192 bytes each: at
    /// stage 11, most of what a copy of the simulation held once its slabs had grown).
    traces: Vec<[Hop; MAX_HOPS]>,
    /// The sequence number of the request each trace is of.
    trace_seq: Vec<u64>,
    /// Per request slot: its trace in `traces`, or [`NO_TRACE`].
    trace_of: Vec<u32>,
    /// Traces free for reuse.
    free_traces: Vec<u32>,
    /// Slots free for reuse.
    free_slots: Vec<u32>,
    /// Sequence number of the next request.
    pub next_seq: u64,
    /// Every `sample_every`-th request records its path.
    pub sample_every: u64,
    /// The last sampled paths, oldest first.
    pub paths: VecDeque<PathSample>,
    /// The whole run's accounting.
    pub books: Books,
    /// The current metrics interval's counters.
    pub interval: IntervalCounters,
    /// Latency of the requests completed in the current metrics interval.
    pub interval_latency: Histogram,
    /// The event log, oldest first.
    pub log: VecDeque<LogEntry>,
    /// Log entries dropped from the front of the ring.
    pub log_dropped: u64,
}

impl<R: Slot, E: Copy> Kernel<R, E> {
    /// A kernel at time zero with an empty queue and slab, its generator seeded with `seed`.
    pub fn new(seed: u64) -> Kernel<R, E> {
        Kernel {
            now: SimTime::ZERO,
            events: EventQueue::new(),
            rng: Rng::new(seed),
            requests: Vec::new(),
            traces: Vec::new(),
            trace_seq: Vec::new(),
            trace_of: Vec::new(),
            free_traces: Vec::new(),
            free_slots: Vec::new(),
            next_seq: 0,
            sample_every: 1,
            paths: VecDeque::with_capacity(PATH_RING),
            books: Books::new(),
            interval: IntervalCounters::default(),
            interval_latency: Histogram::new(),
            log: VecDeque::new(),
            log_dropped: 0,
        }
    }

    /// A slot for a new request (a freed one, or a new one at the end) and the request's
    /// sequence number.
    #[inline]
    pub fn take_slot(&mut self) -> (u32, u64) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = match self.free_slots.pop() {
            Some(slot) => slot,
            None => {
                self.requests.push(R::EMPTY);
                self.trace_of.push(NO_TRACE);
                (self.requests.len() - 1) as u32
            }
        };
        (slot, seq)
    }

    /// Gives slot `slot` back for reuse, with its trace if it had one.
    #[inline]
    pub fn free_slot(&mut self, slot: u32) {
        let trace = std::mem::replace(&mut self.trace_of[slot as usize], NO_TRACE);
        if trace != NO_TRACE {
            self.free_traces.push(trace);
        }
        self.free_slots.push(slot);
    }

    /// The hops recorded for the request in `slot` (all default if it recorded none).
    #[inline]
    pub fn trace(&self, slot: usize) -> [Hop; MAX_HOPS] {
        match self.trace_of[slot] {
            NO_TRACE => [Hop::default(); MAX_HOPS],
            t => self.traces[t as usize],
        }
    }

    /// The hops of the request in `slot`, taking a trace for it if it has none yet.
    #[inline]
    pub fn trace_mut(&mut self, slot: usize) -> &mut [Hop; MAX_HOPS] {
        let t = self.trace_index(slot);
        &mut self.traces[t]
    }

    /// A sampled request with sequence number `seq` took `slot`: its trace, which keeps the
    /// number (a request's slot does not: most requests are not sampled).
    pub fn start_trace(&mut self, slot: usize, seq: u64) {
        let t = self.trace_index(slot);
        self.trace_seq[t] = seq;
    }

    /// The sequence number [`Kernel::start_trace`] kept for the request in `slot` (0 if none).
    #[inline]
    pub fn trace_seq(&self, slot: usize) -> u64 {
        match self.trace_of[slot] {
            NO_TRACE => 0,
            t => self.trace_seq[t as usize],
        }
    }

    /// The trace of the request in `slot`, taken if it has none yet.
    fn trace_index(&mut self, slot: usize) -> usize {
        let mut t = self.trace_of[slot];
        if t == NO_TRACE {
            t = match self.free_traces.pop() {
                Some(t) => t,
                None => {
                    self.traces.push([Hop::default(); MAX_HOPS]);
                    self.trace_seq.push(0);
                    (self.traces.len() - 1) as u32
                }
            };
            self.trace_of[slot] = t;
        }
        t as usize
    }

    /// Whether the request with sequence number `seq` records its path.
    #[inline]
    pub fn sampled(&self, seq: u64) -> bool {
        seq.is_multiple_of(self.sample_every)
    }

    /// Keeps a finished sampled path (dropping the oldest past [`PATH_RING`]).
    pub fn keep_path(&mut self, sample: PathSample) {
        if self.paths.len() == PATH_RING {
            self.paths.pop_front();
        }
        self.paths.push_back(sample);
    }

    /// Adds an entry to the event log at `now` (dropping the oldest past [`LOG_RING`]).
    pub fn log_event(&mut self, now: SimTime, component: &str, text: String) {
        self.push_log(LogEntry {
            t_s: now.as_secs_f64(),
            component: component.to_string(),
            text,
        });
    }

    /// Adds an entry to the event log (dropping the oldest past [`LOG_RING`]).
    pub fn push_log(&mut self, entry: LogEntry) {
        if self.log.len() == LOG_RING {
            self.log.pop_front();
            self.log_dropped += 1;
        }
        self.log.push_back(entry);
    }

    /// Bytes held by the slab (for the footprint figure).
    pub fn slab_bytes(&self) -> usize {
        self.requests.len() * std::mem::size_of::<R>()
            + self.traces.len() * (std::mem::size_of::<[Hop; MAX_HOPS]>() + 8)
            + (self.trace_of.len() + self.free_traces.len()) * 4
            + self.free_slots.len() * 4
    }
}

/// What a component's handler is handed besides its own state: the kernel — the clock, the
/// event queue, the RNG, the books, interval counters and event log — and nothing else of the
/// engine. The engine passes `&mut self.kernel`, so the component (another field of the
/// engine) can be borrowed beside it.
pub(in crate::sim) type Ctx<R, E> = Kernel<R, E>;

impl<R: Slot, E: Copy> Kernel<R, E> {
    /// Adds an entry to the event log now.
    pub fn log(&mut self, component: &str, text: String) {
        self.log_event(self.now, component, text);
    }

    /// Schedules `event` at `at` (inlined, as the queue's pushes are).
    #[inline(always)]
    pub fn schedule(&mut self, at: SimTime, event: impl Into<E>) {
        self.events.push(at, event.into());
    }
}
