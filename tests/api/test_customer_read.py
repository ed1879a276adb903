"""Reading customers: paging headers, fields selection, scope and masking."""

import json

import pytest

from telcrm.core.roles import Role
from telcrm.customers.models import Contact
from tests import factories as f
from tests.api.support import BASE, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst():
    return token_client(f.user(Role.ANALYST))


def _counts(response) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return response["X-Total-Count"], response["X-Result-Count"]


class TestPaging:
    @pytest.fixture(autouse=True)
    def five(self):
        self.customers = [f.customer() for _ in range(5)]

    def test_first_page(self, analyst):
        r = analyst.get(BASE, {"offset": 0, "limit": 2})
        assert r.status_code == 200
        assert _counts(r) == ("5", "2")
        assert [c["id"] for c in r.json()] == [c.customer_no for c in self.customers[:2]]

    def test_last_partial_page(self, analyst):
        r = analyst.get(BASE, {"offset": 4, "limit": 2})
        assert _counts(r) == ("5", "1")
        assert [c["id"] for c in r.json()] == [self.customers[4].customer_no]

    def test_offset_past_the_end_is_an_empty_page(self, analyst):
        r = analyst.get(BASE, {"offset": 99, "limit": 2})
        assert r.status_code == 200
        assert (r.json(), _counts(r)) == ([], ("5", "0"))

    def test_limit_zero_returns_only_the_counts(self, analyst):
        r = analyst.get(BASE, {"limit": 0})
        assert (r.json(), _counts(r)) == ([], ("5", "0"))

    def test_limit_at_the_maximum_is_accepted(self, analyst):
        r = analyst.get(BASE, {"limit": 1000})
        assert _counts(r) == ("5", "5")

    def test_limit_above_the_maximum_names_the_parameter(self, analyst):
        r = analyst.get(BASE, {"limit": 1001})
        assert r.status_code == 422
        assert r.json()["reason"].startswith("limit:")

    def test_negative_offset_is_refused(self, analyst):
        r = analyst.get(BASE, {"offset": -1})
        assert r.status_code == 422
        assert r.json()["reason"].startswith("offset:")

    def test_pages_follow_customer_number_order_without_overlap(self, analyst):
        ids = []
        for offset in range(0, 5, 2):
            ids += [c["id"] for c in analyst.get(BASE, {"offset": offset, "limit": 2}).json()]
        assert ids == sorted(c.customer_no for c in self.customers)

    def test_counts_follow_the_filters(self, analyst):
        f.customer(segment="youth", name="李雷")
        r = analyst.get(BASE, {"segment": "youth"})
        assert _counts(r) == ("1", "1")
        assert r.json()[0]["name"] == "李雷"
        assert _counts(analyst.get(BASE, {"name": "李雷", "status": "inactive"})) == ("0", "0")


class TestFieldsSelection:
    def test_only_the_named_attributes_and_the_identity(self, analyst):
        c = f.customer()
        body = analyst.get(BASE, {"fields": "name,status"}).json()[0]
        assert set(body) == {"id", "href", "@type", "name", "status"}
        assert body["id"] == c.customer_no
        assert body["href"].endswith(f"/tmf-api/customerManagement/v5/customer/{c.customer_no}")

    def test_applies_to_a_single_customer(self, analyst):
        c = f.customer()
        body = analyst.get(f"{BASE}/{c.customer_no}", {"fields": "characteristic"}).json()
        assert set(body) == {"id", "href", "@type", "characteristic"}

    def test_unknown_attribute_is_refused_by_name(self, analyst):
        f.customer()
        r = analyst.get(BASE, {"fields": "name,shoeSize"})
        assert r.status_code == 422
        assert "fields" in r.json()["reason"] and "shoeSize" in r.json()["reason"]


class TestRetrieve:
    def test_tmf_shape(self, analyst):
        manager = f.user(Role.ACCOUNT_MANAGER, username="wangfang")
        c = f.customer(kind="enterprise", account_manager=manager, segment="enterprise")
        sub_owner = f.customer()
        account = f.subscription(sub_owner).account
        account.customer = c
        account.save()
        r = analyst.get(f"{BASE}/{c.customer_no}")
        assert r.status_code == 200
        body = r.json()
        assert (body["id"], body["@type"], body["status"]) == (c.customer_no, "Customer", "active")
        assert body["engagedParty"]["@referredType"] == "Organization"
        assert {x["name"]: x["value"] for x in body["characteristic"]} == {
            "kind": "enterprise", "segment": "enterprise", "region": "SH-XH",
            "creditCode": c.credit_code, "industry": "finance", "size": "large",
        }
        assert body["relatedParty"] == [{
            "role": "accountManager", "@type": "RelatedPartyOrPartyRole",
            "partyOrPartyRole": {"id": "wangfang", "name": "wangfang", "@type": "PartyRef",
                                 "@referredType": "Individual"},
        }]
        assert [(a["id"], a["@referredType"]) for a in body["account"]] == [
            (account.account_no, "BillingAccount")
        ]

    def test_etag_carries_the_version(self, analyst):
        c = f.customer()
        c.version = 7
        c.save()
        assert analyst.get(f"{BASE}/{c.customer_no}")["ETag"] == '"7"'

    def test_missing_customer_is_a_tmf_404(self, analyst):
        r = analyst.get(f"{BASE}/C999999999")
        assert r.status_code == 404
        assert r.json() == {"code": "not_found", "reason": "customer C999999999 not found",
                            "message": "customer C999999999 not found", "status": "404",
                            "@type": "Error"}

    def test_merged_customer_is_gone(self, analyst):
        keep = f.customer()
        gone = f.customer(status="merged", merged_into=keep)
        assert analyst.get(f"{BASE}/{gone.customer_no}").status_code == 404
        assert [c["id"] for c in analyst.get(BASE).json()] == [keep.customer_no]


class TestScope:
    def test_agent_sees_only_its_region(self):
        agent = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-XH"))
        mine = f.customer(region_code="SH-XH")
        other = f.customer(region_code="SH-PD")
        r = agent.get(BASE)
        assert ([c["id"] for c in r.json()], r["X-Total-Count"]) == ([mine.customer_no], "1")
        assert agent.get(f"{BASE}/{other.customer_no}").status_code == 404
        assert agent.get(f"{BASE}/{mine.customer_no}").status_code == 200

    def test_out_of_scope_answers_like_a_missing_customer(self):
        agent = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-XH"))
        other = f.customer(region_code="SH-PD")
        hidden = agent.get(f"{BASE}/{other.customer_no}").json()
        missing = agent.get(f"{BASE}/C000000000").json()
        assert (hidden["code"], hidden["status"]) == (missing["code"], missing["status"])

    def test_account_manager_sees_its_own_enterprises(self):
        am = f.user(Role.ACCOUNT_MANAGER)
        own = f.customer(kind="enterprise", account_manager=am)
        f.customer(kind="enterprise")
        body = token_client(am).get(BASE).json()
        assert [c["id"] for c in body] == [own.customer_no]

    def test_auditor_sees_no_customer(self):
        f.customer()
        r = token_client(f.user(Role.AUDITOR)).get(BASE)
        assert (r.json(), r["X-Total-Count"]) == ([], "0")


class TestMasking:
    """No raw phone number, ID number or address in any body, for any role (domain.md 1)."""

    @pytest.mark.parametrize("role", [Role.ADMINISTRATOR, Role.MANAGER, Role.ANALYST])
    def test_list_and_detail_bodies_hold_no_raw_personal_data(self, role):
        c = f.customer(address="上海市徐汇区漕溪北路88号3号楼1201室")
        sub = f.subscription(c, msisdn="13912345678")
        client = token_client(f.user(role))
        bodies = [client.get(BASE).content, client.get(f"{BASE}/{c.customer_no}").content]
        for raw in bodies:
            text = json.dumps(json.loads(raw), ensure_ascii=False)
            assert sub.msisdn not in text and c.id_number not in text and c.address not in text
            assert "漕溪北路88号" not in text
        body = json.loads(bodies[1])
        phones = [m["characteristic"]["phoneNumber"] for m in body["contactMedium"]
                  if m["mediumType"] == "mobile"]
        assert phones == ["139****5678"]
        id_value = next(x["value"] for x in body["characteristic"] if x["name"] == "idNumber")
        assert id_value == c.id_number[:4] + "*" * 10 + c.id_number[-4:]

    def test_enterprise_contacts_phones_are_masked(self, analyst):
        c = f.customer(kind="enterprise")
        Contact.objects.create(customer=c, name="赵经理", phone="13712345678")
        r = analyst.get(f"{BASE}/{c.customer_no}")
        assert "13712345678" not in r.content.decode()
        mobile = [m for m in r.json()["contactMedium"] if m["mediumType"] == "mobile"]
        assert [m["characteristic"]["phoneNumber"] for m in mobile] == ["137****5678"]

    def test_an_enterprises_lines_are_not_its_contact_media(self, analyst):
        c = f.customer(kind="enterprise")
        f.subscription(c, msisdn="13812340001")
        body = analyst.get(f"{BASE}/{c.customer_no}").json()
        assert body["contactMedium"] == []

    def test_closed_lines_are_not_contact_media(self, analyst):
        c = f.customer()
        f.subscription(c, msisdn="13812340000", status="closed")
        body = analyst.get(f"{BASE}/{c.customer_no}").json()
        assert [m for m in body["contactMedium"] if m["mediumType"] == "mobile"] == []
