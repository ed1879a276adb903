"""Calendar months as the pipeline counts them: ``YYYY-MM`` labels and a month index
(``year * 12 + month - 1``), so "the 3 months ending at M" is an integer range on every
engine, with no engine-specific date arithmetic."""

from __future__ import annotations

import calendar
import datetime as dt
import re

import ibis

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_index(month: str) -> int:
    match = _MONTH.match(month)
    if match is None:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return int(match[1]) * 12 + int(match[2]) - 1


def month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def shift_month(month: str, months: int) -> str:
    return month_label(month_index(month) + months)


def month_end(month: str) -> dt.date:
    """The last day of the month: the day the nightly run stands on when it scores a
    closed month (contract ends and suspensions are compared with it)."""
    index = month_index(month)
    year, number = divmod(index, 12)
    return dt.date(year, number + 1, calendar.monthrange(year, number + 1)[1])


def month_index_of_label(column: ibis.StringValue) -> ibis.IntegerValue:
    return column.substr(0, 4).cast("int32") * 12 + column.substr(5, 2).cast("int32") - 1


def month_index_of_date(column: ibis.DateValue) -> ibis.IntegerValue:
    return column.year().cast("int32") * 12 + column.month().cast("int32") - 1
