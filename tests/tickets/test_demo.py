"""The demo desk on a small operator: tickets worked by the rules, the three source cases
in the demo agent's queue, figures for the KPIs, and a second run that changes nothing."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from telcrm.billing.models import BillSummary
from telcrm.simulate.demo_users import ensure_demo_users
from telcrm.tickets import kpi_data, kpis
from telcrm.tickets.demo import seed_demo_tickets
from telcrm.tickets.models import Escalation, ReturnVisit, Ticket, TicketStatus
from tests import factories as f
from tests.tickets.desk import SH

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 6, 18, 15, 0, tzinfo=SH)


@pytest.fixture
def operator(tmp_path):
    ensure_demo_users(tmp_path)
    for region in ("SH-PD", "SH-XH"):
        for _ in range(12):
            line = f.subscription(f.customer(region_code=region))
            for month in (dt.date(2025, 3, 1), dt.date(2025, 4, 1), dt.date(2025, 5, 1)):
                BillSummary.objects.create(subscription=line, month=month, plan_fee=Decimal("128"),
                                           total=Decimal("128"))


def test_demo_desk(operator):
    out = io.StringIO()
    made = seed_demo_tickets(out=out, count=80, days=90, now=NOW)
    assert made >= 70, out.getvalue()
    tickets = Ticket.objects.all()
    assert tickets.filter(status__in=[TicketStatus.RESOLVED, TicketStatus.CLOSED]).count() > made // 2
    assert tickets.filter(status__in=["acknowledged", "inProgress", "pending", "held"]).exists()
    assert Escalation.objects.exists()  # late tickets were escalated by the sweep
    assert ReturnVisit.objects.filter(satisfaction__isnull=False).exists()
    agent = User.objects.get(username="agent")
    cases = tickets.filter(owner=agent, kind="complaint", status="acknowledged",
                           category__code__in=["vas_sp.unrequested", "suspension_credit.monitor_stop",
                                               "billing.promotion"], subscription__isnull=False)
    assert cases.count() >= 3
    manager = User.objects.get(username="manager")
    facts = kpi_data.ticket_facts(manager, since=NOW - dt.timedelta(days=100), until=NOW)
    card = kpis.scorecard("all", facts, kpi_data.visit_facts(manager, since=NOW - dt.timedelta(days=100),
                                                             until=NOW), now=NOW)
    assert card.first_contact.denominator > 0 and 0 < card.sla.value < 1
    assert card.empowerment.value < 1 and card.satisfaction is not None

    again = io.StringIO()
    assert seed_demo_tickets(out=again, count=80, days=90, now=NOW) == 0
    assert "there already" in again.getvalue() and Ticket.objects.count() == tickets.count()


def test_without_the_demo_staff_nothing_is_made():
    out = io.StringIO()
    assert seed_demo_tickets(out=out, count=10, now=NOW) == 0
    assert "not there" in out.getvalue() and not Ticket.objects.exists()
