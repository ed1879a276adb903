"""A local short-message centre (SMSC) speaking SMPP 3.4, for the tests, the demo and the bench.

It listens on 127.0.0.1 (any free port), accepts transceiver, transmitter and receiver
binds (checking system_id and password when given), keeps every submit_sm it receives
byte for byte, answers each with a message id, and sends a delivery receipt back as a
deliver_sm. A test can make it refuse (``throttle``), reject a number, drop the link in
the middle of a submit, or have a handset reply (``inject_mo``, e.g. 退订 from a number).

    python -m telcrm.care.channels.smsc --port 2775     # for the demo and the bench
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import itertools
import socket
import socketserver
import struct
import threading
import time
from dataclasses import dataclass
from typing import Any

from smpplib import consts, smpp
from smpplib.client import SimpleSequenceGenerator

from telcrm.care.channels import sms_text
from telcrm.care.channels.smpp import make_pdu

_BINDS = {"bind_transceiver", "bind_transmitter", "bind_receiver"}


@dataclass(frozen=True)
class Submitted:
    """One submit_sm as it arrived: ``raw`` is the whole PDU, header included."""

    raw: bytes
    message_id: str
    system_id: str
    source_addr: str
    destination_addr: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes

    @property
    def text(self) -> str:
        """The part's text, header dropped (for assertions that are not about bytes)."""
        return sms_text.decode(self.short_message, self.data_coding, self.esm_class)


class _Session(socketserver.BaseRequestHandler):
    server: _Server

    def setup(self) -> None:
        self.lock = threading.Lock()
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sequence = SimpleSequenceGenerator()
        self.system_id = ""
        self.bound_as = ""

    def send(self, command: str, **fields: Any) -> None:
        pdu = make_pdu(command, self.sequence, **fields)
        with self.lock:
            self.request.sendall(pdu.generate())

    def _recv(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def handle(self) -> None:
        smsc = self.server.smsc
        try:
            while True:
                head = self._recv(4)
                raw = head + self._recv(struct.unpack(">L", head)[0] - 4)
                pdu = smpp.parse_pdu(raw, client=self.sequence, allow_unknown_opt_params=True)
                if pdu.command in _BINDS:
                    self._bind(pdu)
                elif pdu.command == "submit_sm":
                    if not smsc._submit(self, pdu, raw):
                        return
                elif pdu.command == "enquire_link":
                    self.send("enquire_link_resp", sequence=pdu.sequence)
                elif pdu.command == "deliver_sm_resp":
                    smsc._acked(pdu.status)
                elif pdu.command == "enquire_link_resp":
                    smsc._link_answered()
                elif pdu.command == "unbind":
                    self.send("unbind_resp", sequence=pdu.sequence)
                    return
        except (ConnectionError, OSError):
            return
        finally:
            smsc._gone(self)

    def _bind(self, pdu: Any) -> None:
        smsc = self.server.smsc
        system_id = pdu.system_id.decode() if pdu.system_id else ""
        password = pdu.password.decode() if pdu.password else ""
        if smsc.system_id is not None and (system_id, password) != (smsc.system_id, smsc.password):
            self.send(pdu.command + "_resp", sequence=pdu.sequence, status=consts.SMPP_ESME_RBINDFAIL, system_id="")
            return
        self.system_id, self.bound_as = system_id, pdu.command
        self.send(pdu.command + "_resp", sequence=pdu.sequence, system_id="LOCALSMSC")
        smsc._bound(self)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    smsc: LocalSmsc


class LocalSmsc:
    """The SMSC peer. Use as a context manager; ``port`` is where it listens."""

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, system_id: str | None = None,
        password: str = "", receipts: bool = True, keep: bool = True,
    ):
        self.system_id, self.password = system_id, password
        self.receipts = receipts
        self.keep = keep  # the bench keeps only the count
        self.received: list[Submitted] = []
        self.submit_count = 0
        self.receipts_acked = 0
        self.refused: list[tuple[str, int]] = []  # (destination, command_status) answered
        self.failing: set[str] = set()  # destinations whose receipts say UNDELIV
        self.links_answered = 0  # enquire_link_resp received
        self._throttle = 0
        self._drop = 0
        self._stall = 0
        self._rejected: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._sessions: list[_Session] = []
        self._changed = threading.Condition()
        self._server = _Server((host, port), _Session)
        self._server.smsc = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-smsc", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> LocalSmsc:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for session in list(self._sessions):
            self._close(session)

    def __enter__(self) -> LocalSmsc:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what a test can ask for ------------------------------------------------------------
    def throttle(self, count: int = 1) -> None:
        """Answer the next ``count`` submit_sm with ESME_RTHROTTLED."""
        self._throttle += count

    def reject(self, destination: str, status: int = consts.SMPP_ESME_RINVDSTADR) -> None:
        """Refuse every submit to ``destination`` (an address as sent, e.g. 8613800000000)."""
        self._rejected[destination] = status

    def drop_next(self, count: int = 1) -> None:
        """Close the link on the next ``count`` submit_sm without answering them."""
        self._drop += count

    def stall_next(self, count: int = 1) -> None:
        """Take the next ``count`` submit_sm and never answer them (a hung SMSC)."""
        self._stall += count

    def enquire_all(self) -> None:
        """Ask every bound link whether it is alive (enquire_link), as SMSCs do when idle."""
        for session in list(self._sessions):
            session.send("enquire_link")

    def disconnect_all(self) -> None:
        """Drop every bound link at once, as an SMSC restart would."""
        for session in list(self._sessions):
            self._close(session)

    def inject_mo(self, source_addr: str, text: str, *, destination_addr: str = "10086") -> None:
        """A handset's reply, delivered as deliver_sm to every receiving bind."""
        encoded = sms_text.encode(text, key=f"mo:{source_addr}:{text}")
        for session in self._receivers():
            for part in encoded.parts:
                session.send(
                    "deliver_sm", service_type="", source_addr_ton=1, source_addr_npi=1, source_addr=source_addr,
                    dest_addr_ton=0, dest_addr_npi=0, destination_addr=destination_addr,
                    esm_class=encoded.esm_class, data_coding=encoded.data_coding, short_message=part,
                )

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` submit_sm have arrived; False when ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.submit_count < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def wait_bound(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._receivers():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True

    # -- the sessions' side -----------------------------------------------------------------
    def _receivers(self) -> list[_Session]:
        return [s for s in self._sessions if s.bound_as in ("bind_transceiver", "bind_receiver")]

    def _bound(self, session: _Session) -> None:
        with self._changed:
            self._sessions.append(session)
            self._changed.notify_all()

    def _gone(self, session: _Session) -> None:
        with self._changed:
            if session in self._sessions:
                self._sessions.remove(session)

    def _close(self, session: _Session) -> None:
        with contextlib.suppress(OSError):
            session.request.shutdown(socket.SHUT_RDWR)
        session.request.close()

    def _link_answered(self) -> None:
        with self._changed:
            self.links_answered += 1
            self._changed.notify_all()

    def _acked(self, status: int) -> None:
        with self._changed:
            self.receipts_acked += status == consts.SMPP_ESME_ROK

    def _submit(self, session: _Session, pdu: Any, raw: bytes) -> bool:
        """Answer one submit_sm; False when the link is to be dropped instead."""
        destination = pdu.destination_addr.decode()
        with self._changed:
            if self._drop:
                self._drop -= 1
                self._close(session)
                return False
            if self._stall:
                self._stall -= 1
                return True
            status = consts.SMPP_ESME_ROK
            if self._throttle:
                self._throttle -= 1
                status = consts.SMPP_ESME_RTHROTTLED
            elif destination in self._rejected:
                status = self._rejected[destination]
            if status != consts.SMPP_ESME_ROK:
                self.refused.append((destination, status))
                session.send("submit_sm_resp", sequence=pdu.sequence, status=status, message_id="")
                return True
            message_id = f"{next(self._ids):010X}"
            self.submit_count += 1
            if self.keep:
                self.received.append(Submitted(
                    raw=raw, message_id=message_id, system_id=session.system_id,
                    source_addr=pdu.source_addr.decode(), destination_addr=destination,
                    esm_class=pdu.esm_class or 0, data_coding=pdu.data_coding or 0,
                    registered_delivery=pdu.registered_delivery or 0, short_message=pdu.short_message or b"",
                ))
            self._changed.notify_all()
        session.send("submit_sm_resp", sequence=pdu.sequence, message_id=message_id)
        if self.receipts and (pdu.registered_delivery or 0) & 0x03:
            self._receipt(session, pdu, message_id, "UNDELIV" if destination in self.failing else "DELIVRD")
        return True

    def _receipt(self, session: _Session, pdu: Any, message_id: str, stat: str) -> None:
        now = dt.datetime.now(dt.UTC).strftime("%y%m%d%H%M")
        delivered = "001" if stat == "DELIVRD" else "000"
        text = f"id:{message_id} sub:001 dlvrd:{delivered} submit date:{now} done date:{now} stat:{stat} err:000 text:"
        state = {"DELIVRD": consts.SMPP_MESSAGE_STATE_DELIVERED, "UNDELIV": consts.SMPP_MESSAGE_STATE_UNDELIVERABLE}
        session.send(
            "deliver_sm", service_type="", source_addr_ton=pdu.dest_addr_ton or 0,
            source_addr_npi=pdu.dest_addr_npi or 0, source_addr=pdu.destination_addr.decode(),
            dest_addr_ton=0, dest_addr_npi=0, destination_addr=pdu.source_addr.decode(), esm_class=0x04, data_coding=0,
            short_message=text.encode(), receipted_message_id=message_id, message_state=state[stat],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="A local SMPP 3.4 SMSC for the demo and the bench.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2775)
    parser.add_argument("--system-id", default=None, help="refuse binds with another system_id/password")
    parser.add_argument("--password", default="")
    args = parser.parse_args()
    smsc = LocalSmsc(args.host, args.port, system_id=args.system_id, password=args.password, keep=False)
    print(f"local SMSC listening on {args.host}:{smsc.port}", flush=True)
    try:
        smsc._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        print(f"{smsc.submit_count} messages received, {smsc.receipts_acked} receipts acknowledged", flush=True)


if __name__ == "__main__":
    main()
