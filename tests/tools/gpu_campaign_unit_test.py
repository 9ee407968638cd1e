#!/usr/bin/python3
"""Unit tests of tools/gpu_campaign.py's own logic: caps, reserves, library search, resume
helpers and the result folder's rules. The whole script runs in `gpu_campaign.py run --dry-run`
(.ci/run)."""

import io
import json
import os
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import gpu_campaign as gc  # noqa: E402


class Caps(unittest.TestCase):
    def test_a_stage_past_its_cap_is_stopped_with_sigint_and_reported(self):
        log = io.StringIO()
        log.name = "memory"
        with tempfile.TemporaryFile("w+") as f:
            script = ("import signal, sys, time\n"
                      "signal.signal(signal.SIGINT, lambda *a: sys.exit(130))\n"
                      "time.sleep(30)\n")
            start = time.monotonic()
            code, status, seconds = gc.run_capped([sys.executable, "-c", script], 1.5, f)
            self.assertLess(time.monotonic() - start, 10)
            self.assertEqual(status, "timed out")
            self.assertEqual(code, 130)  # the SIGINT handler ran: a clean, resumable stop
            f.seek(0)
            self.assertIn("cap reached", f.read())

    def test_a_stage_that_ignores_sigint_is_killed(self):
        with tempfile.TemporaryFile("w+") as f:
            script = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" \
                     "time.sleep(60)\n"
            start = time.monotonic()
            code, status, _ = gc.run_capped([sys.executable, "-c", script], 2, f, grace_s=1)
            self.assertEqual(status, "timed out")
            self.assertLess(code, 0)  # killed by a signal
            # SIGINT a grace before the cap, SIGKILL at it: the stage ends within its cap.
            self.assertLess(time.monotonic() - start, 2.5)

    def test_exit_codes_and_no_time_left(self):
        with tempfile.TemporaryFile("w+") as f:
            self.assertEqual(gc.run_capped(["true"], 10, f)[1], "ok")
            self.assertEqual(gc.run_capped(["false"], 10, f)[1], "failed")
            self.assertEqual(gc.run_capped(["/nonexistent/program"], 10, f)[1], "failed")
            self.assertEqual(gc.run_capped(["true"], 0.5, f)[1], "skipped")

    def test_later_stages_keep_their_reserve(self):
        for profile in (gc.GPU_PROFILE, gc.DRY_PROFILE):
            caps = profile["caps"]
            self.assertEqual(gc.stage_reserve(profile, "summary"), 0)
            self.assertEqual(gc.stage_reserve(profile, "torch"), caps["summary"])
            layers_reserve = gc.stage_reserve(profile, "layers")
            self.assertEqual(layers_reserve, sum(caps[s] for s in
                                                 ("nets-paper", "nets-modern", "torch",
                                                  "summary")))
            before_layers = sum(caps[s] for s in ("env", "smoke", "spread"))
            # Even when every stage uses its whole cap, the layer plan gets its minimum.
            self.assertGreaterEqual(profile["total_s"] - before_layers - layers_reserve,
                                    profile["min_layers_s"])
        self.assertLessEqual(gc.GPU_PROFILE["total_s"], 540)


class Libraries(unittest.TestCase):
    def test_cuda13_wheels_are_found_under_nvidia_cu13_lib(self):
        with tempfile.TemporaryDirectory() as site:
            for sub, name in (("cu13/lib", "libcublas.so.13"), ("cu13/lib", "libcudart.so.13"),
                              ("cudnn/lib", "libcudnn.so.9")):
                os.makedirs(os.path.join(site, "nvidia", sub), exist_ok=True)
                open(os.path.join(site, "nvidia", sub, name), "w").close()
            saved = list(sys.path)
            sys.path.insert(0, site)
            try:
                found = gc.library_dirs()
            finally:
                sys.path[:] = saved
            self.assertEqual(found["libcublas.so.13"], os.path.join(site, "nvidia", "cu13/lib"))
            self.assertEqual(found["libcudart.so.13"], os.path.join(site, "nvidia", "cu13/lib"))
            self.assertEqual(found["libcudnn.so.9"], os.path.join(site, "nvidia", "cudnn/lib"))

    def test_only_the_project_programs_get_the_library_path(self):
        before = os.environ.get("LD_LIBRARY_PATH")
        env = gc.program_env({"lib": "/b/lib"}, {"libcudnn.so.9": "/w/cudnn", "x": None})
        self.assertTrue(env["LD_LIBRARY_PATH"].startswith("/b/lib:/w/cudnn"))
        self.assertEqual(os.environ.get("LD_LIBRARY_PATH"), before)

    def test_a_cuda_device_is_seen_only_under_the_cuda_backend(self):
        cpu = "backend cpu: compiled in (oneDNN)\n  device 0: AMD EPYC\n  power meter: none\n"
        self.assertFalse(gc.cuda_device_seen(
            cpu + "backend cuda: compiled in (no CUDA device: driver too old)\n"
            "  no device found\n  power meter: nvml, not available: x\n"))
        self.assertFalse(gc.cuda_device_seen(cpu + "backend cuda: not compiled in\n"))
        self.assertFalse(gc.cuda_device_seen(cpu))
        self.assertTrue(gc.cuda_device_seen(
            cpu + "backend cuda: compiled in\n  device 0: NVIDIA H200\n    driver:  580\n"
            "  power meter: nvml, available: ok\n"))

    def test_the_programs_lines_are_read(self):
        # The formats of counter_period_line and spread_check_report (src/report).
        self.assertEqual(gc.counter_period_of(
            "backend cuda: ...\nenergy counter (nvml): updates every 100.02 ms (median of 10 "
            "intervals, IQR 0.3% of it)\n"), "100.02 ms (nvml)")
        self.assertIsNone(gc.counter_period_of("power meter: none, not available: no RAPL\n"))
        self.assertEqual(gc.spread_verdict_of("x\nspread verdict: ok, N = 4\n"),
                         ("ok, N = 4", 4))
        self.assertEqual(gc.spread_verdict_of(
            "spread verdict: FAIL, no N within the limits; N = 10 (the steadiest)\n")[1], 10)
        self.assertEqual(gc.spread_verdict_of("spread verdict: none, N = 4 (default)\n"),
                         ("none, N = 4 (default)", None))
        self.assertEqual(gc.spread_verdict_of("crashed\n"), (None, None))

    def test_system_libraries_are_not_packed(self):
        for name in ("libstdc++.so.6", "libgcc_s.so.1", "libc.so.6", "libcudnn.so.9",
                     "libcublasLt.so.13", "libnvidia-ml.so.1"):
            self.assertTrue(gc.SYSTEM_LIBRARY.match(name), name)
        for name in ("libdnnl.so.2", "libprotobuf.so.32", "libOpenCL.so.1"):
            self.assertFalse(gc.SYSTEM_LIBRARY.match(name), name)


def write_nets(path, entries):
    with open(path, "w") as f:
        json.dump({"format": "neuralpower-nets", "networks": [
            {"network": n, "batch": b, "status": s} for n, b, s in entries]}, f)


class Resume(unittest.TestCase):
    def test_only_networks_with_a_batch_left_are_measured_again(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "nets.json")
            write_nets(path, [("resnet50", 1, "ok"), ("resnet50", 32, "failed"),
                              ("vgg-16", 64, "ok")])
            done = gc.nets_measured(path)
            self.assertEqual(done, {("resnet50", 1), ("vgg-16", 64)})
            self.assertEqual(gc.nets_to_measure(["resnet50", "swin_t"], [1, 32], done),
                             ["resnet50", "swin_t"])  # a failed batch is measured again
            self.assertEqual(gc.nets_to_measure(["resnet50"], [1], done), [])
            # The paper's networks at their own batch: measured once at any batch.
            self.assertEqual(gc.nets_to_measure(["vgg-16", "nin"], None, done), ["nin"])
            self.assertEqual(gc.nets_measured(os.path.join(d, "none.json")), set())

    def test_cross_check_takes_every_kind_power_rows_then_newest_first(self):
        plan = [{"kind": k, "config": f"{k} {i}"} for k in ("conv", "fc", "bn") for i in range(5)]
        layers = [{"config": f"conv {i}", "status": "ok", "power_w": "250" if i < 2 else ""}
                  for i in range(5)]
        layers += [{"config": "fc 0", "status": "ok"}, {"config": "bn 0", "status": "failed"}]
        chosen = gc.cross_check_plan(plan, layers, 3)
        self.assertEqual([r["config"] for r in chosen], ["conv 1", "fc 0", "conv 0"])
        self.assertEqual([r["config"] for r in gc.cross_check_plan(plan, layers, 100)],
                         ["conv 1", "fc 0", "conv 0", "conv 4", "conv 3", "conv 2"])
        self.assertEqual(gc.cross_check_plan(plan, [], 10), [])


class Bundle(unittest.TestCase):
    def make(self, d, members, padding=0):
        import tarfile
        stage = tempfile.mkdtemp(dir=d)
        for m in members:
            path = os.path.join(stage, m)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(os.urandom(padding) if m == "plan.csv" else b"x")
        archive = os.path.join(stage + ".tar.gz")
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(stage, arcname=".")
        return archive

    def test_a_bundle_must_hold_what_run_needs_and_fit_the_carry(self):
        whole = ["bin/neuralpower", "bin/np_test_gpu", "plan.csv", "MANIFEST"]
        with tempfile.TemporaryDirectory() as d:
            gc.check_bundle(self.make(d, whole), tree_mib=20)
            with self.assertRaisesRegex(gc.CampaignError, "over the 64 MiB"):
                gc.check_bundle(self.make(d, whole, padding=2 * 2**20), tree_mib=63)
            with self.assertRaisesRegex(gc.CampaignError, "lacks ./bin/np_test_gpu"):
                gc.check_bundle(self.make(d, ["bin/neuralpower", "plan.csv", "MANIFEST"]),
                                tree_mib=20)
            broken = os.path.join(d, "broken.tar.gz")
            with open(broken, "wb") as f:
                f.write(b"not a tar")
            with self.assertRaisesRegex(gc.CampaignError, "does not read back"):
                gc.check_bundle(broken, tree_mib=20)

    def test_run_without_a_bundle_stops_at_once(self):
        with tempfile.TemporaryDirectory() as d:
            code = gc.main(["run", "--out", os.path.join(d, "out"), "--bundle",
                            os.path.join(d, "none")])
            self.assertEqual(code, 1)


class Precision(unittest.TestCase):
    def test_each_precision_has_its_flags_and_its_data_folder(self):
        self.assertEqual(gc.precision_args("fp32", False), ["--dtype", "fp32"])
        self.assertEqual(gc.precision_args("fp32", True), ["--dtype", "fp32", "--tf32"])
        self.assertEqual(gc.precision_args("bf16", False), ["--dtype", "bf16"])
        self.assertTrue(gc.default_data_dir("fp32", False).endswith(os.path.join("data",
                                                                                 "gpu-h200")))
        self.assertTrue(gc.default_data_dir("fp32", True).endswith("gpu-h200-tf32"))
        self.assertTrue(gc.default_data_dir("fp16", False).endswith("gpu-h200-fp16"))
        with self.assertRaisesRegex(gc.CampaignError, "--tf32 is fp32's"):
            gc.precision_of("bf16", True)
        self.assertEqual([gc.plan_name(d) for d in gc.PLAN_DTYPES],
                         ["plan.csv", "plan-bf16.csv", "plan-fp16.csv"])

    def test_tf32_with_bf16_and_a_precision_dry_run_are_refused(self):
        self.assertEqual(gc.main(["run", "--dtype", "bf16", "--tf32", "--out", "/nonexistent"]),
                         1)
        self.assertEqual(gc.main(["run", "--dry-run", "--dtype", "fp16"]), 1)


class OutFolder(unittest.TestCase):
    def test_at_most_eight_known_files(self):
        self.assertLessEqual(len(gc.OUT_FILES), gc.MAX_OUT_FILES)
        for name in gc.OUT_FILES:
            self.assertRegex(name, r"^[A-Za-z0-9._-]+$")
        with tempfile.TemporaryDirectory() as d:
            for name in gc.OUT_FILES:
                open(os.path.join(d, name), "w").close()
            self.assertEqual(len(gc.check_out_folder(d)), len(gc.OUT_FILES))
            open(os.path.join(d, "extra.txt"), "w").close()
            with self.assertRaises(gc.CampaignError):
                gc.check_out_folder(d)


FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


class Fallback(unittest.TestCase):
    def test_pytorch_measures_the_plan_when_the_cpp_programs_cannot_start(self):
        import argparse
        import csv
        import shutil
        import tarfile
        with tempfile.TemporaryDirectory() as d:
            stage = os.path.join(d, "stage")
            os.makedirs(os.path.join(stage, "bin"))
            os.makedirs(os.path.join(stage, "lib"))
            for name in ("neuralpower", "np_test_gpu"):  # as a program missing a library exits
                path = os.path.join(stage, "bin", name)
                with open(path, "w") as f:
                    f.write("#!/bin/sh\necho 'error while loading shared libraries' >&2\n"
                            "exit 127\n")
                os.chmod(path, 0o755)
            shutil.copy(os.path.join(FIXTURES, "campaign_plan.csv"),
                        os.path.join(stage, "plan.csv"))
            with open(os.path.join(stage, "MANIFEST"), "w") as f:
                f.write("test bundle\n")
            bundle = os.path.join(d, "bundle")
            os.makedirs(bundle)
            with tarfile.open(os.path.join(bundle, "bundle.tar.gz"), "w:gz") as tar:
                tar.add(stage, arcname=".")
            out, data = os.path.join(d, "out"), os.path.join(d, "data")
            os.makedirs(out)
            os.makedirs(data)
            args = argparse.Namespace(bundle=bundle, data=data, total=60, dry_run=True)
            summary = gc.Campaign(args, gc.DRY_PROFILE, out).run()
            self.assertIn("PyTorch fallback", summary)
            self.assertRegex(summary, r"layers +skipped")
            self.assertRegex(summary, r"torch +ok .*the plan, measured by PyTorch")
            with open(os.path.join(out, "torch.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
            self.assertEqual(len(rows), 4)
            self.assertEqual({r["backend"] for r in rows}, {"torch"})
            self.assertEqual({r["status"] for r in rows}, {"ok"})
            gc.check_out_folder(out)


if __name__ == "__main__":
    unittest.main()
