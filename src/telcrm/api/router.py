"""The REST API root, in the shape of TM Forum Open APIs, served under ``/tmf-api/``."""

from ninja import NinjaAPI

api = NinjaAPI(title="telcrm API", version="5.0.0", urls_namespace="tmf-api")
