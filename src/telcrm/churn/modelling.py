"""The churn model's learning core: gradient-boosted trees (LightGBM) on a flat table.

Used by ``telcrm churn evaluate`` on any customer table, and by the nightly model on the
features of the lake, so that what is checked on public data is what runs in production.
No Django here: it runs in a notebook or on a Spark executor unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold

# Shallow trees with a slow learning rate: a churn table has few strong signals and much
# noise, and these settings reach the published cross-validated AUC on IBM's telco table
# without tuning per data set (docs/models.md).
TREE_PARAMS: dict[str, Any] = {
    "n_estimators": 400,
    "learning_rate": 0.02,
    "max_depth": 3,
    "num_leaves": 7,
    "min_child_samples": 60,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.6,
    "cat_smooth": 20,
    "min_data_per_group": 50,
}

_POSITIVE = {"1", "yes", "y", "true", "t", "churn", "churned"}
_NEGATIVE = {"0", "no", "n", "false", "f", "stay", "stayed", "active"}
# A text column whose non-blank values are at least this share numbers is numeric with
# gaps (IBM's TotalCharges is blank for customers in their first month).
_NUMERIC_SHARE = 0.95


class TableError(ValueError):
    """The table cannot be modelled as given; the message names the column."""


def make_classifier(seed: int = 0) -> lgb.LGBMClassifier:
    return lgb.LGBMClassifier(verbose=-1, random_state=seed, n_jobs=2, **TREE_PARAMS)


def binary_target(values: pd.Series) -> np.ndarray:
    text = values.astype("string").str.strip().str.lower()
    unknown = sorted(set(text.dropna()) - _POSITIVE - _NEGATIVE)
    if unknown or text.isna().any():
        shown = ", ".join(unknown[:5]) or "blank"
        raise TableError(f"target column {values.name!r}: values must be yes/no, true/false or 1/0 (found {shown})")
    y = text.isin(_POSITIVE).to_numpy(dtype=int)
    if y.min() == y.max():
        raise TableError(f"target column {values.name!r}: needs both churners and stayers")
    return y


def prepare_flat_table(
    table: pd.DataFrame, *, target: str, id_column: str | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and labels from a flat customer table.

    Text columns that are mostly numbers become numbers (blanks missing); other text
    columns become categorical, which LightGBM splits on natively; missing values stay
    missing, which LightGBM routes to the better side of each split.
    """
    for name in (target, id_column):
        if name is not None and name not in table.columns:
            raise TableError(f"column {name!r} not in the table (columns: {', '.join(map(str, table.columns))})")
    y = binary_target(table[target])
    features = table.drop(columns=[c for c in (target, id_column) if c is not None])
    prepared = {}
    for name, column in features.items():
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            prepared[name] = column.astype("float64")
        else:
            text = column.astype("string").str.strip().replace("", pd.NA)
            numbers = pd.to_numeric(text, errors="coerce")
            present = text.notna().sum()
            if present and numbers.notna().sum() >= _NUMERIC_SHARE * present:
                prepared[name] = numbers.astype(float)
            else:
                prepared[name] = text.astype("category")
    return pd.DataFrame(prepared, index=features.index), y


def top_decile_lift(y_true: np.ndarray, scores: np.ndarray) -> float:
    """Churn rate among the 10% highest scores over the overall churn rate."""
    k = max(1, int(np.ceil(0.1 * len(scores))))
    top = np.argsort(-scores, kind="stable")[:k]
    return float(np.mean(y_true[top]) / np.mean(y_true))


@dataclass
class CrossValidation:
    folds: int
    rows: int
    base_rate: float
    roc_auc: list[float] = field(default_factory=list)
    pr_auc: list[float] = field(default_factory=list)
    top_decile_lift: list[float] = field(default_factory=list)
    brier: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        def stat(values: list[float]) -> dict[str, object]:
            return {"mean": float(np.mean(values)), "std": float(np.std(values)), "folds": values}

        return {
            "model": "lightgbm",
            "validation": f"stratified {self.folds}-fold cross-validation",
            "rows": self.rows,
            "base_rate": self.base_rate,
            "roc_auc": stat(self.roc_auc),
            "pr_auc": stat(self.pr_auc),
            "top_decile_lift": stat(self.top_decile_lift),
            "brier": stat(self.brier),
        }


def cross_validate(features: pd.DataFrame, y: np.ndarray, *, folds: int = 5, seed: int = 0) -> CrossValidation:
    result = CrossValidation(folds=folds, rows=len(y), base_rate=float(np.mean(y)))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(features, y):
        model = make_classifier(seed).fit(features.iloc[train], y[train])
        scores = np.asarray(model.predict_proba(features.iloc[test]))[:, 1]
        result.roc_auc.append(float(roc_auc_score(y[test], scores)))
        result.pr_auc.append(float(average_precision_score(y[test], scores)))
        result.top_decile_lift.append(top_decile_lift(y[test], scores))
        result.brier.append(float(brier_score_loss(y[test], scores)))
    return result
