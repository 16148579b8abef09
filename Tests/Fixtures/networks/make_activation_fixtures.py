#!/usr/bin/env python3
"""Writes activations.safetensors for Tests/NetworksTests/ActivationParityTests.swift.

A small MLP with random weights (seeded) that uses every elementwise activation PyTorch names
and Loupe reads, with non-default parameters where a layer has one:

  64 -> Linear(48) -> SiLU -> Linear(40) -> ELU(alpha=0.7) -> Dropout(0.5)
     -> Linear(32) -> LeakyReLU(0.2) -> Linear(24) -> ELU() -> Linear(16) -> LeakyReLU()
     -> Linear(10)

saved in eval mode (dropout is the identity) with its loupe.arch/1 architecture embedded in the
safetensors metadata under "loupe.arch", and beside the weights:

  x            [6, 64] float32: three digits-like inputs in [0, 1], three standard normal
  logits       [6, 10] from the float32 model
  logits_f64   [6, 10] from the same weights in float64
  direction    [6, 10] float64, a fixed random c
  input_grad   [6, 64] float64: d(sum(c * logits))/dx in float64 (the backward pass)
  grid         [1, 201] float64: -5 .. 5 in steps of 0.05, zero included
  grid.<kind>  [1, 201] float64: each activation applied to the grid (silu, elu, elu_0.7,
               leaky_relu, leaky_relu_0.2), and grid.<kind>.grad its derivative

Run (needs torch, safetensors, numpy; never in CI):
    pip install torch safetensors numpy
    python3 Tests/Fixtures/networks/make_activation_fixtures.py
Made with torch 2.15.0 (CPU), safetensors 0.8.0, numpy 2.4.6.
"""
import json
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)

widths = [64, 48, 40, 32, 24, 16, 10]
model = nn.Sequential(
    nn.Linear(64, 48), nn.SiLU(),
    nn.Linear(48, 40), nn.ELU(alpha=0.7), nn.Dropout(0.5),
    nn.Linear(40, 32), nn.LeakyReLU(0.2),
    nn.Linear(32, 24), nn.ELU(),
    nn.Linear(24, 16), nn.LeakyReLU(),
    nn.Linear(16, 10),
).eval()


def linear(name, index):
    return {"name": name, "kind": "linear", "weight": f"{index}.weight", "bias": f"{index}.bias"}


arch = {
    "format": "loupe.arch/1", "name": "activations", "input": {"shape": [64]},
    "layers": [
        linear("fc1", 0), {"name": "silu1", "kind": "silu"},
        linear("fc2", 2), {"name": "elu2", "kind": "elu", "alpha": 0.7}, {"name": "drop2", "kind": "dropout"},
        linear("fc3", 5), {"name": "leaky3", "kind": "leaky_relu", "negative_slope": 0.2},
        linear("fc4", 7), {"name": "elu4", "kind": "elu"},
        linear("fc5", 9), {"name": "leaky5", "kind": "leaky_relu"},
        linear("fc6", 11),
    ],
}

x = torch.cat([torch.rand(3, 64), torch.randn(3, 64)]).float()
with torch.no_grad():
    logits = model(x)
model64 = model.double()
x64 = x.double().requires_grad_(True)
direction = torch.randn(6, 10, dtype=torch.float64)
logits64 = model64(x64)
(logits64 * direction).sum().backward()

grid = torch.linspace(-5, 5, 201, dtype=torch.float64).reshape(1, 201)
tensors = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
tensors.update({
    "x": x, "logits": logits.float(), "logits_f64": logits64.detach(), "direction": direction,
    "input_grad": x64.grad.detach(), "grid": grid,
})
for key, f in [("silu", nn.SiLU()), ("elu", nn.ELU()), ("elu_0.7", nn.ELU(alpha=0.7)),
               ("leaky_relu", nn.LeakyReLU()), ("leaky_relu_0.2", nn.LeakyReLU(0.2))]:
    g = grid.clone().requires_grad_(True)
    y = f(g)
    y.sum().backward()
    tensors[f"grid.{key}"] = y.detach()
    tensors[f"grid.{key}.grad"] = g.grad.detach()

save_file(tensors, os.path.join(HERE, "activations.safetensors"), metadata={"loupe.arch": json.dumps(arch)})
print("wrote activations.safetensors")
