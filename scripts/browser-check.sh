# Sourced by the scripts that check the built app with playwright-core in headless Chromium
# (check-a11y.sh, check-limit-worker.sh, check-sim-worker.sh, check-static-hosting.sh). The caller defines `say` (its
# tagged print) and sets DIST; this adds `fail` and checks what every such script needs: the
# built app, Chromium, node and playwright-core (scripts/setup.sh installs them).
fail() {
  say "FAILED: $*" >&2
  exit 1
}

[ -f "$DIST/index.html" ] || fail "no $DIST/index.html: run 'trunk build --release' first"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/setup.sh installs it)"
command -v node >/dev/null || fail "node is not installed"
[ -d .tools/node_modules/playwright-core ] || [ -n "${PLAYWRIGHT_CORE:-}" ] ||
  fail "playwright-core is not in .tools/node_modules (scripts/setup.sh installs it)"
