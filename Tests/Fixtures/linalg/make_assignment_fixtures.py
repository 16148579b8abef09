"""Writes assignment.json: cost matrices and scipy's optimal costs, for LinAlgTests.

Run from this directory:  python3 make_assignment_fixtures.py   (needs numpy, scipy)
Integer costs make ties common, which is where assignment solvers go wrong.
"""
import json

import numpy as np
from scipy.optimize import linear_sum_assignment

rng = np.random.default_rng(2026)
cases = []
for rows, cols, maximize, high in [(40, 40, False, 1000), (25, 60, False, 50), (60, 25, True, 50),
                                   (50, 50, True, 5), (1, 9, False, 10), (33, 34, False, 1_000_000)]:
    cost = rng.integers(0, high, size=(rows, cols))
    r, c = linear_sum_assignment(cost, maximize=maximize)
    cases.append({"rows": rows, "cols": cols, "maximize": maximize,
                  "cost": cost.flatten().tolist(), "optimum": int(cost[r, c].sum())})
with open("assignment.json", "w") as f:
    json.dump({"generator": "scipy.optimize.linear_sum_assignment", "cases": cases}, f)
