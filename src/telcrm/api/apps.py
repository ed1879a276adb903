from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "telcrm.api"
    label = "api"
