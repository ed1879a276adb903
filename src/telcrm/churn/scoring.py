"""Scoring lines with a stored churn model, batch by batch (the nightly run streams a
million lines and more through here, so nothing is held across batches but the model).

No Django here: ``services.score_lines`` hands in the stored artifact.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from telcrm.churn.training import ChurnEstimator, model_matrix


@lru_cache(maxsize=4)
def load_estimator(artifact: bytes) -> ChurnEstimator:
    """The estimator of a stored version, parsed once per process rather than per batch
    (the booster's text is a few hundred kilobytes; the bytes themselves are the key, so
    a retrained version is never served from the cache)."""
    return ChurnEstimator.from_bytes(artifact)


def score_frame(estimator: ChurnEstimator, features: pd.DataFrame) -> pd.DataFrame:
    """``msisdn``, calibrated ``probability`` and ``reasons`` for each row, in input order;
    reasons only from the estimator's ``reason_threshold_`` up (``training.EXPLAINED_SHARE``)."""
    if "msisdn" not in features.columns:
        raise ValueError("features need an msisdn column")
    missing = [name for name in estimator.features_ if name not in features.columns]
    if missing:
        raise ValueError(f"features lack the model's columns {missing}")
    if features.empty:
        return pd.DataFrame({"msisdn": pd.Series(dtype="object"), "probability": pd.Series(dtype="float64"),
                             "reasons": pd.Series(dtype="object")})
    x = model_matrix(features, estimator.features_)
    probability = estimator.predict_proba(x)
    explained = probability >= estimator.reason_threshold_
    reasons: list[list[dict[str, object]]] = [[] for _ in range(len(x))]
    if explained.any():
        for i, line in zip(np.flatnonzero(explained), estimator.reasons(x[explained]), strict=True):
            reasons[i] = line
    return pd.DataFrame({"msisdn": features["msisdn"].to_numpy(), "probability": probability, "reasons": reasons})
