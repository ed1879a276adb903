"""Features for a month never see a later month: adding the future changes nothing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from telcrm.analytics import features

from .lakes import Lake, bills, subscriber, usage

AS_OF = "2024-06"


def _features(lake: Lake, subs: list[dict]) -> pd.DataFrame:
    b, u, s = lake.tables(subs)
    frame = lake.con.to_pandas(features.subscriber_features(b, u, s, as_of=AS_OF))
    return frame.set_index("msisdn").sort_index()


class TestNoLeakage:
    def test_future_months_and_later_events_do_not_change_features(self, tmp_path):
        rng = np.random.default_rng(3)
        msisdns = [f"139{n:08d}" for n in range(20)]
        lake = Lake(tmp_path)
        for m in msisdns:
            lake.add(
                bill_rows=bills(m, "2023-01", [float(v) for v in rng.uniform(10, 300, 18).round(2)]),
                usage_rows=usage(m, "2023-01", [int(v) for v in rng.integers(0, 900, 18)],
                                 competitor=[int(v) for v in rng.integers(0, 50, 18)]),
            )
        subs = [subscriber(m) for m in msisdns]
        before = _features(lake, subs)

        for m in msisdns:  # July to December 2024: spend collapses, all calls go to competitors
            lake.add(
                bill_rows=bills(m, "2024-07", [0.01] * 6),
                usage_rows=usage(m, "2024-07", [5] * 6, competitor=[5] * 6),
            )
        later = [
            subscriber(m, status="suspended", status_date=dt.date(2024, 9, 1)) if i % 2 else subscriber(m)
            for i, m in enumerate(msisdns)
        ]
        later.append(subscriber("13999999999", activated_on=dt.date(2024, 8, 1)))
        after = _features(lake, later)

        # A snapshot cannot tell the date of the status it replaced: a later status leaves
        # the date unknown, never the future date.
        unknowable = ["status_date", "status_reason"]
        pd.testing.assert_frame_equal(before.drop(columns=unknowable), after.drop(columns=unknowable))
        assert (after.status_date.dropna() <= pd.Timestamp("2024-06-30")).all()
        assert after.status_date.isna().sum() == 10
        assert len(before) == 20 and before.spend_mean_3m.notna().all()
