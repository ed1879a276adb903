from django.apps import AppConfig


class NightlyConfig(AppConfig):
    name = "telcrm.nightly"
    label = "nightly"
