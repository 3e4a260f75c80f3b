#!/usr/bin/env bash
# Several nodes on one Redis, measured on this machine against one node and against nginx + nchan
# in the same run, one server set after the other (the machine is shared and noisy: compare
# within a run):
#   - cluster-hot: one room, 9,000 viewers, 100 comments/s: on three nodes (3,000 viewers each,
#     comments posted to node 1), on one node, and on nchan. Delivered/s, p99, and server CPU
#     (the three nodes and redis-server together) per delivered comment;
#   - the Redis commands per accepted comment, from INFO commandstats before and after the
#     three-node cluster-hot run (every command, the ones the scripts run included);
#   - cluster-hop: 200 viewers, 200 comments/s: one node without Redis; a cluster with the
#     viewers on the node the comments go to; the viewers on node 2 and the comments to node 1.
#     The difference in p99 is what the hop through Redis adds.
#   loadtest/cluster.sh              (RUNS=1 round; RUNS=2 for two)
# Nodes run with one worker each (three nodes share the two cores), the single node with the
# default (one per core). redis-server runs with appendonly and fsync every second, as
# docs/CLUSTER.md recommends.
# Needs: swift build -c release; redis-server; nginx-light and libnginx-mod-nchan for the nchan rows.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 20000
out="${COMPARE_OUT:-/tmp/wlive-cluster}"
runs="${RUNS:-1}"
rm -rf "$out" && mkdir -p "$out"
load=.build/release/wlive-load
redis_port=16390
redis_url="redis://127.0.0.1:$redis_port/0"
nodes=()

redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$out" --save '' --appendonly yes --appendfsync everysec \
    --daemonize yes --pidfile "$out/redis.pid" --logfile "$out/redis.log"
trap 'kill "${nodes[@]}" 2>/dev/null || true; kill "$(cat "$out/redis.pid")" 2>/dev/null || true' EXIT
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis_pid=$(cat "$out/redis.pid")

# Waits until node $1's admin port (base $1 + 2) says ready, at most 10 s.
wait_ready() {
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$(($1 + 2))/readyz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "node on $1 did not become ready" >&2
    return 1
}

# Starts a node whose WebSocket port is $1 (HTTP $1+1, admin $1+2); more settings in the environment.
start_node() {
    .build/release/wlive serve --log-level warning --ws-port "$1" --http-port $(($1 + 1)) --admin-port $(($1 + 2)) \
        >>"$out/wlive-$1.log" 2>&1 &
    nodes+=($!)
    wait_ready "$1"
}

stop_nodes() {
    for node in "${nodes[@]}"; do kill -INT "$node" 2>/dev/null || true; done
    for node in "${nodes[@]}"; do wait "$node" 2>/dev/null || true; done
    nodes=()
}

start_single() {
    rm -rf "$out/store"
    WLIVE_STORE_PATH="$out/store/wlive.sqlite" start_node 18010
}

start_cluster() {
    redis-cli -p "$redis_port" flushall >/dev/null
    for port in 18110 18120 18130; do
        WLIVE_CLUSTER_REDIS_URL="$redis_url" WLIVE_CLUSTER_NAME=load WLIVE_WORKERS=1 start_node "$port"
    done
}

pids() { local IFS=,; echo "$*"; }
ws() { echo "ws://127.0.0.1:$1/ws"; }
http() { echo "http://127.0.0.1:$(($1 + 1))/live/"; }
# Runs scenario $1 into $out/$2.json; the rest are wlive-load arguments.
measure() {
    local scenario=$1 name=$2
    shift 2
    echo "== $name" >&2
    "$load" "loadtest/scenarios/$scenario.yaml" --json "$@" >"$out/$name.json" || true
}

for run in $(seq 1 "$runs"); do
    start_single
    measure cluster-hot "single-hot-$run" --gateway-pid "${nodes[0]}" --ws-url "$(ws 18010)" --http-url "$(http 18010)"
    measure cluster-hop "single-hop-$run" --gateway-pid "${nodes[0]}" --ws-url "$(ws 18010)" --http-url "$(http 18010)"
    stop_nodes

    start_cluster
    redis-cli -p "$redis_port" info commandstats >"$out/commands-before-$run.txt"
    measure cluster-hot "cluster-hot-$run" --gateway-pid "$(pids "${nodes[@]}" "$redis_pid")" \
        --ws-url "$(ws 18110),$(ws 18120),$(ws 18130)" --http-url "$(http 18110)"
    redis-cli -p "$redis_port" info commandstats >"$out/commands-after-$run.txt"
    measure cluster-hop "same-hop-$run" --gateway-pid "$(pids "${nodes[@]}" "$redis_pid")" \
        --ws-url "$(ws 18110)" --http-url "$(http 18110)"
    measure cluster-hop "cross-hop-$run" --gateway-pid "$(pids "${nodes[@]}" "$redis_pid")" \
        --ws-url "$(ws 18120)" --http-url "$(http 18110)"
    stop_nodes

    if command -v nginx >/dev/null && [ -e /usr/lib/nginx/modules/ngx_nchan_module.so ]; then
        loadtest/peers/nchan/run.sh >"$out/nchan.log" 2>&1 &
        master=$!
        sleep 1
        nginx_pids="$(pgrep -d, -f 'nginx: (master|worker)')"
        for scenario in hot hop; do
            measure "cluster-$scenario" "nchan-$scenario-$run" --target generic --gateway-pid "$nginx_pids" \
                --sub-url 'ws://127.0.0.1:8090/sub/{channel}' --pub-url 'http://127.0.0.1:8090/pub/{channel}'
        done
        kill -QUIT "$master"; wait "$master" || true
    fi
done

python3 - "$out" "$runs" <<'PY'
import json, os, re, sys
out, runs = sys.argv[1], int(sys.argv[2])
def load(name):
    try:
        return json.load(open(os.path.join(out, name + ".json")))
    except Exception:
        return None
def f(value, pattern="{:.2f}"):
    return "–" if value is None else pattern.format(value)
def commands(name):
    calls = {}
    for line in open(os.path.join(out, name)):
        match = re.match(r"cmdstat_([^:]+):calls=(\d+)", line)
        if match:
            calls[match[1]] = int(match[2])
    return calls
print("| run | hot room, 9,000 viewers | lost | delivered/s | p50 ms | p99 ms | server CPU s | delivered per CPU-s |")
print("|---|---|---|---|---|---|---|---|")
for run in range(1, runs + 1):
    rows = {}
    for name, label in (("cluster", "three nodes on Redis"), ("single", "one node"), ("nchan", "nginx + nchan")):
        r = load(f"{name}-hot-{run}")
        rows[name] = r
        if not r:
            print(f"| {run} | {label} | run failed or skipped | | | | | |")
            continue
        print(f"| {run} | {label} | {r['lost']} | {r['delivered_per_second']:,.0f} | {r['latency_p50_ms']:.2f} | "
              f"{r['latency_p99_ms']:.2f} | {f(r.get('server_cpu_seconds'))} | {f(r.get('delivered_per_cpu_second'), '{:,.0f}')} |")
    for a, b in (("cluster", "single"), ("cluster", "nchan")):
        x, y = rows.get(a), rows.get(b)
        if x and y and y["delivered_per_second"] and y["latency_p99_ms"]:
            per = "–" if not x.get("delivered_per_cpu_second") or not y.get("delivered_per_cpu_second") else \
                f"{x['delivered_per_cpu_second'] / y['delivered_per_cpu_second']:.2f}×"
            print(f"| {run} | **{a} ÷ {b}** | | {x['delivered_per_second'] / y['delivered_per_second']:.2f}× | | "
                  f"{x['latency_p99_ms'] / y['latency_p99_ms']:.2f}× | | {per} |")
print()
print("| run | Redis commands per accepted comment (three-node hot room) |")
print("|---|---|")
for run in range(1, runs + 1):
    r = load(f"cluster-hot-{run}")
    try:
        before, after = commands(f"commands-before-{run}.txt"), commands(f"commands-after-{run}.txt")
    except Exception:
        continue
    accepted = max((r or {}).get("accepted", 0), 1)
    delta = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
    total = sum(delta.values())
    detail = ", ".join(f"{name} {count / accepted:.2f}" for name, count in sorted(delta.items(), key=lambda item: -item[1]))
    print(f"| {run} | {total / accepted:.2f} in all over {accepted} accepted: {detail} |")
print()
print("| run | cluster-hop, 200 viewers, 200 comments/s | lost | p50 ms | p99 ms | p99.9 ms |")
print("|---|---|---|---|---|---|")
for run in range(1, runs + 1):
    for name, label in (("single", "one node, no Redis"), ("same", "cluster, viewers on the posting node"),
                        ("cross", "cluster, viewers on node 2, posts to node 1"), ("nchan", "nginx + nchan")):
        r = load(f"{name}-hop-{run}")
        if not r:
            print(f"| {run} | {label} | run failed or skipped | | | |")
            continue
        print(f"| {run} | {label} | {r['lost']} | {r['latency_p50_ms']:.2f} | {r['latency_p99_ms']:.2f} | "
              f"{f(r.get('latency_p999_ms'))} |")
    single, cross = load(f"single-hop-{run}"), load(f"cross-hop-{run}")
    if single and cross:
        print(f"| {run} | **hop adds (cross − single)** | | {cross['latency_p50_ms'] - single['latency_p50_ms']:.2f} | "
              f"{cross['latency_p99_ms'] - single['latency_p99_ms']:.2f} | |")
PY
