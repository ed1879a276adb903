"""Each page renders for the roles that use it, and only for them."""

import pytest

from telcrm.core.models import AuditAction, AuditEntry
from telcrm.core.roles import Role
from tests import factories as f
from tests.web import builders as b

pytestmark = pytest.mark.django_db


class TestLogin:
    def test_anonymous_user_is_sent_to_the_login_page(self, client):
        response = client.get("/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_login_page_renders_a_form_with_csrf_token(self, client):
        html = client.get("/accounts/login/").content.decode()
        assert 'name="csrfmiddlewaretoken"' in html and 'name="password"' in html

    def test_wrong_password_shows_an_error_and_no_session(self, client):
        u = f.user(Role.MANAGER)
        response = client.post("/accounts/login/", {"username": u.username, "password": "nope"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session

    def test_five_failures_lock_the_user_name_out(self, client):
        u = f.user(Role.MANAGER)
        for _ in range(5):
            client.post("/accounts/login/", {"username": u.username, "password": "wrong"})
        response = client.post("/accounts/login/", {"username": u.username, "password": "correct-horse-battery-9"})
        assert response.status_code == 429
        assert 'id="locked-out"' in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_logout_needs_post(self, login):
        client = login(Role.SERVICE_AGENT, region_code="SH-PD")
        assert client.get("/accounts/logout/").status_code == 405
        assert client.post("/accounts/logout/").status_code == 302
        assert client.get("/").status_code == 302


class TestHomePerRole:
    def test_manager_sees_headline_figures_computed_from_the_data(self, login):
        b.rich_customer(lines=2)
        b.rich_customer(lines=1)
        html = login(Role.MANAGER).get("/").content.decode()
        assert 'data-figure="customers">2<' in html
        assert 'data-figure="active-lines">3<' in html
        # December 2025 bill of every line: 128 + 33 + 20.5 + 3 + 5 - 10 = 179.50
        assert 'data-figure="arpu">¥179.50<' in html
        assert 'data-figure="arrears">¥177.00<' in html
        assert 'data-role="manager"' in html

    def test_account_manager_sees_its_enterprises_and_the_warnings_section(self, login):
        client = login(Role.ACCOUNT_MANAGER)
        mine = b.enterprise(account_manager=client.user)
        other = b.enterprise()
        html = client.get("/").content.decode()
        assert mine.name in html and mine.customer_no in html
        assert other.customer_no not in html
        assert 'id="warnings"' in html

    def test_agent_sees_search_and_its_queue(self, login):
        html = login(Role.SERVICE_AGENT, region_code="SH-PD").get("/").content.decode()
        assert 'role="search"' in html and 'id="queue"' in html

    def test_analyst_sees_aggregates_only(self, login):
        c = b.rich_customer(segment="youth")
        html = login(Role.ANALYST).get("/").content.decode()
        assert 'id="aggregates"' in html
        assert c.customer_no not in html
        b.assert_no_raw_pii(html, c)

    def test_care_sees_segment_counts(self, login):
        b.rich_customer(segment="youth")
        html = login(Role.CARE_MARKETING).get("/").content.decode()
        assert 'id="segments"' in html

    def test_auditor_home_is_the_audit_log(self, login):
        client = login(Role.AUDITOR)
        AuditEntry.objects.create(actor=client.user, action=AuditAction.EXPORT, subject_type="customers")
        html = client.get("/").content.decode()
        assert 'data-action="export"' in html


class TestAuditPage:
    def test_auditor_filters_by_action_and_subject(self, login):
        client = login(Role.AUDITOR)
        AuditEntry.objects.create(actor=client.user, action=AuditAction.REVEAL, subject_type="customer",
                                  subject_id="C1", field="address", reason="客户来电核实地址")
        AuditEntry.objects.create(actor=client.user, action=AuditAction.EXPORT, subject_type="customers")
        html = client.get("/audit/?action=reveal&subject=C1").content.decode()
        assert "客户来电核实地址" in html and 'data-action="export"' not in html
        html = client.get("/audit/?action=export").content.decode()
        assert 'data-action="reveal"' not in html and 'data-action="export"' in html

    def test_date_filter_includes_the_whole_last_day(self, login):
        client = login(Role.AUDITOR)
        AuditEntry.objects.create(actor=client.user, action=AuditAction.EXPORT, subject_type="customers")
        from django.utils import timezone

        today = timezone.localdate().isoformat()
        assert 'data-action="export"' in client.get(f"/audit/?since={today}&until={today}").content.decode()
        assert 'data-action="export"' not in client.get("/audit/?until=2000-01-01").content.decode()

    @pytest.mark.parametrize("role", [Role.SERVICE_AGENT, Role.MANAGER, Role.ANALYST])
    def test_other_roles_are_refused(self, login, role):
        assert login(role, region_code="SH-PD").get("/audit/").status_code == 403


class TestTokensPage:
    def test_issue_shows_the_raw_token_once_and_revoke_stops_it(self, login):
        from telcrm.core.models import ApiToken

        client = login(Role.ANALYST)
        html = client.post("/account/tokens/", {"name": "报表同步"}).content.decode()
        token = ApiToken.objects.get(user=client.user)
        raw = html.split('id="raw-token">')[1].split("<")[0]
        assert ApiToken.lookup(raw) == token
        assert raw not in client.get("/account/tokens/").content.decode()
        client.post("/account/tokens/", {"revoke": token.pk})
        assert ApiToken.lookup(raw) is None

    def test_a_user_cannot_revoke_someone_elses_token(self, login):
        from telcrm.core.models import ApiToken

        other = f.user(Role.ANALYST)
        token, raw = ApiToken.issue(other, "x")
        client = login(Role.ANALYST)
        assert client.post("/account/tokens/", {"revoke": token.pk}).status_code == 404
        assert ApiToken.lookup(raw) == token
