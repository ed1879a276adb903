"""Per-subscriber features as of a month, as Ibis expressions (issue 3, "The pipeline").

Every function takes Ibis tables and returns an unexecuted Ibis table keyed by ``msisdn``,
so the same expression runs on DuckDB and on Spark (architecture.md, convention 8).

Windows are counted back from the month ``as_of`` (``back`` = 0 for as_of itself): "last 3"
is back 0-2, "previous 6" is back 3-8 (the customer's own baseline the churn rules compare
with, domain.md section 3), "12 months" is back 0-11. Nothing after ``as_of`` is read: the
lake is filtered on its ``month`` partition before anything else, so features computed for
a past month are the ones the model would have seen then (no leakage into training).

Means are over the months that have a bill (or a usage record) in the window, not over
calendar months: a month without a bill is a month the line was not billed (not yet
active, or closed), and counting it as zero spend would make every new line look like
growth. ``bill_months_12m`` keeps the gap visible.
"""

from __future__ import annotations

import ibis

from telcrm.analytics.months import (
    month_end,
    month_index,
    month_index_of_date,
    month_index_of_label,
    shift_month,
)
from telcrm.analytics.schemas import BILL_CATEGORIES, USAGE_MEASURES

WINDOW_MONTHS = 12


def _window(table: ibis.Table, as_of: str) -> ibis.Table:
    """The 12 months ending at ``as_of``, with ``back`` (months before as_of) and ``x``
    (the month's position on the time axis, for slopes)."""
    first = shift_month(as_of, -(WINDOW_MONTHS - 1))
    rows = table.filter((table.month >= first) & (table.month <= as_of))
    back = month_index(as_of) - month_index_of_label(rows.month)
    return rows.mutate(back=back, x=(WINDOW_MONTHS - 1 - back).cast("float64"))


RATIO_DIGITS = 12


def _ratio(numerator: ibis.NumericValue, denominator: ibis.NumericValue) -> ibis.NumericValue:
    """Null where the denominator is zero: "no baseline" rather than an engine's choice of
    infinity, NaN or error.

    Rounded to 12 decimal places: means of money are often exactly at a rule's threshold
    (154.84 / 3 against 442.40 / 6 is a ratio of exactly 0.70), and engines summing in a
    different order land one unit in the last place either side of it, so DuckDB warned a
    line Spark did not. Rounding puts both on the same double; 1e-12 is far below any
    threshold's meaning."""
    return (numerator / denominator.nullif(0)).round(RATIO_DIGITS)


def _slope_sums(t: ibis.Table, y: ibis.NumericValue, months: int, name: str) -> dict:
    within = t.back < months
    return {
        f"_{name}_n": y.count(where=within).cast("float64"),
        f"_{name}_sx": t.x.sum(where=within & y.notnull()),
        f"_{name}_sy": y.sum(where=within),
        f"_{name}_sxy": (t.x * y).sum(where=within),
        f"_{name}_sxx": (t.x * t.x).sum(where=within & y.notnull()),
    }


def _slope(t: ibis.Table, name: str) -> ibis.NumericValue:
    """Least-squares slope from the sums, null with fewer than two months."""
    n, sx, sy = t[f"_{name}_n"], t[f"_{name}_sx"], t[f"_{name}_sy"]
    sxy, sxx = t[f"_{name}_sxy"], t[f"_{name}_sxx"]
    return _ratio(n * sxy - sx * sy, n * sxx - sx * sx)


def _money_mean(amount: ibis.DecimalValue, where: ibis.BooleanValue | None = None) -> ibis.NumericValue:
    """Mean of a money column: the sum taken exactly in decimal, then divided as float64.
    A float sum depends on the order rows arrive in, which differs between engines and
    between runs; a mean exactly at a threshold (300.00 for VIP) must not flip with it."""
    return amount.sum(where=where).cast("float64") / amount.count(where=where).nullif(0)


def spend_features(bills: ibis.Table, *, as_of: str) -> ibis.Table:
    """Spend level (mean total over 3/6/12 months), trend (least-squares slope of the total
    over the last 6 and 12 months, in yuan per month, and the ratio of the last 3 months'
    mean to the previous 6 months' mean), volatility (sample standard deviation over mean,
    12 months) and the 3-month mean by bill category. Spend fluctuation is the first churn
    signal the sources name (domain.md section 3)."""
    t = _window(bills, as_of)
    total = t.total.cast("float64")
    last3, prev6 = t.back < 3, (t.back >= 3) & (t.back < 9)
    aggregates = {
        "bill_months_12m": total.count(),
        "spend_mean_3m": _money_mean(t.total, last3),
        "spend_mean_6m": _money_mean(t.total, t.back < 6),
        "spend_mean_12m": _money_mean(t.total),
        "spend_mean_prev6": _money_mean(t.total, prev6),
        "bill_months_prev6": total.count(where=prev6),
        "_spend_std_12m": total.std(how="sample"),
        **{f"{name}_mean_3m": _money_mean(t[name], last3) for name in BILL_CATEGORIES},
        **_slope_sums(t, total, 6, "s6"),
        **_slope_sums(t, total, 12, "s12"),
    }
    per_line = t.group_by("msisdn").aggregate(**aggregates)
    derived = per_line.mutate(
        spend_slope_6m=_slope(per_line, "s6"),
        spend_slope_12m=_slope(per_line, "s12"),
        spend_ratio_3v6=_ratio(per_line.spend_mean_3m, per_line.spend_mean_prev6),
        spend_volatility_12m=_ratio(per_line._spend_std_12m, per_line.spend_mean_12m),
    )
    return derived.drop(*(name for name in derived.columns if name.startswith("_")))


def usage_features(usage: ibis.Table, *, as_of: str) -> ibis.Table:
    """Usage trends (minutes, MB and SMS: the last 3 months' mean against the previous 6)
    and the share of call minutes to competitor networks over the last 3 months and its
    change in points against the previous 6: traffic moving to a competitor is the signal
    Shanghai read from gateway call records (domain.md section 3)."""
    t = _window(usage, as_of)
    last3, prev6 = t.back < 3, (t.back >= 3) & (t.back < 9)
    voice, competitor = t.voice_minutes.cast("float64"), t.competitor_minutes.cast("float64")
    aggregates: dict = {"usage_months_12m": t.msisdn.count()}
    for name in USAGE_MEASURES:
        value = t[name].cast("float64")
        aggregates[f"{name}_mean_3m"] = value.mean(where=last3)
        aggregates[f"{name}_mean_prev6"] = value.mean(where=prev6)
    aggregates.update(
        _competitor_3m=competitor.sum(where=last3),
        _voice_3m=voice.sum(where=last3),
        _competitor_prev6=competitor.sum(where=prev6),
        _voice_prev6=voice.sum(where=prev6),
    )
    per_line = t.group_by("msisdn").aggregate(**aggregates)
    share_3m = _ratio(per_line._competitor_3m, per_line._voice_3m)
    share_prev6 = _ratio(per_line._competitor_prev6, per_line._voice_prev6)
    derived = per_line.mutate(
        **{
            f"{name}_ratio_3v6": _ratio(per_line[f"{name}_mean_3m"], per_line[f"{name}_mean_prev6"])
            for name in USAGE_MEASURES
        },
        competitor_share_3m=share_3m,
        competitor_share_prev6=share_prev6,
        competitor_share_change=share_3m - share_prev6,
    )
    return derived.drop(*(name for name in derived.columns if name.startswith("_")))


def attribute_features(subscribers: ibis.Table, *, as_of: str) -> ibis.Table:
    """Tenure, contract, status, arrears and contacts of each line at the end of ``as_of``.

    Lines activated after that day did not exist yet and are left out. A status dated after
    it is not yet in force (a line suspended in a later month was not suspended then), so
    back-dated runs see the status they would have seen (its date and reason too).
    """
    day = month_end(as_of)
    s = subscribers.filter(subscribers.activated_on <= day)
    in_force = s.status_date <= day
    as_of_index = month_index(as_of)
    return s.select(
        "msisdn",
        "customer_no",
        "payment_type",
        "brand",
        "region",
        "contract_end",
        status_date=in_force.ifelse(s.status_date, ibis.null("date")),
        status_reason=in_force.ifelse(s.status_reason, ibis.null("string")),
        tenure_months=as_of_index - month_index_of_date(s.activated_on),
        months_to_contract_end=month_index_of_date(s.contract_end) - as_of_index,
        days_to_contract_end=s.contract_end.delta(ibis.date(day), unit="day"),
        suspended=((s.status == "suspended") & in_force).fill_null(False),
        closed=((s.status == "closed") & in_force).fill_null(False),
        arrears=s.arrears.cast("float64").fill_null(0.0),
        complaints_3m=s.complaints_3m.fill_null(0),
        complaints_resolved_3m=s.complaints_resolved_3m.fill_null(0),
        termination_requests_3m=s.termination_requests_3m.fill_null(0),
        care_contacts_3m=s.care_contacts_3m.fill_null(0),
    )


def subscriber_features(
    bills: ibis.Table, usage: ibis.Table, subscribers: ibis.Table, *, as_of: str
) -> ibis.Table:
    """Every line known at ``as_of`` with its attributes, spend and usage features; a line
    with no bill or usage in the window keeps null spend or usage figures."""
    attributes = attribute_features(subscribers, as_of=as_of)
    spend = spend_features(bills, as_of=as_of)
    use = usage_features(usage, as_of=as_of)
    with_spend = attributes.left_join(spend, "msisdn").drop("msisdn_right")
    joined = with_spend.left_join(use, "msisdn").drop("msisdn_right")
    return joined.mutate(
        **{name: joined[name].fill_null(0) for name in ("bill_months_12m", "bill_months_prev6", "usage_months_12m")}
    )
