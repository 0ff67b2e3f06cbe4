//! Time travel in the core ([`Playback`]): live changes recorded with their times, checkpoints,
//! and seeks back and forward arrive at the run that was played (the same report digest) and
//! replay the recorded changes on the way.

use scalesim::scenario::{preset, LiveAction, Scenario};
use scalesim::sim::{live, Frame, Playback, SimDuration, SimTime};

/// Plays to `t` in frames of 0.7 simulated seconds and a few thousand events, as the app does.
fn play_to(playback: &mut Playback, t: SimTime) {
    while playback.sim().now() < t {
        let frame = playback
            .sim()
            .now()
            .plus(SimDuration::from_millis_f64(700.0))
            .min(t);
        playback.play(frame, 7_919);
    }
}

/// Finishes a seek in slices of `budget` events; returns the slices taken.
fn finish_seek(playback: &mut Playback, budget: u64) -> u32 {
    let mut slices = 1;
    while !playback.seek_step(budget) {
        slices += 1;
        assert!(slices < 1_000_000, "the seek does not arrive");
    }
    slices
}

fn scenario() -> Scenario {
    let mut s = preset(4).unwrap();
    s.duration_s = 90;
    s
}

/// The run with `db-0` killed at 20 s and 3,000 users from 41 s, played straight through.
fn played() -> (Playback, String) {
    let mut playback = Playback::new(&scenario()).unwrap();
    play_to(&mut playback, SimTime::from_secs(20));
    playback.record(LiveAction::Kill("db-0".into()));
    play_to(&mut playback, SimTime::from_secs(41));
    playback.record(LiveAction::Users(3_000));
    play_to(&mut playback, SimTime::from_secs(90));
    let digest = playback.sim().report().digest;
    (playback, digest)
}

#[test]
fn the_played_run_equals_the_replay_of_its_recorded_changes() {
    let (playback, digest) = played();
    assert_eq!(playback.changes().len(), 2);
    assert_eq!(playback.changes()[0].at_ns, 20_000_000_000);
    let replayed = live::replay(&scenario(), playback.changes(), SimTime::from_secs(90)).unwrap();
    assert_eq!(replayed.report().digest, digest);
    // Copies were kept on the way (5 s apart at first; a 90-s run keeps them all).
    assert!(
        playback.checkpoints().len() >= 10,
        "{}",
        playback.checkpoints().len()
    );
}

#[test]
fn a_seek_back_from_a_checkpoint_replays_the_later_changes() {
    let (mut playback, digest) = played();
    let replays = playback.replays();
    // Back to 12.3 s: from the copy at 10 s, before both changes.
    playback.seek(SimTime::from_millis_f64(12_300.0));
    let progress = playback.seeking().expect("a seek back is under way");
    assert_eq!(progress.target, SimTime::from_millis_f64(12_300.0));
    finish_seek(&mut playback, 5_000);
    assert!(playback.seeking().is_none());
    assert_eq!(playback.sim().now(), SimTime::from_millis_f64(12_300.0));
    assert!(playback.replays() > replays);
    // The user count is the scenario's again: the change at 41 s is still to come.
    assert_eq!(
        playback.sim().scenario().traffic.users,
        scenario().traffic.users
    );
    // Played on, both recorded changes are replayed at their times: the same run.
    play_to(&mut playback, SimTime::from_secs(90));
    assert_eq!(playback.sim().scenario().traffic.users, 3_000);
    assert_eq!(playback.sim().report().digest, digest);
    // The furthest time reached is remembered across the seek.
    assert_eq!(playback.reached(), SimTime::from_secs(90));
}

#[test]
fn a_seek_without_checkpoints_reruns_from_0_and_a_seek_forward_runs_on() {
    let (played, digest) = played();
    // A fresh run told the same changes (as a link does) has no copies yet.
    let mut playback = Playback::new(&scenario()).unwrap();
    playback.set_recorded(played.changes());
    playback.seek(SimTime::from_secs(60));
    assert_eq!(playback.seeking().unwrap().done, 0.0);
    finish_seek(&mut playback, 20_000);
    assert_eq!(playback.sim().now(), SimTime::from_secs(60));
    // Forward seeks kept copies on the way; back to 30 s starts from one of them.
    assert!(playback
        .checkpoints()
        .times()
        .any(|t| t <= SimTime::from_secs(30)));
    playback.seek(SimTime::from_secs(30));
    finish_seek(&mut playback, 20_000);
    assert_eq!(playback.sim().now(), SimTime::from_secs(30));
    playback.seek(SimTime::from_secs(90));
    finish_seek(&mut playback, 20_000);
    assert_eq!(playback.sim().report().digest, digest);
}

#[test]
fn a_change_after_a_seek_back_rewrites_the_future() {
    let (mut playback, digest) = played();
    playback.seek(SimTime::from_secs(30));
    finish_seek(&mut playback, 1_000_000);
    // The kill at 20 s stays; the users at 41 s are forgotten, and so are the copies after 30 s.
    playback.record(LiveAction::Users(1_000));
    assert_eq!(playback.changes().len(), 2);
    assert_eq!(playback.changes()[1].at_ns, 30_000_000_000);
    assert!(playback
        .checkpoints()
        .times()
        .all(|t| t <= SimTime::from_secs(30)));
    play_to(&mut playback, SimTime::from_secs(90));
    assert_eq!(playback.sim().scenario().traffic.users, 1_000);
    assert_ne!(playback.sim().report().digest, digest);
    let replayed = live::replay(&scenario(), playback.changes(), SimTime::from_secs(90)).unwrap();
    assert_eq!(replayed.report().digest, playback.sim().report().digest);
}

/// The recorder of these tests: the simulation's snapshot and its diagnosis, as JSON, with the
/// completed requests kept as a number.
fn snapshot_frame(sim: &scalesim::sim::Sim) -> Frame {
    let snap = sim.snapshot();
    let body = serde_json::to_vec(&(&snap, sim.verdict(), sim.alerts())).unwrap();
    Frame {
        body: body.into(),
        numbers: vec![snap.requests_completed as f64].into(),
    }
}

/// [`played`], recording a frame every half second.
fn played_recording() -> Playback {
    let mut playback = Playback::new(&scenario()).unwrap();
    playback.set_recorder(Box::new(snapshot_frame));
    play_to(&mut playback, SimTime::from_secs(20));
    playback.record(LiveAction::Kill("db-0".into()));
    play_to(&mut playback, SimTime::from_secs(41));
    playback.record(LiveAction::Users(3_000));
    play_to(&mut playback, SimTime::from_secs(90));
    playback
}

/// What the engine shows when a fresh run of the same scenario and changes arrives at `t`.
fn arrived_at(changes: &[scalesim::scenario::LiveChange], t: SimTime) -> Frame {
    let mut fresh = Playback::new(&scenario()).unwrap();
    fresh.set_recorded(changes);
    fresh.seek(t);
    finish_seek(&mut fresh, 3_001);
    assert_eq!(fresh.sim().now(), t);
    snapshot_frame(fresh.sim())
}

#[test]
fn the_recorded_frames_equal_what_a_fresh_run_shows_there() {
    let mut playback = played_recording();
    let (_, digest) = played();
    // Recording does not change the run.
    assert_eq!(playback.sim().report().digest, digest);
    let recording = playback.recording();
    // Every half second of the 90 s, 0 excluded.
    assert_eq!(recording.len(), 180);
    assert_eq!(recording.last(), Some(SimTime::from_secs(90)));
    assert!(recording.bytes() > 180 * 100, "{}", recording.bytes());
    // Before and at the changes' instants (a frame is what was shown before the change made
    // then), between them, and after both.
    for ms in [
        500, 19_500, 20_000, 20_500, 33_000, 41_000, 41_500, 77_000, 90_000,
    ] {
        let t = SimTime::from_millis_f64(f64::from(ms));
        let (at, frame) = recording.at_or_before(t).unwrap();
        assert_eq!(at, t);
        assert_eq!(
            *frame,
            arrived_at(playback.changes(), t),
            "frame at {ms} ms"
        );
    }
    // A seek back re-records nothing (the frames are there) and arrives at what was shown.
    let before = playback.recording().clone();
    playback.seek(SimTime::from_secs(30));
    finish_seek(&mut playback, 5_000);
    assert_eq!(playback.recording().len(), before.len());
    let (_, shown) = before.at_or_before(SimTime::from_secs(30)).unwrap();
    assert_eq!(*shown, snapshot_frame(playback.sim()));
    // A change there forgets the later frames; playing on records the new future.
    playback.record(LiveAction::Users(1_000));
    assert_eq!(playback.recording().last(), Some(SimTime::from_secs(30)));
    play_to(&mut playback, SimTime::from_secs(45));
    let (at, frame) = playback
        .recording()
        .at_or_before(SimTime::from_secs(45))
        .unwrap();
    assert_eq!(at, SimTime::from_secs(45));
    assert_eq!(*frame, arrived_at(playback.changes(), at));
    assert_ne!(
        frame,
        before.at_or_before(SimTime::from_secs(45)).unwrap().1,
        "1,000 users instead of the scenario's from 30 s show"
    );
}

/// A seek's re-run records the requests' paths for drawing over its last stretch before the
/// target (the dots' window), so they are there when it arrives, and none before that; the
/// run is the same either way. A seek whose target moves on meanwhile (play through the
/// recorded frames) samples near where it ends.
#[test]
fn a_seek_back_samples_paths_only_over_its_last_stretch_and_keeps_the_run() {
    let (mut playback, digest) = played();
    let lead = SimDuration::from_millis(800);
    playback.set_paths_lead(lead);
    let target = SimTime::from_millis_f64(33_300.0);
    playback.seek(target);
    let from = playback.seeking().expect("seeking").from;
    assert_eq!(from, SimTime::from_secs(30), "from the copy at 30 s");
    // The target moves on before it arrives, as play through the recorded frames does.
    assert!(!playback.seek_step(500));
    let target = SimTime::from_millis_f64(35_500.0);
    playback.seek(target);
    finish_seek(&mut playback, 997);
    assert_eq!(playback.sim().now(), target);
    let re_run: Vec<SimTime> = (playback.sim().recent_paths())
        .map(|p| p.start)
        .filter(|start| *start >= from)
        .collect();
    assert!(
        re_run.len() >= 20,
        "paths of the last {lead:?} are there on arrival: {}",
        re_run.len()
    );
    let first = *re_run.iter().min().expect("some");
    assert!(
        first >= target.minus(lead).minus(SimDuration::from_millis(50)),
        "none sampled long before the target: the first from {first:?}"
    );
    assert_eq!(
        playback.seeking(),
        None,
        "arrived, and the progress is gone"
    );
    play_to(&mut playback, SimTime::from_secs(90));
    assert_eq!(playback.sim().report().digest, digest, "the same run");
}
