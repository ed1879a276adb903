"""The manager's dashboard of the nightly analytics (issue 3, "Screens and API"): the tier
pyramid, value by segment, the churn-risk distribution, model quality over time, warnings
handled, loss equivalence between two segments, and the last nightly run.

It lives in ``web`` because it reads every analytics app and the nightly run's record,
which neither value nor churn may import (architecture.md, convention 2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import User

from telcrm.churn import queries as churn_queries
from telcrm.nightly.models import NightlyRun
from telcrm.stats.loss import LossEquivalence
from telcrm.value import queries as value_queries
from telcrm.value.services import loss_equivalence


@dataclass
class Dashboard:
    pyramid: value_queries.Pyramid
    value_chart: dict
    risk_chart: dict
    quality: list[churn_queries.QualityPoint]
    quality_chart: dict
    handled: churn_queries.Handled
    loss: LossEquivalence | None
    last_run: NightlyRun | None
    last_done: NightlyRun | None

    @property
    def grade_max(self) -> int:
        return max((g.count for g in self.pyramid.grades), default=0) or 1

    @property
    def segment_max(self) -> int:
        return max((s.count for s in self.pyramid.segments), default=0) or 1


def last_runs() -> tuple[NightlyRun | None, NightlyRun | None]:
    """The newest run whatever its state (running, failed) and the newest finished one,
    whose results the screens show."""
    return NightlyRun.objects.first(), NightlyRun.objects.filter(status="done").first()


def manager_dashboard(user: User, *, month: dt.date | None = None, lost: str | None = None,
                      replacing: str = "mass") -> Dashboard:
    """Everything the dashboard shows for ``month`` (default: the newest with values);
    the loss equivalence says how many ``replacing`` customers make up one ``lost`` one
    (by default one of the highest grade that has customers, as the source's "big
    customer")."""
    pyramid = value_queries.tier_pyramid(month=month)
    lost = lost or next((g.tier for g in pyramid.grades if g.count), "1A")
    points = churn_queries.model_quality()
    last_run, last_done = last_runs()
    return Dashboard(
        pyramid=pyramid, value_chart=value_queries.value_chart(pyramid),
        risk_chart=churn_queries.risk_histogram(month=month), quality=points,
        quality_chart=churn_queries.quality_chart(points),
        handled=churn_queries.warnings_handled(user, month=month),
        loss=loss_equivalence(user, month=pyramid.month, a=replacing, b=lost) if pyramid.month else None,
        last_run=last_run, last_done=last_done,
    )
