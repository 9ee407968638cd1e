#!/usr/bin/env bash
# A fresh CPU dataset with the measurement protocol of docs/profiling.md ("Measurement on a
# shared machine"): the measuring thread at SCHED_FIFO pinned to the last CPU, disturbed trials
# redone, trials interleaved across configurations, reference layers with every row.
#
#   tools/collect_cpu.sh [--pilot] [DIR]      (default DIR: data/cpu-epyc-fifo-1t)
#
# Into DIR, each step resumable (run the script again after a stop and it goes on):
#   layers-in-network.csv  the training networks' layers as they run there (profile nets
#                          --layer-rows), with train-nets.json, their end-to-end runs
#   layers.csv             the isolated plan (plan nets + random + coverage grids, space-filling
#                          order, adaptive rounds at the end) under LAYER_BUDGET seconds
#   nets.json              the 11 held-out networks end to end and layer by layer, batch 1
#   protocol.txt           what the protocol achieved (tools/protocol_summary.py): spreads,
#                          trials redone, reference-layer range, T_total / sum of T_n
#   model.json, train.log, evaluate.md   trained on both CSVs, evaluated on nets.json
#   collect.log            every command, its output and its wall time
# --pilot measures a tiny version of every step (a few minutes) to check the machine and the
# script; its DIR default is /tmp/np-collect-pilot. Nothing here needs root beyond the
# real-time priority (without it the tool says so in every row's `scheduling` column).
#
# The full run takes about 1 h 45 min on a quiet machine: 5,400 s of isolated plan, ~10 min of
# in-network rows, ~2 min of held-out networks, a minute of train and evaluate.
# Settings (environment): NP (the binary, ./build/neuralpower), LAYER_BUDGET (seconds of the
# isolated plan, 5400), RANDOM_CONFIGS (random configurations, 3000), INNET_BATCHES (1,2,4,8,16),
# TRIALS (7), WARMUP (2). Run it on a quiet machine: the protocol detects a busy one (redone
# trials, reference drift, a stop with a message) but cannot make it quiet.
set -euo pipefail
cd "$(dirname "$0")/.."
PILOT=0
if [ "${1:-}" = --pilot ]; then
  PILOT=1
  shift
fi
NP=${NP:-./build/neuralpower}
HELD_OUT="nin alexnet-v2 cifar10-6conv vgg-16 overfeat-fast resnet50 mobilenet_v2 efficientnet_b0
  densenet121 regnet_y_400mf convnext_tiny swin_t deeplabv3_mobilenet_v3_large"
if [ $PILOT = 1 ]; then
  D=${1:-/tmp/np-collect-pilot}
  LAYER_BUDGET=${LAYER_BUDGET:-90}
  RANDOM_CONFIGS=${RANDOM_CONFIGS:-200}
  INNET_BATCHES=${INNET_BATCHES:-1}
  INNET_NETS="lenet squeezenet1_1 resnet18 mobilenet_v3_small googlenet"  # the pilot's (a few)
  HELD_OUT="nin cifar10-6conv mobilenet_v2"
  TRIALS=${TRIALS:-5}
  WARMUP=${WARMUP:-1}
else
  D=${1:-data/cpu-epyc-fifo-1t}
  LAYER_BUDGET=${LAYER_BUDGET:-5400}
  RANDOM_CONFIGS=${RANDOM_CONFIGS:-3000}
  INNET_BATCHES=${INNET_BATCHES:-1,2,4,8,16}
  INNET_NETS=--training-networks
  TRIALS=${TRIALS:-7}
  WARMUP=${WARMUP:-2}
fi
mkdir -p "$D"
LOG=$D/collect.log
MEASURE=(--backend cpu --threads 1 --trials "$TRIALS" --warmup "$WARMUP")

step() {  # step NAME CMD...: logs the command, its output and its wall time
  local name=$1
  shift
  echo "# $(date -u +%FT%TZ) $name: $*" | tee -a "$LOG"
  local start=$SECONDS
  "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  echo "# $(date -u +%FT%TZ) $name: exit $rc after $((SECONDS - start)) s" | tee -a "$LOG"
  return "$rc"
}

{
  echo "# $(date -u +%FT%TZ) collect_cpu.sh $([ $PILOT = 1 ] && echo --pilot) into $D"
  echo "# commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (modified)')"
  echo "# $(uname -sr), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# load average $(cut -d' ' -f1-3 /proc/loadavg); sched_rt_runtime_us $(cat /proc/sys/kernel/sched_rt_runtime_us 2>/dev/null || echo unknown)"
  echo "# LAYER_BUDGET=$LAYER_BUDGET RANDOM_CONFIGS=$RANDOM_CONFIGS INNET_BATCHES=$INNET_BATCHES TRIALS=$TRIALS WARMUP=$WARMUP"
} | tee -a "$LOG"
step devices "$NP" devices

# 1. The training networks' layers in place: rows for train, never a held-out network.
# shellcheck disable=SC2086
step in-network "$NP" profile nets "${MEASURE[@]}" --out "$D/train-nets.json" \
  --layer-rows "$D/layers-in-network.csv" --batch "$INNET_BATCHES" --max-network-gflops 120 \
  $INNET_NETS

# 2. The isolated plan, for coverage: inputs in the layout a network hands them, a
# space-filling order (any prefix covers every kind), the last quarter adaptive.
step isolated "$NP" profile layers "${MEASURE[@]}" --out "$D/layers.csv" --plan both \
  --batches 1,2,4,8,16,32 --random "$RANDOM_CONFIGS" --max-gflops 4 --seed 1 \
  --budget-seconds "$LAYER_BUDGET" --adaptive 0.25

# The pilot's isolated plan reaches few of the in-network layers: measure those alone too.
RATIO_ISOLATED=$D/layers.csv
if [ $PILOT = 1 ]; then
  RATIO_ISOLATED=$D/layers-isolated-same.csv
  # shellcheck disable=SC2086
  step isolated-same "$NP" profile layers "${MEASURE[@]}" --out "$RATIO_ISOLATED" --plan nets \
    --networks "${INNET_NETS// /,}" --batches "$INNET_BATCHES"
fi

# 3. The held-out networks, end to end and layer by layer (for evaluate).
# shellcheck disable=SC2086
step held-out "$NP" profile nets "${MEASURE[@]}" --out "$D/nets.json" --batch 1 $HELD_OUT

# What the protocol achieved, and isolated / in-network per kind on the layers both measured.
step summary /usr/bin/python3 tools/protocol_summary.py "$D/layers-in-network.csv" \
  "$D/layers.csv" "$D/train-nets.json" "$D/nets.json" \
  --ratios "$RATIO_ISOLATED" "$D/layers-in-network.csv" | tee "$D/protocol.txt"

# 4. Train on both kinds of rows, evaluate on the held-out networks.
step train "$NP" train "$D/layers.csv" "$D/layers-in-network.csv" -o "$D/model.json" \
  | tee "$D/train.log"
step evaluate "$NP" evaluate --measured "$D/nets.json" --model "$D/model.json" \
  --format markdown | tee "$D/evaluate.md"
echo "# $(date -u +%FT%TZ) done" | tee -a "$LOG"
