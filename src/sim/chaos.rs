//! The chaos catalogue: one-click failures offered where they apply to the architecture that
//! runs, each a list of live changes (so a link carries it and time travel replays it) with a
//! short text of what to watch, and the cause the diagnosis should then name.
//!
//! ```text
//!   (scenario, components) ─▶ catalogue ─▶ [Entry { title, watch, actions, expect }]
//!   the app applies `actions` now, as if the user had clicked them; the diagnosis names `expect`
//! ```

use super::{ComponentInfo, ComponentKind};
use crate::format::grouped;
use crate::scenario::{LiveAction, Scenario};

/// How many times the users a surge entry multiplies.
pub const SURGE_FACTOR: u64 = 3;

/// What the diagnosis should blame once an entry is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// This component going down.
    Down(String),
    /// A load surge.
    Surge,
}

/// One failure to try.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// A stable key (`kill-cache`, `surge` …), for tests and automation.
    pub key: &'static str,
    /// What it does, as a button label.
    pub title: String,
    /// What to watch once it is applied.
    pub watch: String,
    /// The live changes it makes, now.
    pub actions: Vec<LiveAction>,
    /// The cause the diagnosis should name.
    pub expect: Expect,
}

/// The entries that apply to a run of `scenario` with these components (the users' current
/// number is the scenario's).
pub fn catalogue(scenario: &Scenario, components: &[ComponentInfo]) -> Vec<Entry> {
    let first = |kind: ComponentKind| components.iter().find(|c| c.kind == kind);
    let count = |kind: ComponentKind| components.iter().filter(|c| c.kind == kind).count();
    let mut out = Vec::new();
    let mut kill = |key: &'static str, c: &ComponentInfo, title: String, watch: &str| {
        out.push(Entry {
            key,
            title,
            watch: watch.to_string(),
            actions: vec![LiveAction::Kill(c.name.clone())],
            expect: Expect::Down(c.name.clone()),
        });
    };
    if let Some(dc) = first(ComponentKind::DataCenter) {
        kill(
            "kill-data-center",
            dc,
            format!("Lose data center {}", dc.name),
            "GeoDNS stops naming it after its health checks fail, but users move only as their \
             cached DNS answers expire; writes it had not shipped to the others are at risk.",
        );
    } else {
        let servers = count(ComponentKind::Server);
        if let Some(server) = components
            .iter()
            .filter(|c| c.kind == ComponentKind::Server)
            .nth(usize::from(servers > 1))
        {
            let behind_balancer = scenario.load_balancer.is_some() && servers > 1;
            kill(
                "kill-web-server",
                server,
                format!("Kill web server {}", server.name),
                if behind_balancer {
                    "The balancer keeps sending it requests until its health checks fail \
                     (interval × threshold): those requests fail. Then the others take its share."
                } else {
                    "It is the only server: every request fails until it is back."
                },
            );
        }
        if let Some(db) = first(ComponentKind::Database) {
            let replicated = scenario.database.as_ref().is_some_and(|d| d.replicas > 0);
            if replicated {
                kill(
                    "kill-master",
                    db,
                    format!("Master database {} fails", db.name),
                    "No master until the failure is detected and a replica promoted: writes fail \
                     for that window, and writes the replicas had not applied are lost.",
                );
            } else {
                kill(
                    "kill-database",
                    db,
                    format!("Database {} fails", db.name),
                    "A single point of failure: every request that needs data fails until it is back.",
                );
            }
        }
        if let Some(cache) = first(ComponentKind::Cache) {
            kill(
                "kill-cache",
                cache,
                format!("Kill cache node {}", cache.name),
                "Its keys go cold: the hit ratio falls and its share of reads reaches the \
                 database. Watch the database's load and p99.",
            );
        }
        if let Some(cdn) = first(ComponentKind::Cdn) {
            kill(
                "kill-cdn",
                cdn,
                "CDN outage".to_string(),
                "Clients fall back to the origin after a timeout: static assets get slow and the \
                 web tier serves them.",
            );
        }
        if let Some(store) = first(ComponentKind::SessionStore) {
            kill(
                "kill-session-store",
                store,
                "Session store fails".to_string(),
                "Every request that needs a session fails, whichever server it reaches.",
            );
        }
        if let Some(workers) = first(ComponentKind::Workers) {
            kill(
                "kill-workers",
                workers,
                "Queue workers stop".to_string(),
                "Jobs pile up in the queue while the web tier stays fast; they drain when the \
                 workers return.",
            );
        }
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
    });
    out
}
