#!/usr/bin/python3
"""The whole GPU window in one command (docs/cuda-backend.md, "The GPU campaign").

    tools/gpu_campaign.py pack [--build build]          # here: the bundle to carry
    python3 tools/gpu_campaign.py run                    # there, carrying build-gpu-bundle
    python3 tools/gpu_campaign.py run --dtype bf16       # bf16, fp16, or fp32 --tf32
    tools/gpu_campaign.py run --dry-run                  # here: the same, cpu backend, 2 windows

`run` executes the stages env, smoke, spread, layers, nets-paper, nets-modern, torch and
summary under one deadline (--total, 540 s). Each stage has a time cap, and the layer plan
gets what the stages before it left minus what the stages after it reserve, so a stage that
hangs or fails never starves the later ones. The layer plan resumes from the dataset committed
under --data (data/gpu-h200/layers.csv for strict fp32, data/gpu-h200-PRECISION/ for tf32,
bf16 and fp16), networks already measured there are skipped, and the
results come back as at most 8 files in $OUT:

    summary.txt  env.txt  log.txt  spread.csv  layers.csv  nets-paper.json  nets-modern.json
    torch.csv

Commit layers.csv, nets-*.json and torch.csv under --data; the next window continues from
them. If the C++ programs cannot start there, tools/torch_profile.py measures the plan instead
(the plan travels in the bundle). LD_LIBRARY_PATH is set for the project's programs only.
"""

import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUNDLE_DIR = "build-gpu-bundle"
OUT_FILES = ["summary.txt", "env.txt", "log.txt", "spread.csv", "layers.csv",
             "nets-paper.json", "nets-modern.json", "torch.csv"]
MAX_OUT_FILES = 8
# Libraries the GPU machine brings itself: the C and C++ runtimes of its image, and CUDA, cuBLAS,
# cuDNN and the driver's libraries, which must match its driver.
SYSTEM_LIBRARY = re.compile(r"^(libc|libm|libdl|libpthread|librt|ld-linux-x86-64|libstdc\+\+|"
                            r"libgcc_s|libcuda|libcudart|libcublas|libcublasLt|libcudnn.*|"
                            r"libnvidia-ml)\.so")
PAPER_TEST_NETWORKS = ["vgg-16", "nin", "cifar10-6conv", "alexnet-v2", "overfeat-fast"]
MODERN_NETWORKS = ["resnet50", "mobilenet_v2", "efficientnet_b0", "densenet121",
                   "regnet_y_400mf", "convnext_tiny", "swin_t", "deeplabv3_mobilenet_v3_large"]
MODERN_BATCHES = [1, 32, 128]
INTERRUPTED_EXIT = 130
# The first start of the programs on a fresh machine reads CUDA, cuBLAS and cuDNN (about 1 GB)
# from a cold disk: `devices --counter-period` gets this long before plain `devices` is tried.
FIRST_START_S = 60


class CampaignError(Exception):
    pass


# ------------------------------------------------------------------------------------ profiles
# What differs between the GPU run and the dry run: the backend, the stage caps (seconds) and
# the measurement settings. Everything else (stages, caps, resume, files) is the same code.

GPU_PROFILE = {
    "backend": "cuda",
    "total_s": 540,
    # The smoke test's kinds in three data types take about a minute (CudaSmoke); the spread
    # check's 30 windows about 25 s.
    "caps": {"env": 25, "smoke": 75, "spread": 45, "nets-paper": 60, "nets-modern": 60,
             "torch": 75, "summary": 10},
    "min_layers_s": 60,
    "power_share": 0.6,  # of the layer budget measured with power, the rest runtime only
    "layer_args": [],
    "plan_args": [],
    "spread_args": ["--repeats", "10", "--periods", "2,4,10"],
    "paper_networks": PAPER_TEST_NETWORKS,  # at each one's own batch (the paper's)
    "modern_networks": MODERN_NETWORKS,
    "modern_batches": MODERN_BATCHES,
    "nets_args": [],
    "smoke": ["--gtest_filter=-AllKinds/*:Zoo/*"],
    "torch_configs": 100,
    "compare_s": 15,  # tools/torch_profile.py compare, inside the torch stage's cap
    "torch_args": ["--device", "cuda", "--power", "--power-window", "0.3", "--trials", "10"],
}

DRY_PROFILE = {
    "backend": "cpu",
    "total_s": 75,  # two windows and the pack stay under CI's 3 minutes
    "caps": {"env": 10, "smoke": 6, "spread": 5, "nets-paper": 8, "nets-modern": 8,
             "torch": 20, "summary": 5},
    "min_layers_s": 8,
    "power_share": 0.5,
    # No reference layers: on a shared 2-core VM a neighbour's burst would pause the stage for
    # its whole cap (the dry run checks the campaign's mechanics, not a quiet machine).
    "layer_args": ["--trials", "3", "--warmup", "1", "--min-trial-ms", "1", "--no-reference"],
    "plan_args": ["--plan", "random", "--random", "300", "--max-gflops", "0.05"],
    "spread_args": ["--repeats", "2", "--periods", "1,2"],
    "paper_networks": ["lenet"],
    "modern_networks": ["squeezenet1_1"],
    "modern_batches": [1],
    "nets_args": ["--trials", "2", "--warmup", "1", "--min-trial-ms", "1", "--no-reference"],
    "smoke": ["--gtest_filter=CudaSmoke.*:CudaChecks.*"],
    "torch_configs": 8,
    "compare_s": 5,
    "torch_args": ["--device", "cpu", "--trials", "3", "--warmup", "1", "--min-trial-ms", "1"],
}

STAGES = ["env", "smoke", "spread", "layers", "nets-paper", "nets-modern", "torch", "summary"]


def stage_reserve(profile, stage):
    """Seconds the stages after `stage` keep for themselves."""
    later = STAGES[STAGES.index(stage) + 1:]
    return sum(profile["caps"].get(s, 0) for s in later)


# --------------------------------------------------------------------------------- processes


def signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:  # it ended just now
        pass


GRACE_S = 10


def interrupt_at(cap_s, grace_s=GRACE_S):
    """When run_capped sends SIGINT: a grace before the cap, at most a quarter of it."""
    return cap_s - min(grace_s, cap_s / 4)


def run_capped(command, cap_s, log, env=None, cwd=REPO, grace_s=GRACE_S):
    """Runs `command` for at most cap_s seconds, its output appended to `log`.

    grace_s before the cap (at most a quarter of it) the process group gets SIGINT (the
    project's programs stop cleanly and stay resumable), at the cap SIGKILL: a stage never
    outlasts its cap. Returns (exit code or None when killed, 'ok' | 'failed' | 'timed out',
    seconds)."""
    start = time.monotonic()
    log.write(f"$ {' '.join(command)}   # cap {cap_s:.0f} s\n")
    log.flush()
    if cap_s <= 1:
        log.write("  not started: no time left\n")
        return None, "skipped", 0.0
    try:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   cwd=cwd, start_new_session=True)
    except OSError as e:
        log.write(f"  cannot start: {e}\n")
        return None, "failed", time.monotonic() - start
    timed_out = False
    interrupt_s = interrupt_at(cap_s, grace_s)
    try:
        code = process.wait(timeout=interrupt_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        signal_group(process.pid, signal.SIGINT)
        try:
            code = process.wait(timeout=cap_s - interrupt_s)
        except subprocess.TimeoutExpired:
            signal_group(process.pid, signal.SIGKILL)
            code = process.wait()
    seconds = time.monotonic() - start
    log.write(f"  exit {code} after {seconds:.1f} s{' (cap reached)' if timed_out else ''}\n")
    log.flush()
    if timed_out:
        return code, "timed out", seconds
    return code, "ok" if code == 0 else "failed", seconds


def capture(command, env=None, timeout=20):
    try:
        r = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
        return r.returncode, r.stdout + r.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, f"{command[0]}: {e}\n"


# ---------------------------------------------------------------------------------- the bundle


def pack(build_dir, bundle_dir, log=sys.stdout, require_cuda=True):
    """Programs, the shared libraries the GPU machine lacks, and the layer plan, in one tar."""
    programs = [os.path.join(build_dir, "neuralpower"),
                os.path.join(build_dir, "tests", "np_test_gpu")]
    for p in programs:
        if not os.access(p, os.X_OK):
            raise CampaignError(f"'{p}' is not built: cmake --build {build_dir} --target "
                                "neuralpower np_test_gpu")
    if require_cuda and "backend cuda: compiled in" not in capture([programs[0], "devices"])[1]:
        raise CampaignError(f"'{programs[0]}' has no CUDA backend: configure {build_dir} with "
                            "-DNP_CUDA=ON (CUDA 13 and cuDNN 9 under /usr/local/cuda)")
    stage = tempfile.mkdtemp(prefix="np-bundle-")
    try:
        os.makedirs(os.path.join(stage, "bin"))
        os.makedirs(os.path.join(stage, "lib"))
        for p in programs:
            shutil.copy2(p, os.path.join(stage, "bin"))
        libraries = {}
        for p in programs:
            code, text = capture(["ldd", p])
            for line in text.splitlines():
                m = re.match(r"\s*(\S+) => (/\S+)", line)
                if m and not SYSTEM_LIBRARY.match(m.group(1)):
                    libraries[m.group(1)] = m.group(2)
        for name, path in sorted(libraries.items()):
            shutil.copy(os.path.realpath(path), os.path.join(stage, "lib", name))
        # The plan of each data type, for the PyTorch fallback and the cross-check: features
        # have one definition.
        for dtype in PLAN_DTYPES:
            plan = os.path.join(stage, plan_name(dtype))
            code, text = capture([programs[0], "profile", "layers", "--backend", "cuda",
                                  "--dtype", dtype, "--plan-out", plan], timeout=120)
            if code != 0:
                # A build without CUDA: the plan of the cpu backend's defaults.
                code, text = capture([programs[0], "profile", "layers", "--backend", "cpu",
                                      "--dtype", dtype, "--plan-out", plan], timeout=120)
            if code != 0:
                raise CampaignError(f"the {dtype} plan could not be written: {text.strip()}")
        commit = capture(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])[1].strip()
        needs = symbol_versions([os.path.join(stage, d, n) for d in ("bin", "lib")
                                 for n in os.listdir(os.path.join(stage, d))])
        with open(os.path.join(stage, "MANIFEST"), "w") as f:
            f.write("NeuralPower GPU bundle\n")
            f.write(f"built: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} on "
                    f"{os.uname().sysname} {os.uname().release} {os.uname().machine}, "
                    f"{capture(['ldd', '--version'])[1].splitlines()[0]}\n")
            f.write(f"commit: {commit or 'unknown'} (plus working tree)\n")
            f.write("libraries: " + " ".join(sorted(libraries)) + "\n")
            f.write(f"needs from the system: {needs}\n")
        os.makedirs(bundle_dir, exist_ok=True)
        archive = os.path.join(bundle_dir, "bundle.tar.gz")
        with tarfile.open(archive + ".part", "w:gz", compresslevel=6) as tar:
            tar.add(stage, arcname=".")
        check_bundle(archive + ".part")
        os.replace(archive + ".part", archive)
        log.write(f"packed {archive}: {os.path.getsize(archive) / 2**20:.1f} MiB, "
                  f"{len(libraries)} libraries\n")
        return archive
    finally:
        shutil.rmtree(stage, ignore_errors=True)


# What `run` needs from the bundle, and the device tool's limit on what travels with a command:
# the working tree (tracked and untracked files git does not ignore) and the carried bundle.
BUNDLE_MEMBERS = ["./bin/neuralpower", "./bin/np_test_gpu", "./plan.csv", "./MANIFEST"]
MAX_CARRY_MIB = 64


def working_tree_mib(repo=REPO):
    code, text = capture(["git", "-C", repo, "ls-files", "-z", "--cached", "--others",
                          "--exclude-standard"])
    if code != 0:
        return 0.0
    paths = (os.path.join(repo, p) for p in text.split("\0") if p)
    return sum(os.path.getsize(p) for p in paths if os.path.isfile(p)) / 2**20


def check_bundle(archive, tree_mib=None):
    """The archive reads back, holds what `run` needs, and fits the carry with the tree."""
    try:
        with tarfile.open(archive) as tar:
            names = set(tar.getnames())
    except (OSError, tarfile.TarError) as e:
        raise CampaignError(f"the bundle '{archive}' does not read back: {e}")
    missing = [m for m in BUNDLE_MEMBERS if m not in names]
    if missing:
        raise CampaignError(f"the bundle '{archive}' lacks {', '.join(missing)}")
    mib = os.path.getsize(archive) / 2**20
    tree = working_tree_mib() if tree_mib is None else tree_mib
    if mib + tree > MAX_CARRY_MIB:
        raise CampaignError(f"the bundle ({mib:.1f} MiB) and the working tree ({tree:.1f} MiB) "
                            f"are over the {MAX_CARRY_MIB} MiB the device tool carries")


# TF32 runs the fp32 plan with --tf32.
PLAN_DTYPES = ["fp32", "bf16", "fp16"]


def plan_name(dtype):
    return "plan.csv" if dtype == "fp32" else f"plan-{dtype}.csv"


def precision_of(dtype, tf32):
    """The name of a campaign's precision: fp32 (strict), tf32, bf16 or fp16."""
    if tf32 and dtype != "fp32":
        raise CampaignError(f"--tf32 is fp32's tensor-core math; with --dtype {dtype} it means "
                            "nothing")
    return "tf32" if tf32 else dtype


def precision_args(dtype, tf32):
    """The flags every measuring program of the campaign gets for its precision."""
    return ["--dtype", dtype] + (["--tf32"] if tf32 else [])


def default_data_dir(dtype, tf32):
    """Where a precision's committed data lives: data/gpu-h200 for strict fp32 (the first
    campaign's folder), data/gpu-h200-PRECISION for the others."""
    precision = precision_of(dtype, tf32)
    return os.path.join(REPO, "data", "gpu-h200" if precision == "fp32" else
                        f"gpu-h200-{precision}")


def no_bundle(archive):
    return (f"no bundle at {archive}: run 'tools/gpu_campaign.py pack' here and carry "
            f"{BUNDLE_DIR}")


def symbol_versions(files):
    """The newest GLIBC and GLIBCXX symbol versions the files need (of the system's)."""
    newest = {}
    for path in files:
        code, text = capture(["objdump", "-T", path])
        for name, version in re.findall(r"\b(GLIBC|GLIBCXX)_([0-9.]+)\b", text):
            key = tuple(int(x) for x in version.split("."))
            if key > newest.get(name, ()):
                newest[name] = key
    return " ".join(f"{n}_{'.'.join(map(str, v))}" for n, v in sorted(newest.items())) or "?"


def unpack(archive, into):
    shutil.rmtree(into, ignore_errors=True)
    os.makedirs(into)
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.12 warns without a filter
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)
    with open(os.path.join(into, "MANIFEST")) as f:
        manifest = f.read()
    return {"bin": os.path.join(into, "bin"), "lib": os.path.join(into, "lib"),
            "manifest": manifest, "plans": {d: os.path.join(into, plan_name(d)) for d in PLAN_DTYPES
                      if os.path.exists(os.path.join(into, plan_name(d)))}}


def library_dirs():
    """cuDNN, cuBLAS and cudart of the image: the CUDA 13 wheels first (nvidia/cu13/lib holds
    cuBLAS and cudart, nvidia/cudnn/lib cuDNN), then the toolkit; NVML from the driver."""
    found = {}
    wheel_dirs = []
    for entry in sys.path:
        for sub in ("cudnn/lib", "cu13/lib", "cublas/lib", "cuda_runtime/lib"):
            d = os.path.join(entry, "nvidia", sub)
            if os.path.isdir(d):
                wheel_dirs.append(d)
    toolkit = ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"]
    driver = ["/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib64"]
    for name, dirs in (("libcudnn.so.9", wheel_dirs + toolkit), ("libcublas.so.13", wheel_dirs +
                       toolkit), ("libcudart.so.13", wheel_dirs + toolkit),
                       ("libnvidia-ml.so.1", driver)):
        found[name] = next((d for d in dirs if os.path.exists(os.path.join(d, name))), None)
    return found


def counter_period_of(text):
    """'100.00 ms (nvml)' from `neuralpower devices --counter-period`, None without one."""
    m = re.search(r"energy counter \(([^)]*)\): updates every ([0-9.]+) ms", text)
    return f"{m.group(2)} ms ({m.group(1)})" if m else None


def spread_verdict_of(text):
    """(the verdict line's text, the N it chose or None) from `neuralpower profile spread`."""
    m = re.search(r"spread verdict: ((\w+),? [^\n]*?N = (\d+)[^\n]*)", text)
    if not m:
        return None, None
    return m.group(1), int(m.group(3)) if m.group(2) in ("ok", "FAIL") else None


def cuda_device_seen(devices_text):
    """Whether `neuralpower devices` found a CUDA device."""
    m = re.search(r"(?ms)^backend cuda: (.*?)(?=^backend |\Z)", devices_text)
    return bool(m) and m.group(1).startswith("compiled in") and "  device 0: " in m.group(1)


def program_env(bundle, found):
    """The environment of the project's own programs; python3 and nvidia-smi keep the plain one."""
    env = dict(os.environ)
    dirs = [bundle["lib"]] + [d for d in found.values() if d]
    seen = []
    for d in dirs + env.get("LD_LIBRARY_PATH", "").split(":"):
        if d and d not in seen:
            seen.append(d)
    env["LD_LIBRARY_PATH"] = ":".join(seen)
    env["NEURALPOWER_ZOO"] = os.path.join(REPO, "zoo")
    return env


# ------------------------------------------------------------------------------- data helpers


def read_rows(path):
    if not path or not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def nets_measured(path):
    """(network, batch) pairs measured ok in a nets JSON."""
    if not os.path.exists(path):
        return set()
    with open(path) as f:
        doc = json.load(f)
    return {(n["network"], int(n["batch"])) for n in doc.get("networks", [])
            if n.get("status") == "ok"}


def nets_to_measure(names, batches, done):
    """The networks with a batch of `batches` not in `done`; with batches None (each network's
    own), a network measured at any batch counts as done."""
    return [name for name in names
            if (not any(n == name for n, _ in done) if batches is None
                else any((name, b) not in done for b in batches))]


def cross_check_plan(plan_rows, layer_rows, count):
    """`count` plan rows measured ok by C++, round robin over kinds: rows with power first (the
    layer stage measures power in its first part only, and the check compares power too), the
    newest first within each."""
    ok = [r for r in reversed(layer_rows) if r.get("status") == "ok"]
    measured = [r["config"] for r in ok if r.get("power_w")]
    measured += [r["config"] for r in ok if not r.get("power_w")]
    by_config = {r["config"]: r for r in plan_rows}
    by_kind = {}
    for config in measured:
        if config in by_config:
            by_kind.setdefault(by_config[config]["kind"], []).append(by_config[config])
    chosen = []
    while len(chosen) < count and any(by_kind.values()):
        for kind in sorted(by_kind):
            if by_kind[kind] and len(chosen) < count:
                chosen.append(by_kind[kind].pop(0))
    return chosen


def write_rows(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


# ---------------------------------------------------------------------------------- the stages


class Campaign:
    def __init__(self, args, profile, out):
        self.args = args
        self.profile = profile
        self.out = out
        self.start = time.monotonic()
        self.deadline = self.start + args.total
        self.results = []  # (stage, status, seconds, note)
        self.facts = {}
        self.work = tempfile.mkdtemp(prefix="np-campaign-")
        self.log = open(os.path.join(out, "log.txt"), "a")
        self.cpp_ok = False
        self.window_periods = None
        self.dtype = getattr(args, "dtype", None) or "fp32"
        self.tf32 = bool(getattr(args, "tf32", False))
        self.precision = precision_of(self.dtype, self.tf32)
        self.precision_args = precision_args(self.dtype, self.tf32)

    def left(self):
        return self.deadline - time.monotonic()

    def cap(self, stage):
        return max(0.0, min(self.profile["caps"][stage], self.left() - stage_reserve(
            self.profile, stage)))

    def record(self, stage, status, seconds, note=""):
        self.results.append((stage, status, seconds, note))
        self.log.write(f"== {stage}: {status} ({seconds:.1f} s) {note}\n")
        self.log.flush()

    def data(self, name):
        return os.path.join(self.args.data, name)

    def np(self, *arguments):
        return [os.path.join(self.bundle["bin"], "neuralpower"), *arguments]

    def stage_env(self):
        t0 = time.monotonic()
        archive = os.path.join(self.args.bundle, "bundle.tar.gz")
        with open(os.path.join(self.out, "env.txt"), "w") as env_log:
            if not os.path.exists(archive):
                env_log.write(no_bundle(archive) + "\n")
                self.bundle = None
                self.record("env", "failed", time.monotonic() - t0, "no bundle")
                return
            self.bundle = unpack(archive, os.path.join(self.work, "bundle"))
            found = library_dirs()
            self.env = program_env(self.bundle, found)
            env_log.write(self.bundle["manifest"])
            env_log.write(f"date: {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
            env_log.write(f"python: {sys.executable} {sys.version.split()[0]}\n")
            for name, d in found.items():
                env_log.write(f"{name}: {d or 'NOT FOUND'}\n")
            env_log.write(f"LD_LIBRARY_PATH of the project's programs: {self.env['LD_LIBRARY_PATH']}\n")
            env_log.write("== uname\n" + capture(["uname", "-a"])[1])
            env_log.write("== C library: " + capture(["ldd", "--version"])[1].split("\n")[0] + "\n")
            for command in (["nvidia-smi"], ["nvidia-smi", "-q", "-d",
                                             "CLOCK,POWER,PERFORMANCE,TEMPERATURE"]):
                env_log.write(f"== {' '.join(command)}\n" + capture(command)[1])
            env_log.write("== python packages\n" + capture([sys.executable, "-c", (
                "import importlib\n"
                "for m in ('torch', 'pynvml', 'onnxruntime'):\n"
                "    try: print(m, importlib.import_module(m).__version__)\n"
                "    except Exception as e: print(m, 'missing:', e)\n"
                "import torch; print('torch cuda', torch.version.cuda, torch.cuda.is_available())"
            )])[1])
            env_log.write("== ldd neuralpower\n" + capture(["ldd", self.np()[0]], self.env)[1])
            code, text = capture(self.np("devices", "--counter-period"), self.env,
                                 timeout=FIRST_START_S)
            env_log.write(f"== neuralpower devices --counter-period (exit {code})\n{text}")
            if code != 0:  # no counter period is no reason to give up the C++ programs
                code, text = capture(self.np("devices"), self.env, timeout=30)
                env_log.write(f"== neuralpower devices (exit {code})\n{text}")
        # The programs must start, and on the GPU see it: else PyTorch measures the plan.
        self.cpp_ok = code == 0 and (self.profile["backend"] != "cuda" or cuda_device_seen(text))
        period = counter_period_of(text)
        if period:
            self.facts["counter period"] = period
        note = "C++ programs start" if self.cpp_ok else "C++ programs do not start: PyTorch fallback"
        self.record("env", "ok" if self.cpp_ok else "failed", time.monotonic() - t0, note)

    def stage_smoke(self):
        if not self.cpp_ok:
            return self.record("smoke", "skipped", 0, "no C++ programs")
        test = os.path.join(self.bundle["bin"], "np_test_gpu")
        before = self.log.tell()
        code, status, seconds = run_capped([test, "--gtest_color=no", "--gtest_brief=1",
                                            *self.profile["smoke"]], self.cap("smoke"),
                                           self.log, self.env)
        self.log.flush()
        with open(self.log.name) as f:
            f.seek(before)
            text = f.read()
        counts = ", ".join(f"{n} {what.lower()}" for what, n in re.findall(
            r"\[ +(PASSED|SKIPPED|FAILED) +\] (\d+) tests?", text))
        self.record("smoke", status, seconds, counts)

    def stage_spread(self):
        if not self.cpp_ok:
            return self.record("spread", "skipped", 0, "no C++ programs")
        spread_csv = os.path.join(self.out, "spread.csv")
        before = self.log.tell()
        code, status, seconds = run_capped(self.np(
            "profile", "spread", "--backend", self.profile["backend"], "--out", spread_csv,
            *self.precision_args, *self.profile["spread_args"]), self.cap("spread"), self.log,
            self.env)
        self.log.flush()
        with open(self.log.name) as f:
            f.seek(before)
            text = f.read()
        verdict, periods = spread_verdict_of(text)
        if verdict:
            self.facts["spread verdict"] = verdict
            self.window_periods = periods
        table = re.search(r"(?s)(energy counter.*?spread verdict:[^\n]*)", text)
        self.spread_text = table.group(1) if table else ""
        self.record("spread", status, seconds, self.facts.get("spread verdict", "no verdict"))

    def stage_layers(self):
        layers = os.path.join(self.out, "layers.csv")
        if os.path.exists(self.data("layers.csv")):
            shutil.copy(self.data("layers.csv"), layers)
        before = len(read_rows(layers))
        if not self.cpp_ok:
            return self.record("layers", "skipped", 0, f"{before} rows kept; PyTorch measures")
        cap = self.left() - stage_reserve(self.profile, "layers")
        if cap < self.profile["min_layers_s"]:
            return self.record("layers", "skipped", 0, f"only {cap:.0f} s left")
        # The budget stops the run after the configuration under way: room for the last one,
        # the start (plan, counter period, idle power) and the exit before the SIGINT.
        budget = interrupt_at(cap) - (15 if self.profile["backend"] == "cuda" else 8)
        power_s = budget * self.profile["power_share"]
        command = self.np("profile", "layers", "--backend", self.profile["backend"], "--out",
                          layers, "--budget-seconds", f"{budget:.0f}", "--power-seconds",
                          f"{power_s:.0f}", *self.precision_args, *self.profile["plan_args"],
                          *self.profile["layer_args"])
        if self.window_periods:
            command += ["--window-periods", str(self.window_periods)]
        code, status, seconds = run_capped(command, cap, self.log, self.env)
        rows = read_rows(layers)
        new = rows[before:]
        with_power = sum(1 for r in new if r.get("status") == "ok" and r.get("power_w"))
        runtime_only = sum(1 for r in new if r.get("status") == "ok" and not r.get("power_w"))
        failed = sum(1 for r in new if r.get("status") == "failed")
        self.facts["layer rows"] = (f"{len(rows)} in the dataset, {len(new)} new: {with_power} "
                                    f"with power, {runtime_only} runtime only, {failed} failed")
        if with_power and power_s > 0:
            self.facts["power rows per minute"] = f"{with_power / min(power_s, seconds) * 60:.0f}"
        if runtime_only and seconds > power_s:
            self.facts["runtime rows per second"] = f"{runtime_only / (seconds - power_s):.1f}"
        if code == 1 and "device lost:" in self.tail_of_log():
            status = "failed"
            self.facts["device"] = "LOST (sticky CUDA error): later GPU stages are unreliable"
        self.new_layer_rows = new
        self.record("layers", status, seconds, f"{len(new)} new rows")

    def tail_of_log(self, chars=4000):
        self.log.flush()
        with open(self.log.name) as f:
            f.seek(max(0, os.path.getsize(self.log.name) - chars))
            return f.read()

    def stage_nets(self, stage, names, batches, out_name):
        """One `profile nets` process for the stage's networks, resuming the committed file:
        the program skips what is measured there and measures a failed entry again, and saves
        after each network (a process per network would repeat the CUDA start, the idle power,
        the counter period and the reference baseline, seconds each)."""
        out = os.path.join(self.out, out_name)
        if os.path.exists(self.data(out_name)):
            shutil.copy(self.data(out_name), out)
        if not self.cpp_ok:
            return self.record(stage, "skipped", 0, "no C++ programs")
        done = nets_measured(out)
        todo = nets_to_measure(names, batches, done)
        if not todo:
            return self.record(stage, "ok", 0, f"{len(done)} entries, all measured before")
        command = self.np("profile", "nets", *todo, "--backend", self.profile["backend"],
                          "--out", out, *self.precision_args, *self.profile["nets_args"])
        if batches:
            command += ["--batch", ",".join(map(str, batches))]
        if stage == "nets-modern":
            command.append("--no-layer-power")
        if self.window_periods:
            command += ["--window-periods", str(self.window_periods)]
        code, status, seconds = run_capped(command, self.cap(stage), self.log, self.env)
        measured = nets_measured(out)
        self.facts[stage] = (f"{len(measured)} network-batch entries measured, "
                             f"{len(measured - done)} this window")
        self.record(stage, status, seconds, f"{len(measured)} entries")

    def stage_torch(self):
        torch_csv = os.path.join(self.out, "torch.csv")
        if os.path.exists(self.data("torch.csv")):
            shutil.copy(self.data("torch.csv"), torch_csv)
        plan_path = self.bundle.get("plans", {}).get(self.dtype) if self.bundle else None
        plan_rows = read_rows(plan_path)
        if not plan_rows:
            return self.record("torch", "skipped", 0, f"no {self.dtype} plan in the bundle")
        with open(plan_path, newline="") as f:
            header = next(csv.reader(f))
        if self.cpp_ok:
            # The comparison runs inside the stage's cap.
            cap = self.cap("torch") - self.profile["compare_s"]
            rows = cross_check_plan(plan_rows, read_rows(os.path.join(self.out, "layers.csv")),
                                    self.profile["torch_configs"])
            what = f"cross-check of {len(rows)} configurations"
        else:  # the fallback: PyTorch measures the plan in the time the C++ stages had
            cap = self.left() - stage_reserve(self.profile, "torch")
            rows = plan_rows
            what = "the plan, measured by PyTorch (fallback)"
        if not rows:
            return self.record("torch", "skipped", 0, "no C++ rows to cross-check")
        plan = os.path.join(self.work, "torch-plan.csv")
        write_rows(plan, header, rows)
        command = [sys.executable, os.path.join(REPO, "tools", "torch_profile.py"), "profile",
                   "--plan", plan, "--out", torch_csv, "--budget-seconds",
                   f"{max(interrupt_at(cap) - 5, 1):.0f}", *self.precision_args,
                   *self.profile["torch_args"]]
        code, status, seconds = run_capped(command, cap, self.log)
        layers = os.path.join(self.out, "layers.csv")
        if self.cpp_ok and os.path.exists(torch_csv) and os.path.exists(layers):
            c, text = capture([sys.executable, os.path.join(REPO, "tools", "torch_profile.py"),
                               "compare", layers, torch_csv, "--markdown"],
                              timeout=self.profile["compare_s"])
            self.log.write(text)
            self.compare_text = text
        self.record("torch", status, seconds, what)

    def summary(self):
        lines = [f"== GPU campaign ({self.profile['backend']} backend, {self.precision}"
                 f"{', dry run' if self.args.dry_run else ''}): "
                 f"{time.monotonic() - self.start:.0f} s of {self.args.total} s"]
        lines.append(f"{'stage':<12} {'status':<10} {'seconds':>8}  note")
        for stage, status, seconds, note in self.results:
            lines.append(f"{stage:<12} {status:<10} {seconds:>8.1f}  {note}")
        for key, value in self.facts.items():
            lines.append(f"{key}: {value}")
        if getattr(self, "spread_text", ""):
            lines += ["", "spread check:", self.spread_text.rstrip()]
        if getattr(self, "compare_text", ""):
            lines += ["", "C++ / PyTorch (B = torch, A = C++):", self.compare_text.rstrip()]
        files = sorted(set(os.listdir(self.out)) | {"summary.txt"})
        lines.append(f"files: {' '.join(files)}")
        text = "\n".join(lines) + "\n"
        with open(os.path.join(self.out, "summary.txt"), "w") as f:
            f.write(text)
        return text

    def run(self):
        self.bundle = None
        self.new_layer_rows = []
        try:
            for stage in STAGES[:-1]:
                try:
                    if stage == "env":
                        self.stage_env()
                    elif self.bundle is None:
                        self.record(stage, "skipped", 0, "no bundle")
                    elif stage == "smoke":
                        self.stage_smoke()
                    elif stage == "spread":
                        self.stage_spread()
                    elif stage == "layers":
                        self.stage_layers()
                    elif stage == "nets-paper":
                        self.stage_nets(stage, self.profile["paper_networks"], None,
                                        "nets-paper.json")
                    elif stage == "nets-modern":
                        self.stage_nets(stage, self.profile["modern_networks"],
                                        self.profile["modern_batches"], "nets-modern.json")
                    elif stage == "torch":
                        self.stage_torch()
                except Exception as e:  # one stage's bug must not cost the later stages
                    self.record(stage, "failed", 0, f"{type(e).__name__}: {e}")
            self.log.close()
            return self.summary()
        finally:
            shutil.rmtree(self.work, ignore_errors=True)


def check_out_folder(out):
    names = sorted(os.listdir(out))
    bad = [n for n in names if n not in OUT_FILES or not os.path.isfile(os.path.join(out, n))]
    if len(names) > MAX_OUT_FILES or bad:
        raise CampaignError(f"$OUT holds {len(names)} entries, unexpected: {bad}")
    return names


# ------------------------------------------------------------------------------------- dry run


def dry_run(args):
    """Two windows on the cpu backend, the second resuming from the first's files."""
    root = args.out or tempfile.mkdtemp(prefix="np-campaign-dry-")
    bundle = os.path.join(root, "bundle")
    pack(args.build, bundle, require_cuda=False)
    data = os.path.join(root, "data")
    os.makedirs(data, exist_ok=True)
    windows = []
    for window in (1, 2):
        out = os.path.join(root, f"out{window}")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        a = argparse.Namespace(**vars(args))
        a.bundle, a.data = bundle, data
        a.total = args.total or DRY_PROFILE["total_s"]
        print(Campaign(a, DRY_PROFILE, out).run(), end="", flush=True)
        check_out_folder(out)
        for name in ("layers.csv", "nets-paper.json", "nets-modern.json", "torch.csv"):
            if os.path.exists(os.path.join(out, name)):
                shutil.copy(os.path.join(out, name), os.path.join(data, name))
        windows.append(read_rows(os.path.join(out, "layers.csv")))
    first, second = windows
    configs = [r["config"] for r in second]
    problems = []
    if not first:
        problems.append("window 1 measured no layer rows")
    if len(second) <= len(first):
        problems.append(f"window 2 did not continue ({len(first)} -> {len(second)} rows)")
    if [r["config"] for r in second[:len(first)]] != [r["config"] for r in first]:
        problems.append("window 2 did not keep window 1's rows")
    retried = {r["config"] for r in first if r.get("status") == "failed"}
    if len(set(configs)) + sum(1 for c in configs if c in retried) < len(configs):
        problems.append("window 2 measured configurations twice")
    if problems:
        raise CampaignError("dry run: " + "; ".join(problems))
    print(f"dry run ok: window 1 {len(first)} rows, window 2 {len(second)} rows, files in {root}")
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pack", help="pack the programs for the GPU machine")
    p.add_argument("--build", default=os.path.join(REPO, "build"))
    p.add_argument("--bundle", default=os.path.join(REPO, BUNDLE_DIR))
    r = commands.add_parser("run", help="the campaign (on the GPU machine), or --dry-run here")
    r.add_argument("--dry-run", action="store_true",
                   help="two windows with the cpu backend, the second resuming the first")
    r.add_argument("--dtype", choices=PLAN_DTYPES, default="fp32",
                   help="data type of every measurement (default fp32)")
    r.add_argument("--tf32", action="store_true",
                   help="fp32 with TF32 tensor-core math for conv and fc")
    r.add_argument("--data", default=None,
                   help="the committed dataset to resume from (default data/gpu-h200 for strict "
                        "fp32, data/gpu-h200-PRECISION for tf32, bf16, fp16)")
    r.add_argument("--bundle", default=os.path.join(REPO, BUNDLE_DIR))
    r.add_argument("--build", default=os.path.join(REPO, "build"), help="dry run: programs")
    r.add_argument("--out", default=None, help="result folder (default $OUT)")
    r.add_argument("--total", type=float, default=None, help="seconds for the whole command")
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            if args.dry_run and (args.dtype != "fp32" or args.tf32):
                raise CampaignError("the dry run measures fp32 on the cpu backend")
            args.data = args.data or default_data_dir(args.dtype, args.tf32)
        if args.command == "pack":
            pack(args.build, args.bundle)
            return 0
        if args.dry_run:
            return dry_run(args)
        out = args.out or os.environ.get("OUT")
        if not out:
            raise CampaignError("no result folder: set $OUT or --out")
        os.makedirs(out, exist_ok=True)
        archive = os.path.join(args.bundle, "bundle.tar.gz")
        if not os.path.isfile(archive):  # nothing could run: say so before the window is spent
            raise CampaignError(no_bundle(archive))
        args.total = args.total or GPU_PROFILE["total_s"]
        print(Campaign(args, GPU_PROFILE, out).run(), end="")
        check_out_folder(out)
        return 0
    except CampaignError as e:
        print(f"gpu_campaign: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
