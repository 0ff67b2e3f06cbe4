//! Engine throughput: events per second on the stage-1 preset under heavy load, next to a bare
//! binary-heap push/pop loop measured in the same run (the ceiling for any event-driven core).
//!
//! Run: `cargo bench --bench engine`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use scalesim::scenario::{preset, Scenario};
use scalesim::sim::{Sim, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::{Duration, Instant};

const EVENTS: u64 = 200_000;

/// A simulation of `scenario` run for 5 simulated seconds, so the heap, slab and queues have
/// reached their steady size; one request in 1,000 is traced, as the app would.
fn warmed(scenario: &Scenario) -> Sim {
    let mut sim = Sim::new(scenario).expect("valid");
    sim.set_path_sample_every(1000);
    sim.advance_to(SimTime::from_secs(5), u64::MAX);
    sim
}

fn heavy_stage1() -> Sim {
    let mut scenario = preset(1).expect("preset 1");
    // ~20,000 requests/s on 64 workers: busy, with queueing and some timeouts.
    scenario.traffic.users = 100_000;
    scenario.server.workers = 64;
    scenario.duration_s = 3600;
    warmed(&scenario)
}

fn heavy_stage4() -> Sim {
    let mut scenario = preset(4).expect("preset 4");
    // ~10,000 requests/s through a balancer, 16 web servers, a master and 4 replicas.
    scenario.traffic.users = 50_000;
    scenario.server.count = 16;
    scenario.duration_s = 3600;
    scenario.faults.clear();
    if let Some(db) = &mut scenario.database {
        db.workers = 64;
        db.replicas = 4;
        db.replication.apply_ms = 0.5;
    }
    warmed(&scenario)
}

fn heavy_stage8() -> Sim {
    let mut scenario = preset(8).expect("preset 8");
    // ~8,000 requests/s through CDN, balancer, sessions, cache, replicas and the job queue.
    scenario.traffic.users = 40_000;
    scenario.server.count = 24;
    scenario.duration_s = 3600;
    scenario.faults.clear();
    warmed(&scenario)
}

/// Preset 11 as it is: ten million users, about 80,000 requests/s over two data centers,
/// warmed up for 2 simulated seconds (building and warming take seconds, so this case has its
/// own group with fewer samples).
fn preset_stage11() -> Sim {
    let scenario = preset(11).expect("preset 11");
    let mut sim = Sim::new(&scenario).expect("valid");
    sim.set_path_sample_every(1000);
    sim.advance_to(SimTime::from_secs(2), u64::MAX);
    sim
}

fn stage11(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_stage11");
    group.throughput(Throughput::Elements(EVENTS));
    group.sample_size(10);
    group.bench_function("stage11_preset", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut sim = preset_stage11();
                let started = Instant::now();
                black_box(sim.advance_to(SimTime(u64::MAX / 2), EVENTS));
                total += started.elapsed();
            }
            total
        })
    });
    group.finish();
}

fn engine(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(EVENTS));
    for (name, build) in [
        ("stage1_heavy", heavy_stage1 as fn() -> Sim),
        ("stage4_heavy", heavy_stage4),
        ("stage8_heavy", heavy_stage8),
    ] {
        group.bench_function(name, |b| {
            // Build (untimed), then time only the events: a warmed-up engine in steady state.
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut sim = build();
                    let started = Instant::now();
                    black_box(sim.advance_to(SimTime(u64::MAX / 2), EVENTS));
                    total += started.elapsed();
                }
                total
            })
        });
    }
    group.bench_function("bare_heap_loop", |b| {
        b.iter_batched(
            || {
                // The same steady heap size as the engine (a few thousand pending events).
                let mut heap = BinaryHeap::with_capacity(8192);
                let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
                for i in 0..4096u64 {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    heap.push(Reverse((x % 1_000_000, i)));
                }
                (heap, x)
            },
            |(mut heap, mut x)| {
                for i in 0..EVENTS {
                    let Reverse((t, _)) = heap.pop().expect("non-empty");
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    heap.push(Reverse((t + x % 1_000_000, i)));
                }
                black_box(heap.len())
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, engine, stage11);
criterion_main!(benches);
