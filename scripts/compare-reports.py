#!/usr/bin/env python3
"""Shows that two dumps of report JSON (scripts/dump-reports.sh) differ only by renamed keys.

    scripts/compare-reports.py OLD_DIR NEW_DIR

Every key of an OLD report that RENAMED names is renamed; the `digest` field (a hash of the
whole report, so it moves with any rename) is left out of both; then each OLD report must equal
the NEW report of the same name, value for value (numbers compared exactly, as parsed from the
JSON text). Prints how many keys each rename touched and exits 1 on the first difference.
"""
import json
import os
import sys

# Rates were spelled both `_rps` and `_per_s`; `_per_s` is the one spelling now.
RENAMED = {
    "throughput_rps": "throughput_per_s",
    "answers_rps": "answers_per_s",
    "goodput_rps": "goodput_per_s",
    "recent_throughput_rps": "recent_throughput_per_s",
    "offered_rps": "offered_per_s",
    "from_rps": "from_per_s",
    "to_rps": "to_per_s",
}


def renamed(value, counts):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            new = RENAMED.get(key, key)
            if new != key:
                counts[key] = counts.get(key, 0) + 1
            if new in out:
                raise SystemExit(f"renaming {key} collides with a key {new} already there")
            out[new] = renamed(item, counts)
        return out
    if isinstance(value, list):
        return [renamed(item, counts) for item in value]
    return value


def first_difference(a, b, path="$"):
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{path}: keys only old {sorted(a.keys() - b.keys())}, only new {sorted(b.keys() - a.keys())}"
        for key in a:
            d = first_difference(a[key], b[key], f"{path}.{key}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} items vs {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    old_dir, new_dir = sys.argv[1], sys.argv[2]
    names = sorted(n for n in os.listdir(old_dir) if n.endswith(".json"))
    if not names or sorted(n for n in os.listdir(new_dir) if n.endswith(".json")) != names:
        raise SystemExit(f"{old_dir} and {new_dir} must hold the same, non-empty set of reports")
    total = {}
    for name in names:
        with open(os.path.join(old_dir, name)) as f:
            old = json.load(f)
        with open(os.path.join(new_dir, name)) as f:
            new = json.load(f)
        counts = {}
        old = renamed(old, counts)
        old.pop("digest")
        new.pop("digest")
        d = first_difference(old, new)
        if d:
            print(f"{name}: DIFFERENT after renaming: {d}")
            sys.exit(1)
        left = [k for k in RENAMED if k in json.dumps(new)]
        if left:
            raise SystemExit(f"{name}: the new report still has old keys {left}")
        print(f"{name}: equal after renaming {sum(counts.values())} keys")
        for key, n in counts.items():
            total[key] = total.get(key, 0) + n
    print(f"{len(names)} reports equal but for the renamed keys and the digest; renamed: "
          + ", ".join(f"{k} → {RENAMED[k]} ×{n}" for k, n in sorted(total.items())))


if __name__ == "__main__":
    main()
