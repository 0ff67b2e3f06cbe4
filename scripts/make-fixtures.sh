#!/usr/bin/env bash
# Regenerates tests/fixtures/digests.json: the report digest of each replay case, produced by
# the native CLI (`scalesim run --preset N --duration-s S`). The native test
# (tests/replay_native.rs) and the browser test (tests/replay.rs) both check these values, so a
# change to the model fails them until this script is run and the new fixtures are committed.
#
#   scripts/make-fixtures.sh          # rewrite the file
#   scripts/make-fixtures.sh --check  # only compare, exit 1 if the file is out of date
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# Each case: a group, the preset, the duration in seconds, then any `--set` assignments.
# Group "presets": every simulated preset for a short run, and longer runs that reach the
# presets' scheduled faults (stage 3: web-1 down at 40 s; stage 4: master failover at 60 s;
# stage 5: cache node lost at 60 s; stage 8: workers down at 60 s; stage 9: master down at
# 60 s, alerts fire; stage 10: resharding to 5 shards at 120 s; stage 11 with 200,000 users instead of ten million).
# Group "mmck": stage 1 with one exponential service time, whose report's `theory` section is
# the exact M/M/c/K (src/sim/theory.rs `mmck`, computed with std f64 ln/exp).
EXP="server.service.page_view.shape=exponential server.service.static_asset.shape=exponential"
for kind in page_view api_read write static_asset; do EXP="$EXP server.service.$kind.mean_ms=20"; done
CASES=(
  "presets 1 30" "presets 2 30" "presets 3 30" "presets 4 30"
  "presets 5 30" "presets 6 30" "presets 7 30" "presets 8 30" "presets 9 30" "presets 10 30"
  "presets 11 20 traffic.users=200000"
  "presets 3 60" "presets 4 75" "presets 5 75" "presets 8 75" "presets 9 75" "presets 10 125"
  "mmck 1 30 $EXP"
  "mmck 1 30 $EXP traffic.users=3500 server.queue_capacity=20"
)
OUT=tests/fixtures/digests.json

cargo build --release --quiet --bin scalesim
BIN=target/release/scalesim
if [ -n "${CARGO_TARGET_DIR:-}" ]; then BIN="$CARGO_TARGET_DIR/release/scalesim"; fi

tmp="$(mktemp)"
trap 'rm -f "$tmp"' EXIT
{
  echo '{'
  echo '  "about": "Report digests from the native CLI (scalesim run --preset N --duration-s S --set ...). Regenerate with scripts/make-fixtures.sh after a deliberate change to the model.",'
  echo '  "cases": ['
  n=${#CASES[@]}
  i=0
  for case in "${CASES[@]}"; do
    read -r -a words <<<"$case"
    group="${words[0]}"
    stage="${words[1]}"
    duration="${words[2]}"
    args=(run --preset "$stage" --duration-s "$duration")
    sets=""
    for assignment in "${words[@]:3}"; do
      args+=(--set "$assignment")
      sets="$sets${sets:+, }\"$assignment\""
    done
    digest="$("$BIN" "${args[@]}" |
      sed -n 's/^  "digest": "\([0-9a-f]\{16\}\)",\{0,1\}$/\1/p')"
    if [ -z "$digest" ]; then
      echo "make-fixtures: no digest in the report of: scalesim ${args[*]}" >&2
      exit 1
    fi
    i=$((i + 1))
    sep=","
    [ "$i" = "$n" ] && sep=""
    printf '    { "group": "%s", "preset": %d, "duration_s": %d, "set": [%s], "digest": "%s" }%s\n' \
      "$group" "$stage" "$duration" "$sets" "$digest" "$sep"
  done
  echo '  ]'
  echo '}'
} >"$tmp"

if [ "${1:-}" = "--check" ]; then
  if cmp -s "$tmp" "$OUT"; then
    echo "make-fixtures: $OUT is up to date"
  else
    echo "make-fixtures: $OUT is out of date:" >&2
    diff "$OUT" "$tmp" >&2 || true
    exit 1
  fi
else
  mkdir -p "$(dirname "$OUT")"
  cp "$tmp" "$OUT"
  echo "make-fixtures: wrote $OUT (${#CASES[@]} cases)"
fi
