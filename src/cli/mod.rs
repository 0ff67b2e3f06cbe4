//! What the `scalesim` command line needs beyond the core: tables for a terminal, progress
//! bars, sweeps on every core, charts of a sweep. Native only (the `cli` feature).
//!
//! ```text
//!   bin/scalesim.rs (clap) ──▶ table    Report / LimitResult → aligned text (comfy-table)
//!                          ──▶ progress run / limit / sweep bars on a terminal's stderr (indicatif)
//!                          ──▶ sweep    sweep::Grid → rows on N threads (rayon) → CSV / JSON lines
//!                          ──▶ plot     sweep CSV → SVG line chart (plotters)
//! ```

pub mod challenge;
pub mod limit;
pub mod plot;
pub mod progress;
pub mod sweep;
pub mod table;

use std::io::IsTerminal;

/// How `run` and `limit` print their result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The JSON report (what a pipe gets by default).
    Json,
    /// Aligned tables (what a terminal gets by default).
    Table,
    /// Comma-separated values (`limit` only).
    Csv,
}

impl Format {
    /// The format asked for, or tables when standard output is a terminal and JSON otherwise.
    pub fn chosen(asked: Option<Format>, json: bool) -> Format {
        match (asked, json) {
            (_, true) => Format::Json,
            (Some(format), false) => format,
            (None, false) if std::io::stdout().is_terminal() => Format::Table,
            (None, false) => Format::Json,
        }
    }
}
