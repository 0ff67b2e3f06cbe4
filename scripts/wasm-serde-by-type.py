#!/usr/bin/env python3
"""Serde's code in a wasm, by the type each function is for (docs/performance.md, issue 22).

Reads the same file as scripts/wasm-breakdown.py (the wasm rustc leaves, with its `name`
section) through that script's parser, keeps the functions whose names mention serde, and sums
their code bytes by group: the worker's outputs (figures, diagram, diagnosis, chaos, alerts,
log), the scenario/links/drawings, the search and grading jobs, `serde_wasm_bindgen`,
`serde_json`, and serde's generic code.

    scripts/wasm-serde-by-type.py FILE.wasm [FILE2.wasm ...]
"""
import importlib.util
import os
import re
import sys
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("wasm_breakdown", os.path.join(HERE, "wasm-breakdown.py"))
wasm_breakdown = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(wasm_breakdown)

OUTPUTS = ("scalesim::sim::diagnosis", "scalesim::layout", "scalesim::ui::state",
           "scalesim::sim::chaos", "scalesim::sim::components::monitor", "scalesim::sim::report",
           "scalesim::layout_geo", "scalesim::sim::badge", "scalesim::sim::DbRole",
           "scalesim::sim::DeployStep", "scalesim::ui::session", "scalesim::sim::geo")


def functions(path):
    """(demangled name, code bytes) of every function defined in the file."""
    return wasm_breakdown.read(path)[2]


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
