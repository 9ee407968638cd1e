#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang (into build-fuzz/) and runs them one after the
# other, each for a time or a number of executions; prints, per harness, the executions, the
# executions per second and the findings (crashes, sanitizer reports, leaks, timeouts, OOMs).
#
#   fuzz/run.sh                          every harness for 60 s
#   fuzz/run.sh 30 dataset model_file    those two for 30 s each
#   FUZZ_RUNS=10000000 fuzz/run.sh 0     every harness for 10 million executions
#
# Environment: BUILD_DIR (build-fuzz), FUZZ_WORK (BUILD_DIR/fuzz-work: the grown corpora, the
# logs and any crash input), FUZZ_RUNS (executions per harness, unset: no limit), FUZZ_SEED
# (libFuzzer's random seed, unset: random; with FUZZ_RUNS and no time limit a run repeats), FUZZ_NICE
# (niceness, 0), FUZZ_MAX_LEN (longest input in bytes; unset: per harness, below). The committed seeds (fuzz/corpus/NAME) are read, never written. Exit status 1
# when any harness found something; its input is in FUZZ_WORK/NAME/.
set -euo pipefail
cd "$(dirname "$0")/.."

all=(onnx_import network_json paleo_import dataset model_file)
seconds="${1:-60}"
shift || true
harnesses=("$@")
((${#harnesses[@]})) || harnesses=("${all[@]}")

build="${BUILD_DIR:-build-fuzz}"
work="${FUZZ_WORK:-$build/fuzz-work}"
# -O1 with line tables: quick to compile (CI builds this from scratch), symbolised reports.
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz \
  -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DNP_FUZZ=ON -DNP_BUILD_TESTS=OFF \
  -DNP_BUILD_BENCH=OFF -DNP_BUILD_PYTHON=OFF -DNP_CUDA=OFF >/dev/null
cmake --build "$build" --target fuzzers

dictionary() {
  case "$1" in
    onnx_import) ;;
    dataset) echo "-dict=fuzz/dict/csv.dict" ;;
    *) echo "-dict=fuzz/dict/json.dict" ;;
  esac
}

# The longest input: 1.5 to 2.5 times the largest seed. libFuzzer lets inputs grow to it, and every
# execution parses the whole input, so a limit far above what the readers need only slows a run
# (the dataset harness fell from 4,500 to 1,600 executions per second as its inputs grew
# towards 64 kB).
max_len() {
  case "$1" in
    onnx_import) echo 65536 ;;
    network_json) echo 32768 ;;
    model_file) echo 24576 ;;
    *) echo 8192 ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
printf '%-14s %14s %10s %9s %8s\n' harness executions exec/s seconds findings
failed=0
for h in "${harnesses[@]}"; do
  dir="$work/$h"
  mkdir -p "$dir/corpus"
  args=(-print_final_stats=1 -artifact_prefix="$dir/" -timeout=10 -rss_limit_mb=2048
        -malloc_limit_mb=1024 -max_len="${FUZZ_MAX_LEN:-$(max_len "$h")}")
  ((seconds > 0)) && args+=(-max_total_time="$seconds")
  [[ -n "${FUZZ_RUNS:-}" ]] && args+=(-runs="$FUZZ_RUNS")
  [[ -n "${FUZZ_SEED:-}" ]] && args+=(-seed="$FUZZ_SEED")
  # shellcheck disable=SC2046
  args+=($(dictionary "$h"))
  start=$(date +%s)
  status=0
  nice -n "${FUZZ_NICE:-0}" "$build/fuzz/${h}_fuzzer" "${args[@]}" "$dir/corpus" "fuzz/corpus/$h" \
    >"$dir/log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  executions=$(awk '/stat::number_of_executed_units/ {print $2}' "$dir/log" | tail -1)
  rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$dir/log" | tail -1)
  findings=$(find "$dir" -maxdepth 1 -type f \
    \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  if ((status != 0 && findings == 0)); then findings="exit $status"; fi
  printf '%-14s %14s %10s %9s %8s\n' "$h" "${executions:-?}" "${rate:-?}" "$elapsed" "$findings"
  if [[ "$findings" != 0 ]]; then
    failed=1
    grep -m 3 -E 'ERROR|runtime error|broken property|==[0-9]+==' "$dir/log" | sed 's/^/    /' || true
  fi
done
exit "$failed"
