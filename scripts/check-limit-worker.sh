#!/usr/bin/env bash
# Checks the built app's capacity search (dist/, from `trunk build --release`): serves a copy
# of it from a sub-folder of a plain static server (as scripts/check-static-hosting.sh does),
# runs the "How far does it scale?" search of a preset in headless Chromium with
# scripts/check-limit-worker.js, and checks that it ran in the web worker and that its limit
# equals the native CLI's (`scalesim limit --preset STAGE --seeds SEEDS`).
#
#   scripts/check-limit-worker.sh [DIST_DIR] [STAGE] [SEEDS]     # default: dist 1 1
#
# Needs node, Chromium and playwright-core in .tools/ (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

DIST="${1:-dist}"
STAGE="${2:-1}"
SEEDS="${3:-1}"
SUBPATH="deep/app"
say() { printf '[limit-worker] %s\n' "$*"; }
. scripts/browser-check.sh

say "the native limit: scalesim limit --preset $STAGE --seeds $SEEDS"
expected="$(cargo run --release -q -- limit --preset "$STAGE" --seeds "$SEEDS" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["limit_users"])')"
[ -n "$expected" ] || fail "the CLI gave no limit"

. scripts/serve-subfolder.sh
say "serving $DIST as $url; expecting $expected users"

# The script bounds the search itself (10 minutes); `timeout` bounds the whole browser run.
if ! timeout 900 node scripts/check-limit-worker.js "$url" "$STAGE" "$SEEDS" "$expected"; then
  say "server log (last 20 lines):" >&2
  tail -n 20 "$work/server.log" | sed 's/^/    /' >&2
  fail "the search in the browser did not run in the worker or gave another limit"
fi
grep -Eq "\"GET /$SUBPATH/[^ ]*worker[^ ]*\\.wasm HTTP/1\\.[01]\" 200" "$work/server.log" ||
  fail "the worker's wasm module was not fetched from /$SUBPATH/"
say "ok: stage $STAGE's limit in the web worker equals the CLI's ($expected users)"
