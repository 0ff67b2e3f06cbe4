#!/usr/bin/env python3
"""What is big in a wasm file: code bytes per function, grouped by the path in its name.

Reads the code section and the `name` section (rustc leaves it in the wasm before
wasm-bindgen and wasm-opt; pass the file from target/wasm32-unknown-unknown/<profile>/).
No dependencies beyond Python 3.

    scripts/wasm-breakdown.py FILE.wasm [--top N] [--depth D] [--grep WORD] [--count]

Prints the sections' sizes, then code bytes grouped by the first D `::`-segments of each
function's name (generic arguments and `<impl ...>` wrappers are reduced to the trait or
type path they name; serde impls are grouped under "serde"), then the N largest functions.
With --count, prints only how many functions' names contain WORD (scripts/check-sim-worker.sh
uses it to check that the app's wasm links no engine).
"""
import re
import sys
from collections import defaultdict


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def sections(b):
    i = 8
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        yield sid, b[j:j + size]
        i = j + size


def custom_name(payload):
    n, i = leb(payload, 0)
    return payload[i:i + n].decode("utf-8", "replace"), payload[i + n:]


ESC = {"$LT$": "<", "$GT$": ">", "$RF$": "&", "$BP$": "*", "$u20$": " ", "$u7b$": "{",
       "$u7d$": "}", "$u5b$": "[", "$u5d$": "]", "$C$": ",", "$u27$": "'", "$u3b$": ";",
       "$u2b$": "+", "$u22$": '"', "$SP$": "@", "$u7e$": "~", "$u21$": "!", "$u3d$": "="}


def demangle(sym):
    """Rust's legacy mangling (`_ZN...E`), enough to read paths; other names pass through."""
    if not sym.startswith("_ZN"):
        return sym
    i, parts = 3, []
    while i < len(sym) and sym[i].isdigit():
        j = i
        while sym[j].isdigit():
            j += 1
        n = int(sym[i:j])
        parts.append(sym[j:j + n])
        i = j + n
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    out = "::".join(parts)
    out = re.sub(r"\$[A-Za-z0-9]+\$", lambda m: ESC.get(m.group(0), m.group(0)), out)
    out = out.replace("..", "::")
    return out.replace("_<", "<") if out.startswith("_<") else out


def group_key(name, depth):
    n = name
    if "serde" in n and ("Serialize" in n or "Deserialize" in n or "serde_json" in n
                         or "Visitor" in n or "SeqAccess" in n or "MapAccess" in n):
        return "serde (Serialize/Deserialize impls, serde_json)"
    # `<T as Trait>::f` -> the type path T; `<impl X for T>` -> T
    m = re.match(r"^<(.+?) as (.+?)>::", n)
    if m:
        n = m.group(1)
    n = n.lstrip("<&*")
    n = re.sub(r"<.*", "", n)
    n = re.sub(r"^(mut |const |dyn )", "", n)
    parts = [p for p in n.split("::") if p]
    parts = [p for p in parts if not re.fullmatch(r"h[0-9a-f]{16}", p)]
    return "::".join(parts[:depth]) or name[:40]


def read(path):
    """The file's bytes, its bytes per section, and (name, code bytes) of every function
    defined in it (unnamed ones as `func[N]`)."""
    b = open(path, "rb").read()
    imports = 0
    bodies = []
    names = {}
    sizes = defaultdict(int)
    for sid, p in sections(b):
        if sid == 0:
            nm, rest = custom_name(p)
            sizes["custom:" + nm] += len(p)
            if nm == "name":
                i = 0
                while i < len(rest):
                    sub = rest[i]
                    sz, i = leb(rest, i + 1)
                    if sub == 1:
                        j = i
                        cnt, j = leb(rest, j)
                        for _ in range(cnt):
                            idx, j = leb(rest, j)
                            ln, j = leb(rest, j)
                            names[idx] = rest[j:j + ln].decode("utf-8", "replace")
                            j += ln
                    i += sz
            continue
        sizes[{1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
               7: "export", 8: "start", 9: "element", 10: "code", 11: "data",
               12: "datacount"}.get(sid, str(sid))] += len(p)
        if sid == 2:
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
                elif kind == 1:
                    i += 1
                    flags = p[i]
                    i += 1
                    _, i = leb(p, i)
                    if flags & 1:
                        _, i = leb(p, i)
                elif kind == 2:
                    flags = p[i]
                    i += 1
                    _, i = leb(p, i)
                    if flags & 1:
                        _, i = leb(p, i)
                elif kind == 3:
                    i += 2
        if sid == 10:
            cnt, i = leb(p, 0)
            for _ in range(cnt):
                sz, i = leb(p, i)
                bodies.append(sz)
                i += sz
    functions = [(demangle(names.get(imports + k, f"func[{imports + k}]")), sz)
                 for k, sz in enumerate(bodies)]
    return b, sizes, functions


def main():
    args = sys.argv[1:]
    top, depth, grep = 30, 2, None
    count = False
    path = None
    while args:
        a = args.pop(0)
        if a == "--top":
            top = int(args.pop(0))
        elif a == "--depth":
            depth = int(args.pop(0))
        elif a == "--grep":
            grep = args.pop(0)
        elif a == "--count":
            count = True
        else:
            path = a
    b, sizes, functions = read(path)
    if count:
        print(sum(1 for nm, _ in functions if grep in nm))
        return
    print(f"{path}: {len(b):,} bytes")
    for k, v in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"  section {k:<28} {v:>10,}")
    groups = defaultdict(int)
    counts = defaultdict(int)
    fns = []
    total = sum(sz for _, sz in functions)
    for nm, sz in functions:
        if grep and grep not in nm:
            continue
        g = group_key(nm, depth)
        groups[g] += sz
        counts[g] += 1
        fns.append((sz, nm))
    print(f"\ncode bytes by group (depth {depth}) of {total:,}:")
    for g, v in sorted(groups.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {v:>9,} {100 * v / total:5.1f}% {counts[g]:>5} fns  {g}")
    print(f"\n{top} largest functions:")
    for sz, nm in sorted(fns, reverse=True)[:top]:
        print(f"  {sz:>8,}  {nm[:150]}")


if __name__ == "__main__":
    main()
