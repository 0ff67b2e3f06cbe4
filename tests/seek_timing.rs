//! Time travel's cost in the browser, printed (no assertion on time): a seek back to 300 s in
//! a 600-s run of preset 10, re-run from 0 versus from the latest checkpoint, and the time to
//! clone preset 10 and preset 11 (ten million users). Meaningful only optimised:
//! `cargo test --release --target wasm32-unknown-unknown --features web --no-default-features
//! --test seek_timing -- --nocapture` (the native numbers: `cargo run --release --example seek`).
#![cfg(target_arch = "wasm32")]

use scalesim::scenario::preset;
use scalesim::sim::{Checkpoints, Sim, SimDuration, SimTime};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn now_ms() -> f64 {
    web_sys::window().unwrap().performance().unwrap().now()
}

fn say(line: String) {
    web_sys::console::log_1(&line.into());
}

/// Milliseconds `f` takes.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = now_ms();
    let out = f();
    (out, now_ms() - start)
}

#[wasm_bindgen_test]
fn seek_back_in_a_ten_minute_run_from_a_checkpoint_and_from_0() {
    let mut s = preset(10).unwrap();
    s.duration_s = 600;
    let (checkpoints, play_ms) = timed(|| {
        let mut sim = Sim::new(&s).unwrap();
        let mut checkpoints = Checkpoints::new();
        while sim.now() < sim.end() {
            sim.advance_to(checkpoints.due(sim.now()).min(sim.end()), u64::MAX);
            checkpoints.offer(&sim, 0);
        }
        let (copy, clone_ms) = timed(|| sim.clone());
        say(format!(
            "wasm: preset 10 at 600 s: clone {clone_ms:.1} ms (footprint estimate {:.1} MB)",
            sim.footprint_bytes() as f64 / 1048576.0
        ));
        drop(copy);
        checkpoints
    });
    say(format!(
        "wasm: preset 10, 600 s played in {play_ms:.0} ms, {} checkpoints every {} s",
        checkpoints.len(),
        checkpoints.every().as_secs_f64()
    ));
    let target = SimTime::from_secs(300);
    let (zero, zero_ms) = timed(|| {
        let mut sim = Sim::new(&s).unwrap();
        sim.advance_to(target, u64::MAX);
        sim
    });
    let (restored, restored_ms) = timed(|| {
        let (mut sim, _) = checkpoints.restore(target).unwrap();
        sim.advance_to(target, u64::MAX);
        sim
    });
    assert_eq!(zero.report().digest, restored.report().digest);
    say(format!(
        "wasm: seek back to 300 s: from 0 {zero_ms:.0} ms, from a checkpoint {restored_ms:.0} ms"
    ));

    let big = preset(11).unwrap();
    let (sim, build_ms) = timed(|| Sim::new(&big).unwrap());
    let (copy, clone_ms) = timed(|| sim.clone());
    say(format!(
        "wasm: preset 11 ({} users): built in {build_ms:.0} ms, clone {clone_ms:.0} ms, footprint estimate {:.0} MB",
        big.traffic.users,
        sim.footprint_bytes() as f64 / 1048576.0
    ));
    drop(copy);
}

/// The recording the app keeps for seeks (a frame of its figures every half simulated second,
/// `scalesim::ui::session::record_frame`) over ten-minute runs: frames, bytes, the time taken
/// making them, and decoding one.
#[wasm_bindgen_test]
async fn recording_the_figures_of_ten_minute_runs() {
    use scalesim::sim::Playback;
    use scalesim::ui::session::{arrival_figures, decode_frame, record_frame};
    use std::cell::Cell;
    use std::rc::Rc;
    for n in [11, 10, 7] {
        let mut s = preset(n).unwrap();
        s.duration_s = 600;
        let mut playback = Playback::new(&s).unwrap();
        let spent = Rc::new(Cell::new(0.0));
        let spent_in = spent.clone();
        // The frames' bytes uncompressed (the wire's binary form), summed beside.
        let plain = Rc::new(Cell::new(0usize));
        let plain_in = plain.clone();
        playback.set_recorder(Box::new(move |sim| {
            let start = now_ms();
            let frame = record_frame(sim);
            spent_in.set(spent_in.get() + now_ms() - start);
            let bytes = scalesim::ui::wire::to_bytes(&arrival_figures(sim)).len();
            plain_in.set(plain_in.get() + bytes);
            frame
        }));
        let end = SimTime::from_secs(600);
        // In steps of 5 simulated seconds, letting the browser breathe between them (the test
        // runner gives up on a page that does not answer for 30 s).
        let mut play_ms = 0.0;
        while playback.sim().now() < end {
            let step = playback
                .sim()
                .now()
                .plus(SimDuration::from_secs(5))
                .min(end);
            play_ms += timed(|| playback.play(step, u64::MAX)).1;
            gloo::timers::future::TimeoutFuture::new(0).await;
        }
        let json = serde_json::to_vec(&arrival_figures(playback.sim())).unwrap();
        let recording = playback.recording();
        let (at, frame) = recording.at_or_before(SimTime::from_secs(540)).unwrap();
        let (figures, decode_ms) = timed(|| decode_frame(frame).unwrap());
        assert_eq!(figures.sim_time_s, at.as_secs_f64());
        let wire = scalesim::ui::wire::to_bytes(&arrival_figures(playback.sim())).len();
        say(format!(
            "wasm: preset {n}, 600 s played in {play_ms:.0} ms with {} frames every {} s: {:.2} MB \
             ({:.0} bytes a frame; uncompressed {:.2} MB; the last one's JSON {} bytes, binary {wire}, \
             compressed {}), making them {:.0} ms ({:.2} ms each); decoding the one at 540 s \
             {decode_ms:.2} ms",
            recording.len(),
            recording.every().as_secs_f64(),
            recording.bytes() as f64 / 1048576.0,
            recording.bytes() as f64 / recording.len() as f64,
            plain.get() as f64 / 1048576.0,
            json.len(),
            recording.at_or_before(end).unwrap().1.body.len(),
            spent.get(),
            spent.get() / recording.len() as f64,
        ));
    }
}
