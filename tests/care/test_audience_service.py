"""Audiences end to end: the real nightly run on a simulated operator leaves its results
next to the snapshot, and the care service counts an audience from them that agrees with
the results the run wrote to the database."""

from __future__ import annotations

import pytest

from telcrm.care.services import count_audience
from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.roles import Role
from telcrm.nightly.services import run_nightly
from telcrm.value.models import LineValue
from tests import factories as f
from tests.nightly.conftest import END_MONTH, first_day, operator, operator_files  # noqa: F401


@pytest.mark.django_db
def test_the_count_matches_the_nightly_results_in_the_database(operator):  # noqa: F811
    run_nightly(as_of=END_MONTH, progress=False)
    user = f.user(Role.CARE_MARKETING)
    values = LineValue.objects.filter(month=first_day(END_MONTH))
    vip = values.filter(segment="vip").values("customer_id").distinct().count()
    everyone = values.values("customer_id").distinct().count()
    assert 0 < vip < everyone
    assert count_audience(user, filters={"segments": ["vip"], "include_suspended": True}) == vip
    assert count_audience(user, filters={"include_suspended": True}) == everyone


@pytest.mark.django_db
def test_a_bad_filter_or_a_role_without_audiences_is_refused():
    with pytest.raises(ValidationFailed, match="segments"):
        count_audience(f.user(Role.CARE_MARKETING), filters={"segments": ["gold"]})
    with pytest.raises(PermissionDenied):
        count_audience(f.user(Role.SERVICE_AGENT), filters={})
