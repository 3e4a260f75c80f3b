#!/bin/sh
# Instructions, L1 data misses and (simulated) branch mispredicts per spam check, counted by
# cachegrind: unlike wall-clock time on a shared machine, the same on every run. Runs the spam
# benchmark's workload (same dictionary, comments, users and channels) for N checks and for none,
# and prints the difference divided by N.
#
#   Benchmarks/Cachegrind/spam-instructions.sh [N] [sources]    (N: 20000; sources: Sources/WliveSpam)
#
# Needs valgrind (apt install valgrind). Takes about a minute.
set -e
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
checks=${1:-20000}
sources=${2:-$root/Sources/WliveSpam}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -n '/BEGIN SpamBenchmarkData/,/END SpamBenchmarkData/p' "$root/Benchmarks/WliveBenchmarks/SpamBenchmarks.swift" > "$work/data.swift"
swiftc -swift-version 6 -O -wmo -parse-as-library -module-name WliveSpam "$sources"/*.swift "$work/data.swift" \
    "$here/SpamCheckLoop.swift" -o "$work/loop"
count() {
    valgrind --tool=cachegrind --cache-sim=yes --branch-sim=yes --cachegrind-out-file=/dev/null "$work/loop" "$1" 2>&1 \
        | grep -E "I +refs|D1 +misses|Mispredicts" | sed -E 's/^[^:]*: *([0-9,]+).*/\1/' | tr -d , | tr '\n' ' '
}
echo "$(count 0) $(count "$checks")" | awk -v n="$checks" \
    '{ printf "per check: %.0f instructions, %.1f L1 data misses, %.1f branch mispredicts (cachegrind model)\n", ($4-$1)/n, ($5-$2)/n, ($6-$3)/n }'
