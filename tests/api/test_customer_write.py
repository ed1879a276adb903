"""Writing customers: register (POST), merge-patch with If-Match, and no DELETE."""

import datetime as dt

import pytest

from telcrm.core.models import FieldChange
from telcrm.core.roles import Role
from telcrm.customers.models import Customer
from tests import factories as f
from tests.api.support import BASE, token_client

pytestmark = pytest.mark.django_db

MERGE_PATCH = "application/merge-patch+json"


@pytest.fixture
def admin():
    return token_client(f.user(Role.ADMINISTRATOR))


def _individual(**overrides):  # type: ignore[no-untyped-def]
    body = {
        "name": "韩梅梅",
        "engagedParty": {"@referredType": "Individual"},
        "characteristic": [
            {"name": "region", "value": "SH-PD"},
            {"name": "idNumber", "value": f.valid_id_number(serial=456)},
            {"name": "segment", "value": "youth"},
        ],
        "contactMedium": [
            {"mediumType": "email", "characteristic": {"emailAddress": "hmm@example.cn"}},
            {"mediumType": "postalAddress", "characteristic": {"street1": "上海市浦东新区世纪大道100号"}},
        ],
    }
    body.update(overrides)
    return body


def _post(client, body):  # type: ignore[no-untyped-def]
    return client.post(BASE, body, content_type="application/json")


class TestRegister:
    def test_201_with_location_of_the_new_customer(self, admin):
        r = _post(admin, _individual())
        assert r.status_code == 201
        c = Customer.objects.get()
        assert r["Location"] == f"http://testserver{BASE}/{c.customer_no}"
        assert r.json()["id"] == c.customer_no
        assert admin.get(r["Location"]).json()["name"] == "韩梅梅"

    def test_stored_as_sent(self, admin):
        _post(admin, _individual())
        c = Customer.objects.get()
        assert (c.kind, c.region.code, c.segment, c.id_number, c.email, c.address) == (
            "individual", "SH-PD", "youth", f.valid_id_number(serial=456), "hmm@example.cn",
            "上海市浦东新区世纪大道100号",
        )

    def test_response_masks_what_was_sent(self, admin):
        text = _post(admin, _individual()).content.decode()
        assert f.valid_id_number(serial=456) not in text and "世纪大道100号" not in text

    def test_numbers_follow_their_own_series(self, admin):
        f.customer(customer_no="C000000001")
        ids = [_post(admin, _individual(name=n)).json()["id"] for n in ("甲", "乙")]
        assert ids == ["CN0000000001", "CN0000000002"]

    def test_enterprise_with_credit_code(self, admin):
        r = _post(admin, {
            "name": "上海示例科技有限公司", "engagedParty": {"@referredType": "Organization"},
            "characteristic": [{"name": "region", "value": "SH-XH"},
                               {"name": "creditCode", "value": f.valid_uscc()},
                               {"name": "industry", "value": "it"}],
        })
        assert r.status_code == 201
        assert Customer.objects.get().credit_code == f.valid_uscc()

    def test_role_without_add_permission_gets_403(self):
        agent = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-PD"))
        r = _post(agent, _individual())
        assert (r.status_code, r.json()["code"]) == (403, "forbidden")
        assert not Customer.objects.exists()


class TestRegisterValidation:
    """422 with a TMF error object naming the field and the rule (issue 2, validators)."""

    def _error(self, client, body):  # type: ignore[no-untyped-def]
        r = _post(client, body)
        assert r.status_code == 422
        assert not Customer.objects.exists()
        err = r.json()
        assert (err["code"], err["status"], err["@type"]) == ("invalid", "422", "Error")
        return err["reason"]

    def test_bad_id_number_check_digit(self, admin):
        good = f.valid_id_number(serial=456)
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        body = _individual(characteristic=[{"name": "region", "value": "SH-PD"},
                                           {"name": "idNumber", "value": bad}])
        assert self._error(admin, body) == (
            "characteristic.idNumber: check character does not match (GB 11643 MOD 11-2)"
        )

    def test_raw_id_number_is_not_echoed_in_the_error(self, admin):
        bad = f.valid_id_number(serial=456)[:17] + "Y"
        r = _post(admin, _individual(characteristic=[{"name": "region", "value": "SH-PD"},
                                                     {"name": "idNumber", "value": bad}]))
        assert bad not in r.content.decode()

    def test_bad_credit_code(self, admin):
        body = {"name": "某公司", "engagedParty": {"@referredType": "Organization"},
                "characteristic": [{"name": "region", "value": "SH-XH"},
                                   {"name": "creditCode", "value": f.valid_uscc()[:17] + "0"}]}
        assert self._error(admin, body).startswith("characteristic.creditCode: check character")

    def test_individual_needs_an_id_number(self, admin):
        body = _individual(characteristic=[{"name": "region", "value": "SH-PD"}])
        assert self._error(admin, body) == (
            "characteristic.idNumber: required for an individual customer"
        )

    def test_unknown_region(self, admin):
        body = _individual(characteristic=[{"name": "region", "value": "BJ-XX"},
                                           {"name": "idNumber", "value": f.valid_id_number()}])
        assert self._error(admin, body).startswith("characteristic.region: no region")

    def test_missing_name(self, admin):
        body = _individual()
        del body["name"]
        assert self._error(admin, body).startswith("name:")

    def test_unknown_kind_of_party(self, admin):
        reason = self._error(admin, _individual(engagedParty={"@referredType": "Robot"}))
        assert reason.startswith("engagedParty.@referredType:")

    def test_credit_code_does_not_apply_to_an_individual(self, admin):
        body = _individual()
        body["characteristic"].append({"name": "creditCode", "value": f.valid_uscc()})
        assert self._error(admin, body) == (
            "characteristic.creditCode: does not apply to an individual customer"
        )

    def test_segment_outside_its_choices(self, admin):
        body = _individual(characteristic=[{"name": "region", "value": "SH-PD"},
                                           {"name": "idNumber", "value": f.valid_id_number()},
                                           {"name": "segment", "value": "martians"}])
        assert self._error(admin, body).startswith("characteristic.segment: must be one of")

    def test_phone_numbers_are_not_set_through_the_customer(self, admin):
        body = _individual(contactMedium=[
            {"mediumType": "mobile", "characteristic": {"phoneNumber": "13912345678"}}])
        assert self._error(admin, body).startswith("contactMedium.mediumType:")

    def test_bad_email_address(self, admin):
        body = _individual(contactMedium=[
            {"mediumType": "email", "characteristic": {"emailAddress": "not-an-address"}}])
        assert self._error(admin, body) == "contactMedium.emailAddress: not a valid email address"

    def test_unknown_characteristic_is_named(self, admin):
        body = _individual()
        body["characteristic"].append({"name": "shoeSize", "value": "42"})
        assert self._error(admin, body).startswith("characteristic.shoeSize: unknown characteristic")

    def test_read_only_attributes_are_refused(self, admin):
        assert self._error(admin, _individual(id="C1")).startswith("id:")


class TestMergePatch:
    def _patch(self, client, c, body, **headers):  # type: ignore[no-untyped-def]
        return client.patch(f"{BASE}/{c.customer_no}", body, content_type=MERGE_PATCH,
                            headers=headers)

    def test_changes_are_saved_and_recorded_in_the_field_history(self, admin):
        c = f.customer(name="张三", segment="mass")
        r = self._patch(admin, c, {"name": "张三丰",
                                   "characteristic": [{"name": "segment", "value": "senior"}]})
        assert r.status_code == 200
        assert r.json()["name"] == "张三丰"
        c.refresh_from_db()
        assert (c.name, c.segment, c.version) == ("张三丰", "senior", 2)
        history = {(h.field, h.old_value, h.new_value, h.source)
                   for h in FieldChange.objects.filter(subject_id=c.customer_no)}
        assert history == {("name", "张三", "张三丰", "api"), ("segment", "mass", "senior", "api")}

    def test_attributes_not_sent_are_unchanged(self, admin):
        c = f.customer(segment="mass", email="old@example.cn")
        self._patch(admin, c, {"characteristic": [{"name": "gender", "value": "F"}]})
        c.refresh_from_db()
        assert (c.segment, c.email, c.gender) == ("mass", "old@example.cn", "F")

    def test_null_clears_a_value(self, admin):
        c = f.customer(email="old@example.cn")
        self._patch(admin, c, {"contactMedium": [
            {"mediumType": "email", "characteristic": {"emailAddress": None}}]})
        c.refresh_from_db()
        assert c.email == ""

    def test_valid_for_sets_and_null_clears_the_customer_since_date(self, admin):
        c = f.customer()
        self._patch(admin, c, {"validFor": {"startDateTime": "2018-06-01T00:00:00+08:00"}})
        c.refresh_from_db()
        assert c.since == dt.date(2018, 6, 1)
        self._patch(admin, c, {"validFor": None})
        c.refresh_from_db()
        assert c.since is None

    def test_address_history_is_masked(self, admin):
        c = f.customer(address="上海市徐汇区漕溪北路1号")
        self._patch(admin, c, {"contactMedium": [
            {"mediumType": "postalAddress", "characteristic": {"street1": "上海市徐汇区天钥桥路2号"}}]})
        h = FieldChange.objects.get(subject_id=c.customer_no, field="address")
        assert "天钥桥路2号" not in h.new_value and "漕溪北路1号" not in h.old_value

    def test_close_a_customer(self, admin):
        c = f.customer()
        assert self._patch(admin, c, {"status": "inactive"}).json()["status"] == "inactive"

    def test_matching_if_match_succeeds_and_returns_the_new_etag(self, admin):
        c = f.customer()
        etag = admin.get(f"{BASE}/{c.customer_no}")["ETag"]
        r = self._patch(admin, c, {"name": "新名字"}, **{"If-Match": etag})
        assert (r.status_code, r["ETag"]) == (200, '"2"')

    def test_stale_if_match_is_409_and_changes_nothing(self, admin):
        c = f.customer(name="原名")
        self._patch(admin, c, {"name": "第一次"}, **{"If-Match": '"1"'})
        r = self._patch(admin, c, {"name": "第二次"}, **{"If-Match": '"1"'})
        assert (r.status_code, r.json()["code"]) == (409, "conflict")
        c.refresh_from_db()
        assert (c.name, c.version) == ("第一次", 2)

    def test_malformed_if_match(self, admin):
        r = self._patch(admin, f.customer(), {"name": "x"}, **{"If-Match": "version one"})
        assert r.status_code == 422 and r.json()["reason"].startswith("If-Match:")

    def test_bad_id_number_is_422_naming_the_rule(self, admin):
        c = f.customer()
        r = self._patch(admin, c, {"characteristic": [{"name": "idNumber", "value": "123"}]})
        assert r.status_code == 422
        assert r.json()["reason"].startswith("characteristic.idNumber: must be 17 digits")

    def test_name_cannot_be_cleared(self, admin):
        r = self._patch(admin, f.customer(), {"name": None})
        assert r.status_code == 422 and r.json()["reason"].startswith("name:")

    def test_enterprise_fields_do_not_apply_to_an_individual(self, admin):
        r = self._patch(admin, f.customer(), {"characteristic": [{"name": "industry", "value": "it"}]})
        assert r.json()["reason"] == "characteristic.industry: does not apply to an individual customer"

    def test_other_content_types_are_415(self, admin):
        c = f.customer()
        r = admin.patch(f"{BASE}/{c.customer_no}", '{"name": "x"}', content_type="text/plain")
        assert (r.status_code, r.json()["code"]) == (415, "unsupported_media_type")
        c.refresh_from_db()
        assert c.name != "x"

    def test_agent_may_read_but_not_edit(self):
        agent = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-XH"))
        c = f.customer(region_code="SH-XH", name="原名")
        r = self._patch(agent, c, {"name": "改名"})
        assert (r.status_code, r.json()["code"]) == (403, "forbidden")
        c.refresh_from_db()
        assert c.name == "原名"

    def test_out_of_scope_is_404(self):
        am = f.user(Role.ACCOUNT_MANAGER)
        other = f.customer(kind="enterprise")
        r = self._patch(token_client(am), other, {"name": "改名"})
        assert r.status_code == 404

    def test_set_parent_enterprise(self, admin):
        group = f.customer(kind="enterprise")
        child = f.customer(kind="enterprise")
        self._patch(admin, child, {"characteristic": [
            {"name": "parentCustomer", "value": group.customer_no}]})
        child.refresh_from_db()
        assert child.parent == group


class TestNoDelete:
    def test_delete_is_405_with_allow_and_keeps_the_customer(self, admin):
        c = f.customer()
        r = admin.delete(f"{BASE}/{c.customer_no}")
        assert r.status_code == 405
        assert r["Allow"] == "GET, PATCH"
        assert r.json()["code"] == "method_not_allowed"
        assert Customer.objects.filter(pk=c.pk).exists()
