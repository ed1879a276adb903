"""The demo's nightly analytics: the last months of the lake, oldest first, so every
screen has history to show (tier changes need a month before; the risk panel a trend).

A churn model is trained first when none is active, on the lake's history up to its newest
month; a lake too short for an honest time split (``analytics.churn_dataset.time_split``)
leaves the warnings to the rules alone, and the demo says so. The demo's earlier months
are then scored by a model whose training window covered their outcomes: fine for showing
the screens, not a measure of the model (its own test months are, ``ChurnModel.metrics``). A second ``make demo`` on
the same data finds the model active and every month done (``services.current_run``), and
runs nothing again. The care demo (campaigns, triggers, call tasks; care/demo.py) follows
the nightly results it selects its audiences from, and is as idempotent.
"""

from __future__ import annotations

from io import TextIOBase
from pathlib import Path

from django.conf import settings

from telcrm.care.demo import seed_demo_care
from telcrm.churn import services as churn_services
from telcrm.core.errors import ValidationFailed
from telcrm.nightly.models import NightlyRun
from telcrm.nightly.pipeline import lake_months
from telcrm.nightly.services import current_run, run_nightly, snapshot_dir
from telcrm.nightly.snapshot import export_snapshot
from telcrm.tickets.demo import seed_demo_tickets

DEMO_MONTHS = 6


def ensure_churn_model(*, out: TextIOBase) -> str:
    """The active model's version, training and activating one if there is none; an empty
    string when the lake cannot support one."""
    model = churn_services.active_model()
    if model is not None:
        return model.version
    lake_dir = Path(settings.LAKE_DIR)
    newest = lake_months(lake_dir)[-1]
    directory = snapshot_dir(newest)
    export_snapshot(directory, as_of=newest)
    out.write(f"Training a churn model on the lake up to {newest}\n")
    try:
        model = churn_services.train_model(
            churn_services.modelling_actor(), lake_dir=lake_dir, snapshot_dir=directory, as_of=newest, activate=True
        )
    except ValidationFailed as error:
        out.write(f"No churn model ({error.message}): warnings come from the rules alone\n")
        return ""
    auc = model.metrics.get("roc_auc")
    shown = f", ROC AUC {auc:.3f} on its test months" if isinstance(auc, float) else ""
    out.write(f"Churn model {model.version} active{shown}\n")
    for check in churn_services.backtest_known_months(model, lake_dir=lake_dir, snapshot_dir=directory):
        out.write(f"Backtest {check.month:%Y-%m}: ROC AUC {check.metrics['roc_auc']:.3f}\n")
    return model.version


def run_demo_nightly(*, out: TextIOBase, months: int = DEMO_MONTHS, progress: bool = True) -> list[NightlyRun]:
    """Nightly runs for the lake's last ``months`` months, oldest first, each skipped when
    already done on the same data, rules and model."""
    available = lake_months(Path(settings.LAKE_DIR))
    if not available:
        raise ValidationFailed("lake: nothing imported, no month to analyse")
    ensure_churn_model(out=out)
    runs = []
    for month in available[-months:]:
        done = current_run(month)
        if done is not None:
            out.write(f"Nightly analytics for {month}: done before on the same data\n")
            runs.append(done)
            continue
        out.write(f"Nightly analytics for {month}\n")
        runs.append(run_nightly(as_of=month, out=out, progress=progress))
    # The desk's tickets come after the nightly tiers: their targets follow the stars.
    seed_demo_tickets(out=out)
    seed_demo_care(out=out)
    return runs
