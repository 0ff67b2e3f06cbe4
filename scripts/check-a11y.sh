#!/usr/bin/env bash
# Checks the built app's accessibility (dist/, from `trunk build --release`): serves it from a
# sub-folder of a plain static server (as scripts/check-static-hosting.sh does) and runs
# scripts/check-a11y.js in headless Chromium: axe-core on every stage 1-11, with the inspector
# open and with a group's panel open, the editor, the embed view and the challenges (list, page,
# a graded start); no serious or critical violation, no diagram text under
# 11 px in a 1400-px-wide window, no diagram (nor the editor's drawing at stages 10-11) that
# scrolls sideways at 1920, 1400, 1280 or 1000 px (alone or with the inspector open).
#
#   scripts/check-a11y.sh [DIST_DIR]     # default: dist
#
# Needs node, Chromium, playwright-core and axe-core in .tools/ (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

DIST="${1:-dist}"
SUBPATH="a11y/app"
say() { printf '[a11y] %s\n' "$*"; }
. scripts/browser-check.sh
[ -f .tools/node_modules/axe-core/axe.min.js ] || [ -n "${AXE_CORE:-}" ] ||
  fail "axe-core is not in .tools/node_modules (scripts/setup.sh installs it)"

. scripts/serve-subfolder.sh
say "serving $DIST as $url"
timeout 900 node scripts/check-a11y.js "$url" || fail "see the lines above"
say "ok: no serious or critical violation, every diagram text at least 11 px"
