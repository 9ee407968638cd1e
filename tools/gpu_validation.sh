#!/usr/bin/env bash
# Validates the CUDA backend on a GPU machine (docs/cuda-backend.md). Two halves:
#
#   tools/gpu_validation.sh pack                  # on the build machine (no GPU needed)
#       builds build-cuda (NP_CUDA=ON) and packs the programs with the shared libraries the
#       GPU machine lacks into build-gpu-bundle/bundle.tar.gz (ignored by git, ~20 MB)
#   tools/gpu_validation.sh run [STAGE...]        # on the GPU machine, from the repo root
#       STAGE: env tests cli spread (default: all four, in that order)
#
# `run` uses the bundle when it is there, else a build-cuda/ built on the GPU machine itself
# (which needs the project's build dependencies there), and writes its logs under $OUT
# (default ./gpu-validation-out): env.log, tests.log, devices.log, profile.log,
# profile_layers.csv, profile_nets.json, spread.log, summary.txt.
#
# It never locks or changes clocks, power limits or any other GPU setting: the lent machines
# forbid it, so every number is taken with the clocks as found (recorded in the logs).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

bundle_dir=build-gpu-bundle
spread_repeats=${SPREAD_REPEATS:-10}

die() {
  echo "gpu_validation: $*" >&2
  exit 1
}

# ---------------------------------------------------------------- pack (build machine)
pack() {
  set -e
  cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DNP_BUILD_BENCH=OFF -DNP_CUDA=ON
  cmake --build build-cuda -j "${JOBS:-2}" --target neuralpower np_test_gpu
  rm -rf "$bundle_dir"
  mkdir -p "$bundle_dir/stage/bin" "$bundle_dir/stage/lib"
  cp build-cuda/neuralpower build-cuda/tests/np_test_gpu "$bundle_dir/stage/bin/"
  strip "$bundle_dir"/stage/bin/*
  # Shared libraries the GPU machine's image lacks (oneDNN, ONNX, protobuf, the OpenCL
  # loader). The C library comes from the GPU machine; so do CUDA, cuBLAS, cuDNN and the
  # driver's libraries, which must match its driver. This compiler's C++ runtime needs a
  # newer C library than Ubuntu 22.04's, and the programs need only GLIBCXX_3.4.29: it goes
  # to lib/fallback, used only where the GPU machine's own is older.
  local skip='^(libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libcuda|libcudart|libcublas|libcublasLt|libcudnn.*|libnvidia-ml)\.so'
  local fallback='^(libstdc\+\+|libgcc_s)\.so'
  mkdir -p "$bundle_dir/stage/lib/fallback"
  for program in "$bundle_dir"/stage/bin/*; do
    ldd "$program" | awk '/=> \//{print $1" "$3}'
  done | sort -u | while read -r name path; do
    if [[ $name =~ $fallback ]]; then
      cp -L "$path" "$bundle_dir/stage/lib/fallback/$name"
    elif [[ ! $name =~ $skip ]]; then
      cp -L "$path" "$bundle_dir/stage/lib/$name"
    fi
  done
  {
    echo "NeuralPower GPU bundle"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm), $(ldd --version | head -1)"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown) (plus working tree)"
    echo "cuda: $(nvcc --version | tail -2 | head -1)"
    echo "libraries packed:"
    ls -lR "$bundle_dir/stage/lib"
  } >"$bundle_dir/stage/MANIFEST"
  tar -C "$bundle_dir/stage" -czf "$bundle_dir/bundle.tar.gz" .
  rm -rf "$bundle_dir/stage"
  ls -l "$bundle_dir/bundle.tar.gz"
  echo "carry '$bundle_dir' with the run (see docs/cuda-backend.md)"
}

# ---------------------------------------------------------------- run (GPU machine)
out=${OUT:-$repo/gpu-validation-out}
summary() { echo "$*" | tee -a "$out/summary.txt"; }

# The directory holding the first of `names` found under the candidate directories.
find_library_dir() {
  local name=$1
  shift
  for dir in "$@"; do
    [[ -n $dir && -e $dir/$name ]] && { echo "$dir"; return 0; }
  done
  return 1
}

setup_programs() {
  if [[ -f $bundle_dir/bundle.tar.gz ]]; then
    local unpacked=/tmp/np-gpu-bundle
    rm -rf "$unpacked" && mkdir -p "$unpacked"
    tar -C "$unpacked" -xzf "$bundle_dir/bundle.tar.gz" || die "cannot unpack the bundle"
    bin=$unpacked/bin
    bundle_lib=$unpacked/lib
    how="bundle built elsewhere ($(sed -n 2p "$unpacked/MANIFEST"))"
  elif [[ -x build-cuda/neuralpower && -x build-cuda/tests/np_test_gpu ]]; then
    bin=build-cuda
    bundle_lib=
    how="build-cuda built on this machine"
  else
    echo "no bundle: trying to build here (needs the project's build dependencies)"
    if ! cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DNP_BUILD_BENCH=OFF \
      -DNP_CUDA=ON >"$out/build.log" 2>&1; then
      die "no bundle, and configuring here failed (see $out/build.log): run" \
        "'tools/gpu_validation.sh pack' on the build machine and carry $bundle_dir"
    fi
    cmake --build build-cuda -j "$(nproc)" --target neuralpower np_test_gpu >>"$out/build.log" 2>&1 ||
      die "building here failed (see $out/build.log)"
    bin=build-cuda
    bundle_lib=
    how="build-cuda built on this machine"
  fi
  [[ $bin == build-cuda ]] && test_bin=$bin/tests/np_test_gpu || test_bin=$bin/np_test_gpu
  neuralpower=$bin/neuralpower

  # cuDNN: the toolkit's, $CUDNN_ROOT, or the nvidia-cudnn wheel under the image's Python.
  local python_lib_dirs
  python_lib_dirs=$(python3 - 2>/dev/null <<'EOF'
import importlib, os
for module in ("nvidia.cudnn", "nvidia.cublas", "nvidia.cuda_runtime"):
    try:
        m = importlib.import_module(module)
        for p in list(getattr(m, "__path__", [])):
            print(os.path.join(p, "lib"))
    except Exception:
        pass
EOF
  )
  # shellcheck disable=SC2206
  local candidates=(${CUDNN_ROOT:+$CUDNN_ROOT/lib} ${CUDNN_ROOT:+$CUDNN_ROOT/lib64}
    /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/lib/x86_64-linux-gnu $python_lib_dirs)
  if ! cudnn_dir=$(find_library_dir libcudnn.so.9 "${candidates[@]}"); then
    local found
    found=$(find /usr /opt -name libcudnn.so.9 2>/dev/null | head -1)
    cudnn_dir=${found:+$(dirname "$found")}
  fi
  cublas_dir=$(find_library_dir libcublas.so.13 "${candidates[@]}") || cublas_dir=
  cudart_dir=$(find_library_dir libcudart.so.13 "${candidates[@]}") || cudart_dir=
  driver_dir=$(find_library_dir libnvidia-ml.so.1 /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu /usr/lib64) || driver_dir=
  export LD_LIBRARY_PATH="${bundle_lib:+$bundle_lib:}$cudnn_dir:$cublas_dir:$cudart_dir:$driver_dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if [[ -n $bundle_lib ]] && ldd "$neuralpower" 2>&1 | grep -q "GLIBCXX.*not found"; then
    export LD_LIBRARY_PATH=$bundle_lib/fallback:$LD_LIBRARY_PATH
  fi
  export NEURALPOWER_ZOO=$repo/zoo
}

stage_env() {
  {
    echo "== programs: $how"
    echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
    echo "cuDNN from: ${cudnn_dir:-NOT FOUND}; cuBLAS: ${cublas_dir:-NOT FOUND}; CUDA runtime: ${cudart_dir:-NOT FOUND}; NVML: ${driver_dir:-NOT FOUND}"
    echo "== uname: $(uname -a)"
    echo "== $(ldd --version | head -1)"
    echo "== nvidia-smi"
    nvidia-smi
    echo "== nvidia-smi -q (clocks, power, performance)"
    nvidia-smi -q -d CLOCK,POWER,PERFORMANCE,TEMPERATURE
    echo "== nvcc"
    nvcc --version 2>&1 | tail -2
    echo "== libraries the programs load"
    ldd "$neuralpower"
    ldd "$test_bin" | grep -E "not found|cud|cublas|dnnl" || true
  } >"$out/env.log" 2>&1
  if ldd "$neuralpower" "$test_bin" | grep -q "not found"; then
    summary "env: FAIL, missing libraries: $(ldd "$neuralpower" "$test_bin" | grep 'not found' | sort -u | tr '\n' ' ')"
    return 1
  fi
  summary "env: ok ($how; cuDNN from ${cudnn_dir:-?})"
}

stage_tests() {
  # The gpu suite in one process: `ctest -L gpu` would start one process per test and pay
  # CUDA and cuDNN start-up (seconds) ~450 times. With a build made here, ctest runs too.
  local status
  if [[ $bin == build-cuda ]]; then
    timeout 540 ctest --test-dir build-cuda -L gpu -j 1 --output-on-failure >"$out/tests.log" 2>&1
    status=$?
  else
    timeout 540 "$test_bin" --gtest_color=no >"$out/tests.log" 2>&1
    status=$?
  fi
  local counts
  counts=$(grep -E "^\[ +(PASSED|SKIPPED|FAILED) +\] [0-9]+ tests?|tests passed|tests failed" "$out/tests.log" | tr "\n" " ")
  if ((status == 0)); then summary "tests: ok ($counts)"; else summary "tests: FAIL (exit $status; $counts)"; fi
  grep -E "^\[  FAILED  \]" "$out/tests.log" | head -20 | tee -a "$out/summary.txt"
  grep -E "layers compared|ms with graphs|ms per run|^nvml:|run_for\(1.5\)" "$out/tests.log" | tee -a "$out/summary.txt"
  return $status
}

stage_cli() {
  "$neuralpower" devices >"$out/devices.log" 2>&1
  summary "devices: exit $? ($(grep -m1 'backend cuda' "$out/devices.log"))"
  grep -m1 "power meter: nvml" "$out/devices.log" | tee -a "$out/summary.txt"
  : >"$out/profile.log"
  echo "== profile layers (resnet18 layers at batch 8, 12 configurations)" >>"$out/profile.log"
  timeout 300 "$neuralpower" profile layers --backend cuda --plan nets --networks resnet18 \
    --batches 8 --max-configs 12 --out "$out/profile_layers.csv" >>"$out/profile.log" 2>&1
  local layers_status=$?
  summary "profile layers: exit $layers_status, $(($(wc -l <"$out/profile_layers.csv" 2>/dev/null || echo 1) - 1)) rows"
  echo "== profile nets alexnet-v2" >>"$out/profile.log"
  timeout 300 "$neuralpower" profile nets alexnet-v2 --backend cuda --batch 8 \
    --out "$out/profile_nets.json" >>"$out/profile.log" 2>&1
  local nets_status=$?
  summary "profile nets alexnet-v2: exit $nets_status"
  ((layers_status == 0 && nets_status == 0))
}

# The same convolution measured $spread_repeats times, each by a fresh profiler process.
# Acceptance (docs/cuda-backend.md): every runtime within 1% of the median, every power
# within 2%.
stage_spread() {
  local dir=/tmp/np-spread
  rm -rf "$dir" && mkdir -p "$dir"
  : >"$out/spread.log"
  for ((k = 1; k <= spread_repeats; ++k)); do
    echo "== repeat $k" >>"$out/spread.log"
    timeout 120 "$neuralpower" profile layers --backend cuda --plan nets \
      --networks tools/gpu_spread_conv.json --batches 32 --max-configs 1 \
      --out "$dir/spread_$k.csv" >>"$out/spread.log" 2>&1 || echo "repeat $k failed" >>"$out/spread.log"
  done
  python3 - "$dir" "$spread_repeats" >>"$out/spread.log" 2>&1 <<'EOF'
import csv, glob, statistics, sys
folder, repeats = sys.argv[1], int(sys.argv[2])
rows = []
for path in sorted(glob.glob(folder + "/spread_*.csv"), key=lambda p: int(p.rsplit("_", 1)[1][:-4])):
    with open(path, newline="") as f:
        rows += [r for r in csv.DictReader(f) if r.get("status") == "ok"]
print(f"== {len(rows)} of {repeats} repeats measured")
keys = ["runtime_ms", "runtime_spread_pct", "power_w", "power_spread_pct", "idle_power_w",
        "sm_clock_mhz", "mem_clock_mhz", "temperature_c", "power_limit_w", "throttle_reasons",
        "clocks_locked", "algorithm"]
for i, r in enumerate(rows, 1):
    print(i, ", ".join(f"{k}={r.get(k, '')}" for k in keys))
verdict = "FAIL"
if len(rows) >= 2:
    checks = []
    for key, limit in (("runtime_ms", 1.0), ("power_w", 2.0)):
        values = [float(r[key]) for r in rows if r.get(key)]
        if len(values) < 2:
            print(f"{key}: fewer than two values")
            checks.append(False)
            continue
        median = statistics.median(values)
        worst = max(abs(v - median) for v in values) / median * 100
        rng = (max(values) - min(values)) / median * 100
        cv = statistics.stdev(values) / statistics.mean(values) * 100
        ok = worst <= limit
        checks.append(ok)
        print(f"{key}: median {median:.5g}, min {min(values):.5g}, max {max(values):.5g}, "
              f"worst deviation {worst:.2f}% (limit {limit}%), range {rng:.2f}%, "
              f"cv {cv:.2f}% -> {'ok' if ok else 'OUTSIDE'}")
    verdict = "ok" if all(checks) and len(rows) == repeats else "FAIL"
print(f"spread verdict: {verdict}")
EOF
  grep -E "^(runtime_ms|power_w):|spread verdict|repeats measured" "$out/spread.log" | tee -a "$out/summary.txt"
  grep -q "spread verdict: ok" "$out/spread.log"
}

run() {
  mkdir -p "$out"
  local stages=("$@")
  ((${#stages[@]})) || stages=(env tests cli spread)
  setup_programs
  summary "== gpu_validation $(date -u +%Y-%m-%dT%H:%M:%SZ): stages ${stages[*]}"
  local failed=0
  for stage in "${stages[@]}"; do
    case $stage in
      env | tests | cli | spread) "stage_$stage" || failed=1 ;;
      *) die "unknown stage '$stage' (env, tests, cli, spread)" ;;
    esac
  done
  summary "== done: $([[ $failed == 0 ]] && echo all stages ok || echo SOME STAGES FAILED)"
  return $failed
}

case ${1:-} in
  pack) pack ;;
  run)
    shift
    run "$@"
    ;;
  *) die "usage: $0 pack | run [env] [tests] [cli] [spread]" ;;
esac
