//! Snapshots: a cloned [`Sim`] runs on exactly as the original would, and the two are
//! independent. The app's time travel keeps clones to seek back without re-running from 0.
//!
//! ```text
//!  0 ──── t1 ──── kill ──── end     uninterrupted run            ─▶ digest
//!         ├─ original ─ kill ── end                              ─▶ the same digest
//!         └─ clone ──── kill ── end                              ─▶ the same digest
//! ```

use scalesim::scenario::{preset, Scenario};
use scalesim::sim::{ComponentId, ComponentKind, Sim, SimDuration, SimTime};

/// When the clone is taken, when the component dies and when the run ends, in seconds.
const CLONE_AT_S: u64 = 12;
const KILL_AT_S: u64 = 20;
const END_S: u32 = 35;

fn scenario(stage: u8) -> Scenario {
    let mut s = preset(stage).unwrap();
    s.duration_s = END_S;
    if stage == 11 {
        // Ten million users would make each run take minutes.
        s.traffic.users = 200_000;
    }
    s
}

/// What the test kills: a data center in stage 11, otherwise the first database node.
fn victim(sim: &Sim) -> ComponentId {
    let kind = if sim.scenario().geo.is_some() {
        ComponentKind::DataCenter
    } else {
        ComponentKind::Database
    };
    sim.components()
        .iter()
        .find(|c| c.kind == kind)
        .map(|c| c.id)
        .expect("a component to kill")
}

/// Runs `sim` from where it is to the end, killing `kill` (if any) at [`KILL_AT_S`]; returns
/// the report's digest.
fn finish(mut sim: Sim, kill: Option<ComponentId>) -> String {
    if let Some(id) = kill {
        sim.advance_to(SimTime::from_secs(KILL_AT_S), u64::MAX);
        sim.kill(id);
    }
    sim.run().digest
}

fn check(stage: u8, with_kill: bool) {
    let s = scenario(stage);
    let fresh = Sim::new(&s).unwrap();
    let kill = with_kill.then(|| victim(&fresh));
    let whole = finish(fresh, kill);

    let mut original = Sim::new(&s).unwrap();
    original.advance_to(SimTime::from_secs(CLONE_AT_S), u64::MAX);
    let before = original.report().digest;
    let clone = original.clone();
    let from_clone = finish(clone, kill);
    assert_eq!(
        from_clone, whole,
        "stage {stage} (seed {}, kill {with_kill}): a clone taken at {CLONE_AT_S} s ran differently",
        s.seed
    );
    // The clone ran to the end; the original did not move.
    assert_eq!(original.now(), SimTime::from_secs(CLONE_AT_S));
    assert_eq!(
        original.report().digest,
        before,
        "stage {stage}: running the clone changed the original"
    );
    assert_eq!(
        finish(original, kill),
        whole,
        "stage {stage} (seed {}, kill {with_kill}): the original ran differently after cloning",
        s.seed
    );
}

#[test]
fn a_clone_of_stage_4_runs_on_like_the_original() {
    check(4, false);
    check(4, true);
}

#[test]
fn a_clone_of_stage_8_runs_on_like_the_original() {
    check(8, false);
    check(8, true);
}

#[test]
fn a_clone_of_stage_10_runs_on_like_the_original() {
    check(10, false);
    check(10, true);
}

#[test]
fn a_clone_of_stage_11_runs_on_like_the_original() {
    check(11, false);
    check(11, true);
}

#[test]
fn a_clone_taken_where_an_event_budget_ran_out_matches() {
    // The runner may clone a simulation that stopped on its event budget, between two events
    // at the same time or mid-way to a target: that clone must run on the same too.
    let s = scenario(10);
    let whole = Sim::new(&s).unwrap().run().digest;
    let mut sim = Sim::new(&s).unwrap();
    let end = SimTime::from_secs(END_S.into());
    assert_eq!(sim.advance_to(end, 123_457), 123_457);
    assert!(sim.now() < end);
    let clone = sim.clone();
    assert_eq!(clone.clone().run().digest, whole);
    assert_eq!(sim.run().digest, whole);
}

#[test]
fn checkpoints_stay_bounded_and_restore_the_same_run() {
    use scalesim::sim::checkpoints::MAX_CHECKPOINTS;
    use scalesim::sim::Checkpoints;
    let mut s = scenario(4);
    s.duration_s = 300;
    let whole = Sim::new(&s).unwrap().run().digest;
    let mut sim = Sim::new(&s).unwrap();
    let mut checkpoints = Checkpoints::new();
    // As the app plays: frames of 0.7 s, each stopping at the next checkpoint when it is due.
    let frame = SimDuration::from_millis_f64(700.0);
    while sim.now() < sim.end() {
        let target = sim.now().plus(frame).min(sim.end());
        while sim.now() < target {
            let stop = checkpoints.due(sim.now()).min(target);
            sim.advance_to(stop, u64::MAX);
            checkpoints.offer(&sim, 0);
        }
        assert!(checkpoints.len() <= MAX_CHECKPOINTS);
    }
    assert!(
        checkpoints.len() >= MAX_CHECKPOINTS / 2,
        "{}",
        checkpoints.len()
    );
    let every = checkpoints.every().as_nanos();
    assert!(checkpoints
        .times()
        .all(|t| t.as_nanos().is_multiple_of(every)));
    let (restored, next) = checkpoints.restore(SimTime::from_secs(150)).unwrap();
    assert_eq!(next, 0);
    assert!(restored.now() <= SimTime::from_secs(150));
    // Older copies lie up to twice `every` apart (they thin from the oldest end).
    assert!(restored.now().as_nanos() + 2 * every > SimTime::from_secs(150).as_nanos());
    assert_eq!(restored.clone().run().digest, whole, "seed {}", s.seed);
    // A change at 100 s forgets the copies after it.
    checkpoints.invalidate(SimTime::from_secs(100), 0);
    assert!(checkpoints.times().all(|t| t <= SimTime::from_secs(100)));
}

#[test]
fn checkpoints_thin_from_the_oldest_and_keep_the_budget_full() {
    use scalesim::sim::Checkpoints;
    let mut s = scenario(4);
    s.duration_s = 600;
    let whole = Sim::new(&s).unwrap().run().digest;
    let mut sim = Sim::new(&s).unwrap();
    // At most 12 copies: ten minutes at 5 s make 120 chances to take one.
    let mut checkpoints = Checkpoints::with_most(12);
    let mut fewest_once_full = usize::MAX;
    while sim.now() < sim.end() {
        let stop = checkpoints.due(sim.now()).min(sim.end());
        sim.advance_to(stop, u64::MAX);
        checkpoints.offer(&sim, 0);
        assert!(checkpoints.len() <= 12);
        if fewest_once_full != usize::MAX || checkpoints.len() == 12 {
            fewest_once_full = fewest_once_full.min(checkpoints.len());
        }
    }
    // Halving the copies at once would have left 6 or 7 from the first time it was full.
    assert!(
        fewest_once_full >= 11,
        "the copies fell to {fewest_once_full}"
    );
    let times: Vec<u64> = checkpoints.times().map(|t| t.as_nanos()).collect();
    let every = checkpoints.every().as_nanos();
    // On the first grid (5 s); none further apart than twice `every`; the older half of the
    // copies at least as far apart as the newer half.
    assert!(
        times.iter().all(|t| t.is_multiple_of(5_000_000_000)),
        "{times:?}"
    );
    assert!(
        times.windows(2).all(|w| w[1] - w[0] <= 2 * every),
        "{times:?}"
    );
    let half = times.len() / 2;
    assert!(
        times[half] - times[0] >= times[times.len() - 1] - times[times.len() - 1 - half],
        "not denser towards now: {times:?}"
    );
    // Every copy restores the same run.
    for t in [100, 299, 541] {
        let (mut restored, _) = checkpoints.restore(SimTime::from_secs(t)).unwrap();
        assert!(restored.now() <= SimTime::from_secs(t));
        assert!(restored.now().as_nanos() + 2 * every > SimTime::from_secs(t).as_nanos());
        assert_eq!(
            restored.run().digest,
            whole,
            "from {:?}",
            restored_time(&checkpoints, t)
        );
    }
}

fn restored_time(checkpoints: &scalesim::sim::Checkpoints, t: u64) -> Option<SimTime> {
    checkpoints
        .times()
        .filter(|c| *c <= SimTime::from_secs(t))
        .last()
}
