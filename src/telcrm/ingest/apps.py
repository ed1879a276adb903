from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "telcrm.ingest"
    label = "ingest"
