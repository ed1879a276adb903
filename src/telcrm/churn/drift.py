"""Drift of a churn model's inputs and score against training time (issue 3: "a drift
check compares the score and feature distributions with training time").

The measure is the population stability index, PSI = sum over bins of (a - e) ln(a / e),
with e the training share and a the current share of a bin. Bins are the training deciles
for numbers (so each holds a tenth at training time) plus one bin for missing values, and
the categories for text. The usual reading: below 0.1 stable, 0.1 to 0.25 moving, above
0.25 shifted enough that the model's picture of the lines no longer holds.

No Django here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PSI_ALERT = 0.25
# A share of zero makes ln(a / e) infinite; a bin no line falls in counts as this share.
_FLOOR = 1e-4
_OTHER = "(other)"


def numeric_baseline(values: pd.Series | np.ndarray) -> dict[str, object]:
    """Decile edges of the present values and the shares of the bins they make."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    present = x[~np.isnan(x)]
    edges = np.unique(np.quantile(present, np.linspace(0.1, 0.9, 9))) if len(present) else np.array([])
    return {"kind": "numeric", "edges": edges.tolist(), "shares": numeric_shares(x, edges.tolist())}


def numeric_shares(values: pd.Series | np.ndarray, edges: list[float]) -> list[float]:
    """Shares of ``len(edges) + 1`` bins (right-closed: a value equal to an edge falls
    below it), then the share of missing values."""
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    if len(x) == 0:
        return [0.0] * (len(edges) + 2)
    missing = np.isnan(x)
    bins = np.searchsorted(np.asarray(edges, dtype=float), x[~missing], side="left")
    counts = np.bincount(bins, minlength=len(edges) + 1).astype(float)
    return [*(counts / len(x)).tolist(), float(missing.mean())]


def categorical_baseline(values: pd.Series) -> dict[str, object]:
    shares = pd.Series(values).astype("string").fillna("").value_counts(normalize=True)
    return {"kind": "categorical", "shares": {str(k): float(v) for k, v in shares.items()}}


def categorical_shares(values: pd.Series, known: list[str]) -> dict[str, float]:
    """Shares of the training categories, and of everything else under one bin."""
    text = pd.Series(values).astype("string").fillna("")
    shares = text.where(text.isin(known), _OTHER).value_counts(normalize=True)
    return {name: float(shares.get(name, 0.0)) for name in [*known, _OTHER]}


def psi(expected: list[float], actual: list[float]) -> float:
    e = np.maximum(np.asarray(expected, dtype=float), _FLOOR)
    a = np.maximum(np.asarray(actual, dtype=float), _FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def baseline(frame: pd.DataFrame, scores: np.ndarray, *, categorical: tuple[str, ...] | list[str]) -> dict:
    """The training-time distributions a ``ChurnModel`` stores: every feature column of
    ``frame`` and the score."""
    dists = {
        name: categorical_baseline(frame[name]) if name in categorical else numeric_baseline(frame[name])
        for name in frame.columns
    }
    return {"features": dists, "score": numeric_baseline(scores), "lines": len(frame)}


def _shift(dist: dict, values: pd.Series | np.ndarray) -> float:
    if dist["kind"] == "categorical":
        known = list(dist["shares"])
        now = categorical_shares(pd.Series(values), known)
        return psi([*dist["shares"].values(), 0.0], list(now.values()))
    return psi(dist["shares"], numeric_shares(values, dist["edges"]))


def drift_report(base: dict, frame: pd.DataFrame, scores: np.ndarray) -> dict[str, object]:
    """PSI of each baseline feature found in ``frame`` and of the score, and the names
    above ``PSI_ALERT``."""
    features = {name: round(_shift(dist, frame[name]), 6) for name, dist in base["features"].items()
                if name in frame.columns}
    score = round(_shift(base["score"], scores), 6)
    flagged = sorted(name for name, value in features.items() if value > PSI_ALERT)
    return {
        "lines": len(frame),
        "psi_score": score,
        "psi": features,
        "alert_threshold": PSI_ALERT,
        "flagged": flagged,
        "score_flagged": score > PSI_ALERT,
    }
