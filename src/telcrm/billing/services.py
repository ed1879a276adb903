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
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Sum

from telcrm.billing.models import BillSummary, Payment
from telcrm.customers.models import Account, PaymentType, Subscription

_CHUNK = 500
_CENT = Decimal("0.01")


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


def _sums(chunk: list[int]) -> dict[int, Decimal]:
    """Balance of each account, summed by the database (one pass over its bills)."""
    balance: dict[int, Decimal] = dict.fromkeys(chunk, Decimal("0"))
    billed = (BillSummary.objects.filter(subscription__account_id__in=chunk,
                                         subscription__payment_type=PaymentType.POSTPAID)
              .values("subscription__account_id").annotate(total=Sum("total")))
    for row in billed:
        balance[row["subscription__account_id"]] -= row["total"]
    paid = Payment.objects.filter(account_id__in=chunk).values("account_id").annotate(total=Sum("amount"))
    for payment in paid:
        balance[payment["account_id"]] += payment["total"]
    return balance


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _local_day(value: object, zone: ZoneInfo) -> dt.date:
    """The local day of a stored time (SQLite hands back UTC text or naive UTC times)."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime.fromisoformat(str(value))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone).date()


def _money(value: object) -> Decimal:
    """SQLite sums decimals as floats: back to fen, as the column holds them."""
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(_CENT)


def _arrears_since(account_ids: list[int]) -> dict[int, dt.date | None]:
    """Walk the dated bills and payments of accounts in arrears (few, compared with all).

    Plain SQL rather than the ORM: this runs over every month of every account in arrears
    after a bills import, and the ORM's per-value conversions would double its time.
    """
    if not account_ids:
        return {}
    zone = ZoneInfo(settings.TIME_ZONE)
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(account_ids))
    events: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    due: dict[object, dt.date] = {}
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT s.account_id, b.month, SUM(b.total) FROM {q(BillSummary._meta.db_table)} b "
            f"JOIN {q(Subscription._meta.db_table)} s ON s.id = b.subscription_id "
            f"WHERE s.payment_type = %s AND s.account_id IN ({marks}) GROUP BY s.account_id, b.month",
            [PaymentType.POSTPAID.value, *account_ids],
        )
        for account_id, month, total in cur.fetchall():
            if month not in due:
                due[month] = _due_date(_as_date(month))
            events[account_id].append((due[month], -_money(total)))
        cur.execute(
            f"SELECT account_id, paid_at, amount FROM {q(Payment._meta.db_table)} "
            f"WHERE account_id IN ({marks})",
            account_ids,
        )
        for account_id, paid_at, amount in cur.fetchall():
            events[account_id].append((_local_day(paid_at, zone), _money(amount)))
    return {a: account_position(events[a])[1] for a in account_ids}


def recompute_balances(actor: User | None, *, account_ids: Iterable[int]) -> int:
    """Recompute ``balance`` and ``arrears_since`` of the given accounts; returns how many.

    The caller owns the transaction (an import recomputes inside its own, so the balances
    change together with the bills and payments that explain them). Balances are summed by
    the database; only accounts below zero have their history walked for the start date.
    """
    ids = sorted(set(account_ids))
    table = connection.ops.quote_name(Account._meta.db_table)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        balance = _sums(chunk)
        since = _arrears_since([a for a in chunk if balance[a] < 0])
        updates = []
        for a in chunk:
            start_day = since.get(a)
            updates.append((str(balance[a]), start_day.isoformat() if start_day else None, a))
        with connection.cursor() as cur:
            cur.executemany(f"UPDATE {table} SET balance = %s, arrears_since = %s WHERE id = %s",
                            updates)
    return len(ids)
