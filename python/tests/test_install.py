"""The package installs into a fresh virtual environment with pip, offline, from the extension
CMake built, and works there without PYTHONPATH (docs/python.md, "In a virtual environment")."""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest

from common import BUILD, CPU_MODEL, SOURCE


class InstallIntoVirtualEnvironment(unittest.TestCase):
    def test_pip_install_offline_then_import_and_predict(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = pathlib.Path(tmp)
            # A copy of python/, so that pip's build files stay out of the source tree.
            shutil.copytree(
                SOURCE / "python",
                tmp / "python",
                ignore=shutil.ignore_patterns("tests", "__pycache__"),
            )
            env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
            env.update(
                NEURALPOWER_SOURCE_DIR=str(SOURCE),
                NEURALPOWER_BUILD_DIR=str(BUILD),
                PIP_DISABLE_PIP_VERSION_CHECK="1",
            )
            # --system-site-packages: Debian's setuptools and wheel build the wheel offline (a
            # bare venv has no `wheel`, which setuptools needs to build one).
            subprocess.run(
                [sys.executable, "-m", "venv", "--system-site-packages", str(tmp / "venv")],
                check=True,
                env=env,
            )
            python = str(tmp / "venv/bin/python")
            install = subprocess.run(
                [
                    python,
                    "-m",
                    "pip",
                    "install",
                    "--no-build-isolation",
                    "--no-index",
                    str(tmp / "python"),
                ],
                capture_output=True,
                text=True,
                env=env,
                cwd=tmp,
            )
            self.assertEqual(install.returncode, 0, install.stdout + install.stderr)
            script = (
                "import neuralpower as npw\n"
                "print(npw.__file__)\n"
                f"p = npw.predict(npw.load_network('nin'), npw.load_model({str(CPU_MODEL)!r}))\n"
                "print(p.network, p.runtime_ms > 0, npw.__version__)\n"
            )
            run = subprocess.run(
                [python, "-c", script], capture_output=True, text=True, env=env, cwd=tmp
            )
            self.assertEqual(run.returncode, 0, run.stderr)
            location, summary = run.stdout.strip().splitlines()
            self.assertTrue(location.startswith(str(tmp / "venv")), location)
            self.assertTrue(summary.startswith("nin True "), summary)
            uninstall = subprocess.run(
                [python, "-m", "pip", "uninstall", "-y", "neuralpower"],
                capture_output=True,
                text=True,
                env=env,
            )
            self.assertEqual(uninstall.returncode, 0, uninstall.stderr)


if __name__ == "__main__":
    unittest.main()
