#!/usr/bin/env bash
# Checks the built app's simulation in the web worker (dist/, from `trunk build --release`):
# serves a copy of it from a sub-folder of a plain static server, runs the same run with a
# live change in the page and in the worker with scripts/check-sim-worker.js (same report
# digest, same link), and checks that the worker's wasm was fetched.
#
#   scripts/check-sim-worker.sh [DIST_DIR] [FRAGMENT] [COMPONENT]     # default: dist v1.s4 db-0
#
# Needs node, Chromium and playwright-core in .tools/ (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

DIST="${1:-dist}"
FRAGMENT="${2:-v1.s4}"
COMPONENT="${3:-db-0}"
SUBPATH="deep/app"
say() { printf '[sim-worker] %s\n' "$*"; }
. scripts/browser-check.sh

. scripts/serve-subfolder.sh
say "serving $DIST as $url"
if ! timeout 600 node scripts/check-sim-worker.js "$url" "$FRAGMENT" "$COMPONENT"; then
  say "server log (last 20 lines):" >&2
  tail -n 20 "$work/server.log" | sed 's/^/    /' >&2
  fail "the run in the worker and the run in the page differ, or one did not run where asked"
fi
grep -Eq "\"GET /$SUBPATH/[^ ]*worker[^ ]*\\.wasm HTTP/1\\.[01]\" 200" "$work/server.log" ||
  fail "the worker's wasm module was not fetched from /$SUBPATH/"
say "ok"
