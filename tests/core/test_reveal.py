"""Reveal of one personal-data field with a reason, always with its audit entry."""

import pytest
from django.db import DatabaseError, connection

from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.core.models import AuditAction, AuditEntry
from telcrm.core.roles import Role
from telcrm.customers.services import reveal_field
from tests import factories as f

pytestmark = pytest.mark.django_db
REASON = "客户来电要求核对身份证"


class TestReveal:
    def test_id_number_is_returned_and_audited(self):
        c = f.customer(id_number=f.valid_id_number(serial=31))
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-XH")
        assert reveal_field(agent, customer=c, field="id_number", reason=REASON) == c.id_number
        entry = AuditEntry.objects.get()
        assert (entry.actor, entry.action, entry.subject_id, entry.field, entry.reason) == (
            agent, AuditAction.REVEAL, c.customer_no, "id_number", REASON)

    def test_phone_of_one_line_with_masked_number_in_the_log(self):
        c = f.customer()
        f.subscription(c, msisdn="13812345678")
        value = reveal_field(f.user(Role.MANAGER), customer=c, field="phone", reason=REASON,
                             msisdn="13812345678")
        assert value == "13812345678"
        assert AuditEntry.objects.get().detail == {"msisdn_masked": "138****5678"}

    def test_phone_of_someone_elses_line_is_refused(self):
        c = f.customer()
        f.subscription(f.customer(), msisdn="13812345678")
        with pytest.raises(ValidationFailed, match=r"^phone:"):
            reveal_field(f.user(Role.MANAGER), customer=c, field="phone", reason=REASON,
                         msisdn="13812345678")
        assert not AuditEntry.objects.exists()

    @pytest.mark.parametrize("role", [Role.ANALYST, Role.CARE_MARKETING, Role.AUDITOR])
    def test_roles_without_reveal_permission_are_refused(self, role):
        with pytest.raises(PermissionDenied):
            reveal_field(f.user(role), customer=f.customer(), field="address", reason=REASON)
        assert not AuditEntry.objects.exists()

    @pytest.mark.parametrize("reason", ["", "   ", "看看"])
    def test_a_reason_is_required(self, reason):
        with pytest.raises(ValidationFailed, match=r"^reason:"):
            reveal_field(f.user(Role.MANAGER), customer=f.customer(), field="address", reason=reason)
        assert not AuditEntry.objects.exists()

    def test_only_personal_data_fields(self):
        with pytest.raises(ValidationFailed, match=r"^field:"):
            reveal_field(f.user(Role.MANAGER), customer=f.customer(), field="name", reason=REASON)

    def test_no_value_without_its_audit_record(self):
        c = f.customer()
        with connection.cursor() as cur:  # the audit log cannot be written (rolled back after)
            cur.execute("ALTER TABLE core_auditentry RENAME TO core_auditentry_away")
        with pytest.raises(DatabaseError):
            reveal_field(f.user(Role.MANAGER), customer=c, field="address", reason=REASON)
