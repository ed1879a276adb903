from django.apps import AppConfig


class ValueConfig(AppConfig):
    name = "telcrm.value"
    label = "value"
