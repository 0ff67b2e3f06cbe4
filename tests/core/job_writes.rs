//! Queue workers writing each job's result to the database (`queue.job_writes_to_db`, the
//! graph's `workers → db` wire): the queue turns a burst of writes into a steady stream the
//! database can take, and a failed write sends its job back to the queue.

use crate::helpers::{assert_conserved, fault, run};
use scalesim::scenario::topology::{Edge, Flow};
use scalesim::scenario::{decode, decode_link, encode, encode_graph, preset, Dist, Profile};
use scalesim::scenario::{Scenario, Shape};
use scalesim::sim::{QueueReport, Report};

/// Stage 8 for `duration_s`, without its faults: `workers` workers (no autoscaler) whose jobs
/// take a constant 50 ms, a fifth of the users' writes (400/s) publishing one (80 jobs/s),
/// each job writing its result to the database.
fn writing_workers(workers: u32, duration_s: u32) -> Scenario {
    let mut s = preset(8).expect("stage 8");
    s.duration_s = duration_s;
    s.faults.clear();
    let q = s.queue.as_mut().expect("a queue");
    q.jobs_per_write = 0.2;
    q.workers = workers;
    q.autoscale = None;
    q.job = Dist {
        shape: Shape::Constant,
        mean_ms: 50.0,
        cv: 1.0,
    };
    q.job_writes_to_db = true;
    s
}

/// published = done + queued + in progress, every job done wrote once, nothing under way
/// is unaccounted for.
fn jobs_conserved(q: &QueueReport) {
    assert_eq!(
        q.published,
        q.done + u64::from(q.queued) + u64::from(q.in_progress),
        "{q:?}"
    );
    let w = q.writes.as_ref().expect("the queue reports its writes");
    assert_eq!(w.committed, q.done, "{q:?}");
    assert!(w.in_flight <= q.in_progress, "{q:?}");
}

fn total_writes_committed(r: &Report) -> u64 {
    r.series.iter().map(|p| p.writes_committed).sum()
}

#[test]
fn the_queue_smooths_a_burst_of_writes_into_what_the_workers_can_write() {
    // A ×4 spike of users from 20 to 30 s: 320 jobs/s published against 8 workers that
    // finish at most one job per 50 ms each (160/s), plus the write's own time.
    let mut s = writing_workers(8, 75);
    s.traffic.profile = Profile::Spike {
        at_s: 20.0,
        duration_s: 10.0,
        factor: 4.0,
    };
    let r = run(&s);
    assert_conserved(&r);
    let q = r.queue.as_ref().expect("a queue");
    jobs_conserved(q);
    // Each second: the jobs published (the backlog's growth plus the jobs done, give or take
    // the eight in the workers' hands) and the workers' writes to the database (one per job
    // done, committed in that second).
    let mut published_max = 0;
    let mut written_max = 0;
    let mut saturated = Vec::new();
    for pair in r.series.windows(2) {
        let (before, now) = (&pair[0], &pair[1]);
        let published =
            i64::from(now.queue_depth) - i64::from(before.queue_depth) + now.jobs_done as i64;
        published_max = published_max.max(published);
        written_max = written_max.max(now.jobs_done);
        // The database commits them as it commits the users' writes.
        assert!(now.writes_committed >= now.jobs_done, "{now:?}");
        if before.queue_depth > 100 && now.queue_depth > 100 {
            saturated.push(now.jobs_done);
        }
    }
    // 8 workers × (1 + 1000 ms / 50 ms) is the most a second can hold.
    let cap = 8 * 21;
    assert!(written_max <= cap, "{written_max} writes in a second");
    assert!(
        published_max >= 250,
        "the spike publishes {published_max} jobs in its busiest second"
    );
    // While the backlog lasts the workers write as fast as they can: 8 ÷ (50 ms + the
    // write's round trip and service) ≈ 135 a second, not the 320 published.
    assert!(saturated.len() >= 10, "backlog seconds {saturated:?}");
    assert!(
        saturated.iter().all(|&n| (100..=cap).contains(&n)),
        "{saturated:?}"
    );
    // The backlog drains after the spike.
    assert!(r.series.last().unwrap().queue_depth < 50);
    // The database's commits include the workers' writes: the same run without them commits
    // about that many fewer (the users' writes alone).
    let mut without = s.clone();
    without.queue.as_mut().unwrap().job_writes_to_db = false;
    let plain = run(&without);
    assert!(plain.queue.as_ref().unwrap().writes.is_none());
    let extra = total_writes_committed(&r) as f64 - total_writes_committed(&plain) as f64;
    let committed = q.writes.as_ref().unwrap().committed as f64;
    assert!(
        (extra - committed).abs() < 0.1 * committed,
        "{extra} more commits, {committed} job writes"
    );
}

#[test]
fn a_dead_database_makes_jobs_redeliver_and_none_is_lost() {
    // One database node (no replica to promote) dead from 20 to 30 s, and the workers dead
    // from 40 to 45 s while writes are under way; 90 s in all.
    let mut s = writing_workers(16, 90);
    s.database.as_mut().unwrap().replicas = 0;
    s.faults = vec![fault("db-0", 20.0, 10.0), fault("workers", 40.0, 5.0)];
    let r = run(&s);
    assert_conserved(&r);
    let q = r.queue.as_ref().expect("a queue");
    jobs_conserved(q);
    let w = q.writes.as_ref().unwrap();
    // Every job done in the outage's ten seconds would have written; their writes failed
    // and their jobs went back to the queue, each delivered again.
    assert!(w.failed > 100, "{q:?}");
    assert!(q.redelivered > w.failed, "{q:?}");
    let done_at = |t: f64| {
        (r.series.iter().find(|p| (p.t_s - t).abs() < 1e-9))
            .unwrap()
            .jobs_done
    };
    assert_eq!(
        done_at(25.0),
        0,
        "no job is done while its write cannot commit"
    );
    assert!(done_at(40.0) > 0);
    // Nothing is lost: the backlog drains once the database and the workers are back, and
    // every job published is done but the few in the workers' hands at the end.
    assert!(r.series.last().unwrap().queue_depth < 50, "{q:?}");
    assert!(q.done + 16 >= q.published && q.done > 5000, "{q:?}");
}

#[test]
fn workers_writing_to_the_database_lower_and_round_trip() {
    // Stage 8: `workers → db`; stage 10: `workers → shards`, the router in front of it.
    for (stage, to) in [(8, "db"), (10, "shards")] {
        let mut s = preset(stage).expect("a preset");
        s.queue.as_mut().unwrap().job_writes_to_db = true;
        let file = s.topology_file();
        let wires: Vec<&Edge> = (file.topology.edges.iter())
            .filter(|e| e.from == "workers")
            .collect();
        assert_eq!(wires.len(), 1, "stage {stage}");
        assert_eq!(
            (wires[0].to.as_str(), &wires[0].flows[..]),
            (to, &[Flow::Job][..])
        );
        assert_eq!(file.lower().expect("lowers"), s, "stage {stage}");
        assert_eq!(Scenario::from_json(&s.to_json_pretty()).expect("reads"), s);
        assert_eq!(decode(&encode(&s)).expect("a v1 link"), s);
        let link = decode_link(&encode_graph(&file, &[], None)).expect("a v2 link");
        assert_eq!(link.scenario, s);
        // Without the wire, the very preset.
        let mut file = file;
        file.topology.edges.retain(|e| e.from != "workers");
        assert_eq!(file.lower().expect("lowers"), preset(stage).unwrap());
    }
    // The field as a link writes it.
    let mut s = preset(8).unwrap();
    s.queue.as_mut().unwrap().job_writes_to_db = true;
    assert!(
        encode(&s).contains("queue.job_writes_to_db=true"),
        "{}",
        encode(&s)
    );
}

#[test]
fn workers_writing_elsewhere_are_refused_with_one_message() {
    // Stage 10: straight to the database its router shards.
    let mut file = preset(10).unwrap().topology_file();
    file.topology.edges.push(Edge {
        from: "workers".into(),
        to: "db".into(),
        flows: vec![Flow::Job],
    });
    let e = file.lower().expect_err("refused").to_string();
    assert_eq!(e.trim().lines().count(), 1, "{e}");
    assert!(
        e.contains("workers `workers` write their jobs to `db`")
            && e.contains("wire the workers to the shard router `shards` in front of it"),
        "{e}"
    );
    // Not a data store.
    let file = preset(8).unwrap().topology_file();
    let wrong = file.topology.can_connect("workers", "sessions", Flow::Job);
    assert!(wrong.is_err());
    assert!(file
        .topology
        .can_connect("workers", "db", Flow::Job)
        .is_ok());
    // Two next stops.
    let mut file = preset(10).unwrap().topology_file();
    for to in ["db", "shards"] {
        file.topology.edges.push(Edge {
            from: "workers".into(),
            to: to.into(),
            flows: vec![Flow::Job],
        });
    }
    let e = file.lower().expect_err("refused").to_string();
    assert!(e.contains("has one next stop for them"), "{e}");
    // The stage-based form without a database.
    let mut s = preset(8).unwrap();
    s.database = None;
    s.queue.as_mut().unwrap().job_writes_to_db = true;
    let e = s.validate().expect_err("refused").to_string();
    assert!(e.contains("queue.job_writes_to_db"), "{e}");
}

#[test]
fn the_workers_writes_stay_out_of_the_web_tiers_breaker() {
    // The web tier's breaker (5 failed calls in a row open it) and a backlog of jobs: the
    // workers are dead for the first 30 s, then no user arrives from 30 s on, so from then
    // the only database calls are the workers' writes. From 35 to 50 s the database answers
    // half of what reaches it with an error: only the workers' writes meet those errors.
    let mut s = writing_workers(16, 60);
    s.server.breaker = Some(scalesim::scenario::Breaker {
        failures: 5,
        slow_call_ms: 200.0,
        open_ms: 2000.0,
        probes: 1,
    });
    s.traffic.profile = Profile::Spike {
        at_s: 30.0,
        duration_s: 30.0,
        factor: 0.0,
    };
    s.faults = vec![
        fault("workers", 0.0, 30.0),
        scalesim::scenario::Fault::errors("db-0", 0.5, 35.0, 15.0),
    ];
    let r = run(&s);
    assert_conserved(&r);
    let q = r.queue.as_ref().expect("a queue");
    jobs_conserved(q);
    let w = q.writes.as_ref().unwrap();
    // The errors did reach the workers' writes, many more than five in a row...
    assert!(w.failed > 100, "{q:?}");
    // ...and the web tier's breaker, which guards the web servers' calls, saw none of them.
    let b = r.breaker.as_ref().expect("a breaker section");
    assert_eq!((b.trips, b.refused), (0, 0), "{b:?}");
    assert_eq!(b.state, scalesim::sim::BreakerState::Closed);
}
