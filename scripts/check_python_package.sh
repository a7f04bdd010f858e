#!/usr/bin/env bash
# Checks that the alike Python package installs offline, the two ways README.md gives:
#   1. pip install --no-build-isolation ./python into a venv made with --system-site-packages (for
#      Debian's numpy, setuptools and wheel), then the Python tests against the installed package,
#      from outside the source tree and without PYTHONPATH;
#   2. python3 -m build --wheel --no-isolation python, and the wheel holds the compiled module,
#      __init__.py, the type stub and py.typed.
# Not part of scripts/test.sh: setup.py compiles the library a second time (into build-wheel/),
# about a minute on two cores; run it after changing python/setup.py or the package layout.
#
#   scripts/check_python_package.sh          # with /usr/bin/python3 (or $PYTHON)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-/usr/bin/python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# setuptools stages the package in python/build/ and never removes files from it, so a file
# dropped from the package would still reach the wheel from an earlier run.
rm -rf "$root/python/build"

echo "== pip install --no-build-isolation ./python (venv with system site packages)"
"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index --no-build-isolation "$root/python"
(cd "$work" && env -u PYTHONPATH "$work/venv/bin/python" - <<'PY'
import alike
assert "/site-packages/alike/" in alike.__file__, alike.__file__
print("installed", alike.__version__, "at", alike.__file__)
PY
)
(cd "$work" && env -u PYTHONPATH "$work/venv/bin/python" -m unittest discover -s "$root/python/tests")

echo "== python3 -m build --wheel --no-isolation python"
"$python" -m build --wheel --no-isolation --outdir "$work/dist" "$root/python" >/dev/null
wheel="$(ls "$work"/dist/alike-*.whl)"
"$python" - "$wheel" <<'PY'
import re
import sys
import zipfile

names = zipfile.ZipFile(sys.argv[1]).namelist()
for wanted in ("alike/__init__.py", "alike/__init__.pyi", "alike/py.typed"):
    assert wanted in names, f"{wanted} is not in the wheel: {names}"
assert any(re.fullmatch(r"alike/_alike\..*\.so", n) for n in names), f"no module in {names}"
print("wheel", sys.argv[1].rsplit("/", 1)[-1], "holds", len(names), "files")
PY
echo "check_python_package: ok"
