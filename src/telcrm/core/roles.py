"""Roles are Django groups with permissions; scopes follow from the permissions.

| role | sees customers | reveals PII | exports | audit log |
|---|---|---|---|---|
| administrator | all | yes | yes | yes |
| manager | all | yes | yes | no |
| account manager | its own enterprises | yes | yes | no |
| service agent | its region | yes | no | no |
| care & marketing | all (masked) | no | yes | no |
| analyst | all (masked), aggregates | no | yes | no |
| auditor | none | no | no | yes |

Issue 3 adds: the administrator alone edits tier and warning rules; account managers,
service agents, care & marketing and managers work the warnings inbox of their scope;
managers, administrators and analysts see the aggregates (dashboard, model quality).
"""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("administrator")
    MANAGER = "manager", _("manager")
    ACCOUNT_MANAGER = "account_manager", _("account manager")
    SERVICE_AGENT = "service_agent", _("service agent")
    CARE_MARKETING = "care_marketing", _("care & marketing")
    ANALYST = "analyst", _("analyst")
    AUDITOR = "auditor", _("auditor")


_VIEW_CUSTOMERS = ["customers.view_customer", "customers.view_subscription", "customers.view_account",
                   "customers.view_interaction", "customers.view_contact",
                   "customers.view_enterpriseservice", "billing.view_billsummary",
                   "billing.view_usagesummary", "billing.view_payment"]
#: Nightly results on customer pages: tier, value, lifetime value, risk and their history.
_VIEW_SCORES = ["value.view_linevalue", "value.view_enterprisevalue", "value.view_tierchange",
                "churn.view_linerisk"]
#: The warnings inbox of the user's scope: see warned lines, assign and close follow-ups.
_WORK_INBOX = ["churn.view_warning", "churn.view_followup", "churn.add_followup",
               "churn.change_followup"]
#: The manager's dashboard: rule versions, model quality, the last nightly run.
_VIEW_ANALYTICS = ["value.view_ruleset", "churn.view_churnmodel", "churn.view_modelcheck",
                   "nightly.view_nightlyrun"]
_EDIT_CUSTOMERS = ["customers.change_customer", "customers.add_interaction", "customers.add_contact",
                   "customers.change_contact"]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.ADMINISTRATOR: [*_VIEW_CUSTOMERS, *_EDIT_CUSTOMERS, "customers.add_customer",
                         "core.view_all_customers", "core.reveal_pii", "core.export_data",
                         "core.merge_customers", "core.view_auditentry", *_VIEW_SCORES,
                         *_WORK_INBOX, *_VIEW_ANALYTICS, "value.add_ruleset"],
    Role.MANAGER: [*_VIEW_CUSTOMERS, *_EDIT_CUSTOMERS, "core.view_all_customers", "core.reveal_pii",
                   "core.export_data", "core.merge_customers", *_VIEW_SCORES, *_WORK_INBOX,
                   *_VIEW_ANALYTICS],
    Role.ACCOUNT_MANAGER: [*_VIEW_CUSTOMERS, *_EDIT_CUSTOMERS, "core.view_own_enterprises",
                           "core.reveal_pii", "core.export_data", *_VIEW_SCORES, *_WORK_INBOX],
    Role.SERVICE_AGENT: [*_VIEW_CUSTOMERS, "customers.add_interaction",
                         "core.view_region_customers", "core.reveal_pii", *_VIEW_SCORES, *_WORK_INBOX],
    Role.CARE_MARKETING: [*_VIEW_CUSTOMERS, "core.view_all_customers", "core.export_data", *_VIEW_SCORES,
                          *_WORK_INBOX],
    Role.ANALYST: [*_VIEW_CUSTOMERS, "core.view_all_customers", "core.export_data", *_VIEW_SCORES,
                   *_VIEW_ANALYTICS],
    Role.AUDITOR: ["core.view_auditentry"],
}


def role_permissions() -> dict[Role, list[str]]:
    """Each role's permissions: the table above, plus what each installed app grants in its
    ``AppConfig.role_permissions`` (``{role value: [dotted permission, ...]}``). A domain
    app that core may not import (tickets, care) so declares who works its screens."""
    merged = {role: list(perms) for role, perms in ROLE_PERMISSIONS.items()}
    for config in apps.get_app_configs():
        for role_value, perms in getattr(config, "role_permissions", {}).items():
            merged[Role(role_value)].extend(p for p in perms if p not in merged[Role(role_value)])
    return merged


def ensure_roles() -> None:
    """Create or update one group per role with exactly its permissions (idempotent)."""
    for role, perms in role_permissions().items():
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def role_of(user) -> Role | None:  # type: ignore[no-untyped-def]
    """The user's role (its first role group); superusers count as administrators."""
    if user.is_superuser:
        return Role.ADMINISTRATOR
    names = set(user.groups.values_list("name", flat=True))
    for role in Role:
        if role.value in names:
            return role
    return None
