#!/usr/bin/env bash
# Preset 11's whole run (360 s, 10 million users) natively, two binaries interleaved:
#
#   scripts/measure-native-stage11.sh BASE NEW [PAIRS] [THREADS]
#
# runs `BIN run --preset 11 --timing --no-series --json --threads THREADS` (default 2) under
# /usr/bin/time, BASE then NEW, PAIRS times (default 3). For each run it prints the start
# (UTC), the 1-minute load average at the start, the wall time, the times real time it ran
# at (360 s over the wall time), user and system CPU seconds, peak RSS, the events and the
# digest; at the end the median of each binary's wall time and speed. The printed reports,
# with their `timing` block cut out, must be the same bytes in every run: the script says
# whether they were (exit code 1 if not). EXTRA="--set …" adds arguments to every run.
set -euo pipefail
base="${1:?BASE binary}"
new="${2:?NEW binary}"
pairs="${3:-3}"
threads="${4:-2}"
out="$(mktemp -d /tmp/measure-stage11.XXXXXX)"
echo "outputs in $out; $(nproc) cores; threads $threads"
printf '%-4s %-4s %-8s %-5s %8s %7s %8s %7s %7s %12s %s\n' \
  run bin start load wall_s x_real user_s sys_s rss_MB events digest
# shellcheck disable=SC2086
one() { # LABEL BIN N
  local label="$1" bin="$2" n="$3" start load
  start="$(date -u +%H:%M:%S)"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  /usr/bin/time -f '%e %U %S %M' -o "$out/$label-$n.time" \
    "$bin" run --preset 11 --timing --no-series --json --threads "$threads" ${EXTRA:-} \
    >"$out/$label-$n.json"
  python3 - "$out/$label-$n" "$label" "$n" "$start" "$load" <<'EOF'
import json, sys
stem, label, n, start, load = sys.argv[1:]
wall, user, sys_s, rss_kb = open(stem + ".time").read().split()[-4:]
r = json.load(open(stem + ".json"))
t = r.pop("timing")
json.dump(r, open(stem + ".report", "w"), sort_keys=True)
print(f"{n:<4} {label:<4} {start:<8} {load:<5} {float(wall):8.2f} {r['sim_time_s'] / float(wall):7.2f}"
      f" {float(user):8.2f} {float(sys_s):7.2f} {int(rss_kb) / 1024:7.1f}"
      f" {t['events_processed']:12d} {r['digest']}")
EOF
}
for n in $(seq 1 "$pairs"); do
  one base "$base" "$n"
  one new "$new" "$n"
done
python3 - "$out" "$pairs" <<'EOF'
import glob, json, statistics, sys
out, pairs = sys.argv[1], int(sys.argv[2])
for label in ("base", "new"):
    walls = [float(open(f"{out}/{label}-{n}.time").read().split()[-4]) for n in range(1, pairs + 1)]
    cpu = [sum(map(float, open(f"{out}/{label}-{n}.time").read().split()[-3:-1])) for n in range(1, pairs + 1)]
    med = statistics.median(walls)
    print(f"{label}: median wall {med:.2f} s = {360 / med:.2f}x real time; median user+sys {statistics.median(cpu):.2f} s")
reports = {open(p).read() for p in glob.glob(f"{out}/*.report")}
print("reports without timing:", "all the same bytes" if len(reports) == 1 else f"{len(reports)} different")
sys.exit(0 if len(reports) == 1 else 1)
EOF
