//! The stack's side of the database cluster (`components/database.rs`): building a shard's
//! nodes (components and stations are the stack's registry), resharding, and the copy jobs
//! of a resharding, which travel as requests. The cluster decides; this file only moves
//! requests and registers nodes.

use super::*;
use crate::sim::components::database::db_index;
use crate::sim::components::migration::COPY_RETRY;

impl Stack {
    /// Builds the next shard of the database cluster: its nodes as components served by
    /// stations; `sharded`: named as one shard of several.
    pub(super) fn build_shard(&mut self, sharded: bool) {
        self.build_shard_of(0, sharded);
    }

    /// Builds the next shard of store `store` (see [`Stack::build_shard`]).
    pub(super) fn build_shard_of(&mut self, store: usize, sharded: bool) {
        let db = &self.dbs[store];
        let shard = db.shard_count();
        let nodes = db.nodes_per_shard();
        let mut stations = Vec::with_capacity(nodes);
        for i in 0..nodes {
            let name = self.dbs[store].node_name(sharded, shard, i);
            let id = self.add_component(name, ComponentKind::Database);
            let station = self.dbs[store].node_station();
            let index = db_index(store, shard, i);
            stations.push(self.add_station(id, Tier::Db, index, station));
        }
        self.dbs[store].add_shard(&stations, sharded);
    }

    /// Reshards the data tier to `count` shards now: new shards start empty and are built
    /// like the others, and the keys whose shard changes are copied to it at the scenario's
    /// `migration_keys_per_s` (see `migration.rs`). Refused while an earlier one is copying.
    /// The shard router splits the first database's data: further databases beside it keep
    /// theirs where it is (the log says which store reshards when there are several).
    pub fn reshard(&mut self, count: u32) {
        if self.dbs[0].spec().is_none() {
            return;
        }
        let count = (count as usize).clamp(1, crate::scenario::MAX_SHARDS as usize);
        if self.dbs[0].reshard_refused(count, &mut self.kernel) {
            return;
        }
        if let Some(others) = self.further_store_names() {
            self.log_event(
                "database",
                format!(
                    "resharding db (behind the shard router) to {count} shards; {others} {} data where it is",
                    if self.dbs.len() > 2 { "keep their" } else { "keeps its" }
                ),
            );
        }
        while self.dbs[0].shard_count() < count {
            self.build_shard(true);
        }
        self.dbs[0].start_reshard(count, &mut self.kernel);
        if let Some(s) = self.scenario.sharding.as_mut() {
            s.shards = count as u32;
        }
    }

    /// The resharding pacer: starts the copy job it hands out as a request.
    pub(super) fn on_migration_pace(&mut self, run: u32) {
        let Some(slot) = self.dbs[0].pace(run, &mut self.kernel) else {
            return;
        };
        let req = self.allocate(RequestKind::Write, 0);
        let r = self.req_mut(req);
        r.copy_job = slot;
        r.set_flag(COPY_ON_TARGET, false);
        r.sampled = false;
        self.send_copy_job(req);
    }

    /// Sends a copy job to the master of its old shard (reading) or new shard (writing), or
    /// lets it wait a little when the web tier knows no live master there.
    pub(in crate::sim) fn send_copy_job(&mut self, req: ReqRef) {
        let Some(r) = self.get(req) else {
            return;
        };
        let Some(shard) = self.dbs[0].copy_job_shard(r.copy_job, r.has(COPY_ON_TARGET)) else {
            return;
        };
        match self.dbs[0].route_query(RequestKind::Write, shard, &self.stations) {
            Some(node) => {
                let station = self.dbs[0].station(shard, node);
                self.move_to(req, station);
            }
            None => self.retry_copy_job(req),
        }
    }

    /// The copy job could not be queued (its node is down or its line full): it tries
    /// again a little later.
    pub(in crate::sim) fn retry_copy_job(&mut self, req: ReqRef) {
        let at = self.kernel.now.plus(COPY_RETRY);
        self.req_mut(req).state = ReqState::Transit;
        self.kernel.events.push(at, Event::CopyRetry { req });
    }

    /// Service time of a copy job at database shard `shard`.
    pub(super) fn copy_work_ns(&mut self, req: ReqRef, shard: usize) -> u64 {
        let r = self.request_in(req);
        self.dbs[0].copy_work_ns(r.copy_job, r.has(COPY_ON_TARGET), shard, &mut self.kernel)
    }

    /// A copy job finished its part at a master: on to the new shard after the read, or
    /// the cutover of its keys after the write.
    pub(super) fn copy_step_done(&mut self, req: ReqRef) {
        let r = self.request_in(req);
        if !r.has(COPY_ON_TARGET) {
            self.req_mut(req).set_flag(COPY_ON_TARGET, true);
            self.send_copy_job(req);
            return;
        }
        self.release(req);
        if let Some(run) = self.dbs[0].cut_over(r.copy_job, &mut self.kernel) {
            self.on_migration_pace(run);
        }
    }

    /// The further databases' names, as a list for a sentence (`None`: there are none).
    fn further_store_names(&self) -> Option<String> {
        let names: Vec<&str> = (self.scenario.more_databases.iter())
            .map(|m| m.name.as_str())
            .collect();
        (!names.is_empty()).then(|| names.join(", "))
    }

    /// (store, shard, node) of a database component.
    pub(super) fn db_node_of(&self, id: ComponentId) -> Option<(usize, usize, usize)> {
        let station = self.station_of_component(id)?;
        let (_, tier, index) = self.station_info[usize::from(station)];
        (tier == Tier::Db).then(|| {
            let (shard, node) = db_of_index(index);
            (store_of_index(index), shard, node)
        })
    }
}
