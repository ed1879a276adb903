"""One chunk's simulated months as the operator's export tables (ingest/schemas.py).

Rows come out line by line, month by month (the order a billing system exports), built
from boolean masks over the (line, month) matrices so no row is assembled in Python.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from telcrm.ingest.schemas import SCHEMAS
from telcrm.simulate import vocab
from telcrm.simulate.behaviour import BILL_PARTS, NEVER, USAGE_PARTS, Activity, Window
from telcrm.simulate.columns import dates, digits, join, money, pick, times, with_nulls
from telcrm.simulate.population import Lines, rows_choice

TRUTH_SCHEMA = pa.schema([
    ("msisdn", pa.string()), ("month", pa.string()), ("hazard", pa.float64()), ("churned", pa.bool_()),
])
STATUSES = ("active", "suspended", "closed")
REASONS = ("", "churn", "arrears", "non_payment")
TOP_UP_FEN = 5_000  # prepaid lines are topped up with 50-yuan cards (充值卡)
DAY = 86_400
SHANGHAI_OFFSET = 8 * 3600


def month_labels(window: Window) -> pa.Array:
    days = window.report_days[:-1]
    return pa.array([str(np.datetime64(int(d), "D"))[:7] for d in days])


def _keys(lines: Lines, mask: np.ndarray, months: pa.Array) -> list[pa.Array]:
    """msisdn and month of each True cell of a (line, month) mask, line by line."""
    li, ti = np.nonzero(mask)
    return [lines.msisdn.take(pa.array(li)), months.take(pa.array(ti))]


def bills_table(lines: Lines, act: Activity, months: pa.Array) -> pa.Table:
    values = [money(act.bills[k][act.billed]) for k in BILL_PARTS]
    return pa.Table.from_arrays(_keys(lines, act.billed, months) + values, schema=SCHEMAS["bills"])


def usage_table(lines: Lines, act: Activity, months: pa.Array) -> pa.Table:
    values = [pa.array(act.usage[k][act.billed]) for k in USAGE_PARTS]
    return pa.Table.from_arrays(_keys(lines, act.billed, months) + values, schema=SCHEMAS["usage"])


def truth_table(lines: Lines, act: Activity, months: pa.Array) -> pa.Table:
    values = [pa.array(act.hazard[act.at_risk].astype(np.float64)), pa.array(act.churned[act.at_risk])]
    return pa.Table.from_arrays(_keys(lines, act.at_risk, months) + values, schema=TRUTH_SCHEMA)


def subscriptions_table(lines: Lines, act: Activity) -> pa.Table:
    reason = pick(REASONS, act.reason)
    return pa.Table.from_arrays([
        lines.msisdn, lines.customer_no, lines.account_no,
        pick(("prepaid", "postpaid"), lines.postpaid.astype(np.int64)),
        pick(vocab.BRANDS, lines.brand), pick([p.code for p in vocab.PLANS], act.plan),
        pick(STATUSES, act.status), dates(act.status_day), with_nulls(reason, act.reason > 0),
        dates(lines.activated), dates(lines.contract_end, lines.contract_end >= 0),
        pick([d.code for d in vocab.DISTRICTS], lines.region),
    ], schema=SCHEMAS["subscriptions"])


def interactions_table(rng: np.random.Generator, chunk: int, lines: Lines, act: Activity) -> pa.Table:
    ev = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in act.events.items()}
    order = np.lexsort((ev["seconds"], ev["line"]))
    line, topic, flag = ev["line"][order], ev["topic"][order].astype(np.int64), ev["flag"][order].astype(bool)
    n = len(line)
    channel = rows_choice(rng, vocab.TOPIC_CHANNELS[topic])
    outcome = rows_choice(rng, vocab.TOPIC_OUTCOMES[topic])
    outbound = vocab.TOPIC_OUTBOUND[topic]
    reminder = (topic == vocab.TOPICS.index("billing")) & flag
    channel[reminder], outbound[reminder], outcome[reminder] = 2, True, 2  # SMS 欠费提醒
    outcome[(topic == vocab.TOPICS.index("termination_request")) & flag] = 3
    notes = [note for t in vocab.TOPICS for note in vocab.TOPIC_NOTES[t]]
    first = np.cumsum([0] + [len(vocab.TOPIC_NOTES[t]) for t in vocab.TOPICS])
    count = np.diff(first)
    note = first[topic] + (rng.random(n) * count[topic]).astype(np.int64)
    sp_complaint = (topic == 0) & flag
    note[sp_complaint] = 0  # the unexpected SP charge
    note[(topic == 0) & ~flag] = 1 + (rng.random(int(((topic == 0) & ~flag).sum())) * 3).astype(np.int64)
    note[reminder] = notes.index("欠费提醒")
    return pa.Table.from_arrays([
        join(f"I{chunk:05d}", digits(np.arange(1, n + 1), 7)),
        lines.customer_no.take(pa.array(line)), lines.msisdn.take(pa.array(line)),
        pick(vocab.CHANNELS, channel), pick(("in", "out"), outbound.astype(np.int64)),
        times(ev["seconds"][order]), pick(vocab.TOPICS, topic), pick(vocab.OUTCOMES, outcome),
        pick(notes, note),
    ], schema=SCHEMAS["interactions"])


def account_bills(lines: Lines, act: Activity, n_accounts: int, postpaid: bool) -> np.ndarray:
    """Fen billed per chunk account and month, for the lines of one payment type."""
    months = act.billed.shape[1]
    rows = (lines.account >= 0) & (lines.postpaid == postpaid)
    li, ti = np.nonzero(act.billed & rows[:, None])
    flat = lines.account[li] * months + ti
    totals = np.bincount(flat, weights=act.bills["total"][li, ti], minlength=n_accounts * months)
    return totals.reshape(n_accounts, months).astype(np.int64)


def enterprise_bills(lines: Lines, act: Activity, n_accounts: int) -> np.ndarray:
    months = act.billed.shape[1]
    li, ti = np.nonzero(act.billed & (lines.ent_account >= 0)[:, None])
    flat = lines.ent_account[li] * months + ti
    totals = np.bincount(flat, weights=act.bills["total"][li, ti], minlength=n_accounts * months)
    return totals.reshape(n_accounts, months).astype(np.int64)


def payments_table(
    rng: np.random.Generator, *, prefix: str, account_no: pa.Array, method: pa.Array,
    post: np.ndarray, pre: np.ndarray | None, payer: np.ndarray, default_month: np.ndarray,
    settle_month: np.ndarray, window: Window,
) -> pa.Table:
    """Postpaid bills paid the next month (late payers sometimes a month later; defaulters
    not at all, or in one go when they settle); prepaid top-ups in the month of use."""
    months = post.shape[1]
    acc, t = np.nonzero(post > 0)
    late = (payer[acc] == 1) & (rng.random(len(acc)) < 0.35)
    pay_month = t + 1 + late
    unpaid = t >= default_month[acc]
    settled = np.where(settle_month[acc] < NEVER, np.maximum(settle_month[acc], t + 1), NEVER)
    pay_month = np.where(unpaid, settled, pay_month)
    amount = post[acc, t]
    if pre is not None:
        pacc, pt = np.nonzero(pre > 0)
        acc = np.concatenate([acc, pacc])
        pay_month = np.concatenate([pay_month, pt])
        amount = np.concatenate([amount, -(-pre[pacc, pt] // TOP_UP_FEN) * TOP_UP_FEN])
    keep = pay_month < months
    acc, pay_month, amount = acc[keep], pay_month[keep], amount[keep]
    starts = window.report_days
    span = (starts[pay_month + 1] - starts[pay_month]).astype(np.int64)
    day = starts[pay_month] + (rng.random(len(acc)) * np.minimum(span, 20)).astype(np.int64)
    seconds = day * DAY + rng.integers(8 * 3600, 22 * 3600, len(acc)) - SHANGHAI_OFFSET
    order = np.argsort(acc.astype(np.int64) << 32 | (seconds - seconds.min(initial=0)))
    n = len(acc)
    return pa.Table.from_arrays([
        join(prefix, digits(np.arange(1, n + 1), 8)), account_no.take(pa.array(acc[order])),
        times(seconds[order]), money(amount[order]), method.take(pa.array(acc[order])),
    ], schema=SCHEMAS["payments"])
