"""Prints the Spearman correlations that Tests/InterpretTests/Attribution/SpearmanTests.swift
holds scipy's values for (scipy.stats.spearmanr, average ranks for ties)."""
import numpy as np
from scipy.stats import rankdata, spearmanr

cases = {
    "digits of pi and e": ([3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]),
    "signed relevance with zeros": ([0, 0, 0.5, -1, 2, 0, 3], [0, 0, -0.2, 1, 0.1, 0, 0.4]),
}
for name, (x, y) in cases.items():
    print(name, repr(float(spearmanr(x, y).statistic)), "of |·|:", repr(float(spearmanr(np.abs(x), np.abs(y)).statistic)))
print("ranks", rankdata([10, 20, 20, 5, 20, 0]).tolist())
