#!/usr/bin/env bash
# Checks the built app's simulation in the web worker (dist/, from `trunk build --release`):
# serves a copy of it from a sub-folder of a plain static server, runs the same run with a
# live change in the page and in the worker with scripts/check-sim-worker.js (same report
# digest, same link), and checks that the worker's wasm was fetched (in the page too: without a
# worker the page loads it into itself) and that the app's own wasm links no engine (by the
# function names in rustc's output beside dist/, scripts/wasm-breakdown.py).
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
# The engine's functions are in the worker's wasm and none in the app's.
APP_WASM="${APP_WASM:-target/wasm32-unknown-unknown/wasm-release/scalesim-web.wasm}"
WORKER_WASM="${WORKER_WASM:-target/wasm32-unknown-unknown/wasm-speed/scalesim-worker.wasm}"
for f in "$APP_WASM" "$WORKER_WASM"; do
  [ -f "$f" ] || fail "no $f (rustc's output of 'trunk build --release')"
done
for name in "scalesim::sim::stack::" "scalesim::sim::kernel" "Playback" "scalesim::ui::session::Session" \
  "LimitSearch" "Grading" "ReportBuilder"; do
  in_worker="$(python3 scripts/wasm-breakdown.py "$WORKER_WASM" --grep "$name" --count)"
  in_app="$(python3 scripts/wasm-breakdown.py "$APP_WASM" --grep "$name" --count)"
  [ "$in_worker" -gt 0 ] || fail "no function named *$name* in the worker's wasm: this check looks for a name that is gone"
  [ "$in_app" -eq 0 ] || fail "the app's wasm links the engine: $in_app functions named *$name*"
done
say "the app's wasm links no engine (its functions are in the worker's)"
# Nor what the engine's wasm does for the page: validating a scenario (the engine validates
# what it loads; the page draws any scenario's plan), and writing links, scenario files and
# JSON (the page asks for them with Command::Write; its commands and the views' inputs travel
# in the binary codec): no scenario `Serialize`, no serde_json writer, no deflate; and no
# serde_json reader (the challenges' progress is read with the browser's JSON.parse).
for name in "scalesim::scenario::validate" "Serialize for scalesim::scenario::Scenario" \
  "serde_json::ser" "serde_json::de" "miniz_oxide::deflate"; do
  in_worker="$(python3 scripts/wasm-breakdown.py "$WORKER_WASM" --grep "$name" --count)"
  in_app="$(python3 scripts/wasm-breakdown.py "$APP_WASM" --grep "$name" --count)"
  [ "$in_worker" -gt 0 ] || fail "no function named *$name* in the worker's wasm: this check looks for a name that is gone"
  [ "$in_app" -eq 0 ] || fail "the app's wasm does the engine's work: $in_app functions named *$name*"
done
say "the app's wasm validates no scenario, writes no link, file or JSON and reads no JSON (the engine's wasm does)"
say "ok"
