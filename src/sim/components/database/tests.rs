//! Tests of the database cluster alone: no engine, a kernel of no requests, a queue of its
//! own events.

use super::*;
use crate::scenario::preset;
use crate::sim::components::registry::BuiltInEventKind;
use crate::sim::kernel::run::Kernel;

/// The time and the kernel (no requests: the cluster is tested without an engine, with a
/// queue of its own events, as the built-in events that carry them) a test hands the
/// cluster.
struct World {
    now: SimTime,
    kernel: Kernel<(), BuiltInEvent>,
}

impl World {
    fn new() -> World {
        World {
            now: SimTime::ZERO,
            kernel: Kernel::new(1),
        }
    }

    /// The kernel, at the test's time.
    fn ctx(&mut self) -> &mut Ctx<(), BuiltInEvent> {
        self.kernel.now = self.now;
        &mut self.kernel
    }

    /// The next event due, the cluster's own: when, and which (each tagged with the
    /// clusters' place among the built-in components).
    fn next(&mut self) -> Option<(SimTime, DbEvent)> {
        let (at, event) = self.kernel.events.pop()?;
        assert_eq!(event.part, DATABASES);
        match event.event {
            BuiltInEventKind::Db(event) => Some((at, event)),
            other => panic!("an event of another kind: {other:?}"),
        }
    }
}

/// A cluster as the scenario describes, every shard built, and its nodes' stations.
fn cluster(scenario: &Scenario) -> (DatabaseCluster, Vec<Station>) {
    let mut db = DatabaseCluster::new(scenario);
    let mut stations = Vec::new();
    let shards = scenario.sharding.as_ref().map_or(1, |s| s.shards);
    for _ in 0..shards {
        let first = stations.len() as u16;
        let ids: Vec<u16> = (first..first + db.nodes_per_shard() as u16).collect();
        stations.extend(ids.iter().map(|_| db.node_station()));
        db.add_shard(&ids);
    }
    db.count_shard_keys();
    (db, stations)
}

#[test]
fn a_dead_master_is_detected_then_the_freshest_replica_promoted_and_unreplicated_writes_lost() {
    let mut s = preset(4).expect("stage 4");
    if let Some(d) = s.database.as_mut() {
        // Two replicas (the journey's stage 4 has one), so there is a choice to promote.
        d.replicas = 2;
        d.read_policy = ReadPolicy::RoundRobin;
    }
    let spec = s.database.clone().expect("a database");
    let (mut db, mut stations) = cluster(&s);
    let mut w = World::new();
    assert_eq!(db.route_query(RequestKind::Write, 0, &stations), Some(0));
    let reads: Vec<_> = (0..4)
        .map(|_| db.route_query(RequestKind::ApiRead, 0, &stations))
        .collect();
    assert_eq!(reads, [Some(1), Some(2), Some(1), Some(2)]);
    // Ten writes long replicated, then three just before the master dies.
    for key in 0..10 {
        db.commit_write(0, 0, key, SimTime::from_secs(1));
    }
    let death = SimTime::from_secs(10);
    for key in 10..13 {
        db.commit_write(0, 0, key, death);
    }
    w.now = death;
    stations[0].alive = false;
    stations[0].epoch += 1;
    let text = db.node_died(0, 0, stations[0].epoch, w.ctx());
    assert!(text.contains("master"), "{text}");
    // Writes still go to the dead master until the web tier notices.
    assert_eq!(db.route_query(RequestKind::Write, 0, &stations), Some(0));
    let (at, event) = w.next().expect("a detection");
    assert_eq!(
        at,
        death.plus(SimDuration::from_millis_f64(spec.failover.detection_ms))
    );
    w.now = at;
    db.handle(event, &stations, w.ctx());
    assert_eq!(db.route_query(RequestKind::Write, 0, &stations), None);
    let (at, event) = w.next().expect("a promotion");
    assert_eq!(
        at,
        w.now
            .plus(SimDuration::from_millis_f64(spec.failover.promotion_ms))
    );
    w.now = at;
    db.handle(event, &stations, w.ctx());
    let failovers = &db.failovers;
    assert_eq!(failovers.len(), 1);
    assert_eq!(failovers[0].old_master, "db-0");
    assert_eq!(
        failovers[0].new_master, "db-1",
        "equally fresh: the first replica"
    );
    assert_eq!(failovers[0].writes_lost, 3);
    assert_eq!(db.writes_lost(), 3);
    assert_eq!(db.route_query(RequestKind::Write, 0, &stations), Some(1));
    assert_eq!(db.node_state(0, 1, w.now).0, DbRole::Master);
    // The old master returns as a replica that must copy a snapshot.
    stations[0].alive = true;
    let text = db.node_returned(0, 0, stations[0].epoch, w.ctx());
    assert!(text.contains("snapshot"), "{text}");
    let r = db.report(&stations).expect("a report");
    assert_eq!((r.writes_committed, r.writes_lost), (13, 3));
    assert_eq!(r.failovers.len(), 1);
}

#[test]
fn resharding_copies_every_moving_key_to_its_new_shard_through_paced_copy_jobs() {
    let mut s = preset(10).expect("stage 10");
    s.traffic.keyspace.keys = 2_000;
    let from = s.sharding.as_ref().expect("shards").shards as usize;
    let (mut db, mut stations) = cluster(&s);
    let mut w = World::new();
    let to = from + 2;
    assert!(!db.reshard_refused(to, w.ctx()));
    while db.shard_count() < to {
        let first = stations.len() as u16;
        let ids: Vec<u16> = (first..first + db.nodes_per_shard() as u16).collect();
        stations.extend(ids.iter().map(|_| db.node_station()));
        db.add_shard(&ids);
    }
    db.start_reshard(to, w.ctx());
    let progress = db.reshard_progress().expect("a resharding");
    assert!(progress.keys_moved > 0 && !progress.finished);
    // A second one is refused while the copy runs.
    assert!(db.reshard_refused(to + 1, w.ctx()));
    let mut jobs = 0;
    while let Some((at, event)) = w.next() {
        w.now = at;
        let DbEvent::MigrationPace { run, .. } = event else {
            panic!("only the pacer runs: {event:?}");
        };
        // Each job is done at once: read on its old shard, written on its new one.
        let Some(slot) = db.pace(run, w.ctx()) else {
            continue;
        };
        let old = db.copy_job_shard(slot, false).expect("a job");
        let new = db.copy_job_shard(slot, true).expect("a job");
        assert_ne!(old, new);
        assert!(db.copy_work_ns(slot, true, new, &mut w.ctx().rng) > 0);
        assert_eq!(db.cut_over(slot, w.ctx()), None);
        jobs += 1;
    }
    let progress = db.reshard_progress().expect("a resharding");
    assert!(progress.finished, "{progress:?}");
    assert_eq!(progress.keys_copied, progress.keys_moved);
    assert!(jobs > 1);
    assert_eq!(w.kernel.interval.migration_keys_copied, progress.keys_moved);
    // Every key is served by the shard the new map names, and counted there.
    let new_map = db.placement.map.clone();
    for key in 0..2_000 {
        assert_eq!(db.placement.shard_of(key), new_map.shard_of(key));
    }
    let counted: u64 = db.shards.iter().map(|d| d.keys).sum();
    assert_eq!(counted, 2_000);
    let mut fresh = db.clone();
    fresh.count_shard_keys();
    let keys = |d: &DatabaseCluster| d.shards.iter().map(|s| s.keys).collect::<Vec<_>>();
    assert_eq!(keys(&db), keys(&fresh));
}

/// The one reader of sharded node names reads back what the two writers write, for every
/// shape of name they write, and nothing else: not an unsharded node, a number missing,
/// signed, too large or followed by more text, nor an unnamed store.
#[test]
fn shard_node_reads_back_every_sharded_name_and_nothing_else() {
    let node = |store, shard, node| Some(ShardNode { store, shard, node });
    for shard in [0, 1, 9, 10, 63] {
        for n in [0, 1, 12] {
            let (s, k) = (shard as usize, n as usize);
            assert_eq!(shard_node(&db_node_name(true, s, k)), node("", shard, n));
            let further = further_db_node_name("orders", true, s, k);
            assert_eq!(shard_node(&further), node("orders", shard, n));
        }
    }
    // A store's own name may hold `-shard-`, digits and dashes: the last `-shard-` counts.
    assert_eq!(shard_node("a-shard-b-shard-2-3"), node("a-shard-b", 2, 3));
    assert_eq!(shard_node("shard-0-db-shard-1-2"), node("shard-0-db", 1, 2));
    assert_eq!(shard_node("db-2-shard-0-1"), node("db-2", 0, 1));
    // A data center's prefix is the caller's to take off.
    assert_eq!(
        shard_node("us-east/orders-shard-0-1"),
        node("us-east/orders", 0, 1)
    );
    assert_eq!(shard_node("us-east/shard-0-db-1"), None);
    // Leading zeros are digits.
    assert_eq!(shard_node("shard-01-db-002"), node("", 1, 2));
    for name in [
        "db-0",
        "orders-1",
        "orders-shard-1",
        "orders-shard--1",
        "orders-shard-1-",
        "orders-shard-x-1",
        "orders-shard-1-0x",
        "orders-shard-1-0-2",
        "orders-shard-+1-0",
        "orders-shard-1-+0",
        "orders-shard-4294967296-0",
        "-shard-0-1",
        "shard-0-db-",
        "shard--db-1",
        "shard-+1-db-0",
        "shard-1-db-1x",
        "shard-1-db-4294967296",
        "shard-1",
        "",
    ] {
        assert_eq!(shard_node(name), None, "{name}");
    }
    assert_eq!(
        shard_node("orders-shard-4294967295-0"),
        node("orders", u32::MAX, 0)
    );
}

/// The clusters as the built-in component a stack holds, driven through the registration's
/// station fault hooks alone (what `stack/faults.rs` calls): a replica slowed, the master
/// killed and detected through the kind's own events, a replica killed and repaired.
#[test]
fn the_nodes_faults_reach_the_clusters_through_the_station_hooks() {
    use crate::sim::components::registry::{BuiltInCtx, BuiltInPart};
    let mut s = preset(4).expect("stage 4");
    if let Some(d) = s.database.as_mut() {
        d.replicas = 2;
    }
    let (db, mut stations) = cluster(&s);
    let mut part = BuiltInPart::Db(Databases::of_clusters(vec![db]));
    let clusters =
        |part: &BuiltInPart| part.get::<Databases>().expect("the clusters").clusters[0].clone();
    let mut w = World::new();
    let hooks = |part: &mut BuiltInPart,
                 w: &mut World,
                 stations: &mut [Station],
                 what: &str,
                 index: u16| {
        let kernel = w.ctx();
        let ctx = &mut BuiltInCtx {
            kernel,
            stations,
            me: DATABASES,
        };
        match what {
            "kill" => part.station_killed(index, ctx),
            _ => part.station_repaired(index, ctx),
        }
    };
    // A slow replica applies the writes it has not applied yet that much slower.
    w.now = SimTime::from_secs(1);
    part.station_slowed(db_index(0, 0, 2), 4.0, w.now);
    assert_eq!(
        clusters(&part).shards[0].nodes[2].progress.slowdown,
        Some(4.0)
    );
    part.station_slowed(db_index(0, 0, 2), 1.0, w.now);
    assert_eq!(clusters(&part).shards[0].nodes[2].progress.slowdown, None);
    // The master dies: its station first (the stack's), then the kind's own consequences.
    w.now = SimTime::from_secs(10);
    stations[0].alive = false;
    stations[0].epoch += 1;
    let text = hooks(&mut part, &mut w, &mut stations, "kill", db_index(0, 0, 0));
    assert_eq!(text, "; it is the master: writes fail until failover");
    assert_eq!(clusters(&part).shards[0].master_down_at, Some(w.now));
    let (at, event) = w.next().expect("a detection");
    assert!(
        matches!(
            event,
            DbEvent::Detected {
                index: 0,
                epoch: 1,
                up: false
            }
        ),
        "{event:?}"
    );
    w.now = at;
    let dbs = part.get_mut::<Databases>().expect("the clusters");
    dbs.clusters[0].handle(event, &stations, w.ctx());
    assert!(matches!(
        w.next(),
        Some((_, DbEvent::Promote { shard: 0, .. }))
    ));
    // A replica dies and comes back: it catches up, and its return is detected.
    stations[2].alive = false;
    stations[2].epoch += 1;
    let text = hooks(&mut part, &mut w, &mut stations, "kill", db_index(0, 0, 2));
    assert_eq!(text, "");
    assert!(matches!(
        w.next(),
        Some((
            _,
            DbEvent::Detected {
                index: 2,
                epoch: 1,
                up: false
            }
        ))
    ));
    stations[2].alive = true;
    let text = hooks(
        &mut part,
        &mut w,
        &mut stations,
        "repair",
        db_index(0, 0, 2),
    );
    assert_eq!(text, "; catching up on the writes it missed");
    assert!(matches!(
        w.next(),
        Some((
            _,
            DbEvent::Detected {
                index: 2,
                epoch: 1,
                up: true
            }
        ))
    ));
    assert!(w.next().is_none());
}

/// The clusters' nodes placed as the stack places a built-in kind's stations
/// (`initial_stations`, then `new_station` / `station_placed` for each), with made-up
/// station numbers: every shard of each database in order, named and indexed as before,
/// the keys counted once the first nodes are all placed; a live resharding of a database
/// without a router of its own names its new shards as shards.
#[test]
fn the_nodes_are_placed_through_the_station_hooks() {
    use crate::sim::components::registry::{BuiltIn, BuiltInPart};
    use crate::sim::ComponentKind;
    let place = |part: &mut BuiltInPart, group: u8, next: &mut u16, initial: bool| {
        let new = part.new_station(group);
        assert_eq!(new.kind, ComponentKind::Database);
        let station = *next;
        *next += 1;
        assert_eq!(part.station_placed(group, station, initial), None);
        (new.name, new.index)
    };
    let s = preset(10).expect("stage 10");
    let mut part = BuiltInPart::Db(Databases::of_scenario(&s).expect("the clusters"));
    assert_eq!(
        part.initial_stations(),
        [8],
        "4 shards of a master and a replica"
    );
    let mut next = 100;
    let placed: Vec<_> = (0..8)
        .map(|_| place(&mut part, 0, &mut next, true))
        .collect();
    assert_eq!(placed[0], ("shard-0-db-0".to_string(), db_index(0, 0, 0)));
    assert_eq!(placed[3], ("shard-1-db-1".to_string(), db_index(0, 1, 1)));
    assert_eq!(placed[7], ("shard-3-db-1".to_string(), db_index(0, 3, 1)));
    let db = &part.get::<Databases>().expect("the clusters").clusters[0];
    assert_eq!(db.shard_count(), 4);
    assert_eq!((db.station(0, 0), db.station(3, 1)), (100, 107));
    assert_eq!(db.shards[2].nodes[1].role, DbRole::Replica);
    let keys: u64 = db.shards.iter().map(|t| t.keys).sum();
    assert_eq!(keys, u64::from(s.traffic.keyspace.keys), "keys counted");

    let s = preset(4).expect("stage 4");
    let mut part = BuiltInPart::Db(Databases::of_scenario(&s).expect("the clusters"));
    assert_eq!(part.initial_stations(), [2]);
    let mut next = 0;
    let first: Vec<_> = (0..2)
        .map(|_| place(&mut part, 0, &mut next, true))
        .collect();
    assert_eq!(first[1].0, "db-1");
    // A second shard, as a live resharding builds it.
    let more: Vec<_> = (0..2)
        .map(|_| place(&mut part, 0, &mut next, false))
        .collect();
    assert_eq!(more[0], ("shard-1-db-0".to_string(), db_index(0, 1, 0)));
    assert_eq!(more[1].0, "shard-1-db-1");

    let s = preset(1).expect("stage 1");
    let part = BuiltInPart::Db(Databases::of_scenario(&s).expect("the clusters"));
    assert_eq!(part.initial_stations(), [0], "no database: no node");
}

#[test]
fn the_kind_picks_the_node_refuses_without_a_master_and_says_what_a_query_did() {
    use crate::sim::components::registry::{Ask, BuiltIn, Served};
    use crate::sim::components::station::ReqRef;
    use crate::sim::Outcome;
    let mut s = preset(10).expect("stage 10");
    let sharding = s.sharding.as_mut().expect("a shard router");
    sharding.denormalise = Some(crate::scenario::Denormalise { write_factor: 2 });
    let (db, stations) = cluster(&s);
    let shards = db.shard_count();
    let mut kind = Databases::of_clusters(vec![db]);
    let key = 7;
    let write = Ask::key(RequestKind::Write, key);
    let shard = kind.clusters[0].shard_of_query(key, 0, None);
    let master = kind.clusters[0].station(shard, 0);
    assert_eq!(kind.station_for(0, write, &stations), Some(master));
    // The key's own write changes it, and goes on to its copy; the copy is the last.
    let now = SimTime::from_secs(1);
    let index = db_index(0, shard, 0);
    let served = kind.station_served(
        index,
        ReqRef { slot: 0, gen: 0 },
        write,
        now,
        |_| 0,
        |_| false,
    );
    let (store, key_changed, last) = (0, true, false);
    assert_eq!(
        served,
        Served::Committed {
            store,
            key_changed,
            last
        }
    );
    let copy = Ask { copy: 1, ..write };
    let on = kind.clusters[0].shard_of_query(key, 1, None);
    assert_eq!(on, (shard + 1) % shards);
    let served = kind.station_served(
        db_index(0, on, 0),
        ReqRef { slot: 0, gen: 0 },
        copy,
        now,
        |_| 0,
        |_| false,
    );
    let (key_changed, last) = (false, true);
    assert_eq!(
        served,
        Served::Committed {
            store,
            key_changed,
            last
        }
    );
    // A fan-out asks every shard in turn, the last one answers.
    let read = |shard: u16| Ask {
        fanout: Some(shard),
        ..Ask::key(RequestKind::ApiRead, key)
    };
    let served = kind.station_served(
        db_index(0, 0, 0),
        ReqRef { slot: 0, gen: 0 },
        read(0),
        now,
        |_| 0,
        |_| false,
    );
    assert_eq!(served, Served::NextShard);
    let last = (shards - 1) as u16;
    let served = kind.station_served(
        db_index(0, shards - 1, 0),
        ReqRef { slot: 0, gen: 0 },
        read(last),
        now,
        |_| 0,
        |_| false,
    );
    assert!(
        matches!(served, Served::Read { stale: false, .. }),
        "{served:?}"
    );
    // With no live master the web tier knows of, a write is refused, as the database down.
    kind.clusters[0].shards[shard].nodes[0].believed_up = false;
    assert_eq!(kind.station_for(0, write, &stations), None);
    assert_eq!(kind.refuses_as(), Outcome::DbDown);
    assert_eq!(usize::from(kind.group_of(db_index(0, shard, 0))), 0);
}
