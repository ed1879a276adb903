"""Browser tests: Playwright driving Debian's Chromium against the live test server."""

import os

import pytest
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


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
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
