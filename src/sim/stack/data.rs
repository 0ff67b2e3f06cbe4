//! The stack's side of the database clusters (`components/database/`): building a shard's
//! nodes (components and stations are the stack's registry), resharding, and moving the
//! clusters' own requests (a resharding's copy jobs: where each goes, its work and what
//! follows its service are the clusters' hooks, `station_for` with `Ask::own`, `own_work`,
//! `own_served`). The clusters decide; this file only moves requests and registers nodes.

use super::*;
use crate::sim::components::migration::COPY_RETRY;
use crate::sim::components::registry::OwnStep;

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

    /// Starts a request of the database clusters' own, marked `mark` ([`Follow::Send`]: a
    /// resharding's copy job), and sends it where they say.
    pub(super) fn start_own_request(&mut self, mark: u16) {
        let req = self.allocate(RequestKind::Write, 0);
        let r = self.req_mut(req);
        r.copy_job = mark;
        r.sampled = false;
        self.send_copy_job(req);
    }

    /// Sends a request of the database clusters' own to the station they pick for its
    /// mark, or lets it wait a little when they pick none (the web tier knows no live
    /// master there).
    pub(in crate::sim) fn send_copy_job(&mut self, req: ReqRef) {
        if self.get(req).is_none() {
            return;
        }
        match self.station_for(req, DATABASES, 0) {
            Some(station) => self.move_to(req, station),
            None => self.retry_copy_job(req),
        }
    }

    /// A request of the clusters' own could not be queued (its node is down or its line
    /// full): it tries again a little later.
    pub(in crate::sim) fn retry_copy_job(&mut self, req: ReqRef) {
        let at = self.kernel.now.plus(COPY_RETRY);
        self.req_mut(req).state = ReqState::Transit;
        self.kernel.events.push(at, Event::CopyRetry { req });
    }

    /// Built-in component `part`'s own request `req` was served at its station `index`:
    /// it goes on where the kind says, or is over (and the kind may start the next one).
    pub(super) fn own_request_served(&mut self, req: ReqRef, part: u8, index: u16) {
        let mark = self.request_in(req).copy_job;
        let ctx = &mut BuiltInCtx {
            kernel: &mut self.kernel,
            stations: &mut self.stations,
            me: part,
        };
        match self.built_ins[usize::from(part)].own_served(index, mark, ctx) {
            OwnStep::Onward { mark } => {
                self.req_mut(req).copy_job = mark;
                self.send_copy_job(req);
            }
            OwnStep::Over { next } => {
                self.release(req);
                if let Some(mark) = next {
                    self.start_own_request(mark);
                }
            }
        }
    }
}
