"""The SLA sweep over a million open tickets (issue 5, "Speed": aim under 2 s), as a ratio
to a bare indexed query returning the same rows.

    .venv/bin/python -m bench.tickets_sweep [--tickets 1000000] [--due-share 0.05] [--work var/bench]

Builds (once, then reuses) a SQLite database of ``--tickets`` open tickets whose next SLA
stage falls due over the 20 days around the sweep time, ``--due-share`` of them at or
before it, spread over the stages (warning due, breach due, manager due, long overdue
passing both levels). Each run sweeps inside a transaction that is rolled back, so every
repeat sees the same work; the reference is ``SELECT id FROM tickets_ticket WHERE
sweep_due_at <= now`` on the same index. Prints wall and CPU seconds of each, the ratio,
and the query plan of the sweep's read.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import time
from pathlib import Path

NOW = dt.datetime(2025, 6, 10, 10, 0, tzinfo=dt.UTC)
CUSTOMERS = 2000


def _setup(data_dir: Path) -> None:
    os.environ["TELCRM_DATA_DIR"] = str(data_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _build(n: int, due_share: float, seed: int) -> None:
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from telcrm.core.models import Region
    from telcrm.customers.models import Customer
    from telcrm.tickets.models import Category, Team, Ticket

    rng = random.Random(seed)
    region = Region.objects.first()
    assert region is not None, "the migrations seed the regions"
    boss, _ = User.objects.get_or_create(username="bench-supervisor")
    manager, _ = User.objects.get_or_create(username="bench-manager")
    agent, _ = User.objects.get_or_create(username="bench-agent")
    team = Team.objects.create(code="bench", name="bench", supervisor=boss, manager=manager)
    Customer.objects.bulk_create([Customer(customer_no=f"B{i:09d}", kind="individual", name=f"c{i}", region=region)
                                  for i in range(CUSTOMERS)], batch_size=1000)
    customer_ids = list(Customer.objects.values_list("id", flat=True))
    category = Category.objects.get(code="billing")
    fields = [f for f in Ticket._meta.concrete_fields if f.column != "id"]
    columns = ", ".join(f'"{f.column}"' for f in fields)
    sql = f'INSERT INTO tickets_ticket ({columns}) VALUES ({", ".join(["%s"] * len(fields))})'
    ops = connection.ops

    def when(minutes: float) -> str:
        return ops.adapt_datetimefield_value(NOW + dt.timedelta(minutes=minutes))

    template = Ticket(kind="complaint", category=category, channel="call_centre", status="inProgress",
                      priority="medium", stars=3, subject="bench", owner=agent, team=team, region=region,
                      opened_at=NOW, updated_at=NOW)
    base = {f.attname: f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        rows = []
        for i in range(n):
            due = rng.random() < due_share
            # Minutes from now to each stage; a due ticket has passed 1, 2 or all 3 of them.
            passed = rng.choice((1, 1, 1, 2, 2, 3)) if due else 0
            offsets = (sorted(-rng.uniform(1, 14400) for _ in range(passed))
                       + sorted(rng.uniform(1, 14400) for _ in range(3 - passed)))
            warn, sup, mgr = (when(o) for o in offsets)
            row = dict(base, ticket_no=f"TB{i:010d}", customer_id=customer_ids[i % CUSTOMERS], warn_at=warn,
                       supervisor_at=sup, manager_at=mgr, sweep_due_at=warn,
                       opened_at=when(offsets[0] - 2000), updated_at=when(0))
            rows.append([row[f.attname] for f in fields])
            if len(rows) == 50_000:
                cursor.executemany(sql, rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)
    connection.cursor().execute("ANALYZE")
    print(f"built {n:,} open tickets in {time.perf_counter() - started:.0f} s")


def _timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    args = parser.parse_args()
    _setup((args.work / f"tickets-sweep-{args.tickets}-{args.due_share}").resolve())

    from django.db import connection, transaction

    from telcrm.tickets.models import Escalation, Ticket
    from telcrm.tickets.sweep import sweep_sla

    if Ticket.objects.count() != args.tickets:
        if Ticket.objects.exists():
            raise SystemExit("the bench database holds another number of tickets: remove it first")
        _build(args.tickets, args.due_share, args.seed)

    class Rollback(Exception):
        pass

    results = []

    def sweep() -> None:
        try:
            with transaction.atomic():
                results.append((sweep_sla(now=NOW), Escalation.objects.count()))
                raise Rollback
        except Rollback:
            pass

    def bare() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM tickets_ticket WHERE sweep_due_at <= %s",
                           [connection.ops.adapt_datetimefield_value(NOW)])
            results.append(len(cursor.fetchall()))

    bare()  # warm the page cache for both
    sweeps = [_timed(sweep) for _ in range(args.repeats)]
    bares = [_timed(bare) for _ in range(args.repeats)]
    outcome, escalations = results[1]
    assert outcome.due == results[-1], "the sweep and the bare query must see the same rows"
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN SELECT id FROM tickets_ticket WHERE sweep_due_at <= ?",
                       [connection.ops.adapt_datetimefield_value(NOW)])
        plan = " / ".join(str(r[-1]) for r in cursor.fetchall())
    sweep_wall, sweep_cpu = (statistics.median(x) for x in zip(*sweeps, strict=True))
    bare_wall, bare_cpu = (statistics.median(x) for x in zip(*bares, strict=True))
    print(f"{Ticket.objects.count():,} open tickets, {outcome.due:,} due at the sweep: {outcome.warned:,} warned, "
          f"{outcome.to_supervisor:,} to the supervisor, {outcome.to_manager:,} to the manager "
          f"({escalations:,} escalation rows)")
    print(f"plan of the read: {plan}")
    print(f"bare indexed query   {bare_wall:7.3f} s wall {bare_cpu:7.3f} s CPU")
    print(f"sweep (read+write)   {sweep_wall:7.3f} s wall {sweep_cpu:7.3f} s CPU   "
          f"ratio {sweep_wall / bare_wall:5.1f}x  (aim: under 2 s)")


if __name__ == "__main__":
    main()
