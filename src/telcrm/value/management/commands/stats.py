"""``telcrm stats sbg``: the sBG retention model and DERL for analysts, as JSON.

Example (Fader and Hardie 2007, "regular" customers, 7 years):
    telcrm stats sbg --survivors 1000,631,468,382,326,289,262,241 --discount 0.1
"""

from __future__ import annotations

import argparse
import json

from django.core.management.base import BaseCommand, CommandError, CommandParser

from telcrm.stats.sbg import ShiftedBetaGeometricFitter


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

    def handle(self, *args: object, method: str, **options: object) -> None:
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
