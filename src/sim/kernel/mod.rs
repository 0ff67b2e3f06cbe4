//! The kernel: what every simulation needs and no tier knows about — integer simulated time,
//! the event queue (lanes and a four-way heap, ties broken by insertion order), the one seeded
//! random stream and its samplers, latency histograms, the run's state ([`run::Kernel`]: the
//! request slab, the books, the interval counters, sampled paths and the event log),
//! checkpoints of whole runs for seeking, and the recording of what a run showed.
//!
//! Nothing here names a web server, a database or a browser: components (see
//! `super::components`) and the engines (`super::engine`, `super::geo`) are built on it.

pub mod checkpoints;
pub(super) mod histogram;
pub(super) mod queue;
pub mod recording;
pub(super) mod rng;
pub(super) mod run;
pub(super) mod time;
pub(super) mod wide;
