from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "telcrm.care"
    label = "care"
    #: Who works the care screens, on top of core.roles (see core.roles.role_permissions).
    role_permissions: dict[str, list[str]] = {}
