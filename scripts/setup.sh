#!/usr/bin/env bash
# Installs whatever scalesim's build and tests need and is missing; quick when all is there.
# Everything comes from the package registries (crates.io, npm, Debian): nothing else is fetched.
# Source it (`. scripts/setup.sh`) so that PATH changes reach the caller.
# SCALESIM_SKIP_BROWSER=1 leaves Chromium out (enough to build the app, as the Pages workflow does).

set -euo pipefail
SCALESIM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130"
TRUNK_VERSION="0.21.14"
BINARYEN_VERSION="132"
PLAYWRIGHT_CORE_VERSION="1.65.2"
AXE_CORE_VERSION="4.14.1"

say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$SCALESIM_ROOT/.tools/node_modules/.bin:$PATH"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    say "need root for: $*"; return 1
  fi
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    say "adding rustup component $component"
    rustup component add "$component"
  fi
done

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "building wasm-bindgen-cli $WASM_BINDGEN_VERSION from crates.io (about 5 minutes)"
  # Without --locked: its lock file names a webpki-roots version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "building trunk $TRUNK_VERSION from crates.io (about 10 minutes)"
  CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if ! wasm-opt --version 2>/dev/null | grep -q "version $BINARYEN_VERSION"; then
  say "installing wasm-opt (binaryen $BINARYEN_VERSION) from npm into .tools/"
  npm install --silent --no-audit --no-fund --prefix "$SCALESIM_ROOT/.tools" "binaryen@$BINARYEN_VERSION"
fi

if [ "${SCALESIM_SKIP_BROWSER:-}" = 1 ]; then
  say "SCALESIM_SKIP_BROWSER=1: not checking for chromium"
elif ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing Debian's chromium and chromium-driver"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# playwright-core (no bundled browser: it drives Debian's chromium) for the scripts that run the
# built app in a browser (scripts/check-limit-worker.js, scripts/screenshots.js).
if [ "${SCALESIM_SKIP_BROWSER:-}" != 1 ] &&
  ! grep -qs "\"version\": \"$PLAYWRIGHT_CORE_VERSION\"" "$SCALESIM_ROOT/.tools/node_modules/playwright-core/package.json"; then
  say "installing playwright-core $PLAYWRIGHT_CORE_VERSION from npm into .tools/"
  npm install --silent --no-audit --no-fund --prefix "$SCALESIM_ROOT/.tools" "playwright-core@$PLAYWRIGHT_CORE_VERSION"
fi

# axe-core, injected into the built app by scripts/check-a11y.js (no serious or critical
# accessibility violation on any stage).
if [ "${SCALESIM_SKIP_BROWSER:-}" != 1 ] &&
  ! grep -qs "\"version\": \"$AXE_CORE_VERSION\"" "$SCALESIM_ROOT/.tools/node_modules/axe-core/package.json"; then
  say "installing axe-core $AXE_CORE_VERSION from npm into .tools/"
  npm install --silent --no-audit --no-fund --prefix "$SCALESIM_ROOT/.tools" "axe-core@$AXE_CORE_VERSION"
fi

say "toolchain ready: $(trunk --version), $(wasm-bindgen --version), $(wasm-opt --version | head -n1), $(chromium --version 2>/dev/null | head -n1)"
