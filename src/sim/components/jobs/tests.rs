//! Tests of the queue alone: no engine, its events popped from a kernel of its own, the
//! stack's part (sending a job's write, hearing how it ended) played by hand.

use super::*;
use crate::scenario::Dist;
use crate::sim::components::built_in::BuiltInEventKind;
use crate::sim::kernel::run::Kernel;

fn spec() -> JobQueue {
    JobQueue {
        jobs_per_write: 1.0,
        max_depth: 3,
        workers: 2,
        job: Dist::exponential(100.0),
        autoscale: None,
        job_writes_to_db: false,
    }
}

/// Pops and handles the queue's events up to `until`.
fn run(q: &mut JobTier, kernel: &mut Kernel<(), BuiltInEvent>, until: SimTime) {
    while let Some((now, BuiltInEvent { part, event })) = kernel.events.pop_until(until) {
        kernel.now = now;
        assert_eq!(part, 0);
        let BuiltInEventKind::Queue(event) = event else {
            panic!("an event of another kind: {event:?}");
        };
        q.handle(
            event,
            &mut BuiltInCtx {
                kernel,
                stations: &mut [],
                me: 0,
            },
        );
    }
}

#[test]
fn a_full_queue_refuses_and_dead_workers_give_their_jobs_back_so_nothing_is_lost() {
    let mut q = JobTier::new(&spec());
    let mut kernel = Kernel::<(), BuiltInEvent>::new(7);
    let ctx = &mut BuiltInCtx {
        kernel: &mut kernel,
        stations: &mut [],
        me: 0,
    };
    let refused: Vec<Option<Outcome>> = (0..4).map(|_| q.write_committed(ctx)).collect();
    // Two workers take two jobs; one waits; the fourth finds the queue at its depth.
    let full = Some(Outcome::QueueFull);
    assert_eq!(refused, [None, None, None, full]);
    assert_eq!((q.in_progress(), q.depth(), q.rejected), (2, 1, 1));
    // The queue cannot be killed; the workers die before finishing: both jobs go back to
    // the queue.
    ctx.now = SimTime::from_millis_f64(1.0);
    assert_eq!(q.kill_member(QUEUE, ctx), None);
    let died = q.kill_member(WORKERS, ctx);
    assert_eq!(
        died.as_deref(),
        Some("; 2 jobs in progress go back to the queue (nothing is lost)")
    );
    assert!(q.member_alive(QUEUE) && !q.member_alive(WORKERS));
    assert_eq!((q.in_progress(), q.depth(), q.redelivered), (0, 3, 2));
    ctx.now = SimTime::from_millis_f64(2.0);
    assert!(q.repair_member(WORKERS, ctx).is_some());
    assert_eq!((q.in_progress(), q.depth()), (2, 1));
    // The completions scheduled before the death are ignored; every job ends done once.
    run(&mut q, &mut kernel, SimTime::from_secs(60));
    assert_eq!(
        (q.published, q.done, q.depth(), q.in_progress()),
        (3, 3, 0, 0)
    );
    assert_eq!(q.latency.count(), 3);
}

#[test]
fn a_writing_worker_waits_for_its_commit_and_a_failed_or_stale_write_changes_nothing_lost() {
    let mut q = JobTier::with_writes(&spec(), true);
    let mut kernel = Kernel::<(), BuiltInEvent>::new(7);
    let ctx = &mut BuiltInCtx {
        kernel: &mut kernel,
        stations: &mut [],
        me: 0,
    };
    assert_eq!(q.write_committed(ctx), None);
    assert_eq!(q.write_committed(ctx), None);
    run(&mut q, &mut kernel, SimTime::from_secs(60));
    // Both jobs are done with their workers, who wait for their writes.
    assert_eq!((q.done, q.in_progress(), q.writes_in_flight()), (0, 2, 2));
    let (a, b) = (q.next_write().unwrap(), q.next_write().unwrap());
    assert_eq!(q.next_write(), None);
    let (ra, rb) = (ReqRef { slot: 5, gen: 1 }, ReqRef { slot: 6, gen: 1 });
    q.write_sent(a, ra);
    q.write_sent(b, rb);
    let ctx = &mut BuiltInCtx {
        kernel: &mut kernel,
        stations: &mut [],
        me: 0,
    };
    // A write that is not the job's changes nothing; the first commits: done.
    q.write_ended(a, ReqRef { slot: 5, gen: 2 }, true, ctx);
    assert_eq!(q.done, 0);
    q.write_ended(a, ra, true, ctx);
    assert_eq!((q.done, q.writes_committed, q.in_progress()), (1, 1, 1));
    // The second fails: its worker backs off for a second, holding the job, then gives it
    // back to the queue and a worker takes it again.
    let failed = ctx.now;
    q.write_ended(b, rb, false, ctx);
    assert_eq!((q.writes_failed, q.redelivered, q.in_progress()), (1, 1, 1));
    assert_eq!((q.writes_in_flight(), q.depth()), (0, 0));
    let before_back = failed.plus(WRITE_RETRY_BACKOFF).minus(SimDuration(1));
    run(&mut q, &mut kernel, before_back);
    assert_eq!((q.in_progress(), q.depth(), q.next_write()), (1, 0, None));
    // The workers die with it in hand: the job goes back, its write (sent or not) with it.
    run(&mut q, &mut kernel, SimTime::from_secs(120));
    let c = q.next_write().unwrap();
    let rc = ReqRef { slot: 7, gen: 1 };
    q.write_sent(c, rc);
    let ctx = &mut BuiltInCtx {
        kernel: &mut kernel,
        stations: &mut [],
        me: 0,
    };
    q.kill_member(WORKERS, ctx);
    q.write_ended(c, rc, true, ctx);
    assert_eq!((q.done, q.depth(), q.in_progress()), (1, 1, 0));
    assert_eq!(q.report().writes.map(|w| w.committed), Some(1));
    assert_eq!(q.published, q.done + u64::from(q.depth()));
    // The queue's figures in the snapshot (the app's inspector) count the writes as the
    // report does; a queue whose workers do not write lists none.
    let mut state = ComponentState::default();
    q.member_state(QUEUE, &mut state);
    let figures: Vec<(&str, f64)> = (state.figures.iter()).map(|f| (f.key, f.value)).collect();
    assert_eq!(
        figures,
        [
            ("job_writes_committed", 1.0),
            ("job_writes_failed", 1.0),
            ("job_writes_in_flight", 0.0)
        ]
    );
    let mut state = ComponentState::default();
    JobTier::with_writes(&spec(), false).member_state(QUEUE, &mut state);
    assert!(state.figures.is_empty());
}

#[test]
fn workers_that_die_backing_off_give_the_job_back_once() {
    let mut q = JobTier::with_writes(&spec(), true);
    let mut kernel = Kernel::<(), BuiltInEvent>::new(7);
    let ctx = &mut BuiltInCtx {
        kernel: &mut kernel,
        stations: &mut [],
        me: 0,
    };
    assert_eq!(q.write_committed(ctx), None);
    run(&mut q, &mut kernel, SimTime::from_secs(10));
    let a = q.next_write().unwrap();
    let ra = ReqRef { slot: 5, gen: 1 };
    q.write_sent(a, ra);
    let ctx = &mut BuiltInCtx {
        kernel: &mut kernel,
        stations: &mut [],
        me: 0,
    };
    q.write_ended(a, ra, false, ctx);
    assert_eq!((q.redelivered, q.in_progress(), q.depth()), (1, 1, 0));
    // Dead during the back-off: the job goes back now, counted once.
    q.kill_member(WORKERS, ctx);
    assert_eq!((q.redelivered, q.in_progress(), q.depth()), (1, 0, 1));
    // Back at 20 s, they take the job again; the back-off's end, still due, belongs to
    // the workers' earlier life and changes nothing.
    ctx.now = SimTime::from_secs(20);
    assert!(q.repair_member(WORKERS, ctx).is_some());
    assert_eq!((q.in_progress(), q.depth()), (1, 0));
    run(&mut q, &mut kernel, SimTime::from_secs(60));
    let b = q.next_write().unwrap();
    let rb = ReqRef { slot: 6, gen: 1 };
    q.write_sent(b, rb);
    let ctx = &mut BuiltInCtx {
        kernel: &mut kernel,
        stations: &mut [],
        me: 0,
    };
    q.write_ended(b, rb, true, ctx);
    assert_eq!((q.published, q.done, q.redelivered), (1, 1, 1));
    assert_eq!((q.writes_failed, q.writes_committed), (1, 1));
}
