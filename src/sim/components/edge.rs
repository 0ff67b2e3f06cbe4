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
//!
//! It is a built-in kind on the registration (`built_in/mod.rs`, `built_ins!`): the stack holds
//! no field for it and reaches it only through its hooks. It stands first on the routes
//! that go through the CDN edge, and answers hits itself:
//!
//! ```text
//!   on_request   draw the object; hit → Hold until the hit is served (an event of the
//!                stack's carrying the request); miss → Onward, fetched on its behalf;
//!                down → Onward after the client's fallback timeout, the client's own
//!   on_held      the hit ends: Answer (served here) | Onward (it died meanwhile: cut)
//!   one_way      the users' leg to it and back (an answer it fetched passes through it)
//!   origin_served  the origin answered a static asset: bytes counted, kept if fetched
//!   close_interval / report_section / state / bill / kill / repair   its figures and faults
//! ```
//! The engine moves the requests: to the edge, back to the user, or on to the origin.

use super::registry::{BuiltIn, Component, Step};
use super::station::Station;
use crate::scenario::topology::NodeKind;
use crate::scenario::{Cdn, Eviction, Scenario};
use crate::sim::components::cache::{Cache, KeyIndex, Lookup};
use crate::sim::cost::Bill;
use crate::sim::hits::{HitCount, IntervalHits};
use crate::sim::kernel::rng::Rng;
use crate::sim::kernel::run::{Ctx, Slot};
use crate::sim::kernel::time::{SimDuration, SimTime};
use crate::sim::report::{CdnReport, Sections};
use crate::sim::ring::mix64;
use crate::sim::zipf::Zipf;
use crate::sim::{ComponentKind, ComponentState, RequestKind};
use std::collections::VecDeque;

/// The edge and its books.
#[derive(Clone)]
pub(crate) struct EdgeTier {
    /// Whether it is up.
    alive: bool,
    /// Times the edge died: a hit under way when it did gets no answer.
    deaths: u32,
    /// The deaths a hit still under way may have seen, oldest first: each one's number (the
    /// value of `deaths` after it) and time. Deaths older than one hit's time are dropped.
    recent_deaths: VecDeque<(u32, SimTime)>,
    cache: Cache,
    index: KeyIndex,
    objects: Zipf,
    /// Current URL version of each object (`image.png?v=N`).
    versions: Vec<u32>,
    kb_mean: f64,
    /// Objects it can hold.
    capacity: u32,
    /// The users' one-way time to it.
    one_way: SimDuration,
    hit: SimDuration,
    fallback: SimDuration,
    edge_price_per_gb: f64,
    origin_price_per_gb: f64,
    /// Lookups over the run that found their object, and those that did not.
    hits: u64,
    misses: u64,
    /// Requests that found it dead (or were cut by its death) and went to the origin.
    fallbacks: u64,
    purges: u64,
    /// KB served from the edge, and from the origin.
    edge_kb: f64,
    origin_kb: f64,
    /// Hits and misses of the current metrics interval.
    interval_hits: u64,
    interval_misses: u64,
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
            capacity: spec.capacity_objects,
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
    pub fn fetched_from_origin(&mut self, via_cdn: bool, object: u32, now: SimTime) {
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
}

impl Component for EdgeTier {
    /// Its hits and lookups of the interval.
    fn close_interval(&mut self, hits: &mut IntervalHits) {
        let lookups = self.interval_hits + self.interval_misses;
        let hit = std::mem::take(&mut self.interval_hits);
        self.interval_misses = 0;
        hits.cdn = HitCount { hits: hit, lookups };
    }
}

impl BuiltIn for EdgeTier {
    const NODE: NodeKind = NodeKind::CdnEdge;

    fn of_scenario(scenario: &Scenario) -> Option<EdgeTier> {
        scenario.cdn.as_ref().map(EdgeTier::new)
    }

    fn report_section(&self, _stations: &[Station], sections: &mut Sections<'_>) {
        sections.cdn = Some(self.report());
    }

    fn component(&self) -> Option<(&'static str, ComponentKind)> {
        Some(("cdn", ComponentKind::Cdn))
    }

    /// Hits under way get no answer, and it loses what it cached.
    fn kill(&mut self, now: SimTime) -> &'static str {
        self.die(now);
        "; clients wait for their fallback timeout, then go to the origin"
    }

    fn repair(&mut self, _now: SimTime) -> &'static str {
        self.alive = true;
        "; it starts empty"
    }

    fn is_alive(&self) -> bool {
        self.alive
    }

    fn state(&self, state: &mut ComponentState) {
        state.items = self.items();
        state.capacity_items = self.capacity;
        let lookups = self.hits + self.misses;
        state.hit_ratio = if lookups == 0 {
            0.0
        } else {
            self.hits as f64 / lookups as f64
        };
    }

    fn bill(&self, bill: &mut Bill) {
        const KB_PER_GB: f64 = 1024.0 * 1024.0;
        bill.add_priced(
            "CDN (edge and origin transfer)",
            (self.edge_kb + self.origin_kb) / KB_PER_GB,
            "GB",
            self.cost_usd(),
        );
    }

    #[inline]
    fn one_way(&self) -> SimDuration {
        self.one_way
    }

    /// Draws the object asked for; a hit is held for its service time, a miss is fetched
    /// from the origin on the edge's behalf, and a dead edge leaves the client to go to the
    /// origin itself once its fallback timeout is over.
    #[inline]
    fn on_request<R: Slot, E: Copy>(
        &mut self,
        _kind: RequestKind,
        key: &mut u32,
        ctx: &mut Ctx<R, E>,
    ) -> Step {
        let now = ctx.now;
        let object = self.draw_object(&mut ctx.rng);
        *key = object;
        match self.visit(object, now) {
            Visit::Down { gives_up } => Step::Onward {
                from: now,
                to: now,
                leaves: gives_up,
                fetch: false,
            },
            Visit::Hit { done, epoch } => Step::Hold {
                until: done,
                tag: epoch,
            },
            Visit::Miss => Step::Onward {
                from: now,
                to: now,
                leaves: now,
                fetch: true,
            },
        }
    }

    /// A hit's time at the edge is over: the object goes to the user, unless the edge died
    /// during the hit — then it worked on it only until it died (a dead edge does no work),
    /// the client hears nothing, gives up on the edge after its fallback timeout (counted
    /// from its request) and asks the origin.
    #[inline]
    fn on_held(&mut self, object: u32, epoch: u32, now: SimTime) -> Step {
        match self.hit_done(object, epoch, now) {
            HitEnd::Served { began, at } => Step::Answer {
                from: began,
                to: now,
                at,
            },
            HitEnd::Cut {
                began,
                cut,
                gives_up,
            } => Step::Onward {
                from: began,
                to: cut,
                leaves: gives_up,
                fetch: false,
            },
        }
    }

    /// A static asset the origin served: its bytes, and the object kept if fetched.
    #[inline]
    fn origin_served(&mut self, kind: RequestKind, fetched: bool, object: u32, now: SimTime) {
        if kind == RequestKind::StaticAsset {
            self.fetched_from_origin(fetched, object, now);
        }
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
        e.fetched_from_origin(true, 5, t);
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
        e.fetched_from_origin(true, 5, t);
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
        BuiltIn::repair(&mut e, done);
        assert_eq!(e.visit(5, done), Visit::Miss, "it restarts empty");
        assert_eq!((e.hits, e.fallbacks), (2, 2));
    }

    /// The same story through the hooks the stack reaches it by, with a bare kernel: a miss
    /// is fetched on the edge's behalf, a hit is held and answered here, a death during a
    /// hold sends the request on as the client's own, and the interval's counts go to the
    /// tick.
    #[test]
    fn through_its_hooks_a_hit_is_answered_here_and_a_miss_fetched() {
        use crate::sim::kernel::run::Kernel;
        let mut e = edge();
        let mut k = Kernel::<(), ()>::new(7);
        k.now = SimTime::from_secs(1);
        let now = k.now;
        let mut key = 0;
        assert_eq!(
            e.on_request(RequestKind::StaticAsset, &mut key, &mut k),
            Step::Onward {
                from: now,
                to: now,
                leaves: now,
                fetch: true
            },
            "a cold edge misses and fetches"
        );
        // Asks (fetching each miss) until a request is held: a hit.
        let hold = |e: &mut EdgeTier, k: &mut Kernel<(), ()>| loop {
            let mut object = 0;
            match e.on_request(RequestKind::StaticAsset, &mut object, k) {
                Step::Hold { until, tag } => return (object, until, tag),
                Step::Onward { fetch: true, .. } => {
                    BuiltIn::origin_served(e, RequestKind::StaticAsset, true, object, k.now)
                }
                other => panic!("an edge that is up answers or fetches: {other:?}"),
            }
        };
        BuiltIn::origin_served(&mut e, RequestKind::StaticAsset, true, key, now);
        let (object, until, tag) = hold(&mut e, &mut k);
        assert_eq!(
            e.on_held(object, tag, until),
            Step::Answer {
                from: now,
                to: until,
                at: until.plus(e.one_way)
            },
            "served here"
        );
        let (object, until, tag) = hold(&mut e, &mut k);
        assert!(!BuiltIn::kill(&mut e, now).is_empty());
        assert_eq!(
            e.on_held(object, tag, until),
            Step::Onward {
                from: now,
                to: now,
                leaves: now.plus(e.fallback),
                fetch: false
            },
            "cut at its death: the client goes to the origin after its fallback timeout"
        );
        let mut hits = IntervalHits::default();
        e.close_interval(&mut hits);
        assert_eq!(hits.cdn.hits, 2);
        assert!(hits.cdn.lookups > 2);
        e.close_interval(&mut hits);
        assert_eq!(
            hits.cdn,
            HitCount::default(),
            "the next interval starts at 0"
        );
    }
}
