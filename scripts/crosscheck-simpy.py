#!/usr/bin/env python3
"""Cross-checks scalesim's synchronous web workers against SimPy (an established discrete-event
simulator from PyPI) on the same queueing network, and against the small hand-written DES of
scripts/crosscheck-sync.py, whose network and scalesim scenario it reuses:

    Poisson(λ) ─▶ web: c_w workers, FIFO ─ service S_w ─▶ (worker HELD) ─ one way d ─▶
        db: c_d workers, FIFO ─ service S_d ─ one way d ─▶ back at web: worker freed, answered

In SimPy the held worker is a `with web.request()` block that encloses the database call.
Prints mean, p50, p95 and p99 (ms) per seed and pooled, side by side. Not run by CI.

Setup: python3 -m venv /work/main/.tools/venv && /work/main/.tools/venv/bin/pip install simpy
Usage: /work/main/.tools/venv/bin/python scripts/crosscheck-simpy.py [path/to/scalesim]
       (default target/release/scalesim)
"""
import importlib.util
import os
import random
import sys

import simpy

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("crosscheck_sync", os.path.join(HERE, "crosscheck-sync.py"))
sync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync)

SEEDS = [1, 2, 3, 4, 5]


def simpy_run(seed):
    """The network in SimPy; latencies (ms) of requests sent after the warm-up."""
    rng = random.Random(seed)
    env = simpy.Environment()
    web = simpy.Resource(env, capacity=sync.WEB_WORKERS)
    db = simpy.Resource(env, capacity=sync.DB_WORKERS)
    out = []

    def request():
        start = env.now
        with web.request() as worker:  # held until the answer is back
            yield worker
            yield env.timeout(rng.expovariate(1.0 / sync.WEB_MS))
            yield env.timeout(sync.ONE_WAY_MS)
            with db.request() as conn:
                yield conn
                yield env.timeout(rng.expovariate(1.0 / sync.DB_MS))
            yield env.timeout(sync.ONE_WAY_MS)
        if start >= sync.WARMUP_S * 1000.0:
            out.append(env.now - start)

    def source():
        while True:
            yield env.timeout(rng.expovariate(sync.LAMBDA / 1000.0))
            env.process(request())

    env.process(source())
    env.run(until=sync.DURATION_S * 1000.0)
    return out


def summary(lat):
    return {
        "mean": sum(lat) / len(lat),
        "p50": sync.quantile(lat, 0.5),
        "p95": sync.quantile(lat, 0.95),
        "p99": sync.quantile(lat, 0.99),
    }


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/scalesim"
    keys = ["mean", "p50", "p95", "p99"]
    print(
        f"λ={sync.LAMBDA}/s, web {sync.WEB_WORKERS}×{sync.WEB_MS} ms held across the call, "
        f"db {sync.DB_WORKERS}×{sync.DB_MS} ms, {sync.ONE_WAY_MS} ms each way, "
        f"{sync.DURATION_S} s per run ({sync.WARMUP_S} s warm-up), SimPy {simpy.__version__}"
    )
    pooled_simpy, pooled_des, ours = [], [], {k: [] for k in keys}
    print(f"{'seed':6}{'':6}{'scalesim':>10}{'SimPy':>10}{'DES':>10}")
    for seed in SEEDS:
        a, held = sync.scalesim(binary, seed)
        b = simpy_run(seed)
        c = sync.des(seed)
        pooled_simpy += b
        pooled_des += c
        sb, sc = summary(b), summary(c)
        for k in keys:
            ours[k].append(a[k])
            print(f"{seed:<6}{k:6}{a[k]:10.2f}{sb[k]:10.2f}{sc[k]:10.2f}")
        print(f"{'':6}{'n':6}{a.get('count', ''):>10}{len(b):>10}{len(c):>10}")
        print(f"{'':6}sync_workers: {held}")
    sb, sc = summary(pooled_simpy), summary(pooled_des)
    print(f"\npooled over seeds {SEEDS} (scalesim: mean of its per-seed figures)")
    print(f"{'':6}{'scalesim':>10}{'SimPy':>10}{'DES':>10}{'vs SimPy':>10}")
    for k in keys:
        a = sum(ours[k]) / len(ours[k])
        print(f"{k:6}{a:10.2f}{sb[k]:10.2f}{sc[k]:10.2f}{(a / sb[k] - 1) * 100:9.1f}%")


if __name__ == "__main__":
    main()
