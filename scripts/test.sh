#!/usr/bin/env bash
# Runs alike's whole test suite: setup (idempotent), the tests in a Release build (the Python
# module's included), then the C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer,
# then every libFuzzer target for a bounded time on its corpus (scripts/fuzz.sh).
#
#   scripts/test.sh            # everything (what CI runs)
#   scripts/test.sh --quick    # Release build only, no sanitizer pass
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
quick=0
[ "${1:-}" = "--quick" ] && quick=1

jobs="$(nproc)"
# Twice as many tests as cores at once: most of the slow tests (the cluster's, the servers') wait
# on heartbeats, elections and child processes rather than compute, and the tests are written to
# pass on a loaded machine (no timed assertions).
test_jobs=$((jobs * 2))
# OpenMP/OpenBLAS worker threads spin while idle and fight each other on small machines.
export OMP_WAIT_POLICY=PASSIVE

scripts/setup.sh --no-build

# run_suite DIR EXCLUDE CMAKE_ARGS...: builds DIR and runs its tests but those EXCLUDE matches.
run_suite() {
  local dir="$1" exclude="$2"; shift 2
  cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
  (cd "$dir" && ctest --output-on-failure -j"$test_jobs" --timeout 900 ${exclude:+-E "$exclude"})
}

# The slowest cluster scenarios (mostly waiting on heartbeats, leases and grace periods, 15-17 s
# each; the two node-level snapshot restores, 4-8 s) run in the Release pass only, to keep CI
# under 35 minutes; their code runs under the sanitizers in the other cluster tests
# (ShardSnapshotTest drives the snapshot service and restore directly; IngestWorkerTest the
# ingest worker, in one process, of the multi-process ClusterIngestTest scenario). The web page's
# cluster scenario (web_e2e_cluster, ~30 s of processes and a browser) and the picture routes with
# no NATS server left (~17 s on a cluster of its own; the shard-without-replica case runs in both),
# and copy search's two slowest hard-case library tests (a pasted copy, thumbnails: ~10 s).
release_only='ClusterPlacementTest[.](AFourthNode|AStoppedController|ANodeThatJoins)|ClusterNodeTest[.]ANodeWhoseStreamsLost|ClusterCliTest[.](ANodeKilled|NodesFollowTheShardMap|WritesAreHeldBack)|ClusterPicturesTest[.]|ClusterPicturesUnavailableTest[.]NoNats|ClusterIngestTest[.]|web_e2e_cluster|CopyLibraryTest[.](APhotoPastedAtHalfSize|ThumbnailsAreVerified)'


echo "== Release build and tests"
run_suite build "" -DCMAKE_BUILD_TYPE=Release -DPython_EXECUTABLE=/usr/bin/python3

if [ "$quick" = 0 ]; then
  echo "== AddressSanitizer + UBSan build and tests"
  # -g1: line tables are all a sanitizer report needs; full -g makes objects and the link far
  # larger for nothing a report prints. The Python module is left out: an instrumented extension
  # loads only into an interpreter started with libasan preloaded. The Release pass runs its tests;
  # the library under it is what this pass's C++ tests check, the binding's own code is not.
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite build-asan "$release_only" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DALIKE_SANITIZE=ON -DALIKE_BUILD_BENCH=OFF \
      -DALIKE_BUILD_PYTHON=OFF "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG"

  # Each target replays its corpus (every regression input among them) and then mutates it for
  # $ALIKE_FUZZ_SECONDS, from a fixed seed (the same mutations for the same code: a known open
  # finding cannot fail CI by chance); a long campaign is README, "Fuzzing".
  echo "== libFuzzer targets (clang), ${ALIKE_FUZZ_SECONDS:-3} s each"
  scripts/fuzz.sh --seconds "${ALIKE_FUZZ_SECONDS:-3}" --seed 1
fi
