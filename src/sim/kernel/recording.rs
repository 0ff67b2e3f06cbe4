//! What a run showed, kept as it plays: a [`Frame`] of the figures at every multiple of a fixed
//! simulated spacing, so that a seek back can show the target's figures at once while the
//! simulation re-runs from a checkpoint (see [`super::checkpoints`]) in the background.
//!
//! ```text
//!  0 ── 0.5 ── 1.0 ── 1.5 ── … ── now        every = 0.5 s
//!       ▲      ▲      ▲                      a frame at each (what the caller's recorder made
//!                                            of the simulation there, bytes counted)
//! ```
//!
//! Frames are taken, like checkpoints, at exact multiples of `every` with every event up to
//! that time processed, before the live changes made at that instant: the run is
//! deterministic, so a frame equals what a fresh run of the same scenario with the same
//! changes shows there. A change made at time t forgets the frames after t. The bytes are
//! bounded by [`BUDGET_BYTES`]: when full, every other frame goes and the spacing doubles.
//! What a frame holds is the caller's (the app keeps its panels' figures, compressed).

use crate::sim::{Sim, SimDuration, SimTime};

/// Simulated time between frames to begin with: 0.5 s (a 10-minute run keeps 1,200).
pub const FRAME_EVERY: SimDuration = SimDuration::from_millis(500);
/// Most bytes all frames may take together, by [`Frame::bytes`].
pub const BUDGET_BYTES: u64 = 64 << 20;

/// What was shown at one instant: opaque bytes (the caller's encoding of its figures) and a
/// few numbers kept as they are (for charts drawn over many frames without decoding them).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// The caller's encoding of what it showed.
    pub body: Box<[u8]>,
    /// A few numbers, readable without decoding `body`.
    pub numbers: Box<[f64]>,
}

impl Frame {
    /// The bytes this frame takes: its two heap blocks and its entry in the list.
    pub fn bytes(&self) -> u64 {
        (self.body.len()
            + std::mem::size_of_val(&*self.numbers)
            + std::mem::size_of::<(SimTime, Frame)>()) as u64
    }
}

/// Makes the frame of a simulation (the same simulation state must give the same frame).
pub type Recorder = Box<dyn FnMut(&Sim) -> Frame>;

/// The frames of one run, in time order.
#[derive(Clone, Debug)]
pub struct Recording {
    frames: Vec<(SimTime, Frame)>,
    every: SimDuration,
    bytes: u64,
    budget: u64,
}

impl Default for Recording {
    fn default() -> Self {
        Recording::with_budget(BUDGET_BYTES)
    }
}

impl Recording {
    /// No frames; at most `budget` bytes of them.
    pub fn with_budget(budget: u64) -> Recording {
        Recording {
            frames: Vec::new(),
            every: FRAME_EVERY,
            bytes: 0,
            budget,
        }
    }

    /// Frames kept.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Bytes the frames take, by [`Frame::bytes`].
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Simulated time between frames now.
    pub fn every(&self) -> SimDuration {
        self.every
    }

    /// When the next frame is due for a simulation at `now`: the next multiple of `every`.
    pub fn due(&self, now: SimTime) -> SimTime {
        let every = self.every.as_nanos();
        SimTime((now.as_nanos() / every + 1) * every)
    }

    /// Whether a frame should be taken of a simulation standing at `now` (with every event up
    /// to then processed): on the grid, and none kept for that instant.
    pub fn wants(&self, now: SimTime) -> bool {
        now.as_nanos().is_multiple_of(self.every.as_nanos())
            && self.frames.binary_search_by_key(&now, |(t, _)| *t).is_err()
    }

    /// Keeps `frame` as what was shown at `at` (replacing one kept for that instant).
    pub fn insert(&mut self, at: SimTime, frame: Frame) {
        self.bytes += frame.bytes();
        match self.frames.binary_search_by_key(&at, |(t, _)| *t) {
            Ok(i) => {
                let old = std::mem::replace(&mut self.frames[i].1, frame);
                self.bytes -= old.bytes();
            }
            Err(i) => self.frames.insert(i, (at, frame)),
        }
        while self.bytes > self.budget && self.frames.len() > 1 {
            self.thin();
        }
    }

    /// Keeps every other frame (those at multiples of twice `every`) and doubles `every`.
    fn thin(&mut self) {
        let every = self.every.as_nanos() * 2;
        let before = self.frames.len();
        self.frames
            .retain(|(t, _)| t.as_nanos().is_multiple_of(every));
        self.every = SimDuration(every);
        if self.frames.len() == before {
            self.frames.remove(0);
        }
        self.bytes = self.frames.iter().map(|(_, f)| f.bytes()).sum();
    }

    /// A live change was made at `at`: forgets the frames after it.
    pub fn invalidate(&mut self, at: SimTime) {
        let keep = self.frames.partition_point(|(t, _)| *t <= at);
        self.frames.truncate(keep);
        self.bytes = self.frames.iter().map(|(_, f)| f.bytes()).sum();
    }

    /// The latest frame at or before `t`.
    pub fn at_or_before(&self, t: SimTime) -> Option<(SimTime, &Frame)> {
        let i = self.frames.partition_point(|(at, _)| *at <= t);
        i.checked_sub(1)
            .map(|i| (self.frames[i].0, &self.frames[i].1))
    }

    /// The frames from `from` to `to`, both included, oldest first.
    pub fn between(&self, from: SimTime, to: SimTime) -> &[(SimTime, Frame)] {
        let start = self.frames.partition_point(|(t, _)| *t < from);
        let end = self.frames.partition_point(|(t, _)| *t <= to);
        &self.frames[start..end.max(start)]
    }

    /// Time of the latest frame, if any.
    pub fn last(&self) -> Option<SimTime> {
        self.frames.last().map(|(t, _)| *t)
    }

    /// Forgets every frame.
    pub fn clear(&mut self) {
        self.frames.clear();
        self.bytes = 0;
        self.every = FRAME_EVERY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize) -> Frame {
        Frame {
            body: vec![7; n].into(),
            numbers: vec![1.0, 2.0].into(),
        }
    }

    #[test]
    fn recording_frames_stay_in_order_within_the_budget_and_thin_out() {
        let per = frame(100).bytes();
        let mut r = Recording::with_budget(per * 10);
        for i in 1..=10u64 {
            let at = SimTime(i * FRAME_EVERY.as_nanos());
            assert!(r.wants(at));
            r.insert(at, frame(100));
            assert!(!r.wants(at));
        }
        assert_eq!((r.len(), r.bytes()), (10, per * 10));
        // The eleventh goes over: every other one goes and the spacing doubles.
        r.insert(SimTime(11 * FRAME_EVERY.as_nanos()), frame(100));
        assert_eq!(r.every(), SimDuration(2 * FRAME_EVERY.as_nanos()));
        assert_eq!(r.len(), 5);
        assert_eq!(r.bytes(), per * 5);
        assert!(!r.wants(SimTime(13 * FRAME_EVERY.as_nanos())));
        assert!(r.wants(SimTime(12 * FRAME_EVERY.as_nanos())));
        // Kept: 1, 2, 3, 4 and 5 s.
        let (at, _) = r.at_or_before(SimTime::from_millis_f64(3_500.0)).unwrap();
        assert_eq!(at, SimTime::from_secs(3));
        assert!(r.at_or_before(SimTime::from_millis_f64(999.0)).is_none());
        assert_eq!(
            r.between(SimTime::from_secs(2), SimTime::from_secs(4))
                .len(),
            3
        );
        r.invalidate(SimTime::from_millis_f64(3_200.0));
        assert_eq!(r.last(), Some(SimTime::from_secs(3)));
        assert_eq!(r.bytes(), per * 3);
    }
}
