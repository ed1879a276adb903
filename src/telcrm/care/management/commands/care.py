"""``telcrm care``: the campaign engine's background work.

- ``worker [--once]``: send what the outbox holds through SMS (SMPP), email (SMTP) and
  letters, and feed receipts and replies back; runs until stopped (SIGTERM or Ctrl-C
  finish the message in hand first), or one round with ``--once``;
- ``triggers [--as-of DATE]``: the daily run: fire the event triggers for the day and
  decide the campaign steps that fell due.
"""

from __future__ import annotations

import datetime as dt
import signal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from telcrm.care import outbox, services, triggers
from telcrm.care.channels.base import Sender
from telcrm.care.channels.senders import email_sender, letter_sender, sms_sender
from telcrm.care.choices import Channel
from telcrm.care.worker import Worker
from telcrm.core.errors import TelcrmError


def senders(channels: list[str], receipts: outbox.ReceiptBuffer) -> dict[str, Sender]:
    """The channel senders from the settings; receipts and replies go to the outbox."""
    made: dict[str, Sender] = {}
    if Channel.SMS in channels:
        made[Channel.SMS] = sms_sender(
            on_receipt=receipts.handler(Channel.SMS),
            on_reply=lambda msisdn, text, at: outbox.record_reply(msisdn=msisdn, text=text, at=at),
        )
    if Channel.EMAIL in channels:
        made[Channel.EMAIL] = email_sender()
    if Channel.LETTER in channels:
        made[Channel.LETTER] = letter_sender()
    return made


class Command(BaseCommand):
    help = "Care and marketing: the outbox worker and the daily triggers."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        worker = sub.add_parser("worker", help="send the outbox's messages")
        worker.add_argument("--once", action="store_true", help="one round (a batch per channel), then stop")
        worker.add_argument("--channels", default="sms,email,letter", help="comma-separated (default: all)")
        worker.add_argument("--batch", type=int, default=100, help="messages claimed at a time per channel")
        worker.add_argument("--in-flight", type=int, default=10,
                            help="messages handed over between two records (at most this many are left "
                                 "uncertain if the worker is killed)")
        worker.add_argument("--rate", action="append", default=[], metavar="CHANNEL=PER_SECOND",
                            help="rate limit, e.g. sms=200 (repeatable; default CARE_RATE_LIMITS)")
        daily = sub.add_parser("triggers", help="fire the day's triggers and the campaign steps due")
        daily.add_argument("--as-of", default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args: object, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except TelcrmError as error:
            raise CommandError(error.message) from error

    def _worker(self, *, once: bool, channels: str, batch: int, in_flight: int, rate: list[str],
                **_options: Any) -> None:
        wanted = [c.strip() for c in channels.split(",") if c.strip()]
        unknown = sorted(set(wanted) - {Channel.SMS, Channel.EMAIL, Channel.LETTER})
        if unknown:
            raise CommandError(f"unknown channels: {', '.join(unknown)} (calls go to the agents' work list)")
        rates = dict(getattr(settings, "CARE_RATE_LIMITS", {}) or {})
        for item in rate:
            channel, _sep, value = item.partition("=")
            try:
                rates[channel] = float(value)
            except ValueError:
                raise CommandError(f"--rate {item!r}: CHANNEL=PER_SECOND") from None
        receipts = outbox.ReceiptBuffer()
        if in_flight < 1 or batch < 1:
            raise CommandError("--batch and --in-flight must be at least 1")
        worker = Worker(senders=senders(wanted, receipts), rates=rates, batch=batch, in_flight=in_flight,
                        receipts=receipts)
        stopping = {"now": once}

        def stop(_signum: int, _frame: object) -> None:
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            counts = worker.run_once() if once else worker.run(stop=lambda: stopping["now"])
        finally:
            worker.close()
        self.stdout.write(
            f"sent {counts.sent}, retried {counts.retried}, failed {counts.failed}, deferred {counts.deferred}, "
            f"suppressed {counts.suppressed}, requeued {counts.requeued}, uncertain {counts.uncertain}"
        )

    def _triggers(self, *, as_of: str | None, **_options: Any) -> None:
        try:
            day = dt.date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError:
            raise CommandError(f"--as-of {as_of!r}: a date YYYY-MM-DD") from None
        at = timezone.now()
        with transaction.atomic():
            fired = triggers.fire_triggers(as_of=day, at=at)
            advanced = services.advance_campaigns(at=at)
        for name, queued in {**fired, **advanced}.items():
            self.stdout.write(f"{name}: {queued}")
