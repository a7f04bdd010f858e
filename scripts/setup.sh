#!/usr/bin/env bash
# Installs everything alike needs on Debian 12 and builds it. Idempotent: run it again at any time.
#
#   scripts/setup.sh [--build-dir DIR] [--no-build] [--models-from DIR]
#
# 1. Debian packages, through apt-get (the list below is the only place that names them).
# 2. Model weights, into models/ at the repository root: the ImageNet MobileNetV2 and MobileNetV1
#    .tflite files, which no reachable package registry has. They are copied from a mirror
#    directory (--models-from DIR, else $ALIKE_MODEL_MIRROR, else ../shared/models beside the
#    checkout when it exists) or else downloaded with curl from the public google-coral/test_data
#    repository ($ALIKE_MODEL_URL overrides the base URL). Each file must match its pinned size
#    and sha256 before it is put in place; files already installed with the right hash are kept.
# 3. Unless --no-build: configure and build into build/ (or --build-dir DIR).
#
# Environment: ALIKE_SKIP_APT=1 skips the package step (for machines already provisioned).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
do_build=1
models_from="${ALIKE_MODEL_MIRROR:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --models-from) models_from="$2"; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
  esac
done

# Build toolchain, libraries, test and benchmark dependencies. Keep this list the single place that
# names Debian packages, so a fresh machine and CI install the same set.
packages=(
  build-essential cmake ninja-build pkg-config git curl ca-certificates
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

# Model weights: file, size in bytes, sha256. Pinned, so that a changed upstream file or a damaged
# mirror is refused rather than silently changing every embedding.
models=(
  "tf2_mobilenet_v2_1.0_224_ptq.tflite 4070174 5d3137241276e79c86d14a74fe43581398ae0e815191d3dba45495b810840e8c"
  "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite 3251736 f409ef4f73fcbb9667841965623c5c8524aac33d41b9bf5f3667161fb4a76319"
)
models_dir="$root/models"
model_url="${ALIKE_MODEL_URL:-https://github.com/google-coral/test_data/raw/master}"
if [ -z "$models_from" ] && [ -d "$root/../shared/models" ]; then
  models_from="$(cd "$root/../shared/models" && pwd)"
fi
if [ -n "$models_from" ] && [ ! -d "$models_from" ]; then
  echo "setup: model mirror '$models_from' is not a directory" >&2
  exit 1
fi

fingerprint() { echo "$(stat -c %s "$1") bytes, sha256 $(sha256sum "$1" | cut -d' ' -f1)"; }

# A file is fetched beside its destination and renamed into place only once verified, so an
# interrupted or corrupt fetch never leaves a bad model installed.
partial=""
trap '[ -z "$partial" ] || rm -f "$partial"' EXIT

install_model() {
  local name="$1" want="$2 bytes, sha256 $3" dest="$models_dir/$1" from got
  if [ -f "$dest" ]; then
    [ "$(fingerprint "$dest")" = "$want" ] && return 0
    echo "setup: models/$name does not match its pinned hash; replacing it"
    rm -f "$dest"
  fi
  partial="$models_dir/.$name.$$.partial"
  if [ -n "$models_from" ]; then
    from="$models_from/$name"
    if [ ! -f "$from" ]; then
      echo "setup: $name is not in the model mirror $models_from" >&2
      exit 1
    fi
    cp "$from" "$partial"
  else
    from="$model_url/$name"
    command -v curl >/dev/null || { echo "setup: curl is needed to download $name" >&2; exit 1; }
    if ! curl -fsSL --retry 3 -o "$partial" "$from"; then
      echo "setup: downloading $name from $from failed (or pass --models-from DIR)" >&2
      exit 1
    fi
  fi
  got="$(fingerprint "$partial")"
  if [ "$got" != "$want" ]; then
    echo "setup: $name from $from is not the expected file: want $want, got $got" >&2
    exit 1
  fi
  mv -f "$partial" "$dest"
  partial=""
  echo "setup: installed models/$name from $from"
}

mkdir -p "$models_dir"
for m in "${models[@]}"; do
  read -r name size sum <<<"$m"
  install_model "$name" "$size" "$sum"
done

if [ "$do_build" = 1 ]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build_dir" -j"$(nproc)"
  echo "setup: built into $build_dir"
fi
