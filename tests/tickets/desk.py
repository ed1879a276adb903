"""Builders for the service-desk domain tests: agents in a team, tickets opened through the
service at a given time, and a line's billing records."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User

from telcrm.core.roles import Role
from telcrm.customers.models import Customer, Subscription
from telcrm.tickets.models import Category, Team, Ticket
from telcrm.tickets.services import open_ticket
from tests import factories as f

SH = ZoneInfo("Asia/Shanghai")
#: A plain Tuesday morning, far from any holiday.
TUESDAY = dt.datetime(2025, 3, 4, 9, 0, tzinfo=SH)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


def agent(role: Role = Role.SERVICE_AGENT, region: str = "SH-XH") -> User:
    return f.user(role, region_code=region)


def team(*members: User, supervisor: User | None = None, manager: User | None = None, code: str = "") -> Team:
    t = Team.objects.create(code=code or f"team{Team.objects.count() + 1}", name="desk", supervisor=supervisor,
                            manager=manager)
    t.members.add(*members)
    return t


def category(code: str = "billing") -> Category:
    return Category.objects.get(code=code)


def ticket(actor: User, *, customer: Customer | None = None, subscription: Subscription | None = None,
           kind: str = "complaint", category_code: str = "billing", channel: str = "call_centre",
           opened: dt.datetime = TUESDAY, subject: str = "charge not understood") -> Ticket:
    customer = customer or f.customer()
    return open_ticket(actor, customer=customer, kind=kind, category=category(category_code), channel=channel,
                       subject=subject, subscription=subscription, at=opened)


def fresh(t: Ticket) -> Ticket:
    return Ticket.objects.get(pk=t.pk)
