"""Each validation rule rejects its row with the line, the column and the rule named."""

from __future__ import annotations

import csv

import pytest

from telcrm.core.errors import ValidationFailed
from telcrm.customers.models import Customer
from telcrm.ingest.pipeline import ImportRejected, import_file
from tests.ingest.helpers import BASE, actor, load, variant

PREREQUISITES = {
    "plans": (), "customers": ("plans",), "contacts": ("plans", "customers"),
    "accounts": ("plans", "customers"), "subscriptions": ("plans", "customers", "accounts"),
    "services": ("plans", "customers"), "bills": BASE, "usage": BASE, "payments": BASE,
    "interactions": BASE,
}

LONG_NAME = "长" * 121

# kind, data row (0-based; its line is row + 2), changed cells, column, words of the rule
CASES = [
    ("plans", 1, {"brand": "globe"}, "brand", "must be one of easyown, gotone, mzone"),
    ("plans", 0, {"monthly_fee": "-1.00"}, "monthly_fee", "must not be negative"),
    ("customers", 0, {"id_number": "310115198503121016"}, "id_number",
     "check character does not match (GB 11643"),
    ("customers", 1, {"id_number": "31010420010230202X"}, "id_number",
     "digits 7-14 must be a real birth date (GB 11643)"),
    ("customers", 1, {"id_number": ""}, "id_number", "is required for an individual"),
    ("customers", 3, {"credit_code": "91310115MA1FL3K21B"}, "credit_code",
     "check character does not match (GB 32100"),
    ("customers", 3, {"credit_code": "91310115MA1FL3KI1A"}, "credit_code",
     "must be 18 characters of digits and capitals"),
    ("customers", 0, {"region": "SH-XX"}, "region", "no such region code"),
    ("customers", 0, {"kind": "person"}, "kind", "must be one of enterprise, individual"),
    ("customers", 0, {"gender": "X"}, "gender", "must be one of F, M"),
    ("customers", 0, {"since": "2024-02-30"}, "since", "must be a real date YYYY-MM-DD"),
    ("customers", 0, {"birth_date": "12/03/1985"}, "birth_date", "must be a real date YYYY-MM-DD"),
    ("customers", 1, {"customer_no": ""}, "customer_no", "is required"),
    ("customers", 1, {"name": LONG_NAME}, "name", "must be at most 120 characters"),
    ("customers", 0, {"email": "zhangwei.example.com"}, "email", "must be an email address"),
    ("customers", 3, {"parent_customer_no": "C999999999"}, "parent_customer_no", "no such customer"),
    ("customers", 3, {"parent_customer_no": "C000000001"}, "parent_customer_no",
     "the parent must be an enterprise"),
    ("customers", 3, {"account_manager": "nobody"}, "account_manager", "no such user name"),
    ("customers", 3, {"customer_no": "C000000003", "parent_customer_no": ""}, "customer_no",
     "appears again (first on line 4)"),
    ("contacts", 0, {"phone": "10012345678"}, "phone", "prefix is not allocated"),
    ("contacts", 1, {"phone": "1861234567"}, "phone", "must be 11 digits starting with 1"),
    ("contacts", 0, {"customer_no": "C000000001"}, "customer_no",
     "contacts belong to enterprise customers"),
    ("contacts", 1, {"decision_power": "boss"}, "decision_power", "must be one of decision_maker"),
    ("accounts", 0, {"customer_no": "C999999999"}, "customer_no", "no such customer"),
    ("accounts", 0, {"credit_class": "Z"}, "credit_class", "must be one of A, B, C, D"),
    ("accounts", 1, {"credit_limit": "12.345"}, "credit_limit", "must be an amount in yuan with at most two decimals"),
    ("accounts", 1, {"credit_limit": "-5"}, "credit_limit", "must not be negative"),
    ("accounts", 2, {"payment_method": "cheque"}, "payment_method", "must be one of bank_debit"),
    ("subscriptions", 0, {"msisdn": "23800000001"}, "msisdn", "must be 11 digits starting with 1"),
    ("subscriptions", 0, {"plan": "GT999"}, "plan", "no such plan code"),
    ("subscriptions", 0, {"account_no": "A000000002"}, "account_no",
     "the account belongs to another customer"),
    ("subscriptions", 1, {"brand": "gotone"}, "brand", "differs from the plan's brand"),
    ("subscriptions", 2, {"status": "paused"}, "status", "must be one of active, closed, suspended"),
    ("subscriptions", 2, {"status_date": "2015-01-01"}, "status_date", "is before activated_on"),
    ("subscriptions", 1, {"msisdn": "13800000001"}, "msisdn",
     "already held by the open line on line 2"),
    ("subscriptions", 1, {"activated_on": ""}, "activated_on", "is required"),
    ("services", 0, {"bandwidth_kbps": "fast"}, "bandwidth_kbps", "must be a whole number"),
    ("services", 0, {"bandwidth_kbps": "0"}, "bandwidth_kbps", "must be positive"),
    ("services", 0, {"kind": "sdwan"}, "kind", "must be one of ddn, digital, fr_atm, internet"),
    ("bills", 4, {"msisdn": "13900000009"}, "msisdn", "no such line with this phone number"),
    ("bills", 5, {"month": "2024-13"}, "month", "must be a month YYYY-MM"),
    ("bills", 6, {"total": "116.51"}, "total", "is not the sum of plan_fee"),
    ("bills", 7, {"voice": "abc"}, "voice", "must be an amount in yuan"),
    ("usage", 2, {"voice_minutes": "-3"}, "voice_minutes", "must not be negative"),
    ("usage", 3, {"data_mb": "3.5"}, "data_mb", "must be a whole number"),
    ("payments", 0, {"paid_at": "2024-02-05 10:00:00"}, "paid_at", "must be an ISO 8601 time with its UTC offset"),
    ("payments", 1, {"method": "bitcoin"}, "method", "must be one of bank_debit"),
    ("payments", 2, {"account_no": "A999999999"}, "account_no", "no such account"),
    ("payments", 3, {"amount": ""}, "amount", "is required"),
    ("interactions", 0, {"msisdn": "13800000002"}, "msisdn", "the line belongs to another customer"),
    ("interactions", 1, {"channel": "pigeon"}, "channel", "must be one of app, business_hall"),
    ("interactions", 1, {"occurred_at": "yesterday"}, "occurred_at", "must be an ISO 8601 time"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "row", "change", "column", "rule"), CASES,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_rule_rejects_row_with_line_field_and_rule(tmp_path, kind, row, change, column, rule):
    load(*PREREQUISITES[kind])
    path = variant(tmp_path, kind, {row: change})
    with pytest.raises(ImportRejected) as raised:
        import_file(actor(), kind=kind, path=path, progress=False)
    line = row + 2
    assert f"line {line}: {column} {rule}" in raised.value.message
    with (tmp_path / f"{kind}.csv.rejects.csv").open(encoding="utf-8") as f:
        rejects = list(csv.DictReader(f))
    assert [(r["line"], r["field"]) for r in rejects] == [(str(line), column)]
    assert rule in rejects[0]["reason"]


@pytest.mark.django_db
class TestEnterpriseHierarchy:
    def test_parent_on_a_later_line_is_rejected(self, tmp_path):
        load("plans")
        path = variant(tmp_path, "customers", {
            2: {"customer_no": "C000000004", "parent_customer_no": "C000000003"},
            3: {"customer_no": "C000000003", "parent_customer_no": ""},
        })
        with pytest.raises(ImportRejected) as raised:
            import_file(actor(), kind="customers", path=path, progress=False)
        assert "line 4: parent_customer_no no such customer in the database or on an earlier line" \
            in raised.value.message

    def test_a_rejected_row_cannot_be_a_later_rows_parent(self, tmp_path):
        load("plans")
        path = variant(tmp_path, "customers", {2: {"credit_code": "91310106MA1FL3K207"}})
        with pytest.raises(ImportRejected) as raised:
            import_file(actor(), kind="customers", path=path, progress=False)
        assert "line 5: parent_customer_no no such customer" in raised.value.message

    def test_parent_already_in_the_database_is_accepted(self, tmp_path):
        load("plans", "customers")
        path = variant(tmp_path, "customers", {0: {"customer_no": "C000000009", "kind": "enterprise",
                                                   "id_number": "", "credit_code": "91310115MA1FL3K21A",
                                                   "parent_customer_no": "C000000003"}})
        import_file(actor(), kind="customers", path=path, progress=False)
        assert Customer.objects.get(customer_no="C000000009").parent.customer_no == "C000000003"


@pytest.mark.django_db
def test_missing_required_column_refuses_the_file(tmp_path):
    load("plans")
    (tmp_path / "plans.csv").write_text("code,name\nGT1,x\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match=r"missing required column.*brand, monthly_fee"):
        import_file(actor(), kind="plans", path=tmp_path / "plans.csv", progress=False)
