"""Churn model versions: train one on history, activate it, score lines with it, and
measure it afterwards (issue 3, "Churn early warning": "Models are versioned with their
training window, metrics and feature list; scoring uses the active version; a drift check
compares the score and feature distributions with training time").

The nightly run calls ``active_model`` and ``score_lines`` batch by batch; the manager's
dashboard reads the ``ModelCheck`` rows that ``check_drift`` and ``backtest`` write.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import ibis
import pandas as pd
from django.contrib.auth.models import Permission, User
from django.db import transaction
from ibis.backends import BaseBackend

from telcrm.analytics import backends, schemas
from telcrm.analytics.churn_dataset import (
    CATEGORICAL,
    FEATURES,
    LABEL,
    label_end,
    labelled_month,
    time_split,
    training_set,
)
from telcrm.analytics.months import month_end, month_index, shift_month
from telcrm.churn import drift
from telcrm.churn.models import ChurnModel, ModelCheck
from telcrm.churn.scoring import load_estimator, score_frame
from telcrm.churn.training import EXPLAINED_SHARE, ChurnEstimator, evaluate, model_matrix
from telcrm.core.errors import PermissionDenied, ValidationFailed

DEFAULT_HORIZON = 3
SNAPSHOT_FILE = "subscribers.parquet"
SYSTEM_USER = "churn-model"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def modelling_actor(username: str | None = None) -> User:
    """The named user, or the ``churn-model`` system user that command-line and nightly
    training act as: it holds only the churn model permissions and has no usable password,
    so nobody signs in as it (it stays active because Django grants no permission to an
    inactive user)."""
    if username:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise ValidationFailed(f"actor: no user named {username!r}") from None
    user, created = User.objects.get_or_create(username=SYSTEM_USER)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.user_permissions.add(*Permission.objects.filter(
            content_type__app_label="churn", codename__in=["add_churnmodel", "change_churnmodel"]))
    return User.objects.get(pk=user.pk)  # fresh, without a stale permission cache


def _require(actor: User, perm: str, what: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(f"your role may not {what}")


def _first_day(month: str) -> dt.date:
    return dt.date(month_index(month) // 12, month_index(month) % 12 + 1, 1)


def _check_month(name: str, month: str | None) -> None:
    if month is not None and not _MONTH.match(month):
        raise ValidationFailed(f"{name}: month must be YYYY-MM, got {month!r}")


def _open_tables(
    lake_dir: Path | str, snapshot_dir: Path | str
) -> tuple[BaseBackend, ibis.Table, ibis.Table, ibis.Table, str, str]:
    """The engine, bills, usage, the subscriptions snapshot, and the lake's first and last
    month."""
    con = backends.connect()
    snapshot = Path(snapshot_dir) / SNAPSHOT_FILE
    if not snapshot.is_file():
        raise ValidationFailed(f"snapshot: no {SNAPSHOT_FILE} in {snapshot_dir} (the nightly run exports it)")
    try:
        bills = backends.read_lake(con, lake_dir, "bills")
        usage = backends.read_lake(con, lake_dir, "usage")
    except backends.LakeMissingError as error:
        raise ValidationFailed(f"lake: {error}") from error
    subscribers = backends.read_snapshot(con, snapshot, schemas.SUBSCRIBERS)
    span = con.to_pandas(bills.aggregate(first=bills.month.min(), last=bills.month.max()))
    return con, bills, usage, subscribers, str(span["first"][0]), str(span["last"][0])


def _next_version() -> str:
    numbers = [0]
    for version in ChurnModel.objects.values_list("version", flat=True):
        match = re.fullmatch(r"churn-(\d+)", version)
        if match:
            numbers.append(int(match.group(1)))
    return f"churn-{max(numbers) + 1}"


def train_model(
    actor: User,
    *,
    lake_dir: Path | str,
    snapshot_dir: Path | str,
    as_of: str | None = None,
    horizon: int = DEFAULT_HORIZON,
    activate: bool = False,
    seed: int = 0,
    calibration: str = "isotonic",
    explained_share: float = EXPLAINED_SHARE,
    progress: Callable[[str], None] | None = None,
) -> ChurnModel:
    """Train a new version on the lake's history as it stood at ``as_of`` (``YYYY-MM``,
    default: the lake's newest month; no outcome after it is read) and store it.

    ``snapshot_dir`` holds the nightly run's ``subscribers.parquet`` (schema
    ``analytics.schemas.SUBSCRIBERS``). Past months are rebuilt from it and the lake with a
    time split (``analytics.churn_dataset``): fit months, a later calibration slice, and
    test months whose label windows start after every training label has ended. The stored
    version carries the windows, horizon, features, parameters, test metrics, drift
    baselines and the fitted booster with its calibrator. ``explained_share``: the share of
    lines (the riskiest at training time) that get reason codes when scored. ``progress``
    is told the name of each stage as it starts.
    """
    _require(actor, "churn.add_churnmodel", "train churn models")
    _check_month("as_of", as_of)
    tell = progress or (lambda stage: None)
    tell("reading the lake")
    con, bills, usage, subscribers, first, last = _open_tables(lake_dir, snapshot_dir)
    end = as_of or last
    if month_index(end) > month_index(last):
        raise ValidationFailed(f"as_of: the lake ends at {last}")
    try:
        split = time_split(first, end, horizon=horizon)
    except ValueError as error:
        raise ValidationFailed(f"training window: {error}") from error

    tell("building the training set")
    # Sorted: the engine returns the union in any order, and bagging draws rows by position.
    frame = con.to_pandas(training_set(bills, usage, subscribers, months=split.months, horizon=horizon,
                                       last_month=end).order_by("as_of", "msisdn"))
    parts = {name: frame[frame.as_of.isin(months)] for name, months in
             (("fit", split.fit_months), ("calibration", split.calibration_months), ("test", split.test_months))}
    for name, part in parts.items():
        if part[LABEL].nunique() < 2:
            raise ValidationFailed(f"training window: the {name} months need both churners and stayers")

    tell("fitting and calibrating")
    x = {name: model_matrix(part) for name, part in parts.items()}
    y = {name: part[LABEL].to_numpy(dtype=int) for name, part in parts.items()}
    estimator = ChurnEstimator(calibration=calibration, seed=seed, explained_share=explained_share).fit(
        x["fit"], y["fit"], x["calibration"], y["calibration"])

    tell("measuring on the test months")
    metrics = evaluate(y["test"], estimator.predict_proba(x["test"]),
                       uncalibrated=estimator.uncalibrated_proba(x["test"]))
    metrics["rows"] = {name: len(part) for name, part in parts.items()}
    base = drift.baseline(x["fit"], estimator.predict_proba(x["fit"]), categorical=CATEGORICAL)

    tell("saving the version")
    model = ChurnModel.objects.create(
        version=_next_version(),
        train_start=_first_day(split.fit_months[0]),
        train_end=month_end(label_end(split.calibration_months[-1], horizon)),
        test_start=_first_day(split.test_months[0]),
        test_end=month_end(label_end(split.test_months[-1], horizon)),
        horizon_months=horizon,
        features=list(FEATURES),
        params={**estimator.params, "split": split.as_dict(), "as_of": end},
        metrics=metrics,
        baseline=base,
        artifact=estimator.to_bytes(),
    )
    return activate_model(actor, model=model) if activate else model


def activate_model(actor: User, *, model: ChurnModel) -> ChurnModel:
    """Make ``model`` the one version scoring uses; the previously active one stops (the
    database's one-active constraint holds at every step)."""
    _require(actor, "churn.change_churnmodel", "activate churn models")
    with transaction.atomic():
        ChurnModel.objects.filter(active=True).exclude(pk=model.pk).update(active=False)
        ChurnModel.objects.filter(pk=model.pk).update(active=True)
    model.active = True
    return model


def active_model() -> ChurnModel | None:
    """The version the nightly run scores with, or None (then warnings come from the rules
    alone)."""
    return ChurnModel.objects.filter(active=True).first()


def score_lines(model: ChurnModel, features: pd.DataFrame) -> pd.DataFrame:
    """Calibrated churn probability and reason codes for a batch of lines.

    ``features`` is a batch of ``analytics.features.subscriber_features`` rows (any extra
    columns are ignored; ``msisdn`` is required). Returns one row per input row, in input
    order: ``msisdn``, ``probability`` (float, calibrated) and ``reasons`` (a JSON-able list
    of up to three ``{"feature", "value", "contribution"}`` dicts, the features that push the
    line's risk up most, contributions in log-odds; empty below the riskiest fifth at
    training time, ``training.EXPLAINED_SHARE``). Stateless per call, so a million lines can
    be scored in batches.
    """
    return score_frame(load_estimator(bytes(model.artifact)), features)


def check_drift(model: ChurnModel, features: pd.DataFrame, scores: pd.DataFrame, *, month: str) -> ModelCheck:
    """Population stability index of each feature and of the score for ``month`` against
    the training baseline (``kind="drift"``); PSI above 0.25 is flagged. ``features`` and
    ``scores`` are the month's lines (or a random sample of them: decile shares are stable
    on a hundred thousand lines); a rerun for the month replaces the check."""
    _check_month("month", month)
    # The baseline holds the model's view of the features (``model_matrix``): compare like with like.
    current = model_matrix(features, model.features)
    report = drift.drift_report(model.baseline, current, scores["probability"].to_numpy(dtype=float))
    check, _ = ModelCheck.objects.update_or_create(
        model=model, month=_first_day(month), kind="drift", defaults={"metrics": report})
    return check


def backtest(model: ChurnModel, *, month: str, lake_dir: Path | str, snapshot_dir: Path | str) -> ModelCheck:
    """Realised quality of ``model`` on ``month`` once its horizon has passed
    (``kind="backtest"``: ROC AUC, PR AUC, top-decile lift, Brier, calibration): model
    quality over time for the manager's dashboard. The month's lines are scored again from
    the lake (scoring is deterministic, so these are the scores the nightly run gave them)
    and compared with the closures the snapshot now shows."""
    _check_month("month", month)
    con, bills, usage, subscribers, _, last = _open_tables(lake_dir, snapshot_dir)
    end = label_end(month, model.horizon_months)
    if month_index(end) > month_index(last):
        raise ValidationFailed(f"month: outcomes of {month} are known once the lake reaches {end} (it ends at {last})")
    frame = con.to_pandas(labelled_month(bills, usage, subscribers, as_of=month, horizon=model.horizon_months))
    y = frame[LABEL].to_numpy(dtype=int)
    if len(y) == 0 or y.min() == y.max():
        raise ValidationFailed(f"month: {month} has no churners or no stayers to measure against")
    probability = score_lines(model, frame)["probability"].to_numpy(dtype=float)
    metrics = evaluate(y, probability)
    metrics["horizon_end"] = end
    check, _ = ModelCheck.objects.update_or_create(
        model=model, month=_first_day(month), kind="backtest", defaults={"metrics": metrics})
    return check



def backtest_known_months(model: ChurnModel, *, lake_dir: Path | str, snapshot_dir: Path | str) -> list[ModelCheck]:
    """Backtests of every month from the model's test window on whose outcomes the lake
    already holds: months it never trained on, so the dashboard's "model quality over time"
    starts with honest points and gains one each month the horizon passes."""
    if model.test_start is None:
        return []
    _, _, _, _, _, last = _open_tables(lake_dir, snapshot_dir)
    month, checks = model.test_start.strftime("%Y-%m"), []
    while month_index(label_end(month, model.horizon_months)) <= month_index(last):
        checks.append(backtest(model, month=month, lake_dir=lake_dir, snapshot_dir=snapshot_dir))
        month = shift_month(month, 1)
    return checks

def model_summaries() -> list[dict[str, object]]:
    """Every version, newest first, with its windows and test metrics (``telcrm churn
    models``)."""
    keys = ("roc_auc", "pr_auc", "top_decile_lift", "brier", "brier_uncalibrated", "ece", "base_rate")
    return [
        {
            "version": m.version,
            "active": m.active,
            "trained_at": m.created_at.isoformat(timespec="seconds"),
            "horizon_months": m.horizon_months,
            "train": [m.train_start.isoformat(), m.train_end.isoformat()],
            "test": [d.isoformat() if d else None for d in (m.test_start, m.test_end)],
            "features": len(m.features),
            **{k: m.metrics.get(k) for k in keys},
        }
        for m in ChurnModel.objects.defer("artifact", "baseline")
    ]

