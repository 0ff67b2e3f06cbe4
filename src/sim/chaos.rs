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
//!
//! The entries by subject, in the catalogue's order: a data center's loss and stage 11's own
//! ([`data_centers`]) or one site's ([`site`]: a web server, then each database
//! ([`databases`]), each cache ([`caches`]), the CDN, the session store, the queue's workers);
//! a surge last. This file holds the entry's type and the helpers they share (kill or repair,
//! greyed out for a part the architecture lacks).

use super::{ComponentInfo, ComponentKind, DbRole, Snapshot};
use crate::format::grouped;
use crate::scenario::{LiveAction, Scenario};

mod caches;
mod data_centers;
mod databases;
mod site;
use data_centers::data_centers;
pub use data_centers::GREY_DC_ERRORS_MILLI;
use site::single_site;

/// How many times the users a surge entry multiplies.
pub const SURGE_FACTOR: u64 = 3;
/// How many times slower the slow-database entries make the database.
pub const SLOW_FACTOR: u32 = 8;
/// Share of requests the flaky-server entry fails, in thousandths.
pub const ERRORS_MILLI: u32 = 300;
/// How many times slower the synchronous-workers entry makes the database.
pub const SYNC_SLOW_FACTOR: u32 = 50;

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
    crate::sim::shard_node(own).is_some_and(|n| n.store == stem)
}
