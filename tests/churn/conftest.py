"""One small simulated operator for the churn model's tests, its training set and a model
fitted on it (simulating takes seconds, fitting a little more: done once per session)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from telcrm.analytics import backends, schemas
from telcrm.analytics.churn_dataset import LABEL, TimeSplit, time_split, training_set
from telcrm.churn.training import ChurnEstimator, model_matrix

from .operator import simulated_operator


@pytest.fixture(scope="session")
def operator(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Lake, snapshot directory and the simulator's files (with its truth)."""
    out = tmp_path_factory.mktemp("churn-operator")
    lake, snapshot = simulated_operator(out)
    return lake, snapshot, out / "files"


@pytest.fixture(scope="session")
def dataset(operator) -> tuple[TimeSplit, dict[str, pd.DataFrame]]:
    lake, snapshot, _ = operator
    con = backends.connect(threads=2)
    bills, usage = backends.read_lake(con, lake, "bills"), backends.read_lake(con, lake, "usage")
    subscribers = backends.read_snapshot(con, snapshot / "subscribers.parquet", schemas.SUBSCRIBERS)
    first, last = con.execute(bills.month.min()), con.execute(bills.month.max())
    split = time_split(first, last)
    table = training_set(bills, usage, subscribers, months=split.months, last_month=last)
    frame = con.to_pandas(table.order_by("as_of", "msisdn"))
    parts = {"fit": split.fit_months, "calibration": split.calibration_months, "test": split.test_months}
    return split, {name: frame[frame.as_of.isin(months)].reset_index(drop=True) for name, months in parts.items()}


def fit_estimator(parts: dict[str, pd.DataFrame], calibration: str) -> ChurnEstimator:
    fit, cal = parts["fit"], parts["calibration"]
    return ChurnEstimator(calibration=calibration).fit(
        model_matrix(fit), fit[LABEL].to_numpy(dtype=int), model_matrix(cal), cal[LABEL].to_numpy(dtype=int))


@pytest.fixture(scope="session")
def estimator(dataset) -> ChurnEstimator:
    return fit_estimator(dataset[1], "isotonic")
