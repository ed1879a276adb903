"""The nightly results in a real browser, in Chinese: an account manager works a warning
from the inbox to "retained", the customer page shows the risk reasons, the administrator
raises a threshold and sees the new version, the manager's dashboard draws its charts."""

import datetime as dt

import pytest

from telcrm.churn.models import FollowUp, WarningStatus
from telcrm.core.roles import Role
from telcrm.customers.models import CustomerKind
from tests import factories as f
from tests import score_factories as s
from tests.e2e.conftest import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _warned_enterprise(manager):  # type: ignore[no-untyped-def]
    e = f.customer(kind=CustomerKind.ENTERPRISE, account_manager=manager, name="东方明珠科技")
    line = f.subscription(e)
    s.line_value(line, revenue="880", margin="500")
    s.line_risk(line, probability=0.71, expected_loss="624.80", warning_rules="spend_decline,competitor_shift",
                warning_details="spend 3m mean 42.10 vs previous 6m mean 88.00 (48%); "
                                "competitor call share 35% vs 12% (+23 points)",
                reasons=[{"feature": "competitor_share_change", "value": 0.23, "contribution": 1.1}])
    return e, s.warning(line, rules="spend_decline,competitor_shift", expected_loss="624.80", probability=0.71)


def test_account_manager_works_a_warning_to_retained(page, tmp_path):
    manager = sign_in(page, Role.ACCOUNT_MANAGER)
    _enterprise, warning = _warned_enterprise(manager)
    page.click(".topnav a[href='/churn/inbox/']")
    page.wait_for_selector("#inbox")
    assert page.locator("h1").inner_text() == "离网预警"
    row = page.locator(f"tr[data-warning='{warning.pk}']")
    assert "消费下降" in row.inner_text() and "通话转向竞争对手" in row.inner_text()
    assert warning.subscription.msisdn not in page.content()
    page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)
    row.locator("a.btn").click()
    page.wait_for_selector("#assign-form")
    page.select_option("#id_action", "visit")
    page.select_option("#id_assigned_to", str(manager.pk))
    page.fill("#id_due_on", (dt.date.today() + dt.timedelta(days=7)).isoformat())
    page.click("#assign-form button[type=submit]")
    page.wait_for_selector(".follow-up[data-outcome='pending']")
    assert page.locator("#warning-status").get_attribute("data-status") == WarningStatus.ASSIGNED
    page.select_option(".outcome-form select[name=outcome]", "retained")
    page.click(".outcome-form button[type=submit]")
    page.wait_for_selector(".follow-up[data-outcome='retained']")
    assert page.locator("#warning-status").get_attribute("data-status") == WarningStatus.DONE
    assert FollowUp.objects.get(warning=warning).outcome == "retained"
    page.screenshot(path=str(tmp_path / "warning.png"), full_page=True)
    page.goto(f"{page.base_url}/churn/inbox/stayed/?month=2025-12")
    assert page.locator("#retention-by-action tr[data-action='visit'] [data-rate]").inner_text() == "100%"


def test_the_customer_page_shows_the_risk_reasons(page, tmp_path):
    manager = sign_in(page, Role.ACCOUNT_MANAGER)
    e, _warning = _warned_enterprise(manager)
    s.enterprise_value(e, grade="2A", stars=4, revenue="60000")
    page.goto(f"{page.base_url}/customers/{e.customer_no}/")
    page.wait_for_selector("#risk-reasons")
    reasons = page.locator("#risk-reasons").inner_text()
    assert "消费下降" in reasons and "competitor call share 35% vs 12%" in reasons
    assert "竞争对手通话占比上升 = 0.23 (+1.10)" in reasons
    assert page.locator("#risk-probability").inner_text() == "71%"
    page.wait_for_selector("#stars")
    assert page.locator("#tier").inner_text() == "2A" and page.locator("#stars").inner_text() == "★★★★"
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('risk-chart'))")
    page.screenshot(path=str(tmp_path / "customer.png"), full_page=True)


def test_the_administrator_raises_a_threshold_and_sees_the_new_version(page):
    sign_in(page, Role.ADMINISTRATOR)
    page.click(".topnav a[href='/value/rules/']")
    page.click("section[data-kind='segments'] h2 a")
    assert page.locator("#active-version").inner_text() == "segments-1"
    page.fill("#id_vip_min_spend", "450")
    page.fill("#id_note", "提高VIP门槛")
    page.click("#rules-form button[type=submit]")
    page.wait_for_selector("tr[data-version='segments-2']")
    assert page.locator("#active-version").inner_text() == "segments-2"
    assert "提高VIP门槛" in page.locator("tr[data-version='segments-2']").inner_text()
    page.fill("#id_growth_percentile", "0.99")
    page.click("#rules-form button[type=submit]")
    error = page.locator("[data-field='growth_percentile'] .errorlist")
    assert "百分位须满足" in error.inner_text()
    sign_out(page)


def test_the_manager_dashboard_draws_its_charts(page, tmp_path):
    sign_in(page, Role.MANAGER)
    s.enterprise_value(f.customer(kind=CustomerKind.ENTERPRISE), grade="1A", stars=5, revenue="250000")
    line = f.subscription(f.customer())
    s.line_value(line)
    s.line_risk(line, probability=0.3)
    page.click(".topnav a[href='/dashboard/']")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('risk-hist-chart'))")
    assert page.locator("#pyramid tr[data-tier='1A'] [data-count]").inner_text() == "1"
    assert "等级金字塔" in page.locator("#pyramid h2").inner_text()
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
