//! The stack's side of the database cluster (`components/database.rs`): building a shard's
//! nodes (components and stations are the stack's registry), resharding, and the copy jobs
//! of a resharding, which travel as requests. The cluster decides; this file only moves
//! requests and registers nodes.

use super::*;
use crate::sim::components::migration::COPY_RETRY;

impl Stack {
    /// Builds a new shard of store `store` for a resharding: its nodes, placed as the
    /// clusters' kind describes them (`new_station` / `station_placed`, group `store`);
    /// inside a data center that is down they start down.
    fn build_shard_of(&mut self, store: usize) {
        for _ in 0..dbs(&self.built_ins)[store].nodes_per_shard() {
            self.place_station(DATABASES, store as u8, false);
        }
    }

    /// Reshards store `store` to `count` shards now: new shards start empty and are built
    /// like the others, and the keys whose shard changes are copied to it at its sharding's
    /// `migration_keys_per_s` (see `migration.rs`). Refused while an earlier one of that store
    /// is copying, and for a store no shard router splits (a further database standing
    /// unsharded beside a router keeps its data where it is; the log says which store
    /// reshards when there are several).
    pub fn reshard_store(&mut self, store: usize, count: u32) {
        let Some(db) = dbs(&self.built_ins).get(store) else {
            return;
        };
        if db.spec().is_none() || (store > 0 && self.scenario.sharding_of(store).is_none()) {
            return;
        }
        let count = (count as usize).clamp(1, crate::scenario::MAX_SHARDS as usize);
        if dbs_mut(&mut self.built_ins)[store].reshard_refused(count, &mut self.kernel) {
            return;
        }
        if let Some(text) = self.reshard_sentence(store, count) {
            self.log_event("database", text);
        }
        // Stage 11: a data center that is down builds its new shards down too (scheduled or
        // live; `place_station`); they come back with it.
        while dbs(&self.built_ins)[store].shard_count() < count {
            self.build_shard_of(store);
        }
        dbs_mut(&mut self.built_ins)[store].start_reshard(count, &mut self.kernel);
        let sharding = match store {
            0 => self.scenario.sharding.as_mut(),
            n => self.scenario.more_databases[n - 1].sharding.as_mut(),
        };
        if let Some(s) = sharding {
            s.shards = count as u32;
        }
    }

    /// With several databases, the log line that says which store reshards (`None`: one
    /// database). With one shard router, as before further routers existed.
    fn reshard_sentence(&self, store: usize, count: usize) -> Option<String> {
        let more = &self.scenario.more_databases;
        if more.is_empty() {
            return None;
        }
        let (db, router) = match store {
            0 => ("db".to_string(), "the shard router".to_string()),
            n => {
                let m = &more[n - 1];
                (m.name.clone(), format!("shard router {}", m.router_name()?))
            }
        };
        let others: Vec<&str> = std::iter::once("db")
            .chain(more.iter().map(|m| m.name.as_str()))
            .enumerate()
            .filter(|&(i, _)| i != store)
            .map(|(_, name)| name)
            .collect();
        Some(format!(
            "resharding {db} (behind {router}) to {count} shards; {} {} data where it is",
            others.join(", "),
            if others.len() > 1 {
                "keep their"
            } else {
                "keeps its"
            }
        ))
    }

    /// The resharding pacer of store `store`: starts the copy job it hands out as a request.
    pub(super) fn on_migration_pace(&mut self, store: usize, run: u32) {
        let Some(slot) = dbs_mut(&mut self.built_ins)[store].pace(run, &mut self.kernel) else {
            return;
        };
        let req = self.allocate(RequestKind::Write, 0);
        let r = self.req_mut(req);
        r.copy_job = copy_job_of(store, slot);
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
        let ((store, slot), on_target) = (copy_job_parts(r.copy_job), r.has(COPY_ON_TARGET));
        let db = &mut dbs_mut(&mut self.built_ins)[store];
        let Some(shard) = db.copy_job_shard(slot, on_target) else {
            return;
        };
        match db.route_query(RequestKind::Write, shard, &self.stations) {
            Some(node) => {
                let station = db.station(shard, node);
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

    /// Service time of a copy job at database shard `shard` (of the job's store).
    pub(super) fn copy_work_ns(&mut self, req: ReqRef, shard: usize) -> u64 {
        let r = self.request_in(req);
        let (store, slot) = copy_job_parts(r.copy_job);
        dbs(&self.built_ins)[store].copy_work_ns(
            slot,
            r.has(COPY_ON_TARGET),
            shard,
            &mut self.kernel,
        )
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
        let (store, slot) = copy_job_parts(r.copy_job);
        if let Some(run) = dbs_mut(&mut self.built_ins)[store].cut_over(slot, &mut self.kernel) {
            self.on_migration_pace(store, run);
        }
    }
}

/// A copy job's mark on its request: its store in the high byte, its job slot in the low
/// one (the first store's jobs keep their plain slot numbers; never `NONE`).
fn copy_job_of(store: usize, slot: u16) -> u16 {
    ((store as u16) << 8) | slot
}

/// (store, job slot) of a copy job's mark made by [`copy_job_of`].
fn copy_job_parts(mark: u16) -> (usize, u16) {
    (usize::from(mark >> 8), mark & 0xff)
}
