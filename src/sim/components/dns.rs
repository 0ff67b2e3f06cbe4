//! The DNS server of one data center: each user's cached answer (when it expires), lookups
//! and their answers, the server's deaths.
//!
//! ```text
//!   request of user u ──resolve──▶ cached: leave (at once, or when u's lookup answers)
//!                                  lookup: the answer comes `lookup` later, tagged with the
//!                                          server's life; `answered` says whether it counts
//! ```
//!
//! A lookup sent while the server is down, or across one of its deaths, gets no answer: the
//! request fails as `dns_down` and the user's next request looks up again. Clients with a
//! cached answer keep working until it expires.
//!
//! [`Dns`] owns the answers' expiry times, the server's life and its counts; the engine asks
//! `resolve(user, now)` and `answered(user, life)` and moves the request itself.

use crate::scenario::Dns as DnsSpec;
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::DnsReport;

/// A life stamp that never matches: the lookup was sent while the server was down.
const SENT_WHILE_DOWN: u32 = u32::MAX;

/// What a request's user does before it can leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Resolve {
    /// The user has an answer (or one is on its way): the request leaves at `ready` (now or
    /// later, when the user's lookup under way answers).
    Cached { ready: SimTime },
    /// A lookup is sent now: its answer comes at `done`, stamped with the server's `life`.
    Lookup { done: SimTime, life: u32 },
}

/// The DNS server and its users' cached answers.
#[derive(Clone)]
pub(in crate::sim) struct Dns {
    /// Whether the server is up.
    pub alive: bool,
    /// Times the server died (a lookup in flight across a death gets no answer); also the
    /// current life's stamp.
    deaths: u32,
    /// Time from a lookup to its answer.
    pub lookup: SimDuration,
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

    /// Makes room for `users` users (users are never forgotten when the population shrinks).
    pub fn reserve_users(&mut self, users: usize) {
        if self.expiry_ms.len() < users {
            self.expiry_ms.resize(users, 0);
        }
    }

    /// The user's request at `now`: cached answer, or a lookup sent now.
    #[inline]
    pub fn resolve(&mut self, user: usize, now: SimTime) -> Resolve {
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
            return Resolve::Lookup { done, life };
        }
        self.cache_hits += 1;
        // A lookup of this user's may still be under way: the request waits for its answer.
        let ready = SimTime::from_micros(u64::from(expiry_ms - self.ttl_ms) * 1000);
        Resolve::Cached {
            ready: now.max(ready),
        }
    }

    /// The current life's stamp (for lookups the geo layer starts on this server's behalf).
    pub fn life(&self) -> u32 {
        self.deaths
    }

    /// A lookup stamped `life` answers: whether the answer counts. When it does not, the
    /// user's answer is forgotten (the next request looks up again).
    pub fn answered(&mut self, user: u32, life: u32) -> bool {
        if self.alive && life == self.deaths {
            return true;
        }
        if let Some(expiry) = self.expiry_ms.get_mut(user as usize) {
            *expiry = 0;
        }
        false
    }

    /// The server dies: lookups under way get no answer. Returns the log line.
    pub fn kill(&mut self, name: &str, cause: &str) -> String {
        self.alive = false;
        self.deaths = self.deaths.wrapping_add(1);
        format!("{name} down ({cause}); clients with a cached answer keep working until it expires")
    }

    /// Stage 11: the geoDNS layer died, so lookups it has under way for this data center get
    /// no answer (this server itself stays up).
    pub fn lookups_lost(&mut self) {
        self.deaths = self.deaths.wrapping_add(1);
    }

    /// The server is back.
    pub fn repair(&mut self) {
        self.alive = true;
    }

    /// Lookups sent so far.
    pub fn lookups(&self) -> u64 {
        self.lookups
    }

    /// Bytes held per user (for the footprint figure).
    pub fn heap_bytes(&self) -> usize {
        self.expiry_ms.len() * 4
    }

    /// Its report section.
    pub fn report(&self) -> DnsReport {
        DnsReport {
            lookups: self.lookups,
            cache_hits: self.cache_hits,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dns(ttl_s: u32) -> Dns {
        let mut d = Dns::new(&DnsSpec {
            lookup_ms: 20.0,
            ttl_s,
        });
        d.reserve_users(3);
        d
    }

    #[test]
    fn an_answer_is_cached_for_its_ttl_then_looked_up_again() {
        let mut d = dns(60);
        let Resolve::Lookup { done, life } = d.resolve(1, SimTime::from_secs(1)) else {
            panic!("a first request looks up");
        };
        assert_eq!(done, SimTime::from_millis_f64(1020.0));
        assert!(d.answered(1, life));
        // Before its answer came, a second request waits for it; after, it leaves at once.
        let early = SimTime::from_millis_f64(1005.0);
        assert_eq!(d.resolve(1, early), Resolve::Cached { ready: done });
        let later = SimTime::from_secs(30);
        assert_eq!(d.resolve(1, later), Resolve::Cached { ready: later });
        // Another user has its own answer.
        assert!(matches!(d.resolve(2, later), Resolve::Lookup { .. }));
        // 60 s after the answer came, it has expired.
        assert!(matches!(
            d.resolve(1, SimTime::from_secs(62)),
            Resolve::Lookup { .. }
        ));
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
            assert!(matches!(
                d.resolve(0, SimTime::from_secs(s)),
                Resolve::Lookup { .. }
            ));
        }
        assert_eq!(d.lookups(), 3);
    }

    #[test]
    fn a_death_loses_the_lookups_under_way_and_their_answers() {
        let mut d = dns(60);
        let Resolve::Lookup { life, .. } = d.resolve(0, SimTime::ZERO) else {
            panic!("a lookup");
        };
        assert!(d.kill("dns", "test").contains("cached answer keep working"));
        // The answer under way does not count, and the user must look up again.
        assert!(!d.answered(0, life));
        let Resolve::Lookup { life: down, .. } = d.resolve(0, SimTime::from_secs(1)) else {
            panic!("the answer was forgotten");
        };
        // Sent while down: no answer even once the server is back.
        d.repair();
        assert!(!d.answered(0, down));
        let Resolve::Lookup { life: up, .. } = d.resolve(0, SimTime::from_secs(2)) else {
            panic!("forgotten again");
        };
        assert!(d.answered(0, up));
        // The geo layer's death loses lookups under way too, the server staying up.
        let Resolve::Lookup { life, .. } = d.resolve(1, SimTime::from_secs(3)) else {
            panic!("a lookup");
        };
        d.lookups_lost();
        assert!(d.alive);
        assert!(!d.answered(1, life));
    }
}
