"""``telcrm churn evaluate``: the churn model's cross-validated quality on any flat table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError, CommandParser

from telcrm.churn.modelling import TableError, cross_validate, prepare_flat_table


class Command(BaseCommand):
    help = "Churn modelling (evaluate: stratified 5-fold cross-validation on a flat table)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="cross-validate the churn model on a CSV or Parquet table")
        evaluate.add_argument("--data", required=True, type=Path)
        evaluate.add_argument("--target", required=True, help="the churn column (yes/no, true/false, 1/0)")
        evaluate.add_argument("--id", dest="id_column", default=None, help="a customer id column to ignore")
        evaluate.add_argument("--folds", type=int, default=5)
        evaluate.add_argument("--seed", type=int, default=0)

    def handle(self, *args: object, action: str, **options: object) -> None:
        path: Path = options["data"]  # type: ignore[assignment]
        if not path.exists():
            raise CommandError(f"--data: no such file {path}")
        table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
        try:
            features, y = prepare_flat_table(
                table, target=str(options["target"]), id_column=options["id_column"]  # type: ignore[arg-type]
            )
        except TableError as exc:
            raise CommandError(str(exc)) from exc
        result = cross_validate(features, y, folds=int(options["folds"]), seed=int(options["seed"]))  # type: ignore[call-overload]
        self.stdout.write(json.dumps(result.as_dict(), indent=2))
