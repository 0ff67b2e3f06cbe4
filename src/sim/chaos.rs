//! The chaos catalogue: one-click failures offered where they make sense for the architecture
//! that runs and its state now, each a list of live changes (so a link carries it and time
//! travel replays it) with a short text of what you will see, and the cause the diagnosis
//! should then name. A dead component is offered its repair, not a second death; an entry
//! whose component the architecture lacks is listed greyed out, with the reason.
//!
//! ```text
//!   (scenario, components, their state now) ─▶ catalogue ─▶ [Entry { title, watch, actions,
//!                                                              expect, unavailable }]
//!   the app applies `actions` now, as if the user had clicked them; the diagnosis names `expect`
//! ```

use super::{ComponentInfo, ComponentKind, DbRole, Snapshot};
use crate::format::grouped;
use crate::scenario::live::LIVE_BREAKER;
use crate::scenario::{CacheTier, LiveAction, Mechanism, Scenario};

mod data_centers;
use data_centers::data_centers;
pub use data_centers::GREY_DC_ERRORS_MILLI;

/// How many times the users a surge entry multiplies.
pub const SURGE_FACTOR: u64 = 3;
/// How many times slower the slow-database entries make the database.
pub const SLOW_FACTOR: u32 = 8;
/// Share of requests the flaky-server entry fails, in thousandths.
pub const ERRORS_MILLI: u32 = 300;

/// What the diagnosis should blame once an entry is applied.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Expect {
    /// This component going down.
    Down(String),
    /// A load surge.
    Surge,
    /// This component serving slower (a grey failure).
    Slow(String),
    /// This component failing a share of its requests.
    Errors(String),
    /// This component recovering (back up, or back to normal).
    Repaired(String),
    /// The network between data centers being cut.
    Partition,
    /// A setting changes (a mechanism switched on or off) or a partition heals: no failure to
    /// name, and no incident starts because of it.
    Setting,
}

/// One failure to try.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// A stable key (`kill-cache`, `surge` …), for tests and automation.
    pub key: &'static str,
    /// What it does, as a button label.
    pub title: String,
    /// What you will see once it is applied.
    pub watch: String,
    /// The live changes it makes, now.
    pub actions: Vec<LiveAction>,
    /// The cause the diagnosis should name.
    pub expect: Expect,
    /// Why it cannot be applied here (`None`: it can).
    pub unavailable: Option<String>,
    /// The database it breaks, by its name (`db` the first, then each further database's),
    /// when there are several (`None`: one database, or not a database entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// The cache cluster it switches, by its name (`cache` the first, then each further
    /// cache's), when there are several (`None`: one cache, or not a per-cache entry).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<String>,
}

impl<'de> serde::Deserialize<'de> for Entry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entry, D::Error> {
        EntryRead::deserialize(d).map(Entry::from)
    }
}

/// An [`Entry`] as read back (sent from the web worker to the page): its key owned.
#[derive(serde::Deserialize)]
struct EntryRead {
    key: String,
    title: String,
    watch: String,
    actions: Vec<LiveAction>,
    expect: Expect,
    unavailable: Option<String>,
    #[serde(default)]
    store: Option<String>,
    #[serde(default)]
    cache: Option<String>,
}

/// An entry's key as read back (from JSON, or from the web worker's binary frames): each
/// distinct key is kept once for the life of the program; the catalogue has a few dozen, so
/// reading entries again and again costs nothing more.
pub fn key_of(key: String) -> &'static str {
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    static KEYS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut keys = KEYS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match keys.get(key.as_str()) {
        Some(&known) => known,
        None => {
            let leaked: &'static str = Box::leak(key.into_boxed_str());
            keys.insert(leaked);
            leaked
        }
    }
}

impl From<EntryRead> for Entry {
    fn from(e: EntryRead) -> Entry {
        Entry {
            key: key_of(e.key),
            title: e.title,
            watch: e.watch,
            actions: e.actions,
            expect: e.expect,
            unavailable: e.unavailable,
            store: e.store,
            cache: e.cache,
        }
    }
}

/// What one component is doing now.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Now {
    alive: bool,
    slow: bool,
    erroring: bool,
    /// A database node that is the master.
    master: bool,
}

/// The entries for a run of `scenario` with these components, in the state `now` says (its
/// components by id; a component missing there counts as healthy): those that apply first,
/// then the greyed-out ones.
pub fn catalogue(
    scenario: &Scenario,
    components: &[ComponentInfo],
    snapshot: &Snapshot,
) -> Vec<Entry> {
    let states = &snapshot.components;
    let now = |c: &ComponentInfo| {
        states.iter().find(|s| s.id == c.id).map_or(
            Now {
                alive: true,
                slow: false,
                erroring: false,
                master: false,
            },
            |s| Now {
                alive: s.alive,
                slow: s.slowdown.is_some_and(|f| f > 1.0),
                erroring: s.error_ratio.is_some_and(|r| r > 0.0),
                master: s.role == Some(DbRole::Master),
            },
        )
    };
    let first = |kind: ComponentKind| components.iter().find(|c| c.kind == kind);
    let mut out = Vec::new();
    if let Some(dc) = first(ComponentKind::DataCenter) {
        out.push(kill_or_repair(
            "kill-data-center",
            dc,
            now(dc).alive,
            format!("Lose data center {}", dc.name),
            "GeoDNS stops naming it after its health checks fail, but users move only as their \
             cached DNS answers expire; writes it had not shipped to the others are at risk.",
            "GeoDNS names it again once its health checks pass; users return as their cached \
             answers expire.",
        ));
        data_centers(components, snapshot, &now, &mut out);
    } else {
        single_site(scenario, components, &now, &mut out);
    }
    let users = scenario.traffic.users;
    let surged = users.saturating_mul(SURGE_FACTOR);
    out.push(Entry {
        key: "surge",
        title: format!("Traffic ×{SURGE_FACTOR}"),
        watch: format!(
            "{} users instead of {}: watch which part saturates first, and what its queue does.",
            grouped(surged),
            grouped(users)
        ),
        actions: vec![LiveAction::Users(surged)],
        expect: Expect::Surge,
        store: None,
        cache: None,
        unavailable: None,
    });
    out.sort_by_key(|e| e.unavailable.is_some());
    out
}

/// The entries of one data center's architecture (stages 1–10, drawn architectures).
fn single_site(
    scenario: &Scenario,
    components: &[ComponentInfo],
    now: &dyn Fn(&ComponentInfo) -> Now,
    out: &mut Vec<Entry>,
) {
    let of_kind = |kind: ComponentKind| components.iter().filter(move |c| c.kind == kind);
    let first = |kind: ComponentKind| of_kind(kind).next();
    // The web server to break: the second of several (the first often holds the sessions of
    // a tour's example), the only one otherwise.
    let servers = of_kind(ComponentKind::Server).count();
    let server = of_kind(ComponentKind::Server).nth(usize::from(servers > 1));
    let behind_balancer = scenario.load_balancer.is_some() && servers > 1;
    if let Some(server) = server {
        out.push(kill_or_repair(
            "kill-web-server",
            server,
            now(server).alive,
            format!("Kill web server {}", server.name),
            if behind_balancer {
                "The balancer keeps sending it requests until its health checks fail \
                 (interval × threshold): those requests fail. Then the others take its share."
            } else {
                "It is the only server: every request fails until it is back."
            },
            if behind_balancer {
                "It rejoins the balancer's pool once it passes the health checks."
            } else {
                "It answers again at once."
            },
        ));
        out.push(flaky(server, now(server), behind_balancer));
    }
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
    // Each cache cluster gets its own entries (kill a node, flush it, switch coalescing),
    // against its first node and marked with its name when there are several.
    let caches = cache_clusters(scenario, components);
    if caches.iter().all(|c| c.nodes.is_empty()) {
        out.push(lacking(
            "kill-cache",
            "Kill a cache node",
            "cache",
            "Its keys go cold and the database takes their reads.",
        ));
        out.push(lacking(
            "stampede",
            "Flush the cache (stampede)",
            "cache",
            "Every miss of a hot key reads the database at once.",
        ));
        out.push(lacking(
            "coalesce",
            "Request coalescing on",
            "cache",
            "One database read per missed key; the other misses wait for it.",
        ));
    }
    let several = caches.len() > 1;
    for cluster in &caches {
        let Some(&node) = cluster.nodes.first() else {
            continue;
        };
        let start = out.len();
        out.push(kill_or_repair(
            "kill-cache",
            node,
            now(node).alive,
            format!("Kill cache node {}", node.name),
            "Its keys go cold: the hit ratio falls and its share of reads reaches the \
             database. Watch the database's load and p99.",
            "It comes back empty and warms up again: the hit ratio climbs back.",
        ));
        out.push(stampede(cluster, node, now(node), several));
        out.push(coalesce(cluster, several));
        if several {
            for e in &mut out[start..] {
                e.cache = Some(cluster.name.to_string());
            }
        }
    }
    let others: [(ComponentKind, &'static str, &str, &str, &str, &str); 3] = [
        (
            ComponentKind::Cdn,
            "kill-cdn",
            "CDN outage",
            "CDN",
            "Clients fall back to the origin after a timeout: static assets get slow and the \
             web tier serves them.",
            "The edge comes back empty and fills again from the origin.",
        ),
        (
            ComponentKind::SessionStore,
            "kill-session-store",
            "Session store fails",
            "shared session store",
            "Every request that needs a session fails, whichever server it reaches.",
            "Sessions are found again.",
        ),
        (
            ComponentKind::Workers,
            "kill-workers",
            "Queue workers stop",
            "message queue",
            "Jobs pile up in the queue while the web tier stays fast; they drain when the \
             workers return.",
            "The workers drain the backlog.",
        ),
    ];
    for (kind, key, title, what, watch, back) in others {
        match first(kind) {
            Some(c) => out.push(kill_or_repair(
                key,
                c,
                now(c).alive,
                title.to_string(),
                watch,
                back,
            )),
            None => out.push(lacking(key, title, what, watch)),
        }
    }
}

/// An entry greyed out because the architecture lacks `what`.
fn lacking(key: &'static str, title: &str, what: &str, watch: &str) -> Entry {
    Entry {
        key,
        title: title.to_string(),
        watch: watch.to_string(),
        actions: Vec::new(),
        expect: Expect::Surge,
        store: None,
        cache: None,
        unavailable: Some(format!("This architecture has no {what}.")),
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

/// Kills `c`, or repairs it when it is down already.
fn kill_or_repair(
    key: &'static str,
    c: &ComponentInfo,
    alive: bool,
    title: String,
    watch: &str,
    back: &str,
) -> Entry {
    if alive {
        Entry {
            key,
            title,
            watch: watch.to_string(),
            actions: vec![LiveAction::Kill(c.name.clone())],
            expect: Expect::Down(c.name.clone()),
            store: None,
            cache: None,
            unavailable: None,
        }
    } else {
        repair(repair_key(key), c, back)
    }
}

/// The key of the repair offered in place of the kill `key`.
fn repair_key(key: &'static str) -> &'static str {
    match key {
        "kill-data-center" => "repair-data-center",
        "kill-web-server" => "repair-web-server",
        "kill-master" => "repair-master",
        "kill-database" => "repair-database",
        "kill-cache" => "repair-cache",
        "kill-cdn" => "repair-cdn",
        "kill-session-store" => "repair-session-store",
        "kill-workers" => "repair-workers",
        _ => "repair",
    }
}

/// Brings `c` back (up, at normal speed, failing nothing).
fn repair(key: &'static str, c: &ComponentInfo, back: &str) -> Entry {
    Entry {
        key,
        title: format!("Repair {}", c.name),
        watch: back.to_string(),
        actions: vec![LiveAction::Repair(c.name.clone())],
        expect: Expect::Repaired(c.name.clone()),
        store: None,
        cache: None,
        unavailable: None,
    }
}

/// Makes a web server fail a share of its requests, or heals it.
fn flaky(server: &ComponentInfo, now: Now, behind_balancer: bool) -> Entry {
    let key = "errors-web-server";
    let title = format!("{} fails {} % of requests", server.name, ERRORS_MILLI / 10);
    if !now.alive {
        return Entry {
            key,
            title,
            watch: String::new(),
            actions: Vec::new(),
            expect: Expect::Errors(server.name.clone()),
            store: None,
            cache: None,
            unavailable: Some(format!("{} is down: repair it first.", server.name)),
        };
    }
    if now.erroring {
        return Entry {
            key,
            title: format!("{} stops failing requests", server.name),
            watch: "Failures stop at once: nothing had taken it out of service.".to_string(),
            actions: vec![LiveAction::Errors {
                name: server.name.clone(),
                ratio_milli: 0,
            }],
            expect: Expect::Repaired(server.name.clone()),
            store: None,
            cache: None,
            unavailable: None,
        };
    }
    Entry {
        key,
        title,
        watch: if behind_balancer {
            "It stays up and passes its health checks, so the balancer keeps sending it its \
             share: errors appear with no component down, and no alert about a server."
        } else {
            "It stays up and answers the rest: a steady share of requests fails with nothing down."
        }
        .to_string(),
        actions: vec![LiveAction::Errors {
            name: server.name.clone(),
            ratio_milli: ERRORS_MILLI,
        }],
        expect: Expect::Errors(server.name.clone()),
        store: None,
        cache: None,
        unavailable: None,
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

/// One cache cluster of the architecture: its name as live changes write it (`cache` the
/// first, else its `more_caches` name), its settings and its nodes, in component order.
struct Cluster<'a> {
    name: &'a str,
    tier: &'a CacheTier,
    nodes: Vec<&'a ComponentInfo>,
}

/// The architecture's cache clusters, the first (`cache`) first, then `more_caches` in order;
/// each node goes to the cluster it is named after (`cache-0`, `cache-api-0`; at stage 11 the
/// part after the data center's `/`).
fn cache_clusters<'a>(scenario: &'a Scenario, components: &'a [ComponentInfo]) -> Vec<Cluster<'a>> {
    let Some(first) = scenario.cache.as_ref() else {
        return Vec::new();
    };
    std::iter::once(("cache", first))
        .chain(
            scenario
                .more_caches
                .iter()
                .map(|m| (m.name.as_str(), &m.cache)),
        )
        .map(|(name, tier)| Cluster {
            name,
            tier,
            nodes: components
                .iter()
                .filter(|c| c.kind == ComponentKind::Cache && numbered_after(&c.name, name))
                .collect(),
        })
        .collect()
}

/// Whether the component `name` is one of the nodes the engine names after `stem`
/// (`<stem>-<number>`, after a data center's `us-east/` if any).
fn numbered_after(name: &str, stem: &str) -> bool {
    let own = name.rsplit('/').next().unwrap_or(name);
    own.strip_prefix(stem)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `name` (or its last `/` part) is `<stem>-shard-S-N`: a node of the shards behind
/// the shard router of the further database `stem`.
fn sharded_after(name: &str, stem: &str) -> bool {
    let own = name.rsplit('/').next().unwrap_or(name);
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    (own.strip_prefix(stem))
        .and_then(|rest| rest.strip_prefix("-shard-"))
        .and_then(|rest| rest.split_once('-'))
        .is_some_and(|(s, n)| digits(s) && digits(n))
}

/// Empties a cache node at once (down and straight back): its hot keys all miss together.
/// With several caches, the coalescing it switches off (to count the stampede) is this
/// cache's alone: the others keep theirs.
fn stampede(cluster: &Cluster, node: &ComponentInfo, now: Now, several: bool) -> Entry {
    let coalesce = cluster.tier.coalesce.unwrap_or(false);
    let setting = if cluster.name == "cache" {
        "cache.coalesce = true".to_string()
    } else {
        format!("coalescing on at {}", cluster.name)
    };
    Entry {
        key: "stampede",
        title: format!("Flush {} (stampede)", node.name),
        watch: if coalesce {
            "It comes back empty. Coalescing is on: one database read per missing key while \
             the other misses wait for it, so the database sees a bump, not a stampede."
                .to_string()
        } else {
            format!(
                "It comes back empty and every miss of a hot key reads the database at once (no \
                 coalescing: {setting} would make it one read per key): the database's \
                 load and p99 jump, then settle as the cache warms."
            )
        },
        // Coalescing left out: switched off explicitly (no change to what the cache does), so
        // the cache counts the reads of each key and the diagnosis can name the stampede.
        actions: cluster
            .tier
            .coalesce
            .is_none()
            .then(|| {
                if several {
                    LiveAction::CoalesceAt {
                        cache: cluster.name.to_string(),
                        on: false,
                    }
                } else {
                    LiveAction::Mechanism {
                        which: Mechanism::Coalesce,
                        on: false,
                    }
                }
            })
            .into_iter()
            .chain([
                LiveAction::Kill(node.name.clone()),
                LiveAction::Repair(node.name.clone()),
            ])
            .collect(),
        expect: Expect::Down(node.name.clone()),
        store: None,
        cache: None,
        unavailable: (!now.alive).then(|| format!("{} is down: repair it first.", node.name)),
    }
}

/// How many times slower the synchronous-workers entry makes the database.
pub const SYNC_SLOW_FACTOR: u32 = 50;

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

/// Switches request coalescing at one cache on (the stampede's repair), or off again; with
/// several caches at that cache alone (`coalesce:cache-api:on`), else everywhere as links
/// written before caches had names do (`coalesce:on`).
fn coalesce(cluster: &Cluster, several: bool) -> Entry {
    let name = cluster.name;
    let on = cluster.tier.coalesce.unwrap_or(false);
    let at = if several {
        format!(" at {name}")
    } else {
        String::new()
    };
    Entry {
        key: "coalesce",
        title: if on {
            format!("Request coalescing off{at}")
        } else {
            format!("Request coalescing on{at} (the stampede's repair)")
        },
        watch: if on {
            format!(
                "Every miss{at} reads the database again: a hot key that expires is \
                 read once per miss while its first read is under way."
            )
        } else {
            format!(
                "One database read per missed key{at} at a time; the other misses of \
                 that key wait for its fill. Flush the cache after it: the database \
                 sees a bump, not a stampede."
            )
        },
        actions: vec![if several {
            LiveAction::CoalesceAt {
                cache: name.to_string(),
                on: !on,
            }
        } else {
            LiveAction::Mechanism {
                which: Mechanism::Coalesce,
                on: !on,
            }
        }],
        expect: Expect::Setting,
        store: None,
        cache: None,
        unavailable: None,
    }
}
