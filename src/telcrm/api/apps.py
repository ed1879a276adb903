from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "telcrm.api"
    label = "api"

    def ready(self) -> None:
        # The trouble-ticket events of the hub follow the desk's facts wherever they happen.
        from telcrm.tickets import notifications

        notifications.connect()
