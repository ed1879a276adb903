"""The flows staff go through, in a real browser: sign in per role, search, open a customer,
reveal a value with a reason and find it in the audit log, masked pages, charts."""

import pytest

from telcrm.core.roles import Role
from tests.e2e.conftest import sign_in, sign_out
from tests.web import builders as b

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("role", list(Role))
def test_sign_in_lands_on_the_role_home_page(page, role):
    sign_in(page, role, region_code="SH-XH")
    assert page.locator(f".role[data-role='{role.value}']").is_visible()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    sign_out(page)
    assert page.locator("#id_username").is_visible()


def test_search_by_phone_then_open_the_customer_with_charts(page, tmp_path):
    c = b.rich_customer(region_code="SH-XH", name="欧阳娜娜")
    msisdn = c.subscriptions.order_by("id").first().msisdn
    sign_in(page, Role.SERVICE_AGENT, region_code="SH-XH")
    page.fill("input[name=q]", msisdn)
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#results")
    assert msisdn not in page.url, "the raw number stays out of the address bar"
    assert f"{msisdn[:3]}****{msisdn[-4:]}" in page.locator("#results").inner_text()
    page.click(f"#results a[href='/customers/{c.customer_no}/']")
    page.wait_for_selector("#spend-chart")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('usage-chart'))")
    bars = page.evaluate("() => Chart.getChart(document.getElementById('spend-chart')).data.datasets.length")
    assert bars == 7
    page.wait_for_selector("#duplicates h2")
    page.screenshot(path=str(tmp_path / "customer.png"), full_page=True)


def test_reveal_with_a_reason_and_the_auditor_sees_it(page):
    c = b.rich_customer(region_code="SH-XH")
    sign_in(page, Role.SERVICE_AGENT, region_code="SH-XH")
    page.goto(f"{page.base_url}/customers/{c.customer_no}/")
    field = page.locator(".pii[data-pii='address']")
    assert c.address not in page.content()
    field.locator("input[name=reason]").fill("客户来电要求核对账单寄送地址")
    field.locator("button").click()
    page.wait_for_selector("[data-revealed='address']")
    assert page.locator("[data-revealed='address']").inner_text() == c.address
    sign_out(page)
    sign_in(page, Role.AUDITOR)
    page.goto(f"{page.base_url}/audit/?subject={c.customer_no}")
    row = page.locator("tr[data-action='reveal']")
    assert row.count() == 1
    assert "客户来电要求核对账单寄送地址" in row.inner_text() and "address" in row.inner_text()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.CARE_MARKETING])
def test_a_masked_role_never_sees_a_full_number(page, role):
    c = b.rich_customer(region_code="SH-XH")
    e = b.enterprise()
    sign_in(page, role)
    for url in (f"/customers/{c.customer_no}/", f"/customers/{e.customer_no}/", "/customers/", "/"):
        page.goto(page.base_url + url)
        page.wait_for_load_state("networkidle")
        b.assert_no_raw_pii(page.content(), c, e)
    page.goto(f"{page.base_url}/customers/{c.customer_no}/")
    assert page.locator("form.reveal-form").count() == 0


def test_switching_to_english(page):
    sign_in(page, Role.MANAGER)
    assert "退出" in page.locator(".topnav").inner_text()
    page.select_option("select[name=language]", "en")
    page.wait_for_selector("html[lang='en']")
    assert "Log out" in page.locator(".topnav").inner_text()
