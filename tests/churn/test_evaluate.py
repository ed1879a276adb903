"""``telcrm churn evaluate`` against IBM's public telco table and constructed cases."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telcrm.churn.modelling import TableError, binary_target, prepare_flat_table, top_decile_lift

IBM = Path(__file__).parents[1] / "data" / "ibm-telco-churn" / "Telco-Customer-Churn.csv"


def evaluate(*args):
    return subprocess.run(
        [sys.executable, "-m", "telcrm.cli", "churn", "evaluate", *args],
        capture_output=True, text=True, check=False,
    )


class TestIbmTelco:
    def test_cross_validated_auc_reaches_the_published_bar(self):
        out = evaluate("--data", str(IBM), "--target", "Churn", "--id", "customerID")
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["rows"] == 7043
        assert result["base_rate"] == pytest.approx(1869 / 7043)
        assert len(result["roc_auc"]["folds"]) == 5
        assert result["roc_auc"]["mean"] >= 0.84
        assert result["pr_auc"]["mean"] > 2 * result["base_rate"]
        assert result["top_decile_lift"]["mean"] > 2.5

    def test_blank_total_charges_become_missing_numbers_not_categories(self):
        features, y = prepare_flat_table(pd.read_csv(IBM), target="Churn", id_column="customerID")
        assert features["TotalCharges"].dtype == "float64"
        assert features["TotalCharges"].isna().sum() == 11
        assert isinstance(features["Contract"].dtype, pd.CategoricalDtype)
        assert "customerID" not in features and "Churn" not in features
        assert y.sum() == 1869


class TestTableErrors:
    def test_unknown_target_values_are_named(self):
        with pytest.raises(TableError, match="maybe"):
            binary_target(pd.Series(["yes", "no", "maybe"], name="churn"))

    def test_target_with_one_class(self):
        with pytest.raises(TableError, match="both"):
            binary_target(pd.Series(["no", "no"], name="churn"))

    def test_missing_column_is_named(self):
        with pytest.raises(TableError, match="'left'"):
            prepare_flat_table(pd.DataFrame({"a": [1]}), target="left")

    def test_command_reports_a_bad_target_without_a_traceback(self, tmp_path):
        path = tmp_path / "t.csv"
        pd.DataFrame({"x": [1, 2], "left": ["a", "b"]}).to_csv(path, index=False)
        out = evaluate("--data", str(path), "--target", "left")
        assert out.returncode != 0
        assert "values must be yes/no" in out.stderr
        assert "Traceback" not in out.stderr


class TestLift:
    def test_perfect_ranking_gives_the_inverse_base_rate(self):
        y = np.array([1] * 20 + [0] * 80)
        assert top_decile_lift(y, y.astype(float)) == pytest.approx(1.0 / 0.2)

    def test_random_scores_give_about_one(self):
        rng = np.random.default_rng(1)
        y = rng.random(200_000) < 0.25
        assert top_decile_lift(y.astype(int), rng.random(200_000)) == pytest.approx(1.0, abs=0.03)

    def test_signal_is_learned_from_a_constructed_table(self):
        rng = np.random.default_rng(0)
        n = 3000
        decline = rng.normal(size=n)
        plan = rng.choice(["basic", "family", "max"], size=n)
        churn = rng.random(n) < 1 / (1 + np.exp(-(2 * decline + (plan == "basic") - 1.5)))
        table = pd.DataFrame({"decline": decline, "plan": plan, "churn": np.where(churn, "Yes", "No")})
        from telcrm.churn.modelling import cross_validate

        features, y = prepare_flat_table(table, target="churn")
        assert np.mean(cross_validate(features, y).roc_auc) > 0.8
