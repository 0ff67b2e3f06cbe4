//! Every database cluster of a stack as a built-in kind on the registration
//! ([`Databases`]): the scenario's `database` (store 0, always there, empty without one),
//! then its `more_databases`. Its own events are the clusters' [`DbEvent`]s, which reach the
//! kernel's queue as `BuiltInEvent`s tagged with [`DATABASES`] wherever a cluster schedules
//! them (its own handler, its nodes' fault hooks, or the resharding calls the stack makes
//! with the kernel), and come back through [`OwnEvents::handle`].

use super::{db_index, db_of_index, store_of_index, DatabaseCluster, DbEvent};
use crate::scenario::topology::NodeKind;
use crate::scenario::Scenario;
use crate::sim::components::migration::CopyMark;
use crate::sim::components::registry::{
    Ask, BuiltIn, BuiltInCtx, BuiltInEvent, BuiltInEventKind, Component, Follow, NewStation,
    OwnEvents, OwnStep, RunSoFar, Served,
};
use crate::sim::components::station::{ReqRef, Station};
use crate::sim::cost::Bill;
use crate::sim::kernel::rng::{Rng, Sampler};
use crate::sim::kernel::run::Slot;
use crate::sim::kernel::time::SimTime;
use crate::sim::report::{Sections, SeriesPoint};
use crate::sim::zipf::Zipf;
use crate::sim::{ComponentKind, ComponentState, Outcome, RequestKind, Snapshot};

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
/// its `more_databases`), built-in component 1. The stack places their nodes' stations and
/// reaches them on the request path through the station hooks, which also draw a request's
/// key and fan-out and move a resharding's copy jobs (the clusters' own requests).
#[derive(Clone)]
pub(in crate::sim) struct Databases {
    /// The clusters, in store order.
    pub clusters: Vec<DatabaseCluster>,
    /// The keyspace's law of keys (its Zipf skew), which every store's keys follow.
    keys: Zipf,
}

impl Component for Databases {}

impl BuiltIn for Databases {
    const NODE: NodeKind = NodeKind::Database;

    /// The first cluster (empty without a database), then, with a database, one per
    /// further database; their nodes are placed as the stack is built
    /// ([`BuiltIn::initial_stations`]).
    fn of_scenario(scenario: &Scenario) -> Option<Databases> {
        let mut clusters = vec![DatabaseCluster::new(scenario)];
        if scenario.database.is_some() {
            let more = 0..scenario.more_databases.len();
            clusters.extend(more.map(|n| DatabaseCluster::further(scenario, n)));
        }
        let keyspace = &scenario.traffic.keyspace;
        let keys = Zipf::new(keyspace.keys, keyspace.zipf_s);
        Some(Databases { clusters, keys })
    }

    // Its nodes are stations of the stack's table, a group per cluster: placed after the
    // web servers (where the kind is listed, first of the kinds listed there), and again
    // for the new shards of a resharding.

    /// Every shard of each cluster, master first.
    fn initial_stations(&self) -> Vec<u32> {
        self.clusters.iter().map(|c| c.initial_nodes()).collect()
    }

    fn new_station(&self, group: u8) -> NewStation {
        let cluster = &self.clusters[usize::from(group)];
        let (shard, node) = cluster.next_node();
        NewStation {
            name: cluster.next_node_name(),
            kind: ComponentKind::Database,
            index: db_index(cluster.store(), shard, node),
            station: cluster.node_station(),
        }
    }

    /// The node joins its shard; the cluster's first nodes all placed, it counts the keys
    /// each shard holds.
    fn station_placed(&mut self, group: u8, station: u16, initial: bool) -> Option<String> {
        let cluster = &mut self.clusters[usize::from(group)];
        cluster.node_placed(station);
        if initial && cluster.next_node() == (cluster.placement.map.count(), 0) {
            cluster.count_shard_keys();
        }
        None
    }

    // Its nodes on the request path: the cluster picks the node a query goes to and says
    // what its service did (a commit, a read, the next shard of a fan-out).

    /// The node of cluster `group` that takes the query: a write's shard master, a read's
    /// replica by the read policy (or its master with none readable), on the shard of its
    /// key, of its fan-out or of its denormalised copy; `None` when the web tier knows no
    /// live node there to ask.
    #[inline(always)]
    fn station_for(&mut self, group: u8, ask: Ask, stations: &[Station]) -> Option<u16> {
        if let Some(mark) = ask.own {
            return self.copy_job_station(CopyMark::of_mark(mark), stations);
        }
        let cluster = &mut self.clusters[usize::from(group)];
        let shard = cluster.shard_of_query(ask.key, ask.copy, ask.fanout);
        let node = cluster.route_query(ask.kind, shard, stations)?;
        Some(cluster.station(shard, node))
    }

    /// Drawn by the shard router in front of store `group` (its hot keys); a store no
    /// router splits, beside one that does, shares the first database's keys.
    #[inline(always)]
    fn draw_key(&self, group: u8, rng: &mut Rng) -> u32 {
        let store = usize::from(group);
        let keyed = match self.clusters.get(store) {
            Some(cluster) if cluster.is_sharded() => store,
            _ => 0,
        };
        self.clusters[keyed].draw_key(rng, &self.keys)
    }

    /// A read joining data of every shard of store `group` (an unsharded store, or one
    /// with no such reads, draws nothing).
    #[inline(always)]
    fn draws_fan_out(&mut self, group: u8, kind: RequestKind, rng: &mut Rng) -> bool {
        (self.clusters.get_mut(usize::from(group))).is_some_and(|c| c.draws_fan_out(kind, rng))
    }

    /// The node's store.
    #[inline]
    fn group_of(&self, index: u16) -> u8 {
        store_of_index(index) as u8
    }

    #[inline(always)]
    fn station_service(&self, index: u16, kind: RequestKind) -> Sampler {
        let (shard, _) = db_of_index(index);
        self.clusters[store_of_index(index)].sampler(shard, kind)
    }

    /// A write commits on the node (its key's or a copy's), a read reads it; the key
    /// versions are the cluster's own (`latest` is not needed).
    #[inline(always)]
    fn station_served(
        &mut self,
        index: u16,
        _req: ReqRef,
        ask: Ask,
        now: SimTime,
        _latest: impl Fn(u8) -> u64,
        _leading: impl Fn(ReqRef) -> bool,
    ) -> Served {
        let (cluster, shard, node) = self.node_at(index);
        cluster.served(shard, node, ask, now)
    }

    // Its own requests: a resharding's copy jobs, started by the pacer ([`Follow::Send`]),
    // read their keys at the old shard's master, write them at the new shard's, and cut
    // them over.

    /// A read per key on the old shard, a write per key on the new one.
    fn own_work(&self, index: u16, mark: u16, rng: &mut Rng) -> u64 {
        let job = CopyMark::of_mark(mark);
        let cluster = &self.clusters[usize::from(job.store)];
        cluster.copy_work_ns(job.slot, job.on_target, db_of_index(index).0, rng)
    }

    /// Read: on to the new shard. Written: its keys are cut over, and the pacer, if it
    /// stalled on a full set of jobs, hands out the next one now.
    fn own_served<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        _index: u16,
        mark: u16,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> OwnStep {
        let job = CopyMark::of_mark(mark);
        if !job.on_target {
            let on_target = CopyMark {
                on_target: true,
                ..job
            };
            return OwnStep::Onward {
                mark: on_target.to_mark(),
            };
        }
        let cluster = &mut self.clusters[usize::from(job.store)];
        let next = match cluster.cut_over(job.slot, ctx.kernel) {
            Some(run) => self.pace(job.store, run, ctx),
            None => None,
        };
        OwnStep::Over { next }
    }

    /// A query refused (no live node, a node down, an injected error) fails as the
    /// database being down.
    fn refuses_as(&self) -> Outcome {
        Outcome::DbDown
    }

    // A node's death, return and slowness change its shard's replication and start the
    // failure detection (the cluster's own events); its station's life and speed are the
    // stack's, set before these are asked.

    fn station_killed<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        index: u16,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> String {
        let (cluster, shard, node) = self.node_at(index);
        let epoch = ctx.stations[usize::from(cluster.station(shard, node))].epoch;
        cluster
            .node_died(shard, node, epoch, ctx.kernel)
            .to_string()
    }

    fn station_repaired<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        index: u16,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> String {
        let (cluster, shard, node) = self.node_at(index);
        let epoch = ctx.stations[usize::from(cluster.station(shard, node))].epoch;
        cluster.node_returned(shard, node, epoch, ctx.kernel)
    }

    fn station_slowed(&mut self, index: u16, factor: f64, now: SimTime) {
        let (cluster, shard, node) = self.node_at(index);
        cluster.node_slowed(shard, node, factor, now);
    }

    // Its figures: the interval's, the snapshot's, the report's and the bill's.

    /// Every cluster brings its replicas up to date and records their lag; the point gets
    /// the busiest node's utilization and the largest lag over every cluster.
    fn close_point(&mut self, now: SimTime, stations: &[Station], point: &mut SeriesPoint) {
        let (mut utilization, mut lag_ms) = (0.0f64, 0.0f64);
        for cluster in &mut self.clusters {
            let (busiest, lag) = cluster.tick(now, stations);
            utilization = utilization.max(busiest);
            lag_ms = lag_ms.max(lag);
        }
        point.db_utilization = utilization;
        point.replication_lag_ms = lag_ms;
    }

    fn snapshot(&self, snapshot: &mut Snapshot) {
        snapshot.writes_lost = self.clusters.iter().map(|c| c.writes_lost()).sum();
        snapshot.stale_reads = self.clusters.iter().map(|c| c.stale_reads()).sum();
    }

    fn station_state_at(
        &self,
        kind: ComponentKind,
        index: u16,
        now: SimTime,
        state: &mut ComponentState,
    ) {
        if kind != ComponentKind::Database {
            return;
        }
        let (shard, node) = db_of_index(index);
        let cluster = &self.clusters[store_of_index(index)];
        let (role, writes, ms, stale) = cluster.node_state(shard, node, now);
        state.role = Some(role);
        state.lag_writes = writes;
        state.lag_ms = ms;
        state.stale_reads = stale;
    }

    /// The first database's section, the further ones' (`more_databases`, whose breakers
    /// the stack adds) and the data store's, which the NoSQL stores complete.
    fn report_section(&self, stations: &[Station], sections: &mut Sections<'_>) {
        let (first, more) = self.clusters.split_first().expect("the first cluster");
        sections.database = first.report(stations);
        sections.more_databases = (more.iter())
            .filter_map(|c| c.named_report(stations))
            .collect();
        sections.data_store = first.data_store_report();
    }

    /// Each database's nodes and stored data, in store order.
    fn bill_machines(&self, run: &RunSoFar<'_>, bill: &mut Bill) {
        for cluster in &self.clusters {
            let label = match cluster.name() {
                None => "database nodes".to_string(),
                Some(name) => format!("database nodes ({name})"),
            };
            cluster.bill(label, run.hours, bill);
        }
    }

    /// The key versions and a resharding's copy work.
    fn heap_bytes(&self) -> usize {
        self.clusters.iter().map(|c| c.heap_bytes()).sum()
    }
}

impl Databases {
    /// The clusters `clusters`, their keys uniform over the first one's keyspace (a test's
    /// kind, which draws no key).
    #[cfg(test)]
    pub fn of_clusters(clusters: Vec<DatabaseCluster>) -> Databases {
        let keys = Zipf::new(clusters[0].keyspace(), 0.0);
        Databases { clusters, keys }
    }

    /// The version of `key` last committed in store `store`, lent to the kinds after the
    /// databases on the request path (a cache fills with it).
    #[inline]
    pub fn latest(&self, store: u8, key: u32) -> u64 {
        self.clusters[usize::from(store)].versions.last_write(key)
    }

    /// The master that copy job `job` goes to next: its old shard's to read, its new
    /// shard's to write (`None`: the web tier knows no live master there, and the job tries
    /// again later).
    fn copy_job_station(&mut self, job: CopyMark, stations: &[Station]) -> Option<u16> {
        let cluster = &mut self.clusters[usize::from(job.store)];
        let shard = cluster.copy_job_shard(job.slot, job.on_target)?;
        let node = cluster.route_query(RequestKind::Write, shard, stations)?;
        Some(cluster.station(shard, node))
    }

    /// The pacer of resharding number `run` of store `store`: the mark of the copy job it
    /// hands out now, if any.
    fn pace<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        store: u8,
        run: u32,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Option<u16> {
        let slot = self.clusters[usize::from(store)].pace(run, ctx.kernel)?;
        let job = CopyMark {
            store,
            slot,
            on_target: false,
        };
        Some(job.to_mark())
    }

    /// The cluster, shard and node of the database node whose station index is `index`
    /// ([`super::db_index`]).
    fn node_at(&mut self, index: u16) -> (&mut DatabaseCluster, usize, usize) {
        let (shard, node) = db_of_index(index);
        (&mut self.clusters[store_of_index(index)], shard, node)
    }
}

impl OwnEvents<DbEvent> for Databases {
    /// A failure detection or a promotion is the cluster's own business; the resharding
    /// pacer's turn starts a copy job, a request of its own, which the stack makes and moves
    /// ([`Follow::Send`]).
    fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: DbEvent,
        ctx: &mut BuiltInCtx<'_, R, E>,
    ) -> Follow {
        match event {
            DbEvent::MigrationPace { store, run } => match self.pace(store, run, ctx) {
                Some(mark) => Follow::Send { mark },
                None => Follow::Nothing,
            },
            event => {
                let stations = &*ctx.stations;
                self.clusters[event.store()].handle(event, stations, ctx.kernel);
                Follow::Nothing
            }
        }
    }
}
