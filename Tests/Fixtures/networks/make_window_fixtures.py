#!/usr/bin/env python3
"""Writes windows.safetensors for Tests/NetworksTests/ActivationParityTests.swift (adaptive
average pooling, dilated convolutions).

Three small CNNs with random weights (seeded) on [2, 6, 4] inputs, in eval mode:

  adaptive:  Conv2d(2->4, k3, p1) -> ReLU -> AdaptiveAvgPool2d((3, 2)) -> Flatten -> Linear(24->5)
  global:    Conv2d(2->4, k3, p1) -> ReLU -> AdaptiveAvgPool2d(1) -> Flatten -> Linear(4->5)
  dilated:   Conv2d(2->4, k3, stride (1, 2), padding 2, dilation (2, 1)) -> ReLU -> Flatten
             -> Linear(4*6*3->5)

and one on flat [48] inputs (the same numbers):

  unflatten: Linear(48->32) -> ReLU -> Unflatten(1, (2, 4, 4)) (a reshape) -> Conv2d(2->3, k3, p1)
             -> ReLU -> Flatten -> Linear(48->5)

Tensors are "<model>.<state_dict key>"; each model's loupe.arch/1 JSON is in the metadata under
"<model>.arch"; "x" [5, 48] float64 inputs, "<model>.logits" [5, 5] float64 (the models run in
float64), and "<model>.input_grad" [5, 48], d(sum(c * logits))/dx for "direction" c [5, 5].

Run (needs torch, safetensors; never in CI):
    pip install torch safetensors
    python3 Tests/Fixtures/networks/make_window_fixtures.py
Made with torch 2.15.0 (CPU), safetensors 0.8.0.
"""
import json
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(11)

x = torch.randn(5, 48, dtype=torch.float64)
direction = torch.randn(5, 5, dtype=torch.float64)
tensors = {"x": x, "direction": direction}
metadata = {}

def conv_layer(name, **geometry):
    return {"name": "conv", "kind": "conv2d", "weight": f"{name}.0.weight", "bias": f"{name}.0.bias", **geometry}


def head(name, index):
    return {"name": "fc", "kind": "linear", "weight": f"{name}.{index}.weight", "bias": f"{name}.{index}.bias"}


models = {}
for name, out, pooled in (("adaptive", (3, 2), 24), ("global", 1, 4)):
    models[name] = (
        nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(out), nn.Flatten(), nn.Linear(pooled, 5)),
        [conv_layer(name, padding=1), {"name": "relu", "kind": "relu"},
         {"name": "pool", "kind": "adaptive_avgpool2d", **({"output_size": list(out)} if isinstance(out, tuple) else {})},
         {"name": "flatten", "kind": "flatten"}, head(name, 4)])
models["dilated"] = (
    nn.Sequential(nn.Conv2d(2, 4, 3, stride=(1, 2), padding=2, dilation=(2, 1)), nn.ReLU(), nn.Flatten(), nn.Linear(72, 5)),
    [conv_layer("dilated", stride=[1, 2], padding=2, dilation=[2, 1]), {"name": "relu", "kind": "relu"},
     {"name": "flatten", "kind": "flatten"}, head("dilated", 3)])

models["unflatten"] = (
    nn.Sequential(nn.Linear(48, 32), nn.ReLU(), nn.Unflatten(1, (2, 4, 4)), nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(),
                  nn.Flatten(), nn.Linear(48, 5)),
    [head("unflatten", 0) | {"name": "fc1"}, {"name": "relu1", "kind": "relu"},
     {"name": "unflatten", "kind": "reshape", "shape": [2, 4, -1]},
     {"name": "conv", "kind": "conv2d", "weight": "unflatten.3.weight", "bias": "unflatten.3.bias", "padding": 1},
     {"name": "relu2", "kind": "relu"}, {"name": "flatten", "kind": "flatten"}, head("unflatten", 6)])

for name, (model, layers) in models.items():
    model = model.double().eval()
    shape = [48] if name == "unflatten" else [2, 6, 4]
    arch = {"format": "loupe.arch/1", "name": name, "input": {"shape": shape}, "layers": layers}
    xg = x.clone().requires_grad_(True)
    logits = model(xg.reshape(5, *shape))
    (logits * direction).sum().backward()
    tensors.update({f"{name}.{k}": v.detach().contiguous() for k, v in model.state_dict().items()})
    tensors[f"{name}.logits"] = logits.detach()
    tensors[f"{name}.input_grad"] = xg.grad.detach()
    metadata[f"{name}.arch"] = json.dumps(arch)

save_file(tensors, os.path.join(HERE, "windows.safetensors"), metadata=metadata)
print("wrote windows.safetensors")
