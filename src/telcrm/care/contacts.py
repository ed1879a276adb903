"""Who may be contacted, and how to reach them: recording consent, opt-outs and the
do-not-contact list, drawing the global holdout, and gathering the facts the pure contact
policy (care/policy.py) decides on, in bulk for a campaign's members.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.models import User as AuthUser
from django.db.models import Q
from django.utils import timezone

from telcrm.care.choices import Channel, ConsentSource, OutboxStatus, Purpose
from telcrm.care.models import (
    Consent,
    ContactProfile,
    DoNotContact,
    HoldoutMember,
    OptOut,
    OutboxMessage,
)
from telcrm.care.policy import CustomerFacts, FrequencyCap, PolicyConfig, PriorContact, Window
from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.customers.models import Customer, Subscription, SubscriptionStatus
from telcrm.customers.policy import get_visible_customer, visible_customers

User = AuthUser | AnonymousUser

#: Outbox states that count as a contact for the caps and priority: decided and not
#: refused (a failed or suppressed message reached nobody).
_COUNTED = (OutboxStatus.QUEUED, OutboxStatus.SENDING, OutboxStatus.SENT, OutboxStatus.DELIVERED,
            OutboxStatus.UNCERTAIN)


def require(actor: User, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(f"{perm} is needed for this")


def policy_config() -> PolicyConfig:
    """The contact policy's settings: ``CARE_POLICY`` in settings, e.g.
    ``{"window": ["08:00", "21:00"], "caps": {"sms": [4, 30]}, "priority_days": 7}``;
    what it leaves out keeps the policy's defaults."""
    raw = getattr(settings, "CARE_POLICY", {}) or {}
    defaults = PolicyConfig()
    window = raw.get("window")
    care_window = raw.get("care_window")
    caps = dict(defaults.caps)
    caps.update({channel: FrequencyCap(int(n), int(days)) for channel, (n, days) in raw.get("caps", {}).items()})
    return PolicyConfig(
        marketing_window=Window(*(dt.time.fromisoformat(t) for t in window)) if window else defaults.marketing_window,
        care_window=Window(*(dt.time.fromisoformat(t) for t in care_window)) if care_window else None,
        caps=caps,
        priority_days=int(raw.get("priority_days", defaults.priority_days)),
    )


# --- recording preferences -----------------------------------------------------------


def record_consent(
    actor: User | None, *, customer: Customer, channel: str, granted: bool, source: str, at: dt.datetime | None = None
) -> Consent:
    """A grant or withdrawal of marketing consent, in force from ``at`` (now). Consent
    records are never edited: the newest one counts, and the history is the proof."""
    if actor is not None:
        require(actor, "care.add_consent")
        customer = get_visible_customer(actor, customer.customer_no)
    if channel not in Channel.values or source not in ConsentSource.values:
        raise ValidationFailed(f"unknown channel {channel!r} or source {source!r}")
    consent = Consent.objects.create(
        customer=customer, channel=channel, purpose=Purpose.MARKETING, granted=granted, source=source,
        at=at or timezone.now(), recorded_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if granted:
        OptOut.objects.filter(customer=customer, channel=channel).delete()
    return consent


def record_opt_out(customer: Customer, *, channel: str, source: str, at: dt.datetime | None = None) -> bool:
    """The customer opted out of marketing on ``channel`` (a TD reply, an unsubscribe
    link, a call). In force at once: the worker checks again before every send. Returns
    False when they had already opted out. No actor: the customer did it themself."""
    _opt_out, created = OptOut.objects.get_or_create(
        customer=customer, channel=channel, defaults={"source": source, "at": at or timezone.now()}
    )
    return created


def add_do_not_contact(actor: User, *, customer: Customer, reason: str) -> DoNotContact:
    require(actor, "care.add_donotcontact")
    customer = get_visible_customer(actor, customer.customer_no)
    if not reason.strip():
        raise ValidationFailed("a reason is needed for the do-not-contact list")
    entry, _created = DoNotContact.objects.get_or_create(
        customer=customer, defaults={"reason": reason.strip(), "at": timezone.now(), "added_by": actor}  # type: ignore[misc]
    )
    return entry


def draw_holdout(actor: User, *, share: float, seed: int, at: dt.datetime | None = None) -> int:
    """Draw a new global holdout: ``share`` of all live customers, at random with
    ``seed`` (recorded on each member, so the draw can be reproduced and explained).
    Replaces the previous holdout; returns its size."""
    require(actor, "care.add_holdoutmember")
    if not 0 <= share < 0.5:
        raise ValidationFailed("the holdout share must be between 0 and 0.5")
    ids = sorted(visible_customers(actor).values_list("pk", flat=True))
    chosen = random.Random(seed).sample(ids, round(len(ids) * share))
    HoldoutMember.objects.all().delete()
    now, label = at or timezone.now(), f"share={share} seed={seed}"
    HoldoutMember.objects.bulk_create(
        [HoldoutMember(customer_id=pk, drawn_at=now, draw=label) for pk in chosen], batch_size=1000
    )
    return len(chosen)


# --- addresses and facts -------------------------------------------------------------


def primary_lines(customer_ids: Iterable[int]) -> dict[int, Subscription]:
    """Each customer's first open line (the number SMS and calls go to)."""
    lines: dict[int, Subscription] = {}
    rows = (Subscription.objects.filter(customer_id__in=list(customer_ids))
            .exclude(status=SubscriptionStatus.CLOSED).select_related("plan", "account").order_by("customer_id", "id"))
    for line in rows:
        lines.setdefault(line.customer_id, line)
    return lines


def address(customer: Customer, channel: str, line: Subscription | None) -> str:
    if channel in (Channel.SMS, Channel.CALL):
        return line.msisdn if line is not None else ""
    if channel == Channel.EMAIL:
        return customer.email
    # A letter's address block: the postal address, then the addressee.
    return f"{customer.address}\n{customer.name}" if customer.address else ""


def facts_for(
    customers: list[Customer], *, channel: str, at: dt.datetime, lines: dict[int, Subscription] | None = None,
    exclude_message: int | None = None,
) -> dict[int, CustomerFacts]:
    """The policy's facts for each customer, in a handful of queries however many."""
    ids = [c.pk for c in customers]
    lines = primary_lines(ids) if lines is None else lines
    consent: dict[int, dict[str, bool]] = defaultdict(dict)
    for cid, ch, granted in (Consent.objects.filter(customer_id__in=ids, purpose=Purpose.MARKETING)
                             .order_by("at", "id").values_list("customer_id", "channel", "granted")):
        consent[cid][ch] = granted  # oldest first: the newest wins
    opted: dict[int, set[str]] = defaultdict(set)
    for cid, ch in OptOut.objects.filter(customer_id__in=ids).values_list("customer_id", "channel"):
        opted[cid].add(ch)
    dnc = set(DoNotContact.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True))
    holdout = set(HoldoutMember.objects.filter(customer_id__in=ids).values_list("customer_id", flat=True))
    config = policy_config()
    horizon = max([c.days for c in config.caps.values()] + [config.priority_days])
    prior: dict[int, list[PriorContact]] = defaultdict(list)
    recent = (OutboxMessage.objects.filter(customer_id__in=ids, purpose=Purpose.MARKETING, status__in=_COUNTED,
                                           created_at__gt=at - dt.timedelta(days=horizon))
              .exclude(pk=exclude_message).values_list(  # type: ignore[misc]  # pk=None excludes nothing
                "customer_id", "channel", "created_at", "campaign_id",
                                                       "campaign__priority"))
    for cid, ch, created, campaign_id, priority in recent:
        prior[cid].append(PriorContact(channel=ch, at=created, campaign_id=campaign_id, priority=priority or 5))
    return {
        c.pk: CustomerFacts(
            time_zone=c.region.timezone, address=address(c, channel, lines.get(c.pk)),
            consent=consent.get(c.pk, {}), opted_out=frozenset(opted.get(c.pk, ())), do_not_contact=c.pk in dnc,
            in_holdout=c.pk in holdout, prior=tuple(prior.get(c.pk, ())),
        )
        for c in customers
    }


def language_of(customer_ids: Iterable[int]) -> dict[int, str]:
    rows = ContactProfile.objects.filter(customer_id__in=list(customer_ids)).values_list("customer_id", "language")
    return dict(rows)


def message_context(customer: Customer, line: Subscription | None) -> dict[str, object]:
    """The template variables known for a customer (care/channels/render.py VARIABLES);
    ``points`` is not kept by this CRM, so a template naming it fails clearly."""
    context: dict[str, object] = {"name": customer.name}
    if line is not None:
        context["plan"] = line.plan.name
        balance = line.account.balance
        context["amount_due"] = f"{-balance:.2f}" if balance < 0 else f"{Decimal('0'):.2f}"
    return context


def customers_by_msisdn(msisdn: str) -> list[Customer]:
    """The customers holding an open line with this number (replies come by number)."""
    return list(Customer.objects.filter(Q(subscriptions__msisdn=msisdn) & ~Q(subscriptions__status="closed"))
                .distinct())
