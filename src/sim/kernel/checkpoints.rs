//! Checkpoints for time travel: copies of a running [`Sim`] taken every so many simulated
//! seconds, so that seeking back re-runs only from the latest copy before the target instead of
//! from 0.
//!
//! ```text
//!  0 ──────── 20 ──────── 40 ──── 50 ──── 60 ── now     every = 10 s
//!             ▲           ▲       ▲       ▲
//!         copies (at most `limit`; when full, the oldest copy off the grid of twice `every`
//!         goes, one at a time; once none is left off it, `every` doubles)
//! ```
//!
//! Copies are taken at exact multiples of `every`, with every event up to that time processed
//! (the caller advances to [`Checkpoints::due`] and offers the simulation there), so a copy
//! restored and run on is the same run. Each copy carries the caller's position in its list of
//! live changes (the first change not applied yet); a change made at time t invalidates the
//! copies after t, and those that applied changes now dropped.
//!
//! Memory stays bounded: at most [`MAX_CHECKPOINTS`] copies and [`BUDGET_BYTES`] by
//! [`Sim::footprint_bytes`]. A simulation so big that two copies do not fit keeps none (seeking
//! back re-runs from 0 then).

use crate::sim::{Sim, SimDuration, SimTime};

/// Most copies kept: 64, so that a 10-minute run keeps them 10 s apart (a seek re-runs at most
/// 10 simulated seconds; with 16 it was 40 s) while the memory budget below allows it.
pub const MAX_CHECKPOINTS: usize = 64;
/// Most memory all copies may take together, in bytes (by [`Sim::footprint_bytes`]).
pub const BUDGET_BYTES: u64 = 192 << 20;
/// Simulated time between copies to begin with (it doubles as the run grows).
const FIRST_EVERY: SimDuration = SimDuration::from_secs(5);

/// Copies of one simulation, in time order.
#[derive(Clone)]
pub struct Checkpoints {
    /// Each copy with the first live change it has not applied.
    copies: Vec<(Sim, usize)>,
    /// Simulated time between new copies (older ones may lie up to twice as far apart).
    every: SimDuration,
    /// Most copies kept, whatever the memory budget allows ([`MAX_CHECKPOINTS`]).
    most: usize,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Checkpoints::with_most(MAX_CHECKPOINTS)
    }
}

impl Checkpoints {
    /// No copies, the first one due after [`FIRST_EVERY`].
    pub fn new() -> Checkpoints {
        Checkpoints::default()
    }

    /// No copies, and at most `most` of them (fewer if the memory budget says so; at most
    /// [`MAX_CHECKPOINTS`]).
    pub fn with_most(most: usize) -> Checkpoints {
        Checkpoints {
            copies: Vec::new(),
            every: FIRST_EVERY,
            most: most.min(MAX_CHECKPOINTS),
        }
    }

    /// Copies kept now.
    pub fn len(&self) -> usize {
        self.copies.len()
    }

    /// Whether no copy is kept.
    pub fn is_empty(&self) -> bool {
        self.copies.is_empty()
    }

    /// Simulated time between new copies now (older ones lie at most twice as far apart).
    pub fn every(&self) -> SimDuration {
        self.every
    }

    /// Times of the copies kept.
    pub fn times(&self) -> impl Iterator<Item = SimTime> + '_ {
        self.copies.iter().map(|(s, _)| s.now())
    }

    /// When the next copy should be taken, for a simulation at `now`: the next multiple of
    /// `every` after the latest copy and after `now`.
    pub fn due(&self, now: SimTime) -> SimTime {
        let every = self.every.as_nanos();
        let after_last = self
            .copies
            .last()
            .map_or(every, |(s, _)| (s.now().as_nanos() / every + 1) * every);
        let after_now = (now.as_nanos() / every + 1) * every;
        SimTime(after_last.max(after_now))
    }

    /// Takes a copy of `sim` if it stands exactly on a multiple of `every` after the latest
    /// copy, with every event up to then processed (the caller knows: its last `advance_to`
    /// to [`Checkpoints::due`] ended on time, not on its event budget); `next_change` is the
    /// first live change it has not applied. Returns whether a copy was taken.
    pub fn offer(&mut self, sim: &Sim, next_change: usize) -> bool {
        let now = sim.now();
        let on_grid = now.as_nanos() > 0 && now.as_nanos().is_multiple_of(self.every.as_nanos());
        let after_last = self.copies.last().is_none_or(|(s, _)| s.now() < now);
        if !on_grid || !after_last {
            return false;
        }
        let limit = limit_for(sim.footprint_bytes()).min(self.most);
        if limit < 2 {
            self.copies.clear();
            return false;
        }
        let mut copy = sim.clone();
        // Copies draw no dots (path sampling does not change the run).
        copy.set_path_sample_every(u64::MAX);
        self.copies.push((copy, next_change));
        while self.copies.len() > limit {
            self.thin();
        }
        true
    }

    /// Makes room for one copy: drops the oldest copy (but the newest, just taken) that is
    /// off the grid of twice `every`; when none is, doubles `every` first. So the copies thin
    /// from the oldest end one at a time and the budget stays full: a run keeps `limit`
    /// copies, the recent ones `every` apart and the older twice that. (Dropping every other
    /// copy at once, as before 2026-12-06, could leave nearly half the budget unused until the
    /// run had doubled its length.)
    fn thin(&mut self) {
        let Some(newest) = self.copies.len().checked_sub(1).filter(|&n| n > 0) else {
            return;
        };
        // Doubling at most 64 times reaches a grid no copy's (nonzero) time lies on.
        for _ in 0..64 {
            let twice = self.every.as_nanos().saturating_mul(2);
            let off_grid = self.copies[..newest]
                .iter()
                .position(|(s, _)| !s.now().as_nanos().is_multiple_of(twice));
            if let Some(i) = off_grid {
                self.copies.remove(i);
                return;
            }
            self.every = SimDuration(twice);
        }
        self.copies.remove(0);
    }

    /// A live change was made at `at`, before change number `next_change` (the later ones
    /// were dropped): forgets the copies that no longer lie on the timeline.
    pub fn invalidate(&mut self, at: SimTime, next_change: usize) {
        self.copies
            .retain(|(s, next)| s.now() <= at && *next <= next_change);
    }

    /// A copy of the latest checkpoint at or before `target`, with its first unapplied change.
    pub fn restore(&self, target: SimTime) -> Option<(Sim, usize)> {
        self.copies
            .iter()
            .rev()
            .find(|(s, _)| s.now() <= target)
            .map(|(s, next)| (s.clone(), *next))
    }

    /// Forgets every copy (the most kept stays).
    pub fn clear(&mut self) {
        self.copies.clear();
        self.every = FIRST_EVERY;
    }
}

/// How many copies of a simulation of `footprint` bytes fit the budget.
fn limit_for(footprint: u64) -> usize {
    let fit = BUDGET_BYTES / footprint.max(1);
    (fit as usize).min(MAX_CHECKPOINTS)
}
