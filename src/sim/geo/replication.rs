//! Cross-data-center replication as one component of the geo layer: a [`Channel`] each way
//! between every two data centers, and the partitions that cut them.
//!
//! ```text
//!   data center A's outbox ──ship_out──▶ A→B, A→C …   each ships at its rate, in commit order
//!   partition(A, B): A→B and B→A stop; heal: their backlogs ship from then on
//!   A fails: A→* lose what had not left
//! ```
//!
//! [`Replication`] owns the channels and answers for them as a whole: the lag and the writes
//! at risk of a series point, the writes lost and partitioned of a snapshot, the report's
//! `replication` list and the bill's line. The world hands it each data center's committed
//! writes, tells it of deaths and partitions, and words the log lines.

use super::channel::Channel;
use crate::scenario::Geo;
use crate::sim::cost::Bill;
use crate::sim::report::ChannelReport;
use crate::sim::{SimDuration, SimTime};

/// Every replication channel between the data centers.
#[derive(Clone)]
pub(super) struct Replication {
    /// One per ordered pair of data centers, by sender then receiver.
    channels: Vec<Channel>,
}

impl Replication {
    /// A channel each way between every two data centers of `geo`, their regions
    /// `regions_of_dcs` (in data-center order): one way is half the regions' round trip, the
    /// rate is `geo`'s.
    pub fn new(geo: &Geo, regions_of_dcs: &[usize]) -> Replication {
        let mut channels = Vec::new();
        for (from, &a) in regions_of_dcs.iter().enumerate() {
            for (to, &b) in regions_of_dcs.iter().enumerate() {
                if from != to {
                    channels.push(Channel::new(
                        from,
                        to,
                        SimDuration::from_millis_f64(geo.rtt_ms[a][b] / 2.0),
                        SimDuration::from_secs_f64(1.0 / geo.replication_writes_per_s),
                    ));
                }
            }
        }
        Replication { channels }
    }

    /// Writes committed in data center `from` (in commit order) join the backlog of each of
    /// its channels.
    pub fn ship_out(&mut self, from: usize, commits: &[SimTime]) {
        for c in self.channels.iter_mut().filter(|c| c.from == from) {
            for &commit in commits {
                c.push(commit);
            }
        }
    }

    /// Ships every write whose turn has come by `now`, on every channel that is not cut.
    pub fn ship_until(&mut self, now: SimTime) {
        for c in &mut self.channels {
            c.ship_until(now);
        }
    }

    /// Data center `from` fails at `now`: what its channels had not shipped is lost; returns
    /// the most writes one of them lost.
    pub fn lose_from(&mut self, from: usize, now: SimTime) -> u64 {
        let mut lost = 0;
        for c in self.channels.iter_mut().filter(|c| c.from == from) {
            lost = lost.max(c.lose_backlog(now));
        }
        lost
    }

    /// The two channels between data centers `a` and `b`.
    fn between(&mut self, a: usize, b: usize) -> impl Iterator<Item = &mut Channel> {
        self.channels.iter_mut().filter(move |c| c.joins(a, b))
    }

    /// The network between `a` and `b` is cut (`cut`) or heals at `now`; returns the writes
    /// waiting on its two channels.
    pub fn set_cut(&mut self, a: usize, b: usize, cut: bool, now: SimTime) -> u64 {
        let mut waiting = 0;
        for c in self.between(a, b) {
            c.set_cut(cut, now);
            waiting += c.waiting;
        }
        waiting
    }

    /// Whether cutting (`cut`) or healing the network between `a` and `b` would change it.
    pub fn would_change(&self, a: usize, b: usize, cut: bool) -> bool {
        self.channels.iter().any(|c| c.joins(a, b) && c.cut != cut)
    }

    /// The pairs of data centers whose network is cut now, each once (the lower index first).
    pub fn cut_pairs(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.channels
            .iter()
            .filter(|c| c.cut && c.from < c.to)
            .map(|c| (c.from, c.to))
    }

    /// Writes waiting on channels cut by a partition now.
    pub fn writes_partitioned(&self) -> u64 {
        self.channels
            .iter()
            .filter(|c| c.cut)
            .map(|c| c.waiting)
            .sum()
    }

    /// The largest lag of any channel at `now`, ms.
    pub fn lag_ms(&self, now: SimTime) -> f64 {
        self.channels
            .iter()
            .map(|c| c.lag_at(now).as_secs_f64() * 1000.0)
            .fold(0.0, f64::max)
    }

    /// The most writes waiting on one channel (at risk if their data center fails).
    pub fn writes_at_risk(&self) -> u64 {
        self.channels.iter().map(|c| c.waiting).max().unwrap_or(0)
    }

    /// The most writes one channel lost with its data center.
    pub fn most_lost(&self) -> u64 {
        self.channels.iter().map(|c| c.lost).max().unwrap_or(0)
    }

    /// Writes lost with their data center, over every channel.
    pub fn total_lost(&self) -> u64 {
        self.channels.iter().map(|c| c.lost).sum()
    }

    /// The report's `replication` list, one entry per channel; `name` names a data center.
    pub fn report(&self, name: impl Fn(usize) -> String) -> Vec<ChannelReport> {
        self.channels
            .iter()
            .map(|c| ChannelReport {
                from: name(c.from),
                to: name(c.to),
                shipped: c.shipped,
                lost: c.lost,
                waiting: c.waiting,
                max_lag_ms: c.max_lag.as_secs_f64() * 1000.0,
                max_waiting_cut: c.partitioned.then_some(c.max_waiting_cut),
                cut: c.cut,
            })
            .collect()
    }

    /// Its line in the bill: the writes shipped across regions.
    pub fn bill(&self, bill: &mut Bill) {
        bill.add_replication(self.channels.iter().map(|c| c.shipped).sum());
    }

    /// Bytes the channels' backlogs hold.
    pub fn backlog_bytes(&self) -> usize {
        self.channels.iter().map(Channel::backlog_bytes).sum()
    }
}
