"""The commands: ``telcrm import KIND FILE`` and ``telcrm import-dir DIR``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from telcrm.billing.models import BillSummary
from telcrm.customers.models import Customer, Interaction, Plan
from tests.ingest.helpers import BASE, OPERATOR, copy_operator, load, variant

pytestmark = pytest.mark.django_db


def test_import_prints_a_summary():
    out = io.StringIO()
    call_command("import", "plans", str(OPERATOR / "plans.csv"), "--no-progress", stdout=out)
    assert "plans from plans.csv: 3 rows read, 0 rejected, 3 written" in out.getvalue()
    assert Plan.objects.count() == 3


def test_import_with_rejects_fails_with_exit_code_2_and_the_errors(tmp_path):
    load(*BASE)
    path = variant(tmp_path, "bills", {0: {"month": "2024-1"}})
    with pytest.raises(CommandError) as raised:
        call_command("import", "bills", str(path), "--no-progress")
    assert raised.value.returncode == 2
    assert "line 2: month must be a month YYYY-MM" in str(raised.value)


def test_import_allow_partial_and_reject_file_options(tmp_path):
    load(*BASE)
    path = variant(tmp_path, "bills", {0: {"month": "2024-1"}})
    call_command("import", "bills", str(path), "--allow-partial", "--reject-file",
                 str(tmp_path / "r.csv"), "--no-progress", stdout=io.StringIO())
    assert BillSummary.objects.count() == 8
    assert (tmp_path / "r.csv").exists()


def test_import_dir_imports_every_kind_in_dependency_order(tmp_path):
    out = io.StringIO()
    call_command("import-dir", str(copy_operator(tmp_path / "op")), "--no-progress", stdout=out)
    assert out.getvalue().count(" written ") == 10
    assert (Customer.objects.count(), Interaction.objects.count()) == (4, 2)


def test_import_dir_stops_at_the_first_file_with_rejects(tmp_path):
    directory = copy_operator(tmp_path / "op")
    variant(directory, "accounts", {0: {"credit_class": "Q"}})
    with pytest.raises(CommandError, match=r"accounts\.csv: 1 of 3 rows rejected"):
        call_command("import-dir", str(directory), "--no-progress")
    assert Customer.objects.count() == 4  # files before it are in
    assert not Interaction.objects.exists()  # files after it are not
