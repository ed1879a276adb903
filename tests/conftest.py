import pytest


@pytest.fixture(autouse=True)
def _lake_in_tmp(settings, tmp_path):
    """Every test gets its own Parquet lake and data directory."""
    settings.DATA_DIR = tmp_path
    settings.LAKE_DIR = tmp_path / "lake"
