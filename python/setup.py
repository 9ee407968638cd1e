"""Packages neuralpower with the extension that CMake built (python/CMakeLists.txt): pip does
not compile the C++ library again. The version is the tool's (include/neuralpower/version.hpp)."""

import os
import pathlib
import re
import shutil
import sysconfig

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

HERE = pathlib.Path(__file__).resolve().parent
# The repository (for the version) and its build folder; both can be given when this folder is
# built from a copy.
ROOT = pathlib.Path(os.environ.get("NEURALPOWER_SOURCE_DIR", HERE.parent))


def version() -> str:
    header = (ROOT / "include/neuralpower/version.hpp").read_text()
    return re.search(r'kVersion = "([^"]+)"', header).group(1)


def built_extension() -> pathlib.Path:
    build = pathlib.Path(os.environ.get("NEURALPOWER_BUILD_DIR", ROOT / "build"))
    extension = (
        build / "python" / "neuralpower" / ("_core" + sysconfig.get_config_var("EXT_SUFFIX"))
    )
    if not extension.is_file():
        raise SystemExit(
            f"neuralpower: no {extension}: build the project first (./setup.sh, or cmake with "
            "-DNP_BUILD_PYTHON=ON), or point NEURALPOWER_BUILD_DIR at its build folder"
        )
    return extension


class BuildWithExtension(build_py):
    def run(self):
        super().run()
        target = pathlib.Path(self.build_lib) / "neuralpower"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built_extension(), target)


class BinaryDistribution(Distribution):
    """The package holds a compiled extension: its wheel is for this Python and platform."""

    def has_ext_modules(self):
        return True


setup(version=version(), cmdclass={"build_py": BuildWithExtension}, distclass=BinaryDistribution)
