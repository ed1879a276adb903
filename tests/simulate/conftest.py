"""One small synthetic operator for the whole simulate suite (it takes about a second)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from telcrm.simulate.generator import SimulationConfig, simulate

SUBSCRIBERS, MONTHS, SEED, END_MONTH = 3_000, 12, 7, "2026-10"


def make_config(out: Path, **changes: object) -> SimulationConfig:
    values = {"subscribers": SUBSCRIBERS, "months": MONTHS, "seed": SEED, "out": out,
              "end_month": END_MONTH, **changes}
    return SimulationConfig(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def operator_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("operator")
    simulate(make_config(out), progress=False)
    return out


@pytest.fixture(scope="session")
def manifest(operator_dir: Path) -> dict:
    import json

    return json.loads((operator_dir / "MANIFEST.json").read_text())


@pytest.fixture(scope="session")
def read(operator_dir: Path):
    def _read(name: str) -> pa.Table:
        return pq.read_table(operator_dir / f"{name}.parquet")

    return _read


@pytest.fixture(scope="session")
def sql(operator_dir: Path):
    """DuckDB over the files: each export kind and ``churn_truth`` are views."""
    con = duckdb.connect()
    for path in operator_dir.glob("*.parquet"):
        con.execute(f"create view {path.stem} as select * from read_parquet('{path}')")
    con.execute(f"create view churn_truth as select * from read_parquet('{operator_dir}/truth/churn.parquet')")
    con.execute(
        f"create view duplicates as select * from read_parquet('{operator_dir}/truth/duplicates.parquet')"
    )

    def _sql(query: str) -> list[tuple]:
        return con.execute(query).fetchall()

    return _sql
