"""The warnings inbox: scope per role, ranking by expected loss, follow-ups and outcomes,
who stayed and the retention rate by action, the audited export, and its pages."""

import datetime as dt

import pytest
from django.test import Client

from telcrm.churn import inbox
from telcrm.churn.models import FollowUp, Warning, WarningStatus
from telcrm.core.errors import NotFound, PermissionDenied, ValidationFailed
from telcrm.core.models import AuditAction, AuditEntry
from telcrm.core.roles import Role
from telcrm.customers.models import CustomerKind
from tests import factories as f
from tests import score_factories as s

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"
LATER = dt.date(2099, 1, 31)


@pytest.fixture
def world():
    """An account manager's enterprise in Pudong, another manager's, and two individuals
    in Xuhui and Pudong, each with one warned line."""
    am = f.user(Role.ACCOUNT_MANAGER)
    own = f.customer(kind=CustomerKind.ENTERPRISE, account_manager=am, region_code="SH-PD")
    other = f.customer(kind=CustomerKind.ENTERPRISE, account_manager=f.user(Role.ACCOUNT_MANAGER))
    xh, pd = f.customer(region_code="SH-XH"), f.customer(region_code="SH-PD")
    warnings = {
        name: s.warning(f.subscription(c), expected_loss=loss)
        for name, c, loss in (("own", own, "300"), ("other", other, "200"), ("xh", xh, "900"), ("pd", pd, "10"))
    }
    return {"am": am, **warnings}


def ids(qs):
    return [w.pk for w in qs]


class TestScope:
    def test_account_manager_sees_its_own_enterprises_warnings(self, world):
        assert ids(inbox.inbox_warnings(world["am"])) == [world["own"].pk]

    def test_service_agent_sees_its_region_ranked_by_expected_loss(self, world):
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-PD")
        assert ids(inbox.inbox_warnings(agent)) == [world["own"].pk, world["pd"].pk]

    @pytest.mark.parametrize("role", [Role.CARE_MARKETING, Role.MANAGER])
    def test_care_and_managers_see_every_warning_highest_loss_first(self, world, role):
        expected = [world[k].pk for k in ("xh", "own", "other", "pd")]
        assert ids(inbox.inbox_warnings(f.user(role))) == expected

    @pytest.mark.parametrize("role", [Role.ANALYST, Role.AUDITOR])
    def test_roles_without_an_inbox_are_refused(self, world, role):
        with pytest.raises(PermissionDenied):
            inbox.inbox_warnings(f.user(role))

    def test_a_warning_outside_the_scope_is_not_found(self, world):
        with pytest.raises(NotFound):
            inbox.get_warning(world["am"], warning_id=world["xh"].pk)

    def test_filters_by_month_and_status(self, world):
        care = f.user(Role.CARE_MARKETING)
        old = s.warning(f.subscription(f.customer()), month=dt.date(2025, 11, 1), status=WarningStatus.DONE)
        assert ids(inbox.inbox_warnings(care, month=dt.date(2025, 11, 1))) == [old.pk]
        assert ids(inbox.inbox_warnings(care, status=WarningStatus.DONE)) == [old.pk]
        assert inbox.warning_months(care) == [dt.date(2025, 12, 1), dt.date(2025, 11, 1)]
        with pytest.raises(ValidationFailed):
            inbox.inbox_warnings(care, status="nonsense")


class TestFollowUps:
    def test_assign_then_record_retained_closes_the_warning(self, world):
        am = world["am"]
        fu = inbox.assign_follow_up(am, warning=world["own"], action="visit", assignee=am, due_on=LATER, note="上门")
        assert Warning.objects.get(pk=world["own"].pk).status == WarningStatus.ASSIGNED
        inbox.record_outcome(am, follow_up=fu, outcome="retained", note="续约两年")
        fu.refresh_from_db()
        assert (fu.outcome, fu.note) == ("retained", "上门\n续约两年") and fu.done_at is not None
        assert Warning.objects.get(pk=world["own"].pk).status == WarningStatus.DONE

    def test_the_form_offers_only_staff_who_see_the_customer(self, world):
        """The Pudong enterprise: its account manager, Pudong's agent, care and managers;
        not another account manager, not Xuhui's agent, not an analyst."""
        offered = {f.user(role, region_code=region) for role, region in (
            (Role.SERVICE_AGENT, "SH-PD"), (Role.CARE_MARKETING, None), (Role.MANAGER, None))}
        for role, region in ((Role.ACCOUNT_MANAGER, None), (Role.SERVICE_AGENT, "SH-XH"), (Role.ANALYST, None)):
            f.user(role, region_code=region)
        assert set(inbox.assignable_users(world["own"])) == offered | {world["am"]}

    def test_the_assignee_must_see_the_customer(self, world):
        stranger = f.user(Role.SERVICE_AGENT, region_code="SH-XH")
        with pytest.raises(ValidationFailed, match="assigned_to"):
            inbox.assign_follow_up(world["am"], warning=world["own"], action="call", assignee=stranger)
        assert not FollowUp.objects.exists()

    def test_an_analyst_cannot_be_assigned_and_cannot_assign(self, world):
        analyst = f.user(Role.ANALYST)
        with pytest.raises(ValidationFailed):
            inbox.assign_follow_up(world["am"], warning=world["own"], action="call", assignee=analyst)
        with pytest.raises(PermissionDenied):
            inbox.assign_follow_up(analyst, warning=world["own"], action="call", assignee=world["am"])

    def test_no_follow_up_on_a_warning_outside_the_scope(self, world):
        with pytest.raises(NotFound):
            inbox.assign_follow_up(world["am"], warning=world["xh"], action="call", assignee=world["am"])

    def test_a_past_due_date_and_pending_outcome_are_refused(self, world):
        am = world["am"]
        with pytest.raises(ValidationFailed, match="due_on"):
            inbox.assign_follow_up(am, warning=world["own"], action="call", assignee=am, due_on=dt.date(2000, 1, 1))
        fu = inbox.assign_follow_up(am, warning=world["own"], action="call", assignee=am)
        with pytest.raises(ValidationFailed, match="outcome"):
            inbox.record_outcome(am, follow_up=fu, outcome="pending")


class TestWhoStayed:
    def test_retention_rate_by_action_counts_open_lines_not_recorded_as_gone(self):
        """Six lines warned in December: two called (one retained, one churned), three
        visited (two still open, one closed), one untouched and open. Stayed: call 1/2,
        visit 2/3, none 1/1."""
        care = f.user(Role.CARE_MARKETING)

        def warned(status="active"):  # type: ignore[no-untyped-def]
            return s.warning(f.subscription(f.customer(), status=status))

        plan = [("call", "retained", "active"), ("call", "churned", "active"), ("visit", "pending", "active"),
                ("visit", "retained", "active"), ("visit", "pending", "closed")]
        for action, outcome, status in plan:
            fu = inbox.assign_follow_up(care, warning=warned(status), action=action, assignee=care)
            if outcome != "pending":
                inbox.record_outcome(care, follow_up=fu, outcome=outcome)
        untouched = warned()
        rows = {r.action: r for r in inbox.retention_by_action(care, month=s.MONTH)}
        assert {a: (r.warned, r.stayed, r.retained) for a, r in rows.items()} == {
            "call": (2, 1, 1), "visit": (3, 2, 1), "": (1, 1, 0)}
        assert rows["visit"].rate == pytest.approx(2 / 3)
        stayed = inbox.stayed_warnings(care, month=s.MONTH)
        assert len(stayed) == 4 and untouched.pk in ids(stayed)

    def test_a_second_follow_up_counts_instead_of_the_first(self):
        care = f.user(Role.CARE_MARKETING)
        w = s.warning(f.subscription(f.customer()))
        inbox.record_outcome(care, follow_up=inbox.assign_follow_up(care, warning=w, action="call", assignee=care),
                             outcome="unreachable")
        inbox.assign_follow_up(care, warning=w, action="offer", assignee=care)
        assert [(r.action, r.warned) for r in inbox.retention_by_action(care, month=s.MONTH)] == [("offer", 1)]


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


class TestExport:
    def test_csv_is_scoped_masked_and_audited(self, world):
        msisdn = world["own"].subscription.msisdn
        response = _client(world["am"]).get("/churn/inbox/export/", {"month": "2025-12"})
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        lines = body.strip().splitlines()
        assert len(lines) == 2 and world["own"].customer.customer_no in lines[1]
        assert msisdn not in body and f"{msisdn[:3]}****{msisdn[-4:]}" in body
        entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
        assert entry.detail["rows"] == 1 and entry.detail["complete"] is True

    def test_csv_carries_the_latest_follow_up_and_the_reasons_in_chinese(self, world):
        am, w = world["am"], world["own"]
        inbox.record_outcome(am, follow_up=inbox.assign_follow_up(am, warning=w, action="call", assignee=am),
                             outcome="unreachable")
        inbox.assign_follow_up(am, warning=w, action="visit", assignee=am)
        response = _client(am).get("/churn/inbox/export/", {"month": "2025-12"})
        row = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()[1].split(",")
        assert row[6] == "消费下降" and row[-4:] == ["已分派跟进", "上门拜访", am.username, "待处理"]

    def test_a_role_without_exports_is_refused(self, world):
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-PD")
        assert _client(agent).get("/churn/inbox/export/").status_code == 403


class TestPages:
    def test_inbox_page_lists_reasons_in_chinese_with_masked_numbers(self, world):
        html = _client(world["am"]).get("/churn/inbox/").content.decode()
        msisdn = world["own"].subscription.msisdn
        assert f'data-warning="{world["own"].pk}"' in html and f'data-warning="{world["xh"].pk}"' not in html
        assert "消费下降" in html and msisdn not in html

    def test_in_english_when_the_user_chose_it(self, world):
        client = _client(world["am"])
        client.post("/i18n/setlang/", {"language": "en", "next": "/churn/inbox/"})
        html = client.get("/churn/inbox/").content.decode()
        assert "<h1>Churn warnings</h1>" in html and "spend falling" in html

    def test_assign_and_record_through_the_pages(self, world):
        am, w = world["am"], world["own"]
        client = _client(am)
        response = client.post(f"/churn/warnings/{w.pk}/", {"action": "call", "assigned_to": am.pk,
                                                              "due_on": "2099-01-31", "note": ""})
        assert response.status_code == 302
        fu = FollowUp.objects.get(warning=w)
        client.post(f"/churn/follow-ups/{fu.pk}/outcome/", {"outcome": "retained"})
        assert Warning.objects.get(pk=w.pk).status == WarningStatus.DONE
        html = client.get("/churn/inbox/stayed/", {"month": "2025-12"}).content.decode()
        assert 'data-action="call"' in html and "100%" in html

    def test_an_assignee_out_of_scope_is_an_error_next_to_the_field(self, world):
        stranger = f.user(Role.SERVICE_AGENT, region_code="SH-XH")
        html = _client(world["am"]).post(f"/churn/warnings/{world['own'].pk}/", {
            "action": "call", "assigned_to": stranger.pk}).content.decode()
        field = html[html.index('data-field="assigned_to"'):html.index('data-field="due_on"')]
        assert "errorlist" in field and not FollowUp.objects.exists()

    def test_the_account_managers_home_lists_its_costliest_warnings(self, world):
        html = _client(world["am"]).get("/").content.decode()
        section = html[html.index('id="warnings"'):]
        assert f'data-warning="{world["own"].pk}"' in section and "消费下降" in section
        assert f'data-warning="{world["xh"].pk}"' not in section

    def test_other_warnings_are_404(self, world):
        assert _client(world["am"]).get(f"/churn/warnings/{world['xh'].pk}/").status_code == 404
