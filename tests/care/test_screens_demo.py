"""The care demo: built once from the nightly results (a second run adds nothing), with a
finished campaign whose control group and history the effect page measures, a running
call campaign on the agents' work list, and a draft awaiting a manager."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from telcrm.care.demo import seed_demo_care
from telcrm.care.models import (
    CallTask,
    Campaign,
    CampaignMember,
    CampaignResponse,
    CampaignStatus,
    Consent,
    Group,
    HoldoutMember,
    OutboxMessage,
    Trigger,
    VoucherCode,
)
from telcrm.simulate.demo_users import ensure_demo_users
from tests import factories as f
from tests.care.screens import client_for, nightly

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    customers = [f.customer() for _ in range(120)]
    for c in customers:
        f.subscription(c)
    vip = {c.customer_no: {"segment": "vip"} for c in customers[:90]}
    warned = {c.customer_no: {"segment": "growth", "warned": True} for c in customers[90:100]}
    nightly(customers, **vip, **warned)
    ensure_demo_users(settings.DATA_DIR)
    return customers


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (
        Campaign, CampaignMember, OutboxMessage, CampaignResponse, CallTask, Consent, HoldoutMember, Trigger,
        VoucherCode)}


def test_the_demo_is_built_once(operator):
    out = StringIO()
    seed_demo_care(out=out)
    first = _counts()
    seed_demo_care(out=StringIO())
    assert _counts() == first
    assert first["Trigger"] == 8 and first["HoldoutMember"] == round(120 * 0.02)
    assert "waiting for a manager's approval" in out.getvalue()


def test_its_campaigns_show_every_screen(operator):
    seed_demo_care(out=StringIO())
    finished = Campaign.objects.get(status=CampaignStatus.FINISHED)
    members = CampaignMember.objects.filter(campaign=finished)
    assert members.count() == 90 and members.filter(group=Group.CONTROL).count() == round(90 * 0.2)
    assert not OutboxMessage.objects.filter(campaign=finished).exclude(status__in=["delivered", "suppressed"]).exists()
    assert not CampaignResponse.objects.filter(campaign=finished, kind="redemption",
                                               customer__campaign_memberships__group=Group.CONTROL,
                                               customer__campaign_memberships__campaign=finished).exists()
    calls = Campaign.objects.get(status=CampaignStatus.RUNNING)
    treated = CampaignMember.objects.filter(campaign=calls, group=Group.TREATMENT).count()
    assert treated > 0 and CallTask.objects.filter(campaign=calls).count() == treated
    assert Campaign.objects.filter(status=CampaignStatus.DRAFT, purpose="marketing").count() == 1
    page = client_for(User.objects.get(username="manager")).get(f"/care/campaigns/{finished.pk}/").content.decode()
    assert 'data-measure="response-redemption"' in page
    assert 'data-figure="treatment">72<' in page and 'data-figure="control">18<' in page
