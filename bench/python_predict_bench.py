#!/usr/bin/env python3
"""Layer predictions per second through the Python package, on one core (issue 14: >= 1,000,000
per second for the batch call an architecture search makes).

  /usr/bin/python3 bench/python_predict_bench.py [--seconds 3] [--repetitions 3]

Pinned to one CPU (sched_setaffinity); the package is the one on the path (setup.sh puts the
build tree's there; PYTHONPATH=build/python also works). Networks: eight zoo networks loaded
once, each predicted at batches 1, 8 and 32. A layer prediction is one non-input layer's
runtime (and power, where the model has one) with its flags; the totals are summed in C++.
Also times predict(), which builds a Python object per layer, for comparison.
"""

import argparse
import os
import pathlib
import platform
import time

import neuralpower as npw

ROOT = pathlib.Path(__file__).resolve().parents[1]
NETWORKS = [
    "resnet50",
    "mobilenet_v2",
    "vgg-16",
    "googlenet",
    "efficientnet_b0",
    "densenet121",
    "alexnet-v2",
    "nin",
]
BATCHES = [1, 8, 32]
MODELS = {
    "shipped CPU model (runtime only)": ROOT / "models/cpu-epyc-1t-fp32.json",
    "synthetic power model (runtime and power)": ROOT / "tests/fixtures/synthetic-power-model.json",
}


def timed(call, seconds):
    """Runs call() until `seconds` of CPU time have passed: (calls, cpu s, wall s, last result)."""
    calls, result = 0, None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    while time.process_time() - cpu0 < seconds:
        result = call()
        calls += 1
    return calls, time.process_time() - cpu0, time.perf_counter() - wall0, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds per measurement")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument(
        "--cpu", type=int, default=None, help="the CPU to pin to (default: the first allowed)"
    )
    args = parser.parse_args()
    cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})

    nets = [npw.load_network(name) for name in NETWORKS]
    layers_per_call = sum(len([l for l in n.layers if l.kind != "input"]) for n in nets) * len(
        BATCHES
    )
    print(
        f"neuralpower {npw.__version__}, Python {platform.python_version()}, pinned to CPU {cpu}, "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(f"{len(nets)} networks x batches {BATCHES}: {layers_per_call} layer predictions per call")
    for label, path in MODELS.items():
        model = npw.load_model(path)
        rates = []
        for _ in range(args.repetitions):
            calls, cpu_s, wall_s, result = timed(
                lambda: npw.predict_many(nets, model, BATCHES), args.seconds
            )
            assert sum(result.layers) == layers_per_call
            rates.append((calls * layers_per_call / cpu_s, calls * layers_per_call / wall_s))
        best_cpu = max(r[0] for r in rates)
        median_cpu = sorted(r[0] for r in rates)[len(rates) // 2]
        wall = ", ".join(f"{r[1] / 1e6:.2f}" for r in rates)
        print(
            f"predict_many, {label}: median {median_cpu / 1e6:.2f} M layer predictions/s "
            f"of CPU time (best {best_cpu / 1e6:.2f} M/s; wall: {wall} M/s)"
        )
        single = nets[0].with_batch(8)
        calls, cpu_s, wall_s, p = timed(lambda: npw.predict(single, model), args.seconds)
        print(
            f"predict (one {single.name} at batch 8, a Python object per layer), {label}: "
            f"{calls * len(p.layers) / cpu_s / 1e6:.3f} M layer predictions/s of CPU time"
        )


if __name__ == "__main__":
    main()
