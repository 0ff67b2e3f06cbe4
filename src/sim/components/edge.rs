//! The CDN edge (stage 6): static assets are served from a cache near the users; a miss is
//! fetched from the origin (the web tier) and kept for its TTL. A dead edge makes clients wait
//! a fallback timeout, then go to the origin themselves.
//!
//! ```text
//!  user ─edge RTT/2─▶ edge ─hit─▶ user                     (edge bytes)
//!                      └─miss─▶ origin (LB → web) ─▶ edge ─▶ user   (origin + edge bytes)
//!  edge down: user ─(fallback timeout)─▶ origin ─▶ user           (origin bytes)
//! ```
//!
//! [`EdgeTier`] owns its contents, versions, deaths and books, and the rules: which object a
//! request asks for, what a visit finds ([`EdgeTier::visit`]), how a hit ends
//! ([`EdgeTier::hit_done`]), what an origin fetch leaves behind, purges and new versions.
//! The engine moves the requests: to the edge, back to the user, or on to the origin.

use crate::scenario::{Cdn, Eviction};
use crate::sim::components::cache::{Cache, KeyIndex, Lookup};
use crate::sim::kernel::rng::Rng;
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::CdnReport;
use crate::sim::ring::mix64;
use crate::sim::zipf::Zipf;
use std::collections::VecDeque;

/// The edge and its books.
#[derive(Clone)]
pub(crate) struct EdgeTier {
    pub alive: bool,
    /// Times the edge died: a hit under way when it did gets no answer.
    pub deaths: u32,
    /// The deaths a hit still under way may have seen, oldest first: each one's number (the
    /// value of `deaths` after it) and time. Deaths older than one hit's time are dropped.
    recent_deaths: VecDeque<(u32, SimTime)>,
    cache: Cache,
    index: KeyIndex,
    objects: Zipf,
    /// Current URL version of each object (`image.png?v=N`).
    versions: Vec<u32>,
    kb_mean: f64,
    pub one_way: SimDuration,
    hit: SimDuration,
    fallback: SimDuration,
    edge_price_per_gb: f64,
    origin_price_per_gb: f64,
    pub hits: u64,
    pub misses: u64,
    pub fallbacks: u64,
    pub purges: u64,
    pub edge_kb: f64,
    pub origin_kb: f64,
    pub interval_hits: u64,
    pub interval_misses: u64,
}

impl EdgeTier {
    pub fn new(spec: &Cdn) -> EdgeTier {
        let ttl = (spec.ttl_s > 0.0).then(|| SimDuration::from_secs_f64(spec.ttl_s));
        EdgeTier {
            alive: true,
            deaths: 0,
            recent_deaths: VecDeque::new(),
            cache: Cache::new(spec.capacity_objects, Eviction::Lru, ttl),
            index: KeyIndex::new(spec.objects, 1, spec.capacity_objects),
            objects: Zipf::new(spec.objects, spec.zipf_s),
            versions: vec![0; spec.objects as usize],
            kb_mean: spec.object_kb_mean,
            one_way: SimDuration::from_millis_f64(spec.edge_rtt_ms / 2.0),
            hit: SimDuration::from_millis_f64(spec.hit_ms),
            fallback: SimDuration::from_millis_f64(spec.fallback_timeout_ms),
            edge_price_per_gb: spec.edge_price_per_gb,
            origin_price_per_gb: spec.origin_price_per_gb,
            hits: 0,
            misses: 0,
            fallbacks: 0,
            purges: 0,
            edge_kb: 0.0,
            origin_kb: 0.0,
            interval_hits: 0,
            interval_misses: 0,
        }
    }

    /// Size of an object in KB: fixed per object, spread around the mean (no RNG draw).
    pub fn object_kb(&self, object: u32) -> f64 {
        let u = (mix64(u64::from(object)) >> 11) as f64 / (1u64 << 53) as f64;
        self.kb_mean * (0.25 + 1.5 * u)
    }

    /// Dollars for the bytes served so far (edge egress + origin egress).
    pub fn cost_usd(&self) -> f64 {
        const KB_PER_GB: f64 = 1024.0 * 1024.0;
        self.edge_kb / KB_PER_GB * self.edge_price_per_gb
            + self.origin_kb / KB_PER_GB * self.origin_price_per_gb
    }

    /// The edge dies now: hits under way get no answer, and it loses what it cached (it
    /// restarts empty).
    pub fn die(&mut self, now: SimTime) {
        self.alive = false;
        self.deaths = self.deaths.wrapping_add(1);
        while let Some(&(_, at)) = self.recent_deaths.front() {
            if at.plus(self.hit) >= now {
                break;
            }
            self.recent_deaths.pop_front();
        }
        self.recent_deaths.push_back((self.deaths, now));
        self.cache.flush(&mut self.index);
    }

    /// When the first death after `epoch` (a value of `deaths`) came: the moment a hit that
    /// began in that epoch, and is ending now, was cut.
    fn death_after(&self, epoch: u32) -> Option<SimTime> {
        let first = epoch.wrapping_add(1);
        self.recent_deaths
            .iter()
            .find(|&&(number, _)| number == first)
            .map(|&(_, at)| at)
    }

    /// Items cached at the edge.
    pub fn items(&self) -> u32 {
        self.cache.len()
    }
}

/// What a static-asset request finds at the edge.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(in crate::sim) enum Visit {
    /// The edge is down: no answer; the client gives up on it after its fallback timeout,
    /// at `gives_up`, and asks the origin itself.
    Down { gives_up: SimTime },
    /// A hit, served at `done` unless the edge dies before (its life `epoch`).
    Hit { done: SimTime, epoch: u32 },
    /// A miss: the edge fetches the object from the origin.
    Miss,
}

/// How a hit's time at the edge ended.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(in crate::sim) enum HitEnd {
    /// Served: the hit began at `began`; the object reaches the user at `at`.
    Served { began: SimTime, at: SimTime },
    /// The edge died during the hit (at `cut`): the client gives up on it at `gives_up`
    /// and asks the origin.
    Cut {
        began: SimTime,
        cut: SimTime,
        gives_up: SimTime,
    },
}

impl EdgeTier {
    /// The object a static-asset request asks for (a draw from the objects' popularity).
    pub fn draw_object(&self, rng: &mut Rng) -> u32 {
        self.objects.sample(rng) - 1
    }

    /// A request for `object` reaches the edge at `now`.
    pub fn visit(&mut self, object: u32, now: SimTime) -> Visit {
        if !self.alive {
            self.fallbacks += 1;
            return Visit::Down {
                gives_up: now.plus(self.fallback),
            };
        }
        let version = self.versions[object as usize];
        let found = self.cache.get(&mut self.index, 0, object, now);
        if found == Lookup::Hit(u64::from(version)) {
            self.hits += 1;
            self.interval_hits += 1;
            return Visit::Hit {
                done: now.plus(self.hit),
                epoch: self.deaths,
            };
        }
        self.misses += 1;
        self.interval_misses += 1;
        Visit::Miss
    }

    /// A hit on `object` begun in edge life `epoch` ends now: served if the edge lived
    /// through it (its bytes counted), else cut at the edge's death.
    pub fn hit_done(&mut self, object: u32, epoch: u32, now: SimTime) -> HitEnd {
        let began = now.minus(self.hit);
        if self.alive && self.deaths == epoch {
            self.edge_kb += self.object_kb(object);
            return HitEnd::Served {
                began,
                at: now.plus(self.one_way),
            };
        }
        self.fallbacks += 1;
        HitEnd::Cut {
            began,
            cut: self.death_after(epoch).unwrap_or(now).max(began),
            gives_up: began.plus(self.fallback).max(now),
        }
    }

    /// A static asset fetched from the origin is complete at `now`: count its bytes, and if
    /// the edge asked for it (`via_cdn`), keep it there.
    pub fn origin_served(&mut self, via_cdn: bool, object: u32, now: SimTime) {
        let kb = self.object_kb(object);
        self.origin_kb += kb;
        if via_cdn {
            self.edge_kb += kb;
            if self.alive {
                let version = u64::from(self.versions[object as usize]);
                self.cache.put(&mut self.index, 0, object, version, now);
            }
        }
    }

    /// Purges every object.
    pub fn purge_all(&mut self) {
        self.cache.flush(&mut self.index);
        self.purges += 1;
    }

    /// Publishes a new version of `object` (a new URL); returns the version (`None`: no
    /// such object).
    pub fn new_version(&mut self, object: u32) -> Option<u32> {
        let v = self.versions.get_mut(object as usize)?;
        *v += 1;
        Some(*v)
    }

    /// Its report section.
    pub fn report(&self) -> CdnReport {
        const KB_PER_GB: f64 = 1024.0 * 1024.0;
        CdnReport {
            hits: self.hits,
            misses: self.misses,
            hit_ratio: if self.hits + self.misses == 0 {
                0.0
            } else {
                self.hits as f64 / (self.hits + self.misses) as f64
            },
            fallbacks: self.fallbacks,
            edge_gb: self.edge_kb / KB_PER_GB,
            origin_gb: self.origin_kb / KB_PER_GB,
            cost_usd: self.cost_usd(),
        }
    }

    /// The edge comes back, empty.
    pub fn repair(&mut self) {
        self.alive = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge() -> EdgeTier {
        let spec = crate::scenario::preset(6)
            .and_then(|s| s.cdn)
            .expect("stage 6 has a CDN");
        EdgeTier::new(&spec)
    }

    #[test]
    fn a_miss_fills_the_edge_a_new_version_misses_again_and_a_death_cuts_a_hit() {
        let mut e = edge();
        let t = SimTime::from_secs(1);
        assert_eq!(e.visit(5, t), Visit::Miss);
        e.origin_served(true, 5, t);
        assert!(e.origin_kb > 0.0 && e.edge_kb == e.origin_kb);
        let Visit::Hit { done, epoch } = e.visit(5, t) else {
            panic!("a hit after the fill");
        };
        assert_eq!(
            e.hit_done(5, epoch, done),
            HitEnd::Served {
                began: t,
                at: done.plus(e.one_way)
            }
        );
        // A new URL: the cached copy of the old one is never served.
        assert_eq!(e.new_version(5), Some(1));
        assert_eq!(e.visit(5, t), Visit::Miss);
        e.origin_served(true, 5, t);
        let Visit::Hit { done, epoch } = e.visit(5, t) else {
            panic!("a hit after the second fill");
        };
        // The edge dies half-way through the hit: the hop ends at the death.
        let death = SimTime((t.as_nanos() + done.as_nanos()) / 2);
        e.die(death);
        let HitEnd::Cut { cut, gives_up, .. } = e.hit_done(5, epoch, done) else {
            panic!("the hit was cut");
        };
        assert_eq!(cut, death);
        assert!(gives_up >= done);
        assert!(matches!(e.visit(5, done), Visit::Down { .. }));
        e.repair();
        assert_eq!(e.visit(5, done), Visit::Miss, "it restarts empty");
        assert_eq!((e.hits, e.fallbacks), (2, 2));
    }
}
