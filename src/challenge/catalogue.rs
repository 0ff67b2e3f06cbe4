//! The challenges, in the order of the journey: from one server to several data centers.
//! Each has its own scenarios (not the stage presets, which are tuned for the tour), built
//! from the small parts in [`parts`].

use super::{Challenge, Objective, Script, World};
use crate::scenario::{Fault, HotKey, Keyspace, Network, Profile, Region, RequestMix, Traffic};
use crate::sim::RequestKind;

pub(crate) mod parts;

use parts::*;

/// How many challenges there are.
pub const CHALLENGE_COUNT: u8 = 12;

/// Seeds every challenge is graded on (few and short, so grading takes seconds).
const SEEDS: [u64; 2] = [11, 12];

/// Every challenge, in order.
pub fn challenges() -> Vec<Challenge> {
    (1..=CHALLENGE_COUNT).filter_map(challenge).collect()
}

/// Challenge `id` (1 – [`CHALLENGE_COUNT`]).
pub fn challenge(id: u8) -> Option<Challenge> {
    let c = match id {
        1 => bigger_box(),
        2 => split_the_data(),
        3 => a_server_dies(),
        4 => lose_the_master(),
        5 => read_storm(),
        6 => far_from_the_origin(),
        7 => launch_day(),
        8 => stale_cache(),
        9 => celebrity(),
        10 => write_wall(),
        11 => across_the_ocean(),
        12 => region_goes_dark(),
        _ => return None,
    };
    Some(Challenge { id, ..c })
}

fn traffic(users: u64, mix: [f64; 4]) -> Traffic {
    Traffic {
        users,
        requests_per_user_per_s: 0.2,
        mix: RequestMix {
            page_view: mix[0],
            api_read: mix[1],
            write: mix[2],
            static_asset: mix[3],
        },
        client_timeout_ms: 5000.0,
        keyspace: Keyspace {
            keys: 100_000,
            zipf_s: 1.0,
        },
        profile: Profile::Constant,
        retries: None,
    }
}

fn network(client_rtt_ms: f64) -> Network {
    Network {
        client_rtt_ms,
        internal_rtt_ms: 0.5,
    }
}

fn script(traffic: Traffic, faults: Vec<Fault>) -> Script {
    Script {
        traffic,
        network: network(40.0),
        faults,
        duration_s: 60,
        metrics_interval_ms: 1000,
        world: None,
        celebrity: None,
    }
}

const MIX: [f64; 4] = [30.0, 40.0, 10.0, 20.0];

/// What a challenge says: its title, stage, story and lesson.
struct Words<'a> {
    title: &'a str,
    stage: u8,
    story: &'a str,
    lesson: &'a str,
}

fn new(
    words: Words,
    start: crate::scenario::Scenario,
    script: Script,
    objectives: Vec<Objective>,
    budget_usd_per_hour: f64,
) -> Challenge {
    Challenge {
        id: 0,
        title: words.title.to_string(),
        stage: words.stage,
        story: words.story.to_string(),
        lesson: words.lesson.to_string(),
        start,
        script,
        objectives,
        budget_usd_per_hour,
        seeds: SEEDS.to_vec(),
    }
}

fn bigger_box() -> Challenge {
    new(
        Words {
            title: "A bigger box",
            stage: 1,
            story: "Your side project runs on one small server with two workers, doing everything: pages, \
         API, data. A newsletter mentioned it and 1,000 people now use it at once. Keep p99 \
         under 500 ms and errors under 1 %, for under $0.15 an hour.",
            lesson: "Vertical scaling: a server with more workers serves more requests at once. A longer \
         waiting line only makes requests wait longer.",
        },
        all_in_one("side project", 2),
        script(traffic(1000, MIX), Vec::new()),
        vec![
            Objective::P99Ms { max: 500.0 },
            Objective::ErrorRatio { max: 0.01 },
        ],
        0.15,
    )
}

fn split_the_data() -> Challenge {
    new(
        Words {
            title: "Split the data off",
            stage: 2,
            story: "The one server renders pages and runs the database queries on the same machine, and \
         every page waits for both. Product wants p99 under 150 ms for 1,000 users, and errors \
         under 1 %, for under $0.50 an hour.",
            lesson: "A separate database: the web server only renders, the data work runs on its own node \
         and each tier is sized on its own. No number of workers makes one request's work \
         shorter.",
        },
        all_in_one("one server", 16),
        script(traffic(1000, MIX), Vec::new()),
        vec![
            Objective::P99Ms { max: 150.0 },
            Objective::ErrorRatio { max: 0.01 },
        ],
        0.5,
    )
}

fn a_server_dies() -> Challenge {
    new(
        Words {
            title: "A server dies",
            stage: 3,
            story: "2,000 users. At 30 s the web server web-0 dies and stays dead. Keep errors under 3 % \
         over the minute and recover within 10 s, for under $0.60 an hour.",
            lesson: "A load balancer over several web servers, with health checks that take a dead one out \
         of the pool. A bigger single server is still a single point of failure.",
        },
        with_database("one web server", 1, 8, database(8, 0)),
        script(traffic(2000, MIX), vec![Fault::down("web-0", 30.0, 0.0)]),
        vec![
            Objective::ErrorRatio { max: 0.03 },
            Objective::RecoverS { max: 10.0 },
            Objective::P99Ms { max: 400.0 },
        ],
        0.6,
    )
}

fn lose_the_master() -> Challenge {
    new(
        Words {
            title: "Lose the master",
            stage: 4,
            story: "At 20 s the database master db-0 dies for good. Keep errors under 3 %, recover within \
         10 s and lose at most 20 acknowledged writes, for under $1.00 an hour.",
            lesson: "A replica, kept up to date by replication, is promoted when the master dies: the \
         outage lasts detection plus promotion, and only the writes not yet replicated are \
         lost. A bigger master dies just the same.",
        },
        balanced("no replica", 3, 4, database(8, 0)),
        script(traffic(2000, MIX), vec![Fault::down("db-0", 20.0, 0.0)]),
        vec![
            Objective::ErrorRatio { max: 0.03 },
            Objective::RecoverS { max: 10.0 },
            Objective::WritesLost { max: 20 },
        ],
        1.0,
    )
}

fn read_storm() -> Challenge {
    let mut t = traffic(10_000, [45.0, 45.0, 5.0, 5.0]);
    t.keyspace.zipf_s = 1.0;
    let mut script = script(t, Vec::new());
    script.duration_s = 40;
    new(
        Words {
            title: "Read storm",
            stage: 5,
            story: "10,000 users reading the same popular profiles over and over: 2,000 requests a second, \
         nine in ten of them reads. The database is drowning. Keep p99 under 250 ms and errors \
         under 0.5 %, for under $1.35 an hour.",
            lesson: "A cache in front of the database: popular keys are served from memory and most reads \
         never reach the database. Buying database workers for every read costs more.",
        },
        balanced("reads hit the database", 4, 8, database(8, 0)),
        script,
        vec![
            Objective::P99Ms { max: 250.0 },
            Objective::ErrorRatio { max: 0.005 },
        ],
        1.35,
    )
}

fn far_from_the_origin() -> Challenge {
    let mut script = script(traffic(1000, [20.0, 20.0, 5.0, 55.0]), Vec::new());
    script.network = network(150.0);
    new(
        Words {
            title: "Far from the origin",
            stage: 6,
            story: "Your users are 150 ms away from your servers, and more than half of what their \
         browsers fetch are images, scripts and style sheets. Get static assets to p99 under \
         100 ms, for under $0.90 an hour.",
            lesson: "A CDN: an edge near the users answers static assets from its cache, so they no longer \
         cross the ocean. More servers at the origin are just as far away.",
        },
        balanced("origin only", 2, 4, database(4, 0)),
        script,
        vec![
            Objective::KindP99Ms {
                request: RequestKind::StaticAsset,
                max: 100.0,
            },
            Objective::ErrorRatio { max: 0.01 },
        ],
        0.9,
    )
}

fn launch_day() -> Challenge {
    let mut t = traffic(2000, [50.0, 30.0, 5.0, 15.0]);
    t.profile = Profile::Ramp {
        start_s: 20.0,
        end_s: 80.0,
        factor: 5.0,
    };
    let mut script = script(t, Vec::new());
    script.duration_s = 150;
    new(
        Words {
            title: "Launch day",
            stage: 7,
            story: "Launch day: 2,000 users at first, then five times as many within a minute, and they \
         stay. Keep p99 under 300 ms and errors under 1 %, for under $1.30 an hour over the \
         whole day.",
            lesson: "Autoscaling on a stateless web tier: servers are added as the load grows (each takes \
         a while to boot), so you pay for the peak only while it lasts. A fleet sized for the \
         peak from the start costs more.",
        },
        launch_start(),
        script,
        vec![
            Objective::P99Ms { max: 300.0 },
            Objective::ErrorRatio { max: 0.01 },
        ],
        1.3,
    )
}

fn stale_cache() -> Challenge {
    new(
        Words {
            title: "Old news",
            stage: 5,
            story: "Users edit their profiles and then see the old version for minutes: the cache keeps \
         serving what it has until its TTL runs out. Serve at most 50 stale reads in the \
         minute, with p99 under 250 ms, for under $0.80 an hour.",
            lesson: "Cache invalidation: a write deletes the cached copy of its key, so the next read \
         fetches the new value. A short TTL only narrows the window, and costs hit ratio.",
        },
        stale_start(),
        script(traffic(2000, [40.0, 40.0, 15.0, 5.0]), Vec::new()),
        vec![
            Objective::StaleReads { max: 50 },
            Objective::P99Ms { max: 250.0 },
        ],
        0.8,
    )
}

fn celebrity() -> Challenge {
    let mut script = script(traffic(5000, [40.0, 40.0, 5.0, 15.0]), Vec::new());
    script.celebrity = Some(HotKey { key: 7, share: 0.3 });
    new(
        Words {
            title: "A celebrity joins",
            stage: 10,
            story: "A celebrity signs up, and three in ten data requests are now about user 7. Their \
         shard melts. Keep p99 under 250 ms and errors under 0.5 %, for under $1.20 an hour.",
            lesson: "A hot key lives on one shard whatever the number of shards: more shards do not split \
         it. A cache in front of the shards serves its reads from memory.",
        },
        celebrity_start(),
        script,
        vec![
            Objective::P99Ms { max: 250.0 },
            Objective::ErrorRatio { max: 0.005 },
        ],
        1.2,
    )
}

fn write_wall() -> Challenge {
    let mut t = traffic(4000, [20.0, 20.0, 60.0, 0.0]);
    t.requests_per_user_per_s = 0.25;
    let mut script = script(t, Vec::new());
    script.duration_s = 40;
    new(
        Words {
            title: "The write wall",
            stage: 10,
            story: "A logging product: 600 writes a second. The replica applies writes one at a time and \
         cannot keep up, so readers see old data. Keep stale reads under 3,000, p99 under \
         300 ms and errors under 0.5 %, for under $2.50 an hour.",
            lesson: "Sharding: each shard's master takes a share of the writes, and each replica applies \
         only its shard's. A bigger master does not make its replica apply faster.",
        },
        write_start(),
        script,
        vec![
            Objective::StaleReads { max: 3000 },
            Objective::P99Ms { max: 300.0 },
            Objective::ErrorRatio { max: 0.005 },
        ],
        2.5,
    )
}

/// The two regions of the data-center challenges.
pub(crate) fn world_regions() -> Vec<Region> {
    world().regions
}

fn world() -> World {
    World {
        regions: vec![
            Region {
                name: "north-america".to_string(),
                users_share: 0.5,
            },
            Region {
                name: "europe".to_string(),
                users_share: 0.5,
            },
        ],
        rtt_ms: vec![vec![20.0, 90.0], vec![90.0, 20.0]],
    }
}

fn geo_script(faults: Vec<Fault>) -> Script {
    let mut s = script(traffic(2000, MIX), faults);
    s.network = network(20.0);
    s.world = Some(world());
    s
}

fn across_the_ocean() -> Challenge {
    new(
        Words {
            title: "Across the ocean",
            stage: 11,
            story: "Half your users are in Europe, and every one of their requests crosses the Atlantic \
         to us-east. Keep p99 under 150 ms in every region, for under $1.20 an hour.",
            lesson: "Multiple data centers: geoDNS sends each user to the nearest one, so nobody pays an \
         ocean's round trip. A bigger data center in one place is just as far away.",
        },
        one_data_center("us-east only", 300),
        geo_script(Vec::new()),
        vec![
            Objective::RegionP99Ms { max: 150.0 },
            Objective::ErrorRatio { max: 0.01 },
        ],
        1.2,
    )
}

fn region_goes_dark() -> Challenge {
    new(
        Words {
            title: "us-east goes dark",
            stage: 11,
            story: "At 20 s the us-east data center loses power and stays dark. Keep errors under 15 % in \
         every region over the minute and recover within 25 s, for under $1.20 an hour.",
            lesson: "Failover across data centers: a second data center, geoDNS health checks that notice \
         the dark one, and a short DNS TTL, because users move only when their cached answer \
         expires.",
        },
        one_data_center("us-east only", 300),
        geo_script(vec![Fault::down("us-east", 20.0, 0.0)]),
        vec![
            Objective::RegionErrorRatio { max: 0.15 },
            Objective::RecoverS { max: 25.0 },
        ],
        1.2,
    )
}
