//! The catalogue's entries for one data center's architecture (stages 1–10 and drawn
//! architectures), in the catalogue's order: a web server (its death, then failing a share of
//! its requests), each database ([`super::databases`]), each cache ([`super::caches`]), then
//! the CDN, the session store and the queue's workers.

use super::{caches, databases, kill_or_repair, lacking, Entry, Expect, Now, ERRORS_MILLI};
use crate::scenario::{LiveAction, Scenario};
use crate::sim::{ComponentInfo, ComponentKind};

/// The entries of one data center's architecture (stages 1–10, drawn architectures).
pub(super) fn single_site(
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
    databases::entries(scenario, components, now, out);
    caches::entries(scenario, components, now, out);
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
