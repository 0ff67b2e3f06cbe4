#!/usr/bin/env python3
"""Serde's code in a wasm, by the type each function is for (docs/performance.md, issue 22).

Reads the same file as scripts/wasm-breakdown.py (the wasm rustc leaves, with its `name`
section) through that script's parser, keeps the functions whose names mention serde, and sums
their code bytes by group: the worker's outputs (figures, diagram, diagnosis, chaos, alerts,
log), the scenario/links/drawings, the search and grading jobs, `serde_wasm_bindgen`,
`serde_json`, and serde's generic code.

    scripts/wasm-serde-by-type.py FILE.wasm [FILE2.wasm ...]
"""
import os
import re
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "wasm-breakdown.py")) as f:
    SOURCE = f.read().replace("\nmain()\n", "\n")
wb = {"__name__": "wasm_breakdown"}
exec(compile(SOURCE, "wasm-breakdown.py", "exec"), wb)
leb, sections, custom_name, demangle = wb["leb"], wb["sections"], wb["custom_name"], wb["demangle"]

OUTPUTS = ("scalesim::sim::diagnosis", "scalesim::layout", "scalesim::ui::state",
           "scalesim::sim::chaos", "scalesim::sim::components::monitor", "scalesim::sim::report",
           "scalesim::layout_geo", "scalesim::sim::badge", "scalesim::sim::DbRole",
           "scalesim::sim::DeployStep", "scalesim::ui::session", "scalesim::sim::geo")


def functions(path):
    """(demangled name, code bytes) of every function defined in the file."""
    b = open(path, "rb").read()
    imports, bodies, names = 0, [], {}
    for sid, p in sections(b):
        if sid == 0:
            nm, rest = custom_name(p)
            if nm != "name":
                continue
            i = 0
            while i < len(rest):
                sub = rest[i]
                sz, i = leb(rest, i + 1)
                if sub == 1:
                    cnt, j = leb(rest, i)
                    for _ in range(cnt):
                        idx, j = leb(rest, j)
                        ln, j = leb(rest, j)
                        names[idx] = rest[j:j + ln].decode("utf-8", "replace")
                        j += ln
                i += sz
        elif sid == 2:
            cnt, i = leb(p, 0)
            for _ in range(cnt):
                for _ in range(2):
                    ln, i = leb(p, i)
                    i += ln
                kind = p[i]
                i += 1
                if kind == 0:
                    _, i = leb(p, i)
                    imports += 1
                elif kind in (1, 2):
                    if kind == 1:
                        i += 1
                    flags = p[i]
                    i += 1
                    _, i = leb(p, i)
                    if flags & 1:
                        _, i = leb(p, i)
                elif kind == 3:
                    i += 2
        elif sid == 10:
            cnt, i = leb(p, 0)
            for _ in range(cnt):
                sz, i = leb(p, i)
                bodies.append(sz)
                i += sz
    return [(demangle(names.get(imports + k, "")), sz) for k, sz in enumerate(bodies)]


def group(name):
    m = re.search(r"(?:for |<)(scalesim::[a-z_:]+::[A-Z]\w*)", name)
    if m:
        t = m.group(1)
        if t.startswith(OUTPUTS):
            return "the worker's outputs (figures, diagram, diagnosis, chaos, alerts, log)"
        if t.startswith(("scalesim::challenge", "scalesim::capacity")):
            return "the search and grading jobs"
        if t.startswith("scalesim::scenario"):
            return "the scenario, links and drawings"
        return "other scalesim types"
    if "serde_wasm_bindgen" in name:
        return "serde_wasm_bindgen"
    if "serde_json" in name:
        return "serde_json"
    return "generic serde (Option, sequences, visitors, SerializeMap)"


for path in sys.argv[1:]:
    sums = defaultdict(int)
    for name, size in functions(path):
        if "serde" in name:
            sums[group(name)] += size
    print(path)
    for g, v in sorted(sums.items(), key=lambda kv: -kv[1]):
        print(f"  {v:>9,}  {g}")
    print(f"  {sum(sums.values()):>9,}  total")
