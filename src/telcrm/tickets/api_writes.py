"""TMF621 request bodies turned into calls of the ticket services: names resolved to
records (customer number, category code, line id, owner's user name), each unknown one a
422 naming its field. No rule of the desk lives here."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User

from telcrm.core.errors import Conflict, NotFound, ValidationFailed
from telcrm.customers.models import Customer, Subscription
from telcrm.customers.policy import get_visible_customer
from telcrm.tickets import services
from telcrm.tickets.models import Category, Priority, Ticket, TicketChannel, TicketStatus
from telcrm.tickets.schemas import ChannelIn, TroubleTicketCreate, TroubleTicketPatch

#: A ticket opened through the API without a channel came in on the web.
DEFAULT_CHANNEL = TicketChannel.WEB


def _customer(actor: User, customer_no: str | None) -> Customer:
    if not customer_no:
        raise ValidationFailed("relatedParty: a party with role customer is required")
    try:
        return get_visible_customer(actor, customer_no)
    except NotFound:
        raise ValidationFailed(f"relatedParty.customer: no customer {customer_no} you can see") from None


def _category(code: str | None) -> Category:
    if not code:
        raise ValidationFailed("troubleTicketCharacteristic.category: required (a category code)")
    category = Category.objects.filter(code=code).first()
    if category is None:
        raise ValidationFailed(f"troubleTicketCharacteristic.category: no category {code!r}")
    return category


def _subscription(customer: Customer, sub_id: str | None) -> Subscription | None:
    if sub_id is None:
        return None
    line = Subscription.objects.filter(pk=int(sub_id) if sub_id.isdigit() else -1, customer=customer).first()
    if line is None:
        raise ValidationFailed(f"relatedEntity.subscription: the customer has no line {sub_id!r}")
    return line


def _user(username: str) -> User:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(f"relatedParty.owner: no active user {username!r}")
    return user


def _channel(channel: ChannelIn | None) -> str:
    value = (channel.id or channel.name) if channel else None
    if value is None:
        return DEFAULT_CHANNEL
    if value not in TicketChannel.values:
        raise ValidationFailed(f"channel: {value!r} is not one of {', '.join(TicketChannel.values)}")
    return value


def _priority(value: str | None, field: str) -> str | None:
    if value is not None and value not in Priority.values:
        raise ValidationFailed(f"{field}: {value!r} is not one of {', '.join(Priority.values)}")
    return value


def open_from_api(actor: User, body: TroubleTicketCreate) -> Ticket:
    """Open a ticket from a POST body (the caller holds the transaction)."""
    customer = _customer(actor, body.customer_no())
    priority = _priority(body.priority, "priority") or _priority(body.severity, "severity")
    owner_name = body.owner()
    owner = _user(owner_name) if owner_name else None
    ticket = services.open_ticket(
        actor, customer=customer, kind=body.ticketType, category=_category(body.characteristic("category")),
        channel=_channel(body.channel), subject=body.name or body.description.strip().splitlines()[0][:200],
        description=body.description, subscription=_subscription(customer, body.subscription_id()),
        owner=owner,
    )
    if priority and priority != ticket.priority:
        services.save_ticket(ticket, version=ticket.version, fields={"priority": priority})
    for note in body.note or []:
        services.add_note(actor, ticket=ticket, text=note.text, kind=note.noteType)
    return ticket


def patch_from_api(actor: User, ticket: Ticket, body: TroubleTicketPatch, *,
                   expected_version: int | None) -> Ticket:
    """Apply a merge patch: plain fields, then a new owner, then notes, then the status
    (so a note sent with ``resolved`` is on the ticket before it is resolved). Every step
    checks the version the client read; the caller's transaction undoes them all on error."""
    version = ticket.version if expected_version is None else expected_version
    if version != ticket.version:
        raise Conflict(f"ticket {ticket.ticket_no} was changed by someone else; reload it and try again",
                       code="version_conflict")
    fields: dict[str, object] = {}
    if "priority" in body.model_fields_set:
        fields["priority"] = _priority(body.priority, "priority") or ticket.priority
    for attr, column in (("name", "subject"), ("description", "description")):
        if attr in body.model_fields_set and getattr(body, attr) is not None:
            fields[column] = getattr(body, attr)
    if fields:
        services.require_work(actor, ticket)
        services.save_ticket(ticket, version=ticket.version, fields=fields)
    if new_owner := body.owner():
        services.assign_ticket(actor, ticket=ticket, owner=_user(new_owner), version=ticket.version)
    for note in body.note or []:
        services.add_note(actor, ticket=ticket, text=note.text, kind=note.noteType)
    if body.status is not None and body.status != ticket.status:
        reason = body.statusChangeReason or ""
        if body.status == TicketStatus.RESOLVED:
            services.resolve_ticket(actor, ticket=ticket, version=ticket.version,
                                    resolution=body.characteristic("resolution") or "",
                                    note=body.characteristic("resolutionNote") or reason)
        else:
            services.change_status(actor, ticket=ticket, status=body.status, version=ticket.version,
                                   reason=reason)
    return ticket
