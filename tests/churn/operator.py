"""A small simulated operator laid out as the churn model reads it: the Parquet lake of
bills and usage by month, and the subscriptions snapshot the nightly run exports.

The simulator's files go straight into the lake's hive layout and the snapshot schema
(the database import is tested elsewhere); interaction counts and arrears are left at zero
because the model does not read them (``analytics.churn_dataset.SNAPSHOT_ONLY``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from telcrm.analytics import schemas
from telcrm.analytics.months import shift_month
from telcrm.simulate.generator import SimulationConfig, simulate

SUBSCRIBERS, MONTHS, SEED, END_MONTH = 4_000, 24, 11, "2026-10"


def lay_out(source: Path, root: Path) -> tuple[Path, Path]:
    """Lake and snapshot directories under ``root`` from the simulator's ``source``."""
    lake, snapshot = root / "lake", root / "snapshot"
    for kind in schemas.LAKE_KINDS:
        ds.write_dataset(
            pq.read_table(source / f"{kind}.parquet"), lake / kind, format="parquet",
            partitioning=["month"], partitioning_flavor="hive",
        )
    write_snapshot(pq.read_table(source / "subscriptions.parquet"), snapshot / "subscribers.parquet")
    return lake, snapshot


def write_snapshot(subscriptions: pa.Table, path: Path) -> Path:
    n = subscriptions.num_rows
    columns = {name: subscriptions.column(name) for name in subscriptions.column_names}
    columns["status_reason"] = pc.fill_null(columns["status_reason"], "")
    zeros = pa.array([0] * n, pa.int32())
    extra = {
        "arrears": pa.array([0] * n, pa.decimal128(12, 2)),
        **{name: zeros for name in ("complaints_3m", "complaints_resolved_3m", "termination_requests_3m",
                                    "care_contacts_3m")},
    }
    schema = schemas.SUBSCRIBERS.to_pyarrow()
    table = pa.table({name: (columns | extra)[name] for name in schema.names}).cast(schema)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def simulated_operator(out: Path, *, subscribers: int = SUBSCRIBERS, months: int = MONTHS,
                       seed: int = SEED) -> tuple[Path, Path]:
    source = out / "files"
    simulate(SimulationConfig(subscribers=subscribers, months=months, seed=seed, out=source,
                              end_month=END_MONTH), progress=False)
    return lay_out(source, out)


def truth_probability(source: Path, frame: pd.DataFrame, horizon: int) -> np.ndarray:
    """The simulator's own churn probability for each row over its label window, from the
    hazard it drew the first month's closure with (``truth/churn.parquet``): that hazard
    comes from the line's facts at the end of as_of plus its unobservable frailty, so no
    model of the observable facts can be expected to rank better. The hazard is held for
    the whole window, 1 - (1 - h) ** horizon, because the later months' hazards exist only
    for the lines that did not close, and using them would rank churners low."""
    truth = pq.read_table(source / "truth" / "churn.parquet", columns=["msisdn", "month", "hazard"]).to_pandas()
    hazard = pd.Series(np.nan, index=frame.index)
    for as_of, rows in frame.groupby("as_of", sort=False):
        first = truth[truth.month == shift_month(str(as_of), 1)].set_index("msisdn").hazard
        hazard.loc[rows.index] = rows.msisdn.map(first).to_numpy()
    return 1.0 - (1.0 - hazard.fillna(0.0).to_numpy()) ** horizon
