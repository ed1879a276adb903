"""The files themselves: schemas, manifest, determinism, CSV, plans and the command."""

from __future__ import annotations

import csv
import filecmp
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from telcrm.ingest.schemas import SCHEMAS
from telcrm.simulate import generator
from telcrm.simulate.generator import simulate

from .conftest import END_MONTH, MONTHS, SEED, SUBSCRIBERS, make_config

TELCRM = str(Path(sys.executable).with_name("telcrm"))


def _parquet_schema(schema: pa.Schema) -> pa.Schema:
    """Parquet has no second-resolution timestamp: Arrow stores ``s`` as ``ms``."""
    return pa.schema([
        (f.name, pa.timestamp("ms", tz=f.type.tz) if pa.types.is_timestamp(f.type) else f.type)
        for f in schema
    ])


def _data_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


class TestSchemas:
    @pytest.mark.parametrize("kind", list(SCHEMAS))
    def test_each_kind_has_the_contract_schema(self, operator_dir, kind):
        schema = pq.read_schema(operator_dir / f"{kind}.parquet").remove_metadata()
        assert schema == _parquet_schema(SCHEMAS[kind])

    @pytest.mark.parametrize("kind", list(SCHEMAS))
    def test_each_kind_has_rows_that_cast_to_the_contract_types(self, read, kind):
        table = read(kind)
        assert table.num_rows > 0
        assert table.cast(SCHEMAS[kind]).schema == SCHEMAS[kind]  # whole seconds, safe cast

    def test_truth_files_exist_outside_the_exports(self, operator_dir):
        churn = pq.read_schema(operator_dir / "truth" / "churn.parquet")
        assert churn.names == ["msisdn", "month", "hazard", "churned"]
        assert not (operator_dir / "churn.parquet").exists()


class TestManifest:
    def test_counts_rows_of_every_file(self, operator_dir, manifest):
        for name, rows in manifest["files"].items():
            assert pq.ParquetFile(operator_dir / name).metadata.num_rows == rows, name
        assert set(manifest["files"]) == {f"{k}.parquet" for k in SCHEMAS} | {
            "truth/churn.parquet", "truth/duplicates.parquet"
        }

    def test_records_the_run(self, manifest):
        assert (manifest["seed"], manifest["subscribers"], manifest["months"]) == (SEED, SUBSCRIBERS, MONTHS)
        assert manifest["end_month"] == END_MONTH
        assert manifest["first_month"] == "2025-11"
        assert manifest["files"]["subscriptions.parquet"] == SUBSCRIBERS

    def test_is_written_after_every_data_file(self, operator_dir):
        written = (operator_dir / "MANIFEST.json").stat().st_mtime_ns
        assert all(p.stat().st_mtime_ns <= written for p in _data_files(operator_dir))

    def test_a_stale_manifest_is_removed_before_writing(self, tmp_path):
        (tmp_path / "MANIFEST.json").write_text('{"stale": true}')
        with pytest.raises(ValueError, match="Spring Festival"):
            simulate(make_config(tmp_path, end_month="2040-01"), progress=False)
        assert not (tmp_path / "MANIFEST.json").exists()


class TestDeterminism:
    def test_same_seed_gives_the_same_bytes(self, operator_dir, tmp_path):
        simulate(make_config(tmp_path), progress=False)
        ours = [p.relative_to(operator_dir) for p in _data_files(operator_dir)]
        theirs = [p.relative_to(tmp_path) for p in _data_files(tmp_path)]
        assert ours == theirs
        for rel in ours:
            assert filecmp.cmp(operator_dir / rel, tmp_path / rel, shallow=False), rel

    def test_another_seed_gives_other_data(self, read, tmp_path):
        simulate(make_config(tmp_path, seed=SEED + 1), progress=False)
        other = pq.read_table(tmp_path / "subscriptions.parquet")
        ours = read("subscriptions")
        assert other.num_rows == ours.num_rows
        assert set(other["msisdn"].to_pylist()).isdisjoint(ours["msisdn"].to_pylist()[:100])
        assert pq.read_table(tmp_path / "bills.parquet") != read("bills")


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory):
    """The same operator as CSV, written by the real command in a subprocess."""
    out = tmp_path_factory.mktemp("csv")
    subprocess.run(
        [TELCRM, "simulate", "--subscribers", str(SUBSCRIBERS), "--months", str(MONTHS),
         "--seed", str(SEED), "--end-month", END_MONTH, "--format", "csv", "--out", str(out)],
        check=True, capture_output=True,
    )
    return out


class TestChunks:
    """Several chunks go through the threaded pipeline; nothing may depend on its timing."""

    @pytest.fixture
    def small_chunks(self, monkeypatch):
        monkeypatch.setattr(generator, "CHUNK_LINES", 700)

    def test_chunked_runs_are_identical_and_keys_stay_unique(self, small_chunks, tmp_path):
        first, second = tmp_path / "a", tmp_path / "b"
        manifest = simulate(make_config(first, subscribers=2_500, months=4), progress=False)
        simulate(make_config(second, subscribers=2_500, months=4), progress=False)
        assert manifest["chunk_lines"] == 700
        for path in _data_files(first):
            assert filecmp.cmp(path, second / path.relative_to(first), shallow=False), path.name
        subs = pq.read_table(first / "subscriptions.parquet").to_pydict()
        assert len(set(subs["msisdn"])) == 2_500
        assert {c[:6] for c in subs["customer_no"] if c.startswith("C")} == {
            "C00001", "C00002", "C00003", "C00004"
        }
        for name, key in [("customers", "customer_no"), ("accounts", "account_no"),
                          ("payments", "payment_no"), ("interactions", "interaction_no")]:
            keys = pq.read_table(first / f"{name}.parquet", columns=[key])[key].to_pylist()
            assert len(keys) == len(set(keys)), name


class TestCsv:
    @pytest.mark.parametrize("kind", list(SCHEMAS))
    def test_csv_holds_the_same_data_as_parquet(self, csv_dir, read, kind):
        options = pacsv.ConvertOptions(column_types=SCHEMAS[kind], strings_can_be_null=True)
        from_csv = pacsv.read_csv(csv_dir / f"{kind}.csv", convert_options=options)
        assert from_csv.equals(read(kind).cast(from_csv.schema))

    def test_times_carry_the_shanghai_offset(self, csv_dir):
        with (csv_dir / "payments.csv").open(encoding="utf-8") as f:
            row = next(csv.DictReader(f))
        assert row["paid_at"].endswith("+08:00") and "T" in row["paid_at"]
        assert row["amount"].count(".") == 1 and len(row["amount"].split(".")[1]) == 2

    def test_manifest_names_csv_files(self, csv_dir):
        import json

        files = json.loads((csv_dir / "MANIFEST.json").read_text())["files"]
        assert files["bills.csv"] > 0 and "truth/churn.parquet" in files


class TestPlans:
    def test_catalogue_covers_every_subscription(self, operator_dir, read):
        with (operator_dir / "plans.csv").open(encoding="utf-8") as f:
            plans = {row["code"]: row for row in csv.DictReader(f)}
        subs = read("subscriptions").to_pydict()
        for plan, brand in zip(subs["plan"], subs["brand"], strict=True):
            assert plans[plan]["brand"] == brand
        assert plans["GT88"]["monthly_fee"] == "88.00"


class TestCommand:
    def test_rejects_a_malformed_end_month(self, tmp_path):
        done = subprocess.run(
            [TELCRM, "simulate", "--subscribers", "10", "--out", str(tmp_path), "--end-month", "2026-13"],
            capture_output=True, text=True,
        )
        assert done.returncode != 0
        assert "--end-month must be YYYY-MM" in done.stderr

    def test_reports_rows_written(self, tmp_path):
        done = subprocess.run(
            [TELCRM, "simulate", "--subscribers", "300", "--months", "3", "--out", str(tmp_path),
             "--no-progress"],
            capture_output=True, text=True, check=True,
        )
        assert "subscriptions.parquet" in done.stdout and "300 rows" in done.stdout
        assert (tmp_path / "MANIFEST.json").exists()
