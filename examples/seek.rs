//! Measures time travel natively: a seek back to 300 s in a 600-s run of preset 10, re-run
//! from 0 versus from the latest checkpoint, and what cloning a simulation costs (time, bytes
//! allocated, and the `Sim::footprint_bytes` estimate the checkpoints budget by) for preset 10
//! and for preset 11 with its ten million users. Prints; asserts only that both seeks land
//! on the same run.
//!
//! With `PRESET11_SEEK=1`: also a 10-minute preset-11 run played with checkpoints, then a seek
//! back to 540 s (the copies kept, and the seek's time).
//!
//! Run: `cargo run --release --example seek`

use scalesim::scenario::preset;
use scalesim::sim::{Checkpoints, Sim, SimDuration, SimTime};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The system allocator, counting the bytes in use.
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        IN_USE.fetch_add(new_size, Ordering::Relaxed);
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

/// Clones `sim` and prints the time, the bytes the clone allocated and the estimate.
fn clone_cost(label: &str, sim: &Sim) {
    let before = IN_USE.load(Ordering::Relaxed);
    let start = Instant::now();
    let copy = sim.clone();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    let bytes = IN_USE.load(Ordering::Relaxed).saturating_sub(before) as u64;
    println!(
        "{label}: clone {ms:.1} ms, {:.1} MB allocated, footprint estimate {:.1} MB",
        mb(bytes),
        mb(sim.footprint_bytes())
    );
    drop(copy);
}

fn main() {
    let mut s = preset(10).unwrap();
    s.duration_s = 600;
    let mut sim = Sim::new(&s).unwrap();
    let mut checkpoints = Checkpoints::new();
    let frame = SimDuration::from_millis_f64(200.0);
    let start = Instant::now();
    let mut offer_ms = 0.0;
    while sim.now() < sim.end() {
        let target = sim.now().plus(frame).min(sim.end());
        while sim.now() < target {
            sim.advance_to(checkpoints.due(sim.now()).min(target), u64::MAX);
            let t = Instant::now();
            checkpoints.offer(&sim, 0);
            offer_ms += t.elapsed().as_secs_f64() * 1e3;
        }
    }
    let times: Vec<f64> = checkpoints.times().map(|t| t.as_secs_f64()).collect();
    println!(
        "preset 10, 600 s played in {:.2} s ({offer_ms:.0} ms of it taking checkpoints); {} kept, every {} s: {times:?}",
        start.elapsed().as_secs_f64(),
        checkpoints.len(),
        checkpoints.every().as_secs_f64()
    );
    clone_cost("preset 10 at 600 s", &sim);

    let target = SimTime::from_secs(300);
    let start = Instant::now();
    let mut from_zero = Sim::new(&s).unwrap();
    from_zero.advance_to(target, u64::MAX);
    let zero_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let (mut restored, _) = checkpoints.restore(target).expect("a checkpoint");
    let from_s = restored.now().as_secs_f64();
    restored.advance_to(target, u64::MAX);
    let restored_s = start.elapsed().as_secs_f64();
    assert_eq!(restored.report().digest, from_zero.report().digest);
    println!(
        "seek back to 300 s: from 0 {zero_s:.3} s; from the checkpoint at {from_s} s {restored_s:.3} s (same report digest)"
    );
    // The farthest a target can be from the copy before it: just before the next one.
    let target = SimTime::from_secs(300).minus(SimDuration::from_millis_f64(1.0));
    let start = Instant::now();
    let (mut restored, _) = checkpoints.restore(target).expect("a checkpoint");
    let from_s = restored.now().as_secs_f64();
    restored.advance_to(target, u64::MAX);
    println!(
        "seek back to 299.999 s: from the checkpoint at {from_s} s {:.3} s",
        start.elapsed().as_secs_f64()
    );

    let big = preset(11).unwrap();
    let start = Instant::now();
    let mut sim = Sim::new(&big).unwrap();
    println!(
        "preset 11 ({} users): built in {:.2} s",
        big.traffic.users,
        start.elapsed().as_secs_f64()
    );
    clone_cost("preset 11 at 0 s", &sim);
    let start = Instant::now();
    sim.advance_to(SimTime::from_secs(10), u64::MAX);
    println!(
        "preset 11: 10 s run in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    clone_cost("preset 11 at 10 s", &sim);
    let start = Instant::now();
    sim.advance_to(SimTime::from_secs(60), u64::MAX);
    println!(
        "preset 11: 10 s to 60 s in {:.2} s",
        start.elapsed().as_secs_f64()
    );
    clone_cost("preset 11 at 60 s (a full DNS TTL of answers cached)", &sim);

    if std::env::var("PRESET11_SEEK").is_ok_and(|v| v == "1") {
        seek_in_ten_minutes_of_preset_11(&big);
    }
}

/// A 10-minute preset-11 run played with checkpoints as the app keeps them, then a seek back
/// to 540 s from the latest copy before it (`PRESET11_SEEK=1`; several minutes).
fn seek_in_ten_minutes_of_preset_11(big: &scalesim::scenario::Scenario) {
    let mut s = big.clone();
    s.duration_s = 600;
    let mut sim = Sim::new(&s).unwrap();
    sim.set_path_sample_every(u64::MAX);
    let mut checkpoints = Checkpoints::new();
    let start = Instant::now();
    while sim.now() < sim.end() {
        sim.advance_to(checkpoints.due(sim.now()).min(sim.end()), u64::MAX);
        checkpoints.offer(&sim, 0);
    }
    let times: Vec<f64> = checkpoints.times().map(|t| t.as_secs_f64()).collect();
    println!(
        "preset 11, 600 s played in {:.1} s; {} copies kept, every {} s: {times:?}; footprint at 600 s {:.1} MB",
        start.elapsed().as_secs_f64(),
        checkpoints.len(),
        checkpoints.every().as_secs_f64(),
        sim.footprint_bytes() as f64 / 1e6
    );
    let target = SimTime::from_secs(540);
    let start = Instant::now();
    let (mut restored, _) = checkpoints.restore(target).expect("a checkpoint");
    let from_s = restored.now().as_secs_f64();
    restored.advance_to(target, u64::MAX);
    println!(
        "preset 11: seek back to 540 s from the copy at {from_s} s: {:.2} s",
        start.elapsed().as_secs_f64()
    );
}
