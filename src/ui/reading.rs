//! Reading links and scenario files where the readers already are: in the engine's wasm (the
//! web worker, or the worker's wasm loaded into the page), which links serde's readers of a
//! scenario anyway. The app's wasm sends the text and gets back what it holds in the binary
//! form of [`crate::codec`], so it links no reader of a scenario, a drawing or JSON for them
//! (docs/performance.md, "the page decoding nothing").
//!
//! ```text
//!  page                                           engine (worker or page), session::Session
//!  #v1.s4~… ── Command::Read(Read::Link) ────────▶ decode_link
//!  file text ─ Command::Read(Read::File) ────────▶ Scenario::from_json_value (+ its drawing)
//!  Action::Open / notice ◀── Output::opened ◀───── Opened (binary, with the frame's bytes)
//! ```
//!
//! Messages are the same texts as when the page read them itself: the page words them
//! ([`super::link`], [`super::files`]) around the reader's own `why`.

use serde::{Deserialize, Serialize};

use crate::codec::wire_enum;
use crate::scenario::{decode_link, Link, Scenario, TopologyFile, ValidationErrors};

/// What the page asks the engine to read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Read {
    /// A link's fragment (without its `#`).
    Link(String),
    /// A scenario file's text; `source` names it in messages (`the file 'x.json'`).
    File { source: String, text: String },
}

/// What the engine read.
#[derive(Clone, Debug, PartialEq)]
pub enum Opened {
    /// A link's scenario, live changes, time position and drawing (validated).
    Link(Box<Link>),
    /// A link that could not be read: why (the [`crate::scenario::UrlError`]'s text).
    LinkFailed(String),
    /// A scenario file's scenario (validated) and, for a file in the graph form, its drawing.
    File {
        source: String,
        scenario: Box<Scenario>,
        graph: Option<TopologyFile>,
    },
    /// A file that could not be read as a scenario: its source and why.
    FileFailed { source: String, why: String },
}

wire_enum!(Opened {
    0 => Link(link),
    1 => LinkFailed(why),
    2 => File { source, scenario, graph },
    3 => FileFailed { source, why },
});

/// Reads what the page sent (in the engine's wasm).
pub fn read(request: Read) -> Opened {
    match request {
        Read::Link(fragment) => match decode_link(&fragment) {
            Ok(link) => Opened::Link(Box::new(link)),
            Err(e) => Opened::LinkFailed(e.to_string()),
        },
        Read::File { source, text } => match scenario_from_json(&text) {
            Ok((scenario, graph)) => Opened::File {
                source,
                scenario: Box::new(scenario),
                graph,
            },
            Err(why) => Opened::FileFailed { source, why },
        },
    }
}

/// [`Scenario::from_json`], by way of a `serde_json::Value`
/// ([`Scenario::from_json_value`]: the worker's wasm reads the capacity searches' scenarios
/// the same way, so it holds one `Deserialize` of a scenario, not two). Same checks, same
/// messages. A file in the graph form also gives back its graph, which the editor and the
/// link then carry.
pub fn scenario_from_json(text: &str) -> Result<(Scenario, Option<TopologyFile>), String> {
    let not_valid = |e: serde_json::Error| {
        ValidationErrors::single("", format!("not a valid scenario: {e}")).to_string()
    };
    let value: serde_json::Value = serde_json::from_str(text).map_err(not_valid)?;
    let graph = match value.get("topology") {
        Some(_) => serde_json::from_value::<TopologyFile>(value.clone()).ok(),
        None => None,
    };
    let scenario = Scenario::from_json_value(value).map_err(|e| e.to_string())?;
    Ok((scenario, graph))
}
