#!/usr/bin/env bash
# Reproduces data/cpu-epyc-1t/ and models/cpu-epyc-1t-fp32.json: CPU measurements on the
# development machine (2-core AMD EPYC VM, oneDNN with 1 thread, no RAPL: runtime only).
# The layer profile ran as two budgeted runs of the same plan (the second resumed the first);
# logs are appended to data/cpu-epyc-1t/collect.log.
set -eu
cd "$(dirname "$0")/.."
NP=${NP:-./build/neuralpower}
D=data/cpu-epyc-1t
mkdir -p $D
$NP devices
for budget in 840 720; do
  $NP profile layers --backend cpu --threads 1 --out $D/layers.csv --plan both \
    --batches 1,2,4,8,16,32 --random 600 --budget-seconds $budget --trials 7 --warmup 2 \
    --max-gflops 4 --seed 1
done
$NP profile nets --backend cpu --threads 1 --out $D/nets.json --trials 5 --warmup 1 --batch 1 \
  nin alexnet-v2 cifar10-6conv vgg-16 overfeat-fast resnet50 mobilenet_v2 efficientnet_b0 \
  densenet121 regnet_y_400mf convnext_tiny
$NP train $D/layers.csv -o models/cpu-epyc-1t-fp32.json | tee $D/train.log
$NP evaluate --measured $D/nets.json --model models/cpu-epyc-1t-fp32.json --format markdown \
  | tee $D/evaluate.md
$NP train $D/layers.csv -o $D/model-log-log.json --treatment log | tee $D/train-log-log.log
$NP evaluate --measured $D/nets.json --model $D/model-log-log.json --format markdown \
  | tee $D/evaluate-log-log.md
