#!/usr/bin/env python3
"""Writes norms.safetensors for Tests/NetworksTests/LayerNormParityTests.swift.

Two small models with random weights (seeded, rounded to float32 as Loupe holds them), run in
float64, in eval mode:

  mlp:  [12] -> Linear(12->16) -> LayerNorm(16) -> GELU -> Linear(16->8)
        -> LayerNorm(8, elementwise_affine=False) -> Linear(8->4)
  cnn:  [2, 5, 4] -> Conv2d(2->3, k3, p1) -> LayerNorm([3, 5, 4]) -> ReLU
        -> LayerNorm([4], eps=1e-3) (each row of each channel) -> Flatten -> Linear(60->4)

The layernorms' weights and biases are drawn at random, so that they are really tested.
Tensors are "<model>.<state_dict key>", each model's loupe.arch/1 JSON is in the metadata under
"<model>.arch"; "<model>.x" inputs [5, size], "<model>.logits" [5, 4], "<model>.input_grad",
d(sum(c * logits))/dx for "direction" c [5, 4], and "<model>.grad.<key>" the same loss's
gradient for every parameter.

Run (needs torch, safetensors; never in CI):
    pip install torch safetensors
    python3 Tests/Fixtures/networks/make_norm_fixtures.py
Made with torch 2.15.0 (CPU), safetensors 0.8.0.
"""
import json
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(5)


def linear(model, name, index):
    return {"name": name, "kind": "linear", "weight": f"{model}.{index}.weight", "bias": f"{model}.{index}.bias"}


models = {
    "mlp": (
        [12],
        nn.Sequential(nn.Linear(12, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 8),
                      nn.LayerNorm(8, elementwise_affine=False), nn.Linear(8, 4)),
        [linear("mlp", "fc1", 0), {"name": "ln1", "kind": "layernorm", "weight": "mlp.1.weight", "bias": "mlp.1.bias"},
         {"name": "gelu", "kind": "gelu"}, linear("mlp", "fc2", 3), {"name": "ln2", "kind": "layernorm"},
         linear("mlp", "fc3", 5)]),
    "cnn": (
        [2, 5, 4],
        nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.LayerNorm([3, 5, 4]), nn.ReLU(), nn.LayerNorm([4], eps=1e-3),
                      nn.Flatten(), nn.Linear(60, 4)),
        [{"name": "conv", "kind": "conv2d", "weight": "cnn.0.weight", "bias": "cnn.0.bias", "padding": 1},
         {"name": "ln1", "kind": "layernorm", "weight": "cnn.1.weight", "bias": "cnn.1.bias", "normalized_shape": [3, 5, 4]},
         {"name": "relu", "kind": "relu"},
         {"name": "ln2", "kind": "layernorm", "weight": "cnn.3.weight", "bias": "cnn.3.bias", "normalized_shape": [4],
          "eps": 1e-3},
         {"name": "flatten", "kind": "flatten"}, linear("cnn", "fc", 5)]),
}

tensors, metadata = {}, {}
direction = torch.randn(5, 4, dtype=torch.float64)
tensors["direction"] = direction
for name, (shape, model, layers) in models.items():
    model = model.double().eval()
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.LayerNorm) and m.weight is not None:
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    model = model.float().double()  # weights Loupe's Float32 models hold exactly, computed in float64
    size = 1
    for s in shape:
        size *= s
    x = torch.randn(5, size, dtype=torch.float64, requires_grad=True)
    logits = model(x.reshape(5, *shape))
    (logits * direction).sum().backward()
    for k, v in model.state_dict().items():
        tensors[f"{name}.{k}"] = v.detach().contiguous()
    for k, p in model.named_parameters():
        tensors[f"{name}.grad.{k}"] = p.grad.detach().contiguous()
    tensors[f"{name}.x"] = x.detach()
    tensors[f"{name}.logits"] = logits.detach()
    tensors[f"{name}.input_grad"] = x.grad.detach()
    metadata[f"{name}.arch"] = json.dumps({"format": "loupe.arch/1", "name": name, "input": {"shape": shape},
                                           "layers": layers})

save_file(tensors, os.path.join(HERE, "norms.safetensors"), metadata=metadata)
print("wrote norms.safetensors")
