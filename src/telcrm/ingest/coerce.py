"""Typed values from file cells, vectorised, with the rows that do not convert.

Each function returns ``(values, bad)``: the column in the schema's Arrow type (null where
a cell is blank or bad) and a boolean mask of cells that had a value but broke the rule,
with the rule's wording for the reject file. Conversion is one Arrow kernel per column;
only when a batch contains a bad cell are its cells converted one by one to find which.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_MONEY_RE = r"^-?\d{1,10}(\.\d{1,2})?$"
_INT_RE = r"^-?\d{1,10}$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
_TIME_RE = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})$"

RULES = {
    "money": "must be an amount in yuan with at most two decimals, like 123.45",
    "int": "must be a whole number",
    "date": "must be a real date YYYY-MM-DD",
    "month": "must be a month YYYY-MM",
    "timestamp": "must be an ISO 8601 time with its UTC offset, like 2024-03-01T10:00:00+08:00",
}

Coerced = tuple[pa.Array, pa.Array]


def _none_bad(n: int) -> pa.Array:
    return pa.array(np.zeros(n, dtype=bool))


def _cast_each(arr: pa.Array, target: pa.DataType) -> Coerced:
    """Slow path for a batch that has a bad cell: cast cell by cell to find which."""
    out: list = []
    bad: list[bool] = []
    for scalar in arr:
        if not scalar.is_valid:
            out.append(None)
            bad.append(False)
            continue
        try:
            out.append(pc.cast(pa.array([scalar.as_py()], type=arr.type), target)[0].as_py())
            bad.append(False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OverflowError):
            out.append(None)
            bad.append(True)
    return pa.array(out, type=target), pa.array(bad, type=pa.bool_())


def _cast(arr: pa.Array, target: pa.DataType, pattern: str | None = None) -> Coerced:
    """Cast text or a differently typed column; when a cell does not cast, check the text
    against ``pattern`` and cast cell by cell to find which (the slow path, bad files only).

    Arrow's casts are strict (no 30 February, no time without its offset, no third decimal
    on money), so a clean batch costs one kernel per column.
    """
    if arr.type == target:
        return arr, _none_bad(len(arr))
    text = pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)
    if text:
        arr = pc.utf8_trim_whitespace(arr)
    try:
        return pc.cast(arr, target), _none_bad(len(arr))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if text and pattern is not None:
        shaped = pc.fill_null(pc.match_substring_regex(arr, pattern), True)
        values, bad = _cast_each(pc.if_else(shaped, arr, None), target)
        return values, pc.or_(bad, pc.invert(shaped))
    return _cast_each(arr, target)


def to_money(arr: pa.Array, target: pa.DataType) -> Coerced:
    return _cast(arr, target, _MONEY_RE)


def to_int(arr: pa.Array, target: pa.DataType) -> Coerced:
    return _cast(arr, target, _INT_RE)


def to_date(arr: pa.Array, target: pa.DataType) -> Coerced:
    return _cast(arr, target, _DATE_RE)


def to_timestamp(arr: pa.Array, target: pa.DataType) -> Coerced:
    """Times carry their offset; they are kept in UTC, whatever the zone they came in."""
    utc = pa.timestamp("s", tz="UTC")
    if pa.types.is_timestamp(arr.type):
        return pc.cast(arr, utc), _none_bad(len(arr))
    return _cast(arr, utc, _TIME_RE)


def to_text(arr: pa.Array, target: pa.DataType) -> Coerced:
    """Text is trimmed; a cell of only spaces counts as blank."""
    if not pa.types.is_string(arr.type):
        arr = pc.cast(arr, pa.string())
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.if_else(pc.equal(arr, ""), None, arr)
    return arr, _none_bad(len(arr))


def to_month(arr: pa.Array) -> Coerced:
    """A month ``YYYY-MM`` stays text (it names the lake partition)."""
    arr, _ = to_text(arr, pa.string())
    shaped = pc.fill_null(pc.match_substring_regex(arr, _MONTH_RE), True)
    return pc.if_else(shaped, arr, None), pc.invert(shaped)


def converter(dtype: pa.DataType) -> tuple[Callable[[pa.Array, pa.DataType], Coerced], str]:
    """The conversion for a schema type and the rule named when a cell breaks it."""
    if pa.types.is_decimal(dtype):
        return to_money, RULES["money"]
    if pa.types.is_integer(dtype):
        return to_int, RULES["int"]
    if pa.types.is_date(dtype):
        return to_date, RULES["date"]
    if pa.types.is_timestamp(dtype):
        return to_timestamp, RULES["timestamp"]
    return to_text, ""
