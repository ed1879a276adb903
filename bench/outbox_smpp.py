"""SMS throughput to the local SMSC with delivery receipts (issue 4, Speed: aim > 1,000/s).

    .venv/bin/python -m bench.outbox_smpp [--messages 20000]

The SMSC (care/channels/smsc.py) runs in its own process, as a real one would, and answers
every submit_sm with a message id and a delivery receipt. Timed, each end to end (every
receipt back and acknowledged):

1. **bare socket**: a precomputed submit_sm written to a raw socket and its answer and
   receipt read back with ``recv``, no PDU objects: the floor the SMSC and loopback set;
2. **SmppSender**: ``send`` then ``poll`` for the receipts, as the outbox worker drives it;

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


def _report(name: str, n: int, seconds: float, reference: float | None) -> None:
    ratio = f"  {seconds / reference:5.2f}x the bare socket's time" if reference else ""
    print(f"{name:<14} {n:>7} messages  {seconds:7.2f} s  {n / seconds:8.0f} msg/s{ratio}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")
    import django

    django.setup()
    text = "尊敬的客户，您本月积分已到账，回复TD退订。"
    proc, port = _smsc()
    try:
        runs: list[tuple[str, Callable[[int, int, str], float]]] = [("bare socket", bare_socket),
                                                                    ("SmppSender", smpp_sender)]
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
