#!/usr/bin/env bash
# alike's main job in one command: set up and build (what is already done is skipped, so a second
# run starts in seconds), index your photos into a library, and serve it with its web page on
# http://127.0.0.1:PORT. Ctrl-C stops it cleanly, while indexing or while serving; running it again
# resumes indexing where it stopped and serves.
#
#   scripts/run.sh [PHOTOS...] [--port 8080] [--db DIR] [--faces] [--build-dir DIR]
#
# PHOTOS: folders or image files; without any, the sample photos in ../shared when they are there.
# The library: --db DIR, else $ALIKE_DB, else PHOTOS/.alike when the first of PHOTOS is a folder
# you may write to (as `alike init PHOTOS` makes it, so `alike search` run there finds it), else
# ${XDG_DATA_HOME:-~/.local/share}/alike/library. A new library indexes with the embedders cnn,
# color and pdq (similar pictures, colours, copies); --faces turns face search on, for this
# library from then on (faces are biometric data: opt in only for photos you may treat so).
# --build-dir: the build to use and keep up to date (default: build/).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port=8080
db="${ALIKE_DB:-}"
faces=()
build_dir="$root/build"
photos=()
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --db) db="$2"; shift 2 ;;
    --faces) faces=(--faces); shift ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    -*) echo "run.sh: unknown option '$1' (see scripts/run.sh --help)" >&2; exit 2 ;;
    *) photos+=("$1"); shift ;;
  esac
done

samples="$root/../shared/data/categories/flowers/flowers"
if [ ${#photos[@]} -eq 0 ]; then
  if [ ! -d "$samples" ]; then
    echo "run.sh: which photos? Name a folder, e.g. scripts/run.sh ~/Pictures" >&2
    exit 2
  fi
  photos=("$(cd "$samples" && pwd)")
  echo "run.sh: no photos named; using the sample photos in $samples"
fi
for p in "${photos[@]}"; do
  [ -e "$p" ] || { echo "run.sh: $p: no such file or folder" >&2; exit 2; }
done

if [ -z "$db" ]; then
  first="${photos[0]}"
  if [ -d "$first" ] && [ -w "$first" ] && [ "$(cd "$first" && pwd)" != "$(cd "$samples" 2>/dev/null && pwd)" ]; then
    db="$first/.alike"
  else
    db="${XDG_DATA_HOME:-$HOME/.local/share}/alike/library"
  fi
fi

mkdir -p "$(dirname "$db")"
db="$(cd "$(dirname "$db")" && pwd)/$(basename "$db")"

"$root/scripts/setup.sh" --build-dir "$build_dir"
alike=("$build_dir/alike" --db "$db")

if [ ! -e "$db" ]; then
  "${alike[@]}" init --embedders cnn,color,pdq "${faces[@]}"
fi

# Exit status 3 means some files could not be used (each was named); the rest is indexed and worth
# serving. Any other failure, or Ctrl-C (130), ends here; what was indexed is kept.
status=0
"${alike[@]}" index "${faces[@]}" "${photos[@]}" || status=$?
if [ "$status" -ne 0 ] && [ "$status" -ne 3 ]; then
  exit "$status"
fi

roots=()
for p in "${photos[@]}"; do
  [ -d "$p" ] && roots+=(--roots "$p")
done
echo "run.sh: open http://127.0.0.1:$port in a browser; Ctrl-C stops the server"
exec "${alike[@]}" serve --port "$port" "${roots[@]}"
