"""A crash mid-import leaves the database as it was: kill -9 during the write pass."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from telcrm.billing.models import BillSummary
from telcrm.ingest.pipeline import import_file
from tests.database import database_url
from tests.ingest.helpers import actor, load, read_rows, write_csv

LINES = 2_000
MONTHS = 100


def _operator_with_many_lines(tmp: Path) -> Path:
    """Fixture operator plus 2,000 postpaid lines, and a 200,000-row bills file for them."""
    load("plans", "customers", "accounts")
    header, _ = read_rows("subscriptions")
    lines = [f"1390{i:07d}" for i in range(LINES)]
    write_csv(tmp / "subscriptions.csv", header, [
        {"msisdn": m, "customer_no": "C000000001", "account_no": "A000000001", "payment_type": "postpaid",
         "brand": "gotone", "plan": "GT88", "status": "active", "status_date": "2010-01-01",
         "activated_on": "2010-01-01", "region": "SH-PD"} for m in lines])
    import_file(actor(), kind="subscriptions", path=tmp / "subscriptions.csv", progress=False)
    path = tmp / "bills.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("msisdn,month,plan_fee,voice,data,sms,vas,roaming,discount,total\n")
        for k in range(MONTHS):
            month = f"{2010 + k // 12}-{k % 12 + 1:02d}"
            f.writelines(f"{m},{month},88.00,1.50,2.00,0.10,0.00,0.00,-1.00,90.60\n" for m in lines)
    return path


def _run_import(path: Path, tmp: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "TELCRM_DATA_DIR": str(tmp / "data"),
           "TELCRM_LAKE_DIR": str(tmp / "lake")}
    cli = Path(sys.executable).with_name("telcrm")
    return subprocess.Popen([str(cli), "import", "bills", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(proc: subprocess.Popen, marker: bytes, timeout: float = 120) -> None:
    """Read the progress bar on stderr until ``marker`` (a regular expression) shows."""
    seen = b""
    deadline = time.monotonic() + timeout
    while not re.search(marker, seen):
        chunk = os.read(proc.stderr.fileno(), 4096)  # type: ignore[union-attr]
        if not chunk or time.monotonic() > deadline:
            raise AssertionError(f"import ended before {marker!r}: {seen[-2000:]!r}")
        seen += chunk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_kill_9_mid_write_leaves_database_unchanged_and_rerun_completes(tmp_path):
    path = _operator_with_many_lines(tmp_path)
    before = BillSummary.objects.count()

    proc = _run_import(path, tmp_path)
    _wait_for(proc, rb"write bills:\s+[1-7]\d%")  # some batches written, most to come
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the import finished before it could be killed"
    assert BillSummary.objects.count() == before == 0
    assert not list((tmp_path / "lake").rglob("*.parquet"))
    assert list((tmp_path / "lake").rglob("*.parquet.tmp-*")), "the killed import had started the lake"

    proc = _run_import(path, tmp_path)
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert BillSummary.objects.count() == LINES * MONTHS
    assert len(list((tmp_path / "lake").rglob("*.parquet"))) == MONTHS
    assert not list((tmp_path / "lake").rglob("*.parquet.tmp-*"))
