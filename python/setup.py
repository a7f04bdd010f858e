"""Packages alike for pip: the module is compiled by the repository's own CMake build (the
directory above this one), then copied into the package beside alike/*.py.

The build directory is build-wheel/ at the repository root (ALIKE_WHEEL_BUILD_DIR overrides it)
and is kept, so that a second install only relinks. Like the rest of alike, the module is
compiled for the CPU it is built on (-march=native): build wheels where they are used.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    return re.search(r"project\(alike VERSION (\S+)", text).group(1)


class CMakeExtension(Extension):
    """An extension whose sources CMake knows; setuptools only places the result."""

    def __init__(self, name, target):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = Path(os.environ.get("ALIKE_WHEEL_BUILD_DIR", ROOT / "build-wheel"))
        subprocess.run(
            ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-G", "Ninja",
             "-DCMAKE_BUILD_TYPE=Release", "-DALIKE_BUILD_TESTS=OFF", "-DALIKE_BUILD_BENCH=OFF",
             "-DALIKE_BUILD_PYTHON=ON", f"-DPython_EXECUTABLE={sys.executable}"],
            check=True)
        subprocess.run(
            ["cmake", "--build", str(build_dir), "--target", ext.target,
             "-j", str(os.cpu_count() or 1)],
            check=True)
        suffix = self.get_ext_filename("x")[1:]  # ".cpython-311-x86_64-linux-gnu.so"
        built = build_dir / "python" / "alike" / (ext.target + suffix)
        if not built.exists():
            raise RuntimeError(f"CMake did not build {built} (is {sys.executable} the Python "
                               "it found, with pybind11-dev and numpy installed?)")
        destination = Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, destination)


setup(
    name="alike",
    version=project_version(),
    description="Image search and an embedded vector database",
    python_requires=">=3.9",
    install_requires=["numpy"],
    packages=["alike"],
    package_data={"alike": ["__init__.pyi", "py.typed"]},
    ext_modules=[CMakeExtension("alike._alike", target="_alike")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
