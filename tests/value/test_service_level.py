"""The star service level the tickets and care apps read from the nightly results."""

import datetime as dt

import pytest

from telcrm.value.services import DEFAULT_STARS, SEGMENT_STARS, service_level, service_levels
from tests import factories as f
from tests import score_factories as s

pytestmark = pytest.mark.django_db


class TestServiceLevel:
    def test_ungraded_customer_gets_the_default(self):
        level = service_level(customer_id=f.customer().pk)
        assert (level.stars, level.tier, level.month) == (DEFAULT_STARS, "", None)

    def test_enterprise_takes_its_newest_grades_stars(self):
        ent = f.customer(kind="enterprise")
        s.enterprise_value(ent, month=dt.date(2024, 5, 1), grade="4A", stars=2)
        s.enterprise_value(ent, month=dt.date(2024, 6, 1), grade="1A", stars=5)
        level = service_level(customer_id=ent.pk)
        assert (level.stars, level.tier, level.month) == (5, "1A", dt.date(2024, 6, 1))

    def test_individual_takes_its_best_line_of_the_newest_month(self):
        person = f.customer()
        a, b = f.subscription(person), f.subscription(person)
        s.line_value(a, month=dt.date(2024, 5, 1), segment="vip")
        s.line_value(a, month=dt.date(2024, 6, 1), segment="mass")
        s.line_value(b, month=dt.date(2024, 6, 1), segment="growth")
        level = service_level(customer_id=person.pk)
        assert (level.stars, level.tier) == (SEGMENT_STARS["growth"], "growth")
        assert level.stars > SEGMENT_STARS["mass"]

    def test_many_at_once_give_each_customers_own_level(self):
        ent, person, new = f.customer(kind="enterprise"), f.customer(), f.customer()
        s.enterprise_value(ent, month=dt.date(2024, 6, 1), grade="2A", stars=4)
        line = f.subscription(person)
        s.line_value(line, month=dt.date(2024, 5, 1), segment="mass")
        s.line_value(line, month=dt.date(2024, 6, 1), segment="vip")
        levels = service_levels(customer_ids=[ent.pk, person.pk, new.pk, person.pk])
        assert {c: (lv.stars, lv.tier) for c, lv in levels.items()} == {
            ent.pk: (4, "2A"), person.pk: (SEGMENT_STARS["vip"], "vip"), new.pk: (DEFAULT_STARS, "")}
        assert all(levels[c] == service_level(customer_id=c) for c in levels)
