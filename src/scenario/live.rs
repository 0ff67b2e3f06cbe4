//! Live changes: what a user did to a running simulation (a kill, a repair, a slider move, a
//! deploy …) and the simulated time at which it happened. A link carries them (docs/urls.md,
//! the `live=` field), so reopening it replays the same run; [`crate::sim::live`] applies them.
//!
//! ```text
//!   live=40.25:kill:db-0,61.5:users:8000,90:repair:db-0
//!        └──┬┘ └──┬─┘└─┬┘
//!   time in s  what  its argument (a component's name, a count …)
//! ```
//!
//! Times are written in seconds with up to nine decimals and read back exactly (to the
//! nanosecond), so a replayed change happens at the very instant the live one did.

use thiserror::Error;

/// Most live changes one link may carry.
pub const MAX_LIVE_CHANGES: usize = 1000;

/// One thing a user can do to a running simulation.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LiveAction {
    /// The user population changes to this many users.
    Users(u64),
    /// The web tier changes to this many servers in service (the first web pool, `web-N`).
    WebServers(u32),
    /// The named web pool changes to this many servers in service. Written
    /// `servers:web-api:4` (`servers:4` is the first pool's, as before pools had names).
    PoolServers {
        /// The pool's name (`web` for the first, else a `more_web_pools` name).
        pool: String,
        /// Servers in service.
        count: u32,
    },
    /// The named component goes down (a cache node loses its contents).
    Kill(String),
    /// The named component comes back (a slow one returns to normal speed).
    Repair(String),
    /// A grey failure: the named component serves slower, by a factor given in thousandths
    /// (8000: ×8; 1000: normal speed again). Written `slow:db-0:8`.
    Slow {
        /// The component's name.
        name: String,
        /// The slowdown × 1000.
        factor_milli: u32,
    },
    /// A flaky node: the named component fails a share of the requests reaching it, given in
    /// thousandths (300: 30 %; 0: healthy again). Written `errors:web-0:0.3`.
    Errors {
        /// The component's name.
        name: String,
        /// The share failed × 1000, 0–1000.
        ratio_milli: u32,
    },
    /// The CDN drops every object from its edge.
    CdnPurgeAll,
    /// The CDN publishes a new version (a new URL) of its most popular object.
    CdnNewVersion,
    /// The data tier reshards to this many shards: the first database's, behind the first
    /// shard router (as links written before there were several routers say).
    Reshard(u32),
    /// The database behind the shard router named `router` (`shards` the first, else a
    /// further database's router, [`crate::scenario::NamedDatabase::router`]) reshards to
    /// `count` shards. Written `reshard:orders-shards:8`.
    ReshardAt {
        /// The shard router's name.
        router: String,
        /// Shards after.
        count: u32,
    },
    /// A failure mechanism switched on or off from now on: `sync:on`, `breaker:off`,
    /// `coalesce:on` (see [`Mechanism`]).
    Mechanism {
        /// Which one.
        which: Mechanism,
        /// On (true) or off.
        on: bool,
    },
    /// Request coalescing switched on or off at one cache cluster alone, named as in the
    /// graph (`cache` the first, else a `more_caches` name). Written `coalesce:cache-api:on`
    /// (`coalesce:on` still switches every cache, as before caches had names).
    CoalesceAt {
        /// The cache's name.
        cache: String,
        /// On (true) or off.
        on: bool,
    },
    /// Stage 11: the network between two data centers is cut (`cut:us-east:eu-west`) or heals
    /// (`heal:us-east:eu-west`).
    Partition {
        /// One data center's name.
        a: String,
        /// The other's.
        b: String,
        /// Cut (true) or healed.
        cut: bool,
    },
    /// A rolling deploy of a web pool in batches of `batch` servers, drained or not. Written
    /// `deploy:1:drain` (the first pool) or `deploy:1:drain:web-api` (the pool named).
    Deploy {
        /// Servers taken out at once.
        batch: u32,
        /// Whether each server finishes its requests before it stops.
        drain: bool,
        /// The web pool it rolls (`None`: the first, as in links written before pools had
        /// names).
        pool: Option<String>,
    },
}

/// A failure mechanism a live change can switch on or off (the scenario option it sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Mechanism {
    /// `server.sync_calls`: web workers held across their data calls.
    SyncCalls,
    /// `server.breaker`, as [`LIVE_BREAKER`]: a circuit breaker around the web tier's
    /// database calls.
    Breaker,
    /// `cache.coalesce`: one database read per missed key at a time.
    Coalesce,
}

impl Mechanism {
    /// Its word in a link.
    pub fn word(self) -> &'static str {
        match self {
            Mechanism::SyncCalls => "sync",
            Mechanism::Breaker => "breaker",
            Mechanism::Coalesce => "coalesce",
        }
    }

    /// Sets its scenario option in `scenario` (a breaker switched on live is [`LIVE_BREAKER`],
    /// unless one is in already; coalescing needs a cache: without one, nothing changes, with
    /// several it is set at each).
    pub fn set(self, scenario: &mut super::Scenario, on: bool) {
        match self {
            Mechanism::SyncCalls => scenario.server.sync_calls = on,
            Mechanism::Breaker if !on => scenario.server.breaker = None,
            Mechanism::Breaker => {
                if scenario.server.breaker.is_none() {
                    scenario.server.breaker = Some(LIVE_BREAKER);
                }
            }
            Mechanism::Coalesce => {
                if let Some(cache) = scenario.cache.as_mut() {
                    cache.coalesce = Some(on);
                    for m in &mut scenario.more_caches {
                        m.cache.coalesce = Some(on);
                    }
                }
            }
        }
    }
}

/// Sets `cache.coalesce` at the `cache`-th cache cluster alone (0: the scenario's `cache`,
/// `n`: `more_caches[n - 1]`); a number the scenario does not have changes nothing.
pub fn set_coalesce_at(scenario: &mut super::Scenario, cache: usize, on: bool) {
    let tier = match cache {
        0 => scenario.cache.as_mut(),
        n => scenario.more_caches.get_mut(n - 1).map(|m| &mut m.cache),
    };
    if let Some(tier) = tier {
        tier.coalesce = Some(on);
    }
}

/// The circuit breaker a live `breaker:on` puts in: five failed or slow (over 200 ms at the
/// database) calls in a row open it for 2 s, then one probe call decides (the settings
/// docs/failures.md measured).
pub const LIVE_BREAKER: super::Breaker = super::Breaker {
    failures: 5,
    slow_call_ms: 200.0,
    open_ms: 2000.0,
    probes: 1,
};

/// A [`LiveAction`] and the simulated time it happened at.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LiveChange {
    /// Simulated time of the change, in nanoseconds since the run began.
    pub at_ns: u64,
    /// What happened.
    pub action: LiveAction,
}

/// Why the `live=` part of a link could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum LiveError {
    /// One change is not of the form `time:action[:argument…]`.
    #[error("'{0}' is not a live change (like '40.5:kill:db-0')")]
    Malformed(String),
    /// A time that is not a number of seconds.
    #[error("'{0}' is not a time in seconds")]
    BadTime(String),
    /// The changes are not in time order.
    #[error("the live changes are not in time order (at {0} s)")]
    OutOfOrder(String),
    /// More than [`MAX_LIVE_CHANGES`].
    #[error("{0} live changes, at most {MAX_LIVE_CHANGES}")]
    TooMany(usize),
}

/// The text of a list of changes: `time:action[:argument]` joined by commas.
pub fn encode_changes(changes: &[LiveChange]) -> String {
    let parts: Vec<String> = changes
        .iter()
        .map(|c| format!("{}:{}", seconds_text(c.at_ns), action_text(&c.action)))
        .collect();
    parts.join(",")
}

/// Reads the text [`encode_changes`] writes. Times must not go back.
pub fn decode_changes(text: &str) -> Result<Vec<LiveChange>, LiveError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let count = text.split(',').count();
    if count > MAX_LIVE_CHANGES {
        return Err(LiveError::TooMany(count));
    }
    let mut changes: Vec<LiveChange> = Vec::with_capacity(count);
    for part in text.split(',') {
        let mut fields = part.split(':');
        let time = fields.next().unwrap_or("");
        let at_ns = parse_seconds(time).ok_or_else(|| LiveError::BadTime(quote(time)))?;
        if changes.last().is_some_and(|c| c.at_ns > at_ns) {
            return Err(LiveError::OutOfOrder(quote(time)));
        }
        let words: Vec<&str> = fields.collect();
        let action = parse_action(&words).ok_or_else(|| LiveError::Malformed(quote(part)))?;
        changes.push(LiveChange { at_ns, action });
    }
    Ok(changes)
}

fn action_text(action: &LiveAction) -> String {
    match action {
        LiveAction::Users(n) => format!("users:{n}"),
        LiveAction::WebServers(n) => format!("servers:{n}"),
        LiveAction::PoolServers { pool, count } => {
            format!("servers:{}:{count}", escape_name(pool))
        }
        LiveAction::Kill(name) => format!("kill:{}", escape_name(name)),
        LiveAction::Repair(name) => format!("repair:{}", escape_name(name)),
        LiveAction::Slow { name, factor_milli } => {
            format!("slow:{}:{}", escape_name(name), milli_text(*factor_milli))
        }
        LiveAction::Errors { name, ratio_milli } => {
            format!("errors:{}:{}", escape_name(name), milli_text(*ratio_milli))
        }
        LiveAction::CdnPurgeAll => "purge".to_string(),
        LiveAction::CdnNewVersion => "new-version".to_string(),
        LiveAction::Reshard(n) => format!("reshard:{n}"),
        LiveAction::ReshardAt { router, count } => {
            format!("reshard:{}:{count}", escape_name(router))
        }
        LiveAction::Partition { a, b, cut } => format!(
            "{}:{}:{}",
            if *cut { "cut" } else { "heal" },
            escape_name(a),
            escape_name(b)
        ),
        LiveAction::Mechanism { which, on } => {
            format!("{}:{}", which.word(), if *on { "on" } else { "off" })
        }
        LiveAction::CoalesceAt { cache, on } => {
            format!(
                "coalesce:{}:{}",
                escape_name(cache),
                if *on { "on" } else { "off" }
            )
        }
        LiveAction::Deploy { batch, drain, pool } => {
            let pool = pool
                .as_deref()
                .map_or(String::new(), |p| format!(":{}", escape_name(p)));
            format!(
                "deploy:{batch}:{}{pool}",
                if *drain { "drain" } else { "no-drain" }
            )
        }
    }
}

fn parse_action(words: &[&str]) -> Option<LiveAction> {
    let number = |w: &str| -> Option<u64> {
        (!w.is_empty() && w.len() <= 12 && w.bytes().all(|b| b.is_ascii_digit()))
            .then(|| w.parse().ok())
            .flatten()
    };
    let small = |w: &str| number(w).and_then(|n| u32::try_from(n).ok());
    Some(match words {
        ["users", n] => LiveAction::Users(number(n)?),
        ["servers", n] => LiveAction::WebServers(small(n)?),
        ["servers", pool, n] => LiveAction::PoolServers {
            pool: unescape_name(pool)?,
            count: small(n)?,
        },
        ["kill", name] => LiveAction::Kill(unescape_name(name)?),
        ["repair", name] => LiveAction::Repair(unescape_name(name)?),
        ["slow", name, factor] => LiveAction::Slow {
            name: unescape_name(name)?,
            factor_milli: parse_milli(factor)?,
        },
        ["errors", name, ratio] => LiveAction::Errors {
            name: unescape_name(name)?,
            ratio_milli: parse_ratio_milli(ratio)?,
        },
        ["purge"] => LiveAction::CdnPurgeAll,
        ["new-version"] => LiveAction::CdnNewVersion,
        ["reshard", n] => LiveAction::Reshard(small(n)?),
        ["reshard", router, n] => LiveAction::ReshardAt {
            router: unescape_name(router)?,
            count: small(n)?,
        },
        [verb @ ("cut" | "heal"), a, b] => LiveAction::Partition {
            a: unescape_name(a)?,
            b: unescape_name(b)?,
            cut: *verb == "cut",
        },
        [word, state @ ("on" | "off")] => LiveAction::Mechanism {
            which: [
                Mechanism::SyncCalls,
                Mechanism::Breaker,
                Mechanism::Coalesce,
            ]
            .into_iter()
            .find(|m| m.word() == *word)?,
            on: *state == "on",
        },
        ["coalesce", cache, state @ ("on" | "off")] => LiveAction::CoalesceAt {
            cache: unescape_name(cache)?,
            on: *state == "on",
        },
        ["deploy", batch, how @ ("drain" | "no-drain"), pool @ ..] if pool.len() <= 1 => {
            LiveAction::Deploy {
                batch: small(batch)?,
                drain: *how == "drain",
                pool: match pool {
                    [name] => Some(unescape_name(name)?),
                    _ => None,
                },
            }
        }
        _ => return None,
    })
}

/// Seconds with up to nine decimals, trailing zeros left out: `40`, `40.25`, `0.000000001`.
fn seconds_text(at_ns: u64) -> String {
    let (whole, frac) = (at_ns / 1_000_000_000, at_ns % 1_000_000_000);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:09}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// Reads [`seconds_text`] back exactly; `None` if it is not such a number (or overflows).
fn parse_seconds(text: &str) -> Option<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 10 || !digits(whole) || frac.len() > 9 || !digits(frac) {
        return None;
    }
    let frac_ns: u64 = format!("{frac:0<9}").parse().ok()?;
    whole
        .parse::<u64>()
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(frac_ns)
}

/// A number of thousandths as a decimal: `8000` → `8`, `2500` → `2.5`.
fn milli_text(milli: u32) -> String {
    let (whole, frac) = (milli / 1000, milli % 1000);
    if frac == 0 {
        return whole.to_string();
    }
    format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
}

/// Reads [`milli_text`] back: a decimal with up to three decimals, at least 1 and at most
/// [`crate::scenario::MAX_SLOW_FACTOR`].
fn parse_milli(text: &str) -> Option<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 4 || !digits(whole) || frac.len() > 3 || !digits(frac) {
        return None;
    }
    let milli = whole.parse::<u32>().ok()? * 1000 + format!("{frac:0<3}").parse::<u32>().ok()?;
    let max = (crate::scenario::MAX_SLOW_FACTOR * 1000.0) as u32;
    (1000..=max).contains(&milli).then_some(milli)
}

/// Reads a share written by [`milli_text`] back as thousandths: `0.3` → 300, between 0 and 1
/// with up to three decimals.
fn parse_ratio_milli(text: &str) -> Option<u32> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.len() != 1 || !digits(whole) || frac.len() > 3 || !digits(frac) {
        return None;
    }
    let milli = whole.parse::<u32>().ok()? * 1000 + format!("{frac:0<3}").parse::<u32>().ok()?;
    (milli <= 1000).then_some(milli)
}

/// Component names are written as they are when made of letters, digits and `-_./`; any other
/// byte (a `,` or `:` in a data center's name) as `%XX`.
fn escape_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for &b in name.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-_./".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unescape_name(text: &str) -> Option<String> {
    if text.is_empty() {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// At most 40 characters of user text, for a message.
fn quote(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(at_ns: u64, action: LiveAction) -> LiveChange {
        LiveChange { at_ns, action }
    }

    #[test]
    fn every_action_reads_back_unchanged() {
        let changes = vec![
            change(0, LiveAction::Users(8000)),
            change(1, LiveAction::WebServers(4)),
            change(
                1,
                LiveAction::PoolServers {
                    pool: "web-api".into(),
                    count: 6,
                },
            ),
            change(40_250_000_000, LiveAction::Kill("db-0".into())),
            change(
                40_250_000_000,
                LiveAction::Repair("us east, 1:x/web-0".into()),
            ),
            change(
                40_500_000_000,
                LiveAction::Slow {
                    name: "db-1".into(),
                    factor_milli: 2500,
                },
            ),
            change(
                40_600_000_000,
                LiveAction::Errors {
                    name: "web-0".into(),
                    ratio_milli: 300,
                },
            ),
            change(
                40_700_000_000,
                LiveAction::Errors {
                    name: "web-0".into(),
                    ratio_milli: 0,
                },
            ),
            change(41_000_000_000, LiveAction::CdnPurgeAll),
            change(
                41_000_000_000,
                LiveAction::Mechanism {
                    which: Mechanism::SyncCalls,
                    on: true,
                },
            ),
            change(
                41_000_000_000,
                LiveAction::Mechanism {
                    which: Mechanism::Breaker,
                    on: false,
                },
            ),
            change(
                41_000_000_000,
                LiveAction::Mechanism {
                    which: Mechanism::Coalesce,
                    on: true,
                },
            ),
            change(
                41_000_000_000,
                LiveAction::CoalesceAt {
                    cache: "cache-api".into(),
                    on: true,
                },
            ),
            change(
                41_000_000_000,
                LiveAction::CoalesceAt {
                    cache: "cache".into(),
                    on: false,
                },
            ),
            change(41_000_000_007, LiveAction::CdnNewVersion),
            change(50_123_456_789, LiveAction::Reshard(8)),
            change(
                50_123_456_789,
                LiveAction::ReshardAt {
                    router: "orders-shards".into(),
                    count: 3,
                },
            ),
            change(
                50_200_000_000,
                LiveAction::Partition {
                    a: "us-east".into(),
                    b: "eu west:2".into(),
                    cut: true,
                },
            ),
            change(
                50_300_000_000,
                LiveAction::Partition {
                    a: "us-east".into(),
                    b: "eu-west".into(),
                    cut: false,
                },
            ),
            change(
                60_000_000_000,
                LiveAction::Deploy {
                    batch: 2,
                    drain: true,
                    pool: None,
                },
            ),
            change(
                61_000_000_000,
                LiveAction::Deploy {
                    batch: 1,
                    drain: false,
                    pool: None,
                },
            ),
            change(
                62_000_000_000,
                LiveAction::Deploy {
                    batch: 1,
                    drain: true,
                    pool: Some("web api".into()),
                },
            ),
        ];
        let text = encode_changes(&changes);
        assert!(text.starts_with(
            "0:users:8000,0.000000001:servers:4,0.000000001:servers:web-api:6,40.25:kill:db-0,"
        ));
        assert!(text.contains("50.123456789:reshard:8"));
        assert!(text.contains("50.2:cut:us-east:eu%20west%3A2,50.3:heal:us-east:eu-west,"));
        assert!(text.contains("40.5:slow:db-1:2.5,"));
        assert!(text.contains("40.6:errors:web-0:0.3,40.7:errors:web-0:0,"));
        assert!(text.contains(
            "41:purge,41:sync:on,41:breaker:off,41:coalesce:on,41:coalesce:cache-api:on,\
             41:coalesce:cache:off,"
        ));
        assert!(
            text.ends_with("60:deploy:2:drain,61:deploy:1:no-drain,62:deploy:1:drain:web%20api")
        );
        assert_eq!(decode_changes(&text).unwrap(), changes);
    }

    #[test]
    fn bad_changes_are_refused_with_a_reason() {
        assert_eq!(decode_changes("").unwrap(), Vec::new());
        assert!(matches!(
            decode_changes("x:kill:db-0"),
            Err(LiveError::BadTime(_))
        ));
        assert!(matches!(
            decode_changes("1.0000000001:purge"),
            Err(LiveError::BadTime(_))
        ));
        assert!(matches!(
            decode_changes("5:kill"),
            Err(LiveError::Malformed(_))
        ));
        assert!(matches!(
            decode_changes("5:explode:db-0"),
            Err(LiveError::Malformed(_))
        ));
        assert!(matches!(
            decode_changes("5:users:-3"),
            Err(LiveError::Malformed(_))
        ));
        assert!(matches!(
            decode_changes("5:kill:%4"),
            Err(LiveError::Malformed(_))
        ));
        assert!(matches!(
            decode_changes("5:purge,4:purge"),
            Err(LiveError::OutOfOrder(_))
        ));
        for bad in [
            "5:errors:web-0",
            "5:errors:web-0:1.5",
            "5:errors:web-0:0.3333",
            "5:errors:web-0:-0.3",
            "5:errors:web-0:10",
            "5:slow:db-0",
            "5:slow:db-0:0.5",
            "5:slow:db-0:1001",
            "5:slow:db-0:2.0001",
            "5:sync",
            "5:sync:maybe",
            "5:retries:on",
            "5:cut:us-east",
            "5:heal:us-east:eu-west:now",
            "5:coalesce:cache-api",
            "5:coalesce:cache-api:maybe",
            "5:coalesce::on",
        ] {
            assert!(
                matches!(decode_changes(bad), Err(LiveError::Malformed(_))),
                "{bad}"
            );
        }
        let many = vec!["1:purge"; MAX_LIVE_CHANGES + 1].join(",");
        assert!(matches!(decode_changes(&many), Err(LiveError::TooMany(_))));
    }
}
