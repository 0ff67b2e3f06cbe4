//! Cross-data-center replication channels: writes committed in one data center, shipped to
//! another at a finite rate, lost if their data center fails before they leave.

use super::*;

/// Writes committed in `from`, on their way to `to`: shipped one at a time, in commit order,
/// one every `gap` (the channel's rate), each leaving no earlier than `gap` after its commit.
///
/// The backlog is kept as runs of writes committed in the same millisecond, not one entry per
/// write: with a channel almost as busy as its rate the writes waiting grow with the run, the
/// milliseconds they were committed in cannot outgrow the backlog's age. Counts stay exact;
/// a write's commit time counts as the start of its millisecond, so it may leave up to 1 ms
/// earlier than with its exact commit time and its lag differs by less than 1 ms.
///
/// ```text
///   backlog: [(t=1200 ms, 3 writes), (1201 ms, 1), (1203 ms, 5)] ──gap──▶ shipped
///              └─ the next leaves at max(1200 ms, last_ship) + gap
/// ```
#[derive(Clone)]
pub(super) struct Channel {
    pub(super) from: usize,
    pub(super) to: usize,
    pub(super) one_way: SimDuration,
    /// Time between two writes leaving (1 / the channel's rate).
    pub(super) gap: SimDuration,
    /// Writes not shipped yet, oldest first, by the millisecond they were committed in.
    pub(super) backlog: VecDeque<Run>,
    /// Writes in `backlog`.
    pub(super) waiting: u64,
    /// When the last write left (or the backlog was lost with its data center).
    pub(super) last_ship: SimTime,
    pub(super) shipped: u64,
    pub(super) lost: u64,
    pub(super) max_lag: SimDuration,
    /// The network between its two data centers is cut (a partition): nothing ships.
    pub(super) cut: bool,
    /// Writes that waited in its backlog while it was cut, most at once.
    pub(super) max_waiting_cut: u64,
    /// It was ever cut.
    pub(super) partitioned: bool,
}

/// Writes committed in one millisecond, waiting to be shipped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Run {
    /// The millisecond they were committed in (since the run began; `u32` lasts 49 days,
    /// longer than the validated duration).
    commit_ms: u32,
    /// How many are waiting.
    writes: u32,
}

impl Run {
    /// Commit time of the run's writes: the start of their millisecond.
    pub(super) fn commit(self) -> SimTime {
        SimTime(u64::from(self.commit_ms) * 1_000_000)
    }
}

impl Channel {
    /// Whether it is one of the two channels between data centers `a` and `b`.
    #[inline]
    pub(super) fn joins(&self, a: usize, b: usize) -> bool {
        (self.from == a && self.to == b) || (self.from == b && self.to == a)
    }

    pub(super) fn new(from: usize, to: usize, one_way: SimDuration, gap: SimDuration) -> Channel {
        Channel {
            from,
            to,
            one_way,
            gap: SimDuration(gap.as_nanos().max(1)),
            backlog: VecDeque::new(),
            waiting: 0,
            last_ship: SimTime::ZERO,
            shipped: 0,
            lost: 0,
            max_lag: SimDuration::ZERO,
            cut: false,
            max_waiting_cut: 0,
            partitioned: false,
        }
    }

    /// A write committed at `commit` joins the backlog (commits come in time order).
    pub(super) fn push(&mut self, commit: SimTime) {
        let commit_ms = u32::try_from(commit.as_nanos() / 1_000_000).unwrap_or(u32::MAX);
        match self.backlog.back_mut() {
            Some(run) if run.commit_ms == commit_ms && run.writes < u32::MAX => run.writes += 1,
            _ => self.backlog.push_back(Run {
                commit_ms,
                writes: 1,
            }),
        }
        self.waiting += 1;
    }

    /// The network is cut (`true`) or heals at `now`: on healing the backlog ships from now
    /// on at the channel's rate.
    pub(super) fn set_cut(&mut self, cut: bool, now: SimTime) {
        if cut == self.cut {
            return;
        }
        self.ship_until(now);
        self.cut = cut;
        self.partitioned = true;
        if !cut {
            self.max_waiting_cut = self.max_waiting_cut.max(self.waiting);
            self.last_ship = self.last_ship.max(now);
        }
    }

    /// Ships every write whose turn has come by `now` (none while cut).
    pub(super) fn ship_until(&mut self, now: SimTime) {
        if self.cut {
            self.max_waiting_cut = self.max_waiting_cut.max(self.waiting);
            return;
        }
        while let Some(run) = self.backlog.front_mut() {
            let commit = run.commit();
            let first = commit.max(self.last_ship).plus(self.gap);
            if first > now {
                break;
            }
            let due = now.since(first).as_nanos() / self.gap.as_nanos() + 1;
            let n = due.min(u64::from(run.writes));
            self.last_ship = first.plus(self.gap.times(n - 1));
            // The run's last write shipped waited longest.
            self.max_lag = self
                .max_lag
                .max(self.last_ship.plus(self.one_way).since(commit));
            self.shipped += n;
            self.waiting -= n;
            run.writes -= n as u32;
            if run.writes > 0 {
                break;
            }
            self.backlog.pop_front();
        }
    }

    /// The data center fails: what has not left by `now` is lost; returns how many writes.
    pub(super) fn lose_backlog(&mut self, now: SimTime) -> u64 {
        self.ship_until(now);
        let lost = self.waiting;
        self.lost += lost;
        self.waiting = 0;
        self.backlog.clear();
        self.last_ship = now;
        lost
    }

    /// How far behind the receiving side is now: the age of the oldest write it lacks.
    pub(super) fn lag_at(&self, now: SimTime) -> SimDuration {
        match self.backlog.front() {
            Some(run) => now.since(run.commit()).plus(self.one_way),
            None => SimDuration::ZERO,
        }
    }

    /// Bytes the backlog holds.
    pub(super) fn backlog_bytes(&self) -> usize {
        self.backlog.len() * std::mem::size_of::<Run>()
    }
}

#[cfg(test)]
mod tests {
    use super::{Channel, SimDuration, SimTime};
    use crate::sim::kernel::rng::Rng;

    const MS: u64 = 1_000_000;

    /// The instant `x` ms into the run.
    fn ms(x: f64) -> SimTime {
        SimTime::from_millis_f64(x)
    }

    /// A span of `x` ms.
    fn span(x: f64) -> SimDuration {
        SimDuration::from_millis_f64(x)
    }

    /// 5,000 writes/s, 35 ms one way.
    fn channel() -> Channel {
        Channel::new(0, 1, span(35.0), span(0.2))
    }

    /// The model the runs replace: one entry per write, its commit and ship time.
    struct PerWrite {
        gap: SimDuration,
        one_way: SimDuration,
        pending: std::collections::VecDeque<(SimTime, SimTime)>,
        last_ship: SimTime,
        shipped: u64,
        lost: u64,
        max_lag: SimDuration,
    }

    impl PerWrite {
        fn new(c: &Channel) -> PerWrite {
            PerWrite {
                gap: c.gap,
                one_way: c.one_way,
                pending: Default::default(),
                last_ship: SimTime::ZERO,
                shipped: 0,
                lost: 0,
                max_lag: SimDuration::ZERO,
            }
        }
        fn push(&mut self, commit: SimTime) {
            let ship = commit.max(self.last_ship).plus(self.gap);
            self.last_ship = ship;
            self.pending.push_back((commit, ship));
        }
        fn ship_until(&mut self, now: SimTime) {
            while let Some(&(commit, ship)) = self.pending.front() {
                if ship > now {
                    break;
                }
                self.pending.pop_front();
                self.shipped += 1;
                self.max_lag = self.max_lag.max(ship.plus(self.one_way).since(commit));
            }
        }
        fn lose(&mut self, now: SimTime) {
            self.ship_until(now);
            self.lost += self.pending.len() as u64;
            self.pending.clear();
            self.last_ship = now;
        }
        fn lag_at(&self, now: SimTime) -> SimDuration {
            self.pending
                .front()
                .map_or(SimDuration::ZERO, |&(c, _)| now.since(c).plus(self.one_way))
        }
    }

    #[test]
    fn hand_made_backlog_ships_at_the_rate_and_loses_the_rest() {
        let mut c = channel();
        for t in [10.0, 10.0, 10.0, 11.0, 11.0] {
            c.push(ms(t));
        }
        assert_eq!(c.backlog.len(), 2);
        // Ship times: 10.2, 10.4, 10.6, then max(11, 10.6) + 0.2 = 11.2, 11.4 ms.
        c.ship_until(ms(10.5));
        assert_eq!((c.shipped, c.waiting), (2, 3));
        assert_eq!(c.lag_at(ms(10.5)), span(35.5));
        assert_eq!(c.max_lag, span(35.4));
        c.ship_until(ms(11.2));
        assert_eq!((c.shipped, c.waiting), (4, 1));
        assert_eq!(c.lag_at(ms(11.2)), span(35.2));
        assert_eq!(c.max_lag, span(35.6));
        assert_eq!(c.lose_backlog(ms(11.3)), 1);
        assert_eq!((c.shipped, c.waiting, c.lost), (4, 0, 1));
        assert_eq!(c.lag_at(ms(11.3)), SimDuration::ZERO);
        // After the loss the next write leaves a gap after its commit.
        c.push(ms(12.0));
        c.ship_until(ms(12.1));
        assert_eq!(c.shipped, 4);
        c.ship_until(ms(12.2));
        assert_eq!((c.shipped, c.waiting, c.lost), (5, 0, 1));
        assert_eq!(c.max_lag, span(35.6));
    }

    /// Random commits, shipping and (with `whole_ms`) failures; `whole_ms` puts every commit on
    /// a millisecond, where the runs must agree exactly with one entry per write. Otherwise a
    /// commit counts from the start of its millisecond, so each write leaves up to 1 ms earlier
    /// and its lag differs by less than 1 ms.
    fn compare_with_per_write(seed: u64, whole_ms: bool) {
        let mut rng = Rng::new(seed);
        let mut c = channel();
        let mut reference = PerWrite::new(&c);
        let mut now = SimTime::ZERO;
        let mut committed = 0u64;
        for _ in 0..5_000 {
            // Bursts around the channel's rate: a backlog builds and drains.
            now = now.plus(SimDuration(rng.below(400_000)));
            let commit = if whole_ms {
                SimTime(now.as_nanos() / MS * MS)
            } else {
                now
            };
            for _ in 0..rng.below(3) {
                c.push(commit);
                reference.push(commit);
                committed += 1;
            }
            match rng.below(100) {
                0 if whole_ms => {
                    c.lose_backlog(now);
                    reference.lose(now);
                }
                0..=30 => {
                    c.ship_until(now);
                    reference.ship_until(now);
                }
                _ => {}
            }
            let runs: u64 = c.backlog.iter().map(|r| u64::from(r.writes)).sum();
            assert_eq!(runs, c.waiting, "seed {seed}");
            assert_eq!(
                committed,
                c.shipped + c.waiting + c.lost,
                "seed {seed}: committed = shipped + waiting + lost"
            );
            if whole_ms {
                assert_eq!(c.shipped, reference.shipped, "seed {seed}");
                assert_eq!(c.lost, reference.lost, "seed {seed}");
                assert_eq!(c.lag_at(now), reference.lag_at(now), "seed {seed}");
                assert_eq!(c.max_lag, reference.max_lag, "seed {seed}");
            } else {
                // At most 1 ms / gap = 5 writes ahead.
                let ahead = c.shipped - reference.shipped;
                assert!(ahead <= 5, "seed {seed}: {ahead} writes ahead");
            }
        }
        let end = now.plus(SimDuration::from_secs(3_600));
        c.ship_until(end);
        reference.ship_until(end);
        assert_eq!(
            (c.shipped, c.waiting),
            (reference.shipped, 0),
            "seed {seed}"
        );
        let lag_diff = c.max_lag.as_nanos().abs_diff(reference.max_lag.as_nanos());
        assert!(
            lag_diff < MS,
            "seed {seed}: max lag differs by {lag_diff} ns"
        );
        assert!(c.max_lag > span(36.0), "seed {seed}: a backlog built up");
        if whole_ms {
            assert!(c.lost > 0, "seed {seed}: the case lost writes");
        }
    }

    #[test]
    fn backlog_matches_one_entry_per_write_on_whole_milliseconds() {
        for seed in 1..=20 {
            compare_with_per_write(seed, true);
        }
    }

    #[test]
    fn backlog_lags_stay_within_a_millisecond_of_exact_commit_times() {
        for seed in 1..=20 {
            compare_with_per_write(seed, false);
        }
    }

    #[test]
    fn backlog_memory_grows_with_milliseconds_not_writes() {
        let mut c = channel();
        for i in 0..1_000_000u64 {
            // 1,000 writes in each of 1,000 milliseconds, none shipped yet.
            c.push(SimTime(i / 1_000 * MS + i % 1_000));
        }
        assert_eq!(c.waiting, 1_000_000);
        assert_eq!(c.backlog.len(), 1_000);
        assert!(c.backlog_bytes() <= 2_048 * std::mem::size_of::<super::Run>());
        c.ship_until(SimTime::from_secs(1_000));
        assert_eq!((c.shipped, c.waiting, c.backlog.len()), (1_000_000, 0, 0));
    }
}
