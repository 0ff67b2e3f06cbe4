//! The built-in kinds' engine sides on the registration (see [`super::registry`]): the
//! [`BuiltIn`] hooks, the verdicts they return ([`Step`], [`Departure`]), their own events
//! ([`OwnEvents`], [`BuiltInCtx`]) and the [`built_ins!`] line that generates
//! [`BuiltInPart`] and [`BuiltInEventKind`] with their dispatch.

use super::balancer;
use super::balancer::Balancer;
use super::cache_cluster;
use super::database;
use super::deploy;
use super::dns;
use super::edge;
use super::jobs;
use super::monitor;
use super::nosql;
use super::registry::{Component, Tick};
use super::sessions;
use super::station::{ReqRef, Station};
use super::web_pool;
use super::web_tier;
use super::web_tier::WebPort;
use crate::scenario::topology::NodeKind;
use crate::scenario::Scenario;
use crate::sim::cost::Bill;
use crate::sim::hits::IntervalHits;
use crate::sim::kernel::queue::Lane;
use crate::sim::kernel::rng::{Rng, Sampler};
use crate::sim::kernel::run::{Ctx, Slot};
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::{Sections, SeriesPoint};
use crate::sim::{ComponentKind, ComponentState, Outcome, RequestKind, Snapshot};
use std::collections::VecDeque;

mod verbs;
pub(in crate::sim) use verbs::{
    Ask, Asking, Departure, Down, Follow, Listed, NewStation, Nudge, OwnStep, Pass, Served, Step,
};

/// A built-in kind's engine side: it reads its own part of the scenario, may watch the users'
/// requests, and writes its own section of the report.
///
/// Hooks come in eight groups, each doing nothing unless the kind overrides it: the
/// scenario, users and report (every built-in kind); a component of the run (`component`
/// is `Some`: faults, the inspector, the bill, where it is listed); the first stop of a route
/// (the graph's routes name its node kind: a step that may answer the request, a hold, the
/// way back); a kind beside the request path with timers of its own (the message queue: its
/// first events, a committed write it may refuse, its members' faults and state, its fields
/// of the series point and the snapshot, its machines on the bill; its events through
/// [`OwnEvents`]); the step before departure (`BEFORE_DEPARTURE`: every user's request asks
/// it first, and the geo layer's hand-over asks it at stage 11); a kind served by stations in
/// the stack's one table (the web pools: placing and resizing them); a kind that takes a
/// share of the data requests on its stations (the NoSQL stores: which station, its service
/// times, what it served, the requests that completed); a kind that keeps a view of another
/// kind's groups of stations (the load balancer's view of each web pool: each change told).
pub(in crate::sim) trait BuiltIn: Component {
    /// The graph's node kind whose engine side it is.
    const NODE: NodeKind;
    /// Whether it is told of every request a user sends ([`BuiltIn::user_sent`]); the stack
    /// keeps the list of those that are, so the others cost nothing per request.
    const WATCHES_USERS: bool = false;
    /// Its component in a stack built from `scenario` (`None`: the scenario has none).
    fn of_scenario(scenario: &Scenario) -> Option<Self>;
    /// `user` sends a request now (one counted as generated in this data center).
    fn user_sent(&mut self, _user: usize) {}
    /// The user population becomes `users` (a chance to make room at once).
    fn users_changed(&mut self, _users: usize) {}
    /// Writes its section of the report (`stations`: the stack's table, for a kind served by
    /// stations in it).
    fn report_section(&self, _stations: &[Station], _sections: &mut Sections<'_>) {}

    /// Its component in the run, as its name and kind (`None`: it has none — the monitor
    /// watches the run without standing in it). The stack adds it after the databases.
    fn component(&self) -> Option<(&'static str, ComponentKind)> {
        None
    }
    /// It dies at `now`; returns what follows, for the log line (`; clients wait …`).
    fn kill(&mut self, _now: SimTime) -> &'static str {
        ""
    }
    /// It is repaired at `now`; returns what follows, for the log line.
    fn repair(&mut self, _now: SimTime) -> &'static str {
        ""
    }
    /// Whether it is up.
    fn is_alive(&self) -> bool {
        true
    }
    /// Its figures in the snapshot (the inspector's).
    fn state(&self, _state: &mut ComponentState) {}
    /// Its lines of the bill.
    fn bill(&self, _bill: &mut Bill) {}

    /// The time between the users and it, each way.
    fn one_way(&self) -> SimDuration {
        SimDuration::ZERO
    }
    /// A request of `kind` reaches it now (`key`: the request's key, which it may set: the
    /// edge draws the object asked for).
    fn on_request<R: Slot, E: Copy>(
        &mut self,
        _kind: RequestKind,
        _key: &mut u32,
        ctx: &mut Ctx<R, E>,
    ) -> Step {
        let now = ctx.now;
        Step::Onward {
            from: now,
            to: now,
            leaves: now,
            fetch: false,
        }
    }
    /// A request it held ([`Step::Hold`] with `tag`) is due now.
    fn on_held(&mut self, _key: u32, _tag: u32, now: SimTime) -> Step {
        Step::Onward {
            from: now,
            to: now,
            leaves: now,
            fetch: false,
        }
    }
    /// The origin answered a request of `kind` at `now` (`fetched`: on its behalf).
    fn origin_served(&mut self, _kind: RequestKind, _fetched: bool, _key: u32, _now: SimTime) {}

    // Hooks of a kind with timers of its own, a place after the web server and components
    // of its own beside the request path (the message queue and its workers, session 15).

    /// Whether it is told of every committed write ([`BuiltIn::write_committed`]); the
    /// stack keeps the list of those that are, so the others cost nothing per write.
    const TAKES_WRITES: bool = false;
    /// Schedules its first own events (see [`OwnEvents`]) as the stack is built, after the
    /// registered kinds have scheduled theirs.
    fn start<R: Slot, E: Copy + From<BuiltInEvent>>(&self, _ctx: &mut BuiltInCtx<'_, R, E>) {}
    /// A user's write has committed (or, with no database on its way, the web server has
    /// done it) and is about to be answered: `Some(outcome)` makes it fail instead (the
    /// message queue: its job could not be published, `queue_full`). The first kind that
    /// refuses decides; the others are not told.
    fn write_committed<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<Outcome> {
        None
    }
    /// Its components in the run beside the request path, by name and kind (the message
    /// queue: itself and its workers). The stack adds them after the session store (their
    /// place in the component table, which every snapshot and report lists in order), and
    /// hands their faults and state to the `*_member` hooks with their index in this list.
    fn members(&self) -> &'static [(&'static str, ComponentKind)] {
        &[]
    }
    /// Whether its member `member` is up.
    fn member_alive(&self, _member: u8) -> bool {
        true
    }
    /// Its member `member` dies now; returns what follows, for the log line (`None`: that
    /// member cannot be killed, and nothing is logged).
    fn kill_member<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _member: u8,
        _ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<String> {
        None
    }
    /// Its member `member` is repaired now; returns what follows, for the log line (`None`:
    /// nothing to repair, and nothing is logged).
    fn repair_member<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _member: u8,
        _ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<String> {
        None
    }
    /// Its member `member`'s figures in the snapshot.
    fn member_state(&self, _member: u8, _state: &mut ComponentState) {}
    /// A metrics interval closes at `now`: it writes its own fields of the interval's series
    /// point (the queue: its depth and the jobs done; the web tier: its servers' utilization,
    /// waiting and count, read from `stations`, the stack's table) before any component
    /// reads the point ([`Component::on_tick`]), and starts counting the next interval.
    fn close_point(&mut self, _now: SimTime, _stations: &[Station], _point: &mut SeriesPoint) {}
    /// Writes its own figures of the snapshot (the queue: its depth).
    fn snapshot(&self, _snapshot: &mut Snapshot) {}
    /// Its lines of the bill for machines paid by the hour over the run so far (`run.hours`;
    /// the queue's broker and workers), listed with the other kinds' machines, before the
    /// lines paid by use (DNS lookups and what [`BuiltIn::bill`] adds). A kind whose machines
    /// come and go (the web servers) prices them from the series' points in `run`.
    fn bill_machines(&self, _run: &RunSoFar<'_>, _bill: &mut Bill) {}
    /// Whether its machines ([`BuiltIn::bill_machines`]) are billed first, before the other
    /// kinds' (the web servers, then the load balancer), rather than after them; each group
    /// in registration order.
    const MACHINES_FIRST: bool = false;

    // The step before departure (DNS, session 15).

    /// Where its component is listed among the stack's (see [`Listed`]).
    const LISTED: Listed = Listed::AfterDatabases;
    /// Where its lines go on the bill among the built-in kinds' (lower first; equal ones in
    /// registration order), so the bill keeps the order it had before the kinds were
    /// registered: the DNS lookups (64) before the CDN's transfer (128).
    const BILL_ORDER: u8 = 128;
    /// Whether it stands before departure: every request a user sends asks it first
    /// ([`BuiltIn::on_depart`]), and leaves as it says. A stack has at most one such
    /// component (the first registered that declares it; none: requests leave at once).
    const BEFORE_DEPARTURE: bool = false;
    /// A request asks it before departing now (see [`Asking`] for what the stack knows of
    /// the user).
    fn on_depart(&mut self, _asking: Asking, now: SimTime) -> Departure {
        Departure::Leave { at: now }
    }
    /// The answer a request waited for ([`Departure::Wait`] with `tag`) is due now: `Ok`, it
    /// leaves now; `Err(outcome)`, the answer is lost and the request fails now with
    /// `outcome` (and its user's answer is forgotten).
    fn on_answer(&mut self, _user: u32, _tag: u32, _now: SimTime) -> Result<(), Outcome> {
        Ok(())
    }
    /// Stage 11: the geo layer lost the lookups it has under way (its resolver died): the
    /// answers this component is due to give on their behalf do not count.
    fn answers_lost(&mut self) {}
    /// Bytes it holds on the heap that grow with the run (per user; the databases: per key
    /// and per key moving in a resharding), for the stack's footprint figure.
    fn heap_bytes(&self) -> usize {
        0
    }

    // Hooks of a kind served by stations in the stack's one table (the web pools, session
    // 16): the stack places them, hands them out through `BuiltInCtx::stations`, and
    // applies the kind's resizes.

    /// When its first own events are scheduled as the stack is built (see [`Starts`]).
    const STARTS: Starts = Starts::AfterPlugs;
    /// Its group `group` of stations changes to `count` in service (a live change, or what
    /// its own event asked, [`Follow::Resize`]); it writes the new count into `scenario`,
    /// and each member it takes out of service or brings back into `changes` (the stack
    /// tells the kinds that view its groups, [`BuiltIn::group_changed`]). Returns how many
    /// new stations the stack must place for the group (each through
    /// [`BuiltIn::new_station`] then [`BuiltIn::station_placed`]); `None`: nothing changes.
    fn resize<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _group: u8,
        _count: u32,
        _scenario: &mut Scenario,
        _ctx: &mut BuiltInCtx<'_, R, E>,
        _changes: &mut Vec<GroupChange>,
    ) -> Option<u32> {
        None
    }
    /// The next station of its group `group`, for the stack to place.
    fn new_station(&self, _group: u8) -> NewStation {
        unreachable!("a kind without stations was asked for one")
    }
    /// The stack placed the station asked for last ([`BuiltIn::new_station`]) as number
    /// `station` of its table (`initial`: as the stack was built). Returns a line for the log
    /// under the station's name, if any.
    fn station_placed(&mut self, _group: u8, _station: u16, _initial: bool) -> Option<String> {
        None
    }

    // Hooks of a kind that drives the web tier's servers (the deploy controller, session
    // 17).

    /// Whether it is told of every user's request completed now
    /// ([`BuiltIn::request_completed`]; the NoSQL stores: always; the deploy controller:
    /// while a deploy runs). The stack asks as it is built and again after each step of a
    /// kind with the web tier lent ([`BuiltIn::drive`]), and keeps the list of those that
    /// are, so the others (and the deploy controller between deploys) cost nothing per
    /// request.
    fn watches_completions(&self) -> bool {
        false
    }
    /// A user's request of `kind` was answered now, `latency_ns` after the user sent it;
    /// `taken_by`: the group of the kind that served it on the data tier's behalf (a NoSQL
    /// store), `None`: the data tier did, or no data was touched.
    fn request_completed(&mut self, _kind: RequestKind, _taken_by: Option<u8>, _latency_ns: u64) {}
    /// Schedules what the scenario plans for it at a set time (the deploy controller: the
    /// scheduled deploy's start), as the stack is built, after the scheduled resharding and
    /// before the scheduled faults.
    fn plan<R: Slot, E: Copy + From<BuiltInEvent>>(&self, _ctx: &mut BuiltInCtx<'_, R, E>) {}
    /// Its figures of a component served by a station of the stack's table (placed for a
    /// component of `kind`, with `index` within its kind: a web server's
    /// `web_pool::web_index`), in the snapshot.
    fn station_state(&self, _kind: ComponentKind, _index: u16, _state: &mut ComponentState) {}
    /// Whether it drives the web tier: it asks for it with [`Follow::Drive`] after its own
    /// events, and takes a step after each round of health checks ([`Follow::Checked`]).
    const DRIVES_WEB: bool = false;
    /// A step with the web tier lent as `port` (`nudge`: why). Returns [`Follow::Stop`] to
    /// have a server stopped (then the stack hands it another step with
    /// [`Nudge::Stopped`]), else [`Follow::Nothing`].
    fn drive<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _nudge: Nudge,
        _port: &mut WebPort<'_, R, E>,
    ) -> Follow {
        Follow::Nothing
    }
    // Hooks of a kind whose stations stand on the request path after the web server (the
    // cache clusters, the shared session store, the NoSQL stores; session 17; the database
    // clusters, session 19). The stack places its first stations where its component is
    // listed, finds it by its node kind where the route table names that kind
    // (`Route::session`, `DataStep::Cache`, `Route::nosql_share`; the databases at
    // `DATABASES`), and hands it what happens at its stations (`Tier::Kind` in the stack's
    // station info; a NoSQL store's node and a database node refuse as the data tier,
    // `refuses_as`).

    /// Whether its stations hold the requests they took while those wait further down the
    /// path (the web servers: a request's answer comes back through the station that took
    /// it, a synchronous worker stays held meanwhile, and when that station dies the requests
    /// it holds fail with it). At most one kind of a stack does; the stack keeps which.
    const HOLDS_REQUESTS: bool = false;
    /// A request of `user` reached its station `index`, which is up (a kind that
    /// [`BuiltIn::HOLDS_REQUESTS`] only: the web tier's sticky session moves there);
    /// `stations`: the stack's table.
    fn station_reached(&mut self, _index: u16, _user: u32, _stations: &[Station]) {}
    /// How many stations each of its groups starts with (in group order), placed where its
    /// component is listed ([`BuiltIn::LISTED`]), each through [`BuiltIn::new_station`] and
    /// [`BuiltIn::station_placed`].
    fn initial_stations(&self) -> Vec<u32> {
        Vec::new()
    }
    /// The station of group `group` (a cache cluster, a NoSQL store, a database) that takes
    /// the request `ask` describes, as `stations` (the stack's table) stand now; `None`: the
    /// kind refuses it (a database shard with no live master for a write, or no readable
    /// node), and it fails as [`BuiltIn::refuses_as`] says. A kind without stations on the
    /// request path is never asked.
    fn station_for(&mut self, _group: u8, _ask: Ask, _stations: &[Station]) -> Option<u16> {
        None
    }
    /// The data key of a new request (a user's, or a queue job's write) whose data lives in
    /// its group `group` (a database store), drawn from `rng`, the run's one RNG (the
    /// databases: a shard router's hot keys, else the keyspace's Zipf law). A kind that
    /// stores no data is never asked.
    fn draw_key(&self, _group: u8, _rng: &mut Rng) -> u32 {
        unreachable!("a kind that stores no data was asked for a key")
    }
    /// Whether a new request of `kind` for its group `group` asks every one of the group's
    /// parts in turn (a read joining data of every shard of a database store), drawn from
    /// `rng` when the group says some do.
    fn draws_fan_out(&mut self, _group: u8, _kind: RequestKind, _rng: &mut Rng) -> bool {
        false
    }
    /// The group (a cache cluster, a NoSQL store, a database) of its station with index
    /// `index`.
    fn group_of(&self, _index: u16) -> u8 {
        0
    }
    /// How long a request of `kind` takes a worker of its station with index `index` (no
    /// time for a kind without stations on the request path: never asked).
    fn station_service(&self, _index: u16, _kind: RequestKind) -> Sampler {
        Sampler::Constant { ns: 0.0 }
    }
    /// Its station with index `index` has served the request `req` that `ask` describes now
    /// (a NoSQL store answers it: [`Served::Answer`]; a database commits or reads it);
    /// `latest(store)` is the version of its key last committed in database `store`
    /// (not asked of the databases themselves), `leading(r)` whether request `r` is still
    /// reading that key from the store on a station's behalf.
    fn station_served(
        &mut self,
        _index: u16,
        _req: ReqRef,
        _ask: Ask,
        _now: SimTime,
        _latest: impl Fn(u8) -> u64,
        _leading: impl Fn(ReqRef) -> bool,
    ) -> Served {
        Served::Resume
    }
    /// The store answered `req` (sent on by [`Served::ToStore`] from its station `index`,
    /// `alive` now or not) with `version` of `key`; the requests it held for that answer
    /// ([`Served::Wait`]) go into `released`, to be answered from here.
    #[allow(clippy::too_many_arguments)]
    fn store_answered(
        &mut self,
        _index: u16,
        _alive: bool,
        _req: ReqRef,
        _key: u32,
        _version: u64,
        _now: SimTime,
        _released: &mut Vec<ReqRef>,
    ) {
    }
    /// How a request fails at its stations: an injected error, and, unless
    /// [`BuiltIn::station_down`] passes it on, a station that is down.
    fn refuses_as(&self) -> Outcome {
        Outcome::ServerDown
    }
    /// A request is at its station `index`, which is down (it reached it dead, or the
    /// station died holding it).
    fn station_down(&mut self, _index: u16) -> Down {
        Down::Fail(self.refuses_as())
    }
    /// Its station `index` dies now. `Some(note)`: the requests it holds go on past it
    /// ([`Down::PassOn`]), and `note` says so in the log line; `None`: they fail.
    fn station_died(&mut self, _index: u16) -> Option<&'static str> {
        None
    }
    /// How long its own request marked `mark` ([`Follow::Send`]) takes a worker of its
    /// station `index`, drawn from `rng` (a copy job: a read or a write per key it carries,
    /// so a sum of draws rather than [`BuiltIn::station_service`]'s one).
    fn own_work(&self, _index: u16, _mark: u16, _rng: &mut Rng) -> u64 {
        unreachable!("a kind that starts no request of its own was asked for its work")
    }
    /// Its own request marked `mark` has been served at its station `index` now: it goes on
    /// or is over ([`OwnStep`]). Handed the kernel (unlike [`BuiltIn::station_served`],
    /// which is lent the users' requests): a copy job's cut-over logs and counts, and may
    /// restart the resharding's pacer, which schedules.
    fn own_served<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _index: u16,
        _mark: u16,
        _ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> OwnStep {
        unreachable!("a kind that starts no request of its own was told one was served")
    }
    /// Whether it is told of every committed write ([`BuiltIn::key_committed`]); the stack
    /// keeps the list of those that are.
    const WATCHES_COMMITS: bool = false;
    /// A write of `key` committed in database `store` (a cache invalidates its copy).
    fn key_committed(&mut self, _store: u8, _key: u32) {}
    /// Its station `index` died now, after the requests it held were failed or passed on
    /// ([`BuiltIn::station_died`]): what follows for the kind's own state (a database node
    /// stops replicating and the failure detection starts, scheduled through `ctx`; the
    /// station's new life is `ctx.stations`'). Returns text for the end of the log line.
    fn station_killed<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _index: u16,
        _ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> String {
        String::new()
    }
    /// Its station `index` came back up now: what follows for the kind's own state (a
    /// database replica catches up, a master resumes its stream; the detection of its
    /// return). Returns text for the end of the log line.
    fn station_repaired<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _index: u16,
        _ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> String {
        String::new()
    }
    /// Its station `index` serves `factor` times slower from `now` on (1: normal speed
    /// again), already set on the station: what follows for the kind's own state (a
    /// database node applies and sends its replication that much slower).
    fn station_slowed(&mut self, _index: u16, _factor: f64, _now: SimTime) {}
    /// Its figures of a component served by a station of the stack's table (of `kind`, with
    /// `index` within its kind) that depend on the time (a database node's role, its
    /// replication lag at `now` and its stale reads), in the snapshot; also asked for the
    /// report's `role` of each component.
    fn station_state_at(
        &self,
        _kind: ComponentKind,
        _index: u16,
        _now: SimTime,
        _state: &mut ComponentState,
    ) {
    }

    // Hooks of a kind that keeps a view of another kind's groups of stations (the load
    // balancer's view of each web pool, session 18). The stack tells it every change of a
    // group of the kind it views, as the change is made (no event: nothing moves in the
    // queue), and lends it beside that kind where one step reads both (the request path's
    // pick and sticky sessions, the deploy controller's port).

    /// The node kind whose groups it views (`None`: none).
    const VIEWS: Option<NodeKind> = None;
    /// A group `group` of the kind it views has changed (see [`GroupChange`]).
    fn group_changed(&mut self, _group: u8, _change: GroupChange) {}
    /// Its view of each group of the kind it views, in group order, lent beside that kind
    /// (the deploy controller's port; empty: it keeps none).
    fn views_mut(&mut self) -> &mut [Balancer] {
        &mut []
    }

    // Hooks of the kind at the front door (`Listed::FrontDoor`: the load balancer, session
    // 19). Every request whose route's door is its node reaches it; it sends the request to
    // a member of a group of the kind it views (a web pool's server) or turns it away, and
    // the answer comes back through it. The stack keeps only the request's note that it
    // passed there (`VIA_DOOR`), so that the answer and the freed slot find their way back.

    /// A request for group `group` of the kind it views reaches it now. `preferred(view)`:
    /// the member the viewed kind asks for first, given its view of the group (the server
    /// holding the user's sticky session, while that server is in the view's pool), asked
    /// before any pick of its own, which may draw from `rng` (the run's one RNG).
    fn pass(
        &mut self,
        _group: u8,
        _rng: &mut Rng,
        _preferred: impl FnOnce(&Balancer) -> Option<usize>,
    ) -> Pass {
        unreachable!("a kind not at the front door was handed a request there")
    }
    /// It sends the request it passed ([`Pass::Send`]) to member `member` of group `group`
    /// now that nothing between it and the group turned the request away: returns the
    /// member's station, which the request goes to.
    fn send(&mut self, _group: u8, _member: u16) -> u16 {
        unreachable!("a kind not at the front door was asked to send a request")
    }
    /// The member of its group `group` that the kind at the front door, which views it, is
    /// asked to send `user`'s request to before any pick of its own, given its `view` of the
    /// group (the web tier: the server holding the user's sticky session, while that server
    /// is in the view's pool); `stations`: the stack's table.
    fn preferred_member(
        &mut self,
        _group: u8,
        _user: u32,
        _stations: &[Station],
        _view: &Balancer,
    ) -> Option<usize> {
        None
    }
    /// The time it adds to an answer on its way back through it.
    fn pass_back(&self) -> SimDuration {
        SimDuration::ZERO
    }
    /// A request it sent to the station with index `index` (its place in the kind it views:
    /// `web_pool::web_index`) is over (its slot is freed: answered, failed or given up).
    fn sent_done(&mut self, _index: u16) {}
}

/// The run so far, as the bill's machine lines price it ([`BuiltIn::bill_machines`]).
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) struct RunSoFar<'a> {
    /// The run's simulated hours so far.
    pub hours: f64,
    /// The series' points so far (the oldest dropped past its cap), `interval_h` hours
    /// apart: what a kind whose machines come and go counted of them at each point.
    pub series: &'a VecDeque<SeriesPoint>,
    /// Hours between two points of `series`.
    pub interval_h: f64,
}

impl RunSoFar<'static> {
    /// `hours` of a run with no series point yet (a test's bill).
    #[cfg(test)]
    pub fn without_points(hours: f64) -> RunSoFar<'static> {
        static NO_POINTS: VecDeque<SeriesPoint> = VecDeque::new();
        RunSoFar {
            hours,
            series: &NO_POINTS,
            interval_h: 0.0,
        }
    }
}

/// When a built-in kind's first own events are scheduled as the stack is built
/// ([`BuiltIn::start`]), in registration order within each: events due at the same time
/// pop in the order they were pushed, so each kind keeps the place its first events had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum Starts {
    /// Before every other kind's (the load balancer's first health checks of each pool).
    First,
    /// Then, before the registered kinds' (the web pools' autoscalers).
    BeforePlugs,
    /// After the registered kinds' (the default).
    AfterPlugs,
}

/// A change of a group of stations, told to the kinds that view that group
/// ([`BuiltIn::group_changed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) enum GroupChange {
    /// A new member, served by station `station` of the stack's table, was placed
    /// (`initial`: as the stack was built).
    Placed { station: u16, initial: bool },
    /// Member `member`, out of service, is back in service.
    Back { member: u16 },
    /// Member `member` is taken out of service.
    Retired { member: u16 },
}

mod ctx;
#[macro_use]
mod dispatch;

pub(in crate::sim) use ctx::{BuiltInCtx, BuiltInEvent, OneOf, OwnEvents};

// The built-in kinds whose engine side is registered: one line each. The web tier comes
// first and the database clusters second: every stack has both, so they are always built-in
// components 0 (`stack::WEB`) and 1 (`database::DATABASES`). The
// caches and the session store come before the queue, whose machines follow theirs on the
// bill (`bill_machines` is asked in this order).
built_ins! {
    Web(web_tier::WebTier, web_pool::WebEvent),
    Db(database::Databases, database::DbEvent),
    Monitor(monitor::Monitor),
    CdnEdge(edge::EdgeTier),
    Caches(cache_cluster::Caches),
    Sessions(sessions::SessionStore),
    Queue(jobs::JobTier, jobs::JobEvent),
    Dns(dns::Dns),
    Deploy(deploy::DeployController, deploy::DeployEvent),
    Balancer(balancer::BalancerNode, balancer::BalancerEvent),
    NoSql(nosql::NoSqlTier),
}
