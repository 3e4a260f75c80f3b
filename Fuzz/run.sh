#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ and runs each for a while. See Fuzz/README.md.
#
#   Fuzz/run.sh [--merge] [SECONDS_PER_TARGET]     (default 60 s per target)
#
# Environment:
#   FUZZ_KEEP=1          same as --merge: merge new corpus entries back into Fuzz/corpus/<Target>/
#   FUZZ_TARGETS="A B"   run only these targets (default: all five)
#   SWIFT_BUILD_LOCK     lock file taken around `swift build` when flock(1) exists
#                        (default /tmp/swift-build.lock: one build at a time on small machines)
#
# Exit status: 0 when every target ran its time without a crash; 1 when any crashed, timed out,
# ran out of memory or the build failed. Crash inputs go to .build-fuzz/artifacts/.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

merge="${FUZZ_KEEP:-0}"
seconds=60
while [[ $# -gt 0 ]]; do
    case "$1" in
        --merge) merge=1 ;;
        -h|--help) usage; exit 0 ;;
        *[!0-9]*|'') echo "run.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
        *) seconds="$1" ;;
    esac
    shift
done
[[ "$merge" == 1 ]] || merge=0

# Work from the repository root, whatever the caller's directory.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
scratch="$root/.build-fuzz"
targets=(${FUZZ_TARGETS:-FuzzFrames FuzzHTTP FuzzJSON FuzzForm FuzzDeflate})
artifacts="$scratch/artifacts"
logs="$scratch/logs"
mkdir -p "$artifacts" "$logs"

locked() {
    if command -v flock >/dev/null 2>&1; then
        flock "${SWIFT_BUILD_LOCK:-/tmp/swift-build.lock}" "$@"
    else
        "$@"
    fi
}

# --- Prerequisites ------------------------------------------------------------------------------
# libFuzzer's runtime ships with the Swift toolchain (clang's compiler-rt); nothing to install for
# it, but check that -sanitize=fuzzer links before spending minutes on the build.
command -v swift >/dev/null || { echo "run.sh: swift is not on PATH" >&2; exit 1; }
# WliveCodec wraps the system http_parser (Debian: libhttp-parser-dev): the one package the
# targets need from the system. Installed only when missing and apt-get can do it.
if [[ ! -e /usr/include/http_parser.h ]]; then
    if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
        echo "run.sh: installing libhttp-parser-dev (needed by WliveCodec)"
        apt-get install -y --no-install-recommends libhttp-parser-dev >/dev/null
    else
        echo "run.sh: http_parser.h is missing: install libhttp-parser-dev" >&2
        exit 1
    fi
fi
probe_dir="$(mktemp -d)"
work=""
cleanup() { rm -rf "$probe_dir" ${work:+"$work"}; }
trap cleanup EXIT
cat >"$probe_dir/probe.swift" <<'EOF'
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt { 0 }
EOF
if ! locked swiftc -sanitize=fuzzer,address -parse-as-library "$probe_dir/probe.swift" -o "$probe_dir/probe" \
        >"$probe_dir/probe.log" 2>&1 || ! "$probe_dir/probe" -runs=1 >>"$probe_dir/probe.log" 2>&1; then
    cat "$probe_dir/probe.log" >&2
    echo "run.sh: this toolchain cannot build with -sanitize=fuzzer (no libclang_rt.fuzzer?)" >&2
    exit 1
fi

# --- Build --------------------------------------------------------------------------------------
build=(swift build --package-path Fuzz --scratch-path "$scratch" -c release
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)
echo "run.sh: ${build[*]}"
start=$(date +%s)
if ! locked "${build[@]}" >"$logs/build.log" 2>&1; then
    tail -n 40 "$logs/build.log" >&2
    echo "run.sh: build failed (log: $logs/build.log)" >&2
    exit 1
fi
echo "run.sh: build took $(( $(date +%s) - start )) s"
bin="$(locked "${build[@]}" --show-bin-path)"

# --- Fuzz ---------------------------------------------------------------------------------------
# New inputs go to the first corpus directory: a temporary one, so a run never touches Fuzz/corpus
# unless asked to merge.
work="$(mktemp -d)"
failed=()
summary=()
for target in "${targets[@]}"; do
    seeds="$root/Fuzz/corpus/$target"
    mkdir -p "$seeds" "$work/$target"
    log="$logs/$target.log"
    args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
          -artifact_prefix="$artifacts/$target-")
    [[ -f "$root/Fuzz/dicts/$target.dict" ]] && args+=(-dict="$root/Fuzz/dicts/$target.dict")
    echo "run.sh: $bin/$target ${args[*]} <work> Fuzz/corpus/$target"
    if "$bin/$target" "${args[@]}" "$work/$target" "$seeds" >"$log" 2>&1; then status=0; else status=$?; fi

    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -o '[0-9]*$' || true)
    [[ -n "$runs" ]] || runs=$(grep -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#' || true)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$log" | tail -n 1 || true)
    added=$(grep -oE 'stat::new_units_added: *[0-9]+' "$log" | grep -o '[0-9]*$' || true)
    if [[ $status == 0 ]]; then
        line="$target: ok, ${runs:-?} runs, ${cov:-cov: ?}, ${added:-0} new inputs, ${seconds} s"
    else
        crash=$(grep -o "Test unit written to .*" "$log" | tail -n 1 | sed 's/Test unit written to //' || true)
        line="$target: FAILED (exit $status) after ${runs:-?} runs, ${cov:-cov: ?}; input: ${crash:-none}; log: $log"
        failed+=("$target")
        # The reason and the top of the stack.
        grep -m 1 -E '^(==[0-9]+==ERROR|.*Fatal error|.*Precondition failed|.*ERROR: libFuzzer)' "$log" >&2 || true
        grep -m 8 -E '^ *#[0-9]+ ' "$log" >&2 || true
    fi
    echo "$line"
    summary+=("$line")

    if [[ $merge == 1 ]]; then
        before=$(find "$seeds" -type f | wc -l)
        "$bin/$target" -merge=1 -rss_limit_mb=2048 -timeout=10 "$seeds" "$work/$target" >"$logs/$target.merge.log" 2>&1 \
            || echo "run.sh: merging $target's corpus failed (log: $logs/$target.merge.log)" >&2
        echo "run.sh: $target: Fuzz/corpus/$target has $(find "$seeds" -type f | wc -l) files (was $before)"
    fi
done

echo
printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed (${failed[*]}); reproduce with: $bin/<Target> <crash file>"
    exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds} s each without a crash"
