#!/usr/bin/env python3
"""Writes the numpy reference for Tests/InterpretTests/Bilinear/NumpyEighTests.swift.

  model.safetensors   a random network with every bias the analysis must handle, architecture
                      embedded under "loupe.arch":
                        input [12] (drawn as a 1x3x4 image)
                        -> embed    linear 12 -> 14 with bias
                        -> bilinear 14 -> 7, left/right with left_bias/right_bias
                        -> head     linear 7 -> 5 with bias
                      The embedding is wider than the input, so every interaction matrix written
                      in input space has full rank 13 (12 pixels + the constant) and distinct
                      eigenvalues: its eigenvectors are unique up to sign.
  directions.npy      two random directions of the bilinear layer's output, [2, 7], float64.
  reference.safetensors (float64 throughout)
                      q             [7, 13, 13]  interaction matrices: the 5 class logits, the
                                                 contrast "1 - 3", and directions.npy's 2 rows
                      eigenvalues   [7, 13]      numpy.linalg.eigh, ascending
                      eigenvectors  [7, 13, 13]  numpy.linalg.eigh, eigenvector i in [:, :, i]
                      offsets       [7]          what the readout bias adds along each direction
                      x             [6, 12]      inputs (float32 values, stored as float64)
                      outputs       [6, 7]       u.g(x) + offset for each input and direction,
                                                 from an explicit float64 forward pass

Q is built the textbook way, independently of Loupe's L^T diag(u) R route: the interaction
tensor B_a = outer(L~_a, R~_a) over the augmented hidden input h~ = [h; 1], the symmetric form
Q_h = 1/2 sum_a u_a (B_a + B_a^T), then pulled back through the augmented embedding
E~ = [[E, e], [0, 1]]: Q = E~^T Q_h E~.

Run (needs numpy and safetensors; never in CI):
    python3 Tests/Fixtures/bilinear/make_fixtures.py
Made with numpy 2.4.6, safetensors 0.8.0, Python 3.11.7. Seeded.
"""
import json
import os

import numpy as np
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240522)

D_IN, D_EMBED, D_HIDDEN, CLASSES = 12, 14, 7, 5


def f32(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


weights = {
    "embed.weight": f32(D_EMBED, D_IN, scale=0.5),
    "embed.bias": f32(D_EMBED, scale=0.3),
    "bilinear.left": f32(D_HIDDEN, D_EMBED, scale=0.4),
    "bilinear.right": f32(D_HIDDEN, D_EMBED, scale=0.4),
    "bilinear.left_bias": f32(D_HIDDEN, scale=0.3),
    "bilinear.right_bias": f32(D_HIDDEN, scale=0.3),
    "head.weight": f32(CLASSES, D_HIDDEN, scale=0.5),
    "head.bias": f32(CLASSES, scale=0.2),
}
arch = {
    "format": "loupe.arch/1", "name": "random-biased-bilinear",
    "input": {"shape": [D_IN], "image": [1, 3, 4]},
    "classes": ["a", "b", "c", "d", "e"],
    "layers": [
        {"name": "embed", "kind": "linear", "weight": "embed.weight", "bias": "embed.bias"},
        {"name": "bilinear", "kind": "bilinear", "left": "bilinear.left", "right": "bilinear.right",
         "left_bias": "bilinear.left_bias", "right_bias": "bilinear.right_bias"},
        {"name": "head", "kind": "linear", "weight": "head.weight", "bias": "head.bias"},
    ],
}
save_file(weights, os.path.join(HERE, "model.safetensors"), metadata={"loupe.arch": json.dumps(arch)})

w = {k: v.astype(np.float64) for k, v in weights.items()}
E, e = w["embed.weight"], w["embed.bias"]
L = np.hstack([w["bilinear.left"], w["bilinear.left_bias"][:, None]])     # [7, 15]
R = np.hstack([w["bilinear.right"], w["bilinear.right_bias"][:, None]])   # [7, 15]
U, c = w["head.weight"], w["head.bias"]

E_aug = np.zeros((D_EMBED + 1, D_IN + 1))
E_aug[:D_EMBED, :D_IN] = E
E_aug[:D_EMBED, D_IN] = e
E_aug[D_EMBED, D_IN] = 1.0

B = np.einsum("ai,aj->aij", L, R)                                          # [7, 15, 15]

directions = rng.standard_normal((2, D_HIDDEN))
np.save(os.path.join(HERE, "directions.npy"), directions)
us = [U[k] for k in range(CLASSES)] + [U[1] - U[3]] + list(directions)
offsets = [c[k] for k in range(CLASSES)] + [c[1] - c[3]] + [0.0, 0.0]

qs, values, vectors = [], [], []
for u in us:
    q_hidden = 0.5 * np.einsum("a,aij->ij", u, B + B.transpose(0, 2, 1))
    q = E_aug.T @ q_hidden @ E_aug
    lam, v = np.linalg.eigh(q)
    assert np.min(np.diff(lam)) > 1e-6, "eigenvalues too close for a sign-only comparison"
    qs.append(q)
    values.append(lam)
    vectors.append(v)

x = rng.uniform(0, 1, (6, D_IN)).astype(np.float32).astype(np.float64)
h = x @ E.T + e
g = (h @ w["bilinear.left"].T + w["bilinear.left_bias"]) * (h @ w["bilinear.right"].T + w["bilinear.right_bias"])
outputs = np.stack([g @ u + off for u, off in zip(us, offsets)], axis=1)

save_file({
    "q": np.stack(qs), "eigenvalues": np.stack(values), "eigenvectors": np.stack(vectors),
    "offsets": np.array(offsets), "x": x, "outputs": outputs,
}, os.path.join(HERE, "reference.safetensors"))
print("wrote model.safetensors, directions.npy, reference.safetensors")
