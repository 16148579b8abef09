"""Makes the SAELens-layout fixtures of the sparse-coding tests, with SAELens itself.

    pip install sae-lens        # made with sae-lens 6.54.12, torch 2.15
    python3 Tests/Fixtures/sparse/make_fixtures.py

For each architecture it builds a small SAE in SAELens with seeded random weights, saves it with
`save_model` (cfg.json + sae_weights.safetensors, exactly what SAELens writes), and records
SAELens's own encode and decode of a few seeded inputs in expected.safetensors:
`<name>.x`, `<name>.codes` (encode(x)) and `<name>.reconstruction` (decode(encode(x))).
"""

from pathlib import Path

import torch
from safetensors.torch import save_file
from sae_lens import SAE

HERE = Path(__file__).resolve().parent
D_IN, D_SAE, SAMPLES = 8, 16, 6


def make(name, cfg, seed, unit_decoder=False, threshold=None):
    torch.manual_seed(seed)
    sae = SAE.from_dict({"d_in": D_IN, "d_sae": D_SAE, "dtype": "float32", "device": "cpu", **cfg})
    with torch.no_grad():
        for pname, p in sae.named_parameters():
            p.copy_(torch.randn_like(p) * (0.5 if pname.startswith("b_") else 1.0))
        if unit_decoder:
            sae.W_dec /= sae.W_dec.norm(dim=-1, keepdim=True)
        if threshold is not None:
            sae.threshold.copy_(torch.rand(D_SAE) * threshold)
    sae.save_model(HERE / name)
    x = torch.randn(SAMPLES, D_IN) * 2
    with torch.no_grad():
        codes = sae.encode(x)
        codes = codes.to_dense() if codes.is_sparse else codes
        reconstruction = sae.decode(codes)
    return {f"{name}.x": x, f"{name}.codes": codes.contiguous(), f"{name}.reconstruction": reconstruction.contiguous()}


expected = {}
expected |= make("standard", {"architecture": "standard"}, seed=1)
expected |= make("topk", {"architecture": "topk", "k": 4}, seed=2)
expected |= make("topk_rescaled", {"architecture": "topk", "k": 4, "rescale_acts_by_decoder_norm": True}, seed=3)
expected |= make("jumprelu", {"architecture": "jumprelu"}, seed=4, threshold=1.5)
expected |= make("matching_pursuit", {"architecture": "matching_pursuit", "residual_threshold": 0.5,
                                      "max_iterations": 5, "stop_on_duplicate_support": True},
                 seed=5, unit_decoder=True)
expected |= make("no_b_dec_input", {"architecture": "standard", "apply_b_dec_to_input": False}, seed=6)
save_file(expected, HERE / "expected.safetensors")
