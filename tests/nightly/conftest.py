"""A small simulated operator, imported into each test's database and lake (simulating is
done once per session; importing 300 subscribers takes about a second)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db.models import Model

from telcrm.analytics.months import month_end
from telcrm.customers.models import Customer, CustomerKind, CustomerStatus, Subscription, SubscriptionStatus
from telcrm.ingest.services import import_actor, import_directory
from telcrm.simulate.demo_users import ACCOUNT_MANAGERS
from telcrm.simulate.generator import SimulationConfig, simulate

SUBSCRIBERS, MONTHS, SEED, END_MONTH = 300, 12, 5, "2026-10"
PREVIOUS_MONTH = "2026-09"


@pytest.fixture(scope="session")
def operator_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nightly-operator")
    simulate(SimulationConfig(subscribers=SUBSCRIBERS, months=MONTHS, seed=SEED, out=out, end_month=END_MONTH),
             progress=False)
    return out


@pytest.fixture
def operator(db, operator_files: Path) -> Path:
    """The simulated operator imported (database and this test's lake)."""
    for name in ACCOUNT_MANAGERS:
        User.objects.create(username=name)
    import_directory(import_actor(), directory=operator_files, progress=False)
    return operator_files


def open_line_ids(month: str) -> set[int]:
    """Lines open at the end of ``month``, straight from the subscriptions table."""
    day = month_end(month)
    lines = Subscription.objects.filter(activated_on__lte=day).exclude(
        status=SubscriptionStatus.CLOSED, status_date__lte=day
    )
    return set(lines.values_list("id", flat=True))


def enterprise_ids() -> set[int]:
    enterprises = Customer.objects.filter(kind=CustomerKind.ENTERPRISE).exclude(status=CustomerStatus.MERGED)
    return set(enterprises.values_list("id", flat=True))


def first_day(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


def rows(model: type[Model], month: str, *, with_ids: bool = False) -> list[tuple]:
    """Every stored column of ``model``'s rows for ``month``, in a stable order."""
    names = [f.attname for f in model._meta.concrete_fields if with_ids or f.attname != "id"]
    return sorted(model.objects.filter(month=first_day(month)).values_list(*names), key=repr)
