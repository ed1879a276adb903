import json
import subprocess
import sys

import pytest

REGULAR_7Y = "1000,631,468,382,326,289,262,241"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "telcrm.cli", "stats", "sbg", *args],
        capture_output=True, text=True, check=False,
    )


def test_prints_the_fit_survival_and_derl_as_json():
    out = run("--survivors", REGULAR_7Y, "--discount", "0.1", "--periods", "12")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["alpha"] == pytest.approx(0.704, abs=5e-4)
    assert result["beta"] == pytest.approx(1.182, abs=5e-4)
    assert [p["period"] for p in result["survival"]] == list(range(13))
    assert result["survival"][7]["observed"] == pytest.approx(0.241)
    assert result["survival"][8]["observed"] is None
    derls = [d["derl"] for d in result["derl"]]
    assert len(derls) == 12 and derls == sorted(derls)


def test_bad_counts_get_a_clear_error_and_exit_code():
    out = run("--survivors", "1000,abc")
    assert out.returncode != 0
    assert "comma-separated whole numbers" in out.stderr
    out = run("--survivors", "1000,1000,1000")
    assert out.returncode != 0
    assert "nobody churned" in out.stderr


def test_lifetime_fits_a_subscriptions_file(tmp_path):
    """Fader and Hardie's regular cohort as a subscriptions file (1,000 lines activated in
    January 2010, closed in the year the paper counts them lost): the command fits their
    published alpha and beta and prints the residual lifetime by tenure."""
    import datetime as dt
    import itertools

    import pyarrow as pa
    import pyarrow.parquet as pq

    survivors = [1000, 631, 468, 382, 326, 289, 262, 241]
    rows = []
    for year, (alive, left) in enumerate(itertools.pairwise(survivors)):
        rows += [("closed", dt.date(2010 + year, 7, 1))] * (alive - left)
    rows += [("active", None)] * survivors[-1]
    path = tmp_path / "subscriptions.parquet"
    pq.write_table(pa.table({
        "msisdn": [f"1380000{i:04d}" for i in range(len(rows))],
        "payment_type": ["postpaid"] * len(rows), "brand": ["gotone"] * len(rows),
        "activated_on": [dt.date(2010, 1, 1)] * len(rows),
        "status": [status for status, _ in rows], "status_date": pa.array([day for _, day in rows], pa.date32()),
    }), path)
    out = subprocess.run(
        [sys.executable, "-m", "telcrm.cli", "stats", "lifetime", "--subscriptions", str(path), "--as-of", "2016-12",
         "--observed-from", "2010-01", "--tenures", "83"],
        capture_output=True, text=True, check=False,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["life_table"] == [{"payment_type": "postpaid", "brand": "gotone", "at_risk": 3358, "churned": 759}]
    pooled = next(fit for fit in result["fits"] if fit["brand"] == "*")
    assert (pooled["alpha"], pooled["beta"]) == pytest.approx((0.704, 1.182), abs=5e-4)
    (row,) = [r for r in result["residual_lifetime"] if r["brand"] == "gotone"]
    assert row["cohort"] == 2010 and row["tenure_months"] == 83


def test_lifetime_reports_a_missing_file_or_column(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    def lifetime(path):
        return subprocess.run(
            [sys.executable, "-m", "telcrm.cli", "stats", "lifetime", "--subscriptions", str(path),
             "--as-of", "2016-12", "--observed-from", "2010-01"],
            capture_output=True, text=True, check=False,
        )

    out = lifetime(tmp_path / "none.parquet")
    assert out.returncode != 0 and "no such file" in out.stderr
    pq.write_table(pa.table({"brand": ["gotone"]}), tmp_path / "thin.parquet")
    out = lifetime(tmp_path / "thin.parquet")
    assert out.returncode != 0 and "lacks columns activated_on, payment_type, status, status_date" in out.stderr
