#!/usr/bin/env bash
# What the durable store costs, measured against the memory store on this machine, in pairs
# run one after the other (the machine is shared and noisy: compare within a pair):
#   - post-throughput: comments accepted per second on one ingest loop, and the ingest loop's
#     CPU per comment; with SQLite, the store file's size per comment;
#   - many-channels: p99 with each store;
#   - resume: 10,000 viewers reconnecting 100 comments behind (scenarios/resume-storm.yaml):
#     the time until every one has its replay, with a 16-entry ring so that every replay comes
#     from the store (as after a restart, when the rings start empty).
#   loadtest/store-cost.sh          (RUNS=3 pairs of post-throughput, 2 of the others)
# Needs: swift build -c release.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000
out="${COMPARE_OUT:-/tmp/wlive-store-cost}"
runs="${RUNS:-3}"
mkdir -p "$out"
load=.build/release/wlive-load

# Starts `wlive serve` on store kind $1 with a fresh file (ring capacity $2, default 4096); sets $gateway.
start_gateway() {
    rm -rf "$out/store"
    WLIVE_STORE_KIND=$1 WLIVE_STORE_PATH="$out/store/wlive.sqlite" WLIVE_FANOUT_RING_CAPACITY="${2:-4096}" \
        .build/release/wlive serve --log-level warning >"$out/wlive.log" 2>&1 &
    gateway=$!
    sleep 1
}

stop_gateway() { kill -INT "$gateway"; wait "$gateway" || true; }

# CPU seconds (user + system) of the gateway's busiest thread: its ingest loop, when posting.
busiest_thread_cpu() {
    local tick
    tick=$(getconf CLK_TCK)
    for stat in /proc/"$gateway"/task/*/stat; do
        awk -v t="$tick" '{ sub(/.*\) /, ""); print ($12 + $13) / t }' "$stat"
    done | sort -n | tail -1
}

throughput() { # $1: store kind, $2: run
    start_gateway "$1"
    "$load" loadtest/scenarios/post-throughput.yaml --set subscribers=0 --set publishers=32 \
        --gateway-pid "$gateway" --json >"$out/post-$1-$2.json" || true
    busiest_thread_cpu >"$out/post-$1-$2.ingest"
    du -b "$out/store" 2>/dev/null | tail -1 | cut -f1 >"$out/post-$1-$2.bytes" || echo 0 >"$out/post-$1-$2.bytes"
    stop_gateway
}

many() { # $1: store kind, $2: run
    start_gateway "$1"
    "$load" loadtest/scenarios/many-channels.yaml --gateway-pid "$gateway" --json >"$out/many-$1-$2.json" || true
    stop_gateway
}

resume() { # $1: store kind, $2: run
    start_gateway "$1" 16
    # 100 comments in each of 100 rooms, then 10,000 viewers ask for all of them at once.
    "$load" loadtest/scenarios/resume-storm.yaml --gateway-pid "$gateway" --json >"$out/resume-$1-$2.json" || true
    stop_gateway
}

for run in $(seq 1 "$runs"); do
    echo "== post-throughput run $run: memory, then sqlite" >&2
    throughput memory "$run"
    throughput sqlite "$run"
done
for run in 1 2; do
    echo "== many-channels run $run: memory, then sqlite" >&2
    many memory "$run"
    many sqlite "$run"
    echo "== resume-storm run $run: memory, then sqlite" >&2
    resume memory "$run"
    resume sqlite "$run"
done

python3 - "$out" "$runs" <<'PY'
import json, os, sys
out, runs = sys.argv[1], int(sys.argv[2])
def load(name):
    try:
        return json.load(open(os.path.join(out, name)))
    except Exception:
        return None
def read(name):
    try:
        return float(open(os.path.join(out, name)).read().strip() or 0)
    except Exception:
        return 0.0
print("| run | store | accepted/s | ingest loop CPU µs per comment | store bytes per comment |")
print("|---|---|---|---|---|")
for run in range(1, runs + 1):
    for kind in ("memory", "sqlite"):
        r = load(f"post-{kind}-{run}.json")
        if not r:
            print(f"| {run} | {kind} | run failed | | |")
            continue
        accepted = r.get("accepted", 0)
        rate = r.get("posted_per_second", 0) * accepted / max(r.get("posted", 0), 1)
        ingest = read(f"post-{kind}-{run}.ingest")
        size = read(f"post-{kind}-{run}.bytes") if kind == "sqlite" else 0
        per = f"{size / accepted:.0f}" if kind == "sqlite" and accepted else "–"
        print(f"| {run} | {kind} | {rate:,.0f} | {ingest / max(accepted, 1) * 1e6:.1f} | {per} |")
print()
print("| run | store | many-channels p99 ms | lost | resume: all replayed in s | resume p99 ms | viewers resumed |")
print("|---|---|---|---|---|---|---|")
for run in (1, 2):
    for kind in ("memory", "sqlite"):
        m = load(f"many-{kind}-{run}.json") or {}
        s = load(f"resume-{kind}-{run}.json") or {}
        def f(value, pattern="{:.2f}"):
            return "–" if value is None else pattern.format(value)
        print(f"| {run} | {kind} | {f(m.get('latency_p99_ms'))} | {m.get('lost', '–')} | "
              f"{f(s.get('resume_seconds'))} | {f(s.get('resume_p99_ms'), '{:.0f}')} | {s.get('resumed', '–')} |")
PY
