"""Two-way SMS (issue 5: "two-way SMS where the customer's replies land on the ticket"):
a customer's reply to the desk's SMS number lands on the newest open ticket of the line
it came from, as the customer's note; a reply to a ticket waiting for the customer
takes it back to work (services.add_note)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from telcrm.core.errors import NotFound, ValidationFailed
from telcrm.customers.models import Subscription, SubscriptionStatus

from .models import OPEN_STATUSES, NoteKind, Ticket, TicketNote
from .services import User, add_note, require, visible_tickets


def record_sms_reply(actor: User, *, msisdn: str, text: str, at: dt.datetime | None = None) -> TicketNote:
    """``actor`` is the SMS gateway's user; the line's tickets must be in its scope. An SMS
    from a line without an open ticket is refused (NotFound): the gateway answers it with
    the desk's number instead of opening a ticket nobody asked for."""
    require(actor, "tickets.add_ticketnote")
    if not text.strip():
        raise ValidationFailed("the SMS is empty", code="empty_sms")
    line = Subscription.objects.filter(msisdn=msisdn).exclude(status=SubscriptionStatus.CLOSED).first()
    ticket: Ticket | None = None
    if line is not None:
        ticket = (visible_tickets(actor).filter(subscription=line, status__in=OPEN_STATUSES)
                  .order_by("-opened_at").first())
    if ticket is None:
        raise NotFound("no open ticket for this number")
    return add_note(actor, ticket=ticket, text=text, kind=NoteKind.CUSTOMER, at=at or timezone.now())
