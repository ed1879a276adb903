"""The customer 360 page and search: scope, masking, reveal with audit, edits, charts."""

import json

import pytest
from django.test import Client

from telcrm.core.models import AuditAction, AuditEntry, FieldChange
from telcrm.core.roles import Role
from tests import factories as f
from tests.web import builders as b

pytestmark = pytest.mark.django_db

ALL_ROLES_WITH_CUSTOMERS = [Role.ADMINISTRATOR, Role.MANAGER, Role.SERVICE_AGENT, Role.CARE_MARKETING,
                            Role.ANALYST]


def chart(html: str, element_id: str) -> dict:
    start = html.index(f'<script id="{element_id}" type="application/json">') + len(element_id) + 38
    return json.loads(html[start:html.index("</script>", start)])


class TestSearch:
    @pytest.fixture
    def agent(self, login):
        return login(Role.SERVICE_AGENT, region_code="SH-XH")

    def test_finds_by_phone_number_with_everything_masked(self, agent):
        c = b.rich_customer()
        msisdn = c.subscriptions.first().msisdn
        html = agent.get("/customers/", {"q": msisdn}).content.decode()
        assert f'href="/customers/{c.customer_no}/"' in html
        assert f"{msisdn[:3]}****{msisdn[-4:]}" in html
        b.assert_no_raw_pii(html, c)

    def test_the_search_box_posts_so_the_number_never_enters_a_url(self, agent):
        c = b.rich_customer()
        msisdn = c.subscriptions.first().msisdn
        response = agent.post("/customers/", {"q": msisdn})
        assert response.status_code == 302 and msisdn not in response["Location"]
        assert response["Location"].startswith("/customers/?s=")
        html = agent.get(response["Location"]).content.decode()
        assert f'href="/customers/{c.customer_no}/"' in html
        b.assert_no_raw_pii(html, c)

    def test_finds_by_id_number_name_and_customer_number(self, agent):
        c = b.rich_customer(name="欧阳娜娜")
        other = b.rich_customer(name="李雷")
        for q in (c.id_number, c.id_number.lower(), "欧阳", c.customer_no):
            html = agent.get("/customers/", {"q": q}).content.decode()
            assert c.customer_no in html and other.customer_no not in html, q
            b.assert_no_raw_pii(html, c, other)

    def test_results_are_scoped_to_the_agents_region(self, agent):
        elsewhere = b.rich_customer(region_code="SH-PD", name="王五")
        html = agent.get("/customers/", {"q": "王五"}).content.decode()
        assert elsewhere.customer_no not in html

    def test_paging_carries_a_token_not_the_query(self, agent):
        for _ in range(27):
            f.customer(name="张三")
        html = agent.get("/customers/", {"q": "张三"}).content.decode()
        token = html.split('data-search-token="')[1].split('"')[0]
        assert f'href="?s={token}&page=2"' in html
        page2 = agent.get("/customers/", {"s": token, "page": 2}).content.decode()
        assert page2.count('href="/customers/C') == 2 * 2  # two customers, two links each

    def test_the_list_without_a_query_shows_the_scope(self, agent):
        mine, theirs = f.customer(), f.customer(region_code="SH-PD")
        html = agent.get("/customers/").content.decode()
        assert mine.customer_no in html and theirs.customer_no not in html


class TestScope:
    def test_agent_cannot_open_a_customer_of_another_region(self, login):
        c = b.rich_customer(region_code="SH-PD")
        client = login(Role.SERVICE_AGENT, region_code="SH-XH")
        assert client.get(f"/customers/{c.customer_no}/").status_code == 404
        assert client.get(f"/customers/{c.customer_no}/timeline/").status_code == 404
        assert client.get(f"/customers/{c.customer_no}/lines/").status_code == 404
        assert client.post(f"/customers/{c.customer_no}/reveal/",
                           {"field": "address", "reason": "核实地址信息"}).status_code == 404
        assert not AuditEntry.objects.exists()

    def test_account_manager_opens_only_its_own_enterprises(self, login):
        client = login(Role.ACCOUNT_MANAGER)
        mine, other = b.enterprise(account_manager=client.user), b.enterprise()
        assert client.get(f"/customers/{mine.customer_no}/").status_code == 200
        assert client.get(f"/customers/{other.customer_no}/").status_code == 404

    def test_auditor_sees_no_customer(self, login):
        c = b.rich_customer()
        assert login(Role.AUDITOR).get(f"/customers/{c.customer_no}/").status_code == 403


class TestMasking:
    @pytest.mark.parametrize("role", ALL_ROLES_WITH_CUSTOMERS)
    def test_no_raw_personal_data_in_any_page_for_any_role(self, login, role):
        c = b.rich_customer(region_code="SH-XH")
        e = b.enterprise()
        client = login(role, region_code="SH-XH")
        pages = [f"/customers/{c.customer_no}/", "/customers/", f"/customers/?q={c.customer_no}", "/"]
        if role != Role.SERVICE_AGENT:
            pages.append(f"/customers/{e.customer_no}/")
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            b.assert_no_raw_pii(response.content.decode(), c, e)

    def test_searching_a_full_number_never_echoes_it(self, login):
        client = login(Role.MANAGER)
        html = client.get("/customers/", {"q": "13912345678"}).content.decode()
        assert "13912345678" not in html and "139****5678" in html
        html = client.get("/customers/", {"q": "310104199003071234"}).content.decode()
        assert "310104199003071234" not in html

    def test_reveal_buttons_only_for_roles_that_may_reveal(self, login):
        c = b.rich_customer()
        assert 'class="reveal-form"' in login(Role.MANAGER).get(f"/customers/{c.customer_no}/").content.decode()
        analyst = Client()
        analyst.force_login(f.user(Role.ANALYST))
        assert 'class="reveal-form"' not in analyst.get(f"/customers/{c.customer_no}/").content.decode()


class TestReveal:
    def test_reveal_with_a_reason_shows_the_value_and_audits_it(self, login):
        c = b.rich_customer()
        client = login(Role.SERVICE_AGENT, region_code="SH-XH")
        response = client.post(f"/customers/{c.customer_no}/reveal/",
                               {"field": "id_number", "reason": "客户来电核实身份"})
        assert c.id_number in response.content.decode()
        entry = AuditEntry.objects.get()
        assert (entry.actor, entry.action, entry.subject_id, entry.field, entry.reason) == (
            client.user, AuditAction.REVEAL, c.customer_no, "id_number", "客户来电核实身份")

    def test_reveal_of_a_line_is_by_line_id(self, login):
        c = b.rich_customer(lines=2)
        line = c.subscriptions.order_by("id").last()
        client = login(Role.MANAGER)
        html = client.post(f"/customers/{c.customer_no}/reveal/",
                           {"field": "phone", "line": line.pk, "reason": "回访确认号码"}).content.decode()
        assert line.msisdn in html
        assert AuditEntry.objects.get().detail == {"msisdn_masked": f"{line.msisdn[:3]}****{line.msisdn[-4:]}"}

    def test_a_line_of_another_customer_cannot_be_revealed(self, login):
        c, other = b.rich_customer(), b.rich_customer()
        client = login(Role.MANAGER)
        response = client.post(f"/customers/{c.customer_no}/reveal/",
                               {"field": "phone", "line": other.subscriptions.first().pk, "reason": "回访确认号码"})
        assert response.status_code == 404 and not AuditEntry.objects.exists()

    @pytest.mark.parametrize("reason", ["", "  ", "看"])
    def test_no_reason_no_value_and_no_audit(self, login, reason):
        c = b.rich_customer()
        html = login(Role.MANAGER).post(f"/customers/{c.customer_no}/reveal/",
                                        {"field": "address", "reason": reason}).content.decode()
        assert 'role="alert"' in html and c.address not in html
        assert not AuditEntry.objects.exists()

    def test_a_role_without_the_permission_gets_nothing(self, login):
        c = b.rich_customer()
        html = login(Role.ANALYST).post(f"/customers/{c.customer_no}/reveal/",
                                        {"field": "address", "reason": "我想看看地址"}).content.decode()
        assert c.address not in html and not AuditEntry.objects.exists()


class TestCustomerPage:
    def test_sections_subscriptions_accounts_and_timeline(self, login):
        c = b.rich_customer(lines=2, interactions=20)
        html = login(Role.MANAGER).get(f"/customers/{c.customer_no}/").content.decode()
        sections = ("profile", "tier-value", "churn-risk", "accounts", "subscriptions", "spend", "usage", "timeline",
                    "tickets", "campaigns", "history", "edit")
        for section in sections:
            assert f'id="{section}"' in html, section
        assert 'id="arrears-total">¥88.50<' in html
        assert html.count("账单查询") == 15  # first page of the timeline
        assert "账务" in html and "已解决" in html  # topic and outcome labels in Chinese
        more = login(Role.MANAGER).get(f"/customers/{c.customer_no}/timeline/?page=2").content.decode()
        assert more.count("账单查询") == 5 and "Older" not in more and "更早" not in more

    def test_a_customer_with_many_lines_shows_them_a_page_at_a_time(self, login):
        c = f.customer(kind="enterprise")
        lines = [f.subscription(c, msisdn=b.phone()) for _ in range(23)]
        client = login(Role.MANAGER)
        html = client.get(f"/customers/{c.customer_no}/").content.decode()
        assert html.count('data-pii="phone"') == 20 and "(23)" in html
        assert f'hx-get="/customers/{c.customer_no}/lines/?page=2"' in html
        more = client.get(f"/customers/{c.customer_no}/lines/?page=2").content.decode()
        assert more.count('data-pii="phone"') == 3 and "page=3" not in more
        b.assert_no_raw_pii(html + more, c)
        for line in lines:
            assert f"{line.msisdn[:3]}****{line.msisdn[-4:]}" in html + more

    def test_spend_chart_sums_all_lines_by_month_and_category(self, login):
        c = b.rich_customer(lines=2)
        html = login(Role.MANAGER).get(f"/customers/{c.customer_no}/").content.decode()
        spend = chart(html, "spend-data")
        assert spend["labels"][0] == "2024-01" and spend["labels"][-1] == "2025-12" and len(spend["labels"]) == 24
        plan, voice, discount = spend["series"][0], spend["series"][1], spend["series"][-1]
        assert plan["data"] == [256.0] * 24
        assert voice["data"][0] == 20.0 and voice["data"][-1] == 66.0
        assert discount["data"] == [-20.0] * 24
        usage = chart(html, "usage-data")
        assert usage["series"][3]["data"][0] == 10.0  # 60 of 600 minutes to competitors

    def test_enterprise_page_shows_contacts_circuits_and_group(self, login):
        e = b.enterprise()
        html = login(Role.MANAGER).get(f"/customers/{e.customer_no}/").content.decode()
        assert "赵总" in html and "续约谈判中" in html and "联通专线" in html
        assert "集团总部" in html and "分公司一" in html and ">2048<" in html

    def test_query_count_does_not_grow_with_lines_or_interactions(self, login, django_assert_max_num_queries):
        client = login(Role.MANAGER)
        small, big = b.rich_customer(lines=1, interactions=1), b.rich_customer(lines=6, interactions=30)
        client.get(f"/customers/{small.customer_no}/")
        with django_assert_max_num_queries(14):
            assert client.get(f"/customers/{big.customer_no}/").status_code == 200


class TestEdit:
    def test_the_form_loads_on_demand_with_the_version_and_no_personal_data(self, login):
        c = b.rich_customer()
        client = login(Role.MANAGER)
        page = client.get(f"/customers/{c.customer_no}/").content.decode()
        assert f'hx-get="/customers/{c.customer_no}/edit/"' in page
        html = client.get(f"/customers/{c.customer_no}/edit/").content.decode()
        assert 'name="version" value="1"' in html and 'name="name"' in html
        assert 'name="address"' not in html and 'name="id_number"' not in html
        b.assert_no_raw_pii(html, c)

    def test_edit_saves_and_records_history(self, login):
        c = b.rich_customer(segment="mass")
        client = login(Role.MANAGER)
        client.post(f"/customers/{c.customer_no}/edit/", {"name": "张三丰", "segment": "youth", "email": "",
                                                           "gender": "M", "birth_date": "1990-03-07", "version": 1})
        c.refresh_from_db()
        assert (c.name, c.segment, c.version) == ("张三丰", "youth", 2)
        assert set(FieldChange.objects.values_list("field", flat=True)) == {"name", "segment"}
        assert "张三丰" in client.get(f"/customers/{c.customer_no}/").content.decode()

    def test_a_stale_version_is_a_conflict_not_an_overwrite(self, login):
        c = b.rich_customer()
        client = login(Role.MANAGER)
        data = {"name": "甲", "segment": "", "email": "", "gender": "M", "birth_date": "1990-03-07", "version": 1}
        client.post(f"/customers/{c.customer_no}/edit/", data)
        response = client.post(f"/customers/{c.customer_no}/edit/", {**data, "name": "乙"}, follow=True)
        c.refresh_from_db()
        assert c.name == "甲"
        assert 'class="error"' in response.content.decode()

    def test_roles_without_edit_rights_get_no_form_and_cannot_post(self, login):
        c = b.rich_customer()
        client = login(Role.ANALYST)
        assert 'id="edit"' not in client.get(f"/customers/{c.customer_no}/").content.decode()
        assert client.get(f"/customers/{c.customer_no}/edit/").status_code == 404
        client.post(f"/customers/{c.customer_no}/edit/", {"name": "x", "version": 1})
        c.refresh_from_db()
        assert c.name != "x"


class TestCsrf:
    def test_reveal_without_csrf_token_is_refused(self):
        c = b.rich_customer()
        client = Client(enforce_csrf_checks=True)
        client.force_login(f.user(Role.MANAGER))
        response = client.post(f"/customers/{c.customer_no}/reveal/", {"field": "address", "reason": "核实地址信息"})
        assert response.status_code == 403 and not AuditEntry.objects.exists()

    def test_every_form_on_the_page_carries_a_token(self, login):
        c = b.rich_customer()
        html = login(Role.MANAGER).get(f"/customers/{c.customer_no}/").content.decode()
        forms = html.count('method="post"')
        assert forms >= 4 and html.count('name="csrfmiddlewaretoken"') == forms
