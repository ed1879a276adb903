"""The business calendar: working days in mainland China and business hours, for SLA clocks
and due dates (architecture.md, convention 10; domain.md section 5).

A Chinese working day is not simply Monday to Friday: the State Council's yearly notice
moves public holidays (Spring Festival, National Day, ...) next to weekends and makes some
Saturdays and Sundays working days in exchange (调休, make-up working days). Both come from
the ``holidays`` package, which ships each year's notice (2024-2026 here); a year whose
notice it does not yet carry gets the statutory holidays without make-up days, and
``extra_holidays`` / ``extra_workdays`` patch a calendar until the package catches up.

Pure: no database, no clock; every time is passed in (aware datetimes, any zone) and
results are returned in the calendar's zone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

SHANGHAI = "Asia/Shanghai"


@lru_cache(maxsize=1)
def _china() -> holidays.HolidayBase:
    # One shared table, filled for the years the desk works in when first built (so
    # request threads only read it); ``holidays`` adds any other year on first look-up.
    return holidays.country_holidays("CN", years=range(2020, 2031))


def is_china_working_day(day: dt.date) -> bool:
    """A working day by the State Council's notice: weekdays that are no public holiday,
    and the weekend days made working days (调休)."""
    return bool(_china().is_working_day(day))


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours on Chinese working days. The back office works 09:00-18:00
    (Asia/Shanghai) by default; ``round_the_clock`` is the call centre's 24x7 clock, on
    which every minute of every day counts (10086 never closes)."""

    opens: dt.time = dt.time(9, 0)
    closes: dt.time = dt.time(18, 0)
    zone: str = SHANGHAI
    round_the_clock: bool = False
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not self.round_the_clock and self.closes <= self.opens:
            raise ValueError("business hours must close after they open")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        return is_china_working_day(day)

    def _hours(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        return (dt.datetime.combine(day, self.opens, self.tz),
                dt.datetime.combine(day, self.closes, self.tz))

    def add_business_minutes(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The moment ``minutes`` of business time after ``start``. Time outside business
        hours does not count, so a start at night counts from the next opening (and zero
        minutes gives that opening)."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        moment = _aware(start).astimezone(self.tz)
        left = dt.timedelta(minutes=minutes)
        if self.round_the_clock:
            return moment + left
        day = moment.date()
        while True:
            if self.is_working_day(day):
                opening, closing = self._hours(day)
                begin = max(moment, opening)
                if begin < closing:
                    if left <= closing - begin:
                        return begin + left
                    left -= closing - begin
            day += dt.timedelta(days=1)
            moment = dt.datetime.combine(day, dt.time(0), self.tz)

    def business_minutes_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business minutes from ``start`` to ``end`` (negative when ``end`` is earlier)."""
        a, b = _aware(start).astimezone(self.tz), _aware(end).astimezone(self.tz)
        if b < a:
            return -self.business_minutes_between(b, a)
        if self.round_the_clock:
            return (b - a).total_seconds() / 60
        total = dt.timedelta()
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                opening, closing = self._hours(day)
                begin, finish = max(a, opening), min(b, closing)
                if finish > begin:
                    total += finish - begin
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business time needs timezone-aware datetimes")
    return moment


#: The back office (billing, network, provisioning, SP management): 09:00-18:00.
BACK_OFFICE = BusinessCalendar()
#: The call centre: 24x7.
CALL_CENTRE = BusinessCalendar(round_the_clock=True)


def configured_calendar(*, round_the_clock: bool = False) -> BusinessCalendar:
    """The operator's calendar. ``settings.TELCRM_CALENDAR`` (optional) may set the back
    office's ``opens`` and ``closes`` ("HH:MM") and list ``extra_holidays`` and
    ``extra_workdays`` (ISO dates) for a year's notice the holidays package does not carry
    yet; the 24x7 clock only takes the zone."""
    from django.conf import settings

    conf = getattr(settings, "TELCRM_CALENDAR", {})
    zone = conf.get("zone", SHANGHAI)
    if round_the_clock:
        return BusinessCalendar(zone=zone, round_the_clock=True)
    return BusinessCalendar(
        opens=dt.time.fromisoformat(conf.get("opens", "09:00")),
        closes=dt.time.fromisoformat(conf.get("closes", "18:00")), zone=zone,
        extra_holidays=frozenset(dt.date.fromisoformat(d) for d in conf.get("extra_holidays", ())),
        extra_workdays=frozenset(dt.date.fromisoformat(d) for d in conf.get("extra_workdays", ())),
    )
