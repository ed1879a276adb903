"""TMF621 troubleTicket API: shape, paging, scope, create, merge-patch with If-Match, errors."""

import pytest
from django.test import Client

from telcrm.core.roles import Role
from telcrm.tickets.models import Evidence, StatusChange, Ticket, TicketNote, TicketStatus
from tests import factories as f
from tests.api.support import token_client

pytestmark = pytest.mark.django_db
BASE = "/tmf-api/troubleTicket/v5/troubleTicket"


@pytest.fixture
def agent():
    return f.user(Role.SERVICE_AGENT, region_code="SH-XH")


@pytest.fixture
def client(agent) -> Client:
    return token_client(agent)


@pytest.fixture
def customer():
    return f.customer(region_code="SH-XH")


def body(customer, **extra):
    data = {
        "ticketType": "complaint", "name": "不认识的SP扣费", "description": "客户称未定制该业务",
        "relatedParty": [{"role": "customer", "partyOrPartyRole": {"id": customer.customer_no}}],
        "troubleTicketCharacteristic": [{"name": "category", "value": "vas_sp.unrequested"}],
        "channel": {"id": "call_centre"},
    }
    data.update(extra)
    return data


def create(client, customer, **extra):
    r = client.post(BASE, body(customer, **extra), content_type="application/json")
    assert r.status_code == 201, r.content
    return r


def patch(client, ticket_no, data, etag=None, content_type="application/merge-patch+json"):
    headers = {"If-Match": etag} if etag else {}
    return client.patch(f"{BASE}/{ticket_no}", data, content_type=content_type, headers=headers)


class TestCreate:
    def test_created_in_tmf_shape(self, client, customer, agent):
        line = f.subscription(customer)
        r = create(client, customer, relatedEntity=[{"role": "subscription", "entity": {"id": str(line.pk)}}],
                   note=[{"text": "客户来电", "noteType": "customer"}])
        t = r.json()
        assert r["Location"] == t["href"] and t["href"].endswith(f"{BASE}/{t['id']}")
        assert r["ETag"] == f'"{Ticket.objects.get(ticket_no=t["id"]).version}"'
        assert (t["@type"], t["status"], t["ticketType"]) == ("TroubleTicket", "acknowledged", "complaint")
        assert t["channel"]["id"] == "call_centre"
        roles = {p["role"]: p["partyOrPartyRole"]["id"] for p in t["relatedParty"]}
        assert roles == {"customer": customer.customer_no, "owner": agent.username}
        entity = t["relatedEntity"][0]["entity"]
        assert entity["id"] == str(line.pk) and line.msisdn not in entity["name"] and "*" in entity["name"]
        chars = {c["name"]: c["value"] for c in t["troubleTicketCharacteristic"]}
        assert chars["category"] == "vas_sp.unrequested" and chars["stars"]
        assert t["expectedResolutionDate"] and t["creationDate"]
        assert [n["text"] for n in t["note"]] == ["客户来电"]
        assert [s["status"] for s in t["statusChange"]] == ["acknowledged"]

    def test_second_ticket_same_category_is_linked_as_duplicate(self, client, customer):
        first = create(client, customer).json()
        second = create(client, customer).json()
        assert second["troubleTicketRelationship"] == [{
            "id": first["id"], "href": first["href"], "relationshipType": "isDuplicateOf",
            "@type": "TroubleTicketRelationship"}]

    @pytest.mark.parametrize("change, reason", [
        ({"ticketType": "gripe"}, "kind"),
        ({"troubleTicketCharacteristic": [{"name": "category", "value": "nope"}]}, "category"),
        ({"relatedParty": [{"role": "customer", "partyOrPartyRole": {"id": "C999999999"}}]}, "relatedParty"),
        ({"channel": {"id": "pigeon"}}, "channel"),
        ({"priority": "urgent"}, "priority"),
        ({"relatedEntity": [{"role": "subscription", "entity": {"id": "12345678"}}]}, "relatedEntity"),
    ])
    def test_bad_input_is_422_and_writes_nothing(self, client, customer, change, reason):
        r = client.post(BASE, body(customer, **change), content_type="application/json")
        assert r.status_code == 422, r.content
        err = r.json()
        assert err["@type"] == "Error" and err["status"] == "422" and reason in err["reason"]
        assert not Ticket.objects.exists() and not StatusChange.objects.exists()

    def test_missing_required_field_names_it(self, client, customer):
        data = body(customer)
        del data["description"]
        r = client.post(BASE, data, content_type="application/json")
        assert r.status_code == 422 and "description" in r.json()["reason"]

    def test_customer_out_of_scope_is_unknown(self, client):
        elsewhere = f.customer(region_code="SH-PD")
        r = client.post(BASE, body(elsewhere), content_type="application/json")
        assert r.status_code == 422 and "relatedParty.customer" in r.json()["reason"]
        assert not Ticket.objects.exists()


class TestRead:
    def test_list_pages_and_fields(self, client, customer):
        numbers = [create(client, customer, troubleTicketCharacteristic=[
            {"name": "category", "value": code}]).json()["id"] for code in ("billing", "roaming", "handset")]
        r = client.get(BASE, {"limit": 2, "fields": "status,ticketType"})
        assert r.status_code == 200
        assert (r["X-Total-Count"], r["X-Result-Count"]) == ("3", "2")
        rows = r.json()
        assert [t["id"] for t in rows] == sorted(numbers)[:2]
        assert set(rows[0]) == {"id", "href", "@type", "status", "ticketType"}
        r = client.get(BASE, {"offset": 2, "limit": 2})
        assert [t["id"] for t in r.json()] == sorted(numbers)[2:]

    def test_filters(self, client, customer):
        create(client, customer)
        create(client, customer, ticketType="fault",
               troubleTicketCharacteristic=[{"name": "category", "value": "network_quality.coverage"}])
        assert client.get(BASE, {"ticketType": "fault"})["X-Total-Count"] == "1"
        assert client.get(BASE, {"category": "vas_sp.unrequested"})["X-Total-Count"] == "1"
        assert client.get(BASE, {"customer": customer.customer_no})["X-Total-Count"] == "2"
        assert client.get(BASE, {"status": "resolved"})["X-Total-Count"] == "0"

    def test_unknown_field_is_422(self, client):
        r = client.get(BASE, {"fields": "colour"})
        assert r.status_code == 422 and "colour" in r.json()["reason"]

    def test_other_region_sees_nothing(self, client, customer):
        t = create(client, customer).json()
        other = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-PD"))
        assert other.get(f"{BASE}/{t['id']}").status_code == 404
        assert other.get(BASE)["X-Total-Count"] == "0"

    def test_role_without_tickets_sees_none(self, client, customer):
        t = create(client, customer).json()
        auditor = token_client(f.user(Role.AUDITOR))
        assert auditor.get(f"{BASE}/{t['id']}").status_code == 404

    def test_unauthenticated_is_401(self):
        r = Client().get(BASE)
        assert r.status_code == 401 and r.json()["@type"] == "Error"

    def test_delete_is_405(self, client, customer):
        t = create(client, customer).json()
        r = client.delete(f"{BASE}/{t['id']}")
        assert r.status_code == 405 and "PATCH" in r["Allow"]


class TestPatch:
    def test_transition_with_note_and_history(self, client, customer):
        r = create(client, customer)
        t = r.json()
        r = patch(client, t["id"], {"status": "inProgress", "statusChangeReason": "开始处理",
                                    "note": [{"text": "已联系客户", "noteType": "internal"}]}, etag=r["ETag"])
        assert r.status_code == 200, r.content
        out = r.json()
        assert out["status"] == "inProgress" and out["statusChangeReason"] == "开始处理"
        assert [s["status"] for s in out["statusChange"]] == ["acknowledged", "inProgress"]
        assert "已联系客户" in [n["text"] for n in out["note"]]
        assert r["ETag"] == f'"{Ticket.objects.get(ticket_no=t["id"]).version}"'

    def test_reply_note_is_the_first_response(self, client, customer):
        t = create(client, customer).json()
        r = patch(client, t["id"], {"note": [{"text": "您好，已收到", "noteType": "reply"}]})
        out = r.json()
        chars = {c["name"]: c["value"] for c in out["troubleTicketCharacteristic"]}
        assert out["status"] == "inProgress" and chars["firstResponseDate"]

    def test_illegal_transition_is_422_naming_allowed(self, client, customer):
        t = create(client, customer).json()
        r = patch(client, t["id"], {"status": "closed"})
        assert r.status_code == 422
        assert "allowed" in r.json()["reason"] and "inProgress" in r.json()["reason"]
        assert Ticket.objects.get(ticket_no=t["id"]).status == TicketStatus.ACKNOWLEDGED

    def test_unknown_status_is_422(self, client, customer):
        t = create(client, customer).json()
        assert patch(client, t["id"], {"status": "done"}).status_code == 422

    def test_stale_if_match_is_409_and_nothing_changes(self, client, customer):
        r = create(client, customer)
        t, etag = r.json(), r["ETag"]
        assert patch(client, t["id"], {"name": "first edit"}, etag=etag).status_code == 200
        r = patch(client, t["id"], {"name": "second edit", "note": [{"text": "lost?"}]}, etag=etag)
        assert r.status_code == 409 and r.json()["code"] == "version_conflict"
        ticket = Ticket.objects.get(ticket_no=t["id"])
        assert ticket.subject == "first edit"
        assert not TicketNote.objects.filter(text="lost?").exists()

    def test_resolving_complaint_needs_evidence(self, client, customer):
        t = create(client, customer).json()
        patch(client, t["id"], {"status": "inProgress"})
        resolve = {"status": "resolved", "troubleTicketCharacteristic": [
            {"name": "resolution", "value": "explanation"}, {"name": "resolutionNote", "value": "已解释"}]}
        r = patch(client, t["id"], resolve)
        assert r.status_code == 422 and r.json()["code"] == "not_verified"
        ticket = Ticket.objects.get(ticket_no=t["id"])
        Evidence.objects.create(ticket=ticket, kind="bill", name="bill", at=ticket.opened_at)
        r = patch(client, t["id"], resolve)
        assert r.status_code == 200, r.content
        out = r.json()
        assert out["status"] == "resolved" and out["resolutionDate"]
        chars = {c["name"]: c["value"] for c in out["troubleTicketCharacteristic"]}
        assert chars["resolution"] == "explanation" and chars["resolutionNote"] == "已解释"
        assert out["attachment"][0]["attachmentType"] == "bill"

    def test_wrong_content_type_is_415(self, client, customer):
        t = create(client, customer).json()
        r = client.patch(f"{BASE}/{t['id']}", '{"name": "x"}', content_type="text/plain")
        assert (r.status_code, r.json()["code"]) == (415, "unsupported_media_type")
        assert Ticket.objects.get(ticket_no=t["id"]).subject != "x"

    def test_bad_if_match_is_422(self, client, customer):
        t = create(client, customer).json()
        assert patch(client, t["id"], {"name": "x"}, etag="v3").status_code == 422

    def test_out_of_scope_patch_is_404(self, client, customer):
        t = create(client, customer).json()
        other = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-PD"))
        assert patch(other, t["id"], {"status": "inProgress"}).status_code == 404


class TestOpenApi:
    def test_trouble_ticket_and_hub_paths_are_documented(self):
        doc = Client().get("/tmf-api/openapi.json").json()
        paths = doc["paths"]
        assert set(paths[BASE]) == {"get", "post"}
        assert set(paths[BASE + "/{ticket_no}"]) == {"get", "patch", "delete"}
        assert set(paths["/tmf-api/troubleTicket/v5/hub"]) == {"post"}
        assert set(paths["/tmf-api/troubleTicket/v5/hub/{listener_id}"]) == {"get", "delete"}
        assert "Trouble tickets" in doc["info"]["description"]
        props = doc["components"]["schemas"]["TroubleTicketOut"]["properties"]
        assert {"@type", "relatedParty", "statusChange", "attachment", "note"} <= set(props)
