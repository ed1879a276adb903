from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "telcrm.tickets"
    label = "tickets"
    #: Who works the service desk, on top of core.roles (see core.roles.role_permissions).
    role_permissions: dict[str, list[str]] = {}
