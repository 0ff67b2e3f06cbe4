//! The DNS server of one data center: each user's cached answer (when it expires), lookups
//! and their answers, the server's deaths. A built-in kind on the registration
//! (`built_in/mod.rs`, `built_ins!`): the component every request asks before it departs.
//!
//! ```text
//!   request of user u ──on_depart──▶ cached: Leave (at once, or when u's lookup answers)
//!                                    lookup: Wait — the answer comes `lookup` later, tagged
//!                                            with the server's life; `on_answer` says
//!                                            whether it counts (Err(dns_down): lost)
//! ```
//!
//! A lookup sent while the server is down, or across one of its deaths, gets no answer: the
//! request fails as `dns_down` and the user's next request looks up again. Clients with a
//! cached answer keep working until it expires. At stage 11 the geo layer keeps the users'
//! answers and asks each data center's server only for the time of a lookup and its life
//! ([`Asking::LookupFor`], [`Asking::Pending`], [`BuiltIn::answers_lost`]).
//!
//! [`Dns`] owns the answers' expiry times, the server's life and its counts; the stack asks
//! it through the registration's hooks and moves the request itself.

use super::registry::{Asking, BuiltIn, Component, Departure, Listed};
use super::station::Station;
use crate::scenario::topology::NodeKind;
use crate::scenario::{Dns as DnsSpec, Scenario};
use crate::sim::cost::{Bill, PRICES};
use crate::sim::kernel::queue::Lane;
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::{DnsReport, Sections};
use crate::sim::{ComponentKind, Outcome};

/// A life stamp that never matches: the lookup was sent while the server was down.
const SENT_WHILE_DOWN: u32 = u32::MAX;

/// The DNS server and its users' cached answers.
#[derive(Clone)]
pub(in crate::sim) struct Dns {
    /// Whether the server is up.
    alive: bool,
    /// Times the server died (a lookup in flight across a death gets no answer); also the
    /// current life's stamp.
    deaths: u32,
    /// Time from a lookup to its answer.
    lookup: SimDuration,
    /// How long an answer is cached, ms (0: never).
    ttl_ms: u32,
    /// Per user: when the cached answer expires, in ms of simulated time (0: none).
    expiry_ms: Vec<u32>,
    /// Lookups sent to the server.
    lookups: u64,
    /// Requests that used a cached answer.
    cache_hits: u64,
}

impl Dns {
    /// The DNS server of `spec`, up, with no user yet.
    pub fn new(spec: &DnsSpec) -> Dns {
        Dns {
            alive: true,
            deaths: 0,
            lookup: SimDuration::from_millis_f64(spec.lookup_ms),
            ttl_ms: spec.ttl_s.saturating_mul(1000),
            expiry_ms: Vec::new(),
            lookups: 0,
            cache_hits: 0,
        }
    }

    /// The user's request at `now`: cached answer, or a lookup sent now.
    #[inline]
    fn resolve(&mut self, user: usize, now: SimTime) -> Departure {
        let now_ms = (now.as_nanos() / 1_000_000) as u32;
        let expiry_ms = self.expiry_ms[user];
        if self.ttl_ms == 0 || expiry_ms <= now_ms {
            self.lookups += 1;
            // Until the answer arrives, later requests of this user wait for it.
            let done = now + self.lookup;
            let done_ms = done.as_nanos().div_ceil(1_000_000) as u32;
            self.expiry_ms[user] = done_ms.saturating_add(self.ttl_ms);
            let life = if self.alive {
                self.deaths
            } else {
                SENT_WHILE_DOWN
            };
            return self.wait(done, life);
        }
        self.cache_hits += 1;
        // A lookup of this user's may still be under way: the request waits for its answer.
        let ready = SimTime::from_micros(u64::from(expiry_ms - self.ttl_ms) * 1000);
        Departure::Leave { at: now.max(ready) }
    }

    /// A lookup's answer due at `until`, stamped with life `life`.
    #[inline]
    fn wait(&self, until: SimTime, life: u32) -> Departure {
        Departure::Wait {
            until,
            tag: life,
            lane: Lane::Dns,
        }
    }

    /// A lookup stamped `life` answers: whether the answer counts. When it does not, the
    /// user's answer is forgotten (the next request looks up again).
    fn answered(&mut self, user: u32, life: u32) -> bool {
        if self.alive && life == self.deaths {
            return true;
        }
        if let Some(expiry) = self.expiry_ms.get_mut(user as usize) {
            *expiry = 0;
        }
        false
    }

    /// Its report section.
    fn report(&self) -> DnsReport {
        DnsReport {
            lookups: self.lookups,
            cache_hits: self.cache_hits,
        }
    }
}

impl Component for Dns {}

impl BuiltIn for Dns {
    const NODE: NodeKind = NodeKind::Dns;
    const LISTED: Listed = Listed::AfterUsers;
    const BILL_ORDER: u8 = 64;
    const BEFORE_DEPARTURE: bool = true;

    /// Every stack has one (the scenario's `dns` is not optional).
    fn of_scenario(scenario: &Scenario) -> Option<Dns> {
        Some(Dns::new(&scenario.dns))
    }

    /// Makes room for `users` users (users are never forgotten when the population shrinks).
    fn users_changed(&mut self, users: usize) {
        if self.expiry_ms.len() < users {
            self.expiry_ms.resize(users, 0);
        }
    }

    fn report_section(&self, _stations: &[Station], sections: &mut Sections<'_>) {
        sections.dns = self.report();
    }

    fn component(&self) -> Option<(&'static str, ComponentKind)> {
        Some(("dns", ComponentKind::Dns))
    }

    /// Lookups under way get no answer.
    fn kill(&mut self, _now: SimTime) -> &'static str {
        self.alive = false;
        self.deaths = self.deaths.wrapping_add(1);
        "; clients with a cached answer keep working until it expires"
    }

    fn repair(&mut self, _now: SimTime) -> &'static str {
        self.alive = true;
        ""
    }

    fn is_alive(&self) -> bool {
        self.alive
    }

    fn bill(&self, bill: &mut Bill) {
        bill.add(
            "DNS lookups",
            self.lookups as f64 / 1e6,
            "million lookups",
            PRICES.dns_million_lookups,
        );
    }

    /// A user of this stack: its cached answer, or a lookup sent now. Stage 11: the geo
    /// layer's lookup, due after this server's lookup time, or the wait for one under way —
    /// both stamped with this server's life (the geo layer counts its own lookups).
    #[inline]
    fn on_depart(&mut self, asking: Asking, now: SimTime) -> Departure {
        match asking {
            Asking::Own { user } => self.resolve(user, now),
            Asking::LookupFor => self.wait(now + self.lookup, self.deaths),
            Asking::Pending { ready } if ready > now => self.wait(ready, self.deaths),
            Asking::Pending { .. } => Departure::Leave { at: now },
        }
    }

    /// The answer counts if the server was up when asked and has not died since; otherwise
    /// the request fails as `dns_down` and the user's answer is forgotten.
    #[inline]
    fn on_answer(&mut self, user: u32, tag: u32, _now: SimTime) -> Result<(), Outcome> {
        if self.answered(user, tag) {
            Ok(())
        } else {
            Err(Outcome::DnsDown)
        }
    }

    /// Stage 11: the geoDNS layer died, so lookups it has under way for this data center get
    /// no answer (this server itself stays up).
    fn answers_lost(&mut self) {
        self.deaths = self.deaths.wrapping_add(1);
    }

    /// Bytes held per user.
    fn heap_bytes(&self) -> usize {
        self.expiry_ms.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LANE: Lane = Lane::Dns;

    fn dns(ttl_s: u32) -> Dns {
        let mut d = Dns::new(&DnsSpec {
            lookup_ms: 20.0,
            ttl_s,
        });
        d.users_changed(3);
        d
    }

    /// Asks for `user`'s answer at `now`, as a lone stack does.
    fn ask(d: &mut Dns, user: usize, now: SimTime) -> Departure {
        d.on_depart(Asking::Own { user }, now)
    }

    /// The time and life stamp of a lookup's answer (panics on a cached answer).
    fn looked_up(departure: Departure) -> (SimTime, u32) {
        match departure {
            Departure::Wait { until, tag, lane } => {
                assert_eq!(lane, LANE, "DNS answers keep their lane");
                (until, tag)
            }
            other => panic!("a lookup expected, got {other:?}"),
        }
    }

    #[test]
    fn an_answer_is_cached_for_its_ttl_then_looked_up_again() {
        let mut d = dns(60);
        let (done, life) = looked_up(ask(&mut d, 1, SimTime::from_secs(1)));
        assert_eq!(done, SimTime::from_millis_f64(1020.0));
        assert_eq!(d.on_answer(1, life, done), Ok(()));
        // Before its answer came, a second request waits for it; after, it leaves at once.
        let early = SimTime::from_millis_f64(1005.0);
        assert_eq!(ask(&mut d, 1, early), Departure::Leave { at: done });
        let later = SimTime::from_secs(30);
        assert_eq!(ask(&mut d, 1, later), Departure::Leave { at: later });
        // Another user has its own answer.
        looked_up(ask(&mut d, 2, later));
        // 60 s after the answer came, it has expired.
        looked_up(ask(&mut d, 1, SimTime::from_secs(62)));
        assert_eq!(
            d.report(),
            DnsReport {
                lookups: 3,
                cache_hits: 2
            }
        );
    }

    #[test]
    fn with_no_ttl_every_request_looks_up() {
        let mut d = dns(0);
        for s in 1..4 {
            looked_up(ask(&mut d, 0, SimTime::from_secs(s)));
        }
        assert_eq!(d.report().lookups, 3);
        // Its bill charges them.
        let mut bill = Bill::default();
        d.bill(&mut bill);
        let bill = bill.finish(1.0);
        assert_eq!(bill.items.len(), 1);
        assert_eq!(bill.items[0].item, "DNS lookups");
        assert!((bill.items[0].quantity - 3e-6).abs() < 1e-12);
    }

    #[test]
    fn a_death_loses_the_lookups_under_way_and_their_answers() {
        let mut d = dns(60);
        let (_, life) = looked_up(ask(&mut d, 0, SimTime::ZERO));
        assert!(BuiltIn::kill(&mut d, SimTime::ZERO).contains("cached answer keep working"));
        assert!(!BuiltIn::is_alive(&d));
        // The answer under way does not count, and the user must look up again.
        let lost = Err(Outcome::DnsDown);
        assert_eq!(d.on_answer(0, life, SimTime::ZERO), lost);
        let (_, down) = looked_up(ask(&mut d, 0, SimTime::from_secs(1)));
        // Sent while down: no answer even once the server is back.
        BuiltIn::repair(&mut d, SimTime::from_secs(1));
        assert_eq!(d.on_answer(0, down, SimTime::from_secs(1)), lost);
        let (_, up) = looked_up(ask(&mut d, 0, SimTime::from_secs(2)));
        assert_eq!(d.on_answer(0, up, SimTime::from_secs(2)), Ok(()));
        // The geo layer's loss drops lookups under way too, the server staying up.
        let (_, life) = looked_up(ask(&mut d, 1, SimTime::from_secs(3)));
        d.answers_lost();
        assert!(BuiltIn::is_alive(&d));
        assert_eq!(d.on_answer(1, life, SimTime::from_secs(3)), lost);
    }

    #[test]
    fn the_geo_layers_lookups_take_the_servers_time_and_life() {
        let mut d = dns(60);
        let now = SimTime::from_secs(5);
        // A lookup on the geo layer's behalf: due after the lookup time, not counted here.
        let (until, life) = looked_up(d.on_depart(Asking::LookupFor, now));
        assert_eq!(until, SimTime::from_millis_f64(5020.0));
        // A user waiting for a lookup under way waits until it answers; once it has, or
        // with none, the request leaves at once.
        let ready = SimTime::from_millis_f64(5010.0);
        let (at, tag) = looked_up(d.on_depart(Asking::Pending { ready }, now));
        assert_eq!((at, tag), (ready, life));
        let pending = Asking::Pending { ready: now };
        assert_eq!(d.on_depart(pending, now), Departure::Leave { at: now });
        let none = Asking::Pending {
            ready: SimTime::ZERO,
        };
        assert_eq!(d.on_depart(none, now), Departure::Leave { at: now });
        assert_eq!(d.report().lookups, 0);
        // A user index the server never held (the geo layer's) is answered without a table.
        assert_eq!(d.on_answer(1_000_000, life, until), Ok(()));
        d.answers_lost();
        assert_eq!(d.on_answer(1_000_000, life, until), Err(Outcome::DnsDown));
    }
}
