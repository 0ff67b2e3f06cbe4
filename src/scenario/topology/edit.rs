//! Editing a graph: the operations the app's editor offers (add, remove, rename, duplicate,
//! connect, disconnect, set a node's parameters), each checked on the spot, with undo and redo.
//! Pure: no web types, tested natively.
//!
//! ```text
//!   Editor { file, undo, redo }
//!     apply(Edit) ──ok──▶ file changed, old file on the undo stack, redo cleared
//!                 └─err─▶ nothing changed; the reason, in words, for the user
//!     runs() ─▶ the scenario the engine runs (file.lower()), or every problem, one line each
//! ```

use super::{
    can_connect, Edge, Flow, Node, NodeKind, NodeSpec, Position, Topology, TopologyFile, MAX_COORD,
    MAX_EDGES, MAX_NODES, MAX_NODE_NAME_CHARS,
};
use crate::scenario::{
    preset, Deploy, Dist, NoSqlStore, Scenario, StoreKind, ValidationErrors, SCENARIO_VERSION,
};
use serde_json::Value;

/// Most edits kept to undo.
pub const MAX_UNDO: usize = 200;

/// One change to a graph.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Add a node of this kind, with its default parameters and a fresh name.
    Add(NodeKind),
    /// Remove a node and its wires.
    Remove(String),
    /// Rename a node (its wires follow).
    Rename {
        /// The node's name now.
        from: String,
        /// Its new name.
        to: String,
    },
    /// Add a copy of a node (same kind and parameters, a fresh name, no wires).
    Duplicate(String),
    /// Wire `from` to `to`, with every flow the rules allow between them.
    Connect {
        /// Where the flows leave.
        from: String,
        /// Where they arrive.
        to: String,
    },
    /// Wire one flow from `from` to `to`.
    ConnectFlow {
        /// Where the flow leaves.
        from: String,
        /// Where it arrives.
        to: String,
        /// What travels.
        flow: Flow,
    },
    /// Remove the wire from `from` to `to` (all its flows).
    Disconnect {
        /// Where the flows leave.
        from: String,
        /// Where they arrive.
        to: String,
    },
    /// Draw a node at another place (its box's top-left corner, in drawing units); `None`:
    /// back to where the automatic layout puts it.
    Move {
        /// The node.
        name: String,
        /// Where it goes.
        to: Option<Position>,
    },
    /// Replace a node's parameters (as written in a graph file's `params`).
    SetParams {
        /// The node.
        name: String,
        /// Its new parameters.
        params: Value,
    },
}

/// What an edit did, in words for a screen reader ("Added cache `cache`.").
pub type Done = String;

/// A graph being edited, with its undo and redo history.
#[derive(Clone, Debug, PartialEq)]
pub struct Editor {
    /// The graph and its run settings now.
    pub file: TopologyFile,
    undo: Vec<(TopologyFile, String)>,
    redo: Vec<(TopologyFile, String)>,
}

impl Editor {
    /// Edits `file`.
    pub fn new(file: TopologyFile) -> Editor {
        Editor {
            file,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }

    /// A blank sandbox: users, DNS and one web server (stage 1's system).
    pub fn blank() -> Editor {
        let mut file = preset(1).expect("stage 1 has a preset").topology_file();
        file.name = "My architecture".to_string();
        file.stage = None;
        file.faults.clear();
        Editor::new(file)
    }

    /// The graph.
    pub fn topology(&self) -> &Topology {
        &self.file.topology
    }

    /// Whether there is an edit to undo.
    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    /// Whether there is an undone edit to redo.
    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// The scenario the engine runs, or every problem of the graph, one message each.
    pub fn runs(&self) -> Result<Scenario, ValidationErrors> {
        self.file.lower()
    }

    /// Makes one edit, or says why not (the graph is then unchanged).
    pub fn apply(&mut self, edit: Edit) -> Result<Done, String> {
        let mut file = self.file.clone();
        let done = change(&mut file.topology, edit)?;
        let before = std::mem::replace(&mut self.file, file);
        self.undo.push((before, done.clone()));
        if self.undo.len() > MAX_UNDO {
            self.undo.remove(0);
        }
        self.redo.clear();
        Ok(done)
    }

    /// Undoes the last edit; what was undone, if anything.
    pub fn undo(&mut self) -> Option<String> {
        let (before, done) = self.undo.pop()?;
        let after = std::mem::replace(&mut self.file, before);
        self.redo.push((after, done.clone()));
        Some(format!("Undone: {done}"))
    }

    /// Redoes the last undone edit; what was redone, if anything.
    pub fn redo(&mut self) -> Option<String> {
        let (after, done) = self.redo.pop()?;
        let before = std::mem::replace(&mut self.file, after);
        self.undo.push((before, done.clone()));
        Some(format!("Redone: {done}"))
    }
}

fn change(t: &mut Topology, edit: Edit) -> Result<Done, String> {
    match edit {
        Edit::Add(kind) => {
            if t.nodes.len() >= MAX_NODES {
                return Err(format!("a graph has at most {MAX_NODES} nodes"));
            }
            let name = fresh_name(t, stem(kind));
            t.nodes.push(Node {
                name: name.clone(),
                spec: default_spec(kind),
            });
            Ok(format!("Added {} `{name}`.", kind.noun()))
        }
        Edit::Remove(name) => {
            let i = index(t, &name)?;
            t.nodes.remove(i);
            t.positions.remove(&name);
            let wires = t.edges.len();
            t.edges.retain(|e| e.from != name && e.to != name);
            let gone = wires - t.edges.len();
            Ok(format!(
                "Removed `{name}`{}.",
                match gone {
                    0 => String::new(),
                    1 => " and its wire".to_string(),
                    n => format!(" and its {n} wires"),
                }
            ))
        }
        Edit::Rename { from, to } => {
            let i = index(t, &from)?;
            if from == to {
                return Err(format!("`{to}` is already its name"));
            }
            check_name(t, &to)?;
            t.nodes[i].name = to.clone();
            if let Some(at) = t.positions.remove(&from) {
                t.positions.insert(to.clone(), at);
            }
            for e in &mut t.edges {
                if e.from == from {
                    e.from = to.clone();
                }
                if e.to == from {
                    e.to = to.clone();
                }
            }
            Ok(format!("Renamed `{from}` to `{to}`."))
        }
        Edit::Duplicate(name) => {
            let i = index(t, &name)?;
            if t.nodes.len() >= MAX_NODES {
                return Err(format!("a graph has at most {MAX_NODES} nodes"));
            }
            let copy = fresh_name(t, &name);
            let spec = t.nodes[i].spec.clone();
            if let Some(at) = t.positions.get(&name).copied() {
                // Beside the original, not on top of it.
                let step = |v: u32| (v + 24).min(MAX_COORD);
                let near = Position {
                    x: step(at.x),
                    y: step(at.y),
                };
                t.positions.insert(copy.clone(), near);
            }
            t.nodes.insert(
                i + 1,
                Node {
                    name: copy.clone(),
                    spec,
                },
            );
            Ok(format!("Duplicated `{name}` as `{copy}`."))
        }
        Edit::Connect { from, to } => {
            let flows = wire_flows(t, &from, &to)?;
            add_flows(t, &from, &to, &flows)?;
            Ok(format!(
                "Wired `{from}` to `{to}` ({}).",
                flows
                    .iter()
                    .map(|f| f.plural())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
        Edit::ConnectFlow { from, to, flow } => {
            t.can_connect(&from, &to, flow).map_err(|e| e.0)?;
            add_flows(t, &from, &to, &[flow])?;
            Ok(format!("Wired `{from}` to `{to}` ({}).", flow.plural()))
        }
        Edit::Disconnect { from, to } => {
            let before = t.edges.len();
            t.edges.retain(|e| !(e.from == from && e.to == to));
            if t.edges.len() == before {
                return Err(format!("there is no wire from `{from}` to `{to}`"));
            }
            Ok(format!("Removed the wire from `{from}` to `{to}`."))
        }
        Edit::Move { name, to } => {
            index(t, &name)?;
            if let Some(at) = to {
                if at.x > MAX_COORD || at.y > MAX_COORD {
                    return Err(format!("each coordinate is 0 – {MAX_COORD}"));
                }
            }
            if t.positions.get(&name).copied() == to {
                return Err("it is already there".to_string());
            }
            match to {
                Some(at) => {
                    t.positions.insert(name.clone(), at);
                    Ok(format!("Moved `{name}` to ({}, {}).", at.x, at.y))
                }
                None => {
                    t.positions.remove(&name);
                    Ok(format!("`{name}` is placed automatically again."))
                }
            }
        }
        Edit::SetParams { name, params } => {
            let i = index(t, &name)?;
            let kind = t.nodes[i].spec.kind();
            let node: Node = serde_json::from_value(serde_json::json!({
                "name": name,
                "kind": kind.name(),
                "params": params,
            }))
            .map_err(|e| e.to_string())?;
            if node.spec == t.nodes[i].spec {
                return Err("nothing changed".to_string());
            }
            t.nodes[i].spec = node.spec;
            Ok(format!("Changed the parameters of `{name}`."))
        }
    }
}

/// Every flow the rules let `from` send to `to` given the wires already drawn, or the reason
/// none may go (for the flow `from` sends first).
pub fn wire_flows(t: &Topology, from: &str, to: &str) -> Result<Vec<Flow>, String> {
    let flows: Vec<Flow> = Flow::ALL
        .into_iter()
        .filter(|&f| t.can_connect(from, to, f).is_ok())
        .collect();
    if !flows.is_empty() {
        return Ok(flows);
    }
    let kind = |n: &str| t.node(n).map(|n| n.spec.kind());
    // The reason for the most telling flow: one the sender sends at all, to a kind it may
    // reach, else any it sends.
    let sends: Vec<Flow> = match kind(from) {
        Some(k) => Flow::ALL
            .into_iter()
            .filter(|&f| !super::rules::targets(k, f).is_empty())
            .collect(),
        None => Vec::new(),
    };
    let telling = match (kind(from), kind(to)) {
        (Some(a), Some(b)) => sends
            .iter()
            .copied()
            .find(|&f| can_connect(a, b, f).is_ok())
            .or_else(|| sends.first().copied()),
        _ => None,
    }
    .unwrap_or(Flow::PageView);
    Err(t
        .can_connect(from, to, telling)
        .err()
        .map_or_else(|| "this wire is not allowed".to_string(), |e| e.0))
}

fn add_flows(t: &mut Topology, from: &str, to: &str, flows: &[Flow]) -> Result<(), String> {
    if let Some(e) = t.edges.iter_mut().find(|e| e.from == from && e.to == to) {
        for &f in flows {
            if !e.flows.contains(&f) {
                e.flows.push(f);
            }
        }
        return Ok(());
    }
    if t.edges.len() >= MAX_EDGES {
        return Err(format!("a graph has at most {MAX_EDGES} wires"));
    }
    t.edges.push(Edge {
        from: from.to_string(),
        to: to.to_string(),
        flows: flows.to_vec(),
    });
    Ok(())
}

fn index(t: &Topology, name: &str) -> Result<usize, String> {
    t.nodes
        .iter()
        .position(|n| n.name == name)
        .ok_or_else(|| format!("no node named `{}`", short(name)))
}

/// Whether `name` may name a new node: the characters and length the format allows, unique.
pub fn check_name(t: &Topology, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.chars().count() <= MAX_NODE_NAME_CHARS
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.'));
    if !ok {
        return Err(format!(
            "`{}`: a name is 1 to {MAX_NODE_NAME_CHARS} letters, digits, '-', '_' or '.'",
            short(name)
        ));
    }
    if t.node(name).is_some() {
        return Err(format!("a node is already named `{}`", short(name)));
    }
    Ok(())
}

fn short(name: &str) -> String {
    name.chars().take(MAX_NODE_NAME_CHARS).collect()
}

/// `stem`, or `stem-2`, `stem-3` … whichever no node has yet.
fn fresh_name(t: &Topology, stem: &str) -> String {
    let stem: String = stem.chars().take(MAX_NODE_NAME_CHARS - 4).collect();
    if t.node(&stem).is_none() {
        return stem;
    }
    (2..)
        .map(|i| format!("{stem}-{i}"))
        .find(|n| t.node(n).is_none())
        .expect("some suffix is free")
}

/// The name a new node of this kind starts from.
pub fn stem(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Users => "users",
        NodeKind::Dns => "dns",
        NodeKind::GeoDns => "geodns",
        NodeKind::DataCenter => "dc",
        NodeKind::CdnEdge => "cdn",
        NodeKind::LoadBalancer => "lb",
        NodeKind::WebPool => "web",
        NodeKind::SessionStore => "sessions",
        NodeKind::Cache => "cache",
        NodeKind::ShardRouter => "shards",
        NodeKind::Database => "db",
        NodeKind::NoSql => "nosql",
        NodeKind::Queue => "queue",
        NodeKind::Workers => "workers",
        NodeKind::Autoscaler => "autoscaler",
        NodeKind::Deploy => "deploy",
        NodeKind::Monitor => "monitor",
        NodeKind::Plug(kind) => kind.name(),
    }
}

/// The parameters a new node of this kind gets: those of the first preset that has one (stage
/// 10 for most kinds, stage 11 for geoDNS and data centers), and for the two kinds no preset
/// has, a NoSQL store of four key-value nodes taking half the data requests and a rolling
/// deploy of one server at a time. The link codec writes parameters as changes to these.
pub fn default_spec(kind: NodeKind) -> NodeSpec {
    match kind {
        NodeKind::NoSql => NodeSpec::NoSql(NoSqlStore {
            kind: StoreKind::KeyValue,
            share: 0.5,
            nodes: 4,
            workers: 16,
            queue_capacity: 1000,
            read: Dist::exponential(1.0),
            write: Dist::exponential(2.0),
        }),
        NodeKind::Deploy => NodeSpec::Deploy(Deploy {
            at_s: None,
            batch_size: 1,
            drain: true,
            drain_timeout_ms: 10_000.0,
            startup_s: 5.0,
            pool: None,
        }),
        // A registered kind: its own defaults (no preset has one).
        NodeKind::Plug(kind) => NodeSpec::Plug(kind.default_params()),
        _ => {
            let stage = if matches!(kind, NodeKind::GeoDns | NodeKind::DataCenter) {
                11
            } else {
                10
            };
            preset(stage)
                .and_then(|s| {
                    s.topology()
                        .nodes
                        .into_iter()
                        .find(|n| n.spec.kind() == kind)
                })
                .map(|n| n.spec)
                .expect("stages 10 and 11 have every other kind")
        }
    }
}

/// The run settings a drawn architecture starts with.
pub fn default_run() -> TopologyFile {
    TopologyFile {
        version: SCENARIO_VERSION,
        name: "My architecture".to_string(),
        stage: None,
        seed: 1,
        duration_s: 120,
        metrics_interval_ms: 1000,
        faults: Vec::new(),
        topology: Topology {
            version: super::TOPOLOGY_VERSION,
            nodes: Vec::new(),
            edges: Vec::new(),
            positions: Default::default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blank_sandbox_runs_as_stage_one() {
        let e = Editor::blank();
        let kinds: Vec<NodeKind> = e.topology().nodes.iter().map(|n| n.spec.kind()).collect();
        assert_eq!(kinds, [NodeKind::Users, NodeKind::Dns, NodeKind::WebPool]);
        let s = e.runs().unwrap();
        assert_eq!(s.stage, 1);
        assert_eq!(s.server, preset(1).unwrap().server);
    }

    #[test]
    fn every_kind_has_defaults_and_a_fresh_name() {
        let mut e = Editor::blank();
        for kind in NodeKind::ALL {
            let done = e.apply(Edit::Add(kind)).unwrap();
            assert!(done.starts_with("Added"), "{done}");
            assert_eq!(default_spec(kind).kind(), kind);
        }
        let names: Vec<&str> = e.topology().nodes.iter().map(|n| n.name.as_str()).collect();
        assert!(names.contains(&"users-2") && names.contains(&"web-2") && names.contains(&"lb"));
    }

    #[test]
    fn a_refused_wire_says_why_and_changes_nothing() {
        let mut e = Editor::blank();
        e.apply(Edit::Add(NodeKind::Cache)).unwrap();
        let before = e.file.clone();
        let err = e
            .apply(Edit::Connect {
                from: "cache".into(),
                to: "web".into(),
            })
            .unwrap_err();
        assert!(
            err.contains("a cache must sit in front of a database or a shard router"),
            "{err}"
        );
        assert_eq!(e.file, before);
        assert!(!e.can_redo());
        let err = e
            .apply(Edit::Connect {
                from: "users".into(),
                to: "dns".into(),
            })
            .unwrap_err();
        assert!(err.contains("already sends"), "{err}");
    }

    #[test]
    fn a_three_tier_drawing_lowers_and_undo_redo_walk_it_back() {
        let mut e = Editor::blank();
        let edits = [
            Edit::Add(NodeKind::LoadBalancer),
            Edit::Add(NodeKind::Database),
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
                to: "db".into(),
            },
        ];
        let mut states = vec![e.file.clone()];
        for edit in edits {
            e.apply(edit).unwrap();
            states.push(e.file.clone());
        }
        let s = e.runs().unwrap();
        assert!(s.load_balancer.is_some() && s.database.is_some());
        // The new database has stage 10's replicas: the stage shown is 4.
        assert_eq!(s.stage, 4);
        // In the middle the graph does not run: the problems say why, one each.
        let mid = TopologyFile {
            topology: states[3].topology.clone(),
            ..e.file.clone()
        };
        let problems = mid.lower().unwrap_err();
        assert!(!problems.0.is_empty());
        for i in (0..states.len() - 1).rev() {
            assert!(e.undo().unwrap().starts_with("Undone"));
            assert_eq!(e.file, states[i]);
        }
        assert!(e.undo().is_none());
        for state in &states[1..] {
            e.redo().unwrap();
            assert_eq!(&e.file, state);
        }
        assert!(e.redo().is_none());
    }

    #[test]
    fn rename_moves_the_wires_and_refuses_bad_names() {
        let mut e = Editor::blank();
        e.apply(Edit::Rename {
            from: "web".into(),
            to: "app-server".into(),
        })
        .unwrap();
        assert!(e.topology().edges.iter().any(|x| x.to == "app-server"));
        assert!(e.runs().is_ok());
        for bad in ["", "a b", "<b>x</b>", "dns", &"x".repeat(41)] {
            assert!(
                e.apply(Edit::Rename {
                    from: "app-server".into(),
                    to: bad.to_string()
                })
                .is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn duplicate_and_remove() {
        let mut e = Editor::blank();
        e.apply(Edit::Duplicate("web".into())).unwrap();
        assert_eq!(e.topology().nodes[3].name, "web-2");
        // Two web pools: the engine does not run that yet, and says so.
        assert!(e.runs().is_err());
        let done = e.apply(Edit::Remove("web".into())).unwrap();
        assert_eq!(done, "Removed `web` and its wire.");
        e.apply(Edit::Connect {
            from: "dns".into(),
            to: "web-2".into(),
        })
        .unwrap();
        assert!(e.runs().is_ok());
    }

    #[test]
    fn parameters_are_checked_by_lowering() {
        let mut e = Editor::blank();
        let mut params = serde_json::to_value(&e.topology().nodes[2]).unwrap()["params"].clone();
        params["workers"] = 12.into();
        e.apply(Edit::SetParams {
            name: "web".into(),
            params: params.clone(),
        })
        .unwrap();
        assert_eq!(e.runs().unwrap().server.workers, 12);
        params["workers"] = 0.into();
        e.apply(Edit::SetParams {
            name: "web".into(),
            params: params.clone(),
        })
        .unwrap();
        let problems = e.runs().unwrap_err().to_string();
        assert!(problems.contains("workers"), "{problems}");
        params["workers"] = "many".into();
        assert!(e
            .apply(Edit::SetParams {
                name: "web".into(),
                params
            })
            .is_err());
    }

    #[test]
    fn moves_are_kept_in_the_file_undone_and_follow_renames() {
        let mut e = Editor::blank();
        let before = e.runs().unwrap();
        let at = Position { x: 300, y: 140 };
        e.apply(Edit::Move {
            name: "web".into(),
            to: Some(at),
        })
        .unwrap();
        assert_eq!(e.topology().positions.get("web"), Some(&at));
        // Drawing only: the run is the same.
        assert_eq!(e.runs().unwrap(), before);
        // The file form carries it and reads it back.
        let text = serde_json::to_string(&e.file).unwrap();
        assert!(
            text.contains(r#""positions":{"web":{"x":300,"y":140}}"#),
            "{text}"
        );
        let back: TopologyFile = serde_json::from_str(&text).unwrap();
        assert_eq!(back, e.file);
        // A move to where it is already changes nothing; off the drawing is refused.
        assert!(e
            .apply(Edit::Move {
                name: "web".into(),
                to: Some(at)
            })
            .is_err());
        let far = Position {
            x: MAX_COORD + 1,
            y: 0,
        };
        assert!(e
            .apply(Edit::Move {
                name: "web".into(),
                to: Some(far)
            })
            .is_err());
        e.apply(Edit::Rename {
            from: "web".into(),
            to: "front".into(),
        })
        .unwrap();
        assert_eq!(e.topology().positions.get("front"), Some(&at));
        assert!(!e.topology().positions.contains_key("web"));
        e.apply(Edit::Duplicate("front".into())).unwrap();
        assert_eq!(
            e.topology().positions.get("front-2"),
            Some(&Position { x: 324, y: 164 })
        );
        e.apply(Edit::Remove("front-2".into())).unwrap();
        assert!(!e.topology().positions.contains_key("front-2"));
        // Undo walks back through the removal, the copy and the rename to the move, then to
        // the automatic place.
        for _ in 0..3 {
            e.undo().unwrap();
        }
        assert_eq!(e.topology().positions.get("web"), Some(&at));
        e.undo().unwrap();
        assert!(e.topology().positions.is_empty());
        e.redo().unwrap();
        assert_eq!(e.topology().positions.get("web"), Some(&at));
    }

    #[test]
    fn a_position_for_no_node_or_off_the_drawing_is_a_problem() {
        let mut file = Editor::blank().file;
        file.topology
            .positions
            .insert("ghost".into(), Position { x: 1, y: 1 });
        file.topology.positions.insert(
            "web".into(),
            Position {
                x: 5,
                y: MAX_COORD + 5,
            },
        );
        let problems = file.lower().unwrap_err().to_string();
        assert!(
            problems.contains("`ghost`, which is not a node"),
            "{problems}"
        );
        assert!(problems.contains("`web` drawn at (5, 20005)"), "{problems}");
    }
}
