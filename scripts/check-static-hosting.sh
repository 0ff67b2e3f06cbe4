#!/usr/bin/env bash
# Checks that the built app (dist/, from `trunk build --release`; Trunk.toml sets
# public_url = "./") works from a sub-folder of a plain static server: copies it to
# <tmp>/deep/app/, serves <tmp> with `python3 -m http.server` on a free local port, loads
# http://127.0.0.1:PORT/deep/app/ in headless Chromium and checks that the app rendered its
# stage list and the diagram (the web-0 server) and fetched its files from the sub-folder.
#
#   scripts/check-static-hosting.sh [DIST_DIR]     # default: dist
set -euo pipefail
cd "$(dirname "$0")/.."

DIST="${1:-dist}"
SUBPATH="deep/app"
say() { printf '[static-hosting] %s\n' "$*"; }
fail() {
  say "FAILED: $*" >&2
  exit 1
}

[ -f "$DIST/index.html" ] || fail "no $DIST/index.html: run 'trunk build --release' first"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/setup.sh installs it)"

. scripts/serve-subfolder.sh
profile="$work/profile"
mkdir -p "$profile"
say "serving $DIST as $url"

# --virtual-time-budget lets the page load and run for 20 s of virtual time before the DOM is
# dumped; `timeout` bounds the whole browser run in real time. Under virtual time a web
# worker's messages never reach the page, so this loads the app with its simulation in the
# page (`?sim=page`); scripts/check-sim-worker.sh runs the default (worker) path from the same
# kind of sub-folder in real time.
dom="$work/dom.html"
page_url="${url}?sim=page"
if ! timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --dump-dom --virtual-time-budget=20000 "$page_url" \
  >"$dom" 2>"$work/chromium.log"; then
  tail -n 20 "$work/chromium.log" >&2
  fail "headless Chromium did not finish loading $url"
fi

problems=()
grep -q 'aria-label="Stages"' "$dom" || problems+=("the stage list (nav aria-label=\"Stages\") is missing")
grep -q 'data-component="web-0"' "$dom" || problems+=("the diagram's web-0 server (data-component=\"web-0\") is missing")
if grep -q 'could not start\|id="scalesim-panic"' "$dom"; then
  problems+=("the page shows a start-up error")
fi
grep -Eq "\"GET /$SUBPATH/[^ ]*_bg\\.wasm HTTP/1\\.[01]\" 200" "$work/server.log" ||
  problems+=("the wasm module was not fetched from /$SUBPATH/")
if grep -Ev "\"GET /$SUBPATH/" "$work/server.log" | grep -q '"GET /'; then
  problems+=("the page requested files outside /$SUBPATH/: $(grep -Ev "\"GET /$SUBPATH/" "$work/server.log" | grep -o '"GET [^"]*"' | tr '\n' ' ')")
fi

if [ "${#problems[@]}" -gt 0 ]; then
  say "server log:" >&2
  sed 's/^/    /' "$work/server.log" >&2
  say "rendered DOM (first 40 lines):" >&2
  head -n 40 "$dom" | sed 's/^/    /' >&2
  for p in "${problems[@]}"; do say "- $p" >&2; done
  fail "the app did not render from a sub-folder of a static server"
fi
say "ok: the app rendered from /$SUBPATH/ (stage list and web-0 in the DOM, $(grep -c '"GET /' "$work/server.log") files served)"
