//! The [`built_ins!`] macro: from the registration list in the parent module, it generates
//! [`super::BuiltInPart`] and [`super::BuiltInEventKind`] with their dispatch.

/// The registration list of built-in kinds' engine sides: `Variant(its component's type)`
/// per kind, or `Variant(its component's type, its own events' type)` for a kind with timers
/// of its own ([`OwnEvents`]). Generates [`BuiltInPart`] and [`BuiltInEventKind`], with one
/// arm per kind (per kind with events), and their dispatch.
macro_rules! built_ins {
    ($($v:ident($part:ty $(, $ev:ty)?)),* $(,)?) => {
        /// A built-in kind's own events: one arm per kind registered with an events type.
        #[derive(Clone, Copy, Debug)]
        pub(in crate::sim) enum BuiltInEventKind { $($($v($ev),)?)* }

        $($(impl From<$ev> for BuiltInEventKind {
            fn from(event: $ev) -> BuiltInEventKind {
                BuiltInEventKind::$v(event)
            }
        })?)*

        /// A built-in kind's component of a stack.
        // A stack holds a handful, built once and never moved on the hot path: a box per
        // large kind would add a pointer to follow on every request it sees, for a few
        // hundred bytes saved.
        #[allow(clippy::large_enum_variant)]
        #[derive(Clone)]
        pub(in crate::sim) enum BuiltInPart { $($v($part)),* }

        impl BuiltInPart {
            /// The built-in components of a stack built from `scenario`, in registration
            /// order (a kind the scenario does not have is left out).
            pub fn of_scenario(scenario: &Scenario) -> Vec<BuiltInPart> {
                let mut parts = Vec::new();
                $(if let Some(p) = <$part as BuiltIn>::of_scenario(scenario) {
                    parts.push(BuiltInPart::$v(p));
                })*
                parts
            }
            /// See [`BuiltIn::NODE`].
            pub fn node(&self) -> NodeKind {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::NODE),* }
            }
            /// See [`BuiltIn::WATCHES_USERS`].
            pub fn watches_users(&self) -> bool {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::WATCHES_USERS),* }
            }
            /// See [`BuiltIn::user_sent`].
            #[inline]
            pub fn user_sent(&mut self, user: usize) {
                match self { $(BuiltInPart::$v(p) => p.user_sent(user)),* }
            }
            /// See [`BuiltIn::users_changed`].
            pub fn users_changed(&mut self, users: usize) {
                match self { $(BuiltInPart::$v(p) => p.users_changed(users)),* }
            }
            /// See [`Component::on_tick`].
            pub fn on_tick<R: Slot, E: Copy>(&mut self, tick: &mut Tick<'_>, ctx: &mut Ctx<R, E>) {
                match self { $(BuiltInPart::$v(p) => p.on_tick(tick, ctx)),* }
            }
            /// See [`BuiltIn::report_section`].
            pub fn report_section(&self, stations: &[Station], sections: &mut Sections<'_>) {
                match self { $(BuiltInPart::$v(p) => p.report_section(stations, sections)),* }
            }
            /// See [`Component::close_interval`].
            pub fn close_interval(&mut self, hits: &mut IntervalHits) {
                match self { $(BuiltInPart::$v(p) => p.close_interval(hits)),* }
            }
            /// See [`BuiltIn::component`].
            pub fn component(&self) -> Option<(&'static str, ComponentKind)> {
                match self { $(BuiltInPart::$v(p) => p.component()),* }
            }
            /// See [`BuiltIn::kill`].
            pub fn kill(&mut self, now: SimTime) -> &'static str {
                match self { $(BuiltInPart::$v(p) => p.kill(now)),* }
            }
            /// See [`BuiltIn::repair`].
            pub fn repair(&mut self, now: SimTime) -> &'static str {
                match self { $(BuiltInPart::$v(p) => p.repair(now)),* }
            }
            /// See [`BuiltIn::is_alive`].
            pub fn is_alive(&self) -> bool {
                match self { $(BuiltInPart::$v(p) => p.is_alive()),* }
            }
            /// See [`BuiltIn::state`].
            pub fn state(&self, state: &mut ComponentState) {
                match self { $(BuiltInPart::$v(p) => p.state(state)),* }
            }
            /// See [`BuiltIn::bill`].
            pub fn bill(&self, bill: &mut Bill) {
                match self { $(BuiltInPart::$v(p) => p.bill(bill)),* }
            }
            /// See [`BuiltIn::one_way`].
            #[inline]
            pub fn one_way(&self) -> SimDuration {
                match self { $(BuiltInPart::$v(p) => p.one_way()),* }
            }
            /// See [`BuiltIn::on_request`].
            #[inline]
            pub fn on_request<R: Slot, E: Copy>(
                &mut self,
                kind: RequestKind,
                key: &mut u32,
                ctx: &mut Ctx<R, E>,
            ) -> Step {
                match self { $(BuiltInPart::$v(p) => p.on_request(kind, key, ctx)),* }
            }
            /// See [`BuiltIn::on_held`].
            #[inline]
            pub fn on_held(&mut self, key: u32, tag: u32, now: SimTime) -> Step {
                match self { $(BuiltInPart::$v(p) => p.on_held(key, tag, now)),* }
            }
            /// See [`BuiltIn::origin_served`].
            #[inline]
            pub fn origin_served(&mut self, kind: RequestKind, fetched: bool, key: u32, now: SimTime) {
                match self { $(BuiltInPart::$v(p) => p.origin_served(kind, fetched, key, now)),* }
            }
            /// See [`BuiltIn::TAKES_WRITES`].
            pub fn takes_writes(&self) -> bool {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::TAKES_WRITES),* }
            }
            /// See [`BuiltIn::start`].
            pub fn start<R: Slot, E: Copy + From<BuiltInEvent>>(
                &self,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) {
                match self { $(BuiltInPart::$v(p) => p.start(ctx)),* }
            }
            /// Hands it one of its own events (an event of another kind is a bug: ignored).
            #[inline]
            pub fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                event: BuiltInEventKind,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) -> Follow {
                #[allow(unreachable_patterns)] // when every kind has events, every pair matches
                match (self, event) {
                    $($((BuiltInPart::$v(p), BuiltInEventKind::$v(e)) => {
                        <$part as OwnEvents<$ev>>::handle(p, e, ctx)
                    })?)*
                    _ => {
                        debug_assert!(false, "an event handed to a component of another kind");
                        Follow::Nothing
                    }
                }
            }
            /// See [`BuiltIn::write_committed`].
            #[inline]
            pub fn write_committed<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) -> Option<Outcome> {
                match self { $(BuiltInPart::$v(p) => p.write_committed(ctx)),* }
            }
            /// See [`BuiltIn::members`].
            pub fn members(&self) -> &'static [(&'static str, ComponentKind)] {
                match self { $(BuiltInPart::$v(p) => p.members()),* }
            }
            /// See [`BuiltIn::member_alive`].
            pub fn member_alive(&self, member: u8) -> bool {
                match self { $(BuiltInPart::$v(p) => p.member_alive(member)),* }
            }
            /// See [`BuiltIn::kill_member`].
            pub fn kill_member<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                member: u8,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) -> Option<String> {
                match self { $(BuiltInPart::$v(p) => p.kill_member(member, ctx)),* }
            }
            /// See [`BuiltIn::repair_member`].
            pub fn repair_member<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                member: u8,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) -> Option<String> {
                match self { $(BuiltInPart::$v(p) => p.repair_member(member, ctx)),* }
            }
            /// See [`BuiltIn::member_state`].
            pub fn member_state(&self, member: u8, state: &mut ComponentState) {
                match self { $(BuiltInPart::$v(p) => p.member_state(member, state)),* }
            }
            /// See [`BuiltIn::close_point`].
            pub fn close_point(&mut self, now: SimTime, stations: &[Station], point: &mut SeriesPoint) {
                match self { $(BuiltInPart::$v(p) => p.close_point(now, stations, point)),* }
            }
            /// See [`BuiltIn::snapshot`].
            pub fn snapshot(&self, snapshot: &mut Snapshot) {
                match self { $(BuiltInPart::$v(p) => p.snapshot(snapshot)),* }
            }
            /// See [`BuiltIn::bill_machines`].
            pub fn bill_machines(&self, run: &RunSoFar<'_>, bill: &mut Bill) {
                match self { $(BuiltInPart::$v(p) => p.bill_machines(run, bill)),* }
            }
            /// See [`BuiltIn::MACHINES_FIRST`].
            pub fn machines_first(&self) -> bool {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::MACHINES_FIRST),* }
            }
            /// See [`BuiltIn::LISTED`].
            pub fn listed(&self) -> Listed {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::LISTED),* }
            }
            /// See [`BuiltIn::BILL_ORDER`].
            pub fn bill_order(&self) -> u8 {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::BILL_ORDER),* }
            }
            /// See [`BuiltIn::BEFORE_DEPARTURE`].
            pub fn before_departure(&self) -> bool {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::BEFORE_DEPARTURE),* }
            }
            /// See [`BuiltIn::on_depart`].
            #[inline]
            pub fn on_depart(&mut self, asking: Asking, now: SimTime) -> Departure {
                match self { $(BuiltInPart::$v(p) => p.on_depart(asking, now)),* }
            }
            /// See [`BuiltIn::on_answer`].
            #[inline]
            pub fn on_answer(&mut self, user: u32, tag: u32, now: SimTime) -> Result<(), Outcome> {
                match self { $(BuiltInPart::$v(p) => p.on_answer(user, tag, now)),* }
            }
            /// See [`BuiltIn::answers_lost`].
            pub fn answers_lost(&mut self) {
                match self { $(BuiltInPart::$v(p) => p.answers_lost()),* }
            }
            /// See [`BuiltIn::heap_bytes`].
            pub fn heap_bytes(&self) -> usize {
                match self { $(BuiltInPart::$v(p) => p.heap_bytes()),* }
            }
            /// See [`BuiltIn::STARTS`].
            pub fn starts(&self) -> Starts {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::STARTS),* }
            }
            /// See [`BuiltIn::resize`].
            pub fn resize<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                group: u8,
                count: u32,
                scenario: &mut Scenario,
                ctx: &mut BuiltInCtx<'_, R, E>,
                changes: &mut Vec<GroupChange>,
            ) -> Option<u32> {
                match self { $(BuiltInPart::$v(p) => p.resize(group, count, scenario, ctx, changes)),* }
            }
            /// See [`BuiltIn::new_station`].
            pub fn new_station(&self, group: u8) -> NewStation {
                match self { $(BuiltInPart::$v(p) => p.new_station(group)),* }
            }
            /// See [`BuiltIn::station_placed`].
            pub fn station_placed(&mut self, group: u8, station: u16, initial: bool) -> Option<String> {
                match self { $(BuiltInPart::$v(p) => p.station_placed(group, station, initial)),* }
            }
            /// See [`BuiltIn::watches_completions`].
            pub fn watches_completions(&self) -> bool {
                match self { $(BuiltInPart::$v(p) => p.watches_completions()),* }
            }
            /// See [`BuiltIn::request_completed`].
            #[inline]
            pub fn request_completed(&mut self, kind: RequestKind, taken_by: Option<u8>, latency_ns: u64) {
                match self { $(BuiltInPart::$v(p) => p.request_completed(kind, taken_by, latency_ns)),* }
            }
            /// See [`BuiltIn::plan`].
            pub fn plan<R: Slot, E: Copy + From<BuiltInEvent>>(
                &self,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) {
                match self { $(BuiltInPart::$v(p) => p.plan(ctx)),* }
            }
            /// See [`BuiltIn::station_state`].
            pub fn station_state(&self, kind: ComponentKind, index: u16, state: &mut ComponentState) {
                match self { $(BuiltInPart::$v(p) => p.station_state(kind, index, state)),* }
            }
            /// See [`BuiltIn::DRIVES_WEB`].
            pub fn drives_web(&self) -> bool {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::DRIVES_WEB),* }
            }
            /// See [`BuiltIn::drive`].
            pub fn drive<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                nudge: Nudge,
                port: &mut WebPort<'_, R, E>,
            ) -> Follow {
                match self { $(BuiltInPart::$v(p) => p.drive(nudge, port)),* }
            }
            /// See [`BuiltIn::HOLDS_REQUESTS`].
            pub fn holds_requests(&self) -> bool {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::HOLDS_REQUESTS),* }
            }
            /// See [`BuiltIn::station_reached`].
            #[inline]
            pub fn station_reached(&mut self, index: u16, user: u32, stations: &[Station]) {
                match self { $(BuiltInPart::$v(p) => p.station_reached(index, user, stations)),* }
            }
            /// See [`BuiltIn::initial_stations`].
            pub fn initial_stations(&self) -> Vec<u32> {
                match self { $(BuiltInPart::$v(p) => p.initial_stations()),* }
            }
            /// See [`BuiltIn::station_for`].
            // Inlined: on the request path, a tag test where the stack read a field.
            #[inline(always)]
            pub fn station_for(&mut self, group: u8, ask: Ask, stations: &[Station]) -> Option<u16> {
                match self { $(BuiltInPart::$v(p) => p.station_for(group, ask, stations)),* }
            }
            /// See [`BuiltIn::draw_key`].
            #[inline(always)]
            pub fn draw_key(&self, group: u8, rng: &mut Rng) -> u32 {
                match self { $(BuiltInPart::$v(p) => p.draw_key(group, rng)),* }
            }
            /// See [`BuiltIn::draws_fan_out`].
            #[inline(always)]
            pub fn draws_fan_out(&mut self, group: u8, kind: RequestKind, rng: &mut Rng) -> bool {
                match self { $(BuiltInPart::$v(p) => p.draws_fan_out(group, kind, rng)),* }
            }
            /// See [`BuiltIn::group_of`].
            #[inline]
            pub fn group_of(&self, index: u16) -> u8 {
                match self { $(BuiltInPart::$v(p) => p.group_of(index)),* }
            }
            /// See [`BuiltIn::station_service`].
            // Inlined: on the request path, a tag test where the stack read a field.
            #[inline(always)]
            pub fn station_service(&self, index: u16, kind: RequestKind) -> Sampler {
                match self { $(BuiltInPart::$v(p) => p.station_service(index, kind)),* }
            }
            /// See [`BuiltIn::station_served`].
            #[inline(always)]
            pub fn station_served(
                &mut self,
                index: u16,
                req: ReqRef,
                ask: Ask,
                now: SimTime,
                latest: impl Fn(u8) -> u64,
                leading: impl Fn(ReqRef) -> bool,
            ) -> Served {
                match self {
                    $(BuiltInPart::$v(p) => p.station_served(index, req, ask, now, latest, leading)),*
                }
            }
            /// See [`BuiltIn::store_answered`].
            #[allow(clippy::too_many_arguments)]
            #[inline]
            pub fn store_answered(
                &mut self,
                index: u16,
                alive: bool,
                req: ReqRef,
                key: u32,
                version: u64,
                now: SimTime,
                released: &mut Vec<ReqRef>,
            ) {
                match self {
                    $(BuiltInPart::$v(p) => p.store_answered(index, alive, req, key, version, now, released)),*
                }
            }
            /// See [`BuiltIn::own_work`].
            pub fn own_work(&self, index: u16, mark: u16, rng: &mut Rng) -> u64 {
                match self { $(BuiltInPart::$v(p) => p.own_work(index, mark, rng)),* }
            }
            /// See [`BuiltIn::own_served`].
            pub fn own_served<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                index: u16,
                mark: u16,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) -> OwnStep {
                match self { $(BuiltInPart::$v(p) => p.own_served(index, mark, ctx)),* }
            }
            /// See [`BuiltIn::refuses_as`].
            pub fn refuses_as(&self) -> Outcome {
                match self { $(BuiltInPart::$v(p) => p.refuses_as()),* }
            }
            /// See [`BuiltIn::station_down`].
            pub fn station_down(&mut self, index: u16) -> Down {
                match self { $(BuiltInPart::$v(p) => p.station_down(index)),* }
            }
            /// See [`BuiltIn::station_died`].
            pub fn station_died(&mut self, index: u16) -> Option<&'static str> {
                match self { $(BuiltInPart::$v(p) => p.station_died(index)),* }
            }
            /// See [`BuiltIn::WATCHES_COMMITS`].
            pub fn watches_commits(&self) -> bool {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::WATCHES_COMMITS),* }
            }
            /// See [`BuiltIn::key_committed`].
            #[inline]
            pub fn key_committed(&mut self, store: u8, key: u32) {
                match self { $(BuiltInPart::$v(p) => p.key_committed(store, key)),* }
            }
            /// See [`BuiltIn::station_killed`].
            pub fn station_killed<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                index: u16,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) -> String {
                match self { $(BuiltInPart::$v(p) => p.station_killed(index, ctx)),* }
            }
            /// See [`BuiltIn::station_repaired`].
            pub fn station_repaired<R: Slot, E: Copy + From<BuiltInEvent>>(
                &mut self,
                index: u16,
                ctx: &mut BuiltInCtx<'_, R, E>,
            ) -> String {
                match self { $(BuiltInPart::$v(p) => p.station_repaired(index, ctx)),* }
            }
            /// See [`BuiltIn::station_slowed`].
            pub fn station_slowed(&mut self, index: u16, factor: f64, now: SimTime) {
                match self { $(BuiltInPart::$v(p) => p.station_slowed(index, factor, now)),* }
            }
            /// See [`BuiltIn::station_state_at`].
            pub fn station_state_at(
                &self,
                kind: ComponentKind,
                index: u16,
                now: SimTime,
                state: &mut ComponentState,
            ) {
                match self { $(BuiltInPart::$v(p) => p.station_state_at(kind, index, now, state)),* }
            }
            /// See [`BuiltIn::VIEWS`].
            pub fn views(&self) -> Option<NodeKind> {
                match self { $(BuiltInPart::$v(_) => <$part as BuiltIn>::VIEWS),* }
            }
            /// See [`BuiltIn::group_changed`].
            pub fn group_changed(&mut self, group: u8, change: GroupChange) {
                match self { $(BuiltInPart::$v(p) => p.group_changed(group, change)),* }
            }
            /// See [`BuiltIn::views_mut`].
            pub fn views_mut(&mut self) -> &mut [Balancer] {
                match self { $(BuiltInPart::$v(p) => p.views_mut()),* }
            }
            /// See [`BuiltIn::pass`].
            #[inline]
            pub fn pass(
                &mut self,
                group: u8,
                rng: &mut Rng,
                preferred: impl FnOnce(&Balancer) -> Option<usize>,
            ) -> Pass {
                match self { $(BuiltInPart::$v(p) => p.pass(group, rng, preferred)),* }
            }
            /// See [`BuiltIn::send`].
            #[inline]
            pub fn send(&mut self, group: u8, member: u16) -> u16 {
                match self { $(BuiltInPart::$v(p) => p.send(group, member)),* }
            }
            /// See [`BuiltIn::preferred_member`].
            #[inline]
            pub fn preferred_member(
                &mut self,
                group: u8,
                user: u32,
                stations: &[Station],
                view: &Balancer,
            ) -> Option<usize> {
                match self { $(BuiltInPart::$v(p) => p.preferred_member(group, user, stations, view)),* }
            }
            /// See [`BuiltIn::pass_back`].
            #[inline]
            pub fn pass_back(&self) -> SimDuration {
                match self { $(BuiltInPart::$v(p) => p.pass_back()),* }
            }
            /// See [`BuiltIn::sent_done`].
            #[inline]
            pub fn sent_done(&mut self, index: u16) {
                match self { $(BuiltInPart::$v(p) => p.sent_done(index)),* }
            }
            /// This part as the component of kind `T`, if it is one.
            pub fn get<T: OneOf>(&self) -> Option<&T> {
                T::of(self)
            }
            /// The same, to change it.
            pub fn get_mut<T: OneOf>(&mut self) -> Option<&mut T> {
                T::of_mut(self)
            }
        }

        $(impl OneOf for $part {
            fn of(part: &BuiltInPart) -> Option<&$part> {
                // With one kind registered, the pattern always matches.
                #[allow(irrefutable_let_patterns)]
                if let BuiltInPart::$v(p) = part { Some(p) } else { None }
            }
            fn of_mut(part: &mut BuiltInPart) -> Option<&mut $part> {
                #[allow(irrefutable_let_patterns)]
                if let BuiltInPart::$v(p) = part { Some(p) } else { None }
            }
        })*
    };
}
