"""Complaint verification: before a complaint is answered the agent checks it against the
line's records (bills, usage, SP services and charges, suspensions with their cause,
promotions with what ended them) and attaches what it checked as evidence; the answer may
correct the records (an SP service cancelled, a discount restored). domain.md section 5,
China Mobile's three cases."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User as StaffUser
from django.core.files.base import ContentFile
from django.utils import timezone

from telcrm.billing.records import LineRecords, cancel_sp_subscription, line_records, restore_promotion
from telcrm.core.errors import NotFound, ValidationFailed

from .models import Evidence, EvidenceKind, NoteKind, Ticket, TicketNote
from .services import User, require, require_work

#: Which part of a line's records each evidence kind snapshots.
SECTIONS = {EvidenceKind.BILL: "bills", EvidenceKind.USAGE: "usage",
            EvidenceKind.SP_SUBSCRIPTION: "sp_services", EvidenceKind.SUSPENSION: "suspensions",
            EvidenceKind.PROMOTION: "promotions"}
#: A file an agent may attach (a scanned letter, a screenshot the customer sent).
ALLOWED_TYPES = {"application/pdf", "image/png", "image/jpeg", "text/plain"}
MAX_FILE_BYTES = 5 * 1024 * 1024


def _line(ticket: Ticket) -> int:
    if ticket.subscription_id is None:
        raise ValidationFailed("the ticket names no line to verify against", code="no_subscription")
    return ticket.subscription_id


def _user(actor: User) -> StaffUser | None:
    return actor if isinstance(actor, StaffUser) else None


def verification_records(actor: User, *, ticket: Ticket) -> LineRecords:
    """The records of the ticket's line, for the evidence panel (the ticket comes from
    ``get_ticket``, so the actor may see its customer)."""
    require(actor, "tickets.view_evidence")
    return line_records(subscription_id=_line(ticket))


def _name(kind: EvidenceKind, row: dict) -> str:
    if kind == EvidenceKind.BILL:
        return f"bill {row['month'][:7]}: {row['total']} (SP {row['vas']}, discount {row['discount']})"
    if kind == EvidenceKind.USAGE:
        return f"usage {row['month'][:7]}: {row['sms_count']} SMS"
    if kind == EvidenceKind.SP_SUBSCRIPTION:
        return f"SP {row['sp_name']} {row['service']} ordered via {row['ordered_via']}"
    if kind == EvidenceKind.SUSPENSION:
        return f"stopped {row['started_at'][:16]}: {row['cause']}"
    ended = f", ended by {row['ended_by__code']}" if row.get("ended_by__code") else ""
    return f"promotion {row['code']} {row['name']}{ended}"


def attach_evidence(actor: User, *, ticket: Ticket, kind: str, record_id: int, description: str = "",
                    at: dt.datetime | None = None) -> Evidence:
    """Snapshot one record of the ticket's line as evidence; attaching it twice keeps one."""
    require(actor, "tickets.add_evidence")
    if kind not in SECTIONS:
        raise ValidationFailed(f"{kind!r} is not a record kind; attach files with attach_file",
                               code="invalid_evidence_kind")
    evidence_kind = EvidenceKind(kind)
    rows = getattr(line_records(subscription_id=_line(ticket)), SECTIONS[evidence_kind])
    row = next((r for r in rows if r["id"] == record_id), None)
    if row is None:
        raise NotFound(f"no {kind} {record_id} on the ticket's line")
    source = f"{kind}:{record_id}"
    existing = ticket.evidence.filter(source=source).first()
    if existing is not None:
        return existing
    return Evidence.objects.create(ticket=ticket, kind=kind, name=_name(evidence_kind, row)[:120],
                                   description=description, source=source, data=row,
                                   attached_by=_user(actor), at=at or timezone.now())


def attach_file(actor: User, *, ticket: Ticket, name: str, content: bytes, mime_type: str,
                description: str = "", at: dt.datetime | None = None) -> Evidence:
    require(actor, "tickets.add_evidence")
    if mime_type not in ALLOWED_TYPES:
        raise ValidationFailed(f"files of type {mime_type} are not accepted", code="invalid_file_type")
    if not content or len(content) > MAX_FILE_BYTES:
        raise ValidationFailed("the file is empty or larger than 5 MB", code="invalid_file_size")
    evidence = Evidence(ticket=ticket, kind=EvidenceKind.FILE, name=name[:120], description=description,
                        mime_type=mime_type, attached_by=_user(actor), at=at or timezone.now())
    evidence.file.save(name, ContentFile(content), save=False)
    evidence.save()
    return evidence


def cancel_sp_service(actor: User, *, ticket: Ticket, sp_subscription_id: int,
                      at: dt.datetime | None = None) -> None:
    """Cancel the SP service the customer did not knowingly order (source case 1)."""
    require_work(actor, ticket)
    now = at or timezone.now()
    sp = cancel_sp_subscription(subscription_id=_line(ticket), sp_subscription_id=sp_subscription_id, at=now,
                                reason=f"complaint {ticket.ticket_no}")
    TicketNote.objects.create(ticket=ticket, kind=NoteKind.SYSTEM, at=now, author=_user(actor),
                              text=f"SP service {sp.sp_code} {sp.service} cancelled")


def restore_discount(actor: User, *, ticket: Ticket, promotion_id: int, at: dt.datetime | None = None) -> None:
    """Restore the discount a later promotion silently ended (source case 3)."""
    require_work(actor, ticket)
    promo = restore_promotion(subscription_id=_line(ticket), promotion_id=promotion_id)
    TicketNote.objects.create(ticket=ticket, kind=NoteKind.SYSTEM, at=at or timezone.now(), author=_user(actor),
                              text=f"promotion {promo.code} {promo.name} restored")
