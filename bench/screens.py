"""Latency of the nightly results' screens and API against a bare primary-key query on
the same database (issue 3, "Screens and API").

    .venv/bin/python -m bench.screens --db var/telcrm.sqlite3     # after `telcrm demo`

The database must hold the nightly run's results (``telcrm demo`` runs it; or
``telcrm nightly``). Requests go through Django's test client as a signed-in manager, who
sees every customer (the widest scope, so the largest inbox and lists): the value and risk
panels of the customer page for random customers, the warnings inbox (first and a deep
page), who stayed, the dashboard, a page of 100 line scores and of 100 warnings through
the API with a token, and the inbox export. Prints median and p99 of each as a ratio to
a bare ``Customer`` primary-key fetch, and the SQL queries per request.
"""

from __future__ import annotations

import argparse
import random
import statistics

from bench.web import _report, _sample_customers, _setup, _timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="SQLite database file")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    _setup(args.db)

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from telcrm.churn.models import Warning
    from telcrm.core.models import UserProfile
    from telcrm.core.tokens import issue_token
    from telcrm.customers.models import Customer
    from telcrm.value.models import LineValue

    rng = random.Random(args.seed)
    n = args.requests
    sample = _sample_customers(n, rng)
    print(f"{Customer.objects.count():,} customers, {LineValue.objects.count():,} line values, "
          f"{Warning.objects.count():,} warnings in {args.db}; {n} requests each")

    user, _created = User.objects.get_or_create(username="bench-screens-manager")
    user.groups.set([Group.objects.get(name="manager")])
    UserProfile.objects.get_or_create(user=user)
    client = Client()
    client.force_login(user)
    _token, raw = issue_token(user, name="bench-screens")
    api = Client(headers={"Authorization": f"Bearer {raw}"})

    def get(url: str, via: Client = client) -> None:
        response = via.get(url)
        assert response.status_code == 200, (url, response.status_code)

    pks = [pk for pk, _no in sample]
    numbers = [no for _pk, no in sample]
    for no in numbers[:20]:  # warm-up: connection, templates, translations
        get(f"/value/customers/{no}/panel/")
        get(f"/churn/customers/{no}/risk/")

    bare = _timed(lambda: Customer.objects.get(pk=rng.choice(pks)), n)
    base = statistics.median(bare[0])
    _report("bare Customer primary-key fetch", bare, None)
    values, risks = iter(numbers * 2), iter(numbers * 2)
    _report("GET .../value panel", _timed(lambda: get(f"/value/customers/{next(values)}/panel/"), n), base)
    _report("GET .../risk panel", _timed(lambda: get(f"/churn/customers/{next(risks)}/risk/"), n), base)
    few = max(n // 10, 20)
    newest = Warning.objects.order_by("-month").values_list("month", flat=True).first()
    deep = max(Warning.objects.filter(month=newest).count() // 25 // 2, 1)  # mid-inbox, 25 a page
    pages = [
        ("GET /churn/inbox/", "/churn/inbox/", client),
        (f"GET /churn/inbox/?page={deep}", f"/churn/inbox/?page={deep}", client),
        ("GET /churn/inbox/stayed/", "/churn/inbox/stayed/", client),
        ("GET /dashboard/", "/dashboard/", client),
        ("API lineScore, 100 per page", "/tmf-api/churnManagement/v1/lineScore?limit=100", api),
        ("API churnWarning, 100 per page", "/tmf-api/churnManagement/v1/churnWarning?limit=100", api),
    ]
    for label, url, via in pages:
        get(url, via)
        _report(label, _timed(lambda url=url, via=via: get(url, via), few), base)
        with CaptureQueriesContext(connection) as queries:
            get(url, via)
        print(f"{'':<40} {len(queries)} SQL queries")

    def export() -> None:
        response = client.get("/churn/inbox/export/")
        assert b"".join(response.streaming_content)

    _report("GET /churn/inbox/export/ (all months)", _timed(export, 5), base)


if __name__ == "__main__":
    main()
