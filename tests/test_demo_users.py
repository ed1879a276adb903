import pytest
from django.contrib.auth import authenticate as django_authenticate
from django.test import RequestFactory

from telcrm.core.roles import Role, role_of
from telcrm.simulate.demo_users import ACCOUNT_MANAGERS, DEMO_USERS, ensure_demo_users

pytestmark = pytest.mark.django_db


def authenticate(**credentials):
    # django-axes throttles by request, so authentication always carries one.
    return django_authenticate(RequestFactory().post("/accounts/login/"), **credentials)


def test_one_demo_user_per_role(tmp_path):
    users = ensure_demo_users(tmp_path)
    roles = {role_of(authenticate(username=d.username, password=p)) for d, p in users}
    assert roles == set(Role)


def test_second_run_keeps_the_same_passwords(tmp_path):
    first = dict((d.username, p) for d, p in ensure_demo_users(tmp_path))
    second = dict((d.username, p) for d, p in ensure_demo_users(tmp_path))
    assert first == second
    assert authenticate(username="manager", password=second["manager"]) is not None


def test_password_file_is_private(tmp_path):
    ensure_demo_users(tmp_path)
    assert (tmp_path / "demo-users.txt").stat().st_mode & 0o077 == 0


def test_account_managers_named_by_the_simulator_exist(tmp_path):
    ensure_demo_users(tmp_path)
    names = {d.username for d in DEMO_USERS}
    assert set(ACCOUNT_MANAGERS) <= names
