"""Churn model versions: train one on history, activate it, score lines with it, and
measure it afterwards (issue 3, "Churn early warning": "Models are versioned with their
training window, metrics and feature list; scoring uses the active version; a drift check
compares the score and feature distributions with training time").

The nightly run calls ``active_model`` and ``score_lines`` batch by batch; the manager's
dashboard reads the ``ModelCheck`` rows that ``check_drift`` and ``backtest`` write.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from django.contrib.auth.models import User

from telcrm.churn.models import ChurnModel, ModelCheck

DEFAULT_HORIZON = 3


def train_model(
    actor: User,
    *,
    lake_dir: Path | str,
    snapshot_dir: Path | str,
    as_of: str | None = None,
    horizon: int = DEFAULT_HORIZON,
    activate: bool = False,
    seed: int = 0,
    progress: object | None = None,
) -> ChurnModel:
    """Train a new version on the lake's history as it stood at ``as_of`` (``YYYY-MM``,
    default: the lake's newest month; nothing after it is read) and store it.

    ``snapshot_dir`` holds the nightly run's ``subscribers.parquet`` (schema
    ``analytics.schemas.SUBSCRIBERS``). Past months are rebuilt from it and the lake with a
    time split (``analytics.churn_dataset``): fit months, a later calibration slice, and
    test months whose label windows start after every training label has ended. The stored
    version carries the windows, horizon, features, parameters, test metrics, drift
    baselines and the fitted booster with its calibrator. ``progress`` is a callable
    ``(stage: str) -> None`` told when each stage starts.
    """
    raise NotImplementedError


def activate_model(actor: User, *, model: ChurnModel) -> ChurnModel:
    """Make ``model`` the one version scoring uses; the previously active one stops."""
    raise NotImplementedError


def active_model() -> ChurnModel | None:
    """The version the nightly run scores with, or None (then warnings come from the rules
    alone)."""
    raise NotImplementedError


def score_lines(model: ChurnModel, features: pd.DataFrame) -> pd.DataFrame:
    """Calibrated churn probability and reason codes for a batch of lines.

    ``features`` is a batch of ``analytics.features.subscriber_features`` rows (any extra
    columns are ignored; ``msisdn`` is required). Returns one row per input row, in input
    order: ``msisdn``, ``probability`` (float, calibrated) and ``reasons`` (a JSON-able list
    of up to three ``{"feature", "value", "contribution"}`` dicts, the features that push the
    line's risk up most, contributions in log-odds). Stateless per call, so a million lines
    can be scored in batches.
    """
    raise NotImplementedError


def check_drift(model: ChurnModel, features: pd.DataFrame, scores: pd.DataFrame, *, month: str) -> ModelCheck:
    """Population stability index of each feature and of the score for ``month`` against
    the training baseline (``kind="drift"``); PSI above 0.25 is flagged."""
    raise NotImplementedError


def backtest(model: ChurnModel, *, month: str, lake_dir: Path | str, snapshot_dir: Path | str) -> ModelCheck:
    """Realised quality of ``model`` on ``month`` once its horizon has passed
    (``kind="backtest"``: ROC AUC, PR AUC, top-decile lift, Brier): model quality over time
    for the manager's dashboard."""
    raise NotImplementedError
