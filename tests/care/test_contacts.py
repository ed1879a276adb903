"""Recording who may be contacted: consent grants and withdrawals in force at once, opt-outs
from replies, the do-not-contact list, and the global holdout drawn at random."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission, User

from telcrm.care import outbox
from telcrm.care.choices import SuppressionReason
from telcrm.care.contacts import add_do_not_contact, draw_holdout, facts_for, record_consent
from telcrm.care.models import CampaignResponse, HoldoutMember, OptOut, OutboxMessage, Suppression
from telcrm.core.errors import NotFound, PermissionDenied, ValidationFailed
from telcrm.core.roles import Role
from tests import factories as f

from .engine import NOON, campaign, texted_customer

pytestmark = pytest.mark.django_db


def marketing_sms(customer, made, *, at=NOON):  # type: ignore[no-untyped-def]
    return outbox.enqueue([outbox.Draft(customer=customer, channel="sms", purpose="marketing", body="优惠",
                                        campaign=made)], at=at)


class TestConsent:
    def test_the_newest_record_counts_and_a_withdrawal_is_in_force_at_once(self):
        customer = texted_customer()
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-XH")
        record_consent(agent, customer=customer, channel="sms", granted=False, source="call_centre",
                       at=NOON - dt.timedelta(minutes=1))
        assert facts_for([customer], channel="sms", at=NOON)[customer.pk].consent == {"sms": False}
        decided = marketing_sms(customer, campaign())
        assert decided.suppressed == {SuppressionReason.NO_CONSENT: 1} and not OutboxMessage.objects.exists()

    def test_a_new_grant_lifts_an_earlier_opt_out(self):
        customer = texted_customer()
        outbox.record_reply(msisdn=customer.subscriptions.get().msisdn, text="TD", at=NOON)
        assert OptOut.objects.filter(customer=customer, channel="sms").exists()
        record_consent(None, customer=customer, channel="sms", granted=True, source="web",
                       at=NOON + dt.timedelta(days=1))
        assert not OptOut.objects.filter(customer=customer).exists()

    def test_an_agent_cannot_record_consent_outside_their_region(self):
        customer = texted_customer(region_code="SH-PD")
        with pytest.raises(NotFound):
            record_consent(f.user(Role.SERVICE_AGENT, region_code="SH-XH"), customer=customer, channel="sms",
                           granted=True, source="call_centre")

    def test_unknown_channel_is_refused(self):
        with pytest.raises(ValidationFailed):
            record_consent(None, customer=texted_customer(), channel="pigeon", granted=True, source="web")


class TestReplies:
    @pytest.mark.parametrize("text", ["TD", " td ", "退订", "T D"])
    def test_opt_out_words_opt_out_of_sms(self, text):
        customer = texted_customer()
        outbox.record_reply(msisdn=customer.subscriptions.get().msisdn, text=text, at=NOON)
        assert OptOut.objects.get(customer=customer).channel == "sms"

    def test_another_reply_is_a_response_to_the_campaign_that_texted(self):
        customer = texted_customer()
        made = campaign()
        marketing_sms(customer, made)
        OutboxMessage.objects.update(status="sent", sent_at=NOON)
        outbox.record_reply(msisdn=customer.subscriptions.get().msisdn, text="好的，我要办理",
                            at=NOON + dt.timedelta(hours=1))
        assert CampaignResponse.objects.get().campaign == made and not OptOut.objects.exists()


class TestLists:
    def test_do_not_contact_suppresses_marketing(self):
        customer = texted_customer()
        add_do_not_contact(f.user(Role.ADMINISTRATOR), customer=customer, reason="complained of harassment")
        marketing_sms(customer, campaign())
        assert Suppression.objects.get().reason == SuppressionReason.DO_NOT_CONTACT

    def test_the_holdout_is_a_reproducible_random_share(self):
        for _ in range(40):
            texted_customer(consent=False)
        admin = f.user(Role.ADMINISTRATOR)
        admin.user_permissions.add(Permission.objects.get(codename="add_holdoutmember"))
        admin = User.objects.get(pk=admin.pk)
        assert draw_holdout(admin, share=0.1, seed=3) == 4
        first = set(HoldoutMember.objects.values_list("customer_id", flat=True))
        draw_holdout(admin, share=0.1, seed=3)
        assert set(HoldoutMember.objects.values_list("customer_id", flat=True)) == first
        with pytest.raises(ValidationFailed):
            draw_holdout(admin, share=0.6, seed=3)
        with pytest.raises(PermissionDenied):
            draw_holdout(f.user(Role.ANALYST), share=0.1, seed=3)
