//! Older spellings still read. Shares were once written in percent (`users_percent`,
//! `split_percent`); they are ratios 0 – 1 now (`users_share`, `split_share`). Scenario files,
//! v1 and v2 links and `--set` paths in the old spelling decode to the same scenario, so to the
//! same report, as the new spelling.

use crate::helpers::{run, scalesim};
use scalesim::scenario::{
    apply_set, decode, decode_link, encode, encode_graph, preset, GeoRouting, Scenario,
};
use serde_json::json;

/// Stage 11, small and short, with geoDNS splitting 70 / 30.
fn split_stage11() -> Scenario {
    let mut s = preset(11).expect("stage 11");
    s.traffic.users = 20_000;
    s.duration_s = 10;
    let geo = s.geo.as_mut().expect("geo");
    geo.routing = GeoRouting::Split;
    geo.split_share = vec![0.7, 0.3];
    s
}

#[test]
fn an_old_scenario_file_in_percent_gives_the_same_run() {
    let new = split_stage11();
    let mut old = serde_json::to_value(&new).expect("serialises");
    let geo = old["geo"].as_object_mut().expect("geo");
    assert_eq!(geo.remove("split_share"), Some(json!([0.7, 0.3])));
    geo.insert("split_percent".into(), json!([70, 30]));
    geo.insert(
        "regions".into(),
        json!([
            { "name": "north-america", "users_percent": 50 },
            { "name": "europe", "users_percent": 35 },
            { "name": "asia", "users_percent": 15 },
        ]),
    );
    let old = Scenario::from_json(&old.to_string()).expect("the old spelling reads");
    assert_eq!(old, new);
    assert_eq!(run(&old).digest, run(&new).digest);
    // Written back, it uses today's spelling only.
    let text = old.to_json_pretty();
    assert!(text.contains("\"split_share\"") && text.contains("\"users_share\""));
    assert!(!text.contains("_percent"), "{text}");
}

#[test]
fn both_spellings_at_once_are_refused() {
    let mut v = serde_json::to_value(split_stage11()).expect("serialises");
    v["geo"]["split_percent"] = json!([70, 30]);
    let err = Scenario::from_json(&v.to_string()).unwrap_err().to_string();
    assert!(err.contains("not both"), "{err}");
}

#[test]
fn old_set_paths_assign_shares() {
    let base = split_stage11();
    let old = apply_set(&base, "geo.split_percent=[60,40]").expect("old path");
    let new = apply_set(&base, "geo.split_share=[0.6,0.4]").expect("new path");
    assert_eq!(old, new);
    assert_eq!(old.geo.as_ref().unwrap().split_share, vec![0.6, 0.4]);
    // One region alone breaks the sum, and both spellings say so in the same words.
    let old = apply_set(&base, "geo.regions.0.users_percent=40").unwrap_err();
    let new = apply_set(&base, "geo.regions.0.users_share=0.4").unwrap_err();
    assert_eq!(old.to_string(), new.to_string());
    assert!(
        new.to_string().contains("users_share adds up to 0.9"),
        "{new}"
    );
    // The CLI reads them too, to the same report.
    let file = std::env::temp_dir().join(format!("scalesim-spelling-{}.json", std::process::id()));
    std::fs::write(&file, base.to_json_pretty()).expect("writes");
    let file = file.to_string_lossy().into_owned();
    let digest = |set: &str| {
        let (code, out, err) = scalesim(&["run", &file, "--set", set, "--json"]);
        assert_eq!(code, 0, "{err}");
        let report: serde_json::Value = serde_json::from_str(&out).expect("a report");
        report["digest"].clone()
    };
    assert_eq!(
        digest("geo.split_percent=[55,45]"),
        digest("geo.split_share=[0.55,0.45]")
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn old_v1_links_decode_to_the_same_run() {
    let new = split_stage11();
    let link = encode(&new);
    assert!(link.contains("geo.split_share="), "{link}");
    let old =
        "v1.s11~traffic.users=20000~duration_s=10~geo.routing=split~geo.split_percent=[70,30]";
    assert_eq!(decode(old).expect("old link"), new);
    assert_eq!(decode(&link).expect("new link"), new);
    let regions = "v1.s11~geo.regions=[{\"name\":\"north-america\",\"users_percent\":50},\
                   {\"name\":\"europe\",\"users_percent\":35},{\"name\":\"asia\",\"users_percent\":15}]";
    assert_eq!(
        decode(regions).expect("regions in percent"),
        preset(11).unwrap()
    );
    let one = "v1.s11~geo.regions.0.users_percent=40~geo.regions.2.users_percent=25";
    let mut expected = preset(11).unwrap();
    expected.geo.as_mut().unwrap().regions[0].users_share = 0.4;
    expected.geo.as_mut().unwrap().regions[2].users_share = 0.25;
    assert_eq!(decode(one).expect("one region in percent"), expected);
}

#[test]
fn old_v2_links_decode_to_the_same_run() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let new = split_stage11();
    let link = encode_graph(&new.topology_file(), &[], None);
    let packed = link.strip_prefix("v2.").expect("a v2 link");
    let text = String::from_utf8(
        miniz_oxide::inflate::decompress_to_vec(&b64.decode(packed).expect("base64"))
            .expect("inflates"),
    )
    .expect("text");
    let old_text = text
        .replace("\"split_share\":0.7", "\"split_percent\":70")
        .replace("\"split_share\":0.3", "\"split_percent\":30");
    assert!(!old_text.contains("split_share"), "{text}");
    let old_link = format!(
        "v2.{}",
        b64.encode(miniz_oxide::deflate::compress_to_vec(
            old_text.as_bytes(),
            9
        ))
    );
    let old = decode_link(&old_link).expect("old v2 link");
    let fresh = decode_link(&link).expect("new v2 link");
    assert_eq!(old.scenario, fresh.scenario);
    assert_eq!(old.graph, fresh.graph);
    assert_eq!(run(&old.scenario).digest, run(&new).digest);
}
