"""Makes the SAELens fixtures of SAEs on a language model, with SAELens itself.

    pip install sae-lens        # made with sae-lens 6.54.12, torch 2.15, transformers 5.25
    python3 Tests/Fixtures/sparse/lm/make_lm_fixtures.py

Each SAE reads blocks.0.hook_resid_post (d 64) of the random test GPT-2
(Tests/Fixtures/transformers/gpt2); SAELens builds it with seeded random weights and saves it with
`save_model` (SAELens 6's cfg.json, hook_name etc. under `metadata`). Two more are written in the
flat cfg.json of SAELens 5 and earlier, which SAELens 6 converts on loading. expected.safetensors
holds the inputs `x` (the GPT-2's hook_resid_post on fixed token ids, float32) and, per SAE, what
SAELens computes after `SAE.load_from_disk`: `<name>.codes` = encode(x) and
`<name>.reconstruction` = decode(encode(x)).

`scaled` was trained with normalize_activations "expected_average_only_in": its directory holds
the unfolded weights and SAELens's activation_scaler.json, as a SAELens training checkpoint does;
its expected values are those of the SAE after SAELens's `fold_activation_norm_scaling_factor`,
which SAELens's trainer applies before saving the final SAE.
"""

import json
from pathlib import Path

import torch
from safetensors.torch import save_file
from sae_lens import SAE
from transformers import GPT2Model

HERE = Path(__file__).resolve().parent
GPT2 = HERE.parent.parent / "transformers" / "gpt2"
D_IN, D_SAE = 64, 128
HOOK = "blocks.0.hook_resid_post"
METADATA = {"model_name": "Tests/Fixtures/transformers/gpt2", "hook_name": HOOK, "context_size": 16, "prepend_bos": False}
SCALE = 0.37

# blocks.0.hook_resid_post: the residual stream after block 0, hidden_states[1] in transformers.
model = GPT2Model.from_pretrained(GPT2, torch_dtype=torch.float64).eval()
ids = torch.tensor([[(7 * i * i + 13 * i + 5) % 4001 for i in range(16)], [(31 * i + 11) % 4001 for i in range(16)]])
with torch.no_grad():
    x = model(ids, output_hidden_states=True).hidden_states[1].reshape(-1, D_IN).float().contiguous()


def randomised(cfg, seed):
    torch.manual_seed(seed)
    sae = SAE.from_dict({"d_in": D_IN, "d_sae": D_SAE, "dtype": "float32", "device": "cpu", "metadata": METADATA, **cfg})
    scale = x.norm(dim=-1).mean().item() / D_IN**0.5
    with torch.no_grad():
        for name, p in sae.named_parameters():
            if name == "r_mag":
                p.copy_(torch.randn_like(p) * 0.5)
            elif name == "threshold":
                p.copy_(torch.rand_like(p) * 2 * scale)
            elif name.startswith("b_"):
                p.copy_(torch.randn_like(p) * 0.5 * scale)
            else:
                p.copy_(torch.randn_like(p) / D_IN**0.5)
    return sae


def outputs(name, sae):
    with torch.no_grad():
        codes = sae.encode(x)
        return {f"{name}.codes": codes.contiguous(), f"{name}.reconstruction": sae.decode(codes).contiguous()}


def make(name, cfg, seed):
    randomised(cfg, seed).save_model(HERE / name)
    return outputs(name, SAE.load_from_disk(HERE / name))


def make_scaled(name, seed):
    sae = randomised({"architecture": "standard", "normalize_activations": "expected_average_only_in"}, seed)
    sae.save_model(HERE / name)
    (HERE / name / "activation_scaler.json").write_text(json.dumps({"scaling_factor": SCALE, "has_whitening": False}))
    loaded = SAE.load_from_disk(HERE / name)
    loaded.fold_activation_norm_scaling_factor(SCALE)
    return outputs(name, loaded)


def make_flat(name, cfg, seed):
    """An SAE in the flat cfg.json of SAELens 5 (and, with activation_fn_str "topk", of SAELens 3 and 4)."""
    sae = randomised({"architecture": "standard"}, seed)
    sae.save_model(HERE / name)
    flat = {
        "architecture": "standard", "d_in": D_IN, "d_sae": D_SAE, "activation_fn_str": "relu",
        "apply_b_dec_to_input": True, "finetuning_scaling_factor": False, "context_size": 16,
        "model_name": METADATA["model_name"], "hook_name": HOOK, "hook_layer": 0, "hook_head_index": None,
        "prepend_bos": False, "dataset_path": "", "dataset_trust_remote_code": True,
        "normalize_activations": "none", "dtype": "float32", "device": "cpu",
        "sae_lens_training_version": "5.10.2", "activation_fn_kwargs": {}, "neuronpedia_id": None,
        "model_from_pretrained_kwargs": {}, "seqpos_slice": [None], **cfg,
    }
    (HERE / name / "cfg.json").write_text(json.dumps(flat))
    return outputs(name, SAE.load_from_disk(HERE / name))


expected = {"x": x}
expected |= make("standard", {"architecture": "standard"}, seed=11)
expected |= make("topk", {"architecture": "topk", "k": 8}, seed=12)
expected |= make("jumprelu", {"architecture": "jumprelu"}, seed=13)
expected |= make("gated", {"architecture": "gated"}, seed=14)
expected |= make("gated_no_b_dec_input", {"architecture": "gated", "apply_b_dec_to_input": False}, seed=15)
expected |= make_scaled("scaled", seed=16)
expected |= make_flat("saelens5_standard", {"normalize_activations": False}, seed=17)
expected |= make_flat("saelens5_topk", {"activation_fn_str": "topk", "activation_fn_kwargs": {"k": 8}}, seed=18)
save_file(expected, HERE / "expected.safetensors")
