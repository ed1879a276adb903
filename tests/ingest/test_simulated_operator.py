"""End to end: a simulated operator imports whole, and its counts match the manifest."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from telcrm.billing.models import BillSummary, Payment, UsageSummary
from telcrm.customers.models import (
    Account,
    Contact,
    Customer,
    EnterpriseService,
    Interaction,
    Plan,
    Subscription,
)

MODELS = {
    "customers": Customer, "contacts": Contact, "accounts": Account, "subscriptions": Subscription,
    "services": EnterpriseService, "bills": BillSummary, "usage": UsageSummary, "payments": Payment,
    "interactions": Interaction,
}


@pytest.mark.slow
@pytest.mark.django_db
def test_simulate_2000_subscribers_6_months_then_import_dir(tmp_path):
    for i in range(1, 13):  # the simulator's account managers
        User.objects.create(username=f"am{i:02d}")
    out = tmp_path / "operator"
    call_command("simulate", subscribers=2000, months=6, seed=7, out=str(out), no_progress=True,
                 stdout=io.StringIO())
    call_command("import-dir", str(out), "--no-progress", stdout=io.StringIO())
    manifest = json.loads((out / "MANIFEST.json").read_text())
    for kind, model in MODELS.items():
        assert model.objects.count() == manifest["files"][f"{kind}.parquet"], kind
    assert Plan.objects.count() == len((out / "plans.csv").read_text().splitlines()) - 1
    assert Account.objects.filter(balance__lt=0, arrears_since__isnull=False).exists()
    assert not Account.objects.filter(balance__gte=0, arrears_since__isnull=False).exists()
