//! Scenario ⇄ graph. [`Scenario::topology`] compiles any valid stage-based scenario into a
//! graph; [`Topology::lower`] turns a valid graph back into the scenario the engine runs, each
//! optional tier from its node. Compiling then lowering gives back the very same scenario.
//!
//! ```text
//!   Scenario ──topology()──▶ TopologyFile { run settings, Topology }
//!       ▲                                        │
//!       └──────────── lower() (check first) ◀────┘
//! ```

use super::rules::wire;
use super::{
    BalancerParams, DataCenterParams, Edge, Flow, GeoDnsParams, Node, NodeKind, NodeSpec,
    QueueParams, SessionParams, Topology, TopologyFile, UsersParams, WorkersParams,
    TOPOLOGY_VERSION,
};
use crate::scenario::{
    DataCenter, Deploy, Geo, GeoRouting, JobQueue, NamedCache, NamedDatabase, NamedNoSql,
    NamedWebPool, Problem, Routes, Scenario, SessionMode, Sessions, ValidationErrors,
};

const PV: Flow = Flow::PageView;
const AR: Flow = Flow::ApiRead;
const SA: Flow = Flow::StaticAsset;

/// The stage a scenario is shown as when its file does not say: that of its most advanced
/// part (several data centers: 11, shards: 10, monitoring: 9, a queue: 8, sessions or
/// autoscaling: 7, a CDN: 6, a cache: 5, replicas: 4, a load balancer: 3, a database: 2).
pub fn infer_stage(s: &Scenario) -> u8 {
    let replicas = s.database.as_ref().is_some_and(|d| d.replicas > 0);
    [
        (s.geo.is_some(), 11),
        (s.sharding.is_some(), 10),
        (s.monitoring.is_some(), 9),
        (s.queue.is_some(), 8),
        (s.sessions.is_some() || s.autoscaling.is_some(), 7),
        (s.cdn.is_some(), 6),
        (s.cache.is_some(), 5),
        (replicas, 4),
        (s.load_balancer.is_some(), 3),
        (s.database.is_some(), 2),
    ]
    .into_iter()
    .find(|(has, _)| *has)
    .map_or(1, |(_, stage)| stage)
}

/// Builds the node list, keeping names unique (data centers keep theirs: they name the
/// engine's components).
struct Builder {
    nodes: Vec<Node>,
    reserved: Vec<String>,
}

impl Builder {
    /// Adds a node named `base` (or `base-2`, `base-3`… if taken) and returns its name.
    fn add(&mut self, base: &str, spec: NodeSpec) -> String {
        let taken = |n: &str, b: &Builder| {
            b.reserved.iter().any(|r| r == n) || b.nodes.iter().any(|x| x.name == n)
        };
        let mut name = base.to_string();
        let mut k = 2;
        while taken(&name, self) {
            name = format!("{base}-{k}");
            k += 1;
        }
        self.nodes.push(Node {
            name: name.clone(),
            spec,
        });
        name
    }
}

impl Scenario {
    /// This scenario as a graph (nodes named after their tier: `users`, `dns`, `lb`, `web`,
    /// `cache`, `db`…, data centers by their names).
    pub fn topology(&self) -> Topology {
        let s = self;
        let mut b = Builder {
            nodes: Vec::new(),
            reserved: s
                .geo
                .iter()
                .flat_map(|g| g.data_centers.iter().map(|d| d.name.clone()))
                .chain(s.more_caches.iter().map(|m| m.name.clone()))
                .chain(s.more_web_pools.iter().map(|m| m.name.clone()))
                .chain(s.more_databases.iter().map(|m| m.name.clone()))
                .chain(s.plugs.iter().map(|p| p.name.clone()))
                .chain(s.more_nosql.iter().map(|m| m.name.clone()))
                .collect(),
        };
        let mut edges: Vec<Edge> = Vec::new();
        let users = b.add(
            "users",
            NodeSpec::Users(UsersParams {
                traffic: s.traffic.clone(),
                network: s.network.clone(),
            }),
        );
        let mut entries: Vec<String> = Vec::new();
        let dns = match &s.geo {
            Some(g) => {
                let dns = b.add(
                    "dns",
                    NodeSpec::GeoDns(GeoDnsParams {
                        dns: s.dns.clone(),
                        regions: g.regions.clone(),
                        rtt_ms: g.rtt_ms.clone(),
                        routing: g.routing,
                        health_interval_ms: g.health_interval_ms,
                        unhealthy_after: g.unhealthy_after,
                        healthy_after: g.healthy_after,
                        replication_writes_per_s: g.replication_writes_per_s,
                    }),
                );
                for (i, d) in g.data_centers.iter().enumerate() {
                    b.nodes.push(Node {
                        name: d.name.clone(),
                        spec: NodeSpec::DataCenter(DataCenterParams {
                            region: d.region.clone(),
                            split_share: (g.routing == GeoRouting::Split)
                                .then(|| g.split_share.get(i).copied())
                                .flatten(),
                            set: d.set.clone(),
                        }),
                    });
                    wire(&mut edges, &dns, &d.name, &Flow::REQUESTS);
                    entries.push(d.name.clone());
                }
                dns
            }
            None => {
                let dns = b.add("dns", NodeSpec::Dns(s.dns.clone()));
                entries.push(dns.clone());
                dns
            }
        };
        wire(&mut edges, &users, &dns, &Flow::REQUESTS);
        let cdn = s
            .cdn
            .as_ref()
            .map(|c| b.add("cdn", NodeSpec::CdnEdge(c.clone())));
        let sticky = s
            .sessions
            .as_ref()
            .filter(|x| x.mode == SessionMode::Sticky);
        let lb = s.load_balancer.as_ref().map(|lb| {
            b.add(
                "lb",
                NodeSpec::LoadBalancer(BalancerParams {
                    balancer: lb.clone(),
                    sticky_sessions: sticky.map(session_params),
                }),
            )
        });
        let web = b.add("web", NodeSpec::WebPool(s.server.clone()));
        // Every web pool's node: the first (`web`), then the further ones by their names.
        let mut pools = vec![web.clone()];
        for m in &s.more_web_pools {
            b.nodes.push(Node {
                name: m.name.clone(),
                spec: NodeSpec::WebPool(m.server.clone()),
            });
            pools.push(m.name.clone());
        }
        // Wires each web pool to `to` for those of `flows` it serves.
        let from_pools = |edges: &mut Vec<Edge>, to: &str, flows: &[Flow]| {
            for (p, pool) in pools.iter().enumerate() {
                let own: Vec<Flow> = flows
                    .iter()
                    .copied()
                    .filter(|&f| s.web_pool_of(f) == p)
                    .collect();
                // (One pool is wired as it always was, even with no flow.)
                if pools.len() == 1 || !own.is_empty() {
                    wire(edges, pool, to, &own);
                }
            }
        };
        let front = lb.clone().unwrap_or_else(|| web.clone());
        for e in &entries {
            wire(&mut edges, e, &front, &Flow::DATA);
            match &cdn {
                Some(cdn) => wire(&mut edges, e, cdn, &[SA]),
                None => wire(&mut edges, e, &front, &[SA]),
            }
        }
        if let Some(cdn) = &cdn {
            wire(&mut edges, cdn, &front, &[SA]);
        }
        if let Some(lb) = &lb {
            for (p, pool) in pools.iter().enumerate() {
                let own: Vec<Flow> = Flow::REQUESTS
                    .into_iter()
                    .filter(|&f| s.web_pool_of(f) == p)
                    .collect();
                if pools.len() == 1 || !own.is_empty() {
                    wire(&mut edges, lb, pool, &own);
                }
            }
        }
        if let Some(x) = s
            .sessions
            .as_ref()
            .filter(|x| x.mode == SessionMode::SharedStore)
        {
            let store = b.add("sessions", NodeSpec::SessionStore(session_params(x)));
            for pool in &pools {
                wire(&mut edges, pool, &store, &[Flow::Session]);
            }
        }
        let cache = s
            .cache
            .as_ref()
            .map(|c| b.add("cache", NodeSpec::Cache(c.clone())));
        let router = s
            .sharding
            .as_ref()
            .map(|sh| b.add("shards", NodeSpec::ShardRouter(sh.clone())));
        // Where the first database's requests enter (its shard router, or itself).
        let mut first_store = None;
        if let Some(db) = &s.database {
            let db = b.add("db", NodeSpec::Database(db.clone()));
            let store = router.clone().unwrap_or_else(|| db.clone());
            first_store = Some(store.clone());
            // Each further database, behind its own shard router if it has one.
            let mut further: Vec<String> = Vec::new();
            for m in &s.more_databases {
                if let (Some(sh), Some(router)) = (&m.sharding, m.router_name()) {
                    b.nodes.push(Node {
                        name: router.clone(),
                        spec: NodeSpec::ShardRouter(sh.clone()),
                    });
                    further.push(router);
                } else {
                    further.push(m.name.clone());
                }
                b.nodes.push(Node {
                    name: m.name.clone(),
                    spec: NodeSpec::Database(m.database.clone()),
                });
            }
            // Each data request to the database that stores it, or to the shard router in
            // front of it (`store`: the first one).
            let stores: Vec<&str> = std::iter::once(store.as_str())
                .chain(further.iter().map(String::as_str))
                .collect();
            let to_stores = |edges: &mut Vec<Edge>, from: &str, flows: &[Flow]| {
                if s.more_databases.is_empty() {
                    wire(edges, from, &store, flows);
                }
                for &f in flows.iter().filter(|_| !s.more_databases.is_empty()) {
                    wire(edges, from, stores[s.store_of(f)], &[f]);
                }
            };
            // Each web pool's own flows of `flows` straight to their stores.
            let pools_to_stores = |edges: &mut Vec<Edge>, flows: &[Flow]| {
                for (p, pool) in pools.iter().enumerate() {
                    let own: Vec<Flow> = flows
                        .iter()
                        .copied()
                        .filter(|&f| s.web_pool_of(f) == p)
                        .collect();
                    if pools.len() == 1 || !own.is_empty() {
                        to_stores(edges, pool, &own);
                    }
                }
            };
            match &cache {
                Some(cache) => {
                    let more = |f: Flow| s.more_caches.iter().any(|m| m.fronts.contains(&f));
                    let (cached, direct): (Vec<Flow>, Vec<Flow>) = Flow::DATA
                        .iter()
                        .filter(|&&f| !more(f))
                        .partition(|&&f| s.cache_fronts(f));
                    from_pools(&mut edges, cache, &cached);
                    to_stores(&mut edges, cache, &cached);
                    for m in &s.more_caches {
                        b.nodes.push(Node {
                            name: m.name.clone(),
                            spec: NodeSpec::Cache(m.cache.clone()),
                        });
                        let fronts: Vec<Flow> = Flow::DATA
                            .into_iter()
                            .filter(|f| m.fronts.contains(f))
                            .collect();
                        from_pools(&mut edges, &m.name, &fronts);
                        to_stores(&mut edges, &m.name, &fronts);
                    }
                    pools_to_stores(&mut edges, &direct);
                }
                None => pools_to_stores(&mut edges, &Flow::DATA),
            }
            if let Some(router) = &router {
                // The router splits the first database's data: the kinds stored there.
                let sharded: Vec<Flow> = Flow::DATA
                    .into_iter()
                    .filter(|&f| s.store_of(f) == 0)
                    .collect();
                wire(&mut edges, router, &db, &sharded);
            }
            // Each further router splits the data of the database behind it.
            for (m, router) in s.more_databases.iter().zip(&further) {
                if *router != m.name {
                    let takes: Vec<Flow> = (Flow::DATA.into_iter())
                        .filter(|f| m.takes.contains(f))
                        .collect();
                    wire(&mut edges, router, &m.name, &takes);
                }
            }
        }
        if let Some(n) = &s.nosql {
            let n = b.add("nosql", NodeSpec::NoSql(n.clone()));
            let taken: Vec<Flow> = Flow::DATA
                .into_iter()
                .filter(|&f| s.nosql_takes(f))
                .collect();
            from_pools(&mut edges, &n, &taken);
            for m in &s.more_nosql {
                b.nodes.push(Node {
                    name: m.name.clone(),
                    spec: NodeSpec::NoSql(m.nosql.clone()),
                });
                let takes: Vec<Flow> = Flow::DATA
                    .into_iter()
                    .filter(|f| m.takes.contains(f))
                    .collect();
                from_pools(&mut edges, &m.name, &takes);
            }
        }
        if let Some(q) = &s.queue {
            let queue = b.add(
                "queue",
                NodeSpec::Queue(QueueParams {
                    jobs_per_write: q.jobs_per_write,
                    max_depth: q.max_depth,
                }),
            );
            let workers = b.add(
                "workers",
                NodeSpec::Workers(WorkersParams {
                    workers: q.workers,
                    job: q.job.clone(),
                    autoscale: q.autoscale.clone(),
                }),
            );
            let writer = &pools[s.web_pool_of(Flow::Write)];
            wire(&mut edges, writer, &queue, &[Flow::Job]);
            wire(&mut edges, &queue, &workers, &[Flow::Job]);
            if let Some(store) = first_store.as_deref().filter(|_| q.job_writes_to_db) {
                wire(&mut edges, &workers, store, &[Flow::Job]);
            }
        }
        if let Some(a) = &s.autoscaling {
            let a = b.add("autoscaler", NodeSpec::Autoscaler(a.clone()));
            wire(&mut edges, &a, &web, &[Flow::Control]);
        }
        for m in &s.more_web_pools {
            if let Some(a) = &m.autoscaling {
                let a = b.add(
                    &format!("{}-autoscaler", m.name),
                    NodeSpec::Autoscaler(a.clone()),
                );
                wire(&mut edges, &a, &m.name, &[Flow::Control]);
            }
        }
        if let Some(d) = &s.deploy {
            // The pool it rolls is the one it is wired to (validation made sure it names one).
            let pool = match s.deploy_pool() {
                Some(n) if n > 0 => s.more_web_pools[n - 1].name.clone(),
                _ => web.clone(),
            };
            let spec = Deploy {
                pool: None,
                ..d.clone()
            };
            let d = b.add("deploy", NodeSpec::Deploy(spec));
            wire(&mut edges, &d, &pool, &[Flow::Control]);
        }
        if let Some(m) = &s.monitoring {
            b.add("monitor", NodeSpec::Monitor(m.clone()));
        }
        for p in &s.plugs {
            stand_in_front(&mut b.nodes, &mut edges, p);
        }
        Topology {
            version: TOPOLOGY_VERSION,
            nodes: b.nodes,
            edges,
            positions: Default::default(),
        }
    }

    /// This scenario in the graph file form (its run settings and its graph).
    pub fn topology_file(&self) -> TopologyFile {
        TopologyFile {
            version: self.version,
            name: self.name.clone(),
            stage: Some(self.stage),
            seed: self.seed,
            duration_s: self.duration_s,
            metrics_interval_ms: self.metrics_interval_ms,
            faults: self.faults.clone(),
            topology: self.topology(),
        }
    }
}

/// Puts the registered kind's node `p` in front of the node it names: every request wire into
/// that node from a kind `p` may be fed by goes to `p` instead, and `p` passes those requests
/// on to it (the inverse of [`Topology::without_plugs`]).
fn stand_in_front(nodes: &mut Vec<Node>, edges: &mut Vec<Edge>, p: &crate::scenario::PlugNode) {
    let fed_by = p.params.kind().fed_by();
    let kind_of =
        |nodes: &[Node], name: &str| nodes.iter().find(|n| n.name == name).map(|n| n.spec.kind());
    let mut passed: Vec<Flow> = Vec::new();
    for e in edges.iter_mut() {
        let feeds = kind_of(nodes, &e.from).is_some_and(|k| fed_by.contains(&k));
        if e.to == p.fronts && feeds && e.flows.iter().all(|f| Flow::REQUESTS.contains(f)) {
            e.to = p.name.clone();
            passed.extend(e.flows.iter().copied());
        }
    }
    nodes.push(Node {
        name: p.name.clone(),
        spec: NodeSpec::Plug(p.params.clone()),
    });
    let flows: Vec<Flow> = Flow::REQUESTS
        .into_iter()
        .filter(|f| passed.contains(f))
        .collect();
    if !flows.is_empty() {
        wire(edges, &p.name, &p.fronts, &flows);
    }
}

fn session_params(x: &Sessions) -> SessionParams {
    SessionParams {
        store_workers: x.store_workers,
        store_get: x.store_get.clone(),
    }
}

fn sessions(mode: SessionMode, p: &SessionParams) -> Sessions {
    Sessions {
        mode,
        store_workers: p.store_workers,
        store_get: p.store_get.clone(),
    }
}

impl TopologyFile {
    /// The scenario the engine runs: the graph lowered, checked by [`Topology::check`] and
    /// [`Scenario::validate`] (whose problems name the node they concern).
    pub fn lower(&self) -> Result<Scenario, ValidationErrors> {
        self.topology.check()?;
        let contracted = self.topology.without_plugs();
        let t = &contracted;
        let spec = |kind: NodeKind| t.nodes.iter().map(|n| &n.spec).find(|s| s.kind() == kind);
        let first_pool = first_of_kind(t, NodeKind::WebPool, "web");
        let (Some(NodeSpec::Users(users)), Some(NodeSpec::WebPool(server))) =
            (spec(NodeKind::Users), first_pool.map(|i| &t.nodes[i].spec))
        else {
            return Err(ValidationErrors::single(
                "topology",
                "a graph needs users and a web pool",
            ));
        };
        let mut s = Scenario {
            version: self.version,
            name: self.name.clone(),
            stage: 1,
            seed: self.seed,
            duration_s: self.duration_s,
            metrics_interval_ms: self.metrics_interval_ms,
            traffic: users.traffic.clone(),
            dns: crate::scenario::Dns {
                lookup_ms: 0.0,
                ttl_s: 0,
            },
            network: users.network.clone(),
            server: server.clone(),
            load_balancer: None,
            database: None,
            cache: None,
            cdn: None,
            sessions: None,
            autoscaling: None,
            queue: None,
            sharding: None,
            monitoring: None,
            nosql: None,
            deploy: None,
            more_caches: Vec::new(),
            more_web_pools: Vec::new(),
            more_databases: Vec::new(),
            plugs: Vec::new(),
            more_nosql: Vec::new(),
            routes: None,
            geo: None,
            faults: self.faults.clone(),
        };
        let mut split = Vec::new();
        let mut data_centers = Vec::new();
        let mut problems = Vec::new();
        for (i, node) in t.nodes.iter().enumerate() {
            match &node.spec {
                NodeSpec::Users(_) => {}
                NodeSpec::WebPool(_) if Some(i) == first_pool => {}
                NodeSpec::WebPool(server) => s.more_web_pools.push(NamedWebPool {
                    name: node.name.clone(),
                    serves: sent_to(t, &node.name),
                    server: server.clone(),
                    autoscaling: autoscaler_of(t, &node.name),
                }),
                NodeSpec::Dns(d) => s.dns = d.clone(),
                NodeSpec::GeoDns(g) => s.dns = g.dns.clone(),
                NodeSpec::DataCenter(d) => {
                    data_centers.push(DataCenter {
                        name: node.name.clone(),
                        region: d.region.clone(),
                        set: d.set.clone(),
                    });
                    split.push((i, d.split_share));
                }
                NodeSpec::CdnEdge(c) => s.cdn = Some(c.clone()),
                NodeSpec::LoadBalancer(p) => {
                    s.load_balancer = Some(p.balancer.clone());
                    if let Some(x) = &p.sticky_sessions {
                        s.sessions = Some(sessions(SessionMode::Sticky, x));
                    }
                }
                NodeSpec::SessionStore(p) => {
                    s.sessions = Some(sessions(SessionMode::SharedStore, p));
                }
                NodeSpec::Cache(c) if Some(i) == first_cache(t) => s.cache = Some(c.clone()),
                NodeSpec::Cache(c) => s.more_caches.push(NamedCache {
                    name: node.name.clone(),
                    fronts: web_sends_to(t, &node.name, &[PV, AR]),
                    cache: c.clone(),
                }),
                NodeSpec::ShardRouter(r) if Some(i) == first_router(t) => {
                    s.sharding = Some(r.clone())
                }
                // A further router lowers into the entry of the database behind it (below).
                NodeSpec::ShardRouter(_) => {}
                NodeSpec::Database(d) if Some(i) == first_database(t) => {
                    s.database = Some(d.clone());
                }
                NodeSpec::Database(d) => {
                    let router = router_of(t, i);
                    s.more_databases.push(NamedDatabase {
                        name: node.name.clone(),
                        takes: stored_in(t, &node.name),
                        database: d.clone(),
                        sharding: router.map(|(_, sh)| sh.clone()),
                        router: router.map(|(name, _)| name.to_string()),
                    })
                }
                NodeSpec::NoSql(n) if Some(i) == first_nosql(t) => s.nosql = Some(n.clone()),
                NodeSpec::NoSql(n) => s.more_nosql.push(NamedNoSql {
                    name: node.name.clone(),
                    takes: web_sends_to(t, &node.name, &Flow::DATA),
                    nosql: n.clone(),
                }),
                NodeSpec::Queue(_) | NodeSpec::Workers(_) => {}
                // An autoscaler controlling a further pool is that pool's (above).
                NodeSpec::Autoscaler(a) if controls(t, &node.name) == first_pool => {
                    s.autoscaling = Some(a.clone())
                }
                NodeSpec::Autoscaler(_) => {}
                // The pool it rolls is the one it is wired to, named unless it is the first.
                NodeSpec::Deploy(d) => {
                    let pool = controls(t, &node.name)
                        .filter(|&p| Some(p) != first_pool)
                        .map(|p| t.nodes[p].name.clone());
                    s.deploy = Some(Deploy { pool, ..d.clone() });
                }
                NodeSpec::Monitor(m) => s.monitoring = Some(m.clone()),
                // Taken off the wires in `t`: where it stands is read from the whole graph.
                NodeSpec::Plug(p) => {
                    let whole = &self.topology;
                    // The scenario names the balancer `lb` and the first web pool `web`,
                    // whatever the graph calls them; further pools keep their names.
                    let fronts = (whole.plug_nodes().into_iter())
                        .find(|&(at, _)| at == i)
                        .and_then(|(_, f)| f)
                        .map(|f| {
                            let node = &whole.nodes[f];
                            let first = t.nodes.iter().position(|n| n.name == node.name);
                            match node.spec.kind() {
                                NodeKind::LoadBalancer => "lb".to_string(),
                                NodeKind::WebPool if first == first_pool => "web".to_string(),
                                _ => node.name.clone(),
                            }
                        })
                        .unwrap_or_default();
                    s.plugs.push(crate::scenario::PlugNode {
                        name: node.name.clone(),
                        fronts,
                        params: p.clone(),
                    });
                }
            }
        }
        if let (Some(NodeSpec::Queue(q)), Some(NodeSpec::Workers(w))) =
            (spec(NodeKind::Queue), spec(NodeKind::Workers))
        {
            s.queue = Some(JobQueue {
                jobs_per_write: q.jobs_per_write,
                max_depth: q.max_depth,
                workers: w.workers,
                job: w.job.clone(),
                autoscale: w.autoscale.clone(),
                job_writes_to_db: t.edges.iter().any(|e| {
                    e.flows.contains(&Flow::Job)
                        && t.node(&e.from).map(|n| n.spec.kind()) == Some(NodeKind::Workers)
                }),
            });
        }
        if let Some(NodeSpec::GeoDns(g)) = spec(NodeKind::GeoDns) {
            // `check` made sure every data center has its share exactly with `split`.
            let split_share: Vec<f64> = split.iter().filter_map(|&(_, p)| p).collect();
            s.geo = Some(Geo {
                regions: g.regions.clone(),
                rtt_ms: g.rtt_ms.clone(),
                data_centers,
                routing: g.routing,
                split_share,
                health_interval_ms: g.health_interval_ms,
                unhealthy_after: g.unhealthy_after,
                healthy_after: g.healthy_after,
                replication_writes_per_s: g.replication_writes_per_s,
            });
        }
        problems.extend(sessions_from_every_pool(t));
        s.routes = routes(t);
        s.stage = self.stage.unwrap_or_else(|| infer_stage(&s));
        if let Err(e) = s.validate() {
            problems.extend(e.0.into_iter().map(|p| locate(t, p)));
        }
        if problems.is_empty() {
            Ok(s)
        } else {
            Err(ValidationErrors(problems))
        }
    }
}

/// The ways a checked graph's edges send the data requests, where they are not the usual ones
/// (`None`: page views and API reads both through the cache, NoSQL taking a share of all three).
fn routes(t: &Topology) -> Option<Routes> {
    // The first cache's reads, where not every read the further caches leave it.
    let more: Vec<&str> = further_caches(t)
        .map(|i| t.nodes[i].name.as_str())
        .collect();
    let cached = first_cache(t).and_then(|first| {
        let first = t.nodes[first].name.as_str();
        let left: Vec<Flow> = [PV, AR]
            .into_iter()
            .filter(|&f| more.iter().all(|m| !web_sends_to(t, m, &[f]).contains(&f)))
            .collect();
        let list = web_sends_to(t, first, &left);
        (list.len() < left.len()).then_some(list)
    });
    // The first NoSQL store's share, where it is not of every kind the further ones leave it.
    let more: Vec<&str> = further_nosql(t).map(|i| t.nodes[i].name.as_str()).collect();
    let nosql = first_nosql(t).and_then(|first| {
        let left: Vec<Flow> = (Flow::DATA.into_iter())
            .filter(|&f| more.iter().all(|m| !web_sends_to(t, m, &[f]).contains(&f)))
            .collect();
        let list = web_sends_to(t, &t.nodes[first].name, &left);
        (list.len() < left.len()).then_some(list)
    });
    let r = Routes { cached, nosql };
    (r != Routes::default()).then_some(r)
}

/// The node of `kind` named `name` if there is one, else the first of that kind in node order
/// (the web pool that lowers to the scenario's `server`: the others to `more_web_pools`).
fn first_of_kind(t: &Topology, kind: NodeKind, name: &str) -> Option<usize> {
    let all = || {
        t.nodes
            .iter()
            .enumerate()
            .filter(move |(_, n)| n.spec.kind() == kind)
    };
    all()
        .find(|(_, n)| n.name == name)
        .or_else(|| all().next())
        .map(|(i, _)| i)
}

/// The request kinds the graph sends to the node named `to` (what a further web pool
/// serves), in the order of [`Flow::REQUESTS`].
fn sent_to(t: &Topology, to: &str) -> Vec<Flow> {
    Flow::REQUESTS
        .into_iter()
        .filter(|f| t.edges.iter().any(|e| e.to == to && e.flows.contains(f)))
        .collect()
}

/// The node the control node `name` (an autoscaler or a deploy) controls.
fn controls(t: &Topology, name: &str) -> Option<usize> {
    let e = t
        .edges
        .iter()
        .find(|e| e.from == name && e.flows.contains(&Flow::Control))?;
    t.nodes.iter().position(|n| n.name == e.to)
}

/// The autoscaling group of the web pool named `pool`: the autoscaler controlling it.
fn autoscaler_of(t: &Topology, pool: &str) -> Option<crate::scenario::Autoscaling> {
    t.nodes.iter().find_map(|n| match &n.spec {
        NodeSpec::Autoscaler(a)
            if controls(t, &n.name).is_some_and(|i| t.nodes[i].name == pool) =>
        {
            Some(a.clone())
        }
        _ => None,
    })
}

/// With a session store and several web pools, every pool reads sessions from it (the
/// scenario has one session setting for all): one problem per pool that does not.
fn sessions_from_every_pool(t: &Topology) -> Vec<Problem> {
    let kind = |name: &str| {
        t.nodes
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.spec.kind())
    };
    let pools: Vec<usize> = (0..t.nodes.len())
        .filter(|&i| t.nodes[i].spec.kind() == NodeKind::WebPool)
        .collect();
    let reads = |i: usize| {
        t.edges.iter().any(|e| {
            e.from == t.nodes[i].name
                && e.flows.contains(&Flow::Session)
                && kind(&e.to) == Some(NodeKind::SessionStore)
        })
    };
    if pools.len() < 2 || !pools.iter().any(|&i| reads(i)) {
        return Vec::new();
    }
    pools
        .into_iter()
        .filter(|&i| !reads(i))
        .map(|i| {
            node_problem(
                t,
                i,
                "",
                "with a session store every web pool reads its sessions there: wire it to the session store (session)",
            )
        })
        .collect()
}

/// The cache node that lowers to the scenario's `cache` (the others to `more_caches`): the one
/// named `cache` if there is one (its nodes are `cache-0`…, so no other may be), else the
/// first in node order.
fn first_cache(t: &Topology) -> Option<usize> {
    let caches = || {
        t.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.spec.kind() == NodeKind::Cache)
    };
    caches()
        .find(|(_, n)| n.name == "cache")
        .or_else(|| caches().next())
        .map(|(i, _)| i)
}

impl Topology {
    /// What the engine names the nodes of the cache node `name` after (`cache` for the one
    /// that lowers to the scenario's `cache`: `cache-0`, `cache-1`…; its own name for a
    /// further cache: `<name>-0`…); `None` if `name` is not a cache node.
    pub fn cache_stem(&self, name: &str) -> Option<&str> {
        let i = self.nodes.iter().position(|n| n.name == name)?;
        if self.nodes[i].spec.kind() != NodeKind::Cache {
            return None;
        }
        Some(if Some(i) == first_cache(self) {
            "cache"
        } else {
            self.nodes[i].name.as_str()
        })
    }
}

impl Topology {
    /// What the engine names the nodes of the database node `name` after (`db` for the one
    /// that lowers to the scenario's `database`: `db-0`, `db-1`…; its own name for a further
    /// database: `<name>-0`…); `None` if `name` is not a database node.
    pub fn database_stem(&self, name: &str) -> Option<&str> {
        let i = self.nodes.iter().position(|n| n.name == name)?;
        if self.nodes[i].spec.kind() != NodeKind::Database {
            return None;
        }
        Some(if Some(i) == first_database(self) {
            "db"
        } else {
            self.nodes[i].name.as_str()
        })
    }
}

/// The shard router node that lowers to the scenario's `sharding` (each other one into the
/// `more_databases` entry of the database behind it): the one named `shards` if there is
/// one, else the first in node order.
pub(super) fn first_router(t: &Topology) -> Option<usize> {
    first_of_kind(t, NodeKind::ShardRouter, "shards")
}

/// The shard router in front of database node `db`, as (its name, its sharding).
fn router_of(t: &Topology, db: usize) -> Option<(&str, &crate::scenario::Sharding)> {
    let name = t.nodes[db].name.as_str();
    t.nodes.iter().find_map(|n| match &n.spec {
        NodeSpec::ShardRouter(sh) if t.edges.iter().any(|e| e.from == n.name && e.to == name) => {
            Some((n.name.as_str(), sh))
        }
        _ => None,
    })
}

/// The database node that lowers to the scenario's `database` (the others to
/// `more_databases`): the one the first shard router sends to (the router splits its data),
/// else the one named `db` if there is one (its nodes are `db-0`…, so no other may be), else
/// the first in node order.
pub(super) fn first_database(t: &Topology) -> Option<usize> {
    let dbs = || {
        t.nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.spec.kind() == NodeKind::Database)
    };
    let first = first_router(t).map(|i| t.nodes[i].name.as_str());
    let sharded = |name: &str| {
        t.edges
            .iter()
            .any(|e| e.to == name && Some(e.from.as_str()) == first)
    };
    dbs()
        .find(|(_, n)| sharded(&n.name))
        .or_else(|| dbs().find(|(_, n)| n.name == "db"))
        .or_else(|| dbs().next())
        .map(|(i, _)| i)
}

/// The database nodes that lower to `more_databases`, in node order.
fn further_databases(t: &Topology) -> impl Iterator<Item = usize> + '_ {
    let first = first_database(t);
    (0..t.nodes.len())
        .filter(move |&i| t.nodes[i].spec.kind() == NodeKind::Database && Some(i) != first)
}

/// The data requests that reach the node named `to` (from a web pool or through a cache),
/// in the order of [`Flow::DATA`].
fn stored_in(t: &Topology, to: &str) -> Vec<Flow> {
    Flow::DATA
        .into_iter()
        .filter(|f| t.edges.iter().any(|e| e.to == to && e.flows.contains(f)))
        .collect()
}

impl Topology {
    /// What the engine names the servers of the web pool node `name` after (`web` for the one
    /// that lowers to the scenario's `server`: `web-0`, `web-1`…; its own name for a further
    /// pool: `<name>-0`…); `None` if `name` is not a web pool node.
    pub fn web_stem(&self, name: &str) -> Option<&str> {
        let i = self.nodes.iter().position(|n| n.name == name)?;
        if self.nodes[i].spec.kind() != NodeKind::WebPool {
            return None;
        }
        Some(
            if Some(i) == first_of_kind(self, NodeKind::WebPool, "web") {
                "web"
            } else {
                self.nodes[i].name.as_str()
            },
        )
    }
}

/// The NoSQL node that lowers to the scenario's `nosql` (the others to `more_nosql`): the one
/// named `nosql` if there is one (its nodes are `nosql-0`…, so no other may be), else the
/// first in node order.
fn first_nosql(t: &Topology) -> Option<usize> {
    first_of_kind(t, NodeKind::NoSql, "nosql")
}

/// The NoSQL nodes that lower to `more_nosql`, in node order.
fn further_nosql(t: &Topology) -> impl Iterator<Item = usize> + '_ {
    let first = first_nosql(t);
    (0..t.nodes.len())
        .filter(move |&i| t.nodes[i].spec.kind() == NodeKind::NoSql && Some(i) != first)
}

impl Topology {
    /// What the engine names the nodes of the NoSQL node `name` after (`nosql` for the one
    /// that lowers to the scenario's `nosql`: `nosql-0`, `nosql-1`…; its own name for a
    /// further store: `<name>-0`…); `None` if `name` is not a NoSQL node.
    pub fn nosql_stem(&self, name: &str) -> Option<&str> {
        let i = self.nodes.iter().position(|n| n.name == name)?;
        if self.nodes[i].spec.kind() != NodeKind::NoSql {
            return None;
        }
        Some(if Some(i) == first_nosql(self) {
            "nosql"
        } else {
            self.nodes[i].name.as_str()
        })
    }
}

/// The cache nodes that lower to `more_caches`, in node order.
fn further_caches(t: &Topology) -> impl Iterator<Item = usize> + '_ {
    let first = first_cache(t);
    (0..t.nodes.len())
        .filter(move |&i| t.nodes[i].spec.kind() == NodeKind::Cache && Some(i) != first)
}

/// Which of `flows` a web pool sends to the node named `to`, in the order of `flows`.
fn web_sends_to(t: &Topology, to: &str, flows: &[Flow]) -> Vec<Flow> {
    let web = |name: &str| {
        t.nodes
            .iter()
            .any(|n| n.name == name && n.spec.kind() == NodeKind::WebPool)
    };
    flows
        .iter()
        .copied()
        .filter(|f| {
            t.edges
                .iter()
                .any(|e| e.to == to && web(&e.from) && e.flows.contains(f))
        })
        .collect()
}

/// A list entry's number and the path after it: `[2].cache.ttl_s` → (2, `.cache.ttl_s`).
fn list_entry(rest: &str) -> Option<(usize, &str)> {
    let (n, tail) = rest.strip_prefix('[')?.split_once(']')?;
    Some((n.parse().ok()?, tail))
}

/// The path inside a further instance's parameters (`spec`: `.cache`, `.database`), or nothing
/// for the entry's own fields (`own`: its name and flows, which the graph says with wires).
fn spec_field<'a>(tail: &'a str, spec: &str, own: &[&str]) -> &'a str {
    let tail = tail.strip_prefix(spec).unwrap_or(tail);
    match own.iter().any(|f| tail.starts_with(f)) {
        true => "",
        false => tail,
    }
}

fn node_problem(t: &Topology, i: usize, suffix: &str, message: &str) -> Problem {
    let node = &t.nodes[i];
    Problem {
        path: format!("topology.nodes[{i}].params{suffix}"),
        message: format!(
            "{} `{}`: {message}",
            node.spec.kind().name(),
            super::rules::shown(&node.name)
        ),
    }
}

/// The scenario field a node's parameter lowers to (its path in [`crate::scenario::FIELDS`]
/// and in [`Scenario::validate`]'s problems): the web pool's `workers` is `server.workers`.
/// `param` is the dotted path inside the node's `params`.
pub fn field_path(kind: NodeKind, param: &str) -> String {
    let prefix = match kind {
        NodeKind::Users => return param.to_string(),
        NodeKind::GeoDns if param.starts_with("dns.") => return param.to_string(),
        NodeKind::LoadBalancer => {
            if let Some(rest) = param.strip_prefix("sticky_sessions.") {
                return format!("sessions.{rest}");
            }
            "load_balancer"
        }
        NodeKind::Dns => "dns",
        NodeKind::GeoDns => "geo",
        NodeKind::DataCenter => "geo.data_centers[]",
        NodeKind::CdnEdge => "cdn",
        NodeKind::WebPool => "server",
        NodeKind::SessionStore => "sessions",
        NodeKind::Cache => "cache",
        NodeKind::ShardRouter => "sharding",
        NodeKind::Database => "database",
        NodeKind::NoSql => "nosql",
        NodeKind::Queue | NodeKind::Workers => "queue",
        NodeKind::Autoscaler => "autoscaling",
        NodeKind::Deploy => "deploy",
        NodeKind::Monitor => "monitoring",
        NodeKind::Plug(_) => "plugs[].params",
    };
    format!("{prefix}.{param}")
}

/// Moves a problem [`Scenario::validate`] found in a lowered scenario onto the node it
/// concerns (`cache.nodes` → the cache node's `params.nodes`); run settings keep their path.
fn locate(t: &Topology, p: Problem) -> Problem {
    let index_of = |kind: NodeKind| t.nodes.iter().position(|n| n.spec.kind() == kind);
    let (head, rest) = match p.path.find(['.', '[']) {
        Some(k) => (&p.path[..k], &p.path[k..]),
        None => (p.path.as_str(), ""),
    };
    let sticky = t
        .nodes
        .iter()
        .any(|n| matches!(&n.spec, NodeSpec::LoadBalancer(b) if b.sticky_sessions.is_some()));
    let target: Option<(NodeKind, String)> = match head {
        "traffic" | "network" => Some((NodeKind::Users, format!(".{head}{rest}"))),
        "dns" => {
            if index_of(NodeKind::GeoDns).is_some() {
                Some((NodeKind::GeoDns, format!(".dns{rest}")))
            } else {
                Some((NodeKind::Dns, rest.to_string()))
            }
        }
        "server" => {
            if let Some(i) = first_of_kind(t, NodeKind::WebPool, "web") {
                return node_problem(t, i, rest, &p.message);
            }
            None
        }
        "more_web_pools" => {
            let first = first_of_kind(t, NodeKind::WebPool, "web");
            let mut further = (0..t.nodes.len())
                .filter(|&i| t.nodes[i].spec.kind() == NodeKind::WebPool && Some(i) != first);
            let nth = list_entry(rest);
            let node = nth.and_then(|(n, tail)| further.nth(n).map(|i| (i, tail)));
            if let Some((i, tail)) = node {
                let tail: &str = tail.strip_prefix(".server").unwrap_or_default();
                return node_problem(t, i, tail, &p.message);
            }
            Some((NodeKind::WebPool, String::new()))
        }
        "load_balancer" => Some((NodeKind::LoadBalancer, rest.to_string())),
        "sessions" if sticky => Some((NodeKind::LoadBalancer, format!(".sticky_sessions{rest}"))),
        "sessions" => Some((NodeKind::SessionStore, rest.to_string())),
        "database" => {
            if let Some(i) = first_database(t) {
                return node_problem(t, i, rest, &p.message);
            }
            Some((NodeKind::Database, rest.to_string()))
        }
        "more_databases" => {
            let nth = list_entry(rest);
            let node = nth.and_then(|(n, tail)| further_databases(t).nth(n).map(|i| (i, tail)));
            if let Some((i, tail)) = node {
                // Its sharding is the router's in front of it.
                let router = (t
                    .nodes
                    .iter()
                    .position(|n| router_of(t, i).is_some_and(|r| r.0 == n.name)))
                .filter(|_| tail.starts_with(".sharding") || tail.starts_with(".router"));
                if let Some(r) = router {
                    let tail = tail.strip_prefix(".sharding").unwrap_or_default();
                    return node_problem(t, r, tail, &p.message);
                }
                let tail = spec_field(tail, ".database", &[".name", ".takes"]);
                return node_problem(t, i, tail, &p.message);
            }
            Some((NodeKind::Database, String::new()))
        }
        "cache" => {
            if let Some(i) = first_cache(t) {
                return node_problem(t, i, rest, &p.message);
            }
            None
        }
        "more_caches" => {
            let nth = list_entry(rest);
            let node = nth.and_then(|(n, tail)| further_caches(t).nth(n).map(|i| (i, tail)));
            if let Some((i, tail)) = node {
                let tail = spec_field(tail, ".cache", &[".name", ".fronts"]);
                return node_problem(t, i, tail, &p.message);
            }
            Some((NodeKind::Cache, String::new()))
        }
        "cdn" => Some((NodeKind::CdnEdge, rest.to_string())),
        "sharding" => {
            if let Some(i) = first_router(t) {
                return node_problem(t, i, rest, &p.message);
            }
            Some((NodeKind::ShardRouter, rest.to_string()))
        }
        "nosql" => {
            if let Some(i) = first_nosql(t) {
                return node_problem(t, i, rest, &p.message);
            }
            Some((NodeKind::NoSql, rest.to_string()))
        }
        "more_nosql" => {
            let nth = list_entry(rest);
            let node = nth.and_then(|(n, tail)| further_nosql(t).nth(n).map(|i| (i, tail)));
            if let Some((i, tail)) = node {
                let tail = spec_field(tail, ".nosql", &[".name", ".takes"]);
                return node_problem(t, i, tail, &p.message);
            }
            Some((NodeKind::NoSql, String::new()))
        }
        "autoscaling" => Some((NodeKind::Autoscaler, rest.to_string())),
        "deploy" => Some((NodeKind::Deploy, rest.to_string())),
        "monitoring" => Some((NodeKind::Monitor, rest.to_string())),
        "queue"
            if rest.starts_with(".jobs_per_write")
                || rest.starts_with(".max_depth")
                || rest.is_empty() =>
        {
            Some((NodeKind::Queue, rest.to_string()))
        }
        "queue" => Some((NodeKind::Workers, rest.to_string())),
        "geo" => {
            let dc = rest
                .strip_prefix(".data_centers[")
                .and_then(|r| r.split_once(']'))
                .and_then(|(n, tail)| n.parse::<usize>().ok().map(|n| (n, tail)));
            if let Some((n, tail)) = dc {
                let i = t
                    .nodes
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| x.spec.kind() == NodeKind::DataCenter)
                    .nth(n)
                    .map(|(i, _)| i);
                if let Some(i) = i {
                    let tail = if tail == ".name" { "" } else { tail };
                    return node_problem(t, i, tail, &p.message);
                }
            }
            Some((NodeKind::GeoDns, rest.to_string()))
        }
        _ => None,
    };
    match target.and_then(|(kind, suffix)| index_of(kind).map(|i| (i, suffix))) {
        Some((i, suffix)) => node_problem(t, i, &suffix, &p.message),
        None => p,
    }
}
