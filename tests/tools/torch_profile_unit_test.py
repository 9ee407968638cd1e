"""Unit tests of tools/torch_profile.py that need no device: the config parser, the statistics,
the runtime and power-window loops on simulated time, CSV quoting, the compare mode's ratios.
Run by CTest (label cpu): /usr/bin/python3 -m unittest tests/tools/torch_profile_unit_test.py
"""

import importlib.util
import math
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "torch_profile.py")
spec = importlib.util.spec_from_file_location("torch_profile", TOOL)
tp = importlib.util.module_from_spec(spec)
sys.modules["torch_profile"] = tp
spec.loader.exec_module(tp)


class NeverStop:
    def check(self):
        pass


class ParseConfig(unittest.TestCase):
    def test_every_kind_of_the_canonical_text(self):
        c = tp.parse_config("conv in=8x3x224x224 out=64 k=11x11 s=4x4 p=2,1,0,3 d=1x2 g=1 bias=1 "
                            "fp16")
        self.assertEqual((c.kind, c.dtype, c.inputs), ("conv", "fp16", [(8, 3, 224, 224)]))
        self.assertEqual(c.attrs, {"out": 64, "k": [11, 11], "s": [4, 4], "p": [2, 1, 0, 3],
                                   "d": [1, 2], "g": 1, "bias": True})
        pool = tp.parse_config("pool in=2x20x24x24 mode=max k=2x2 s=2x2 p=0,0,0,0 ceil=1 cip=0 "
                               "fp32")
        self.assertEqual((pool.attrs["ceil"], pool.attrs["cip"]), (True, False))
        self.assertTrue(tp.parse_config("pool in=2x8x7x7 mode=avg global fp32").attrs["global"])
        add = tp.parse_config("add in=4x64x7x7;4x64x1x1 const=64x1x1;scalar bf16")
        self.assertEqual(add.inputs, [(4, 64, 7, 7), (4, 64, 1, 1)])
        self.assertEqual(add.attrs["const"], [(64, 1, 1), ()])
        self.assertEqual(tp.parse_config("mul in=1x8x2x2;1x8x2x2 fp32").attrs, {})
        act = tp.parse_config("act in=1x8 fn=hard_sigmoid a=0.2 b=0.5 fp32")
        self.assertEqual(act.attrs, {"fn": "hard_sigmoid", "a": 0.2, "b": 0.5})
        lrn = tp.parse_config("lrn in=2x96x55x55 size=5 alpha=1e-04 beta=0.75 bias=1 fp32")
        self.assertEqual(lrn.attrs["alpha"], 1e-4)
        ln = tp.parse_config("layernorm in=2x7x7x96 axis=-1 eps=1e-06 affine=0 fp32")
        self.assertEqual((ln.attrs["axis"], ln.attrs["affine"]), (-1, False))
        self.assertEqual(tp.parse_config("transpose in=1x3x4x5 perm=0,2,3,1 fp32").attrs["perm"],
                         [0, 2, 3, 1])
        sl = tp.parse_config("slice in=1x116x28x28 axis=1 start=-58 end=116 step=2 fp32")
        self.assertEqual((sl.attrs["start"], sl.attrs["step"]), (-58, 2))
        self.assertEqual(tp.parse_config("concat in=1x2x3;1x4x3 axis=1 fp32").inputs,
                         [(1, 2, 3), (1, 4, 3)])

    def test_malformed_text_names_the_problem(self):
        for text, needle in [
            ("conv in=1x3x8x8 out=4 k=3x3 s=1x1 p=0,0,0,0 d=1x1 g=1 fp32",
             "missing attribute 'bias'"),
            ("conv in=1x3x8x8 out=4 k=3x3 s=1x1 p=0,0,0 d=1x1 g=1 bias=1 fp32", "4 values"),
            ("fc in=1x8 out=4 bias=1 colour=red fp32", "unknown attribute 'colour'"),
            ("fc in=1x8 out=4 bias=2 fp32", "not 0 or 1"),
            ("fc in=1x0 out=4 bias=1 fp32", "bad shape"),
            ("pool in=1x8x4x4 mode=max fp32", "missing attribute 'k'"),
            ("reshape in=1x8 shape=8 fp32", "unknown layer kind 'reshape'"),
            ("fc in=1x8 out=4 bias=1 fp64", "unknown data type 'fp64'"),
            ("fc out=4 bias=1 fp32", "in="),
        ]:
            with self.subTest(text=text):
                with self.assertRaises(ValueError) as caught:
                    tp.parse_config(text)
                self.assertIn(needle, str(caught.exception))


class Statistics(unittest.TestCase):
    def test_median_and_interquartile_spread_interpolate_like_numpy(self):
        # Sorted 1, 2, 3, 4: quartiles at positions 0.75 and 2.25 -> 1.75 and 3.25.
        self.assertEqual(tp.median([4.0, 1.0, 3.0, 2.0]), 2.5)
        self.assertAlmostEqual(tp.spread_pct([4.0, 1.0, 3.0, 2.0]), 100 * 1.5 / 2.5)
        self.assertEqual(tp.spread_pct([5.0]), 0.0)
        self.assertEqual(tp.spread_pct([2.0, 2.0, 2.0]), 0.0)


class FakeRuns:
    """timed_runs of a layer that takes `per_run_ms` (a list: one value per call, the last
    repeated), recording the iteration counts asked for."""

    def __init__(self, per_run_ms):
        self.per_run_ms = list(per_run_ms)
        self.calls = []

    def __call__(self, iterations):
        self.calls.append(iterations)
        ms = self.per_run_ms.pop(0) if len(self.per_run_ms) > 1 else self.per_run_ms[0]
        return ms * iterations


class MeasureRuntime(unittest.TestCase):
    def test_iterations_make_a_trial_last_the_minimum(self):
        runs = FakeRuns([0.25])
        ms, spread, iterations = tp.measure_runtime(runs, 7, 3, 10.0, NeverStop())
        self.assertEqual(iterations, 40)  # 10 ms / 0.25 ms
        self.assertEqual((ms, spread), (0.25, 0.0))
        self.assertEqual(runs.calls, [1, 1, 1, 40] + [40] * 7)

    def test_slow_runs_get_one_iteration_and_warmup_stops_after_two_seconds(self):
        runs = FakeRuns([900.0])
        _, _, iterations = tp.measure_runtime(runs, 3, 10, 10.0, NeverStop())
        self.assertEqual(iterations, 1)
        self.assertEqual(runs.calls, [1, 1, 1] + [1] * 3)  # warm-up ends once past 2 s

    def test_unsteady_trials_are_taken_again_and_the_steadier_kept(self):
        # Warm-up 1 run, the check trial, 5 unsteady trials, then 5 steady ones.
        runs = FakeRuns([1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0] + [1.1] * 5)
        ms, spread, _ = tp.measure_runtime(runs, 5, 1, 10.0, NeverStop())
        self.assertEqual(len(runs.calls), 12)
        self.assertAlmostEqual(ms, 1.1)
        self.assertEqual(spread, 0.0)

    def test_a_stop_is_raised_between_trials(self):
        class StopAfter:
            def __init__(self, n):
                self.n = n

            def check(self):
                self.n -= 1
                if self.n < 0:
                    raise tp.Interrupted()
        with self.assertRaises(tp.Interrupted):
            tp.measure_runtime(FakeRuns([1.0]), 15, 1, 10.0, StopAfter(5))

    def test_a_bad_time_is_an_error(self):
        with self.assertRaises(tp.ToolError):
            tp.measure_runtime(FakeRuns([float("nan")]), 3, 1, 10.0, NeverStop())


class SimClock:
    def __init__(self):
        self.t = 0.0

    def now(self):
        return self.t

    def sleep(self, seconds):
        self.t += seconds


class SimMeter:
    """An energy counter that shows, every `period` s, the energy up to that update; `watts`
    gives the power at a time."""

    def __init__(self, clock, watts, period=0.1):
        self.clock = clock
        self.watts = watts
        self.update_period_ms = period * 1e3
        self.period = period
        self.reads = 0

    def energy_mj(self, t):
        steps = 1000
        return 1e3 * sum(self.watts(t * (i + 0.5) / steps) for i in range(steps)) * t / steps

    def shown_energy_mj(self):
        """What the counter shows now: the energy up to its last update."""
        return self.energy_mj(math.floor(self.clock.now() / self.period + 1e-9) * self.period)

    def read(self):
        self.reads += 1
        return {"energy_mj": self.shown_energy_mj(), "sm_clock_mhz": 1980, "temperature_c": 40}


class PowerWindow(unittest.TestCase):
    def test_a_window_aligned_to_counter_updates_measures_the_power(self):
        clock = SimClock()
        clock.t = 0.0123  # not on an update
        meter = SimMeter(clock, lambda t: 250.0)

        def step(seconds):
            clock.sleep(seconds)
            return 10  # runs per step
        w = tp.measure_energy_window(meter, step, 1.0, clock, NeverStop())
        self.assertAlmostEqual(w.power_w, 250.0, delta=250.0 * 0.01)
        self.assertGreaterEqual(w.window_s, 1.0 - 0.005)
        self.assertLess(w.window_s, 1.0 + 0.15)
        self.assertAlmostEqual(w.spread_pct, 0.0, places=6)
        self.assertEqual(w.last["sm_clock_mhz"], 1980)
        # The runs counted are those inside the window: about 10 per 5 ms step.
        self.assertAlmostEqual(w.iterations / (w.window_s / 0.005), 10, delta=1)

    def test_power_that_changes_within_the_window_is_averaged_with_a_spread(self):
        clock = SimClock()
        meter = SimMeter(clock, lambda t: 100.0 if int(t / 0.2) % 2 else 300.0)
        w = tp.measure_energy_window(meter, lambda s: clock.sleep(s) or 1, 2.0, clock,
                                     NeverStop())
        self.assertAlmostEqual(w.power_w, 200.0, delta=200.0 * 0.06)
        self.assertGreater(w.spread_pct, 10.0)

    def test_a_counter_that_never_changes_is_an_error(self):
        clock = SimClock()
        meter = SimMeter(clock, lambda t: 0.0)
        with self.assertRaises(tp.ToolError) as caught:
            tp.measure_idle_power(meter, 1.0, clock, NeverStop())
        self.assertIn("did not change", str(caught.exception))
        self.assertLess(clock.t, 4.0)  # 20 periods + 1 s, then the error

    def test_a_counter_going_backwards_is_an_error(self):
        clock = SimClock()

        class Backwards(SimMeter):
            def read(self):
                r = super().read()
                if self.clock.now() > 0.5:
                    r["energy_mj"] -= 1e6
                return r
        with self.assertRaises(tp.ToolError) as caught:
            tp.measure_idle_power(Backwards(clock, lambda t: 50.0), 1.0, clock, NeverStop())
        self.assertIn("backwards", str(caught.exception))

    def test_a_reading_without_energy_is_an_error(self):
        clock = SimClock()

        class NoEnergy(SimMeter):
            def read(self):
                return {}
        with self.assertRaises(tp.ToolError):
            tp.measure_idle_power(NoEnergy(clock, lambda t: 50.0), 1.0, clock, NeverStop())

    def test_a_failure_of_the_background_workload_reaches_the_caller(self):
        class Failing:
            def run_for(self, seconds, chunk):
                raise RuntimeError("device lost")

        class Meter:
            update_period_ms = 100.0

            def read(self):
                return {"energy_mj": 0.0}
        with self.assertRaises(RuntimeError) as caught:
            tp.measure_power_window(Meter(), Failing(), 1, 1.0, tp.SteadyClock(), NeverStop())
        self.assertIn("device lost", str(caught.exception))

    def test_inside_a_window_only_the_energy_counter_is_polled(self):
        clock = SimClock()

        class CountingMeter(SimMeter):
            energy_reads = 0

            def read_energy(self):
                self.energy_reads += 1
                return self.shown_energy_mj()
        meter = CountingMeter(clock, lambda t: 120.0)
        w = tp.measure_energy_window(meter, lambda s: clock.sleep(s) or 1, 1.0, clock,
                                     NeverStop())
        self.assertAlmostEqual(w.power_w, 120.0, delta=1.2)
        self.assertGreater(meter.energy_reads, 100)  # every 5 ms step
        self.assertEqual(meter.reads, 1)  # the other readings once, at the end
        self.assertEqual(w.last["sm_clock_mhz"], 1980)

    def test_the_counter_period_is_measured_not_assumed(self):
        for period in (0.02, 0.1):
            clock = SimClock()
            clock.t = 0.0071
            meter = SimMeter(clock, lambda t: 80.0, period=period)
            self.assertAlmostEqual(tp.measure_counter_period(meter, clock), period * 1e3,
                                   delta=1.0)
        clock = SimClock()
        with self.assertRaises(tp.ToolError) as caught:
            tp.measure_counter_period(SimMeter(clock, lambda t: 0.0), clock)
        self.assertIn("update period is unknown", str(caught.exception))
        self.assertLess(clock.t, 3.1)

    def test_clock_event_reasons_are_named_like_the_cpp_meter(self):
        self.assertEqual(tp.decode_clock_event_reasons(0), "none")
        self.assertEqual(tp.decode_clock_event_reasons(0x4 | 0x1), "gpu_idle,sw_power_cap")
        self.assertEqual(tp.decode_clock_event_reasons(0x1000), "unknown_0x1000")


class Csv(unittest.TestCase):
    def test_cells_are_quoted_only_when_needed_and_read_back(self):
        cells = ["conv", "conv in=1x3x8x8 p=1,1,1,1 fp32", 'say "hi"', ""]
        line = tp.csv_line(cells)
        self.assertEqual(line, 'conv,"conv in=1x3x8x8 p=1,1,1,1 fp32","say ""hi""",\n')
        self.assertEqual(tp.split_csv_line(line.rstrip("\n")), cells)

    def test_numbers_round_trip_and_missing_values_are_empty(self):
        self.assertEqual(tp.number(None), "")
        self.assertEqual(tp.number(float("nan")), "")
        self.assertEqual(tp.number(3), "3")
        self.assertEqual(float(tp.number(0.1 + 0.2)), 0.1 + 0.2)


def dataset_row(kind, config, runtime, power="", status="ok"):
    return {"kind": kind, "config": config, "status": status, "runtime_ms": runtime,
            "power_w": power}


class Compare(unittest.TestCase):
    def test_ratios_per_kind_over_common_configs(self):
        a = {c: dataset_row(k, c, r, p) for k, c, r, p in [
            ("conv", "c1", "1", "100"), ("conv", "c2", "2", "100"), ("conv", "c3", "4", ""),
            ("fc", "f1", "0.5", "")]}
        b = {c: dataset_row(k, c, r, p) for k, c, r, p in [
            ("conv", "c1", "2", "150"), ("conv", "c2", "3", ""), ("fc", "f1", "1", "80"),
            ("fc", "f9", "1", "")]}
        by_kind = tp.compare_tables(a, b)
        self.assertEqual(by_kind["conv"]["common"], 2)
        self.assertEqual(sorted(by_kind["conv"]["runtime"]), [1.5, 2.0])
        self.assertEqual(by_kind["conv"]["power"], [1.5])
        self.assertEqual(by_kind["fc"], {"common": 1, "runtime": [2.0], "power": []})
        self.assertEqual(tp.ratio_summary([1.5, 2.0]), "1.750 [1.625, 1.875]")
        self.assertEqual(tp.ratio_summary([]), "-")


class FakeNvmlError(Exception):
    pass


class FakePynvml:
    """The pynvml calls NvmlMeter makes, on a device at PCI 00000000:3b:00.0 whose newer
    clock-event call is missing from the driver."""
    NVMLError = FakeNvmlError
    NVML_CLOCK_SM, NVML_CLOCK_MEM, NVML_TEMPERATURE_GPU = 1, 2, 0

    def __init__(self):
        self.bus_ids = []
        self.energy = 1000

    def nvmlInit(self):
        pass

    def nvmlSystemGetDriverVersion(self):
        return b"580.65.06"  # older bindings give bytes

    def nvmlDeviceGetHandleByPciBusId(self, bus_id):
        self.bus_ids.append(bus_id)
        if bus_id != "00000000:3b:00.0":
            raise FakeNvmlError("not found")
        return "handle"

    def nvmlDeviceGetTotalEnergyConsumption(self, handle):
        self.energy += 25
        return self.energy

    def nvmlDeviceGetClockInfo(self, handle, clock):
        return {1: 1980, 2: 2619}[clock]

    def nvmlDeviceGetTemperature(self, handle, sensor):
        return 41

    def nvmlDeviceGetEnforcedPowerLimit(self, handle):
        return 700000  # mW

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle):
        raise FakeNvmlError("Function Not Found")

    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle):
        return 0x4


class FakeTorch:
    class cuda:
        class Props:
            pci_domain_id, pci_bus_id, pci_device_id = 0, 0x3B, 0

        @staticmethod
        def get_device_properties(index):
            return FakeTorch.cuda.Props()


class NvmlMeter(unittest.TestCase):
    def test_the_device_is_found_by_bus_id_and_read_in_the_rows_units(self):
        fake = FakePynvml()
        sys.modules["pynvml"] = fake
        try:
            meter = tp.NvmlMeter(FakeTorch, 0)
        finally:
            del sys.modules["pynvml"]
        self.assertEqual(fake.bus_ids, ["00000000:3b:00.0"])
        self.assertEqual(meter.driver, "580.65.06")
        r = meter.read()
        self.assertEqual(r["energy_mj"], 1050)
        self.assertEqual((r["sm_clock_mhz"], r["mem_clock_mhz"], r["temperature_c"]),
                         (1980, 2619, 41))
        self.assertEqual(r["power_limit_w"], 700.0)
        self.assertEqual(r["throttle_reasons"], "sw_power_cap")  # from the older call
        self.assertEqual(meter.read_energy(), 1075)  # the counter alone

    def test_the_newer_temperature_call_is_preferred(self):
        class Newer(FakePynvml):
            def nvmlDeviceGetTemperatureV(self, handle, sensor):
                return 43

            def nvmlDeviceGetTemperature(self, handle, sensor):
                raise AssertionError("the deprecated call was used")
        sys.modules["pynvml"] = Newer()
        try:
            meter = tp.NvmlMeter(FakeTorch, 0)
        finally:
            del sys.modules["pynvml"]
        self.assertEqual(meter.read()["temperature_c"], 43)


if __name__ == "__main__":
    unittest.main()
