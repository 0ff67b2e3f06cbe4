//! The run being played, time travel included: the [`Sim`], the user's live changes with their
//! simulated times (what a link carries), [`Checkpoints`] of the run on that recorded timeline,
//! the [`Recording`] of what it showed (frames every half simulated second, made by the
//! caller's [`Recorder`]), and a seek under way. Whoever plays it (the app's runner, in the page or in a web worker)
//! only paces it in real time and draws what it shows.
//!
//! ```text
//!  record(action)        apply now; forget the later changes and the copies after now
//!  play(target, budget)  advance, replaying recorded changes at their times and stopping
//!                        at each checkpoint (and frame) due to offer a copy (record it)
//!  seek(t)               start from the latest copy at or before t (or from 0, or run on)
//!  seek_step(budget) …   true once arrived: the re-run simulation has been swapped in
//! ```
//!
//! A seek re-runs the same scenario with the same changes at the same instants, so where it
//! arrives is the run that was played (same report digest), whatever it started from; and
//! the frames recorded on the way equal what the engine shows when it gets there.

use super::{live, Checkpoints, Recorder, Recording, Sim, SimDuration, SimTime};
use crate::scenario::{LiveAction, LiveChange, Scenario, ValidationErrors};

/// One run and its recorded timeline.
pub struct Playback {
    /// The scenario the simulation was built from (before any live change).
    base: Scenario,
    sim: Sim,
    /// The live changes, in time order, each with its simulated time.
    changes: Vec<LiveChange>,
    /// The first change `sim` has not applied yet (after a seek back, the later ones are
    /// replayed as their times come, until the user changes something).
    next_change: usize,
    checkpoints: Checkpoints,
    /// What the run showed, frame by frame (nothing without a recorder).
    recording: Recording,
    recorder: Option<Recorder>,
    seek: Option<Seek>,
    /// The furthest simulated time reached.
    reached: SimTime,
    /// Bumped whenever recorded changes were replayed (a seek arrived, or play passed one).
    replays: u32,
    /// One request in this many is recorded for drawing.
    path_every: u64,
    /// A seek's re-run records paths for drawing over this much simulated time before its
    /// target, so that the dots are there when it arrives (before that it records none).
    paths_lead: SimDuration,
}

/// A seek under way.
struct Seek {
    /// A fresh simulation (from 0 or a checkpoint) and its next change to replay; `None`: the
    /// current simulation runs on.
    fresh: Option<(Sim, usize)>,
    target: SimTime,
    /// Simulated time the seek started from.
    from: SimTime,
}

/// How far a seek has come.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SeekProgress {
    /// Where it goes.
    pub target: SimTime,
    /// Share of the way done, 0–1.
    pub done: f64,
    /// Where the re-run started from (a checkpoint's time, 0, or now when running on).
    pub from: SimTime,
    /// Where the re-run stands now.
    pub at: SimTime,
}

impl Playback {
    /// A fresh run of `scenario`, nothing recorded.
    pub fn new(scenario: &Scenario) -> Result<Playback, ValidationErrors> {
        Ok(Playback {
            base: scenario.clone(),
            sim: Sim::new(scenario)?,
            changes: Vec::new(),
            next_change: 0,
            checkpoints: Checkpoints::new(),
            recording: Recording::default(),
            recorder: None,
            seek: None,
            reached: SimTime(0),
            replays: 0,
            path_every: 1,
            paths_lead: SimDuration::ZERO,
        })
    }

    /// The simulation shown (during a seek: the one the seek started from).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The scenario the run was built from, before any live change.
    pub fn base(&self) -> &Scenario {
        &self.base
    }

    /// The recorded live changes, in time order.
    pub fn changes(&self) -> &[LiveChange] {
        &self.changes
    }

    /// The copies kept to seek from.
    pub fn checkpoints(&self) -> &Checkpoints {
        &self.checkpoints
    }

    /// What the run showed, frame by frame.
    pub fn recording(&self) -> &Recording {
        &self.recording
    }

    /// Records a frame made by `recorder` at every multiple of the recording's spacing that
    /// the run passes from now on (while playing and while seeking).
    pub fn set_recorder(&mut self, recorder: Recorder) {
        self.recorder = Some(recorder);
    }

    /// The furthest simulated time reached in this run.
    pub fn reached(&self) -> SimTime {
        self.reached.max(self.sim.now())
    }

    /// Bumped whenever recorded changes were replayed (a seek arrived, or play passed one).
    pub fn replays(&self) -> u32 {
        self.replays
    }

    /// Records one request in `every` for drawing (the run itself does not change).
    pub fn set_path_sample_every(&mut self, every: u64) {
        self.path_every = every;
        self.sim.set_path_sample_every(every);
    }

    /// A seek's re-run records paths for drawing (one request in the number given to
    /// [`Playback::set_path_sample_every`]) over the last `lead` of simulated time before its
    /// target, so that the dots are there when it arrives; before that it records none.
    /// Sampling does not change the run.
    pub fn set_paths_lead(&mut self, lead: SimDuration) {
        self.paths_lead = lead;
    }

    /// Applies a live change now and records it; forgets the recorded changes later than now
    /// (after a seek back, the user is rewriting that future) and stops a seek. A change
    /// naming a component this run lacks is recorded and does nothing.
    pub fn record(&mut self, action: LiveAction) {
        self.seek = None;
        self.changes.truncate(self.next_change);
        self.checkpoints
            .invalidate(self.sim.now(), self.next_change);
        self.recording.invalidate(self.sim.now());
        let change = LiveChange {
            at_ns: self.sim.now().as_nanos(),
            action,
        };
        let _ = live::apply(&mut self.sim, &change.action);
        self.changes.push(change);
        self.next_change = self.changes.len();
    }

    /// Takes over changes recorded elsewhere (a link's), to be applied as their times come.
    /// Call on a fresh run.
    pub fn set_recorded(&mut self, changes: &[LiveChange]) {
        self.changes = changes.to_vec();
        self.next_change = 0;
        self.checkpoints.clear();
        self.recording.clear();
    }

    /// Plays towards `target`, processing at most `budget` events, replaying recorded changes
    /// and offering checkpoints on the way. Does nothing while a seek is under way. Returns the
    /// events processed.
    pub fn play(&mut self, target: SimTime, budget: u64) -> u64 {
        if self.seek.is_some() {
            return 0;
        }
        let before = self.next_change;
        let done = advance_keeping(
            &mut self.sim,
            &self.changes,
            &mut self.next_change,
            target,
            budget,
            &mut Keep {
                checkpoints: &mut self.checkpoints,
                recording: &mut self.recording,
                recorder: self.recorder.as_mut(),
            },
        );
        if self.next_change > before {
            self.replays = self.replays.wrapping_add(1);
        }
        self.reached = self.reached.max(self.sim.now());
        done
    }

    /// Starts going to `target`: forward by running on, back by re-running from the latest
    /// checkpoint at or before it (or from 0) with the recorded changes replayed at their
    /// times; forward too from a checkpoint past now. [`Playback::seek_step`] does the work.
    pub fn seek(&mut self, target: SimTime) {
        let now = self.sim.now();
        if let Some(seek) = &mut self.seek {
            let at = seek.fresh.as_ref().map_or(now, |(s, _)| s.now());
            if at <= target {
                seek.target = target;
                return;
            }
        }
        let restored = self
            .checkpoints
            .restore(target)
            .filter(|(copy, _)| target < now || copy.now() > now);
        let fresh = if let Some((mut copy, next)) = restored {
            // A re-run records paths only near its target (sampling does not change the run).
            copy.set_path_sample_every(u64::MAX);
            Some((copy, next))
        } else if target >= now {
            None
        } else {
            let Ok(mut sim) = Sim::new(&self.base) else {
                return;
            };
            sim.set_path_sample_every(u64::MAX);
            Some((sim, 0))
        };
        let from = fresh.as_ref().map_or(now, |(s, _)| s.now());
        self.seek = Some(Seek {
            fresh,
            target,
            from,
        });
    }

    /// Works on the seek under way, at most `budget` events; returns true when it has arrived
    /// (or none was under way): the simulation shown is then the one at the target. A re-run
    /// records paths for drawing only over its last [`Playback::set_paths_lead`] before the
    /// target.
    pub fn seek_step(&mut self, budget: u64) -> bool {
        let Some(seek) = &mut self.seek else {
            return true;
        };
        let mut keep = Keep {
            checkpoints: &mut self.checkpoints,
            recording: &mut self.recording,
            recorder: self.recorder.as_mut(),
        };
        let target = seek.target;
        let mut left = budget;
        if let Some((sim, next)) = &mut seek.fresh {
            // Up to where the dots' paths begin to count without them, the rest with them
            // (the target moves on while play goes through the recorded frames).
            let paths_from = target.minus(self.paths_lead);
            if sim.now() < paths_from {
                sim.set_path_sample_every(u64::MAX);
                let done = advance_keeping(sim, &self.changes, next, paths_from, left, &mut keep);
                left = left.saturating_sub(done);
                if sim.now() < paths_from {
                    return false;
                }
            }
            sim.set_path_sample_every(self.path_every);
        }
        let (sim, next) = match &mut seek.fresh {
            Some((sim, next)) => (sim, next),
            None => (&mut self.sim, &mut self.next_change),
        };
        advance_keeping(sim, &self.changes, next, target, left, &mut keep);
        if sim.now() < target {
            return false;
        }
        if let Some(Seek {
            fresh: Some((mut sim, next)),
            ..
        }) = self.seek.take()
        {
            sim.set_path_sample_every(self.path_every);
            self.sim = sim;
            self.next_change = next;
        }
        self.replays = self.replays.wrapping_add(1);
        self.reached = self.reached.max(self.sim.now());
        true
    }

    /// The seek under way, if any.
    pub fn seeking(&self) -> Option<SeekProgress> {
        let seek = self.seek.as_ref()?;
        let now = seek.fresh.as_ref().map_or(self.sim.now(), |(s, _)| s.now());
        let span = seek.target.0.saturating_sub(seek.from.0).max(1) as f64;
        Some(SeekProgress {
            target: seek.target,
            done: (now.0.saturating_sub(seek.from.0) as f64 / span).clamp(0.0, 1.0),
            from: seek.from,
            at: now,
        })
    }
}

/// Advances `sim` towards `target`, applying the recorded changes from `changes[*next..]` when
/// their time comes; processes at most `budget` events. Returns the events processed.
fn advance(
    sim: &mut Sim,
    changes: &[LiveChange],
    next: &mut usize,
    target: SimTime,
    budget: u64,
) -> u64 {
    let mut done = 0;
    loop {
        // Changes made at the same moment are applied together, as they were live.
        while let Some(change) = changes.get(*next) {
            if SimTime(change.at_ns) > sim.now() {
                break;
            }
            // A name that no longer resolves is skipped: the link's run differs from the
            // sender's, and the replay goes on without it.
            let _ = live::apply(sim, &change.action);
            *next += 1;
        }
        let stop = changes
            .get(*next)
            .map_or(target, |c| SimTime(c.at_ns).min(target));
        let left = budget.saturating_sub(done);
        if left == 0 {
            return done;
        }
        done += sim.advance_to(stop, left);
        if sim.now() < stop || stop >= target {
            return done;
        }
    }
}

/// What [`advance_keeping`] keeps on the way.
struct Keep<'a> {
    checkpoints: &'a mut Checkpoints,
    recording: &'a mut Recording,
    recorder: Option<&'a mut Recorder>,
}

/// Like [`advance`], but stops at each checkpoint and frame due on the way and offers the
/// simulation there (it lies on the recorded timeline).
fn advance_keeping(
    sim: &mut Sim,
    changes: &[LiveChange],
    next: &mut usize,
    target: SimTime,
    budget: u64,
    keep: &mut Keep,
) -> u64 {
    let mut done = 0;
    loop {
        let left = budget.saturating_sub(done);
        let due = keep.checkpoints.due(sim.now());
        let frame_due = if keep.recorder.is_some() {
            keep.recording.due(sim.now())
        } else {
            SimTime(u64::MAX)
        };
        let stop = due.min(frame_due);
        let processed = advance(sim, changes, next, stop.min(target), left);
        done += processed;
        // Stopped on time, not on the budget: every event up to `stop` is processed.
        if processed < left && sim.now() == stop {
            if stop == due {
                keep.checkpoints.offer(sim, *next);
            }
            if let Some(recorder) = keep.recorder.as_mut() {
                if keep.recording.wants(stop) {
                    let frame = recorder(sim);
                    keep.recording.insert(stop, frame);
                }
            }
        }
        if processed >= left || sim.now() >= target {
            return done;
        }
    }
}
