#!/usr/bin/env python3
"""Writes the PyTorch parity fixtures for Tests/NetworksTests/PyTorchParityTests.swift.

Three small models are trained briefly with PyTorch (Adam, full batch, on the 8x8 digits at
Loupe bundles in Sources/Networks/Resources/digits.npy: 64 pixels 0..16 then the label; pixels / 16;
samples whose index mod 4 != 3 train), put in eval mode and saved with safetensors:

  mlp.safetensors             state_dict of an nn.Sequential MLP 64->32->16->10 using linear,
  mlp.arch.json               gelu (erf), tanh, relu, sigmoid, identity; sidecar loupe.arch/1 JSON
                              whose tensor names are the state_dict keys ("0.weight", ...).
  bilinear.safetensors        embed Linear(64->24, no bias) -> bilinear in PyTorch's FUSED form
                              (one Linear(24->2*20) split in halves, left first, multiplied) ->
                              readout Linear(20->10); architecture EMBEDDED in the metadata under
                              "loupe.arch".
  bilinear_split.safetensors  the same weights, the bilinear layer stored as separate left/right/
  bilinear_split.arch.json    left_bias/right_bias tensors; sidecar architecture.
  cnn.safetensors             [1,8,8] -> Conv2d(1->6,k3,p1) -> BatchNorm2d -> ReLU -> MaxPool2d(2)
  cnn.arch.json               -> Conv2d(6->8, k(3,2), stride(1,2), padding(1,0)) -> ReLU
                              -> AvgPool2d(2) -> Flatten -> Linear(16->12, no bias)
                              -> BatchNorm1d(12, eps=1e-3) -> ReLU -> Linear(12->10);
                              batchnorm statistics and affine parameters set to non-trivial values
                              after training so that folding them at load is really tested.
  inputs_and_logits.safetensors
                              for each model m in (mlp, bilinear, cnn): "m.x" (6 inputs: 3 test
                              digits, 3 uniform in [0,1]; [6,64], the cnn's [6,1,8,8]),
                              "m.logits" [6,10] from the float32 model and "m.logits_f64" [6,10]
                              from the same weights in float64.

Run (needs torch, safetensors, numpy; never in CI):
    pip install torch safetensors numpy
    python3 Tests/Fixtures/networks/make_fixtures.py
Made with torch 2.15.0 (the PyPI build, run on CPU), safetensors 0.8.0, numpy 2.4.6, Python 3.11.7. Everything is seeded;
another torch version may give slightly different weights, which is fine as long as the files
are regenerated together.
"""
import copy
import json
import os

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
DIGITS = os.path.join(HERE, "..", "..", "..", "Sources", "Networks", "Resources", "digits.npy")
CLASSES = [str(i) for i in range(10)]
STEPS = 300

torch.manual_seed(0)
np.random.seed(0)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def path(name):
    return os.path.join(HERE, name)


def load_digits():
    a = np.load(DIGITS).astype(np.float32)
    x, y = a[:, :64] / 16.0, a[:, 64].astype(np.int64)
    idx = np.arange(len(a))
    train, test = idx % 4 != 3, idx % 4 == 3
    return (torch.from_numpy(x[train]), torch.from_numpy(y[train]),
            torch.from_numpy(x[test]), torch.from_numpy(y[test]))


X_TRAIN, Y_TRAIN, X_TEST, Y_TEST = load_digits()


def train(model, x, y, lr=1e-2):
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(STEPS):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(X_TEST.reshape(-1, *x.shape[1:])).argmax(1) == Y_TEST).float().mean().item()
    print(f"  trained: final loss {loss.item():.4f}, test accuracy {acc:.3f}")
    return model


def inputs(shape):
    """6 inputs: test digits 0, 1, 2 and three uniform random samples in [0, 1]."""
    g = torch.Generator().manual_seed(1234)
    x = torch.cat([X_TEST[:3], torch.rand(3, 64, generator=g)])
    return x.reshape(6, *shape).contiguous()


def logits(model, x):
    with torch.no_grad():
        f32 = model(x).float().contiguous()
        m64 = copy.deepcopy(model).double().eval()
        f64 = m64(x.double()).contiguous()
    return f32, f64


def arch(name, shape, layers):
    return {"format": "loupe.arch/1", "name": name,
            "input": {"shape": shape, "image": [1, 8, 8], "range": [0.0, 1.0]},
            "classes": CLASSES, "layers": layers}


def write_json(obj, name):
    """The architecture as JSON, one layer a line."""
    head = {k: v for k, v in obj.items() if k != "layers"}
    text = json.dumps(head)[:-1] + ',\n "layers": [\n'
    text += ",\n".join("  " + json.dumps(layer) for layer in obj["layers"]) + " ] }\n"
    json.loads(text)
    with open(path(name), "w") as f:
        f.write(text)


def state(model):
    return {k: v.detach().contiguous() for k, v in model.state_dict().items()}


results = {}

# --- a. MLP, sidecar architecture ----------------------------------------------------------
print("mlp")
mlp = nn.Sequential(
    nn.Linear(64, 32), nn.GELU(), nn.Tanh(),        # 0, 1, 2
    nn.Linear(32, 16), nn.ReLU(), nn.Sigmoid(),     # 3, 4, 5
    nn.Identity(), nn.Linear(16, 10))               # 6, 7
train(mlp, X_TRAIN, Y_TRAIN)
save_file(state(mlp), path("mlp.safetensors"))
write_json(arch("digits-mlp", [64], [
    {"name": "fc1", "kind": "linear", "weight": "0.weight", "bias": "0.bias"},
    {"name": "gelu1", "kind": "gelu"},
    {"name": "tanh1", "kind": "tanh"},
    {"name": "fc2", "kind": "linear", "weight": "3.weight", "bias": "3.bias"},
    {"name": "relu2", "kind": "relu"},
    {"name": "sigmoid2", "kind": "sigmoid"},
    {"name": "id", "kind": "identity"},
    {"name": "fc3", "kind": "linear", "weight": "7.weight", "bias": "7.bias"},
]), "mlp.arch.json")
x = inputs([64])
results["mlp"] = (x, *logits(mlp, x))


# --- b. bilinear, fused (embedded architecture) and split (sidecar) -------------------------
class BilinearNet(nn.Module):
    def __init__(self, d_in=64, d_embed=24, d_hidden=20, d_out=10):
        super().__init__()
        self.embed = nn.Linear(d_in, d_embed, bias=False)
        self.bil = nn.Linear(d_embed, 2 * d_hidden, bias=True)
        self.readout = nn.Linear(d_hidden, d_out)

    def forward(self, x):
        left, right = self.bil(self.embed(x)).chunk(2, dim=-1)
        return self.readout(left * right)


print("bilinear")
bil = train(BilinearNet(), X_TRAIN, Y_TRAIN, lr=5e-4)
fused_arch = arch("digits-bilinear", [64], [
    {"name": "embed", "kind": "linear", "weight": "embed.weight"},
    {"name": "bil", "kind": "bilinear", "weight": "bil.weight", "bias": "bil.bias"},
    {"name": "readout", "kind": "linear", "weight": "readout.weight", "bias": "readout.bias"},
])
save_file(state(bil), path("bilinear.safetensors"), metadata={"loupe.arch": json.dumps(fused_arch)})

sd = state(bil)
w, b = sd.pop("bil.weight"), sd.pop("bil.bias")
h = w.shape[0] // 2
sd.update({"bil.left": w[:h].contiguous(), "bil.right": w[h:].contiguous(),
           "bil.left_bias": b[:h].contiguous(), "bil.right_bias": b[h:].contiguous()})
save_file(sd, path("bilinear_split.safetensors"))
write_json(arch("digits-bilinear", [64], [
    {"name": "embed", "kind": "linear", "weight": "embed.weight"},
    {"name": "bil", "kind": "bilinear", "left": "bil.left", "right": "bil.right",
     "left_bias": "bil.left_bias", "right_bias": "bil.right_bias"},
    {"name": "readout", "kind": "linear", "weight": "readout.weight", "bias": "readout.bias"},
]), "bilinear_split.arch.json")
x = inputs([64])
results["bilinear"] = (x, *logits(bil, x))

# --- c. CNN with batchnorm, sidecar architecture ---------------------------------------------
print("cnn")
cnn = nn.Sequential(
    nn.Conv2d(1, 6, kernel_size=3, stride=1, padding=1),                 # 0
    nn.BatchNorm2d(6),                                                  # 1
    nn.ReLU(),                                                          # 2
    nn.MaxPool2d(2),                                                    # 3
    nn.Conv2d(6, 8, kernel_size=(3, 2), stride=(1, 2), padding=(1, 0)),  # 4
    nn.ReLU(),                                                          # 5
    nn.AvgPool2d(2),                                                    # 6
    nn.Flatten(),                                                       # 7
    nn.Linear(16, 12, bias=False),                                      # 8
    nn.BatchNorm1d(12, eps=1e-3),                                       # 9
    nn.ReLU(),                                                          # 10
    nn.Linear(12, 10))                                                  # 11
with torch.no_grad():
    s = torch.zeros(1, 1, 8, 8)
    for i, layer in enumerate(cnn):
        s = layer.eval()(s)
        print(f"  {i:2d} {type(layer).__name__:12s} -> {list(s.shape[1:])}")
train(cnn, X_TRAIN.reshape(-1, 1, 8, 8), Y_TRAIN)
g = torch.Generator().manual_seed(99)
with torch.no_grad():
    for bn in (cnn[1], cnn[9]):
        n = bn.num_features
        bn.running_mean.copy_(bn.running_mean + 0.5 * torch.randn(n, generator=g))
        bn.running_var.copy_(bn.running_var * (0.5 + 1.5 * torch.rand(n, generator=g)))
        bn.weight.copy_(torch.sign(torch.randn(n, generator=g)) * (0.5 + torch.rand(n, generator=g)))
        bn.bias.copy_(bn.bias + 0.3 * torch.randn(n, generator=g))
cnn.eval()
save_file(state(cnn), path("cnn.safetensors"))


def bn(name, prefix, eps):
    return {"name": name, "kind": "batchnorm", "weight": f"{prefix}.weight", "bias": f"{prefix}.bias",
            "running_mean": f"{prefix}.running_mean", "running_var": f"{prefix}.running_var", "eps": eps}


write_json(arch("digits-cnn", [1, 8, 8], [
    {"name": "conv1", "kind": "conv2d", "weight": "0.weight", "bias": "0.bias", "stride": 1, "padding": 1},
    bn("bn1", "1", 1e-5),
    {"name": "relu1", "kind": "relu"},
    {"name": "pool1", "kind": "maxpool2d", "kernel": 2},
    {"name": "conv2", "kind": "conv2d", "weight": "4.weight", "bias": "4.bias", "stride": [1, 2], "padding": [1, 0]},
    {"name": "relu2", "kind": "relu"},
    {"name": "pool2", "kind": "avgpool2d", "kernel": 2},
    {"name": "flatten", "kind": "flatten"},
    {"name": "fc1", "kind": "linear", "weight": "8.weight"},
    bn("bn2", "9", 1e-3),
    {"name": "relu3", "kind": "relu"},
    {"name": "fc2", "kind": "linear", "weight": "11.weight", "bias": "11.bias"},
]), "cnn.arch.json")
x = inputs([1, 8, 8])
results["cnn"] = (x, *logits(cnn, x))

# --- d. inputs and expected logits ----------------------------------------------------------
out = {}
for name, (x, f32, f64) in results.items():
    out[f"{name}.x"] = x.float().contiguous()
    out[f"{name}.logits"] = f32
    out[f"{name}.logits_f64"] = f64
    print(f"{name}: x {list(x.shape)}, logits {list(f32.shape)}, "
          f"max |f32 - f64| {(f32.double() - f64).abs().max().item():.2e}, argmax {f32.argmax(1).tolist()}")
save_file(out, path("inputs_and_logits.safetensors"))
for f in sorted(os.listdir(HERE)):
    if f.endswith(".safetensors"):
        os.chmod(path(f), 0o644)  # save_file creates them private
    print(f"  {f:32s} {os.path.getsize(path(f)):7d} bytes")
