#!/usr/bin/env bash
# What the admin port costs, on this machine:
#  1. metrics overhead: hot-channel with admin.enabled false and true, alternating RUNS times
#     (default 3), compares delivered comments per gateway CPU-second;
#  2. scrape cost: during many-channels (10,000 viewers, 1,000 rooms), the time and bytes of one
#     GET /metrics and one GET /admin/stats, median of 5 each.
#   loadtest/admin-cost.sh            (needs swift build -c release)
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000
out="${COMPARE_OUT:-/tmp/wlive-admin-cost}"
runs="${RUNS:-3}"
mkdir -p "$out"
load=.build/release/wlive-load
# Every gateway here starts on an empty store of its own.
export WLIVE_STORE_KIND=memory

hot_channel() { # $1: admin.enabled, $2: run number
    WLIVE_ADMIN_ENABLED=$1 .build/release/wlive serve --log-level warning >"$out/wlive.log" 2>&1 &
    local gateway=$!
    sleep 1
    "$load" loadtest/scenarios/hot-channel.yaml --gateway-pid "$gateway" --json >"$out/hot-$1-$2.json" || true
    kill -INT "$gateway"; wait "$gateway" || true
}

for run in $(seq 1 "$runs"); do
    echo "== hot-channel run $run: admin off, then on" >&2
    hot_channel false "$run"
    hot_channel true "$run"
done

echo "== many-channels with scrapes" >&2
.build/release/wlive serve --log-level warning >"$out/wlive.log" 2>&1 &
gateway=$!
sleep 1
"$load" loadtest/scenarios/many-channels.yaml --gateway-pid "$gateway" --json >"$out/many.json" &
loader=$!
for _ in $(seq 1 300); do
    connections=$(curl -s http://127.0.0.1:8082/admin/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])' || echo 0)
    [ "$connections" -ge 10000 ] && break
    sleep 0.1
done
for route in metrics admin/stats; do
    for _ in 1 2 3 4 5; do
        curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:8082/$route"
    done >"$out/scrape-${route//\//-}.txt"
done
wait "$loader" || true
kill -INT "$gateway"; wait "$gateway" || true

python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
def per_cpu(enabled):
    values = []
    for run in range(1, runs + 1):
        try:
            values.append(json.load(open(f"{out}/hot-{enabled}-{run}.json"))["delivered_per_cpu_second"])
        except Exception:
            pass
    return values
off, on = per_cpu("false"), per_cpu("true")
print("| hot-channel | runs | delivered per gateway CPU-s (each run) | median |")
print("|---|---|---|---|")
for name, values in (("admin off", off), ("admin on", on)):
    print(f"| {name} | {len(values)} | {', '.join(f'{v:.0f}' for v in values)} | {statistics.median(values):.0f} |" if values else f"| {name} | 0 | | |")
if off and on:
    # Runs alternate off/on, so drifts of a shared machine hit both; medians resist one noisy run.
    print(f"\nmetrics overhead: {100 * (1 - statistics.median(on) / statistics.median(off)):.1f}% of gateway CPU per delivered comment (medians)")
many = json.load(open(f"{out}/many.json"))
print(f"\nmany-channels: {many['connected']} viewers connected, {many['lost']} lost")
for route in ("metrics", "admin-stats"):
    rows = [line.split() for line in open(f"{out}/scrape-{route}.txt")]
    times = sorted(float(t) * 1000 for t, _ in rows)
    print(f"GET /{route.replace('-', '/')}: median {statistics.median(times):.2f} ms (of {', '.join(f'{t:.2f}' for t in times)}), {rows[0][1]} bytes")
PY
