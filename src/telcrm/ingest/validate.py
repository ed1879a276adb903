"""Row validation: the checks every kind shares, then the kind's own rules (``rules.py``).

A batch is checked column by column with Arrow kernels (types, required cells, codes,
lengths, phone numbers, references), and each failing cell becomes one error naming the
row's line, the column and the rule (architecture.md, convention 6: an import collects
every row error before writing anything). The same checker runs in the validation pass
and again in the write pass, where it also hands the writer the typed values and the ids
its references resolved to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm.core.validators import MOBILE_PREFIXES
from telcrm.ingest.coerce import converter, to_month
from telcrm.ingest.keys import KeyMap, KeyMaps
from telcrm.ingest.kinds import KindSpec
from telcrm.ingest.reading import Batch

_MOBILE_PREFIXES = pa.array(sorted(p for ps in MOBILE_PREFIXES.values() for p in ps))


@dataclass
class Checked:
    """One batch after validation: typed values (plus resolved ids) and its errors."""

    batch: Batch
    values: dict[str, pa.Array]
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    # False in the write pass of a file the validation pass found clean: the checks would
    # find nothing, so only the values and resolved ids are computed
    record: bool = True

    @property
    def num_rows(self) -> int:
        return self.batch.data.num_rows

    def fail(self, mask: pa.Array | np.ndarray, column: str, reason: str) -> None:
        """Record ``reason`` against ``column`` for every row where ``mask`` is true."""
        if not self.record:
            return
        if isinstance(mask, pa.Array):
            mask = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
        for i in np.flatnonzero(mask):
            self.errors.append((int(i), column, reason))

    def fail_row(self, i: int, column: str, reason: str) -> None:
        if self.record:
            self.errors.append((i, column, reason))

    def good_mask(self) -> np.ndarray:
        good = np.ones(self.num_rows, dtype=bool)
        for i, _, _ in self.errors:
            good[i] = False
        return good

    def line(self, i: int) -> int:
        return self.batch.first_line + i

    def present(self, column: str) -> pa.Array:
        return pc.is_valid(self.values[column])

    def resolve(self, column: str, keymap: KeyMap, what: str, into: str, name: str = "id") -> None:
        """Look ``column`` up in ``keymap``; a present key that is unknown is an error."""
        ids = keymap.get(self.values[column], name)
        self.fail(pc.and_(self.present(column), pc.is_null(ids)), column, f"no such {what}")
        self.values[into] = ids

    def unknown_values(self, column: str, keymap: KeyMap, what: str) -> None:
        vals = self.values[column]
        self.fail(pc.and_(pc.is_valid(vals), pc.is_null(keymap.index(vals))), column, f"no such {what}")


def _raw_text(arr: pa.Array) -> pa.Array:
    return arr if pa.types.is_string(arr.type) else pc.cast(arr, pa.string())


class Checker:
    """Validates the batches of one file in order; holds what earlier rows established."""

    def __init__(self, spec: KindSpec, keys: KeyMaps, *, record: bool = True) -> None:
        from telcrm.ingest.rules import RULES

        self.spec = spec
        self.keys = keys
        self.rule = RULES[spec.name]
        self.seen: dict = {}
        self.record = record

    def check(self, batch: Batch) -> Checked:
        checked = Checked(batch, {}, record=self.record)
        for fld in self.spec.schema:
            raw = batch.data.column(fld.name)
            if fld.name == "month":
                values, bad = to_month(_raw_text(raw))
                rule = "must be a month YYYY-MM"
            else:
                convert, rule = converter(fld.type)
                values, bad = convert(raw, fld.type)
            checked.values[fld.name] = values
            checked.fail(bad, fld.name, rule)
        self._shared_rules(checked)
        self.rule(self, checked)
        return checked

    def _shared_rules(self, c: Checked) -> None:
        spec = self.spec
        for column in spec.required:
            raw = pc.utf8_trim_whitespace(_raw_text(c.batch.data.column(column)))
            c.fail(pc.fill_null(pc.equal(raw, ""), True), column, "is required")
        for column, allowed in spec.choices.items():
            vals = c.values[column]
            bad = pc.and_(pc.is_valid(vals), pc.invert(pc.is_in(vals, pa.array(sorted(allowed)))))
            c.fail(bad, column, f"must be one of {', '.join(sorted(allowed))}")
        for column, limit in spec.max_lengths.items():
            c.fail(pc.greater(pc.utf8_length(c.values[column]), limit), column,
                   f"must be at most {limit} characters")
        for column in spec.phones:
            vals = c.values[column]
            shaped = pc.match_substring_regex(vals, r"^1\d{10}$")
            c.fail(pc.invert(shaped), column,
                   "must be 11 digits starting with 1 (mainland mobile number)")
            known = pc.is_in(pc.utf8_slice_codeunits(vals, 0, 3), _MOBILE_PREFIXES)
            c.fail(pc.and_(shaped, pc.invert(known)), column,
                   "prefix is not allocated to a mainland operator")
        if "email" in c.values:
            ok = pc.match_substring_regex(c.values["email"], r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
            c.fail(pc.invert(ok), "email", "must be an email address like name@example.com")
