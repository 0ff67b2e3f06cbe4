#!/usr/bin/env python3
"""Cross-checks scalesim's synchronous web workers against an independent discrete-event
simulation of the same queueing network, written here from the textbook definition (pip has
no simulator on this machine's offline setups; the model is small enough to read at once).

Network (stage 2 reduced to one request kind, every time exponential, no DNS, no client RTT):

    Poisson(λ) ─▶ web: c_w workers, FIFO ─ service S_w ─▶ (worker HELD) ─ one way d ─▶
        db: c_d workers, FIFO ─ service S_d ─ one way d ─▶ back at web: worker freed, answered

Latency = web wait + S_w + 2d + db wait + S_d. Prints the mean and percentiles of both, side
by side. Usage: scripts/crosscheck-sync.py [path/to/scalesim]  (default target/release/scalesim)
"""
import heapq
import json
import random
import subprocess
import sys
import tempfile

LAMBDA = 200.0  # requests/s
WEB_WORKERS, WEB_MS = 8, 5.0
DB_WORKERS, DB_MS = 2, 8.0
ONE_WAY_MS = 0.25  # internal_rtt 0.5 ms
DURATION_S = 600
WARMUP_S = 10


def des(seed):
    """The network above; returns the latencies (ms) of requests sent after the warm-up."""
    rng = random.Random(seed)
    events = []  # (time ms, seq, kind, request)
    seq = 0

    def push(t, kind, req):
        nonlocal seq
        heapq.heappush(events, (t, seq, kind, req))
        seq += 1

    web_free, db_free = WEB_WORKERS, DB_WORKERS
    web_line, db_line = [], []
    web_head = db_head = 0
    start = {}
    out = []
    push(rng.expovariate(LAMBDA / 1000.0), "arrive", 0)
    next_id = 1
    while events:
        t, _, kind, req = heapq.heappop(events)
        if t > DURATION_S * 1000.0:
            break
        if kind == "arrive":
            start[req] = t
            push(t + rng.expovariate(LAMBDA / 1000.0), "arrive", next_id)
            next_id += 1
            if web_free > 0:
                web_free -= 1
                push(t + rng.expovariate(1.0 / WEB_MS), "web_done", req)
            else:
                web_line.append(req)
        elif kind == "web_done":
            push(t + ONE_WAY_MS, "reach_db", req)  # the worker stays held
        elif kind == "reach_db":
            if db_free > 0:
                db_free -= 1
                push(t + rng.expovariate(1.0 / DB_MS), "db_done", req)
            else:
                db_line.append(req)
        elif kind == "db_done":
            push(t + ONE_WAY_MS, "back_at_web", req)
            if db_head < len(db_line):
                nxt = db_line[db_head]
                db_head += 1
                push(t + rng.expovariate(1.0 / DB_MS), "db_done", nxt)
            else:
                db_free += 1
        elif kind == "back_at_web":
            if start[req] >= WARMUP_S * 1000.0:
                out.append(t - start[req])
            del start[req]
            if web_head < len(web_line):
                nxt = web_line[web_head]
                web_head += 1
                push(t + rng.expovariate(1.0 / WEB_MS), "web_done", nxt)
            else:
                web_free += 1
    return out


def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def scenario(binary, seed=None):
    """The network above as a scalesim scenario (stage 2 changed); `seed` replaces the
    preset's seed (scripts/crosscheck-simpy.py and crosscheck-breaker.py run several)."""
    s = json.loads(subprocess.run([binary, "preset", "2"], capture_output=True, text=True, check=True).stdout)
    if seed is not None:
        s["seed"] = seed
    s["duration_s"] = DURATION_S
    s["faults"] = []
    t = s["traffic"]
    t["users"] = 1000
    t["requests_per_user_per_s"] = LAMBDA / 1000
    t["mix"] = {"page_view": 0.0, "api_read": 100.0, "write": 0.0, "static_asset": 0.0}
    t["client_timeout_ms"] = 600000.0
    s["dns"] = {"lookup_ms": 0.0, "ttl_s": 86400}
    s["network"] = {"client_rtt_ms": 0.0, "internal_rtt_ms": 2 * ONE_WAY_MS}
    sv = s["server"]
    sv["workers"], sv["queue_capacity"], sv["sync_calls"] = WEB_WORKERS, 1000000, True
    for k in sv["service"]:
        sv["service"][k] = {"shape": "exponential", "mean_ms": WEB_MS}
    db = s["database"]
    db["workers"], db["queue_capacity"] = DB_WORKERS, 1000000
    db["read"] = {"shape": "exponential", "mean_ms": DB_MS}
    return s


def run(binary, s):
    """scalesim's JSON report of scenario `s`."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(s, f)
    return json.loads(subprocess.run([binary, "run", f.name], capture_output=True, text=True, check=True).stdout)


def scalesim(binary, seed=None):
    """scalesim on the network above (its report's latency_ms and sync_workers)."""
    r = run(binary, scenario(binary, seed))
    return r["latency_ms"], r.get("sync_workers")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/scalesim"
    ours, sync = scalesim(binary)
    lat = []
    for seed in range(3):
        lat += des(seed)
    ref = {
        "mean": sum(lat) / len(lat),
        "p50": quantile(lat, 0.5),
        "p95": quantile(lat, 0.95),
        "p99": quantile(lat, 0.99),
    }
    print(f"λ={LAMBDA}/s, web {WEB_WORKERS}×{WEB_MS} ms (sync), db {DB_WORKERS}×{DB_MS} ms, {DURATION_S} s")
    print(f"{'':6}{'scalesim':>10}{'DES':>10}{'diff':>8}")
    for k in ["mean", "p50", "p95", "p99"]:
        a, b = ours[k], ref[k]
        print(f"{k:6}{a:10.2f}{b:10.2f}{(a / b - 1) * 100:7.1f}%")
    print(f"scalesim sync_workers: {sync}")


if __name__ == "__main__":
    main()
