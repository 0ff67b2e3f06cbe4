//! The stack's side of the kinds that drive the web tier (the deploy controller,
//! `components/deploy/`, a built-in kind on the registration): lending them the web tier
//! and the door's views of its pools as their port for a step, stopping the stations they
//! ask to stop (failing what those hold is the stack's business), and the Engine's calls
//! that start a deploy and ask whether one runs, which find the controller by type.

use super::*;
use crate::scenario::Deploy;
use crate::sim::components::deploy::DeployController;
use crate::sim::components::registry::Nudge;
use crate::sim::components::web_tier::WebPort;

impl Stack {
    /// Runs `f` on built-in component `part` (one that drives the web tier, never the web
    /// tier itself nor the load balancer) with the web tier and the balancer's views of its
    /// pools lent as its port.
    fn with_web_port<T>(
        &mut self,
        part: u8,
        f: impl FnOnce(&mut BuiltInPart, &mut WebPort<'_, Request, Event>) -> T,
    ) -> T {
        let (web, views, driver) = web_and_views(&mut self.built_ins, self.door, part);
        let mut port = WebPort {
            web,
            views,
            ctx: BuiltInCtx {
                kernel: &mut self.kernel,
                stations: &mut self.stations,
                me: part,
            },
            dc_down: self.site.as_ref().is_some_and(|site| site.down),
        };
        f(driver, &mut port)
    }

    /// Hands built-in component `part` a step with the web tier lent (`nudge`: why), and
    /// stops the servers it asks to stop.
    pub(super) fn drive(&mut self, part: u8, nudge: Nudge) {
        let follow = self.with_web_port(part, |p, port| p.drive(nudge, port));
        self.stop_for(part, follow);
        self.watch_completions();
    }

    /// Lists the built-in components told of every request completed: as the stack is built
    /// (the NoSQL stores), and again after a step with the web tier (which may have started
    /// or finished a deploy).
    pub(super) fn watch_completions(&mut self) {
        self.completion_watchers.clear();
        for (i, part) in self.built_ins.iter().enumerate() {
            if part.watches_completions() {
                self.completion_watchers.push(i as u8);
            }
        }
    }

    /// While built-in component `part` asks for a station to stop ([`Follow::Stop`]), stops
    /// it and tells the component what the stop cut.
    fn stop_for(&mut self, part: u8, mut follow: Follow) {
        while let Follow::Stop { station } = follow {
            let (in_flight, cut) = self.stop_station(station);
            let nudge = Nudge::Stopped { in_flight, cut };
            follow = self.with_web_port(part, |p, port| p.drive(nudge, port));
        }
    }

    /// Stops web station `station` for a new version: returns the requests in progress on
    /// it and those that failed with it (it holds none when it was down).
    fn stop_station(&mut self, station: u16) -> (u64, u64) {
        let in_flight = self.requests_of_web(station);
        let cut = if self.stations[usize::from(station)].alive {
            self.fail_everything_at(station)
        } else {
            0
        };
        (in_flight, cut)
    }

    /// The built-in component that is the deploy controller.
    fn deploy_part(&self) -> Option<u8> {
        let parts = self.built_ins.iter();
        (parts.map(BuiltInPart::get::<DeployController>))
            .position(|d| d.is_some())
            .map(|i| i as u8)
    }

    /// Starts a rolling deploy now of the web pool `spec.pool` names (the first without a
    /// name). Returns false (and the controller logs why) if it names no pool of this run,
    /// one is already under way or there is no server to deploy.
    pub fn start_deploy(&mut self, spec: &Deploy) -> bool {
        let Some(part) = self.deploy_part() else {
            return false;
        };
        let (started, follow) = self.with_web_port(part, |p, port| {
            let d = p
                .get_mut::<DeployController>()
                .expect("the deploy controller");
            d.start_named(spec, port)
        });
        self.stop_for(part, follow);
        self.watch_completions();
        started
    }

    /// Whether a deploy is under way.
    pub fn deploy_running(&self) -> bool {
        (self
            .built_ins
            .iter()
            .filter_map(BuiltInPart::get::<DeployController>))
        .any(DeployController::running)
    }
}
