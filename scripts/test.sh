#!/usr/bin/env bash
# Installs what is missing, then runs every check: formatting, lints (native and wasm), the
# native test suite (release: the fidelity runs are long), a release build of the app served
# from a sub-folder of a static server, its capacity search in the web worker against the
# native CLI's, its simulation in the web worker against the page's, the browser suite in headless Chromium, and exact replay (the browser's report
# digests equal the native CLI's). Stops at the first failure with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

step() { printf '\n\033[1;32m==>\033[0m %s\n' "$*"; }
WEB=(--target wasm32-unknown-unknown --features web --no-default-features)

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (native core, CLI, tests, benches)"
cargo clippy --all-targets -- -D warnings

step "clippy (browser build and browser tests)"
cargo clippy "${WEB[@]}" --lib --bins --test web --test replay -- -D warnings

step "native tests (release)"
cargo test --release --lib --bins --tests

step "release build of the app (trunk)"
trunk build --release

step "the built app from a sub-folder of a static server (headless Chromium)"
bash scripts/check-static-hosting.sh dist

step "accessibility (axe-core on stages 1-11, inspector and group panel open) and readable diagram texts (headless Chromium)"
bash scripts/check-a11y.sh dist

step "the capacity search in the built app's web worker equals the native CLI's (headless Chromium)"
bash scripts/check-limit-worker.sh dist

step "the simulation in the built app's web worker equals the page's: same digest, same link (headless Chromium)"
bash scripts/check-sim-worker.sh dist

step "browser tests (wasm-bindgen-test in headless Chromium)"
cargo test "${WEB[@]}" --test web

step "exact replay in the browser (wasm digests = the native CLI's, tests/fixtures/digests.json)"
cargo test "${WEB[@]}" --test replay
