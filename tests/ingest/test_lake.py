"""Bills and usage land in the Parquet lake, partitioned by month, readable by DuckDB."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import duckdb
import pytest
from django.conf import settings

from telcrm.analytics.lake import LakeWriter, remove_stale
from telcrm.ingest.pipeline import import_file
from tests.ingest.helpers import BASE, actor, load, variant

pytestmark = pytest.mark.django_db


def _read(kind: str) -> duckdb.DuckDBPyRelation:
    glob = str(settings.LAKE_DIR / kind / "**" / "*.parquet")
    return duckdb.sql(f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")


class TestPartitions:
    def test_bills_and_usage_are_written_by_month_and_read_by_duckdb(self):
        load(*BASE, "bills", "usage")
        months = sorted(p.name for p in (settings.LAKE_DIR / "bills").iterdir())
        assert months == ["month=2024-01", "month=2024-02", "month=2024-03"]
        rel = _read("bills")
        assert set(rel.columns) == {"msisdn", "customer_no", "month", "plan_fee", "voice", "data", "sms",
                                    "vas", "roaming", "discount", "total"}
        rows = rel.query("bills", "SELECT month, customer_no, sum(total) AS t FROM bills "
                                  "GROUP BY ALL ORDER BY ALL").fetchall()
        assert rows[:3] == [("2024-01", "C000000001", Decimal("116.50")),
                            ("2024-01", "C000000002", Decimal("56.50")),
                            ("2024-01", "C000000003", Decimal("165.00"))]
        assert _read("usage").aggregate("sum(competitor_minutes)").fetchall() == [(468,)]

    def test_reimporting_the_same_file_overwrites_its_own_partition_files(self):
        load(*BASE, "bills")
        files = sorted(settings.LAKE_DIR.rglob("*.parquet"))
        load("bills")
        assert sorted(settings.LAKE_DIR.rglob("*.parquet")) == files
        assert _read("bills").count("*").fetchall() == [(9,)]

    def test_another_source_file_adds_its_own_files(self, tmp_path):
        load(*BASE, "bills")
        april = variant(tmp_path, "bills", {i: {"month": "2024-04"} for i in (6, 7, 8)})
        import_file(actor(), kind="bills", path=april, progress=False)
        assert len(list((settings.LAKE_DIR / "bills" / "month=2024-04").glob("*.parquet"))) == 1
        assert len(list((settings.LAKE_DIR / "bills" / "month=2024-01").glob("*.parquet"))) == 2

    def test_rejected_file_writes_nothing_to_the_lake(self, tmp_path):
        load(*BASE)
        bad = variant(tmp_path, "bills", {0: {"total": "1.00"}})
        with pytest.raises(Exception, match="nothing was imported"):
            import_file(actor(), kind="bills", path=bad, progress=False)
        assert not settings.LAKE_DIR.exists() or not list(settings.LAKE_DIR.rglob("*.parquet*"))


class TestLakeWriter:
    def test_abort_leaves_no_file_and_stale_files_of_dead_processes_are_removed(self, tmp_path):
        import pyarrow as pa

        writer = LakeWriter(tmp_path, "bills", "abc")
        writer.write(pa.table({"msisdn": ["13800000001"], "month": ["2024-01"], "total": [1]}))
        assert list(tmp_path.rglob("abc.parquet.tmp-*"))
        writer.abort()
        assert not list(tmp_path.rglob("abc*"))
        stale = tmp_path / "bills" / "month=2024-01" / "old.parquet.tmp-999999999"
        stale.write_bytes(b"x")
        assert remove_stale(tmp_path, "bills") == 1
        assert not stale.exists()

    def test_lake_module_imports_no_django(self):
        code = "import sys, telcrm.analytics.lake; sys.exit('django' in sys.modules)"
        assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
