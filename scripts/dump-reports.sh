#!/usr/bin/env bash
# Writes the report JSON of every preset (`scalesim run --preset N --json`, default duration) and
# of every case in scripts/make-fixtures.sh into DIR, one file per run, so that two builds can be
# compared report by report (scripts/compare-reports.py), e.g. across a rename of report fields.
#
#   scripts/dump-reports.sh DIR [BIN]     # BIN: the scalesim binary (default target/release/scalesim)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:?usage: scripts/dump-reports.sh DIR [BIN]}"
BIN="${2:-target/release/scalesim}"
mkdir -p "$DIR"
for n in 1 2 3 4 5 6 7 8 9 10 11; do
  "$BIN" run --preset "$n" --json >"$DIR/preset-$n.json"
done
# The digest cases, read from make-fixtures.sh itself so that the two lists cannot drift.
EXP="$(sed -n 's/^EXP="\(.*\)"$/\1/p' scripts/make-fixtures.sh)"
for kind in page_view api_read write static_asset; do EXP="$EXP server.service.$kind.mean_ms=20"; done
mapfile -t CASES < <(sed -n '/^CASES=(/,/^)/p' scripts/make-fixtures.sh | grep -o '"[^"]*"' | tr -d '"')
i=0
for case in "${CASES[@]}"; do
  i=$((i + 1))
  case="${case//\$EXP/$EXP}"
  read -r -a words <<<"$case"
  args=(run --preset "${words[1]}" --duration-s "${words[2]}" --json)
  for assignment in "${words[@]:3}"; do args+=(--set "$assignment"); done
  "$BIN" "${args[@]}" >"$DIR/case-$(printf %02d "$i")-${words[0]}-${words[1]}-${words[2]}.json"
done
echo "dump-reports: $(ls "$DIR" | wc -l) reports in $DIR"
