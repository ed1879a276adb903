"""Billing services: account balances and arrears (欠费) from bills and payments.

An account's ``balance`` is what it has paid minus what its postpaid lines were billed
(prepaid lines pay before use, so their usage summaries are not debts). Below zero the
account is in arrears, and ``arrears_since`` is the day its balance last went below zero:
the date suspension care and the arrears warnings count from (domain.md section 3,
停机关怀). A month's bill falls due on the first day of the next month, when the billing
system issues it; a payment counts on the day it was made (Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from telcrm.billing.models import BillSummary, Payment
from telcrm.customers.models import Account, PaymentType

_CHUNK = 500


def _due_date(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def account_position(events: list[tuple[dt.date, Decimal]]) -> tuple[Decimal, dt.date | None]:
    """Balance and start of arrears from dated amounts (payments +, bills -).

    On one day payments count before bills: a customer who pays on the day the bill is
    issued was never in arrears.
    """
    balance = Decimal("0")
    since: dt.date | None = None
    for day, amount in sorted(events, key=lambda e: (e[0], e[1] < 0)):
        balance += amount
        if balance < 0 and since is None:
            since = day
        elif balance >= 0:
            since = None
    return balance, since


def recompute_balances(actor: AbstractBaseUser | None, *, account_ids: Iterable[int]) -> int:
    """Recompute ``balance`` and ``arrears_since`` of the given accounts; returns how many.

    The caller owns the transaction (an import recomputes inside its own, so the balances
    change together with the bills and payments that explain them).
    """
    ids = sorted(set(account_ids))
    zone = ZoneInfo(settings.TIME_ZONE)
    table = connection.ops.quote_name(Account._meta.db_table)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        events: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        bills = BillSummary.objects.filter(
            subscription__account_id__in=chunk, subscription__payment_type=PaymentType.POSTPAID
        ).values_list("subscription__account_id", "month", "total")
        for account_id, month, total in bills.iterator(chunk_size=10_000):
            events[account_id].append((_due_date(month), -total))
        payments = Payment.objects.filter(account_id__in=chunk).values_list(
            "account_id", "paid_at", "amount")
        for account_id, paid_at, amount in payments.iterator(chunk_size=10_000):
            events[account_id].append((paid_at.astimezone(zone).date(), amount))
        updates = []
        for account_id in chunk:
            balance, since = account_position(events.get(account_id, []))
            updates.append((str(balance), since.isoformat() if since else None, account_id))
        with connection.cursor() as cur:
            cur.executemany(f"UPDATE {table} SET balance = %s, arrears_since = %s WHERE id = %s",
                            updates)
    return len(ids)
