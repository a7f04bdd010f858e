#!/usr/bin/env bash
# Installs everything alike needs on Debian 12 and builds it. Idempotent: run it again at any time.
#
#   scripts/setup.sh [--build-dir DIR] [--no-build]
#
# Environment: ALIKE_SKIP_APT=1 skips the package step (for machines already provisioned).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
do_build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

# Build toolchain, libraries, test and benchmark dependencies. Keep this list the single place that
# names Debian packages, so a fresh machine and CI install the same set.
packages=(
  build-essential cmake ninja-build pkg-config git
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libhnswlib-dev libfaiss-dev libopenblas-dev zlib1g-dev
  dataset-fashion-mnist
  libopencv-dev libheif-dev libgif-dev libexif-dev libflatbuffers-dev flatbuffers-compiler
  libsqlite3-dev libssl-dev
)

if [ "${ALIKE_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

if [ "$do_build" = 1 ]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" -j"$(nproc)"
  echo "setup: built into $build_dir"
fi
