#!/usr/bin/env bash
# What likes cost the gateway (issue 15: 10,000 likes a second on one room must cost O(1) per
# like and O(rooms) per second of pushes). Pairs of runs of scenarios/likes.yaml against a
# fresh `wlive serve` on its default SQLite store, one with like_rate 10000 and one with none,
# one after the other (the machine is shared and noisy: compare within a pair). Prints, per
# pair, the gateway's CPU seconds with and without likes, the difference per like, and the
# likes notices each viewer read per second.
#   loadtest/likes-cost.sh          (RUNS=2 pairs)
# Needs: swift build -c release.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000
out="${COMPARE_OUT:-/tmp/wlive-likes-cost}"
runs="${RUNS:-2}"
mkdir -p "$out"
load=.build/release/wlive-load

run() { # $1: like rate, $2: run
    rm -rf "$out/store"
    WLIVE_STORE_PATH="$out/store/wlive.sqlite" .build/release/wlive serve --log-level warning >"$out/wlive.log" 2>&1 &
    local gateway=$!
    sleep 1
    "$load" loadtest/scenarios/likes.yaml --set like_rate="$1" --gateway-pid "$gateway" --json \
        >"$out/likes-$1-$2.json" || true
    kill -INT "$gateway"
    wait "$gateway" || true
}

for index in $(seq 1 "$runs"); do
    run 10000 "$index"
    run 0 "$index"
done

python3 - "$out" "$runs" <<'PY'
import json, sys
out, runs = sys.argv[1], int(sys.argv[2])
def load(rate, run):
    with open(f"{out}/likes-{rate}-{run}.json") as file:
        return json.load(file)
for run in range(1, runs + 1):
    liked, plain = load(10000, run), load(0, run)
    extra = liked["server_cpu_seconds"] - plain["server_cpu_seconds"]
    per_like = extra / max(1, liked["likes_accepted"]) * 1e6
    seconds = liked["delivery_seconds"]
    notices = liked["like_notices"] / max(1, liked["connected"]) / max(seconds, 1e-9)
    print(f"pair {run}: {liked['likes_accepted']} likes accepted of {liked['likes_sent']}, highest total read "
          f"{liked['highest_like_total']}; gateway CPU {liked['server_cpu_seconds']:.2f} s with likes, "
          f"{plain['server_cpu_seconds']:.2f} s without: {per_like:.1f} µs per like; "
          f"{notices:.2f} likes notices per viewer per second; comment p99 {liked['latency_p99_ms']:.2f} ms "
          f"with likes, {plain['latency_p99_ms']:.2f} ms without")
PY
