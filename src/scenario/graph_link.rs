//! `v2.` links: a drawn architecture (a [`TopologyFile`]) in a URL fragment.
//!
//! A v1 link is a preset plus changed fields; a drawn graph has no preset, so a v2 link carries
//! the graph itself, as compact JSON, deflated and written as base64url:
//!
//! ```text
//!   v2.<base64url(deflate(json))>
//!   json = {"n": [[k, name?, params?], …],   k: index of the kind in NodeKind::ALL;
//!                                           name: 0 when it is the kind's stem (`lb`, `web` …);
//!                                           params: changes to the kind's default parameters
//!           "e": [[from, to, flows], …],     node indices; flows: bit i = Flow::ALL[i]
//!           "r": {…},                        run settings that differ from a new drawing's
//!           "p": [[node, x, y], …],          positions of the nodes the user moved
//!           "t": 12.5, "l": "…"}             time position, live changes (as in v1)
//! ```
//!
//! Parameters are written as a merge patch on [`default_spec`] (objects field by field, other
//! values whole, `null` for a field the default has and the node lacks), so a six-component
//! drawing with few changes stays well under 400 characters. Decoding never panics: the input is
//! capped as v1's is, every index and count is checked, and the graph must lower (every problem
//! comes back as text).

use super::live::{decode_changes, encode_changes, LiveChange};
use super::topology::edit::{default_run, default_spec, stem};
use super::topology::{
    Edge, Flow, Node, NodeKind, Position, Topology, TopologyFile, MAX_COORD, MAX_EDGES, MAX_NODES,
};
use super::url::{inflate, Link, UrlError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Number, Value};
use std::collections::BTreeMap;

/// The prefix of a drawn architecture's link.
pub const GRAPH_PREFIX: &str = "v2.";

/// The fragment of a link to a drawn architecture's run: the graph it started from, the live
/// changes made to it and, optionally, a simulated time to show.
pub fn encode_graph(file: &TopologyFile, live: &[LiveChange], time_s: Option<f64>) -> String {
    let body = compact(file, live, time_s).to_string();
    let packed = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(body.as_bytes(), 9));
    format!("{GRAPH_PREFIX}{packed}")
}

/// The compact JSON of a v2 link, before it is deflated.
fn compact(file: &TopologyFile, live: &[LiveChange], time_s: Option<f64>) -> Value {
    let nodes: Vec<Value> = file
        .topology
        .nodes
        .iter()
        .map(|node| {
            let kind = node.spec.kind();
            let k = NodeKind::ALL.iter().position(|&x| x == kind).unwrap_or(0);
            let params = params_of(node);
            let base = params_of(&Node {
                name: String::new(),
                spec: default_spec(kind),
            });
            let patch = diff(&base, &params);
            let name = if node.name == stem(kind) {
                json!(0)
            } else {
                json!(node.name)
            };
            match patch {
                Some(p) => json!([k, name, p]),
                None if node.name == stem(kind) => json!([k]),
                None => json!([k, name]),
            }
        })
        .collect();
    let index = |name: &str| file.topology.nodes.iter().position(|n| n.name == name);
    let edges: Vec<Value> = file
        .topology
        .edges
        .iter()
        .filter_map(|e| {
            let bits = e.flows.iter().fold(0u32, |b, f| {
                b | 1 << Flow::ALL.iter().position(|x| x == f).unwrap_or(0)
            });
            Some(json!([index(&e.from)?, index(&e.to)?, bits]))
        })
        .collect();
    let mut out = Map::new();
    out.insert("n".into(), Value::Array(nodes));
    out.insert("e".into(), Value::Array(edges));
    let positions: Vec<Value> = file
        .topology
        .positions
        .iter()
        .filter_map(|(name, at)| Some(json!([index(name)?, at.x, at.y])))
        .collect();
    if !positions.is_empty() {
        out.insert("p".into(), Value::Array(positions));
    }
    let mut run = serde_json::to_value(file).expect("a graph file always serialises");
    let mut base = serde_json::to_value(default_run()).expect("a graph file always serialises");
    for v in [&mut run, &mut base] {
        if let Value::Object(m) = v {
            m.remove("topology");
        }
    }
    if let Some(r) = diff(&base, &run) {
        out.insert("r".into(), r);
    }
    if let Some(n) = time_s.and_then(Number::from_f64) {
        out.insert("t".into(), Value::Number(n));
    }
    if !live.is_empty() {
        out.insert("l".into(), Value::String(encode_changes(live)));
    }
    Value::Object(out)
}

fn params_of(node: &Node) -> Value {
    serde_json::to_value(node)
        .ok()
        .and_then(|mut v| v.get_mut("params").map(Value::take))
        .unwrap_or(Value::Null)
}

/// A merge patch that turns `base` into `current`; `None` when they are equal.
fn diff(base: &Value, current: &Value) -> Option<Value> {
    match (base, current) {
        _ if base == current => None,
        (Value::Object(b), Value::Object(c)) => {
            let mut out = Map::new();
            for (key, value) in c {
                match b.get(key) {
                    Some(old) => {
                        if let Some(d) = diff(old, value) {
                            out.insert(key.clone(), d);
                        }
                    }
                    None => {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            for key in b.keys().filter(|k| !c.contains_key(*k)) {
                out.insert(key.clone(), Value::Null);
            }
            Some(Value::Object(out))
        }
        _ => Some(current.clone()),
    }
}

/// Applies a merge patch (RFC 7386): objects field by field, `null` removes a field.
fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (key, value) in p {
                if value.is_null() {
                    t.remove(key);
                } else {
                    merge(t.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// Reads the part of a `v2.` link after the prefix.
pub(super) fn decode_graph(packed: &str) -> Result<Link, UrlError> {
    let text = inflate(packed)?;
    let root: Value = serde_json::from_str(&text)
        .map_err(|e| UrlError::Malformed(format!("its graph is not JSON ({e})")))?;
    let bad = |m: String| UrlError::Malformed(m);
    let obj = root
        .as_object()
        .ok_or_else(|| bad("its graph is not an object".into()))?;
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "n" | "e" | "p" | "r" | "t" | "l"))
    {
        return Err(UrlError::UnknownField(key.chars().take(40).collect()));
    }
    let raw_nodes = obj
        .get("n")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("it lists no nodes".into()))?;
    if raw_nodes.len() > MAX_NODES {
        return Err(bad(format!(
            "{} nodes, a graph has at most {MAX_NODES}",
            raw_nodes.len()
        )));
    }
    let mut nodes = Vec::with_capacity(raw_nodes.len());
    for (i, raw) in raw_nodes.iter().enumerate() {
        nodes.push(read_node(i, raw)?);
    }
    let raw_edges = match obj.get("e") {
        None => &Vec::new(),
        Some(v) => v
            .as_array()
            .ok_or_else(|| bad("its wires are not a list".into()))?,
    };
    if raw_edges.len() > MAX_EDGES {
        return Err(bad(format!(
            "{} wires, a graph has at most {MAX_EDGES}",
            raw_edges.len()
        )));
    }
    let mut edges = Vec::with_capacity(raw_edges.len());
    for (i, raw) in raw_edges.iter().enumerate() {
        let triple = raw
            .as_array()
            .filter(|a| a.len() == 3)
            .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?, a[2].as_u64()?)));
        let Some((from, to, bits)) = triple else {
            return Err(bad(format!("wire {i} is not [from, to, flows]")));
        };
        let name = |j: u64| {
            nodes
                .get(j as usize)
                .map(|n: &Node| n.name.clone())
                .ok_or_else(|| bad(format!("wire {i} names node {j}, which does not exist")))
        };
        if bits == 0 || bits >= 1 << Flow::ALL.len() {
            return Err(bad(format!("wire {i} carries no flow this version knows")));
        }
        edges.push(Edge {
            from: name(from)?,
            to: name(to)?,
            flows: Flow::ALL
                .iter()
                .enumerate()
                .filter(|(b, _)| bits & 1 << b != 0)
                .map(|(_, &f)| f)
                .collect(),
        });
    }
    let positions = read_positions(obj.get("p"), &nodes)?;
    let mut run = serde_json::to_value(default_run()).expect("a graph file always serialises");
    if let Some(r) = obj.get("r") {
        if !r.is_object() {
            return Err(bad("its run settings are not an object".into()));
        }
        merge(&mut run, r);
    }
    if let Value::Object(m) = &mut run {
        m.insert(
            "topology".into(),
            json!({"version": super::topology::TOPOLOGY_VERSION, "nodes": [], "edges": []}),
        );
    }
    let mut file: TopologyFile = serde_json::from_value(run)
        .map_err(|e| UrlError::NotAScenario(format!("its run settings: {e}")))?;
    file.topology = Topology {
        version: super::topology::TOPOLOGY_VERSION,
        nodes,
        edges,
        positions,
    };
    let scenario = file.lower().map_err(UrlError::Invalid)?;
    let time_s = match obj.get("t") {
        None => None,
        Some(t) => match t.as_f64() {
            Some(t) if t >= 0.0 && t <= f64::from(scenario.duration_s) => Some(t),
            _ => {
                return Err(UrlError::BadTime(format!(
                    "not a time within the run (0 to {} s)",
                    scenario.duration_s
                )))
            }
        },
    };
    let live = match obj.get("l") {
        None => Vec::new(),
        Some(Value::String(s)) => decode_changes(s)?,
        Some(_) => return Err(UrlError::Live("not text".into())),
    };
    let end_ns = u64::from(scenario.duration_s) * 1_000_000_000;
    if live.iter().any(|c| c.at_ns > end_ns) {
        return Err(UrlError::Live(format!(
            "a change after the end of the run ({} s)",
            scenario.duration_s
        )));
    }
    Ok(Link {
        scenario,
        time_s,
        live,
        graph: Some(file),
    })
}

/// The link's `p`: `[node index, x, y]` for each node the user moved.
fn read_positions(
    raw: Option<&Value>,
    nodes: &[Node],
) -> Result<BTreeMap<String, Position>, UrlError> {
    let bad = |m: String| UrlError::Malformed(m);
    let mut out = BTreeMap::new();
    let Some(raw) = raw else { return Ok(out) };
    let list = raw
        .as_array()
        .filter(|a| a.len() <= MAX_NODES)
        .ok_or_else(|| bad("its positions are not a short list".into()))?;
    for (i, p) in list.iter().enumerate() {
        let triple = p
            .as_array()
            .filter(|a| a.len() == 3)
            .and_then(|a| Some((a[0].as_u64()?, a[1].as_u64()?, a[2].as_u64()?)));
        let Some((node, x, y)) = triple else {
            return Err(bad(format!("position {i} is not [node, x, y]")));
        };
        let name = usize::try_from(node)
            .ok()
            .and_then(|j| nodes.get(j))
            .map(|n| n.name.clone())
            .ok_or_else(|| {
                bad(format!(
                    "position {i} names node {node}, which does not exist"
                ))
            })?;
        let coord = |v: u64| u32::try_from(v).ok().filter(|&v| v <= MAX_COORD);
        let (Some(x), Some(y)) = (coord(x), coord(y)) else {
            return Err(bad(format!(
                "position {i} is off the drawing (0 – {MAX_COORD})"
            )));
        };
        out.insert(name, Position { x, y });
    }
    Ok(out)
}

fn read_node(i: usize, raw: &Value) -> Result<Node, UrlError> {
    let bad = |m: String| UrlError::Malformed(m);
    let parts = raw
        .as_array()
        .filter(|a| (1..=3).contains(&a.len()))
        .ok_or_else(|| bad(format!("node {i} is not [kind, name, params]")))?;
    let kind = parts[0]
        .as_u64()
        .and_then(|k| NodeKind::ALL.get(k as usize).copied())
        .ok_or_else(|| bad(format!("node {i} is of a kind this version does not know")))?;
    let name = match parts.get(1) {
        None => stem(kind).to_string(),
        Some(Value::Number(n)) if n.as_u64() == Some(0) => stem(kind).to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(bad(format!("node {i}'s name is not text"))),
    };
    let mut params = params_of(&Node {
        name: String::new(),
        spec: default_spec(kind),
    });
    if let Some(p) = parts.get(2) {
        if !p.is_object() {
            return Err(bad(format!("node {i}'s parameters are not an object")));
        }
        merge(&mut params, p);
    }
    serde_json::from_value(json!({"name": name, "kind": kind.name(), "params": params})).map_err(
        |e| UrlError::BadValue {
            path: format!("node {i}"),
            reason: e.to_string(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::topology::edit::{Edit, Editor};
    use crate::scenario::{decode_link, preset};

    fn three_tier() -> Editor {
        let mut e = Editor::blank();
        for edit in [
            Edit::Add(NodeKind::LoadBalancer),
            Edit::Add(NodeKind::Database),
            Edit::Add(NodeKind::Cache),
            Edit::Disconnect {
                from: "dns".into(),
                to: "web".into(),
            },
            Edit::Connect {
                from: "dns".into(),
                to: "lb".into(),
            },
            Edit::Connect {
                from: "lb".into(),
                to: "web".into(),
            },
            Edit::Connect {
                from: "web".into(),
                to: "cache".into(),
            },
            Edit::Connect {
                from: "web".into(),
                to: "db".into(),
            },
            Edit::Connect {
                from: "cache".into(),
                to: "db".into(),
            },
        ] {
            e.apply(edit.clone())
                .unwrap_or_else(|m| panic!("{edit:?}: {m}"));
        }
        e
    }

    #[test]
    fn a_six_component_drawing_is_a_short_link() {
        let e = three_tier();
        assert_eq!(e.topology().nodes.len(), 6);
        let scenario = e.runs().expect("the drawing runs");
        let link = encode_graph(&e.file, &[], None);
        // Measured: printed by `cargo test --lib six_component -- --nocapture`.
        println!("6-component v2 link: {} characters: {link}", link.len());
        assert!(link.len() <= 400, "{} characters", link.len());
        let back = decode_link(&link).unwrap();
        assert_eq!(back.graph.as_ref(), Some(&e.file));
        assert_eq!(back.scenario, scenario);
    }

    #[test]
    fn moved_nodes_travel_in_the_link() {
        let mut e = three_tier();
        let plain = encode_graph(&e.file, &[], None);
        for (name, x, y) in [("db", 700, 20), ("cache", 520, 300)] {
            e.apply(Edit::Move {
                name: name.into(),
                to: Some(Position { x, y }),
            })
            .unwrap();
        }
        let link = encode_graph(&e.file, &[], None);
        // Measured: printed by `cargo test --lib moved_nodes -- --nocapture`.
        println!(
            "6 components, 2 moved: {} characters (unmoved: {})",
            link.len(),
            plain.len()
        );
        assert!(link.len() <= 400, "{} characters", link.len());
        let back = decode_link(&link).unwrap();
        assert_eq!(back.graph.as_ref(), Some(&e.file));
        assert_eq!(back.graph.unwrap().topology.positions.len(), 2);
    }

    #[test]
    fn a_data_centers_own_changes_travel_in_the_link() {
        let mut s = preset(11).unwrap();
        s.geo.as_mut().unwrap().data_centers[1].set = [
            ("autoscaling".to_string(), Value::Null),
            ("cache".to_string(), Value::Null),
            ("server.count".to_string(), json!(4)),
        ]
        .into();
        let file = s.topology_file();
        let link = encode_graph(&file, &[], None);
        let back = decode_link(&link).unwrap();
        assert_eq!(back.graph.as_ref(), Some(&file));
        assert_eq!(back.scenario, s);
    }

    #[test]
    fn every_preset_graph_round_trips_with_time_and_live_changes() {
        for stage in 1..=11 {
            let Some(s) = preset(stage) else { continue };
            let file = s.topology_file();
            let live = decode_changes("5:users:900,7.5:kill:web-0").unwrap();
            let link = encode_graph(&file, &live, Some(12.5));
            let back = decode_link(&link).unwrap_or_else(|e| panic!("stage {stage}: {e}"));
            assert_eq!(back.graph.as_ref(), Some(&file), "stage {stage}");
            assert_eq!(back.scenario, s, "stage {stage}");
            assert_eq!(back.time_s, Some(12.5));
            assert_eq!(back.live, live);
        }
    }

    #[test]
    fn damaged_links_are_refused_with_a_message() {
        let pack = |v: Value| {
            format!(
                "v2.{}",
                URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(
                    v.to_string().as_bytes(),
                    9
                ))
            )
        };
        for (v, expect) in [
            (json!([1]), "not an object"),
            (json!({"n": [[99]]}), "kind"),
            (json!({"n": [[0], [1]], "e": [[0, 7, 1]]}), "does not exist"),
            (json!({"n": [[0], [1]], "e": [[0, 1, 0]]}), "no flow"),
            (json!({"n": [[0, 5]]}), "not text"),
            (
                json!({"n": [[0, 0, {"traffic": {"users": "x"}}]]}),
                "node 0",
            ),
            (json!({"n": [[0]], "x": 1}), "unknown field"),
            (json!({"n": [[6]]}), "users"),
            (json!({"n": [[0]], "p": [[3, 1, 1]]}), "does not exist"),
            (json!({"n": [[0]], "p": [[0, 1, 20001]]}), "off the drawing"),
            (json!({"n": [[0]], "p": [[0, -1, 5]]}), "not [node, x, y]"),
            (json!({"n": [[0]], "p": 7}), "positions"),
        ] {
            let err = decode_link(&pack(v.clone())).unwrap_err().to_string();
            assert!(err.contains(expect), "{v}: {err}");
        }
        for junk in ["v2.", "v2.!!!!", "v2.AAAA", "v2.eJzLSM3JyVcozy/KSQEAGgQEXQ"] {
            assert!(decode_link(junk).is_err(), "{junk}");
        }
    }
}
