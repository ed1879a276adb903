"""Churn early-warning rules (流失预警) over the subscriber features (domain.md section 3 and
issue 3, "Churn early warning").

The sources name the signals: the customer's spend fluctuating against its own baseline,
traffic shifting to competitors (Shanghai read it from gateway call records), crisis
information from other channels (repeated complaints, suspension, a contract running
out) and termination orders from the one-stop system. Each rule is a boolean column plus
a figure column saying what it saw, so the account manager reads *why* ("spend 3m mean
42.10 vs previous 6m mean 88.00 (48%)"), not just that a line is at risk.
"""

from __future__ import annotations

import dataclasses

import ibis

from telcrm.analytics.rules import VersionedRules

RULES = (
    "spend_decline",
    "usage_decline",
    "competitor_shift",
    "complaints",
    "suspension",
    "contract_end",
    "termination_request",
)


@dataclasses.dataclass(frozen=True)
class WarningRules(VersionedRules):
    """Thresholds, with the defaults the issue suggests: spend below 70% of the previous
    6 months' mean, at least 2 complaints in 3 months, a contract ending within 60 days.
    Shares are fractions (0.10 = 10 points)."""

    version: str = "warnings-1"
    spend_decline_share: float = 0.70
    min_baseline_months: int = 3
    usage_decline_share: float = 0.60
    competitor_shift_points: float = 0.10
    min_complaints: int = 2
    contract_end_days: int = 60
    min_termination_requests: int = 1

    def __post_init__(self) -> None:
        if not (0 < self.spend_decline_share <= 1 and 0 < self.usage_decline_share <= 1):
            raise ValueError("decline shares must be in (0, 1]")
        if not 0 < self.competitor_shift_points < 1:
            raise ValueError("competitor shift is a share of minutes, in (0, 1)")
        if min(self.min_baseline_months, self.min_complaints, self.min_termination_requests) < 1:
            raise ValueError("counts must be at least 1")
        if self.contract_end_days < 0:
            raise ValueError("contract end horizon must not be negative")


def _rounded(value: ibis.NumericValue, digits: int) -> ibis.NumericValue:
    """Rounded half up in decimal, after fixing six places: engines round a double
    differently (DuckDB scales it, Spark takes its exact binary value), so a mean of money
    that is exactly 49.965 in decimal printed 49.97 on one and 49.96 on the other."""
    return value.cast("decimal(38, 6)").round(digits)


def _money(value: ibis.NumericValue) -> ibis.StringValue:
    return _rounded(value, 2).cast("decimal(12, 2)").cast("string")


def _whole(value: ibis.NumericValue) -> ibis.StringValue:
    return _rounded(value, 0).cast("int64").cast("string")


def _percent(value: ibis.NumericValue) -> ibis.StringValue:
    return _whole(value * 100) + "%"


def _usage_part(f: ibis.Table, column: str, label: str, share: float) -> tuple:
    ratio = f[f"{column}_ratio_3v6"]
    falling = (ratio < share).fill_null(False)
    text = (
        label + " 3m mean " + _whole(f[f"{column}_mean_3m"]) + " vs previous 6m "
        + _whole(f[f"{column}_mean_prev6"]) + " (" + _percent(ratio) + ")"
    )
    return falling, falling.ifelse(text, ibis.null("string"))


def _rules(f: ibis.Table, r: WarningRules) -> dict[str, tuple]:
    """Each rule's (flag, figure): flags are never null, a figure only where flagged."""
    spend = (
        (f.bill_months_prev6 >= r.min_baseline_months)
        & (f.spend_ratio_3v6 < r.spend_decline_share)
    ).fill_null(False)
    spend_text = (
        "spend 3m mean " + _money(f.spend_mean_3m) + " vs previous 6m mean " + _money(f.spend_mean_prev6)
        + " (" + _percent(f.spend_ratio_3v6) + ")"
    )
    voice_falling, voice_text = _usage_part(f, "voice_minutes", "voice minutes", r.usage_decline_share)
    data_falling, data_text = _usage_part(f, "data_mb", "data MB", r.usage_decline_share)
    shift = (f.competitor_share_change > r.competitor_shift_points).fill_null(False)
    shift_text = (
        "competitor call share " + _percent(f.competitor_share_3m) + " vs " + _percent(f.competitor_share_prev6)
        + " (+" + _whole(f.competitor_share_change * 100) + " points)"
    )
    complaints = f.complaints_3m >= r.min_complaints
    complaints_text = (
        f.complaints_3m.cast("string") + " complaints in 3 months ("
        + f.complaints_resolved_3m.cast("string") + " resolved)"
    )
    has_reason = f.status_reason.notnull() & (f.status_reason != "")
    suspension_text = (
        "suspended since " + f.status_date.cast("string")
        + has_reason.ifelse(" (" + f.status_reason + ")", "")
    )
    ending = f.days_to_contract_end.between(0, r.contract_end_days).fill_null(False)
    ending_text = (
        "contract ends " + f.contract_end.cast("string") + " (in " + f.days_to_contract_end.cast("string") + " days)"
    )
    termination = f.termination_requests_3m >= r.min_termination_requests
    termination_text = f.termination_requests_3m.cast("string") + " termination requests in 3 months"
    return {
        "spend_decline": (spend, spend_text),
        "usage_decline": (voice_falling | data_falling, ibis.literal("; ").join([voice_text, data_text])),
        "competitor_shift": (shift, shift_text),
        "complaints": (complaints, complaints_text),
        "suspension": (f.suspended, suspension_text),
        "contract_end": (ending, ending_text),
        "termination_request": (termination, termination_text),
    }


def warning_flags(features: ibis.Table, rules: WarningRules | None = None) -> ibis.Table:
    """Every open line with one ``warn_<rule>`` flag and one ``<rule>_figure`` per rule,
    ``reasons`` (the rule names that fired, comma-separated), ``details`` (their figures,
    "; "-separated) and ``reason_count``. Closed lines cannot churn any more: left out."""
    rules = rules or WarningRules()
    open_lines = features.filter(~features.closed)
    evaluated = _rules(open_lines, rules)
    columns: dict = {}
    for name, (flag, text) in evaluated.items():
        columns[f"warn_{name}"] = flag
        columns[f"{name}_figure"] = flag.ifelse(text, ibis.null("string"))
    flags = open_lines.select("msisdn", "customer_no", **columns)
    fired = [flags[f"warn_{name}"] for name in RULES]
    return flags.mutate(
        reasons=ibis.literal(",").join(
            [flag.ifelse(name, ibis.null("string")) for flag, name in zip(fired, RULES, strict=True)]
        ),
        details=ibis.literal("; ").join([flags[f"{name}_figure"] for name in RULES]),
        reason_count=sum((flag.cast("int32") for flag in fired), ibis.literal(0, "int32")),
        warning_rule_version=ibis.literal(rules.version),
    )


def churn_warnings(features: ibis.Table, rules: WarningRules | None = None) -> ibis.Table:
    """One row per warned line (at least one rule fired)."""
    flags = warning_flags(features, rules)
    return flags.filter(flags.reason_count > 0)
