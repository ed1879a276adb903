"""``telcrm churn``: the churn model from the command line.

- ``evaluate``: the modelling's cross-validated quality on any flat table;
- ``train``: a new version from the lake's history (time split, calibration), printed as
  JSON; ``--activate`` makes it the one the nightly run scores with;
- ``models``: the stored versions with their test metrics;
- ``activate``: make a stored version the one the nightly run scores with;
- ``backtest``: a version's realised quality on a month whose horizon has passed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from telcrm.churn import services
from telcrm.churn.modelling import TableError, cross_validate, prepare_flat_table
from telcrm.churn.models import ChurnModel
from telcrm.core.errors import TelcrmError

TRAIN_STAGES = 5


def _lake_options(parser: CommandParser) -> None:
    parser.add_argument("--lake-dir", type=Path, default=None, help="the Parquet lake (default: TELCRM_LAKE_DIR)")
    parser.add_argument("--snapshot-dir", type=Path, default=None,
                        help="where a nightly run exported subscribers.parquet (default: the newest "
                             "DATA_DIR/nightly/YYYY-MM that holds one)")


class Command(BaseCommand):
    help = "Churn modelling: evaluate a flat table, train and list model versions, backtest a month."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="cross-validate the churn model on a CSV or Parquet table")
        evaluate.add_argument("--data", required=True, type=Path)
        evaluate.add_argument("--target", required=True, help="the churn column (yes/no, true/false, 1/0)")
        evaluate.add_argument("--id", dest="id_column", default=None, help="a customer id column to ignore")
        evaluate.add_argument("--folds", type=int, default=5)
        evaluate.add_argument("--seed", type=int, default=0)

        train = sub.add_parser("train", help="train a model version on the lake's history")
        train.add_argument("--as-of", default=None, help="YYYY-MM: train as if this were the newest month")
        train.add_argument("--horizon", type=int, default=services.DEFAULT_HORIZON, help="months ahead (default 3)")
        train.add_argument("--calibration", choices=("isotonic", "sigmoid"), default="isotonic")
        train.add_argument("--activate", action="store_true", help="score with this version from now on")
        train.add_argument("--seed", type=int, default=0)
        train.add_argument("--actor", default=None, help="user name the training is recorded as")
        _lake_options(train)

        sub.add_parser("models", help="list model versions with their test metrics")
        activate = sub.add_parser("activate", help="score with this version from now on")
        activate.add_argument("version")
        activate.add_argument("--actor", default=None, help="user name the activation is recorded as")

        check = sub.add_parser("backtest", help="a version's realised quality on a month whose horizon has passed")
        check.add_argument("--month", required=True, help="YYYY-MM, a month the version scored")
        check.add_argument("--version", default=None, help="default: the active version")
        _lake_options(check)

    def handle(self, *args: object, action: str, **options: object) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except TelcrmError as error:
            raise CommandError(error.message) from error

    def _dirs(self, options: dict) -> tuple[Path, Path]:
        lake = options["lake_dir"] or settings.LAKE_DIR
        snapshot = options["snapshot_dir"]
        if snapshot is None:
            exported = sorted(Path(settings.DATA_DIR).glob(f"nightly/*/{services.SNAPSHOT_FILE}"))
            if not exported:
                raise CommandError("no snapshot: run `telcrm nightly` first, or name --snapshot-dir")
            snapshot = exported[-1].parent
        return Path(lake), Path(snapshot)

    def _evaluate(self, **options: object) -> None:
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

    def _train(self, **options: object) -> None:
        lake, snapshot = self._dirs(options)
        started = time.monotonic()
        stage = [0]

        def progress(name: str) -> None:
            stage[0] += 1
            self.stderr.write(f"[{time.monotonic() - started:6.1f} s] {stage[0]}/{TRAIN_STAGES} {name}")

        with transaction.atomic():
            model = services.train_model(
                services.modelling_actor(options["actor"]),  # type: ignore[arg-type]
                lake_dir=lake, snapshot_dir=snapshot, as_of=options["as_of"],  # type: ignore[arg-type]
                horizon=int(options["horizon"]), activate=bool(options["activate"]),  # type: ignore[call-overload]
                seed=int(options["seed"]), calibration=str(options["calibration"]),  # type: ignore[call-overload]
                progress=progress,
            )
        self.stderr.write(f"[{time.monotonic() - started:6.1f} s] done: {model.version}")
        self.stdout.write(json.dumps({
            "version": model.version, "active": model.active, "horizon_months": model.horizon_months,
            "split": model.params["split"], "metrics": model.metrics,
        }, indent=2))

    def _models(self, **options: object) -> None:
        self.stdout.write(json.dumps(services.model_summaries(), indent=2))

    def _activate(self, **options: object) -> None:
        model = ChurnModel.objects.filter(version=options["version"]).first()
        if model is None:
            raise CommandError(f"no model version {options['version']!r}")
        with transaction.atomic():
            services.activate_model(services.modelling_actor(options["actor"]), model=model)  # type: ignore[arg-type]
        self.stdout.write(json.dumps({"version": model.version, "active": True}))

    def _backtest(self, **options: object) -> None:
        version = options["version"]
        model = ChurnModel.objects.filter(version=version).first() if version else services.active_model()
        if model is None:
            raise CommandError(f"no model version {version!r}" if version else "no active model; name --version")
        lake, snapshot = self._dirs(options)
        with transaction.atomic():
            check = services.backtest(model, month=str(options["month"]), lake_dir=lake, snapshot_dir=snapshot)
        self.stdout.write(json.dumps({"version": model.version, "month": check.month.isoformat()[:7],
                                      **check.metrics}, indent=2))
