"""Shared set-up for the care screen tests: nightly files for the audiences (the shape
the nightly run leaves, built by the audience tests' writer) and signed-in clients."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from telcrm.care.models import Consent
from telcrm.customers.models import Customer
from tests.analytics.test_audiences import write

MONTH = "2025-12"


def nightly(customers: list[Customer], **per_customer: dict) -> Path:
    """Nightly files in DATA_DIR/nightly/2025-12 with one line per customer; keyword
    ``C<no>={field: value}`` changes a customer's line (e.g. a segment or a risk)."""
    directory = Path(settings.DATA_DIR) / "nightly" / MONTH
    directory.mkdir(parents=True, exist_ok=True)
    write(directory, [{"customer_id": c.pk, "customer_no": c.customer_no, **per_customer.get(c.customer_no, {})}
                      for c in customers])
    return directory


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def consent(customer: Customer, channel: str = "sms", *, granted: bool = True) -> Consent:
    return Consent.objects.create(customer=customer, channel=channel, granted=granted, source="contract",
                                  at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
