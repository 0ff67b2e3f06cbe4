//! The hardware every challenge runs on: how long each piece of work takes and what the CDN
//! charges. A candidate picks how many machines, workers, nodes and replicas it buys (the cost
//! model prices them), never how fast a machine is, so a challenge is won by architecture.
//!
//! What is fixed here: service times of the web servers (longer when the web server does the
//! data work itself, without a database), the database's queries, replication's apply time
//! and delay, failover's detection and promotion, the cache's lookups, the session store's
//! reads, the queue's jobs, the NoSQL store's reads and writes, the CDN's edge (round trip,
//! hit time, objects, sizes and prices) and the web servers' boot time. Every web server and
//! database node runs at speed 1.

use crate::scenario::{Dist, Scenario, ServiceTimes, Shape};

/// A lognormal service time.
fn lognormal(mean_ms: f64, cv: f64) -> Dist {
    Dist {
        shape: Shape::Lognormal,
        mean_ms,
        cv,
    }
}

/// A constant service time.
fn constant(mean_ms: f64) -> Dist {
    Dist {
        shape: Shape::Constant,
        mean_ms,
        cv: 1.0,
    }
}

/// A web server's work when a database does the data work.
pub fn web_service() -> ServiceTimes {
    ServiceTimes {
        page_view: lognormal(15.0, 1.0),
        api_read: Dist::exponential(5.0),
        write: Dist::exponential(5.0),
        static_asset: constant(2.0),
    }
}

/// A web server's work when it also does the data work (no database node).
pub fn all_in_one_service() -> ServiceTimes {
    ServiceTimes {
        page_view: lognormal(40.0, 1.0),
        api_read: Dist::exponential(15.0),
        write: Dist::exponential(25.0),
        static_asset: constant(2.0),
    }
}

/// Replicas apply one replicated write in this long, ms (500 writes/s at most).
pub const APPLY_MS: f64 = 2.0;
/// Time for a dead database node to be noticed, ms.
pub const DETECTION_MS: f64 = 2000.0;
/// Time to promote a replica once the master's death is noticed, ms.
pub const PROMOTION_MS: f64 = 3000.0;
/// A new web server boots in this long, s.
pub const BOOT_S: f64 = 15.0;

/// Replaces every speed and price in `s` with the hardware's.
pub fn impose(s: &mut Scenario) {
    s.server.speeds.clear();
    s.server.service = if s.database.is_some() {
        web_service()
    } else {
        all_in_one_service()
    };
    if let Some(db) = &mut s.database {
        db.speed = 1.0;
        db.read = Dist::exponential(8.0);
        db.write = Dist::exponential(15.0);
        db.replication.delay_ms = 20.0;
        db.replication.apply_ms = APPLY_MS;
        db.failover.detection_ms = DETECTION_MS;
        db.failover.promotion_ms = PROMOTION_MS;
    }
    if let Some(cache) = &mut s.cache {
        cache.get = constant(0.3);
    }
    if let Some(cdn) = &mut s.cdn {
        cdn.edge_rtt_ms = 10.0;
        cdn.hit_ms = 1.0;
        cdn.objects = 20;
        cdn.object_kb_mean = 20.0;
        cdn.zipf_s = 0.9;
        cdn.fallback_timeout_ms = 2000.0;
        cdn.edge_price_per_gb = 0.05;
        cdn.origin_price_per_gb = 0.09;
    }
    if let Some(sessions) = &mut s.sessions {
        sessions.store_get = constant(0.5);
    }
    if let Some(a) = &mut s.autoscaling {
        a.scale_out_delay_s = BOOT_S;
    }
    if let Some(q) = &mut s.queue {
        q.job = lognormal(500.0, 0.5);
    }
    if let Some(n) = &mut s.nosql {
        n.read = Dist::exponential(2.0);
        n.write = Dist::exponential(4.0);
    }
}
