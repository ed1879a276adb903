"""The channel senders as the settings configure them (the worker command, the demo)."""

from __future__ import annotations

from django.conf import settings

from telcrm.care.channels.email import EmailSender
from telcrm.care.channels.letters import LetterSender
from telcrm.care.channels.smpp import ReceiptHandler, ReplyHandler, SmppSender


def sms_sender(*, on_receipt: ReceiptHandler | None = None, on_reply: ReplyHandler | None = None) -> SmppSender:
    """A sender bound to the SMSC of ``SMPP_HOST``/``SMPP_PORT`` (binds on first use)."""
    return SmppSender(
        settings.SMPP_HOST, settings.SMPP_PORT, settings.SMPP_SYSTEM_ID, settings.SMPP_PASSWORD,
        settings.SMPP_SOURCE_ADDR, on_receipt=on_receipt, on_reply=on_reply,
    )


def email_sender() -> EmailSender:
    """A sender to ``EMAIL_HOST``/``EMAIL_PORT`` (STARTTLS when ``EMAIL_USE_TLS``)."""
    return EmailSender()


def letter_sender() -> LetterSender:
    """A new batch of letters under ``DATA_DIR/letters``."""
    return LetterSender()
