//! The catalogue's database entries: kill its first node (the master when replicated), and,
//! against its master now, a grey failure (slow), a retry storm, synchronous web workers
//! exhausted by it, and its death behind a circuit breaker. With several databases, each
//! gets its own, marked with its name.

use super::{
    kill_or_repair, lacking, numbered_after, sharded_after, Entry, Expect, Now, SLOW_FACTOR,
    SYNC_SLOW_FACTOR,
};
use crate::format::grouped;
use crate::scenario::live::LIVE_BREAKER;
use crate::scenario::{LiveAction, Mechanism, Scenario};
use crate::sim::{ComponentInfo, ComponentKind};

/// Every database's entries: the first's (`db`), then each further database's
/// (`more_databases`), each by its own nodes and, when there are several, marked with its name.
pub(super) fn entries(
    scenario: &Scenario,
    components: &[ComponentInfo],
    now: &dyn Fn(&ComponentInfo) -> Now,
    out: &mut Vec<Entry>,
) {
    let of_kind = |kind: ComponentKind| components.iter().filter(move |c| c.kind == kind);
    // The database to break: the master now (after a failover, the promoted replica). With
    // further databases (`more_databases`), each store gets its own entries, by its nodes'
    // names and marked with the store's name; the others keep serving their own requests.
    let store_of = |c: &ComponentInfo| {
        (scenario.more_databases.iter())
            .position(|m| match m.sharding {
                // `<name>-shard-S-N` behind a shard router of its own.
                Some(_) => sharded_after(&c.name, &m.name),
                None => numbered_after(&c.name, &m.name),
            })
            .map_or(0, |i| i + 1)
    };
    let several = !scenario.more_databases.is_empty();
    let first_db = scenario.database.as_ref();
    let stores = std::iter::once(("db", first_db))
        .chain(
            scenario
                .more_databases
                .iter()
                .map(|m| (m.name.as_str(), Some(&m.database))),
        )
        .enumerate();
    for (i, (name, spec)) in stores {
        let nodes: Vec<&ComponentInfo> = of_kind(ComponentKind::Database)
            .filter(|c| store_of(c) == i)
            .collect();
        let replicated = spec.is_some_and(|d| d.replicas > 0);
        let store = several.then(|| name.to_string());
        database_entries(scenario, &nodes, replicated, store, now, out);
    }
}

/// The entries that break one database (`nodes`, its components; `store`, its name when
/// there are several): kill its first node, and slow, retry storm, synchronous workers and
/// circuit breaker against its master now (after a failover, the promoted replica).
fn database_entries(
    scenario: &Scenario,
    nodes: &[&ComponentInfo],
    replicated: bool,
    store: Option<String>,
    now: &dyn Fn(&ComponentInfo) -> Now,
    out: &mut Vec<Entry>,
) {
    let Some(db) = nodes.first() else {
        out.push(lacking(
            "kill-database",
            "Database fails",
            "separate database",
            "Every request that needs data fails until it is back.",
        ));
        out.push(lacking(
            "slow-database",
            "Slow database (grey failure)",
            "separate database",
            "It stays up but answers slowly: queues grow upstream.",
        ));
        out.push(lacking(
            "retry-storm",
            "Retry storm",
            "separate database",
            "Clients retry what times out, and the retries add to the load.",
        ));
        out.push(lacking(
            "sync-workers",
            "Slow database, synchronous web workers",
            "separate database",
            "Web workers wait for a slow database until the web pool is exhausted.",
        ));
        out.push(lacking(
            "breaker",
            "Database fails behind a circuit breaker",
            "separate database",
            "The breaker fails database calls at once instead of sending them to a dead database.",
        ));
        return;
    };
    let start = out.len();
    out.push(kill_or_repair(
        if replicated {
            "kill-master"
        } else {
            "kill-database"
        },
        db,
        now(db).alive,
        if replicated {
            format!("Master database {} fails", db.name)
        } else {
            format!("Database {} fails", db.name)
        },
        if replicated {
            "No master until the failure is detected and a replica promoted: writes fail \
             for that window, and writes the replicas had not applied are lost."
        } else {
            "A single point of failure: every request that needs data fails until it is back."
        },
        "It answers again; a former master comes back as a replica and catches up.",
    ));
    let target = nodes
        .iter()
        .copied()
        .find(|d| now(d).alive && now(d).master)
        .or_else(|| nodes.iter().copied().find(|d| now(d).alive))
        .unwrap_or(db);
    out.push(slow_database(target, now(target)));
    out.push(retry_storm(scenario, target, now(target)));
    out.push(sync_workers(scenario, target, now(target)));
    out.push(breaker(scenario, target, now(target)));
    for e in &mut out[start..] {
        e.store.clone_from(&store);
    }
}

/// Makes the database slow (a grey failure, a slow disk), or back to normal speed.
fn slow_database(db: &ComponentInfo, now: Now) -> Entry {
    let key = "slow-database";
    if now.slow {
        return Entry {
            key,
            title: format!("{} back to normal speed", db.name),
            watch: "Its queue drains and p99 falls back.".to_string(),
            actions: vec![LiveAction::Repair(db.name.clone())],
            expect: Expect::Repaired(db.name.clone()),
            store: None,
            cache: None,
            unavailable: None,
        };
    }
    Entry {
        key,
        title: format!("{} ×{SLOW_FACTOR} slower (grey failure)", db.name),
        watch: "It stays up and passes its health checks, so nothing fails over: its queries \
                take longer, its queue and p99 grow, and a replica slowed so falls behind."
            .to_string(),
        actions: vec![LiveAction::Slow {
            name: db.name.clone(),
            factor_milli: SLOW_FACTOR * 1000,
        }],
        expect: Expect::Slow(db.name.clone()),
        store: None,
        cache: None,
        unavailable: (!now.alive).then(|| format!("{} is down: repair it first.", db.name)),
    }
}

/// A slow database under clients that retry: the retries add to the load.
fn retry_storm(scenario: &Scenario, db: &ComponentInfo, now: Now) -> Entry {
    let retries = scenario.traffic.retries.as_ref();
    let unavailable = if retries.is_none() {
        Some(
            "Clients here do not retry: set traffic.retries in the scenario to see a retry \
             storm."
                .to_string(),
        )
    } else if !now.alive {
        Some(format!("{} is down: repair it first.", db.name))
    } else if now.slow {
        Some(format!(
            "{} is slow already: watch the clients retry.",
            db.name
        ))
    } else {
        None
    };
    let watch = match retries {
        Some(r) => format!(
            "{} ×{SLOW_FACTOR} slower: answers miss the clients' {} ms timeout and each \
             request is tried up to {} more times, so the load grows past what the users ask \
             for; goodput falls below throughput as late answers are wasted work.",
            db.name,
            grouped(scenario.traffic.client_timeout_ms.round() as u64),
            r.max
        ),
        None => "Slow answers time out and clients send them again: the load grows past what \
                 the users ask for."
            .to_string(),
    };
    Entry {
        key: "retry-storm",
        title: "Retry storm (slow database)".to_string(),
        watch,
        actions: vec![LiveAction::Slow {
            name: db.name.clone(),
            factor_milli: SLOW_FACTOR * 1000,
        }],
        expect: Expect::Slow(db.name.clone()),
        store: None,
        cache: None,
        unavailable,
    }
}

/// The classic cascading failure: web workers held across their calls to a slow database.
fn sync_workers(scenario: &Scenario, db: &ComponentInfo, now: Now) -> Entry {
    let on = scenario.server.sync_calls;
    let mut actions = Vec::new();
    if !on {
        actions.push(LiveAction::Mechanism {
            which: Mechanism::SyncCalls,
            on: true,
        });
    }
    actions.push(LiveAction::Slow {
        name: db.name.clone(),
        factor_milli: SYNC_SLOW_FACTOR * 1000,
    });
    let unavailable = if !now.alive {
        Some(format!("{} is down: repair it first.", db.name))
    } else if now.slow {
        Some(format!(
            "{} is slow already: return it to normal speed first.",
            db.name
        ))
    } else {
        None
    };
    Entry {
        key: "sync-workers",
        title: format!(
            "{} ×{SYNC_SLOW_FACTOR} slower, synchronous web workers",
            db.name
        ),
        watch: format!(
            "{}Each web worker that calls {} waits for its answer. Held web workers climb; once \
             they fill the pool the web tier is busy and rejects requests although its own \
             work is small, while {}'s line stays short.",
            if on {
                ""
            } else {
                "Web workers become synchronous (server.sync_calls) and the database slows. "
            },
            db.name,
            db.name
        ),
        actions,
        expect: Expect::Slow(db.name.clone()),
        store: None,
        cache: None,
        unavailable,
    }
}

/// A database that dies behind a circuit breaker (one is put in if the scenario has none).
fn breaker(scenario: &Scenario, db: &ComponentInfo, now: Now) -> Entry {
    let spec = scenario.server.breaker.as_ref().unwrap_or(&LIVE_BREAKER);
    let mut actions = Vec::new();
    if scenario.server.breaker.is_none() {
        actions.push(LiveAction::Mechanism {
            which: Mechanism::Breaker,
            on: true,
        });
    }
    actions.push(LiveAction::Kill(db.name.clone()));
    Entry {
        key: "breaker",
        title: format!("{} fails behind a circuit breaker", db.name),
        watch: format!(
            "{}{} failed calls in a row open the breaker: for {} ms the web tier fails \
             database calls at once instead of sending them to {} (its line stays empty), \
             then lets {} probe call{} through. Compare with the database failing without it.",
            if scenario.server.breaker.is_none() {
                "A circuit breaker goes in around the web tier's database calls. "
            } else {
                ""
            },
            spec.failures,
            grouped(spec.open_ms.round() as u64),
            db.name,
            spec.probes,
            if spec.probes == 1 { "" } else { "s" }
        ),
        actions,
        expect: Expect::Down(db.name.clone()),
        store: None,
        cache: None,
        unavailable: (!now.alive).then(|| format!("{} is down: repair it first.", db.name)),
    }
}
