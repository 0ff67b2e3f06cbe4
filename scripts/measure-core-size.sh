#!/usr/bin/env bash
# The gzipped wasm size of the simulation core alone (issue 6's size floor): size-probe/ links
# the core with one plain `extern "C"` export (no Yew, no wasm-bindgen), built with the same
# `wasm-release` profile and wasm-opt passes as the app. Prints one line per variant.
#
#   . scripts/setup.sh && scripts/measure-core-size.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-size}"
OUT="$CARGO_TARGET_DIR/size-probe"
mkdir -p "$OUT"
FLAGS=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
measure() {
  local name=$1
  shift
  (cd size-probe && cargo build -q --profile wasm-release --target wasm32-unknown-unknown "$@")
  cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/scalesim_size_probe.wasm" "$OUT/$name.raw.wasm"
  wasm-opt -Oz --converge --strip-debug --strip-producers "${FLAGS[@]}" \
    "$OUT/$name.raw.wasm" -o "$OUT/$name.wasm"
  printf '%-28s raw %8d  after wasm-opt %8d  gzip -9 %8d\n' "$name" \
    "$(wc -c <"$OUT/$name.raw.wasm")" "$(wc -c <"$OUT/$name.wasm")" \
    "$(gzip -9 -c "$OUT/$name.wasm" | wc -c)"
}
measure "core, stages 1-11"
measure "core, stage 1 only" --no-default-features
measure "core + report JSON" --features json
