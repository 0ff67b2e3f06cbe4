//! scalesim: a deterministic simulator of how a web system grows from one server to millions of
//! users.
//!
//! ```text
//!   scenario ──build──▶ sim (pure discrete-event core) ──snapshot/paths──▶ ui (Yew, web feature)
//!       ▲                     │                                            cli (clap, cli feature)
//!       └── presets, URL, CLI └──report (JSON, digest)
//! ```
//!
//! The [`scenario`] and [`sim`] modules are pure Rust with no web dependencies; the same core runs
//! natively (CLI, tests, benchmarks) and in the browser.

pub mod capacity;
pub mod challenge;
pub mod codec;
pub mod format;
pub mod layout;
pub mod layout_geo;
pub mod layout_graph;
pub mod layout_plan;
pub mod order;
pub mod palette;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod tour;

/// The command line's tables, progress bars, parallel sweeps and charts (native only).
#[cfg(feature = "cli")]
pub mod cli;

#[cfg(feature = "web")]
pub mod ui;
