#!/usr/bin/env bash
# Builds alike's libFuzzer targets (fuzz/, clang + ASan + UBSan, in build-fuzz/) and runs each
# for a bounded time on its committed corpus, then prints per target the executions, the edges
# covered and any crash, hang or leak file. Exits 1 when a target failed.
#
#   scripts/fuzz.sh                          # every target, 10 s each (what CI runs)
#   scripts/fuzz.sh --seconds 3600 filter    # a longer campaign on one target
#   scripts/fuzz.sh --work DIR ...           # keep what the run learns in DIR (default:
#                                            # build-fuzz/work); reusing DIR resumes a campaign
#   scripts/fuzz.sh --seed 1 ...             # libFuzzer's random seed (default: a new one each
#                                            # run); CI fixes it, so that a run's mutations are the
#                                            # same for the same code and CI never fails by chance
#
# New inputs go to DIR/<target>/corpus, never to fuzz/corpus/<target> (read-only here): a
# campaign's finds are added to the committed corpus by hand, minimised (README, "Fuzzing").
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds=10
seed=0
work="$root/build-fuzz/work"
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all_targets=(image_decode exif filter wal database vector_file model_spec tflite http)
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")

if [ "$build" = 1 ]; then
  # -O1 -g1: libFuzzer's usual trade between speed and line-accurate reports.
  cmake -S . -B build-fuzz -G Ninja -DALIKE_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
    -DALIKE_BUILD_TESTS=OFF -DALIKE_BUILD_BENCH=OFF -DALIKE_BUILD_PYTHON=OFF >/dev/null
  cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]/#/fuzz_}"
fi

# Longest input worth trying: pictures and models need room for several chunks or tensors; the
# text formats show their bugs in a few kilobytes.
max_len_of() {
  case "$1" in
    image_decode|tflite) echo 65536 ;;
    database|http|vector_file) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

# The inputs are at most 64 KiB and the image target refuses headers past 4 megapixels
# (fuzz/image_decode_fuzzer.cc), so no honest input needs a single allocation of 256 MB: one
# that large means a declared size (pixels, a record count, a length field) got through
# unchecked. The TFLite importer's forward pass runs whatever graph the file declares, within the
# input size ImportTflite bounds, so it gets more room.
malloc_limit_of() {
  case "$1" in
    tflite) echo 1024 ;;
    *) echo 256 ;;
  esac
}

# Leak checking stays on (libFuzzer reports a leak as a failure); the limits make a huge
# allocation (-malloc_limit_mb: any single one) or a slow input (-timeout, seconds) a failure too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/fuzz/lsan.supp}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# The log, database and vector file targets write their input to a file first: on tmpfs that
# costs no disk I/O (fsync included), several times the executions per second.
mkdir -p "$work"
scratch="$(mktemp -d -p /dev/shm alike-fuzz.XXXXXX 2>/dev/null || mktemp -d -p "$work" tmp.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
failed=0
printf '%-14s %12s %8s %8s  %s\n' target executions edges features result
for t in "${targets[@]}"; do
  dir="$work/$t"
  mkdir -p "$dir/corpus" "$dir/artifacts" "$scratch/$t"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=("-dict=fuzz/$t.dict")
  log="$dir/last.log"
  set +e
  TMPDIR="$scratch/$t" "build-fuzz/fuzz/fuzz_$t" "$dir/corpus" "fuzz/corpus/$t" "${dict[@]}" \
    -max_total_time="$seconds" -seed="$seed" -max_len="$(max_len_of "$t")" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb="$(malloc_limit_of "$t")" -artifact_prefix="$dir/artifacts/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
  ft="$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)"
  result=ok
  if [ "$rc" != 0 ]; then
    failed=1
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    result="FAILED (exit $rc) ${artifact:-see $log}"
  fi
  printf '%-14s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
  if [ "$rc" != 0 ]; then grep -m1 -A12 'ERROR: \|runtime error' "$log" | sed 's/^/    /' || true; fi
done
exit "$failed"
