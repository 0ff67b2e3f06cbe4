//! Sticky sessions (stage 7): each user's session lives on the web server that first served
//! them, and the balancer sends them back there while it can.
//!
//! ```text
//!   request of user u ──▶ server_for(u): the session's server, if it is the same life of
//!                          that server and still in the pool ──▶ that server
//!                          otherwise the session is gone (a re-login) ──▶ the balancer picks
//!   served by server s ──▶ note(u, s): u's session is now on s
//!   server s dies      ──▶ server_died(s): its sessions are gone, their users logged out
//! ```
//!
//! The table owns the sessions and the counts; the engine tells it which server a user reached
//! and which server died, and asks it where a user's session is.
//!
//! The other mode, the shared session store ([`SessionStore`]), is a built-in kind on the
//! registration: one station the web server asks on the routes that read a session
//! (`Route::session`), before its data work; any server can then serve anyone.

use super::registry::{Ask, BuiltIn, Component, NewStation, RunSoFar};
use super::station::Station;
use crate::scenario::topology::NodeKind;
use crate::scenario::{Scenario, SessionMode};
use crate::sim::cost::{Bill, PRICES};
use crate::sim::kernel::rng::Sampler;
use crate::sim::report::SessionReport;
use crate::sim::{ComponentKind, Outcome, RequestKind};

/// No session.
const NO_SERVER: u16 = u16::MAX;

/// Which web server holds each user's session.
#[derive(Clone, Default)]
pub(in crate::sim) struct StickySessions {
    /// Per user: the server holding the session and that server's life (its station epoch
    /// when the session began); `NO_SERVER`: none.
    of_user: Vec<(u16, u32)>,
    /// Sessions held per web server.
    on_server: Vec<u64>,
    /// Sessions lost with their servers.
    logged_out: u64,
    /// Requests whose session was gone (the user logs in again elsewhere).
    relogins: u64,
}

impl StickySessions {
    /// Room for `users` users' sessions.
    pub fn reserve_users(&mut self, users: usize) {
        if self.of_user.len() < users {
            self.of_user.resize(users, (NO_SERVER, 0));
        }
    }

    /// A web server joins (servers are numbered in the order they join).
    pub fn add_server(&mut self) {
        self.on_server.push(0);
    }

    /// The server holding `user`'s session, if it still can: `life_of(s)` is server `s`'s
    /// life now, `in_pool(s)` whether the balancer sends it requests. A session whose server
    /// died or left the pool is gone: counted as a re-login, and forgotten.
    pub fn server_for(
        &mut self,
        user: usize,
        life_of: impl Fn(usize) -> u32,
        in_pool: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let (server, life) = *self.of_user.get(user)?;
        if server == NO_SERVER {
            return None;
        }
        let i = usize::from(server);
        let same_life = life_of(i) == life;
        if same_life && in_pool(i) {
            return Some(i);
        }
        self.relogins += 1;
        self.of_user[user] = (NO_SERVER, 0);
        if same_life {
            self.on_server[i] = self.on_server[i].saturating_sub(1);
        }
        None
    }

    /// `user` reached `server` (in its life `life`): a user without a session gets one there.
    pub fn note(&mut self, user: usize, server: usize, life: u32) {
        if self.of_user.get(user).is_some_and(|s| s.0 == NO_SERVER) {
            self.of_user[user] = (server as u16, life);
            self.on_server[server] += 1;
        }
    }

    /// `server` died: the sessions it held are gone and their users logged out.
    pub fn server_died(&mut self, server: usize) {
        self.logged_out += self.on_server[server];
        self.on_server[server] = 0;
    }

    /// Users logged out so far.
    pub fn logged_out(&self) -> u64 {
        self.logged_out
    }

    /// Bytes the per-user table holds.
    pub fn heap_bytes(&self) -> usize {
        self.of_user.len() * std::mem::size_of::<(u16, u32)>()
    }

    /// Its section of the report.
    pub fn report(&self) -> SessionReport {
        SessionReport {
            logged_out: self.logged_out,
            relogins: self.relogins,
        }
    }
}

/// The shared session store (`sessions.mode = shared_store`): one station in the stack's
/// table, placed after the CDN edge's component; every request whose route reads the
/// session is served there once (a session read) before the web server's data work.
#[derive(Clone)]
pub(in crate::sim) struct SessionStore {
    /// How long a session read takes one of its workers.
    get: Sampler,
    /// Its workers (its line holds 16 per worker).
    workers: u32,
    /// Its station (`u16::MAX` until the stack places it).
    station: u16,
}

impl Component for SessionStore {}

impl BuiltIn for SessionStore {
    const NODE: NodeKind = NodeKind::SessionStore;

    fn of_scenario(scenario: &Scenario) -> Option<SessionStore> {
        let sessions = scenario.sessions.as_ref()?;
        (sessions.mode == SessionMode::SharedStore).then(|| SessionStore {
            get: Sampler::new(&sessions.store_get),
            workers: sessions.store_workers,
            station: u16::MAX,
        })
    }

    /// Its machine, for the whole run.
    fn bill_machines(&self, run: &RunSoFar<'_>, bill: &mut Bill) {
        bill.add(
            "session store",
            run.hours,
            "hours",
            PRICES.session_store_hour,
        );
    }

    fn initial_stations(&self) -> Vec<u32> {
        vec![1]
    }

    fn new_station(&self, _group: u8) -> NewStation {
        NewStation {
            name: "sessions".into(),
            kind: ComponentKind::SessionStore,
            index: 0,
            station: Station::new(self.workers, self.workers.saturating_mul(16)),
        }
    }

    fn station_placed(&mut self, _group: u8, station: u16, _initial: bool) -> Option<String> {
        self.station = station;
        None
    }

    #[inline]
    fn station_for(&mut self, _group: u8, _ask: Ask, _stations: &[Station]) -> Option<u16> {
        Some(self.station)
    }

    #[inline]
    fn station_service(&self, _index: u16, _kind: RequestKind) -> Sampler {
        self.get
    }

    /// A request it cannot serve fails: the user's session cannot be read.
    fn refuses_as(&self) -> Outcome {
        Outcome::SessionStoreDown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::components::registry::Served;
    use crate::sim::components::station::ReqRef;
    use crate::sim::SimTime;

    fn two_servers(users: usize) -> StickySessions {
        let mut s = StickySessions::default();
        s.reserve_users(users);
        s.add_server();
        s.add_server();
        s
    }

    #[test]
    fn a_session_sticks_to_its_server_until_that_server_dies() {
        let mut s = two_servers(3);
        assert_eq!(s.server_for(0, |_| 0, |_| true), None);
        s.note(0, 1, 0);
        assert_eq!(s.server_for(0, |_| 0, |_| true), Some(1));
        s.server_died(1);
        assert_eq!(s.logged_out(), 1);
        // Server 1 came back in a new life: the session is gone, the user logs in again.
        assert_eq!(s.server_for(0, |_| 1, |_| true), None);
        let r = s.report();
        assert_eq!((r.logged_out, r.relogins), (1, 1));
    }

    #[test]
    fn a_server_leaving_the_pool_loses_its_sessions_to_relogins() {
        let mut s = two_servers(2);
        s.note(1, 0, 0);
        s.note(1, 1, 0); // already has a session: unchanged
        assert_eq!(s.server_for(1, |_| 0, |i| i != 0), None);
        assert_eq!(s.report().relogins, 1);
        s.server_died(0);
        assert_eq!(s.logged_out(), 0, "the session was already counted as gone");
    }

    #[test]
    fn the_session_store_is_one_station_that_hands_requests_back() {
        let mut s = crate::scenario::preset(7).expect("preset 7");
        let mut store = SessionStore::of_scenario(&s).expect("a shared store");
        assert_eq!(store.initial_stations(), vec![1]);
        let new = store.new_station(0);
        assert_eq!(
            (new.name.as_str(), new.kind),
            ("sessions", ComponentKind::SessionStore)
        );
        store.station_placed(0, 42, true);
        assert_eq!(
            store.station_for(0, Ask::key(RequestKind::PageView, 9), &[]),
            Some(42)
        );
        let now = SimTime::from_secs(1);
        let req = ReqRef { slot: 0, gen: 1 };
        let served = store.station_served(
            0,
            req,
            Ask::key(RequestKind::PageView, 9),
            now,
            |_| 0,
            |_| false,
        );
        assert_eq!(served, Served::Resume);
        assert_eq!(store.refuses_as(), Outcome::SessionStoreDown);
        assert_eq!(
            store.station_down(0),
            super::super::registry::Down::Fail(Outcome::SessionStoreDown)
        );
        assert_eq!(store.station_died(0), None);
        // Sticky sessions: no store.
        s.sessions.as_mut().expect("sessions").mode = SessionMode::Sticky;
        assert!(SessionStore::of_scenario(&s).is_none());
    }
}
