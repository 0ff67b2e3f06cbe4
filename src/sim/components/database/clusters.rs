//! Every database cluster of a stack as a built-in kind on the registration
//! ([`Databases`]): the scenario's `database` (store 0, always there, empty without one),
//! then its `more_databases`. Its own events are the clusters' [`DbEvent`]s, which reach the
//! kernel's queue as `BuiltInEvent`s tagged with [`DATABASES`] wherever a cluster schedules
//! them (its own handler, or the kill, repair and resharding calls the stack makes with the
//! kernel), and come back through [`OwnEvents::handle`].

use super::{DatabaseCluster, DbEvent};
use crate::scenario::topology::NodeKind;
use crate::scenario::Scenario;
use crate::sim::components::registry::{
    BuiltIn, BuiltInCtx, BuiltInEvent, BuiltInEventKind, Component, Follow, OwnEvents,
};
use crate::sim::kernel::run::Slot;

/// The database clusters' place among a stack's built-in components: registered second,
/// after the web tier, and every stack has them, so it is always 1.
pub(in crate::sim) const DATABASES: u8 = 1;

/// A cluster's event, as the built-in event the kernel's queue carries for it.
impl From<DbEvent> for BuiltInEvent {
    fn from(event: DbEvent) -> BuiltInEvent {
        BuiltInEvent {
            part: DATABASES,
            event: BuiltInEventKind::Db(event),
        }
    }
}

/// The database clusters of a stack, in store order (the scenario's `database` first, then
/// its `more_databases`); the stack builds their shards' stations and reads them directly
/// on the request path (`stack::dbs`, built-in component 1), as it reads the web tier.
#[derive(Clone)]
pub(in crate::sim) struct Databases {
    /// The clusters, in store order.
    pub clusters: Vec<DatabaseCluster>,
}

impl Component for Databases {}

impl BuiltIn for Databases {
    const NODE: NodeKind = NodeKind::Database;

    /// The first cluster (empty without a database); the stack adds the further ones as it
    /// builds their shards.
    fn of_scenario(scenario: &Scenario) -> Option<Databases> {
        Some(Databases {
            clusters: vec![DatabaseCluster::new(scenario)],
        })
    }
}

impl OwnEvents<DbEvent> for Databases {
    /// A failure detection or a promotion is the cluster's own business; the resharding
    /// pacer's turn starts a copy job, a request, which is the stack's ([`Follow::Pace`]).
    fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: DbEvent,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Follow {
        match event {
            DbEvent::MigrationPace { store, run } => Follow::Pace { store, run },
            event => {
                let stations = &*ctx.stations;
                self.clusters[event.store()].handle(event, stations, ctx.kernel);
                Follow::Nothing
            }
        }
    }
}
