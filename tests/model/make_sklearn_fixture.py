#!/usr/bin/python3
"""Writes tests/model/fixtures/sklearn_lasso.json: Lasso solutions from scikit-learn that the
C++ path must reproduce (tests/model/sklearn_agreement_test.cpp).

scikit-learn minimises (1/(2n)) sum_i w_i (y_i - x_i.beta - b)^2 + alpha ||beta||_1 with the
sample weights rescaled to sum n, which is our objective with lambda = alpha once the columns
are standardised the way we standardise them (weighted mean 0, weighted population variance 1).
So X is standardised here, and the C++ side fits the same X with lambda = alpha.

Run with Debian's interpreter: /usr/bin/python3 tests/model/make_sklearn_fixture.py
"""
import json
import os

import numpy as np
import sklearn
from sklearn.linear_model import Lasso


def standardise(x, w):
    v = w / w.sum()
    mean = v @ x
    centred = x - mean
    scale = np.sqrt(v @ (centred**2))
    return centred / scale


def case(name, rng, rows, cols, weighted):
    # Correlated columns (a shared factor) and a sparse truth, like polynomial terms.
    shared = rng.normal(size=(rows, 1))
    x = 0.7 * shared + rng.normal(size=(rows, cols))
    x[:, 3] = x[:, 1] * x[:, 2]
    beta = np.zeros(cols)
    beta[[0, 3, 5]] = [2.0, -1.5, 0.8]
    y = 4.0 + x @ beta + 0.5 * rng.normal(size=rows)
    w = rng.uniform(0.2, 5.0, size=rows) if weighted else np.ones(rows)
    xs = standardise(x, w)
    ws = w * rows / w.sum()
    alpha_max = np.max(np.abs(xs.T @ (ws * (y - ws @ y / rows)))) / rows
    alphas = [alpha_max * f for f in (0.9, 0.3, 0.05, 0.005)]
    coefs, intercepts = [], []
    for alpha in alphas:
        model = Lasso(alpha=alpha, tol=1e-12, max_iter=10**6)
        model.fit(xs, y, sample_weight=w if weighted else None)
        coefs.append(model.coef_.tolist())
        intercepts.append(float(model.intercept_))
    return {
        "name": name,
        "x": xs.tolist(),
        "y": y.tolist(),
        "weights": w.tolist() if weighted else [],
        "alphas": alphas,
        "coef": coefs,
        "intercept": intercepts,
    }


def main():
    rng = np.random.default_rng(20170711)
    fixture = {
        "generator": "tests/model/make_sklearn_fixture.py",
        "sklearn_version": sklearn.__version__,
        "cases": [
            case("unweighted", rng, 80, 10, False),
            case("weighted", rng, 60, 8, True),
        ],
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "fixtures", "sklearn_lasso.json")
    with open(path, "w") as out:
        json.dump(fixture, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
