"""Value screens: rule versions edited by the administrator, the value and risk panels of
the customer page, and the manager's dashboard with its figures checked by hand."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import translation

from telcrm.churn.models import Warning
from telcrm.churn.queries import feature_label, risk_histogram
from telcrm.core.roles import Role
from telcrm.customers.models import CustomerKind
from telcrm.nightly.models import NightlyRun
from telcrm.value import queries
from telcrm.value.models import RuleSet, TierChange
from telcrm.value.rules import active_rules
from tests import factories as f
from tests import score_factories as s

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"
NOV = dt.date(2025, 11, 1)


def signed_in(role: Role, **kwargs) -> Client:  # type: ignore[no-untyped-def]
    user = f.user(role, **kwargs)
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    client.user = user
    return client


def chart(html: str, element_id: str) -> dict:
    start = html.index(f'<script id="{element_id}" type="application/json">')
    start = html.index(">", start) + 1
    return json.loads(html[start:html.index("</script>", start)])


SEGMENT_FORM = {"vip_percentile": "0.95", "vip_min_spend": "400", "vip_min_tenure_months": "12",
                "growth_percentile": "0.5", "growth_max_tenure_months": "12", "growth_trend_ratio": "1.2",
                "note": "raise the VIP bar"}


class TestRulesEditing:
    def test_the_administrator_saves_a_new_version_that_then_applies(self):
        admin = signed_in(Role.ADMINISTRATOR)
        response = admin.post("/value/rules/segments/", SEGMENT_FORM)
        assert response.status_code == 302
        rules = active_rules("segments")
        assert (rules.version, rules.vip_percentile, rules.vip_min_spend) == ("segments-2", 0.95, 400.0)
        html = admin.get("/value/rules/segments/").content.decode()
        assert 'id="active-version">segments-2<' in html and "raise the VIP bar" in html

    def test_previous_versions_stay_readable(self):
        admin = signed_in(Role.ADMINISTRATOR)
        admin.post("/value/rules/segments/", SEGMENT_FORM)
        admin.post("/value/rules/segments/", {**SEGMENT_FORM, "vip_min_spend": "500"})
        html = admin.get("/value/rules/segments/").content.decode()
        assert html.index('data-version="segments-3"') < html.index('data-version="segments-2"')
        assert RuleSet.objects.get(version="segments-2").rules["vip_min_spend"] == 400.0

    def test_an_invalid_threshold_is_shown_next_to_its_field(self):
        admin = signed_in(Role.ADMINISTRATOR)
        html = admin.post("/value/rules/segments/", {**SEGMENT_FORM, "growth_percentile": "0.99"}).content.decode()
        field = html[html.index('data-field="growth_percentile"'):html.index('data-field="growth_max_tenure_months"')]
        assert "errorlist" in field and "百分位须满足 0 &lt;= 成长 &lt;= VIP &lt;= 1" in field
        assert not RuleSet.objects.exists()

    def test_grade_floors_are_a_comma_separated_list(self):
        admin = signed_in(Role.ADMINISTRATOR)
        admin.post("/value/rules/grades/", {"floors": "300000, 60000, 12000, 2500", "stars": "5,4,3,2,1"})
        assert active_rules("grades").floors == (300000.0, 60000.0, 12000.0, 2500.0)
        html = admin.post("/value/rules/grades/", {"floors": "1, 2, 3, 4", "stars": "5,4,3,2,1"}).content.decode()
        assert "errorlist" in html[html.index('data-field="floors"'):html.index('data-field="stars"')]

    def test_a_warning_threshold_error_in_chinese(self):
        admin = signed_in(Role.ADMINISTRATOR)
        form = {k: str(v) for k, v in active_rules("warnings").to_dict().items() if k != "version"}
        html = admin.post("/value/rules/warnings/", {**form, "min_complaints": "0"}).content.decode()
        assert "计数至少为 1" in html

    def test_a_manager_reads_the_rules_but_cannot_save(self):
        manager = signed_in(Role.MANAGER)
        html = manager.get("/value/rules/segments/").content.decode()
        section = html.split('id="rules-form"')[1].split("</section>")[0]
        assert "<form" not in section and 'data-field="vip_percentile"' in section
        assert manager.post("/value/rules/segments/", SEGMENT_FORM).status_code == 404
        assert not RuleSet.objects.exists()

    @pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT, Role.AUDITOR])
    def test_other_roles_do_not_see_the_rules(self, role):
        assert signed_in(role, region_code="SH-XH").get("/value/rules/").status_code == 403


@pytest.fixture
def scored_person():
    """An individual with two lines valued in November and December; in December one is
    VIP and warned for falling spend and complaints, and it moved from growth to VIP."""
    c = f.customer(region_code="SH-XH")
    vip, mass = f.subscription(c), f.subscription(c)
    s.line_value(vip, month=NOV, segment="growth", revenue="200", margin="120")
    s.line_value(mass, month=NOV, revenue="50", margin="30")
    s.line_value(vip, segment="vip", revenue="320.40", margin="190.10", lifetime_value="8000", potential_value="100")
    s.line_value(mass, revenue="60.60", margin="35.20", lifetime_value=None)
    TierChange.objects.create(customer=c, subscription=vip, month=s.MONTH, previous="growth", tier="vip",
                              rule_version="segments-2")
    s.line_risk(vip, month=NOV, probability=0.2)
    s.line_risk(vip, probability=0.64, expected_loss="121.60", warning_rules="spend_decline,complaints",
                warning_details="spend 3m mean 42.10 vs previous 6m mean 88.00 (48%); "
                                "3 complaints in 3 months (1 resolved)",
                reasons=[{"feature": "complaints_3m", "value": 3, "contribution": 0.91}])
    return c


class TestCustomerPanels:
    def test_the_value_panel_sums_lines_and_keeps_the_history(self, scored_person):
        html = signed_in(Role.SERVICE_AGENT, region_code="SH-XH").get(
            f"/value/customers/{scored_person.customer_no}/panel/").content.decode()
        assert 'data-tier="vip"' in html and "segments-2" in html
        vip = scored_person.subscriptions.order_by("id").first().msisdn
        assert f"{vip[:3]}****{vip[-4:]}</span>: growth → <strong>vip</strong>" in html
        assert 'data-figure="revenue">¥381.00<' in html and 'data-figure="margin">¥225.30<' in html
        assert chart(html, "value-data")["labels"] == ["2025-11", "2025-12"]
        assert chart(html, "value-data")["series"][0]["data"] == [250.0, 381.0]
        for sub in scored_person.subscriptions.all():
            assert sub.msisdn not in html and f"{sub.msisdn[:3]}****{sub.msisdn[-4:]}" in html

    def test_an_enterprise_shows_its_grade_and_stars(self):
        e = f.customer(kind=CustomerKind.ENTERPRISE)
        s.enterprise_value(e, grade="2A", stars=4, revenue="60000")
        html = signed_in(Role.MANAGER).get(f"/value/customers/{e.customer_no}/panel/").content.decode()
        assert 'data-tier="2A"' in html and "★★★★<" in html and "¥60,000.00" in html

    def test_the_risk_panel_names_its_reasons_and_figures(self, scored_person):
        html = signed_in(Role.CARE_MARKETING).get(
            f"/churn/customers/{scored_person.customer_no}/risk/").content.decode()
        assert 'id="risk-probability">64%<' in html
        assert "消费下降" in html and "3 complaints in 3 months (1 resolved)" in html
        assert 'data-feature="complaints_3m"' in html
        assert chart(html, "risk-data")["series"][0]["data"] == [20.0, 64.0]

    def test_panels_cost_the_same_few_queries_whatever_the_lines(self, scored_person, django_assert_num_queries):
        """Session, user, its permissions and its groups', then the panel's own reads: value 4
        (customer, monthly sums, the month's lines, tier changes), risk 3 (customer,
        monthly sums, the month's riskiest lines)."""
        client = signed_in(Role.MANAGER)
        url = f"/value/customers/{scored_person.customer_no}/panel/"
        client.get(url)
        with django_assert_num_queries(8) as before:
            client.get(url)
        for _ in range(5):
            sub = f.subscription(scored_person)
            s.line_value(sub)
            s.line_risk(sub)
        with django_assert_num_queries(len(before.captured_queries)):
            client.get(url)
        with django_assert_num_queries(7):
            client.get(f"/churn/customers/{scored_person.customer_no}/risk/")

    def test_lines_without_score_or_rule_are_left_out_of_the_risk_panel(self):
        c = f.customer()
        quiet = f.subscription(c)
        s.line_risk(quiet, probability=None)
        html = signed_in(Role.MANAGER).get(f"/churn/customers/{c.customer_no}/risk/").content.decode()
        assert "无风险号码" in html and quiet.msisdn[-4:] not in html and 'id="risk-chart"' not in html

    def test_model_features_are_named_in_the_users_language(self):
        with translation.override("zh-hans"):
            assert feature_label("voice_minutes_ratio_3v6") == "通话分钟数, 近3个月与前6个月之比"
            assert feature_label("competitor_share_change") == "竞争对手通话占比上升"
            assert feature_label("shoe_size") == "shoe_size"
        with translation.override("en"):
            assert feature_label("spend_mean_prev6") == "spend, mean of the previous 6 months"

    def test_panels_outside_the_scope_are_404(self, scored_person):
        agent = signed_in(Role.SERVICE_AGENT, region_code="SH-PD")
        assert agent.get(f"/value/customers/{scored_person.customer_no}/panel/").status_code == 404
        assert agent.get(f"/churn/customers/{scored_person.customer_no}/risk/").status_code == 404

    def test_not_yet_scored(self):
        c = f.customer()
        html = signed_in(Role.MANAGER).get(f"/value/customers/{c.customer_no}/panel/").content.decode()
        assert "夜间分析" in html

    def test_the_360_page_loads_both_panels_after_itself(self, scored_person, django_assert_max_num_queries):
        client = signed_in(Role.MANAGER)
        with django_assert_max_num_queries(25):
            html = client.get(f"/customers/{scored_person.customer_no}/").content.decode()
        assert f'hx-get="/value/customers/{scored_person.customer_no}/panel/"' in html
        assert f'hx-get="/churn/customers/{scored_person.customer_no}/risk/"' in html


class TestDashboard:
    @pytest.fixture
    def scored(self):
        """December: grades 1A x1 (revenue 250,000, margin 100,000) and 3A x2; individual
        lines VIP x2 of one customer (300 + 100) and mass x4 of four customers (50 each)."""
        for grade, revenue, margin in (("1A", "250000", "100000"), ("3A", "20000", "9000"), ("3A", "12000", "5000")):
            s.enterprise_value(f.customer(kind=CustomerKind.ENTERPRISE), grade=grade, revenue=revenue, margin=margin)
        vip_owner = f.customer()
        s.line_value(f.subscription(vip_owner), segment="vip", revenue="300", margin="200")
        s.line_value(f.subscription(vip_owner), segment="vip", revenue="100", margin="50")
        for _ in range(4):
            sub = f.subscription(f.customer())
            s.line_value(sub, revenue="50", margin="25")
            s.line_risk(sub, probability=0.05)
        s.line_risk(sub, month=NOV, probability=0.99)
        model = s.churn_model()
        s.model_check(model, month=dt.date(2025, 9, 1), roc_auc=0.81, lift=3.2)
        s.model_check(model, month=dt.date(2025, 10, 1), roc_auc=0.78, lift=2.9)
        NightlyRun.objects.create(month=s.MONTH, engine="duckdb", status="done", counts={"lines": 6})

    def test_pyramid_counts_every_tier(self, scored):
        pyramid = queries.tier_pyramid()
        assert [(g.tier, g.count) for g in pyramid.grades] == [("1A", 1), ("2A", 0), ("3A", 2), ("4A", 0), ("5A", 0)]
        assert [(t.tier, t.count, t.revenue) for t in pyramid.segments] == [
            ("vip", 2, Decimal("400")), ("growth", 0, Decimal("0")), ("mass", 4, Decimal("200"))]

    def test_loss_equivalence_on_the_page(self, scored):
        """VIP: one customer with 400 revenue and 250 margin; mass: 50 and 25 per customer.
        One VIP customer lost takes 8 mass customers by revenue, 10 by margin."""
        html = signed_in(Role.MANAGER).get("/dashboard/", {"lost": "vip", "replacing": "mass"}).content.decode()
        assert 'data-figure="by-revenue">8.0<' in html and 'data-figure="by-margin">10.0<' in html
        html = signed_in(Role.MANAGER).get("/dashboard/", {"lost": "1A", "replacing": "growth"}).content.decode()
        assert 'data-figure="by-revenue">—<' in html

    def test_by_default_the_highest_grade_with_customers_is_the_big_customer(self):
        """No 1A customer this month: one 3A customer (revenue 12,000) against mass (60)."""
        s.enterprise_value(f.customer(kind=CustomerKind.ENTERPRISE), grade="3A", revenue="12000", margin="6000")
        s.line_value(f.subscription(f.customer()), revenue="60", margin="30")
        html = signed_in(Role.MANAGER).get("/dashboard/").content.decode()
        assert '<option value="3A" selected>' in html and 'data-figure="by-revenue">200.0<' in html

    def test_the_dashboard_page(self, scored):
        html = signed_in(Role.MANAGER).get("/dashboard/").content.decode()
        assert 'data-figure="by-revenue">5000.0<' in html and 'data-figure="by-margin">4000.0<' in html
        assert chart(html, "risk-hist-data")["series"][0]["data"] == [4, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        assert chart(html, "quality-data")["series"][0]["data"] == [0.81, 0.78]
        assert 'data-status="done"' in html

    def test_the_histogram_puts_certainty_in_the_last_bin(self):
        sub = f.subscription(f.customer())
        s.line_risk(sub, probability=1.0)
        s.line_risk(f.subscription(f.customer()), probability=0.1)
        assert risk_histogram()["series"][0]["data"] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]

    def test_warnings_handled_counts_the_users_scope(self, scored):
        sub = f.subscription(f.customer())
        s.warning(sub, status="done")
        s.warning(f.subscription(f.customer()), status="assigned")
        html = signed_in(Role.MANAGER).get("/dashboard/").content.decode()
        section = html[html.index('id="warnings-handled"'):]
        assert 'data-figure="warned">2<' in section and 'data-figure="done">1<' in section
        assert Warning.objects.count() == 2

    @pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.CARE_MARKETING, Role.AUDITOR])
    def test_roles_without_aggregates_are_refused(self, role):
        assert signed_in(role).get("/dashboard/").status_code == 403
