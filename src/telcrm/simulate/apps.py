from django.apps import AppConfig


class SimulateConfig(AppConfig):
    name = "telcrm.simulate"
    label = "simulate"
