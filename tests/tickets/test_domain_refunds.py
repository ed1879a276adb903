"""Refund approval limits: agent 50 yuan, supervisor 500, manager without limit (the seeded
configuration), and the four-eyes rule above one's own limit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.roles import Role
from telcrm.tickets import services as s
from telcrm.tickets.models import ApprovalLevel, ApprovalLimit, RefundStatus
from telcrm.tickets.refunds import (
    approval_level_of,
    decide_refund,
    refunds_awaiting,
    request_refund,
    required_level,
)

from .desk import agent, team, ticket

pytestmark = pytest.mark.django_db
LIMITS = {"agent": Decimal("50"), "supervisor": Decimal("500"), "manager": None}


class TestRequiredLevel:
    @pytest.mark.parametrize(("amount", "level"), [
        ("0.01", "agent"), ("50.00", "agent"), ("50.01", "supervisor"), ("500", "supervisor"),
        ("500.01", "manager"), ("100000", "manager"),
    ])
    def test_boundaries(self, amount: str, level: str) -> None:
        assert required_level(Decimal(amount), LIMITS) == level

    def test_without_an_unlimited_level_a_large_amount_is_refused(self) -> None:
        with pytest.raises(ValidationFailed):
            required_level(Decimal("600"), {"agent": Decimal("50"), "supervisor": Decimal("500")})


class TestApprovals:
    @pytest.fixture
    def desk(self):  # type: ignore[no-untyped-def]
        worker, boss, manager = agent(), agent(), agent(Role.MANAGER)
        team(worker, supervisor=boss, manager=manager)
        return worker, boss, manager

    def test_levels(self, desk) -> None:  # type: ignore[no-untyped-def]
        assert [approval_level_of(u) for u in desk] == [ApprovalLevel.AGENT, ApprovalLevel.SUPERVISOR,
                                                        ApprovalLevel.MANAGER]

    def test_within_the_agent_limit_it_is_approved_at_once(self, desk) -> None:  # type: ignore[no-untyped-def]
        worker, _, _ = desk
        refund = request_refund(worker, ticket=ticket(worker), amount="30.00", reason="SP charge")
        assert (refund.status, refund.approver) == (RefundStatus.APPROVED, worker)

    def test_above_it_the_supervisor_approves(self, desk) -> None:  # type: ignore[no-untyped-def]
        worker, boss, _ = desk
        t = ticket(worker)
        refund = request_refund(worker, ticket=t, amount="120.00", reason="three months of SP charges")
        assert (refund.status, refund.needs_level) == (RefundStatus.PENDING, "supervisor")
        assert list(refunds_awaiting(boss)) == [refund]
        assert list(refunds_awaiting(worker)) == []
        with pytest.raises(PermissionDenied):
            decide_refund(worker, refund_id=refund.pk, approve=True)
        decided = decide_refund(boss, refund_id=refund.pk, approve=True, note="verified")
        assert (decided.status, decided.approver) == (RefundStatus.APPROVED, boss)
        with pytest.raises(ValidationFailed):
            decide_refund(boss, refund_id=refund.pk, approve=False)

    def test_above_the_supervisor_limit_only_a_manager(self, desk) -> None:  # type: ignore[no-untyped-def]
        worker, boss, manager = desk
        refund = request_refund(worker, ticket=ticket(worker), amount="800", reason="line wrongly stopped")
        with pytest.raises(PermissionDenied, match="manager"):
            decide_refund(boss, refund_id=refund.pk, approve=True)
        assert decide_refund(manager, refund_id=refund.pk, approve=False).status == RefundStatus.REJECTED

    def test_a_pending_refund_blocks_the_resolution(self, desk) -> None:  # type: ignore[no-untyped-def]
        worker, boss, _ = desk
        t = ticket(worker, kind="request", category_code="provisioning")
        refund = request_refund(worker, ticket=t, amount="60", reason="double fee")
        with pytest.raises(ValidationFailed, match="approval"):
            s.resolve_ticket(worker, ticket=t, version=t.version, resolution="refund")
        decide_refund(boss, refund_id=refund.pk, approve=True)
        s.resolve_ticket(worker, ticket=t, version=t.version, resolution="refund")

    def test_limits_are_configuration(self, desk) -> None:  # type: ignore[no-untyped-def]
        worker, _, _ = desk
        ApprovalLimit.objects.filter(level="agent").update(max_amount=Decimal("200"))
        assert request_refund(worker, ticket=ticket(worker), amount="150", reason="x").status == "approved"

    @pytest.mark.parametrize("amount", ["0", "-5", "12.345", "abc", "NaN"])
    def test_bad_amounts(self, desk, amount: str) -> None:  # type: ignore[no-untyped-def]
        worker, _, _ = desk
        t = ticket(worker)
        with pytest.raises(ValidationFailed):
            request_refund(worker, ticket=t, amount=amount, reason="x")
        assert not t.refunds.exists()
