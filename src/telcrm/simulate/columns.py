"""Arrow columns built from NumPy arrays without a Python loop per row.

Millions of rows a second only come from C++ kernels: strings are assembled with
``pyarrow.compute`` (take, join, pad), money is written straight into the 16-byte
little-endian buffers of ``decimal128(12, 2)`` (the file contract, ingest/schemas.py),
dates and times are views of integer day and second counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MONEY = pa.decimal128(12, 2)
SHANGHAI = pa.timestamp("s", tz="Asia/Shanghai")
EPOCH = np.datetime64("1970-01-01", "D")
UTC_OFFSET_S = 8 * 3600  # Asia/Shanghai has kept UTC+8 without daylight saving since 1991


def pick(values: Sequence[str], index: np.ndarray) -> pa.Array:
    """``values[index]`` as a string column; an index of -1 gives null."""
    table = pa.array(list(values), pa.string())
    index = np.asarray(index)
    if (index < 0).any():
        return table.take(pa.array(index, mask=index < 0))
    return table.take(pa.array(index))


def join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def digits(values: np.ndarray, width: int) -> pa.Array:
    """Zero-padded decimal text of non-negative integers."""
    return pc.utf8_lpad(pc.cast(pa.array(np.asarray(values, np.int64)), pa.string()), width, "0")


def money(cents: np.ndarray) -> pa.Array:
    """Integer fen (分) as ``decimal128(12, 2)`` yuan: the unscaled value *is* the fen."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    buf = np.empty((len(cents), 2), np.int64)
    buf[:, 0] = cents
    buf[:, 1] = cents >> 63  # sign extension of the high word (two's complement)
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(buf)])


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Days since 1970-01-01 as ``date32``; rows where ``valid`` is False are null."""
    arr = pa.array(np.asarray(days, np.int32), mask=None if valid is None else ~valid)
    return arr.view(pa.date32())


def times(seconds_utc: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(seconds_utc, np.int64)).view(SHANGHAI)


def with_nulls(arr: pa.Array, valid: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(valid), arr, pa.scalar(None, arr.type))


def day_number(value: np.datetime64 | str) -> int:
    return int((np.datetime64(value, "D") - EPOCH).astype(np.int64))  # type: ignore[call-overload]


def month_text(starts_days: np.ndarray) -> list[str]:
    return [str(np.datetime64(int(d), "D"))[:7] for d in starts_days]
