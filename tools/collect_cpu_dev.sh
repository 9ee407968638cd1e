#!/usr/bin/env bash
# CPU data collection on the development machine (2-core AMD EPYC VM, 1 oneDNN thread).
set -u
cd /work/main
NP=/tmp/np-run/neuralpower
D=data/cpu-epyc-1t
{
  echo "# $(date -u +%FT%TZ) $NP profile layers"
  $NP devices
  time $NP profile layers --backend cpu --threads 1 --out $D/layers.csv --plan both \
    --batches 1,2,4,8,16,32 --random 600 --budget-seconds 840 --trials 7 --warmup 2 --max-gflops 4 --seed 1
  echo "# $(date -u +%FT%TZ) profile nets"
  time $NP profile nets --backend cpu --threads 1 --out $D/nets.json --trials 5 --warmup 1 --batch 1 \
    nin alexnet-v2 cifar10-6conv vgg-16 overfeat-fast resnet50 mobilenet_v2 efficientnet_b0 densenet121 regnet_y_400mf convnext_tiny
  echo "# $(date -u +%FT%TZ) done"
} > $D/collect.log 2>&1
