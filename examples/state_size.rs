//! What a copy of preset 11 holds: for a simulation run to each of the times given (simulated
//! seconds; default 0, 60 and 300), the bytes a clone allocates, the median of five clone
//! times, and the clone's allocations by size — each block of 64 KiB or more on its own line
//! (so the per-key and per-user tables can be told apart by their sizes), the smaller ones
//! summed by size class. Prints; asserts nothing.
//!
//! The simulation records no request paths (`SAMPLE_EVERY=N` in the environment: one request in
//! N records its path; the page samples one in a few hundred at stage 11, the CLI none).
//! `TRACE=1`: a backtrace of each clone allocation of 200,000 bytes or more.
//!
//! Run: `cargo run --release --example state_size [-- 0 60 300]`

use scalesim::scenario::preset;
use scalesim::sim::{Sim, SimTime};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The system allocator, counting the bytes in use and, while `RECORD` is set, recording the
/// size of every allocation (into a preallocated list, so recording does not allocate).
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static RECORD: AtomicBool = AtomicBool::new(false);
/// Prints a backtrace for every allocation of 200,000 bytes or more made by a clone (to tell
/// which structure a block belongs to; the release build has symbols but inlines most frames).
/// Set by `TRACE=1` in the environment.
static TRACE: AtomicBool = AtomicBool::new(false);
static SIZES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size(), Ordering::Relaxed);
        if RECORD.load(Ordering::Relaxed)
            && TRACE.load(Ordering::Relaxed)
            && layout.size() >= 200_000
        {
            RECORD.store(false, Ordering::Relaxed);
            let bt = std::backtrace::Backtrace::force_capture().to_string();
            let frames: Vec<&str> = bt
                .lines()
                .filter(|l| l.contains("scalesim::") && !l.contains("state_size"))
                .take(4)
                .collect();
            eprintln!("{} bytes: {}", layout.size(), frames.join(" | "));
            RECORD.store(true, Ordering::Relaxed);
        }
        if RECORD.load(Ordering::Relaxed) {
            if let Ok(mut sizes) = SIZES.try_lock() {
                if sizes.len() < sizes.capacity() {
                    sizes.push(layout.size());
                }
            }
        }
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

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1e6
}

fn report(sim: &Sim, at: u64) {
    SIZES.lock().unwrap().clear();
    let before = IN_USE.load(Ordering::Relaxed);
    RECORD.store(true, Ordering::Relaxed);
    let copy = sim.clone();
    RECORD.store(false, Ordering::Relaxed);
    let bytes = IN_USE.load(Ordering::Relaxed).saturating_sub(before);
    drop(copy);
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            let copy = sim.clone();
            let ms = start.elapsed().as_secs_f64() * 1e3;
            drop(copy);
            ms
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let sizes = SIZES.lock().unwrap().clone();
    println!(
        "preset 11 at {at} s: a clone allocates {:.2} MB in {} blocks; clone times {:?} ms, median {:.1} ms; footprint estimate {:.2} MB",
        mb(bytes),
        sizes.len(),
        times.iter().map(|t| (t * 10.0).round() / 10.0).collect::<Vec<_>>(),
        times[2],
        mb(sim.footprint_bytes() as usize)
    );
    let mut big: Vec<usize> = sizes.iter().copied().filter(|&s| s >= 65536).collect();
    big.sort_unstable_by(|a, b| b.cmp(a));
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for s in big {
        match runs.last_mut() {
            Some((size, n)) if *size == s => *n += 1,
            _ => runs.push((s, 1)),
        }
    }
    for (size, n) in runs {
        println!("  {n:>3} × {size:>10} bytes = {:>7.2} MB", mb(size * n));
    }
    let mut classes = [(0usize, 0usize); 17];
    for &s in sizes.iter().filter(|&&s| s < 65536) {
        let c = (usize::BITS - s.max(1).leading_zeros()) as usize;
        classes[c.min(16)].0 += 1;
        classes[c.min(16)].1 += s;
    }
    for (c, (n, total)) in classes.iter().enumerate().filter(|(_, (n, _))| *n > 0) {
        println!(
            "  {n:>7} blocks < {:>6} bytes = {:>7.2} MB",
            1usize << c,
            mb(*total)
        );
    }
}

fn main() {
    SIZES.lock().unwrap().reserve(4_000_000);
    TRACE.store(
        std::env::var("TRACE").is_ok_and(|v| v == "1"),
        Ordering::Relaxed,
    );
    let mut at: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if at.is_empty() {
        at = vec![0, 60, 300];
    }
    let mut sim = Sim::new(&preset(11).unwrap()).unwrap();
    let every = std::env::var("SAMPLE_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    sim.set_path_sample_every(every);
    println!("one request in {every} records its path");
    for t in at {
        let start = Instant::now();
        sim.advance_to(SimTime::from_secs(t), u64::MAX);
        println!("(ran to {t} s in {:.1} s)", start.elapsed().as_secs_f64());
        report(&sim, t);
    }
}
