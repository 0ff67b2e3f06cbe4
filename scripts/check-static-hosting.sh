#!/usr/bin/env bash
# Checks that the built app (dist/, from `trunk build --release`; Trunk.toml sets
# public_url = "./") works from a sub-folder of a plain static server: copies it to
# <tmp>/deep/app/, serves <tmp> with `python3 -m http.server` on a free local port, loads
# http://127.0.0.1:PORT/deep/app/ in headless Chromium (scripts/check-static-hosting.js, in real
# time, with the simulation in the worker and in the page) and checks that the app rendered its
# stage list and the diagram (the web-0 server) without fetching the views' wasm module, then
# opened the capacity panel, the editor and the challenges (that module, loaded on first use,
# which the capacity panel must fetch) and fetched its files from the sub-folder.
#
#   scripts/check-static-hosting.sh [DIST_DIR]     # default: dist
set -euo pipefail
cd "$(dirname "$0")/.."

DIST="${1:-dist}"
SUBPATH="deep/app"
say() { printf '[static-hosting] %s\n' "$*"; }

. scripts/browser-check.sh

. scripts/serve-subfolder.sh
say "serving $DIST as $url"

# In real time (scripts/check-static-hosting.js): the app with its simulation in the worker
# (the default) and in the page (`?sim=page`), each until the stage list and web-0 appear.
problems=()
if ! timeout 240 node scripts/check-static-hosting.js "$url" >"$work/pages.log" 2>&1; then
  problems+=("the pages' checks failed (stage list and diagram, no views' module on the first screen, the capacity panel, the editor, the challenges): $(tr '\n' ' ' <"$work/pages.log")")
fi
grep -Eq "\"GET /$SUBPATH/[^ ]*_bg\\.wasm HTTP/1\\.[01]\" 200" "$work/server.log" ||
  problems+=("the wasm module was not fetched from /$SUBPATH/")
grep -Eq "\"GET /$SUBPATH/scalesim-views_bg\.wasm HTTP/1\.[01]\" 200" "$work/server.log" ||
  problems+=("the views' wasm module (the capacity panel, the editor) was not fetched from /$SUBPATH/")
if grep -Ev "\"GET /$SUBPATH/" "$work/server.log" | grep -q '"GET /'; then
  problems+=("the page requested files outside /$SUBPATH/: $(grep -Ev "\"GET /$SUBPATH/" "$work/server.log" | grep -o '"GET [^"]*"' | tr '\n' ' ')")
fi

if [ "${#problems[@]}" -gt 0 ]; then
  say "server log:" >&2
  sed 's/^/    /' "$work/server.log" >&2
  for p in "${problems[@]}"; do say "- $p" >&2; done
  fail "the app did not render from a sub-folder of a static server"
fi
say "ok: the app rendered from /$SUBPATH/ (stage list and web-0 with the simulation in the worker and in the page, no views' module on the first screen; the capacity panel, the editor and the challenges from it; $(grep -c '"GET /' "$work/server.log") files served)"
