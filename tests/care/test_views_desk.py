"""Care at the desk: the agent's call work list (scope, outcome on the timeline, once
only, "do not call" opts out), care products with single-use codes (issued once per
customer, redeemed once, counted as the campaign's response), and the customer page's
campaigns card with consent recorded from it."""

from __future__ import annotations

import datetime as dt

import pytest

from telcrm.care.models import (
    CallStatus,
    CallTask,
    Campaign,
    CampaignMember,
    CampaignResponse,
    CareProduct,
    Consent,
    Group,
    OptOut,
    ProgrammeFeedback,
    VoucherCode,
)
from telcrm.core.roles import Role
from telcrm.customers.models import Interaction
from tests import factories as f
from tests.care.screens import client_for

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 12, 10, 10, 0, tzinfo=dt.UTC)


def _task(customer, **fields) -> CallTask:  # type: ignore[no-untyped-def]
    return CallTask.objects.create(customer=customer, script="您好，我是客户经理，致电了解您的使用情况。",
                                   due_at=NOW, **fields)


@pytest.fixture
def world():
    pd, xh = f.customer(region_code="SH-PD"), f.customer(region_code="SH-XH")
    for c in (pd, xh):
        f.subscription(c)
    return {"pd": pd, "xh": xh, "agent": f.user(Role.SERVICE_AGENT, region_code="SH-PD")}


class TestCallTasks:
    def test_the_work_list_holds_the_calls_of_the_agents_region_only(self, world):
        mine, other = _task(world["pd"]), _task(world["xh"])
        page = client_for(world["agent"]).get("/care/calls/").content.decode()
        assert f'data-task="{mine.pk}"' in page and f'data-task="{other.pk}"' not in page
        assert world["pd"].subscriptions.get().msisdn not in page
        assert client_for(world["agent"]).get(f"/care/calls/{other.pk}/").status_code == 404

    def test_an_outcome_lands_on_the_timeline_once(self, world):
        task = _task(world["pd"])
        client = client_for(world["agent"])
        response = client.post(f"/care/calls/{task.pk}/", {"outcome": "accepted", "note": "愿意升级套餐"})
        assert response.status_code == 302
        task.refresh_from_db()
        assert (task.status, task.outcome, task.assigned_to) == (CallStatus.DONE, "accepted", world["agent"])
        interaction = Interaction.objects.get(customer=world["pd"])
        assert task.interaction == interaction and interaction.agent == world["agent"]
        assert "愿意升级套餐" in interaction.note and interaction.direction == "out"
        again = client.post(f"/care/calls/{task.pk}/", {"outcome": "declined", "note": ""})
        assert again.status_code == 200 and "already completed" in again.content.decode()
        assert Interaction.objects.filter(customer=world["pd"]).count() == 1
        task.refresh_from_db()
        assert task.outcome == "accepted"

    def test_asked_not_to_be_called_opts_out_of_calls(self, world):
        task = _task(world["pd"])
        client_for(world["agent"]).post(f"/care/calls/{task.pk}/", {"outcome": "do_not_call", "note": ""})
        assert list(OptOut.objects.filter(customer=world["pd"]).values_list("channel", flat=True)) == ["call"]

    def test_an_unknown_outcome_records_nothing(self, world):
        task = _task(world["pd"])
        response = client_for(world["agent"]).post(f"/care/calls/{task.pk}/", {"outcome": "maybe"})
        assert response.status_code == 200
        assert not Interaction.objects.exists()
        task.refresh_from_db()
        assert task.status == CallStatus.OPEN

    def test_an_analyst_has_no_work_list(self, world):
        assert client_for(f.user(Role.ANALYST)).get("/care/calls/").status_code == 403


@pytest.fixture
def voucher_world(world):
    care = f.user(Role.CARE_MARKETING)
    product = CareProduct.objects.create(code="data5g", name="5G 流量券", kind="e_coupon", face_value="20",
                                         unit_cost="2", valid_days=30)
    campaign = Campaign.objects.create(name="流量券关怀", purpose="care", owner=care)
    return {**world, "care": care, "product": product, "campaign": campaign}


class TestVouchers:
    def test_codes_are_issued_once_per_customer(self, voucher_world):
        w = voucher_world
        url = f"/care/products/{w['product'].pk}/"
        numbers = f"{w['pd'].customer_no}\n{w['xh'].customer_no}\n{w['pd'].customer_no}"
        client = client_for(w["care"])
        assert client.post(url, {"customers": numbers, "campaign": w["campaign"].pk}).status_code == 302
        first = dict(VoucherCode.objects.values_list("issued_to_id", "code"))
        client.post(url, {"customers": numbers, "campaign": w["campaign"].pk})
        assert dict(VoucherCode.objects.values_list("issued_to_id", "code")) == first
        assert len(first) == 2 and all(code.startswith("DATA5G-") for code in first.values())

    def test_an_unknown_customer_number_issues_nothing(self, voucher_world):
        w = voucher_world
        response = client_for(w["care"]).post(f"/care/products/{w['product'].pk}/",
                                               {"customers": f"{w['pd'].customer_no}\nC999999999"})
        assert response.status_code == 200 and "C999999999" in response.content.decode()
        assert not VoucherCode.objects.exists()

    def test_a_code_is_redeemed_once_and_counts_as_the_campaigns_response(self, voucher_world):
        w = voucher_world
        client_for(w["care"]).post(f"/care/products/{w['product'].pk}/",
                                   {"customers": w["pd"].customer_no, "campaign": w["campaign"].pk})
        code = VoucherCode.objects.get().code
        agent = client_for(w["agent"])
        agent.post("/care/vouchers/redeem/", {"code": code.lower()})
        voucher = VoucherCode.objects.get()
        assert voucher.redeemed_at is not None and voucher.redeemed_by == w["agent"]
        page = agent.post("/care/vouchers/redeem/", {"code": code}, follow=True).content.decode()
        assert "already redeemed" in page or "was redeemed" in page
        response = CampaignResponse.objects.get()
        assert (response.campaign, response.customer, response.kind) == (w["campaign"], w["pd"], "redemption")

    def test_an_agent_cannot_redeem_a_code_of_another_region(self, voucher_world):
        w = voucher_world
        client_for(w["care"]).post(f"/care/products/{w['product'].pk}/", {"customers": w["xh"].customer_no})
        client_for(w["agent"]).post("/care/vouchers/redeem/", {"code": VoucherCode.objects.get().code})
        assert VoucherCode.objects.get().redeemed_at is None

    def test_the_product_list_tracks_issued_and_redeemed(self, voucher_world):
        w = voucher_world
        client_for(w["care"]).post(f"/care/products/{w['product'].pk}/",
                                   {"customers": f"{w['pd'].customer_no}\n{w['xh'].customer_no}"})
        client_for(w["care"]).post("/care/vouchers/redeem/", {"code": VoucherCode.objects.first().code})
        page = client_for(w["care"]).get("/care/products/").content.decode()
        row = page[page.index('data-product="data5g"'):]
        assert '<td class="num" data-figure="issued">2</td>' in row[:600]
        assert '<td class="num" data-figure="redeemed">1</td>' in row[:600]


class TestCustomerCard:
    def test_the_card_shows_the_group_and_the_preferences(self, world):
        care = f.user(Role.CARE_MARKETING)
        campaign = Campaign.objects.create(name="春节关怀", purpose="care", owner=care)
        CampaignMember.objects.create(campaign=campaign, customer=world["pd"], group=Group.CONTROL, drawn_at=NOW)
        Consent.objects.create(customer=world["pd"], channel="sms", granted=True, source="contract", at=NOW)
        OptOut.objects.create(customer=world["pd"], channel="email", source="email", at=NOW)
        page = client_for(care).get(f"/care/customers/{world['pd'].customer_no}/").content.decode()
        assert f'data-campaign="{campaign.pk}" data-group="control"' in page
        assert 'data-channel="sms" data-may-market="yes"' in page
        assert 'data-channel="email" data-may-market="no"' in page

    def test_consent_recorded_from_the_card_is_in_force(self, world):
        agent = world["agent"]
        url = f"/care/customers/{world['pd'].customer_no}/consent/"
        response = client_for(agent).post(url, {"channel": "sms", "granted": "yes", "source": "business_hall"})
        assert 'data-channel="sms" data-may-market="yes"' in response.content.decode()
        client_for(agent).post(url, {"channel": "sms", "granted": "no", "source": "call_centre"})
        newest = Consent.objects.filter(customer=world["pd"]).order_by("-at", "-id").first()
        assert (newest.granted, newest.source, newest.recorded_by) == (False, "call_centre", agent)

    def test_a_customer_outside_the_scope_is_not_found(self, world):
        assert client_for(world["agent"]).get(f"/care/customers/{world['xh'].customer_no}/").status_code == 404
        client_for(world["agent"]).post(f"/care/customers/{world['xh'].customer_no}/consent/",
                                        {"channel": "sms", "granted": "yes", "source": "web"})
        assert not Consent.objects.exists()

    def test_the_360_page_loads_the_card_for_those_who_may_see_it(self, world):
        page = client_for(world["agent"]).get(f"/customers/{world['pd'].customer_no}/").content.decode()
        assert f"/care/customers/{world['pd'].customer_no}/" in page
        analyst_page = client_for(f.user(Role.ANALYST)).get(f"/customers/{world['pd'].customer_no}/")
        assert f"/care/customers/{world['pd'].customer_no}/" not in analyst_page.content.decode()


class TestCallFeedback:
    def test_what_the_customer_said_counts_in_the_programme_measures(self, world):
        care = f.user(Role.CARE_MARKETING)
        campaign = Campaign.objects.create(name="外呼回访", purpose="care", owner=care)
        CampaignMember.objects.create(campaign=campaign, customer=world["pd"], group=Group.TREATMENT, drawn_at=NOW)
        task = _task(world["pd"], campaign=campaign)
        client_for(world["agent"]).post(f"/care/calls/{task.pk}/", {"outcome": "informed", "note": "",
                                                                    "aware": "yes", "satisfaction": "4"})
        feedback = ProgrammeFeedback.objects.get()
        assert (feedback.campaign, feedback.customer, feedback.aware, feedback.satisfaction) == (
            campaign, world["pd"], True, 4)

    def test_a_refused_feedback_leaves_the_call_open(self, world):
        care = f.user(Role.CARE_MARKETING)
        campaign = Campaign.objects.create(name="外呼回访", purpose="care", owner=care)
        task = _task(world["pd"], campaign=campaign)  # the customer is not a member of the campaign
        response = client_for(world["agent"]).post(f"/care/calls/{task.pk}/", {
            "outcome": "informed", "note": "", "aware": "no", "satisfaction": ""})
        assert response.status_code == 200 and "target group" in response.content.decode()
        task.refresh_from_db()
        assert task.status == CallStatus.OPEN
        assert not Interaction.objects.exists() and not ProgrammeFeedback.objects.exists()


class TestNavigation:
    @pytest.mark.parametrize(("role", "link"), [
        (Role.CARE_MARKETING, "/care/"), (Role.MANAGER, "/care/"), (Role.ANALYST, "/care/"),
        (Role.SERVICE_AGENT, "/care/calls/"), (Role.ACCOUNT_MANAGER, "/care/calls/"), (Role.AUDITOR, None),
    ])
    def test_each_role_gets_the_one_care_link_its_work_needs(self, role, link):
        page = client_for(f.user(role, region_code="SH-PD")).get("/").content.decode()
        nav = page[page.index('<nav>'):page.index('</nav>')]
        care_links = [href for href in ("/care/", "/care/calls/") if f'href="{href}"' in nav]
        assert care_links == ([link] if link else [])
