import datetime as dt

import pytest

from telcrm.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from telcrm.core.models import FieldChange
from telcrm.core.roles import Role
from telcrm.customers.history import field_history, update_customer
from telcrm.customers.models import CustomerKind
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return f.user(Role.MANAGER)


class TestUpdateWritesHistory:
    def test_one_row_per_changed_field_with_old_and_new_values(self, manager):
        c = f.customer(name="张三", segment="mass")
        update_customer(manager, customer=c, changes={"name": "张三丰", "segment": "mass"})
        rows = FieldChange.objects.filter(subject_id=c.customer_no)
        assert [(r.field, r.old_value, r.new_value, r.actor, r.source) for r in rows] == [
            ("name", "张三", "张三丰", manager, "web")
        ]

    def test_version_is_bumped_and_values_saved(self, manager):
        c = f.customer()
        updated = update_customer(manager, customer=c, changes={"since": "2019-05-01"})
        c.refresh_from_db()
        assert (updated.version, c.version, c.since) == (2, 2, dt.date(2019, 5, 1))

    def test_nothing_changed_writes_nothing(self, manager):
        c = f.customer(segment="youth")
        update_customer(manager, customer=c, changes={"segment": "youth"})
        c.refresh_from_db()
        assert c.version == 1
        assert not FieldChange.objects.exists()

    def test_pii_values_are_stored_masked(self, manager):
        c = f.customer(address="上海市徐汇区漕溪北路88号", id_number=f.valid_id_number(serial=11))
        new_id = f.valid_id_number(serial=12)
        update_customer(manager, customer=c, changes={"address": "上海市黄浦区南京东路1号",
                                                       "id_number": new_id})
        values = {r.field: (r.old_value, r.new_value) for r in FieldChange.objects.all()}
        assert values["address"] == ("上海市徐****", "上海市黄****")
        assert values["id_number"][1] == new_id[:4] + "*" * 10 + new_id[-4:]
        assert new_id not in str(values) and "88号" not in str(values)

    def test_relations_are_recorded_by_natural_key(self, manager):
        c = f.customer(region_code="SH-XH")
        am = f.user(Role.ACCOUNT_MANAGER, username="wang.am")
        update_customer(manager, customer=c, changes={"region": f.region("SH-PD"),
                                                       "account_manager": am.pk}, source="api")
        values = {r.field: (r.old_value, r.new_value, r.source) for r in FieldChange.objects.all()}
        assert values == {"region": ("SH-XH", "SH-PD", "api"),
                          "account_manager": ("", "wang.am", "api")}

    def test_stale_copy_records_stored_old_value(self, manager):
        c = f.customer(name="甲")
        stale = type(c).objects.get(pk=c.pk)
        update_customer(manager, customer=c, changes={"name": "乙"})
        update_customer(manager, customer=stale, changes={"name": "丙"})
        assert [(r.old_value, r.new_value) for r in FieldChange.objects.order_by("id")] == [
            ("甲", "乙"), ("乙", "丙")]


class TestValidation:
    def test_invalid_id_number_names_the_field_and_saves_nothing(self, manager):
        c = f.customer()
        with pytest.raises(ValidationFailed) as err:
            update_customer(manager, customer=c, changes={"id_number": "110105194912310021"})
        assert err.value.message.startswith("id_number:") and "GB 11643" in err.value.message
        c.refresh_from_db()
        assert c.version == 1 and not FieldChange.objects.exists()

    def test_invalid_choice_names_the_field(self, manager):
        with pytest.raises(ValidationFailed, match=r"^segment:"):
            update_customer(manager, customer=f.customer(), changes={"segment": "martians"})

    def test_unparseable_date_names_the_field(self, manager):
        with pytest.raises(ValidationFailed, match=r"^since:"):
            update_customer(manager, customer=f.customer(), changes={"since": "yesterday"})

    def test_blank_clears_an_optional_date(self, manager):
        c = f.customer(since=dt.date(2010, 1, 1))
        update_customer(manager, customer=c, changes={"since": "", "segment": None})
        c.refresh_from_db()
        assert (c.since, c.segment) == (None, "")
        assert FieldChange.objects.get().old_value == "2010-01-01"

    def test_required_relation_cannot_be_cleared(self, manager):
        with pytest.raises(ValidationFailed, match=r"^region:"):
            update_customer(manager, customer=f.customer(), changes={"region": None})

    def test_customer_number_is_not_editable(self, manager):
        with pytest.raises(ValidationFailed, match=r"^customer_no:"):
            update_customer(manager, customer=f.customer(), changes={"customer_no": "X1"})

    def test_merged_status_only_through_a_merge(self, manager):
        with pytest.raises(ValidationFailed, match=r"^status:"):
            update_customer(manager, customer=f.customer(), changes={"status": "merged"})

    def test_enterprise_hierarchy_cannot_loop(self, manager):
        group = f.customer(kind=CustomerKind.ENTERPRISE)
        child = f.customer(kind=CustomerKind.ENTERPRISE, parent=group)
        with pytest.raises(ValidationFailed, match=r"^parent:"):
            update_customer(manager, customer=group, changes={"parent": child})


class TestOptimisticLocking:
    def test_matching_version_is_accepted(self, manager):
        c = f.customer()
        updated = update_customer(manager, customer=c, changes={"name": "新"}, expected_version=1)
        assert updated.version == 2

    def test_outdated_version_is_a_conflict(self, manager):
        c = f.customer(name="旧")
        update_customer(manager, customer=c, changes={"name": "第一次"}, expected_version=1)
        with pytest.raises(Conflict):
            update_customer(manager, customer=c, changes={"name": "第二次"}, expected_version=1)
        c.refresh_from_db()
        assert c.name == "第一次" and FieldChange.objects.count() == 1


class TestEditRights:
    def test_account_manager_edits_own_enterprise(self):
        am = f.user(Role.ACCOUNT_MANAGER)
        ent = f.customer(kind=CustomerKind.ENTERPRISE, account_manager=am)
        assert update_customer(am, customer=ent, changes={"strategic_notes": "续约"}).version == 2

    def test_account_manager_cannot_edit_others_enterprise(self):
        am = f.user(Role.ACCOUNT_MANAGER)
        ent = f.customer(kind=CustomerKind.ENTERPRISE, account_manager=f.user(Role.ACCOUNT_MANAGER))
        with pytest.raises(PermissionDenied):
            update_customer(am, customer=ent, changes={"strategic_notes": "x"})

    @pytest.mark.parametrize("role", [Role.SERVICE_AGENT, Role.ANALYST, Role.AUDITOR])
    def test_roles_without_change_permission_are_refused(self, role):
        actor = f.user(role, region_code="SH-XH")
        c = f.customer(region_code="SH-XH")
        with pytest.raises(PermissionDenied):
            update_customer(actor, customer=c, changes={"name": "x"})
        assert not FieldChange.objects.exists()


class TestFieldHistory:
    def test_newest_first(self, manager):
        c = f.customer(name="一")
        update_customer(manager, customer=c, changes={"name": "二"})
        update_customer(manager, customer=c, changes={"name": "三"})
        assert [h.new_value for h in field_history(manager, customer=c)] == ["三", "二"]

    def test_only_this_customer(self, manager):
        a, b = f.customer(), f.customer()
        update_customer(manager, customer=a, changes={"name": "A2"})
        update_customer(manager, customer=b, changes={"name": "B2"})
        assert [h.subject_id for h in field_history(manager, customer=a)] == [a.customer_no]

    def test_out_of_scope_customer_is_not_found(self, manager):
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-PD")
        c = f.customer(region_code="SH-XH")
        with pytest.raises(NotFound):
            field_history(agent, customer=c)
