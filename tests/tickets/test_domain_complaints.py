"""Complaint verification: evidence snapshots of the line's own records, refused input."""

from __future__ import annotations

import pytest

from telcrm.billing.models import SpSubscription
from telcrm.core.errors import NotFound, PermissionDenied, ValidationFailed
from telcrm.tickets.complaints import attach_evidence, attach_file, cancel_sp_service, verification_records
from telcrm.tickets.source_cases import sp_charge_case
from tests import factories as f

from .desk import TUESDAY, agent, ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():  # type: ignore[no-untyped-def]
    worker = agent()
    line = f.subscription(f.customer())
    records = sp_charge_case(line, ordered_at=TUESDAY, months=2)
    t = ticket(worker, customer=line.customer, subscription=line, category_code="vas_sp.unrequested")
    return worker, t, records


def test_evidence_is_a_snapshot_kept_once(case) -> None:  # type: ignore[no-untyped-def]
    worker, t, records = case
    first = attach_evidence(worker, ticket=t, kind="sp_subscription", record_id=records.record_id)
    again = attach_evidence(worker, ticket=t, kind="sp_subscription", record_id=records.record_id)
    assert first.pk == again.pk and t.evidence.count() == 1
    SpSubscription.objects.filter(pk=records.record_id).update(ordered_via="web")
    first.refresh_from_db()
    assert first.data["ordered_via"] == "sms_reply"  # what the agent saw, whatever billing does later


def test_a_record_of_another_line_is_not_found(case) -> None:  # type: ignore[no-untyped-def]
    worker, t, _ = case
    other = sp_charge_case(f.subscription(f.customer()), ordered_at=TUESDAY)
    with pytest.raises(NotFound):
        attach_evidence(worker, ticket=t, kind="sp_subscription", record_id=other.record_id)
    with pytest.raises(NotFound):
        cancel_sp_service(worker, ticket=t, sp_subscription_id=other.record_id)
    assert SpSubscription.objects.get(pk=other.record_id).cancelled_at is None


def test_cancelling_twice_is_refused(case) -> None:  # type: ignore[no-untyped-def]
    worker, t, records = case
    cancel_sp_service(worker, ticket=t, sp_subscription_id=records.record_id)
    with pytest.raises(ValidationFailed):
        cancel_sp_service(worker, ticket=t, sp_subscription_id=records.record_id)


def test_only_the_owner_corrects_records(case) -> None:  # type: ignore[no-untyped-def]
    _, t, records = case
    with pytest.raises(PermissionDenied):
        cancel_sp_service(agent(), ticket=t, sp_subscription_id=records.record_id)


def test_a_ticket_without_a_line_has_nothing_to_verify() -> None:
    worker = agent()
    with pytest.raises(ValidationFailed):
        verification_records(worker, ticket=ticket(worker))


def test_files(case, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    worker, t, _ = case
    evidence = attach_file(worker, ticket=t, name="screenshot.png", content=b"\x89PNG...", mime_type="image/png")
    assert evidence.file.read() == b"\x89PNG..."
    assert evidence.file.path.startswith(str(tmp_path))
    with pytest.raises(ValidationFailed):
        attach_file(worker, ticket=t, name="x.exe", content=b"MZ", mime_type="application/x-msdownload")
    with pytest.raises(ValidationFailed):
        attach_file(worker, ticket=t, name="empty.txt", content=b"", mime_type="text/plain")
    assert t.evidence.count() == 1
