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
        let mut waiting = 0;
        for c in self
            .channels
            .iter_mut()
            .filter(|c| (c.from == a && c.to == b) || (c.from == b && c.to == a))
        {
            c.set_cut(cut, now);
            waiting += c.waiting;
        }
        let (na, nb) = (self.dcs[a].name.clone(), self.dcs[b].name.clone());
        let text = if cut {
            format!("network between {na} and {nb} cut ({cause} partition): users still reach both, but replication between them stops and its backlog grows")
        } else {
            format!("network between {na} and {nb} back ({cause} repair): {waiting} writes waiting to replicate between them ship now")
        };
        self.log_event(&na, text);
    }

    /// Writes waiting to replicate over channels cut by a partition now.
    pub(in crate::sim) fn writes_partitioned(&self) -> u64 {
        self.channels
            .iter()
            .filter(|c| c.cut)
            .map(|c| c.waiting)
            .sum()
    }
}
