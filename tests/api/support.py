"""Helpers for the API tests: the resource's path and a client holding a bearer token."""

from django.test import Client

from telcrm.core.tokens import issue_token

BASE = "/tmf-api/customerManagement/v5/customer"


def token_client(user) -> Client:  # type: ignore[no-untyped-def]
    """A client that calls the API the way a script does: with a personal bearer token."""
    _token, raw = issue_token(user, name="tests")
    return Client(headers={"Authorization": f"Bearer {raw}"})
