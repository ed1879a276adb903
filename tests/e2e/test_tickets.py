"""A source complaint worked end to end in a real browser (issue 5, "Done when"): the agent
opens it from the customer's page, verifies it against the line's records and attaches
them, cancels the SP service the customer never knowingly ordered, asks for a refund above
its limit; the supervisor approves it from its board; the agent resolves the ticket; the
return visit is made from the callback queue and closes the ticket."""

import datetime as dt

import pytest
from django.utils import timezone

from telcrm.core.roles import Role
from telcrm.tickets.models import RefundRequest, ReturnVisit, Team, Ticket
from telcrm.tickets.source_cases import sp_charge_case
from tests import factories as f
from tests.e2e.conftest import sign_in, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _post_and_wait(page, button) -> None:  # type: ignore[no-untyped-def]
    with page.expect_navigation():
        button.click()


def test_sp_charge_complaint_from_opening_to_return_visit(page, tmp_path):
    customer = f.customer(region_code="SH-XH", name="林晓")
    line = f.subscription(customer)
    case = sp_charge_case(line, ordered_at=timezone.now() - dt.timedelta(days=95))

    supervisor = f.user(Role.SERVICE_AGENT, region_code="SH-XH", username="lead")
    agent = sign_in(page, Role.SERVICE_AGENT, region_code="SH-XH", username="li")
    team = Team.objects.create(code="xh", name="徐汇服务台", supervisor=supervisor)
    team.members.add(agent)

    # Opened from the customer's 360 page, on the line with the SP charge.
    page.goto(f"{page.base_url}/customers/{customer.customer_no}/")
    page.wait_for_selector("#tickets h2")
    _post_and_wait(page, page.locator("#tickets a[href*='/tickets/new/']"))
    page.select_option("#id_kind", "complaint")
    page.select_option("#id_category", label="vas_sp › 不知情定制")
    page.select_option("#id_subscription", str(line.pk))
    page.fill("#id_subject", "不认识的SP扣费")
    page.fill("#id_description", "客户称从未定制手机报，每月被扣10元")
    _post_and_wait(page, page.locator("#open-ticket button[type=submit]"))
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.ticket_no in page.locator("h1").inner_text()
    assert line.msisdn not in page.content(), "the line's number is masked in the workspace"

    # Verification: the SP service (ordered by an SMS reply) and the bills that charged it.
    _post_and_wait(page, page.locator("#status-actions button[data-to='inProgress']"))
    sp_row = page.locator(f"#evidence tr[data-source='sp_subscription:{case.record_id}']")
    assert "sms_reply" in sp_row.inner_text()
    _post_and_wait(page, sp_row.locator("form[action$='/evidence/'] button"))
    bill_row = page.locator(f"#evidence tr[data-source='bill:{case.bill_ids[0]}']")
    _post_and_wait(page, bill_row.locator("form[action$='/evidence/'] button"))
    assert page.locator("#attached li").count() == 2
    sp_row = page.locator(f"#evidence tr[data-source='sp_subscription:{case.record_id}']")
    _post_and_wait(page, sp_row.locator("button[data-fix='cancel_sp']"))

    # A refund of three months' charges: above the agent's limit of 50, so it waits.
    page.click("#refund-request summary")
    page.fill("#refund-request input[name=amount]", str(case.overcharge + 100))
    page.fill("#refund-request input[name=reason]", "退还不知情定制的SP费用及补偿")
    _post_and_wait(page, page.locator("#refund-request button[type=submit]"))
    refund = RefundRequest.objects.get(ticket=ticket)
    assert refund.status == "pending" and refund.needs_level == "supervisor"
    assert page.locator(f"#refunds tr[data-refund='{refund.pk}'][data-status='pending']").is_visible()
    sign_out(page)

    # The supervisor approves from its board.
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", "lead")
    page.fill("#id_password", "correct-horse-battery-9")
    _post_and_wait(page, page.locator("button[type=submit]"))
    page.goto(f"{page.base_url}/tickets/board/")
    _post_and_wait(page, page.locator(f"#refunds tr[data-refund='{refund.pk}'] a"))
    _post_and_wait(page, page.locator(f"#refunds tr[data-refund='{refund.pk}'] button[data-decide='yes']"))
    refund.refresh_from_db()
    assert (refund.status, refund.approver) == ("approved", supervisor)
    sign_out(page)

    # The agent resolves: SP service cancelled, charges refunded.
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", "li")
    page.fill("#id_password", "correct-horse-battery-9")
    _post_and_wait(page, page.locator("button[type=submit]"))
    page.goto(f"{page.base_url}/tickets/")
    _post_and_wait(page, page.locator(f"#queue a[href='/tickets/{ticket.ticket_no}/']"))
    page.click("#resolve summary")
    page.select_option("#resolve select[name=resolution]", "sp_cancelled")
    page.fill("#resolve textarea[name=note]", "已退订手机报并退还费用")
    _post_and_wait(page, page.locator("#resolve button[type=submit]"))
    assert page.locator("#ticket-status [data-status='resolved']").is_visible()
    visit = ReturnVisit.objects.get(ticket=ticket)

    # The return visit: reached, satisfied, solved; the ticket closes.
    page.goto(f"{page.base_url}/tickets/visits/")
    row = page.locator(f"#visits tr[data-visit='{visit.pk}']")
    row.locator("select[name=reached]").select_option("yes")
    row.locator("input[name=satisfaction]").fill("9")
    row.locator("select[name=solved]").select_option("yes")
    _post_and_wait(page, row.locator("button[type=submit]"))
    page.screenshot(path=str(tmp_path / "visits.png"), full_page=True)
    visit.refresh_from_db()
    ticket.refresh_from_db()
    assert (visit.satisfaction, visit.solved, ticket.status) == (9, True, "closed")
    assert line.sp_services.get().cancelled_at is not None  # still on record, cancelled
