"""Shared set-up for the campaign engine's tests: customers who can be texted, nightly
files for their audiences (written by the audience tests' writer), templates, campaigns."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User

from telcrm.care.models import Audience, Campaign, CampaignStep, Consent, Template
from telcrm.core.roles import Role
from telcrm.customers.models import Customer
from tests import factories as f
from tests.analytics.test_audiences import write

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=SHANGHAI)
MONTH = "2026-10"


def texted_customer(*, consent: bool = True, **fields) -> Customer:  # type: ignore[no-untyped-def]
    customer = f.customer(**fields)
    f.subscription(customer)
    if consent:
        Consent.objects.create(customer=customer, channel="sms", granted=True, source="contract",
                               at=NOON - dt.timedelta(days=100))
    return customer


def nightly(customers: list[Customer], **per_customer: dict) -> Path:
    """Nightly files in DATA_DIR/nightly/MONTH, one line per customer; ``C<no>={...}``
    changes a customer's line (a segment, a risk)."""
    directory = Path(settings.DATA_DIR) / "nightly" / MONTH
    directory.mkdir(parents=True, exist_ok=True)
    write(directory, [{"customer_id": c.pk, **per_customer.get(c.customer_no, {})} for c in customers])
    return directory


def template(body: str = "尊敬的{{ name }}，您的{{ plan }}套餐本月有惊喜。", *, name: str = "offer",
             channel: str = "sms", purpose: str = "marketing", **fields) -> Template:  # type: ignore[no-untyped-def]
    return Template.objects.create(name=name, channel=channel, purpose=purpose, body_zh=body, **fields)


def campaign(owner: User | None = None, *, purpose: str = "marketing", filters: dict | None = None,
             channel: str = "sms", body: str | None = None, control_share: str = "0.2", **fields) -> Campaign:  # type: ignore[no-untyped-def]
    owner = owner or f.user(Role.CARE_MARKETING)
    audience = Audience.objects.create(name=f"audience {Audience.objects.count() + 1}", filters=filters or {},
                                       owner=owner)
    made = Campaign.objects.create(name=f"campaign {Campaign.objects.count() + 1}", purpose=purpose, audience=audience,
                                   owner=owner, control_share=Decimal(control_share), **fields)
    tpl = template(body, name=f"tpl {made.pk}", channel=channel, purpose=purpose) if body else template(
        name=f"tpl {made.pk}", channel=channel, purpose=purpose)
    CampaignStep.objects.create(campaign=made, number=1, channel=channel, template=tpl)
    return made
