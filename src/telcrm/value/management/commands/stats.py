"""``telcrm stats sbg``: the sBG retention model and DERL for analysts, as JSON.

Example (Fader and Hardie 2007, "regular" customers, 7 years):
    telcrm stats sbg --survivors 1000,631,468,382,326,289,262,241 --discount 0.1

``telcrm stats lifetime``: the nightly run's survival fits (per payment type, cohort and
brand, ``analytics/value.py``) on any subscriptions file, and the expected residual
lifetime they give by tenure:
    telcrm stats lifetime --subscriptions subscriptions.parquet --as-of 2026-10 --observed-from 2024-11
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from telcrm.analytics import backends
from telcrm.analytics.value import ValueRules, fit_survival, survival_counts
from telcrm.stats.sbg import ShiftedBetaGeometricFitter

LIFE_COLUMNS = {"payment_type": "string", "brand": "string", "activated_on": "date", "status": "string",
                "status_date": "date"}


def _counts(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",")]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"comma-separated whole numbers expected ({exc})") from exc


class Command(BaseCommand):
    help = "Statistical methods for analysts (sbg: shifted-beta-geometric retention and DERL)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="method", required=True)
        sbg = sub.add_parser("sbg", help="fit the sBG model to a cohort's survivor counts")
        sbg.add_argument("--survivors", required=True, type=_counts,
                         help="cohort size, then survivors at the end of each period")
        sbg.add_argument("--discount", type=float, default=0.1, help="discount rate per period")
        sbg.add_argument("--periods", type=int, default=None,
                         help="periods to project (default: twice those observed, at least 12)")
        life = sub.add_parser("lifetime", help="survival fits and residual lifetimes from a subscriptions file")
        life.add_argument("--subscriptions", required=True, type=Path,
                          help="Parquet or CSV with payment_type, brand, activated_on, status, status_date")
        life.add_argument("--as-of", required=True, help="the month scored, YYYY-MM")
        life.add_argument("--observed-from", required=True,
                          help="first month whose closures the file holds, YYYY-MM")
        life.add_argument("--tenures", type=_counts, default=[0, 12, 24, 60, 120],
                          help="tenures in months to print the residual lifetime for")

    def handle(self, *args: object, method: str, **options: object) -> None:
        if method == "lifetime":
            self.stdout.write(json.dumps(_lifetime(**options), indent=2))  # type: ignore[arg-type]
            return
        survivors: list[int] = options["survivors"]  # type: ignore[assignment]
        discount = float(options["discount"])  # type: ignore[arg-type]
        observed = len(survivors) - 1
        periods = int(options["periods"] or max(2 * observed, 12))  # type: ignore[call-overload]
        try:
            fit = ShiftedBetaGeometricFitter().fit(survivors)
        except ValueError as exc:
            raise CommandError(f"--survivors: {exc}") from exc
        tenure = list(range(1, periods + 1))
        result = {
            "model": "shifted-beta-geometric",
            "alpha": fit.alpha_,
            "beta": fit.beta_,
            "log_likelihood": fit.log_likelihood_,
            "observed_periods": observed,
            "discount": discount,
            "survival": [
                {"period": t, "projected": s, "observed": survivors[t] / survivors[0] if t <= observed else None}
                for t, s in enumerate(fit.survival_function(periods).tolist())
            ],
            "derl": [
                {"tenure": n, "derl": v}
                for n, v in zip(tenure, fit.derl(tenure, discount).tolist(), strict=True)
            ],
        }
        self.stdout.write(json.dumps(result, indent=2))


def _year_ranges(cohorts: pd.Series) -> str:
    """"2004-2015, 2017" for the cohorts a fit serves; empty for the pooled rows."""
    years = sorted({int(v) for v in cohorts.dropna()})
    runs: list[list[int]] = []
    for year in years:
        if runs and year == runs[-1][1] + 1:
            runs[-1][1] = year
        else:
            runs.append([year, year])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _lifetime(*, subscriptions: Path, as_of: str, observed_from: str, tenures: list[int], **_: object) -> dict:
    """The life table's totals, each distinct fit with the cohorts using it, and the
    residual lifetime (months, discounted) at the chosen tenures."""
    if not subscriptions.is_file():
        raise CommandError(f"--subscriptions: no such file {subscriptions}")
    con = backends.connect(threads=2)
    raw = con.read_csv(str(subscriptions)) if subscriptions.suffix == ".csv" else con.read_parquet(str(subscriptions))
    missing = sorted(set(LIFE_COLUMNS) - set(raw.columns))
    if missing:
        raise CommandError(f"--subscriptions: lacks columns {', '.join(missing)}")
    table = raw.select(*(raw[name].cast(dtype).name(name) for name, dtype in LIFE_COLUMNS.items()))
    rules = ValueRules()
    try:
        counts = con.to_pandas(survival_counts(table, as_of=as_of, observed_from=observed_from, rules=rules))
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    lookup = fit_survival(counts, as_of=as_of, rules=rules)
    totals = counts.groupby(["payment_type", "brand"], as_index=False)[["at_risk", "churned"]].sum()
    fits = lookup.groupby(["payment_type", "brand", "fit_level", "alpha", "beta"], as_index=False).agg(
        cohorts=("cohort", _year_ranges)
    )
    shown = lookup[lookup.tenure_months.isin(tenures)]
    return {
        "as_of": as_of,
        "observed_from": observed_from,
        "annual_discount": rules.annual_discount,
        "period_months": rules.period_months(),
        "life_table": totals.to_dict("records"),
        "fits": fits.to_dict("records"),
        "residual_lifetime": shown[
            ["payment_type", "brand", "tenure_months", "cohort", "expected_lifetime_months", "alive_months"]
        ].to_dict("records"),
    }
