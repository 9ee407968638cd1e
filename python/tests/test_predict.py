"""Predictions through the Python API against `neuralpower predict --format json`: model files,
per-layer values and flags, totals (eqs. 3-5), the Paleo baseline, and predict_many."""

import math
import os
import unittest

import neuralpower as npw
from common import CPU_MODEL, POWER_MODEL, SOURCE, cli_error, cli_json


def close(a, b):
    return (
        a is None
        and b is None
        or a is not None
        and b is not None
        and math.isclose(a, b, rel_tol=1e-12)
    )


class Models(unittest.TestCase):
    def test_a_model_file_and_what_it_holds(self):
        model = npw.load_model(CPU_MODEL)
        self.assertEqual(model.path, str(CPU_MODEL))
        self.assertEqual(model.label, "cpu-epyc-1t-fp32.json (AMD EPYC (1 thread), fp32)")
        self.assertEqual(model.platform["backend"], "cpu")
        kinds = {k.kind: k for k in model.kinds}
        self.assertTrue(kinds["conv"].runtime)
        self.assertFalse(kinds["conv"].power)
        self.assertIn("batch", kinds["conv"].features)
        self.assertGreater(kinds["conv"].runtime_cv_rmspe, 0)
        self.assertIsNone(kinds["conv"].power_cv_rmspe)
        self.assertIn("synthetic", repr(npw.load_model(POWER_MODEL)))

    def test_the_default_model_is_the_one_predict_uses_without_model(self):
        saved = os.environ.get("NEURALPOWER_MODEL")
        try:
            os.environ["NEURALPOWER_MODEL"] = str(POWER_MODEL)
            self.assertEqual(npw.load_model().path, str(POWER_MODEL))
            os.environ["NEURALPOWER_MODEL"] = "/nonexistent/model.json"
            with self.assertRaisesRegex(
                npw.Error, "^no model given and no shipped model at /nonexistent/model.json$"
            ):
                npw.load_model()
        finally:
            if saved is None:
                os.environ.pop("NEURALPOWER_MODEL", None)
            else:
                os.environ["NEURALPOWER_MODEL"] = saved

    def test_a_bad_model_file_is_an_error_with_the_cli_message(self):
        bad = SOURCE / "tests/fixtures/paper_table7.csv"
        expected = cli_error("predict", "nin", "--model", bad)
        with self.assertRaises(npw.Error) as caught:
            npw.load_model(bad)
        self.assertEqual(str(caught.exception), expected)


class Predict(unittest.TestCase):
    def check_against_cli(self, network, model_path, *args):
        net = npw.load_network(network, **({"batch": int(args[1])} if args else {}))
        p = npw.predict(net, npw.load_model(model_path))
        expected = cli_json("predict", network, "--model", model_path, *args)
        self.assertEqual(p.network, expected["network"])
        self.assertEqual(p.batch, expected["batch"])
        self.assertEqual(p.model, expected["model"])
        self.assertEqual(len(p.layers), len(expected["layers"]))
        for layer, want in zip(p.layers, expected["layers"]):
            self.assertEqual(layer.name, want["name"])
            self.assertEqual(layer.kind, want["kind"])
            self.assertEqual(layer.index, want["index"])
            self.assertTrue(close(layer.runtime_ms, want["runtime_ms"]), layer.name)
            self.assertTrue(close(layer.power_w, want["power_w"]), layer.name)
            self.assertTrue(close(layer.energy_mj, want["energy_mj"]), layer.name)
            self.assertEqual(list(layer.flags), want["flags"])
        total = expected["total"]
        self.assertTrue(close(p.runtime_ms, total["runtime_ms"]))
        self.assertTrue(close(p.power_w, total["power_w"]))
        self.assertTrue(close(p.energy_mj, total["energy_mj"]))
        self.assertTrue(close(p.runtime_without_power_ms, total["runtime_without_power_ms"]))
        self.assertEqual(len(p.layers_without_model), total["layers_without_model"])
        return p

    def test_runtime_only_prediction_equals_the_cli(self):
        p = self.check_against_cli("resnet50", CPU_MODEL)
        self.assertIsNone(p.power_w)
        self.assertIsNone(p.energy_per_item_mj)
        self.assertFalse(p.complete)
        self.assertEqual(
            p.flag_counts()["no-power-model"], len(p.layers) - p.flag_counts().get("zero-cost", 0)
        )
        self.assertTrue(math.isclose(p.runtime_ms, sum(l.runtime_ms for l in p.layers)))

    def test_prediction_with_power_equals_the_cli_and_eqs_3_to_5(self):
        p = self.check_against_cli("alexnet-v2", POWER_MODEL, "--batch", "4")
        powered = [l for l in p.layers if l.power_w is not None]
        self.assertTrue(powered)
        energy = sum(l.power_w * l.runtime_ms for l in powered)
        self.assertTrue(math.isclose(p.energy_mj, energy))  # eq. 5
        self.assertTrue(
            math.isclose(p.power_w, energy / sum(l.runtime_ms for l in powered))
        )  # eq. 4
        for l in powered:
            self.assertTrue(math.isclose(l.energy_mj, l.power_w * l.runtime_ms))

    def test_layers_without_a_model_make_the_total_incomplete(self):
        # The synthetic model has no lrn and softmax models; alexnet-2012 has both.
        p = npw.predict(npw.load_network("alexnet-2012"), npw.load_model(POWER_MODEL))
        missing = p.layers_without_model
        self.assertTrue(missing)
        self.assertEqual({l.kind for l in missing}, {"lrn", "softmax"})
        self.assertTrue(all("no-model" in l.flags and l.runtime_ms == 0 for l in missing))
        self.assertFalse(p.complete)
        full = npw.predict(npw.load_network("vgg-16"), npw.load_model(CPU_MODEL))
        self.assertEqual(full.layers_without_model, ())

    def test_top_and_by_kind(self):
        p = npw.predict(npw.load_network("resnet50"), npw.load_model(POWER_MODEL))
        top = p.top(5)
        self.assertEqual(len(top), 5)
        runtimes = [l.runtime_ms for l in top]
        self.assertEqual(runtimes, sorted(runtimes, reverse=True))
        self.assertEqual(runtimes[0], max(l.runtime_ms for l in p.layers))
        by_energy = p.top(3, by="energy")
        self.assertTrue(all(l.energy_mj is not None for l in by_energy))
        kinds = p.by_kind()
        self.assertTrue(math.isclose(sum(kinds.values()), p.runtime_ms))
        self.assertEqual(list(kinds), sorted(kinds, key=kinds.get, reverse=True))
        self.assertTrue(math.isclose(sum(p.by_kind("energy").values()), p.energy_mj))
        with self.assertRaises(ValueError):
            p.top(3, by="flops")

    def test_to_pandas_is_numeric(self):
        p = npw.predict(npw.load_network("resnet50"), npw.load_model(POWER_MODEL))
        frame = p.to_pandas()
        self.assertEqual(len(frame), len(p.layers))
        self.assertEqual(str(frame["power_w"].dtype), "float64")
        self.assertTrue(frame["power_w"].isna().any())  # add layers: no power model
        self.assertTrue(math.isclose(frame["runtime_share"].sum(), 1.0))
        self.assertTrue(math.isclose(frame["energy_mj"].sum(), p.energy_mj))

    def test_paleo_equals_the_cli(self):
        net = npw.load_network("vgg-16")
        p = npw.paleo(net, "titan-x")
        expected = cli_json("predict", "vgg-16", "--baseline", "paleo", "--gpu", "titan-x")
        self.assertEqual(p.model, expected["model"])
        self.assertTrue(close(p.runtime_ms, expected["total"]["runtime_ms"]))
        self.assertIsNone(p.power_w)
        self.assertIn("titan-x", npw.gpu_specs())
        with self.assertRaises(npw.Error):
            npw.paleo(net, "no-such-gpu")

    def test_wrong_argument_types(self):
        with self.assertRaises(TypeError):
            npw.predict("resnet50", npw.load_model(CPU_MODEL))
        with self.assertRaises(TypeError):
            npw.predict(npw.load_network("nin"), str(CPU_MODEL))


class PredictMany(unittest.TestCase):
    def test_totals_equal_predict_for_every_network_and_batch(self):
        nets = [
            npw.load_network(name) for name in ("nin", "resnet18", "alexnet-v2", "mobilenet_v2")
        ]
        for model in (npw.load_model(CPU_MODEL), npw.load_model(POWER_MODEL)):
            batches = [1, 8, 32]
            result = npw.predict_many(nets, model, batches=batches)
            self.assertEqual(len(result), len(nets) * len(batches))
            self.assertEqual(result.networks, tuple(n.name for n in nets))
            for i in range(len(result)):
                net = nets[result.network[i]].with_batch(result.batch[i])
                p = npw.predict(net, model)
                self.assertTrue(close(result.runtime_ms[i], p.runtime_ms))
                self.assertTrue(close(result.power_w[i], p.power_w))
                self.assertTrue(close(result.energy_mj[i], p.energy_mj))
                self.assertTrue(
                    close(result.runtime_without_power_ms[i], p.runtime_without_power_ms)
                )
                self.assertEqual(result.layers[i], len(p.layers))
                self.assertEqual(result.layers_without_model[i], len(p.layers_without_model))
            self.assertEqual(result.batch, tuple(batches * len(nets)))
            self.assertEqual(result.network, tuple(i for i in range(len(nets)) for _ in batches))

    def test_each_network_at_its_own_batch_without_batches(self):
        nets = [npw.load_network("vgg-16"), npw.load_network("nin", batch=3)]
        result = npw.predict_many(nets, npw.load_model(CPU_MODEL))
        self.assertEqual(result.batch, (64, 3))
        frame = result.to_pandas()
        self.assertEqual(list(frame["name"]), ["vgg-16", "nin"])
        self.assertEqual(str(frame["power_w"].dtype), "float64")

    def test_bad_input(self):
        model = npw.load_model(CPU_MODEL)
        with self.assertRaisesRegex(npw.Error, "batch must be positive, got 0"):
            npw.predict_many([npw.load_network("nin")], model, batches=[1, 0])
        with self.assertRaises(TypeError):
            npw.predict_many(["nin"], model)
        self.assertEqual(len(npw.predict_many([], model, batches=[1])), 0)


if __name__ == "__main__":
    unittest.main()
