#!/usr/bin/env bash
# Load benchmark of `alike serve` with wrk, on loopback only: queries/s and p50/p99 latency of
# search by indexed id and search by uploaded picture, each alone and again while a writer
# uploads new pictures (POST /v1/images) as fast as the server takes them. GET /healthz is
# measured in the same run as the floor of what the HTTP layer itself costs.
#
#   bench/serve_load.sh [--images N] [--embedder color|cnn] [--seconds S] [--connections C]
#
# Builds a temporary library from ../shared/data/categories/flowers (N photos, default 1000),
# serves it on a free loopback port, and prints one table row per scenario. Needs build/alike
# and wrk (scripts/setup.sh installs both).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
alike="${ALIKE_BIN:-$repo/build/alike}"
flowers="$repo/../shared/data/categories/flowers/flowers"
images=1000 embedder=color seconds=10 connections=4 threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --images) images="$2"; shift 2 ;;
    --embedder) embedder="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve_load.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "serve_load.sh: wrk is missing (scripts/setup.sh)" >&2; exit 1; }
[ -x "$alike" ] || { echo "serve_load.sh: build $alike first" >&2; exit 1; }
[ -d "$flowers" ] || { echo "serve_load.sh: shared photos absent: $flowers" >&2; exit 1; }

work="$(mktemp -d)"
server_pid=""
writer_pid=""
cleanup() {
  touch "$work/stop"
  [ -n "$writer_pid" ] && wait "$writer_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The library: the first N photos (sorted, all classes); the next ones are what the writer adds.
find "$flowers" -name '*.jpg' | sort > "$work/all"
head -n "$images" "$work/all" > "$work/indexed"
sed -n "$((images + 1)),$((images + 2000))p" "$work/all" > "$work/new"
mkdir "$work/photos"
xargs -a "$work/indexed" -d '\n' cp -t "$work/photos"
"$alike" --db "$work/db" init --embedders "$embedder" >/dev/null
"$alike" --db "$work/db" index -q "$work/photos"
query="$(sed -n '7p' "$work/indexed")"

"$alike" --db "$work/db" serve --port 0 >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q serving "$work/server.log" && break; sleep 0.1; done
port="$(grep -o '[0-9]*$' "$work/server.log" | head -1)"
url="http://127.0.0.1:$port"

cat > "$work/by_id.lua" <<LUA
request = function()
  return wrk.format("GET", "/v1/images/" .. math.random(1, $images) .. "/similar?k=10")
end
LUA
cat > "$work/by_upload.lua" <<LUA
local f = io.open("$query", "rb")
wrk.method = "POST"
wrk.body = f:read("*all")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
LUA
cat > "$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
                 summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.1f %.2f %.2f %d\n", summary.requests / summary.duration * 1e6,
                         latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
LUA

# Uploads pictures (lines FIRST.. of the new list) one after another until $work/stop exists;
# counts the ones added (201) in COUNTS.
writer() {  # first counts
  local n=0
  tail -n +"$1" "$work/new" | while read -r photo && [ ! -e "$work/stop" ]; do
    code="$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: image/jpeg' \
      --data-binary "@$photo" "$url/v1/images")"
    # Renamed into place, so that a reader never sees the file empty half-way through a write.
    [ "$code" = 201 ] && n=$((n + 1)) && echo "$n" > "$2.tmp" && mv "$2.tmp" "$2"
  done
}
writer_runs=0

run() {  # name script path writes(0|1)
  local name="$1" script="$2" path="$3" writes="$4" start_writes=0 end_writes=0
  local counts="$work/writes.$writer_runs"
  if [ "$writes" = 1 ]; then
    echo 0 > "$counts"
    rm -f "$work/stop"
    writer $((writer_runs * 1000 + 1)) "$counts" & writer_pid=$!
    writer_runs=$((writer_runs + 1))
    sleep 0.5
    start_writes="$(cat "$counts")"
  fi
  cat "$work/report.lua" >> "$script"
  local line
  line="$(wrk -t"$threads" -c"$connections" -d"${seconds}s" -s "$script" "$url$path" | grep '^RESULT')"
  if [ "$writes" = 1 ]; then
    end_writes="$(cat "$counts")"
    touch "$work/stop"
    wait "$writer_pid" 2>/dev/null || true
    writer_pid=""
  fi
  read -r _ qps p50 p99 errors <<< "$line"
  local wps="-"
  [ "$writes" = 1 ] && wps="$(awk -v a="$start_writes" -v b="$end_writes" -v s="$seconds" \
    'BEGIN { printf "%.1f", (b - a) / s }')"
  printf '| %-34s | %9s | %8s | %8s | %6s | %8s |\n' "$name" "$qps" "$p50" "$p99" "$errors" "$wps"
}

echo "alike serve on $url: $images images, embedder $embedder, wrk -t$threads -c$connections, ${seconds}s each"
echo "| scenario                           | queries/s | p50 (ms) | p99 (ms) | errors | writes/s |"
echo "|---|---|---|---|---|---|"
printf 'request = nil\n' > "$work/health.lua"
run "GET /healthz (HTTP floor)" "$work/health.lua" /healthz 0
run "search by id" "$work/by_id.lua" / 0
run "search by upload" "$work/by_upload.lua" "/v1/search?k=10" 0
run "search by id, while uploading" "$work/by_id.lua" / 1
run "search by upload, while uploading" "$work/by_upload.lua" "/v1/search?k=10" 1
