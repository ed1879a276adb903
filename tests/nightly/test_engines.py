"""The same month on DuckDB and on Spark (local[2]) writes the same rows: tiers, values,
warnings and risks, to the fen."""

from __future__ import annotations

import pytest

from telcrm.churn.models import LineRisk, Warning
from telcrm.nightly.models import RunStatus
from telcrm.nightly.services import run_nightly
from telcrm.value.models import EnterpriseValue, LineValue, TierChange

from .conftest import END_MONTH, PREVIOUS_MONTH, rows

pytestmark = pytest.mark.xdist_group("spark")

RESULTS = (LineValue, EnterpriseValue, TierChange, LineRisk, Warning)


def test_spark_writes_the_rows_duckdb_writes(operator):
    run_nightly(as_of=PREVIOUS_MONTH, progress=False)
    run_nightly(as_of=END_MONTH, progress=False)
    duckdb = {model: rows(model, END_MONTH) for model in RESULTS}
    spark = run_nightly(as_of=END_MONTH, engine="spark", threads=2, progress=False)
    assert (spark.engine, spark.status) == ("spark", RunStatus.DONE)
    for model, stored in duckdb.items():
        assert stored, model.__name__
        assert rows(model, END_MONTH) == stored, model.__name__
