//! Size probe: the simulation core alone, for wasm32-unknown-unknown.
//!
//! ```sh
//! cargo build --profile wasm-release --target wasm32-unknown-unknown [--no-default-features] [--features json]
//! ```
//!
//! `run(preset, seconds)` runs a stage's preset for `seconds` simulated seconds and returns a
//! number derived from the report, so nothing is optimised away.
//!
//! With the `speed` feature (scripts/measure-core-speed.sh: the worker's `wasm-speed` profile)
//! there is also `run_sampled(preset, seconds, path_every)`: the same, recording the path of
//! every `path_every`-th request as the app's worker does (it records just enough for the dots;
//! `run` records every request's path, the core's default).

use scalesim::scenario::preset;
use scalesim::sim::Sim;

#[no_mangle]
pub extern "C" fn run(stage: u32, seconds: u32) -> u64 {
    run_with(stage, seconds, 1)
}

#[cfg(feature = "speed")]
#[no_mangle]
pub extern "C" fn run_sampled(stage: u32, seconds: u32, path_every: u32) -> u64 {
    run_with(stage, seconds, path_every)
}

fn run_with(stage: u32, seconds: u32, path_every: u32) -> u64 {
    #[cfg(feature = "all-stages")]
    let stage = stage.clamp(1, 11) as u8;
    #[cfg(not(feature = "all-stages"))]
    let stage = {
        let _ = stage;
        1u8
    };
    let Some(mut scenario) = preset(stage) else {
        return u64::MAX;
    };
    scenario.duration_s = seconds;
    let Ok(mut sim) = Sim::new(&scenario) else {
        return u64::MAX - 1;
    };
    if path_every > 1 {
        sim.set_path_sample_every(u64::from(path_every));
    }
    let report = sim.run();
    let out = report.requests.generated
        ^ report.requests.completed.rotate_left(17)
        ^ report.requests.failed.rotate_left(34)
        ^ report.latency_ms.p99.to_bits()
        ^ sim.events_processed();
    #[cfg(feature = "json")]
    let out = out ^ serde_json::to_string(&report).map_or(0, |s| s.len() as u64);
    out
}
