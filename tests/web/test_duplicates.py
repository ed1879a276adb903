"""The duplicates panel and the merge action of the 360 page."""

import pytest

from telcrm.core.models import AuditAction, AuditEntry
from telcrm.core.roles import Role
from telcrm.customers.models import CustomerStatus
from tests import factories as f
from tests.web import builders as b

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins():
    first = b.rich_customer(name="张伟")
    second = f.customer(name="张伟", id_number=first.id_number, address=first.address)
    f.subscription(second, msisdn=b.phone())
    return first, second


class TestDuplicates:
    def test_panel_lists_the_duplicate_with_its_reason_and_no_raw_values(self, login, twins):
        first, second = twins
        client = login(Role.MANAGER)
        assert 'hx-get="/customers/' in client.get(f"/customers/{first.customer_no}/").content.decode()
        html = client.get(f"/customers/{first.customer_no}/duplicates/").content.decode()
        assert f'data-duplicate="{second.customer_no}"' in html
        assert "身份证号相同" in html
        assert 'action="/customers/' in html
        b.assert_no_raw_pii(html, first, second)

    def test_roles_without_merge_rights_see_no_merge_form(self, login, twins):
        first, _second = twins
        html = login(Role.ANALYST).get(f"/customers/{first.customer_no}/duplicates/").content.decode()
        assert "data-duplicate" in html and "customer-merge" not in html and "/merge/" not in html

    def test_merge_keeps_both_records_lines_and_is_audited(self, login, twins):
        first, second = twins
        client = login(Role.MANAGER)
        client.post(f"/customers/{first.customer_no}/merge/",
                    {"duplicate": second.customer_no, "reason": "同一身份证号，重复开户"})
        second.refresh_from_db()
        assert second.status == CustomerStatus.MERGED and second.merged_into == first
        assert first.subscriptions.count() == 3
        assert AuditEntry.objects.get(action=AuditAction.MERGE).detail["merged"] == second.customer_no
        assert client.get(f"/customers/{second.customer_no}/").status_code == 404

    def test_merge_needs_the_permission(self, login, twins):
        first, second = twins
        client = login(Role.SERVICE_AGENT, region_code="SH-XH")
        client.post(f"/customers/{first.customer_no}/merge/",
                    {"duplicate": second.customer_no, "reason": "同一身份证号，重复开户"})
        second.refresh_from_db()
        assert second.status == CustomerStatus.ACTIVE and not AuditEntry.objects.exists()
