"""Every expression compiles for Spark SQL as well as DuckDB (issue 3: the same expressions
run on Ibis' PySpark backend). The Spark engine itself is not installed in this test run;
compiling catches any DuckDB-only operation before it reaches a cluster."""

from __future__ import annotations

import ibis
import pytest
from ibis.config import Config

from telcrm.analytics import features, schemas
from telcrm.analytics.tiers import enterprise_grades, enterprise_revenue, individual_segments
from telcrm.analytics.warnings import churn_warnings


class _PySparkOptions(Config):
    """The option the PySpark backend registers when it is imported (same default)."""

    treat_nan_as_null: bool = False


@pytest.fixture
def spark_options():
    previous = ibis.options.pyspark
    if previous is None:
        ibis.options.pyspark = _PySparkOptions()
    yield
    ibis.options.pyspark = previous


def _expressions() -> dict[str, ibis.Table]:
    bills = ibis.table(schemas.BILLS, name="bills")
    usage = ibis.table(schemas.USAGE, name="usage")
    subscribers = ibis.table(schemas.SUBSCRIBERS, name="subscribers")
    feats = features.subscriber_features(bills, usage, subscribers, as_of="2024-12")
    revenue = enterprise_revenue(
        feats, ibis.table(schemas.ENTERPRISES, name="enterprises"), ibis.table(schemas.CIRCUITS, name="circuits"),
        as_of="2024-12",
    )
    return {
        "features": feats,
        "segments": individual_segments(feats),
        "grades": enterprise_grades(revenue),
        "warnings": churn_warnings(feats),
    }


class TestCompilesForBothEngines:
    @pytest.mark.parametrize("name", ["features", "segments", "grades", "warnings"])
    @pytest.mark.parametrize("dialect", ["duckdb", "pyspark"])
    def test_compiles(self, spark_options, name, dialect):
        sql = ibis.to_sql(_expressions()[name], dialect=dialect)
        assert sql.lstrip().upper().startswith(("SELECT", "WITH"))

    def test_the_window_is_a_filter_on_month_labels(self, spark_options):
        """Constant month labels (not computed dates) let both engines prune partitions."""
        sql = ibis.to_sql(_expressions()["features"], dialect="pyspark")
        assert "'2024-01'" in sql and "'2024-12'" in sql
        assert "'2025-01'" not in sql
