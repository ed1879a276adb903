"""Business-time arithmetic on the Chinese calendar. Expected values come from the State
Council's holiday notices (2024: Spring Festival 10-17 February off, Sunday 4 and 18
February worked; 2025: National Day 1-8 October off, Sunday 28 September and Saturday 11
October worked; 2026: Spring Festival 15-23 February off, Saturday 14 and 28 February
worked) counted by hand against 09:00-18:00 hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from telcrm.core.calendar import BACK_OFFICE, CALL_CENTRE, BusinessCalendar

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH)


class TestWorkingDays:
    @pytest.mark.parametrize("day", ["2024-02-04", "2024-02-18", "2025-09-28", "2025-10-11",
                                     "2026-02-14", "2026-02-28"])
    def test_make_up_weekend_days_are_worked(self, day: str) -> None:
        assert dt.date.fromisoformat(day).weekday() >= 5
        assert BACK_OFFICE.is_working_day(dt.date.fromisoformat(day))

    @pytest.mark.parametrize("day", ["2024-02-12", "2024-02-16", "2025-10-01", "2025-10-08",
                                     "2026-02-16", "2026-02-23", "2027-01-01"])
    def test_public_holidays_on_weekdays_are_not(self, day: str) -> None:
        assert dt.date.fromisoformat(day).weekday() < 5
        assert not BACK_OFFICE.is_working_day(dt.date.fromisoformat(day))

    def test_an_ordinary_weekend_is_not_worked(self) -> None:
        assert not BACK_OFFICE.is_working_day(dt.date(2025, 3, 8))
        assert not BACK_OFFICE.is_working_day(dt.date(2025, 3, 9))

    def test_extra_days_patch_a_year_the_package_lacks(self) -> None:
        patched = BusinessCalendar(extra_workdays=frozenset({dt.date(2027, 2, 20)}),
                                   extra_holidays=frozenset({dt.date(2027, 2, 11)}))
        assert patched.is_working_day(dt.date(2027, 2, 20))
        assert not patched.is_working_day(dt.date(2027, 2, 11))


class TestAddBusinessMinutes:
    def test_spring_festival_2024_continues_on_the_make_up_sunday(self) -> None:
        # Friday 9 Feb 17:00: one hour that day, then the holiday, then Sunday 18 Feb.
        assert BACK_OFFICE.add_business_minutes(at("2024-02-09T17:00"), 120) == at("2024-02-18T10:00")

    def test_national_day_2025_skips_eight_days(self) -> None:
        assert BACK_OFFICE.add_business_minutes(at("2025-09-30T17:30"), 60) == at("2025-10-09T09:30")

    def test_make_up_saturday_counts(self) -> None:
        assert BACK_OFFICE.add_business_minutes(at("2025-10-10T17:00"), 120) == at("2025-10-11T10:00")

    def test_spring_festival_2026_from_the_make_up_saturday(self) -> None:
        # Saturday 14 Feb is worked, 15-23 Feb are off: three days of work end on 25 Feb.
        assert BACK_OFFICE.add_business_minutes(at("2026-02-14T09:00"), 3 * 540) == at("2026-02-25T18:00")

    def test_new_year_2027(self) -> None:
        assert BACK_OFFICE.add_business_minutes(at("2026-12-31T17:00"), 120) == at("2027-01-04T10:00")

    def test_a_night_start_counts_from_the_next_opening(self) -> None:
        assert BACK_OFFICE.add_business_minutes(at("2025-03-04T20:00"), 30) == at("2025-03-05T09:30")
        assert BACK_OFFICE.add_business_minutes(at("2025-03-04T07:00"), 0) == at("2025-03-04T09:00")

    def test_an_exact_closing_stays_on_that_day(self) -> None:
        assert BACK_OFFICE.add_business_minutes(at("2025-03-04T17:00"), 60) == at("2025-03-04T18:00")

    def test_other_zones_are_converted(self) -> None:
        utc = dt.datetime(2024, 2, 9, 9, 0, tzinfo=dt.UTC)  # 17:00 in Shanghai
        assert BACK_OFFICE.add_business_minutes(utc, 120) == at("2024-02-18T10:00")

    def test_round_the_clock_counts_holidays(self) -> None:
        assert CALL_CENTRE.add_business_minutes(at("2024-02-09T17:00"), 120) == at("2024-02-09T19:00")

    def test_configured_hours(self) -> None:
        hall = BusinessCalendar(opens=dt.time(8, 30), closes=dt.time(19, 0))
        assert hall.add_business_minutes(at("2025-03-04T18:30"), 60) == at("2025-03-05T09:00")

    def test_bad_input_is_refused(self) -> None:
        with pytest.raises(ValueError):
            BACK_OFFICE.add_business_minutes(dt.datetime(2025, 3, 4, 9), 10)
        with pytest.raises(ValueError):
            BACK_OFFICE.add_business_minutes(at("2025-03-04T09:00"), -1)
        with pytest.raises(ValueError):
            BusinessCalendar(opens=dt.time(18), closes=dt.time(9))


class TestBusinessMinutesBetween:
    def test_across_spring_festival(self) -> None:
        assert BACK_OFFICE.business_minutes_between(at("2024-02-09T17:00"), at("2024-02-18T10:00")) == 120

    def test_reversed_is_negative(self) -> None:
        assert BACK_OFFICE.business_minutes_between(at("2025-10-11T10:00"), at("2025-10-10T17:00")) == -120

    def test_a_whole_holiday_week_is_zero(self) -> None:
        assert BACK_OFFICE.business_minutes_between(at("2025-10-01T00:00"), at("2025-10-08T23:59")) == 0

    def test_round_the_clock(self) -> None:
        assert CALL_CENTRE.business_minutes_between(at("2025-10-01T00:00"), at("2025-10-02T00:00")) == 1440

    @pytest.mark.parametrize("start", ["2024-02-08T16:20", "2025-09-27T12:00", "2025-10-10T08:00",
                                       "2026-02-13T17:59", "2026-12-30T10:15"])
    @pytest.mark.parametrize("minutes", [1, 45, 540, 1000, 2700])
    def test_inverse_of_adding(self, start: str, minutes: int) -> None:
        end = BACK_OFFICE.add_business_minutes(at(start), minutes)
        assert BACK_OFFICE.business_minutes_between(at(start), end) == pytest.approx(minutes)
