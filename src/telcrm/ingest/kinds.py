"""What each kind of file is: its schema, the model it lands in, its required columns and
the model fields whose codes and lengths its cells must respect.

Codes and lengths are read from the models themselves (``TextChoices`` values and
``max_length``), so a code added to a model is accepted by the import without a change
here. The schemas come from ``ingest.schemas`` (the contract with the simulator), plus
``plans``, the operator's tariff list that subscriptions reference by code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pyarrow as pa
from django.db import models

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
from telcrm.ingest.schemas import IMPORT_ORDER, MONEY, SCHEMAS

PLANS_SCHEMA = pa.schema([
    ("code", pa.string()),
    ("name", pa.string()),
    ("brand", pa.string()),
    ("monthly_fee", MONEY),
])


@dataclass(frozen=True)
class KindSpec:
    name: str
    schema: pa.Schema
    model: type[models.Model]
    required: tuple[str, ...]
    # file column -> model field whose choices and max_length the cell must respect
    fields: dict[str, str] = field(default_factory=dict)
    # columns holding mainland mobile numbers
    phones: tuple[str, ...] = ()

    @cached_property
    def choices(self) -> dict[str, frozenset[str]]:
        out = {}
        for column, name in self.fields.items():
            f: Any = self.model._meta.get_field(name)
            if getattr(f, "choices", None):
                out[column] = frozenset(str(v) for v, _ in f.choices)
        return out

    @cached_property
    def max_lengths(self) -> dict[str, int]:
        out = {}
        for column, name in self.fields.items():
            f: Any = self.model._meta.get_field(name)
            if getattr(f, "max_length", None) and not getattr(f, "choices", None):
                out[column] = int(f.max_length)
        return out


def _same(*names: str) -> dict[str, str]:
    return {n: n for n in names}


SPECS: dict[str, KindSpec] = {
    "plans": KindSpec(
        "plans", PLANS_SCHEMA, Plan, ("code", "name", "brand", "monthly_fee"),
        _same("code", "name", "brand"),
    ),
    "customers": KindSpec(
        "customers", SCHEMAS["customers"], Customer, ("customer_no", "kind", "name", "region"),
        _same("customer_no", "kind", "name", "segment", "email", "id_number", "gender", "address",
              "credit_code", "industry", "size", "competitor_presence"),
    ),
    "contacts": KindSpec(
        "contacts", SCHEMAS["contacts"], Contact, ("customer_no", "name"),
        _same("name", "title", "decision_power", "email"), phones=("phone",),
    ),
    "accounts": KindSpec(
        "accounts", SCHEMAS["accounts"], Account,
        ("account_no", "customer_no", "credit_class", "payment_method"),
        _same("account_no", "credit_class", "payment_method"),
    ),
    "subscriptions": KindSpec(
        "subscriptions", SCHEMAS["subscriptions"], Subscription,
        ("msisdn", "customer_no", "account_no", "payment_type", "brand", "plan", "status",
         "status_date", "activated_on", "region"),
        _same("payment_type", "brand", "status", "status_reason"), phones=("msisdn",),
    ),
    "services": KindSpec(
        "services", SCHEMAS["services"], EnterpriseService,
        ("service_no", "customer_no", "kind", "bandwidth_kbps", "site_a", "status", "activated_on",
         "monthly_fee", "one_time_fee"),
        _same("service_no", "kind", "site_a", "site_b", "status"),
    ),
    "bills": KindSpec(
        "bills", SCHEMAS["bills"], BillSummary,
        ("msisdn", "month", "plan_fee", "voice", "data", "sms", "vas", "roaming", "discount", "total"),
        phones=("msisdn",),
    ),
    "usage": KindSpec(
        "usage", SCHEMAS["usage"], UsageSummary, ("msisdn", "month"), phones=("msisdn",),
    ),
    "payments": KindSpec(
        "payments", SCHEMAS["payments"], Payment,
        ("payment_no", "account_no", "paid_at", "amount", "method"),
        _same("payment_no", "method"),
    ),
    "interactions": KindSpec(
        "interactions", SCHEMAS["interactions"], Interaction,
        ("interaction_no", "customer_no", "channel", "direction", "occurred_at", "topic"),
        {"interaction_no": "external_id", **_same("channel", "direction", "topic", "outcome")},
        phones=("msisdn",),
    ),
}

# Plans first (subscriptions name them), then the simulator's export order.
KIND_ORDER = ("plans", *IMPORT_ORDER)
