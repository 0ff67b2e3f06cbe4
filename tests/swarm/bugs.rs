//! The smallest reproductions of the bugs the swarm found, one deterministic scenario each.
//! All are fixed; each fails if its bug comes back. The swarm checks the same invariants over
//! many seeds (its checkers have no switches: every check is always on).
//!
//! ```text
//!   cargo test --release --test swarm -- bugs:: --nocapture
//! ```

use crate::generator::{Action, Case, Step};
use scalesim::scenario::{preset, Dist, Fault, Profile, Scenario, Shape};
use scalesim::sim::{Sim, SimTime, Snapshot};

fn constant(mean_ms: f64) -> Dist {
    Dist {
        shape: Shape::Constant,
        mean_ms,
        cv: 1.0,
    }
}

/// One user sending one request a second, every lookup cached, no client delay.
fn quiet(mut s: Scenario) -> Scenario {
    s.traffic.users = 1;
    s.traffic.requests_per_user_per_s = 1.0;
    s.traffic.client_timeout_ms = 60_000.0;
    s.traffic.profile = Profile::Constant;
    s.dns.lookup_ms = 0.0;
    s.dns.ttl_s = 86_400;
    s.network.client_rtt_ms = 0.0;
    s.duration_s = 60;
    s.faults.clear();
    s
}

/// Steps 1 ms at a time until `cond` holds on a snapshot; returns it.
fn step_until(sim: &mut Sim, cond: impl Fn(&Sim, &Snapshot) -> bool) -> Snapshot {
    loop {
        let t = SimTime(sim.now().as_nanos() + 1_000_000);
        assert!(t < sim.end(), "the condition never held");
        sim.advance_to(t, u64::MAX);
        let snap = sim.snapshot();
        if cond(sim, &snap) {
            return snap;
        }
    }
}

fn busy(sim: &Sim, snap: &Snapshot, name: &str) -> u32 {
    let id = sim.component_named(name).expect("component exists");
    snap.components[usize::from(id.0)].busy_workers
}

/// Swarm seeds 15, 33, 206 (`answer_via_dead_web`, fixed): the database answers, the web
/// server dies while the answer travels back to it (internal one-way 500 ms), and the user must
/// not get the answer. The engine used to complete a request when its last service ended and
/// only compute the return trip; now the answer reaching the web server is an event.
#[test]
fn answer_via_dead_web() {
    let mut s = quiet(preset(2).expect("stage 2"));
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.write = 0.0;
    s.traffic.mix.static_asset = 0.0;
    s.traffic.mix.api_read = 1.0;
    s.network.internal_rtt_ms = 1000.0;
    s.server.service.api_read = constant(1.0);
    let db = s.database.as_mut().expect("a database");
    db.read = constant(1.0);
    let mut sim = Sim::new(&s).expect("valid");
    step_until(&mut sim, |sim, snap| busy(sim, snap, "db-0") == 1);
    step_until(&mut sim, |sim, snap| busy(sim, snap, "db-0") == 0);
    // The answer is now on the wire back to web-0 for 500 ms (yet already counted as
    // completed: the engine counts it when the database finishes).
    sim.kill(sim.component_named("web-0").expect("web-0"));
    sim.advance_to(SimTime(sim.now().as_nanos() + 100_000_000), u64::MAX);
    let r = sim.report();
    assert_eq!(
        r.requests.completed, 0,
        "web-0 died before the database's answer reached it, yet the request was answered \
         (failed by reason: {:?})",
        r.requests.failed_by_reason
    );
}

/// Swarm seed 7 (`edge_dies_during_hit`, fixed): a CDN hit takes `hit_ms` (1 s here); the
/// edge dies during it, and the request must not be answered (it was counted as completed the
/// moment the hit started). A dead edge answers nothing; the client falls back to the origin.
#[test]
fn edge_dies_during_hit() {
    let mut s = quiet(preset(6).expect("stage 6"));
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.api_read = 0.0;
    s.traffic.mix.write = 0.0;
    s.traffic.mix.static_asset = 1.0;
    s.server.count = 1;
    let cdn = s.cdn.as_mut().expect("a CDN");
    cdn.objects = 1;
    cdn.hit_ms = 1000.0;
    cdn.edge_rtt_ms = 0.0;
    cdn.fallback_timeout_ms = 30_000.0;
    let mut sim = Sim::new(&s).expect("valid");
    let cdn_id = sim.component_named("cdn").expect("cdn");
    // The first request misses and fills the edge; wait for the first hit to start.
    let before = step_until(&mut sim, |_, snap| snap.requests_completed >= 1);
    step_until(&mut sim, |_, snap| {
        snap.components[usize::from(cdn_id.0)].hit_ratio > 0.0
    });
    sim.kill(cdn_id);
    sim.advance_to(SimTime(sim.now().as_nanos() + 900_000_000), u64::MAX);
    let after = sim.snapshot();
    assert_eq!(
        after.requests_completed, before.requests_completed,
        "the edge died during a 1 s hit, yet the hit was answered"
    );
}

/// Swarm seed 438 (`queue_over_depth`, fixed): with max_depth 1 the worker held a job and one
/// more waited; the workers died, their job went back to the queue, which then held 2 jobs of at
/// most 1. Now a job being worked on counts toward the depth (it is an unacknowledged message
/// still in the queue), so while the worker is busy nothing else is accepted, and the
/// redelivered job fits.
#[test]
fn queue_over_depth() {
    let mut s = quiet(preset(8).expect("stage 8"));
    s.traffic.requests_per_user_per_s = 5.0;
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.api_read = 0.0;
    s.traffic.mix.static_asset = 0.0;
    s.traffic.mix.write = 1.0;
    s.cdn = None;
    s.cache = None;
    s.autoscaling = None;
    let q = s.queue.as_mut().expect("a queue");
    q.jobs_per_write = 1.0;
    q.max_depth = 1;
    q.workers = 1;
    q.job = constant(30_000.0);
    q.autoscale = None;
    let mut sim = Sim::new(&s).expect("valid");
    step_until(&mut sim, |sim, snap| busy(sim, snap, "workers") == 1);
    // More writes come while the worker is busy; none of their jobs may be queued.
    let t = SimTime(sim.now().as_nanos() + 1_000_000_000);
    sim.advance_to(t, u64::MAX);
    sim.kill(sim.component_named("workers").expect("workers"));
    let snap = sim.snapshot();
    let queue = &snap.components[usize::from(sim.component_named("queue").expect("q").0)];
    assert!(
        queue.queue_len <= queue.queue_capacity,
        "the queue holds {} jobs, capacity {}",
        queue.queue_len,
        queue.queue_capacity
    );
}

/// Swarm seed 1741 (`geo_dns_dies_during_lookup`, fixed): stage 11, geoDNS dies while a
/// user's lookup is under way; the user must get no answer. The geo layer used to pick the data
/// center when the lookup started and hand the request over at once (the lookup only a delay),
/// so a death during it went unnoticed — the stage-1 bug `dns_dies_during_lookup` again in
/// front of several stacks. Now the request is handed over when the answer comes, and a death
/// in between fails it.
#[test]
fn geo_dns_dies_during_lookup() {
    let mut s = quiet(preset(11).expect("stage 11 has a preset"));
    s.dns.lookup_ms = 2_000.0;
    let mut sim = Sim::new(&s).expect("valid");
    let dns = sim.component_named("dns").expect("dns");
    step_until(&mut sim, |_, snap| snap.requests_total > 0);
    sim.kill(dns);
    sim.advance_to(
        SimTime::from_secs(sim.now().as_secs_f64() as u64 + 5),
        u64::MAX,
    );
    let snap = sim.snapshot();
    assert_eq!(
        snap.requests_completed, 0,
        "the first request was answered though geoDNS died during its lookup"
    );
}

/// Swarm seeds 500166, 500396, 500562, 503679, 503685 (fixed): the edge dies during a hit and
/// comes back before the hit's time is over. The client falls back to the origin and is
/// answered — but its path showed the edge working on the request over the whole hit, through
/// the outage. A dead edge does no work: the edge's hop ends when it died.
#[test]
fn edge_down_and_back_during_hit() {
    let mut s = quiet(preset(6).expect("stage 6"));
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.api_read = 0.0;
    s.traffic.mix.write = 0.0;
    s.traffic.mix.static_asset = 1.0;
    s.server.count = 1;
    let cdn = s.cdn.as_mut().expect("a CDN");
    cdn.objects = 1;
    cdn.hit_ms = 1000.0;
    cdn.edge_rtt_ms = 0.0;
    cdn.fallback_timeout_ms = 0.0;
    let mut sim = Sim::new(&s).expect("valid");
    sim.set_path_sample_every(1);
    let cdn_id = sim.component_named("cdn").expect("cdn");
    // The first request misses and fills the edge; wait for the first hit to start.
    step_until(&mut sim, |_, snap| snap.requests_completed >= 1);
    step_until(&mut sim, |_, snap| {
        snap.components[usize::from(cdn_id.0)].hit_ratio > 0.0
    });
    sim.advance_to(SimTime(sim.now().as_nanos() + 100_000_000), u64::MAX);
    let died = sim.now();
    sim.kill(cdn_id);
    sim.advance_to(SimTime(died.as_nanos() + 100_000_000), u64::MAX);
    let back = sim.now();
    sim.repair(cdn_id);
    // The hit would have ended about 800 ms later; the origin answers after that.
    sim.advance_to(SimTime(back.as_nanos() + 2_000_000_000), u64::MAX);
    let cut: Vec<_> = sim
        .recent_paths()
        .flat_map(|p| p.hops())
        .filter(|h| h.component == cdn_id && h.enter < died && h.leave > died)
        .map(|h| (h.enter, h.leave))
        .collect();
    assert!(
        cut.is_empty(),
        "the edge died at {died} and was back at {back}, yet a path shows it working \
         through its death: {cut:?}"
    );
    let fell_back = sim.recent_paths().any(|p| {
        p.hops()
            .iter()
            .any(|h| h.component == cdn_id && h.leave == died)
    });
    assert!(fell_back, "no path shows the hit cut at the edge's death");
}

/// Swarm seed 503189 (a checker bug, fixed): us-east is scheduled down at 2 s, a metrics tick
/// falls at 2 s too, and the user repairs us-east at 2 s. The engine handles the scheduled
/// fault and the tick inside `advance_to(2 s)` — so the tick's point says us-east is down —
/// and the live repair after it returns. The checker compared the point with the state after
/// everything at 2 s, the live repair included, and called the point wrong. A tick sees one
/// of the states its instant passes through before the live actions.
#[test]
fn geo_tick_between_scheduled_fault_and_live_repair() {
    let mut s = quiet(preset(11).expect("stage 11 has a preset"));
    s.duration_s = 4;
    s.metrics_interval_ms = 1000;
    s.faults = vec![Fault {
        target: "us-east".into(),
        at_s: 2.0,
        duration_s: 1.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    let case = Case {
        seed: 0,
        scenario: s,
        steps: vec![
            Step {
                at: SimTime::from_secs(2),
                actions: vec![Action::Repair("us-east".into())],
            },
            Step {
                at: SimTime::from_secs(4),
                actions: Vec::new(),
            },
        ],
        path_sample_every: 1,
    };
    if let Err(e) = crate::check_case(&case) {
        panic!("{e}");
    }
}

/// Swarm seed 3037580 (stage 10, fixed): with denormalised data every master's log holds
/// copies of other shards' writes next to its own. A failover counted every record in the
/// lost tail as a lost write, copies included, so the run "lost" more writes than it ever
/// committed. Here all four masters die at once, 4 s into a run whose replicas lag 3 s behind:
/// the lost tails hold about three quarters of the writes committed, and half as many copies
/// again, so counting the copies claimed more writes lost than committed.
#[test]
fn failover_counts_copies_as_lost_writes() {
    let mut s = preset(10).expect("stage 10");
    s.duration_s = 15;
    s.faults.clear();
    s.traffic.profile = Profile::Constant;
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.api_read = 0.0;
    s.traffic.mix.static_asset = 0.0;
    s.traffic.mix.write = 1.0;
    let shards = s.sharding.as_ref().expect("shards").shards;
    let sharding = s.sharding.as_mut().expect("shards");
    sharding.denormalise = Some(scalesim::scenario::Denormalise {
        write_factor: shards,
    });
    sharding.reshard = None;
    s.database
        .as_mut()
        .expect("a database")
        .replication
        .delay_ms = 3_000.0;
    let mut sim = Sim::new(&s).expect("valid");
    sim.advance_to(SimTime::from_secs(4), u64::MAX);
    for shard in 0..shards {
        let master = format!("shard-{shard}-db-0");
        sim.kill(sim.component_named(&master).expect("a master"));
    }
    // Detection (5 s) and promotion (3 s) later, each shard has a new master; stop just
    // after, before new writes pad the count of committed ones.
    sim.advance_to(SimTime::from_millis_f64(12_100.0), u64::MAX);
    let r = sim.report();
    let db = r.database.as_ref().expect("a database section");
    assert_eq!(
        db.failovers.len(),
        shards as usize,
        "every shard failed over"
    );
    assert!(db.writes_lost > 0, "replicas 3 s behind lose writes");
    assert!(
        db.writes_lost <= db.writes_committed,
        "{} writes lost of {} committed",
        db.writes_lost,
        db.writes_committed
    );
}

/// Swarm seed 3072802 (stage 5, fixed): an event budget can run out between two events due at
/// the same instant (a metrics tick and a health check at a whole second). The clock then
/// stood at that instant with work still waiting, so a caller stepping "until now ≥ t" acted
/// before it, and the diagnosis judged a half-finished interval: the run depended on how it
/// was watched. Stepped one event at a time, a run with kills at whole seconds must equal the
/// same run advanced in one go.
#[test]
fn budget_ends_inside_an_instant() {
    let mut s = preset(3).expect("stage 3");
    s.duration_s = 12;
    s.faults.clear();
    let run = |budget: u64| {
        let mut sim = Sim::new(&s).expect("valid");
        let web = sim.component_named("web-0").expect("web-0");
        for k in 1..12 {
            let t = SimTime::from_secs(k);
            while sim.now() < t {
                sim.advance_to(t, budget);
            }
            if k % 2 == 1 {
                sim.kill(web);
            } else {
                sim.repair(web);
            }
        }
        serde_json::to_string(&sim.report()).expect("a report serialises")
    };
    assert!(
        run(1) == run(u64::MAX),
        "stepping one event at a time changed the run"
    );
}

/// Swarm seed 18112265 (a checker bug, fixed): in one instant the user kills `us-east/web-0`
/// while us-east is down (nothing happens: it is down with its data center), repairs us-east
/// (every server of it comes back) and starts an undrained rolling deploy, whose first batch
/// stops `web-0` again. The checker learns a deploy's stops from the log, once each; it took
/// the stop for the live kill of the same server at the same instant, already on its
/// timeline, so it left the stop out and expected `web-0` up after the repair.
#[test]
fn deploy_stop_in_the_instant_of_a_live_kill_of_the_same_server() {
    let mut s = quiet(preset(11).expect("stage 11 has a preset"));
    s.duration_s = 4;
    s.faults.clear();
    s.deploy = None;
    let case = Case {
        seed: 0,
        scenario: s,
        steps: vec![
            Step {
                at: SimTime::from_secs(1),
                actions: vec![Action::Kill("us-east".into())],
            },
            Step {
                at: SimTime::from_secs(2),
                actions: vec![
                    Action::Kill("us-east/web-0".into()),
                    Action::Repair("us-east".into()),
                    Action::Live(scalesim::scenario::LiveAction::Deploy {
                        batch: 3,
                        drain: false,
                        pool: None,
                    }),
                ],
            },
            Step {
                at: SimTime::from_secs(4),
                actions: Vec::new(),
            },
        ],
        path_sample_every: 1,
    };
    if let Err(e) = crate::check_case(&case) {
        panic!("{e}");
    }
}

/// Swarm seed 19598219 (a checker bug, fixed): a static asset whose CDN edge is down goes to
/// the origin after the client's fallback timeout (0 here) and is answered straight to the
/// client, one edge leg in all. Its path — dns, cdn, limiter, lb, throttle, web-1, sessions,
/// lb — filled the eight hops a sample keeps, and the checker read a full list with one edge
/// hop as a miss whose second edge hop was cut off, so it asked for two edge legs (711 ms)
/// where the run took one (518 ms). A full list now asks for the lesser of the two.
#[test]
fn edge_fallback_with_a_full_hop_list() {
    if let Err(e) = crate::check_seed(19_598_219) {
        panic!("{e}");
    }
}

/// Swarm seed 19617976 (stage 9, fixed): the queue's workers write each job's result to the
/// database, their jobs take 1 µs, and the user kills the only master. With no live master a
/// write fails the instant it is sent, and the job went back to the queue at once: its worker
/// took it again, spent 1 µs on it and failed again, a million attempts a second per worker
/// while the outage lasted — five million events in 5 s for a few hundred jobs. Now a worker
/// whose write failed backs off for a second before it gives the job back. Here the workers
/// are dead for the first 3 s, so a backlog waits for them, and the database (no replica to
/// promote) is dead from 2.5 s to 5.5 s: they meet the dead master at 3 s with every job. The
/// internal network takes no time, so a write to the dead master fails the instant it is sent.
#[test]
fn job_writes_to_a_dead_database_back_off() {
    use scalesim::scenario::Fault;
    let mut s = quiet(preset(8).expect("stage 8"));
    s.duration_s = 8;
    s.network.internal_rtt_ms = 0.0;
    s.traffic.users = 4;
    s.traffic.mix.page_view = 0.0;
    s.traffic.mix.api_read = 0.0;
    s.traffic.mix.static_asset = 0.0;
    s.traffic.mix.write = 1.0;
    s.cdn = None;
    s.cache = None;
    s.autoscaling = None;
    s.database.as_mut().expect("a database").replicas = 0;
    let q = s.queue.as_mut().expect("a queue");
    q.jobs_per_write = 1.0;
    q.workers = 4;
    q.job = constant(0.001);
    q.autoscale = None;
    q.job_writes_to_db = true;
    s.faults = vec![
        Fault::down("workers", 0.0, 3.0),
        Fault::down("db-0", 2.5, 3.0),
    ];
    let mut sim = Sim::new(&s).expect("valid");
    // A million events is ample for about 100 requests and their jobs.
    sim.advance_to(sim.end(), 1_000_000);
    assert_eq!(
        sim.now(),
        sim.end(),
        "{} events by {}: the workers retry their writes without a pause",
        sim.events_processed(),
        sim.now()
    );
    let r = sim.report();
    let q = r.queue.as_ref().expect("a queue");
    let w = q.writes.as_ref().expect("the workers write");
    // 4 workers, 2.5 s of failing writes, one attempt a second each at most.
    assert!(
        (1..=12).contains(&w.failed),
        "{} failed writes in 2.5 s from 4 workers: {q:?}",
        w.failed
    );
    // Nothing is lost: once the master is back the backlog drains.
    assert!(q.done > 10 && q.queued == 0, "{q:?}");
}

/// Swarm seed 21001870 (stage 11, a checker bug, fixed): a rolling deploy started live at
/// 24.579999999 s finds eu-west down and waits for it; eu-west comes back at 24.58 s (its
/// scheduled repair brings every server back) and in that instant the deploy moves on to it
/// and stops web-0 and web-1. The checker ordered the stops it learned from the log among the
/// components' changes of the instant, before the data center's own repair, so the repair
/// brought web-0 back in its timeline while the run had it stopped. A deploy's stop or start
/// in the instant of its data center's scheduled change now follows that change.
#[test]
fn deploy_moves_on_to_a_data_center_in_the_instant_it_comes_back() {
    if let Err(e) = crate::check_seed(21_001_870) {
        panic!("{e}");
    }
}
