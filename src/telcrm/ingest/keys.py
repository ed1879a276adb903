"""Natural keys to database ids, loaded once per import and looked up by whole columns.

Files reference parties by what the operator knows them by (customer number, account
number, phone number, plan code, region code, user name; issue 2), never by our ids.
Each map is read from the database once, on first use, and held as Arrow arrays so a
batch of 65,536 references resolves in one ``index_in`` kernel, not 65,536 dict lookups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from django.contrib.auth import get_user_model
from django.db import connection

from telcrm.core.models import Region
from telcrm.customers.models import Account, Contact, Customer, Plan, Subscription, SubscriptionStatus


@dataclass
class KeyMap:
    """Keys and the values they map to, as parallel arrays (``values`` by column name)."""

    keys: pa.Array
    values: dict[str, pa.Array]

    @classmethod
    def from_rows(cls, rows: list[tuple], names: tuple[str, ...]) -> KeyMap:
        cols = list(zip(*rows, strict=True)) if rows else [() for _ in range(len(names) + 1)]
        return cls(
            keys=pa.array(cols[0], type=pa.string()),
            values={n: pa.array(c) if c else pa.array([], pa.int64())
                    for n, c in zip(names, cols[1:], strict=True)},
        )

    def index(self, arr: pa.Array) -> pa.Array:
        """Position of each key in the map, null where the key is unknown (or blank)."""
        return pc.index_in(arr, value_set=self.keys)

    def get(self, arr: pa.Array, name: str = "id") -> pa.Array:
        """The mapped value of each key, null where unknown."""
        return pc.take(self.values[name], self.index(arr))


def _rows(sql: str) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


class KeyMaps:
    """The maps an import needs, each loaded on first use."""

    def __init__(self) -> None:
        self._maps: dict[str, KeyMap] = {}
        self.reused: dict[str, list[tuple[dt.date, int, str, str, int]]] = {}

    def _load(self, name: str, sql: str, names: tuple[str, ...]) -> KeyMap:
        if name not in self._maps:
            self._maps[name] = KeyMap.from_rows(_rows(sql), names)
        return self._maps[name]

    def forget(self, name: str) -> None:
        """Drop a map that the import itself has changed (reloaded on next use)."""
        self._maps.pop(name, None)

    @property
    def regions(self) -> KeyMap:
        return self._load("regions", f"SELECT code, id FROM {Region._meta.db_table}", ("id",))

    @property
    def users(self) -> KeyMap:
        table = get_user_model()._meta.db_table
        return self._load("users", f"SELECT username, id FROM {table}", ("id",))

    @property
    def plans(self) -> KeyMap:
        return self._load("plans", f"SELECT code, id, brand FROM {Plan._meta.db_table}", ("id", "brand"))

    @property
    def customers(self) -> KeyMap:
        return self._load(
            "customers", f"SELECT customer_no, id, kind FROM {Customer._meta.db_table}", ("id", "kind")
        )

    @property
    def accounts(self) -> KeyMap:
        return self._load(
            "accounts",
            f"SELECT a.account_no, a.id, c.customer_no FROM {Account._meta.db_table} a "
            f"JOIN {Customer._meta.db_table} c ON c.id = a.customer_id",
            ("id", "customer_no"),
        )

    @property
    def lines(self) -> KeyMap:
        """Phone number -> its line; a number reused after closing maps to its newest line.

        Bills and usage of an earlier holder of a reused number are told apart by month,
        with ``reused`` (every line of such a number, newest first).
        """
        if "lines" not in self._maps:
            self._load_lines()
        return self._maps["lines"]

    def _load_lines(self) -> None:
        rows = _rows(
            f"SELECT s.msisdn, s.id, c.customer_no, s.payment_type, s.account_id, s.activated_on "
            f"FROM {Subscription._meta.db_table} s JOIN {Customer._meta.db_table} c "
            f"ON c.id = s.customer_id ORDER BY s.msisdn, s.activated_on DESC, s.id DESC"
        )
        newest: list[tuple] = []
        history: dict[str, list[tuple]] = {}
        for msisdn, sid, cno, ptype, acc, activated in rows:
            if newest and newest[-1][0] == msisdn:
                history.setdefault(msisdn, [newest[-1][1:]]).append((sid, cno, ptype, acc, activated))
                continue
            newest.append((msisdn, sid, cno, ptype, acc, activated))
        self._maps["lines"] = KeyMap.from_rows(
            [r[:5] for r in newest], ("id", "customer_no", "payment_type", "account_id")
        )
        self.reused = {
            m: [(_as_date(e[4]), e[0], e[1], e[2], e[3]) for e in entries]
            for m, entries in history.items()
        }

    @property
    def lines_by_activation(self) -> dict[tuple[str, dt.date], int]:
        """(phone number, activation date) -> line: the identity of a line across exports."""
        if not hasattr(self, "_by_activation"):
            self._by_activation = {
                (m, _as_date(a)): sid
                for m, a, sid in _rows(
                    f"SELECT msisdn, activated_on, id FROM {Subscription._meta.db_table}"
                )
            }
        return self._by_activation

    @property
    def open_lines(self) -> dict[str, dt.date]:
        """Phone number -> activation date of its line that is not closed."""
        if not hasattr(self, "_open_lines"):
            self._open_lines = {
                m: _as_date(a)
                for m, a in _rows(
                    f"SELECT msisdn, activated_on FROM {Subscription._meta.db_table} "
                    f"WHERE status <> '{SubscriptionStatus.CLOSED.value}'"
                )
            }
        return self._open_lines

    @property
    def contacts(self) -> dict[tuple[int, str], int]:
        if not hasattr(self, "_contacts"):
            self._contacts = {
                (cid, name): pk
                for pk, cid, name in _rows(f"SELECT id, customer_id, name FROM {Contact._meta.db_table}")
            }
        return self._contacts


def _as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
