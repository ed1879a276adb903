"""Loss equivalence: how many customers of one group it takes to replace the revenue (and
the margin) of one customer of another.

Telecom's figure (domain.md section 2): losing one big customer takes about 79 commercial
or 338 residential customers to replace in revenue. The ratio is simply the other group's
mean revenue per customer over this group's; the same with margin says how many it takes
to replace the profit, which differs wherever the groups' cost shares differ.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class GroupTotals:
    """A group's customers and their summed monthly revenue and margin (yuan)."""

    name: str
    customers: int
    revenue: float
    margin: float

    @property
    def revenue_per_customer(self) -> float | None:
        return self.revenue / self.customers if self.customers else None

    @property
    def margin_per_customer(self) -> float | None:
        return self.margin / self.customers if self.customers else None


@dataclasses.dataclass(frozen=True)
class LossEquivalence:
    """``revenue_ratio`` customers of ``a`` bring the monthly revenue of one customer of
    ``b`` (79 when ``a`` is commercial and ``b`` a big customer, in the source);
    ``margin_ratio`` the same for margin. None where a group is empty or its mean is not
    positive: no number of such customers replaces anything."""

    a: GroupTotals
    b: GroupTotals
    revenue_ratio: float | None
    margin_ratio: float | None


def _ratio(replaced: float | None, replacing: float | None) -> float | None:
    if replaced is None or replacing is None or replacing <= 0:
        return None
    return replaced / replacing


def loss_equivalence(a: GroupTotals, b: GroupTotals) -> LossEquivalence:
    """How many customers of ``a`` replace one customer of ``b``."""
    return LossEquivalence(
        a=a,
        b=b,
        revenue_ratio=_ratio(b.revenue_per_customer, a.revenue_per_customer),
        margin_ratio=_ratio(b.margin_per_customer, a.margin_per_customer),
    )
