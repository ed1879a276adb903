"""TMF629 API latency against a bare primary-key query on the same database (issue 2, Speed).

    .venv/bin/python -m bench.api --db var/telcrm.sqlite3            # a demo or imported DB
    .venv/bin/python -m bench.api --db /tmp/big.sqlite3 --fill 1000000 # build one first

Requests go through Django's test client (the whole request path: URL routing, token
authentication, scope, serialisation), as an administrator's and a region agent's token.
Prints median and p99 of each request kind, the ratio to a bare ``Customer`` primary-key
fetch, and the cost of the ``X-Total-Count`` COUNT on its own.
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


def _fill(n: int, seed: int) -> None:
    """Bare customers (no lines or accounts) in bulk: enough to time paging and counting."""
    import datetime as dt

    from django.core.management import call_command
    from django.db import transaction

    from telcrm.core.models import Region
    from telcrm.core.validators import id_check_char
    from telcrm.customers.models import Customer

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    regions = list(Region.objects.all())
    start = Customer.objects.count()
    batch = 20_000
    for lo in range(start, n, batch):
        rows = []
        for i in range(lo, min(lo + batch, n)):
            first17 = f"310104{1950 + i % 50}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
            rows.append(Customer(
                customer_no=f"B{i:010d}", kind="individual", name=f"客户{i}",
                region=rng.choice(regions), segment=rng.choice(["mass", "youth", "family"]),
                id_number=first17 + id_check_char(first17), address=f"上海市某区某路{i}号",
                since=dt.date(2015, 1, 1) + dt.timedelta(days=i % 3000),
            ))
        with transaction.atomic():
            Customer.objects.bulk_create(rows)


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _report(label: str, ms: list[float], base: float | None) -> None:
    p50, p99 = statistics.median(ms), statistics.quantiles(ms, n=100)[98]
    ratio = f"  x{p50 / base:6.1f} of bare PK" if base else ""
    print(f"{label:<44} median {p50:7.2f} ms  p99 {p99:7.2f} ms{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite database file")
    parser.add_argument("--fill", type=int, default=0, help="first fill with this many customers")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    _setup(args.db)
    if args.fill:
        _fill(args.fill, args.seed)

    from django.contrib.auth.models import Group, User
    from django.test import Client

    from telcrm.core.models import ApiToken, UserProfile
    from telcrm.customers.models import Customer
    from telcrm.customers.policy import visible_customers

    rng = random.Random(args.seed)
    pks = list(Customer.objects.values_list("pk", flat=True))
    numbers = dict(Customer.objects.values_list("pk", "customer_no"))
    total = len(pks)
    print(f"{total:,} customers in {args.db}")

    def client_for(username: str, role: str, region_id: int | None) -> tuple[Client, User]:
        user, _ = User.objects.get_or_create(username=username)
        user.groups.set([Group.objects.get(name=role)])
        UserProfile.objects.update_or_create(user=user, defaults={"region_id": region_id})
        ApiToken.objects.filter(user=user).delete()
        _token, raw = ApiToken.issue(user, "bench")
        return Client(headers={"Authorization": f"Bearer {raw}"}), user

    region_id = Customer.objects.values_list("region_id", flat=True).first()
    admin, admin_user = client_for("bench-admin", "administrator", None)
    agent, agent_user = client_for("bench-agent", "service_agent", region_id)
    base_url = "/tmf-api/customerManagement/v5/customer"
    n = args.requests

    bare = _timed(lambda: Customer.objects.get(pk=rng.choice(pks)), n)
    base = statistics.median(bare)
    _report("bare Customer primary-key fetch", bare, None)

    def get(client: Client, url: str, **params: object) -> None:
        r = client.get(url, params)
        assert r.status_code == 200, (r.status_code, r.content[:200])

    _report("GET customer/{id}", _timed(
        lambda: get(admin, f"{base_url}/{numbers[rng.choice(pks)]}"), n), base)
    _report("GET customer?limit=50 (first page)", _timed(
        lambda: get(admin, base_url, limit=50), n // 10), base)
    _report("GET customer?limit=50&offset=random", _timed(
        lambda: get(admin, base_url, limit=50, offset=rng.randrange(total)), n // 10), base)
    _report("GET customer?fields=name,status&limit=50", _timed(
        lambda: get(admin, base_url, limit=50, fields="name,status"), n // 10), base)
    _report("GET customer?limit=50 as a region agent", _timed(
        lambda: get(agent, base_url, limit=50), n // 10), base)
    _report("X-Total-Count alone: COUNT, all customers", _timed(
        lambda: visible_customers(admin_user).count(), 20), base)
    _report("X-Total-Count alone: COUNT, one region", _timed(
        lambda: visible_customers(agent_user).count(), 20), base)


if __name__ == "__main__":
    main()
