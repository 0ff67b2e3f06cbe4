//! Stage 11's geoDNS: the name server in front of every data center. It health-checks each
//! data center and names those that pass, answers a user's lookup with one of the named ones
//! (the nearest to the user's region, or one drawn by its share with `split` routing), and
//! can die: while it is down a user whose cached answer has expired gets none, and the
//! request fails as `dns_down`.
//!
//! ```text
//!   user's request ──cached answer (TTL)──────────────────────────▶ the data center it names
//!         └──expired or none──▶ GeoDns::resolve ──up: answer(region)──┘  (after `lookup`)
//!                                              └──down: dns_down
//!   health check every `check_interval`: `unhealthy_after` failures in a row → not named,
//!                                        `healthy_after` passes in a row → named again
//! ```
//!
//! The users' cached answers are the users' (`population`): the world finds the user's state,
//! hands it here, and records the answer given. [`GeoDns`] owns its life, what it names, its
//! health-check counts and its books (lookups, cache hits, failures, answers per data
//! center, users moved, intervals it named a data center that was down), and its parts of
//! the snapshot, the series point, the report and the bill. Inside a data center the DNS
//! server is a built-in kind of the stack (`components/dns.rs`), which the world's lookups
//! reach only for their latency and life (`Stack::hand_over`, `Stack::answers_lost`).

use super::population::Drawn;
use super::GeoEvent;
use crate::scenario::{Dns as DnsSpec, Geo, GeoRouting};
use crate::sim::cost::{Bill, PRICES};
use crate::sim::kernel::rng::Rng;
use crate::sim::kernel::run::Kernel;
use crate::sim::report::{DataCenterReport, DnsReport, FailureCounts};
use crate::sim::{ComponentId, ComponentInfo, ComponentKind, ComponentState, SimDuration, SimTime};

/// GeoDNS's health-check counts of one data center.
#[derive(Clone, Copy, Debug, Default)]
struct Checks {
    /// Checks failed in a row (0 after a pass).
    fails_in_row: u32,
    /// Checks passed in a row (0 after a failure).
    passes_in_row: u32,
}

/// What geoDNS did for one user's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Resolved {
    /// The user's cached answer names `dc`; a lookup of the user's may still be under way,
    /// answered at `ready_ms` (ms of simulated time).
    Cached { dc: usize, ready_ms: u32 },
    /// Looked up now: answered with `dc`, cached by the user until `expiry_ms`.
    Looked { dc: usize, expiry_ms: u32 },
    /// Looked up while geoDNS is down: no answer, the request fails as `dns_down`.
    Failed,
}

/// GeoDNS's figures in the report's `geo` section.
#[derive(Clone, Copy, Debug)]
pub(super) struct GeoFigures {
    /// How it answered.
    pub routing: GeoRouting,
    /// Lookups sent to it.
    pub lookups: u64,
    /// Requests that failed for want of an answer.
    pub failed: u64,
    /// Lookups answered with another data center than the user's previous answer.
    pub users_moved: u64,
}

/// GeoDNS's counts over the run.
#[derive(Clone, Debug)]
struct Books {
    /// Lookups sent to it (answered or not).
    lookups: u64,
    /// Requests that used the user's cached answer.
    cache_hits: u64,
    /// Requests that failed for want of an answer (it was down).
    failed: u64,
    /// `failed` in the current metrics interval.
    interval_failed: u64,
    /// Lookups answered with each data center.
    answers: Vec<u64>,
    /// Lookups whose answer differed from the user's previous one (moves between data
    /// centers).
    moves: u64,
    /// Per data center: metrics intervals that ended with it named while it was down (users
    /// sent into an outage).
    outages: Vec<u32>,
}

/// Stage 11's geoDNS (component 1 of the world's list, `dns`).
#[derive(Clone)]
pub(super) struct GeoDns {
    /// False while it is down.
    alive: bool,
    /// Time from a lookup to its answer.
    lookup: SimDuration,
    /// How long a user caches an answer, ms (0: never).
    ttl_ms: u32,
    /// How it picks among the data centers it names.
    routing: GeoRouting,
    /// Per region: data centers nearest first.
    nearest: Vec<Vec<usize>>,
    /// Per data center: its share of lookups with `split` routing (0 – 1).
    split: Vec<f64>,
    /// Whether it names each data center now (its view, not the truth).
    named: Vec<bool>,
    /// Per data center: its health checks in a row.
    checks: Vec<Checks>,
    /// Failed checks in a row that take a named data center out.
    unhealthy_after: u32,
    /// Passed checks in a row that bring an unnamed one back.
    healthy_after: u32,
    /// Time between two health checks.
    check_interval: SimDuration,
    books: Books,
}

impl GeoDns {
    /// Its id in the world's component list (after the users).
    pub const ID: ComponentId = ComponentId(1);

    /// GeoDNS of `geo`, up and naming every data center, with `dns`'s lookup time and TTL;
    /// `regions_of_dcs` gives each data center's region, in data-center order.
    pub fn new(geo: &Geo, dns: &DnsSpec, regions_of_dcs: &[usize]) -> GeoDns {
        let dcs = regions_of_dcs.len();
        let nearest = (0..geo.regions.len())
            .map(|r| {
                let mut order: Vec<usize> = (0..dcs).collect();
                // Stable: equal distances keep data-center order.
                order.sort_by(|&a, &b| {
                    geo.rtt_ms[r][regions_of_dcs[a]].total_cmp(&geo.rtt_ms[r][regions_of_dcs[b]])
                });
                order
            })
            .collect();
        GeoDns {
            alive: true,
            lookup: SimDuration::from_millis_f64(dns.lookup_ms),
            ttl_ms: dns.ttl_s.saturating_mul(1000),
            routing: geo.routing,
            nearest,
            split: geo.split_share.clone(),
            named: vec![true; dcs],
            checks: vec![Checks::default(); dcs],
            unhealthy_after: geo.unhealthy_after,
            healthy_after: geo.healthy_after,
            check_interval: SimDuration::from_millis_f64(geo.health_interval_ms),
            books: Books {
                lookups: 0,
                cache_hits: 0,
                failed: 0,
                interval_failed: 0,
                answers: vec![0; dcs],
                moves: 0,
                outages: vec![0; dcs],
            },
        }
    }

    /// Its entry in the world's component list.
    pub fn info() -> ComponentInfo {
        ComponentInfo {
            id: GeoDns::ID,
            name: "dns".into(),
            kind: ComponentKind::Dns,
        }
    }

    /// How long a user caches an answer, ms (0: never).
    pub fn ttl_ms(&self) -> u32 {
        self.ttl_ms
    }

    pub fn is_alive(&self) -> bool {
        self.alive
    }

    /// Dies now, logging it; false if it was down already. Lookups under way get no answer:
    /// the caller forgets them (the users' pending answers, the data centers' lookups).
    pub fn kill(&mut self, ctx: &mut Kernel<(), GeoEvent>) -> bool {
        if !self.alive {
            return false;
        }
        self.alive = false;
        ctx.log(
            "dns",
            "dns down; clients with a cached answer keep working until it expires".into(),
        );
        true
    }

    /// Comes back now, logging it (nothing if it was up).
    pub fn repair(&mut self, ctx: &mut Kernel<(), GeoEvent>) {
        if !self.alive {
            self.alive = true;
            ctx.log("dns", "dns back".into());
        }
    }

    /// Whether it names each data center now.
    pub fn named(&self) -> &[bool] {
        &self.named
    }

    /// The request of a user of `region` found in state `drawn`, at `now`: the user's cached
    /// answer, a lookup answered (drawing from `rng` with `split` routing), or a lookup that
    /// fails because it is down.
    pub fn resolve(
        &mut self,
        region: usize,
        drawn: Drawn,
        now: SimTime,
        rng: &mut Rng,
    ) -> Resolved {
        if let Drawn::Cached { dc, expiry_ms, .. } = drawn {
            if self.ttl_ms > 0 {
                self.books.cache_hits += 1;
                return Resolved::Cached {
                    dc,
                    ready_ms: expiry_ms.saturating_sub(self.ttl_ms),
                };
            }
        }
        self.books.lookups += 1;
        if !self.alive {
            // No answer: the request fails after the lookup's time; the user asks again next
            // time.
            self.books.failed += 1;
            self.books.interval_failed += 1;
            return Resolved::Failed;
        }
        let dc = self.answer(region, rng);
        self.books.answers[dc] += 1;
        if drawn.previous_dc().is_some_and(|prev| prev != dc) {
            self.books.moves += 1;
        }
        let done = now.plus(self.lookup);
        let done_ms = done.as_nanos().div_ceil(1_000_000) as u32;
        let expiry_ms = done_ms.saturating_add(self.ttl_ms).max(1);
        Resolved::Looked { dc, expiry_ms }
    }

    /// The data center nearest to `region` that it names (the nearest of all when it names
    /// none).
    pub fn nearest_named(&self, region: usize) -> usize {
        let order = &self.nearest[region];
        order
            .iter()
            .copied()
            .find(|&d| self.named[d])
            .unwrap_or(order[0])
    }

    /// What it answers to a user of `region` now.
    fn answer(&self, region: usize, rng: &mut Rng) -> usize {
        match self.routing {
            GeoRouting::Nearest => self.nearest_named(region),
            GeoRouting::Split => self.split_answer(region, rng),
        }
    }

    /// A data center drawn among the named ones by their shares.
    fn split_answer(&self, region: usize, rng: &mut Rng) -> usize {
        let total: f64 = (0..self.named.len())
            .filter(|&d| self.named[d])
            .map(|d| self.split[d])
            .sum();
        if total <= 0.0 {
            // The named ones all have share 0 (those with a share are out): answer with the
            // nearest named one rather than one it has stopped naming.
            return self.nearest_named(region);
        }
        let mut x = rng.unit() * total;
        for d in 0..self.named.len() {
            if self.named[d] {
                x -= self.split[d];
                if x < 0.0 {
                    return d;
                }
            }
        }
        (0..self.named.len())
            .rev()
            .find(|&d| self.named[d])
            .unwrap_or(self.nearest[region][0])
    }

    /// Schedules its next health check, `check_interval` after now.
    pub fn schedule_check(&self, ctx: &mut Kernel<(), GeoEvent>) {
        ctx.events
            .push(ctx.now.plus(self.check_interval), GeoEvent::HealthCheck);
    }

    /// Whether the next health check could change what it names: true when one more failed
    /// check would take a named data center out, or one more passed check would bring an
    /// unnamed one back. While false, the check's outcome cannot change its answers, whatever
    /// the data centers' state.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn check_may_flip(&self) -> bool {
        self.checks.iter().zip(&self.named).any(|(c, &named)| {
            if named {
                c.fails_in_row + 1 >= self.unhealthy_after
            } else {
                c.passes_in_row + 1 >= self.healthy_after
            }
        })
    }

    /// Data center `d`, called `name`, passed (`healthy`) or failed a health check now: it is
    /// named no more, or again, when its checks in a row say so (logged).
    pub fn checked(&mut self, d: usize, name: &str, healthy: bool, ctx: &mut Kernel<(), GeoEvent>) {
        let c = &mut self.checks[d];
        if healthy {
            c.passes_in_row += 1;
            c.fails_in_row = 0;
        } else {
            c.fails_in_row += 1;
            c.passes_in_row = 0;
        }
        let named = &mut self.named[d];
        if *named && c.fails_in_row >= self.unhealthy_after {
            *named = false;
            let down_after = self.unhealthy_after;
            ctx.log(
                name,
                format!("geoDNS: {name} failed {down_after} health checks; new lookups are answered with another data center, cached answers still point here until they expire"),
            );
        } else if !*named && c.passes_in_row >= self.healthy_after {
            *named = true;
            let up_after = self.healthy_after;
            ctx.log(
                name,
                format!("geoDNS: {name} passed {up_after} health checks; answered again"),
            );
        }
    }

    /// A metrics interval ends, with each data center up or not (`up`, in data-center
    /// order): counts the intervals it named one that was down, and returns the requests it
    /// failed in the interval (counted afresh from now).
    pub fn end_interval(&mut self, up: impl Iterator<Item = bool>) -> u64 {
        for ((outages, &named), up) in self.books.outages.iter_mut().zip(&self.named).zip(up) {
            if named && !up {
                *outages += 1;
            }
        }
        std::mem::take(&mut self.books.interval_failed)
    }

    /// Requests it failed so far (for want of an answer).
    pub fn failed(&self) -> u64 {
        self.books.failed
    }

    /// Sets the requests it failed so far back to `failed`, a figure [`GeoDns::failed`] gave:
    /// the world's side-by-side spans read a snapshot with the figures of an earlier time.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_failed(&mut self, failed: u64) {
        self.books.failed = failed;
    }

    /// Its entry in the snapshot's component states.
    pub fn state(&self) -> ComponentState {
        ComponentState {
            id: GeoDns::ID,
            alive: self.alive,
            ..ComponentState::default()
        }
    }

    /// The report's `dns` section: lookups, and requests that used a cached answer.
    pub fn section(&self) -> DnsReport {
        DnsReport {
            lookups: self.books.lookups,
            cache_hits: self.books.cache_hits,
        }
    }

    /// The requests it failed, by reason (all `dns_down`).
    pub fn failures(&self) -> FailureCounts {
        FailureCounts {
            queue_full: 0,
            timeout: 0,
            server_down: 0,
            dns_down: self.books.failed,
            no_healthy_server: 0,
            db_down: 0,
            session_store_down: 0,
            rate_limited: 0,
        }
    }

    /// Its figures in the report's `geo` section.
    pub fn geo_figures(&self) -> GeoFigures {
        GeoFigures {
            routing: self.routing,
            lookups: self.books.lookups,
            failed: self.books.failed,
            users_moved: self.books.moves,
        }
    }

    /// Data center `d`'s report (`part`) with its figures in it: the lookups it answered
    /// with `d`, whether it names `d` at the end, and the intervals it named `d` while `d`
    /// was down.
    pub fn data_center_report(&self, d: usize, part: DataCenterReport) -> DataCenterReport {
        DataCenterReport {
            dns_answers: self.books.answers[d],
            in_dns_at_end: self.named[d],
            intervals_named_while_down: self.books.outages[d],
            ..part
        }
    }

    /// Its line in the bill: its lookups.
    pub fn bill(&self, bill: &mut Bill) {
        bill.add(
            "geoDNS lookups",
            self.books.lookups as f64 / 1e6,
            "million lookups",
            PRICES.dns_million_lookups,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{GeoDns, Resolved};
    use crate::sim::geo::population::Drawn;
    use crate::sim::geo::GeoEvent;
    use crate::sim::kernel::rng::Rng;
    use crate::sim::kernel::run::Kernel;
    use crate::sim::SimTime;

    /// Stage 11's geoDNS (two data centers: us-east in north-america, eu-west in europe).
    fn dns() -> GeoDns {
        let s = crate::scenario::preset(11).expect("stage 11");
        GeoDns::new(s.geo.as_ref().expect("geo"), &s.dns, &[0, 1])
    }

    const NEVER: Drawn = Drawn::Never { offset: 0 };

    #[test]
    fn a_lookup_while_down_fails_and_a_cached_answer_still_works() {
        let (mut dns, mut ctx, mut rng) = (dns(), Kernel::<(), GeoEvent>::new(1), Rng::new(1));
        assert!(dns.kill(&mut ctx));
        assert!(!dns.kill(&mut ctx), "a second kill changes nothing");
        assert_eq!(
            dns.resolve(0, NEVER, SimTime::ZERO, &mut rng),
            Resolved::Failed
        );
        let cached = Drawn::Cached {
            slot: 0,
            offset: 0,
            dc: 1,
            expiry_ms: dns.ttl_ms() + 5,
        };
        let got = dns.resolve(0, cached, SimTime::ZERO, &mut rng);
        assert_eq!(got, Resolved::Cached { dc: 1, ready_ms: 5 });
        assert_eq!((dns.failed(), dns.section().lookups), (1, 1));
        assert_eq!(dns.section().cache_hits, 1);
        dns.repair(&mut ctx);
        assert!(matches!(
            dns.resolve(0, NEVER, SimTime::ZERO, &mut rng),
            Resolved::Looked { dc: 0, .. }
        ));
        assert_eq!(ctx.log.len(), 2, "down once, back once");
    }

    #[test]
    fn health_checks_in_a_row_take_a_data_center_out_and_bring_it_back() {
        let (mut dns, mut ctx) = (dns(), Kernel::<(), GeoEvent>::new(1));
        let (down_after, up_after) = (dns.unhealthy_after, dns.healthy_after);
        for _ in 1..down_after {
            dns.checked(0, "us-east", false, &mut ctx);
        }
        assert!(dns.check_may_flip() && dns.named()[0]);
        // Still named, and down: an interval that sent users into an outage.
        assert_eq!(dns.end_interval([false, true].into_iter()), 0);
        dns.checked(0, "us-east", false, &mut ctx);
        assert_eq!(dns.named(), &[false, true]);
        // Its users go to the nearest data center it still names.
        assert_eq!(dns.nearest_named(0), 1);
        dns.end_interval([false, true].into_iter());
        assert_eq!(dns.books.outages, vec![1, 0], "named while down once");
        for _ in 0..up_after {
            dns.checked(0, "us-east", true, &mut ctx);
        }
        assert!(dns.named()[0]);
        assert_eq!(ctx.log.len(), 2);
    }
}
