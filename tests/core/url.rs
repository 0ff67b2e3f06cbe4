//! Shareable links: encode → decode is the identity, links stay short, and no input panics the
//! decoder. The case counts default to the values below; `PROPTEST_CASES=N` raises them all.

use proptest::prelude::*;
use scalesim::scenario::{
    decode, decode_link, encode, encode_link, preset, Dist, Fault, Scenario, Shape, UrlError,
    MAX_LINK_CHARS,
};

/// `PROPTEST_CASES` if set, else `default`.
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

fn p1() -> Scenario {
    preset(1).unwrap()
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        Just(Shape::Exponential),
        Just(Shape::Constant),
        Just(Shape::Lognormal)
    ]
}

fn dist() -> impl Strategy<Value = Option<Dist>> {
    proptest::option::of(
        (shape(), 0.001f64..600_000.0, 0.01f64..10.0).prop_map(|(shape, mean_ms, cv)| Dist {
            shape,
            mean_ms,
            cv,
        }),
    )
}

fn fault() -> impl Strategy<Value = Fault> {
    (
        prop_oneof![Just("dns"), Just("web-0")],
        0.0f64..86_400.0,
        0.0f64..86_400.0,
    )
        .prop_map(|(target, at_s, duration_s)| Fault {
            target: target.to_string(),
            at_s,
            duration_s,
            kind: scalesim::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        })
}

/// Preset 1 with a random subset of its stage-1 fields changed to random values within bounds.
fn mutated_preset_1() -> impl Strategy<Value = Scenario> {
    let top = (
        proptest::option::of(any::<u64>()),
        proptest::option::of("\\PC{0,60}"),
        proptest::option::of(1u32..=3600),
        proptest::option::of(0u64..=1_000_000),
        proptest::option::of(0.0f64..1.0),
        proptest::option::of(proptest::array::uniform4(0.0f64..1e6)),
        proptest::option::of(1.0f64..600_000.0),
    );
    let rest = (
        proptest::option::of(0.0f64..10_000.0),
        proptest::option::of(0u32..=86_400),
        proptest::option::of(0.0f64..10_000.0),
        proptest::option::of(1u32..=10_000),
        proptest::option::of(0u32..=1_000_000),
        (dist(), dist(), dist(), dist()),
        proptest::option::of(proptest::collection::vec(fault(), 0..4)),
    );
    (top, rest).prop_map(|(top, rest)| {
        let mut s = p1();
        let (seed, name, duration_s, users, rate, mix, timeout) = top;
        let (lookup, ttl, rtt, workers, queue, dists, faults) = rest;
        set(&mut s.seed, seed);
        set(&mut s.name, name);
        set(&mut s.duration_s, duration_s);
        set(&mut s.traffic.users, users);
        set(&mut s.traffic.requests_per_user_per_s, rate);
        if let Some([a, b, c, d]) = mix {
            s.traffic.mix.page_view = a;
            s.traffic.mix.api_read = b;
            s.traffic.mix.write = c;
            s.traffic.mix.static_asset = d;
        }
        set(&mut s.traffic.client_timeout_ms, timeout);
        set(&mut s.dns.lookup_ms, lookup);
        set(&mut s.dns.ttl_s, ttl);
        set(&mut s.network.client_rtt_ms, rtt);
        set(&mut s.server.workers, workers);
        set(&mut s.server.queue_capacity, queue);
        let service = &mut s.server.service;
        set(&mut service.page_view, dists.0);
        set(&mut service.api_read, dists.1);
        set(&mut service.write, dists.2);
        set(&mut service.static_asset, dists.3);
        set(&mut s.faults, faults);
        s
    })
}

fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *slot = v;
    }
}

proptest! {
    #![proptest_config(cases(2_000))]

    #[test]
    fn encode_then_decode_is_the_identity(s in mutated_preset_1(), t in proptest::option::of(0.0f64..1.0)) {
        prop_assume!(s.validate().is_ok());
        let time_s = t.map(|f| f * f64::from(s.duration_s));
        let link = encode_link(&s, time_s);
        prop_assert!(link.chars().count() <= MAX_LINK_CHARS);
        let back = decode_link(&link).map_err(|e| TestCaseError::fail(format!("{e}: {link}")))?;
        prop_assert_eq!(&back.scenario, &s, "link {}", link);
        prop_assert_eq!(back.time_s, time_s);
        prop_assert_eq!(decode(&encode(&s)).unwrap(), s);
    }
}

proptest! {
    #![proptest_config(cases(10_000))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = decode_link(&text);
    }

    #[test]
    fn link_shaped_text_never_panics(
        head in prop_oneof![Just("v1.s1"), Just("v1.s"), Just("v1z."), Just("#v1.s1"), Just("v1.s255")],
        parts in proptest::collection::vec("[a-z_.]{0,12}=[-0-9.eE+%A-F\\[\\]{}\":,a-z~]{0,20}", 0..6),
    ) {
        let _ = decode_link(&format!("{head}~{}", parts.join("~")));
    }

    #[test]
    fn damaged_links_never_panic(s in mutated_preset_1(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let link = encode(&s);
        let at = cut.index(link.len() + 1);
        let truncated = &link.as_bytes()[..at];
        let _ = decode_link(&String::from_utf8_lossy(truncated));
        let mut flipped = link.into_bytes();
        if let Some(b) = flipped.get_mut(at) {
            *b = byte;
        }
        let _ = decode_link(&String::from_utf8_lossy(&flipped));
    }
}

#[test]
fn a_preset_with_a_handful_of_changes_fits_in_200_characters() {
    let mut s = p1();
    s.seed = 7;
    s.traffic.users = 5000;
    s.server.workers = 16;
    s.server.service.page_view.shape = Shape::Constant;
    s.faults = vec![Fault {
        target: "web-0".into(),
        at_s: 30.0,
        duration_s: 10.0,
        kind: scalesim::scenario::FaultKind::Down,
        factor: None,
        error_ratio: None,
        peer: None,
    }];
    let link = encode_link(&s, Some(30.5));
    assert!(link.len() <= 200, "{} characters: {link}", link.len());
    assert!(link.starts_with("v1.s1~"), "{link}");
    assert!(link.contains("server.workers=16") && link.contains("traffic.users=5000"));
    assert_eq!(decode(&link).unwrap(), s);
}

#[test]
fn the_example_in_the_docs_reads() {
    let s = decode("v1.s1~seed=7~traffic.users=5000~server.workers=16").unwrap();
    assert_eq!((s.seed, s.traffic.users, s.server.workers), (7, 5000, 16));
    assert_eq!(
        s.dns,
        p1().dns,
        "fields the link does not name come from the preset"
    );
    for prefix in ["#", "https://example.org/scalesim/#", "  "] {
        let link = format!("{prefix}v1.s1~seed=7");
        assert_eq!(decode(&link).unwrap().seed, 7, "{link}");
    }
}

#[test]
fn long_scenarios_are_compressed_and_still_exact() {
    let mut s = p1();
    s.name = "A long name, repeated. ".repeat(8);
    s.faults = (0..20)
        .map(|i| Fault {
            target: "web-0".into(),
            at_s: f64::from(i) * 10.0 + 0.125,
            duration_s: 5.0,
            kind: scalesim::scenario::FaultKind::Down,
            factor: None,
            error_ratio: None,
            peer: None,
        })
        .collect();
    s.validate().unwrap();
    let link = encode(&s);
    assert!(link.starts_with("v1z."), "{link}");
    assert_eq!(decode(&link).unwrap(), s);
}

/// Whether an error is the one a bad link should give.
type IsExpected = fn(&UrlError) -> bool;

#[test]
fn bad_links_say_what_is_wrong() {
    let zip_bomb = {
        // Valid deflate of 100 KB of 'a', over the inflate limit.
        let text = format!("s1~name={}", "a".repeat(100_000));
        format!("v1z.{}", deflate_base64url(&text))
    };
    let cases: Vec<(String, IsExpected)> = vec![
        ("".into(), |e| matches!(e, UrlError::Empty)),
        ("hello".into(), |e| matches!(e, UrlError::NotALink)),
        ("v3.s1".into(), |e| {
            matches!(e, UrlError::UnsupportedVersion(_))
        }),
        // `v2.` is a drawn architecture: base64url of deflate, which `s1` is not.
        ("v2.s1".into(), |e| matches!(e, UrlError::Compressed(_))),
        ("v1.x".into(), |e| matches!(e, UrlError::Malformed(_))),
        ("v1.s1~workers".into(), |e| {
            matches!(e, UrlError::Malformed(_))
        }),
        ("v1.s1~name=%E".into(), |e| {
            matches!(e, UrlError::Malformed(_))
        }),
        ("v1.s1~name=%FF".into(), |e| {
            matches!(e, UrlError::Malformed(_))
        }),
        ("v1.s99".into(), |e| matches!(e, UrlError::NoPreset(99))),
        ("v1.s1~server.nope=1".into(), |e| {
            matches!(e, UrlError::UnknownField(_))
        }),
        ("v1.s1~nope.deeper=1".into(), |e| {
            matches!(e, UrlError::UnknownField(_))
        }),
        ("v1.s1~seed=1~seed=2".into(), |e| {
            matches!(e, UrlError::Duplicate(_))
        }),
        ("v1.s1~server.workers=many".into(), |e| {
            matches!(e, UrlError::BadValue { .. })
        }),
        ("v1.s1~traffic.users=1e400".into(), |e| {
            matches!(e, UrlError::BadValue { .. })
        }),
        ("v1.s1~seed=99999999999999999999999".into(), |e| {
            matches!(e, UrlError::BadValue { .. })
        }),
        ("v1.s1~faults=%5B".into(), |e| {
            matches!(e, UrlError::BadValue { .. })
        }),
        ("v1.s1~server.workers=0".into(), |e| {
            matches!(e, UrlError::Invalid(_))
        }),
        ("v1.s1~traffic.users=1000000000000".into(), |e| {
            matches!(e, UrlError::Invalid(_))
        }),
        ("v1.s1~stage=2".into(), |e| {
            !matches!(e, UrlError::NoPreset(_))
        }),
        ("v1.s1~t=-1".into(), |e| matches!(e, UrlError::BadTime(_))),
        ("v1.s1~t=999999".into(), |e| {
            matches!(e, UrlError::BadTime(_))
        }),
        ("v1.s1~t=soon".into(), |e| matches!(e, UrlError::BadTime(_))),
        ("v1z.!!!".into(), |e| matches!(e, UrlError::Compressed(_))),
        ("v1z.AAAA".into(), |e| matches!(e, UrlError::Compressed(_))),
        (zip_bomb, |e| matches!(e, UrlError::Compressed(_))),
        (format!("v1.s1~name={}", "a".repeat(MAX_LINK_CHARS)), |e| {
            matches!(e, UrlError::TooLong { .. })
        }),
    ];
    for (link, expected) in cases {
        let error = decode(&link).unwrap_err();
        let shown: String = link.chars().take(60).collect();
        assert!(expected(&error), "{shown}: {error:?}");
        let message = error.to_string();
        assert!(
            !message.is_empty() && !message.contains('\n') && message.len() < 400,
            "{message}"
        );
    }
}

/// The packed form of a link body, made the way `encode` makes it: base64url of raw deflate.
fn deflate_base64url(body: &str) -> String {
    use base64::Engine as _;
    let bytes = miniz_oxide::deflate::compress_to_vec(body.as_bytes(), 9);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Dotted paths of every number in a JSON value (lists included, by index).
fn number_paths(value: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        serde_json::Value::Number(_) => out.push(path.clone()),
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                path.push(key.clone());
                number_paths(v, path, out);
                path.pop();
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                number_paths(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(cases(2_000))]

    /// Any stage with a preset, 1–4 of its numbers scaled by a random factor: the link reads
    /// back the same scenario. Written over JSON so it covers fields added later unchanged.
    #[test]
    fn any_preset_with_any_number_changed_round_trips(
        stage in prop::sample::select((1u8..=11).filter(|n| preset(*n).is_some()).collect::<Vec<_>>()),
        picks in proptest::collection::vec((any::<prop::sample::Index>(), 0.5f64..2.0), 1..5),
    ) {
        let base = preset(stage).unwrap();
        prop_assert_eq!(encode(&base), format!("v1.s{stage}"));
        let mut value = serde_json::to_value(&base).unwrap();
        let mut paths = Vec::new();
        number_paths(&value, &mut Vec::new(), &mut paths);
        paths.retain(|p| p[0] != "version" && p[0] != "stage");
        for (index, factor) in picks {
            let path = index.get(&paths);
            let slot = path.iter().fold(&mut value, |node, key| match node {
                serde_json::Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
                other => &mut other[key.as_str()],
            });
            let old = slot.as_f64().unwrap();
            *slot = if slot.is_f64() {
                serde_json::json!(old * factor)
            } else {
                serde_json::json!(((old * factor).round() as u64).max(u64::from(old >= 1.0)))
            };
        }
        let s: Scenario = serde_json::from_value(value).unwrap();
        prop_assume!(s.validate().is_ok());
        let link = encode(&s);
        let back = decode(&link).map_err(|e| TestCaseError::fail(format!("{e}: {link}")))?;
        prop_assert_eq!(back, s, "link {}", link);
    }
}

#[test]
fn the_resharding_copy_rate_travels_in_links_and_defaults_when_absent() {
    let mut s = preset(10).unwrap();
    s.sharding.as_mut().unwrap().migration_keys_per_s = 250.0;
    let link = encode(&s);
    assert!(link.contains("sharding.migration_keys_per_s=250"), "{link}");
    assert_eq!(decode(&link).unwrap(), s);
    // Scenarios written before the field existed get the default rate.
    let mut json = serde_json::to_value(preset(10).unwrap()).unwrap();
    json["sharding"]
        .as_object_mut()
        .unwrap()
        .remove("migration_keys_per_s");
    let old: Scenario = serde_json::from_value(json).unwrap();
    assert_eq!(old, preset(10).unwrap());
    assert_eq!(decode("v1.s10").unwrap(), preset(10).unwrap());
}

/// Every link and every `--set` assignment written in README.md, docs/*.md and
/// tests/fixtures/digests.json, read the way a user would paste it.
mod documented {
    use scalesim::scenario::{apply_set, decode_link, preset};
    use std::path::Path;

    fn root() -> &'static Path {
        Path::new(env!("CARGO_MANIFEST_DIR"))
    }

    /// The Markdown files that show links and `--set` commands, with their text.
    fn documents() -> Vec<(String, String)> {
        let mut files = vec![root().join("README.md")];
        let mut docs: Vec<_> = std::fs::read_dir(root().join("docs"))
            .expect("docs/")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        docs.sort();
        files.extend(docs);
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("readable");
                (p.display().to_string(), text)
            })
            .collect()
    }

    /// Links in a text: `v1.s…` or `v1z.…` up to a space, quote, bracket or table bar;
    /// placeholders (`…`) left out.
    fn links(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, _) in text.match_indices("v1") {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.') {
                continue;
            }
            let rest = &text[i..];
            if !(rest.starts_with("v1.s") || rest.starts_with("v1z.")) {
                continue;
            }
            let end = rest
                .find(|c: char| c.is_whitespace() || "`'\")<>|*".contains(c))
                .unwrap_or(rest.len());
            let link = rest[..end].trim_end_matches(['.', ',', ':', ';']);
            if !link.contains('…') && link.len() > "v1.s".len() && !link.ends_with('~') {
                out.push(link.to_string());
            }
        }
        out
    }

    /// `--set` commands in a text: per command line (joined over trailing `\`), its preset
    /// (`--preset N`, else 1) and its assignments in order; placeholders left out.
    fn set_commands(text: &str) -> Vec<(u8, Vec<String>)> {
        let joined = text.replace("\\\n", " ");
        let mut out = Vec::new();
        for line in joined.lines().filter(|l| l.contains("--set ")) {
            let words = shell_words(line);
            let stage = words
                .windows(2)
                .find(|w| w[0] == "--preset")
                .and_then(|w| w[1].parse().ok())
                .unwrap_or(1);
            let sets: Vec<String> = words
                .windows(2)
                .filter(|w| w[0] == "--set")
                .map(|w| w[1].clone())
                .filter(|a| a.contains('=') && !a.contains("PATH") && !a.contains('$'))
                .collect();
            if !sets.is_empty() {
                out.push((stage, sets));
            }
        }
        out
    }

    /// Words of a shell line: split on spaces, single quotes kept together (and removed).
    fn shell_words(line: &str) -> Vec<String> {
        let mut words = Vec::new();
        let mut word = String::new();
        let mut quoted = false;
        for c in line.chars() {
            match c {
                '\'' => quoted = !quoted,
                '`' if !quoted => {}
                c if c.is_whitespace() && !quoted => {
                    if !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                }
                c => word.push(c),
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        words
    }

    /// The ones the documents show being refused, with the reason they give.
    const REFUSED_LINKS: &[&str] = &["v1.s1~server.workers=0"];
    const REFUSED_SETS: &[(u8, &str)] = &[(10, "database.kind=key_value")];

    #[test]
    fn every_documented_link_and_set_reads_as_documented() {
        let mut checked = (0, 0);
        for (file, text) in documents() {
            for link in links(&text) {
                let refused = REFUSED_LINKS.contains(&link.as_str());
                let result = decode_link(&link);
                assert_eq!(
                    result.is_err(),
                    refused,
                    "{file}: link {link}: {:?}",
                    result.err()
                );
                checked.0 += 1;
            }
            for (stage, sets) in set_commands(&text) {
                let mut s = preset(stage).expect("a documented preset");
                for a in &sets {
                    let refused = REFUSED_SETS.contains(&(stage, a.as_str()));
                    match apply_set(&s, a) {
                        Ok(next) if !refused => s = next,
                        Err(_) if refused => {}
                        other => panic!(
                            "{file}: --preset {stage} --set {a}: {:?}",
                            other.map(|_| "accepted")
                        ),
                    }
                    checked.1 += 1;
                }
            }
        }
        assert!(
            checked.0 >= 10 && checked.1 >= 10,
            "too few found: {checked:?} (links, sets): the extraction broke"
        );
        eprintln!(
            "documented: {} links, {} --set assignments",
            checked.0, checked.1
        );
    }

    #[test]
    fn every_fixture_set_applies() {
        let text = std::fs::read_to_string(root().join("tests/fixtures/digests.json"))
            .expect("the fixtures");
        let fixtures: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        let cases = fixtures["cases"].as_array().expect("cases");
        let mut sets = 0;
        for case in cases {
            let stage = u8::try_from(case["preset"].as_u64().expect("a preset")).unwrap();
            let mut s = preset(stage).expect("a preset");
            for a in case["set"].as_array().expect("sets") {
                let a = a.as_str().expect("text");
                s = apply_set(&s, a).unwrap_or_else(|e| panic!("preset {stage} --set {a}: {e}"));
                sets += 1;
            }
        }
        assert!(sets >= 10, "only {sets} assignments in the fixtures");
    }

    #[test]
    fn an_unknown_path_is_one_clear_error_in_both_doors() {
        let s = preset(1).unwrap();
        for path in [
            "server.wrkers",
            "nope.deeper",
            "nope",
            "faults.3.at_s",
            "server..workers",
        ] {
            let set = apply_set(&s, &format!("{path}=1"))
                .expect_err(path)
                .to_string();
            assert!(
                set.starts_with(&format!("unknown field '{path}'")),
                "--set {path}: {set}"
            );
            let link = decode_link(&format!("v1.s1~{path}=1"))
                .expect_err(path)
                .to_string();
            assert!(
                link.starts_with(&format!("unknown field '{path}'"))
                    || (path.contains("..") && link.contains("not a field name")),
                "link {path}: {link}"
            );
        }
    }
}
