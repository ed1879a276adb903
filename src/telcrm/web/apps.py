from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "telcrm.web"
    label = "web"
