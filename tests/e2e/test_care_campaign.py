"""A marketing campaign end to end in a real browser, in Chinese: the care team builds an
audience with its live count and a campaign with a control group, a manager approves and
starts it, the outbox worker sends it over SMPP to the local SMSC, receipts come back, a
customer replies 退订, and the campaign page and the customer page show what happened."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from telcrm.care import outbox
from telcrm.care.channels.smpp import SmppSender
from telcrm.care.channels.smsc import LocalSmsc
from telcrm.care.models import CampaignMember, Group, OptOut, OutboxMessage, OutboxStatus
from telcrm.care.worker import Worker
from telcrm.core.roles import Role
from tests import factories as f
from tests.care.screens import consent, nightly
from tests.e2e.conftest import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _operator():  # type: ignore[no-untyped-def]
    """Twelve customers with a line and SMS consent; eight are VIP in last night's results."""
    customers = [f.customer(name=f"测试客户{i:02d}") for i in range(12)]
    for c in customers:
        f.subscription(c)
        consent(c)
    nightly(customers, **{c.customer_no: {"segment": "vip"} for c in customers[:8]})
    return customers


def _worker(smsc: LocalSmsc) -> Worker:
    """The outbox worker at noon tomorrow, Shanghai time: inside the contact window,
    whenever the test runs (a start at night defers marketing to the morning)."""
    noon = dt.datetime.combine(dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=1), dt.time(12), SHANGHAI)
    sender = SmppSender(
        "127.0.0.1", smsc.port, "telcrm", "", "10086", timeout=5,
        on_receipt=lambda mid, state, when: outbox.record_receipt(channel="sms", provider_id=mid, state=state,
                                                                  at=when),
        on_reply=lambda msisdn, text, when: outbox.record_reply(msisdn=msisdn, text=text, at=when),
    )
    return Worker(senders={"sms": sender}, clock=lambda: noon)


def _settle(worker: Worker, done) -> None:  # type: ignore[no-untyped-def]
    for _ in range(50):
        if done():
            return
        worker.poll(0.2)
    raise AssertionError("the SMSC's receipts did not come")


def test_a_marketing_campaign_from_audience_to_measured_sends(page, tmp_path):
    customers = _operator()
    sign_in(page, Role.CARE_MARKETING)
    page.click(".topnav a[href='/care/']")
    page.click("#care-nav a[href='/care/audiences/']")
    page.click("#new-audience")
    page.check("input[name=segments][value=vip]")
    page.wait_for_selector("#audience-count[data-count='8']")
    page.fill("#id_name", "VIP 客户")
    page.click("#save-audience")
    page.wait_for_selector(".messages .success")

    page.goto(page.base_url + "/care/campaigns/new/")
    page.fill("#id_name", "VIP 流量包推广")
    page.select_option("#id_purpose", "marketing")
    page.select_option("#id_audience", label="VIP 客户")
    page.fill("#id_control_share", "0.25")
    page.fill("#id_cost_per_contact", "0.05")
    page.fill("#id_value_per_response", "30")
    page.select_option("#id_steps-0-channel", "sms")
    page.fill("#id_steps-0-body_zh", "尊敬的{{ name }}，您的{{ plan }}套餐本月可加购5G流量包，详询10086。")
    page.click("#save-campaign")
    page.wait_for_selector("#campaign-plan")
    assert page.locator("#campaign-actions [data-action='approve']").count() == 0
    assert page.locator("#campaign-actions [data-action='start']").count() == 0
    first = min(customers[:8], key=lambda c: c.pk)
    page.wait_for_selector("#preview-body")
    assert f"尊敬的{first.name}，您的全球通128套餐" in page.locator("#preview-body").inner_text()
    assert first.subscriptions.get().msisdn not in page.content()
    campaign_url = page.url
    page.screenshot(path=str(tmp_path / "draft.png"), full_page=True)
    sign_out(page)

    sign_in(page, Role.MANAGER)
    page.goto(campaign_url)
    page.click("#campaign-actions [data-action='approve']")
    page.wait_for_selector("#campaign-plan [data-status='approved'], .page-head [data-status='approved']")
    page.click("#campaign-actions [data-action='start']")
    page.wait_for_selector(".page-head [data-status='running']")
    control = int(page.locator("[data-figure='control']").inner_text())
    treatment = int(page.locator("[data-figure='treatment']").inner_text())
    assert (treatment, control) == (6, 2)
    assert CampaignMember.objects.filter(group=Group.CONTROL).count() == 2

    with LocalSmsc() as smsc:
        worker = _worker(smsc)
        assert worker.run_once().sent == 6
        _settle(worker, lambda: OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count() == 6)
        members = CampaignMember.objects.filter(group=Group.TREATMENT)
        treated = set(members.values_list("customer__subscriptions__msisdn", flat=True))
        assert {r.destination_addr[-11:] for r in smsc.received} == treated
        assert {r.data_coding for r in smsc.received} == {8}  # UCS2 for Chinese
        replier = next(c for c in customers[:8] if c.subscriptions.get().msisdn in treated)
        smsc.inject_mo(replier.subscriptions.get().msisdn, "退订")
        _settle(worker, lambda: OptOut.objects.filter(customer=replier, channel="sms").exists())
        worker.close()

    page.reload()
    assert page.locator("[data-figure='sent']").inner_text() == "6"
    assert page.locator("[data-figure='delivered']").inner_text() == "6"
    assert page.locator("[data-figure='control']").inner_text() == "2"
    assert page.locator("#effect-table [data-measure='response']").count() == 1
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('sends-chart'))")
    page.screenshot(path=str(tmp_path / "campaign.png"), full_page=True)

    page.goto(f"{page.base_url}/customers/{replier.customer_no}/")
    page.wait_for_selector("#preferences")
    assert page.locator("#preferences tr[data-channel='sms']").get_attribute("data-may-market") == "no"
    assert page.locator("#customer-messages [data-status='delivered']").count() == 1
