"""Loss equivalence on constructed values: the source's 79 commercial or 338 residential
customers per big customer (domain.md section 2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from telcrm.core.errors import ValidationFailed
from telcrm.core.roles import Role
from telcrm.customers.models import CustomerKind
from telcrm.stats.loss import GroupTotals, loss_equivalence
from telcrm.value import services
from telcrm.value.models import EnterpriseValue, LineValue
from tests import factories

MONTH = dt.date(2024, 6, 1)


def line_value(customer, *, segment: str, revenue: float, margin: float, month: dt.date = MONTH) -> LineValue:
    return LineValue.objects.create(
        subscription=factories.subscription(customer), customer=customer, month=month, segment=segment,
        rule_version="segments-1", revenue=Decimal(f"{revenue:.2f}"), margin=Decimal(f"{margin:.2f}"),
    )


def enterprise_value(customer, *, grade: str, revenue: float, margin: float) -> EnterpriseValue:
    return EnterpriseValue.objects.create(
        customer=customer, month=MONTH, grade=grade, stars=5, rule_version="grades-1",
        revenue=Decimal(f"{revenue:.2f}"), margin=Decimal(f"{margin:.2f}"),
    )


class TestPureRatio:
    def test_one_big_customer_at_79_times_a_commercial_customers_revenue_gives_79(self):
        commercial = GroupTotals("5A", customers=10, revenue=10 * 1_000.0, margin=10 * 800.0)
        big = GroupTotals("1A", customers=1, revenue=79_000.0, margin=50_000.0)
        result = loss_equivalence(commercial, big)
        assert result.revenue_ratio == pytest.approx(79.0)
        assert result.margin_ratio == pytest.approx(62.5)

    def test_an_empty_or_worthless_group_replaces_nothing(self):
        big = GroupTotals("1A", customers=1, revenue=79_000.0, margin=50_000.0)
        assert loss_equivalence(GroupTotals("mass", 0, 0.0, 0.0), big).revenue_ratio is None
        assert loss_equivalence(GroupTotals("mass", 3, 30.0, -5.0), big).margin_ratio is None
        assert loss_equivalence(big, GroupTotals("vip", 0, 0.0, 0.0)).revenue_ratio is None


@pytest.mark.django_db
class TestService:
    @pytest.fixture
    def world(self):
        residents = [factories.customer() for _ in range(4)]
        # Four residential customers, 100 yuan each, one of them through two mass lines.
        line_value(residents[0], segment="mass", revenue=60, margin=50)
        line_value(residents[0], segment="mass", revenue=40, margin=30)
        for resident in residents[1:]:
            line_value(resident, segment="mass", revenue=100, margin=80)
        # A line of the previous month does not count.
        line_value(residents[1], segment="mass", revenue=5_000, margin=5_000, month=dt.date(2024, 5, 1))
        big = factories.customer(kind=CustomerKind.ENTERPRISE)
        enterprise_value(big, grade="1A", revenue=33_800, margin=16_000)
        small = [factories.customer(kind=CustomerKind.ENTERPRISE) for _ in range(2)]
        enterprise_value(small[0], grade="5A", revenue=300, margin=200)
        enterprise_value(small[1], grade="5A", revenue=500, margin=200)
        # An enterprise's lines carry a segment too; they are not residential customers.
        line_value(big, segment="mass", revenue=1_000_000, margin=1_000_000)
        return {"big": big}

    def test_residential_customers_per_big_customer(self, world):
        manager = factories.user(Role.MANAGER)
        result = services.loss_equivalence(manager, month=dt.date(2024, 6, 30), a="mass", b="1A")
        assert (result.a.customers, result.a.revenue, result.a.margin) == (4, 400.0, 320.0)
        assert result.revenue_ratio == pytest.approx(338.0)
        assert result.margin_ratio == pytest.approx(200.0)

    def test_commercial_customers_per_big_customer(self, world):
        manager = factories.user(Role.MANAGER)
        result = services.loss_equivalence(manager, month=MONTH, a="5A", b="1A")
        assert result.revenue_ratio == pytest.approx(33_800 / 400)
        assert result.margin_ratio == pytest.approx(80.0)

    def test_all_individuals_against_all_enterprises(self, world):
        manager = factories.user(Role.MANAGER)
        result = services.loss_equivalence(manager, month=MONTH, a="individual", b="enterprise")
        assert result.b.customers == 3
        assert result.revenue_ratio == pytest.approx((34_600 / 3) / 100)

    def test_only_what_the_actor_may_see_counts(self, world):
        account_manager = factories.user(Role.ACCOUNT_MANAGER)
        world["big"].account_manager = account_manager
        world["big"].save()
        result = services.loss_equivalence(account_manager, month=MONTH, a="5A", b="1A")
        assert result.a.customers == 0 and result.b.customers == 1
        assert result.revenue_ratio is None

    def test_an_unknown_group_is_refused(self, world):
        with pytest.raises(ValidationFailed):
            services.loss_equivalence(factories.user(Role.MANAGER), month=MONTH, a="gold", b="1A")
