//! The geo layer's own events: users' requests (geoDNS answers, hand-over to a data center),
//! geoDNS health checks, and its event log.

use super::population::Drawn;
use super::spans::Handover;
use super::*;

impl World {
    pub(super) fn log_event(&mut self, component: &str, text: String) {
        self.kernel.log(component, text);
    }

    pub(super) fn handle(&mut self, event: GeoEvent) {
        match event {
            GeoEvent::Arrival { epoch, user } => {
                if epoch == self.arrival_epoch {
                    if self.arrival_now_in_profile() {
                        self.on_arrival(user);
                    }
                    self.schedule_arrival();
                }
            }
            GeoEvent::MetricsTick => self.on_tick(),
            GeoEvent::HealthCheck => self.on_health_check(),
            GeoEvent::DcFault { dc, down } => {
                if down {
                    self.kill_dc(usize::from(dc), "scheduled fault");
                } else {
                    self.repair_dc(usize::from(dc), "scheduled repair");
                }
            }
            GeoEvent::DeployStart => {
                if let Some(spec) = self.scenario.deploy.clone() {
                    self.start_deploy(&spec);
                }
            }
            GeoEvent::Partition { a, b, cut } => {
                self.partition(usize::from(a), usize::from(b), cut, "scheduled")
            }
            GeoEvent::DnsFault { down } => {
                if down {
                    self.kill(ComponentId(1));
                } else {
                    self.repair(ComponentId(1));
                }
            }
        }
    }

    pub(super) fn arrival_now_in_profile(&mut self) -> bool {
        let profile = &self.scenario.traffic.profile;
        in_profile(
            &mut self.kernel.rng,
            profile,
            self.profile_max,
            self.kernel.now,
        )
    }

    pub(super) fn region_of(&self, user: u64) -> usize {
        self.regions
            .iter()
            .rposition(|r| r.first_user <= user && r.users > 0)
            .unwrap_or(0)
    }

    /// The data center nearest to `region` that geoDNS names (the nearest of all when it names
    /// none).
    pub(super) fn nearest_named(&self, region: usize) -> usize {
        let order = &self.nearest[region];
        order
            .iter()
            .copied()
            .find(|&d| self.named[d])
            .unwrap_or(order[0])
    }

    /// What geoDNS answers to a user of `region` now.
    pub(super) fn answer(&mut self, region: usize) -> usize {
        let order = &self.nearest[region];
        match self.routing {
            GeoRouting::Nearest => self.nearest_named(region),
            GeoRouting::Split => {
                let total: f64 = (0..self.named.len())
                    .filter(|&d| self.named[d])
                    .map(|d| self.split[d])
                    .sum();
                if total <= 0.0 {
                    // The named ones all have share 0 (those with a share are out): answer
                    // with the nearest named one rather than one geoDNS has stopped naming.
                    return self.nearest_named(region);
                }
                let mut x = self.kernel.rng.unit() * total;
                for d in 0..self.named.len() {
                    if self.named[d] {
                        x -= self.split[d];
                        if x < 0.0 {
                            return d;
                        }
                    }
                }
                (0..self.named.len())
                    .rev()
                    .find(|&d| self.named[d])
                    .unwrap_or(order[0])
            }
        }
    }

    pub(super) fn on_arrival(&mut self, user: u32) {
        if self.users == 0 {
            return;
        }
        let region = self.region_of(u64::from(user));
        self.books.generated += 1;
        self.interval_generated += 1;
        self.regions[region].generated += 1;
        let now_ms = (self.kernel.now.as_nanos() / 1_000_000) as u32;
        let tick = self.tick;
        let pop = &mut self.population[region];
        pop.expire(now_ms, tick);
        // The user's index within the region is uniform: it picks their state.
        let offset = (u64::from(user) - self.regions[region].first_user) as u32;
        let drawn = pop.draw(offset);
        if pop.touch(drawn, tick) {
            self.interval_active += 1;
        }
        let cached = match drawn {
            Drawn::Cached { dc, expiry_ms, .. } if self.dns_ttl_ms > 0 => Some((dc, expiry_ms)),
            _ => None,
        };
        let (dc, lookup, ready_ms) = if let Some((dc, expiry_ms)) = cached {
            self.books.dns_cache_hits += 1;
            // A lookup of the user's may still be under way.
            (dc, false, expiry_ms.saturating_sub(self.dns_ttl_ms))
        } else {
            self.books.dns_lookups += 1;
            if !self.dns_alive {
                // No answer: the request fails after the lookup's time; the user asks again next
                // time.
                self.books.dns_failed += 1;
                self.interval_dns_failed += 1;
                return;
            }
            let dc = self.answer(region);
            self.books.answers[dc] += 1;
            if drawn.previous_dc().is_some_and(|prev| prev != dc) {
                self.books.moves += 1;
            }
            let done = self.kernel.now.plus(self.dns_lookup);
            let done_ms = done.as_nanos().div_ceil(1_000_000) as u32;
            let expiry_ms = done_ms.saturating_add(self.dns_ttl_ms).max(1);
            self.population[region].answer(drawn, dc, expiry_ms, tick);
            (dc, true, 0)
        };
        let handover = Handover {
            at: self.kernel.now,
            user,
            region: region as u8,
            lookup,
            ready_ms,
        };
        if self.spans.drawing {
            // The data centers may be running the span before this one (see `spans`).
            self.spans.inboxes[dc].push(handover);
        } else {
            let d = &mut self.dcs[dc];
            d.handed += 1;
            d.interval_handed += 1;
            handover.hand_to(&mut d.sim);
        }
    }

    pub(super) fn on_health_check(&mut self) {
        self.check_world();
        self.check_dcs();
    }

    /// The part of a health check that reads only this layer: the next check's scheduling.
    pub(super) fn check_world(&mut self) {
        self.kernel.events.push(
            self.kernel.now.plus(self.health_interval),
            GeoEvent::HealthCheck,
        );
    }

    /// Whether the next health check could change geoDNS's view of a data center: true when
    /// one more failed check would take a named data center out, or one more passed check
    /// would bring an unnamed one back. While false, the check's outcome cannot change
    /// what geoDNS answers, whatever the data centers' state.
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn check_may_flip(&self) -> bool {
        let geo = self.scenario.geo.as_ref().expect("geo");
        self.dcs.iter().zip(&self.named).any(|(dc, &named)| {
            if named {
                dc.fails_in_row + 1 >= geo.unhealthy_after
            } else {
                dc.passes_in_row + 1 >= geo.healthy_after
            }
        })
    }

    /// The part of a health check that reads the data centers: whether each is healthy now,
    /// and geoDNS's view updated from it.
    pub(super) fn check_dcs(&mut self) {
        let geo = self.scenario.geo.as_ref().expect("geo");
        let (down_after, up_after) = (geo.unhealthy_after, geo.healthy_after);
        for d in 0..self.dcs.len() {
            let healthy = self.dcs[d].up && self.dcs[d].sim.any_web_alive();
            let dc = &mut self.dcs[d];
            if healthy {
                dc.passes_in_row += 1;
                dc.fails_in_row = 0;
            } else {
                dc.fails_in_row += 1;
                dc.passes_in_row = 0;
            }
            let named = &mut self.named[d];
            if *named && dc.fails_in_row >= down_after {
                *named = false;
                let name = dc.name.clone();
                self.log_event(
                    &name,
                    format!("geoDNS: {name} failed {down_after} health checks; new lookups are answered with another data center, cached answers still point here until they expire"),
                );
            } else if !*named && dc.passes_in_row >= up_after {
                *named = true;
                let name = dc.name.clone();
                self.log_event(
                    &name,
                    format!("geoDNS: {name} passed {up_after} health checks; answered again"),
                );
            }
        }
    }
}
