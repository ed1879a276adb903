"""Factory functions for the nightly run's results (value and churn rows), one record each,
for the tests of the screens and the API that read them."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from telcrm.churn.models import ChurnModel, LineRisk, ModelCheck, Warning
from telcrm.customers.models import Subscription
from telcrm.value.models import EnterpriseValue, LineValue

_seq = itertools.count(1)
MONTH = dt.date(2025, 12, 1)


def line_value(sub: Subscription, *, month: dt.date = MONTH, segment: str = "mass", revenue: str = "100",
               margin: str = "60", **fields) -> LineValue:  # type: ignore[no-untyped-def]
    defaults: dict = {"rule_version": "segments-1", "additional_value": Decimal("0"),
                      "potential_value": Decimal("0"), "lifetime_value": None}
    defaults.update(fields)
    return LineValue.objects.create(subscription=sub, customer_id=sub.customer_id, month=month, segment=segment,
                                    revenue=Decimal(revenue), margin=Decimal(margin), **defaults)


def enterprise_value(customer, *, month: dt.date = MONTH, grade: str = "3A", stars: int = 3,  # type: ignore[no-untyped-def]
                     revenue: str = "20000", margin: str = "12000", **fields) -> EnterpriseValue:
    defaults: dict = {"rule_version": "grades-1"}
    defaults.update(fields)
    return EnterpriseValue.objects.create(customer=customer, month=month, grade=grade, stars=stars,
                                          revenue=Decimal(revenue), margin=Decimal(margin), **defaults)


def line_risk(sub: Subscription, *, month: dt.date = MONTH, probability: float | None = 0.5,
              expected_loss: str = "50", **fields) -> LineRisk:  # type: ignore[no-untyped-def]
    return LineRisk.objects.create(subscription=sub, customer_id=sub.customer_id, month=month,
                                   probability=probability, expected_loss=Decimal(expected_loss), **fields)


def warning(sub: Subscription, *, month: dt.date = MONTH, rules: str = "spend_decline",
            details: str = "spend 3m mean 42.10 vs previous 6m mean 88.00 (48%)", probability: float | None = 0.6,
            expected_loss: str = "60", **fields) -> Warning:  # type: ignore[no-untyped-def]
    return Warning.objects.create(subscription=sub, customer_id=sub.customer_id, month=month, rules=rules,
                                  details=details, rule_version="warnings-1", probability=probability,
                                  expected_loss=Decimal(expected_loss), **fields)


def churn_model(**fields) -> ChurnModel:  # type: ignore[no-untyped-def]
    n = next(_seq)
    defaults: dict = {"version": f"churn-{n}", "train_start": dt.date(2024, 1, 1), "train_end": dt.date(2025, 6, 1),
                      "horizon_months": 3, "features": ["spend_mean_3m"], "artifact": b""}
    defaults.update(fields)
    return ChurnModel.objects.create(**defaults)


def model_check(model: ChurnModel, *, month: dt.date, roc_auc: float, lift: float) -> ModelCheck:
    return ModelCheck.objects.create(model=model, month=month, kind="backtest",
                                     metrics={"roc_auc": roc_auc, "pr_auc": roc_auc / 2, "top_decile_lift": lift})
