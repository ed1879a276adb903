"""Importing files: formats, rejects, partial imports, idempotence, updates and balances."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from telcrm.billing.models import BillSummary, Payment, UsageSummary
from telcrm.billing.services import account_position
from telcrm.core.masking import mask_address
from telcrm.core.models import AuditAction, AuditEntry, FieldChange
from telcrm.core.validators import uscc_check_char
from telcrm.customers.models import Account, Contact, Customer, Interaction, Subscription
from telcrm.ingest.kinds import KIND_ORDER, SPECS
from telcrm.ingest.pipeline import ImportRejected, import_file
from tests.ingest.helpers import BASE, OPERATOR, actor, load, read_rows, variant, write_csv

pytestmark = pytest.mark.django_db

COUNTED = {
    Customer: 4, Contact: 2, Account: 3, Subscription: 3, BillSummary: 9, UsageSummary: 9,
    Payment: 5, Interaction: 2,
}


def _counts() -> dict:
    return {model: model.objects.count() for model in COUNTED}


def _to_parquet(kind: str, dest) -> None:  # type: ignore[no-untyped-def]
    """The fixture CSV as the simulator's Parquet, in the schema's Arrow types."""
    schema = SPECS[kind].schema
    table = pacsv.read_csv(OPERATOR / f"{kind}.csv", convert_options=pacsv.ConvertOptions(
        column_types={f.name: pa.string() for f in schema}, strings_can_be_null=True))
    arrays = []
    for f in schema:
        col = table.column(f.name)
        if pa.types.is_timestamp(f.type):
            col = col.cast(pa.timestamp("s", tz="UTC")).cast(f.type)
        arrays.append(col.cast(f.type))
    pq.write_table(pa.table(arrays, schema=schema), dest)


class TestFormats:
    def test_gb18030_csv_is_detected_and_read(self, tmp_path):
        load("plans")
        header, rows = read_rows("customers")
        path = write_csv(tmp_path / "customers.csv", header, rows, encoding="gb18030")
        with pytest.raises(UnicodeDecodeError):
            path.read_text(encoding="utf-8")
        result = import_file(actor(), kind="customers", path=path, progress=False)
        assert result.encoding == "gb18030"
        assert Customer.objects.get(customer_no="C000000003").name == "上海远景科技有限公司"
        assert Customer.objects.get(customer_no="C000000001").address == "上海市浦东新区世纪大道100号"

    def test_encoding_can_be_named(self, tmp_path):
        load("plans")
        header, rows = read_rows("customers")
        path = write_csv(tmp_path / "customers.csv", header, rows, encoding="gb18030")
        result = import_file(actor(), kind="customers", path=path, encoding="gb18030", progress=False)
        assert result.written == 4

    def test_parquet_imports_the_same_as_csv(self, tmp_path):
        for kind in KIND_ORDER:
            if kind == "plans":
                load("plans")
                continue
            _to_parquet(kind, tmp_path / f"{kind}.parquet")
            import_file(actor(), kind=kind, path=tmp_path / f"{kind}.parquet", progress=False)
        assert _counts() == COUNTED
        assert Payment.objects.get(payment_no="P000000001").paid_at == dt.datetime(
            2024, 2, 5, 2, 0, tzinfo=dt.UTC)
        assert BillSummary.objects.get(subscription__msisdn="13800000003",
                                       month=dt.date(2024, 2, 1)).total == Decimal("165.00")

    def test_parquet_errors_name_the_row_number(self, tmp_path):
        load(*BASE)
        _to_parquet("bills", tmp_path / "bills.parquet")
        table = pq.read_table(tmp_path / "bills.parquet")
        msisdn = table.column("msisdn").to_pylist()
        msisdn[6] = "13900000009"
        table = table.set_column(0, "msisdn", pa.array(msisdn))
        pq.write_table(table, tmp_path / "bills.parquet")
        with pytest.raises(ImportRejected, match="line 7: msisdn no such line"):
            import_file(actor(), kind="bills", path=tmp_path / "bills.parquet", progress=False)


class TestRejects:
    def test_reject_file_has_line_field_reason_and_the_raw_row(self, tmp_path):
        load(*BASE)
        path = variant(tmp_path, "bills", {2: {"month": "2024/03"}, 4: {"total": "x", "voice": "y"}})
        with pytest.raises(ImportRejected, match="2 of 9 rows rejected \\(3 errors\\)"):
            import_file(actor(), kind="bills", path=path, progress=False)
        with (tmp_path / "bills.csv.rejects.csv").open(encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["line", "field", "reason", *SPECS["bills"].schema.names]
        assert rows[1][:3] == ["4", "month", "must be a month YYYY-MM"]
        assert rows[1][3:] == ["13800000003", "2024/03", "88.00", "40.00", "10.00", "2.00", "0.00",
                               "30.00", "-5.00", "165.00"]
        assert sorted((r[0], r[1]) for r in rows[2:]) == [("6", "total"), ("6", "voice")]

    def test_file_with_a_rejected_row_commits_nothing(self, tmp_path):
        load(*BASE)
        before = (_counts(), AuditEntry.objects.count())
        path = variant(tmp_path, "bills", {8: {"msisdn": "13900000009"}})
        with pytest.raises(ImportRejected, match="nothing was imported"):
            import_file(actor(), kind="bills", path=path, progress=False)
        assert (_counts(), AuditEntry.objects.count()) == before

    def test_allow_partial_commits_the_good_rows(self, tmp_path):
        load(*BASE)
        path = variant(tmp_path, "bills", {8: {"msisdn": "13900000009"}})
        reject_file = tmp_path / "out" / "bad.csv"
        reject_file.parent.mkdir()
        result = import_file(actor(), kind="bills", path=path, allow_partial=True,
                             reject_path=reject_file, progress=False)
        assert (result.rows, result.rejected_rows, result.written) == (9, 1, 8)
        assert BillSummary.objects.count() == 8
        assert reject_file.read_text(encoding="utf-8").splitlines()[1].startswith("10,msisdn,")
        entry = AuditEntry.objects.get(action=AuditAction.IMPORT, subject_id="bills")
        assert entry.detail["rejected"] == 1 and entry.detail["written"] == 8

    def test_stale_reject_file_is_removed_when_the_file_is_clean(self, tmp_path):
        load(*BASE)
        path = variant(tmp_path, "bills", {})
        (tmp_path / "bills.csv.rejects.csv").write_text("old", encoding="utf-8")
        import_file(actor(), kind="bills", path=path, progress=False)
        assert not (tmp_path / "bills.csv.rejects.csv").exists()


class TestIdempotence:
    def test_reimporting_every_file_adds_nothing_twice(self):
        load(*KIND_ORDER)
        first = _counts()
        load(*KIND_ORDER)
        assert _counts() == first == COUNTED

    def test_a_corrected_bill_replaces_the_month(self, tmp_path):
        load(*BASE, "bills")
        path = variant(tmp_path, "bills", {0: {"voice": "22.50", "total": "126.50"}})
        import_file(actor(), kind="bills", path=path, progress=False)
        assert BillSummary.objects.count() == 9
        bill = BillSummary.objects.get(subscription__msisdn="13800000001", month=dt.date(2024, 1, 1))
        assert (bill.voice, bill.total) == (Decimal("22.50"), Decimal("126.50"))


class TestCustomerUpdates:
    def test_changed_fields_are_recorded_with_masked_personal_data(self, tmp_path):
        load("plans", "customers")
        path = variant(tmp_path, "customers", {0: {"address": "上海市浦东新区张杨路500号", "segment": "family"}})
        import_file(actor(), kind="customers", path=path, progress=False)
        customer = Customer.objects.get(customer_no="C000000001")
        assert (customer.address, customer.segment, customer.version) == (
            "上海市浦东新区张杨路500号", "family", 2)
        changes = {c.field: c for c in FieldChange.objects.filter(subject_id="C000000001")}
        assert set(changes) == {"address", "segment"}
        assert changes["address"].old_value == mask_address("上海市浦东新区世纪大道100号")
        assert changes["address"].new_value == mask_address("上海市浦东新区张杨路500号")
        assert "世纪大道" not in changes["address"].old_value
        assert (changes["segment"].old_value, changes["segment"].new_value) == ("mass", "family")
        assert {c.source for c in changes.values()} == {"import"}

    def test_blank_cell_keeps_the_value_and_unchanged_rows_record_nothing(self, tmp_path):
        load("plans", "customers")
        path = variant(tmp_path, "customers", {0: {"email": ""}})
        import_file(actor(), kind="customers", path=path, progress=False)
        assert Customer.objects.get(customer_no="C000000001").email == "zhangwei@example.com"
        assert not FieldChange.objects.exists()

    def test_parent_change_is_recorded(self, tmp_path):
        load("plans", "customers")
        header, rows = read_rows("customers")
        group = {"customer_no": "C000000005", "kind": "enterprise", "name": "上海新集团", "region": "SH-HP",
                 "credit_code": "91310101MA1FL3K20" + uscc_check_char("91310101MA1FL3K20"),
                 "size": "group"}
        rows[3]["parent_customer_no"] = "C000000005"
        path = write_csv(tmp_path / "customers.csv", header, [group, *rows])
        import_file(actor(), kind="customers", path=path, progress=False)
        assert Customer.objects.get(customer_no="C000000004").parent.customer_no == "C000000005"
        change = FieldChange.objects.get(subject_id="C000000004")
        assert (change.field, change.old_value, change.new_value) == ("parent", "C000000003", "C000000005")


class TestSubscriptions:
    def test_status_change_updates_the_line(self, tmp_path):
        load(*BASE)
        path = variant(tmp_path, "subscriptions", {2: {"status": "closed", "status_date": "2024-06-30",
                                                       "status_reason": "churn"}})
        import_file(actor(), kind="subscriptions", path=path, progress=False)
        line = Subscription.objects.get(msisdn="13800000003")
        assert (line.status, line.status_reason) == ("closed", "churn")
        assert Subscription.objects.count() == 3

    def test_number_reused_after_closing_and_bills_follow_the_month(self, tmp_path):
        load(*BASE)
        new_line = {"msisdn": "13800000003", "customer_no": "C000000002", "account_no": "A000000002",
                    "payment_type": "prepaid", "brand": "mzone", "plan": "MZ38", "status": "active",
                    "status_date": "2024-05-01", "activated_on": "2024-05-01", "region": "SH-XH"}
        header, _ = read_rows("subscriptions")
        only_new = write_csv(tmp_path / "new.csv", header, [new_line])
        with pytest.raises(ImportRejected, match="already held by an open line activated on 2016-02-01"):
            import_file(actor(), kind="subscriptions", path=only_new, progress=False)
        both_open = variant(tmp_path, "subscriptions", {}, extra=[new_line])
        with pytest.raises(ImportRejected, match="line 5: msisdn already held by the open line on line 4"):
            import_file(actor(), kind="subscriptions", path=both_open, progress=False)
        closed = variant(tmp_path, "subscriptions", {2: {"status": "closed", "status_date": "2024-04-30"}},
                         extra=[new_line])
        import_file(actor(), kind="subscriptions", path=closed, progress=False)
        bills = write_csv(tmp_path / "bills.csv", read_rows("bills")[0], [
            {"msisdn": "13800000003", "month": m, "plan_fee": "38.00", "voice": "0", "data": "0",
             "sms": "0", "vas": "0", "roaming": "0", "discount": "0", "total": "38.00"}
            for m in ("2024-04", "2024-05")])
        import_file(actor(), kind="bills", path=bills, progress=False)
        owners = dict(BillSummary.objects.values_list("month", "subscription__customer__customer_no"))
        assert owners == {dt.date(2024, 4, 1): "C000000003", dt.date(2024, 5, 1): "C000000002"}


class TestBalances:
    def test_balance_and_arrears_after_bills_and_payments(self):
        load(*KIND_ORDER)
        accounts = {a.account_no: (a.balance, a.arrears_since) for a in Account.objects.all()}
        assert accounts["A000000001"] == (Decimal("0.00"), None)
        # prepaid lines' usage is not a debt: the top-up is the balance
        assert accounts["A000000002"] == (Decimal("100.00"), None)
        # 3 x 165.00 billed (January's bill due 1 February), 100.00 paid on 20 February
        assert accounts["A000000003"] == (Decimal("-395.00"), dt.date(2024, 2, 1))

    def test_payments_before_bills_on_the_same_day_avoid_arrears(self):
        day = dt.date(2024, 3, 1)
        assert account_position([(day, Decimal("-10")), (day, Decimal("10"))]) == (Decimal("0"), None)

    def test_arrears_start_when_the_balance_last_went_negative(self):
        events = [(dt.date(2024, 2, 1), Decimal("-50")), (dt.date(2024, 2, 5), Decimal("50")),
                  (dt.date(2024, 3, 1), Decimal("-60")), (dt.date(2024, 3, 9), Decimal("10"))]
        assert account_position(events) == (Decimal("-50"), dt.date(2024, 3, 1))


def test_each_committed_file_is_audited_with_row_counts():
    load(*KIND_ORDER)
    entries = AuditEntry.objects.filter(action=AuditAction.IMPORT)
    assert {e.detail["kind"]: e.detail["rows"] for e in entries} == {
        "plans": 3, "customers": 4, "contacts": 2, "accounts": 3, "subscriptions": 3, "services": 1,
        "bills": 9, "usage": 9, "payments": 5, "interactions": 2}
    assert {e.actor.username for e in entries} == {"import"}
