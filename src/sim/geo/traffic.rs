//! The geo layer's own events: users' requests (geoDNS answers, hand-over to a data center),
//! geoDNS health checks, and its event log.

use super::dns::Resolved;
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
                    self.kill(GeoDns::ID);
                } else {
                    self.repair(GeoDns::ID);
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
        let (dc, lookup, ready_ms) =
            match self
                .dns
                .resolve(region, drawn, self.kernel.now, &mut self.kernel.rng)
            {
                Resolved::Cached { dc, ready_ms } => (dc, false, ready_ms),
                Resolved::Looked { dc, expiry_ms } => {
                    self.population[region].answer(drawn, dc, expiry_ms, tick);
                    (dc, true, 0)
                }
                Resolved::Failed => return,
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
        self.dns.schedule_check(&mut self.kernel);
    }

    /// The part of a health check that reads the data centers: whether each is healthy now,
    /// and geoDNS's view updated from it.
    pub(super) fn check_dcs(&mut self) {
        for (d, dc) in self.dcs.iter().enumerate() {
            let healthy = dc.up && dc.sim.any_web_alive();
            self.dns.checked(d, &dc.name, healthy, &mut self.kernel);
        }
    }
}
