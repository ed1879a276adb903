"""SMS throughput to the local SMSC with delivery receipts (issue 4, Speed: aim > 1,000/s).

    .venv/bin/python -m bench.outbox_smpp [--messages 20000] [--work var/bench] [--no-outbox]

The SMSC (care/channels/smsc.py) runs in its own process, as a real one would, and answers
every submit_sm with a message id and a delivery receipt. Timed, each end to end (every
receipt back and acknowledged):

1. **bare socket**: a precomputed submit_sm written to a raw socket and its answer and
   receipt read back with ``recv``, no PDU objects: the floor the SMSC and loopback set;
2. **SmppSender**: ``send`` then ``poll`` for the receipts, as the outbox worker drives it;
   then ``send_many`` ten at a time (a window of ten submit_sm awaiting their answers);

3. **outbox**: care messages decided into the outbox (``outbox.enqueue``, contact policy
   included, timed on its own), then sent by the outbox worker (claim, policy re-check,
   send, record provider ids) and marked delivered from their receipts, on a fresh SQLite
   database under ``--work`` (skipped with ``--no-outbox``).

Prints messages per second and each one's ratio to the bare socket loop.
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path


def _smsc() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "telcrm.care.channels.smsc", "--port", "0"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "DJANGO_SETTINGS_MODULE": "telcrm.settings"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "local SMSC listening on 127.0.0.1:PORT"
    return proc, int(line.rsplit(":", 1)[1])


def _recv_pdu(sock: socket.socket) -> bytes:
    head = b""
    while len(head) < 4:
        head += sock.recv(4 - len(head))
    length = struct.unpack(">L", head)[0]
    body = b""
    while len(body) < length - 4:
        body += sock.recv(length - 4 - len(body))
    return head + body


def bare_socket(port: int, n: int, text: str) -> float:
    """Raw PDUs, no library: bind, then submit_sm / submit_sm_resp / deliver_sm / deliver_sm_resp."""
    def pdu(command: int, seq: int, body: bytes, status: int = 0) -> bytes:
        return struct.pack(">LLLL", 16 + len(body), command, status, seq) + body

    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(pdu(0x00000009, 1, b"bench\0x\0\0\x34\0\0\0"))  # bind_transceiver
    _recv_pdu(sock)
    data = text.encode("utf-16-be")
    addresses = b"\0\0\0" + b"10086\0" + b"\x01\x01" + b"8613812345678\0"  # service type, source, destination
    body = addresses + b"\0\0\0\0\0" + bytes([1, 0, 8, 0, len(data)]) + data  # ... registered_delivery 1, UCS2
    started = time.perf_counter()
    for seq in range(2, n + 2):
        sock.sendall(pdu(0x00000004, seq, body))
        for _ in range(2):
            answer = _recv_pdu(sock)
            command, seq_in = struct.unpack(">L", answer[4:8])[0], struct.unpack(">L", answer[12:16])[0]
            if command == 0x00000005:  # deliver_sm: the receipt
                sock.sendall(pdu(0x80000005, seq_in, b"\0"))
    elapsed = time.perf_counter() - started
    sock.sendall(pdu(0x00000006, n + 2, b""))
    sock.close()
    return elapsed


def smpp_sender(port: int, n: int, text: str) -> float:
    from telcrm.care.channels.base import OutgoingMessage
    from telcrm.care.channels.smpp import SmppSender

    receipts: list[str] = []
    sender = SmppSender("127.0.0.1", port, "bench", "x", "10086", on_receipt=lambda mid, _s, _at: receipts.append(mid))
    sender.send(OutgoingMessage(key="warm-up", to="13812345678", body=text))
    sender.poll(1.0)
    receipts.clear()
    started = time.perf_counter()
    for i in range(n):
        sender.send(OutgoingMessage(key=f"bench:{i}:1", to="13812345678", body=text))
        if i % 100 == 99:
            sender.poll(0)
    while len(receipts) < n:
        if not sender.poll(5.0):
            raise SystemExit(f"receipts stopped at {len(receipts)} of {n}")
    elapsed = time.perf_counter() - started
    sender.close()
    return elapsed


def smpp_sender_window(port: int, n: int, text: str) -> float:
    """``send_many`` ten messages at a time: one round trip per window instead of per message."""
    from telcrm.care.channels.base import OutgoingMessage
    from telcrm.care.channels.smpp import SmppSender

    receipts: list[str] = []
    sender = SmppSender("127.0.0.1", port, "bench", "x", "10086", on_receipt=lambda mid, _s, _at: receipts.append(mid))
    sender.send(OutgoingMessage(key="warm-up", to="13812345678", body=text))
    sender.poll(1.0)
    receipts.clear()
    started = time.perf_counter()
    for lo in range(0, n, 10):
        outcomes = sender.send_many([OutgoingMessage(key=f"bench:{i}:1", to="13812345678", body=text)
                                     for i in range(lo, min(lo + 10, n))])
        if not all(isinstance(o, list) for o in outcomes):
            raise SystemExit(f"a send failed: {outcomes}")
        if lo % 100 == 90:
            sender.poll(0)
    while len(receipts) < n:
        if not sender.poll(5.0):
            raise SystemExit(f"receipts stopped at {len(receipts)} of {n}")
    elapsed = time.perf_counter() - started
    sender.close()
    return elapsed


def _customers(n: int) -> list:  # type: ignore[type-arg]
    """``n`` customers with one active line each, written in bulk (the outbox needs their
    numbers and regions, nothing else)."""
    import datetime as dt
    from decimal import Decimal

    from telcrm.core.models import Region
    from telcrm.customers.models import Account, Customer, Plan, Subscription

    region = Region.objects.get(code="SH-XH")
    plan = Plan.objects.get_or_create(code="GT128", defaults={"name": "全球通128", "brand": "gotone",
                                                               "monthly_fee": Decimal("128.00")})[0]
    customers = Customer.objects.bulk_create(
        [Customer(customer_no=f"B{i:09d}", kind="individual", name=f"客户{i}", region=region) for i in range(n)])
    accounts = Account.objects.bulk_create(
        [Account(account_no=f"BA{i:09d}", customer=c, credit_class="B", credit_limit=Decimal("200"),
                 payment_method="bank_debit") for i, c in enumerate(customers)])
    Subscription.objects.bulk_create(
        [Subscription(msisdn=f"139{i:08d}", customer=c, account=a, payment_type="postpaid", brand="gotone", plan=plan,
                      status="active", status_date=dt.date(2024, 1, 1), activated_on=dt.date(2020, 1, 1), region=region)
         for i, (c, a) in enumerate(zip(customers, accounts, strict=True))])
    return customers


def outbox_worker(port: int, n: int, text: str) -> float:
    """Queue ``n`` care messages and time the worker until every one is delivered."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import transaction

    from telcrm.care import outbox
    from telcrm.care.channels.smpp import SmppSender
    from telcrm.care.choices import CampaignStatus, OutboxStatus
    from telcrm.care.models import Audience, Campaign, OutboxMessage
    from telcrm.care.worker import Worker

    call_command("migrate", verbosity=0)
    noon = dt.datetime(2026, 11, 20, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    customers = _customers(n)
    owner = User.objects.create_user("bench")
    audience = Audience.objects.create(name="bench", filters={}, owner=owner)
    made = Campaign.objects.create(name="bench", purpose="care", audience=audience, owner=owner,
                                   status=CampaignStatus.RUNNING)
    started = time.perf_counter()
    with transaction.atomic():
        outbox.enqueue([outbox.Draft(customer=c, channel="sms", purpose="care", body=text, campaign=made)
                        for c in customers], at=noon)
    queued = time.perf_counter() - started
    rate = f"{n / queued:8.0f} msg/s (policy and outbox rows)"
    print(f"{'  enqueue':<14} {n:>7} messages  {queued:7.2f} s  {rate}", flush=True)
    receipts = outbox.ReceiptBuffer()  # as `telcrm care worker` wires it: receipts recorded per poll
    sender = SmppSender("127.0.0.1", port, "bench", "x", "10086", on_receipt=receipts.handler("sms"))
    worker = Worker(senders={"sms": sender}, batch=500, clock=lambda: noon, receipts=receipts)
    started = time.perf_counter()
    delivered = 0
    while delivered < n:
        if worker.run_once().total() == 0:
            worker.poll(1.0)
        delivered = OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED).count()
    elapsed = time.perf_counter() - started
    worker.close()
    return elapsed


def _report(name: str, n: int, seconds: float, reference: float | None) -> None:
    ratio = f"  {seconds / reference:5.2f}x the bare socket's time" if reference else ""
    print(f"{name:<14} {n:>7} messages  {seconds:7.2f} s  {n / seconds:8.0f} msg/s{ratio}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--work", type=Path, default=Path("var/bench"))
    parser.add_argument("--no-outbox", action="store_true", help="time the sender and the bare socket only")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")
    if not args.no_outbox:
        args.work.mkdir(parents=True, exist_ok=True)
        db = (args.work / "outbox-bench.sqlite3").resolve()
        for old in args.work.glob("outbox-bench.sqlite3*"):
            old.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{db}"
        os.environ["TELCRM_DATA_DIR"] = str(args.work.resolve())
    import django

    django.setup()
    text = "尊敬的客户，您本月积分已到账，回复TD退订。"
    proc, port = _smsc()
    try:
        runs: list[tuple[str, Callable[[int, int, str], float]]] = [("bare socket", bare_socket),
                                                                    ("SmppSender", smpp_sender),
                                                                    ("send_many x10", smpp_sender_window)]
        if not args.no_outbox:
            runs.append(("outbox worker", outbox_worker))
        reference = None
        for name, run in runs:
            seconds = run(port, args.messages, text)
            _report(name, args.messages, seconds, reference)
            reference = reference or seconds
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
