#!/usr/bin/env bash
# Runs the scenarios against Wlive and against nginx + nchan on this machine, one after the
# other (never both at once), and prints the side-by-side table of loadtest/README.md.
#   loadtest/compare.sh [scenario ...]        (default: smoke hot-channel many-channels connect-storm slow-readers)
# Wlive runs on its default store (SQLite, a fresh file per run); COMPARE_STORE=memory runs it
# on the memory store instead.
# Needs: swift build -c release; apt-get install nginx-light libnginx-mod-nchan.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(smoke hot-channel many-channels connect-storm slow-readers)
out="${COMPARE_OUT:-/tmp/wlive-compare}"
mkdir -p "$out"
load=.build/release/wlive-load

run_wlive() {
    # slow-readers: a fixed send buffer, so the slow-consumer policy shows within the run.
    local send_buffer=0
    [ "$1" != slow-readers ] || send_buffer=65536
    rm -rf "$out/store"
    WLIVE_STORE_KIND="${COMPARE_STORE:-sqlite}" WLIVE_STORE_PATH="$out/store/wlive.sqlite" \
        WLIVE_FANOUT_SEND_BUFFER=$send_buffer .build/release/wlive serve --log-level warning >"$out/wlive.log" 2>&1 &
    local gateway=$!
    sleep 1
    "$load" "loadtest/scenarios/$1.yaml" --gateway-pid "$gateway" --json >"$out/wlive-$1.json" || true
    kill -INT "$gateway"; wait "$gateway" || true
}

run_nchan() {
    loadtest/peers/nchan/run.sh >"$out/nchan.log" 2>&1 &
    local master=$!
    sleep 1
    local pids
    pids="$(pgrep -d, -f 'nginx: (master|worker)')"
    "$load" "loadtest/scenarios/$1.yaml" --target generic --gateway-pid "$pids" --json \
        --sub-url 'ws://127.0.0.1:8090/sub/{channel}' --pub-url 'http://127.0.0.1:8090/pub/{channel}' >"$out/nchan-$1.json" || true
    kill -QUIT "$master"; wait "$master" || true
}

for scenario in "${scenarios[@]}"; do
    echo "== $scenario: wlive" >&2; run_wlive "$scenario"
    echo "== $scenario: nchan" >&2; run_nchan "$scenario"
done

python3 - "$out" "${scenarios[@]}" <<'PY'
import json, sys
out, scenarios = sys.argv[1], sys.argv[2:]
def load(server, scenario):
    try:
        return json.load(open(f"{out}/{server}-{scenario}.json"))
    except Exception:
        return None
def fmt(value, pattern):
    return "–" if value is None else pattern.format(value)
print("| scenario | server | subscribed | lost | delivered/s | p50 ms | p99 ms | server CPU s | delivered per CPU-s | connect p99 ms |")
print("|---|---|---|---|---|---|---|---|---|---|")
for scenario in scenarios:
    rows = {}
    for server in ("wlive", "nchan"):
        r = load(server, scenario)
        rows[server] = r
        if r is None:
            print(f"| {scenario} | {server} | run failed | | | | | | | |")
            continue
        print(f"| {scenario} | {server} | {r['connected']} | {r['lost']} | {r['delivered_per_second']:.0f} | {r['latency_p50_ms']:.2f} | "
              f"{r['latency_p99_ms']:.2f} | {fmt(r.get('server_cpu_seconds'), '{:.2f}')} | {fmt(r.get('delivered_per_cpu_second'), '{:.0f}')} | {r['connect_p99_ms']:.1f} |")
    w, n = rows["wlive"], rows["nchan"]
    if w and n and n["delivered"] > 0 and w["delivered"] > 0:
        ratio = lambda a, b: "–" if not a or not b else f"{a / b:.2f}×"
        print(f"| {scenario} | **wlive ÷ nchan** | | | {ratio(w['delivered_per_second'], n['delivered_per_second'])} | "
              f"{ratio(w['latency_p50_ms'], n['latency_p50_ms'])} | {ratio(w['latency_p99_ms'], n['latency_p99_ms'])} | "
              f"{ratio(w.get('server_cpu_seconds'), n.get('server_cpu_seconds'))} | {ratio(w.get('delivered_per_cpu_second'), n.get('delivered_per_cpu_second'))} | |")
PY
