#!/usr/bin/env python3
"""Writes the ONNX fixtures of Tests/NetworksTests/ONNXImportTests.swift into onnx/.

Small models with random weights (seeded), exported in eval mode by torch.onnx.export (torch's
default exporter), and what torch computes on them:

  mlp.onnx      [12] -> Linear(12, 16) -> ReLU -> Linear(16, 16) -> GELU -> Linear(16, 4)
  cnn.onnx      [2, 8, 8] -> Conv2d(2, 6, 3, padding=1) -> BatchNorm2d -> ReLU -> MaxPool2d(2)
                -> Conv2d(6, 8, 3, stride=2, padding=1) -> LeakyReLU(0.1) -> AvgPool2d(2)
                -> Flatten -> Linear(8, 5)
  graph.onnx    [4, 6, 6] -> stem Conv2d(4, 8, 3, padding=1) -> ReLU; a residual block
                (conv-bn-relu-conv-bn, + the stem, ReLU); concat with a 1x1 branch (SiLU); a
                depthwise 3x3 convolution (groups 12) with a layernorm over channels between two
                permutes (ConvNeXt's); a sigmoid gate (x * sigmoid(conv(x))); global average pooling; LayerNorm(12); GELU;
                Linear(12, 3)
  erf.onnx      [6] -> Linear(6, 8) -> GELU -> Linear(8, 8) -> SiLU -> Linear(8, 3), exported at
                opset 18, where GELU has no operator of its own: x/√2, Erf, +1, ·0.5, ·x, and SiLU
                is x · Sigmoid(x)
  erf-ts.onnx   the same model through torch's older TorchScript exporter (dynamo=False, opset
                17), which writes the same GELU in another order: ·x before ·0.5
  embedding.onnx [5] token ids (int64) -> Embedding(12, 4) -> Flatten -> Linear(20, 3): a Gather
                of the table; "embedding.x" holds the ids as float32
  not-gelu.onnx, half-gelu.onnx  written with onnx.helper: erf(x/2), and erf(x/√2) read by a
                MatMul: arithmetic that is not GELU, which the import refuses
  unsupported.onnx  [5] -> Linear(5, 5) -> cumsum (an operator Loupe does not map)
  matmul.onnx   written with onnx.helper: MatMul + Add (a bias), Tanh, Identity, MatMul; numpy's
                output

expected.safetensors: "<model>.x" (float32 inputs [4, size]) and "<model>.logits" (float32,
torch in float32). Batchnorm statistics are random. The test also truncates graph.onnx itself.

Run (needs torch, onnx, onnxscript, safetensors; never in CI):
    pip install torch onnx onnxscript safetensors
    python3 Tests/Fixtures/networks/make_onnx_fixtures.py
Made with torch 2.15.0 (CPU), onnx 1.23.2, onnxscript 0.7.2, safetensors 0.8.0.
"""
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx")
os.makedirs(HERE, exist_ok=True)
torch.manual_seed(17)


def randomize_batchnorms(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    return model


class Graph(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(4, 8, 3, padding=1)
        self.conv1, self.bn1 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.branch = nn.Conv2d(8, 4, 1)
        self.depthwise = nn.Conv2d(12, 12, 3, padding=1, groups=12)
        self.channel_norm = nn.LayerNorm(12)
        self.gate = nn.Conv2d(12, 12, 1)
        self.norm = nn.LayerNorm(12)
        self.head = nn.Linear(12, 3)

    def forward(self, x):
        s = torch.relu(self.stem(x))
        y = torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(s))))) + s)
        y = torch.cat([y, nn.functional.silu(self.branch(y))], dim=1)
        y = self.channel_norm(self.depthwise(y).permute(0, 2, 3, 1)).permute(0, 3, 1, 2).contiguous()
        y = y * torch.sigmoid(self.gate(y))
        y = nn.functional.adaptive_avg_pool2d(y, 1).flatten(1)
        return self.head(nn.functional.gelu(self.norm(y)))


class Embedded(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 4)
        self.fc = nn.Linear(20, 3)

    def forward(self, ids):
        return self.fc(self.embed(ids).flatten(1))


class CumSum(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 5)

    def forward(self, x):
        return torch.cumsum(self.fc(x), dim=1)


models = {
    "mlp": ([12], nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.GELU(), nn.Linear(16, 4))),
    "cnn": ([2, 8, 8], nn.Sequential(nn.Conv2d(2, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2),
                                     nn.Conv2d(6, 8, 3, stride=2, padding=1), nn.LeakyReLU(0.1), nn.AvgPool2d(2),
                                     nn.Flatten(), nn.Linear(8, 5))),
    "graph": ([4, 6, 6], Graph()),
    "unsupported": ([5], CumSum()),
}
tensors = {}
for name, (shape, model) in models.items():
    model = randomize_batchnorms(model).eval()
    x = torch.randn(4, *shape)
    # A dynamic batch axis, except for the graph: its permutes would make the exporter compute
    # the later reshape's shape from the input's at run time (Shape, Gather, …), which Loupe
    # does not evaluate; with a fixed batch the shape is a constant.
    torch.onnx.export(model, (x,), os.path.join(HERE, f"{name}.onnx"), input_names=["x"], output_names=["logits"],
                      dynamic_axes=None if name == "graph" else {"x": {0: "batch"}}, external_data=False)
    with torch.no_grad():
        tensors[f"{name}.x"] = x.reshape(4, -1).contiguous()
        tensors[f"{name}.logits"] = model(x).contiguous()
# GELU and SiLU as opset 18 spells them, through both exporters.
erf = nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 8), nn.SiLU(), nn.Linear(8, 3)).eval()
x = torch.randn(4, 6)
for name, dynamo, opset in [("erf", True, 18), ("erf-ts", False, 17)]:
    torch.onnx.export(erf, (x,), os.path.join(HERE, f"{name}.onnx"), input_names=["x"], output_names=["logits"],
                      dynamic_axes={"x": {0: "batch"}}, opset_version=opset, dynamo=dynamo, external_data=False)
with torch.no_grad():
    tensors["erf.x"], tensors["erf.logits"] = x, erf(x).contiguous()
embedded = Embedded().eval()
ids = torch.randint(0, 12, (4, 5))
torch.onnx.export(embedded, (ids,), os.path.join(HERE, "embedding.onnx"), input_names=["ids"], output_names=["logits"],
                  dynamic_axes={"ids": {0: "batch"}}, external_data=False)
with torch.no_grad():
    tensors["embedding.x"], tensors["embedding.logits"] = ids.float(), embedded(ids).contiguous()

# MatMul followed by the Add of a bias (how a Linear layer appears in some exports), written
# with onnx.helper; its expected output from numpy.
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(17)
w1, b1 = rng.standard_normal((6, 8)).astype(np.float32), rng.standard_normal(8).astype(np.float32)
w2 = rng.standard_normal((8, 3)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"), helper.make_node("Add", ["h", "b1"], ["z"], name="fc1_bias"),
     helper.make_node("Tanh", ["z"], ["t"], name="tanh"), helper.make_node("Identity", ["t"], ["u"], name="same"),
     helper.make_node("MatMul", ["u", "w2"], ["logits"], name="fc2")],
    "matmul", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 6])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"), numpy_helper.from_array(w2, "w2")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), os.path.join(HERE, "matmul.onnx"))
x = rng.standard_normal((4, 6)).astype(np.float32)
tensors["matmul.x"] = torch.from_numpy(x)
tensors["matmul.logits"] = torch.from_numpy(np.tanh(x @ w1 + b1) @ w2)

# Arithmetic that is not GELU, which Loupe must refuse: erf(x/2), and erf(x/√2) read by a MatMul.
for name, divisor, read in [("not-gelu", 2.0, "e"), ("half-gelu", 2.0 ** 0.5, "e")]:
    graph = helper.make_graph(
        [helper.make_node("Div", ["x", "c"], ["d"], name="div"), helper.make_node("Erf", ["d"], ["e"], name="erf"),
         helper.make_node("MatMul", [read, "w2"], ["logits"], name="fc")],
        name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(np.array(divisor, dtype=np.float32), "c"), numpy_helper.from_array(w2, "w2")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), os.path.join(HERE, f"{name}.onnx"))

save_file(tensors, os.path.join(HERE, "expected.safetensors"))
print("wrote", sorted(os.listdir(HERE)))
