"""Customer value as the sources define it (domain.md section 2), as Ibis expressions.

**Current value** is direct (a line's monthly revenue, the 3-month mean bill, and its margin
after the costs other parties take from it) and additional (revenue the customer brings
through related lines: for an individual's line, the customer's other lines; for an
enterprise, the members of its group, 集团成员). **Potential value** is the revenue of the
next ``horizon_months`` months forecast from the line's own spend trend, capped, and
weighted by the chance it is still with us each month. **Lifetime value** (postpaid and
prepaid alike, with different periods) is the margin times the discounted expected
residual lifetime from the shifted-beta-geometric model fitted per payment type, cohort
and brand (``stats/lifetime.py``).

The nightly run calls, in this order:
1. ``survival_counts(subscribers, as_of=..., observed_from=...)``: the life table, executed
   (it is small: one row per payment type, cohort, brand and period);
2. ``fit_survival(counts, as_of=...)``: the fits and the tenure lookup, a pandas frame;
3. ``line_values(features, ibis.memtable(lookup), as_of=...)`` and
   ``enterprise_values(revenue, lines, tree)``: unexecuted expressions again.

Why brand and not the value segment: a line's brand (全球通, 动感地带, 神州行) is fixed when
it is activated and known for closed lines too, so survivors can be counted by it; a value
segment is recomputed every month from spend and only exists for open lines, and counting
survivors by today's segment would credit the survivors' segment with everyone's history.
"""

from __future__ import annotations

import dataclasses

import ibis
import pandas as pd

from telcrm.analytics.months import month_end, month_index, month_index_of_date
from telcrm.analytics.rules import VersionedRules
from telcrm.analytics.schemas import BILL_CATEGORIES
from telcrm.stats.lifetime import ALL_BRANDS, derl_lookup


@dataclasses.dataclass(frozen=True)
class ValueRules(VersionedRules):
    """Costs, discounting and the survival fit's guards.

    ``cost_<category>`` is the share of that bill category's revenue paid on to others, so
    the margin is a contribution margin (贡献毛利): own network and staff costs are fixed
    and not allocated per line. The defaults are an operator's typical proportions, to be
    replaced with its own settlement figures:
    - voice 0.20: inter-network settlement (网间结算) on calls ending in other networks,
      a few fen a minute against tariffs of 10-20 fen, on the minority of calls that leave;
    - sms 0.10: the same settlement, on messages;
    - vas 0.70: value-added services are mostly service providers' (SP) content, whose
      information fees the operator passes on under revenue sharing (SPs kept 85% under
      China Mobile's Monternet terms), blended with the operator's own functional services;
    - roaming 0.60: the visited network's wholesale charge, most of the retail price;
    - plan_fee 0.10 and data 0.05: the bundled allowances' share of settlement and
      transit; circuits 0.20: local loops leased where the operator has no fibre.
    ``annual_discount`` 0.10 is Fader and Hardie's rate, about an operator's cost of
    capital. Periods: a contract is renewed yearly (12 months); prepaid has no contract and
    lives month to month (1). ``trend_cap`` bounds the spend slope used in the forecast to
    that share of today's revenue per month, so one unusual bill cannot project a line to
    double (or vanish) within a year. ``min_group_lines``/``min_group_periods`` guard the
    per-cohort fit (a smaller group borrows its brand's, then everyone's);
    ``group_depth`` is how many levels of a group hierarchy count as members;
    ``circuit_lifetime_months`` is the expected remaining term of a circuit (专线), whose
    contracts run one to three years and are usually renewed.
    """

    version: str = "value-1"
    cost_plan_fee: float = 0.10
    cost_voice: float = 0.20
    cost_data: float = 0.05
    cost_sms: float = 0.10
    cost_vas: float = 0.70
    cost_roaming: float = 0.60
    cost_circuits: float = 0.20
    annual_discount: float = 0.10
    postpaid_period_months: int = 12
    prepaid_period_months: int = 1
    horizon_months: int = 12
    trend_cap: float = 0.03
    min_group_lines: int = 500
    min_group_periods: int = 3
    group_depth: int = 3
    circuit_lifetime_months: int = 36

    def __post_init__(self) -> None:
        shares = [self.cost_share(name) for name in (*BILL_CATEGORIES, "circuits")]
        if any(not 0 <= share <= 1 for share in shares):
            raise ValueError("cost shares must lie between 0 and 1")
        if not 0 < self.annual_discount < 1:
            raise ValueError("the annual discount rate must lie strictly between 0 and 1")
        if self.postpaid_period_months < 1 or self.prepaid_period_months < 1 or self.horizon_months < 1:
            raise ValueError("periods and the horizon are whole months, at least one")
        if not 0 <= self.trend_cap * (self.horizon_months + 1) < 1:
            raise ValueError("trend_cap times (horizon + 1) must stay below 1, so no forecast turns negative")
        if self.min_group_lines < 1 or self.min_group_periods < 2:
            raise ValueError("a fit needs at least one line and two periods")
        if self.group_depth < 1 or self.circuit_lifetime_months < 0:
            raise ValueError("group_depth must be at least 1 and circuit_lifetime_months not negative")

    def cost_share(self, category: str) -> float:
        return float(getattr(self, f"cost_{category}"))

    def period_months(self) -> dict[str, int]:
        return {"postpaid": self.postpaid_period_months, "prepaid": self.prepaid_period_months}


def _period(payment_type: ibis.StringValue, rules: ValueRules) -> ibis.IntegerValue:
    return (payment_type == "prepaid").ifelse(rules.prepaid_period_months, rules.postpaid_period_months)


def survival_counts(
    subscribers: ibis.Table, *, as_of: str, observed_from: str, rules: ValueRules | None = None
) -> ibis.Table:
    """The life table per payment type, cohort (activation year) and brand: for each renewal
    period, the lines that entered it (``at_risk``) and those closed before its end
    (``churned``), from the subscriber snapshot (``schemas.SUBSCRIBERS``) as of ``as_of``.

    A line closed in the k-th month of its life (k = 0 in its activation month) is lost in
    period ``k // P + 1``. A period counts only once it is over by the end of ``as_of`` and
    only if it began no earlier than ``observed_from`` (the first month whose closures the
    database holds: an operator's database has no lines closed before it was set up, so
    earlier periods would show nobody leaving). Pass the month of the earliest activation
    when the history is complete: then a cohort's rows are Fader and Hardie's survivor
    counts, N(t-1) entering period t and N(t-1) - N(t) lost.
    """
    rules = rules or ValueRules()
    day, as_of_index, first = month_end(as_of), month_index(as_of), month_index(observed_from)
    if first > as_of_index:
        raise ValueError("observed_from must not be after as_of")
    s = subscribers.filter(subscribers.activated_on <= day)
    activated = month_index_of_date(s.activated_on)
    closed = ((s.status == "closed") & (s.status_date <= day)).fill_null(False)
    lines = s.select(
        "payment_type",
        "brand",
        cohort=s.activated_on.year().cast("int32"),
        activated=activated,
        life=closed.ifelse(month_index_of_date(s.status_date) - activated, ibis.null("int32")),
        P=_period(s.payment_type, rules),
    )
    grouped = lines.group_by("payment_type", "brand", "cohort", "activated", "life", "P").aggregate(
        lines=lines.count()
    )
    # Periods t with activated + (t-1)P >= first and activated + tP - 1 <= as_of, as the
    # first such t plus an offset: the window holds at most (as_of - first + 1) of them.
    lowest = (((first - grouped.activated) / grouped.P).ceil().cast("int64") + 1).clip(lower=1)
    highest = ((as_of_index - grouped.activated + 1) / grouped.P).floor().cast("int64")
    spans = grouped.mutate(lowest=lowest, highest=highest).filter(lambda t: t.highest >= t.lowest)
    offsets = ibis.memtable({"offset": list(range(as_of_index - first + 1))})
    expanded = spans.join(offsets, offsets.offset <= spans.highest - spans.lowest)
    period = expanded.lowest + expanded.offset
    start = (period - 1) * expanded.P
    entered = expanded.life.isnull() | (expanded.life >= start)
    lost = expanded.life.notnull() & (expanded.life >= start) & (expanded.life < start + expanded.P)
    rows = expanded.select(
        "payment_type", "cohort", "brand", period=period,
        at_risk=entered.ifelse(expanded.lines, 0), churned=lost.ifelse(expanded.lines, 0),
    )
    table = rows.group_by("payment_type", "cohort", "brand", "period").aggregate(
        at_risk=rows.at_risk.sum(), churned=rows.churned.sum()
    )
    return table.filter(table.at_risk > 0)


def fit_survival(counts: pd.DataFrame, *, as_of: str, rules: ValueRules | None = None) -> pd.DataFrame:
    """The sBG per payment type, cohort and brand, fitted by maximum likelihood to the
    executed ``survival_counts``, as the lookup ``(payment_type, brand, tenure_months) ->
    expected_lifetime_months, alive_months, alive_month_weights`` (``stats/lifetime.py``;
    brand ``"*"`` rows are the payment type's pooled fit, for brands without their own)."""
    rules = rules or ValueRules()
    periods = rules.period_months()
    # Every payment type but prepaid renews by contract, as in ``survival_counts``.
    lengths = {kind: periods.get(kind, periods["postpaid"]) for kind in counts.payment_type.unique()}
    return derl_lookup(
        counts, as_of_index=month_index(as_of), period_months=lengths,
        annual_discount=rules.annual_discount, horizon_months=rules.horizon_months,
        min_lines=rules.min_group_lines, min_periods=rules.min_group_periods,
    )


def _lookup(survival: ibis.Table, *, pooled: bool, suffix: str) -> ibis.Table:
    rows = survival.filter((survival.brand == ALL_BRANDS) if pooled else (survival.brand != ALL_BRANDS))
    keys = ["payment_type", "tenure_months"] if pooled else ["payment_type", "brand", "tenure_months"]
    return rows.select(
        *(rows[key].name(f"{key}{suffix}") for key in keys),
        **{
            f"{name}{suffix}": rows[name].cast("float64")
            for name in ("expected_lifetime_months", "alive_months", "alive_month_weights")
        },
    )


def line_values(
    features: ibis.Table, survival: ibis.Table, *, as_of: str, rules: ValueRules | None = None
) -> ibis.Table:
    """Value of every line open at the end of ``as_of``: ``msisdn, customer_no, revenue,
    margin, additional_value, potential_value, lifetime_value, expected_lifetime_months``
    (money in yuan a month, except the potential and lifetime values, which are totals).

    ``features`` is ``subscriber_features`` output; ``survival`` the ``fit_survival``
    lookup as an Ibis table (``ibis.memtable``). A line with no fit (a payment type in
    which nobody has been seen to leave) has no lifetime value and is assumed to stay
    through the forecast horizon.
    """
    rules = rules or ValueRules()
    f = features.filter(~features.closed)
    revenue = f.spend_mean_3m.fill_null(0.0)
    cost = sum(
        (f[f"{name}_mean_3m"].fill_null(0.0) * rules.cost_share(name) for name in BILL_CATEGORIES),
        ibis.literal(0.0),
    )
    cap = rules.trend_cap * revenue.abs()
    lines = f.select(
        "msisdn", "customer_no", "payment_type", "brand", "tenure_months",
        revenue=revenue,
        margin=revenue - cost,
        slope=ibis.greatest(ibis.least(f.spend_slope_12m.fill_null(0.0), cap), -cap),
        additional_value=revenue.sum().over(group_by=f.customer_no) - revenue,
    )
    own, pooled = _lookup(survival, pooled=False, suffix="_own"), _lookup(survival, pooled=True, suffix="_all")
    joined = lines.left_join(
        own,
        [lines.payment_type == own.payment_type_own, lines.brand == own.brand_own,
         lines.tenure_months == own.tenure_months_own],
    ).left_join(
        pooled, [lines.payment_type == pooled.payment_type_all, lines.tenure_months == pooled.tenure_months_all]
    )
    horizon = rules.horizon_months
    expected = joined.expected_lifetime_months_own.coalesce(joined.expected_lifetime_months_all)
    alive = joined.alive_months_own.coalesce(joined.alive_months_all, float(horizon))
    weights = joined.alive_month_weights_own.coalesce(joined.alive_month_weights_all, horizon * (horizon + 1) / 2)
    # The 3-month mean stands one month before as_of, so month k ahead is k + 1 months on.
    return joined.select(
        "msisdn",
        "customer_no",
        "revenue",
        "margin",
        "additional_value",
        potential_value=joined.revenue * alive + joined.slope * (weights + alive),
        lifetime_value=joined.margin * expected,
        expected_lifetime_months=expected,
    )


def _group_members(tree: ibis.Table, depth: int) -> ibis.Table:
    """(group, member) for each enterprise and every member up to ``depth`` levels below
    it, each pair once."""
    edges = tree.filter(tree.parent_no.notnull() & (tree.parent_no != tree.customer_no))
    level = edges.select(group=edges.parent_no, member=edges.customer_no)
    pairs = level
    for _ in range(depth - 1):
        below = edges.view()
        level = level.join(below, level.member == below.parent_no).select(group=level.group, member=below.customer_no)
        pairs = pairs.union(level)
    return pairs.filter(pairs.group != pairs.member).distinct()


def enterprise_values(
    revenue: ibis.Table, lines: ibis.Table, tree: ibis.Table, *, rules: ValueRules | None = None
) -> ibis.Table:
    """Value of each enterprise in ``revenue`` (``tiers.enterprise_revenue`` output, the
    revenue that graded it): ``customer_no, revenue, lines_revenue, circuits_revenue,
    margin, additional_value, potential_value, lifetime_value, lines, circuits``.

    Margin, potential and lifetime values add up those of its open lines (``lines`` is
    ``line_values`` output) and its circuits': a circuit's margin after ``cost_circuits``,
    its revenue kept through the horizon (it is under contract), and its margin over
    ``circuit_lifetime_months`` discounted monthly. Additional value is the monthly
    revenue of its group members (``tree``: ``schemas.ENTERPRISE_TREE``).
    """
    rules = rules or ValueRules()
    per_line = lines.group_by("customer_no").aggregate(
        lines_margin=lines.margin.sum(),
        lines_potential=lines.potential_value.sum(),
        lines_lifetime=lines.lifetime_value.sum(),
    )
    members = _group_members(tree, rules.group_depth)
    member_revenue = members.join(revenue, members.member == revenue.customer_no)
    groups = member_revenue.group_by("group").aggregate(additional_value=member_revenue.monthly_revenue.sum())
    joined = revenue.left_join(per_line, revenue.customer_no == per_line.customer_no).left_join(
        groups, revenue.customer_no == groups.group
    )
    delta = (1.0 + rules.annual_discount) ** (-1.0 / 12.0)
    annuity = sum(delta**k for k in range(1, rules.circuit_lifetime_months + 1))
    circuits_margin = joined.circuits_revenue * (1.0 - rules.cost_circuits)
    return joined.select(
        customer_no=revenue.customer_no,
        revenue=joined.monthly_revenue,
        lines_revenue=joined.lines_revenue,
        circuits_revenue=joined.circuits_revenue,
        margin=joined.lines_margin.fill_null(0.0) + circuits_margin,
        additional_value=joined.additional_value.fill_null(0.0),
        potential_value=joined.lines_potential.fill_null(0.0) + joined.circuits_revenue * rules.horizon_months,
        lifetime_value=joined.lines_lifetime.fill_null(0.0) + circuits_margin * annuity,
        lines=joined.lines,
        circuits=joined.circuits,
    )
