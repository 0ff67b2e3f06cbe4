#!/usr/bin/env bash
# The engine's speed in wasm, without the page, the worker or its session: builds the size
# probe (size-probe/: the core alone behind one plain export) with the web worker's profile
# (`wasm-speed`: opt-level 3, fat LTO, one codegen unit, panic = abort) and its `speed`
# feature, runs wasm-opt as index.html does for the worker (-O3, or WASM_OPT="..."), then
# scripts/measure-core-speed.js in Node: main-thread CPU seconds for STAGE's preset over
# SECONDS simulated seconds, RUNS times.
#
#   scripts/measure-core-speed.sh OUT.wasm [STAGE] [SECONDS] [RUNS]
#
# RUSTFLAGS (e.g. "-C target-feature=+simd128") go to the probe's build; its own target
# directory (size-probe/target, or CARGO_TARGET_DIR) keeps it apart from the app's builds.
# CALLGRIND=1: instead of timing, count the instructions V8's compiled wasm code executes for
# one run, under valgrind (callgrind): the sum over code outside any ELF object (the JIT's),
# plus V8's memory.copy / memory.fill helpers; the probe's own compilation (V8's compiler, on
# the main thread with --single-threaded) is left out. Slow (~1 minute per simulated second
# of preset 11), but steady on a loaded machine, unlike CPU seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?OUT.wasm}"
stage="${2:-11}"
seconds="${3:-10}"
runs="${4:-3}"
FLAGS=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
target_dir="${CARGO_TARGET_DIR:-$PWD/size-probe/target}"
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd size-probe && CARGO_TARGET_DIR="$target_dir" cargo build -q --profile wasm-speed \
    --target wasm32-unknown-unknown --features speed)
  # shellcheck disable=SC2086
  wasm-opt ${WASM_OPT:--O3} --strip-debug --strip-producers "${FLAGS[@]}" \
    "$target_dir/wasm32-unknown-unknown/wasm-speed/scalesim_size_probe.wasm" -o "$out"
fi
printf '%s: %d bytes, gzip -9 %d\n' "$out" "$(wc -c <"$out")" "$(gzip -9 -c "$out" | wc -c)" >&2
v8=(--no-liftoff --no-wasm-lazy-compilation)
if [ -n "${CALLGRIND:-}" ]; then
  cg="$(mktemp /tmp/core-speed.XXXXXX.callgrind)"
  valgrind --tool=callgrind --callgrind-out-file="$cg" node "${v8[@]}" --single-threaded \
    scripts/measure-core-speed.js "$out" "$stage" "$seconds" 1 2>/dev/null
  # Self cost of the JIT's code (no ELF object), inclusive cost of V8's two memory helpers.
  jit="$(callgrind_annotate --threshold=100 "$cg" 2>/dev/null |
    awk '/\?\?\?:0x/ && !/\[\/[^]]*\]$/ { n = $1; gsub(",", "", n); s += n } END { printf "%.0f", s }')"
  helpers="$(callgrind_annotate --inclusive=yes --threshold=100 "$cg" 2>/dev/null |
    awk '/wasm::memory_copy_wrapper|wasm::memory_fill_wrapper/ { n = $1; gsub(",", "", n); s += n }
      END { printf "%.0f", s }')"
  printf '{"wasm":"%s","stage":%s,"seconds":%s,"jit_instructions":%s,"memory_helpers":%s,"total":%s}\n' \
    "$out" "$stage" "$seconds" "$jit" "$helpers" "$((jit + helpers))"
  rm -f "$cg"
else
  node "${v8[@]}" scripts/measure-core-speed.js "$out" "$stage" "$seconds" "$runs"
fi
