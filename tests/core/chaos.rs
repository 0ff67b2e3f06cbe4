//! The chaos catalogue (`src/sim/chaos.rs`): it offers only what makes sense now (a repair for
//! a dead component, greyed-out entries with their reason when the architecture lacks the
//! component), and for every entry it offers, applied live, the diagnosis names the cause it
//! injects within a few seconds of the onset, while the same run without it names no such cause.

use scalesim::format::{figure, grouped};
use scalesim::scenario::{preset, LiveChange, Retries, Scenario};
use scalesim::sim::chaos::{catalogue, Entry, Expect};
use scalesim::sim::diagnosis::{Cause, Incident};
use scalesim::sim::{live, Sim, SimTime};

/// When the entries are applied, s.
const ONSET_S: u64 = 20;
/// How soon after the onset the diagnosis must name the cause, s.
const NAMED_WITHIN_S: u64 = 3;

fn quiet(stage: u8) -> Scenario {
    let mut s = preset(stage).unwrap();
    s.faults.clear();
    if stage == 11 {
        s.traffic.users = 200_000;
    }
    s
}

/// The catalogue as the app shows it at `at_s` of a run of `s` with `changes`.
fn offered(s: &Scenario, changes: &[LiveChange], at_s: u64) -> Vec<Entry> {
    let sim = live::replay(s, changes, SimTime::from_secs(at_s)).unwrap();
    catalogue(sim.scenario(), sim.components(), &sim.snapshot())
}

fn at(at_s: u64, entry: &Entry) -> Vec<LiveChange> {
    entry
        .actions
        .iter()
        .map(|a| LiveChange {
            at_ns: SimTime::from_secs(at_s).0,
            action: a.clone(),
        })
        .collect()
}

/// Whether `incident` names what `expect` says, as starting at `onset_s`.
fn names(expect: &Expect, incident: &Incident, onset_s: f64) -> bool {
    let starts = incident.start_s == onset_s;
    match (expect, &incident.cause) {
        (Expect::Down(name), Cause::ComponentDown { component, .. }) => starts && component == name,
        (Expect::Slow(name), Cause::Slow { component, .. }) => starts && component == name,
        (Expect::Errors(name), Cause::Errors { component, .. }) => starts && component == name,
        (Expect::Surge, Cause::Surge { .. }) => starts,
        (Expect::Partition, Cause::Partition { .. }) => starts,
        (
            Expect::Repaired(name),
            Cause::ComponentDown {
                component,
                repaired_at_s,
                ..
            },
        ) => component == name && *repaired_at_s == Some(onset_s),
        _ => false,
    }
}

/// Every entry offered on every stage, applied live at 20 s: within 3 s an incident names its
/// cause from that instant, with its component; without it, no incident names that cause.
#[test]
fn every_offered_entry_is_diagnosed_as_its_cause_within_seconds() {
    for stage in 1..=11 {
        let s = quiet(stage);
        let until = SimTime::from_secs(ONSET_S + NAMED_WITHIN_S);
        let calm = live::replay(&s, &[], until).unwrap().incidents();
        let entries = offered(&s, &[], ONSET_S);
        let usable: Vec<&Entry> = entries.iter().filter(|e| e.unavailable.is_none()).collect();
        assert!(usable.len() >= 2, "stage {stage}: {entries:#?}");
        for entry in usable {
            let run = live::replay(&s, &at(ONSET_S, entry), until).unwrap();
            let found = run.incidents();
            if entry.expect == Expect::Setting {
                // A setting (coalescing on) starts nothing the calm run does not have.
                let new: Vec<&Incident> = found.iter().filter(|i| !calm.contains(i)).collect();
                assert!(new.is_empty(), "stage {stage}, {}: {new:#?}", entry.key);
                continue;
            }
            assert!(
                found
                    .iter()
                    .any(|i| names(&entry.expect, i, ONSET_S as f64)),
                "stage {stage}, {}: {found:#?}",
                entry.key
            );
            // A slow or flaky node is not dead: no detection window, no failover.
            for i in found
                .iter()
                .filter(|i| matches!(i.cause, Cause::Slow { .. } | Cause::Errors { .. }))
            {
                assert_eq!((i.detection_s, i.failover_s), (None, None), "{i:#?}");
                assert!(
                    i.chain.iter().all(|s| s.component != "load balancer"),
                    "{i:#?}"
                );
            }
            assert!(
                !calm.iter().any(|i| names(&entry.expect, i, ONSET_S as f64)),
                "stage {stage}, {}: named without it: {calm:#?}",
                entry.key
            );
            // The verdict says it while it lasts (a flush is over at once).
            if entry.key != "stampede" && entry.expect != Expect::Surge {
                let verdict = run.verdict();
                assert!(!verdict.open.is_empty(), "stage {stage}, {}", entry.key);
            }
        }
    }
}

/// Once an entry has broken something, the catalogue offers its repair instead of breaking it
/// again, and the repair is diagnosed: the component is back, and its incident says when.
#[test]
fn a_broken_component_is_offered_its_repair_not_a_second_failure() {
    for stage in [2, 3, 4, 5, 8] {
        let s = quiet(stage);
        let first = offered(&s, &[], ONSET_S);
        for key in [
            "kill-web-server",
            "kill-database",
            "kill-master",
            "kill-cache",
        ] {
            let Some(kill) = first
                .iter()
                .find(|e| e.key == key && e.unavailable.is_none())
            else {
                continue;
            };
            let broken = at(ONSET_S, kill);
            let later = offered(&s, &broken, ONSET_S + 10);
            let Expect::Down(name) = &kill.expect else {
                panic!("{key} expects a death");
            };
            assert!(
                !later
                    .iter()
                    .any(|e| e.unavailable.is_none() && e.expect == Expect::Down(name.clone())),
                "stage {stage}: {name} is dead and still offered a kill: {later:#?}"
            );
            let repair = later
                .iter()
                .find(|e| e.expect == Expect::Repaired(name.clone()))
                .unwrap_or_else(|| panic!("stage {stage}: no repair of {name}: {later:#?}"));
            assert!(repair.unavailable.is_none());
            let mut changes = broken.clone();
            changes.extend(at(ONSET_S + 10, repair));
            let run = live::replay(
                &s,
                &changes,
                SimTime::from_secs(ONSET_S + 10 + NAMED_WITHIN_S),
            )
            .unwrap();
            let id = run.component_named(name).unwrap();
            assert!(run.is_alive(id), "stage {stage}: {name}");
            let found = run.incidents();
            assert!(
                found
                    .iter()
                    .any(|i| names(&repair.expect, i, (ONSET_S + 10) as f64)),
                "stage {stage}, repair of {name}: {found:#?}"
            );
        }
        // A slow database is offered its return to normal speed.
        if let Some(slow) = first.iter().find(|e| e.key == "slow-database") {
            let later = offered(&s, &at(ONSET_S, slow), ONSET_S + 5);
            let back = later.iter().find(|e| e.key == "slow-database").unwrap();
            let Expect::Slow(name) = &slow.expect else {
                panic!("slow-database expects a slow node");
            };
            assert_eq!(back.expect, Expect::Repaired(name.clone()), "{back:#?}");
        }
    }
}

/// Stage 1 is one server: the entries for the parts it lacks are listed greyed out, each with
/// its reason, and nothing greyed out can be applied; stage 5 has them all but a CDN's.
#[test]
fn entries_for_missing_parts_are_greyed_out_with_the_reason() {
    let one = offered(&quiet(1), &[], 5);
    for key in [
        "kill-database",
        "slow-database",
        "kill-cache",
        "stampede",
        "kill-cdn",
        "kill-session-store",
        "kill-workers",
        "sync-workers",
        "breaker",
        "coalesce",
    ] {
        let e = one.iter().find(|e| e.key == key).unwrap();
        let reason = e.unavailable.as_deref().unwrap_or_default();
        assert!(
            reason.starts_with("This architecture has no "),
            "{key}: {e:#?}"
        );
        assert!(e.actions.is_empty(), "{key}");
    }
    let usable: Vec<&str> = one
        .iter()
        .filter(|e| e.unavailable.is_none())
        .map(|e| e.key)
        .collect();
    assert_eq!(usable, ["kill-web-server", "errors-web-server", "surge"]);
    // Greyed-out entries come last.
    let first_grey = one.iter().position(|e| e.unavailable.is_some()).unwrap();
    assert!(one[first_grey..].iter().all(|e| e.unavailable.is_some()));
    let five = offered(&quiet(5), &[], 5);
    let grey: Vec<&str> = five
        .iter()
        .filter(|e| e.unavailable.is_some())
        .map(|e| e.key)
        .collect();
    assert_eq!(
        grey,
        [
            "retry-storm",
            "kill-cdn",
            "kill-session-store",
            "kill-workers"
        ]
    );
    let storm = five.iter().find(|e| e.key == "retry-storm").unwrap();
    assert!(storm
        .unavailable
        .as_deref()
        .unwrap()
        .contains("do not retry"));
}

/// With clients that retry, the retry-storm entry applies: the database slows, the diagnosis
/// names it, and the clients' own figures show the storm (more attempts than requests).
#[test]
fn a_retry_storm_is_offered_where_clients_retry_and_named_as_the_slow_database() {
    let mut s = quiet(2);
    // The journey's stage-2 database idles (about 2 % busy); queries ten times longer put it
    // near 16 %, so the catalogue's ×8 slowdown overloads it and answers outlast the clients'
    // timeout.
    let db = s.database.as_mut().unwrap();
    db.read.mean_ms *= 10.0;
    db.write.mean_ms *= 10.0;
    s.traffic.client_timeout_ms = 1000.0;
    s.traffic.retries = Some(Retries {
        max: 3,
        backoff_ms: 100.0,
        multiplier: 2.0,
        jitter: 1.0,
    });
    s.duration_s = 40;
    let entries = offered(&s, &[], ONSET_S);
    let storm = entries.iter().find(|e| e.key == "retry-storm").unwrap();
    assert_eq!(storm.unavailable, None, "{storm:#?}");
    assert!(storm.watch.contains("1,000 ms timeout"), "{}", storm.watch);
    let mut sim = live::replay(&s, &at(ONSET_S, storm), SimTime::from_secs(ONSET_S)).unwrap();
    let r = sim.run();
    assert!(
        r.diagnosis
            .iter()
            .any(|i| names(&storm.expect, i, ONSET_S as f64)),
        "{:#?}",
        r.diagnosis
    );
    let clients = r.clients.expect("a clients section");
    assert!(clients.retries > 0, "{clients:?}");
    let calm = Sim::new(&s).unwrap().run();
    assert!(clients.attempts > calm.clients.unwrap().attempts);
}

/// The post-mortem: `scalesim run --postmortem` prints, as Markdown, every incident the
/// diagnosis found with its timeline (onset, detection, recovery) and counts — the same text
/// the app copies, built from the report's `diagnosis` by the same function.
#[test]
fn the_postmortem_is_the_same_markdown_in_the_cli_and_from_the_report() {
    use crate::helpers::scalesim;
    use scalesim::sim::postmortem::markdown;
    let args = ["run", "--preset", "3", "--duration-s", "60", "--postmortem"];
    let (code, out, err) = scalesim(&args);
    assert_eq!(code, 0, "{err}");
    let s = {
        let mut s = preset(3).unwrap();
        s.duration_s = 60;
        s
    };
    let r = Sim::new(&s).unwrap().run();
    assert!(!r.diagnosis.is_empty(), "preset 3 kills a web server");
    assert_eq!(
        out.trim_end(),
        markdown(&s.name, &r.diagnosis, r.sim_time_s).trim_end()
    );
    assert!(out.starts_with("# Post-mortem: "), "{out}");
    let down = r
        .diagnosis
        .iter()
        .find(|i| matches!(i.cause, Cause::ComponentDown { .. }))
        .unwrap();
    let detected = down.start_s + down.detection_s.expect("behind a balancer");
    for line in [
        format!(
            "- {} s: onset: {}",
            figure(down.start_s),
            down.cause.title()
        ),
        format!(
            "- {} s: detected: the balancer stopped sending it requests",
            figure(detected)
        ),
        format!("- requests failed: {}", grouped(down.failed)),
    ] {
        assert!(out.contains(&line), "{line:?} missing from:\n{out}");
    }
    // A quiet run says so.
    let quiet_run = Sim::new(&quiet(3)).unwrap().run();
    let text = markdown("quiet", &quiet_run.diagnosis, 30.0);
    assert!(text.contains("No incident in the first 30.0 s."), "{text}");
}

/// The mechanisms' entries on stage 2 (and the cache's on stage 5), each against the run
/// without it: synchronous workers and a slow database exhaust the web pool while the
/// database's line stays short; the breaker fails calls to a dead database at once; with
/// coalescing switched on, a flushed cache's misses read the database once per key.
#[test]
fn the_mechanism_entries_show_their_signatures() {
    let s = quiet(2);
    let entries = offered(&s, &[], ONSET_S);
    let entry = |key: &str| entries.iter().find(|e| e.key == key).unwrap().clone();
    let until = SimTime::from_secs(ONSET_S + 10);
    // Synchronous workers: the web tier fills with held workers.
    let sync = entry("sync-workers");
    assert_eq!(sync.unavailable, None);
    let run = live::replay(&s, &at(ONSET_S, &sync), until).unwrap();
    assert!(run.scenario().server.sync_calls);
    let snap = run.snapshot();
    let web = run.component_named("web-0").unwrap();
    let db = run.component_named("db-0").unwrap();
    let (web, db) = (
        &snap.components[web.0 as usize],
        &snap.components[db.0 as usize],
    );
    assert!(web.utilization > 0.95, "{web:?}");
    assert!(snap.held_web_workers * 2 >= web.workers, "{snap:?}");
    assert!(db.queue_len * 4 < db.queue_capacity, "{db:?}");
    assert!(
        run.incidents()
            .iter()
            .any(|i| matches!(i.cause, Cause::WorkersHeld { .. })),
        "{:#?}",
        run.incidents()
    );
    // The same slowdown with asynchronous workers: no held workers, no such cause.
    let slow_only: Vec<LiveChange> = at(ONSET_S, &sync)
        .into_iter()
        .filter(|c| matches!(c.action, scalesim::scenario::LiveAction::Slow { .. }))
        .collect();
    let run = live::replay(&s, &slow_only, until).unwrap();
    assert_eq!(run.snapshot().held_web_workers, 0);
    assert!(!run
        .incidents()
        .iter()
        .any(|i| matches!(i.cause, Cause::WorkersHeld { .. })));
    // The breaker: it opens and fails calls at once; the plain kill has no breaker.
    let breaker = entry("breaker");
    assert!(
        breaker.watch.contains("5 failed calls in a row"),
        "{}",
        breaker.watch
    );
    let run = live::replay(&s, &at(ONSET_S, &breaker), until).unwrap();
    let b = run.report().breaker.expect("a breaker section");
    assert!(b.trips > 0 && b.refused > 0, "{b:?}");
    assert!(run
        .incidents()
        .iter()
        .any(|i| matches!(i.cause, Cause::BreakerOpen { .. })));
    let run = live::replay(&s, &at(ONSET_S, &entry("kill-database")), until).unwrap();
    assert!(run.report().breaker.is_none());
    assert!(!run
        .incidents()
        .iter()
        .any(|i| matches!(i.cause, Cause::BreakerOpen { .. })));
    // Coalescing: a flush after it reads the database once per missing key.
    let s = quiet(5);
    let entries = offered(&s, &[], ONSET_S);
    let flush = entries.iter().find(|e| e.key == "stampede").unwrap();
    let on = entries.iter().find(|e| e.key == "coalesce").unwrap();
    assert!(on.title.contains("on"), "{on:#?}");
    let stampede = |changes: &[LiveChange]| {
        let run = live::replay(&s, changes, until).unwrap();
        run.report().cache.unwrap().stampede
    };
    // The same flush with coalescing switched off live (so the stampede is counted).
    let switched = |on: bool| {
        let mut changes = vec![LiveChange {
            at_ns: SimTime::from_secs(ONSET_S - 5).0,
            action: scalesim::scenario::LiveAction::Mechanism {
                which: scalesim::scenario::Mechanism::Coalesce,
                on,
            },
        }];
        // The flush itself (the entry also switches coalescing off, to count the stampede).
        changes.extend(
            at(ONSET_S, flush)
                .into_iter()
                .filter(|c| !matches!(c.action, scalesim::scenario::LiveAction::Mechanism { .. })),
        );
        stampede(&changes).expect("a stampede section once coalescing is switched")
    };
    assert_eq!(
        on.actions,
        [scalesim::scenario::LiveAction::Mechanism {
            which: scalesim::scenario::Mechanism::Coalesce,
            on: true,
        }]
    );
    let (with, without) = (switched(true), switched(false));
    assert!(with.coalesce && with.coalesced > 0, "{with:?}");
    assert_eq!(with.duplicate_db_reads, 0);
    assert!(
        !without.coalesce && without.duplicate_db_reads > 0,
        "{without:?}"
    );
    // Once on, the entry offers to switch it off again.
    let later = offered(&s, &at(ONSET_S, on), ONSET_S + 1);
    let off = later.iter().find(|e| e.key == "coalesce").unwrap();
    assert!(off.title.contains("off"), "{off:#?}");
}

/// Stage 11's catalogue beyond a data center's loss and a surge: a partition (then its heal),
/// a slow database in one data center, and a grey failure geoDNS's health checks do not see.
#[test]
fn stage_11_offers_a_partition_a_slow_data_center_and_a_grey_failure() {
    let s = quiet(11);
    let entries = offered(&s, &[], ONSET_S);
    let keys: Vec<&str> = entries.iter().map(|e| e.key).collect();
    for key in [
        "kill-data-center",
        "partition",
        "slow-data-center",
        "grey-data-center",
        "surge",
    ] {
        let e = entries.iter().find(|e| e.key == key);
        assert!(
            e.is_some_and(|e| e.unavailable.is_none()),
            "{key}: {keys:?}"
        );
    }
    let entry = |key: &str| entries.iter().find(|e| e.key == key).unwrap();
    // The partition: cut now, offered its heal; healed, the backlog ships and nothing is lost.
    let cut = at(ONSET_S, entry("partition"));
    let later = offered(&s, &cut, ONSET_S + 5);
    assert!(!later.iter().any(|e| e.key == "partition"));
    let heal = later.iter().find(|e| e.key == "heal-partition").unwrap();
    let mut changes = cut.clone();
    changes.extend(at(ONSET_S + 5, heal));
    let run = live::replay(&s, &changes, SimTime::from_secs(ONSET_S + 12)).unwrap();
    let snap = run.snapshot();
    assert!(snap.cut_links.is_empty() && snap.writes_partitioned == 0);
    assert!(offered(&s, &changes, ONSET_S + 12)
        .iter()
        .any(|e| e.key == "partition"));
    let r = run.report();
    let g = r.geo.as_ref().unwrap();
    assert!(
        g.replication
            .iter()
            .all(|c| c.max_waiting_cut.unwrap_or(0) > 0 && c.lost == 0),
        "{:?}",
        g.replication
    );
    // The grey failure: requests fail, no data center is down and geoDNS still names all.
    let grey = live::replay(
        &s,
        &at(ONSET_S, entry("grey-data-center")),
        SimTime::from_secs(ONSET_S + 5),
    )
    .unwrap();
    let calm = live::replay(&s, &[], SimTime::from_secs(ONSET_S + 5)).unwrap();
    assert!(grey.snapshot().requests_failed > calm.snapshot().requests_failed + 100);
    let status = grey.geo_status().unwrap();
    assert!(
        status.data_centers.iter().all(|d| d.2 && d.3),
        "{:?}",
        status.data_centers
    );
    // Offered its healing once it fails.
    let after = offered(&s, &at(ONSET_S, entry("grey-data-center")), ONSET_S + 2);
    let back = after.iter().find(|e| e.key == "grey-data-center").unwrap();
    assert!(matches!(back.expect, Expect::Repaired(_)), "{back:#?}");
}

/// Stage 11's slow data center slows that data center, by its name: every server and node in
/// it (×8), while geoDNS keeps its users there. Its latency rises and the other's does not;
/// the diagnosis names the data center once (not each of its nodes); then the catalogue offers
/// it back at normal speed, which brings every node back.
#[test]
fn a_slow_data_center_slows_that_data_center_and_no_other() {
    let s = quiet(11);
    let entries = offered(&s, &[], ONSET_S);
    let slow = entries
        .iter()
        .find(|e| e.key == "slow-data-center")
        .unwrap();
    let Expect::Slow(dc) = &slow.expect else {
        panic!("{slow:#?}");
    };
    assert!(slow.title.starts_with(dc.as_str()), "{slow:#?}");
    let until = SimTime::from_secs(ONSET_S + 10);
    let run = live::replay(&s, &at(ONSET_S, slow), until).unwrap();
    let calm = live::replay(&s, &[], until).unwrap();
    let mean = |r: &scalesim::sim::Report, name: &str| {
        let g = r.geo.as_ref().unwrap();
        let d = g.data_centers.iter().find(|d| d.name == name).unwrap();
        d.latency_ms.mean
    };
    let (r, c) = (run.report(), calm.report());
    let names: Vec<String> = (r.geo.as_ref().unwrap().data_centers.iter())
        .map(|d| d.name.clone())
        .collect();
    assert!(names.len() >= 2 && names.contains(dc), "{names:?}");
    // Over the 30 s (10 s of them slowed), with the users' round trips in every answer.
    let rise: Vec<(String, f64)> = (names.iter())
        .map(|name| (name.clone(), mean(&r, name) - mean(&c, name)))
        .collect();
    eprintln!("mean latency rise, ms: {rise:?}");
    for (name, ms) in &rise {
        if name == dc {
            assert!(*ms > 15.0, "{rise:?}");
        } else {
            assert!(ms.abs() < 3.0, "{rise:?}");
        }
    }
    // Every server and node of that data center is slowed, none of another.
    let snap = run.snapshot();
    for c in run.components() {
        let state = snap.components.iter().find(|x| x.id == c.id).unwrap();
        let served = matches!(
            c.kind,
            scalesim::sim::ComponentKind::Server
                | scalesim::sim::ComponentKind::Database
                | scalesim::sim::ComponentKind::Cache
                | scalesim::sim::ComponentKind::SessionStore
        );
        if served && state.alive {
            let inside = c.name.starts_with(&format!("{dc}/"));
            assert_eq!(state.slowdown.is_some(), inside, "{}", c.name);
        }
    }
    // One incident names the data center slow; none names one of its nodes.
    let found = run.incidents();
    assert!(found.iter().any(|i| names_slow(i, dc)), "{found:#?}");
    assert!(
        !found.iter().any(|i| matches!(&i.cause,
            Cause::Slow { component, .. } if component.starts_with(&format!("{dc}/")))),
        "{found:#?}"
    );
    // Offered back at normal speed, which it then is.
    let later = offered(&s, &at(ONSET_S, slow), ONSET_S + 5);
    let back = later.iter().find(|e| e.key == "slow-data-center").unwrap();
    assert_eq!(back.expect, Expect::Repaired(dc.clone()), "{back:#?}");
    let mut changes = at(ONSET_S, slow);
    changes.extend(at(ONSET_S + 5, back));
    let run = live::replay(&s, &changes, SimTime::from_secs(ONSET_S + 6)).unwrap();
    let snap = run.snapshot();
    assert!(snap.components.iter().all(|c| c.slowdown.is_none()));
}

fn names_slow(i: &Incident, name: &str) -> bool {
    matches!(&i.cause, Cause::Slow { component, .. } if component == name)
}
