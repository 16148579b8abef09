"""Writes gated_gradient.safetensors: SAELens's own training loss of a gated SAE and its autograd
gradient, the reference of SAEGradientTests.testGatedAgainstSAELensAutograd.

    pip install sae-lens        # made with sae-lens 6.54.12, torch 2.13
    python3 Tests/Fixtures/sparse/make_gated_gradient.py

For two small gated SAEs in float64 (b_dec subtracted from the input, and not), with seeded random
parameters (decoder rows of uneven norm, so the L1's decoder-norm weighting matters) and a seeded
batch, it runs SAELens's `GatedTrainingSAE.training_forward_pass` and `backward`, and records per
case `<case>.<param>` (W_enc, b_gate, r_mag, b_mag, W_dec, b_dec), `<case>.x`,
`<case>.l1_coefficient`, `<case>.losses` ([mse_loss, l1_loss, auxiliary_reconstruction_loss]) and
`<case>.grad.<param>`. Every pre-activation is kept at least 1e-3 from the gate's step and the
ReLU's kink, where the gradient is not defined.
"""

from pathlib import Path

import torch
from safetensors.torch import save_file
from sae_lens.saes.gated_sae import GatedTrainingSAE, GatedTrainingSAEConfig
from sae_lens.saes.sae import TrainStepInput

HERE = Path(__file__).resolve().parent
D_IN, D_SAE, BATCH = 6, 10, 5
PARAMS = ["W_enc", "b_gate", "r_mag", "b_mag", "W_dec", "b_dec"]


def case(name, apply_b_dec_to_input, l1, seed):
    torch.manual_seed(seed)
    cfg = GatedTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, dtype="float64", device="cpu",
                                 apply_b_dec_to_input=apply_b_dec_to_input, l1_coefficient=l1)
    sae = GatedTrainingSAE(cfg)
    with torch.no_grad():
        sae.W_enc.copy_(torch.randn(D_IN, D_SAE, dtype=torch.float64) * 0.7)
        sae.W_dec.copy_(torch.randn(D_SAE, D_IN, dtype=torch.float64) * 0.7)
        sae.b_gate.copy_(torch.randn(D_SAE, dtype=torch.float64) * 0.3)
        sae.r_mag.copy_(torch.randn(D_SAE, dtype=torch.float64) * 0.5)
        sae.b_mag.copy_(torch.randn(D_SAE, dtype=torch.float64) * 0.3)
        sae.b_dec.copy_(torch.randn(D_IN, dtype=torch.float64) * 0.3)
    x = torch.randn(BATCH, D_IN, dtype=torch.float64) * 1.5
    with torch.no_grad():
        centred = x - sae.b_dec * apply_b_dec_to_input
        gate = centred @ sae.W_enc + sae.b_gate
        magnitude = centred @ (sae.W_enc * sae.r_mag.exp()) + sae.b_mag
        assert gate.abs().min() > 1e-3 and magnitude.abs().min() > 1e-3, "a pre-activation at a kink; change the seed"
        assert ((gate > 0) & (magnitude <= 0)).any() and (gate <= 0).any(), "both masks should matter; change the seed"
    out = sae.training_forward_pass(TrainStepInput(
        sae_in=x, coefficients={"l1": l1}, dead_neuron_mask=None, n_training_steps=0, is_logging_step=False))
    out.loss.backward()
    losses = [out.losses[k].item() for k in ["mse_loss", "l1_loss", "auxiliary_reconstruction_loss"]]
    assert abs(sum(losses) - out.loss.item()) < 1e-12
    tensors = {f"{name}.x": x, f"{name}.l1_coefficient": torch.tensor([l1], dtype=torch.float64),
               f"{name}.losses": torch.tensor(losses, dtype=torch.float64)}
    for p in PARAMS:
        tensors[f"{name}.{p}"] = getattr(sae, p).detach().clone()
        tensors[f"{name}.grad.{p}"] = getattr(sae, p).grad.clone()
    return tensors


expected = case("gated", True, 0.6, seed=22) | case("gated_no_b_dec_input", False, 0.2, seed=23)
save_file({k: v.contiguous() for k, v in expected.items()}, HERE / "gated_gradient.safetensors")
