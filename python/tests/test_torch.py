"""from_torch: a PyTorch module exported through torch.onnx in memory, against the same module
exported to a file and loaded by the command line; and the ImportError without PyTorch."""

import importlib.util
import os
import subprocess
import sys
import tempfile
import unittest

import neuralpower as npw
from common import CPU_MODEL, cli_json

HAVE_TORCH = importlib.util.find_spec("torch") is not None


def small_cnn():
    import torch

    class SmallCnn(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = torch.nn.Conv2d(3, 16, 3, padding=1)
            self.bn1 = torch.nn.BatchNorm2d(16)
            self.pool = torch.nn.MaxPool2d(2)
            self.conv2 = torch.nn.Conv2d(16, 32, 3, stride=2, padding=1, bias=False)
            self.fc = torch.nn.Linear(32 * 8 * 8, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.bn1(self.conv1(x))))
            x = torch.relu(self.conv2(x))
            return self.fc(torch.flatten(x, 1))

    return SmallCnn()


@unittest.skipUnless(HAVE_TORCH, "PyTorch is not installed (Debian: apt-get install python3-torch)")
class FromTorch(unittest.TestCase):
    def test_round_trip_matches_the_file_export_and_the_layer_arithmetic(self):
        import torch

        module = small_cnn()
        example = torch.zeros(2, 3, 32, 32)
        net = npw.from_torch(module, example)
        self.assertEqual(net.name, "SmallCnn")
        self.assertEqual(net.batch, 2)
        kinds = [l.kind for l in net.layers if l.kind != "input"]
        self.assertEqual(kinds.count("conv"), 2)
        self.assertEqual(kinds.count("fc"), 1)
        self.assertIn("pool", kinds)
        conv1 = [l for l in net.layers if l.kind == "conv"][0]
        self.assertEqual(conv1.output_shape, (2, 16, 32, 32))
        self.assertEqual(conv1.macs, 2 * 16 * 32 * 32 * 3 * 3 * 3)
        fc = [l for l in net.layers if l.kind == "fc"][0]
        self.assertEqual(fc.params, 32 * 8 * 8 * 10 + 10)
        self.assertEqual(fc.output_shape, (2, 10))
        conv2 = [l for l in net.layers if l.kind == "conv"][1]
        self.assertEqual(conv2.params, 32 * 16 * 3 * 3)  # no bias
        self.assertTrue(module.training)  # exported in eval mode, left as it was

        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "small.onnx")
            torch.onnx.export(module, (example,), path, do_constant_folding=True)
            shown = cli_json("show", path)
            from_file = npw.load_network(path)
        self.assertEqual([l.flops for l in net.layers], [l.flops for l in from_file.layers])
        self.assertEqual(net.total.flops, shown["total"]["flops"])

        bigger = npw.from_torch(module, example, name="small", batch=8)
        self.assertEqual((bigger.name, bigger.batch), ("small", 8))
        self.assertEqual(bigger.total.flops, 4 * net.total.flops)
        p = npw.predict(bigger, npw.load_model(CPU_MODEL))
        self.assertGreater(p.runtime_ms, 0)
        self.assertEqual(p.layers_without_model, ())

    def test_an_op_the_ir_does_not_model(self):
        import torch

        class WithCumsum(torch.nn.Module):
            def forward(self, x):
                return torch.cumsum(torch.relu(x), dim=1)

        with self.assertRaisesRegex(npw.Error, "CumSum"):
            npw.from_torch(WithCumsum(), torch.zeros(1, 4, 8, 8))
        net = npw.from_torch(WithCumsum(), torch.zeros(1, 4, 8, 8), allow_unknown=True)
        self.assertEqual(len(net.unmodelled), 1)
        self.assertIn("CumSum", net.unmodelled[0])

    def test_not_a_module(self):
        import torch

        with self.assertRaises(TypeError):
            npw.from_torch(lambda x: x, torch.zeros(1, 3, 8, 8))


class WithoutTorch(unittest.TestCase):
    def test_from_torch_raises_an_import_error_saying_how_to_install_torch(self):
        # A fresh interpreter in which `import torch` fails, as where PyTorch is not installed.
        script = (
            "import sys; sys.modules['torch'] = None\n"
            "import neuralpower\n"
            "try:\n"
            "    neuralpower.from_torch(object(), None)\n"
            "except ImportError as e:\n"
            "    print(e)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.stdout.strip(),
            "neuralpower.from_torch needs PyTorch, which is not installed: on Debian "
            "`apt-get install python3-torch`, elsewhere `pip install torch`",
        )

    def test_to_pandas_raises_an_import_error_saying_how_to_install_pandas(self):
        script = (
            "import sys; sys.modules['pandas'] = None\n"
            "import neuralpower\n"
            "try:\n"
            "    neuralpower.load_network('lenet').to_pandas()\n"
            "except ImportError as e:\n"
            "    print(e)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=os.environ
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("to_pandas() needs pandas, which is not installed", result.stdout)


if __name__ == "__main__":
    unittest.main()
