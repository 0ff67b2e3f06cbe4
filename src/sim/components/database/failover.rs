//! The cluster's own events — a node's death or return noticed by the web tier, a replica
//! promoted — and its kill, repair and slow hooks.

use super::*;

impl DatabaseCluster {
    /// Handles one of the cluster's own events.
    pub fn handle<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        event: DbEvent,
        stations: &[Station],
        ctx: &mut Ctx<R, E>,
    ) {
        match event {
            DbEvent::Detected { index, epoch, up } => {
                let (shard, node) = db_of_index(index);
                self.on_detected(shard as u16, node as u16, epoch, up, stations, ctx);
            }
            DbEvent::Promote { shard, epoch, .. } => self.on_promote(shard, epoch, stations, ctx),
            // The engine starts copy jobs (they are requests): it handles the pacer itself.
            DbEvent::MigrationPace { .. } => {}
        }
    }

    fn on_detected<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        shard: u16,
        node: u16,
        epoch: u32,
        up: bool,
        stations: &[Station],
        ctx: &mut Ctx<R, E>,
    ) {
        let Some(db) = self.shards.get_mut(usize::from(shard)) else {
            return;
        };
        let n = &mut db.nodes[usize::from(node)];
        let s = &stations[usize::from(n.station)];
        if s.epoch != epoch || s.alive != up || n.believed_up == up {
            return; // the node changed again since; a later detection will report it
        }
        n.believed_up = up;
        let name = n.name.clone();
        if up {
            ctx.log(&name, format!("{name} seen healthy again by the web tier"));
            return;
        }
        let is_master = usize::from(node) == db.master && n.role == DbRole::Master;
        if is_master {
            db.promotion_epoch = db.promotion_epoch.wrapping_add(1);
            let epoch = db.promotion_epoch;
            let at = ctx.now.plus(db.promotion);
            let store = self.store;
            ctx.schedule(
                at,
                BuiltInEvent::from(DbEvent::Promote {
                    store,
                    shard,
                    epoch,
                }),
            );
            ctx.log(
                &name,
                format!("master {name} down detected; writes fail until a replica is promoted"),
            );
        } else {
            ctx.log(
                &name,
                format!("replica {name} down detected; reads go elsewhere"),
            );
        }
    }

    fn on_promote<R: Slot, E: Copy>(
        &mut self,
        shard: u16,
        epoch: u32,
        stations: &[Station],
        ctx: &mut Ctx<R, E>,
    ) {
        let now = ctx.now;
        let Some(db) = self.shards.get_mut(usize::from(shard)) else {
            return;
        };
        if epoch != db.promotion_epoch {
            return;
        }
        let old = db.master;
        if stations[usize::from(db.nodes[old].station)].alive {
            return; // the master came back before the promotion finished
        }
        for n in &mut db.nodes {
            if n.role == DbRole::Replica && stations[usize::from(n.station)].alive {
                db.replication.catch_up(&mut n.progress, now);
            }
        }
        let candidate = db
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| {
                n.role == DbRole::Replica
                    && stations[usize::from(n.station)].alive
                    && !n.progress.needs_resync
            })
            .max_by_key(|(i, n)| (n.progress.applied, std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        let down_at = db.master_down_at.take();
        let old_name = db.nodes[old].name.clone();
        let Some(new) = candidate else {
            ctx.log(
                &old_name,
                format!("no healthy replica to promote: writes fail until {old_name} returns"),
            );
            return;
        };
        let applied = db.nodes[new].progress.applied;
        let lost = db.replication.truncate_to(&mut self.versions, applied);
        db.nodes[old].role = DbRole::Replica;
        db.nodes[old].progress.following = false;
        db.nodes[old].progress.needs_resync = true;
        let n = &mut db.nodes[new];
        n.role = DbRole::Master;
        n.progress.following = false;
        let new_name = n.name.clone();
        db.master = new;
        let sender = db.nodes[new].progress.slowdown;
        db.replication.set_sender_slowdown(sender, now);
        for n in &mut db.nodes {
            // A dead replica that had applied writes now lost holds data no one else has.
            if n.role == DbRole::Replica && n.progress.applied > applied {
                n.progress.needs_resync = true;
            }
        }
        self.failovers.push(Failover {
            old_master: old_name.clone(),
            new_master: new_name.clone(),
            down_at_s: down_at.map_or(0.0, |t| t.as_secs_f64()),
            promoted_at_s: now.as_secs_f64(),
            outage_s: down_at.map_or(0.0, |t| now.since(t).as_secs_f64()),
            writes_lost: lost,
        });
        ctx.log(
            &new_name,
            format!("{new_name} promoted to master; {lost} writes committed on {old_name} never reached it and are lost"),
        );
    }

    /// Database node (shard, node) serves `factor` times slower from now on; as a replica it
    /// applies the writes it has not applied yet that much slower too.
    pub fn node_slowed(&mut self, shard: usize, node: usize, factor: f64, now: SimTime) {
        let db = &mut self.shards[shard];
        let n = &mut db.nodes[node];
        // Writes finished before now were applied at the old speed.
        db.replication.catch_up(&mut n.progress, now);
        n.progress.slowdown = (factor != 1.0).then_some(factor);
        if node == db.master {
            // A slow master sends its log slower too (see replication.rs).
            db.replication.set_sender_slowdown(n.progress.slowdown, now);
        }
    }

    /// A database node died (its station's new life is `epoch`): stop its replication,
    /// start the failure detection. Returns text for the event log.
    pub fn node_died<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        shard: usize,
        node: usize,
        epoch: u32,
        ctx: &mut Ctx<R, E>,
    ) -> &'static str {
        let now = ctx.now;
        let db = &mut self.shards[shard];
        let n = &mut db.nodes[node];
        db.replication.catch_up(&mut n.progress, now);
        n.progress.following = false;
        let mut text = "";
        if node == db.master {
            db.master_down_at = Some(now);
            db.replication.cut_off(now);
            text = "; it is the master: writes fail until failover";
        }
        ctx.schedule(
            now.plus(db.detection),
            BuiltInEvent::from(DbEvent::Detected {
                index: db_index(self.store(), shard, node),
                epoch,
                up: false,
            }),
        );
        text
    }

    /// A database node came back: a replica catches up (or copies a snapshot); a master that
    /// returns before any promotion resumes streaming. Returns text for the event log.
    pub fn node_returned<R: Slot, E: Copy + From<BuiltInEvent>>(
        &mut self,
        shard: usize,
        node: usize,
        epoch: u32,
        ctx: &mut Ctx<R, E>,
    ) -> String {
        let now = ctx.now;
        let db = &mut self.shards[shard];
        let master_name = db.nodes[db.master].name.clone();
        let n = &mut db.nodes[node];
        let mut text = String::new();
        if n.role == DbRole::Replica {
            n.progress.following = true;
            if n.progress.needs_resync {
                db.replication.resync(&mut n.progress, now);
                text = format!("; rejoins as a replica of {master_name} after copying a snapshot");
            } else {
                n.progress.busy_until = n.progress.busy_until.max(now);
                text.push_str("; catching up on the writes it missed");
            }
        } else if node == db.master {
            // Back before any promotion: it streams its writes again and nothing is lost.
            db.promotion_epoch = db.promotion_epoch.wrapping_add(1);
            db.master_down_at = None;
            db.replication.restore_stream();
        }
        ctx.schedule(
            now.plus(db.detection),
            BuiltInEvent::from(DbEvent::Detected {
                index: db_index(self.store(), shard, node),
                epoch,
                up: true,
            }),
        );
        text
    }
}
