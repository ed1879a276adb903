import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher


class LightArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id still, with a small cost so creating users does not dominate the suite."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Every test gets its own Parquet lake and data directory, and cheap argon2 hashes."""
    settings.DATA_DIR = tmp_path
    settings.LAKE_DIR = tmp_path / "lake"
    settings.PASSWORD_HASHERS = ["tests.conftest.LightArgon2PasswordHasher"]
