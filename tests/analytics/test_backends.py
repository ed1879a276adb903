"""The lake reader: the importer's own files, months from the partition, clear failures."""

from __future__ import annotations

import pyarrow as pa
import pytest

from telcrm.analytics import backends, schemas
from telcrm.analytics.lake import LakeWriter

from .lakes import bills


class TestReadLake:
    def test_reads_what_the_importer_writes(self, tmp_path):
        rows = bills("13800000001", "2024-11", [10.0, 20.0, 30.0])
        table = pa.Table.from_pylist(rows, schema=schemas.BILLS.to_pyarrow())
        writer = LakeWriter(tmp_path, "bills", "digest1")
        writer.write(table)
        writer.commit()
        con = backends.connect(threads=1)
        lake = backends.read_lake(con, tmp_path, "bills")
        frame = con.to_pandas(lake.order_by("month"))
        assert lake.schema() == schemas.BILLS
        assert list(frame.month) == ["2024-11", "2024-12", "2025-01"]
        assert [float(v) for v in frame.total] == [10.0, 20.0, 30.0]

    def test_unwritten_kind_is_reported(self, tmp_path):
        with pytest.raises(backends.LakeMissingError):
            backends.read_lake(backends.connect(), tmp_path, "usage")

    def test_unknown_kind_is_refused(self, tmp_path):
        with pytest.raises(ValueError, match="unknown lake kind"):
            backends.read_lake(backends.connect(), tmp_path, "payments")


class TestConnect:
    def test_threads_are_capped(self):
        con = backends.connect(threads=1)
        assert con.raw_sql("SELECT current_setting('threads')").fetchone()[0] == 1

    def test_unknown_engine_is_refused(self):
        with pytest.raises(ValueError, match="unknown analytics engine"):
            backends.connect("oracle")
