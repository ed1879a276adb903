"""Security behaviour: argon2 hashes, login throttling, session expiry, CSRF, PII in logs."""

import logging

import pytest
from axes.models import AccessAttempt
from django.conf import settings as project
from django.contrib.auth.hashers import check_password, identify_hasher
from django.test import Client
from django.urls import reverse

from telcrm import settings as telcrm_settings
from telcrm.core.logging import MaskPiiFilter
from telcrm.core.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-9"


class TestPasswordHashing:
    def test_project_hashes_with_argon2id(self, settings):
        settings.PASSWORD_HASHERS = telcrm_settings.PASSWORD_HASHERS  # undo the test speed-up
        u = f.user(Role.ANALYST, password=PASSWORD)
        u.refresh_from_db()
        assert u.password.startswith("argon2$argon2id$")
        assert identify_hasher(u.password).algorithm == "argon2"
        assert PASSWORD not in u.password and check_password(PASSWORD, u.password)

    def test_argon2_is_the_default_hasher(self):
        assert telcrm_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def post_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR="10.0.0.7")


class TestLoginThrottling:
    def test_correct_password_signs_in(self):
        u = f.user(Role.ANALYST, username="li.analyst", password=PASSWORD)
        client = Client()
        assert post_login(client, "li.analyst", PASSWORD).status_code == 302
        assert int(client.session["_auth_user_id"]) == u.pk

    def test_locked_after_five_failures_even_with_the_right_password(self):
        f.user(Role.ANALYST, username="li.analyst", password=PASSWORD)
        client = Client()
        statuses = [post_login(client, "li.analyst", "wrong-guess").status_code
                    for _ in range(project.AXES_FAILURE_LIMIT)]
        assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
        response = post_login(client, "li.analyst", PASSWORD)
        assert response.status_code == 429
        assert "_auth_user_id" not in client.session
        assert AccessAttempt.objects.get(username="li.analyst").failures_since_start >= 5

    def test_four_failures_do_not_lock(self):
        f.user(Role.ANALYST, username="li.analyst", password=PASSWORD)
        client = Client()
        for _ in range(project.AXES_FAILURE_LIMIT - 1):
            post_login(client, "li.analyst", "wrong-guess")
        assert post_login(client, "li.analyst", PASSWORD).status_code == 302

    def test_lockout_is_per_user_name(self):
        f.user(Role.ANALYST, username="li.analyst", password=PASSWORD)
        f.user(Role.ANALYST, username="wang.analyst", password=PASSWORD)
        client = Client()
        for _ in range(project.AXES_FAILURE_LIMIT):
            post_login(client, "li.analyst", "wrong-guess")
        assert post_login(client, "wang.analyst", PASSWORD).status_code == 302

    def test_cool_off_is_fifteen_minutes(self):
        assert project.AXES_COOLOFF_TIME * 60 == 15


class TestSessions:
    def test_sessions_expire_after_a_working_day_and_with_the_browser(self):
        assert project.SESSION_COOKIE_AGE == 8 * 3600
        assert project.SESSION_EXPIRE_AT_BROWSER_CLOSE is True

    def test_session_cookie_is_http_only_and_browser_session(self):
        f.user(Role.ANALYST, username="li.analyst", password=PASSWORD)
        client = Client()
        post_login(client, "li.analyst", PASSWORD)
        cookie = client.cookies[project.SESSION_COOKIE_NAME]
        assert cookie["httponly"] is True
        assert cookie["expires"] == "" and cookie["max-age"] == ""  # ends with the browser
        assert client.session.get_expiry_age() == 8 * 3600


class TestCsrf:
    def test_login_post_without_token_is_refused(self):
        f.user(Role.ANALYST, username="li.analyst", password=PASSWORD)
        client = Client(enforce_csrf_checks=True)
        assert post_login(client, "li.analyst", PASSWORD).status_code == 403
        assert "_auth_user_id" not in client.session

    def test_post_with_token_from_the_form_is_accepted(self):
        f.user(Role.ANALYST, username="li.analyst", password=PASSWORD)
        client = Client(enforce_csrf_checks=True)
        client.get(reverse("login"))
        token = client.cookies[project.CSRF_COOKIE_NAME].value
        response = client.post(reverse("login"), {"username": "li.analyst", "password": PASSWORD,
                                                  "csrfmiddlewaretoken": token})
        assert response.status_code == 302

    def test_signed_in_form_post_without_token_is_refused(self):
        u = f.user(Role.ANALYST, password=PASSWORD)
        client = Client(enforce_csrf_checks=True)
        client.force_login(u)
        assert client.post(reverse("logout")).status_code == 403


class TestLogsCarryNoPii:
    def make_record(self, msg, *args):
        return logging.LogRecord("telcrm", logging.INFO, __file__, 1, msg, args, None)

    def test_phone_and_id_numbers_are_masked_in_message_and_arguments(self):
        record = self.make_record("customer %s called from %s", "11010519491231002X", "13812345678")
        assert MaskPiiFilter().filter(record) is True
        text = record.getMessage()
        assert text == "customer 1101**********002X called from 138****5678"

    def test_other_numbers_are_left_alone(self):
        record = self.make_record("imported %d rows in %s s; order 2024123112345678", 1200, "3.5")
        MaskPiiFilter().filter(record)
        assert record.getMessage() == "imported 1200 rows in 3.5 s; order 2024123112345678"

    def test_project_logging_installs_the_filter(self):
        handlers = logging.getLogger().handlers
        assert any(isinstance(flt, MaskPiiFilter) for h in handlers for flt in h.filters)
