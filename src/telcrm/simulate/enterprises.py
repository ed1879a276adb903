"""Enterprise ("big") customers: groups, contacts, accounts, circuits and account managers.

They are few (``max(50, N/400)``) but carry the structure of domain.md section 1: group
hierarchies (集团客户), key contacts with their decision power, strategic notes and
competitor presence kept by the account manager (客户经理), and circuits (DDN, frame
relay/ATM, digital, internet lines) whose provisioning the SLA contracts of section 6 cover.
All of them fit in memory, so they are generated once, before the subscriber chunks that
attach employee lines to them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm.ingest.schemas import SCHEMAS
from telcrm.simulate import vocab
from telcrm.simulate.columns import dates, digits, join, money, pick, times, with_nulls
from telcrm.simulate.identity import NumberPlan, addresses, person_names, uscc

GROUP_HEAD_SHARE = 0.06
GROUP_MEMBER_SHARE = 0.20
LINES_BY_SIZE = np.array([1.0, 4.0, 12.0, 20.0])  # relative employee lines: small..group
CIRCUITS_BY_SIZE = np.array([0.6, 1.5, 3.0, 5.0])
ACCOUNTS_BY_SIZE = np.array([1, 1, 2, 3])


@dataclass(frozen=True)
class Enterprises:
    tables: dict[str, pa.Table]  # customers, contacts, accounts, services, interactions
    customer_no: pa.Array
    region: np.ndarray
    since: np.ndarray  # day numbers
    line_weight: np.ndarray  # probability that an employee line belongs to each
    account_no: pa.Array  # all enterprise accounts
    account_start: np.ndarray  # first account of each enterprise
    account_count: np.ndarray


def enterprise_count(subscribers: int) -> int:
    return max(50, subscribers // 400)


def build_enterprises(
    rng: np.random.Generator, *, count: int, numbers: NumberPlan, number_offset: int,
    window_days: np.ndarray,
) -> Enterprises:
    """All enterprise customers; contacts take phone numbers from ``number_offset`` on."""
    start, end = int(window_days[0]), int(window_days[-1])
    heads = max(3, int(count * GROUP_HEAD_SHARE))
    size = np.where(np.arange(count) < heads, 3, rng.choice(3, count, p=[0.55, 0.30, 0.15]))
    parent = np.where(
        (np.arange(count) >= heads) & (rng.random(count) < GROUP_MEMBER_SHARE),
        rng.integers(0, heads, count), -1,
    )
    region = rng.choice(len(vocab.DISTRICTS), count, p=vocab.REGION_WEIGHTS)
    industry = rng.integers(0, len(vocab.INDUSTRIES), count)
    customer_no = join("E", digits(np.arange(1, count + 1), 7))
    names = _names(rng, industry)
    since = start - rng.exponential(6 * 365, count).astype(np.int64) - 30
    address = addresses(rng, region).text(room=False)
    area = [vocab.DISTRICTS[r].area_code for r in region]
    customers = pa.Table.from_arrays([
        customer_no, pa.array(["enterprise"] * count), names, pick([d.code for d in vocab.DISTRICTS], region),
        pa.array(["enterprise"] * count),
        with_nulls(join("service@", digits(np.arange(1, count + 1), 7), ".com.cn"), rng.random(count) < 0.4),
        dates(since), pa.nulls(count, pa.string()), pa.nulls(count, pa.date32()), pa.nulls(count, pa.string()),
        address, pa.array(uscc(rng, area)), pick(vocab.INDUSTRIES, industry),
        customer_no.take(pa.array(parent, mask=parent < 0)), pick(vocab.SIZES, size),
        pick(vocab.ACCOUNT_MANAGERS, rng.integers(0, len(vocab.ACCOUNT_MANAGERS), count)),
        _nullable_text(vocab.STRATEGIC_NOTES, rng.integers(0, len(vocab.STRATEGIC_NOTES), count)),
        _nullable_text(vocab.COMPETITORS, rng.integers(0, len(vocab.COMPETITORS), count)),
    ], schema=SCHEMAS["customers"])

    n_accounts = ACCOUNTS_BY_SIZE[size]
    account_start = np.concatenate([[0], np.cumsum(n_accounts)[:-1]])
    owner = np.repeat(np.arange(count), n_accounts)
    seq = np.arange(len(owner)) - account_start[owner] + 1
    account_no = join("EA", digits(owner + 1, 7), digits(seq, 2))
    classes = rng.choice(4, len(owner), p=[0.45, 0.40, 0.12, 0.03])
    accounts = pa.Table.from_arrays([
        account_no, customer_no.take(pa.array(owner)), pick("ABCD", classes),
        money(np.array([50_000, 20_000, 5_000, 0])[classes] * 100 * (1 + size[owner])),
        pick(("bank_debit", "online"), (rng.random(len(owner)) < 0.2).astype(np.int64)),
    ], schema=SCHEMAS["accounts"])

    weight = LINES_BY_SIZE[size] * rng.lognormal(0, 0.5, count)
    return Enterprises(
        tables={
            "customers": customers,
            "contacts": _contacts(rng, customer_no, numbers, number_offset),
            "accounts": accounts,
            "services": _circuits(rng, customer_no, size, since, address, start, end),
            "interactions": _visits(rng, customer_no, start, end),
        },
        customer_no=customer_no, region=region, since=since, line_weight=weight / weight.sum(),
        account_no=account_no, account_start=account_start, account_count=n_accounts,
    )


def _nullable_text(values: tuple[str, ...], index: np.ndarray) -> pa.Array:
    arr = pick(values, index)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def _names(rng: np.random.Generator, industry: np.ndarray) -> pa.Array:
    """Distinct names like 上海华信恒通科技有限公司: trade names x industry words."""
    n_trade = len(vocab.TRADE_NAMES)
    space = n_trade * n_trade * 3
    combo = rng.choice(space, len(industry), replace=False) if len(industry) <= space else (
        rng.integers(0, space, len(industry))
    )
    first, rest = np.divmod(combo, n_trade * 3)
    second, word = np.divmod(rest, 3)
    words = [w for key in vocab.INDUSTRIES for w in vocab.INDUSTRY_WORDS[key]]
    return join(
        "上海", pick(vocab.TRADE_NAMES, first), pick(vocab.TRADE_NAMES, second),
        pick(words, industry * 3 + word), "有限公司",
    )


def _contacts(
    rng: np.random.Generator, customer_no: pa.Array, numbers: NumberPlan, number_offset: int
) -> pa.Table:
    owner = np.repeat(np.arange(len(customer_no)), rng.integers(1, 5, len(customer_no)))
    n = len(owner)
    names, surname = person_names(rng, rng.random(n) < 0.55)
    title = rng.integers(0, len(vocab.CONTACT_TITLES), n)
    pinyin = pick([p for _, p in vocab.SURNAMES], surname)
    email = join(pinyin, digits(rng.integers(1, 999, n), 2), "@e", digits(owner + 1, 7), ".com.cn")
    table = pa.Table.from_arrays([
        customer_no.take(pa.array(owner)), names, pick([t for t, _ in vocab.CONTACT_TITLES], title),
        pick([p for _, p in vocab.CONTACT_TITLES], title),
        numbers.numbers(number_offset + np.arange(n)),
        with_nulls(email, rng.random(n) < 0.7),
    ], schema=SCHEMAS["contacts"])
    # A contact is known by its name within its enterprise (the importer's natural key):
    # keep the first of two people drawn with the same name at one company.
    keys = np.char.add(owner.astype(str), np.asarray(names.to_pylist(), dtype=str))
    keep = np.zeros(n, dtype=bool)
    keep[np.unique(keys, return_index=True)[1]] = True
    return table.filter(pa.array(keep))


def _circuits(
    rng: np.random.Generator, customer_no: pa.Array, size: np.ndarray, since: np.ndarray,
    address: pa.Array, start: int, end: int,
) -> pa.Table:
    """Leased circuits; point-to-point kinds join the head office (site A) to a branch."""
    owner = np.repeat(np.arange(len(size)), rng.poisson(CIRCUITS_BY_SIZE[size]))
    n = len(owner)
    kind = rng.choice(len(vocab.CIRCUIT_KINDS), n, p=vocab.CIRCUIT_WEIGHTS)
    choices = [np.array(vocab.CIRCUIT_BANDWIDTHS[k]) for k in vocab.CIRCUIT_KINDS]
    bandwidth = np.array([c[rng.integers(0, len(c))] for c in (choices[k] for k in kind)], np.int64)
    seq = np.arange(n) - np.searchsorted(owner, owner) + 1
    fee_per_mbit = np.array([60.0, 300.0, 900.0, 500.0])[kind]  # yuan a month per Mbit/s
    monthly = np.round(np.maximum(300, fee_per_mbit * np.sqrt(bandwidth / 1024.0) * 10) * 100)
    branch = addresses(rng, rng.choice(len(vocab.DISTRICTS), n, p=vocab.REGION_WEIGHTS)).text(room=False)
    activated = np.maximum(since[owner], start - 2000) + rng.integers(0, max(1, end - start), n)
    closed = rng.random(n) < 0.06
    return pa.Table.from_arrays([
        join("S", digits(owner + 1, 7), digits(seq, 2)), customer_no.take(pa.array(owner)),
        pick(vocab.CIRCUIT_KINDS, kind), pa.array(bandwidth, pa.int32()),
        address.take(pa.array(owner)), with_nulls(branch, kind != 0),
        pick(("active", "closed"), closed.astype(np.int64)), dates(np.minimum(activated, end - 1)),
        money(monthly.astype(np.int64)), money((monthly * np.array([1.0, 2.0, 3.0, 2.5])[kind]).astype(np.int64)),
    ], schema=SCHEMAS["services"])


def _visits(rng: np.random.Generator, customer_no: pa.Array, start: int, end: int) -> pa.Table:
    """Account managers' visits and calls, about one a quarter per enterprise."""
    months = max(1, (end - start) // 30)
    owner = np.repeat(np.arange(len(customer_no)), rng.poisson(months / 3, len(customer_no)))
    n = len(owner)
    day = rng.integers(start, end, n)
    seconds = day * 86400 + rng.integers(9 * 3600, 18 * 3600, n) - 8 * 3600
    order = np.lexsort((seconds, owner))
    topic = rng.choice(4, n, p=[0.6, 0.25, 0.1, 0.05])  # care, inquiry, plan_change, complaint
    topics = ("care", "inquiry", "plan_change", "complaint")
    notes = ("客户经理走访，了解通信需求", "咨询专线扩容方案", "商谈集团套餐调整", "反映专线故障处理慢")
    return pa.Table.from_arrays([
        join("IE", digits(np.arange(1, n + 1), 9)), customer_no.take(pa.array(owner[order])),
        pa.nulls(n, pa.string()), pick(("visit", "call_centre"), (rng.random(n) < 0.3).astype(np.int64)),
        pa.array(["out"] * n), times(seconds[order]), pick(topics, topic),
        pick(("resolved", "pending"), (rng.random(n) < 0.15).astype(np.int64)), pick(notes, topic),
    ], schema=SCHEMAS["interactions"])
