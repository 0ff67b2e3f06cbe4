//! Shareable links: the URL-fragment form of a [`Scenario`].
//!
//! A link names the stage's preset and lists only the fields that differ from it, so it stays
//! short, readable, and valid when the schema grows (a field the link does not mention takes the
//! preset's value):
//!
//! ```text
//!   v1.s1~seed=7~server.workers=16~traffic.users=5000~t=30.5
//!   └┬┘└┬┘└────────────── changed fields ──────────────┘└─┬──┘
//!    │  stage 1: start from preset(1)           time position (optional, seconds)
//!  format version
//! ```
//!
//! Each change is `path=value`: a dotted field path, assigned by the same rule as the CLI's
//! `--set` ([`super::path`]), and the value as `--set` reads it (numbers, `true`/`false`/`null`,
//! a bare string, or JSON for lists, which are replaced whole).
//! Characters that are not safe in a fragment, and the separators `~` and `%`, are
//! percent-encoded. When the readable form is longer than [`COMPRESS_ABOVE_CHARS`], the same
//! text is deflated and written as base64url after `v1z.`.
//!
//! Decoding never panics and never allocates without bound: the input is capped at
//! [`MAX_LINK_CHARS`], the inflated text at [`MAX_INFLATED_BYTES`], and the result is checked by
//! [`Scenario::validate`].

use super::live::{decode_changes, encode_changes, LiveChange, LiveError};
use super::path::{self, Assigned};
use super::{preset, spelling, Scenario, ValidationErrors};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Number, Value};
use thiserror::Error;

/// Longest link the decoder reads, in characters (after the `#`).
pub const MAX_LINK_CHARS: usize = 8 * 1024;
/// Largest text a compressed link may inflate to, in bytes.
pub const MAX_INFLATED_BYTES: usize = 64 * 1024;
/// Readable links longer than this many characters are written compressed (`v1z.`) when that
/// is shorter.
pub const COMPRESS_ABOVE_CHARS: usize = 300;

const READABLE_PREFIX: &str = "v1.";
const COMPRESSED_PREFIX: &str = "v1z.";
/// The reserved top-level key of the time position.
const TIME_KEY: &str = "t";
/// The reserved top-level key of the live changes (see [`super::live`]).
const LIVE_KEY: &str = "live";
/// Longest piece of user text quoted back in an error message, in characters.
const QUOTE_CHARS: usize = 40;

/// What a link describes: a scenario and, optionally, a moment of its run.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The scenario, validated.
    pub scenario: Scenario,
    /// Simulated time to show, in seconds (within the scenario's duration), if the link has one.
    pub time_s: Option<f64>,
    /// What the sender did to the running simulation, in time order (empty for a link without
    /// a `live=` part): replayed at their times, they reproduce the sender's run.
    pub live: Vec<LiveChange>,
    /// The drawn architecture a `v2.` link carries (the scenario is what it lowers to); `None`
    /// for a v1 link.
    pub graph: Option<super::TopologyFile>,
}

/// Why a link could not be read. Every message is meant to be shown to the user as plain text.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum UrlError {
    /// Nothing after the `#`.
    #[error("the link is empty")]
    Empty,
    /// Over [`MAX_LINK_CHARS`].
    #[error("the link is too long: {chars} characters, at most {max}")]
    TooLong {
        /// Its length, in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// It does not start like a scalesim link.
    #[error("this is not a scalesim scenario link (it should start with 'v1.')")]
    NotALink,
    /// A format version this build does not read.
    #[error(
        "this link uses format '{0}', which this version of scalesim cannot read (it reads v1 and v2)"
    )]
    UnsupportedVersion(String),
    /// The `v1z.` part is not valid base64url or deflate data.
    #[error("the link is damaged (its compressed part cannot be read: {0})")]
    Compressed(String),
    /// The text is not of the form `s<stage>~path=value~…`.
    #[error("the link is damaged: {0}")]
    Malformed(String),
    /// The stage has no preset in this build.
    #[error("the link is for stage {0}, which this version of scalesim does not simulate")]
    NoPreset(u8),
    /// A field this build does not know.
    #[error("unknown field '{0}' (the link may come from a newer version of scalesim)")]
    UnknownField(String),
    /// The same field twice.
    #[error("the field '{0}' appears twice in the link")]
    Duplicate(String),
    /// A value that does not fit its field.
    #[error("bad value for '{path}': {reason}")]
    BadValue {
        /// The field.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The fields do not make up a scenario.
    #[error("the link does not describe a scenario: {0}")]
    NotAScenario(String),
    /// A scenario that fails validation.
    #[error("the link's scenario is not valid: {0}")]
    Invalid(ValidationErrors),
    /// A time position that is not a number within the run.
    #[error("bad time position: {0}")]
    BadTime(String),
    /// A `live=` part that cannot be read, or a change after the end of the run.
    #[error("bad live changes: {0}")]
    Live(String),
}

impl From<LiveError> for UrlError {
    fn from(e: LiveError) -> Self {
        UrlError::Live(e.to_string())
    }
}

/// The fragment of a link to this scenario (without the `#`).
pub fn encode(scenario: &Scenario) -> String {
    encode_link(scenario, None)
}

/// The fragment of a link to this scenario at simulated time `time_s` (seconds; a time that is
/// not a finite number is left out).
pub fn encode_link(scenario: &Scenario, time_s: Option<f64>) -> String {
    encode_run(scenario, &[], time_s)
}

/// The fragment of a link to a run: the scenario it started from, the live changes made to it
/// (in time order) and, optionally, a simulated time to show. Without changes it equals
/// [`encode_link`].
pub fn encode_run(scenario: &Scenario, live: &[LiveChange], time_s: Option<f64>) -> String {
    let body = readable_body(scenario, live, time_s);
    if READABLE_PREFIX.len() + body.len() > COMPRESS_ABOVE_CHARS {
        let packed =
            URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(body.as_bytes(), 9));
        if packed.len() < body.len() {
            return format!("{COMPRESSED_PREFIX}{packed}");
        }
    }
    format!("{READABLE_PREFIX}{body}")
}

/// The scenario a link describes. Accepts the fragment alone, with its `#`, or a whole URL;
/// a time position, if any, is ignored.
pub fn decode(link: &str) -> Result<Scenario, UrlError> {
    decode_link(link).map(|l| l.scenario)
}

/// The scenario and time position a link describes. Accepts the fragment alone, with its `#`,
/// or a whole URL.
pub fn decode_link(link: &str) -> Result<Link, UrlError> {
    let fragment = link.split_once('#').map_or(link, |(_, f)| f).trim();
    let chars = fragment.chars().count();
    if chars > MAX_LINK_CHARS {
        return Err(UrlError::TooLong {
            chars,
            max: MAX_LINK_CHARS,
        });
    }
    if fragment.is_empty() {
        return Err(UrlError::Empty);
    }
    if let Some(body) = fragment.strip_prefix(READABLE_PREFIX) {
        parse_body(body)
    } else if let Some(packed) = fragment.strip_prefix(COMPRESSED_PREFIX) {
        parse_body(&inflate(packed)?)
    } else if let Some(packed) = fragment.strip_prefix(super::graph_link::GRAPH_PREFIX) {
        super::graph_link::decode_graph(packed)
    } else {
        Err(version_error(fragment))
    }
}

/// `v7.…` or `v2z.…` → unsupported version; anything else → not a link.
fn version_error(fragment: &str) -> UrlError {
    let head = fragment.split('.').next().unwrap_or("");
    let digits = head
        .strip_prefix('v')
        .map(|rest| rest.strip_suffix('z').unwrap_or(rest));
    match digits {
        Some(d) if !d.is_empty() && d.len() <= 6 && d.bytes().all(|b| b.is_ascii_digit()) => {
            UrlError::UnsupportedVersion(head.to_string())
        }
        _ => UrlError::NotALink,
    }
}

pub(super) fn inflate(packed: &str) -> Result<String, UrlError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(packed)
        .map_err(|e| UrlError::Compressed(e.to_string()))?;
    let text = miniz_oxide::inflate::decompress_to_vec_with_limit(&bytes, MAX_INFLATED_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                format!("it inflates to more than {MAX_INFLATED_BYTES} bytes")
            }
            _ => "truncated or corrupt data".to_string(),
        })
        .map_err(UrlError::Compressed)?;
    String::from_utf8(text).map_err(|_| UrlError::Compressed("not text".to_string()))
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// `s<stage>~path=value~…[~t=…]`, without the version prefix.
fn readable_body(scenario: &Scenario, live: &[LiveChange], time_s: Option<f64>) -> String {
    let current = serde_json::to_value(scenario).expect("a scenario always serialises");
    let base = preset(scenario.stage)
        .map(|p| serde_json::to_value(p).expect("a scenario always serialises"))
        .unwrap_or_else(|| Value::Object(Map::new()));
    let mut changes = Vec::new();
    diff(&base, &current, &mut Vec::new(), &mut changes);
    let mut body = format!("s{}", scenario.stage);
    for (path, value) in changes {
        if path == "stage" {
            continue; // carried by the `s<stage>` head
        }
        body.push('~');
        body.push_str(&path);
        body.push('=');
        body.push_str(&write_value(value));
    }
    if !live.is_empty() {
        body.push('~');
        body.push_str(LIVE_KEY);
        body.push('=');
        body.push_str(&escape(&encode_changes(live), VALUE_SAFE));
    }
    if let Some(number) = time_s.and_then(Number::from_f64) {
        body.push('~');
        body.push_str(TIME_KEY);
        body.push('=');
        body.push_str(&number_text(&number));
    }
    body
}

/// Appends `(escaped dotted path, value)` for every leaf of `current` that differs from `base`.
/// Objects are compared field by field; anything else (numbers, strings, lists) is compared and
/// written whole. A field of `base` that `current` lacks (skipped when serialised: `None`, an
/// empty list) is written as `null`, which the decoder reads as "leave it out".
fn diff<'a>(
    base: &Value,
    current: &'a Value,
    path: &mut Vec<String>,
    out: &mut Vec<(String, &'a Value)>,
) {
    match (base, current) {
        (Value::Object(b), Value::Object(c)) => {
            for (key, value) in c {
                path.push(escape(key, KEY_SAFE));
                match b.get(key) {
                    Some(old) => diff(old, value, path, out),
                    None => out.push((path.join("."), value)),
                }
                path.pop();
            }
            for key in b.keys().filter(|k| !c.contains_key(*k)) {
                path.push(escape(key, KEY_SAFE));
                out.push((path.join("."), &Value::Null));
                path.pop();
            }
        }
        _ if base == current => {}
        _ => out.push((path.join("."), current)),
    }
}

/// The escaped text of one value, such that [`parse_value`] reads it back unchanged.
fn write_value(value: &Value) -> String {
    match value {
        Value::String(s) if classify(s) == Kind::Text => escape(s, VALUE_SAFE),
        Value::Number(n) => number_text(n),
        Value::Bool(_) | Value::Null => value.to_string(),
        _ => escape(&value.to_string(), VALUE_SAFE),
    }
}

/// Shortest exact text of a number: `5000` rather than `5000.0`.
fn number_text(n: &Number) -> String {
    let text = n.to_string();
    match text.strip_suffix(".0") {
        Some(short) if n.is_f64() => short.to_string(),
        _ => text,
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Reads `s<stage>~path=value~…` onto the stage's preset.
fn parse_body(body: &str) -> Result<Link, UrlError> {
    let mut parts = body.split('~');
    let stage = parse_stage(parts.next().unwrap_or(""))?;
    let base = preset(stage).ok_or(UrlError::NoPreset(stage))?;
    let base = serde_json::to_value(base).expect("a scenario always serialises");
    let mut root = base.clone();
    // A list, not a set: serde_json's map already brings a `BTreeMap<String, _>` and a second
    // instantiation (a set of strings) would add kilobytes to the browser build.
    let mut seen: Vec<String> = Vec::new();
    let mut entries = Vec::new();
    let mut time_s = None;
    let mut live = Vec::new();
    for part in parts {
        let (raw_path, raw_value) = part.split_once('=').ok_or_else(|| {
            UrlError::Malformed(format!("'{}' is not of the form field=value", quote(part)))
        })?;
        let segments = raw_path
            .split('.')
            .map(unescape)
            .collect::<Result<Vec<_>, _>>()?;
        // An older path, in percent (`geo.split_percent`): today's field, its value as shares.
        let respelled = spelling::respell(&segments);
        let in_percent = respelled.is_some();
        let segments = respelled.unwrap_or(segments);
        let path = segments.join(".");
        if segments.iter().any(String::is_empty) {
            return Err(UrlError::Malformed(format!(
                "'{}' is not a field name",
                quote(raw_path)
            )));
        }
        if seen.contains(&path) {
            return Err(UrlError::Duplicate(quote(&path)));
        }
        seen.push(path.clone());
        let text = unescape(raw_value)?;
        if path == TIME_KEY {
            time_s = Some(parse_time(&text)?);
            continue;
        }
        if path == LIVE_KEY {
            live = decode_changes(&text)?;
            continue;
        }
        let mut value = parse_value(&path, &text)?;
        if in_percent {
            value = spelling::percent_value(value);
        }
        path::assign(&mut root, &segments, value.clone())
            .map_err(|_| UrlError::UnknownField(quote(&path)))?;
        entries.push((segments, value, path));
    }
    let scenario = to_scenario(root, &base, &entries)?;
    if scenario.stage != stage {
        return Err(UrlError::Malformed(
            "the stage is given once, at the start (like 's1')".to_string(),
        ));
    }
    scenario.validate().map_err(UrlError::Invalid)?;
    if let Some(t) = time_s {
        if t > f64::from(scenario.duration_s) {
            return Err(UrlError::BadTime(format!(
                "{t} s is after the end of the run ({} s)",
                scenario.duration_s
            )));
        }
    }
    let end_ns = u64::from(scenario.duration_s) * 1_000_000_000;
    if let Some(late) = live.iter().find(|c| c.at_ns > end_ns) {
        return Err(UrlError::Live(format!(
            "a change at {} s is after the end of the run ({} s)",
            late.at_ns as f64 * 1e-9,
            scenario.duration_s
        )));
    }
    Ok(Link {
        scenario,
        time_s,
        live,
        graph: None,
    })
}

fn parse_stage(head: &str) -> Result<u8, UrlError> {
    head.strip_prefix('s')
        .filter(|d| !d.is_empty() && d.len() <= 3 && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse::<u8>().ok())
        .ok_or_else(|| {
            UrlError::Malformed(format!(
                "it should begin with the stage, like 's1', not '{}'",
                quote(head)
            ))
        })
}

fn parse_time(text: &str) -> Result<f64, UrlError> {
    match parse_number(text) {
        Some(n) => match n.as_f64() {
            Some(t) if t >= 0.0 => Ok(t),
            _ => Err(UrlError::BadTime(format!(
                "{} is before the start",
                quote(text)
            ))),
        },
        None => Err(UrlError::BadTime(format!(
            "'{}' is not a number of seconds",
            quote(text)
        ))),
    }
}

/// How a value's text is read.
#[derive(PartialEq)]
enum Kind {
    /// `true`, `false`, `null`.
    Literal,
    /// Starts with a digit or `-`.
    Number,
    /// Starts with `[`, `{` or `"`: JSON.
    Json,
    /// Anything else: the text itself.
    Text,
}

fn classify(text: &str) -> Kind {
    match text.as_bytes().first() {
        _ if matches!(text, "true" | "false" | "null") => Kind::Literal,
        Some(b'0'..=b'9' | b'-') => Kind::Number,
        Some(b'[' | b'{' | b'"') => Kind::Json,
        _ => Kind::Text,
    }
}

fn parse_value(path: &str, text: &str) -> Result<Value, UrlError> {
    let bad = |reason: String| UrlError::BadValue {
        path: quote(path),
        reason,
    };
    match classify(text) {
        Kind::Literal | Kind::Json => {
            serde_json::from_str(text).map_err(|e| bad(format!("not valid JSON ({e})")))
        }
        Kind::Number => parse_number(text).map(Value::Number).ok_or_else(|| {
            bad(format!(
                "'{}' is not a number this field can hold",
                quote(text)
            ))
        }),
        Kind::Text => Ok(Value::String(text.to_string())),
    }
}

/// An integer or a finite decimal number, read exactly (`1e400`, `inf` and `0x10` are refused).
fn parse_number(text: &str) -> Option<Number> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let well_formed = digits.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !well_formed || text.len() > 64 {
        return None;
    }
    if let Ok(n) = text.parse::<u64>() {
        return Some(n.into());
    }
    if let Ok(n) = text.parse::<i64>() {
        return Some(n.into());
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

/// Deserialises the assembled value; on failure names the first field that alone breaks it.
fn to_scenario(
    root: Value,
    base: &Value,
    entries: &[(Vec<String>, Value, String)],
) -> Result<Scenario, UrlError> {
    let error = match serde_json::from_value::<Scenario>(root) {
        Ok(scenario) => return Ok(scenario),
        Err(e) => e.to_string(),
    };
    for (segments, value, path) in entries {
        let mut single = base.clone();
        let Ok(assigned) = path::assign(&mut single, segments, value.clone()) else {
            continue;
        };
        if let Err(e) = serde_json::from_value::<Scenario>(single) {
            let reason = e.to_string();
            let last = segments.last().map_or("", String::as_str);
            return Err(
                if assigned == Assigned::Added && path::names_unknown_field(&reason, last) {
                    UrlError::UnknownField(quote(path))
                } else {
                    UrlError::BadValue {
                        path: quote(path),
                        reason,
                    }
                },
            );
        }
    }
    Err(UrlError::NotAScenario(error))
}

// ---------------------------------------------------------------------------------------------
// Escaping

/// Bytes written as they are in a value: RFC 3986 fragment characters less `~` (the separator)
/// and `%` (the escape).
const VALUE_SAFE: &[u8] = b"-._!$&'()*+,;=:@/?";
/// Bytes written as they are in a field name: as in a value, less `.` and `=`.
const KEY_SAFE: &[u8] = b"-_!$&'()*+,;:@/?";

fn escape(text: &str, safe: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || safe.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn unescape(text: &str) -> Result<String, UrlError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| UrlError::Malformed(format!("bad %-escape in '{}'", quote(text))))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| UrlError::Malformed(format!("'{}' is not valid UTF-8 text", quote(text))))
}

/// At most [`QUOTE_CHARS`] characters of user text, for an error message.
fn quote(text: &str) -> String {
    if text.chars().count() <= QUOTE_CHARS {
        text.to_string()
    } else {
        let head: String = text.chars().take(QUOTE_CHARS).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preset_alone_is_its_stage() {
        assert_eq!(encode(&preset(1).unwrap()), "v1.s1");
        assert_eq!(decode("v1.s1").unwrap(), preset(1).unwrap());
    }

    #[test]
    fn strings_that_look_like_other_values_are_quoted() {
        for name in [
            "",
            "true",
            "12",
            "-x",
            "[a]",
            "\"q\"",
            "a~b=c%d",
            "naïve café",
            "null",
        ] {
            let mut s = preset(1).unwrap();
            s.name = name.to_string();
            let link = encode(&s);
            assert_eq!(decode(&link).unwrap(), s, "{name:?} → {link}");
        }
    }

    #[test]
    fn escapes_need_two_hex_digits() {
        assert!(unescape("%+1").is_err() && unescape("%4").is_err());
        assert_eq!(unescape("%7E%C3%A9").unwrap(), "~é");
    }
}
