"""The lines of one chunk and the individual customers and accounts that own them.

Real-name registration (实名制, domain.md section 1) gives every individual an ID number
whose birth date and gender digit agree with the record; most customers own one line, a few
two or three on one account. About 5% of lines are employee lines of an enterprise. A small
share of customers are registered twice (same ID number, or same name at a slightly
differently written address) so that duplicate detection has something real to find; the
pairs are written to the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcrm.ingest.schemas import SCHEMAS
from telcrm.simulate import vocab
from telcrm.simulate.columns import dates, digits, join, money, pick, with_nulls
from telcrm.simulate.enterprises import Enterprises
from telcrm.simulate.identity import NumberPlan, addresses, emails, id_numbers, person_names

EMPLOYEE_LINE_SHARE = 0.05
LINES_PER_CUSTOMER_P = np.array([0.90, 0.075, 0.025])  # one, two or three lines
DUPLICATE_SHARE = 0.005
SAME_REGION_SHARE = 0.92
EMAIL_SHARE = 0.35
CONTRACT_SHARE = 0.45  # of postpaid lines, on a 12- or 24-month contract
NEW_LINE_SHARE = 0.22  # lines activated inside the window (the rest are older)
PAYER_P = np.array([[0.93, 0.05, 0.02], [0.88, 0.08, 0.04], [0.80, 0.12, 0.08], [0.55, 0.25, 0.20]])
CREDIT_LIMIT_YUAN = np.array([800, 400, 150, 0])
PREPAID_METHODS = ("prepaid_card", "online")
POSTPAID_METHODS = ("bank_debit", "online", "cash")


@dataclass(frozen=True)
class Lines:
    """Static facts of a chunk's lines (index = position in the chunk)."""

    msisdn: pa.Array
    customer_no: pa.Array
    account_no: pa.Array
    account: np.ndarray  # chunk account index, or -1 for enterprise lines
    ent_account: np.ndarray  # enterprise account index, or -1 for individual lines
    region: np.ndarray
    brand: np.ndarray
    plan: np.ndarray
    postpaid: np.ndarray
    activated: np.ndarray  # day number
    contract_end: np.ndarray  # day number, -1 for none
    segment: np.ndarray  # -1 for enterprise lines


@dataclass(frozen=True)
class Population:
    lines: Lines
    customers: pa.Table
    accounts: pa.Table
    payer: np.ndarray  # per chunk account: 0 pays on time, 1 pays late, 2 stops paying
    duplicates: pa.Table  # customer_no, duplicate_of, match


def build_population(
    rng: np.random.Generator, *, chunk: int, first_line: int, n: int, numbers: NumberPlan,
    enterprises: Enterprises, window_days: np.ndarray,
) -> Population:
    start, end = int(window_days[0]), int(window_days[-1])
    employee = rng.random(n) < EMPLOYEE_LINE_SHARE
    n_emp = int(employee.sum())
    n_ind = n - n_emp
    per = rng.choice(3, n_ind + 1, p=LINES_PER_CUSTOMER_P) + 1
    n_cust = int(np.searchsorted(np.cumsum(per), n_ind)) + 1
    per = per[:n_cust]
    per[-1] -= per.sum() - n_ind
    owner = np.repeat(np.arange(n_cust), per)  # individual lines are the chunk's first n_ind

    cust = _customers(rng, n_cust, chunk, end)
    is_primary = np.r_[True, owner[1:] != owner[:-1]] if n_ind else np.zeros(0, bool)

    # Lines: enterprise lines after the individual ones.
    ent = rng.choice(len(enterprises.line_weight), n_emp, p=enterprises.line_weight)
    ent_acc = enterprises.account_start[ent] + (rng.random(n_emp) * enterprises.account_count[ent]).astype(np.int64)
    region = np.concatenate([
        np.where(rng.random(n_ind) < SAME_REGION_SHARE, cust["region"][owner],
                 rng.choice(len(vocab.DISTRICTS), n_ind, p=vocab.REGION_WEIGHTS)),
        enterprises.region[ent],
    ])
    segment = np.concatenate([cust["segment"][owner], np.full(n_emp, -1)])
    brand_p = np.vstack([vocab.SEGMENT_BRANDS, [[0.85, 0.05, 0.10]]])
    brand = rows_choice(rng, brand_p[segment])
    # One payment type per customer, taken from the primary line's brand.
    postpaid = rng.random(n) < vocab.BRAND_POSTPAID_SHARE[brand]
    if n_ind:
        first_of_owner = np.flatnonzero(is_primary)
        postpaid[:n_ind] = postpaid[first_of_owner][owner]
    postpaid[n_ind:] = True
    plan = _plans(rng, brand, segment)

    new = rng.random(n) < NEW_LINE_SHARE
    tenure_days = np.minimum(rng.exponential(5 * 365, n).astype(np.int64) + 1, 20 * 365)
    activated = np.where(new, rng.integers(start, end, n), start - tenure_days)
    activated[n_ind:] = np.maximum(activated[n_ind:], enterprises.since[ent] + 1)
    contracted = postpaid & (rng.random(n) < CONTRACT_SHARE)
    length = np.where(rng.random(n) < 0.5, 365, 730)
    contract_end = np.where(contracted, np.maximum(activated + length, rng.integers(start - 90, end + 365, n)), -1)

    line_no = first_line + np.arange(n)
    msisdn = numbers.numbers(line_no)
    since = np.full(n_cust, np.iinfo(np.int64).max)
    np.minimum.at(since, owner, activated[:n_ind])
    customers = _customer_table(rng, cust, since, msisdn, is_primary, owner)
    customers, dup_table = _plant_duplicates(rng, customers, cust)

    account_no = pc.utf8_replace_slice(customers["customer_no"].combine_chunks(), 0, 1, "A")
    method_pre = rng.integers(0, 2, n_cust)
    method_post = rng.choice(3, n_cust, p=[0.40, 0.45, 0.15])
    acc_post = postpaid[:n_ind][is_primary] if n_ind else np.zeros(0, bool)
    credit = cust["credit"]
    accounts = pa.Table.from_arrays([
        account_no, customers["customer_no"].combine_chunks(), pick("ABCD", credit),
        money(np.where(acc_post, CREDIT_LIMIT_YUAN[credit] * 100, 0)),
        pc.if_else(pa.array(acc_post), pick(POSTPAID_METHODS, method_post), pick(PREPAID_METHODS, method_pre)),
    ], schema=SCHEMAS["accounts"])
    payer = rows_choice(rng, PAYER_P[credit])

    lines = Lines(
        msisdn=msisdn,
        customer_no=pa.concat_arrays([
            customers["customer_no"].combine_chunks().take(pa.array(owner)),
            enterprises.customer_no.take(pa.array(ent)),
        ]),
        account_no=pa.concat_arrays([account_no.take(pa.array(owner)), enterprises.account_no.take(pa.array(ent_acc))]),
        account=np.concatenate([owner, np.full(n_emp, -1)]),
        ent_account=np.concatenate([np.full(n_ind, -1), ent_acc]),
        region=region, brand=brand, plan=plan, postpaid=postpaid, activated=activated,
        contract_end=contract_end, segment=segment,
    )
    return Population(lines=lines, customers=customers, accounts=accounts, payer=payer, duplicates=dup_table)


def rows_choice(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One draw per row from that row's probabilities."""
    return (rng.random((len(p), 1)) > np.cumsum(p, axis=1)).sum(axis=1).clip(0, p.shape[1] - 1)


def _plans(rng: np.random.Generator, brand: np.ndarray, segment: np.ndarray) -> np.ndarray:
    plan = np.zeros(len(brand), np.int64)
    for b, name in enumerate(vocab.BRANDS):
        idx = [i for i, p in enumerate(vocab.PLANS) if p.brand == name]
        w = np.array([vocab.PLANS[i].weight for i in idx])
        rows = brand == b
        # Business people and enterprise lines take the bigger plans of their brand.
        big = rows & ((segment == 2) | (segment == -1))
        plan[rows & ~big] = np.array(idx)[rng.choice(len(idx), int((rows & ~big).sum()), p=w)]
        tilted = w * np.arange(1, len(idx) + 1)
        plan[big] = np.array(idx)[rng.choice(len(idx), int(big.sum()), p=tilted / tilted.sum())]
    return plan


def _customers(rng: np.random.Generator, n: int, chunk: int, end: int) -> dict:
    segment = rng.choice(len(vocab.SEGMENTS), n, p=vocab.SEGMENT_WEIGHTS)
    lo, hi = vocab.SEGMENT_AGES[segment, 0], vocab.SEGMENT_AGES[segment, 1]
    age = lo + (rng.random(n) * (hi - lo)).astype(np.int64)
    birth = end - age * 365 - rng.integers(0, 365, n)
    male = rng.random(n) < 0.51
    region = rng.choice(len(vocab.DISTRICTS), n, p=vocab.REGION_WEIGHTS)
    local = rng.random(n) < vocab.LOCAL_ID_SHARE
    area = np.where(
        local, np.array([int(d.area_code) for d in vocab.DISTRICTS])[region],
        np.array([int(a) for a in vocab.OTHER_AREA_CODES])[rng.integers(0, len(vocab.OTHER_AREA_CODES), n)],
    )
    seq = rng.integers(0, 500, n) * 2 + male  # GB 11643: odd 17th digit for men
    credit = rng.choice(4, n, p=[0.15, 0.35, 0.40, 0.10])
    return {
        "segment": segment, "birth": birth, "male": male, "region": region,
        "area": area, "seq": seq, "credit": credit, "chunk": chunk,
        "address": addresses(rng, region),
    }


def _customer_table(
    rng: np.random.Generator, cust: dict, since: np.ndarray, msisdn: pa.Array,
    is_primary: np.ndarray, owner: np.ndarray,
) -> pa.Table:
    n = len(since)
    names, surname = person_names(rng, cust["male"])
    primary_msisdn = msisdn.take(pa.array(np.flatnonzero(is_primary))) if n else msisdn.slice(0, 0)
    return pa.Table.from_arrays([
        join(f"C{cust['chunk']:05d}", digits(np.arange(1, n + 1), 6)),
        pa.array(["individual"] * n), names, pick([d.code for d in vocab.DISTRICTS], cust["region"]),
        pick(vocab.SEGMENTS, cust["segment"]),
        with_nulls(emails(rng, primary_msisdn, surname), rng.random(n) < EMAIL_SHARE),
        dates(since), id_numbers(cust["area"], cust["birth"], cust["seq"]), dates(cust["birth"]),
        pick(("F", "M"), cust["male"].astype(np.int64)), cust["address"].text(),
        *(pa.nulls(n, pa.string()) for _ in range(7)),
    ], schema=SCHEMAS["customers"])


def _plant_duplicates(
    rng: np.random.Generator, customers: pa.Table, cust: dict
) -> tuple[pa.Table, pa.Table]:
    """Re-register a few customers as later ones, rewriting the later row in place.

    Half keep the ID number (a second registration at another business hall); the others
    are the same name at the same address written differently, with an ID number whose
    sequence digits were mistyped (still valid, so only name and address give them away).
    """
    n = customers.num_rows
    dup = np.flatnonzero((rng.random(n) < DUPLICATE_SHARE) & (np.arange(n) > 0))
    src = (rng.random(len(dup)) * dup).astype(np.int64)  # an earlier customer of the chunk
    same_id = rng.random(len(dup)) < 0.5
    cols = {name: customers[name].combine_chunks() for name in customers.column_names}
    seq = np.where(same_id, cust["seq"][src], (cust["seq"][src] + 2 * rng.integers(1, 400, len(dup))) % 1000)
    variants = [cust["address"].text(city=False), cust["address"].text(room=False), cust["address"].text()]
    source = pa.array(src)
    replace = {
        "name": cols["name"].take(source),
        "id_number": id_numbers(cust["area"][src], cust["birth"][src], seq),
        "birth_date": cols["birth_date"].take(source),
        "gender": cols["gender"].take(source),
        "address": pc.choose(pa.array(rng.integers(0, 3, len(dup))), *(v.take(source) for v in variants)),
        "region": cols["region"].take(source),
    }
    position = np.arange(n)
    position[dup] = n + np.arange(len(dup))
    for name, values in replace.items():
        cols[name] = pa.concat_arrays([cols[name], values.cast(cols[name].type)]).take(pa.array(position))
    table = pa.Table.from_arrays([cols[name] for name in customers.column_names], schema=customers.schema)
    truth = pa.table({
        "customer_no": cols["customer_no"].take(pa.array(dup)),
        "duplicate_of": cols["customer_no"].take(source),
        "match": pick(("name_address", "id_number"), same_id.astype(np.int64)),
    })
    return table, truth
