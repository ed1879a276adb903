"""The pure SLA rules: deadlines in business time, the pause, stage thresholds and the
escalation levels passed. Expected times are counted by hand on 09:00-18:00 hours."""

from __future__ import annotations

from decimal import Decimal

import pytest

from telcrm.core.calendar import CALL_CENTRE
from telcrm.core.errors import ValidationFailed
from telcrm.tickets import sla
from telcrm.tickets.models import EscalationLevel, SlaPolicy, SlaStage

from .desk import at

T = sla.Targets(response_minutes=60, resolution_minutes=540)


class TestDeadlines:
    def test_within_one_day(self) -> None:
        d = sla.deadlines(T, opened_at=at("2025-03-04T09:00"))
        assert d.response_due == at("2025-03-04T10:00")
        assert d.resolution_due == at("2025-03-04T18:00")
        assert d.warn_at == at("2025-03-04T16:12")  # 80% of 540 = 432 minutes
        assert d.manager_at == at("2025-03-05T13:30")  # 150% = 810 = 540 + 270
        assert d.regulatory_due is None

    def test_across_national_day(self) -> None:
        d = sla.deadlines(T, opened_at=at("2025-09-30T14:00"))
        assert d.resolution_due == at("2025-10-09T14:00")

    def test_across_a_make_up_sunday(self) -> None:
        # Friday 9 Feb 2024 15:00: three hours that day, the rest on Sunday 18 Feb (worked).
        d = sla.deadlines(T, opened_at=at("2024-02-09T15:00"))
        assert d.resolution_due == at("2024-02-18T15:00")

    def test_a_pause_moves_every_business_deadline(self) -> None:
        d = sla.deadlines(T, opened_at=at("2025-03-04T09:00"), paused_minutes=90)
        assert d.response_due == at("2025-03-04T11:30")
        assert d.resolution_due == at("2025-03-05T10:30")

    def test_the_regulatory_deadline_counts_calendar_days_and_never_pauses(self) -> None:
        t = sla.Targets(response_minutes=60, resolution_minutes=540, regulatory_days=15)
        d = sla.deadlines(t, opened_at=at("2025-09-30T14:00"), paused_minutes=5000)
        assert d.regulatory_due == at("2025-10-15T14:00")

    def test_round_the_clock(self) -> None:
        t = sla.Targets(response_minutes=30, resolution_minutes=240, calendar=CALL_CENTRE)
        d = sla.deadlines(t, opened_at=at("2025-10-01T22:00"))
        assert d.resolution_due == at("2025-10-02T02:00")

    def test_the_policy_picks_the_clock_and_settings_the_hours(self, settings) -> None:  # type: ignore[no-untyped-def]
        fault = SlaPolicy(stars=5, kind="fault", response_minutes=30, resolution_minutes=240, round_the_clock=True)
        assert sla.deadlines(sla.targets_of(fault), opened_at=at("2025-10-01T22:00")).resolution_due == at(
            "2025-10-02T02:00")
        settings.TELCRM_CALENDAR = {"opens": "08:30", "closes": "19:00", "extra_holidays": ["2025-03-05"]}
        office = SlaPolicy(stars=1, kind="request", response_minutes=60, resolution_minutes=60)
        assert sla.deadlines(sla.targets_of(office), opened_at=at("2025-03-04T18:30")).resolution_due == at(
            "2025-03-06T09:00")

    def test_shares_come_from_the_policy(self) -> None:
        policy = SlaPolicy(stars=5, kind="fault", response_minutes=30, resolution_minutes=100,
                           warn_share=Decimal("0.50"), manager_share=Decimal("2.00"))
        d = sla.deadlines(sla.targets_of(policy), opened_at=at("2025-03-04T09:00"))
        assert (d.warn_at, d.manager_at) == (at("2025-03-04T09:50"), at("2025-03-04T12:20"))


class TestStages:
    def times(self, *, responded: bool, regulatory_days: int | None = None) -> sla.StageTimes:
        t = sla.Targets(response_minutes=60, resolution_minutes=540, regulatory_days=regulatory_days)
        return sla.stage_times(sla.deadlines(t, opened_at=at("2025-03-04T09:00")), responded=responded)

    def test_responded_in_time(self) -> None:
        s = self.times(responded=True)
        assert (s.warn_at, s.supervisor_at, s.manager_at) == (
            at("2025-03-04T16:12"), at("2025-03-04T18:00"), at("2025-03-05T13:30"))

    def test_a_missed_first_response_escalates_to_the_supervisor(self) -> None:
        s = self.times(responded=False)
        assert s.supervisor_at == at("2025-03-04T10:00")
        assert s.warn_at == s.supervisor_at  # the warning cannot come after the breach

    def test_the_regulatory_deadline_brings_the_manager_forward(self) -> None:
        t = sla.Targets(response_minutes=60, resolution_minutes=20 * 540, regulatory_days=15)
        s = sla.stage_times(sla.deadlines(t, opened_at=at("2025-03-04T09:00")), responded=True)
        assert s.manager_at == at("2025-03-19T09:00")
        assert s.supervisor_at == s.manager_at  # the target falls after the regulator's deadline

    @pytest.mark.parametrize(("now", "stage"), [
        ("2025-03-04T16:11:59", SlaStage.ON_TIME), ("2025-03-04T16:12", SlaStage.WARNED),
        ("2025-03-04T17:59:59", SlaStage.WARNED), ("2025-03-04T18:00", SlaStage.SUPERVISOR),
        ("2025-03-05T13:29:59", SlaStage.SUPERVISOR), ("2025-03-05T13:30", SlaStage.MANAGER),
    ])
    def test_thresholds(self, now: str, stage: SlaStage) -> None:
        assert sla.stage_at(self.times(responded=True), now=at(now)) == stage

    def test_next_check_walks_the_stages(self) -> None:
        s = self.times(responded=True)
        assert [sla.next_check(s, stage=x) for x in SlaStage] == [s.warn_at, s.supervisor_at, s.manager_at, None]

    @pytest.mark.parametrize(("old", "new", "levels"), [
        (0, 0, []), (0, 1, []), (0, 2, ["supervisor"]), (0, 3, ["supervisor", "manager"]),
        (1, 2, ["supervisor"]), (1, 3, ["supervisor", "manager"]), (2, 2, []), (2, 3, ["manager"]),
        (3, 3, []),
    ])
    def test_escalations_between(self, old: int, new: int, levels: list[str]) -> None:
        assert sla.escalations_between(old, new) == [EscalationLevel(x) for x in levels]


class TestPolicyAndTimers:
    def test_a_channel_policy_wins_over_the_catch_all(self) -> None:
        general = SlaPolicy(stars=3, kind="fault", channel="", response_minutes=60, resolution_minutes=600)
        hall = SlaPolicy(stars=3, kind="fault", channel="business_hall", response_minutes=10,
                         resolution_minutes=300)
        other = SlaPolicy(stars=4, kind="fault", channel="", response_minutes=5, resolution_minutes=5)
        rows = [general, hall, other]
        assert sla.pick_policy(rows, stars=3, kind="fault", channel="business_hall") is hall
        assert sla.pick_policy(rows, stars=3, kind="fault", channel="web") is general
        with pytest.raises(ValidationFailed):
            sla.pick_policy(rows, stars=2, kind="fault", channel="web")

    def test_the_countdown_stands_still_while_paused(self) -> None:
        due = at("2025-03-05T12:00")
        running = sla.remaining_minutes(T, due=due, now=at("2025-03-05T10:00"))
        paused = sla.remaining_minutes(T, due=due, now=at("2025-03-06T10:00"), paused_since=at("2025-03-05T10:00"))
        assert running == paused == 120
        assert sla.remaining_minutes(T, due=due, now=at("2025-03-05T13:00")) == -60

    def test_paused_minutes_are_business_minutes(self) -> None:
        # Friday 17:00 to Monday 10:00: one hour Friday, one hour Monday.
        assert sla.paused_for(T, since=at("2025-03-07T17:00"), until=at("2025-03-10T10:00")) == 120
        assert sla.paused_for(T, since=at("2025-03-07T17:00"), until=at("2025-03-07T16:00")) == 0
