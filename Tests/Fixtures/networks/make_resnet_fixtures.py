#!/usr/bin/env python3
"""Writes resnet18.safetensors for Tests/InterpretTests/Attribution/ResNetParityTests.swift.

torchvision's resnet18 (num_classes=10) on 3x32x32 inputs, its weights drawn from a hash of each
tensor's name and index (below) so that the test makes the same 11 million weights itself
instead of reading 45 MB: only the inputs, torch's outputs and Zennit's relevances are stored.

Weights (u in [0, 1) from `uniforms(name, count)`, computed in float64, rounded to float32):
  conv and linear weight and bias   (2u - 1) / sqrt(fan_in)
  batchnorm                         sigma = [0.5, 1, 2][floor(3 u(running_var))], running_var = sigma^2,
                                    weight = [0.5, 1, 2, -1][floor(4 u(weight))] * sigma,
                                    bias = 0.6 u - 0.3, running_mean = 0.4 u - 0.2, eps = 0
  (so that weight / sqrt(running_var + eps) is a power of two: folding a batchnorm into the
  convolution before it is exact in float32, and Zennit's merge in float64 agrees with Loupe's.)
  uniforms: FNV-1a (32 bit) of the UTF-8 name is k; for index i, x = (i * 2654435761 + k) mod 2^32,
  x ^= x >> 13, x = (x * 1274126177) mod 2^32, x ^= x >> 16, u = x / 2^32.
Inputs: "x" [2, 3072] = 2 u("x") - 1, as float32; the box of valid inputs is [-1, 1].

Stored: "x"; "targets" (int64, the predicted class); "logits" [2, 10]; "block.<name>" the output
of each BasicBlock (layer1.0 ... layer4.1), [2, C*H*W]; "relevance.<composite>" [2, 3072] for
Zennit's EpsilonPlus, EpsilonGammaBox(low=-1, high=1) and EpsilonAlpha2Beta1, each with
ResNetCanonizer, started from onehot(target) * logits, as docs/methods.md defines the start of an
explanation. Computed in float64 on the float32 weights, stored as float32. Metadata: "loupe.arch"
the loupe.arch/1 architecture (batchnorms as layers, folded at load), "tensors" a JSON object of
every tensor's name and shape.

Also onnx/resnet18.onnx: the same model exported to ONNX with its weights stored apart, kept
without them (see the end of this script).

Run (needs torch, torchvision, zennit, safetensors, numpy, onnx; never in CI):
    pip install torch torchvision zennit safetensors numpy onnx
    python3 Tests/Fixtures/networks/make_resnet_fixtures.py
Made with torch 2.15.0 (CPU), torchvision 0.29.2, zennit 0.5.1, safetensors 0.8.0, onnx 1.23.2.
"""
import json
import os

import numpy as np
import torch
import torchvision
from safetensors.torch import save_file
from zennit.attribution import Gradient
from zennit.composites import EpsilonAlpha2Beta1, EpsilonGammaBox, EpsilonPlus
from zennit.torchvision import ResNetCanonizer

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = 2
torch.set_num_threads(1)


def fnv1a(name):
    h = 0x811C9DC5
    for b in name.encode():
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def uniforms(name, count):
    x = (np.arange(count, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(fnv1a(name))) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(13)
    x = (x * np.uint64(1274126177)) & np.uint64(0xFFFFFFFF)
    x ^= x >> np.uint64(16)
    return x.astype(np.float64) / 2.0 ** 32


def value(name, shape, module):
    count = int(np.prod(shape))
    u = uniforms(name, count)
    role = name.rsplit(".", 1)[1]
    if isinstance(module, torch.nn.BatchNorm2d):
        prefix = name.rsplit(".", 1)[0]
        sigma = np.array([0.5, 1.0, 2.0])[np.floor(3 * uniforms(prefix + ".running_var", count)).astype(int)]
        v = {"weight": np.array([0.5, 1.0, 2.0, -1.0])[np.floor(4 * u).astype(int)] * sigma,
             "bias": 0.6 * u - 0.3, "running_mean": 0.4 * u - 0.2, "running_var": sigma ** 2}[role]
    else:
        fan_in = int(np.prod(module.weight.shape[1:]))
        v = (2 * u - 1) / np.sqrt(fan_in)
    return torch.from_numpy(v.astype(np.float32).reshape(shape))


model = torchvision.models.resnet18(num_classes=10)
modules = dict(model.named_modules())
shapes = {}
with torch.no_grad():
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        t.copy_(value(name, list(t.shape), modules[name.rsplit(".", 1)[0]]))
        shapes[name] = list(t.shape)
for m in model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.eps = 0.0
model = model.double().eval()


def conv(name, stride=1, padding=0, inputs=None):
    layer = {"name": name, "kind": "conv2d", "weight": f"{name}.weight", "stride": stride, "padding": padding}
    if inputs:
        layer["inputs"] = inputs
    return layer


def bn(name):
    return {"name": name, "kind": "batchnorm", "weight": f"{name}.weight", "bias": f"{name}.bias",
            "running_mean": f"{name}.running_mean", "running_var": f"{name}.running_var", "eps": 0}


layers = [conv("conv1", 2, 3), bn("bn1"), {"name": "relu", "kind": "relu"},
          {"name": "maxpool", "kind": "maxpool2d", "kernel": 3, "stride": 2, "padding": 1}]
previous = "maxpool"
blocks = []
for stage in range(1, 5):
    for index in range(2):
        p = f"layer{stage}.{index}"
        stride = 2 if stage > 1 and index == 0 else 1
        layers += [conv(f"{p}.conv1", stride, 1, [previous]), bn(f"{p}.bn1"), {"name": f"{p}.relu1", "kind": "relu"},
                   conv(f"{p}.conv2", 1, 1), bn(f"{p}.bn2")]
        shortcut = previous
        if f"{p}.downsample.0" in modules:
            layers += [conv(f"{p}.downsample.0", stride, 0, [previous]), bn(f"{p}.downsample.1")]
            shortcut = f"{p}.downsample.1"
        layers += [{"name": f"{p}.add", "kind": "add", "inputs": [shortcut, f"{p}.bn2"]}, {"name": p, "kind": "relu"}]
        blocks.append(p)
        previous = p
layers += [{"name": "avgpool", "kind": "adaptive_avgpool2d"}, {"name": "flatten", "kind": "flatten"},
           {"name": "fc", "kind": "linear", "weight": "fc.weight", "bias": "fc.bias"}]
arch = {"format": "loupe.arch/1", "name": "resnet18", "input": {"shape": [3, 32, 32], "range": [-1.0, 1.0]},
        "layers": layers}

x32 = torch.from_numpy((2 * uniforms("x", SAMPLES * 3072) - 1).astype(np.float32).reshape(SAMPLES, 3072))
x = x32.double().reshape(SAMPLES, 3, 32, 32)
outputs = {}
hooks = [modules[b].register_forward_hook(lambda m, i, o, b=b: outputs.__setitem__(b, o.detach())) for b in blocks]
with torch.no_grad():
    logits = model(x)
for h in hooks:
    h.remove()
targets = logits.argmax(1)

tensors = {"x": x32, "targets": targets, "logits": logits.float()}
for b in blocks:
    tensors[f"block.{b}"] = outputs[b].reshape(SAMPLES, -1).float().contiguous()
composites = {
    "epsilon-plus": EpsilonPlus(canonizers=[ResNetCanonizer()]),
    "epsilon-gamma-box": EpsilonGammaBox(low=-1.0, high=1.0, canonizers=[ResNetCanonizer()]),
    "alpha2-beta1": EpsilonAlpha2Beta1(canonizers=[ResNetCanonizer()]),
}
for name, composite in composites.items():
    start = torch.nn.functional.one_hot(targets, 10).double() * logits
    with Gradient(model=model, composite=composite) as attributor:
        _, relevance = attributor(x.clone().requires_grad_(), start)
    tensors[f"relevance.{name}"] = relevance.reshape(SAMPLES, -1).float().contiguous()

save_file(tensors, os.path.join(HERE, "resnet18.safetensors"),
          metadata={"loupe.arch": json.dumps(arch), "tensors": json.dumps(shapes)})
print("wrote resnet18.safetensors", {k: float(v.abs().max()) for k, v in tensors.items() if k.startswith("relevance")})

# The same model as an ONNX file from torch's TorchScript exporter (batchnorms kept, not folded
# by the exporter), its weights stored apart in "resnet18.weights" as torch does for large
# models. Only the graph (onnx/resnet18.onnx) and where each tensor lies in the weights file
# (onnx/resnet18-external.json: name, byte offset) are kept: the test writes the weights file
# from the same hash and opens the model.
import onnx  # noqa: E402

onnx_model = torchvision.models.resnet18(num_classes=10)
onnx_modules = dict(onnx_model.named_modules())
with torch.no_grad():
    for name, t in onnx_model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            t.copy_(value(name, list(t.shape), onnx_modules[name.rsplit(".", 1)[0]]))
for m in onnx_model.modules():
    if isinstance(m, torch.nn.BatchNorm2d):
        m.eps = 0.0
onnx_model.eval()
folder = os.path.join(HERE, "onnx")
whole = os.path.join(folder, "resnet18-whole.onnx")
torch.onnx.export(onnx_model, (x32.reshape(SAMPLES, 3, 32, 32),), whole, dynamo=False, do_constant_folding=False,
                  opset_version=17, input_names=["x"], output_names=["logits"], dynamic_axes={"x": {0: "batch"}})
onnx.save_model(onnx.load(whole), os.path.join(folder, "resnet18.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="resnet18.weights", size_threshold=0)
os.remove(whole)
os.remove(os.path.join(folder, "resnet18.weights"))
graph_only = onnx.load(os.path.join(folder, "resnet18.onnx"), load_external_data=False)
external = [[t.name, int(dict((e.key, e.value) for e in t.external_data).get("offset", 0))] for t in graph_only.graph.initializer]
unknown = [name for name, _ in external if name not in shapes]
assert not unknown, f"initializers that are not state_dict tensors: {unknown}"
with open(os.path.join(folder, "resnet18-external.json"), "w") as f:
    json.dump({"location": "resnet18.weights", "tensors": external}, f)
print("wrote onnx/resnet18.onnx", os.path.getsize(os.path.join(folder, "resnet18.onnx")), "bytes")
