"""SMS to the operator's short-message centre over SMPP 3.4 (domain.md section 4: care by SMS).

One transceiver bind carries both directions: ``send`` submits a message (submit_sm, one
per part, each asking for a delivery receipt) and waits for the SMSC's answer to each;
``poll`` reads what the SMSC delivers back (deliver_sm): delivery receipts, which update a
message's status through ``on_receipt``, and mobile-originated replies such as 退订 or TD,
which opt the customer out through ``on_reply``. Receipts that arrive while a send waits
are kept for the next ``poll``, so the outbox has stored the message ids before it hears
of them; each deliver_sm is acknowledged only after its callback returned, so an SMSC
redelivers one whose handling failed.

PDUs are built and parsed by smpplib; the connection, the waiting and the error mapping
are ours: throttling, a full queue, a dropped link or a timeout are ``TransientError`` (the
outbox retries with backoff), a bad number or a refused message ``PermanentError``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
import select
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from smpplib import consts, exceptions, smpp
from smpplib.client import Client

from telcrm.care.channels import sms_text
from telcrm.care.channels.base import ChannelError, OutgoingMessage, PermanentError, TransientError

#: What a handler returns is ignored (the outbox returns the rows it updated).
ReceiptHandler = Callable[[str, str, dt.datetime], object]
ReplyHandler = Callable[[str, str, dt.datetime], object]

DELIVERED = "delivered"
FAILED = "failed"

#: Receipt "stat:" words (SMPP 3.4 appendix B) that end a message's life.
_FINAL_STATES = {
    "DELIVRD": DELIVERED,
    "UNDELIV": FAILED,
    "EXPIRED": FAILED,
    "REJECTD": FAILED,
    "DELETED": FAILED,
}
#: command_status values worth a retry: the SMSC is busy, not refusing the message.
_TRANSIENT_STATUS = {
    consts.SMPP_ESME_RTHROTTLED,
    consts.SMPP_ESME_RMSGQFUL,
    consts.SMPP_ESME_RSYSERR,
    consts.SMPP_ESME_RX_T_APPN,
    consts.SMPP_ESME_RSUBMITFAIL,
}
_RECEIPT = 0x04  # esm_class message type: SMSC delivery receipt
_RECEIPT_TEXT = re.compile(rb"id:(?P<id>\S+).*?done date:(?P<done>\d{10,12}).*?stat:(?P<stat>[A-Z]+)", re.S)
_NATIONAL_MOBILE = re.compile(r"1\d{10}")


def destination(number: str) -> tuple[int, int, str]:
    """(TON, NPI, address) of a recipient: a mainland mobile number (11 digits starting
    with 1) goes international as 86..., an E.164 number loses its plus; anything else is
    a bad destination, refused before it reaches the SMSC."""
    number = number.strip().replace(" ", "")
    if _NATIONAL_MOBILE.fullmatch(number):
        return 1, 1, "86" + number
    if number.startswith("+") and number[1:].isdigit() and 8 <= len(number) <= 16:
        return 1, 1, number[1:]
    raise PermanentError(f"not a mobile number: {number!r}")


def national(address: str) -> str:
    """The customer's own 11-digit number from an SMSC address (86 13812345678)."""
    address = address.lstrip("+")
    if len(address) == 13 and address.startswith("86"):
        return address[2:]
    return address


def make_pdu(command: str, client: Any, *, sequence: int | None = None, **fields: Any) -> Any:
    """smpplib's make_pdu, with a response's sequence number taken from its request (the
    library ignores a ``sequence`` keyword)."""
    pdu = smpp.make_pdu(command, client=client, **fields)
    if sequence is not None:
        pdu.sequence = sequence
    return pdu


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value or "")


def _why(exc: BaseException) -> str:
    return str(exc) or "connection closed"


def _status(pdu: Any) -> str:
    return f"{consts.DESCRIPTIONS.get(pdu.status, 'unknown status')} (0x{pdu.status:08X})"


class SmppSender:
    """A channel sender (base.Sender) bound as a transceiver to one SMSC."""

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        source_addr: str,
        *,
        on_receipt: ReceiptHandler | None = None,
        on_reply: ReplyHandler | None = None,
        timeout: float = 5.0,
        system_type: str = "",
        idle_check: float = 1.0,
        window: int = 10,
    ):
        self.host, self.port = host, port
        self.system_id, self.password, self.system_type = system_id, password, system_type
        self.source_addr = source_addr
        self.on_receipt = on_receipt
        self.on_reply = on_reply
        self.timeout = timeout
        self.window = window  # submit_sm awaiting their answer at once (the SMSC's agreed window)
        self.idle_check = idle_check  # seconds of quiet after which the link is checked before use
        self._client: Client | None = None
        # deliver_sm PDUs read while waiting on a send, with the link they came on
        self._pending: deque[tuple[Client, Any]] = deque()
        self._parts: dict[tuple[str, int, int], dict[int, str]] = {}  # a long reply's parts so far
        self._last_io = 0.0

    # -- the link ---------------------------------------------------------------------------
    def _closed_by_peer(self, client: Client) -> bool:
        """True when the SMSC closed an idle link (it drops binds left quiet too long):
        found before anything is written, so a new bind is made and nothing is lost."""
        sock = client._socket
        try:
            while select.select([sock], [], [], 0)[0]:
                if sock.recv(1, socket.MSG_PEEK) == b"":
                    return True
                # PDUs waiting ahead of the close (receipts): kept for poll, unacknowledged
                # if the link is gone, so the SMSC delivers them again.
                if self._answer(client, client.read_pdu()):
                    return True
        except (exceptions.ConnectionError, exceptions.PDUError, TransientError, OSError):
            return True
        return False

    def _bound(self) -> Client:
        if self._client is not None:
            busy = time.monotonic() - self._last_io < self.idle_check
            if busy or not self._closed_by_peer(self._client):
                return self._client
            self._drop()
        client = Client(self.host, self.port, timeout=self.timeout, allow_unknown_opt_params=True)
        try:
            client.connect()
            # Small PDUs answered at once: without this, Nagle's algorithm and delayed ACKs
            # hold every other answer for 40 ms.
            client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.bind_transceiver(system_id=self.system_id, password=self.password, system_type=self.system_type)
        except (exceptions.ConnectionError, OSError) as exc:
            client.disconnect()
            raise TransientError(f"SMSC {self.host}:{self.port} unreachable: {exc}") from exc
        except exceptions.PDUError as exc:
            client.disconnect()
            # A refused bind is the operator's configuration, not the message's fault.
            raise TransientError(f"SMSC refused the bind: {exc}") from exc
        self._client = client
        return client

    def _drop(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.state = consts.SMPP_CLIENT_STATE_OPEN  # dropped on purpose: no "still bound" warning
            with contextlib.suppress(OSError):
                client.disconnect()

    def _read(self, client: Client) -> Any:
        self._last_io = time.monotonic()
        try:
            return client.read_pdu()
        except TimeoutError as exc:
            self._drop()
            raise TransientError(f"SMSC did not answer within {self.timeout} s") from exc
        except (exceptions.ConnectionError, exceptions.PDUError, OSError) as exc:
            self._drop()
            raise TransientError(f"SMSC link lost: {_why(exc)}") from exc

    def _write(self, client: Client, pdu: Any) -> None:
        self._last_io = time.monotonic()
        try:
            client.send_pdu(pdu)
        except (exceptions.ConnectionError, exceptions.PDUError, OSError) as exc:
            self._drop()
            raise TransientError(f"SMSC link lost: {_why(exc)}") from exc

    def _answer(self, client: Client, pdu: Any) -> bool:
        """Handle a PDU the SMSC sent on its own; True when it was the end of the session."""
        if pdu.command == "deliver_sm":
            self._pending.append((client, pdu))
        elif pdu.command == "enquire_link":
            self._write(client, make_pdu("enquire_link_resp", client, sequence=pdu.sequence))
        elif pdu.command == "unbind":
            self._write(client, make_pdu("unbind_resp", client, sequence=pdu.sequence))
            self._drop()
            return True
        return False

    def _await(self, client: Client, sequence: int, command: str) -> Any:
        while True:
            pdu = self._read(client)
            if pdu.sequence == sequence and pdu.command in (command, "generic_nack"):
                return pdu
            if self._answer(client, pdu):
                raise TransientError("SMSC closed the session")

    # -- base.Sender ------------------------------------------------------------------------
    def send(self, message: OutgoingMessage) -> list[str]:
        """Submit every part of ``message`` and return the SMSC's message id of each."""
        outcome = self.send_many([message])[0]
        if isinstance(outcome, ChannelError):
            raise outcome
        return outcome

    def _prepare(self, message: OutgoingMessage) -> list[dict[str, Any]]:
        """The submit_sm fields of each part (raises PermanentError for what no SMSC takes)."""
        ton, npi, address = destination(message.to)
        try:
            encoded = sms_text.encode(message.body, key=message.key)
        except ValueError as exc:
            raise PermanentError(str(exc)) from exc
        reference = int.from_bytes(hashlib.sha256(message.key.encode()).digest()[:2], "big")
        return [
            {"service_type": "", "source_addr_ton": 0, "source_addr_npi": 0, "source_addr": self.source_addr,
             "dest_addr_ton": ton, "dest_addr_npi": npi, "destination_addr": address,
             "esm_class": encoded.esm_class, "data_coding": encoded.data_coding, "registered_delivery": 1,
             "short_message": part, "user_message_reference": reference}
            for part in encoded.parts
        ]

    def send_many(self, messages: Sequence[OutgoingMessage]) -> list[list[str] | ChannelError]:
        """Submit several messages with up to ``window`` submit_sm awaiting their answer at
        once (SMPP 3.4 allows an ESME several outstanding requests), so a batch costs about a
        round trip per window rather than one per part. Returns, for each message in order,
        its part ids or the error that stopped it; when the link is lost, the messages the
        SMSC had fully accepted keep their ids and the rest get the TransientError."""
        results: list[list[str | None] | ChannelError] = []
        queue: deque[tuple[int, int, dict[str, Any]]] = deque()
        for i, message in enumerate(messages):
            try:
                parts = self._prepare(message)
            except PermanentError as exc:
                results.append(exc)
                continue
            results.append([None] * len(parts))
            queue.extend((i, n, fields) for n, fields in enumerate(parts))
        outstanding: dict[int, tuple[int, int]] = {}
        try:
            client = self._bound() if queue else None
            while queue or outstanding:
                while queue and len(outstanding) < self.window:
                    i, n, fields = queue.popleft()
                    if isinstance(results[i], ChannelError):
                        continue  # an earlier part was refused: the rest of it is not sent
                    pdu = smpp.make_pdu("submit_sm", client=client, **fields)
                    self._write(client, pdu)
                    outstanding[pdu.sequence] = (i, n)
                if outstanding:
                    self._settle(client, outstanding, results)
        except TransientError as exc:
            for i, result in enumerate(results):
                if isinstance(result, list) and None in result:
                    results[i] = exc
        return [r if isinstance(r, ChannelError) else [str(part) for part in r] for r in results]

    def _settle(self, client: Any, outstanding: dict[int, tuple[int, int]],
                results: list[list[str | None] | ChannelError]) -> None:
        """Read one PDU: the answer to an outstanding submit_sm, or something the SMSC sent."""
        pdu = self._read(client)
        if pdu.sequence not in outstanding or pdu.command not in ("submit_sm_resp", "generic_nack"):
            if self._answer(client, pdu):
                raise TransientError("SMSC closed the session")
            return
        i, n = outstanding.pop(pdu.sequence)
        result = results[i]
        if isinstance(result, ChannelError):
            return
        if pdu.status in _TRANSIENT_STATUS:
            results[i] = TransientError(f"SMSC: {_status(pdu)}")
        elif pdu.status != consts.SMPP_ESME_ROK:
            results[i] = PermanentError(f"SMSC refused the message: {_status(pdu)}")
        else:
            result[n] = _text(pdu.message_id)

    def poll(self, timeout: float = 0.0) -> int:
        """Handle what the SMSC has delivered (receipts, replies), waiting up to ``timeout``
        seconds for the first; return how many deliver_sm were handled."""
        client = self._bound()
        handled = 0
        wait = timeout
        while True:
            while self._pending:
                self._deliver(*self._pending.popleft())
                handled += 1
            if self._client is None:
                return handled
            if handled:
                wait = 0.0  # the wait is for the first only
            readable, _w, _x = select.select([client._socket], [], [], wait)
            if not readable:
                return handled
            wait = 0.0
            self._answer(client, self._read(client))

    def _deliver(self, client: Client, pdu: Any) -> None:
        status = consts.SMPP_ESME_ROK
        try:
            if pdu.esm_class & 0x3C == _RECEIPT:
                self._receipt(pdu)
            else:
                self._reply(pdu)
        except Exception:
            status = consts.SMPP_ESME_RX_T_APPN  # ask the SMSC to deliver it again later
            raise
        finally:
            # Answered on the link it came on; one since lost is delivered again by the SMSC
            # after the new bind (receipts and replies are recorded idempotently).
            if client is self._client:
                resp = make_pdu("deliver_sm_resp", client, sequence=pdu.sequence, status=status)
                self._write(client, resp)

    def _receipt(self, pdu: Any) -> None:
        match = _RECEIPT_TEXT.search(pdu.short_message or b"")
        message_id = _text(getattr(pdu, "receipted_message_id", None)) or (match and match["id"].decode())
        if not match or not message_id:
            return
        state = _FINAL_STATES.get(match["stat"].decode())
        if state is None or self.on_receipt is None:
            return  # ENROUTE, ACCEPTD, UNKNOWN: not the end of the message's life yet
        done = match["done"].decode()
        at = dt.datetime.strptime(done, "%y%m%d%H%M%S" if len(done) == 12 else "%y%m%d%H%M").replace(tzinfo=dt.UTC)
        self.on_receipt(message_id, state, at)

    def _reply(self, pdu: Any) -> None:
        """A handset's message; a long one is passed on once all its parts are in."""
        data = pdu.short_message or getattr(pdu, "message_payload", None) or b""
        esm_class = pdu.esm_class or 0
        text = sms_text.decode(data, pdu.data_coding or 0, esm_class)
        number = national(_text(pdu.source_addr))
        concat = sms_text.concatenation(data, esm_class)
        if concat is not None:
            ref, total, seq = concat
            parts = self._parts.setdefault((number, ref, total), {})
            parts[seq] = text
            if len(parts) < total:
                return
            del self._parts[(number, ref, total)]
            text = "".join(parts[i] for i in sorted(parts))
        if self.on_reply is not None:
            self.on_reply(number, text, dt.datetime.now(dt.UTC))

    def close(self) -> None:
        """Unbind politely and close the link; a link already gone is simply forgotten."""
        client = self._client
        if client is None:
            return
        try:
            unbind = smpp.make_pdu("unbind", client=client)
            client.send_pdu(unbind)
            self._await(client, unbind.sequence, "unbind_resp")
        except (TransientError, exceptions.ConnectionError, exceptions.PDUError, OSError):
            pass
        self._drop()

    def enquire_link(self) -> None:
        """Keep an idle bind alive (SMPP 3.4 section 4.11); the worker calls it between batches."""
        client = self._bound()
        pdu = smpp.make_pdu("enquire_link", client=client)
        self._write(client, pdu)
        self._await(client, pdu.sequence, "enquire_link_resp")
