#!/usr/bin/env bash
# What permessage-deflate costs and saves (issue 16): pairs of runs of scenarios/hot-channel.yaml
# (10,000 viewers in one room) against a fresh `wlive serve --open-channel 1`, one with every
# viewer negotiating deflate and one without, one after the other (the machine is shared and
# noisy: compare within a pair). Prints, per pair, bytes on the wire per delivered comment, the
# gateway's CPU per delivered comment with and without deflate, and their ratio.
#   loadtest/deflate-cost.sh          (RUNS=2 pairs; SCENARIO=... for another scenario; SET="post_rate=50"
#                                      for more --set: inflating every comment for 10,000 viewers costs
#                                      the load generator more CPU than the gateway spends compressing)
# Needs: swift build -c release.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000
out="${COMPARE_OUT:-/tmp/wlive-deflate-cost}"
runs="${RUNS:-2}"
scenario="${SCENARIO:-loadtest/scenarios/hot-channel.yaml}"
mkdir -p "$out"
load=.build/release/wlive-load

run() { # $1: deflate true/false, $2: run
    WLIVE_STORE_KIND=memory .build/release/wlive serve --open-channel 1 --log-level warning >"$out/wlive.log" 2>&1 &
    local gateway=$!
    sleep 1
    "$load" "$scenario" --set deflate="$1" ${SET:+--set $SET} --gateway-pid "$gateway" --json >"$out/deflate-$1-$2.json" || true
    kill -INT "$gateway"
    wait "$gateway" || true
}

for index in $(seq 1 "$runs"); do
    run true "$index"
    run false "$index"
done

python3 - "$out" "$runs" <<'PY'
import json, sys
out, runs = sys.argv[1], int(sys.argv[2])
def load(deflate, run):
    with open(f"{out}/deflate-{deflate}-{run}.json") as file:
        return json.load(file)
for run in range(1, runs + 1):
    on, off = load("true", run), load("false", run)
    cpu = lambda r: r["server_cpu_seconds"] / max(1, r["delivered"]) * 1e6
    print(f"pair {run}: deflate {on['deflate_subscribers']} viewers, {on['delivered']} delivered, "
          f"{on['wire_bytes_per_delivered']:.1f} wire bytes and {cpu(on):.3f} µs gateway CPU per delivered comment, "
          f"p99 {on['latency_p99_ms']:.2f} ms; plain {off['delivered']} delivered, "
          f"{off['wire_bytes_per_delivered']:.1f} bytes and {cpu(off):.3f} µs, p99 {off['latency_p99_ms']:.2f} ms; "
          f"CPU ratio {cpu(on) / cpu(off):.2f}, bytes ratio {on['wire_bytes_per_delivered'] / off['wire_bytes_per_delivered']:.2f}")
PY
