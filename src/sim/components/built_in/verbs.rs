//! The verbs of the built-in kinds' hooks (see [`super::BuiltIn`]): what a kind answers the
//! stack for a request at its place on the route ([`Step`], [`Pass`], [`Departure`],
//! [`Served`], [`OwnStep`], [`Down`]), what the stack tells it ([`Asking`], [`Ask`]), what it
//! asks the stack to do after its own events ([`Follow`], [`Nudge`], [`NewStation`]) and where
//! its component is listed ([`Listed`]).

use super::*;
/// What a built-in kind standing first on a request's route (the CDN edge) does with a
/// request that reaches it — or that it held, once the hold is over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(in crate::sim) enum Step {
    /// It answers the request itself (served here): its time on the request spans
    /// `from`–`to`, and the answer reaches the user at `at`.
    Answer {
        from: SimTime,
        to: SimTime,
        at: SimTime,
    },
    /// The request goes on into the system's front door, leaving the users' side at
    /// `leaves` (its time on it spans `from`–`to`). `fetch`: it is fetched on the
    /// component's behalf, so the answer comes back through it; otherwise the client asks
    /// the origin itself.
    Onward {
        from: SimTime,
        to: SimTime,
        leaves: SimTime,
        fetch: bool,
    },
    /// It holds the request until `until` (one event of the stack's, carrying the request);
    /// then [`BuiltIn::on_held`] says what follows. `tag`: the component's own note (the
    /// edge: its life when the hit began).
    Hold { until: SimTime, tag: u32 },
}

/// What the kind at the front door (the load balancer) decides for a request that reaches
/// it ([`BuiltIn::pass`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Pass {
    /// It turns the request away: the request fails with `outcome`, its answer on the way
    /// back to the user from now (a dead balancer: `server_down`; an empty pool:
    /// `no_healthy_server`).
    Refuse(Outcome),
    /// It sends the request on to member `member` of the group it asked for (a web pool's
    /// server), after holding it for `after` (its own time).
    Send { member: u16, after: SimDuration },
}

/// Where a built-in kind's component is listed among a stack's components. Its place is its
/// component id, which the snapshot, the report, the diagram and every link naming a
/// component by number read, so each kind keeps the place it had before it was registered.
// Each variant names the components it follows, so each begins with `After`.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Listed {
    /// Right after the users (the DNS server: component 1 of every stack).
    AfterUsers,
    /// After the database nodes (the CDN edge, then the shared session store).
    AfterDatabases,
    /// The front door, after the kinds listed after the users and before the web servers
    /// (the load balancer: component 2 with DNS).
    FrontDoor,
    /// After the components beside the request path (the message queue's), where the
    /// NoSQL stores' nodes stand.
    AfterMembers,
    /// After the NoSQL stores' nodes (the cache clusters' nodes).
    AfterNoSql,
    /// Right after the front door's components, before the databases (the web servers, the
    /// web tier's first stations).
    AfterFrontDoor,
}

/// What the stack knows of a request's user when it asks the component standing before
/// departure ([`BuiltIn::on_depart`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Asking {
    /// A user of this stack, whose answer the component keeps (cached, under way, or none).
    Own { user: usize },
    /// Stage 11: the geo layer keeps the user's answer and asked for it on the user's behalf
    /// just now; the answer comes after the component's own lookup time, and is lost if the
    /// component dies, or the geo layer loses its lookups ([`BuiltIn::answers_lost`]),
    /// meanwhile.
    LookupFor,
    /// Stage 11: the geo layer holds the user's answer; a lookup of the user's still under
    /// way answers at `ready` (in the past or `SimTime::ZERO`: none is).
    Pending { ready: SimTime },
}

/// What the component standing before departure (DNS) decides for a request that asks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Departure {
    /// The request leaves at `at`: now (a cached answer), or later (when an answer already
    /// under way for its user arrives).
    Leave { at: SimTime },
    /// It waits for an answer due at `until`: the stack schedules one event carrying the
    /// request, in `lane` (answers due a fixed time after they are asked keep their lane in
    /// order), and asks [`BuiltIn::on_answer`] with `tag` (the component's own note: DNS's
    /// life when it was asked) when it is due.
    Wait {
        until: SimTime,
        tag: u32,
        lane: Lane,
    },
}

/// What the stack does after handing a built-in component one of its own events
/// ([`OwnEvents::handle`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Follow {
    /// Nothing more.
    Nothing,
    /// Its group of stations `group` (a web pool) changes to `count` in service: the stack
    /// applies it through [`BuiltIn::resize`] and places the new stations it asks for.
    Resize { group: u8, count: u32 },
    /// The balancer checked a pool's servers: the kinds that drive the web tier (the
    /// deploy controller, waiting for its batch to serve again) take a step
    /// ([`BuiltIn::drive`] with [`Nudge::Checked`]).
    Checked,
    /// It starts a request of its own (a database cluster's resharding: its next copy job),
    /// marked `mark` (what only the kind reads): the stack makes the request and sends it
    /// where the kind says ([`BuiltIn::station_for`], asked with [`Ask::own`]).
    Send { mark: u16 },
    /// It drives the web tier and has taken one of its events: the stack lends it the web
    /// tier for the step ([`BuiltIn::drive`] with [`Nudge::Own`]).
    Drive,
    /// Station `station` (a web server, which the deploy controller stops for its new
    /// version) must stop now: what it holds fails as on a crash, which is the stack's
    /// business; the stack stops it, then tells the kind what the stop cut
    /// ([`Nudge::Stopped`]).
    Stop { station: u16 },
}

/// Why the stack hands a kind that drives the web tier a step ([`BuiltIn::drive`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Nudge {
    /// It took one of its own events and asked for the web tier ([`Follow::Drive`]).
    Own,
    /// The balancer has just checked a pool's servers ([`Follow::Checked`]).
    Checked,
    /// The server it asked to stop ([`Follow::Stop`]) has stopped: `in_flight` requests were
    /// in progress on it, `cut` of them failed with it.
    Stopped { in_flight: u64, cut: u64 },
}

/// A station a built-in kind asks the stack to place in its one table
/// ([`BuiltIn::new_station`]), with its component.
pub(in crate::sim) struct NewStation {
    /// Its component's name (`web-3`).
    pub name: String,
    /// Its component's kind (which also says how requests fail when it is down).
    pub kind: ComponentKind,
    /// Its index within its kind, kept in the station's info (a web server's
    /// `web_pool::web_index`).
    pub index: u16,
    /// The station, not placed yet.
    pub station: Station,
}

/// What a built-in kind is told of a request on its way to one of its stations
/// ([`BuiltIn::station_for`]) or served there ([`BuiltIn::station_served`]): enough for a
/// database to pick the node (a write's master, a read's replica, a fan-out's or a copy's
/// shard) and to commit or read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) struct Ask {
    /// The request's kind.
    pub kind: RequestKind,
    /// Its data key.
    pub key: u32,
    /// A denormalised write: which copy it writes now (0: the one on the key's own shard).
    pub copy: u8,
    /// A read that asks every shard in turn: the shard it asks now (`None`: it reads its
    /// key's).
    pub fanout: Option<u16>,
    /// A request the kind started itself ([`Follow::Send`]), with the mark it has now
    /// (`None`: a user's request or a job's write); the kind reads where it goes from the
    /// mark alone, not from the group it is asked for.
    pub own: Option<u16>,
}

impl Ask {
    /// A request of `kind` for `key`, neither a denormalised copy nor a fan-out.
    #[cfg(test)]
    pub fn key(kind: RequestKind, key: u32) -> Ask {
        Ask {
            kind,
            key,
            copy: 0,
            fanout: None,
            own: None,
        }
    }
}

/// What follows a request of a kind's own ([`Follow::Send`]) served at one of its stations
/// ([`BuiltIn::own_served`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum OwnStep {
    /// It goes on, marked `mark` now, to the station the kind picks for it
    /// ([`BuiltIn::station_for`]; a resharding's copy job has read its keys on the old
    /// shard and goes to write them on the new one).
    Onward { mark: u16 },
    /// It is over (a copy job's keys are cut over to their new shard), and its slot is
    /// freed; then, with `next`, the kind starts another of its own, marked so (the
    /// resharding's pacer had stalled on a full set of copy jobs).
    Over { next: Option<u16> },
}

/// What follows a request's service at one of a built-in kind's stations on the request
/// path ([`BuiltIn::station_served`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Served {
    /// The answer leaves from here (a cache hit).
    Answer,
    /// Its step is done: the request goes on from its web server as its route says (the
    /// session store has handed over the user's session).
    Resume,
    /// On to the data store; the store's answer comes back through this station
    /// ([`BuiltIn::store_answered`]: a cache miss, filled with the answer).
    ToStore,
    /// The kind holds it until a read of the same key already under way answers, then
    /// releases it through [`BuiltIn::store_answered`] (a coalesced miss); its client's
    /// timeout still runs.
    Wait,
    /// A write committed here (a database shard's master), in database `store`.
    /// `key_changed`: its key has a new version there (not a denormalised copy, which
    /// changes no key), so the stack tells the kinds that watch commits
    /// ([`BuiltIn::key_committed`]) and the outbox of stage 11. Then, unless `last`, it goes
    /// on to its next copy (the kind picks the station again, [`BuiltIn::station_for`] with
    /// the next `copy`); once `last`, the kinds that take writes see it
    /// ([`BuiltIn::write_committed`]) and it is answered.
    Committed {
        store: u8,
        key_changed: bool,
        last: bool,
    },
    /// A read answered here with `version` of its key (`stale`: older than the last
    /// committed, counted as a stale read); the station that sent it on to the store takes
    /// the version ([`Served::ToStore`], [`BuiltIn::store_answered`]), and it is answered.
    Read { version: u64, stale: bool },
    /// A read asking every shard in turn goes on to the next shard (the kind picks the
    /// station, [`BuiltIn::station_for`] with the next `fanout`).
    NextShard,
}

/// What becomes of a request at one of a built-in kind's stations that is down: it reached
/// the station dead, or the station died holding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Down {
    /// It fails with this outcome.
    Fail(Outcome),
    /// It goes on past the station, to the data store, and nothing comes back through it (a
    /// cache node: the lookup is bypassed, counted by the kind).
    PassOn,
}
