"""Each role's scope through the one policy function (core/roles.py, customers/policy.py)."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from telcrm.core.errors import NotFound
from telcrm.core.roles import ROLE_PERMISSIONS, Role, ensure_roles, role_of, role_permissions
from telcrm.customers.models import CustomerKind
from telcrm.customers.policy import get_visible_customer, visible_customers
from tests import factories as f

pytestmark = pytest.mark.django_db
ENT = CustomerKind.ENTERPRISE


@pytest.fixture
def world():
    am = f.user(Role.ACCOUNT_MANAGER)
    return {
        "am": am,
        "own_ent": f.customer(kind=ENT, account_manager=am, region_code="SH-PD"),
        "other_ent": f.customer(kind=ENT, account_manager=f.user(Role.ACCOUNT_MANAGER)),
        "xh_person": f.customer(region_code="SH-XH"),
        "pd_person": f.customer(region_code="SH-PD"),
    }


def seen(user):
    return set(visible_customers(user).values_list("customer_no", flat=True))


def nos(world, *keys):
    return {world[k].customer_no for k in keys}


ALL = ("own_ent", "other_ent", "xh_person", "pd_person")


class TestScopes:
    def test_account_manager_sees_its_own_enterprises_only(self, world):
        assert seen(world["am"]) == nos(world, "own_ent")

    def test_agent_sees_its_region_only(self, world):
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-PD")
        assert seen(agent) == nos(world, "own_ent", "pd_person")

    def test_agent_without_a_region_sees_nobody(self, world):
        assert seen(f.user(Role.SERVICE_AGENT)) == set()

    @pytest.mark.parametrize("role", [Role.ANALYST, Role.CARE_MARKETING, Role.MANAGER,
                                      Role.ADMINISTRATOR])
    def test_roles_that_see_everyone(self, world, role):
        assert seen(f.user(role)) == nos(world, *ALL)

    def test_auditor_sees_no_customer(self, world):
        assert seen(f.user(Role.AUDITOR)) == set()

    def test_no_role_anonymous_and_inactive_see_nobody(self, world):
        inactive = f.user(Role.MANAGER)
        inactive.is_active = False
        inactive.save()
        assert seen(f.user()) == seen(AnonymousUser()) == seen(inactive) == set()

    def test_merged_records_are_hidden_from_everyone(self, world):
        merged = f.customer(status="merged", merged_into=world["xh_person"])
        assert merged.customer_no not in seen(f.user(Role.ADMINISTRATOR))

    def test_out_of_scope_is_not_found_rather_than_forbidden(self, world):
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-PD")
        assert get_visible_customer(agent, world["pd_person"].customer_no) == world["pd_person"]
        with pytest.raises(NotFound):
            get_visible_customer(agent, world["xh_person"].customer_no)


class TestRoleGroups:
    def test_each_role_has_exactly_its_permissions(self):
        ensure_roles()
        for role, perms in role_permissions().items():
            u = f.user(role)
            assert u.get_all_permissions() == set(perms), role

    def test_an_app_config_grants_its_own_permissions_to_roles(self, monkeypatch):
        config = apps.get_app_config("nightly")
        monkeypatch.setattr(config, "role_permissions", {"auditor": ["nightly.view_nightlyrun"]},
                            raising=False)
        ensure_roles()
        assert f.user(Role.AUDITOR).get_all_permissions() == {"core.view_auditentry", "nightly.view_nightlyrun"}
        assert "nightly.view_nightlyrun" not in ROLE_PERMISSIONS[Role.AUDITOR]

    def test_only_auditor_and_administrator_read_the_audit_log(self):
        readers = {r for r, perms in ROLE_PERMISSIONS.items() if "core.view_auditentry" in perms}
        assert readers == {Role.AUDITOR, Role.ADMINISTRATOR}

    def test_role_of(self):
        assert role_of(f.user(Role.SERVICE_AGENT)) == Role.SERVICE_AGENT
        assert role_of(f.user()) is None
        boss = f.user()
        boss.is_superuser = True
        assert role_of(boss) == Role.ADMINISTRATOR
