import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from telcrm.core.audit import audit_log
from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.models import AuditAction, AuditEntry
from telcrm.core.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def entry(actor, action=AuditAction.REVEAL, subject_id="C1"):
    return AuditEntry.objects.create(actor=actor, action=action, subject_type="customer",
                                     subject_id=subject_id, reason="客户来电核实身份")


class TestAuditLogAccess:
    @pytest.mark.parametrize("role", [Role.AUDITOR, Role.ADMINISTRATOR])
    def test_auditor_and_administrator_read(self, role):
        e = entry(f.user(Role.MANAGER))
        assert list(audit_log(f.user(role))) == [e]

    @pytest.mark.parametrize("role", [Role.MANAGER, Role.ANALYST, Role.SERVICE_AGENT,
                                      Role.ACCOUNT_MANAGER, Role.CARE_MARKETING])
    def test_other_roles_are_refused(self, role):
        with pytest.raises(PermissionDenied):
            audit_log(f.user(role))


class TestAuditLogFilters:
    def test_by_action_subject_and_actor(self):
        alice, bob = f.user(Role.MANAGER, username="alice"), f.user(Role.MANAGER, username="bob")
        a = entry(alice, subject_id="C1")
        b = entry(bob, action=AuditAction.EXPORT, subject_id="")
        c = entry(bob, subject_id="C2")
        auditor = f.user(Role.AUDITOR)
        assert list(audit_log(auditor, action="export")) == [b]
        assert list(audit_log(auditor, subject_id="C1")) == [a]
        assert list(audit_log(auditor, actor_name="bob")) == [c, b]

    def test_unknown_action_is_invalid(self):
        with pytest.raises(ValidationFailed, match=r"^action:"):
            audit_log(f.user(Role.AUDITOR), action="sneeze")

    def test_period_is_half_open(self):
        e = entry(f.user(Role.MANAGER))
        auditor = f.user(Role.AUDITOR)
        assert list(audit_log(auditor, since=e.at, until=e.at + dt.timedelta(seconds=1))) == [e]
        assert list(audit_log(auditor, until=e.at)) == []
        assert list(audit_log(auditor, since=timezone.now() + dt.timedelta(minutes=1))) == []


class TestAppendOnlyInTheApplication:
    def test_saving_an_existing_entry_is_refused(self):
        e = entry(f.user(Role.MANAGER))
        e.reason = "改写"
        with pytest.raises(ValueError, match="append-only"):
            e.save()
        e.refresh_from_db()
        assert e.reason == "客户来电核实身份"

    def test_deleting_an_entry_is_refused(self):
        e = entry(f.user(Role.MANAGER))
        with pytest.raises(ValueError, match="append-only"):
            e.delete()
        assert AuditEntry.objects.filter(pk=e.pk).exists()


ONLY_POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql",
                                   reason="the trigger exists on PostgreSQL only")


@ONLY_POSTGRES
class TestAppendOnlyInPostgres:
    def test_bulk_update_is_refused_by_the_database(self):
        e = entry(f.user(Role.MANAGER))
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEntry.objects.filter(pk=e.pk).update(reason="改写")
        e.refresh_from_db()
        assert e.reason == "客户来电核实身份"

    def test_raw_delete_is_refused_by_the_database(self):
        e = entry(f.user(Role.MANAGER))
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cur:
            cur.execute("DELETE FROM core_auditentry WHERE id = %s", [e.pk])
        assert AuditEntry.objects.filter(pk=e.pk).exists()
