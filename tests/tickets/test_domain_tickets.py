"""The ticket's life through the services: opening (SLA, duplicates, timeline, event),
scope, every TMF621 transition, the pause, optimistic locking, and work orders blocking
the resolution."""

from __future__ import annotations

import datetime as dt

import pytest

from telcrm.core import events
from telcrm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from telcrm.core.roles import Role
from telcrm.customers.models import Interaction
from telcrm.tickets import services as s
from telcrm.tickets.models import SlaStage, Ticket
from telcrm.tickets.models import TicketStatus as S
from telcrm.tickets.sms import record_sms_reply
from telcrm.tickets.states import IllegalTransition, check_transition
from telcrm.tickets.work_orders import cancel_work_order, complete_work_order, split_work_order
from tests import factories as f

from .desk import TUESDAY, agent, at, fresh, ticket

pytestmark = pytest.mark.django_db

#: TMF621's trouble-ticket state diagram, written out independently of tickets.states.
TMF621 = {
    ("acknowledged", "inProgress"), ("acknowledged", "rejected"), ("acknowledged", "cancelled"),
    ("inProgress", "pending"), ("inProgress", "held"), ("inProgress", "resolved"), ("inProgress", "cancelled"),
    ("pending", "inProgress"), ("pending", "cancelled"), ("held", "inProgress"), ("held", "cancelled"),
    ("resolved", "closed"), ("resolved", "inProgress"),
}


class TestOpening:
    def test_targets_follow_the_default_one_star_complaint_policy(self) -> None:
        t = ticket(agent())
        # 1 star complaint: first response in 480 business minutes, resolution in 3 days.
        assert (t.stars, t.priority, t.status) == (1, "low", S.ACKNOWLEDGED)
        assert t.response_due == at("2025-03-04T17:00")
        assert t.resolution_due == at("2025-03-06T18:00")
        assert t.regulatory_due == TUESDAY + dt.timedelta(days=15)
        assert t.sweep_due_at == t.warn_at
        assert fresh(t).ticket_no == t.ticket_no and t.ticket_no.startswith("TT")

    def test_an_open_ticket_of_the_same_customer_and_category_is_flagged(self) -> None:
        a = agent()
        first = ticket(a)
        second = ticket(a, customer=first.customer)
        other_category = ticket(a, customer=first.customer, category_code="roaming")
        assert second.duplicate_of == first
        assert other_category.duplicate_of is None

    def test_the_contact_lands_on_the_timeline_and_the_event_is_sent(self) -> None:
        seen: list[dict] = []

        def listener(sender, **kwargs):  # type: ignore[no-untyped-def]
            seen.append(kwargs)

        events.ticket_opened.connect(listener)
        try:
            t = ticket(agent(), channel="account_manager")
        finally:
            events.ticket_opened.disconnect(listener)
        entry = Interaction.objects.get(customer=t.customer)
        assert (entry.channel, entry.topic, entry.direction) == ("visit", "complaint", "in")
        assert t.ticket_no in entry.note
        assert seen[0]["ticket_no"] == t.ticket_no and seen[0]["channel"] == "account_manager"

    def test_out_of_scope_customer_is_not_found(self) -> None:
        other_region = f.customer(region_code="SH-PD")
        with pytest.raises(NotFound):
            ticket(agent(region="SH-XH"), customer=other_region)

    def test_bad_input_is_refused_and_nothing_written(self) -> None:
        a = agent()
        c = f.customer()
        foreign_line = f.subscription(f.customer())
        for kwargs in ({"kind": "praise"}, {"channel": "fax"}, {"subject": "  "}, {"subscription": foreign_line}):
            with pytest.raises(ValidationFailed):
                ticket(a, customer=c, **kwargs)  # type: ignore[arg-type]
        assert not s.visible_tickets(a).exists()

    def test_roles_without_the_desk_cannot_open(self) -> None:
        with pytest.raises(PermissionDenied):
            ticket(agent(Role.ANALYST))


class TestTransitions:
    @pytest.mark.parametrize("current", list(S))
    @pytest.mark.parametrize("target", list(S))
    def test_the_table_is_tmf621s(self, current: S, target: S) -> None:
        if (current.value, target.value) in TMF621:
            check_transition(current, target)
        else:
            with pytest.raises(IllegalTransition):
                check_transition(current, target)

    def test_an_illegal_move_through_the_service_changes_nothing(self) -> None:
        a = agent()
        t = ticket(a)
        with pytest.raises(IllegalTransition, match="acknowledged to closed"):
            s.change_status(a, ticket=t, status=S.CLOSED, version=t.version)
        assert fresh(t).status == S.ACKNOWLEDGED and fresh(t).version == 1

    @pytest.mark.parametrize("path", [
        ["inProgress", "pending", "inProgress", "held", "inProgress", "resolved", "closed"],
        ["inProgress", "resolved", "inProgress", "resolved", "closed"],
        ["rejected"], ["cancelled"], ["inProgress", "cancelled"], ["inProgress", "pending", "cancelled"],
        ["inProgress", "held", "cancelled"],
    ])
    def test_every_legal_path_is_recorded(self, path: list[str]) -> None:
        a = agent()
        t = ticket(a, kind="inquiry")
        when = TUESDAY
        for target in path:
            when += dt.timedelta(minutes=10)
            s.change_status(a, ticket=t, status=target, version=t.version, at=when, resolution="answered")
        history = list(fresh(t).status_changes.values_list("from_status", "to_status"))
        assert history == list(zip(["", "acknowledged", *path[:-1]], ["acknowledged", *path], strict=True))
        final = fresh(t)
        assert final.version == 1 + len(path)
        assert (final.sweep_due_at is None) == (final.status not in ("acknowledged", "inProgress", "held"))
        assert (final.closed_at is not None) == (final.status == "closed")
        assert final.reopened == path.count("resolved") - (1 if path[-1] in ("resolved", "closed") else 0)


class TestClock:
    def test_pending_pauses_the_clock_and_moves_the_deadlines(self) -> None:
        a = agent()
        t = ticket(a)
        due = t.resolution_due
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version, at=at("2025-03-04T10:00"))
        s.change_status(a, ticket=t, status=S.PENDING, version=t.version, at=at("2025-03-04T11:00"))
        assert fresh(t).sweep_due_at is None
        # Waiting from Tuesday 11:00 to Wednesday 10:00 is 7 + 1 = 8 business hours.
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version, at=at("2025-03-05T10:00"))
        t = fresh(t)
        assert t.paused_minutes == 480
        assert t.resolution_due == at("2025-03-07T17:00") and t.resolution_due > due
        assert t.sweep_due_at == t.warn_at

    def test_waiting_over_national_day_costs_two_business_hours(self) -> None:
        a = agent()
        t = ticket(a, opened=at("2025-09-30T09:00"))
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version, at=at("2025-09-30T09:05"))
        s.change_status(a, ticket=t, status=S.PENDING, version=t.version, at=at("2025-09-30T17:00"))
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version, at=at("2025-10-09T10:00"))
        # 17:00-18:00 on 30 September, 1-8 October off, 09:00-10:00 on 9 October.
        assert fresh(t).paused_minutes == 120

    def test_a_reopened_ticket_starts_a_new_cycle(self) -> None:
        a = agent()
        t = ticket(a, kind="inquiry")
        s.resolve_ticket(a, ticket=t, version=t.version, resolution="answered", at=at("2025-03-04T09:30"))
        Ticket.objects.filter(pk=t.pk).update(sla_stage=SlaStage.SUPERVISOR)
        t = fresh(t)
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version, at=at("2025-03-10T09:00"))
        t = fresh(t)
        assert (t.sla_stage, t.reopened, t.resolution) == (SlaStage.ON_TIME, 1, "")
        # 1-star inquiry: one business day from the reopening.
        assert t.resolution_due == at("2025-03-10T18:00") and t.sweep_due_at == t.warn_at

    def test_a_customer_reply_by_sms_takes_a_pending_ticket_back_to_work(self) -> None:
        a = agent()
        t = ticket(a, channel="sms")
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version, at=at("2025-03-04T10:00"))
        s.change_status(a, ticket=t, status=S.PENDING, version=t.version, at=at("2025-03-04T11:00"))
        s.add_note(a, ticket=t, text="是的，我没有订过这个业务", kind="customer", at=at("2025-03-04T12:00"))
        assert (fresh(t).status, fresh(t).paused_minutes) == (S.IN_PROGRESS, 60)

    def test_the_first_reply_is_the_first_response(self) -> None:
        a = agent()
        t = ticket(a)
        s.add_note(a, ticket=t, text="we are checking your bill", kind="reply", at=at("2025-03-04T09:20"))
        t = fresh(t)
        assert t.first_response_at == at("2025-03-04T09:20") and t.status == S.IN_PROGRESS
        assert t.supervisor_at == t.resolution_due


class TestLocking:
    def test_the_second_of_two_edits_conflicts(self) -> None:
        a, b = agent(), agent()
        t = ticket(a)
        s.assign_ticket(a, ticket=t, owner=b, version=1)
        mine, theirs = fresh(t), fresh(t)
        s.change_status(b, ticket=mine, status=S.IN_PROGRESS, version=mine.version)
        with pytest.raises(Conflict):
            s.change_status(b, ticket=theirs, status=S.REJECTED, version=theirs.version)
        assert fresh(t).status == S.IN_PROGRESS and fresh(t).version == 3
        # The refused save wrote nothing, even outside a transaction.
        assert list(fresh(t).status_changes.values_list("to_status", flat=True)) == ["acknowledged", "inProgress"]

    def test_only_the_owner_its_supervisor_or_a_manager_change_a_ticket(self) -> None:
        owner, colleague, boss = agent(), agent(), agent(Role.MANAGER)
        t = ticket(owner)
        with pytest.raises(PermissionDenied):
            s.change_status(colleague, ticket=t, status=S.IN_PROGRESS, version=t.version)
        s.change_status(boss, ticket=t, status=S.IN_PROGRESS, version=t.version)


class TestWorkOrders:
    def test_an_open_work_order_blocks_the_resolution(self) -> None:
        a = agent()
        t = ticket(a, kind="fault", category_code="network_quality")
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version)
        order = split_work_order(a, ticket=t, team="network", description="check the cell", at=TUESDAY)
        assert order.due_at == at("2025-03-05T18:00")  # network: two business days
        with pytest.raises(ValidationFailed, match="work order"):
            s.resolve_ticket(a, ticket=t, version=t.version, resolution="fixed")
        assert fresh(t).status == S.IN_PROGRESS
        complete_work_order(a, work_order_id=order.pk, result="antenna realigned")
        s.resolve_ticket(a, ticket=t, version=t.version, resolution="fixed")
        assert fresh(t).status == S.RESOLVED and not fresh(t).first_contact_resolution

    def test_a_cancelled_work_order_no_longer_blocks(self) -> None:
        a = agent()
        t = ticket(a, kind="request", category_code="provisioning")
        order = split_work_order(a, ticket=t, team="provisioning", description="open roaming")
        cancel_work_order(a, work_order_id=order.pk, reason="customer withdrew")
        with pytest.raises(ValidationFailed):
            complete_work_order(a, work_order_id=order.pk, result="late")
        s.resolve_ticket(a, ticket=t, version=t.version, resolution="provisioned")

    def test_bad_work_orders_are_refused(self) -> None:
        a = agent()
        t = ticket(a)
        with pytest.raises(ValidationFailed):
            split_work_order(a, ticket=t, team="catering", description="x")
        with pytest.raises(ValidationFailed):
            split_work_order(a, ticket=t, team="billing", description="x", due_at=TUESDAY, at=TUESDAY)

    def test_an_inquiry_answered_at_once_is_a_first_contact_resolution(self) -> None:
        a = agent()
        t = ticket(a, kind="inquiry", category_code="roaming")
        s.resolve_ticket(a, ticket=t, version=t.version, resolution="answered")
        assert fresh(t).first_contact_resolution

    def test_a_complaint_needs_evidence_before_its_answer(self) -> None:
        a = agent()
        t = ticket(a)
        with pytest.raises(ValidationFailed, match="verify"):
            s.resolve_ticket(a, ticket=t, version=t.version, resolution="explanation")


class TestScopeAndSms:
    def test_a_ticket_outside_the_scope_does_not_exist(self) -> None:
        t = ticket(agent(region="SH-XH"))
        with pytest.raises(NotFound):
            s.get_ticket(agent(region="SH-PD"), ticket_no=t.ticket_no)
        assert s.get_ticket(agent(Role.MANAGER), ticket_no=t.ticket_no) == t
        assert not s.visible_tickets(agent(Role.AUDITOR)).exists()

    def test_an_account_manager_sees_its_enterprises_tickets(self) -> None:
        am = agent(Role.ACCOUNT_MANAGER)
        mine = ticket(agent(), customer=f.customer(kind="enterprise", account_manager=am))
        ticket(agent(), customer=f.customer(kind="enterprise"))
        assert list(s.visible_tickets(am)) == [mine]

    def test_an_sms_reply_lands_on_the_lines_open_ticket(self) -> None:
        a = agent()
        line = f.subscription(f.customer())
        t = ticket(a, customer=line.customer, subscription=line, channel="sms")
        s.change_status(a, ticket=t, status=S.IN_PROGRESS, version=t.version, at=at("2025-03-04T09:10"))
        s.change_status(a, ticket=t, status=S.PENDING, version=t.version, at=at("2025-03-04T09:20"))
        note = record_sms_reply(a, msisdn=line.msisdn, text="收到，已经恢复了", at=at("2025-03-04T10:20"))
        assert (note.ticket, note.kind) == (t, "customer")
        assert (fresh(t).status, fresh(t).paused_minutes) == (S.IN_PROGRESS, 60)
        with pytest.raises(NotFound):
            record_sms_reply(a, msisdn="13900000000", text="hello")
