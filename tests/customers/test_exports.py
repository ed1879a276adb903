import csv
import io
import tracemalloc

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.models import AuditAction, AuditEntry
from telcrm.core.roles import Role
from telcrm.customers import exports
from telcrm.customers.exports import export_customers, export_rows
from telcrm.customers.models import Customer, CustomerKind
from tests import factories as f

pytestmark = pytest.mark.django_db


def read_csv(stream):
    data = b"".join(stream.chunks)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def read_xlsx(stream):
    book = load_workbook(io.BytesIO(b"".join(stream.chunks)), read_only=True)
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


class TestCustomerCsv:
    def test_bom_header_and_masked_personal_data(self):
        c = f.customer(name="李四", address="上海市徐汇区漕溪北路88号",
                       id_number=f.valid_id_number(serial=21))
        f.subscription(c, msisdn="13812345678")
        f.subscription(c, msisdn="13912345678", status="closed")
        with translation.override("en"):
            stream = export_customers(f.user(Role.ANALYST))
        header, row = read_csv(stream)
        assert header[:3] == ["customer number", "kind", "name"] and header[6] == "phone numbers"
        assert row[0] == c.customer_no and row[2] == "李四"
        assert row[6] == "138****5678"  # open lines only, masked
        assert row[7] == c.id_number[:4] + "*" * 10 + c.id_number[-4:]
        assert row[8] == "上海市徐****"
        text = ",".join(row)
        assert "13812345678" not in text and c.id_number not in text and "88号" not in text

    def test_filename_and_content_type(self):
        stream = export_customers(f.user(Role.ANALYST), fmt="csv")
        assert stream.filename.startswith("customers-") and stream.filename.endswith(".csv")
        assert stream.content_type == "text/csv; charset=utf-8"

    def test_formula_like_names_are_neutralised(self):
        f.customer(name="=HYPERLINK(\"http://x\")")
        rows = export_rows(f.user(Role.ANALYST), title="t", columns=["a", "b"],
                           rows=[["=1+2", -5], ["@SUM(A1)", "ok"]], fmt="csv")
        assert read_csv(rows)[1:] == [["'=1+2", "-5"], ["'@SUM(A1)", "ok"]]
        _header, row = read_csv(export_customers(f.user(Role.ANALYST)))
        assert row[2].startswith("'=")


class TestScope:
    def test_account_manager_exports_own_enterprises_only(self):
        am = f.user(Role.ACCOUNT_MANAGER)
        mine = f.customer(kind=CustomerKind.ENTERPRISE, account_manager=am)
        f.customer(kind=CustomerKind.ENTERPRISE, account_manager=f.user(Role.ACCOUNT_MANAGER))
        f.customer()
        rows = read_csv(export_customers(am))[1:]
        assert [r[0] for r in rows] == [mine.customer_no]

    def test_queryset_cannot_widen_the_scope(self):
        am = f.user(Role.ACCOUNT_MANAGER)
        mine = f.customer(kind=CustomerKind.ENTERPRISE, account_manager=am)
        f.customer(kind=CustomerKind.ENTERPRISE)
        rows = read_csv(export_customers(am, queryset=Customer.objects.all()))[1:]
        assert [r[0] for r in rows] == [mine.customer_no]

    def test_queryset_narrows(self):
        a = f.customer(region_code="SH-PD")
        f.customer(region_code="SH-XH")
        rows = read_csv(export_customers(f.user(Role.ANALYST),
                                         queryset=Customer.objects.filter(region__code="SH-PD")))
        assert [r[0] for r in rows[1:]] == [a.customer_no]

    def test_merged_records_are_not_exported(self):
        keep = f.customer()
        f.customer(status="merged", merged_into=keep)
        assert [r[0] for r in read_csv(export_customers(f.user(Role.ANALYST)))[1:]] == [
            keep.customer_no]

    @pytest.mark.parametrize("role", [Role.SERVICE_AGENT, Role.AUDITOR])
    def test_roles_without_export_permission_are_refused_before_streaming(self, role):
        with pytest.raises(PermissionDenied):
            export_customers(f.user(role, region_code="SH-XH"))
        assert not AuditEntry.objects.exists()

    def test_unknown_format(self):
        with pytest.raises(ValidationFailed, match=r"^fmt:"):
            export_customers(f.user(Role.ANALYST), fmt="pdf")


class TestAudit:
    def test_entry_written_when_stream_finishes_with_row_count(self):
        for _ in range(3):
            f.customer()
        analyst = f.user(Role.ANALYST)
        stream = export_customers(analyst, reason="季度分析", description="region SH-XH")
        assert not AuditEntry.objects.exists()
        b"".join(stream.chunks)
        entry = AuditEntry.objects.get(action=AuditAction.EXPORT)
        assert (entry.actor, entry.reason, entry.subject_type) == (analyst, "季度分析", "customers")
        assert entry.detail == {"rows": 3, "format": "csv", "filter": "region SH-XH",
                                "complete": True}

    def test_interrupted_download_is_audited_as_incomplete(self):
        stream = export_rows(f.user(Role.ANALYST), title="big", columns=["n"],
                             rows=([i] for i in range(10 * exports.CHUNK_ROWS)), fmt="csv")
        next(stream.chunks)
        stream.chunks.close()
        detail = AuditEntry.objects.get().detail
        assert detail["complete"] is False and 0 < detail["rows"] < 10 * exports.CHUNK_ROWS

    def test_long_list_titles_fit_the_audit_log(self):
        title = "enterprise customers with circuits expiring this quarter in Pudong"
        stream = export_rows(f.user(Role.ANALYST), title=title, columns=["n"], rows=[[1]], fmt="csv")
        b"".join(stream.chunks)
        entry = AuditEntry.objects.get()
        entry.refresh_from_db()
        assert entry.subject_type == title[:40]

    def test_phone_numbers_in_the_filter_are_masked(self):
        stream = export_customers(f.user(Role.ANALYST),
                                  queryset=Customer.objects.filter(subscriptions__msisdn="13812345678"))
        b"".join(stream.chunks)
        assert "13812345678" not in str(AuditEntry.objects.get().detail)


class TestXlsx:
    def test_rows_readable_by_openpyxl(self):
        c = f.customer(name="王五")
        book = read_xlsx(export_customers(f.user(Role.ANALYST), fmt="xlsx"))
        (rows,) = book.values()
        assert rows[1][0] == c.customer_no and rows[1][2] == "王五" and len(rows) == 2
        assert AuditEntry.objects.get().detail["format"] == "xlsx"

    def test_long_exports_continue_on_a_new_sheet(self, monkeypatch):
        monkeypatch.setattr(exports, "XLSX_SHEET_ROWS", 3)
        book = read_xlsx(export_rows(f.user(Role.ANALYST), title="lines", columns=["n"],
                                     rows=([i] for i in range(7)), fmt="xlsx"))
        assert list(book) == ["lines", "lines (2)", "lines (3)"]
        assert [r[0] for rows in book.values() for r in rows if r[0] != "n"] == list(range(7))


class TestStreaming:
    def test_customers_are_read_in_chunks(self, monkeypatch):
        monkeypatch.setattr(exports, "CHUNK_ROWS", 10)
        Customer.objects.bulk_create([
            Customer(customer_no=f"B{i:05d}", kind="individual", name=f"n{i}", region=f.region())
            for i in range(25)])
        stream = export_customers(f.user(Role.ANALYST))
        with CaptureQueriesContext(connection) as ctx:
            assert len(read_csv(stream)) == 26
        line_queries = [q for q in ctx.captured_queries if "customers_subscription" in q["sql"]]
        assert len(line_queries) == 3  # one per chunk of 10, never one for the whole list

    def test_memory_stays_flat_for_a_large_generic_export(self):
        rows = ([i, "上海市徐汇区", "x" * 40] for i in range(200_000))
        stream = export_rows(f.user(Role.ANALYST), title="big", columns=["n", "a", "b"],
                             rows=rows, fmt="csv")
        tracemalloc.start()
        total = sum(len(chunk) for chunk in stream.chunks)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert total > 10_000_000 and peak < 3_000_000
