//! Random valid graphs from [`generator::graph_case`] lay out in the editor's drawing
//! ([`scalesim::layout_graph`]) with no two boxes overlapping and everything inside the
//! drawing, in both orientations, with every group closed and with every group open.
//!
//! ```text
//!   cargo test --release --test swarm -- layout
//!   LAYOUT_SEEDS=20000 cargo test --release --test swarm -- layout --nocapture
//! ```

use super::env_u64;
use crate::generator;
use scalesim::layout_graph::{is_group, layout, GraphLayout};
use scalesim::scenario::topology::Topology;
use std::collections::BTreeMap;

/// What is wrong with a drawing, if anything.
fn unsound(t: &Topology, d: &GraphLayout) -> Option<String> {
    for (i, a) in d.boxes.iter().enumerate() {
        let name = &t.nodes[i].name;
        if a.x < 0.0 || a.y < 0.0 || a.x + a.w > d.width || a.y + a.h > d.height {
            return Some(format!("{name} {a:?} outside {}x{}", d.width, d.height));
        }
        for (j, b) in d.boxes.iter().enumerate().skip(i + 1) {
            if a.overlaps(b) {
                return Some(format!("{name} {a:?} overlaps {} {b:?}", t.nodes[j].name));
            }
        }
    }
    for (e, w) in t.edges.iter().zip(&d.wires) {
        let Some(w) = w else {
            return Some(format!("the wire {}→{} is not drawn", e.from, e.to));
        };
        if let Some(p) = w
            .points
            .iter()
            .find(|(x, y)| *x < 0.0 || *y < 0.0 || *x > d.width || *y > d.height)
        {
            return Some(format!(
                "the wire {}→{} leaves the drawing at {p:?}",
                e.from, e.to
            ));
        }
    }
    if let Some((frame, _)) = &d.data_centers {
        if frame.x < 0.0
            || frame.y < 0.0
            || frame.x + frame.w > d.width
            || frame.y + frame.h > d.height
        {
            return Some(format!(
                "the data centers' frame {frame:?} leaves the drawing"
            ));
        }
    }
    None
}

#[test]
fn random_graphs_lay_out_without_overlaps_inside_the_drawing() {
    let count = env_u64("LAYOUT_SEEDS").unwrap_or(1_000);
    let mut failures = Vec::new();
    for seed in 0..count {
        let (_, file) = generator::graph_case(seed);
        let t = &file.topology;
        let all_open: BTreeMap<String, usize> = t
            .nodes
            .iter()
            .filter(|n| is_group(n.spec.kind()))
            .map(|n| (n.name.clone(), 1 + (seed % 16) as usize))
            .collect();
        for portrait in [false, true] {
            for open in [&BTreeMap::new(), &all_open] {
                if let Some(why) = unsound(t, &layout(t, portrait, open)) {
                    failures.push(format!(
                        "graph seed {seed} (portrait {portrait}, {} open): {why}",
                        open.len()
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed, first: {}",
        failures.len(),
        failures[0]
    );
}
