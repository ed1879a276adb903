"""The line records behind China Mobile's three complaint cases (domain.md section 5), for
the demo and the scenario tests: each builder writes what the billing and provisioning
systems would hold for one line, so the complaint is verified against real rows.

1. An SP charge from an SMS the customer did not trust: a value-added service ordered by
   a reply to a promotional SMS, billed every month since.
2. A line stopped below its credit limit: the spam-SMS monitor stopped it for over 200 SMS
   in an hour while the account was in arrears, though the arrears were within the limit.
3. A promotion that silently cancelled a discount: a new data package excluded the
   monthly discount the customer had, and ended it without a word.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from telcrm.billing.models import BillSummary, Promotion, SpSubscription, Suspension, SuspensionCause
from telcrm.customers.models import Subscription

#: The spam-SMS monitor's threshold: SMS sent in one hour.
SPAM_SMS_PER_HOUR = 200


@dataclass(frozen=True)
class CaseRecords:
    """What a case wrote: the record the agent acts on, and the bills it shows on."""

    record_id: int
    bill_ids: list[int]
    overcharge: Decimal


def _months(first: dt.date, count: int) -> list[dt.date]:
    out, month = [], first.replace(day=1)
    for _ in range(count):
        out.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return out


def _bill(line: Subscription, month: dt.date, *, vas: Decimal = Decimal(0), discount: Decimal = Decimal(0)) -> int:
    plan_fee = Decimal(line.plan.monthly_fee)
    bill, _ = BillSummary.objects.update_or_create(
        subscription=line, month=month,
        defaults={"plan_fee": plan_fee, "vas": vas, "discount": -discount, "total": plan_fee + vas - discount})
    return bill.pk


def sp_charge_case(line: Subscription, *, ordered_at: dt.datetime, months: int = 3,
                   fee: Decimal = Decimal("10.00")) -> CaseRecords:
    sp = SpSubscription.objects.create(subscription=line, sp_code="SP91801", sp_name="乐享资讯",
                                       service="手机报 (mobile news)", monthly_fee=fee, ordered_at=ordered_at,
                                       ordered_via="sms_reply")
    bills = [_bill(line, m, vas=fee) for m in _months(ordered_at.date(), months)]
    return CaseRecords(record_id=sp.pk, bill_ids=bills, overcharge=fee * months)


def spam_stop_case(line: Subscription, *, stopped_at: dt.datetime, sms_in_hour: int = 236,
                   balance: Decimal = Decimal("-35.00")) -> CaseRecords:
    account = line.account
    account.balance = balance
    account.arrears_since = stopped_at.date() - dt.timedelta(days=12)
    account.save(update_fields=["balance", "arrears_since"])
    stop = Suspension.objects.create(
        subscription=line, cause=SuspensionCause.SPAM_SMS_MONITOR, started_at=stopped_at,
        detail={"sms_in_hour": sms_in_hour, "threshold": SPAM_SMS_PER_HOUR, "balance": str(balance),
                "credit_limit": str(account.credit_limit)})
    line.status, line.status_date, line.status_reason = "suspended", stopped_at.date(), "spam_sms_monitor"
    line.save(update_fields=["status", "status_date", "status_reason"])
    return CaseRecords(record_id=stop.pk, bill_ids=[], overcharge=Decimal(0))


def promotion_case(line: Subscription, *, since: dt.date, switched: dt.date,
                   discount: Decimal = Decimal("20.00"), months_lost: int = 2) -> CaseRecords:
    old = Promotion.objects.create(subscription=line, code="LOYAL20", name="老用户月减20元",
                                   monthly_discount=discount, starts_on=since)
    new = Promotion.objects.create(subscription=line, code="DATA10G", name="10G流量包",
                                   monthly_discount=Decimal(0), starts_on=switched)
    old.ends_on, old.ended_by = switched, new
    old.save(update_fields=["ends_on", "ended_by"])
    bills = [_bill(line, m) for m in _months(switched, months_lost)]
    return CaseRecords(record_id=old.pk, bill_ids=bills, overcharge=discount * months_lost)
