//! Which parts of a preset-11 copy change between two copies a few simulated seconds apart:
//! for each time given (default 300 s) the simulation is cloned at t and at t + gap (default
//! 3 s, `GAP_S`), every block of 16 KiB or more of the second clone is paired with the next
//! block of the first clone (in allocation order, looking at most 8 blocks ahead) whose size is
//! within 5% of its own, and the share of its 4-KiB and 512-byte chunks and of its 8-byte
//! words that differ is printed (`cargo run --example state_size` with `TRACE=1` tells which structure a block of
//! a given size is). The smaller blocks are
//! summed. Prints; asserts nothing.
//!
//! Run: `cargo run --release --example copy_churn [-- 60 300]`

use scalesim::scenario::preset;
use scalesim::sim::{Sim, SimTime};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

struct Recording;

static RECORD: AtomicBool = AtomicBool::new(false);
/// Each allocation made while recording: address, size, and whether it is still live.
static BLOCKS: Mutex<Vec<(usize, usize, bool)>> = Mutex::new(Vec::new());

unsafe impl GlobalAlloc for Recording {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if RECORD.load(Ordering::Relaxed) {
            if let Ok(mut b) = BLOCKS.try_lock() {
                if b.len() < b.capacity() {
                    b.push((p as usize, layout.size(), true));
                }
            }
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if RECORD.load(Ordering::Relaxed) {
            if let Ok(mut b) = BLOCKS.try_lock() {
                if let Some(e) = b.iter_mut().rev().find(|e| e.0 == ptr as usize && e.2) {
                    e.2 = false;
                }
            }
        }
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static ALLOCATOR: Recording = Recording;

/// Clones `sim`, returning the copy and its live blocks in allocation order.
fn clone_blocks(sim: &Sim) -> (Sim, Vec<(usize, usize)>) {
    BLOCKS.lock().unwrap().clear();
    RECORD.store(true, Ordering::Relaxed);
    let copy = sim.clone();
    RECORD.store(false, Ordering::Relaxed);
    let blocks = BLOCKS
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e.2)
        .map(|e| (e.0, e.1))
        .collect();
    (copy, blocks)
}

/// Chunks of `size` bytes that differ between two blocks (the longer one's extra chunks count
/// as differing), and the chunks of the newer one.
fn differing(a: &[u8], b: &[u8], size: usize) -> (usize, usize) {
    let chunks = b.len().div_ceil(size);
    let mut diff = 0;
    for c in 0..chunks {
        let lo = c * size;
        let hi = (lo + size).min(b.len());
        if hi > a.len() || a[lo..hi] != b[lo..hi] {
            diff += 1;
        }
    }
    (diff, chunks)
}

fn main() {
    BLOCKS.lock().unwrap().reserve(4_000_000);
    let gap: u64 = std::env::var("GAP_S")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut at: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if at.is_empty() {
        at = vec![300];
    }
    let mut sim = Sim::new(&preset(11).unwrap()).unwrap();
    sim.set_path_sample_every(u64::MAX);
    for t in at {
        sim.advance_to(SimTime::from_secs(t), u64::MAX);
        let (first, a) = clone_blocks(&sim);
        sim.advance_to(SimTime::from_secs(t + gap), u64::MAX);
        let (second, b) = clone_blocks(&sim);
        let big = |v: &[(usize, usize)]| -> Vec<(usize, usize)> {
            v.iter().copied().filter(|&(_, s)| s >= 16384).collect()
        };
        let (ba, bb) = (big(&a), big(&b));
        let small_a: usize = a.iter().filter(|e| e.1 < 16384).map(|e| e.1).sum();
        let small_b: usize = b.iter().filter(|e| e.1 < 16384).map(|e| e.1).sum();
        println!(
            "preset 11, copies at {t} s and {} s: {} and {} blocks ≥ 16 KiB ({:.2} / {:.2} MB), smaller blocks {:.2} / {:.2} MB in {} / {}",
            t + gap,
            ba.len(),
            bb.len(),
            ba.iter().map(|e| e.1).sum::<usize>() as f64 / 1e6,
            bb.iter().map(|e| e.1).sum::<usize>() as f64 / 1e6,
            small_a as f64 / 1e6,
            small_b as f64 / 1e6,
            a.len() - ba.len(),
            b.len() - bb.len(),
        );
        let (mut total, mut changed4k, mut changed512, mut changed8) = (0, 0, 0, 0);
        let mut cursor = 0;
        for (i, &(pb, sb)) in bb.iter().enumerate() {
            let new = unsafe { std::slice::from_raw_parts(pb as *const u8, sb) };
            let near = |sa: usize| sa.abs_diff(sb) * 20 <= sb;
            let old: &[u8] = match (cursor..(cursor + 8).min(ba.len())).find(|&j| near(ba[j].1)) {
                Some(j) => {
                    cursor = j + 1;
                    unsafe { std::slice::from_raw_parts(ba[j].0 as *const u8, ba[j].1) }
                }
                None => &[],
            };
            let (d4, n4) = differing(old, new, 4096);
            let (d5, n5) = differing(old, new, 512);
            let (d8, n8) = differing(old, new, 8);
            changed8 += d8 * 8;
            total += sb;
            changed4k += d4 * 4096;
            changed512 += d5 * 512;
            println!(
                "  block {i:>3}: {:>9} → {:>9} bytes; 4-KiB chunks changed {d4:>5}/{n4:<5} ({:>3.0}%), 512-B {d5:>6}/{n5:<6} ({:>3.0}%), words {:>3.0}%",
                old.len(),
                sb,
                100.0 * d4 as f64 / n4.max(1) as f64,
                100.0 * d5 as f64 / n5.max(1) as f64,
                100.0 * d8 as f64 / n8.max(1) as f64
            );
        }
        println!(
            "  blocks ≥ 16 KiB: {:.2} MB, of which in changed 4-KiB chunks {:.2} MB, in changed 512-B chunks {:.2} MB, in changed 8-byte words {:.2} MB",
            total as f64 / 1e6,
            changed4k.min(total) as f64 / 1e6,
            changed512.min(total) as f64 / 1e6,
            changed8.min(total) as f64 / 1e6
        );
        drop(first);
        drop(second);
    }
}
