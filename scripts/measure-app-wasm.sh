#!/usr/bin/env bash
# The size of the app's wasm as trunk ships it, from the wasm rustc leaves (with its names, so
# scripts/wasm-breakdown.py can read the same file): wasm-bindgen --target web, then the
# wasm-opt passes index.html asks for, then gzip -9 and brotli 11 (Node's zlib, as
# scripts/serve-compressed.js sends them). Prints one line per file given.
#
#   cargo build --profile wasm-release --target wasm32-unknown-unknown --bin scalesim-web \
#     --features web --no-default-features
#   scripts/measure-app-wasm.sh target/wasm32-unknown-unknown/wasm-release/scalesim-web.wasm [MORE.wasm...]
# (needs wasm-bindgen and wasm-opt on PATH: `. scripts/setup.sh`)
set -euo pipefail
FLAGS=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
  --enable-mutable-globals --enable-reference-types --enable-multivalue)
for wasm in "$@"; do
  out=$(mktemp -d)
  wasm-bindgen "$wasm" --out-dir "$out" --target web --out-name app
  wasm-opt -Oz --converge --strip-debug --strip-producers "${FLAGS[@]}" \
    "$out/app_bg.wasm" -o "$out/opt.wasm"
  node -e '
    const zlib = require("zlib");
    const b = require("fs").readFileSync(process.argv[1]);
    const gz = zlib.gzipSync(b, { level: 9 }).length;
    const br = zlib.brotliCompressSync(b, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 },
    }).length;
    console.log(`${process.argv[2]}: raw ${b.length}, gzip -9 ${gz}, brotli 11 ${br}`);
  ' "$out/opt.wasm" "$wasm"
  rm -rf "$out"
done
