"""The pandas reference of bench/ and the Ibis features agree line by line, on constructed
lines and on a simulated operator landed through the importer's writer."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from bench import nightly_reference

from telcrm.analytics import schemas

from .lakes import Lake, bills, subscriber, usage, write_table

AS_OF = "2024-12"
ROOT = Path(__file__).resolve().parents[2]


class TestReferenceAgrees:
    def test_on_constructed_lines(self, tmp_path):
        rng = np.random.default_rng(11)
        lake, subs = Lake(tmp_path), []
        for n in range(30):
            m = f"137{n:08d}"
            totals = [None if rng.random() < 0.2 else round(float(rng.uniform(0, 300)), 2) for _ in range(16)]
            lake.add(
                bill_rows=bills(m, "2023-09", totals),
                usage_rows=usage(m, "2023-09", [int(v) for v in rng.integers(0, 500, 16)],
                                 competitor=[int(v) for v in rng.integers(0, 50, 16)]),
            )
            subs.append(subscriber(
                m,
                activated_on=dt.date(2019 + n % 6, 1 + n % 12, 1 + n % 28),
                contract_end=dt.date(2025, 1 + n % 12, 10) if n % 3 else None,
                status=("active", "suspended", "closed")[n % 3],
                status_date=dt.date(2024, 10 + n % 4, 5) if n % 4 < 3 else dt.date(2025, 1, 5),
                arrears=float(n % 5) * 10.25,
                complaints_3m=n % 4,
            ))
        path = write_table(tmp_path / "subscribers.parquet", subs, schemas.SUBSCRIBERS)
        ours = nightly_reference.as_frame(nightly_reference.ibis_features(tmp_path / "lake", path, AS_OF, threads=1))
        reference = nightly_reference.reference_features(tmp_path / "lake", path, AS_OF)
        assert len(ours) == 30
        assert nightly_reference.differences(ours, reference) == {}

    def test_a_changed_feature_is_reported(self, tmp_path):
        lake = Lake(tmp_path).add(
            bill_rows=bills("1", "2024-01", [50.0] * 12), usage_rows=usage("1", "2024-01", [9] * 12)
        )
        path = write_table(tmp_path / "subscribers.parquet", [subscriber("1")], schemas.SUBSCRIBERS)
        ours = nightly_reference.as_frame(nightly_reference.ibis_features(lake.root / "lake", path, AS_OF, threads=1))
        reference = nightly_reference.reference_features(lake.root / "lake", path, AS_OF)
        reference.loc["1", "spend_mean_3m"] += 1e-6
        assert list(nightly_reference.differences(ours, reference)) == ["spend_mean_3m"]


class TestRunner:
    def test_simulated_operator_lands_and_agrees(self, tmp_path):
        sim = tmp_path / "sim"
        subprocess.run(
            [str(Path(sys.executable).parent / "telcrm"), "simulate", "--subscribers", "400", "--months", "15",
             "--seed", "5", "--end-month", AS_OF, "--out", str(sim), "--no-progress"],
            check=True, capture_output=True,
        )
        run = subprocess.run(
            [sys.executable, "-m", "bench.nightly_reference", "--from-simulation", str(sim),
             "--lake", str(tmp_path / "lake"), "--subscribers", str(tmp_path / "subs.parquet"), "--as-of", AS_OF],
            capture_output=True, text=True, cwd=ROOT,
        )
        report = json.loads(run.stdout)
        assert run.returncode == 0, report["differences"]
        assert report["equal"] and report["lines"] >= 400 and report["features"] == 46
