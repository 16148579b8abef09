#!/usr/bin/env python3
"""Writes gradients.safetensors: the references of Tests/TransformersTests/GPT2TrainingTests.swift.

For the random GPT-2 in gpt2/ (made by make_transformer_fixtures.py; float16 weights, which
float64 holds exactly), run by transformers' GPT2LMHeadModel in float64 with eager attention
and no dropout, on CONTEXTS (fixed token ids of different lengths):

  loss                the mean next-token cross-entropy over every predicted position of every
                      context (each context predicts its tokens 1…n from tokens 0…n−1)
  grad.<name>         d loss / d parameter, under the checkpoint's tensor names (the tied
                      unembedding's share included in transformer.wte.weight)
  steps.loss          the same loss before each of STEPS training steps and after the last:
                      gradient, clip_grad_norm_ to CLIP, torch.optim.AdamW (lr LR, betas
                      (0.9, 0.999), eps 1e-8, weight decay DECAY on the blocks' 2-d weights only)
                      at the learning rate scaled by SCHEDULE (linear warm-up then cosine)
  adamw.theta0, adamw.grads, adamw.theta
                      a small AdamW check on its own: 40 parameters, decay on [0, 10) and
                      [25, 40) only, ADAMW_STEPS updates with the given gradients at the
                      schedule's rates, and the parameters after each

Run from the repository root: python3 Tests/Fixtures/transformers/make_gradient_fixtures.py
"""
import json
import math
import os

import torch
import transformers
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXTS = [
    [17, 250, 3999, 4, 1024, 77, 600, 12, 2048],
    [3000, 5, 5, 5, 900, 1, 0, 42, 314, 159, 2653, 589, 793, 238, 462, 643, 383],
    [4000, 8, 88, 888],
]
LR, DECAY, CLIP, STEPS = 1e-2, 0.1, 1.0, 3
ADAMW_STEPS = 4


def schedule(step, steps, warmup, final=0.1):
    """LanguageModelOptions.learningRateScale: linear warm-up, then a half cosine down to `final`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / (steps - warmup - 1) if steps - warmup > 1 else 1.0
    return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def mean_loss(model):
    total, count = 0.0, 0
    for ids in CONTEXTS:
        x = torch.tensor([ids])
        logits = model(x).logits[0, :-1]
        total = total + torch.nn.functional.cross_entropy(logits, x[0, 1:], reduction="sum")
        count += len(ids) - 1
    return total / count


def adamw(model):
    decayed = [p for n, p in model.named_parameters() if n.startswith("transformer.h.") and p.dim() == 2]
    others = [p for n, p in model.named_parameters() if not (n.startswith("transformer.h.") and p.dim() == 2)]
    return torch.optim.AdamW([{"params": decayed, "weight_decay": DECAY}, {"params": others, "weight_decay": 0.0}],
                             lr=LR, betas=(0.9, 0.999), eps=1e-8)


def main():
    model = transformers.GPT2LMHeadModel.from_pretrained(os.path.join(HERE, "gpt2"), attn_implementation="eager",
                                                         dtype=torch.float64)
    model.eval()
    out = {}
    loss = mean_loss(model)
    loss.backward()
    out["loss"] = loss.detach().reshape(1)
    for name, p in model.named_parameters():
        # float32 keeps the file small; its rounding (6e-8) is far below the tests' 1e-4.
        out["grad." + name] = p.grad.detach().to(torch.float32)
    model.zero_grad()

    optimizer = adamw(model)
    losses = []
    for step in range(STEPS):
        for group in optimizer.param_groups:
            group["lr"] = LR * schedule(step, STEPS, 1)
        optimizer.zero_grad()
        loss = mean_loss(model)
        losses.append(loss.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
    with torch.no_grad():
        losses.append(mean_loss(model).item())
    out["steps.loss"] = torch.tensor(losses, dtype=torch.float64)

    generator = torch.Generator().manual_seed(7)
    theta = torch.randn(40, generator=generator, dtype=torch.float64)
    grads = torch.randn(ADAMW_STEPS, 40, generator=generator, dtype=torch.float64)
    grads[:, 3] = 0  # a parameter that never gets a gradient still decays
    p = torch.nn.Parameter(theta.clone())
    mask = torch.zeros(40, dtype=torch.bool)
    mask[0:10] = True
    mask[25:40] = True
    # Two views would share one Adam state; two parameters holding the halves keep torch's own AdamW.
    decayed, kept = torch.nn.Parameter(theta[mask].clone()), torch.nn.Parameter(theta[~mask].clone())
    opt = torch.optim.AdamW([{"params": [decayed], "weight_decay": 0.3}, {"params": [kept], "weight_decay": 0.0}],
                            lr=0.05, betas=(0.9, 0.999), eps=1e-8)
    thetas = []
    for step in range(ADAMW_STEPS):
        for group in opt.param_groups:
            group["lr"] = 0.05 * schedule(step, ADAMW_STEPS, 2)
        decayed.grad, kept.grad = grads[step][mask].clone(), grads[step][~mask].clone()
        opt.step()
        whole = torch.empty(40, dtype=torch.float64)
        whole[mask], whole[~mask] = decayed.detach(), kept.detach()
        thetas.append(whole)
    out["adamw.theta0"] = theta
    out["adamw.grads"] = grads
    out["adamw.theta"] = torch.stack(thetas)
    metadata = {"contexts": json.dumps(CONTEXTS), "lr": str(LR), "decay": str(DECAY), "clip": str(CLIP), "steps": str(STEPS)}
    save_file({k: v.contiguous() for k, v in out.items()}, os.path.join(HERE, "gradients.safetensors"), metadata=metadata)
    print("loss", out["loss"].item(), "losses", losses)


if __name__ == "__main__":
    main()
