//! Network partitions between two data centers (`faults[]: {"kind": "partition", "target":
//! A, "peer": B}`). Users still reach both data centers — geoDNS and its health checks look
//! from outside, and each data center holds the full stack — but cross-data-center
//! replication between A and B stops: each side's writes wait in its channel's backlog, and
//! the lag grows. When the partition heals the backlogs ship at the channel's rate; if a data
//! center dies first, the writes still in its backlog are lost (and counted).
//!
//! ```text
//!   A ══╳══ B      A's writes for B wait; B's for A wait     heal: both drain at the rate
//!                  A dies now: A's waiting writes are lost
//! ```

use super::*;

impl World {
    /// Schedules the partition `fault` (its start at `at`, its heal if it has a duration).
    pub(super) fn schedule_partition(&mut self, fault: &crate::scenario::Fault, at: SimTime) {
        let index = |name: &str| self.dcs.iter().position(|d| d.name == name);
        let (Some(a), Some(b)) = (index(&fault.target), fault.peer.as_deref().and_then(index))
        else {
            return; // validation guarantees both exist
        };
        let (a, b) = (a as u16, b as u16);
        self.kernel
            .events
            .push(at, GeoEvent::Partition { a, b, cut: true });
        if fault.duration_s > 0.0 {
            let heal = at.plus(SimDuration::from_secs_f64(fault.duration_s));
            self.kernel
                .events
                .push(heal, GeoEvent::Partition { a, b, cut: false });
        }
    }

    /// The network between data centers `a` and `b` is cut (`cut`) or heals now.
    pub(super) fn partition(&mut self, a: usize, b: usize, cut: bool, cause: &str) {
        self.collect();
        let now = self.kernel.now;
        let waiting = self.replication.set_cut(a, b, cut, now);
        let (na, nb) = (self.dcs[a].name.clone(), self.dcs[b].name.clone());
        let text = if cut {
            format!("network between {na} and {nb} cut ({cause} partition): users still reach both, but replication between them stops and its backlog grows")
        } else {
            format!("network between {na} and {nb} back ({cause} repair): {waiting} writes waiting to replicate between them ship now")
        };
        self.log_event(&na, text);
    }

    /// Cuts (`cut`) or heals the network between the data centers named `a` and `b` now, as
    /// the user's live change; false if either name is not a data center's (or they are the
    /// same one).
    pub(in crate::sim) fn partition_named(&mut self, a: &str, b: &str, cut: bool) -> bool {
        let index = |name: &str| self.dcs.iter().position(|d| d.name == name);
        match (index(a), index(b)) {
            (Some(a), Some(b)) if a != b => {
                if self.replication.would_change(a, b, cut) {
                    self.partition(a, b, cut, "live");
                }
                true
            }
            _ => false,
        }
    }

    /// The pairs of data centers whose network is cut now, by name, each once.
    pub(in crate::sim) fn cut_links(&self) -> Vec<(String, String)> {
        self.replication
            .cut_pairs()
            .map(|(a, b)| (self.dcs[a].name.clone(), self.dcs[b].name.clone()))
            .collect()
    }

    /// Writes waiting to replicate over channels cut by a partition now.
    pub(in crate::sim) fn writes_partitioned(&self) -> u64 {
        self.replication.writes_partitioned()
    }
}
