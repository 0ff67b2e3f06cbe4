//! The stack's side of rolling deploys: the [`DeployPort`] through which the deploy controller
//! (`components/deploy.rs`) sees and drives the web tier, and the calls that hand the
//! controller its events.

use super::*;
use crate::scenario::Deploy;
use crate::sim::components::deploy::{DeployEvent, DeployPort};

impl DeployPort for Stack {
    fn now(&self) -> SimTime {
        self.kernel.now
    }

    fn servers(&self, pool: usize) -> usize {
        self.pool(pool).len()
    }

    fn server_name(&self, pool: usize, server: usize) -> String {
        self.pool(pool).server_name(server)
    }

    fn in_service(&self, pool: usize, server: usize) -> bool {
        !self.pool(pool).retired[server]
    }

    fn is_up(&self, pool: usize, server: usize) -> bool {
        self.stations[usize::from(self.pool(pool).stations[server])].alive
    }

    fn balancer(&mut self, pool: usize) -> Option<&mut Balancer> {
        self.web_mut().balancers.get_mut(pool)
    }

    fn stop(&mut self, pool: usize, server: usize) -> (u64, u64) {
        let station = self.pool(pool).stations[server];
        let in_flight = self.requests_of_web(station);
        let cut = if self.stations[usize::from(station)].alive {
            self.fail_everything_at(station)
        } else {
            0
        };
        (in_flight, cut)
    }

    fn start(&mut self, pool: usize, server: usize) {
        // Inside a data center that is down (stage 11) the server stays down: it comes back
        // with its data center, as every component there does.
        if self.site.as_ref().is_some_and(|site| site.down) {
            return;
        }
        let now = self.kernel.now;
        let station = self.pool(pool).stations[server];
        let s = &mut self.stations[usize::from(station)];
        s.account(now);
        s.alive = true;
    }

    fn failed(&self) -> u64 {
        self.kernel.books.failed.iter().sum()
    }

    fn logged_out(&self) -> u64 {
        Stack::logged_out(self)
    }

    fn log(&mut self, component: &str, text: String) {
        self.log_event(component, text);
    }

    fn schedule(&mut self, at: SimTime, event: DeployEvent) {
        self.kernel.events.push(at, Event::Deploy(event));
    }
}

impl Stack {
    /// Runs `f` on the deploy controller with this stack as its port (the controller is
    /// taken out for the call, so the port can borrow the whole stack).
    fn with_deploy<T>(&mut self, f: impl FnOnce(&mut DeployController, &mut Stack) -> T) -> T {
        let mut deploy = std::mem::take(&mut self.deploy);
        let out = f(&mut deploy, self);
        self.deploy = deploy;
        out
    }

    /// Hands the deploy controller one of its events.
    pub(super) fn on_deploy_event(&mut self, event: DeployEvent) {
        let spec = self.scenario.deploy.clone();
        // Validation made sure the scenario's deploy names one of its pools.
        let pool = self.scenario.deploy_pool().unwrap_or(0);
        self.with_deploy(|d, port| d.handle(event, spec.as_ref().map(|s| (s, pool)), port));
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
        self.with_deploy(|d, port| d.start(spec, pool, port))
    }

    /// Whether a deploy is under way.
    pub fn deploy_running(&self) -> bool {
        self.deploy.running()
    }

    /// Moves the deploy on when its batch serves again (after health checks).
    pub(super) fn deploy_progress(&mut self) {
        if self.deploy.running() {
            self.with_deploy(|d, port| d.progress(port));
        }
    }

    /// Reports of every deploy: finished ones, then the one under way (without an end).
    pub(in crate::sim) fn deploy_reports(&self) -> Vec<DeployReport> {
        self.deploy
            .reports(self.kernel.books.failed.iter().sum(), self.logged_out())
    }
}
