//! The catalogue's cache entries, once per cache cluster: kill its first node (its keys go
//! cold), flush it (down and straight back: a stampede), and switch request coalescing at it.
//! With several caches each entry is marked with its cache and switches coalescing at that
//! cache alone (`coalesce:cache-api:off`); with one, as links always wrote it (`coalesce:off`).

use super::{kill_or_repair, lacking, numbered_after, Entry, Expect, Now};
use crate::scenario::{CacheTier, LiveAction, Mechanism, Scenario};
use crate::sim::{ComponentInfo, ComponentKind};

/// Every cache cluster's entries, the first (`cache`) first: kill its first node, flush it
/// (a stampede), switch coalescing at it; marked with its name when there are several. Greyed
/// out, with the reason, when the architecture has no cache.
pub(super) fn entries(
    scenario: &Scenario,
    components: &[ComponentInfo],
    now: &dyn Fn(&ComponentInfo) -> Now,
    out: &mut Vec<Entry>,
) {
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
