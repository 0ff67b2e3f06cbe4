//! `scalesim sweep`: a grid's runs on a pool of threads, written as CSV or JSON lines.
//!
//! Every run is deterministic on its own, and the rows are collected in the grid's order
//! (`rayon`'s indexed `collect` keeps it), so the output is the same for any thread count.

use super::progress;
use crate::scenario::Scenario;
use crate::sim::Sim;
use crate::sweep::figures::{Cell, Figure};
use crate::sweep::{Grid, Point};
use rayon::prelude::*;
use std::io::Write;

/// One run's row: the point (varied values and seed) and its figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The point run.
    pub point: Point,
    /// The figures, in the order asked for.
    pub cells: Vec<Cell>,
}

/// How the rows are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SweepFormat {
    /// A header line, then one comma-separated line per run.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// Builds every run's scenario (so a bad combination stops the sweep before any run), then
/// runs them on `threads` threads with a bar of runs done.
pub fn run(
    base: &Scenario,
    grid: &Grid,
    figures: &[&Figure],
    threads: usize,
) -> Result<Vec<Row>, String> {
    let points = grid.points(base.seed);
    let scenarios = points
        .iter()
        .map(|p| p.scenario(base))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| format!("cannot start {threads} threads: {e}"))?;
    let bar = progress::bar(scenarios.len() as u64, "runs");
    let rows = pool.install(|| {
        points
            .into_par_iter()
            .zip(scenarios.par_iter())
            .map(|(point, scenario)| {
                let report = Sim::new(scenario).map_err(|e| e.to_string())?.run();
                bar.inc(1);
                let cells = figures.iter().map(|f| (f.read)(&report)).collect();
                Ok(Row { point, cells })
            })
            .collect::<Result<Vec<Row>, String>>()
    });
    bar.finish_and_clear();
    rows
}

/// The column names: the varied paths, `seed`, the figures.
pub fn header(grid: &Grid, figures: &[&Figure]) -> Vec<String> {
    grid.varies
        .iter()
        .map(|v| v.path.clone())
        .chain(std::iter::once("seed".to_string()))
        .chain(figures.iter().map(|f| f.name.to_string()))
        .collect()
}

/// Writes the rows as CSV with a header line.
pub fn write_csv(header: &[String], rows: &[Row], out: impl Write) -> Result<(), String> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header).map_err(|e| e.to_string())?;
    for row in rows {
        let record = row
            .point
            .assignments
            .iter()
            .map(|(_, value)| value.clone())
            .chain(std::iter::once(row.point.seed.to_string()))
            .chain(row.cells.iter().map(Cell::to_text));
        w.write_record(record).map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())
}

/// Writes one JSON object per row, its keys in the header's order.
pub fn write_jsonl(header: &[String], rows: &[Row], mut out: impl Write) -> Result<(), String> {
    for row in rows {
        let values = row
            .point
            .assignments
            .iter()
            .map(|(_, value)| Point::value_json(value))
            .chain(std::iter::once(row.point.seed.into()))
            .chain(row.cells.iter().map(Cell::to_json));
        let mut line = String::from("{");
        for (i, (key, value)) in header.iter().zip(values).enumerate() {
            if i > 0 {
                line.push(',');
            }
            line.push_str(&serde_json::to_string(key).map_err(|e| e.to_string())?);
            line.push(':');
            line.push_str(&value.to_string());
        }
        line.push('}');
        writeln!(out, "{line}").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::preset;
    use crate::sweep::figures::find;
    use crate::sweep::Vary;

    #[test]
    fn rows_do_not_depend_on_the_threads() {
        let mut base = preset(1).unwrap();
        base.duration_s = 3;
        let grid = Grid::new(vec![Vary::parse("server.workers=2,8", &base).unwrap()], 2).unwrap();
        let figures = [find("latency_p99_ms").unwrap(), find("digest").unwrap()];
        let one = run(&base, &grid, &figures, 1).unwrap();
        let three = run(&base, &grid, &figures, 3).unwrap();
        assert_eq!(one, three);
        assert_eq!(one.len(), 4);
        let mut text = Vec::new();
        write_csv(&header(&grid, &figures), &one, &mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.starts_with("server.workers,seed,latency_p99_ms,digest\n2,"),
            "{text}"
        );
        let mut lines = Vec::new();
        write_jsonl(&header(&grid, &figures), &one, &mut lines).unwrap();
        let first: serde_json::Value =
            serde_json::from_str(String::from_utf8(lines).unwrap().lines().next().unwrap())
                .unwrap();
        assert_eq!(first["server.workers"], 2);
        assert_eq!(first["digest"], one[0].cells[1].to_json());
    }
}
