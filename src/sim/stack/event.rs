//! The stack's events: one enum, 20 bytes, with an arm per kind of thing that happens in a
//! data center (the arms of components that own events carry those components' own types).

use super::super::components::registry::{BuiltInEvent, PlugEvent};
use super::super::components::station::ReqRef;
use super::super::kernel::time::SimTime;
use super::super::ComponentId;

#[derive(Clone, Copy, Debug)]
pub(in crate::sim) enum Event {
    /// The next request of the open-loop arrival process (ignored if `epoch` is stale).
    Arrival { epoch: u32 },
    /// The answer a request waits for before it departs is due (see `Departure::Wait`; DNS:
    /// a lookup stamped with the server's life `tag`).
    Answered { req: ReqRef, user: u32, tag: u32 },
    /// Stage 11: a request the geoDNS layer hands to this data center as it arrives (see
    /// `Sim::hand_over`).
    Inject {
        user: u32,
        /// When a lookup of the user's still under way answers, ms (0: none is).
        ready_ms: u32,
        region: u8,
    },
    /// Stage 11: a request handed over at `sent`, when the lookup the geoDNS layer started
    /// for it then answers (see `Asking::LookupFor`; `tag`: the component's note, DNS's
    /// life then).
    InjectAnswered {
        user: u32,
        tag: u32,
        region: u8,
        sent: SplitTime,
    },
    /// An answer from the data tier reaches the request's web server on its way back.
    BackAtWeb { req: ReqRef },
    /// A request reaches the component at the front door (the load balancer).
    ReachDoor { req: ReqRef },
    /// A request reaches a station over the network.
    Reach { req: ReqRef, station: u16 },
    /// A worker finishes a request.
    ServiceDone {
        req: ReqRef,
        station: u16,
        epoch: u32,
    },
    /// The client's patience runs out for a request that waited in a line (scheduled when it
    /// joins one; requests that never wait are checked whenever they move on).
    ClientTimeout { req: ReqRef },
    /// A metrics interval closes.
    MetricsTick,
    /// Store `store`'s data (the first: the scenario's `sharding`) is resharded to `to`
    /// shards.
    Reshard { store: u8, to: u32 },
    /// A copy job that could not be queued tries again.
    CopyRetry { req: ReqRef },
    /// A scheduled fault starts (`down`) or ends.
    Fault { component: ComponentId, down: bool },
    /// A scheduled slow or error fault (the scenario's fault number `fault`) starts or ends.
    Degrade {
        component: ComponentId,
        fault: u16,
        start: bool,
    },
    /// A retry (held by the clients as `slot`) is sent.
    Retry { slot: u32 },
    /// A request reaches the built-in component `part` standing first on its route (the
    /// CDN edge).
    ReachEntry { req: ReqRef, part: u8 },
    /// A request the built-in component `part` held is due (see `Step::Hold`; the edge:
    /// a hit is served, unless it died since the hit began, in edge life `tag`).
    Held { req: ReqRef, part: u8, tag: u32 },
    /// One of a built-in component's own events (the web tier's: the balancer's health
    /// checks, the web pools' autoscalers; the message queue's: a job done, the worker
    /// autoscaler; the deploy controller's: the scheduled start, drain checks, servers
    /// started).
    BuiltIn(BuiltInEvent),
    /// A request reaches the registered component `gate` standing on its way (in front of
    /// the front door).
    ReachGate { req: ReqRef, gate: u8 },
    /// A request held by the registered component `gate` in front of the front door leaves
    /// it — unless the component has died since it took it (its deaths were `life` then).
    LeaveGate { req: ReqRef, gate: u8, life: u32 },
    /// One of a registered component's own events.
    Plug(PlugEvent),
}

/// An instant in two 4-byte halves, so that an event carrying one keeps the 4-byte alignment
/// of the others (an 8-byte field would pad every [`Event`] from 20 bytes to 24).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::sim) struct SplitTime([u32; 2]);

impl From<SimTime> for SplitTime {
    fn from(t: SimTime) -> SplitTime {
        SplitTime([(t.0 >> 32) as u32, t.0 as u32])
    }
}

impl From<SplitTime> for SimTime {
    fn from(t: SplitTime) -> SimTime {
        SimTime((u64::from(t.0[0]) << 32) | u64::from(t.0[1]))
    }
}

impl From<PlugEvent> for Event {
    fn from(event: PlugEvent) -> Event {
        Event::Plug(event)
    }
}

impl From<BuiltInEvent> for Event {
    fn from(event: BuiltInEvent) -> Event {
        Event::BuiltIn(event)
    }
}
