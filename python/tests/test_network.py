"""Networks through the Python API: every way to load one, the layers and costs `show` prints,
batches and input shapes, and errors as neuralpower.Error with the command line's message."""

import unittest

import neuralpower as npw
from common import SOURCE, cli_error, cli_json


class LoadNetwork(unittest.TestCase):
    def test_a_zoo_network_has_the_layers_and_costs_show_prints(self):
        net = npw.load_network("vgg-16")
        shown = cli_json("show", "vgg-16")
        self.assertEqual(net.name, shown["network"])
        self.assertEqual(net.batch, shown["batch"])
        self.assertEqual(net.dtype, shown["dtype"])
        self.assertEqual(len(net.layers), len(shown["layers"]))
        shapes_seen = {}  # output shapes as show prints them, of the layers seen so far
        for layer, expected in zip(net.layers, shown["layers"]):
            self.assertEqual(layer.name, expected["name"])
            self.assertEqual(layer.kind, expected["kind"])
            self.assertEqual(layer.op, expected["op"])
            self.assertEqual(list(layer.inputs), expected["inputs"])
            self.assertEqual(list(layer.output_shape), expected["output_shape"])
            producers = [shapes_seen[name] for name in expected["inputs"]]
            self.assertEqual([list(s) for s in layer.input_shapes], producers)
            shapes_seen[layer.name] = expected["output_shape"]
            for field in ("flops", "params", "bytes", "bytes_read", "bytes_written"):
                self.assertEqual(getattr(layer, field), expected[field], (layer.name, field))
        total = net.total
        self.assertEqual(total.flops, shown["total"]["flops"])
        self.assertEqual(total.params, shown["total"]["params"])
        self.assertEqual(total.bytes, shown["total"]["bytes"])
        self.assertEqual(total.layers, shown["total"]["layers"])
        self.assertEqual(total.params, sum(l.params for l in net.layers))
        self.assertEqual(len(net), len(net.layers))
        self.assertEqual(net.layers[0].kind, "input")
        self.assertEqual([l.index for l in net.layers], list(range(len(net))))

    def test_files_bytes_and_paths_load_the_same_network(self):
        path = SOURCE / "zoo/onnx/resnet18.onnx"
        by_name = npw.load_network("resnet18", batch=2)
        by_path = npw.load_network(str(path), batch=2)
        by_pathlike = npw.load_network(path, batch=2)
        by_bytes = npw.load_network(path.read_bytes(), batch=2)
        by_onnx = npw.load_onnx(path.read_bytes(), name="resnet18", batch=2)
        for net in (by_path, by_pathlike, by_bytes, by_onnx):
            self.assertEqual(net.layers, by_name.layers)
            self.assertEqual(net.batch, 2)
        self.assertEqual(by_onnx.name, "resnet18")
        json_net = npw.load_network(SOURCE / "zoo/paper/nin.json")
        self.assertEqual(json_net.layers, npw.load_network("nin").layers)

    def test_a_quantized_networks_layers_carry_their_data_type(self):
        net = npw.load_network(SOURCE / "tests/onnx/fixtures/resnet18_qdq.onnx")
        shown = cli_json("show", str(SOURCE / "tests/onnx/fixtures/resnet18_qdq.onnx"))
        self.assertEqual(net.dtype, "fp32")
        self.assertEqual([l.dtype for l in net.layers], [l["dtype"] for l in shown["layers"]])
        convs = [l for l in net.layers if l.kind == "conv"]
        self.assertEqual({l.dtype for l in convs}, {"int8"})
        self.assertEqual(net.layers[-1].dtype, "fp32")

    def test_a_detector_runs_one_image_without_a_batch_dim(self):
        net = npw.load_network("ssdlite320_mobilenet_v3_large")
        shown = cli_json("show", "ssdlite320_mobilenet_v3_large")
        self.assertEqual((net.batch, net.has_batch_dim), (1, False))
        self.assertEqual(shown["has_batch_dim"], False)
        self.assertTrue(npw.load_network("resnet18").has_batch_dim)
        with self.assertRaises(npw.Error) as refused:
            net.with_batch(2)
        self.assertIn("has no batch dim", str(refused.exception))

    def test_batch_and_input_shapes(self):
        net = npw.load_network("alexnet-v2", batch=3)
        self.assertEqual(net.batch, 3)
        self.assertTrue(all(l.output_shape[0] == 3 for l in net.layers))
        bigger = net.with_batch(12)
        self.assertEqual(bigger.batch, 12)
        self.assertEqual(net.batch, 3)  # unchanged: networks are immutable
        conv = [l for l in bigger.layers if l.kind == "conv"][0]
        conv3 = [l for l in net.layers if l.kind == "conv"][0]
        self.assertEqual(conv.flops, 4 * conv3.flops)
        self.assertEqual(conv.params, conv3.params)
        shown = cli_json("show", "resnet18", "--input-shape", "2x3x160x160")
        for shape in ("2x3x160x160", (2, 3, 160, 160), [2, 3, 160, 160]):
            small = npw.load_network("resnet18", input_shape=shape)
            self.assertEqual(small.total.flops, shown["total"]["flops"])
        input_name = npw.load_network("resnet18").layers[0].name
        named = npw.load_network("resnet18", input_shape={input_name: "2x3x160x160"})
        first_conv = [l for l in named.layers if l.kind == "conv"][0]
        self.assertEqual(first_conv.input_shapes, ((2, 3, 160, 160),))
        self.assertEqual(named.total.flops, shown["total"]["flops"])

    def test_zoo_lists_the_shipped_networks(self):
        names = npw.zoo()
        for name in ("resnet50", "vgg-16", "nin", "lenet"):
            self.assertIn(name, names)
        for name in names[:5]:
            self.assertGreater(len(npw.load_network(name)), 1)

    def test_to_pandas_has_a_row_per_layer(self):
        frame = npw.load_network("lenet").to_pandas()
        net = npw.load_network("lenet")
        self.assertEqual(len(frame), len(net))
        self.assertEqual(list(frame["name"]), [l.name for l in net.layers])
        self.assertEqual(int(frame["flops"].sum()), net.total.flops)


class NetworkErrors(unittest.TestCase):
    def assert_same_error(self, cli_args, call):
        expected = cli_error(*cli_args)
        with self.assertRaises(npw.Error) as caught:
            call()
        self.assertEqual(str(caught.exception), expected)
        self.assertIsInstance(caught.exception, RuntimeError)

    def test_errors_carry_the_command_lines_message(self):
        self.assert_same_error(["show", "no-such-net"], lambda: npw.load_network("no-such-net"))
        self.assert_same_error(
            ["show", "vgg-16", "--input-shape", "1x3x0x224"],
            lambda: npw.load_network("vgg-16", input_shape="1x3x0x224"),
        )
        fusions = str(SOURCE / "tests/onnx/fixtures/fusions.onnx")
        self.assert_same_error(["show", fusions], lambda: npw.load_network(fusions))
        self.assert_same_error(
            ["show", "resnet18", "--input-shape", "nosuch=1x3x224x224"],
            lambda: npw.load_network("resnet18", input_shape={"nosuch": (1, 3, 224, 224)}),
        )

    def test_bad_arguments(self):
        with self.assertRaisesRegex(npw.Error, "batch must be positive, got 0"):
            npw.load_network("nin", batch=0)
        with self.assertRaisesRegex(npw.Error, "batch must be positive, got -2"):
            npw.load_network("nin").with_batch(-2)
        with self.assertRaises(TypeError):
            npw.load_network("nin", batch=2.5)
        with self.assertRaises(TypeError):
            npw.load_network(42)
        with self.assertRaises(TypeError):
            npw.load_network("nin", input_shape=(1, 3.5, 2))
        with self.assertRaises(npw.Error):
            npw.load_onnx(b"not an onnx model")


if __name__ == "__main__":
    unittest.main()
