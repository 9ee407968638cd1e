#!/usr/bin/python3
"""Writes the bad input files of tests/bad_input/files/ (run with Debian's /usr/bin/python3 and
its python3-onnx): each file is a good one from the repository with one thing broken, so that a
case's message can only come from that one thing.

    /usr/bin/python3 tests/bad_input/make_files.py
"""
import csv
import io
import json
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FILES = os.path.join(HERE, "files")


def write(name, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(FILES, name), mode) as f:
        f.write(data)


def onnx_files():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])
    nodes = [helper.make_node("Relu", ["x"], ["y"], name="relu"),
             helper.make_node("Sigmoid", ["x"], ["y"], name="sigmoid")]
    model = helper.make_model(helper.make_graph(nodes, "two-producers", [x], [y]),
                              opset_imports=[helper.make_opsetid("", 17)])
    write("two-producers.onnx", model.SerializeToString())
    # A dynamic batch and image size, as exporters write them.
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, "H", "W"])
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 3, 3, 3], [0.0] * 108)
    nodes = [helper.make_node("Conv", ["image", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["out"], name="relu")]
    model = helper.make_model(helper.make_graph(nodes, "dynamic", [image], [out], [w]),
                              opset_imports=[helper.make_opsetid("", 17)])
    write("dynamic.onnx", model.SerializeToString())
    write("garbage.onnx", b"this is not a protobuf \x00\xff\x12\x34 at all\n")
    write("empty.onnx", b"")


def csv_text(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def dataset_files():
    with open(os.path.join(ROOT, "tests/fixtures/cpu-epyc-1t-layers-subset.csv")) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], [r for r in rows[1:] if r[0] == "pool"][:12]
    col = {name: i for i, name in enumerate(header)}
    write("dataset.csv", csv_text([header] + body))

    def broken(name, column, value, row=2):
        changed = [list(r) for r in body]
        changed[row][col[column]] = value
        write(name, csv_text([header] + changed))

    broken("runtime-negative.csv", "runtime_ms", "-5")
    broken("runtime-zero.csv", "runtime_ms", "0")
    broken("runtime-huge.csv", "runtime_ms", "1e300")
    broken("runtime-word.csv", "runtime_ms", "fast")
    broken("power-negative.csv", "power_w", "-40")
    broken("trials-fraction.csv", "trials", "2.5")
    broken("status-done.csv", "status", "done")
    broken("kind-unknown.csv", "kind", "convolution")
    renamed = list(header)
    renamed[col["source_network"]] = "source_net"
    write("header-renamed.csv", csv_text([renamed] + body))
    short = [list(r) for r in body]
    short[1] = short[1][:-1]
    write("row-short.csv", csv_text([header] + short))
    write("empty.csv", "")


def model_files():
    with open(os.path.join(ROOT, "fuzz/corpus/model_file/conv-pool-power.json")) as f:
        model = json.load(f)
    write("model.json", json.dumps(model, indent=1) + "\n")

    def broken(name, change):
        m = json.loads(json.dumps(model))
        change(m)
        write(name, json.dumps(m, indent=1) + "\n")

    def huge(m):
        m["kinds"]["conv"]["runtime_ms"]["terms"][0]["coefficient"] = 1e300
    broken("model-coefficient-1e300.json", huge)
    broken("model-version-9.json", lambda m: m.update(version=9))

    def negative(m):
        m["kinds"]["pool"]["power_w"]["terms"][0]["exponents"][2] = -1
    broken("model-exponent-negative.json", negative)

    def lam(m):
        m["kinds"]["pool"]["runtime_ms"]["lambda"] = -0.5
    broken("model-lambda-negative.json", lam)
    # A platform of another CPU: predict warns that the model is for that machine.
    broken("model-other-cpu.json",
           lambda m: m["platform"].update(device="Some Other CPU 9000 (1 thread)"))


def nets_files():
    with open(os.path.join(ROOT, "data/cpu-epyc-1t/nets.json")) as f:
        nets = json.load(f)
    nets["networks"] = [n for n in nets["networks"] if n["network"] == "nin"][:1]
    write("nets.json", json.dumps(nets, indent=1) + "\n")
    nets["networks"][0]["layers"][0]["runtime_ms"] = -2.5
    write("nets-runtime-negative.json", json.dumps(nets, indent=1) + "\n")


def other_files():
    write("empty.json", "")
    write("not-json.json", "{\"format\": \"neuralpower-network\", bad}\n")
    with open(os.path.join(ROOT, "zoo/paper/lenet.json")) as f:
        lenet = json.load(f)

    def net(name, change):
        n = json.loads(json.dumps(lenet))
        change(n)
        write(name, json.dumps(n, indent=1) + "\n")

    net("net-kind-unknown.json", lambda n: n["layers"][1].update(kind="convolution"))
    net("net-channels-negative.json", lambda n: n["layers"][1].update(out_channels=-20))
    net("net-dilation-huge.json", lambda n: n["layers"][1].update(dilation=4611686018427387904))
    net("net-fp16.json", lambda n: n.update(dtype="fp16"))
    text = open(os.path.join(ROOT, "zoo/paper/lenet.json")).read()
    write("net-key-twice.json", text.replace('"batch": 128,', '"batch": 128, "batch": 64,'))
    with open(os.path.join(ROOT, "tests/netjson/fixtures/paleo_cycle.json")) as f:
        write("paleo-cycle.json", f.read())
    write("gpu-no-id.json", json.dumps({"name": "My GPU", "peak_gflops": 1000,
                                        "bandwidth_gbps": 100}) + "\n")
    write("gpu-not-json.json", "{\"id\": \"x\",,}\n")
    write("epr-error-word.csv", "name,error,epi_mj\nVGG-16,high,1178.9\n")
    write("epr-header-only.csv", "name,error,epi_mj\n")


if __name__ == "__main__":
    os.makedirs(FILES, exist_ok=True)
    onnx_files()
    dataset_files()
    model_files()
    nets_files()
    other_files()
