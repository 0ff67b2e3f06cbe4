//! For every challenge, a reference solution (it passes on every grading seed) and a
//! shortcut: a solution that skips the mechanic the challenge teaches (it fails, or costs more
//! than the budget). The tests in `tests/core/challenges.rs` prove both, which is what makes a
//! challenge fair: winnable, and not without its lesson. The app uses the reference only in
//! its browser test (a link to it).

use super::catalogue::parts::*;
use crate::scenario::{Scenario, WritePolicy};

/// The reference solution of challenge `id`.
pub fn reference(id: u8) -> Option<Scenario> {
    Some(match id {
        1 => all_in_one("eight workers", 8),
        2 => with_database("web and database apart", 1, 4, database(4, 0)),
        3 => balanced("three servers behind a balancer", 3, 4, database(8, 0)),
        4 => balanced("a replica to promote", 3, 4, database(8, 1)),
        5 => {
            let mut s = balanced("a cache in front", 4, 8, database(12, 0));
            s.stage = 5;
            s.cache = Some(cache(1, 20_000, WritePolicy::Invalidate, 300.0));
            s
        }
        6 => {
            let mut s = balanced("a CDN edge", 2, 4, database(4, 0));
            s.stage = 6;
            s.cdn = Some(cdn());
            s
        }
        7 => {
            let mut s = launch_start();
            s.name = "autoscaled".to_string();
            s.autoscaling = Some(autoscaling(2, 12, 0.5));
            s
        }
        8 => {
            let mut s = stale_start();
            s.name = "invalidate on write".to_string();
            if let Some(c) = &mut s.cache {
                c.write_policy = WritePolicy::Invalidate;
            }
            s
        }
        9 => {
            let mut s = celebrity_start();
            s.name = "a cache in front of the shards".to_string();
            s.cache = Some(cache(1, 20_000, WritePolicy::Invalidate, 300.0));
            s
        }
        10 => {
            let mut s = balanced("two shards", 4, 8, database(8, 1));
            s.stage = 10;
            s.sharding = Some(shards(2));
            s
        }
        11 => {
            let mut s = one_data_center("us-east and eu-west", 300);
            add_eu_west(&mut s);
            s
        }
        12 => {
            let mut s = one_data_center("two data centers, short TTL", 10);
            add_eu_west(&mut s);
            if let Some(g) = &mut s.geo {
                g.health_interval_ms = 2000.0;
                g.unhealthy_after = 2;
            }
            s
        }
        _ => return None,
    })
}

/// A solution of challenge `id` that skips its mechanic, and what it does instead.
pub fn shortcut(id: u8) -> Option<(Scenario, &'static str)> {
    Some(match id {
        1 => {
            let mut s = all_in_one("a longer line", 2);
            s.server.queue_capacity = 5000;
            (s, "a longer waiting line instead of more workers")
        }
        2 => (
            all_in_one("sixty-four workers", 64),
            "a huge single server instead of a separate database",
        ),
        3 => (
            with_database("one big server", 1, 32, database(8, 0)),
            "one bigger server instead of a balanced pool",
        ),
        4 => (
            balanced("a bigger master", 3, 4, database(32, 0)),
            "a bigger master instead of a replica",
        ),
        5 => (
            balanced("database workers", 4, 8, database(24, 0)),
            "more database workers instead of a cache",
        ),
        6 => (
            balanced("more origin servers", 8, 8, database(8, 0)),
            "more origin servers instead of a CDN",
        ),
        7 => {
            let mut s = launch_start();
            s.name = "sized for the peak".to_string();
            s.server.count = 6;
            (
                s,
                "a fleet sized for the peak all day instead of autoscaling",
            )
        }
        8 => {
            let mut s = stale_start();
            s.name = "a one-second TTL".to_string();
            if let Some(c) = &mut s.cache {
                c.ttl_s = 1.0;
            }
            (s, "a short TTL instead of invalidation")
        }
        9 => {
            let mut s = celebrity_start();
            s.name = "sixteen shards".to_string();
            s.sharding = Some(shards(16));
            (s, "more shards instead of a cache")
        }
        10 => (
            balanced("a bigger master", 4, 8, database(64, 1)),
            "a bigger master instead of shards",
        ),
        11 => {
            let mut s = one_data_center("a bigger us-east", 300);
            s.server.count = 8;
            (s, "a bigger data center instead of a second one")
        }
        12 => {
            let mut s = one_data_center("a bigger us-east", 10);
            s.server.count = 8;
            (s, "a bigger data center instead of a second one")
        }
        _ => return None,
    })
}
