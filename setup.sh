#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine and builds NeuralPower (Release) into ./build.
#   ./setup.sh            install the build dependencies (apt-get), configure, build
#   ./setup.sh --tools    also the Python packages that regenerate fixtures and the zoo
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra configure flags), NP_PYTHON_PATH=0
# (do not put the Python package on the user's Python path).
#
# After the build, the Python package (build/python/neuralpower) is put on Debian's python3 path
# by one file, neuralpower-build.pth, in the user's site-packages (python3 -m site --user-site):
# `python3 -c "import neuralpower"` then works. Remove that file to undo it (docs/python.md).
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  nlohmann-json3-dev libcli11-dev libeigen3-dev
  libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata
  libdnnl-dev ocl-icd-opencl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format
  chromium  # headless, for the HTML report tests (tests/html)
  python3-torch  # tests/tools: tools/torch_profile.py on the CPU (about 540 MiB installed)
  pybind11-dev python3-dev  # the Python package (python/)
  python3-pandas python3-venv python3-setuptools python3-wheel  # its tests: to_pandas, pip install
  clang libclang-rt-14-dev  # fuzz/: the libFuzzer harnesses (fuzz/run.sh), built with clang 14
)
if [[ "${1:-}" == "--tools" ]]; then
  packages+=(python3-torchvision python3-onnx python3-sklearn python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir="${BUILD_DIR:-build}"
# shellcheck disable=SC2086
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-}
cmake --build "$build_dir"
echo "setup: built $build_dir/neuralpower"

package="$(realpath -m "$build_dir/python")"
if [[ "${NP_PYTHON_PATH:-1}" != 0 ]] && compgen -G "$package/neuralpower/_core*.so" >/dev/null; then
  site="$(/usr/bin/python3 -m site --user-site)"
  mkdir -p "$site"
  echo "$package" >"$site/neuralpower-build.pth"
  echo "setup: python3 imports neuralpower from $package ($site/neuralpower-build.pth; remove it to undo)"
fi
