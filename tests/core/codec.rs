//! The binary codec the engine's wasm sends the page what it read (src/codec.rs,
//! src/scenario/wire.rs): every preset, every link in the docs and tests, every registered
//! kind and edge values come back exactly; bad bytes give `None`, never a panic.

use proptest::prelude::*;
use scalesim::codec::{from_bytes, to_bytes, Wire};
use scalesim::scenario::topology::{Node, NodeSpec};
use scalesim::scenario::{
    decode_link, encode_graph, encode_link, preset, Fault, FaultKind, Link, LiveAction, LiveChange,
    Mechanism, PlugNode, Profile, Retries, Scenario, TopologyFile, STAGES,
};
use scalesim::sim::PlugKind;

/// Encodes, decodes, and checks the value and its bytes come back the same.
fn round_trip<T: Wire + PartialEq + std::fmt::Debug>(value: &T) -> Vec<u8> {
    let bytes = to_bytes(value);
    let back: T = from_bytes(&bytes).expect("its own bytes decode");
    assert_eq!(&back, value);
    assert_eq!(
        to_bytes(&back),
        bytes,
        "the decoded value encodes to the same bytes"
    );
    bytes
}

fn presets() -> Vec<Scenario> {
    STAGES
        .iter()
        .filter(|s| s.built)
        .map(|s| preset(s.number).expect("a built stage has a preset"))
        .collect()
}

#[test]
fn every_preset_and_its_drawing_come_back_exactly() {
    let all = presets();
    assert_eq!(all.len(), 11);
    for s in &all {
        round_trip(s);
        round_trip(&s.topology_file());
        // As a link with a drawing, live changes and a time position.
        round_trip(&Link {
            scenario: s.clone(),
            time_s: Some(12.5),
            live: vec![LiveChange {
                at_ns: 3_000_000_001,
                action: LiveAction::Kill("web-0".into()),
            }],
            graph: Some(s.topology_file()),
        });
    }
}

/// Every link written in the docs and in the tests' sources (`v1.…`, `v1z.…`, `v2.…`).
fn links_in_the_sources() -> Vec<String> {
    let sources = [
        include_str!("../../docs/urls.md"),
        include_str!("../../docs/topology.md"),
        include_str!("../../docs/challenges.md"),
        include_str!("../../docs/failures.md"),
        include_str!("../../docs/scenario.md"),
        include_str!("../../docs/resharding.md"),
        include_str!("../../docs/deploys-and-data-stores.md"),
        include_str!("../../README.md"),
        include_str!("url.rs"),
        include_str!("live.rs"),
        include_str!("../web.rs"),
    ];
    let mut links = Vec::new();
    for text in sources {
        for (at, _) in text.match_indices('v') {
            let rest = &text[at..];
            if !["v1.", "v1z.", "v2."].iter().any(|p| rest.starts_with(p)) {
                continue;
            }
            // A link ends at a quote, a space, a backtick, a bracket or a line's end.
            let end = rest
                .find(|c: char| c.is_whitespace() || "\"'`)<>|".contains(c))
                .unwrap_or(rest.len());
            links.push(rest[..end].to_string());
        }
    }
    links.sort();
    links.dedup();
    links
}

#[test]
fn every_link_in_the_docs_and_tests_decodes_to_the_same_link_through_the_codec() {
    let mut read = 0;
    for text in links_in_the_sources() {
        let Ok(link) = decode_link(&text) else {
            continue;
        };
        round_trip(&link);
        read += 1;
    }
    assert!(read >= 20, "only {read} links read from the docs and tests");
}

#[test]
fn every_registered_kind_travels_in_a_scenario_and_in_a_drawing() {
    for kind in PlugKind::ALL {
        let params = kind.default_params();
        round_trip(&params);
        let mut s = preset(3).unwrap();
        s.plugs.push(PlugNode {
            name: format!("my-{}", kind.name()),
            fronts: "lb".into(),
            params: params.clone(),
        });
        s.validate()
            .expect("a registered kind in front of the balancer is valid");
        round_trip(&s);
        let mut file = preset(3).unwrap().topology_file();
        file.topology.nodes.push(Node {
            name: kind.name().into(),
            spec: NodeSpec::Plug(params),
        });
        round_trip(&file);
        // A `v2.` link carrying it reads back through the codec unchanged.
        let link = decode_link(&encode_graph(&file, &[], None));
        if let Ok(link) = link {
            round_trip(&link);
        }
    }
}

#[test]
fn edge_values_come_back_bit_for_bit() {
    let mut s = preset(11).unwrap();
    s.seed = u64::MAX;
    s.traffic.users = u64::MAX;
    s.name = "ünïcödé ✓ <b>\u{0}</b>".into();
    s.traffic.requests_per_user_per_s = f64::MIN_POSITIVE / 2.0; // subnormal
    s.traffic.client_timeout_ms = f64::MAX;
    s.dns.lookup_ms = -0.0;
    s.network.client_rtt_ms = f64::INFINITY;
    s.traffic.profile = Profile::Cycle {
        period_s: 1e-300,
        amplitude: 0.999_999_999_999,
    };
    s.traffic.retries = Some(Retries {
        max: u32::MAX,
        backoff_ms: 0.1 + 0.2,
        multiplier: 2.0,
        jitter: 0.0,
    });
    s.faults = vec![
        Fault::down("", 0.0, 0.0),
        Fault::slow("db-0", 1000.0, 1.0, 2.0),
        Fault::errors("web-0", 0.3, 1.0, 2.0),
        Fault::partition("us-east", "eu-west", 1.0, 2.0),
    ];
    assert_eq!(s.faults[3].kind, FaultKind::Partition);
    round_trip(&s);
    // NaN is not equal to itself: its bytes are.
    s.traffic.mix.write = f64::NAN;
    let bytes = to_bytes(&s);
    let back: Scenario = from_bytes(&bytes).unwrap();
    assert!(back.traffic.mix.write.is_nan());
    assert_eq!(to_bytes(&back), bytes);
    // Every live change and every profile.
    let live = vec![
        LiveAction::Users(0),
        LiveAction::WebServers(u32::MAX),
        LiveAction::PoolServers {
            pool: "api".into(),
            count: 3,
        },
        LiveAction::Repair("x".into()),
        LiveAction::CdnPurgeAll,
        LiveAction::CdnNewVersion,
        LiveAction::Reshard(5),
        LiveAction::Mechanism {
            which: Mechanism::Coalesce,
            on: true,
        },
    ];
    for action in live {
        round_trip(&LiveChange {
            at_ns: u64::MAX,
            action,
        });
    }
    for profile in [
        Profile::Constant,
        Profile::Ramp {
            start_s: 1.0,
            end_s: 2.0,
            factor: 3.0,
        },
        Profile::Spike {
            at_s: 1.0,
            duration_s: 2.0,
            factor: 3.0,
        },
    ] {
        round_trip(&profile);
    }
}

#[test]
fn cut_or_padded_bytes_do_not_decode() {
    let link = Link {
        scenario: preset(10).unwrap(),
        time_s: Some(1.0),
        live: Vec::new(),
        graph: Some(preset(10).unwrap().topology_file()),
    };
    let bytes = round_trip(&link);
    for cut in 0..bytes.len() {
        assert!(
            from_bytes::<Link>(&bytes[..cut]).is_none(),
            "{cut} of {} bytes decoded",
            bytes.len()
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(from_bytes::<Link>(&longer).is_none());
    // Not a scenario's bytes at all.
    assert!(from_bytes::<TopologyFile>(&[0xff; 64]).is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = from_bytes::<Link>(&bytes);
        let _ = from_bytes::<Scenario>(&bytes);
        let _ = from_bytes::<TopologyFile>(&bytes);
    }

    #[test]
    fn a_changed_byte_never_panics(at in 0usize..4096, value in any::<u8>()) {
        let mut bytes = to_bytes(&preset(11).unwrap());
        let at = at % bytes.len();
        bytes[at] = value;
        let _ = from_bytes::<Scenario>(&bytes);
    }
}

#[test]
fn a_link_written_from_a_decoded_scenario_is_the_same_link() {
    // The page writes links from the scenarios it gets in the codec: they must be the links
    // the worker's own scenario would give.
    for s in presets() {
        let back: Scenario = from_bytes(&to_bytes(&s)).unwrap();
        assert_eq!(encode_link(&back, Some(3.25)), encode_link(&s, Some(3.25)));
    }
}
