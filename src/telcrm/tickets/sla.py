"""SLA rules, pure: targets from a policy, deadlines in business time, the pause while
waiting for the customer, and the stage a ticket's clock has reached (domain.md section 5:
"priority and targets come from the customer's star service level and the ticket kind";
warnings at a share of the target, escalation to the supervisor and then the manager).

No database and no clock: the time is passed in, so every rule is tested exhaustively.

The stages, each reached once:

- warning at ``warn_share`` of the resolution target (80% by default);
- the supervisor at breach: the resolution target passed, or no first response by its
  target;
- the manager at ``manager_share`` of the resolution target (150% by default), or when a
  complaint passes its regulatory deadline unresolved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from telcrm.core.calendar import BACK_OFFICE, BusinessCalendar, configured_calendar
from telcrm.core.errors import ValidationFailed

from .models import EscalationLevel, SlaPolicy, SlaStage


@dataclass(frozen=True)
class Targets:
    response_minutes: int
    resolution_minutes: int
    warn_share: Decimal = Decimal("0.80")
    manager_share: Decimal = Decimal("1.50")
    regulatory_days: int | None = None
    #: The clock the targets count on: back-office hours, or 24x7 for the call centre.
    calendar: BusinessCalendar = BACK_OFFICE


def targets_of(policy: SlaPolicy) -> Targets:
    """A policy's targets on the operator's calendar (core.calendar.configured_calendar)."""
    return Targets(response_minutes=policy.response_minutes, resolution_minutes=policy.resolution_minutes,
                   warn_share=Decimal(policy.warn_share), manager_share=Decimal(policy.manager_share),
                   regulatory_days=policy.regulatory_days,
                   calendar=configured_calendar(round_the_clock=policy.round_the_clock))


def pick_policy(policies: Iterable[SlaPolicy], *, stars: int, kind: str, channel: str) -> SlaPolicy:
    """The policy of the customer's stars and the ticket kind; one written for the ticket's
    channel wins over the catch-all row (empty channel)."""
    fitting = [p for p in policies if p.stars == stars and p.kind == kind and p.channel in ("", channel)]
    if not fitting:
        raise ValidationFailed(f"no SLA policy for {stars} stars and {kind} tickets", code="no_sla_policy")
    return max(fitting, key=lambda p: p.channel == channel)


@dataclass(frozen=True)
class Deadlines:
    response_due: dt.datetime
    warn_at: dt.datetime
    resolution_due: dt.datetime
    manager_at: dt.datetime
    regulatory_due: dt.datetime | None


def deadlines(targets: Targets, *, opened_at: dt.datetime, paused_minutes: float = 0) -> Deadlines:
    """Every deadline of a ticket, moved on by the business minutes it stood paused. The
    regulator's deadline counts calendar days and never pauses."""
    cal = targets.calendar
    res = targets.resolution_minutes

    def after(minutes: float) -> dt.datetime:
        return cal.add_business_minutes(opened_at, minutes + paused_minutes)

    regulatory = (opened_at + dt.timedelta(days=targets.regulatory_days)
                  if targets.regulatory_days else None)
    return Deadlines(
        response_due=after(targets.response_minutes),
        warn_at=after(float(res * targets.warn_share)),
        resolution_due=after(res),
        manager_at=after(float(res * targets.manager_share)),
        regulatory_due=regulatory,
    )


@dataclass(frozen=True)
class StageTimes:
    """When each stage falls due; stored on the ticket (``warn_at``, ``supervisor_at``,
    ``manager_at``) so the sweep compares columns with the time and computes nothing."""

    warn_at: dt.datetime
    supervisor_at: dt.datetime
    manager_at: dt.datetime

    def of(self, stage: int) -> dt.datetime | None:
        """When ``stage`` falls due (None for "on time", which is no deadline)."""
        by_stage = {int(SlaStage.WARNED): self.warn_at, int(SlaStage.SUPERVISOR): self.supervisor_at,
                    int(SlaStage.MANAGER): self.manager_at}
        return by_stage.get(stage)


def stage_times(d: Deadlines, *, responded: bool) -> StageTimes:
    manager = d.manager_at if d.regulatory_due is None else min(d.manager_at, d.regulatory_due)
    supervisor = d.resolution_due if responded else min(d.resolution_due, d.response_due)
    # A later stage reached earlier (a missed first response before the warning, a
    # regulatory deadline before the breach) implies the earlier ones.
    supervisor = min(supervisor, manager)
    return StageTimes(warn_at=min(d.warn_at, supervisor), supervisor_at=supervisor, manager_at=manager)


def stage_at(times: StageTimes, *, now: dt.datetime) -> SlaStage:
    if now >= times.manager_at:
        return SlaStage.MANAGER
    if now >= times.supervisor_at:
        return SlaStage.SUPERVISOR
    if now >= times.warn_at:
        return SlaStage.WARNED
    return SlaStage.ON_TIME


def next_check(times: StageTimes, *, stage: int) -> dt.datetime | None:
    """When the stage after ``stage`` falls due, or None after the last one: the ticket's
    ``sweep_due_at``."""
    return times.of(stage + 1) if stage < SlaStage.MANAGER else None


def escalations_between(old: int, new: int) -> list[EscalationLevel]:
    """The escalation levels a ticket passes going from stage ``old`` to ``new``: a sweep
    that finds a ticket long overdue records the supervisor and the manager."""
    levels = []
    if old < SlaStage.SUPERVISOR <= new:
        levels.append(EscalationLevel.SUPERVISOR)
    if old < SlaStage.MANAGER <= new:
        levels.append(EscalationLevel.MANAGER)
    return levels


def paused_for(targets: Targets, *, since: dt.datetime, until: dt.datetime) -> float:
    """Business minutes a pending ticket stood still."""
    return max(0.0, targets.calendar.business_minutes_between(since, until))


def remaining_minutes(targets: Targets, *, due: dt.datetime, now: dt.datetime,
                      paused_since: dt.datetime | None = None) -> float:
    """Business minutes left until ``due`` (negative when overdue): the countdown the agent's
    queue shows. While paused it stands at what was left when the pause began."""
    return targets.calendar.business_minutes_between(paused_since or now, due)
