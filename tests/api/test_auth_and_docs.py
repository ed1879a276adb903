"""Who may call the API, and the OpenAPI document it serves."""

import pytest
from django.test import Client
from django.utils import timezone

from telcrm.core.models import ApiToken
from telcrm.core.roles import Role
from telcrm.core.tokens import issue_token, revoke_token
from tests import factories as f
from tests.api.support import BASE, token_client

pytestmark = pytest.mark.django_db


def _bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


class TestTokenAuth:
    def test_no_token_is_401_with_an_error_object(self):
        f.customer()
        r = Client().get(BASE)
        assert r.status_code == 401
        assert r["WWW-Authenticate"].startswith("Bearer")
        assert (r.json()["code"], r.json()["status"], r.json()["@type"]) == (
            "unauthenticated", "401", "Error")

    def test_unknown_token_is_401(self):
        assert _bearer("tc_not-a-real-token").get(BASE).status_code == 401

    def test_unknown_token_on_a_write_is_401_not_a_csrf_failure(self):
        r = _bearer("tc_not-a-real-token").post(BASE, {}, content_type="application/json")
        assert r.status_code == 401

    def test_revoked_token_is_401(self):
        u = f.user(Role.ANALYST)
        token, raw = issue_token(u, name="old")
        revoke_token(u, token=token)
        assert _bearer(raw).get(BASE).status_code == 401

    def test_token_of_a_deactivated_user_is_401(self):
        u = f.user(Role.ANALYST)
        _token, raw = issue_token(u, name="leaver")
        u.is_active = False
        u.save()
        assert _bearer(raw).get(BASE).status_code == 401

    def test_valid_token_records_its_use(self):
        u = f.user(Role.ANALYST)
        token, raw = issue_token(u, name="etl")
        before = timezone.now()
        assert _bearer(raw).get(BASE).status_code == 200
        token.refresh_from_db()
        assert token.last_used_at is not None and token.last_used_at >= before

    def test_token_acts_with_its_users_scope(self):
        f.customer(region_code="SH-PD")
        agent = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-XH"))
        assert agent.get(BASE)["X-Total-Count"] == "0"
        assert ApiToken.objects.count() == 1


class TestSessionAuth:
    def test_signed_in_user_reads_without_a_token(self):
        u = f.user(Role.ANALYST)
        f.customer()
        client = Client()
        client.force_login(u)
        r = client.get(BASE)
        assert (r.status_code, r["X-Total-Count"]) == (200, "1")

    def test_session_writes_need_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(f.user(Role.ADMINISTRATOR))
        c = f.customer(name="原名")
        r = client.patch(f"{BASE}/{c.customer_no}", {"name": "改名"},
                         content_type="application/merge-patch+json")
        assert (r.status_code, r.json()["@type"]) == (403, "Error")
        c.refresh_from_db()
        assert c.name == "原名"

    def test_session_writes_with_the_csrf_token_pass(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(f.user(Role.ADMINISTRATOR))
        secret = "k" * 32  # Django accepts an unmasked 32-character secret in the header
        client.cookies["csrftoken"] = secret
        c = f.customer(name="原名")
        r = client.patch(f"{BASE}/{c.customer_no}", {"name": "改名"},
                         content_type="application/merge-patch+json",
                         headers={"X-CSRFToken": secret})
        assert r.status_code == 200


class TestOpenApi:
    def test_document_lists_the_customer_paths_and_operations(self):
        doc = Client().get("/tmf-api/openapi.json").json()
        paths = doc["paths"]
        assert set(paths[BASE]) == {"get", "post"}
        assert set(paths[BASE + "/{customer_no}"]) == {"get", "patch", "delete"}
        assert doc["info"]["description"].strip()
        assert all(op.get("description") for p in paths.values() for op in p.values())

    def test_document_declares_bearer_auth_and_merge_patch(self):
        doc = Client().get("/tmf-api/openapi.json").json()
        schemes = doc["components"]["securitySchemes"]
        assert {"type": "http", "scheme": "bearer"}.items() <= schemes["TokenAuth"].items()
        patch = doc["paths"][BASE + "/{customer_no}"]["patch"]
        assert "application/merge-patch+json" in patch["requestBody"]["content"]

    def test_error_object_is_documented(self):
        doc = Client().get("/tmf-api/openapi.json").json()
        error = doc["components"]["schemas"]["TmfError"]
        assert {"code", "reason", "message", "status", "@type"} <= set(error["properties"])

    def test_interactive_docs_are_served_from_the_app(self):
        r = Client().get("/tmf-api/docs")
        html = r.content.decode()
        assert r.status_code == 200
        assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
        script = Client().get("/static/ninja/swagger-ui-bundle.js")
        assert script.status_code == 200
