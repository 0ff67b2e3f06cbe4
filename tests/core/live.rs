//! Links reproduce what the sender saw: live changes made to a running simulation, carried by
//! the link with their simulated times, replay into the same run (the same report digest).

use scalesim::scenario::{decode_link, encode_link, encode_run, preset, LiveAction, LiveChange};
use scalesim::sim::{live, Sim, SimTime};

/// Runs `sim` to `t` in slices of `chunk` events, as the app's animation frames do.
fn run_in_frames(sim: &mut Sim, t: SimTime, chunk: u64) {
    while sim.now() < t {
        sim.advance_to(t, chunk);
    }
}

/// Does `action` to the live simulation now and records it as the app does.
fn live_change(sim: &mut Sim, action: LiveAction, log: &mut Vec<LiveChange>) {
    live::apply(sim, &action).expect("the component exists");
    log.push(LiveChange {
        at_ns: sim.now().as_nanos(),
        action,
    });
}

#[test]
fn a_link_replays_a_live_kill_into_the_same_run() {
    let mut scenario = preset(4).unwrap();
    scenario.duration_s = 50;
    // The live run, in frames of a few thousand events; db-0 killed mid-frame at stage 4.
    let mut sim = Sim::new(&scenario).unwrap();
    let mut changes = Vec::new();
    run_in_frames(&mut sim, SimTime::from_millis_f64(20_123.456_789), 3_000);
    live_change(&mut sim, LiveAction::Kill("db-0".into()), &mut changes);
    run_in_frames(&mut sim, SimTime::from_secs(33), 3_000);
    live_change(&mut sim, LiveAction::Users(3_000), &mut changes);
    let seen = sim.run();
    assert!(seen.database.as_ref().unwrap().writes_lost > 0 || seen.requests.failed > 0);

    let fragment = encode_run(&scenario, &changes, Some(40.5));
    assert!(
        fragment.contains("~live=20.123456789:kill:db-0,33:users:3000~t=40.5"),
        "{fragment}"
    );
    let link = decode_link(&fragment).unwrap();
    assert_eq!(link.live, changes);
    assert_eq!(link.time_s, Some(40.5));
    let replayed = live::replay(&link.scenario, &link.live, SimTime::from_secs(50))
        .unwrap()
        .report();
    assert_eq!(replayed.digest, seen.digest);

    // Without its live part the link is another run: the kill is what made the difference.
    let plain = decode_link(&encode_link(&scenario, Some(40.5))).unwrap();
    assert!(plain.live.is_empty());
    let untouched = Sim::new(&plain.scenario).unwrap().run();
    assert_ne!(untouched.digest, seen.digest);
    assert!(seen.requests.failed > untouched.requests.failed);
}

#[test]
fn links_without_live_changes_decode_as_before() {
    for link in [
        "v1.s4~t=53.766",
        "v1.s1~seed=7~server.workers=16~traffic.users=5000~t=30.5",
        "v1.s11~t=300",
    ] {
        let decoded = decode_link(link).unwrap();
        assert!(decoded.live.is_empty(), "{link}");
        // Encoding it again gives the same link: an empty live list writes nothing.
        let again = encode_run(&decoded.scenario, &[], decoded.time_s);
        assert_eq!(again, link);
    }
}

#[test]
fn a_bad_live_part_is_refused_with_a_message() {
    let late = decode_link("v1.s4~duration_s=30~live=31:kill:db-0").unwrap_err();
    assert!(
        late.to_string().contains("after the end of the run"),
        "{late}"
    );
    let bad = decode_link("v1.s4~live=5:explode:db-0").unwrap_err();
    assert!(bad.to_string().starts_with("bad live changes"), "{bad}");
    // A name the run does not have is reported when replayed, not applied to something else.
    let link = decode_link("v1.s4~duration_s=30~live=5:kill:db-9").unwrap();
    let Err(err) = live::replay(&link.scenario, &link.live, SimTime::from_secs(30)) else {
        panic!("db-9 does not exist at stage 4");
    };
    assert!(err.to_string().contains("db-9"), "{err}");
}

/// A network partition cut and healed live (stage 11, from the app or a link's `cut:` and
/// `heal:`): the cut shows in the snapshot and the event log, replication between the two data
/// centers waits and ships on heal as a scheduled partition's does, and the link replays the
/// run exactly (the same digest) — while the run without it differs.
#[test]
fn a_live_partition_replays_exactly_and_acts_as_the_scheduled_one() {
    let mut scenario = preset(11).unwrap();
    scenario.traffic.users = 200_000;
    scenario.faults.clear();
    scenario.duration_s = 40;
    let cut = |cut: bool| LiveAction::Partition {
        a: "us-east".into(),
        b: "eu-west".into(),
        cut,
    };
    let mut sim = Sim::new(&scenario).unwrap();
    let mut changes = Vec::new();
    run_in_frames(&mut sim, SimTime::from_millis_f64(15_250.5), 5_000);
    live_change(&mut sim, cut(true), &mut changes);
    run_in_frames(&mut sim, SimTime::from_secs(24), 5_000);
    let during = sim.snapshot();
    assert_eq!(
        during.cut_links,
        [("us-east".to_string(), "eu-west".to_string())]
    );
    assert!(during.writes_partitioned > 0);
    live_change(&mut sim, cut(false), &mut changes);
    run_in_frames(&mut sim, SimTime::from_secs(30), 5_000);
    assert!(sim.snapshot().cut_links.is_empty());
    assert_eq!(sim.snapshot().writes_partitioned, 0);
    let seen = sim.run();
    assert!(seen.events.iter().any(|e| e
        .text
        .contains("network between us-east and eu-west cut (live partition)")));
    let partition = seen
        .diagnosis
        .iter()
        .find(|i| i.cause.title() == "network partition")
        .expect("the diagnosis names the partition");
    assert_eq!(partition.start_s, 15.2505, "dated to the live cut");
    let g = seen.geo.as_ref().unwrap();
    assert!(g
        .replication
        .iter()
        .all(|c| c.max_waiting_cut.unwrap() > 100 && c.lost == 0));

    let fragment = encode_run(&scenario, &changes, None);
    assert!(
        fragment.contains("~live=15.2505:cut:us-east:eu-west,24:heal:us-east:eu-west"),
        "{fragment}"
    );
    let link = decode_link(&fragment).unwrap();
    assert_eq!(link.live, changes);
    let replayed = live::replay(&link.scenario, &link.live, SimTime::from_secs(40))
        .unwrap()
        .report();
    assert_eq!(replayed.digest, seen.digest);
    let untouched = Sim::new(&scenario).unwrap().run();
    assert_ne!(untouched.digest, seen.digest);

    // The same cut scheduled (15.2505 s for 8.7495 s) holds back the same writes.
    let mut scheduled = scenario.clone();
    scheduled.faults = vec![scalesim::scenario::Fault::partition(
        "us-east", "eu-west", 15.2505, 8.7495,
    )];
    let planned = Sim::new(&scheduled).unwrap().run();
    let waits = |r: &scalesim::sim::Report| -> Vec<Option<u64>> {
        r.geo
            .as_ref()
            .unwrap()
            .replication
            .iter()
            .map(|c| c.max_waiting_cut)
            .collect()
    };
    assert_eq!(waits(&planned), waits(&seen));

    // A partition outside stage 11 is refused with a reason.
    let mut one = Sim::new(&preset(4).unwrap()).unwrap();
    let err = live::apply(&mut one, &cut(true)).unwrap_err();
    assert!(err.to_string().contains("not two data centers"), "{err}");
}

/// `scalesim run --url` replays the link's live changes too: a partition cut and healed from
/// a link gives the digest the library's replay gives.
#[test]
fn the_cli_runs_a_link_with_its_live_changes() {
    let link = "v1.s11~traffic.users=200000~duration_s=30~live=10:cut:us-east:eu-west,20:heal:us-east:eu-west";
    let (code, out, err) = crate::helpers::scalesim(&["run", "--url", link, "--json"]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let decoded = decode_link(link).unwrap();
    let expected = live::replay(&decoded.scenario, &decoded.live, SimTime::from_secs(30))
        .unwrap()
        .report();
    assert_eq!(report["digest"].as_str().unwrap(), expected.digest);
    let plain = Sim::new(&decoded.scenario).unwrap().run();
    assert_ne!(plain.digest, expected.digest);
    let (code, _, err) =
        crate::helpers::scalesim(&["run", "--url", "v1.s4~live=5:cut:us-east:eu-west"]);
    assert_ne!(code, 0);
    assert!(err.contains("not two data centers"), "{err}");
}
