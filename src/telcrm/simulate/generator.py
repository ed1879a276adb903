"""The synthetic operator: every export file of a China Mobile-like operator, from a seed.

Subscribers are simulated in chunks of ``CHUNK_LINES`` lines, so memory holds one chunk
whatever the subscriber count (issue 2: 10M must not run out of memory). Chunk ``c`` draws
from its own generator, ``SeedSequence(seed, spawn_key=(2, c))``, and the phone numbers
come from a bijection of the line's sequence number (identity.NumberPlan), so the output
is the same byte for byte for a seed, subscriber count, month count and end month, without
any state carried between chunks. The chunk size is part of that recipe: changing it
changes the data. Enterprises (few) are drawn once, before the chunks, from
``spawn_key=(1,)``; their count follows the subscriber count, so two runs of different
sizes share the seed but not the customers.
"""

from __future__ import annotations

import csv
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from tqdm import tqdm

from telcrm.simulate import vocab
from telcrm.simulate.behaviour import NEVER, Activity, Window, simulate_months
from telcrm.simulate.enterprises import build_enterprises, enterprise_count
from telcrm.simulate.identity import NumberPlan
from telcrm.simulate.population import Population, build_population
from telcrm.simulate.sink import Sink
from telcrm.simulate.tables import (
    TRUTH_SCHEMA,
    account_bills,
    bills_table,
    enterprise_bills,
    interactions_table,
    month_labels,
    payments_table,
    subscriptions_table,
    truth_table,
    usage_table,
)

CHUNK_LINES = 100_000
DEFAULT_END_MONTH = "2026-10"
DUPLICATES_SCHEMA = pa.schema([
    ("customer_no", pa.string()), ("duplicate_of", pa.string()), ("match", pa.string()),
])


@dataclass(frozen=True)
class SimulationConfig:
    subscribers: int
    months: int
    seed: int
    out: Path
    fmt: str = "parquet"
    end_month: str = DEFAULT_END_MONTH

    def __post_init__(self) -> None:
        if self.subscribers < 1 or self.months < 1:
            raise ValueError("subscribers and months must be at least 1")


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def simulate(config: SimulationConfig, progress: bool = True) -> dict:
    """Write every file under ``config.out`` and return the manifest (also MANIFEST.json)."""
    out = Path(config.out)
    sink = Sink(out, config.fmt, {"churn": TRUTH_SCHEMA, "duplicates": DUPLICATES_SCHEMA})
    window = Window.ending(config.end_month, config.months)
    months = month_labels(window)
    numbers = NumberPlan.from_rng(_rng(config.seed, 0))
    ent = build_enterprises(
        _rng(config.seed, 1), count=enterprise_count(config.subscribers), numbers=numbers,
        number_offset=config.subscribers, window_days=window.report_days,
    )
    for kind, table in ent.tables.items():
        sink.write(kind, table)
    ent_post = np.zeros((len(ent.account_no), config.months), np.int64)

    bar = tqdm(total=config.subscribers * config.months, unit=" line-months", unit_scale=True,
               file=sys.stderr, disable=not progress, desc="simulate")
    # Tables of chunk c are assembled on a second thread while chunk c+1 is simulated; one
    # thread, fed in chunk order, keeps the files' row order (and bytes) fixed.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="simulate-tables") as tables:
        pending: Future | None = None
        for chunk, first in enumerate(range(0, config.subscribers, CHUNK_LINES), start=1):
            n = min(CHUNK_LINES, config.subscribers - first)
            rng = _rng(config.seed, 2, chunk)
            pop = build_population(
                rng, chunk=chunk, first_line=first, n=n, numbers=numbers, enterprises=ent,
                window_days=window.report_days,
            )
            act = simulate_months(rng, pop.lines, pop.payer, window)
            if pending is not None:
                pending.result()  # at most one chunk waits, so memory stays one chunk deep
            pending = tables.submit(_emit_chunk, sink, rng, chunk, pop, act, months, window, ent_post)
            bar.update(n * config.months)
        if pending is not None:
            pending.result()
    bar.close()

    n_ent_acc = len(ent.account_no)
    sink.write("payments", payments_table(
        _rng(config.seed, 3), prefix="PE0000", account_no=ent.account_no,
        method=ent.tables["accounts"]["payment_method"].combine_chunks(), post=ent_post, pre=None,
        payer=np.zeros(n_ent_acc, np.int64), default_month=np.full(n_ent_acc, NEVER),
        settle_month=np.full(n_ent_acc, NEVER), window=window,
    ))
    write_plans(out / "plans.csv")
    manifest = {
        "generator": "telcrm simulate",
        "seed": config.seed, "subscribers": config.subscribers, "months": config.months,
        "end_month": config.end_month, "first_month": months[0].as_py(), "format": config.fmt,
        "chunk_lines": CHUNK_LINES, "enterprises": len(ent.customer_no),
        "plans": "plans.csv", "truth": ["truth/churn.parquet", "truth/duplicates.parquet"],
    }
    sink.close(manifest)
    return {**manifest, "files": sink.rows}


def _emit_chunk(
    sink: Sink, rng: np.random.Generator, chunk: int, pop: Population, act: Activity,
    months: pa.Array, window: Window, ent_post: np.ndarray,
) -> None:
    """Queue one chunk's tables for writing and add its enterprise lines' bills to ``ent_post``."""
    n_acc = pop.accounts.num_rows
    sink.write("customers", pop.customers)
    sink.write("accounts", pop.accounts)
    sink.write("subscriptions", subscriptions_table(pop.lines, act))
    sink.write("bills", bills_table(pop.lines, act, months))
    sink.write("usage", usage_table(pop.lines, act, months))
    sink.write("interactions", interactions_table(rng, chunk, pop.lines, act))
    sink.write("payments", payments_table(
        rng, prefix=f"P{chunk:05d}", account_no=pop.accounts["account_no"].combine_chunks(),
        method=pop.accounts["payment_method"].combine_chunks(),
        post=account_bills(pop.lines, act, n_acc, postpaid=True),
        pre=account_bills(pop.lines, act, n_acc, postpaid=False), payer=pop.payer,
        default_month=act.default_month, settle_month=act.settle_month, window=window,
    ))
    sink.write("churn", truth_table(pop.lines, act, months), truth=True)
    sink.write("duplicates", pop.duplicates.cast(DUPLICATES_SCHEMA), truth=True)
    ent_post += enterprise_bills(pop.lines, act, len(ent_post))


def write_plans(path: Path) -> None:
    """The plan catalogue the subscriptions refer to (code, name, brand, monthly fee)."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["code", "name", "brand", "monthly_fee"])
        for plan in vocab.PLANS:
            writer.writerow([plan.code, plan.name, plan.brand, f"{plan.fee}.00"])
