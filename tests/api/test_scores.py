"""Reading line scores, enterprise values and churn warnings: scope, masking, paging,
fields selection, TMF errors, and the OpenAPI document."""

import datetime as dt

import pytest
from django.test import Client

from telcrm.core.roles import Role
from telcrm.customers.models import CustomerKind
from tests import factories as f
from tests import score_factories as s
from tests.api.support import token_client

pytestmark = pytest.mark.django_db
SCORES = "/tmf-api/churnManagement/v1/lineScore"
WARNINGS = "/tmf-api/churnManagement/v1/churnWarning"
VALUES = "/tmf-api/valueManagement/v1/enterpriseValue"
NOV = dt.date(2025, 11, 1)


@pytest.fixture
def world():
    am = f.user(Role.ACCOUNT_MANAGER)
    own = f.customer(kind=CustomerKind.ENTERPRISE, account_manager=am)
    other = f.customer(kind=CustomerKind.ENTERPRISE)
    person = f.customer()
    lines = {"own": f.subscription(own), "other": f.subscription(other), "person": f.subscription(person)}
    for sub in lines.values():
        s.line_value(sub, segment="vip", revenue="250.50", margin="150.25", lifetime_value="9000")
        s.line_value(sub, month=NOV)
    s.line_risk(lines["own"], probability=0.42, expected_loss="105.21", warning_rules="spend_decline,complaints",
                reasons=[{"feature": "spend_ratio_3v6", "value": 0.48, "contribution": 1.2}])
    s.enterprise_value(own, grade="2A", stars=4)
    s.enterprise_value(other, grade="5A", stars=1)
    warned = s.warning(lines["own"], expected_loss="105.21")
    s.warning(lines["person"], expected_loss="999")
    return {"am": am, "own": own, "lines": lines, "warned": warned}


class TestLineScores:
    def test_account_manager_reads_its_own_lines_value_and_risk(self, world):
        response = token_client(world["am"]).get(SCORES, {"month": "2025-12"})
        assert response.status_code == 200 and response["X-Total-Count"] == "1"
        (score,) = response.json()
        sub = world["lines"]["own"]
        assert score["id"] == f"{sub.pk}-2025-12" and score["@type"] == "LineScore"
        assert score["phoneNumber"] == f"{sub.msisdn[:3]}****{sub.msisdn[-4:]}"
        assert (score["segment"], score["revenue"], score["margin"]) == ("vip", "250.50", "150.25")
        assert score["churnProbability"] == 0.42 and score["expectedLoss"] == "105.21"
        assert score["warningRules"] == ["spend_decline", "complaints"]
        assert score["reasons"] == [{"feature": "spend_ratio_3v6", "value": 0.48, "contribution": 1.2}]
        assert token_client(world["am"]).get(score["href"]).json() == score

    def test_paging_counts_line_by_line_month_by_month(self, world):
        response = token_client(f.user(Role.ANALYST)).get(SCORES, {"limit": 2})
        assert response["X-Total-Count"] == "6" and response["X-Result-Count"] == "2"
        first = world["lines"]["own"].pk
        assert [x["id"] for x in response.json()] == [f"{first}-2025-11", f"{first}-2025-12"]
        rest = token_client(f.user(Role.ANALYST)).get(SCORES, {"offset": 4, "limit": 10}).json()
        assert [x["id"] for x in rest] == [f"{world['lines']['person'].pk}-2025-11",
                                           f"{world['lines']['person'].pk}-2025-12"]

    def test_fields_selection_and_unknown_field(self, world):
        client = token_client(f.user(Role.MANAGER))
        row = client.get(SCORES, {"fields": "segment", "limit": 1}).json()[0]
        assert set(row) == {"id", "href", "@type", "segment"}
        r = client.get(SCORES, {"fields": "shoeSize"})
        assert r.status_code == 422 and r.json()["@type"] == "Error" and "shoeSize" in r.json()["reason"]

    def test_a_line_outside_the_scope_is_404_and_a_bad_month_422(self, world):
        client = token_client(world["am"])
        other = world["lines"]["other"]
        assert client.get(f"{SCORES}/{other.pk}-2025-12").status_code == 404
        assert client.get(SCORES, {"month": "December"}).status_code == 422

    def test_an_auditor_may_not_read_scores(self, world):
        assert token_client(f.user(Role.AUDITOR)).get(SCORES).status_code == 403

    def test_no_token_no_scores(self):
        assert Client().get(SCORES).status_code == 401


class TestEnterpriseValues:
    def test_scope_and_grade_filter(self, world):
        rows = token_client(world["am"]).get(VALUES).json()
        assert [(r["customer"]["id"], r["grade"], r["stars"]) for r in rows] == [(world["own"].customer_no, "2A", 4)]
        manager = token_client(f.user(Role.MANAGER))
        assert [r["grade"] for r in manager.get(VALUES, {"grade": "5A"}).json()] == ["5A"]


class TestWarnings:
    def test_the_inbox_of_the_caller_masked(self, world):
        rows = token_client(world["am"]).get(WARNINGS).json()
        assert [r["id"] for r in rows] == [str(world["warned"].pk)]
        assert rows[0]["figures"] == ["spend 3m mean 42.10 vs previous 6m mean 88.00 (48%)"]
        assert world["lines"]["own"].msisdn not in str(rows)

    def test_care_sees_all_highest_loss_first_and_filters_by_status(self, world):
        client = token_client(f.user(Role.CARE_MARKETING))
        assert [r["expectedLoss"] for r in client.get(WARNINGS).json()] == ["999.00", "105.21"]
        assert client.get(WARNINGS, {"status": "done"}).json() == []

    def test_other_warnings_are_404_and_analysts_have_no_inbox(self, world):
        other = s.warning(world["lines"]["other"])
        assert token_client(world["am"]).get(f"{WARNINGS}/{other.pk}").status_code == 404
        assert token_client(f.user(Role.ANALYST)).get(WARNINGS).status_code == 403


def test_the_openapi_document_describes_the_new_resources():
    schema = token_client(f.user(Role.MANAGER)).get("/tmf-api/openapi.json").json()
    for path in (SCORES, WARNINGS, VALUES, f"{WARNINGS}/{{warning_id}}"):
        assert path in schema["paths"], path
    assert "churnProbability" in schema["components"]["schemas"]["LineScoreOut"]["properties"]
