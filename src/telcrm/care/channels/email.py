"""Email over SMTP (domain.md section 4: care by email), through Django's SMTP backend.

Every message carries a way out: a ``List-Unsubscribe`` header with the one-click URL (and
a mailto when one is configured) plus ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058), and the same link at the foot of the body, so a mail client's unsubscribe
button and a reader's click both reach the opt-out. The Message-ID is derived from the
outbox's idempotency key: a resend after a crash carries the same id, and the receiving
side (or a reader's client) can tell it is the same message.

SMTP answers map onto the outbox's retry rule: 4xx replies, refused or lost connections,
timeouts and a refused sender (our set-up: authentication, STARTTLS) are ``TransientError``;
5xx replies about the message (no such mailbox, refused content) are ``PermanentError``.
"""

from __future__ import annotations

import hashlib
import smtplib
from html import escape

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from telcrm.care.channels.base import OutgoingMessage, PermanentError, TransientError

_UNSUBSCRIBE_SALT = "telcrm.care.unsubscribe"


def message_id(key: str, domain: str) -> str:
    """The Message-ID of the message with outbox key ``key``: the same key, the same id."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def unsubscribe_token(customer_id: int, channel: str) -> str:
    """A signed token naming the customer and the channel to opt out of: it goes in the
    one-click link, so the link works without a login and cannot be forged for another
    customer (Django's signing with the project's secret key)."""
    return signing.dumps([customer_id, channel], salt=_UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """(customer id, channel) of a token from :func:`unsubscribe_token`; raises
    ``signing.BadSignature`` for a forged or mangled one."""
    customer_id, channel = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    return int(customer_id), str(channel)


def unsubscribe_url(customer_id: int, channel: str = "email") -> str:
    """The one-click opt-out link for a customer, under ``PUBLIC_URL``."""
    return f"{settings.PUBLIC_URL.rstrip('/')}/care/unsubscribe/{unsubscribe_token(customer_id, channel)}/"


def _code(exc: Exception) -> int:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return min(code for code, _msg in exc.recipients.values())
    return int(getattr(exc, "smtp_code", 0) or 0)


class EmailSender:
    """A channel sender (base.Sender) holding one SMTP connection open across sends."""

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool | None = None,
        from_email: str | None = None,
        unsubscribe_mailto: str = "",
        timeout: float = 10.0,
    ):
        self.from_email = from_email or settings.DEFAULT_FROM_EMAIL
        self.domain = self.from_email.rsplit("@", 1)[-1].strip(">")
        self.unsubscribe_mailto = unsubscribe_mailto
        self._backend = EmailBackend(
            host=host or settings.EMAIL_HOST, port=port or settings.EMAIL_PORT,
            username=settings.EMAIL_HOST_USER if username is None else username,
            password=settings.EMAIL_HOST_PASSWORD if password is None else password,
            use_tls=settings.EMAIL_USE_TLS if use_tls is None else use_tls, timeout=timeout,
        )

    def build(self, message: OutgoingMessage) -> EmailMultiAlternatives:
        """The email as it will be sent (the worker's preview and the tests read it)."""
        try:
            validate_email(message.to)
        except ValidationError as exc:
            raise PermanentError(f"not an email address: {message.to!r}") from exc
        headers = {"Message-ID": message_id(message.key, self.domain), **message.headers}
        text, html = message.body, message.html
        if message.unsubscribe_url:
            targets = [f"<{message.unsubscribe_url}>"]
            if self.unsubscribe_mailto:
                targets.append(f"<mailto:{self.unsubscribe_mailto}?subject=unsubscribe>")
            headers["List-Unsubscribe"] = ", ".join(targets)
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
            text += "\n\n" + _("To stop these emails: %(url)s") % {"url": message.unsubscribe_url}
            if html:
                link = f'<a href="{escape(message.unsubscribe_url)}">{escape(_("Unsubscribe"))}</a>'
                html += f'\n<p style="font-size:small">{link}</p>'
        email = EmailMultiAlternatives(
            subject=message.subject, body=text, from_email=self.from_email, to=[message.to], headers=headers,
        )
        if html:
            email.attach_alternative(html, "text/html")
        return email

    def send(self, message: OutgoingMessage) -> list[str]:
        """Send ``message``; the provider id is its Message-ID."""
        email = self.build(message)
        try:
            if self._backend.connection is None:
                self._backend.open()
            self._backend.send_messages([email])
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError) as exc:
            self._reset()
            code = _code(exc)
            if 400 <= code < 500:
                raise TransientError(f"SMTP {code}: the server asks to try later") from exc
            raise PermanentError(f"SMTP {code}: {exc}") from exc
        except smtplib.SMTPSenderRefused as exc:
            # Our own sender refused (authentication or STARTTLS required): the set-up's
            # fault, not this message's, so it waits for a fix instead of failing for good.
            self._reset()
            raise TransientError(f"SMTP {exc.smtp_code}: the server refused our sender: {exc.smtp_error!r}") from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            self._reset()
            raise TransientError(f"SMTP server unavailable: {exc}") from exc
        return [email.extra_headers["Message-ID"]]

    def _reset(self) -> None:
        try:
            self._backend.close()
        except (smtplib.SMTPException, OSError):
            self._backend.connection = None

    def close(self) -> None:
        self._reset()
