import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from telcrm.billing.models import BillSummary
from telcrm.core.errors import NotFound, PermissionDenied, ValidationFailed
from telcrm.core.models import AuditAction, AuditEntry, FieldChange
from telcrm.core.roles import Role
from telcrm.customers.duplicates import _relations, merge_customers
from telcrm.customers.history import field_history, update_customer
from telcrm.customers.models import (
    Account,
    Contact,
    Customer,
    CustomerKind,
    EnterpriseService,
    Interaction,
)
from telcrm.customers.policy import visible_customers
from tests import factories as f

pytestmark = pytest.mark.django_db
ENT = CustomerKind.ENTERPRISE
REASON = "同一客户重复开户"


@pytest.fixture
def manager():
    return f.user(Role.MANAGER)


def interaction(customer):
    return Interaction.objects.create(customer=customer, channel="call_centre", direction="in",
                                      occurred_at=timezone.now(), topic="账单查询")


def circuit(customer):
    return EnterpriseService.objects.create(
        service_no=f"S{customer.pk:06d}", customer=customer, kind="ddn", bandwidth_kbps=2048,
        site_a="漕河泾", status="active", activated_on=dt.date(2021, 1, 1),
        monthly_fee=Decimal("3000"), one_time_fee=Decimal("5000"))


class TestEverythingMoves:
    def test_subscriptions_accounts_interactions_move_to_keep(self, manager):
        keep, dup = f.customer(), f.customer()
        f.subscription(keep)
        line = f.subscription(dup)
        note = interaction(dup)
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        line.refresh_from_db()
        note.refresh_from_db()
        assert line.customer == keep and line.account.customer == keep and note.customer == keep
        assert keep.subscriptions.count() == 2 and Account.objects.filter(customer=dup).count() == 0

    def test_bills_follow_their_line(self, manager):
        keep, dup = f.customer(), f.customer()
        line = f.subscription(dup)
        BillSummary.objects.create(subscription=line, month=dt.date(2025, 1, 1), total=Decimal("128"))
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        assert BillSummary.objects.get().subscription.customer == keep

    def test_enterprise_contacts_circuits_and_branches_move(self, manager):
        keep, dup = f.customer(kind=ENT), f.customer(kind=ENT)
        Contact.objects.create(customer=dup, name="陈总", decision_power="decision_maker")
        circuit(dup)
        branch = f.customer(kind=ENT, parent=dup)
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        branch.refresh_from_db()
        assert (keep.contacts.count(), keep.services.count(), branch.parent) == (1, 1, keep)

    def test_keep_that_was_a_branch_of_merge_takes_its_place(self, manager):
        group = f.customer(kind=ENT)
        dup = f.customer(kind=ENT, parent=group)
        keep = f.customer(kind=ENT, parent=dup)
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        keep.refresh_from_db()
        assert keep.parent == group

    def test_earlier_merges_point_at_the_survivor(self, manager):
        keep, dup = f.customer(), f.customer()
        older = f.customer(status="merged", merged_into=dup)
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        older.refresh_from_db()
        assert older.merged_into == keep

    def test_every_relation_to_customer_is_moved(self):
        # A relation added later (tickets, campaigns) is found without changing the merge.
        names = {r.related_model._meta.label_lower for r in _relations()}
        assert {"customers.subscription", "customers.account", "customers.interaction",
                "customers.contact", "customers.enterpriseservice", "customers.customer"} <= names
        declared = {f.related_model._meta.label_lower for f in Customer._meta.related_objects
                    if not f.many_to_many}
        assert declared <= names


class TestMergeRecord:
    def test_merge_is_marked_and_hidden(self, manager):
        keep, dup = f.customer(), f.customer()
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        dup.refresh_from_db()
        assert (dup.status, dup.merged_into) == ("merged", keep)
        assert not visible_customers(manager).filter(pk=dup.pk).exists()

    def test_blank_fields_of_keep_are_filled_with_history(self, manager):
        keep = f.customer(email="", address="", id_number=f.valid_id_number(serial=44))
        dup = f.customer(email="a@example.cn", address="上海市徐汇区宜山路700号",
                         id_number=f.valid_id_number(serial=45))
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        keep.refresh_from_db()
        assert keep.email == "a@example.cn" and keep.address == "上海市徐汇区宜山路700号"
        assert keep.id_number == f.valid_id_number(serial=44)  # not blank: kept
        history = {c.field: c for c in FieldChange.objects.filter(subject_id=keep.customer_no)}
        assert set(history) == {"email", "address"}
        assert history["address"].new_value.endswith("****") and history["email"].source == "merge"
        assert FieldChange.objects.get(subject_id=dup.customer_no).new_value == "merged"

    def test_history_of_the_merged_record_shows_on_the_survivor(self, manager):
        keep, dup = f.customer(), f.customer(name="旧名")
        update_customer(manager, customer=dup, changes={"name": "新名"})
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        changes = {(c.subject_id, c.field, c.new_value) for c in field_history(manager, customer=keep)}
        assert {(dup.customer_no, "name", "新名"), (dup.customer_no, "status", "merged")} <= changes

    def test_audit_entry_with_counts(self, manager):
        keep, dup = f.customer(), f.customer()
        f.subscription(dup)
        interaction(dup)
        interaction(dup)
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        entry = AuditEntry.objects.get(action=AuditAction.MERGE)
        assert (entry.actor, entry.subject_id, entry.reason) == (manager, keep.customer_no, REASON)
        assert entry.detail["merged"] == dup.customer_no
        moved = entry.detail["moved"]
        assert (moved["subscriptions"], moved["accounts"], moved["interactions"]) == (1, 1, 2)


class TestRefusals:
    @pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.SERVICE_AGENT, Role.ANALYST])
    def test_without_merge_permission(self, role):
        keep, dup = f.customer(), f.customer()
        with pytest.raises(PermissionDenied):
            merge_customers(f.user(role, region_code="SH-XH"), keep=keep, merge=dup, reason=REASON)

    def test_reason_is_required(self, manager):
        with pytest.raises(ValidationFailed, match=r"^reason:"):
            merge_customers(manager, keep=f.customer(), merge=f.customer(), reason=" ")

    def test_not_into_itself(self, manager):
        c = f.customer()
        with pytest.raises(ValidationFailed):
            merge_customers(manager, keep=c, merge=c, reason=REASON)

    def test_not_across_kinds(self, manager):
        with pytest.raises(ValidationFailed, match=r"^kind:"):
            merge_customers(manager, keep=f.customer(), merge=f.customer(kind=ENT), reason=REASON)

    def test_already_merged_record_is_not_found(self, manager):
        keep, dup = f.customer(), f.customer()
        merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        with pytest.raises(NotFound):
            merge_customers(manager, keep=f.customer(), merge=dup, reason=REASON)


class TestAllOrNothing:
    def test_failure_midway_changes_nothing(self, manager):
        keep = f.customer(email="")
        dup = f.customer(email="b@example.cn")
        line = f.subscription(dup)
        # A row that cannot move: the database refuses (a constraint is as good as a crash).
        with connection.cursor() as cur:
            cur.execute("CREATE UNIQUE INDEX one_note_per_topic ON customers_interaction "
                        "(customer_id, topic)")
        interaction(keep)
        interaction(dup)
        with pytest.raises(ValidationFailed, match=r"^interactions:"):
            merge_customers(manager, keep=keep, merge=dup, reason=REASON)
        keep.refresh_from_db()
        dup.refresh_from_db()
        line.refresh_from_db()
        assert (keep.email, keep.version, dup.status, line.customer) == ("", 1, "active", dup)
        assert not AuditEntry.objects.exists() and not FieldChange.objects.exists()

