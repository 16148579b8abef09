"""Checks that an SAE written by Loupe opens in SAELens and computes what Loupe computes.

    pip install sae-lens
    loupe sae train --acts acts.npy --out my-sae
    loupe sae encode my-sae --acts acts.npy --out codes.npy
    python3 Tests/Fixtures/sparse/check_in_saelens.py my-sae acts.npy codes.npy

For an SAE on a transformer checkpoint's hook point, the activations are `loupe forward`'s rows
of the same text (the first --max-tokens of them; this script reads the first 1000):

    loupe sae train CHECKPOINT --text c.txt --layer blocks.0.hook_resid_post --max-tokens 500 --out lm-sae
    loupe forward CHECKPOINT --text c.txt --layer blocks.0.hook_resid_post --out acts.npy
    loupe sae encode lm-sae CHECKPOINT --text c.txt --max-tokens 500 --out codes.npy
    python3 -c "import numpy as np; np.save('acts500.npy', np.load('acts.npy')[:500])"
    python3 Tests/Fixtures/sparse/check_in_saelens.py lm-sae acts500.npy codes.npy

Loads the directory with `SAE.load_from_disk`, encodes the activations with SAELens and prints
the largest difference from Loupe's codes and the FVU of SAELens's decode of Loupe's codes; exits 1
when the codes differ by more than 1e-5 of the largest code (or 1e-5 when the codes are smaller).
lm/check_gated_in_saelens.sh runs it on gated SAEs that Loupe trains.
"""

import sys

import numpy as np
import torch
from sae_lens import SAE

directory, acts_path, codes_path = sys.argv[1:4]
sae = SAE.load_from_disk(directory)
x = torch.from_numpy(np.load(acts_path)[:1000].astype(np.float32))
loupe_codes = torch.from_numpy(np.load(codes_path)[:1000].astype(np.float32))
with torch.no_grad():
    codes = sae.encode(x)
    codes = codes.to_dense() if codes.is_sparse else codes
    reconstruction = sae.decode(loupe_codes)
scale = loupe_codes.abs().max().item()
worst = (codes - loupe_codes).abs().max().item()
print(f"{directory}: {type(sae).__name__}, d_in {sae.cfg.d_in}, d_sae {sae.cfg.d_sae}; "
      f"codes differ by at most {worst:.2e} (largest code {scale:.3g}); "
      f"mean L0 {(codes != 0).float().sum(-1).mean().item():.2f} (Loupe {(loupe_codes != 0).float().sum(-1).mean().item():.2f}); "
      f"FVU of SAELens's decode of Loupe's codes {((reconstruction - x) ** 2).sum().item() / ((x - x.mean(0)) ** 2).sum().item():.4f}")
if worst > 1e-5 * max(scale, 1.0):
    sys.exit(f"{directory}: SAELens's codes differ from Loupe's by {worst:.2e}, more than 1e-5 of the largest code {scale:.3g}")
