//! Reading and writing links and scenario files where the readers and writers already are: in
//! the engine's wasm (the web worker, or the worker's wasm loaded into the page), which links
//! serde's readers and writers of a scenario anyway. The app's wasm sends the text (or the
//! scenario, in the binary form of [`crate::codec`]) and gets back what it holds in that binary
//! form (or the text), so it links no reader or writer of a scenario, a drawing or JSON for
//! them, and no deflate (docs/performance.md, "the page decoding nothing", "the page writing
//! nothing").
//!
//! ```text
//!  page                                           engine (worker or page), session::Session
//!  #v1.s4~… ── Command::Read(Read::Link) ────────▶ decode_link
//!  file text ─ Command::Read(Read::File) ────────▶ Scenario::from_json_value (+ its drawing)
//!  Action::Open / notice ◀── Output::opened ◀───── Opened (binary, with the frame's bytes)
//!  run ─────── Command::Write(Write::Link) ──────▶ encode_run / encode_graph
//!  scenario ── Command::Write(Write::File) ──────▶ Scenario::to_json_pretty
//!  address bar, clipboard, download ◀── Output::written ◀── the text
//! ```
//!
//! Messages are the same texts as when the page read them itself: the page words them
//! ([`super::link`], [`super::files`]) around the reader's own `why`.

use crate::codec::wire_enum;
use crate::scenario::{
    decode_link, encode_graph, encode_run, Link, LiveChange, Scenario, TopologyFile,
    ValidationErrors,
};

/// What the page asks the engine to read.
#[derive(Clone, Debug, PartialEq)]
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

wire_enum!(Read {
    0 => Link(fragment),
    1 => File { source, text },
});

/// What the page asks the engine to write; the text comes back in
/// [`Output::written`](super::session::Output::written), in the order asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// The fragment of a link (without its `#`) to a run: its drawing if it was drawn, else
    /// its scenario; the live changes made to it (in time order); and, if given, a simulated
    /// time to show (seconds) — as `scalesim url` writes it.
    Link {
        scenario: Box<Scenario>,
        graph: Option<TopologyFile>,
        live: Vec<LiveChange>,
        time_s: Option<f64>,
    },
    /// A scenario file's text: the scenario as pretty JSON, as `scalesim preset` prints it.
    File(Box<Scenario>),
}

wire_enum!(Write {
    0 => Link { scenario, graph, live, time_s },
    1 => File(scenario),
});

/// Writes what the page asked for (in the engine's wasm).
pub fn write(request: Write) -> String {
    match request {
        Write::Link {
            scenario,
            graph,
            live,
            time_s,
        } => match graph {
            Some(graph) => encode_graph(&graph, &live, time_s),
            None => encode_run(&scenario, &live, time_s),
        },
        Write::File(scenario) => scenario.to_json_pretty(),
    }
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
