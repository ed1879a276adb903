"""Campaigns from approval to the outbox: who may approve and start, the random control
group drawn before any send, the policy's decision written with each member's message or
suppression, and nothing decided twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from scipy import stats

from telcrm.care import services
from telcrm.care.choices import CampaignStatus, Group, OutboxStatus, SuppressionReason
from telcrm.care.models import CampaignMember, CampaignStep, OutboxMessage, Suppression
from telcrm.core.errors import Conflict, PermissionDenied, ValidationFailed
from telcrm.core.roles import Role
from tests import factories as f

from .engine import NOON, campaign, nightly, template, texted_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {"owner": f.user(Role.CARE_MARKETING), "manager": f.user(Role.MANAGER)}


def approved(people, **fields):  # type: ignore[no-untyped-def]
    made = campaign(people["owner"], **fields)
    services.approve_campaign(people["manager"], campaign=made, at=NOON)
    return made


class TestApproval:
    def test_marketing_cannot_start_before_a_manager_approves(self, people):
        made = campaign(people["owner"])
        with pytest.raises(Conflict, match="approval"):
            services.start_campaign(people["owner"], campaign=made, at=NOON)
        assert not OutboxMessage.objects.exists() and not CampaignMember.objects.exists()

    def test_the_owner_cannot_approve_their_own_campaign(self, people):
        manager = people["manager"]
        made = campaign(manager)
        with pytest.raises(ValidationFailed, match="other than its owner"):
            services.approve_campaign(manager, campaign=made)

    def test_care_and_marketing_may_not_approve(self, people):
        with pytest.raises(PermissionDenied):
            services.approve_campaign(f.user(Role.CARE_MARKETING), campaign=campaign(people["owner"]))

    def test_a_care_campaign_starts_without_approval(self, people):
        customer = texted_customer(consent=False)
        nightly([customer])
        made = campaign(people["owner"], purpose="care", body="尊敬的{{ name }}，您的账户已恢复。", control_share="0")
        started = services.start_campaign(people["owner"], campaign=made, at=NOON)
        assert started.decided.queued == 1 and OutboxMessage.objects.get().purpose == "care"

    def test_the_buttons_follow_role_and_status(self, people):
        made = campaign(people["owner"])
        assert [a for a, _ in services.allowed_actions(people["manager"], campaign=made)] == ["approve"]
        assert services.allowed_actions(people["owner"], campaign=made) == []
        services.approve_campaign(people["manager"], campaign=made)
        assert [a for a, _ in services.allowed_actions(people["owner"], campaign=made)] == ["start", "finish"]


class TestStart:
    def test_treated_members_get_a_message_control_none_refused_ones_a_reason(self, people):
        consenting = [texted_customer() for _ in range(8)]
        refusing = texted_customer(consent=False)
        nightly([*consenting, refusing])
        made = approved(people, control_share="0.25")
        started = services.start_campaign(people["owner"], campaign=made, at=NOON)
        members = {m.customer_id: m.group for m in CampaignMember.objects.filter(campaign=made)}
        assert len(members) == 9 and started.control == round(9 * 0.25) == 2
        treated = {cid for cid, g in members.items() if g == Group.TREATMENT}
        messaged = set(OutboxMessage.objects.values_list("customer_id", flat=True))
        suppressed = set(Suppression.objects.values_list("customer_id", flat=True))
        assert messaged | suppressed == treated and not messaged & suppressed
        if refusing.pk in treated:
            assert Suppression.objects.get(customer=refusing).reason == SuppressionReason.NO_CONSENT
        made.refresh_from_db()
        assert made.status == CampaignStatus.RUNNING and made.seed is not None

    def test_the_message_is_rendered_for_the_customer_with_the_opt_out_hint(self, people):
        customer = texted_customer(name="王芳")
        nightly([customer])
        services.start_campaign(people["owner"], campaign=approved(people, control_share="0"), at=NOON)
        message = OutboxMessage.objects.get()
        assert message.body == "尊敬的王芳，您的全球通128套餐本月有惊喜。 回复TD退订"
        assert message.to == customer.subscriptions.get().msisdn and message.status == OutboxStatus.QUEUED

    def test_a_customer_lacking_a_value_is_suppressed_and_the_rest_go(self, people):
        fine = texted_customer()
        lineless = f.customer(email="x@example.cn")
        nightly([fine, lineless])
        services.start_campaign(people["owner"], campaign=approved(people, control_share="0"), at=NOON)
        assert list(OutboxMessage.objects.values_list("customer_id", flat=True)) == [fine.pk]
        assert Suppression.objects.get(customer=lineless).reason == SuppressionReason.CONTENT_MISSING

    def test_deciding_again_writes_nothing_twice(self, people):
        nightly([texted_customer() for _ in range(3)])
        made = approved(people, control_share="0")
        services.start_campaign(people["owner"], campaign=made, at=NOON)
        again = services.dispatch_due(made, at=NOON + dt.timedelta(hours=1))
        assert OutboxMessage.objects.count() == 3 and again.queued == 0

    def test_a_later_step_is_decided_when_it_falls_due(self, people):
        nightly([texted_customer()])
        made = approved(people, control_share="0")
        CampaignStep.objects.create(campaign=made, number=2, channel="sms", delay_days=7,
                                    template=template("{{ name }}，优惠还剩三天。", name="reminder"))
        services.start_campaign(people["owner"], campaign=made, at=NOON)
        assert OutboxMessage.objects.count() == 1
        services.advance_campaigns(at=NOON + dt.timedelta(days=6))
        assert OutboxMessage.objects.count() == 1
        services.advance_campaigns(at=NOON + dt.timedelta(days=7))
        assert sorted(OutboxMessage.objects.values_list("step", flat=True)) == [1, 2]

    def test_over_budget_starts_nothing(self, people):
        nightly([texted_customer() for _ in range(5)])
        made = approved(people, control_share="0", budget=Decimal("0.40"), cost_per_contact=Decimal("0.10"))
        with pytest.raises(ValidationFailed, match=r"over the budget of 0\.40"), transaction.atomic():
            services.start_campaign(people["owner"], campaign=made, at=NOON)
        assert not CampaignMember.objects.exists() and not OutboxMessage.objects.exists()

    def test_finishing_withdraws_what_was_not_sent(self, people):
        nightly([texted_customer() for _ in range(2)])
        made = approved(people, control_share="0")
        services.start_campaign(people["owner"], campaign=made, at=NOON)
        services.finish_campaign(people["owner"], campaign=made, at=NOON)
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {OutboxStatus.SUPPRESSED}
        assert Suppression.objects.filter(reason=SuppressionReason.CAMPAIGN_ENDED).count() == 2


class TestControlGroup:
    def test_the_same_seed_draws_the_same_groups(self, people):
        customers = [texted_customer() for _ in range(20)]
        nightly(customers)
        first, second = approved(people, seed=42), approved(people, seed=42)
        for made in (first, second):
            services.start_campaign(people["owner"], campaign=made, at=NOON)
        groups = [dict(CampaignMember.objects.filter(campaign=c).values_list("customer_id", "group"))
                  for c in (first, second)]
        assert groups[0] == groups[1]

    def test_every_customer_is_equally_likely_to_be_in_control(self, people):
        # 400 draws of 25 customers at share 0.2: each customer's control count is
        # Binomial(400, 0.2) if the draw is fair; a chi-square test over the 25 counts
        # (fixed seeds, so the test is deterministic) finds no customer favoured.
        customers = [texted_customer(consent=False) for _ in range(25)]
        ids = [c.pk for c in customers]
        counts = dict.fromkeys(ids, 0)
        made = campaign(people["owner"])
        for seed in range(400):
            made.seed = seed
            CampaignMember.objects.filter(campaign=made).delete()
            services._draw(made, ids, NOON)
            for cid in CampaignMember.objects.filter(campaign=made, group=Group.CONTROL).values_list("customer_id",
                                                                                                     flat=True):
                counts[cid] += 1
        assert sum(counts.values()) == 400 * 5
        result = stats.chisquare(list(counts.values()))
        assert result.pvalue > 0.001


class TestPreview:
    def test_the_preview_is_the_real_message_with_the_number_masked(self, people):
        customer = texted_customer(name="李雷")
        nightly([customer])
        made = campaign(people["owner"])
        preview = services.preview_message(people["owner"], campaign=made, step=1)
        assert preview.customer_no == customer.customer_no
        assert preview.body.startswith("尊敬的李雷，您的全球通128") and preview.body.endswith("回复TD退订")
        assert "****" in preview.to_masked and preview.segments == 1
        assert not OutboxMessage.objects.exists()


class TestPause:
    def test_every_page_action_takes_the_same_arguments_and_pause_resume_keeps_the_draw(self, people):
        nightly([texted_customer() for _ in range(4)])
        made = campaign(people["owner"])
        services.CAMPAIGN_ACTIONS["approve"](people["manager"], campaign=made, at=NOON)
        services.CAMPAIGN_ACTIONS["start"](people["owner"], campaign=made, at=NOON)
        drawn = dict(CampaignMember.objects.values_list("customer_id", "group"))
        services.CAMPAIGN_ACTIONS["pause"](people["owner"], campaign=made, at=NOON)
        assert made.status == CampaignStatus.PAUSED
        services.CAMPAIGN_ACTIONS["start"](people["owner"], campaign=made, at=NOON + dt.timedelta(hours=1))
        assert dict(CampaignMember.objects.values_list("customer_id", "group")) == drawn
        services.CAMPAIGN_ACTIONS["finish"](people["owner"], campaign=made, at=NOON)
        assert made.status == CampaignStatus.FINISHED


class TestFeedback:
    def test_an_agent_records_awareness_and_satisfaction_of_a_member_once(self, people):
        customer = texted_customer()
        nightly([customer])
        made = approved(people, control_share="0")
        services.start_campaign(people["owner"], campaign=made, at=NOON)
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-XH")
        services.record_feedback(agent, campaign=made, customer=customer, aware=False, satisfaction=3, at=NOON)
        services.record_feedback(agent, campaign=made, customer=customer, aware=True, satisfaction=5, at=NOON)
        [feedback] = made.feedback.all()
        assert (feedback.aware, feedback.satisfaction) == (True, 5)
        with pytest.raises(ValidationFailed, match="1 to 5"):
            services.record_feedback(agent, campaign=made, customer=customer, aware=True, satisfaction=9)
        with pytest.raises(ValidationFailed, match="target group"):
            services.record_feedback(agent, campaign=made, customer=texted_customer(), aware=True)
