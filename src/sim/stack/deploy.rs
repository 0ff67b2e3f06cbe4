//! The stack's side of the kinds that drive the web tier (the deploy controller,
//! `components/deploy.rs`, a built-in kind on the registration): lending them the web tier
//! as their port for a step, stopping the servers they ask to stop, and the Engine's calls
//! that start a deploy and ask whether one runs.

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
        let (web, views, driver) = web_and_views(&mut self.built_ins, self.front, Some(part));
        let Some(driver) = driver else {
            unreachable!("a kind that drives the web tier is lent apart from it")
        };
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

    /// While built-in component `part` asks for a server to stop ([`Follow::Stop`]), stops
    /// it and tells the component what the stop cut.
    fn stop_for(&mut self, part: u8, mut follow: Follow) {
        while let Follow::Stop { group, member } = follow {
            let (in_flight, cut) = self.stop_web_server(usize::from(group), usize::from(member));
            let nudge = Nudge::Stopped { in_flight, cut };
            follow = self.with_web_port(part, |p, port| p.drive(nudge, port));
        }
    }

    /// Stops server `server` of web pool `pool` for a new version: returns the requests in
    /// progress on it and those that failed with it (it holds none when it was down).
    fn stop_web_server(&mut self, pool: usize, server: usize) -> (u64, u64) {
        let station = self.pool(pool).stations[server];
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
    /// name). Returns false (and logs why) if it names no pool of this run, one is already
    /// under way or there is no server to deploy.
    pub fn start_deploy(&mut self, spec: &Deploy) -> bool {
        let pool = match spec.pool.as_deref() {
            None => Some(0),
            Some(name) => self.scenario.web_pool_number(name),
        };
        let Some(pool) = pool else {
            let name: String = spec.pool.iter().flat_map(|p| p.chars()).take(40).collect();
            self.log_event(
                "deploy",
                format!("deploy: not started; this run has no web pool named {name}"),
            );
            return false;
        };
        let Some(part) = self.deploy_part() else {
            return false;
        };
        let (started, follow) = self.with_web_port(part, |p, port| {
            let d = p
                .get_mut::<DeployController>()
                .expect("the deploy controller");
            d.start(spec, pool, port)
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
