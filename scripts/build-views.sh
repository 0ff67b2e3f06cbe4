#!/usr/bin/env bash
# Builds the views' wasm module (src/bin/scalesim_views.rs: the editor, the challenges and the
# capacity panel's body, loaded by the app on first use; src/ui/views.rs) into trunk's staging
# directory: trunk runs this as a post_build hook (Trunk.toml), so `trunk build --release` puts
# scalesim-views.js and scalesim-views_bg.wasm into dist/ beside the app's files. ES-module glue
# (`wasm-bindgen --target web`): static/boot.js imports it with import(). In a release build
# it gets the app's profile (wasm-release) and the app's wasm-opt passes (index.html).
#
#   scripts/build-views.sh [OUT_DIR]     # by hand: OUT_DIR defaults to $TRUNK_STAGING_DIR
set -euo pipefail
root="${TRUNK_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
out="${1:-${TRUNK_STAGING_DIR:?run by trunk, or give an output directory}}"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [ "${TRUNK_PROFILE:-release}" = release ]; then
  profile=wasm-release
else
  profile=dev
fi
dir=$profile
[ "$profile" = dev ] && dir=debug
cargo build --profile "$profile" --target wasm32-unknown-unknown --bin scalesim-views \
  --features web --no-default-features
wasm-bindgen "$target_dir/wasm32-unknown-unknown/$dir/scalesim-views.wasm" \
  --out-dir "$out" --target web --no-typescript
if [ "$profile" = wasm-release ]; then
  wasm-opt -Oz --converge --strip-debug --strip-producers \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/scalesim-views_bg.wasm" -o "$out/scalesim-views_bg.wasm"
fi
