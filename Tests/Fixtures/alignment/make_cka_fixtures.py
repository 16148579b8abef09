"""CKA reference values for Tests/InterpretTests/Alignment (run: python3 make_cka_fixtures.py).

The data follow the tutorial of Google's CKA demo (google-research/google-research,
representation_similarity/Demo.ipynb): X = randn(100, 10), Y = randn(100, 10) + X with
numpy's seed 1337. The formulas below are the demo's, written out here so the script needs
only numpy. A second pair with different widths (60 x 7 against 60 x 13) checks the
rectangular case, a small pair (n = 9) the debiased estimator where its correction is large,
and a narrow pair (12 samples of 40 and 25 features) the case of fewer samples than features.

Writes cka.npz (the activations, float64) and cka.json (the expected values).
"""
import json

import numpy as np


def gram_linear(x):
    return x.dot(x.T)


def gram_rbf(x, threshold=1.0):
    dot_products = x.dot(x.T)
    sq_norms = np.diag(dot_products)
    sq_distances = -2 * dot_products + sq_norms[:, None] + sq_norms[None, :]
    sq_median_distance = np.median(sq_distances)
    return np.exp(-sq_distances / (2 * threshold ** 2 * sq_median_distance))


def center_gram(gram, unbiased=False):
    gram = gram.copy()
    if unbiased:
        n = gram.shape[0]
        np.fill_diagonal(gram, 0)
        means = np.sum(gram, 0, dtype=np.float64) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        gram -= means[:, None]
        gram -= means[None, :]
        np.fill_diagonal(gram, 0)
    else:
        means = np.mean(gram, 0, dtype=np.float64)
        means -= np.mean(means) / 2
        gram -= means[:, None]
        gram -= means[None, :]
    return gram


def cka(gram_x, gram_y, debiased=False):
    gram_x = center_gram(gram_x, unbiased=debiased)
    gram_y = center_gram(gram_y, unbiased=debiased)
    scaled_hsic = gram_x.ravel().dot(gram_y.ravel())
    return scaled_hsic / (np.linalg.norm(gram_x) * np.linalg.norm(gram_y))


def _debiased_dot_product_similarity_helper(xty, sum_squared_rows_x, sum_squared_rows_y,
                                            squared_norm_x, squared_norm_y, n):
    return (xty - n / (n - 2.) * sum_squared_rows_x.dot(sum_squared_rows_y)
            + squared_norm_x * squared_norm_y / ((n - 1) * (n - 2)))


def feature_space_linear_cka(features_x, features_y, debiased=False):
    features_x = features_x - np.mean(features_x, 0, keepdims=True)
    features_y = features_y - np.mean(features_y, 0, keepdims=True)
    dot_product_similarity = np.linalg.norm(features_x.T.dot(features_y)) ** 2
    normalization_x = np.linalg.norm(features_x.T.dot(features_x))
    normalization_y = np.linalg.norm(features_y.T.dot(features_y))
    if debiased:
        n = features_x.shape[0]
        sum_squared_rows_x = np.einsum('ij,ij->i', features_x, features_x)
        sum_squared_rows_y = np.einsum('ij,ij->i', features_y, features_y)
        squared_norm_x = np.sum(sum_squared_rows_x)
        squared_norm_y = np.sum(sum_squared_rows_y)
        dot_product_similarity = _debiased_dot_product_similarity_helper(
            dot_product_similarity, sum_squared_rows_x, sum_squared_rows_y,
            squared_norm_x, squared_norm_y, n)
        normalization_x = np.sqrt(_debiased_dot_product_similarity_helper(
            normalization_x ** 2, sum_squared_rows_x, sum_squared_rows_x,
            squared_norm_x, squared_norm_x, n))
        normalization_y = np.sqrt(_debiased_dot_product_similarity_helper(
            normalization_y ** 2, sum_squared_rows_y, sum_squared_rows_y,
            squared_norm_y, squared_norm_y, n))
    return dot_product_similarity / (normalization_x * normalization_y)


def expected(x, y):
    values = {
        "linear": cka(gram_linear(x), gram_linear(y)),
        "linear_features": feature_space_linear_cka(x, y),
        "linear_debiased": cka(gram_linear(x), gram_linear(y), debiased=True),
        "linear_debiased_features": feature_space_linear_cka(x, y, debiased=True),
        "rbf_0.5": cka(gram_rbf(x, 0.5), gram_rbf(y, 0.5)),
        "rbf_1.0": cka(gram_rbf(x, 1.0), gram_rbf(y, 1.0)),
        "rbf_0.5_debiased": cka(gram_rbf(x, 0.5), gram_rbf(y, 0.5), debiased=True),
    }
    # The two forms of linear CKA agree, as the demo asserts.
    np.testing.assert_almost_equal(values["linear"], values["linear_features"])
    np.testing.assert_almost_equal(values["linear_debiased"], values["linear_debiased_features"])
    return {k: float(v) for k, v in values.items()}


np.random.seed(1337)
X = np.random.randn(100, 10)
Y = np.random.randn(100, 10) + X

rng = np.random.default_rng(7)
wide_x = rng.standard_normal((60, 7))
wide_y = np.tanh(wide_x @ rng.standard_normal((7, 13))) + 0.3 * rng.standard_normal((60, 13))

small_x = rng.standard_normal((9, 4))
small_y = small_x ** 2 + 0.5 * rng.standard_normal((9, 4))

narrow_x = rng.standard_normal((12, 40))
narrow_y = narrow_x[:, :25] - 0.5 * narrow_x[:, 15:] + rng.standard_normal((12, 25))

np.savez("cka.npz", demo_x=X, demo_y=Y, wide_x=wide_x, wide_y=wide_y, small_x=small_x, small_y=small_y,
         narrow_x=narrow_x, narrow_y=narrow_y)
result = {"demo": expected(X, Y), "wide": expected(wide_x, wide_y), "small": expected(small_x, small_y),
          "narrow": expected(narrow_x, narrow_y)}
with open("cka.json", "w") as f:
    json.dump(result, f, indent=1, sort_keys=True)
print(json.dumps(result["demo"], indent=1))
