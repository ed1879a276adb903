from django.apps import AppConfig


class ChurnConfig(AppConfig):
    name = "telcrm.churn"
    label = "churn"
