import pytest
from django.test import Client

from telcrm.core.roles import Role
from tests import factories as f

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def login(client: Client):
    """Sign a fresh user of a role in (through the real login form, so axes sees it)."""

    def _login(role: Role | None, **kwargs) -> Client:  # type: ignore[no-untyped-def]
        user = f.user(role, **kwargs)
        response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        client.user = user
        return client

    return _login


@pytest.fixture(autouse=True)
def _fresh_dashboard_cache():
    """Home figures are cached for minutes; each test computes its own."""
    from django.core.cache import cache

    cache.clear()
