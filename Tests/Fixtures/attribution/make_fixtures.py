#!/usr/bin/env python3
"""Writes the Zennit reference relevances for Tests/InterpretTests/Attribution/ZennitParityTests.swift.

Three small models with random (seeded) float32 weights, each saved with its loupe.arch/1
architecture embedded in the safetensors metadata under "loupe.arch":

  mlp.safetensors       [12] -> fc1 Linear(12,10) -> relu1 -> fc2 Linear(10,8) -> bn2 BatchNorm1d
                        -> tanh2 -> fc3 Linear(8,6) -> relu3 -> fc4 Linear(6,4)
  cnn.safetensors       [2,6,6] -> conv1 Conv2d(2,4,k3,p1) -> bn1 BatchNorm2d -> relu1 -> pool1 MaxPool2d(2)
                        -> conv2 Conv2d(4,5,k(2,3),stride(1,2),padding 1) -> relu2 -> pool2 AvgPool2d(2)
                        -> flatten -> fc1 Linear(10,7) -> relu3 -> fc2 Linear(7,3)
  bilinear.safetensors  [10] -> embed Linear(10,8, no bias) -> bilinear (L x + b_l) * (R x + b_r), 8 -> 6
                        -> head Linear(6,4)

Every input range is [-1, 1] (the zB box). Batchnorm statistics are non-trivial (with a scale
that is a power of two, see randomize_batchnorm); Zennit merges them into the layer before with
its SequentialMergeBatchNorm canonizer, Loupe folds them at load.

expected.safetensors holds, per model M: "M.x" (5 float32 inputs, uniform in [-1, 1]),
"M.targets" (int64 class per sample), "M.direction" (float64 output direction), and for every
case C of cases.json "M/C", the float64 relevance [5, input shape] that Zennit 0.5.1 gives on
the model converted to float64, seeded at the output with onehot(target) * output (or
direction * output), as docs/methods.md defines the start of an explanation.

cases.json lists the cases in Loupe's own vocabulary (composite name, rule per layer, bias
switch, epsilon, gamma, target kind), so the Swift test builds each configuration with the
same parsers the command line uses. The Zennit side of each case:

  composite epsilon-plus       zennit.composites.EpsilonPlus
            epsilon-plus-flat  EpsilonPlusFlat
            epsilon-gamma-box  EpsilonGammaBox(low=-1, high=1)
            alpha2-beta1       EpsilonAlpha2Beta1
            deep-taylor        (not in Zennit) a name map made here by Loupe's definition: ZBox on
                               the first linear/conv layer, ZPlus on a layer followed by ReLU,
                               WSquare on one followed by no nonlinearity, Epsilon otherwise
            a rule name        that rule on every Linear and Conv2d (the layer_map_base of Zennit
                               for activations and average pooling)
  rules     a NameMapComposite in front of the composite (MixedComposite), as Zennit users
            override single layers
  bias off  zero_params=['bias'] on every rule

The bilinear layer is not a Zennit type; it gets a Hook written here from its definition in
docs/methods.md: R_in = 1/2 * x * d/dx (s . g(x)) with s = R_out / stabilize(g(x)) held
fixed (the share of each input in x^T Q x), and with biases ignored the denominator is g(x)
minus the bias inputs' share 1/2 (b_l * r + b_r * l). Autograd computes the gradient, so it is
an independent implementation of Loupe's two-gemm formula.

Run (needs torch, zennit, safetensors, numpy; never in CI):
    pip install zennit safetensors numpy
    python3 Tests/Fixtures/attribution/make_fixtures.py
Made with zennit 0.5.1, torch 2.15.0 (CPU), safetensors 0.8.0, Python 3.11.7.
"""
import json
import os
from collections import OrderedDict

import torch
import torch.nn as nn
from safetensors.torch import save_file
from zennit.canonizers import SequentialMergeBatchNorm
from zennit.composites import (EpsilonAlpha2Beta1, EpsilonGammaBox, EpsilonPlus, EpsilonPlusFlat,
                               LayerMapComposite, MixedComposite, NameMapComposite, layer_map_base)
from zennit.core import BasicHook, stabilize
from zennit.rules import AlphaBeta, Epsilon, Flat, Gamma, WSquare, ZBox, ZPlus

HERE = os.path.dirname(os.path.abspath(__file__))
LOW, HIGH = -1.0, 1.0
SAMPLES = 5

torch.manual_seed(7)
torch.set_num_threads(1)


def path(name):
    return os.path.join(HERE, name)


class Bilinear(nn.Module):
    """(L x + b_l) * (R x + b_r), its tensors as direct parameters so no Zennit rule sees them."""
    def __init__(self, d_in, d_out):
        super().__init__()
        self.left = nn.Parameter(torch.randn(d_out, d_in) / d_in ** 0.5)
        self.right = nn.Parameter(torch.randn(d_out, d_in) / d_in ** 0.5)
        self.left_bias = nn.Parameter(0.3 * torch.randn(d_out))
        self.right_bias = nn.Parameter(0.3 * torch.randn(d_out))

    def halves(self, x):
        return x @ self.left.T + self.left_bias, x @ self.right.T + self.right_bias

    def forward(self, x):
        left, right = self.halves(x)
        return left * right


class BilinearShare(BasicHook):
    """Loupe's bilinear rule, by autograd."""
    def __init__(self, stabilizer=1e-6, absorb_bias=True):
        super().__init__()
        self.stabilizer = stabilizer
        self.absorb_bias = absorb_bias

    def backward(self, module, grad_input, grad_output):
        x = self.stored_tensors['input'][0].clone().requires_grad_()
        with torch.autograd.enable_grad():
            # .forward, not __call__: calling the module would run the hooks again.
            g = module.forward(x)
            left, right = module.halves(x)
        denominator = g if self.absorb_bias else g - 0.5 * (module.left_bias * right + module.right_bias * left)
        s = (grad_output[0] / stabilize(denominator, self.stabilizer)).detach()
        gradient, = torch.autograd.grad(g, x, grad_outputs=s)
        return (0.5 * x.detach() * gradient,)

    def copy(self):
        return BilinearShare(self.stabilizer, self.absorb_bias)


def randomize_batchnorm(bn):
    """Non-trivial statistics whose scale weight / sqrt(running_var + eps) is a power of two
    (eps = 0), so that folding it into the layer before is exact in float32 as in float64: with
    biases switched off, a unit's bias-free z can be a small difference of large terms, and a
    last-bit difference in the folded weights would show."""
    n = bn.num_features
    sigma = torch.tensor([0.5, 1.0, 2.0])[torch.randint(0, 3, (n,))]
    scale = torch.tensor([0.5, 1.0, 2.0, -1.0])[torch.randint(0, 4, (n,))]
    with torch.no_grad():
        bn.running_var.copy_(sigma ** 2)
        bn.weight.copy_(scale * sigma)
        bn.bias.uniform_(-0.3, 0.3)
        bn.running_mean.uniform_(-0.2, 0.2)
    return bn


def mlp():
    model = nn.Sequential(OrderedDict([
        ("fc1", nn.Linear(12, 10)), ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(10, 8)), ("bn2", randomize_batchnorm(nn.BatchNorm1d(8, eps=0.0))), ("tanh2", nn.Tanh()),
        ("fc3", nn.Linear(8, 6)), ("relu3", nn.ReLU()),
        ("fc4", nn.Linear(6, 4)),
    ]))
    layers = [
        linear("fc1"), {"name": "relu1", "kind": "relu"},
        linear("fc2"), batchnorm("bn2"), {"name": "tanh2", "kind": "tanh"},
        linear("fc3"), {"name": "relu3", "kind": "relu"},
        linear("fc4"),
    ]
    return model, [12], layers


def cnn():
    model = nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(2, 4, 3, padding=1)), ("bn1", randomize_batchnorm(nn.BatchNorm2d(4, eps=0.0))),
        ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(4, 5, (2, 3), stride=(1, 2), padding=1)), ("relu2", nn.ReLU()),
        ("pool2", nn.AvgPool2d(2)), ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(10, 7)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(7, 3)),
    ]))
    layers = [
        {"name": "conv1", "kind": "conv2d", "weight": "conv1.weight", "bias": "conv1.bias", "padding": 1},
        batchnorm("bn1"), {"name": "relu1", "kind": "relu"}, {"name": "pool1", "kind": "maxpool2d", "kernel": 2},
        {"name": "conv2", "kind": "conv2d", "weight": "conv2.weight", "bias": "conv2.bias",
         "stride": [1, 2], "padding": 1},
        {"name": "relu2", "kind": "relu"}, {"name": "pool2", "kind": "avgpool2d", "kernel": 2},
        {"name": "flatten", "kind": "flatten"},
        linear("fc1"), {"name": "relu3", "kind": "relu"}, linear("fc2"),
    ]
    return model, [2, 6, 6], layers


def bilinear():
    model = nn.Sequential(OrderedDict([
        ("embed", nn.Linear(10, 8, bias=False)), ("bilinear", Bilinear(8, 6)), ("head", nn.Linear(6, 4)),
    ]))
    layers = [
        {"name": "embed", "kind": "linear", "weight": "embed.weight"},
        {"name": "bilinear", "kind": "bilinear", "left": "bilinear.left", "right": "bilinear.right",
         "left_bias": "bilinear.left_bias", "right_bias": "bilinear.right_bias"},
        linear("head"),
    ]
    return model, [10], layers


def linear(name):
    return {"name": name, "kind": "linear", "weight": f"{name}.weight", "bias": f"{name}.bias"}


def batchnorm(name):
    return {"name": name, "kind": "batchnorm", "weight": f"{name}.weight", "bias": f"{name}.bias",
            "running_mean": f"{name}.running_mean", "running_var": f"{name}.running_var", "eps": 0.0}


# Loupe's rule names (LRPRule.parse) -> Zennit rules.
def zennit_rule(text, epsilon, gamma, zero_params):
    name, *args = text.split(":")
    args = [float(a) for a in args]
    kw = {"zero_params": zero_params}
    if name == "lrp0":
        return Epsilon(epsilon=0.0, **kw)
    if name == "epsilon":
        return Epsilon(epsilon=args[0] if args else epsilon, **kw)
    if name == "zplus":
        return ZPlus(**kw)
    if name == "alphabeta":
        return AlphaBeta(alpha=args[0], beta=args[1], **kw)
    if name == "zb":
        return ZBox(low=args[0] if args else LOW, high=args[1] if args else HIGH, **kw)
    if name == "w2":
        return WSquare(**kw)
    if name == "flat":
        return Flat(**kw)
    if name == "gamma":
        return Gamma(gamma=args[0] if args else gamma, **kw)
    raise ValueError(text)


def deep_taylor_rules(layers):
    """Loupe's deep-taylor map: zB first; z+ before ReLU; w2 before no nonlinearity; epsilon before
    any other nonlinearity (tanh, sigmoid, gelu, a bilinear layer)."""
    rules = {}
    affine = [i for i, l in enumerate(layers) if l["kind"] in ("linear", "conv2d")]
    for i in affine:
        following = next((l["kind"] for l in layers[i + 1:]
                          if l["kind"] not in ("batchnorm", "flatten", "maxpool2d", "avgpool2d", "identity", "softmax")), None)
        if i == affine[0]:
            rules[layers[i]["name"]] = "zb"
        elif following == "relu":
            rules[layers[i]["name"]] = "zplus"
        elif following in (None, "linear", "conv2d"):
            rules[layers[i]["name"]] = "w2"
        else:
            rules[layers[i]["name"]] = "epsilon"
    return rules


def composite(case, layers):
    zero_params = None if case["bias"] else ["bias"]
    epsilon, gamma = case["epsilon"], case["gamma"]
    kw = {"zero_params": zero_params, "epsilon": epsilon}
    canonizers = [SequentialMergeBatchNorm()]
    name = case["composite"]
    names = dict(case["rules"])
    if name == "epsilon-plus":
        base = EpsilonPlus(**kw)
    elif name == "epsilon-plus-flat":
        base = EpsilonPlusFlat(**kw)
    elif name == "epsilon-gamma-box":
        base = EpsilonGammaBox(low=LOW, high=HIGH, gamma=gamma, **kw)
    elif name == "alpha2-beta1":
        base = EpsilonAlpha2Beta1(**kw)
    elif name == "deep-taylor":
        names = {**deep_taylor_rules(layers), **names}
        base = LayerMapComposite(layer_map=layer_map_base())
    else:
        rule = zennit_rule(name, epsilon, gamma, zero_params)
        base = LayerMapComposite(layer_map=layer_map_base() + [((nn.Conv2d, nn.Linear), rule)])
    name_map = [((layer,), zennit_rule(rule, epsilon, gamma, zero_params)) for layer, rule in names.items()]
    name_map.append((("bilinear",), BilinearShare(absorb_bias=case["bias"])))
    return MixedComposite([NameMapComposite(name_map=name_map), base], canonizers=canonizers)


def relevance(model, layers, x, seed, case):
    model = model.double().eval()
    comp = composite(case, layers)
    comp.register(model)
    try:
        x = x.double().clone().requires_grad_()
        out = model(x)
        rel, = torch.autograd.grad(out, x, grad_outputs=seed(out))
    finally:
        comp.remove()
    assert torch.isfinite(rel).all(), case
    return rel.detach().contiguous()


COMPOSITES = ["epsilon-plus", "epsilon-plus-flat", "epsilon-gamma-box", "alpha2-beta1", "deep-taylor"]
RULES = ["lrp0", "epsilon", "epsilon:0.25", "zplus", "alphabeta:2:1", "alphabeta:1:0", "zb", "zb:-2:1.5",
         "w2", "flat", "gamma", "gamma:0.5"]
OVERRIDES = {"mlp": {"fc2": "gamma:0.5", "fc4": "epsilon:0.1"},
             "cnn": {"conv2": "alphabeta:2:1", "fc2": "flat"},
             "bilinear": {"embed": "w2"}}


def cases(model_name):
    out = []
    for bias in (True, False):
        for name in COMPOSITES + RULES:
            out.append({"composite": name, "rules": {}, "bias": bias, "epsilon": 1e-6, "gamma": 0.25,
                        "target": "classes"})
    out.append({"composite": "epsilon-gamma-box", "rules": {}, "bias": True, "epsilon": 0.25, "gamma": 0.5,
                "target": "classes"})
    out.append({"composite": "epsilon-plus", "rules": OVERRIDES[model_name], "bias": True, "epsilon": 1e-6,
                "gamma": 0.25, "target": "classes"})
    out.append({"composite": "epsilon-plus", "rules": {}, "bias": True, "epsilon": 1e-6, "gamma": 0.25,
                "target": "direction"})
    for c in out:
        rules = ",".join(f"{k}={v}" for k, v in sorted(c["rules"].items()))
        c["key"] = f'{model_name}/{c["composite"]}' + (f"[{rules}]" if rules else "") \
            + ("" if c["bias"] else "/nobias") + (f'/eps={c["epsilon"]},gamma={c["gamma"]}' if c["epsilon"] != 1e-6 else "") \
            + ("/direction" if c["target"] == "direction" else "")
        c["model"] = model_name
    return out


def main():
    tensors = {}
    all_cases = []
    for model_name, build in (("mlp", mlp), ("cnn", cnn), ("bilinear", bilinear)):
        model, shape, layers = build()
        model.eval()
        outputs = layers[-1]["name"]
        arch = {"format": "loupe.arch/1", "name": f"zennit-{model_name}",
                "input": {"shape": shape, "range": [LOW, HIGH]}, "layers": layers}
        if len(shape) == 3:
            arch["input"]["image"] = shape
        state = {k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        save_file(state, path(f"{model_name}.safetensors"), metadata={"loupe.arch": json.dumps(arch)})

        x = (torch.rand(SAMPLES, *shape) * (HIGH - LOW) + LOW).float()
        with torch.no_grad():
            n_out = model(x).shape[1]
        targets = torch.randint(0, n_out, (SAMPLES,))
        direction = torch.randn(n_out, dtype=torch.float64)
        tensors[f"{model_name}.x"] = x.contiguous()
        tensors[f"{model_name}.targets"] = targets
        tensors[f"{model_name}.direction"] = direction
        for case in cases(model_name):
            if case["target"] == "direction":
                def seed(out):
                    return direction[None, :] * out
            else:
                def seed(out):
                    return nn.functional.one_hot(targets, n_out).double() * out
            tensors[case["key"]] = relevance(model, layers, x, seed, case)
            all_cases.append(case)
        print(f"{model_name}: {len(all_cases)} cases so far; output layer {outputs}")
    save_file(tensors, path("expected.safetensors"))
    with open(path("cases.json"), "w") as f:
        json.dump(all_cases, f, indent=1)


if __name__ == "__main__":
    main()
