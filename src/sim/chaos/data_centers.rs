//! Stage 11's own catalogue entries: what can go wrong between data centers (a partition and
//! its heal) and inside one while geoDNS still sends it users (the whole data center slow, a
//! grey failure its health checks do not see).

use super::{Entry, Expect, Now, SLOW_FACTOR};
use crate::scenario::LiveAction;
use crate::sim::{ComponentInfo, ComponentKind, Snapshot};

/// Share of requests the grey-data-center entry fails at a data center's session store, in
/// thousandths.
pub const GREY_DC_ERRORS_MILLI: u32 = 300;

/// Stage 11's entries beyond a data center's loss: a partition between the first two data
/// centers (or its heal), the first slowed as a whole (every station in it), and a grey failure geoDNS's health
/// checks do not see (the first's session store failing a share of requests).
pub(super) fn data_centers(
    components: &[ComponentInfo],
    snapshot: &Snapshot,
    now: &dyn Fn(&ComponentInfo) -> Now,
    out: &mut Vec<Entry>,
) {
    let dcs: Vec<&ComponentInfo> = components
        .iter()
        .filter(|c| c.kind == ComponentKind::DataCenter)
        .collect();
    let Some(first) = dcs.first() else {
        return;
    };
    match dcs.get(1) {
        Some(second) => {
            let (a, b) = (first.name.clone(), second.name.clone());
            let cut = snapshot
                .cut_links
                .iter()
                .any(|(x, y)| (*x == a && *y == b) || (*x == b && *y == a));
            let down = !now(first).alive || !now(second).alive;
            out.push(if cut {
                Entry {
                    key: "heal-partition",
                    title: format!("Heal the network between {a} and {b}"),
                    watch: "The writes held back on each side ship at the link's rate: the \
                            replication backlog drains and nothing is lost."
                        .to_string(),
                    actions: vec![LiveAction::Partition { a, b, cut: false }],
                    expect: Expect::Setting,
                    store: None,
                    cache: None,
                    unavailable: None,
                }
            } else {
                Entry {
                    key: "partition",
                    title: format!("Cut the network between {a} and {b}"),
                    watch: format!(
                        "Users still reach both (geoDNS and its health checks look from \
                         outside), so nothing fails; replication between them stops and every \
                         write committed on either side waits. Heal it and they ship; lose {a} \
                         first and its waiting writes are lost."
                    ),
                    actions: vec![LiveAction::Partition { a, b, cut: true }],
                    expect: Expect::Partition,
                    store: None,
                    cache: None,
                    unavailable: down
                        .then(|| "A data center is down: repair it first.".to_string()),
                }
            });
        }
        None => out.push(Entry {
            key: "partition",
            title: "Cut the network between two data centers".to_string(),
            watch: String::new(),
            actions: Vec::new(),
            expect: Expect::Partition,
            store: None,
            cache: None,
            unavailable: Some("This architecture has only one data center.".to_string()),
        }),
    }
    let inside = |kind: ComponentKind| {
        let prefix = format!("{}/", first.name);
        components
            .iter()
            .find(move |c| c.kind == kind && c.name.starts_with(&prefix))
    };
    // The first data center slowed as a whole, by its name: every server and node in it.
    let state = now(first);
    let name = first.name.clone();
    out.push(if state.slow {
        Entry {
            key: "slow-data-center",
            title: format!("{name} back to normal speed"),
            watch: "Its queues drain and its p99 falls back to the other data centers'."
                .to_string(),
            actions: vec![LiveAction::Slow {
                name: name.clone(),
                factor_milli: 1000,
            }],
            expect: Expect::Repaired(name),
            store: None,
            cache: None,
            unavailable: None,
        }
    } else {
        Entry {
            key: "slow-data-center",
            title: format!("{name} slow: every server and node ×{SLOW_FACTOR} (grey failure)"),
            watch: format!(
                "It stays up and passes geoDNS's health checks, so its users stay: every \
                 request served in {name} takes longer and p99 there climbs, while the other \
                 data centers are fine."
            ),
            actions: vec![LiveAction::Slow {
                name: name.clone(),
                factor_milli: SLOW_FACTOR * 1000,
            }],
            expect: Expect::Slow(name.clone()),
            store: None,
            cache: None,
            unavailable: (!state.alive).then(|| format!("{name} is down: repair it first.")),
        }
    });
    if let Some(sessions) = inside(ComponentKind::SessionStore) {
        let state = now(sessions);
        let name = sessions.name.clone();
        out.push(if state.erroring {
            Entry {
                key: "grey-data-center",
                title: format!("{name} stops failing requests"),
                watch: "Failures stop at once: nothing had moved the users.".to_string(),
                actions: vec![LiveAction::Errors {
                    name: name.clone(),
                    ratio_milli: 0,
                }],
                expect: Expect::Repaired(name),
                store: None,
                cache: None,
                unavailable: None,
            }
        } else {
            Entry {
                key: "grey-data-center",
                title: format!(
                    "{} fails {} % of requests, health checks pass",
                    first.name,
                    GREY_DC_ERRORS_MILLI / 10
                ),
                watch: format!(
                    "{name} fails a share of the requests that need a session, but {} still \
                     answers geoDNS's health checks: geoDNS keeps sending it its users, and \
                     they see errors with no data center down.",
                    first.name
                ),
                actions: vec![LiveAction::Errors {
                    name: name.clone(),
                    ratio_milli: GREY_DC_ERRORS_MILLI,
                }],
                expect: Expect::Errors(name.clone()),
                store: None,
                cache: None,
                unavailable: (!state.alive || !now(first).alive)
                    .then(|| format!("{name} is down: repair it first.")),
            }
        });
    }
}
