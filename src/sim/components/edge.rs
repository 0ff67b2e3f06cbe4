//! The CDN edge (stage 6): static assets are served from a cache near the users; a miss is
//! fetched from the origin (the web tier) and kept for its TTL. A dead edge makes clients wait
//! a fallback timeout, then go to the origin themselves.
//!
//! ```text
//!  user ─edge RTT/2─▶ edge ─hit─▶ user                     (edge bytes)
//!                      └─miss─▶ origin (LB → web) ─▶ edge ─▶ user   (origin + edge bytes)
//!  edge down: user ─(fallback timeout)─▶ origin ─▶ user           (origin bytes)
//! ```

use crate::scenario::{Cdn, Eviction};
use crate::sim::components::cache::{Cache, KeyIndex, Lookup};
use crate::sim::components::station::ReqRef;
use crate::sim::handle::Engine;
use crate::sim::kernel::queue::Lane;
use crate::sim::kernel::time::SimTime;
use crate::sim::ring::mix64;
use crate::sim::stack::route::Door;
use crate::sim::stack::{Event, Stack};
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
    pub one_way: SimTime,
    hit: SimTime,
    fallback: SimTime,
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
        let ttl = (spec.ttl_s > 0.0).then(|| SimTime::from_secs_f64(spec.ttl_s));
        EdgeTier {
            alive: true,
            deaths: 0,
            recent_deaths: VecDeque::new(),
            cache: Cache::new(spec.capacity_objects, Eviction::Lru, ttl),
            index: KeyIndex::new(spec.objects, 1, spec.capacity_objects),
            objects: Zipf::new(spec.objects, spec.zipf_s),
            versions: vec![0; spec.objects as usize],
            kb_mean: spec.object_kb_mean,
            one_way: SimTime::from_millis_f64(spec.edge_rtt_ms / 2.0),
            hit: SimTime::from_millis_f64(spec.hit_ms),
            fallback: SimTime::from_millis_f64(spec.fallback_timeout_ms),
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

impl Stack {
    /// A static-asset request reaches the edge.
    pub(in crate::sim) fn on_reach_edge(&mut self, req: ReqRef) {
        if !self.still_wanted(req) {
            return;
        }
        let now = self.now();
        let cdn_id = self.cdn_id;
        let edge = self.edge.as_mut().expect("an edge");
        let object = edge.objects.sample(&mut self.rng) - 1;
        self.req_mut(req).key = object;
        let edge = self.edge.as_mut().expect("an edge");
        if !edge.alive {
            // No answer: the client gives up on the edge after its timeout and asks the
            // origin directly.
            edge.fallbacks += 1;
            let retry = now.plus(edge.fallback).plus(self.client_one_way);
            self.push_hop(req, cdn_id, now, now);
            self.send_to_front_door(req, retry);
            return;
        }
        let version = edge.versions[object as usize];
        let found = edge.cache.get(&mut edge.index, 0, object, now);
        if found == Lookup::Hit(u64::from(version)) {
            edge.hits += 1;
            edge.interval_hits += 1;
            // Served when the hit's time is over — if the edge is still alive then.
            let epoch = edge.deaths;
            let leave = now.plus(edge.hit);
            self.events.push(leave, Event::EdgeHitDone { req, epoch });
            return;
        }
        edge.misses += 1;
        edge.interval_misses += 1;
        self.req_mut(req).via_cdn = true;
        self.push_hop(req, cdn_id, now, now);
        let at = now.plus(self.client_one_way);
        self.send_to_front_door(req, at);
    }

    /// A hit's time at the edge is over: the object goes to the user, unless the edge died
    /// during the hit — then the edge worked on it only until it died (its hop ends there: a
    /// dead edge does no work), the client hears nothing, gives up on the edge after its
    /// fallback timeout (counted from its request) and asks the origin.
    pub(in crate::sim) fn on_edge_hit_done(&mut self, req: ReqRef, epoch: u32) {
        if !self.still_wanted(req) {
            return;
        }
        let now = self.now();
        let cdn_id = self.cdn_id;
        let object = self.req_mut(req).key;
        let edge = self.edge.as_mut().expect("an edge");
        let began = now.since(edge.hit);
        if edge.alive && edge.deaths == epoch {
            edge.edge_kb += edge.object_kb(object);
            let at = now.plus(edge.one_way);
            self.push_hop(req, cdn_id, began, now);
            self.complete(req, at);
            return;
        }
        edge.fallbacks += 1;
        let retry = began.plus(edge.fallback).max(now).plus(self.client_one_way);
        let cut = edge.death_after(epoch).unwrap_or(now);
        self.push_hop(req, cdn_id, began, cut.max(began));
        self.send_to_front_door(req, retry);
    }

    /// A static asset fetched from the origin is complete: count its bytes, and if the edge
    /// asked for it, keep it there.
    pub(in crate::sim) fn static_served(&mut self, via_cdn: bool, object: u32) {
        let now = self.now();
        let Some(edge) = self.edge.as_mut() else {
            return;
        };
        let kb = edge.object_kb(object);
        edge.origin_kb += kb;
        if via_cdn {
            edge.edge_kb += kb;
            if edge.alive {
                let version = u64::from(edge.versions[object as usize]);
                edge.cache.put(&mut edge.index, 0, object, version, now);
            }
        }
    }

    /// Purges every object from the edge now.
    pub fn cdn_purge_all(&mut self) {
        if let Some(edge) = self.edge.as_mut() {
            edge.cache.flush(&mut edge.index);
            edge.purges += 1;
        }
        self.log_event(
            "cdn",
            "cdn: every object purged; the next requests go to the origin".into(),
        );
    }

    /// Publishes a new version of `object` (a new URL, e.g. `image.png?v=2`): the edge's copy
    /// of the old URL is never asked for again.
    pub fn cdn_new_version(&mut self, object: u32) {
        if let Some(edge) = self.edge.as_mut() {
            if let Some(v) = edge.versions.get_mut(object as usize) {
                *v += 1;
                let v = *v;
                self.log_event(
                    "cdn",
                    format!("cdn: object {object} published as version {v}; the old URL is no longer requested"),
                );
            }
        }
    }

    pub(in crate::sim) fn answer_via_edge(&mut self, req: ReqRef, t: SimTime) -> SimTime {
        let Some(edge) = self.edge.as_ref() else {
            return t.plus(self.client_one_way);
        };
        let at_edge = t.plus(self.client_one_way);
        let one_way = edge.one_way;
        let cdn_id = self.cdn_id;
        self.push_hop(req, cdn_id, at_edge, at_edge);
        at_edge.plus(one_way)
    }

    /// Sends a request into the system's front door (balancer, or the only web server) at `at`.
    pub(in crate::sim) fn send_to_front_door(&mut self, req: ReqRef, at: SimTime) {
        let kind = self.request_in(req).kind;
        match self.routes.of(kind).front {
            Door::Balancer => {
                self.events
                    .push_in(Lane::FrontDoor, at, Event::ReachBalancer { req });
            }
            Door::Server => {
                let station = self.web[0];
                self.req_mut(req).station = station;
                self.events
                    .push_in(Lane::FrontDoor, at, Event::Reach { req, station });
            }
        }
    }
}
