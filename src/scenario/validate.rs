//! Validation: every problem of a scenario, each with the field it concerns and a message a
//! user understands. Bounds keep any accepted scenario runnable without freezing the page.

use super::topology::NodeKind as NodeKindOf;
use super::{Dist, Fault, FaultKind, Flow, NoSqlStore, Scenario, Shape, SCENARIO_VERSION};
use std::fmt;

/// Most users a scenario may have.
pub const MAX_USERS: u64 = 100_000_000;
/// Most total offered load, in requests per second.
pub const MAX_RATE_PER_S: f64 = 1_000_000.0;
/// Longest run, in seconds (one day).
pub const MAX_DURATION_S: u32 = 86_400;
/// Most time-series buckets in one run.
pub const MAX_SERIES_POINTS: u64 = 100_000;
/// Most scheduled faults.
pub const MAX_FAULTS: usize = 100;
/// Longest scenario name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// How far shares that must add up to 1 (regions' users, geoDNS's split) may miss it.
pub const SHARE_SUM_TOLERANCE: f64 = 1e-4;

/// One thing wrong with a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path of the field (e.g. `server.workers`); empty for the whole scenario.
    pub path: String,
    /// What is wrong, in plain words.
    pub message: String,
}

/// All the problems found; never empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<Problem>);

impl ValidationErrors {
    /// A single problem.
    pub fn single(path: &str, message: impl Into<String>) -> ValidationErrors {
        ValidationErrors(vec![Problem {
            path: path.to_string(),
            message: message.into(),
        }])
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if p.path.is_empty() {
                write!(f, "{}", p.message)?;
            } else {
                write!(f, "{}: {}", p.path, p.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// Collects problems while walking a scenario.
struct Checker(Vec<Problem>);

impl Checker {
    fn fail(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(Problem {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// A finite number within `[min, max]`.
    fn range(&mut self, path: &str, value: f64, min: f64, max: f64, unit: &str) {
        if !value.is_finite() {
            self.fail(path, "must be a finite number");
        } else if value < min || value > max {
            self.fail(
                path,
                format!("{value} {unit} is out of range: allowed {min} to {max} {unit}"),
            );
        }
    }

    fn int_range(&mut self, path: &str, value: u64, min: u64, max: u64, unit: &str) {
        if value < min || value > max {
            self.fail(
                path,
                format!("{value} {unit} is out of range: allowed {min} to {max} {unit}"),
            );
        }
    }

    fn dist(&mut self, path: &str, dist: &Dist) {
        self.range(
            &format!("{path}.mean_ms"),
            dist.mean_ms,
            0.001,
            600_000.0,
            "ms",
        );
        if dist.shape == Shape::Lognormal {
            self.range(&format!("{path}.cv"), dist.cv, 0.01, 10.0, "");
        }
    }
}

/// Most web servers.
pub const MAX_WEB_SERVERS: u32 = 1000;
/// The biggest database machine: most workers per node (vertical scaling stops here).
pub const MAX_DB_WORKERS: u32 = 64;
/// The fastest node money can buy, relative to the baseline.
pub const MAX_SPEED: f64 = 4.0;
/// Most read replicas.
pub const MAX_REPLICAS: u32 = 16;
/// Most database shards.
pub const MAX_SHARDS: u32 = 64;
/// Most cache nodes.
pub const MAX_CACHE_NODES: u32 = 64;
/// Most further databases beside the first (`more_databases`).
pub const MAX_MORE_DATABASES: usize = 4;
/// Most further caches beside the first (`more_caches`).
pub const MAX_MORE_CACHES: usize = 7;
/// Most plugged-in components (`plugs`: rate limiters, …).
pub const MAX_PLUGS: usize = 8;
/// Most further web pools beside the first (`more_web_pools`).
pub const MAX_MORE_WEB_POOLS: usize = 7;
/// Most further NoSQL stores beside the first (`more_nosql`).
pub const MAX_MORE_NOSQL: usize = 4;

/// Most NoSQL nodes.
pub const MAX_NOSQL_NODES: u32 = 64;
/// Most keys in the keyspace.
pub const MAX_KEYS: u32 = 1_000_000;
/// Fastest resharding copy, keys/s (a whole keyspace in ten seconds).
pub const MAX_MIGRATION_KEYS_PER_S: f64 = 100_000.0;

/// Most data centers.
pub const MAX_DATA_CENTERS: usize = 4;
/// Most regions.
pub const MAX_REGIONS: usize = 8;

/// Names of the components a scenario has, in component order; fault targets must be one.
/// With several data centers: `users`, `dns`, then each data center's name followed by its
/// stack's components named `<data center>/<component>`.
pub fn component_names(scenario: &Scenario) -> Vec<String> {
    crate::layout_plan::components(scenario)
        .into_iter()
        .map(|c| c.name)
        .collect()
}

impl Scenario {
    /// Checks every field; returns all problems at once.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let problems = self.problems(false);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(problems))
        }
    }

    /// Every problem of the scenario; `as_data_center`: of one data center's stack
    /// ([`Scenario::data_center_stack`], stage 11 without its `geo` part), whose faults and
    /// data centers the whole scenario checks.
    fn problems(&self, as_data_center: bool) -> Vec<Problem> {
        let mut c = Checker(Vec::new());
        if self.version != SCENARIO_VERSION {
            c.fail(
                "version",
                format!(
                    "version {} is not supported: this build reads version {SCENARIO_VERSION}",
                    self.version
                ),
            );
        }
        if self.name.chars().count() > MAX_NAME_CHARS {
            c.fail("name", format!("longer than {MAX_NAME_CHARS} characters"));
        }
        if !(1..=11).contains(&self.stage) {
            c.fail(
                "stage",
                format!("stage {} does not exist: stages are 1 to 11", self.stage),
            );
        } else if !super::STAGES[usize::from(self.stage - 1)].built {
            c.fail(
                "stage",
                format!("stage {} is not simulated yet", self.stage),
            );
        }
        c.int_range(
            "duration_s",
            u64::from(self.duration_s),
            1,
            u64::from(MAX_DURATION_S),
            "s",
        );
        c.int_range(
            "metrics_interval_ms",
            u64::from(self.metrics_interval_ms),
            10,
            60_000,
            "ms",
        );
        if self.metrics_interval_ms > 0 {
            let points = u64::from(self.duration_s) * 1000 / u64::from(self.metrics_interval_ms);
            if points > MAX_SERIES_POINTS {
                c.fail(
                    "metrics_interval_ms",
                    format!(
                        "{points} time-series points for this duration; at most {MAX_SERIES_POINTS}: use a longer interval"
                    ),
                );
            }
        }

        let t = &self.traffic;
        c.int_range("traffic.users", t.users, 0, MAX_USERS, "users");
        c.range(
            "traffic.requests_per_user_per_s",
            t.requests_per_user_per_s,
            0.0,
            1000.0,
            "requests/s",
        );
        match t.profile {
            super::Profile::Constant => {}
            super::Profile::Ramp {
                start_s,
                end_s,
                factor,
            } => {
                c.range("traffic.profile.start_s", start_s, 0.0, 86_400.0, "s");
                c.range(
                    "traffic.profile.end_s",
                    end_s,
                    start_s.max(0.0) + 0.001,
                    86_400.0,
                    "s",
                );
                c.range("traffic.profile.factor", factor, 0.0, 100.0, "×");
            }
            super::Profile::Spike {
                at_s,
                duration_s,
                factor,
            } => {
                c.range("traffic.profile.at_s", at_s, 0.0, 86_400.0, "s");
                c.range("traffic.profile.duration_s", duration_s, 0.0, 86_400.0, "s");
                c.range("traffic.profile.factor", factor, 0.0, 100.0, "×");
            }
            super::Profile::Cycle {
                period_s,
                amplitude,
            } => {
                c.range("traffic.profile.period_s", period_s, 1.0, 604_800.0, "s");
                c.range("traffic.profile.amplitude", amplitude, 0.0, 1.0, "");
            }
        }
        let rate = self.offered_rate_per_s() * t.profile.max_factor();
        if rate.is_finite() && rate > MAX_RATE_PER_S {
            c.fail(
                "traffic",
                format!(
                    "peak offered load {rate:.0} requests/s exceeds the maximum of {MAX_RATE_PER_S:.0}: lower users, requests per user or the profile's factor"
                ),
            );
        }
        let weights = t.mix.weights();
        for (name, w) in ["page_view", "api_read", "write", "static_asset"]
            .iter()
            .zip(weights)
        {
            c.range(&format!("traffic.mix.{name}"), w, 0.0, 1e6, "");
        }
        if weights.iter().all(|w| w.is_finite()) && weights.iter().sum::<f64>() <= 0.0 {
            c.fail(
                "traffic.mix",
                "at least one request kind needs a weight above 0",
            );
        }
        c.range(
            "traffic.client_timeout_ms",
            t.client_timeout_ms,
            1.0,
            600_000.0,
            "ms",
        );
        if let Some(b) = &self.server.breaker {
            c.int_range(
                "server.breaker.failures",
                u64::from(b.failures),
                1,
                1000,
                "calls",
            );
            c.range(
                "server.breaker.slow_call_ms",
                b.slow_call_ms,
                0.001,
                600_000.0,
                "ms",
            );
            c.range("server.breaker.open_ms", b.open_ms, 1.0, 600_000.0, "ms");
            c.int_range(
                "server.breaker.probes",
                u64::from(b.probes),
                1,
                100,
                "calls",
            );
        }
        if let Some(r) = &t.retries {
            let max = u64::from(super::MAX_RETRIES);
            c.int_range("traffic.retries.max", u64::from(r.max), 1, max, "retries");
            c.range(
                "traffic.retries.backoff_ms",
                r.backoff_ms,
                0.0,
                600_000.0,
                "ms",
            );
            c.range(
                "traffic.retries.multiplier",
                r.multiplier,
                1.0,
                10.0,
                "times",
            );
            c.range("traffic.retries.jitter", r.jitter, 0.0, 1.0, "");
        }

        c.range("dns.lookup_ms", self.dns.lookup_ms, 0.0, 10_000.0, "ms");
        c.int_range("dns.ttl_s", u64::from(self.dns.ttl_s), 0, 86_400, "s");
        c.range(
            "network.client_rtt_ms",
            self.network.client_rtt_ms,
            0.0,
            10_000.0,
            "ms",
        );

        check_server(&mut c, "server", &self.server);

        self.validate_topology(&mut c);
        if as_data_center {
            if self.load_balancer.is_none() {
                c.fail(
                    "load_balancer",
                    "each data center needs a load balancer in front of its web servers",
                );
            }
            return c.0;
        }
        self.validate_geo(&mut c);

        if self.faults.len() > MAX_FAULTS {
            c.fail("faults", format!("at most {MAX_FAULTS} scheduled faults"));
        }
        let names = component_names(self);
        for (i, fault) in self.faults.iter().take(MAX_FAULTS).enumerate() {
            let path = format!("faults[{i}]");
            if fault.target == "users" || !names.contains(&fault.target) {
                c.fail(
                    &format!("{path}.target"),
                    format!(
                        "no component named '{}': choose one of {}",
                        fault.target.chars().take(40).collect::<String>(),
                        names[1..].join(", ")
                    ),
                );
            }
            c.range(
                &format!("{path}.at_s"),
                fault.at_s,
                0.0,
                f64::from(MAX_DURATION_S),
                "s",
            );
            c.range(
                &format!("{path}.duration_s"),
                fault.duration_s,
                0.0,
                f64::from(MAX_DURATION_S),
                "s",
            );
            self.validate_slow_fault(&mut c, &path, fault);
            self.validate_partition(&mut c, &path, fault);
        }
        c.0
    }
}

/// A name for a region or data center: 1–20 letters, digits or `-`.
fn plain_name(c: &mut Checker, path: &str, name: &str) {
    let ok = !name.is_empty()
        && name.len() <= 20
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !ok {
        c.fail(path, "use 1 to 20 letters, digits or '-'");
    }
}

/// A further cache's, NoSQL store's or database's name (`what`: the kind, one and many): 1 to 40
/// letters, digits, '-', '_' or '.', not one an `earlier` further instance has, and not one
/// whose nodes (`NAME-0`…) would be named like the engine's own. Returns it as shown in
/// messages (its first 40 characters).
fn further_name<'a>(
    c: &mut Checker,
    path: &str,
    (one, many): (&str, &str),
    name: &str,
    mut earlier: impl Iterator<Item = &'a str>,
    names: &[String],
) -> String {
    let plain = !name.is_empty()
        && name.chars().count() <= 40
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
    let shown: String = name.chars().take(40).collect();
    let at = format!("{path}.name");
    if !plain {
        c.fail(
            &at,
            format!("{one} name `{shown}`: use 1 to 40 letters, digits, '-', '_' or '.'"),
        );
    } else if earlier.any(|m| m == name) {
        c.fail(&at, format!("two further {many} are named `{shown}`"));
    } else {
        let node = format!("{name}-0");
        if names.iter().filter(|n| **n == node).count() > 1 {
            c.fail(
                &at,
                format!(
                    "{one} `{shown}`: its nodes would be named like the engine's own (`{node}`); choose another name"
                ),
            );
        }
    }
    shown
}

impl Scenario {
    fn validate_geo(&self, c: &mut Checker) {
        let Some(geo) = &self.geo else {
            if self.stage == 11 {
                c.fail("geo", "stage 11 needs its data centers and regions (`geo`)");
            }
            return;
        };
        if self.stage != 11 {
            c.fail(
                "geo",
                "several data centers are stage 11: set `stage` to 11",
            );
        }
        if self.load_balancer.is_none() {
            c.fail(
                "load_balancer",
                "each data center needs a load balancer in front of its web servers",
            );
        }
        let regions = geo.regions.len();
        if regions == 0 || regions > MAX_REGIONS {
            c.fail("geo.regions", format!("1 to {MAX_REGIONS} regions"));
        }
        let mut total = 0.0;
        for (i, r) in geo.regions.iter().take(MAX_REGIONS).enumerate() {
            plain_name(c, &format!("geo.regions[{i}].name"), &r.name);
            if geo.regions[..i].iter().any(|o| o.name == r.name) {
                c.fail(
                    &format!("geo.regions[{i}].name"),
                    "two regions have this name",
                );
            }
            c.range(
                &format!("geo.regions[{i}].users_share"),
                r.users_share,
                0.0,
                1.0,
                "",
            );
            total += r.users_share;
        }
        if regions > 0 && total.is_finite() && (total - 1.0).abs() > SHARE_SUM_TOLERANCE {
            c.fail(
                "geo.regions",
                format!("users_share adds up to {total}; it must add up to 1"),
            );
        }
        if geo.rtt_ms.len() != regions || geo.rtt_ms.iter().any(|row| row.len() != regions) {
            c.fail(
                "geo.rtt_ms",
                format!("the round-trip matrix must be {regions} × {regions}: one row per region, one column per region"),
            );
        } else {
            for (i, row) in geo.rtt_ms.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    c.range(&format!("geo.rtt_ms[{i}][{j}]"), v, 0.0, 2000.0, "ms");
                    if v.is_finite() && (v - geo.rtt_ms[j][i]).abs() > 1e-9 && j > i {
                        c.fail(
                            &format!("geo.rtt_ms[{i}][{j}]"),
                            format!(
                                "{v} ms here but {} ms back: the matrix must be symmetric",
                                geo.rtt_ms[j][i]
                            ),
                        );
                    }
                }
            }
        }
        let dcs = geo.data_centers.len();
        if dcs == 0 || dcs > MAX_DATA_CENTERS {
            c.fail(
                "geo.data_centers",
                format!("1 to {MAX_DATA_CENTERS} data centers"),
            );
        }
        self.validate_data_center_stacks(c, geo);
        for (i, d) in geo.data_centers.iter().take(MAX_DATA_CENTERS).enumerate() {
            let path = format!("geo.data_centers[{i}]");
            plain_name(c, &format!("{path}.name"), &d.name);
            if d.name == "users" || d.name == "dns" {
                c.fail(&format!("{path}.name"), "'users' and 'dns' are taken");
            }
            if geo.data_centers[..i].iter().any(|o| o.name == d.name) {
                c.fail(&format!("{path}.name"), "two data centers have this name");
            }
            if !geo.regions.iter().any(|r| r.name == d.region) {
                c.fail(
                    &format!("{path}.region"),
                    format!(
                        "no region named '{}'",
                        d.region.chars().take(40).collect::<String>()
                    ),
                );
            }
        }
        match geo.routing {
            super::GeoRouting::Nearest => {
                if !geo.split_share.is_empty() {
                    c.fail(
                        "geo.split_share",
                        "only used with `routing: split`; leave it out for `nearest`",
                    );
                }
            }
            super::GeoRouting::Split => {
                if geo.split_share.len() != dcs {
                    c.fail(
                        "geo.split_share",
                        format!(
                            "one share per data center: {dcs} expected, {} given",
                            geo.split_share.len()
                        ),
                    );
                } else {
                    for (i, &p) in geo.split_share.iter().enumerate() {
                        c.range(&format!("geo.split_share[{i}]"), p, 0.0, 1.0, "");
                    }
                    let sum: f64 = geo.split_share.iter().sum();
                    if sum.is_finite() && (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
                        c.fail(
                            "geo.split_share",
                            format!("the shares add up to {sum}; they must add up to 1"),
                        );
                    }
                }
            }
        }
        c.range(
            "geo.health_interval_ms",
            geo.health_interval_ms,
            100.0,
            600_000.0,
            "ms",
        );
        c.int_range(
            "geo.unhealthy_after",
            u64::from(geo.unhealthy_after),
            1,
            100,
            "checks",
        );
        c.int_range(
            "geo.healthy_after",
            u64::from(geo.healthy_after),
            1,
            100,
            "checks",
        );
        c.range(
            "geo.replication_writes_per_s",
            geo.replication_writes_per_s,
            1.0,
            10_000_000.0,
            "writes/s",
        );
    }

    /// Each data center whose `set` changes its stack: the changes apply, and the stack they
    /// make passes validation as a scenario of its own. Each problem names the data center
    /// and the field; a problem the shared stack has already is reported once, for it.
    fn validate_data_center_stacks(&self, c: &mut Checker, geo: &super::Geo) {
        let mut shared: Option<Vec<Problem>> = None;
        for (i, d) in geo.data_centers.iter().take(MAX_DATA_CENTERS).enumerate() {
            if d.set.is_empty() {
                continue;
            }
            let path = format!("geo.data_centers[{i}].set");
            // The changes that apply are checked with the rest, so that one message lists
            // every problem.
            let (mut stack, refused) = self.apply_data_center_set(d, &path);
            c.0.extend(refused);
            stack.faults.clear();
            let shared = shared.get_or_insert_with(|| {
                let mut base = Scenario {
                    geo: None,
                    ..self.clone()
                };
                base.faults.clear();
                base.problems(true)
            });
            for p in stack.problems(true) {
                if !shared.contains(&p) {
                    c.fail(
                        &path,
                        format!("data center {}: {}: {}", d.name, p.path, p.message),
                    );
                }
            }
        }
    }

    fn validate_topology(&self, c: &mut Checker) {
        let s = &self.server;
        c.int_range(
            "server.count",
            u64::from(s.count),
            1,
            u64::from(MAX_WEB_SERVERS),
            "servers",
        );
        if s.count > 1 && self.load_balancer.is_none() {
            c.fail(
                "server.count",
                "more than one web server needs a load balancer in front (users reach one address)",
            );
        }
        if s.speeds.len() > s.count as usize {
            c.fail(
                "server.speeds",
                format!("{} speeds for {} servers", s.speeds.len(), s.count),
            );
        }
        for (i, speed) in s.speeds.iter().take(MAX_WEB_SERVERS as usize).enumerate() {
            c.range(&format!("server.speeds[{i}]"), *speed, 0.1, MAX_SPEED, "×");
        }
        let k = &self.traffic.keyspace;
        c.int_range(
            "traffic.keyspace.keys",
            u64::from(k.keys),
            1,
            u64::from(MAX_KEYS),
            "keys",
        );
        c.range("traffic.keyspace.zipf_s", k.zipf_s, 0.0, 3.0, "");
        c.range(
            "network.internal_rtt_ms",
            self.network.internal_rtt_ms,
            0.0,
            1000.0,
            "ms",
        );
        if let Some(lb) = &self.load_balancer {
            c.range("load_balancer.latency_ms", lb.latency_ms, 0.0, 1000.0, "ms");
            c.range(
                "load_balancer.health_interval_ms",
                lb.health_interval_ms,
                10.0,
                600_000.0,
                "ms",
            );
            c.int_range(
                "load_balancer.unhealthy_threshold",
                u64::from(lb.unhealthy_threshold),
                1,
                100,
                "checks",
            );
            c.int_range(
                "load_balancer.healthy_threshold",
                u64::from(lb.healthy_threshold),
                1,
                100,
                "checks",
            );
        }
        if let Some(cdn) = &self.cdn {
            c.range("cdn.edge_rtt_ms", cdn.edge_rtt_ms, 0.0, 10_000.0, "ms");
            c.range("cdn.hit_ms", cdn.hit_ms, 0.0, 10_000.0, "ms");
            c.int_range(
                "cdn.objects",
                u64::from(cdn.objects),
                1,
                u64::from(MAX_KEYS),
                "objects",
            );
            c.range(
                "cdn.object_kb_mean",
                cdn.object_kb_mean,
                0.1,
                1_000_000.0,
                "KB",
            );
            c.range("cdn.zipf_s", cdn.zipf_s, 0.0, 3.0, "");
            c.int_range(
                "cdn.capacity_objects",
                u64::from(cdn.capacity_objects),
                1,
                u64::from(MAX_KEYS),
                "objects",
            );
            c.range("cdn.ttl_s", cdn.ttl_s, 0.0, 31_536_000.0, "s");
            c.range(
                "cdn.fallback_timeout_ms",
                cdn.fallback_timeout_ms,
                0.0,
                600_000.0,
                "ms",
            );
            c.range(
                "cdn.edge_price_per_gb",
                cdn.edge_price_per_gb,
                0.0,
                1000.0,
                "$",
            );
            c.range(
                "cdn.origin_price_per_gb",
                cdn.origin_price_per_gb,
                0.0,
                1000.0,
                "$",
            );
        }
        if let Some(sessions) = &self.sessions {
            c.int_range(
                "sessions.store_workers",
                u64::from(sessions.store_workers),
                1,
                10_000,
                "workers",
            );
            c.dist("sessions.store_get", &sessions.store_get);
            if sessions.mode == super::SessionMode::Sticky && self.load_balancer.is_none() {
                c.fail(
                    "sessions.mode",
                    "sticky sessions need a load balancer to stick with",
                );
            }
        }
        if let Some(a) = &self.autoscaling {
            if self.load_balancer.is_none() {
                c.fail(
                    "autoscaling",
                    "autoscaling needs a load balancer to add servers to",
                );
            }
            check_autoscaling(c, "autoscaling", a);
        }
        if let Some(q) = &self.queue {
            c.range("queue.jobs_per_write", q.jobs_per_write, 0.0, 1.0, "");
            c.int_range(
                "queue.max_depth",
                u64::from(q.max_depth),
                1,
                10_000_000,
                "jobs",
            );
            c.int_range("queue.workers", u64::from(q.workers), 0, 10_000, "workers");
            c.dist("queue.job", &q.job);
            if q.job_writes_to_db && self.database.is_none() {
                c.fail(
                    "queue.job_writes_to_db",
                    "the workers' jobs write to the database, but there is none: add a database, or leave job_writes_to_db out",
                );
            }
            if let Some(a) = &q.autoscale {
                c.int_range(
                    "queue.autoscale.min_workers",
                    u64::from(a.min_workers),
                    0,
                    10_000,
                    "workers",
                );
                c.int_range(
                    "queue.autoscale.max_workers",
                    u64::from(a.max_workers),
                    u64::from(a.min_workers.max(1)),
                    10_000,
                    "workers",
                );
                c.range(
                    "queue.autoscale.jobs_per_worker",
                    a.jobs_per_worker,
                    1.0,
                    1e6,
                    "jobs",
                );
                c.range("queue.autoscale.interval_s", a.interval_s, 1.0, 3600.0, "s");
                c.range(
                    "queue.autoscale.start_delay_s",
                    a.start_delay_s,
                    0.0,
                    3600.0,
                    "s",
                );
            }
        }
        if let Some(sh) = &self.sharding {
            if self.database.is_none() {
                c.fail("sharding", "sharding needs a database to split");
            }
            self.check_sharding(c, "sharding", sh);
        }
        self.validate_data_stores(c);
        self.validate_deploy(c);
        self.validate_routes(c);
        if let Some(m) = &self.monitoring {
            if m.alerts.len() > 50 {
                c.fail("monitoring.alerts", "at most 50 alert rules");
            }
            for (i, rule) in m.alerts.iter().take(50).enumerate() {
                if rule.name.chars().count() > 80 {
                    c.fail(
                        &format!("monitoring.alerts[{i}].name"),
                        "longer than 80 characters",
                    );
                }
                c.range(
                    &format!("monitoring.alerts[{i}].threshold"),
                    rule.threshold,
                    -1e12,
                    1e12,
                    "",
                );
                c.range(
                    &format!("monitoring.alerts[{i}].for_s"),
                    rule.for_s,
                    0.0,
                    86_400.0,
                    "s",
                );
            }
        }
        if let Some(cache) = &self.cache {
            if self.database.is_none() {
                c.fail(
                    "cache",
                    "a cache tier needs a database behind it to fill from",
                );
            }
            check_cache_tier(c, "cache", cache);
        }
        self.validate_more_caches(c);
        self.validate_more_web_pools(c);
        if let Some(db) = &self.database {
            check_database(c, "database", db);
        }
        self.validate_more_databases(c);
        self.validate_plugs(c);
    }

    /// The registered kinds' components: names, where they stand, their parameters.
    fn validate_plugs(&self, c: &mut Checker) {
        if self.plugs.len() > MAX_PLUGS {
            c.fail(
                "plugs",
                format!(
                    "{} plugged-in components: at most {MAX_PLUGS}",
                    self.plugs.len()
                ),
            );
        }
        let names = component_names(&Scenario {
            geo: None,
            ..self.clone()
        });
        // The graph's own node names (a plugged-in component is a node beside them).
        let built_in = [
            "users",
            "dns",
            "cdn",
            "lb",
            "web",
            "sessions",
            "cache",
            "shards",
            "db",
            "nosql",
            "queue",
            "workers",
            "autoscaler",
            "deploy",
            "monitor",
        ];
        let pools: Vec<&str> = std::iter::once("web")
            .chain(self.more_web_pools.iter().map(|m| m.name.as_str()))
            .collect();
        for (i, p) in self.plugs.iter().take(MAX_PLUGS).enumerate() {
            let path = format!("plugs[{i}]");
            let kind = p.params.kind();
            let name = &p.name;
            let shown: String = name.chars().take(40).collect();
            let plain = !name.is_empty()
                && name.chars().count() <= 40
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
            if !plain {
                c.fail(
                    &format!("{path}.name"),
                    format!(
                        "{} name `{shown}`: use 1 to 40 letters, digits, '-', '_' or '.'",
                        kind.label()
                    ),
                );
            } else if names.iter().filter(|n| *n == name).count() > 1
                || built_in.contains(&name.as_str())
                || self.more_caches.iter().any(|m| m.name == *name)
                || self.more_web_pools.iter().any(|m| m.name == *name)
                || self.more_databases.iter().any(|m| m.name == *name)
                || self.more_nosql.iter().any(|m| m.name == *name)
            {
                c.fail(
                    &format!("{path}.name"),
                    format!(
                        "{} `{shown}`: the name is taken by another component; choose another",
                        kind.label()
                    ),
                );
            }
            let fronts = p.fronts.as_str();
            let fronted = match fronts {
                "lb" if self.load_balancer.is_some() => Some(NodeKindOf::LoadBalancer),
                f if pools.contains(&f) => Some(NodeKindOf::WebPool),
                _ => None,
            };
            // What sends it requests there: the balancer in front of a pool, else the way in.
            let feeder = match fronted {
                Some(NodeKindOf::WebPool) if self.load_balancer.is_some() => {
                    NodeKindOf::LoadBalancer
                }
                _ => NodeKindOf::Dns,
            };
            match fronted {
                Some(k) if kind.fronts().contains(&k) && kind.fed_by().contains(&feeder) => {}
                _ => c.fail(
                    &format!("{path}.fronts"),
                    format!(
                        "{} `{shown}` fronts `{}`: {}",
                        kind.label(),
                        fronts.chars().take(40).collect::<String>(),
                        kind.role()
                    ),
                ),
            }
            for problem in p.params.problems() {
                c.fail(
                    &format!("{path}.params"),
                    format!("{} `{shown}`: {problem}", kind.label()),
                );
            }
        }
    }
}

/// The bounds of a database's settings (`prefix`: its path, `database` or
/// `more_databases[i].database`).
fn check_database(c: &mut Checker, prefix: &str, db: &super::Database) {
    if db.workers > MAX_DB_WORKERS {
        c.fail(
                &format!("{prefix}.workers"),
                format!(
                    "{} workers: the biggest database machine has {MAX_DB_WORKERS}; add replicas (or shards) to go further",
                    db.workers
                ),
            );
    } else if db.workers == 0 {
        c.fail(
            &format!("{prefix}.workers"),
            "a database node needs at least 1 worker",
        );
    }
    if db.speed.is_finite() && db.speed > MAX_SPEED {
        c.fail(
            &format!("{prefix}.speed"),
            format!(
                "{}× is faster than any machine ({MAX_SPEED}× at most): scale out instead",
                db.speed
            ),
        );
    } else {
        c.range(&format!("{prefix}.speed"), db.speed, 0.25, MAX_SPEED, "×");
    }
    c.int_range(
        &format!("{prefix}.queue_capacity"),
        u64::from(db.queue_capacity),
        0,
        1_000_000,
        "queries",
    );
    c.dist(&format!("{prefix}.read"), &db.read);
    c.dist(&format!("{prefix}.write"), &db.write);
    c.int_range(
        &format!("{prefix}.replicas"),
        u64::from(db.replicas),
        0,
        u64::from(MAX_REPLICAS),
        "replicas",
    );
    c.range(
        &format!("{prefix}.replication.delay_ms"),
        db.replication.delay_ms,
        0.0,
        60_000.0,
        "ms",
    );
    c.range(
        &format!("{prefix}.replication.apply_ms"),
        db.replication.apply_ms,
        0.001,
        60_000.0,
        "ms",
    );
    c.range(
        &format!("{prefix}.failover.detection_ms"),
        db.failover.detection_ms,
        0.0,
        600_000.0,
        "ms",
    );
    c.range(
        &format!("{prefix}.failover.promotion_ms"),
        db.failover.promotion_ms,
        0.0,
        600_000.0,
        "ms",
    );
}

impl Scenario {
    /// A shard router's settings (`path`: `sharding`, or a further database's
    /// `more_databases[i].sharding`).
    fn check_sharding(&self, c: &mut Checker, path: &str, sh: &crate::scenario::Sharding) {
        c.int_range(
            &format!("{path}.shards"),
            u64::from(sh.shards),
            1,
            u64::from(MAX_SHARDS),
            "shards",
        );
        c.int_range(
            &format!("{path}.virtual_nodes"),
            u64::from(sh.virtual_nodes),
            1,
            1000,
            "points",
        );
        c.range(
            &format!("{path}.cross_shard_share"),
            sh.cross_shard_share,
            0.0,
            1.0,
            "",
        );
        if sh.hot_keys.len() > 100 {
            c.fail(&format!("{path}.hot_keys"), "at most 100 hot keys");
        }
        let mut total = 0.0;
        for (i, h) in sh.hot_keys.iter().take(100).enumerate() {
            c.range(
                &format!("{path}.hot_keys[{i}].share"),
                h.share,
                0.0,
                1.0,
                "",
            );
            if h.key >= self.traffic.keyspace.keys {
                c.fail(
                    &format!("{path}.hot_keys[{i}].key"),
                    format!(
                        "key {} is outside the keyspace (0 to {})",
                        h.key,
                        self.traffic.keyspace.keys.saturating_sub(1)
                    ),
                );
            }
            total += h.share;
        }
        if total > 1.0 {
            c.fail(
                &format!("{path}.hot_keys"),
                "the hot keys' shares add up to more than 1",
            );
        }
        c.range(
            &format!("{path}.migration_keys_per_s"),
            sh.migration_keys_per_s,
            1.0,
            MAX_MIGRATION_KEYS_PER_S,
            "keys/s",
        );
        if let Some(r) = &sh.reshard {
            c.range(&format!("{path}.reshard.at_s"), r.at_s, 0.0, 86_400.0, "s");
            c.int_range(
                &format!("{path}.reshard.to_shards"),
                u64::from(r.to_shards),
                1,
                u64::from(MAX_SHARDS),
                "shards",
            );
        }
    }
}

/// What a sharded store's data allows (`path`: its sharding's): joins need a relational
/// store or denormalised data; denormalising needs two shards and at most a copy per shard.
fn check_sharded_store(
    c: &mut Checker,
    path: &str,
    db: Option<&super::Database>,
    sh: &crate::scenario::Sharding,
) {
    let denormalised = sh.denormalise.is_some();
    let db = db.filter(|db| !db.kind.is_relational());
    if let Some(db) = db.filter(|_| sh.cross_shard_share > 0.0 && !denormalised) {
        c.fail(
            &format!("{path}.cross_shard_share"),
            format!(
                "joins are not possible on {}: set the cross-shard share to 0, denormalise the data, or use a relational database",
                db.kind.phrase()
            ),
        );
    }
    if let Some(d) = &sh.denormalise {
        if sh.shards < 2 {
            c.fail(
                &format!("{path}.denormalise"),
                "denormalising spares cross-shard joins: it needs at least 2 shards",
            );
        } else {
            c.int_range(
                &format!("{path}.denormalise.write_factor"),
                u64::from(d.write_factor),
                2,
                u64::from(sh.shards.min(MAX_SHARDS)),
                "copies (at least 2, at most one per shard)",
            );
        }
    }
}

impl Scenario {
    /// The kind of the database, NoSQL offload and denormalisation.
    fn validate_data_stores(&self, c: &mut Checker) {
        if let Some(sh) = &self.sharding {
            check_sharded_store(c, "sharding", self.database.as_ref(), sh);
        }
        if self.nosql.is_none() && !self.more_nosql.is_empty() {
            c.fail(
                "more_nosql",
                "a further NoSQL store stands beside the first one: add `nosql` (or move this one there)",
            );
        }
        let Some(n) = &self.nosql else {
            return;
        };
        if self.database.is_none() {
            c.fail(
                "nosql",
                "a NoSQL store takes traffic off a database: add a database first",
            );
        }
        check_nosql(c, "nosql", n);
        self.validate_more_nosql(c);
    }

    /// The further NoSQL stores (`more_nosql`): each named apart from every node, taking its
    /// share of kinds of its own (no other NoSQL store takes a share of them).
    fn validate_more_nosql(&self, c: &mut Checker) {
        if self.more_nosql.len() > MAX_MORE_NOSQL {
            c.fail(
                "more_nosql",
                format!("at most {MAX_MORE_NOSQL} further NoSQL stores"),
            );
        }
        let names = component_names(&Scenario {
            geo: None,
            ..self.clone()
        });
        for (i, more) in self.more_nosql.iter().take(MAX_MORE_NOSQL).enumerate() {
            let path = format!("more_nosql[{i}]");
            let name = &more.name;
            let shown = further_name(
                c,
                &path,
                ("NoSQL store", "NoSQL stores"),
                name,
                self.more_nosql[..i].iter().map(|m| m.name.as_str()),
                &names,
            );
            if more.takes.is_empty() {
                c.fail(
                    &format!("{path}.takes"),
                    format!("NoSQL store `{shown}` takes nothing: name page_view, api_read, write or several"),
                );
            }
            for (k, flow) in more.takes.iter().enumerate() {
                let at = format!("{path}.takes[{k}]");
                if !Flow::DATA.contains(flow) {
                    c.fail(
                        &at,
                        format!(
                            "a NoSQL store cannot take {}: only page_view, api_read and write",
                            flow.plural()
                        ),
                    );
                } else if more.takes[..k].contains(flow) {
                    c.fail(&at, format!("{} named twice", flow.plural()));
                } else if let Some(other) =
                    self.more_nosql[..i].iter().find(|m| m.takes.contains(flow))
                {
                    c.fail(
                        &at,
                        format!(
                            "{} already go to NoSQL store `{}`: each data request goes to at most one NoSQL store",
                            flow.plural(),
                            other.name.chars().take(40).collect::<String>()
                        ),
                    );
                } else if self
                    .routes
                    .as_ref()
                    .and_then(|r| r.nosql.as_ref())
                    .is_some_and(|first| first.contains(flow))
                {
                    c.fail(
                        &at,
                        format!(
                            "{} already go to the first NoSQL store (`routes.nosql`): each data request goes to at most one NoSQL store",
                            flow.plural()
                        ),
                    );
                }
            }
            check_nosql(c, &format!("{path}.nosql"), &more.nosql);
        }
        if !self.more_nosql.is_empty() && Flow::DATA.iter().all(|&f| !self.nosql_takes(f)) {
            c.fail(
                "more_nosql",
                "the further NoSQL stores take every kind the first one (`nosql`) could, so it takes none: remove it or give it one",
            );
        }
    }

    /// Whether `name` is a node of one of the further NoSQL stores (`<name>-<n>`, or
    /// `<data center>/<name>-<n>`).
    fn is_more_nosql_node(&self, name: &str) -> bool {
        let name = name.rsplit('/').next().unwrap_or(name);
        self.more_nosql.iter().any(|m| {
            name.strip_prefix(m.name.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n < m.nosql.nodes)
        })
    }

    /// The ways data requests take when not all alike: each list names kinds its tier can take,
    /// each once, and at least one.
    fn validate_routes(&self, c: &mut Checker) {
        let Some(r) = &self.routes else {
            return;
        };
        let lists = [
            (
                "routes.cached",
                &r.cached,
                self.cache.is_some(),
                &[Flow::PageView, Flow::ApiRead][..],
                "the cache",
                "page_view and api_read",
            ),
            (
                "routes.nosql",
                &r.nosql,
                self.nosql.is_some(),
                &Flow::DATA[..],
                "the NoSQL store",
                "page_view, api_read and write",
            ),
        ];
        for (path, list, present, allowed, tier, names) in lists {
            let Some(list) = list else {
                continue;
            };
            if !present {
                c.fail(path, format!("there is no {}: leave this out", &tier[4..]));
                continue;
            }
            if list.is_empty() {
                c.fail(
                    path,
                    format!("{tier} takes no request: name at least one of {names}, or remove it"),
                );
            }
            for (i, flow) in list.iter().enumerate() {
                if !allowed.contains(flow) {
                    c.fail(
                        &format!("{path}[{i}]"),
                        format!("{tier} cannot take {}: only {names}", flow.plural()),
                    );
                } else if list[..i].contains(flow) {
                    c.fail(
                        &format!("{path}[{i}]"),
                        format!("{} named twice", flow.plural()),
                    );
                }
            }
        }
    }

    /// The further caches: each beside a first cache, in one data center, with its own name
    /// and its own reads (no read through two caches, the first cache keeping at least one).
    fn validate_more_caches(&self, c: &mut Checker) {
        if self.more_caches.is_empty() {
            return;
        }
        if self.cache.is_none() {
            c.fail(
                "more_caches",
                "a further cache stands beside the first one: add `cache` (or move this one there)",
            );
        }
        if self.more_caches.len() > MAX_MORE_CACHES {
            c.fail(
                "more_caches",
                format!("at most {MAX_MORE_CACHES} further caches"),
            );
        }
        // One data center's names (at stage 11 every data center runs the same stack).
        let names = component_names(&Scenario {
            geo: None,
            ..self.clone()
        });
        let cached = self.routes.as_ref().and_then(|r| r.cached.as_ref());
        for (i, more) in self.more_caches.iter().take(MAX_MORE_CACHES).enumerate() {
            let path = format!("more_caches[{i}]");
            let name = &more.name;
            let shown = further_name(
                c,
                &path,
                ("cache", "caches"),
                name,
                self.more_caches[..i].iter().map(|m| m.name.as_str()),
                &names,
            );
            if more.fronts.is_empty() {
                c.fail(
                    &format!("{path}.fronts"),
                    format!("cache `{shown}` fronts no read: name page_view, api_read or both"),
                );
            }
            for (k, flow) in more.fronts.iter().enumerate() {
                let at = format!("{path}.fronts[{k}]");
                if !matches!(flow, Flow::PageView | Flow::ApiRead) {
                    c.fail(
                        &at,
                        format!(
                            "a cache cannot take {}: only page_view and api_read",
                            flow.plural()
                        ),
                    );
                } else if more.fronts[..k].contains(flow) {
                    c.fail(&at, format!("{} named twice", flow.plural()));
                } else if let Some(other) = self.more_caches[..i]
                    .iter()
                    .find(|m| m.fronts.contains(flow))
                {
                    c.fail(
                        &at,
                        format!(
                            "{} already go through cache `{}`: a read goes through one cache",
                            flow.plural(),
                            other.name.chars().take(40).collect::<String>()
                        ),
                    );
                } else if cached.is_some_and(|list| list.contains(flow)) {
                    c.fail(
                        &at,
                        format!(
                            "{} are in `routes.cached` too: a read goes through one cache",
                            flow.plural()
                        ),
                    );
                }
            }
            check_cache_tier(c, &format!("{path}.cache"), &more.cache);
        }
        if self.cache.is_some()
            && !self.cache_fronts(Flow::PageView)
            && !self.cache_fronts(Flow::ApiRead)
        {
            c.fail(
                "more_caches",
                "the further caches front every read, so the first cache (`cache`) fronts none: remove it or give it one",
            );
        }
    }

    /// The further web pools: each behind the one load balancer, with its own name, servers
    /// and request kinds (no kind served by two pools, the first pool keeping at least one).
    fn validate_more_web_pools(&self, c: &mut Checker) {
        if self.more_web_pools.is_empty() {
            return;
        }
        if self.load_balancer.is_none() {
            c.fail(
                "more_web_pools",
                "several web pools need a load balancer in front to send each kind of request to its pool",
            );
        }
        if self.more_web_pools.len() > MAX_MORE_WEB_POOLS {
            c.fail(
                "more_web_pools",
                format!("at most {MAX_MORE_WEB_POOLS} further web pools"),
            );
        }
        let names = component_names(self);
        for (i, pool) in self
            .more_web_pools
            .iter()
            .take(MAX_MORE_WEB_POOLS)
            .enumerate()
        {
            let path = format!("more_web_pools[{i}]");
            let name = &pool.name;
            let plain = !name.is_empty()
                && name.chars().count() <= 40
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
            let shown: String = name.chars().take(40).collect();
            if !plain {
                c.fail(
                    &format!("{path}.name"),
                    format!(
                        "web pool name `{shown}`: use 1 to 40 letters, digits, '-', '_' or '.'"
                    ),
                );
            } else if self.more_web_pools[..i].iter().any(|m| m.name == *name)
                || self.more_caches.iter().any(|m| m.name == *name)
            {
                c.fail(
                    &format!("{path}.name"),
                    format!("two further pools or caches are named `{shown}`"),
                );
            } else {
                let node = format!("{name}-0");
                if names.iter().filter(|n| **n == node).count() > 1 {
                    c.fail(
                        &format!("{path}.name"),
                        format!(
                            "web pool `{shown}`: its servers would be named like the engine's own (`{node}`); choose another name"
                        ),
                    );
                }
            }
            if pool.serves.is_empty() {
                c.fail(
                    &format!("{path}.serves"),
                    format!("web pool `{shown}` serves nothing: name the request kinds it takes"),
                );
            }
            for (k, flow) in pool.serves.iter().enumerate() {
                let at = format!("{path}.serves[{k}]");
                if !Flow::REQUESTS.contains(flow) {
                    c.fail(
                        &at,
                        format!(
                            "a web pool serves requests, not {}: page_view, api_read, write or static_asset",
                            flow.plural()
                        ),
                    );
                } else if pool.serves[..k].contains(flow) {
                    c.fail(&at, format!("{} named twice", flow.plural()));
                } else if let Some(other) = self.more_web_pools[..i]
                    .iter()
                    .find(|m| m.serves.contains(flow))
                {
                    c.fail(
                        &at,
                        format!(
                            "{} already go to web pool `{}`: a kind goes to one pool",
                            flow.plural(),
                            other.name.chars().take(40).collect::<String>()
                        ),
                    );
                }
            }
            let s = &pool.server;
            c.int_range(
                &format!("{path}.server.count"),
                u64::from(s.count),
                1,
                u64::from(MAX_WEB_SERVERS),
                "servers",
            );
            if s.speeds.len() > s.count as usize {
                c.fail(
                    &format!("{path}.server.speeds"),
                    format!("{} speeds for {} servers", s.speeds.len(), s.count),
                );
            }
            for (k, speed) in s.speeds.iter().take(MAX_WEB_SERVERS as usize).enumerate() {
                c.range(
                    &format!("{path}.server.speeds[{k}]"),
                    *speed,
                    0.1,
                    MAX_SPEED,
                    "×",
                );
            }
            check_server(c, &format!("{path}.server"), s);
            if s.sync_calls != self.server.sync_calls || s.breaker != self.server.breaker {
                c.fail(
                    &format!("{path}.server"),
                    format!(
                        "web pool `{shown}`: synchronous calls and the circuit breaker are the first pool's and hold for every pool: set them as on `server`"
                    ),
                );
            }
            if let Some(a) = &pool.autoscaling {
                check_autoscaling(c, &format!("{path}.autoscaling"), a);
            }
        }
        let first_serves = Flow::REQUESTS.iter().any(|&f| self.web_pool_of(f) == 0);
        if !first_serves {
            c.fail(
                "more_web_pools",
                "the further web pools serve every kind, so the first pool (`server`) serves none: remove it or give it one",
            );
        }
    }

    /// Whether `name` is a server of one of the further web pools (`<name>-<n>`, or
    /// `<data center>/<name>-<n>`; autoscaled ones too).
    fn is_more_web_node(&self, name: &str) -> bool {
        let name = name.rsplit('/').next().unwrap_or(name);
        self.more_web_pools.iter().any(|m| {
            name.strip_prefix(m.name.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n < MAX_WEB_SERVERS)
        })
    }

    /// Whether `name` is a node of one of the further caches (`<name>-<n>`, or
    /// `<data center>/<name>-<n>`).
    fn is_more_cache_node(&self, name: &str) -> bool {
        let name = name.rsplit('/').next().unwrap_or(name);
        self.more_caches.iter().any(|m| {
            name.strip_prefix(m.name.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n < m.cache.nodes)
        })
    }

    /// The further databases: each beside a first database, with its own name, storing its
    /// own data requests (each kind in one database, the first keeping at least one, a cache's
    /// reads all in the database behind it). With sharding, the shard router splits the first
    /// database's data; the further ones are not sharded.
    fn validate_more_databases(&self, c: &mut Checker) {
        if self.more_databases.is_empty() {
            return;
        }
        if self.database.is_none() {
            c.fail(
                "more_databases",
                "a further database stands beside the first one: add `database` (or move this one there)",
            );
        }
        if self.more_databases.len() > MAX_MORE_DATABASES {
            c.fail(
                "more_databases",
                format!("at most {MAX_MORE_DATABASES} further databases"),
            );
        }
        let names = component_names(&Scenario {
            geo: None,
            ..self.clone()
        });
        for (i, more) in self
            .more_databases
            .iter()
            .take(MAX_MORE_DATABASES)
            .enumerate()
        {
            let path = format!("more_databases[{i}]");
            let name = &more.name;
            let shown = further_name(
                c,
                &path,
                ("database", "databases"),
                name,
                self.more_databases[..i].iter().map(|m| m.name.as_str()),
                &names,
            );
            if more.takes.is_empty() {
                c.fail(
                    &format!("{path}.takes"),
                    format!("database `{shown}` stores nothing: name page_view, api_read, write or several"),
                );
            }
            for (k, flow) in more.takes.iter().enumerate() {
                let at = format!("{path}.takes[{k}]");
                if !Flow::DATA.contains(flow) {
                    c.fail(
                        &at,
                        format!(
                            "a database cannot take {}: only page_view, api_read and write",
                            flow.plural()
                        ),
                    );
                } else if more.takes[..k].contains(flow) {
                    c.fail(&at, format!("{} named twice", flow.plural()));
                } else if let Some(other) = self.more_databases[..i]
                    .iter()
                    .find(|m| m.takes.contains(flow))
                {
                    c.fail(
                        &at,
                        format!(
                            "{} already go to database `{}`: each data request goes to one database",
                            flow.plural(),
                            other.name.chars().take(40).collect::<String>()
                        ),
                    );
                }
            }
            check_database(c, &format!("{path}.database"), &more.database);
            self.check_further_router(c, &path, i, &names);
        }
        if Flow::DATA.iter().all(|&f| self.store_of(f) != 0) {
            c.fail(
                "more_databases",
                "the further databases take every data request, so the first database (`database`) stores none: remove it or give it one",
            );
        }
        // A cache fronts one database: the reads it fronts are all stored in one.
        let first = [Flow::PageView, Flow::ApiRead]
            .into_iter()
            .filter(|&f| self.cache_fronts(f));
        let clusters = std::iter::once(("cache".to_string(), first.collect::<Vec<Flow>>())).chain(
            self.more_caches
                .iter()
                .map(|m| (m.name.clone(), m.fronts.clone())),
        );
        for (name, fronts) in clusters {
            if let [a, b, ..] = fronts[..] {
                if self.store_of(a) != self.store_of(b) {
                    c.fail(
                        "more_databases",
                        format!(
                            "cache `{}` fronts {} and {}, which are stored in different databases: a cache fronts one database; put one of them through another cache or straight to its database",
                            name.chars().take(40).collect::<String>(),
                            a.plural(),
                            b.plural()
                        ),
                    );
                }
            }
        }
    }

    /// A further database's own shard router (`more_databases[i]`): its settings as the
    /// first router's, and a name of its own (not `shards`, not another router's or
    /// component's).
    fn check_further_router(&self, c: &mut Checker, path: &str, i: usize, names: &[String]) {
        let more = &self.more_databases[i];
        let Some(sh) = &more.sharding else {
            if more.router.is_some() {
                c.fail(
                    &format!("{path}.router"),
                    "a shard router's name goes with its `sharding`: add `sharding` or leave the name out",
                );
            }
            return;
        };
        let at = format!("{path}.sharding");
        self.check_sharding(c, &at, sh);
        check_sharded_store(c, &at, Some(&more.database), sh);
        let Some(router) = more.router_name() else {
            return;
        };
        let shown: String = router.chars().take(40).collect();
        let at = format!("{path}.router");
        let plain = !router.is_empty()
            && router.chars().count() <= 40
            && (router.chars())
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
        let earlier = self.more_databases[..i]
            .iter()
            .any(|m| m.router_name().as_deref() == Some(router.as_str()));
        let first = router == "shards" && self.sharding.is_some();
        let taken = names.contains(&router) || self.more_databases.iter().any(|m| m.name == router);
        if !plain {
            c.fail(
                &at,
                format!(
                    "shard router name `{shown}`: use 1 to 40 letters, digits, '-', '_' or '.'"
                ),
            );
        } else if earlier || first {
            c.fail(&at, format!("two shard routers are named `{shown}`"));
        } else if taken {
            c.fail(
                &at,
                format!("shard router `{shown}`: a component or database is named so already; choose another name"),
            );
        }
    }

    /// Whether `name` is a node of one of the further databases (`<name>-<n>`, or
    /// `<name>-shard-S-N` behind a shard router of its own; after `<data center>/` or not).
    fn is_more_db_node(&self, name: &str) -> bool {
        let name = name.rsplit('/').next().unwrap_or(name);
        self.more_databases.iter().any(|m| match &m.sharding {
            None => name
                .strip_prefix(m.name.as_str())
                .and_then(|rest| rest.strip_prefix('-'))
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| n <= m.database.replicas),
            // S a shard it starts with.
            Some(sh) => crate::sim::shard_node(name).is_some_and(|n| {
                n.store == m.name && n.shard < sh.shards && n.node <= m.database.replicas
            }),
        })
    }

    /// The rolling deploy's settings.
    fn validate_deploy(&self, c: &mut Checker) {
        let Some(d) = &self.deploy else {
            return;
        };
        if d.batch_size == 0 {
            c.fail(
                "deploy.batch_size",
                "a batch of 0 servers never deploys anything: take at least 1 at a time",
            );
        } else {
            c.int_range(
                "deploy.batch_size",
                u64::from(d.batch_size),
                1,
                u64::from(MAX_WEB_SERVERS),
                "servers",
            );
        }
        if d.drain && self.load_balancer.is_none() {
            c.fail(
                "deploy.drain",
                "draining needs a load balancer to take servers out of; without one a deploy stops the only server (set drain to false)",
            );
        }
        c.range(
            "deploy.drain_timeout_ms",
            d.drain_timeout_ms,
            0.0,
            600_000.0,
            "ms",
        );
        c.range("deploy.startup_s", d.startup_s, 0.0, 3600.0, "s");
        if let Some(pool) = &d.pool {
            if self.web_pool_number(pool).is_none() {
                let names: Vec<&str> = std::iter::once("web")
                    .chain(self.more_web_pools.iter().map(|m| m.name.as_str()))
                    .collect();
                c.fail(
                    "deploy.pool",
                    format!(
                        "`{}` is not a web pool of this scenario: name one of {}",
                        pool.chars().take(40).collect::<String>(),
                        names.join(", ")
                    ),
                );
            }
        }
        if let Some(at_s) = d.at_s {
            c.range("deploy.at_s", at_s, 0.0, f64::from(MAX_DURATION_S), "s");
        }
    }
}

/// The bounds of an autoscaling group's settings (`prefix`: its path, `autoscaling` or
/// `more_web_pools[i].autoscaling`).
fn check_autoscaling(c: &mut Checker, prefix: &str, a: &super::Autoscaling) {
    c.int_range(
        &format!("{prefix}.min_servers"),
        u64::from(a.min_servers),
        1,
        u64::from(MAX_WEB_SERVERS),
        "servers",
    );
    c.int_range(
        &format!("{prefix}.max_servers"),
        u64::from(a.max_servers),
        u64::from(a.min_servers.max(1)),
        u64::from(MAX_WEB_SERVERS),
        "servers",
    );
    c.range(
        &format!("{prefix}.target_utilization"),
        a.target_utilization,
        0.05,
        1.0,
        "",
    );
    c.range(
        &format!("{prefix}.evaluation_interval_s"),
        a.evaluation_interval_s,
        1.0,
        3600.0,
        "s",
    );
    c.range(
        &format!("{prefix}.scale_out_delay_s"),
        a.scale_out_delay_s,
        0.0,
        3600.0,
        "s",
    );
    c.range(
        &format!("{prefix}.scale_in_cooldown_s"),
        a.scale_in_cooldown_s,
        0.0,
        86_400.0,
        "s",
    );
}

/// The bounds of a web pool's servers (`prefix`: its path, `server` or
/// `more_web_pools[i].server`): workers, line and service times.
fn check_server(c: &mut Checker, prefix: &str, s: &super::Server) {
    c.int_range(
        &format!("{prefix}.workers"),
        u64::from(s.workers),
        1,
        10_000,
        "workers",
    );
    c.int_range(
        &format!("{prefix}.queue_capacity"),
        u64::from(s.queue_capacity),
        0,
        1_000_000,
        "requests",
    );
    let service = &s.service;
    c.dist(&format!("{prefix}.service.page_view"), &service.page_view);
    c.dist(&format!("{prefix}.service.api_read"), &service.api_read);
    c.dist(&format!("{prefix}.service.write"), &service.write);
    c.dist(
        &format!("{prefix}.service.static_asset"),
        &service.static_asset,
    );
}

/// The bounds of a cache cluster's settings (`prefix`: its path, `cache` or
/// `more_caches[i].cache`).
fn check_cache_tier(c: &mut Checker, prefix: &str, cache: &super::CacheTier) {
    c.int_range(
        &format!("{prefix}.nodes"),
        u64::from(cache.nodes),
        1,
        u64::from(MAX_CACHE_NODES),
        "nodes",
    );
    c.int_range(
        &format!("{prefix}.capacity_items"),
        u64::from(cache.capacity_items),
        1,
        u64::from(MAX_KEYS),
        "items",
    );
    c.range(&format!("{prefix}.ttl_s"), cache.ttl_s, 0.0, 86_400.0, "s");
    c.int_range(
        &format!("{prefix}.workers"),
        u64::from(cache.workers),
        1,
        10_000,
        "workers",
    );
    c.dist(&format!("{prefix}.get"), &cache.get);
    c.int_range(
        &format!("{prefix}.virtual_nodes"),
        u64::from(cache.virtual_nodes),
        1,
        1000,
        "points",
    );
}

/// A NoSQL store's own fields (`nosql`, or `more_nosql[i].nosql`, at `path`).
fn check_nosql(c: &mut Checker, path: &str, n: &NoSqlStore) {
    if n.kind.is_relational() {
        c.fail(
            &format!("{path}.kind"),
            "the NoSQL store must be key_value or document (the relational database is `database`)",
        );
    }
    c.range(&format!("{path}.share"), n.share, 0.0, 1.0, "");
    c.int_range(
        &format!("{path}.nodes"),
        u64::from(n.nodes),
        1,
        u64::from(MAX_NOSQL_NODES),
        "nodes",
    );
    c.int_range(
        &format!("{path}.workers"),
        u64::from(n.workers),
        1,
        10_000,
        "workers",
    );
    c.int_range(
        &format!("{path}.queue_capacity"),
        u64::from(n.queue_capacity),
        0,
        1_000_000,
        "requests",
    );
    c.dist(&format!("{path}.read"), &n.read);
    c.dist(&format!("{path}.write"), &n.write);
}

/// Whether the component called `name` (a stack's own name, or `<data center>/<name>`) is a
/// node that does work at a queue of workers, which a slow fault can slow down: a web server,
/// a database, cache or NoSQL node, or the session store.
pub fn can_be_slow(name: &str) -> bool {
    let own = name.rsplit('/').next().unwrap_or(name);
    let numbered = |prefix: &str| {
        own.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let db_node = own
        .rsplit_once("db-")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    own == "sessions" || numbered("web-") || numbered("cache-") || numbered("nosql-") || db_node
}

impl Scenario {
    /// A partition needs two different data centers of a stage-11 scenario; `peer` belongs to
    /// partitions only.
    fn validate_partition(&self, c: &mut Checker, path: &str, fault: &Fault) {
        let is_dc = |name: &str| {
            self.geo
                .as_ref()
                .is_some_and(|g| g.data_centers.iter().any(|d| d.name == name))
        };
        match (fault.kind, fault.peer.as_deref()) {
            (FaultKind::Partition, None) => c.fail(
                &format!("{path}.peer"),
                "a partition needs a peer: the other data center (the network between target and peer is cut)",
            ),
            (FaultKind::Partition, Some(peer)) => {
                if !is_dc(&fault.target) {
                    c.fail(
                        &format!("{path}.target"),
                        "a partition cuts the network between two data centers: the target must be one (stage 11)",
                    );
                }
                if !is_dc(peer) || peer == fault.target {
                    c.fail(
                        &format!("{path}.peer"),
                        format!(
                            "'{}' is not another data center of this scenario",
                            peer.chars().take(40).collect::<String>()
                        ),
                    );
                }
            }
            (_, Some(_)) => c.fail(
                &format!("{path}.peer"),
                "a peer belongs to a partition: add \"kind\": \"partition\" or remove it",
            ),
            (_, None) => {}
        }
    }

    /// A slow fault needs a factor within bounds and a target that serves requests; a down
    /// fault takes no factor.
    fn validate_slow_fault(&self, c: &mut Checker, path: &str, fault: &Fault) {
        match (fault.kind, fault.error_ratio) {
            (FaultKind::Errors, None) => c.fail(
                &format!("{path}.error_ratio"),
                "an error fault needs an error_ratio: the share of requests it fails (e.g. 0.3)",
            ),
            (FaultKind::Errors, Some(share)) => {
                c.range(&format!("{path}.error_ratio"), share, 0.0, 1.0, "");
            }
            (_, Some(_)) => c.fail(
                &format!("{path}.error_ratio"),
                "an error_ratio belongs to an error fault: add \"kind\": \"errors\" or remove it",
            ),
            (_, None) => {}
        }
        // A registered component (`limiter`, `us-east/gateway`) may be slowed if its kind
        // can be: its kind says so (an API gateway holds requests longer; a rate limiter
        // holds none, so a slowdown would change nothing, and is refused with that reason).
        let own = fault.target.rsplit('/').next().unwrap_or(&fault.target);
        let plug = self.plugs.iter().find(|p| p.name == own);
        if let (FaultKind::Slow, Some(p)) = (fault.kind, plug) {
            if !p.params.can_be_slowed() {
                c.fail(
                    &format!("{path}.target"),
                    format!(
                        "'{}' cannot be slow: {} holds no request (it lets each one on or turns it away at once), so a slowdown would change nothing; kill it, or slow the servers behind it",
                        fault.target.chars().take(40).collect::<String>(),
                        p.params.kind().phrase()
                    ),
                );
            }
        } else if matches!(fault.kind, FaultKind::Slow | FaultKind::Errors)
            && !can_be_slow(&fault.target)
            && !self.is_more_cache_node(&fault.target)
            && !self.is_more_web_node(&fault.target)
            && !self.is_more_db_node(&fault.target)
            && !self.is_more_nosql_node(&fault.target)
        {
            c.fail(
                &format!("{path}.target"),
                format!(
                    "'{}' cannot be slow or fail requests: only a web server, a database, cache or NoSQL node or the session store serves requests",
                    fault.target.chars().take(40).collect::<String>()
                ),
            );
        }
        match (fault.kind, fault.factor) {
            (FaultKind::Down | FaultKind::Errors | FaultKind::Partition, None) => {}
            (FaultKind::Down | FaultKind::Errors | FaultKind::Partition, Some(_)) => c.fail(
                &format!("{path}.factor"),
                "a factor belongs to a slow fault: add \"kind\": \"slow\" or remove it",
            ),
            (FaultKind::Slow, None) => c.fail(
                &format!("{path}.factor"),
                "a slow fault needs a factor: how many times slower the node serves (e.g. 8)",
            ),
            (FaultKind::Slow, Some(factor)) => {
                c.range(
                    &format!("{path}.factor"),
                    factor,
                    1.0,
                    super::MAX_SLOW_FACTOR,
                    "times",
                );
            }
        }
    }
}
