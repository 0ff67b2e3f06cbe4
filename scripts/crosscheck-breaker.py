#!/usr/bin/env python3
"""Cross-checks scalesim's circuit breaker (`server.breaker`) against SimPy, where no closed form
exists. The network is the synchronous-workers one of scripts/crosscheck-sync.py (whose
scalesim scenario it reuses), with a breaker at the web tier around its database calls and
the database in trouble for a window (CASES: ×8 slower, or failing half its calls at once):

    Poisson(λ) ─▶ web: c_w workers, FIFO ─ S_w ─▶ breaker ──refused: worker freed, failed at once
                                                    └─ sent: (worker HELD) ─ d ─▶ db: c_d, FIFO,
        S_d (×factor if its service starts in the window) ─ d ─▶ back at web: worker freed, answered
        (errors: a call reaching it in the window fails there at once with chance error_ratio)

The breaker in SimPy follows src/sim/components/breaker.rs rule for rule: closed, FAILURES
calls in a row that spent longer than SLOW_CALL_MS at the database (from reaching it to the
end of its service: wait + service) open it; open, calls are refused at once (counted) until
OPEN_MS after it opened; the first call after that goes through as a probe (half-open), other
calls are refused while PROBES are out; a probe that ends in time closes it, a slow one opens
it again; a call the database fails counts as failed; a probe that has not reported after
OPEN_MS is replaced; calls that end while it is open change nothing. The outcome is recorded
when the database's service ends (or it fails the call), as scalesim does. Client timeouts are off (600 s), as in the sync case, so no call is abandoned.

Prints, per seed and over all seeds: mean, p50, p95, p99 (ms) of completed requests, their
count, calls refused, trips and time open. Not run by CI.

Setup: python3 -m venv /work/main/.tools/venv && /work/main/.tools/venv/bin/pip install simpy
Usage: /work/main/.tools/venv/bin/python scripts/crosscheck-breaker.py [path/to/scalesim] [slow|errors]
       (default target/release/scalesim, both cases; 40 seeds each, about 40 s per case)
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

SEEDS = list(range(1, 41))
DURATION_S = 360
FROM_S, FOR_S = 60.0, 240.0  # the database's trouble: from 60 s to 300 s
# The two cases: the database ×8 slower (calls fail by being slow), or failing half of the
# calls that reach it at once (a flaky node: scalesim draws per call, SimPy too).
CASES = {
    "slow": {"kind": "slow", "target": "db-0", "factor": 8.0, "at_s": FROM_S, "duration_s": FOR_S},
    "errors": {"kind": "errors", "target": "db-0", "error_ratio": 0.5, "at_s": FROM_S, "duration_s": FOR_S},
}
FAILURES, SLOW_CALL_MS, OPEN_MS, PROBES = 5, 100.0, 2000.0, 1


class Breaker:
    """src/sim/components/breaker.rs in Python (times in ms)."""

    def __init__(self):
        self.state = "closed"
        self.failed_in_a_row = 0
        self.since = 0.0
        self.probes_out = 0
        self.trips = 0
        self.refused = 0
        self.open_ms = 0.0

    def admit(self, now):
        if self.state == "closed":
            return True
        if self.state == "open":
            if now >= self.since + OPEN_MS:
                self.open_ms += now - self.since
                self.state = "half_open"
                self.since = now
                self.probes_out = 1
                return True
            self.refused += 1
            return False
        if now >= self.since + OPEN_MS:  # the probes out never reported: new ones
            self.probes_out = 0
            self.since = now
        if self.probes_out < PROBES:
            self.probes_out += 1
            return True
        self.refused += 1
        return False

    def record(self, ok, now):
        if self.state == "closed":
            if ok:
                self.failed_in_a_row = 0
            else:
                self.failed_in_a_row += 1
                if self.failed_in_a_row >= FAILURES:
                    self.open(now)
        elif self.state == "half_open":
            if ok:
                self.state = "closed"
                self.failed_in_a_row = 0
                self.probes_out = 0
            else:
                self.open(now)

    def open(self, now):
        self.state = "open"
        self.since = now
        self.failed_in_a_row = 0
        self.probes_out = 0
        self.trips += 1

    def open_s(self, now):
        return (self.open_ms + (now - self.since if self.state == "open" else 0.0)) / 1000.0


def simpy_run(seed, fault):
    """The network in SimPy with `fault` (one of CASES): (latencies of completed requests in
    ms, the breaker)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    web = simpy.Resource(env, capacity=sync.WEB_WORKERS)
    db = simpy.Resource(env, capacity=sync.DB_WORKERS)
    breaker = Breaker()
    out = []
    slow_from, slow_to = FROM_S * 1000.0, (FROM_S + FOR_S) * 1000.0
    slow = fault.get("factor", 1.0)
    error_ratio = fault.get("error_ratio", 0.0)

    def request():
        start = env.now
        with web.request() as worker:
            yield worker
            yield env.timeout(rng.expovariate(1.0 / sync.WEB_MS))
            if not breaker.admit(env.now):
                return  # refused: the worker is freed, the request fails at once
            yield env.timeout(sync.ONE_WAY_MS)  # the worker stays held
            reached = env.now
            if slow_from <= reached < slow_to and error_ratio > 0 and rng.random() < error_ratio:
                # The flaky database answers with an error at once: a failed call; scalesim
                # frees the held worker then (the error reaches the user a hop later).
                breaker.record(False, env.now)
                return
            with db.request() as conn:
                yield conn
                factor = slow if slow_from <= env.now < slow_to else 1.0
                yield env.timeout(rng.expovariate(1.0 / sync.DB_MS) * factor)
                breaker.record(env.now - reached <= SLOW_CALL_MS, env.now)
            yield env.timeout(sync.ONE_WAY_MS)
        out.append(env.now - start)

    def source():
        while True:
            yield env.timeout(rng.expovariate(sync.LAMBDA / 1000.0))
            env.process(request())

    env.process(source())
    env.run(until=DURATION_S * 1000.0)
    return out, breaker


def scalesim(binary, seed, fault):
    s = sync.scenario(binary, seed)
    s["duration_s"] = DURATION_S
    s["server"]["breaker"] = {
        "failures": FAILURES,
        "slow_call_ms": SLOW_CALL_MS,
        "open_ms": OPEN_MS,
        "probes": PROBES,
    }
    s["faults"] = [fault]
    r = sync.run(binary, s)
    b = r["breaker"]
    return {
        **{k: r["latency_ms"][k] for k in ["mean", "p50", "p95", "p99"]},
        "n": r["latency_ms"]["count"],
        "refused": b["refused"],
        "trips": b["trips"],
        "open_s": b["open_s"],
    }


def summary(lat, breaker):
    return {
        "mean": sum(lat) / len(lat),
        "p50": sync.quantile(lat, 0.5),
        "p95": sync.quantile(lat, 0.95),
        "p99": sync.quantile(lat, 0.99),
        "n": len(lat),
        "refused": breaker.refused,
        "trips": breaker.trips,
        "open_s": breaker.open_s(DURATION_S * 1000.0),
    }


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "target/release/scalesim"
    for name in sys.argv[2:] or list(CASES):
        compare(binary, name, CASES[name])


def compare(binary, name, fault):
    keys = ["mean", "p50", "p95", "p99", "n", "refused", "trips", "open_s"]
    trouble = {k: v for k, v in fault.items() if k in ["kind", "factor", "error_ratio"]}
    print(
        f"\n== {name}: λ={sync.LAMBDA}/s, web {sync.WEB_WORKERS}×{sync.WEB_MS} ms held across the call, "
        f"db {sync.DB_WORKERS}×{sync.DB_MS} ms ({trouble} from {FROM_S} s for {FOR_S} s), "
        f"{sync.ONE_WAY_MS} ms each way; breaker {FAILURES} calls > {SLOW_CALL_MS} ms or failed, "
        f"open {OPEN_MS} ms, {PROBES} probe; {DURATION_S} s per run, SimPy {simpy.__version__}"
    )
    pooled, ours, theirs = [], {k: [] for k in keys}, {k: [] for k in keys}
    print(f"{'seed':6}{'':8}{'scalesim':>10}{'SimPy':>10}")
    for seed in SEEDS:
        a = scalesim(binary, seed, fault)
        lat, breaker = simpy_run(seed, fault)
        b = summary(lat, breaker)
        pooled += lat
        for k in keys:
            ours[k].append(a[k])
            theirs[k].append(b[k])
            print(f"{seed:<6}{k:8}{a[k]:10.2f}{b[k]:10.2f}")
    n = len(SEEDS)
    pooled_s = summary(pooled, Breaker())
    print(f"\nover seeds {SEEDS[0]}–{SEEDS[-1]}: the mean of the per-seed figures; ±2se: twice the standard")
    print("error of the mean per-seed difference (seed by seed, scalesim − SimPy); SimPy pooled: its")
    print("latencies of all seeds together")
    print(f"{'':8}{'scalesim':>10}{'SimPy':>10}{'diff':>8}{'±2se':>8}{'pooled':>10}")
    for k in keys:
        a, b = sum(ours[k]) / n, sum(theirs[k]) / n
        d = [x - y for x, y in zip(ours[k], theirs[k])]
        md = sum(d) / n
        se = (sum((x - md) ** 2 for x in d) / (n - 1) / n) ** 0.5
        pool = f"{pooled_s[k]:10.2f}" if k in ["mean", "p50", "p95", "p99"] else ""
        print(f"{k:8}{a:10.2f}{b:10.2f}{(a / b - 1) * 100:7.1f}%{2 * se / b * 100:7.1f}%{pool}")
    print(f"{'':8}{'scalesim':>16}{'SimPy':>20}  (range over seeds)")
    for k in keys:
        print(f"{k:8}{min(ours[k]):10.2f} – {max(ours[k]):<10.2f}{min(theirs[k]):10.2f} – {max(theirs[k]):.2f}")


if __name__ == "__main__":
    main()
