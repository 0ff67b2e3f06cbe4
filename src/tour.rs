//! The guided tour's lessons, as data: for each built stage, the problem it solves, what it
//! costs, and a few "try this" experiments, each a list of steps the app carries out with one
//! click. Pure data with no web type, so that native tests (tests/core/tour_claims.rs) can
//! drive every experiment's steps and check that the effect its text promises happens.
//!
//! ```text
//!   StageTour { problem, tradeoffs, experiments: [Experiment { label, prompt, steps }] }
//!   Step ─▶ live: a LiveAction on the running simulation (kill, users, deploy …)
//!        └▶ restart: a changed scenario, run again from 0 s (cache size, sessions …)
//! ```

use crate::scenario::{
    Denormalise, Dist, LiveAction, NoSqlStore, Scenario, SessionMode, ShardStrategy, StoreKind,
};
use crate::sim::{DbRole, Sim};

/// One thing an experiment does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// Kill the component with this name.
    Kill(&'static str),
    /// Repair the component with this name.
    Repair(&'static str),
    /// Kill whichever database is master now.
    KillMaster,
    /// Set the number of users.
    Users(u64),
    /// Set the number of web servers in service.
    WebServers(u32),
    /// Set the workers of each database node (rebuilds the run).
    DbWorkers(u32),
    /// Drop every object from the CDN edge.
    CdnPurgeAll,
    /// Publish a new version (a new URL) of the CDN's most popular object.
    CdnNewVersion,
    /// Set the items each cache node holds (rebuilds the run).
    CacheCapacity(u32),
    /// Set the cache's time to live in seconds (rebuilds the run).
    CacheTtl(u32),
    /// Choose where sessions live (rebuilds the run).
    Sessions(SessionMode),
    /// Set the queue workers the run starts with (rebuilds the run).
    QueueWorkers(u32),
    /// Set the web servers the run starts with, the autoscaling group's range widened to
    /// hold them (rebuilds the run).
    StartServers(u32),
    /// Reshard the data tier to this many shards now.
    Reshard(u32),
    /// Choose how keys map to shards (rebuilds the run).
    ShardStrategy(ShardStrategy),
    /// Set the celebrity's share of data requests, in percent (rebuilds the run).
    CelebrityShare(u32),
    /// Send this share of data requests, in percent, to a NoSQL store (rebuilds the run).
    NoSqlShare(u32),
    /// Denormalise the shards with this many copies of every record (rebuilds the run).
    Denormalise(u32),
    /// Start a rolling deploy of the web tier now.
    Deploy { batch: u32, drain: bool },
}

/// A "try this" button.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Experiment {
    /// The button's text.
    pub label: &'static str,
    /// What to watch for.
    pub prompt: &'static str,
    /// What the button does, in order.
    pub steps: &'static [Step],
}

impl Experiment {
    /// Whether a step changes something the running simulation cannot take live, so the run
    /// starts again from 0 s.
    pub fn restarts(&self) -> bool {
        self.steps.iter().any(|s| match s {
            Step::Kill(_)
            | Step::Repair(_)
            | Step::KillMaster
            | Step::Users(_)
            | Step::WebServers(_)
            | Step::CdnPurgeAll
            | Step::CdnNewVersion
            | Step::Reshard(_)
            | Step::Deploy { .. } => false,
            Step::DbWorkers(_)
            | Step::CacheCapacity(_)
            | Step::CacheTtl(_)
            | Step::Sessions(_)
            | Step::QueueWorkers(_)
            | Step::StartServers(_)
            | Step::ShardStrategy(_)
            | Step::CelebrityShare(_)
            | Step::NoSqlShare(_)
            | Step::Denormalise(_) => true,
        })
    }
}

impl Step {
    /// The live change this step makes to the running `sim` (what the app records in a link
    /// and [`crate::sim::live::apply`] carries out), or `None` for a step that rebuilds the
    /// run (see [`Step::edit`]) or names nothing this run has.
    pub fn live_action(&self, sim: &Sim) -> Option<LiveAction> {
        Some(match *self {
            Step::Kill(name) => LiveAction::Kill(name.to_string()),
            Step::Repair(name) => LiveAction::Repair(name.to_string()),
            Step::KillMaster => {
                // The master that is up (after a failover, the promoted one).
                let snapshot = sim.snapshot();
                let master = snapshot
                    .components
                    .iter()
                    .find(|c| c.role == Some(DbRole::Master) && c.alive)?;
                LiveAction::Kill(sim.components()[usize::from(master.id.0)].name.clone())
            }
            Step::Users(users) => LiveAction::Users(users),
            Step::WebServers(count) => LiveAction::WebServers(count),
            Step::CdnPurgeAll => LiveAction::CdnPurgeAll,
            Step::CdnNewVersion => LiveAction::CdnNewVersion,
            Step::Reshard(count) => LiveAction::Reshard(count),
            Step::Deploy { batch, drain } => LiveAction::Deploy {
                batch,
                drain,
                pool: None,
            },
            Step::DbWorkers(_)
            | Step::CacheCapacity(_)
            | Step::CacheTtl(_)
            | Step::Sessions(_)
            | Step::QueueWorkers(_)
            | Step::StartServers(_)
            | Step::ShardStrategy(_)
            | Step::CelebrityShare(_)
            | Step::NoSqlShare(_)
            | Step::Denormalise(_) => return None,
        })
    }

    /// The change a rebuilding step makes to the scenario (the same fields the app's
    /// controls set); `false` for a live step or one this scenario has nothing for.
    pub fn edit(&self, s: &mut Scenario) -> bool {
        match *self {
            Step::DbWorkers(workers) => s.database.as_mut().map(|db| db.workers = workers),
            Step::CacheCapacity(items) => s.cache.as_mut().map(|c| c.capacity_items = items),
            Step::CacheTtl(ttl_s) => s.cache.as_mut().map(|c| c.ttl_s = f64::from(ttl_s)),
            Step::Sessions(mode) => s.sessions.as_mut().map(|x| x.mode = mode),
            Step::QueueWorkers(workers) => s.queue.as_mut().map(|q| {
                q.workers = workers;
                // The worker scaler starts from this count: widen its range to hold it.
                if let Some(a) = &mut q.autoscale {
                    a.min_workers = a.min_workers.min(workers);
                    a.max_workers = a.max_workers.max(workers);
                }
            }),
            Step::StartServers(count) => s.load_balancer.is_some().then(|| {
                s.server.count = count;
                // The group starts from this count: widen its range to hold it.
                if let Some(a) = &mut s.autoscaling {
                    a.min_servers = a.min_servers.min(count);
                    a.max_servers = a.max_servers.max(count);
                }
            }),
            Step::ShardStrategy(strategy) => s.sharding.as_mut().map(|sh| sh.strategy = strategy),
            Step::CelebrityShare(percent) => s
                .sharding
                .as_mut()
                .and_then(|sh| sh.hot_keys.first_mut())
                .map(|hot| hot.share = f64::from(percent) / 100.0),
            Step::NoSqlShare(percent) => s.database.is_some().then(|| {
                s.nosql = (percent > 0).then(|| NoSqlStore {
                    share: f64::from(percent.min(100)) / 100.0,
                    ..tour_nosql_store()
                });
            }),
            Step::Denormalise(copies) => s.sharding.as_mut().map(|sh| {
                sh.denormalise = (copies > 1).then_some(Denormalise {
                    write_factor: copies,
                });
            }),
            Step::Kill(_)
            | Step::Repair(_)
            | Step::KillMaster
            | Step::Users(_)
            | Step::WebServers(_)
            | Step::CdnPurgeAll
            | Step::CdnNewVersion
            | Step::Reshard(_)
            | Step::Deploy { .. } => None,
        }
        .is_some()
    }
}

/// The NoSQL store the tour adds: four key-value nodes, 1 ms reads and 2 ms writes.
pub fn tour_nosql_store() -> NoSqlStore {
    NoSqlStore {
        kind: StoreKind::KeyValue,
        share: 0.5,
        nodes: 4,
        workers: 16,
        queue_capacity: 1000,
        read: Dist::exponential(1.0),
        write: Dist::exponential(2.0),
    }
}

/// The tour text of one stage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageTour {
    /// The problem this stage solves.
    pub problem: &'static str,
    /// What it costs, or what it still does not solve.
    pub tradeoffs: &'static str,
    /// A few experiments.
    pub experiments: &'static [Experiment],
}

/// The tour of a stage, if written.
pub fn tour(stage: u8) -> Option<&'static StageTour> {
    TOURS.get(usize::from(stage).checked_sub(1)?)
}

/// Every stage's tour, stage 1 first.
pub static TOURS: [StageTour; 11] = [
    StageTour {
        problem: "Everything starts on one machine: it renders pages, answers the API, stores the data and sends the images. Users look up its address through DNS and keep the answer for a while. It is cheap and easy to reason about.",
        tradeoffs: "One box has a fixed number of workers. Below its capacity requests are quick; near it they queue and latency shoots up; past it the queue overflows and requests are turned away. And when that box dies, the whole site is gone.",
        experiments: &[
            Experiment {
                label: "Send 20,000 users",
                prompt: "200 requests/s against two workers: load climbs to 100 %, the queue fills, p99 explodes, then rejections start.",
                steps: &[Step::Users(20_000)],
            },
            Experiment {
                label: "Kill the server",
                prompt: "Every request now fails: there is nothing else to serve it.",
                steps: &[Step::Kill("web-0")],
            },
            Experiment {
                label: "Kill DNS",
                prompt: "Only users who have not cached an answer yet fail; the others carry on until their 300-second answer expires. Each user sends a request every 100 s on average, so it depends on when: killed in the first second, almost every request fails; at 20 s, about half; at 200 s, under 2 %.",
                steps: &[Step::Kill("dns")],
            },
        ],
    },
    StageTour {
        problem: "The web app and the data fight over one machine's CPU and memory. Moving the database to its own node lets each tier be sized for its own work, and the web tier can later grow without touching the data.",
        tradeoffs: "Every query now crosses the network. There are two machines to run, and each is still a single point of failure. Scaling up one node (more workers, a faster box) works only until the biggest machine you can buy.",
        experiments: &[
            Experiment {
                label: "Grow to 120,000 users",
                prompt: "The web server saturates long before the database does: watch its bar go red. It already has sixteen workers, as big as one machine gets here.",
                steps: &[Step::Users(120_000)],
            },
            Experiment {
                label: "Scale the database up",
                prompt: "64 database workers instead of 56, at the same 120,000 users: nothing improves, because the database was not the bottleneck. The next stage adds web servers instead.",
                steps: &[Step::DbWorkers(64), Step::Users(120_000)],
            },
            Experiment {
                label: "Kill the database",
                prompt: "Pages and API calls fail; static files still work, since they never touch the data.",
                steps: &[Step::Kill("db-0")],
            },
        ],
    },
    StageTour {
        problem: "One web server cannot take all the traffic, and its death is an outage. A load balancer becomes the only public address and spreads requests over a pool of servers on private addresses; health checks take broken servers out of the pool.",
        tradeoffs: "Detection is not instant: a dead server keeps getting its share of requests until it fails enough checks. The balancer itself is now the single point of failure (real setups run a pair). Servers must not keep users' state locally, or moving users between them breaks sessions.",
        experiments: &[
            Experiment {
                label: "Kill web-1",
                prompt: "Its share of requests fails for a few seconds, until the health checks pull it out of the pool.",
                steps: &[Step::Kill("web-1")],
            },
            Experiment {
                label: "Add two servers",
                prompt: "web-24 and web-25 join the pool only after passing their first health checks.",
                steps: &[Step::WebServers(26)],
            },
            Experiment {
                label: "Kill the load balancer",
                prompt: "Every server is healthy, yet nobody can reach them.",
                steps: &[Step::Kill("lb")],
            },
            Experiment {
                label: "Rolling deploy",
                prompt: "One server at a time leaves the pool, finishes its requests, restarts and rejoins: not one request fails (see the event log).",
                steps: &[Step::Deploy { batch: 1, drain: true }],
            },
            Experiment {
                label: "Deploy all at once, no draining",
                prompt: "Requests in progress fail, then nobody is in the pool until the servers restart and pass their checks: an outage.",
                steps: &[Step::Deploy { batch: 1000, drain: false }],
            },
        ],
    },
    StageTour {
        problem: "Most traffic reads, and one database serves every read and write. A master now takes the writes and ships them to replicas, which serve the reads. If the master dies, the most up-to-date replica is promoted.",
        tradeoffs: "Replication is asynchronous: replicas lag behind, and a read from a lagging replica can miss a recent write (a stale read). When the master dies, writes fail until its death is noticed and a replica promoted, and the writes that had not reached that replica are lost.",
        experiments: &[
            Experiment {
                label: "Kill the master",
                prompt: "Writes fail, a replica is promoted a few seconds later — how many writes were lost?",
                steps: &[Step::KillMaster],
            },
            Experiment {
                label: "Kill the replica",
                prompt: "Reads sent to db-1 fail until its death is detected (5 s: about 3,500 failed requests), then move to the master. No write is lost.",
                steps: &[Step::Kill("db-1")],
            },
            Experiment {
                label: "Double the users",
                prompt: "Twice the writes, yet the lag barely moves: the replica applies up to 2,000 writes a second, ten times what 200,000 users make, so it keeps up. Stale reads grow fourfold, though: twice the reads, each twice as likely to ask for a key written in the last few milliseconds. Lag grows only when writes outpace what a replica can apply.",
                steps: &[Step::Users(200_000)],
            },
        ],
    },
    StageTour {
        problem: "Replicas spread the reads, but every read still costs a database query, and popular data is asked for again and again. A cache tier keeps recently read values in memory: the web server asks the cache first and only goes to the database when the cache does not have the key, then keeps the answer for next time. Because a few keys are far more popular than the rest, a cache holding a small share of the data answers most reads.",
        tradeoffs: "A cache is a copy, so it can be out of date: a write either removes the cached copy or lives with old values until their time to live runs out. Its capacity and eviction policy decide the hit ratio. And the database is now sized for the misses only: when a cache node dies, its keys start cold and all of its traffic falls on the database at once.",
        experiments: &[
            Experiment {
                label: "Kill cache-0",
                prompt: "Its share of the keys now misses: the hit ratio falls from about 63 % to 42 % and database load steps up by half, from about 5 % to 7 % of its 56 workers. The database had room, so p99 barely moves; with less room this step is what tips it over.",
                steps: &[Step::Kill("cache-0")],
            },
            Experiment {
                label: "Shrink the cache to 1,000 items",
                prompt: "A tenth of the room: only the hottest keys fit, so the hit ratio settles lower (about 67 % → 54 %) and more reads reach the database, though its load rises by only about a point: it had room.",
                steps: &[Step::CacheCapacity(1_000)],
            },
            Experiment {
                label: "Expire items after 5 s",
                prompt: "A short time to live keeps values fresh but throws away hot keys often: watch the hit ratio fall.",
                steps: &[Step::CacheTtl(5)],
            },
        ],
    },
    StageTour {
        problem: "Images, scripts and style sheets are the bulk of the bytes, they are the same for everyone, and users may be far from the data center. A CDN keeps copies on edge servers close to the users: a static request goes to the edge, and only when the edge lacks the object does it fetch it from the origin and keep it.",
        tradeoffs: "The edge is billed per gigabyte and its copies can be out of date: to change a file you either purge it (and the next requests all go to the origin) or publish it under a new URL. If the CDN fails, browsers wait for their timeout before falling back to the origin, which suddenly takes all the static traffic.",
        experiments: &[
            Experiment {
                label: "CDN outage",
                prompt: "Static requests hang until the fallback timeout, then go to the origin: p99 jumps from about 0.1 s to 2 s, while the web servers, for which a static file is cheap, take it in their stride: their load rises by about three points (about 12 % → 15 %).",
                steps: &[Step::Kill("cdn")],
            },
            Experiment {
                label: "Purge every object",
                prompt: "The edge is empty: for a while most static requests become origin fetches (blue dots), then the hit ratio recovers.",
                steps: &[Step::CdnPurgeAll],
            },
            Experiment {
                label: "Publish a new version of the top image",
                prompt: "Only the new URL misses, once; everything else keeps hitting the edge — why versioned URLs beat purges.",
                steps: &[Step::CdnNewVersion],
            },
        ],
    },
    StageTour {
        problem: "If a user's login lives in one web server's memory, the balancer must keep sending that user there, and the server cannot be removed without logging people out. Moving sessions to a shared store makes the web servers interchangeable: any of them can serve anyone, so an autoscaling group can add servers when load rises and remove them when it falls.",
        tradeoffs: "The session store is one more lookup per request and one more thing that can fail. Autoscaling reacts to load it has already seen and new servers take a while to boot, so a sudden spike is slow before it is fast. Scaling in too eagerly makes the group flap.",
        experiments: &[
            Experiment {
                label: "Kill web-2",
                prompt: "With a shared store nobody is logged out: the balancer sends web-2's users elsewhere.",
                steps: &[Step::Kill("web-2")],
            },
            Experiment {
                label: "Go back to sticky sessions",
                prompt: "The session store disappears. Now kill a web server from the inspector: its users are logged out.",
                steps: &[Step::Sessions(SessionMode::Sticky)],
            },
            Experiment {
                label: "Start with 8 web servers",
                prompt: "The group may now shrink to 8 servers, about a third busy at this load. When traffic doubles at 60 s they pass the 50 % target: at 70 s the autoscaler launches 4 more, which boot for 20 s and join the pool at 90 s.",
                steps: &[Step::StartServers(8)],
            },
            Experiment {
                label: "Send 2,000,000 users",
                prompt: "Five times the users: load climbs past the 50 % target, and the autoscaler launches servers, which take 20 s to boot and then join the pool.",
                steps: &[Step::Users(2_000_000)],
            },
        ],
    },
    StageTour {
        problem: "Some work is slow — resizing an uploaded photo takes half a second — and the user should not wait for it. The web server puts a job in a durable queue and answers at once; a separate pool of workers takes jobs off the queue at its own pace. Bursts become a backlog instead of slow pages.",
        tradeoffs: "The work is done later, not now: the user sees the result after the backlog ahead of it. The queue must be durable and watched: if the workers stop, nothing is lost, but the backlog grows without bound until they return. The worker pool is scaled on the queue's depth.",
        experiments: &[
            Experiment {
                label: "Kill the workers",
                prompt: "Pages stay fast while the backlog bar fills; repair them and watch it drain.",
                steps: &[Step::Kill("workers")],
            },
            Experiment {
                label: "Start with 4 workers",
                prompt: "Too few workers: the backlog grows until the scaler notices the depth and adds more.",
                steps: &[Step::QueueWorkers(4)],
            },
        ],
    },
    StageTour {
        problem: "By now there are dozens of moving parts, and nobody can stare at all of them. Each component reports numbers every second, the business reports its own (people online, pages served, writes made), and rules turn \"this number has been wrong for a while\" into an alert that fires, and later resolves, in the log. You learn about trouble from the system instead of from your users. This step adds no capacity (the stage chart shows stage 8's limit again); what it buys is time to detect: in this preset the master dies at 60 s and the alert \"errors over 1%\" fires 3 s later.",
        tradeoffs: "Rules need a threshold and a waiting time: too tight and the pager goes off for every blip, too loose and a real outage runs for minutes before anyone hears. An alert says what is wrong, not why; the per-component series and the log are where you find the cause. Metrics themselves cost storage and a little work on every request.",
        experiments: &[
            Experiment {
                label: "Kill the master",
                prompt: "Writes fail until a replica is promoted: the error alert fires, then resolves once writes succeed again.",
                steps: &[Step::KillMaster],
            },
            Experiment {
                label: "Kill the workers",
                prompt: "Pages stay healthy, but the job backlog climbs past its limit and its alert fires; repair the workers to see it resolve.",
                steps: &[Step::Kill("workers")],
            },
        ],
    },
    StageTour {
        problem: "One master can only take so many writes, however large the machine. Sharding splits the data by key (here, the user id): each shard is its own master with its own replicas and holds only part of the users, so adding shards adds write capacity and a failure hurts only part of the site.",
        tradeoffs: "A very popular key still lives on one shard, which runs hot while the others idle. Queries that need every user must ask every shard and wait for the slowest. Changing the number of shards moves data: with key mod N almost every key moves, with a hash ring only about one in N, and copying those keys loads the shards while it lasts.",
        experiments: &[
            Experiment {
                label: "Add a fifth shard now",
                prompt: "The log reports how many keys move to the new shard (with the hash ring about a fifth). They are copied at 400 keys/s: the new shard's master is busy until the Resharding copy card reaches 100%.",
                steps: &[Step::Reshard(5)],
            },
            Experiment {
                label: "Make the celebrity hotter",
                prompt: "User 7 now draws 40% of the data requests: its shard does about half again as much work as before, more than twice as much as each of the others. At this load every shard still has room: the cost of a celebrity is one shard's headroom.",
                steps: &[Step::CelebrityShare(40)],
            },
            Experiment {
                label: "Use key mod N instead",
                prompt: "At 120 s the fifth shard joins: compare the keys moved with the ring's fifth (press \"Add a fifth shard now\" to see it sooner).",
                steps: &[Step::ShardStrategy(ShardStrategy::Modulo)],
            },
            Experiment {
                label: "Move half the data to NoSQL",
                prompt: "Feeds, sessions and counters (single-key reads and writes) go to four key-value nodes: the shards cool down, and those requests skip the joins and the replicas.",
                steps: &[Step::NoSqlShare(50)],
            },
            Experiment {
                label: "Denormalise (2 copies)",
                prompt: "Reads that asked every shard now read one copy; in exchange every write is made twice, on its shard and the next: write load doubles.",
                steps: &[Step::Denormalise(2)],
            },
        ],
    },
    StageTour {
        problem: "A single data center is fast for the people near it and slow for everyone else, and a power cut, a fibre cut or a bad deploy there takes the whole site down. Here two data centers each run the entire stage-10 stack. GeoDNS answers each user with the nearest data center that passes its health checks, and the user's resolver keeps that answer for the DNS time to live. Asia has no data center of its own: its users cross an ocean on every request (the region boxes show the round trip).",
        tradeoffs: "Failover is neither instant nor complete. GeoDNS drops a data center only after several failed health checks, and users who already hold its address keep going there until their cached answer expires, so traffic drains over along a curve rather than at once. Writes cross between data centers asynchronously at a limited rate: whatever had not crossed when a data center dies is lost. And every part of the stack now exists twice, and so does the bill.",
        experiments: &[
            Experiment {
                label: "Take us-east down",
                prompt: "Its users fail until geoDNS stops naming it (three failed checks, ten seconds apart), then move to eu-west only as their 60-second answers expire: watch eu-west's requests/s climb and the failures stop. The log says how many writes died with us-east before reaching eu-west (none while replication keeps up).",
                steps: &[Step::Kill("us-east")],
            },
            Experiment {
                label: "Bring it back",
                prompt: "us-east passes three health checks (30 s) before geoDNS names it again. A user looks the name up again only on a request after the cached answer expired: most answers to eu-west already have, so about two thirds of us-east's traffic returns within a second, the rest over the next minute as the fresher answers expire.",
                steps: &[Step::Repair("us-east")],
            },
        ],
    },
];
