"""The contact policy, rule by rule (issue 4, "Contact policy"): each test changes one
fact about an otherwise contactable customer and checks the decision and its reason."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from telcrm.care.choices import Channel, Purpose, SuppressionReason
from telcrm.care.policy import (
    Action,
    ContactRequest,
    CustomerFacts,
    Decider,
    FrequencyCap,
    PolicyConfig,
    PriorContact,
    Window,
    decide,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI)
CONFIG = PolicyConfig()


def facts(**changes) -> CustomerFacts:  # type: ignore[no-untyped-def]
    base = CustomerFacts(
        time_zone="Asia/Shanghai", address="13800138000",
        consent={Channel.SMS: True, Channel.EMAIL: True, Channel.CALL: True, Channel.LETTER: True},
    )
    return dataclasses.replace(base, **changes)


def marketing(channel: str = Channel.SMS, at: dt.datetime = NOON, **fields) -> ContactRequest:  # type: ignore[no-untyped-def]
    return ContactRequest(purpose=Purpose.MARKETING, channel=channel, at=at, campaign_id=1, **fields)


def care(channel: str = Channel.SMS, at: dt.datetime = NOON, **fields) -> ContactRequest:  # type: ignore[no-untyped-def]
    return ContactRequest(purpose=Purpose.CARE, channel=channel, at=at, **fields)


def prior(n: int, *, channel: str = Channel.SMS, days_ago: float = 1, priority: int = 5, campaign_id: int = 2):
    return tuple(
        PriorContact(channel=channel, at=NOON - dt.timedelta(days=days_ago), campaign_id=campaign_id,
                     priority=priority)
        for _ in range(n)
    )


def reason(request: ContactRequest, customer: CustomerFacts, config: PolicyConfig = CONFIG, **kw):  # type: ignore[no-untyped-def]
    decision = decide(request, customer, config, **kw)
    return decision.reason if decision.action is Action.SUPPRESS else decision.action


class TestMarketingConsent:
    def test_a_consenting_customer_at_noon_is_contacted(self):
        assert decide(marketing(), facts(), CONFIG).allowed

    def test_no_consent_record_means_no_marketing(self):
        assert reason(marketing(), facts(consent={})) == SuppressionReason.NO_CONSENT

    def test_a_withdrawal_stops_marketing(self):
        assert reason(marketing(), facts(consent={Channel.SMS: False})) == SuppressionReason.NO_CONSENT

    def test_consent_is_per_channel(self):
        customer = facts(consent={Channel.EMAIL: True})
        assert reason(marketing(Channel.SMS), customer) == SuppressionReason.NO_CONSENT
        assert decide(marketing(Channel.EMAIL), customer, CONFIG).allowed

    def test_a_withdrawal_after_the_decision_stops_the_send(self):
        assert reason(marketing(), facts(consent={Channel.SMS: False}), at_send=True) == SuppressionReason.NO_CONSENT


class TestOptOutAndLists:
    def test_an_opt_out_stops_that_channel_only(self):
        customer = facts(opted_out=frozenset({Channel.SMS}))
        assert reason(marketing(Channel.SMS), customer) == SuppressionReason.OPTED_OUT
        assert decide(marketing(Channel.EMAIL), customer, CONFIG).allowed

    def test_an_opt_out_after_the_decision_stops_the_send(self):
        customer = facts(opted_out=frozenset({Channel.SMS}))
        assert reason(marketing(), customer, at_send=True) == SuppressionReason.OPTED_OUT

    def test_do_not_contact_stops_every_channel(self):
        for channel in Channel:
            assert reason(marketing(channel), facts(do_not_contact=True)) == SuppressionReason.DO_NOT_CONTACT

    def test_the_global_holdout_receives_no_marketing(self):
        assert reason(marketing(), facts(in_holdout=True)) == SuppressionReason.HOLDOUT

    def test_no_address_on_the_channel(self):
        assert reason(marketing(), facts(address="")) == SuppressionReason.NO_ADDRESS

    def test_the_first_applicable_reason_is_recorded(self):
        everything = facts(do_not_contact=True, in_holdout=True, consent={}, address="")
        assert reason(marketing(), everything) == SuppressionReason.DO_NOT_CONTACT
        assert reason(marketing(), dataclasses.replace(everything, do_not_contact=False)) == SuppressionReason.HOLDOUT


class TestQuietHours:
    @pytest.mark.parametrize(("hour", "minute"), [(8, 0), (12, 0), (20, 59)])
    def test_inside_the_window_goes(self, hour, minute):
        assert decide(marketing(at=NOON.replace(hour=hour, minute=minute)), facts(), CONFIG).allowed

    def test_at_nine_in_the_evening_it_waits_for_eight_next_morning(self):
        decision = decide(marketing(at=NOON.replace(hour=21)), facts(), CONFIG)
        assert decision.action is Action.DEFER and decision.reason == SuppressionReason.QUIET_HOURS
        assert decision.not_before == dt.datetime(2026, 12, 2, 8, 0, tzinfo=SHANGHAI)

    def test_before_eight_it_waits_for_eight_the_same_day(self):
        decision = decide(marketing(at=NOON.replace(hour=7, minute=59)), facts(), CONFIG)
        assert decision.not_before == dt.datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)

    def test_the_window_is_in_the_customers_time_zone(self):
        # 12:00 in Shanghai is 05:00 in Paris (winter): a customer there waits for 08:00 local.
        decision = decide(marketing(), facts(time_zone="Europe/Paris"), CONFIG)
        assert decision.action is Action.DEFER
        assert decision.not_before == dt.datetime(2026, 12, 1, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))

    def test_the_time_given_in_utc_is_judged_locally(self):
        late_utc = dt.datetime(2026, 12, 1, 13, 30, tzinfo=dt.UTC)  # 21:30 in Shanghai
        assert decide(marketing(at=late_utc), facts(), CONFIG).action is Action.DEFER

    def test_letters_are_not_held_to_the_window(self):
        assert decide(marketing(Channel.LETTER, at=NOON.replace(hour=23)), facts(), CONFIG).allowed

    def test_the_window_is_configurable(self):
        config = PolicyConfig(marketing_window=Window(dt.time(9), dt.time(18)))
        assert decide(marketing(at=NOON.replace(hour=18)), facts(), config).action is Action.DEFER
        assert decide(marketing(at=NOON.replace(hour=17)), facts(), config).allowed

    def test_the_window_is_checked_again_at_send(self):
        assert decide(marketing(at=NOON.replace(hour=22)), facts(), CONFIG, at_send=True).action is Action.DEFER

    def test_a_window_that_ends_before_it_starts_is_refused(self):
        with pytest.raises(ValueError, match="window"):
            Window(dt.time(21), dt.time(8))


class TestFrequencyCap:
    def test_below_the_cap_goes(self):
        assert decide(marketing(), facts(prior=prior(3)), CONFIG).allowed

    def test_at_the_cap_is_suppressed_across_campaigns(self):
        customer = facts(prior=prior(2, campaign_id=7) + prior(2, campaign_id=8))
        assert reason(marketing(), customer) == SuppressionReason.FREQUENCY_CAP

    def test_contacts_older_than_the_period_do_not_count(self):
        assert decide(marketing(), facts(prior=prior(4, days_ago=31)), CONFIG).allowed

    def test_the_cap_is_per_channel(self):
        assert decide(marketing(Channel.EMAIL), facts(prior=prior(4)), CONFIG).allowed

    def test_caps_are_configurable(self):
        config = PolicyConfig(caps={Channel.SMS: FrequencyCap(1, 7)})
        assert reason(marketing(), facts(prior=prior(1)), config) == SuppressionReason.FREQUENCY_CAP
        assert decide(marketing(), facts(prior=prior(1, days_ago=8)), config).allowed

    def test_the_cap_is_not_counted_again_at_send(self):
        assert decide(marketing(), facts(prior=prior(4)), CONFIG, at_send=True).allowed


class TestPriority:
    def test_a_higher_priority_campaign_this_week_has_the_customer(self):
        customer = facts(prior=prior(1, priority=1, channel=Channel.EMAIL))
        assert reason(marketing(priority=3), customer) == SuppressionReason.LOWER_PRIORITY

    def test_an_equal_or_lower_priority_campaign_does_not_block(self):
        assert decide(marketing(priority=3), facts(prior=prior(1, priority=3)), CONFIG).allowed
        assert decide(marketing(priority=3), facts(prior=prior(1, priority=9)), CONFIG).allowed

    def test_after_the_priority_period_others_may_contact_again(self):
        assert decide(marketing(priority=3), facts(prior=prior(1, priority=1, days_ago=8)), CONFIG).allowed

    def test_a_campaigns_own_earlier_steps_do_not_outrank_it(self):
        own = prior(1, priority=1, campaign_id=1)
        assert decide(marketing(priority=3), facts(prior=own), CONFIG).allowed


class TestCare:
    def test_care_needs_no_consent_and_ignores_opt_out_holdout_and_caps(self):
        customer = facts(consent={}, opted_out=frozenset(Channel), in_holdout=True, prior=prior(10),
                         do_not_contact=True)
        assert decide(care(), customer, CONFIG).allowed

    def test_care_at_night_goes_unless_a_care_window_is_set(self):
        night = NOON.replace(hour=23)
        assert decide(care(at=night), facts(), CONFIG).allowed
        config = PolicyConfig(care_window=Window(dt.time(7), dt.time(22)))
        assert decide(care(at=night), facts(), config).action is Action.DEFER

    def test_care_carrying_an_offer_is_suppressed(self):
        assert reason(care(has_offer=True), facts()) == SuppressionReason.CARE_CONTENT

    def test_care_needs_an_address(self):
        assert reason(care(), facts(address="")) == SuppressionReason.NO_ADDRESS


class TestInput:
    def test_a_naive_time_is_refused(self):
        with pytest.raises(ValueError, match="aware"):
            decide(marketing(at=dt.datetime(2026, 12, 1, 12)), facts(), CONFIG)

    def test_an_unknown_purpose_is_refused(self):
        request = ContactRequest(purpose="spam", channel=Channel.SMS, at=NOON)
        with pytest.raises(ValueError, match="purpose"):
            decide(request, facts(), CONFIG)


class TestDecider:
    def test_the_decider_agrees_with_decide_on_every_case(self):
        import itertools

        decider = Decider(CONFIG)
        cases = itertools.product(
            [{}, {Channel.SMS: True}, {Channel.SMS: False}], [frozenset(), frozenset({Channel.SMS})],
            [False, True], [False, True], ["", "13800138000"], [(), prior(4), prior(1, priority=1)],
            [NOON, NOON.replace(hour=22)], [Purpose.MARKETING, Purpose.CARE],
        )
        for consent, opted, dnc, holdout, address, earlier, at, purpose in cases:
            customer = facts(consent=consent, opted_out=opted, do_not_contact=dnc, in_holdout=holdout,
                             address=address, prior=earlier)
            request = ContactRequest(purpose=purpose, channel=Channel.SMS, at=at, campaign_id=1, priority=3)
            assert decider(request, customer) == decide(request, customer, CONFIG)
            assert decider(request, customer) == decide(request, customer, CONFIG)  # from its memory
