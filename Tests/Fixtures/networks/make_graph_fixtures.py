#!/usr/bin/env python3
"""Writes graphs.safetensors for Tests/NetworksTests/GraphParityTests.swift.

Two small networks that are graphs, not chains, with random weights (seeded, rounded to
float32 as Loupe holds them), run in float64, in eval mode:

  resmlp: [10] -> fc1 -> relu1 -> fc2; add1 = relu1 + fc2; gate = sigmoid(fcg(add1));
          mul = add1 * gate; bn = BatchNorm1d(16)(mul) (after a mul: kept as a node);
          relu2 -> fc3 (16 -> 4)
  rescnn: [3, 6, 6] -> bn0 = BatchNorm2d(3) on the input (kept as a node); conv1 (3 -> 8, k3,
          p1) + bn1 (folded) -> relu1; conv2 + bn2 (folded) -> relu2 -> conv3 + bn3 (folded);
          add2 = relu1 + bn3; bn4 = BatchNorm2d(8)(add2) (after an add: kept); relu3;
          conv4 (8 -> 4, k1) -> relu4; cat = concat(relu3, relu4) (12 channels);
          pool = AdaptiveAvgPool2d(1); flatten; fc (12 -> 5)

bntrain: [2, 4, 4] -> conv (2 -> 3, k3, p1, no bias) -> BatchNorm2d(3) -> ReLU -> flatten ->
          linear (48 -> 3), in training mode: "bntrain.<key>" holds the weights and the running
          statistics *after* the batch (torch updates them in the forward pass),
          "bntrain.before.running_mean/var" those before; the other tensors as for the models
          above, with the architecture left to the test.

  grouped: [4, 5, 5] -> Conv2d(4, 6, 3, padding=1, groups=2) -> ReLU -> Conv2d(6, 6, 3, padding=1,
          groups=6) (depthwise) -> ReLU -> flatten -> Linear(150, 3)

  embedded: [5] token ids in 0..<12 -> Embedding(12, 4) -> LayerNorm(4) per token -> flatten ->
          Linear(20, 3) (the input gradient is zero: ids are not differentiable)

  permuted: [3, 4, 5] -> Conv2d(3, 4, 3, padding=1) -> permute(0, 2, 3, 1) -> LayerNorm(4) (over
          channels, channels-last, as ConvNeXt) -> permute(0, 3, 1, 2) -> ReLU -> flatten ->
          Linear(80, 3)

Every batchnorm has random running statistics, weight and bias, so that folding and the kept
nodes are really tested. Tensors are "<model>.<state_dict key>"; each model's loupe.arch/1 JSON
is in the metadata under "<model>.arch"; "<model>.x" inputs [6, size]; "<model>.node.<layer>"
each Loupe layer's output (a folded convolution's is the batchnorm's); "<model>.logits" [6, k];
"<model>.input_grad" d(sum(c * logits))/dx for "<model>.direction" c; "<model>.grad.<key>" the
same loss's gradient for every parameter.

Run (needs torch, safetensors; never in CI):
    pip install torch safetensors
    python3 Tests/Fixtures/networks/make_graph_fixtures.py
Made with torch 2.15.0 (CPU), safetensors 0.8.0.
"""
import json
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(16)


def randomize_batchnorms(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.5, 2.0)


class ResMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fcg = nn.Linear(10, 16), nn.Linear(16, 16), nn.Linear(16, 16)
        self.bn, self.fc3 = nn.BatchNorm1d(16), nn.Linear(16, 4)

    def forward(self, x):
        n = {}
        n["fc1"] = self.fc1(x)
        n["relu1"] = torch.relu(n["fc1"])
        n["fc2"] = self.fc2(n["relu1"])
        n["add1"] = n["relu1"] + n["fc2"]
        n["fcg"] = self.fcg(n["add1"])
        n["gate"] = torch.sigmoid(n["fcg"])
        n["mul"] = n["add1"] * n["gate"]
        n["bn"] = self.bn(n["mul"])
        n["relu2"] = torch.relu(n["bn"])
        n["fc3"] = self.fc3(n["relu2"])
        return n["fc3"], n


def linear(name, key, **extra):
    return {"name": name, "kind": "linear", "weight": f"resmlp.{key}.weight", "bias": f"resmlp.{key}.bias", **extra}


def batchnorm(model, name, key, **extra):
    return {"name": name, "kind": "batchnorm", "weight": f"{model}.{key}.weight", "bias": f"{model}.{key}.bias",
            "running_mean": f"{model}.{key}.running_mean", "running_var": f"{model}.{key}.running_var", **extra}


resmlp_layers = [
    linear("fc1", "fc1"), {"name": "relu1", "kind": "relu"}, linear("fc2", "fc2"),
    {"name": "add1", "kind": "add", "inputs": ["relu1", "fc2"]},
    linear("fcg", "fcg"), {"name": "gate", "kind": "sigmoid"},
    {"name": "mul", "kind": "mul", "inputs": ["add1", "gate"]},
    batchnorm("resmlp", "bn", "bn"), {"name": "relu2", "kind": "relu"}, linear("fc3", "fc3"),
]


class ResCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(3)
        self.conv1, self.bn1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv2, self.bn2 = nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8)
        self.conv3, self.bn3 = nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8)
        self.bn4 = nn.BatchNorm2d(8)
        self.conv4 = nn.Conv2d(8, 4, 1)
        self.fc = nn.Linear(12, 5)

    def forward(self, x):
        n = {}
        n["bn0"] = self.bn0(x)
        n["conv1"] = self.bn1(self.conv1(n["bn0"]))
        n["relu1"] = torch.relu(n["conv1"])
        n["conv2"] = self.bn2(self.conv2(n["relu1"]))
        n["relu2"] = torch.relu(n["conv2"])
        n["conv3"] = self.bn3(self.conv3(n["relu2"]))
        n["add2"] = n["relu1"] + n["conv3"]
        n["bn4"] = self.bn4(n["add2"])
        n["relu3"] = torch.relu(n["bn4"])
        n["conv4"] = self.conv4(n["relu3"])
        n["relu4"] = torch.relu(n["conv4"])
        n["cat"] = torch.cat([n["relu3"], n["relu4"]], dim=1)
        n["pool"] = nn.functional.adaptive_avg_pool2d(n["cat"], 1)
        n["flatten"] = n["pool"].flatten(1)
        n["fc"] = self.fc(n["flatten"])
        return n["fc"], n


def conv(name, key, bias=True, **extra):
    layer = {"name": name, "kind": "conv2d", "weight": f"rescnn.{key}.weight", **extra}
    if bias:
        layer["bias"] = f"rescnn.{key}.bias"
    return layer


rescnn_layers = [
    batchnorm("rescnn", "bn0", "bn0", kind="batchnorm2d"),
    conv("conv1", "conv1", padding=1), batchnorm("rescnn", "bn1", "bn1"), {"name": "relu1", "kind": "relu"},
    conv("conv2", "conv2", padding=1), batchnorm("rescnn", "bn2", "bn2"), {"name": "relu2", "kind": "relu"},
    conv("conv3", "conv3", bias=False, padding=1), batchnorm("rescnn", "bn3", "bn3"),
    {"name": "add2", "kind": "add", "inputs": ["relu1", "bn3"]},
    batchnorm("rescnn", "bn4", "bn4"), {"name": "relu3", "kind": "relu"},
    conv("conv4", "conv4"), {"name": "relu4", "kind": "relu"},
    {"name": "cat", "kind": "concat", "inputs": ["relu3", "relu4"]},
    {"name": "pool", "kind": "adaptive_avgpool2d"}, {"name": "flatten", "kind": "flatten"},
    {"name": "fc", "kind": "linear", "weight": "rescnn.fc.weight", "bias": "rescnn.fc.bias"},
]

class Grouped(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 6, 3, padding=1, groups=2)
        self.conv2 = nn.Conv2d(6, 6, 3, padding=1, groups=6)
        self.fc = nn.Linear(150, 3)

    def forward(self, x):
        n = {}
        n["conv1"] = self.conv1(x)
        n["relu1"] = torch.relu(n["conv1"])
        n["conv2"] = self.conv2(n["relu1"])
        n["relu2"] = torch.relu(n["conv2"])
        n["flatten"] = n["relu2"].flatten(1)
        n["fc"] = self.fc(n["flatten"])
        return n["fc"], n


grouped_layers = [
    {"name": "conv1", "kind": "conv2d", "weight": "grouped.conv1.weight", "bias": "grouped.conv1.bias", "padding": 1, "groups": 2},
    {"name": "relu1", "kind": "relu"},
    {"name": "conv2", "kind": "conv2d", "weight": "grouped.conv2.weight", "bias": "grouped.conv2.bias", "padding": 1, "groups": 6},
    {"name": "relu2", "kind": "relu"}, {"name": "flatten", "kind": "flatten"},
    {"name": "fc", "kind": "linear", "weight": "grouped.fc.weight", "bias": "grouped.fc.bias"},
]

class Permuted(nn.Module):
    """ConvNeXt's pattern: a layernorm over channels, applied channels-last between two permutes."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.norm = nn.LayerNorm(4)
        self.fc = nn.Linear(80, 3)

    def forward(self, x):
        n = {}
        n["conv"] = self.conv(x)
        n["nhwc"] = n["conv"].permute(0, 2, 3, 1)
        n["norm"] = self.norm(n["nhwc"])
        n["nchw"] = n["norm"].permute(0, 3, 1, 2)
        n["relu"] = torch.relu(n["nchw"])
        n["flatten"] = n["relu"].flatten(1)
        n["fc"] = self.fc(n["flatten"])
        return n["fc"], n


permuted_layers = [
    {"name": "conv", "kind": "conv2d", "weight": "permuted.conv.weight", "bias": "permuted.conv.bias", "padding": 1},
    {"name": "nhwc", "kind": "permute", "dims": [0, 2, 3, 1]},
    {"name": "norm", "kind": "layernorm", "weight": "permuted.norm.weight", "bias": "permuted.norm.bias", "normalized_shape": [4]},
    {"name": "nchw", "kind": "permute", "dims": [0, 3, 1, 2]},
    {"name": "relu", "kind": "relu"}, {"name": "flatten", "kind": "flatten"},
    {"name": "fc", "kind": "linear", "weight": "permuted.fc.weight", "bias": "permuted.fc.bias"},
]

class Embedded(nn.Module):
    """Token ids through an embedding table, a layernorm per token and a linear readout."""
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 4)
        self.norm = nn.LayerNorm(4)
        self.fc = nn.Linear(20, 3)

    def forward(self, ids):
        n = {}
        n["embed"] = self.embed(ids.long())
        n["norm"] = self.norm(n["embed"])
        n["flatten"] = n["norm"].flatten(1)
        n["fc"] = self.fc(n["flatten"])
        return n["fc"], n


embedded_layers = [
    {"name": "embed", "kind": "embedding", "weight": "embedded.embed.weight"},
    {"name": "norm", "kind": "layernorm", "weight": "embedded.norm.weight", "bias": "embedded.norm.bias", "normalized_shape": [4]},
    {"name": "flatten", "kind": "flatten"},
    {"name": "fc", "kind": "linear", "weight": "embedded.fc.weight", "bias": "embedded.fc.bias"},
]

models = {
    "resmlp": ([10], ResMLP(), resmlp_layers),
    "rescnn": ([3, 6, 6], ResCNN(), rescnn_layers),
    "grouped": ([4, 5, 5], Grouped(), grouped_layers),
    "permuted": ([3, 4, 5], Permuted(), permuted_layers),
    "embedded": ([5], Embedded(), embedded_layers),
}

tensors, metadata = {}, {}


def record(name, model, x, logits):
    """Backpropagates a random direction through logits and stores the weights (state_dict,
    so the running statistics too), every parameter's gradient, x, the logits, the direction and
    the input's gradient under "<name>."."""
    direction = torch.randn(*logits.shape, dtype=torch.float64)
    (logits * direction).sum().backward()
    for k, v in model.state_dict().items():
        if not k.endswith("num_batches_tracked"):
            tensors[f"{name}.{k}"] = v.detach().clone()
    for k, p in model.named_parameters():
        tensors[f"{name}.grad.{k}"] = p.grad.detach().contiguous()
    tensors[f"{name}.x"] = x.detach()
    tensors[f"{name}.logits"] = logits.detach().clone()
    tensors[f"{name}.direction"] = direction
    # Token ids are not differentiable: no gradient reaches them.
    tensors[f"{name}.input_grad"] = torch.zeros_like(x) if x.grad is None else x.grad.detach()


for name, (shape, model, layers) in models.items():
    randomize_batchnorms(model)
    model = model.float().double().eval()  # weights Loupe's Float32 models hold exactly, computed in float64
    size = 1
    for s in shape:
        size *= s
    if name == "embedded":  # token ids, repeated so that the table's gradient adds rows
        x = torch.randint(0, 12, (6, size)).double()
        x[0, 1] = x[0, 0]
    else:
        x = torch.randn(6, size, dtype=torch.float64, requires_grad=True)
    logits, nodes = model(x.reshape(6, *shape))
    record(name, model, x, logits)
    for k, v in nodes.items():
        tensors[f"{name}.node.{k}"] = v.detach().reshape(6, -1).clone()
    metadata[f"{name}.arch"] = json.dumps({"format": "loupe.arch/1", "name": name, "input": {"shape": shape},
                                           "layers": layers})

# Training mode: a batchnorm normalising by its batch (torch's model.train()), forward and
# backward, and its running statistics after that one batch (momentum 0.1).
bntrain = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                        nn.Linear(48, 3))
randomize_batchnorms(bntrain)
bntrain = bntrain.float().double().train()
for k in ["running_mean", "running_var"]:
    tensors[f"bntrain.before.{k}"] = getattr(bntrain[1], k).detach().clone()
x = torch.randn(6, 32, dtype=torch.float64, requires_grad=True)
record("bntrain", bntrain, x, bntrain(x.reshape(6, 2, 4, 4)))
save_file(tensors, os.path.join(HERE, "graphs.safetensors"), metadata=metadata)
print("wrote graphs.safetensors")
