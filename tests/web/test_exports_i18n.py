"""Exports need the permission, stream masked rows and are audited; the UI speaks Chinese
by default and English after switching."""

import csv
import io

import pytest
from openpyxl import load_workbook

from telcrm.core.models import AuditAction, AuditEntry
from telcrm.core.roles import Role
from tests import factories as f
from tests.web import builders as b

pytestmark = pytest.mark.django_db


def body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content)


class TestExports:
    @pytest.mark.parametrize("role", [Role.SERVICE_AGENT, Role.AUDITOR])
    def test_roles_without_the_permission_are_refused_and_see_no_button(self, login, role):
        b.rich_customer()
        client = login(role, region_code="SH-XH")
        assert client.get("/customers/export/?format=csv").status_code == 403
        assert 'id="exports"' not in client.get("/customers/").content.decode()
        assert not AuditEntry.objects.exists()

    def test_csv_of_a_search_holds_only_the_hits_masked_and_is_audited(self, login):
        c, other = b.rich_customer(name="欧阳娜娜"), b.rich_customer(name="李雷")
        client = login(Role.ANALYST)
        html = client.get("/customers/", {"q": c.subscriptions.first().msisdn}).content.decode()
        assert 'id="exports"' in html
        token = html.split('data-search-token="')[1].split('"')[0]
        response = client.get("/customers/export/", {"format": "csv", "s": token})
        assert response["Content-Disposition"].startswith('attachment; filename="customers-')
        text = body(response).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert [r[0] for r in rows[1:]] == [c.customer_no]
        b.assert_no_raw_pii(text, c, other)
        entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
        assert entry.actor == client.user and entry.detail["rows"] == 1
        assert c.subscriptions.first().msisdn not in str(entry.detail)

    def test_excel_of_the_whole_list(self, login):
        customers = [b.rich_customer() for _ in range(3)]
        client = login(Role.MANAGER)
        response = client.get("/customers/export/", {"format": "xlsx"})
        sheet = load_workbook(io.BytesIO(body(response))).active
        numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert numbers == sorted(c.customer_no for c in customers)
        assert AuditEntry.objects.get(action=AuditAction.EXPORT).detail["rows"] == 3

    def test_an_expired_search_exports_nothing_rather_than_everything(self, login):
        b.rich_customer()
        response = login(Role.MANAGER).get("/customers/export/", {"format": "csv", "s": "gone"})
        assert response.status_code == 410 and not AuditEntry.objects.exists()

    def test_unknown_format_is_a_clear_error(self, login):
        assert login(Role.MANAGER).get("/customers/export/?format=pdf").status_code == 422


class TestLanguage:
    def test_chinese_by_default(self, login):
        html = login(Role.SERVICE_AGENT, region_code="SH-PD").get("/").content.decode()
        assert '<html lang="zh-hans">' in html
        assert "退出" in html and "我的待办" in html

    def test_login_page_is_chinese_before_signing_in(self, client):
        assert "登录" in client.get("/accounts/login/").content.decode()

    def test_english_after_switching(self, login):
        client = login(Role.SERVICE_AGENT, region_code="SH-PD")
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        assert response.status_code == 302
        html = client.get("/").content.decode()
        assert '<html lang="en">' in html and "Log out" in html and "My queue" in html

    def test_model_labels_are_translated(self, login):
        c = b.rich_customer()
        html = login(Role.MANAGER).get(f"/customers/{c.customer_no}/").content.decode()
        assert "后付费" in html and "呼叫中心" in html and "账户与欠费" in html


def test_customer_urls_use_the_customer_number(login):
    c = f.customer()
    html = login(Role.MANAGER).get("/customers/").content.decode()
    assert f'href="/customers/{c.customer_no}/"' in html and f"/customers/{c.pk}/" not in html
