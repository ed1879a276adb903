from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def _ensure_roles(sender, **kwargs):  # type: ignore[no-untyped-def]
    from django.contrib.auth.management import create_permissions

    from telcrm.core.roles import ensure_roles

    # Permissions of apps later in INSTALLED_APPS are created by their own post_migrate,
    # which has not run yet: create them all first so every role's permission exists.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=kwargs.get("using", "default"))
    ensure_roles()


class CoreConfig(AppConfig):
    name = "telcrm.core"
    label = "core"

    def ready(self) -> None:
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="telcrm-ensure-roles")
