//! Progress bars on standard error, drawn only when it is a terminal (nothing in a pipe or a
//! log file), and a run that advances in slices so its bar can move.

use crate::sim::{Report, Sim, SimTime};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// Slices a run is advanced in, for its progress bar.
const RUN_SLICES: u64 = 200;

/// A bar of `len` steps labelled `what`, or a hidden one when standard error is not a terminal.
pub fn bar(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>8} [{bar:30}] {pos}/{len} {msg} ({elapsed}, about {eta} left)",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    bar
}

/// Runs `sim` to its end and returns the report, moving a bar of simulated seconds.
///
/// Advancing to the end in slices processes the same events in the same order as one
/// `advance_to(end)`: the report (and its digest) is the same. Without a bar (standard error
/// is not a terminal) there are no slices, so stage 11's spans are whole metrics intervals,
/// long enough to run side by side (see `Sim::set_threads`).
pub fn run_with_bar(sim: &mut Sim) -> Report {
    let end = sim.end();
    let end_s = end.as_secs_f64();
    let bar = bar(end_s.ceil() as u64, "sim s");
    if bar.is_hidden() {
        sim.advance_to(end, u64::MAX);
        return sim.report();
    }
    for slice in 1..=RUN_SLICES {
        let t = if slice == RUN_SLICES {
            end
        } else {
            SimTime::from_micros(end.as_micros() / RUN_SLICES * slice)
        };
        sim.advance_to(t, u64::MAX);
        bar.set_position(sim.now().as_secs_f64() as u64);
    }
    bar.finish_and_clear();
    sim.report()
}
