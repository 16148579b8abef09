"""Mutual k-NN alignment fixtures (Tests/InterpretTests/Alignment/PermutationNullTests.swift).

The reference is the metric of Huh, Cheung, Wang & Isola (2024), "The Platonic Representation
Hypothesis" (github.com/minyoungg/platonic-rep, metrics.py: mutual_knn after F.normalize),
written here in numpy: L2-normalise each sample, rank the inner products with the diagonal set to
-1e8, keep the top k of each row, and average |N_A(i) ∩ N_B(i)| / k over the samples.

Run from the repository root: python3 Tests/Fixtures/alignment/make_mutual_knn_fixtures.py
"""
import json

import numpy as np


def normalize(x):
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def nearest(x, k):
    s = normalize(x) @ normalize(x).T
    np.fill_diagonal(s, -1e8)
    return np.argsort(-s, axis=1, kind="stable")[:, :k]


def mutual_knn(a, b, k):
    na, nb = nearest(a, k), nearest(b, k)
    n = a.shape[0]
    ma = np.zeros((n, n))
    mb = np.zeros((n, n))
    rows = np.arange(n)[:, None]
    ma[rows, na] = 1
    mb[rows, nb] = 1
    return float(((ma * mb).sum(axis=1) / k).mean())


rng = np.random.default_rng(7)
arrays, expected = {}, {}
# Related representations: B sees A through a random map plus noise, so the neighbourhoods
# agree in part; and an unrelated C of other widths.
a = rng.normal(size=(120, 16))
b = np.tanh(a @ rng.normal(size=(16, 9))) + 0.3 * rng.normal(size=(120, 9))
c = rng.normal(size=(120, 5)) + 2.0
order = rng.permutation(120)
arrays.update(a=a, b=b, c=c, order=order.astype(np.int64))
for k in (1, 5, 10, 30):
    expected[f"ab_k{k}"] = mutual_knn(a, b, k)
    expected[f"ac_k{k}"] = mutual_knn(a, c, k)
    # B with its samples in `order` (sample i of the shuffled B is B's sample order[i]).
    expected[f"ab_shuffled_k{k}"] = mutual_knn(a, b[order], k)
np.savez("Tests/Fixtures/alignment/mutual_knn.npz", **arrays)
with open("Tests/Fixtures/alignment/mutual_knn.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
print(json.dumps(expected, indent=1, sort_keys=True))
