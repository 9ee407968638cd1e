"""What the Python tests share: the source tree, the CLI binary they compare the API with, and
the model files. CTest sets NP_SOURCE_DIR, NP_CLI_PATH and NP_BUILD_DIR (python/CMakeLists.txt)."""

import json
import os
import pathlib
import subprocess

SOURCE = pathlib.Path(os.environ.get("NP_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
BUILD = pathlib.Path(os.environ.get("NP_BUILD_DIR", SOURCE / "build"))
CLI = os.environ.get("NP_CLI_PATH", str(BUILD / "neuralpower"))
CPU_MODEL = SOURCE / "models/cpu-epyc-1t-fp32.json"  # measured, runtime only
POWER_MODEL = SOURCE / "tests/fixtures/synthetic-power-model.json"  # made-up power, for tests
PAPER_TABLE7 = SOURCE / "tests/fixtures/paper_table7.csv"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, cwd=SOURCE)


def cli_json(*args: str):
    result = cli(*args, "--format", "json")
    if result.returncode != 0:
        raise AssertionError(f"neuralpower {' '.join(map(str, args))}: {result.stderr}")
    return json.loads(result.stdout)


def cli_error(*args: str) -> str:
    """The one-line message the command prints for a failure, without its prefix."""
    result = cli(*args)
    if result.returncode != 1:
        raise AssertionError(
            f"expected exit 1, got {result.returncode}: {result.stdout}{result.stderr}"
        )
    line = result.stderr.strip().splitlines()[-1]
    prefix = "neuralpower: error: "
    assert line.startswith(prefix), line
    return line[len(prefix) :]
