"""The SLA sweep: warnings and escalations at the thresholds, each level once, addressed to
the team's supervisor and manager; paused and finished tickets are left alone."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from telcrm.core.errors import Conflict, PermissionDenied, ValidationFailed
from telcrm.core.roles import Role
from telcrm.tickets import services as s
from telcrm.tickets.models import Escalation, SlaStage
from telcrm.tickets.models import TicketStatus as S
from telcrm.tickets.sweep import sweep_sla

from .desk import agent, at, fresh, team, ticket

pytestmark = pytest.mark.django_db

# A one-star complaint opened Tuesday 4 March 2025 09:00, answered at 09:30: resolution
# target 1620 business minutes (three days) -> Thursday 18:00; warning at 80% = 1296 ->
# Thursday 12:36; manager at 150% = 2430 -> Monday 10 March 13:30.
WARN, BREACH, MANAGER = at("2025-03-06T12:36"), at("2025-03-06T18:00"), at("2025-03-10T13:30")


@pytest.fixture
def desk():  # type: ignore[no-untyped-def]
    worker, boss, manager = agent(), agent(), agent(Role.MANAGER)
    team(worker, supervisor=boss, manager=manager)
    t = ticket(worker)
    s.respond(worker, ticket=t, version=t.version, at=at("2025-03-04T09:30"))
    return t, boss, manager


def levels(t) -> list[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    return list(Escalation.objects.filter(ticket=t).order_by("at", "id").values_list("level", "escalated_to"))


class TestThresholds:
    def test_the_stored_stage_times(self, desk) -> None:  # type: ignore[no-untyped-def]
        t, _, _ = desk
        t = fresh(t)
        assert (t.warn_at, t.supervisor_at, t.manager_at, t.sweep_due_at) == (WARN, BREACH, MANAGER, WARN)

    def test_stage_by_stage(self, desk) -> None:  # type: ignore[no-untyped-def]
        t, boss, manager = desk
        assert sweep_sla(now=at("2025-03-06T12:35")).due == 0
        r = sweep_sla(now=WARN)
        assert (r.due, r.warned, r.to_supervisor) == (1, 1, 0)
        assert (fresh(t).sla_stage, fresh(t).warned_at, fresh(t).sweep_due_at) == (SlaStage.WARNED, WARN, BREACH)
        assert levels(t) == []
        r = sweep_sla(now=BREACH)
        assert (r.to_supervisor, r.to_manager) == (1, 0)
        assert levels(t) == [("supervisor", boss.pk)]
        assert sweep_sla(now=BREACH).due == 0
        r = sweep_sla(now=MANAGER)
        assert levels(t) == [("supervisor", boss.pk), ("manager", manager.pk)]
        assert (fresh(t).sla_stage, fresh(t).sweep_due_at) == (SlaStage.MANAGER, None)
        assert sweep_sla(now=at("2025-12-31T00:00")).due == 0

    def test_a_long_overdue_ticket_passes_both_levels_in_one_sweep(self, desk) -> None:  # type: ignore[no-untyped-def]
        t, boss, manager = desk
        r = sweep_sla(now=at("2025-03-20T09:00"))
        assert (r.to_supervisor, r.to_manager) == (1, 1)
        assert levels(t) == [("supervisor", boss.pk), ("manager", manager.pk)]

    def test_the_sweep_does_not_touch_the_version(self, desk) -> None:  # type: ignore[no-untyped-def]
        t, _, _ = desk
        version = fresh(t).version
        sweep_sla(now=BREACH)
        assert fresh(t).version == version

    def test_an_escalation_already_recorded_is_not_repeated(self, desk) -> None:  # type: ignore[no-untyped-def]
        t, _, _ = desk
        sweep_sla(now=BREACH)
        t.__class__.objects.filter(pk=t.pk).update(sla_stage=SlaStage.WARNED, sweep_due_at=BREACH)  # a racing sweep
        sweep_sla(now=BREACH)
        assert Escalation.objects.filter(ticket=t).count() == 1

    def test_a_missed_first_response_goes_to_the_supervisor(self) -> None:
        worker, boss = agent(), agent()
        team(worker, supervisor=boss)
        t = ticket(worker)
        sweep_sla(now=at("2025-03-04T17:00"))  # 480 business minutes without an answer
        assert levels(t) == [("supervisor", boss.pk)]

    def test_without_a_team_the_profile_supervisor_is_escalated_to(self) -> None:
        worker, boss = agent(), agent()
        worker.profile.supervisor = boss
        worker.profile.save()
        t = ticket(worker)
        sweep_sla(now=at("2025-03-04T17:00"))
        assert levels(t) == [("supervisor", boss.pk)]


class TestLeftAlone:
    def test_a_pending_ticket_is_not_swept(self, desk) -> None:  # type: ignore[no-untyped-def]
        t, _, _ = desk
        s.change_status(t.owner, ticket=t, status=S.PENDING, version=t.version, at=at("2025-03-05T09:00"))
        assert sweep_sla(now=MANAGER).due == 0

    def test_a_resolved_ticket_is_not_swept(self) -> None:
        worker = agent()
        t = ticket(worker, kind="inquiry")
        s.resolve_ticket(worker, ticket=t, version=t.version, resolution="answered", at=at("2025-03-04T09:10"))
        assert sweep_sla(now=at("2025-04-01T09:00")).due == 0


class TestCommand:
    def test_sweep_reports(self, desk) -> None:  # type: ignore[no-untyped-def]
        out = io.StringIO()
        call_command("tickets", "sweep", "--at", "2025-03-20T09:00:00+08:00", stdout=out)
        assert "1 tickets due" in out.getvalue() and "1 escalated to the supervisor, 1 to the manager" in out.getvalue()

    def test_a_bad_time_is_refused(self) -> None:
        with pytest.raises(CommandError):
            call_command("tickets", "sweep", "--at", "next tuesday")


class TestAskingForHelp:
    def test_an_agent_escalates_once_per_level_and_the_sweep_does_not_repeat_it(self, desk) -> None:  # type: ignore[no-untyped-def]
        t, boss, _ = desk
        s.escalate_ticket(t.owner, ticket=t, level="supervisor", reason="customer threatens to go to the regulator",
                          at=at("2025-03-04T11:00"))
        with pytest.raises(Conflict):
            s.escalate_ticket(t.owner, ticket=t, level="supervisor", reason="again")
        assert sweep_sla(now=BREACH).to_supervisor == 0
        assert levels(t) == [("supervisor", boss.pk)]
        assert Escalation.objects.get(ticket=t).actor == t.owner

    def test_bad_requests_are_refused(self, desk) -> None:  # type: ignore[no-untyped-def]
        t, _, _ = desk
        with pytest.raises(ValidationFailed):
            s.escalate_ticket(t.owner, ticket=t, level="president", reason="x")
        with pytest.raises(ValidationFailed):
            s.escalate_ticket(t.owner, ticket=t, level="manager", reason=" ")
        with pytest.raises(PermissionDenied):
            s.escalate_ticket(agent(), ticket=t, level="manager", reason="not mine")
