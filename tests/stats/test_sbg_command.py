import json
import subprocess
import sys

import pytest

REGULAR_7Y = "1000,631,468,382,326,289,262,241"


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "telcrm.cli", "stats", "sbg", *args],
        capture_output=True, text=True, check=False,
    )


def test_prints_the_fit_survival_and_derl_as_json():
    out = run("--survivors", REGULAR_7Y, "--discount", "0.1", "--periods", "12")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["alpha"] == pytest.approx(0.704, abs=5e-4)
    assert result["beta"] == pytest.approx(1.182, abs=5e-4)
    assert [p["period"] for p in result["survival"]] == list(range(13))
    assert result["survival"][7]["observed"] == pytest.approx(0.241)
    assert result["survival"][8]["observed"] is None
    derls = [d["derl"] for d in result["derl"]]
    assert len(derls) == 12 and derls == sorted(derls)


def test_bad_counts_get_a_clear_error_and_exit_code():
    out = run("--survivors", "1000,abc")
    assert out.returncode != 0
    assert "comma-separated whole numbers" in out.stderr
    out = run("--survivors", "1000,1000,1000")
    assert out.returncode != 0
    assert "nobody churned" in out.stderr
