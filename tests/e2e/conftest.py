"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

import os

import pytest
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

from telcrm.core.roles import Role
from tests import factories as f

# pytest-django's live server and Playwright's sync API share the test thread; Django
# would otherwise refuse database access from inside Playwright's event loop.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "correct-horse-battery-9"


def _keep_serialized_rollback(contents: dict[str, str]) -> None:
    """Playwright's sync API runs an event loop, and Django keeps connections per async
    context: tests then get a new connection object, without the database snapshot that
    ``serialized_rollback`` restores after each flush. Hand the snapshot over, so a browser
    test leaves the migrated data (regions, roles) for the tests after it."""
    for alias, snapshot in contents.items():
        connections[alias]._test_serialized_contents = snapshot


@pytest.fixture(scope="session")
def browser(django_db_setup, django_db_blocker):
    contents = {alias: connections[alias]._test_serialized_contents for alias in connections
                if hasattr(connections[alias], "_test_serialized_contents")}
    with sync_playwright() as pw:
        _keep_serialized_rollback(contents)
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.base_url = live_server.url
    yield pg
    context.close()


def sign_in(page: Page, role: Role, **kwargs) -> object:  # type: ignore[no-untyped-def]
    """Create a user of ``role`` and sign in through the login form."""
    user = f.user(role, **kwargs)
    page.goto(page.base_url + "/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(page.base_url + "/")
    return user


def sign_out(page: Page) -> None:
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_url("**/accounts/login/")
