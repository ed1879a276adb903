"""Ticket creation through the TMF621 API under concurrent clients (issue 5, Speed).

    .venv/bin/python -m bench.tickets_api [--clients 50] [--per-client 20] [--work var/bench-tickets]
    DATABASE_URL=postgres://... .venv/bin/python -m bench.tickets_api   # an empty PostgreSQL database

Starts ``telcrm runserver`` on a fresh SQLite database on loopback, gives every client its
own agent and API token, and has the clients POST tickets at once (a barrier releases
them together), each over its own HTTP connection. Reference in the same run: one client
alone, creating the same number of tickets as each concurrent client, after one warm-up
request (the server's first loads its URL map, API schema and holiday tables). Prints throughput
and latency (median, p99) of both, their ratios, and checks that every ticket a client
was told was created exists exactly once and that no other exists: no lost or duplicated
tickets. A 503 (the database busy past its lock timeout; nothing saved) is retried after
its ``Retry-After`` and counted; the latency of such a request includes its retries.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE = "/tmf-api/troubleTicket/v5/troubleTicket"
CATEGORIES = ["billing", "roaming", "handset", "network_quality.data", "provisioning"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _setup(work: Path, clients: int) -> tuple[list[str], list[list[str]]]:
    """A fresh database with ``clients`` agents (tokens) and five customers each."""
    os.environ["TELCRM_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")
    import django

    django.setup()
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    from telcrm.core.models import Region, UserProfile
    from telcrm.core.roles import Role, ensure_roles
    from telcrm.core.tokens import issue_token
    from telcrm.customers.models import Customer

    call_command("migrate", verbosity=0)
    ensure_roles()
    region = Region.objects.get(code="SH-XH")
    group = Group.objects.get(name=Role.SERVICE_AGENT.value)
    tokens, customers = [], []
    for i in range(clients):
        user = User.objects.create_user(f"bench{i:03d}")
        user.groups.add(group)
        UserProfile.objects.create(user=user, region=region)
        tokens.append(issue_token(user, name="bench")[1])
        mine = [Customer.objects.create(customer_no=f"B{i:04d}{j:05d}", kind="individual", name=f"客户{i}-{j}",
                                        region=region).customer_no for j in range(5)]
        customers.append(mine)
    return tokens, customers


class Client(threading.Thread):
    def __init__(self, port: int, token: str, customers: list[str], n: int, tag: str,
                 start_line: threading.Barrier | None) -> None:
        super().__init__(daemon=True)
        self.port, self.token, self.customers, self.n, self.tag = port, token, customers, n, tag
        self.start_line = start_line
        self.latencies: list[float] = []
        self.created: list[tuple[str, str]] = []  # (ticket id, description marker)
        self.errors: list[str] = []
        self.retries = 0
        # Connected before the start, one after the other: the server's accept queue is
        # short (runserver's is 10), and the burst measured is of requests, not handshakes.
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        self.conn.connect()
        time.sleep(0.02)

    def run(self) -> None:
        conn = self.conn
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if self.start_line is not None:
            self.start_line.wait()
        for k in range(self.n):
            marker = f"{self.tag}-{k}"
            body = json.dumps({
                "ticketType": "inquiry", "name": marker, "description": f"bench {marker}",
                "relatedParty": [{"role": "customer",
                                  "partyOrPartyRole": {"id": self.customers[k % len(self.customers)]}}],
                "troubleTicketCharacteristic": [{"name": "category", "value": CATEGORIES[k % len(CATEGORIES)]}],
            })
            t0 = time.perf_counter()
            while True:
                try:
                    conn.request("POST", BASE, body=body, headers=headers)
                    answer = conn.getresponse()
                    payload = answer.read()
                except (OSError, http.client.HTTPException) as exc:
                    self.errors.append(f"{marker}: {exc}")
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                    answer = None
                    break
                if answer.status != 503:
                    break
                # Busy: nothing was saved; wait as told and send the same request again.
                self.retries += 1
                time.sleep(float(answer.getheader("Retry-After", "1")))
            if answer is None:
                continue
            self.latencies.append((time.perf_counter() - t0) * 1000)
            if answer.status == 201:
                self.created.append((json.loads(payload)["id"], marker))
            else:
                self.errors.append(f"{marker}: HTTP {answer.status} {payload[:200]!r}")
        conn.close()


def _round(port: int, tokens: list[str], customers: list[list[str]], per_client: int, tag: str,
           ) -> tuple[float, list[Client]]:
    barrier = threading.Barrier(len(tokens)) if len(tokens) > 1 else None
    clients = [Client(port, tok, cust, per_client, f"{tag}{i}", barrier)
               for i, (tok, cust) in enumerate(zip(tokens, customers, strict=True))]
    t0 = time.perf_counter()
    for c in clients:
        c.start()
    for c in clients:
        c.join()
    return time.perf_counter() - t0, clients


def _summary(label: str, seconds: float, clients: list[Client]) -> tuple[float, float, float]:
    ms = [x for c in clients for x in c.latencies]
    made = sum(len(c.created) for c in clients)
    rate = made / seconds
    p50 = statistics.median(ms)
    p99 = statistics.quantiles(ms, n=100)[98] if len(ms) >= 100 else max(ms)
    errors = sum(len(c.errors) for c in clients)
    retries = sum(c.retries for c in clients)
    print(f"{label:<26} {made:6d} tickets in {seconds:6.2f} s  {rate:7.1f}/s  "
          f"median {p50:7.1f} ms  p99 {p99:7.1f} ms  503-retries {retries}  errors {errors}")
    for c in clients:
        for e in c.errors[:3]:
            print(f"   {e}")
    return rate, p50, p99


def _check(clients: list[Client]) -> bool:
    """Every 201 is one row, every row was answered 201 once: nothing lost, nothing twice."""
    from telcrm.tickets.models import Ticket

    answered = [(tid, marker) for c in clients for tid, marker in c.created]
    rows = dict(Ticket.objects.values_list("ticket_no", "subject"))  # the database is the bench's own
    ids = [tid for tid, _ in answered]
    ok = (len(set(ids)) == len(ids) and rows == dict(answered)
          and len(set(rows.values())) == len(rows))
    print(f"check: {len(answered)} answered 201, {len(rows)} rows, "
          f"{len(ids) - len(set(ids))} duplicate ids, "
          f"{len(set(dict(answered)) - set(rows))} lost -> {'OK' if ok else 'MISMATCH'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--per-client", type=int, default=20)
    parser.add_argument("--work", default="var/bench-tickets", help="data directory (emptied first)")
    args = parser.parse_args()
    work = Path(args.work).resolve()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    tokens, customers = _setup(work, args.clients)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "telcrm.cli", "runserver", f"127.0.0.1:{port}", "--noreload"],
        env={**os.environ, "TELCRM_DATA_DIR": str(work)}, stdout=subprocess.DEVNULL,
        stderr=(work / "server.log").open("w"))
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        from django.db import connection

        print(f"TMF621 POST troubleTicket, {args.clients} clients x {args.per_client} tickets, "
              f"runserver (threaded, one process) on {connection.vendor}, loopback")
        # The server's first request loads the URL map, the API schema and the holiday tables.
        _s, warm = _round(port, tokens[:1], customers[:1], 1, "warm")
        s1, one = _round(port, tokens[:1], customers[:1], args.per_client, "one")
        rate1, p50_1, _p99_1 = _summary("1 client (reference)", s1, one)
        sn, many = _round(port, tokens, customers, args.per_client, "many")
        rate_n, _p50_n, p99_n = _summary(f"{args.clients} clients", sn, many)
        print(f"throughput x{rate_n / rate1:.2f} of one client; p99 under load x{p99_n / p50_1:.1f} "
              f"of one client's median")
        ok = _check(warm + one + many)
    finally:
        server.terminate()
        server.wait(timeout=30)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
