"""The contract between the outbox worker and the channels (care/outbox.py drives it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class ChannelError(Exception):
    """A send that failed; ``reason`` is what the outbox records."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TransientError(ChannelError):
    """The peer was unreachable, throttled or timed out: the outbox retries with backoff."""


class PermanentError(ChannelError):
    """The peer refused the message for good (bad number, bad address): no retry."""


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient. ``key`` is the outbox's idempotency key (customer,
    campaign or trigger, step): a channel that can carry it (an SMTP Message-ID, an SMPP
    user_message_reference) sends it along, so a peer can tell a resend."""

    key: str
    to: str
    body: str
    subject: str = ""
    unsubscribe_url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    #: An email's HTML part (rendered with ``render_message(..., html=True)``); ``body`` is
    #: then its plain-text alternative.
    html: str = ""


class Sender(Protocol):
    """What every channel offers. SmppSender adds ``poll(timeout) -> int`` (receipts and
    replies to its callbacks) and ``send_many(messages)`` (a window of submits, one
    outcome per message: its ids or its ChannelError)."""

    def send(self, message: OutgoingMessage) -> list[str]:
        """Deliver ``message``; return the peer's message id for each part sent (an SMS
        longer than one segment has one id per segment)."""
        ...

    def close(self) -> None: ...
