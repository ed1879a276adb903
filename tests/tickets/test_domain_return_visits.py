"""Return visits (回访): created for every resolved case at the configured delay, one call per
matter, a cap on calls per customer, and the outcome closing or reopening the case."""

from __future__ import annotations

import datetime as dt

import pytest

from telcrm.core.errors import Conflict, ValidationFailed
from telcrm.core.roles import Role
from telcrm.customers.models import Interaction
from telcrm.tickets import services as s
from telcrm.tickets.models import ReturnVisit, ReturnVisitStatus
from telcrm.tickets.models import TicketStatus as S
from telcrm.tickets.return_visits import callback_queue, record_outcome, visit_rate
from tests import factories as f

from .desk import TUESDAY, agent, fresh, ticket

pytestmark = pytest.mark.django_db
RESOLVED = TUESDAY + dt.timedelta(hours=2)


def resolved(actor, **kwargs):  # type: ignore[no-untyped-def]
    kind = kwargs.pop("kind", "fault")
    t = ticket(actor, kind=kind, category_code=kwargs.pop("category_code", "network_quality"), **kwargs)
    s.resolve_ticket(actor, ticket=t, version=t.version, resolution="fixed", at=RESOLVED)
    return t


class TestScheduling:
    @pytest.mark.parametrize(("kind", "days"), [("fault", 3), ("request", 7), ("inquiry", 7)])
    def test_every_resolved_case_gets_its_visit(self, kind: str, days: int) -> None:
        t = resolved(agent(), kind=kind)
        visit = ReturnVisit.objects.get(ticket=t)
        assert visit.due_at == RESOLVED + dt.timedelta(days=days)
        assert visit.status == ReturnVisitStatus.SCHEDULED

    def test_the_delay_is_configuration(self, settings) -> None:  # type: ignore[no-untyped-def]
        settings.TELCRM_RETURN_VISITS = {"days": {"fault": 1}}
        t = resolved(agent())
        assert ReturnVisit.objects.get(ticket=t).due_at == RESOLVED + dt.timedelta(days=1)

    def test_duplicates_share_the_visit_of_their_matter(self) -> None:
        a = agent()
        first = ticket(a, kind="fault", category_code="network_quality")
        second = ticket(a, customer=first.customer, kind="fault", category_code="network_quality")
        assert second.duplicate_of == first
        for t in (second, first):
            s.resolve_ticket(a, ticket=t, version=t.version, resolution="fixed", at=RESOLVED)
        assert ReturnVisit.objects.filter(customer=first.customer, status="scheduled").count() == 1

    def test_reopening_cancels_the_scheduled_visit(self) -> None:
        a = agent()
        t = resolved(a)
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version)
        assert ReturnVisit.objects.get(ticket=t).status == ReturnVisitStatus.CANCELLED
        s.resolve_ticket(a, ticket=t, version=t.version, resolution="fixed")
        assert t.return_visits.filter(status="scheduled").count() == 1


class TestOutcome:
    def test_solved_closes_the_ticket(self) -> None:
        a = agent()
        t = resolved(a)
        visit = ReturnVisit.objects.get(ticket=t)
        record_outcome(a, visit_id=visit.pk, reachable=True, satisfaction=9, solved=True)
        visit.refresh_from_db()
        assert (visit.status, visit.satisfaction, visit.attempts) == ("done", 9, 1)
        assert fresh(t).status == S.CLOSED
        assert Interaction.objects.filter(customer=t.customer, direction="out").count() == 1

    def test_unsolved_reopens_to_the_account_manager_of_an_enterprise(self) -> None:
        a = agent()
        am = agent(Role.ACCOUNT_MANAGER)
        company = f.customer(kind="enterprise", account_manager=am)
        t = resolved(a, customer=company)
        visit = ReturnVisit.objects.get(ticket=t)
        record_outcome(a, visit_id=visit.pk, reachable=True, satisfaction=3, solved=False, note="still no signal")
        t = fresh(t)
        assert (t.status, t.owner, t.reopened, t.resolved_at) == (S.IN_PROGRESS, am, 1, None)
        assert t.sweep_due_at is not None

    def test_unreachable_three_times_gives_up(self) -> None:
        a = agent()
        visit = ReturnVisit.objects.get(ticket=resolved(a))
        for day in range(3):
            record_outcome(a, visit_id=visit.pk, reachable=False, at=RESOLVED + dt.timedelta(days=1 + day))
        visit.refresh_from_db()
        assert (visit.status, visit.attempts) == (ReturnVisitStatus.UNREACHABLE, 3)
        with pytest.raises(ValidationFailed):
            record_outcome(a, visit_id=visit.pk, reachable=False)

    @pytest.mark.parametrize(("satisfaction", "solved"), [(0, True), (11, True), (None, True), (5, None),
                                                          (True, True)])
    def test_a_reached_customer_needs_satisfaction_and_solved(self, satisfaction, solved) -> None:  # type: ignore[no-untyped-def]
        a = agent()
        visit = ReturnVisit.objects.get(ticket=resolved(a))
        with pytest.raises(ValidationFailed):
            record_outcome(a, visit_id=visit.pk, reachable=True, satisfaction=satisfaction, solved=solved)
        visit.refresh_from_db()
        assert visit.attempts == 0


class TestUnifiedQueue:
    def test_a_customer_called_enough_this_week_waits(self) -> None:
        a = agent()
        t = resolved(a)
        visit = ReturnVisit.objects.get(ticket=t)
        assert list(callback_queue(a, now=RESOLVED)) == [visit]
        for hours in (1, 2, 3):  # three calls from other departments (care, sales)
            Interaction.objects.create(customer=t.customer, channel="call_centre", direction="out", topic="care",
                                       occurred_at=RESOLVED - dt.timedelta(hours=hours))
        assert list(callback_queue(a, now=RESOLVED)) == []
        with pytest.raises(Conflict):
            record_outcome(a, visit_id=visit.pk, reachable=True, satisfaction=8, solved=True, at=RESOLVED)
        assert list(callback_queue(a, now=RESOLVED + dt.timedelta(days=8))) == [visit]

    def test_the_queue_follows_the_scope(self) -> None:
        a = agent()
        resolved(a)
        assert list(callback_queue(agent(region="SH-PD"), now=RESOLVED)) == []

    def test_visit_rate(self) -> None:
        a = agent()
        for _ in range(2):
            resolved(a)
        visit = ReturnVisit.objects.first()
        assert visit is not None
        record_outcome(a, visit_id=visit.pk, reachable=True, satisfaction=7, solved=True,
                       at=RESOLVED + dt.timedelta(days=1))
        assert visit_rate(a, resolved_from=TUESDAY, resolved_to=TUESDAY + dt.timedelta(days=1)) == {
            "resolved": 2, "visits": 2, "completed": 1, "on_time": 1}
