"""Builds librmtk.so with CMake from the repository around this folder and puts it inside the
package (rmtk/librmtk.so), so that the installed package needs no other file. Offline: the
build uses only the system's compilers and libraries (scripts/bootstrap --build installs them).

Environment: RMTK_CMAKE_ARGS adds CMake arguments; RMTK_PREBUILT=path/to/librmtk.so ships an
already built library instead of building.
"""
import os
import shlex
import shutil
import subprocess
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def cmake_version():
    """project(rmtk VERSION x.y.z) of CMakeLists.txt."""
    import re
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        m = re.search(r"project\(rmtk\s+VERSION\s+([0-9.]+)", f.read())
    return m.group(1) if m else None


def check_version(cmake):
    """The package version must be the library's (rmtk's import checks it again)."""
    import re
    with open(os.path.join(HERE, "rmtk", "_version.py")) as f:
        pkg = re.search(r'__version__ = "([^"]+)"', f.read()).group(1)
    if cmake and pkg != cmake:
        raise SystemExit("rmtk: python/rmtk/_version.py says %s but CMakeLists.txt %s: update "
                         "_version.py" % (pkg, cmake))


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        dest = os.path.join(self.build_lib, "rmtk", "librmtk.so")
        pre = os.environ.get("RMTK_PREBUILT")
        if pre:
            shutil.copyfile(pre, dest)
            return
        if not os.path.exists(os.path.join(ROOT, "CMakeLists.txt")):
            raise SystemExit("rmtk: setup.py must run inside the rmtk repository (python/)")
        check_version(cmake_version())
        with tempfile.TemporaryDirectory(prefix="rmtk-build-") as bdir:
            args = ["cmake", "-S", ROOT, "-B", bdir, "-DCMAKE_BUILD_TYPE=Release"]
            args += shlex.split(os.environ.get("RMTK_CMAKE_ARGS", ""))
            subprocess.check_call(args)
            subprocess.check_call(["cmake", "--build", bdir, "--target", "rmtk", "-j",
                                   str(os.cpu_count() or 1)])
            shutil.copyfile(os.path.join(bdir, "librmtk.so"), dest)


setup(cmdclass={"build_py": BuildWithLibrary})
