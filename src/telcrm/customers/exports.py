"""Exports of any list to CSV or Excel, streamed, masked and audited (issue 2, "exports").

- Streamed: rows are read with ``QuerySet.iterator(chunk_size=...)`` and written out
  chunk by chunk, so a million-row export never sits in memory (the web view hands
  ``ExportStream.chunks`` to a ``StreamingHttpResponse``).
- Masked: phone numbers, ID numbers and addresses leave the system masked for every
  role. Seeing a full value is a per-field reveal with a stated reason
  (``services.reveal_field``), never a bulk download (domain.md section 1).
- Audited: one ``AuditEntry(action=export)`` per export, with the row count, written
  when the stream ends, also when the download is interrupted (``complete`` false).
- Safe to open: a cell starting with ``=``, ``+``, ``-`` or ``@`` is prefixed with an
  apostrophe so Excel never runs a customer-supplied name as a formula (CSV injection).
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.masking import mask_address, mask_id_number, mask_phone, mask_text
from telcrm.core.models import AuditAction, AuditEntry
from telcrm.customers.history import customer_field
from telcrm.customers.models import Customer, Subscription, SubscriptionStatus
from telcrm.customers.policy import visible_customers

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_ROWS = 2000
FILE_CHUNK_BYTES = 256 * 1024
#: Excel's sheet limit is 1,048,576 rows including the header; longer exports go on.
XLSX_SHEET_ROWS = 1_048_575
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ExportStream:
    filename: str
    content_type: str
    chunks: Iterator[bytes]


def _safe(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_chunks(columns: list[str], rows: Iterable[Sequence[object]]) -> Generator[bytes, None, None]:
    """UTF-8 with a byte-order mark: without it Excel reads Chinese as mojibake (GBK)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(columns)
    for n, row in enumerate(rows, 1):
        writer.writerow([_safe(v) for v in row])
        if n % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _sheet_title(title: str, part: int) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:25] or "export"
    return base if part == 1 else f"{base} ({part})"


def _xlsx_chunks(
    title: str, columns: list[str], rows: Iterable[Sequence[object]]
) -> Generator[bytes, None, None]:
    """openpyxl's write-only mode streams rows to disk; the finished file is then read back
    in blocks, so neither the rows nor the workbook are ever held in memory whole."""
    workbook = Workbook(write_only=True)
    part, in_sheet = 1, 0
    sheet = workbook.create_sheet(_sheet_title(title, part))
    sheet.append(columns)
    for row in rows:
        if in_sheet == XLSX_SHEET_ROWS:
            part, in_sheet = part + 1, 0
            sheet = workbook.create_sheet(_sheet_title(title, part))
            sheet.append(columns)
        sheet.append([_safe(v) for v in row])
        in_sheet += 1
    fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="telcrm-export-")
    os.close(fd)
    try:
        workbook.save(path)
        with open(path, "rb") as fh:
            while block := fh.read(FILE_CHUNK_BYTES):
                yield block
    finally:
        os.unlink(path)


class _Counted:
    """Counts the rows as the writer pulls them, for the audit entry."""

    def __init__(self, rows: Iterable[Sequence[object]]):
        self._rows = iter(rows)
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[object]]:
        for row in self._rows:
            self.count += 1
            yield row


def _audited(actor: User, chunks: Generator[bytes, None, None], rows: _Counted, *, title: str, fmt: str,
             reason: str, description: str) -> Iterator[bytes]:
    """Record the export when the stream ends: finished, failed, or closed by a client that
    went away (then ``complete`` is false and ``rows`` says how many were written)."""
    complete = False
    try:
        yield from chunks
        complete = True
    finally:
        chunks.close()
        AuditEntry.objects.create(
            actor=actor, action=AuditAction.EXPORT, subject_type=title[:40], reason=reason,
            detail={"rows": rows.count, "format": fmt, "filter": description, "complete": complete},
        )


def export_rows(
    actor: User,
    *,
    title: str,
    columns: list[str],
    rows: Iterable[Sequence[object]],
    fmt: str,
    reason: str = "",
    description: str = "",
) -> ExportStream:
    """Export any list the caller has already scoped and masked for the actor.

    The permission is checked now, not when the first chunk is pulled, so a view can turn
    a refusal into a 403 before it starts a streaming response.
    """
    if not actor.is_authenticated or not actor.has_perm("core.export_data"):
        raise PermissionDenied("your role may not export data")
    if fmt not in FORMATS:
        raise ValidationFailed(f"fmt: unknown export format {fmt!r} (csv or xlsx)")
    counted = _Counted(rows)
    written = _csv_chunks(columns, counted) if fmt == "csv" else _xlsx_chunks(title, columns, counted)
    chunks = _audited(actor, written, counted, title=title, fmt=fmt, reason=(reason or "").strip(),
                      description=mask_text(description)[:500])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^\w-]+", "-", title).strip("-") or "export"
    return ExportStream(filename=f"{slug}-{stamp}.{fmt}", content_type=FORMATS[fmt], chunks=chunks)


CUSTOMER_COLUMNS = ["customer_no", "kind", "name", "status", "region", "segment", "phone numbers",
                    "id_number", "address", "credit_code", "industry", "account_manager", "since"]


def _labels(field: str) -> dict[str, str]:
    """Choice labels resolved once per export: ``get_FOO_display`` per row costs more than
    reading the row (it re-resolves the lazy translation every time)."""
    return {key: str(label) for key, label in customer_field(field).choices or ()}


def _customer_rows(customers: QuerySet[Customer]) -> Iterator[list[object]]:
    """Rows as plain tuples, a chunk at a time, with the open lines of that chunk fetched
    in one query (never one per customer, never all at once)."""
    kinds, statuses, segments, industries = (
        _labels(f) for f in ("kind", "status", "segment", "industry"))
    rows = customers.order_by("customer_no").values_list(
        "id", "customer_no", "kind", "name", "status", "region__name", "segment", "id_number",
        "address", "credit_code", "industry", "account_manager__username", "since",
    ).iterator(chunk_size=CHUNK_ROWS)
    while chunk := list(itertools.islice(rows, CHUNK_ROWS)):
        phones: dict[int, list[str]] = defaultdict(list)
        open_lines = (Subscription.objects.exclude(status=SubscriptionStatus.CLOSED)
                      .filter(customer_id__in=[r[0] for r in chunk]).order_by("msisdn"))
        for customer_id, msisdn in open_lines.values_list("customer_id", "msisdn"):
            phones[customer_id].append(mask_phone(msisdn))
        for (pk, no, kind, name, status, region, segment, id_number, address, credit_code,
             industry, manager, since) in chunk:
            yield [no, kinds.get(kind, kind), name, statuses.get(status, status), region,
                   segments.get(segment, segment), " ".join(phones[pk]), mask_id_number(id_number),
                   mask_address(address), credit_code, industries.get(industry, industry),
                   manager or "", since]


def export_customers(
    actor: User,
    *,
    queryset: QuerySet[Customer] | None = None,
    fmt: str = "csv",
    reason: str = "",
    description: str = "",
) -> ExportStream:
    """Export customers within the actor's scope: ``queryset`` (a search or list filter)
    is intersected with ``visible_customers``, so no filter widens what a role sees.

    ``description`` says which list was exported (for the audit entry); by default the
    query's conditions are recorded, with any phone or ID number in them masked.
    """
    customers = visible_customers(actor)
    if queryset is not None:
        customers = customers.filter(pk__in=queryset.values("pk"))
        description = description or str(queryset.query.where)
    headers = [_header(c) for c in CUSTOMER_COLUMNS]
    return export_rows(actor, title="customers", columns=headers, rows=_customer_rows(customers),
                       fmt=fmt, reason=reason, description=description or "all visible customers")


def _header(column: str) -> str:
    if column == "phone numbers":
        return _("phone numbers")
    return str(customer_field(column).verbose_name)
