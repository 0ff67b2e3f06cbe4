//! Stage 11's data centers brought forward side by side on two threads (`Sim::set_threads`,
//! `scalesim run --threads`), with the world drawing each next span's requests beside them,
//! run the same simulation, byte for byte, as one after another: with a data-center outage,
//! a partition and a rolling deploy scheduled, with geoDNS's view changing right after spans
//! drawn ahead, with geoDNS down and split routing, with live changes from a link, and
//! through the command line.

use scalesim::scenario::{decode_link, preset, Deploy, Fault, FaultKind, GeoRouting, Scenario};
use scalesim::sim::{live, Report, Sim, SimTime};

/// Preset 11 with 200,000 users for 30 s: us-east down from 8 to 16 s, the network between
/// the data centers cut from 18 to 22 s, a drained rolling deploy from 3 s.
fn troubled() -> Scenario {
    let mut s = preset(11).unwrap();
    s.traffic.users = 200_000;
    s.duration_s = 30;
    s.faults = vec![
        Fault::down("us-east", 8.0, 8.0),
        Fault {
            kind: FaultKind::Partition,
            peer: Some("eu-west".into()),
            ..Fault::down("us-east", 18.0, 4.0)
        },
    ];
    s.deploy = Some(Deploy {
        at_s: Some(3.0),
        batch_size: 10,
        drain: true,
        drain_timeout_ms: 5_000.0,
        startup_s: 2.0,
        pool: None,
    });
    s
}

/// The report as JSON text: every field, the log and the series included.
fn text(r: &Report) -> String {
    serde_json::to_string(r).unwrap()
}

/// Runs `sim` to its end in the CLI's steps (a fifth of a second, not on metrics ticks).
fn run_in_steps(sim: &mut Sim) -> Report {
    let end = sim.end();
    let mut t = SimTime::ZERO;
    while t < end {
        t = SimTime::from_micros((t.as_micros() + 200_000).min(end.as_micros()));
        sim.advance_to(t, u64::MAX);
    }
    sim.report()
}

#[test]
fn two_threads_run_the_same_outage_partition_and_deploy() {
    let s = troubled();
    let one = Sim::new(&s).unwrap().run();
    let mut sim = Sim::new(&s).unwrap();
    sim.set_threads(2);
    let two = sim.run();
    assert_eq!(one.digest, two.digest);
    assert_eq!(text(&one), text(&two));
    // The run did what it was set up to do: an outage, a partition and two deploys.
    let log = |needle: &str| one.events.iter().any(|e| e.text.contains(needle));
    assert!(log("us-east down (scheduled fault)"), "{:?}", one.events);
    assert!(log("deploy moves on to eu-west"), "{:?}", one.events);
    let channels = &one.geo.as_ref().unwrap().replication;
    assert!(
        channels.iter().any(|c| c.max_waiting_cut.is_some()),
        "{channels:?}"
    );
    // And it ran side by side where both data centers had work, one after another while
    // us-east was down.
    let stats = sim.span_stats().unwrap();
    assert!(stats.side_by_side >= 15, "{stats:?}");
    assert!(stats.one_by_one >= 5, "{stats:?}");
    assert!(
        stats.events_busiest < stats.events_side_by_side,
        "{stats:?}"
    );
    // The next span was drawn beside the data centers in the spans no deploy was under way
    // in (the deploy goes on through both data centers for most of the run).
    assert!(stats.drawn_ahead >= 1, "{stats:?}");
    assert!(stats.events_drawn_ahead > 0, "{stats:?}");
}

/// Preset 11 with 200,000 users for 30 s, geoDNS checking every second: us-east down from 5
/// to 17 s, so geoDNS stops naming it at the third failed check (8 s) and names it again at
/// the third passed one (20 s). The checks before each of those (6, 7, 18, 19 s) cannot
/// change geoDNS's view, so the spans ending there draw the next span ahead; the ones that
/// can (8, 20 s) must not.
fn flipping() -> Scenario {
    let mut s = preset(11).unwrap();
    s.traffic.users = 200_000;
    s.duration_s = 30;
    s.geo.as_mut().unwrap().health_interval_ms = 1_000.0;
    s.faults = vec![Fault::down("us-east", 5.0, 12.0)];
    s
}

/// Runs `s` on one thread and on two; asserts the reports are the same text; returns the
/// one-thread report and the two-thread run's span figures.
fn same_on_two_threads(s: &Scenario) -> (Report, scalesim::sim::SpanStats) {
    let one = Sim::new(s).unwrap().run();
    let mut sim = Sim::new(s).unwrap();
    sim.set_threads(2);
    let two = sim.run();
    assert_eq!(one.digest, two.digest);
    assert_eq!(text(&one), text(&two));
    (one, sim.span_stats().unwrap())
}

#[test]
fn geodns_changing_its_view_right_after_spans_drawn_ahead_runs_the_same() {
    let (one, stats) = same_on_two_threads(&flipping());
    let log = |needle: &str| one.events.iter().any(|e| e.text.contains(needle));
    assert!(log("us-east failed 3 health checks"), "{:?}", one.events);
    assert!(log("us-east passed 3 health checks"), "{:?}", one.events);
    // Every span but those ending at the fault and the repair (5, 17 s), at a check that
    // could flip (8, 20 s) and the last (it ends the call) was drawn ahead: 25 of 30.
    assert!(stats.drawn_ahead >= 24, "{stats:?}");
    assert!(stats.drawn_ahead < 30, "{stats:?}");
}

/// GeoDNS itself down for 4 s (lookups fail, answers under way are lost) and users split
/// 70/30 between the data centers by a draw from the world's stream at every lookup.
#[test]
fn geodns_down_and_split_routing_run_the_same() {
    let mut s = flipping();
    let geo = s.geo.as_mut().unwrap();
    geo.routing = GeoRouting::Split;
    geo.split_share = vec![0.7, 0.3];
    s.faults.push(Fault::down("dns", 11.0, 4.0));
    let (one, stats) = same_on_two_threads(&s);
    assert!(
        one.events.iter().any(|e| e.text.starts_with("dns down")),
        "{:?}",
        one.events
    );
    assert!(stats.drawn_ahead >= 20, "{stats:?}");
}

#[test]
fn one_thread_never_runs_side_by_side() {
    let mut sim = Sim::new(&troubled()).unwrap();
    sim.set_threads(1);
    sim.run();
    let stats = sim.span_stats().unwrap();
    assert_eq!(stats.side_by_side, 0, "{stats:?}");
    assert!(stats.one_by_one > 0, "{stats:?}");
}

/// Steps that end between metrics ticks, and a budget now and then (the app's way: those
/// spans go one after another), give the same run as one call.
#[test]
fn steps_and_budgets_on_two_threads_run_the_same() {
    let s = troubled();
    let one = Sim::new(&s).unwrap().run();
    let mut sim = Sim::new(&s).unwrap();
    sim.set_threads(2);
    let stepped = run_in_steps(&mut sim);
    assert_eq!(text(&one), text(&stepped));
    let mut sim = Sim::new(&s).unwrap();
    sim.set_threads(2);
    let end = sim.end();
    while sim.now() < end {
        let t = SimTime::from_micros((sim.now().as_micros() + 700_000).min(end.as_micros()));
        sim.advance_to(t, 40_000);
        sim.advance_to(t, u64::MAX);
    }
    assert_eq!(text(&one), text(&sim.report()));
    assert!(sim.span_stats().unwrap().side_by_side > 0);
}

/// A link's live changes (kill and repair a data center, a partition cut and healed, a live
/// deploy, a users change) replayed on two threads give the run replayed on one.
#[test]
fn a_live_link_replays_the_same_on_two_threads() {
    let link = "v1.s11~traffic.users=200000~duration_s=30~live=4:kill:us-east,9:repair:us-east,12:cut:us-east:eu-west,15:heal:us-east:eu-west,16:deploy:10:drain,20:users:300000";
    let decoded = decode_link(link).unwrap();
    let until = SimTime::from_secs(30);
    let one = live::replay(&decoded.scenario, &decoded.live, until)
        .unwrap()
        .report();
    let sim = live::replay_on(&decoded.scenario, &decoded.live, until, 2).unwrap();
    assert_eq!(text(&one), text(&sim.report()));
    assert!(sim.span_stats().unwrap().side_by_side > 0);
    let plain = Sim::new(&decoded.scenario).unwrap().run();
    assert_ne!(plain.digest, one.digest, "the live changes changed the run");
}

/// `scalesim run --threads 1` and `--threads 2` print the same JSON, byte for byte (and
/// with two, the data centers did run side by side); 0 is refused.
#[test]
fn the_cli_prints_the_same_report_on_one_thread_and_on_two() {
    let link = "v1.s11~traffic.users=200000~duration_s=20~live=4:kill:us-east,9:repair:us-east,12:cut:us-east:eu-west,15:heal:us-east:eu-west";
    let run = |threads: &str, timing: bool| {
        let mut args = vec!["run", "--url", link, "--json", "--threads", threads];
        if timing {
            args.push("--timing");
        }
        let (code, out, err) = crate::helpers::scalesim(&args);
        assert_eq!(code, 0, "{err}");
        out
    };
    let one = run("1", false);
    assert!(one.contains("\"digest\""));
    assert_eq!(one, run("2", false));
    let timed: serde_json::Value = serde_json::from_str(&run("2", true)).unwrap();
    let spans = &timed["timing"]["data_center_spans"];
    assert!(spans["side_by_side"].as_u64().unwrap() > 10, "{spans}");
    let (code, _, err) = crate::helpers::scalesim(&["run", "--preset", "1", "--threads", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("--threads must be at least 1"), "{err}");
}
