"""The desk's screens through Django's test client: queue, workspace (customer context,
evidence, status, conflicts, refunds, work orders), board, dashboard, visits, 360 card."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from telcrm.billing.models import SpSubscription
from telcrm.core.roles import Role
from telcrm.tickets.models import (
    Evidence,
    RefundRequest,
    RefundStatus,
    ReturnVisit,
    Ticket,
    TicketStatus,
    WorkOrder,
)
from tests import factories as f
from tests.tickets import desk

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def agent():
    return desk.agent()


@pytest.fixture
def web(agent) -> Client:
    return signed_in(agent)


@pytest.fixture
def complaint(agent):
    customer = f.customer(region_code="SH-XH")
    line = f.subscription(customer, msisdn="13812345678")
    SpSubscription.objects.create(subscription=line, sp_code="SP901", sp_name="趣味彩信", service="每日笑话",
                                  monthly_fee=Decimal("10.00"), ordered_at=timezone.now() - dt.timedelta(days=40),
                                  ordered_via="sms_reply")
    return desk.ticket(agent, customer=customer, subscription=line, category_code="vas_sp.unrequested",
                       opened=timezone.now(), subject="不认识的SP扣费")


def post(web, t, action, **data):  # type: ignore[no-untyped-def]
    data.setdefault("version", Ticket.objects.get(pk=t.pk).version)
    return web.post(f"/tickets/{t.ticket_no}/{action}/", data, follow=True)


class TestQueue:
    def test_my_open_ticket_with_its_countdown(self, web, complaint):
        r = web.get("/tickets/")
        assert r.status_code == 200
        body = r.content.decode()
        assert complaint.ticket_no in body and 'data-timer="' in body
        rows = web.get("/tickets/?rows=1").content.decode()
        assert rows.startswith("<tbody") and complaint.ticket_no in rows and "every 60s" in rows

    def test_someone_elses_ticket_is_not_in_my_queue(self, complaint):
        other = signed_in(desk.agent())
        assert complaint.ticket_no not in other.get("/tickets/").content.decode()


class TestWorkspace:
    def test_customer_context_is_masked(self, web, complaint):
        body = web.get(f"/tickets/{complaint.ticket_no}/").content.decode()
        assert complaint.customer.customer_no in body
        assert "13812345678" not in body and "138****5678" in body
        assert complaint.customer.id_number not in body

    def test_out_of_scope_is_404(self, complaint):
        other = signed_in(desk.agent(region="SH-PD"))
        assert other.get(f"/tickets/{complaint.ticket_no}/").status_code == 404

    def test_verify_attach_and_cancel_sp(self, web, complaint):
        body = web.get(f"/tickets/{complaint.ticket_no}/").content.decode()
        sp = SpSubscription.objects.get()
        assert f'data-source="sp_subscription:{sp.pk}"' in body and "sms_reply" in body
        r = post(web, complaint, "evidence", source=f"sp_subscription:{sp.pk}")
        assert r.status_code == 200
        assert Evidence.objects.filter(ticket=complaint, source=f"sp_subscription:{sp.pk}").exists()
        post(web, complaint, "correct", source=f"sp_subscription:{sp.pk}")
        sp.refresh_from_db()
        assert sp.cancelled_at is not None

    def test_complaint_cannot_be_resolved_unverified(self, web, complaint):
        post(web, complaint, "status", status="inProgress")
        r = post(web, complaint, "resolve", resolution="explanation", note="已解释")
        assert "attach what you checked" in r.content.decode()
        assert Ticket.objects.get(pk=complaint.pk).status == TicketStatus.IN_PROGRESS

    def test_stale_version_is_a_conflict_and_changes_nothing(self, web, complaint):
        seen = Ticket.objects.get(pk=complaint.pk).version
        post(web, complaint, "status", status="inProgress")  # another tab, or another agent
        r = post(web, complaint, "status", status="cancelled", version=seen)
        assert "已有他人修改" in r.content.decode()  # zh-Hans is the default UI language
        assert Ticket.objects.get(pk=complaint.pk).status == TicketStatus.IN_PROGRESS

    def test_illegal_transition_is_refused(self, web, complaint):
        r = post(web, complaint, "status", status="closed")
        assert "cannot go from acknowledged to closed" in r.content.decode()

    def test_open_work_order_blocks_resolution_until_done(self, web, complaint):
        post(web, complaint, "status", status="inProgress")
        post(web, complaint, "work-orders", team="sp_management", description="核查SP定制记录")
        order = WorkOrder.objects.get(ticket=complaint)
        sp = SpSubscription.objects.get()
        post(web, complaint, "evidence", source=f"sp_subscription:{sp.pk}")
        r = post(web, complaint, "resolve", resolution="sp_cancelled", note="已退订")
        assert "work order is still open" in r.content.decode()
        post(web, complaint, f"work-orders/{order.pk}/done", result="确认为诱导定制")
        post(web, complaint, "resolve", resolution="sp_cancelled", note="已退订")
        t = Ticket.objects.get(pk=complaint.pk)
        assert t.status == TicketStatus.RESOLVED and ReturnVisit.objects.filter(ticket=t).exists()

    def test_refund_above_agent_limit_waits_for_supervisor(self, agent, web, complaint):
        supervisor = desk.agent()
        desk.team(agent, supervisor=supervisor)
        post(web, complaint, "refunds", kind="refund", amount="120.00", reason="SP费退还")
        refund = RefundRequest.objects.get()
        assert refund.status == RefundStatus.PENDING and refund.needs_level == "supervisor"
        r = web.post(f"/tickets/{complaint.ticket_no}/refunds/{refund.pk}/decide/", {"approve": "yes"}, follow=True)
        assert "needs someone else" in r.content.decode()  # not by the one who asked
        boss = signed_in(supervisor)
        board = boss.get("/tickets/board/").content.decode()
        assert f'data-refund="{refund.pk}"' in board
        boss.post(f"/tickets/{complaint.ticket_no}/refunds/{refund.pk}/decide/", {"approve": "yes"})
        refund.refresh_from_db()
        assert refund.status == RefundStatus.APPROVED and refund.approver == supervisor


class TestOpen:
    def test_open_from_the_form(self, web):
        customer = f.customer(region_code="SH-XH")
        line = f.subscription(customer)
        r = web.post("/tickets/new/", {
            "customer_no": customer.customer_no, "kind": "fault", "category": desk.category("network_quality").pk,
            "channel": "call_centre", "subscription": line.pk, "subject": "家里没信号", "description": "室内无信号"})
        t = Ticket.objects.get()
        assert r.status_code == 302 and r["Location"] == f"/tickets/{t.ticket_no}/"
        assert (t.kind, t.subscription_id, t.customer_id) == ("fault", line.pk, customer.pk)

    def test_customer_out_of_scope_is_an_error(self, web):
        elsewhere = f.customer(region_code="SH-PD")
        r = web.post("/tickets/new/", {
            "customer_no": elsewhere.customer_no, "kind": "inquiry", "category": desk.category().pk,
            "channel": "web", "subject": "x", "description": "y"})
        assert r.status_code == 200 and not Ticket.objects.exists()


class TestVisits:
    def test_unsolved_answer_reopens_to_owner(self, agent, web):
        t = desk.ticket(agent, kind="fault", category_code="network_quality", opened=timezone.now())
        post(web, t, "resolve", resolution="fixed", note="已修复")
        visit = ReturnVisit.objects.get(ticket=t)
        body = web.get("/tickets/visits/").content.decode()
        assert f'data-visit="{visit.pk}"' in body
        r = web.post("/tickets/visits/", {"visit": visit.pk, "reached": "yes", "satisfaction": "4",
                                          "solved": "no", "note": "仍无信号"})
        assert r.status_code == 302
        visit.refresh_from_db()
        t = Ticket.objects.get(pk=t.pk)
        assert (visit.satisfaction, visit.solved, t.status, t.owner) == (4, False, TicketStatus.IN_PROGRESS, agent)

    def test_reached_without_score_is_refused(self, agent, web):
        t = desk.ticket(agent, kind="inquiry", opened=timezone.now())
        post(web, t, "resolve", resolution="answered", note="已答复")
        visit = ReturnVisit.objects.get(ticket=t)
        r = web.post("/tickets/visits/", {"visit": visit.pk, "reached": "yes", "solved": "yes"})
        assert r.status_code == 200 and "1 到 10" in r.content.decode()
        visit.refresh_from_db()
        assert visit.attempts == 0


class TestBoardsAndPanel:
    def test_customer_card_lists_open_tickets(self, web, complaint):
        body = web.get(f"/tickets/customers/{complaint.customer.customer_no}/panel/").content.decode()
        assert complaint.ticket_no in body
        page = web.get(f"/customers/{complaint.customer.customer_no}/").content.decode()
        assert f"/tickets/customers/{complaint.customer.customer_no}/panel/" in page

    def test_dashboard_counts(self, agent, web):
        manager = signed_in(desk.agent(Role.MANAGER))
        t = desk.ticket(agent, kind="inquiry", opened=timezone.now())
        post(web, t, "resolve", resolution="answered", note="已答复")
        desk.ticket(agent, kind="inquiry", category_code="roaming", opened=timezone.now())
        r = manager.get("/tickets/dashboard/?by=agent")
        assert r.status_code == 200
        card = r.context["cards"][0]
        assert (card.key, card.tickets, card.resolved) == (agent.username, 2, 1)
        assert card.first_contact.denominator == 1
        assert "kpi-volume-data" in r.content.decode()

    def test_agent_dashboard_shows_only_own(self, agent, web):
        other = desk.agent()
        desk.ticket(other, opened=timezone.now())
        desk.ticket(agent, category_code="roaming", opened=timezone.now())
        r = web.get("/tickets/dashboard/")
        assert r.context["overall"].tickets == 1


class TestTimer:
    def test_workspace_timer_reloads_in_business_time(self, web, complaint):
        page = web.get(f"/tickets/{complaint.ticket_no}/").content.decode()
        assert f"/tickets/{complaint.ticket_no}/timer/" in page and "every 60s" in page
        r = web.get(f"/tickets/{complaint.ticket_no}/timer/")
        assert r.status_code == 200 and 'data-timer="' in r.content.decode()

    def test_paused_ticket_shows_a_standing_clock(self, web, complaint):
        post(web, complaint, "status", status="inProgress")
        post(web, complaint, "status", status="pending")
        body = web.get(f"/tickets/{complaint.ticket_no}/timer/").content.decode()
        assert "⏸" in body


class TestDashboardPeriod:
    def test_period_keeps_only_tickets_opened_in_it(self, agent):
        manager = signed_in(desk.agent(Role.MANAGER))
        now = timezone.localtime()
        desk.ticket(agent, opened=now - dt.timedelta(days=100))
        desk.ticket(agent, category_code="roaming", opened=now)
        old = (now - dt.timedelta(days=100)).strftime("%Y-%m")
        r = manager.get(f"/tickets/dashboard/?from={old}&to={old}")
        assert r.context["overall"].tickets == 1
        assert manager.get("/tickets/dashboard/").context["overall"].tickets == 2
        assert manager.get("/tickets/dashboard/?from=garbage").context["overall"].tickets == 2


class TestKpiScope:
    def test_supervisor_sees_its_team_not_the_others(self):
        lead, mine, other = desk.agent(), desk.agent(), desk.agent()
        desk.team(mine, supervisor=lead, code="t-mine")
        desk.team(other, code="t-other")
        desk.ticket(mine, opened=timezone.now())
        desk.ticket(other, category_code="roaming", opened=timezone.now())
        r = signed_in(lead).get("/tickets/dashboard/?by=team")
        assert [c.key for c in r.context["cards"]] == ["t-mine"]
        board = signed_in(lead).get("/tickets/board/")
        assert board.context["counts"]["total"] == 1
