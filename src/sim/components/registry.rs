//! The registry of component kinds that plug into the engine through one trait: adding such a
//! kind is its own file plus one line in [`plugs!`] below (and, on purpose, its drawing arms in
//! the UI, whose exhaustive matches stop compiling until the kind is drawn).
//!
//! ```text
//!   kind's file:  XParams: PlugSpec   (name, label, wiring rules, parameters with defaults)
//!                 X: Plug             (on_request → Pass | Reject | Delay, events, kill/repair/
//!                                      slow/is_alive, snapshot figures, report figures)
//!   this file:    plugs! { X(x::XParams, x::X), }      ← the one registration line
//!                   ⇒ PlugKind, PlugParams, PlugEventKind, PlugPart: enums with one arm per kind
//!   engine:       NodeKind::Plug / NodeSpec::Plug / ComponentKind::Plug, the route table's
//!                 gates, Event::ReachGate / Event::Plug, Part::Plug, Report::plugs — generic
//! ```
//!
//! Built-in kinds (the monitor, the CDN edge, the message queue, DNS) keep their own node kind,
//! scenario field and report section, and register their engine side in `built_ins!`
//! (`built_in/mod.rs`, beside this file):
//!
//! ```text
//!   kind's file:  X: Component + BuiltIn   (+ OwnEvents<XEvent> for timers of its own)
//!   built_in/mod.rs: built_ins! { X(x::X), }  or  { X(x::X, x::XEvent), }  ← one line
//!                   ⇒ BuiltInPart (one arm per kind), BuiltInEventKind (one per kind with
//!                     events) and their dispatch
//!   engine:       Part::BuiltIn / Part::Member, Event::BuiltIn, the lists of parts that
//!                 watch users or take writes — generic
//! ```
//!
//! The dispatch is a `match` over the generated enums: no `dyn`, no box, no allocation per
//! event, and a stack without plugged components pays one `Option` test per request where a
//! gate could stand (the route table says whether one does).

use super::{api_gateway, rate_limiter};
use crate::codec::{Reader, Wire, Writer};
use crate::scenario::topology::NodeKind;
use crate::sim::hits::IntervalHits;
use crate::sim::kernel::run::{Ctx, Slot};
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::SeriesPoint;
use crate::sim::{ComponentState, Outcome, RequestKind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::fmt::Debug;

/// What a plugged-in kind declares about itself, on its parameters' type: its names, what it
/// may be wired to, and its parameters' rules. Read by the graph (palette, wiring rules,
/// validation, files and links) without the engine.
pub trait PlugSpec:
    Clone + Debug + PartialEq + Default + Serialize + DeserializeOwned + Wire + Sized
{
    /// snake_case name, as written in files, graphs and links (`rate_limiter`).
    const NAME: &'static str;
    /// A short human label (`Rate limiter`).
    const LABEL: &'static str;
    /// A phrase for messages (`a rate limiter`).
    const PHRASE: &'static str;
    /// One sentence on what it does, for the inspector and the palette.
    const ABOUT: &'static str;
    /// What it does with its wires, for the wiring rules' messages.
    const ROLE: &'static str;
    /// The kinds that may send it requests (it stands on their wires).
    const FED_BY: &'static [NodeKind];
    /// The kinds it may stand in front of (send the requests it passes on to: exactly one).
    const FRONTS: &'static [NodeKind];
    /// Problems with these parameters, each a sentence naming the field (`rate_per_s must
    /// be above 0`); empty when valid.
    fn problems(&self) -> Vec<String>;
}

/// What a plugged-in component decides about a request that reaches it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// It goes on at once.
    Pass,
    /// It fails now with this outcome (the answer travels back to the user).
    Reject(Outcome),
    /// It goes on after this long, held by the component meanwhile (if the component dies
    /// before then, the request fails: `server_down`).
    Delay(SimDuration),
}

/// One figure of a plugged-in component, for its report section, the CLI's rows and the
/// inspector.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figure {
    /// snake_case key (`rate_limited`).
    pub key: &'static str,
    /// Human label (`Rate limited`).
    pub label: &'static str,
    /// Its value.
    pub value: f64,
}

/// A plugged-in component's section of the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlugReport {
    /// Its name in the graph (shown as text).
    pub name: String,
    /// Its kind.
    pub kind: PlugKind,
    /// Its figures over the run, in the kind's order.
    pub figures: Vec<Figure>,
}

/// One of a plugged-in component's own events, tagged with the component (its index among
/// the stack's plugged components).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlugEvent {
    /// Which component.
    pub plug: u8,
    /// The event, in its kind's own type.
    pub event: PlugEventKind,
}

/// For a kind without events of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoEvent {}

/// What a plugged-in component's handlers are handed: the kernel (clock, queue, RNG, log), and
/// its own index and name so that it can schedule its own events and log under its name.
pub(in crate::sim) struct PlugCtx<'a, R, E> {
    /// The kernel.
    pub kernel: &'a mut Ctx<R, E>,
    /// The component's index among the stack's plugged components.
    pub me: u8,
    /// The component's name in its stack (stage 11 adds the data center's).
    pub name: &'a str,
}

impl<R: Slot, E: Copy + From<PlugEvent>> PlugCtx<'_, R, E> {
    /// Now.
    pub fn now(&self) -> SimTime {
        self.kernel.now
    }

    /// Schedules one of the component's own events at `at`.
    pub fn schedule(&mut self, at: SimTime, event: impl Into<PlugEventKind>) {
        let event = PlugEvent {
            plug: self.me,
            event: event.into(),
        };
        self.kernel.schedule(at, event);
    }

    /// Adds a line to the event log now, under the component's name.
    pub fn log(&mut self, text: String) {
        self.kernel.log(self.name, text);
    }
}

/// A plugged-in kind's behaviour, on its component's type (engine-side: it sees the kernel).
/// Its hooks beside the request path (the metrics tick) are those of [`Component`].
pub(in crate::sim) trait Plug: Component {
    /// Its parameters (and with them its names and wiring rules).
    type Params: PlugSpec;
    /// Its own events (`NoEvent` for none).
    type Event: Copy + Debug + PartialEq + Into<PlugEventKind>;

    /// A new component, up, from its (valid) parameters.
    fn new(params: &Self::Params) -> Self;

    /// Schedules its first events, if it has timers.
    fn start<R: Slot, E: Copy + From<PlugEvent>>(&self, _ctx: &mut PlugCtx<'_, R, E>) {}

    /// A request of `kind` reaches it now.
    fn on_request<R: Slot, E: Copy + From<PlugEvent>>(
        &mut self,
        kind: RequestKind,
        ctx: &mut PlugCtx<'_, R, E>,
    ) -> Verdict;

    /// One of its own events.
    fn handle<R: Slot, E: Copy + From<PlugEvent>>(
        &mut self,
        _event: Self::Event,
        _ctx: &mut PlugCtx<'_, R, E>,
    ) {
    }

    /// It dies at `now`.
    fn kill(&mut self, now: SimTime);
    /// It is repaired at `now`.
    fn repair(&mut self, now: SimTime);
    /// A grey failure starts (`Some(factor)`) or ends (`None`); false if it cannot be slowed.
    fn slow(&mut self, _factor: Option<f64>) -> bool {
        false
    }
    /// Whether it is up.
    fn is_alive(&self) -> bool;

    /// Its figures now, for the inspector (its `alive` is set by the engine).
    fn figures_now(&self, now: SimTime) -> Vec<Figure>;
    /// Its figures over the run, for its report section.
    fn report(&self) -> Vec<Figure>;
}

/// Counts the kinds registered.
macro_rules! count {
    () => { 0usize };
    ($head:ident $($tail:ident)*) => { 1usize + count!($($tail)*) };
}

/// The one registration list: `Variant(its parameters' type, its component's type)` per kind.
/// Generates [`PlugKind`], [`PlugParams`], [`PlugEventKind`] and [`PlugPart`], each with one
/// arm per kind, and their dispatch.
macro_rules! plugs {
    ($($v:ident($params:ty, $part:ty)),* $(,)?) => {
        /// A kind registered in [`plugs!`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum PlugKind { $($v),* }

        impl PlugKind {
            /// Every registered kind, in registration order.
            pub const ALL: [PlugKind; count!($($v)*)] = [$(PlugKind::$v),*];

            /// snake_case name, as written in files.
            pub fn name(self) -> &'static str {
                match self { $(PlugKind::$v => <$params as PlugSpec>::NAME),* }
            }
            /// A short human label.
            pub fn label(self) -> &'static str {
                match self { $(PlugKind::$v => <$params as PlugSpec>::LABEL),* }
            }
            /// A phrase for messages (`a rate limiter`).
            pub fn phrase(self) -> &'static str {
                match self { $(PlugKind::$v => <$params as PlugSpec>::PHRASE),* }
            }
            /// One sentence on what it does.
            pub fn about(self) -> &'static str {
                match self { $(PlugKind::$v => <$params as PlugSpec>::ABOUT),* }
            }
            /// What it does with its wires.
            pub fn role(self) -> &'static str {
                match self { $(PlugKind::$v => <$params as PlugSpec>::ROLE),* }
            }
            /// The kinds that may send it requests.
            pub fn fed_by(self) -> &'static [NodeKind] {
                match self { $(PlugKind::$v => <$params as PlugSpec>::FED_BY),* }
            }
            /// The kinds it may stand in front of.
            pub fn fronts(self) -> &'static [NodeKind] {
                match self { $(PlugKind::$v => <$params as PlugSpec>::FRONTS),* }
            }
            /// Its default parameters.
            pub fn default_params(self) -> PlugParams {
                match self { $(PlugKind::$v => PlugParams::$v(<$params>::default())),* }
            }
            /// Its parameters read from JSON (missing fields take their defaults).
            pub fn params_from_json(self, v: Value) -> Result<PlugParams, serde_json::Error> {
                match self { $(PlugKind::$v => Ok(PlugParams::$v(serde_json::from_value(v)?))),* }
            }
            /// The kind called `name`.
            pub fn parse(name: &str) -> Option<PlugKind> {
                PlugKind::ALL.into_iter().find(|k| k.name() == name)
            }
        }

        /// A registered kind's parameters.
        #[derive(Clone, Debug, PartialEq)]
        pub enum PlugParams { $($v($params)),* }

        impl PlugParams {
            /// Its kind.
            pub fn kind(&self) -> PlugKind {
                match self { $(PlugParams::$v(_) => PlugKind::$v),* }
            }
            /// As JSON (the parameters' own fields).
            pub fn to_json(&self) -> Result<Value, serde_json::Error> {
                match self { $(PlugParams::$v(p) => serde_json::to_value(p)),* }
            }
            /// Problems with them (empty: valid).
            pub fn problems(&self) -> Vec<String> {
                match self { $(PlugParams::$v(p) => p.problems()),* }
            }
        }

        /// In the binary form ([`crate::codec`]): the kind's place in [`PlugKind::ALL`], then
        /// its parameters.
        impl Wire for PlugParams {
            fn put(&self, w: &mut Writer) {
                let kind = self.kind();
                let i = PlugKind::ALL.iter().position(|k| *k == kind);
                w.byte(i.and_then(|i| u8::try_from(i).ok()).unwrap_or(u8::MAX));
                match self { $(PlugParams::$v(p) => p.put(w)),* }
            }
            fn take(r: &mut Reader) -> Option<PlugParams> {
                let kind = *PlugKind::ALL.get(usize::from(r.byte()?))?;
                Some(match kind { $(PlugKind::$v => PlugParams::$v(Wire::take(r)?)),* })
            }
        }

        /// A registered kind's own events.
        #[derive(Clone, Copy, Debug, PartialEq)]
        #[allow(dead_code)] // the arm of a kind without events (`NoEvent`) cannot be built
        pub enum PlugEventKind {
            $($v(<$part as Plug>::Event),)*
        }

        /// A plugged-in component of a stack.
        #[derive(Clone)]
        pub(in crate::sim) enum PlugPart { $($v($part)),* }

        impl PlugPart {
            /// A new component from its parameters.
            pub fn new(params: &PlugParams) -> PlugPart {
                match params { $(PlugParams::$v(p) => PlugPart::$v(<$part as Plug>::new(p))),* }
            }
            /// Its kind.
            pub fn kind(&self) -> PlugKind {
                match self { $(PlugPart::$v(_) => PlugKind::$v),* }
            }
            /// See [`Plug::start`].
            pub fn start<R: Slot, E: Copy + From<PlugEvent>>(&self, ctx: &mut PlugCtx<'_, R, E>) {
                match self { $(PlugPart::$v(p) => p.start(ctx)),* }
            }
            /// See [`Plug::on_request`].
            #[inline]
            pub fn on_request<R: Slot, E: Copy + From<PlugEvent>>(
                &mut self,
                kind: RequestKind,
                ctx: &mut PlugCtx<'_, R, E>,
            ) -> Verdict {
                match self { $(PlugPart::$v(p) => p.on_request(kind, ctx)),* }
            }
            /// Hands it one of its own events (an event of another kind is a bug: ignored).
            pub fn handle<R: Slot, E: Copy + From<PlugEvent>>(
                &mut self,
                event: PlugEventKind,
                ctx: &mut PlugCtx<'_, R, E>,
            ) {
                #[allow(unreachable_patterns)] // with one kind registered, every pair matches
                match (self, event) {
                    $((PlugPart::$v(p), PlugEventKind::$v(e)) => p.handle(e, ctx),)*
                    _ => debug_assert!(false, "an event handed to a component of another kind"),
                }
            }
            /// See [`Plug::kill`].
            pub fn kill(&mut self, now: SimTime) {
                match self { $(PlugPart::$v(p) => p.kill(now)),* }
            }
            /// See [`Plug::repair`].
            pub fn repair(&mut self, now: SimTime) {
                match self { $(PlugPart::$v(p) => p.repair(now)),* }
            }
            /// See [`Plug::slow`].
            pub fn slow(&mut self, factor: Option<f64>) -> bool {
                match self { $(PlugPart::$v(p) => p.slow(factor)),* }
            }
            /// See [`Plug::is_alive`].
            pub fn is_alive(&self) -> bool {
                match self { $(PlugPart::$v(p) => p.is_alive()),* }
            }
            /// Its state for the snapshot.
            pub fn state(&self, now: SimTime, state: &mut ComponentState) {
                match self { $(PlugPart::$v(p) => {
                    state.alive = p.is_alive();
                    state.figures = p.figures_now(now);
                }),* }
            }
            /// See [`Plug::report`].
            pub fn report(&self) -> Vec<Figure> {
                match self { $(PlugPart::$v(p) => p.report()),* }
            }
            /// See [`Component::on_tick`].
            pub fn on_tick<R: Slot, E: Copy>(&mut self, tick: &mut Tick<'_>, ctx: &mut Ctx<R, E>) {
                match self { $(PlugPart::$v(p) => p.on_tick(tick, ctx)),* }
            }
        }
    };
}

// The registered kinds: one line each. This is the registration.
plugs! {
    RateLimiter(rate_limiter::RateLimiterParams, rate_limiter::RateLimiter),
    ApiGateway(api_gateway::ApiGatewayParams, api_gateway::ApiGateway),
}

impl Serialize for PlugKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for PlugKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PlugKind, D::Error> {
        let name = String::deserialize(deserializer)?;
        PlugKind::parse(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown kind `{}`",
                name.chars().take(40).collect::<String>()
            ))
        })
    }
}

impl From<NoEvent> for PlugEventKind {
    fn from(event: NoEvent) -> PlugEventKind {
        match event {}
    }
}

// ─── Hooks beside the request path, and the built-in kinds on the registration ───
//
// A built-in kind (the monitor, the CDN edge, DNS) keeps its own node kind in the graph, its own field in
// the scenario and its own section in the report, so that every file, link and report stays
// as it was; what it registers here is its engine side: the stack holds it as one arm of
// [`BuiltInPart`] and reaches it only through the generated dispatch below (no field of its
// own on the stack, no arm of its own in the tick, the request path or the report).

/// One station-served component's figures for the metrics interval, as the tick hands them
/// to the components that watch them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(in crate::sim) struct StationTick<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its busy fraction over its last closed interval, 0–1.
    pub utilization: f64,
    /// Its mean waiting line over its last closed interval.
    pub waiting: f64,
    /// Services it completed since the run began.
    pub served: u64,
}

/// What the metrics tick hands each component when an interval closes.
pub(in crate::sim) struct Tick<'a> {
    /// The interval's series point as the stack gathered it. A component may add its own
    /// figures (the monitor: the active users) before the point is recorded.
    pub point: &'a mut SeriesPoint,
    /// The interval's length, s.
    pub interval_s: f64,
    /// Every component served by a station, in component order.
    pub stations: &'a [StationTick<'a>],
}

/// The hooks every kind the engine runs may take beside the request path (each does nothing
/// unless the kind overrides it). Registered kinds take them through [`Plug`], built-in
/// kinds through [`BuiltIn`].
pub(in crate::sim) trait Component: Clone + Sized {
    /// A metrics interval closes: before the stack gathers the interval's series point, the
    /// component adds its counts of the interval to `hits` (the CDN edge: its hits and
    /// lookups) and starts counting the next.
    fn close_interval(&mut self, _hits: &mut IntervalHits) {}
    /// A metrics interval closes now (`ctx.now`): its figures are in `tick`.
    fn on_tick<R: Slot, E: Copy>(&mut self, _tick: &mut Tick<'_>, _ctx: &mut Ctx<R, E>) {}
}

// The built-in kinds' hooks, their generated enums and the registration line live in
// `built_in/mod.rs`; they are re-exported here, so the registry stays the one place to import from.
pub(in crate::sim) use super::built_in::{
    Ask, Asking, BuiltIn, BuiltInCtx, BuiltInEvent, BuiltInEventKind, BuiltInPart, Departure, Down,
    Follow, GroupChange, Listed, NewStation, Nudge, OwnEvents, OwnStep, Pass, RunSoFar, Served,
    Starts, Step,
};
