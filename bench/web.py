"""Customer 360 page latency against a bare primary-key query on the same database
(issue 2, "Speed": aim p99 under 50 ms on SQLite with 1M subscribers).

    .venv/bin/python -m bench.web --db var/telcrm.sqlite3

Requests go through Django's test client as a signed-in manager (sessions, permissions,
scope, template rendering: the whole request path but the socket). Customers are drawn at
random. Prints median and p99 of the 360 page, of the panels it loads afterwards
(duplicates, older timeline) and of a search by phone number, each as a ratio to a bare
``Customer`` primary-key fetch, and the number of SQL queries per page.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable


def _setup(db: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{os.path.abspath(db)}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")
    import django

    django.setup()


Timing = tuple[list[float], list[float]]


def _timed(fn: Callable[[], object], n: int) -> Timing:
    """Wall-clock and CPU milliseconds per call: on a shared machine the CPU time shows
    what the page costs when the wall clock also counts waiting for a core."""
    wall, cpu = [], []
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def _report(label: str, timing: Timing, base: float | None) -> None:
    wall, cpu = timing
    p50, p99 = statistics.median(wall), statistics.quantiles(wall, n=100)[98]
    ratio = f"  x{p50 / base:5.1f} of bare PK (p99 x{p99 / base:5.1f})" if base else ""
    print(f"{label:<40} median {p50:6.2f} ms  p99 {p99:6.2f} ms  "
          f"(CPU median {statistics.median(cpu):6.2f} ms){ratio}")


def _sample_customers(n: int, rng: random.Random) -> list[tuple[int, str]]:
    """Random live customers without loading every customer number: random ids in the id
    range, fetched in one query (gaps are skipped)."""
    from django.db.models import Max, Min

    from telcrm.customers.models import Customer, CustomerStatus

    bounds = Customer.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    picked: dict[int, str] = {}
    while len(picked) < min(n, Customer.objects.count()):
        ids = [rng.randint(bounds["lo"], bounds["hi"]) for _ in range(n)]
        picked.update(Customer.objects.filter(pk__in=ids).exclude(status=CustomerStatus.MERGED)
                      .values_list("pk", "customer_no"))
    rows = list(picked.items())
    rng.shuffle(rows)
    return rows[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite database file")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    _setup(args.db)

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from telcrm.core.models import UserProfile
    from telcrm.customers.models import Customer, Subscription

    rng = random.Random(args.seed)
    n = args.requests
    sample = _sample_customers(n, rng)
    print(f"{Customer.objects.count():,} customers, {Subscription.objects.count():,} lines "
          f"in {args.db}; {n} requests each")

    user, _created = User.objects.get_or_create(username="bench-web-manager")
    user.groups.set([Group.objects.get(name="manager")])
    UserProfile.objects.get_or_create(user=user)
    client = Client()
    client.force_login(user)

    def get(url: str, **params: str | int) -> None:
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)

    pks = [pk for pk, _no in sample]
    numbers = [no for _pk, no in sample]
    for no in numbers[:20]:  # warm-up: connection, templates, translations
        get(f"/customers/{no}/")

    bare = _timed(lambda: Customer.objects.get(pk=rng.choice(pks)), n)
    base = statistics.median(bare[0])
    _report("bare Customer primary-key fetch", bare, None)
    pages = iter(numbers * 2)
    _report("GET /customers/<no>/ (360 page)", _timed(lambda: get(f"/customers/{next(pages)}/"), n), base)
    panels = iter(numbers * 2)
    _report("GET .../duplicates/ (panel, after load)",
            _timed(lambda: get(f"/customers/{next(panels)}/duplicates/"), max(n // 10, 20)), base)
    older = iter(numbers * 2)
    _report("GET .../timeline/?page=2",
            _timed(lambda: get(f"/customers/{next(older)}/timeline/", page=2), max(n // 10, 20)), base)
    phones = list(Subscription.objects.filter(customer_id__in=pks[:200]).values_list("msisdn", flat=True))
    if phones:
        _report("GET /customers/?q=<phone number>",
                _timed(lambda: get("/customers/", q=rng.choice(phones)), max(n // 10, 20)), base)

    with CaptureQueriesContext(connection) as queries:
        get(f"/customers/{numbers[0]}/")
    print(f"SQL queries for one 360 page: {len(queries)}")


if __name__ == "__main__":
    main()
