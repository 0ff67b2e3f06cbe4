//! A built-in kind's own events and what its hooks that schedule them are handed.

use super::{BuiltIn, BuiltInEventKind, BuiltInPart, Follow};
use crate::sim::components::station::Station;
use crate::sim::kernel::run::{Ctx, Slot};
use crate::sim::kernel::time::SimTime;
use std::ops::{Deref, DerefMut};

/// A built-in kind's own events (timers that carry no request: the message queue's jobs
/// done, its worker autoscaler), of type `Ev`, named as the second type of its line in
/// [`built_ins!`]. A kind without events of its own leaves the type out of its line and
/// does not implement this.
pub(in crate::sim) trait OwnEvents<Ev>: BuiltIn {
    /// One of its own events is due now.
    fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: Ev,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Follow;
}

/// One of a built-in component's own events, tagged with the component (its index among the
/// stack's built-in components).
#[derive(Clone, Copy, Debug)]
pub(in crate::sim) struct BuiltInEvent {
    /// Which component.
    pub part: u8,
    /// The event, in its kind's own type.
    pub event: BuiltInEventKind,
}

/// What a built-in component's hooks that schedule its own events are handed: the kernel
/// (clock, queue, RNG, log: reached through `Deref`, so `ctx.now`, `ctx.rng`, `ctx.log`),
/// the stack's stations and its own index, so that [`BuiltInCtx::schedule`] tags its events
/// with it.
///
/// The stations are the stack's one table, handed out as a slice: the stack's request path
/// indexes it directly, and a station's number is what component ids, recorded hops and
/// links read, so the table is not split per kind. A kind reads and changes only the
/// stations placed for it, by the numbers the stack gave it when it placed them.
pub(in crate::sim) struct BuiltInCtx<'a, R, E> {
    /// The kernel.
    pub kernel: &'a mut Ctx<R, E>,
    /// The stack's stations (see above).
    pub stations: &'a mut [Station],
    /// The component's index among the stack's built-in components.
    pub me: u8,
}

impl<R: Slot, E: Copy + From<BuiltInEvent>> BuiltInCtx<'_, R, E> {
    /// Schedules one of the component's own events at `at` (in the kernel's queue, as
    /// [`Ctx::schedule`] does: the same lane and order as any event pushed now).
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: impl Into<BuiltInEventKind>) {
        let event = BuiltInEvent {
            part: self.me,
            event: event.into(),
        };
        self.kernel.schedule(at, event);
    }
}

impl<R, E> Deref for BuiltInCtx<'_, R, E> {
    type Target = Ctx<R, E>;
    fn deref(&self) -> &Ctx<R, E> {
        self.kernel
    }
}

impl<R, E> DerefMut for BuiltInCtx<'_, R, E> {
    fn deref_mut(&mut self) -> &mut Ctx<R, E> {
        self.kernel
    }
}

/// A built-in kind's component type, found among a stack's [`BuiltInPart`]s.
pub(in crate::sim) trait OneOf: Sized {
    /// `part` as this kind's component, if it is one.
    fn of(part: &BuiltInPart) -> Option<&Self>;
    /// The same, to change it.
    fn of_mut(part: &mut BuiltInPart) -> Option<&mut Self>;
}
