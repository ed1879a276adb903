"""Event-driven care that runs without anyone starting it (issue 4, "Triggers").

``fire_triggers`` runs daily (``telcrm care triggers``) over the customers, their lines and
bills and the newest nightly results; ``on_ticket_resolved`` listens to the tickets app's
event. Each trigger fires once per customer per occurrence (a year's birthday, a contract's
end, a month's warning, a ticket): the firing is unique in the table, so a rerun of the
same day, or the same event twice, contacts nobody twice. A firing's message is decided at
once by the contact policy and waits in the outbox for the trigger's delay.

Suspension care (停机关怀, domain.md section 4): a VIP whose account falls into arrears is
notified and given the configured grace days before the line may be cut; ``in_grace``
tells the billing side whether a customer's suspension has to wait.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Avg, Q
from django.utils import timezone

from telcrm.analytics import backends
from telcrm.billing.models import BillSummary
from telcrm.care import contacts, outbox
from telcrm.care.audiences import audience_customer_ids, nightly_files
from telcrm.care.choices import Language, TriggerKind
from telcrm.care.models import Audience, Trigger, TriggerFiring
from telcrm.care.services import compose
from telcrm.core.errors import NotFound
from telcrm.customers.models import Account, Customer, CustomerKind, CustomerStatus, Subscription, SubscriptionStatus
from telcrm.value.services import service_levels

CHUNK = 1000
DEFAULTS: dict[str, dict[str, object]] = {
    TriggerKind.SUSPENSION_CARE: {"min_stars": 3, "grace_days": 7},
    TriggerKind.BILL_SHOCK: {"ratio": 2.0, "min_amount": 100.0},
    TriggerKind.CHURN_WARNING: {"min_risk": 0.5},
    TriggerKind.CONTRACT_END: {"days_before": 30},
}


@dataclass(frozen=True)
class Candidate:
    customer_id: int
    occurrence: str
    context: dict[str, object] = field(default_factory=dict)
    grace_until: dt.date | None = None


def _condition(trigger: Trigger, name: str) -> Any:
    return trigger.conditions.get(name, DEFAULTS.get(trigger.kind, {}).get(name))


def _live() -> Q:
    return ~Q(status=CustomerStatus.MERGED)


def _birthdays(trigger: Trigger, day: dt.date) -> Iterator[Candidate]:
    """Born on this day; those born on 29 February are greeted on the 28th in other years."""
    days = [day.day] + ([29] if (day.month, day.day) == (2, 28) and not _leap(day.year) else [])
    rows = Customer.objects.filter(_live(), kind=CustomerKind.INDIVIDUAL, birth_date__month=day.month,
                                   birth_date__day__in=days).values_list("pk", flat=True)
    for pk in rows:
        yield Candidate(pk, f"birthday:{day.year}")


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _tenure(trigger: Trigger, day: dt.date) -> Iterator[Candidate]:
    """The anniversary of becoming a customer; ``years`` limits it (e.g. [1, 5, 10])."""
    wanted = set(trigger.conditions.get("years") or [])
    rows = Customer.objects.filter(_live(), since__month=day.month, since__day=day.day, since__lt=day)
    for pk, since in rows.values_list("pk", "since"):
        assert since is not None  # filtered on since__lt
        years = day.year - since.year
        if years >= 1 and (not wanted or years in wanted):
            yield Candidate(pk, f"tenure:{years}", {"years": years})


def _contract_end(trigger: Trigger, day: dt.date) -> Iterator[Candidate]:
    horizon = day + dt.timedelta(days=int(_condition(trigger, "days_before")))
    rows = (Subscription.objects.exclude(status=SubscriptionStatus.CLOSED)
            .filter(contract_end__gte=day, contract_end__lte=horizon).values_list("customer_id", "pk", "contract_end"))
    for customer_id, line_id, end in rows:
        assert end is not None  # filtered on contract_end
        yield Candidate(customer_id, f"contract:{line_id}:{end.isoformat()}", {"contract_end": end.isoformat()})


def _suspension_care(trigger: Trigger, day: dt.date) -> Iterator[Candidate]:
    """VIPs in arrears: notified, with grace days before the line may be suspended."""
    min_stars, grace = int(_condition(trigger, "min_stars")), int(_condition(trigger, "grace_days"))
    accounts = list(Account.objects.filter(balance__lt=0, arrears_since__isnull=False, arrears_since__lte=day)
                    .values_list("customer_id", "arrears_since", "balance"))
    levels = service_levels(customer_ids=[customer_id for customer_id, _since, _balance in accounts])
    for customer_id, since, balance in accounts:
        assert since is not None  # filtered on arrears_since
        if levels[customer_id].stars >= min_stars:
            yield Candidate(customer_id, f"arrears:{since.isoformat()}",
                            {"grace_days": grace, "amount_due": f"{-balance:.2f}"},
                            grace_until=day + dt.timedelta(days=grace))


def _bill_shock(trigger: Trigger, day: dt.date) -> Iterator[Candidate]:
    """The newest bill far above the customer's own normal (the mean of the six before)."""
    ratio, floor = float(_condition(trigger, "ratio")), float(_condition(trigger, "min_amount"))  # type: ignore[arg-type]
    newest = BillSummary.objects.filter(month__lte=day).order_by("-month").values_list("month", flat=True).first()
    if newest is None:
        return
    index = newest.year * 12 + newest.month - 1 - 6
    start = dt.date(index // 12, index % 12 + 1, 1)
    normal = dict(BillSummary.objects.filter(month__gte=start, month__lt=newest).values("subscription_id")
                  .annotate(mean=Avg("total")).values_list("subscription_id", "mean"))
    bills = BillSummary.objects.filter(month=newest, total__gte=floor).values_list(
        "subscription_id", "subscription__customer_id", "total")
    for line_id, customer_id, total in bills:
        mean = normal.get(line_id)
        if mean and float(total) >= ratio * float(mean):
            yield Candidate(customer_id, f"bill:{line_id}:{newest:%Y-%m}", {"amount_due": f"{total:.2f}"})


def _churn_warning(trigger: Trigger, day: dt.date) -> Iterator[Candidate]:
    """A high churn risk in the newest nightly results."""
    try:
        month, files = nightly_files()
    except NotFound:
        return
    con = backends.connect()
    results = con.read_parquet(str(files.line_results))
    risky = results.filter(results.risk >= float(_condition(trigger, "min_risk")))  # type: ignore[arg-type]
    for customer_id in sorted(set(risky.select("customer_id").to_pyarrow().column(0).to_pylist())):
        yield Candidate(customer_id, f"risk:{month}")


def _date(trigger: Trigger, day: dt.date) -> Iterator[Candidate]:
    """A date campaign (a holiday): on ``date`` or every year on ``month``/``day``, to the
    customers of ``audience_id`` (a saved audience) or every live customer."""
    c = trigger.conditions
    if c.get("date"):
        due = dt.date.fromisoformat(c["date"]) == day
    else:
        due = (c.get("month"), c.get("day")) == (day.month, day.day)
    if not due:
        return
    if c.get("audience_id"):
        ids = audience_customer_ids(Audience.objects.get(pk=c["audience_id"]).filters)
    else:
        ids = list(Customer.objects.filter(_live()).values_list("pk", flat=True))
    for pk in ids:
        yield Candidate(pk, f"date:{day.isoformat()}")


_DAILY = {
    TriggerKind.BIRTHDAY: _birthdays, TriggerKind.TENURE: _tenure, TriggerKind.CONTRACT_END: _contract_end,
    TriggerKind.SUSPENSION_CARE: _suspension_care, TriggerKind.BILL_SHOCK: _bill_shock,
    TriggerKind.CHURN_WARNING: _churn_warning, TriggerKind.DATE: _date,
}


def fire(trigger: Trigger, candidates: list[Candidate], *, at: dt.datetime) -> outbox.Enqueued:
    """Record the firings that are new and decide their messages; the caller holds the
    transaction. Candidates whose occurrence already fired are left alone."""
    if not candidates:
        return outbox.Enqueued()
    seen = set(TriggerFiring.objects.filter(trigger=trigger, customer_id__in={c.customer_id for c in candidates})
               .values_list("customer_id", "occurrence"))
    fresh = {(c.customer_id, c.occurrence): c for c in candidates if (c.customer_id, c.occurrence) not in seen}
    due = at + dt.timedelta(days=trigger.delay_days)
    TriggerFiring.objects.bulk_create([
        TriggerFiring(trigger=trigger, customer_id=c.customer_id, occurrence=c.occurrence, fired_at=at, due_at=due,
                      grace_until=c.grace_until) for c in fresh.values()
    ], batch_size=1000, ignore_conflicts=True)
    firings = TriggerFiring.objects.filter(trigger=trigger, fired_at=at, customer_id__in={c for c, _o in fresh}
                                           ).select_related("customer__region")
    kept = [f for f in firings if (f.customer_id, f.occurrence) in fresh]
    ids = [f.customer_id for f in kept]
    lines, languages = contacts.primary_lines(ids), contacts.language_of(ids)
    drafts = []
    for firing in kept:
        candidate = fresh[(firing.customer_id, firing.occurrence)]
        subject, body = compose(trigger.template, customer=firing.customer, line=lines.get(firing.customer_id),
                                language=languages.get(firing.customer_id, Language.ZH_HANS),
                                extra=candidate.context)
        drafts.append(outbox.Draft(customer=firing.customer, channel=trigger.channel, purpose=trigger.purpose,
                                   body=body, subject=subject, firing=firing, not_before=due,
                                   has_offer=trigger.product_id is not None))
    return outbox.enqueue(drafts, at=at)


def fire_triggers(*, as_of: dt.date, at: dt.datetime | None = None) -> dict[str, int]:
    """Every active daily trigger for ``as_of``: how many messages each queued."""
    at = at or timezone.now()
    counts = {}
    for trigger in Trigger.objects.filter(active=True).exclude(kind=TriggerKind.TICKET_RESOLVED).select_related(
            "template"):
        counts[trigger.name] = 0
        candidates = _DAILY[TriggerKind(trigger.kind)](trigger, as_of)
        while chunk := list(itertools.islice(candidates, CHUNK)):  # bounded queries for a date campaign to all
            decided = fire(trigger, chunk, at=at)
            counts[trigger.name] += decided.queued + decided.deferred
    return counts


def on_ticket_resolved(sender: object, *, ticket_id: int, customer_id: int, resolved_at: dt.datetime,
                       kind: str = "", **_event: object) -> None:
    """The "after a ticket is resolved" care message, in the ticket's transaction; a
    trigger's ``kinds`` condition limits it (e.g. ["complaint"])."""
    for trigger in Trigger.objects.filter(active=True, kind=TriggerKind.TICKET_RESOLVED).select_related("template"):
        kinds = trigger.conditions.get("kinds")
        if kinds and kind not in kinds:
            continue
        fire(trigger, [Candidate(customer_id, f"ticket:{ticket_id}")], at=resolved_at)


def in_grace(*, customer_id: int, on: dt.date) -> bool:
    """Whether suspension care holds off cutting the customer's lines on ``on``."""
    return TriggerFiring.objects.filter(customer_id=customer_id, trigger__kind=TriggerKind.SUSPENSION_CARE,
                                        grace_until__gte=on, fired_at__date__lte=on).exists()
