"""The TMF621 events of the hub: TroubleTicketCreateEvent, TroubleTicketStatusChangeEvent
and TroubleTicketResolvedEvent, each carrying the ticket as ``GET troubleTicket/{id}``
shows it (hrefs relative to the API root's host).

They follow the facts wherever they happen (web, API, sweep, return visit): the ticket
services send ``core.events.ticket_opened`` and ``ticket_resolved``, and every status
change is a ``StatusChange`` row. Each event is written to the hub's outbox in the
transaction of the change (architecture.md, convention 4).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models.signals import post_save

from telcrm.api import hub
from telcrm.core.events import ticket_opened, ticket_resolved
from telcrm.tickets.models import StatusChange, Ticket
from telcrm.tickets.resource import ticket_resource, with_relations
from telcrm.tickets.services import visible_tickets

API = "troubleTicket"
CREATE = "TroubleTicketCreateEvent"
STATUS_CHANGE = "TroubleTicketStatusChangeEvent"
RESOLVED = "TroubleTicketResolvedEvent"


def publish_ticket_event(ticket_id: int, event_type: str, *, change: StatusChange | None = None) -> None:
    """Write the event to the outbox. ``change``: the status change being recorded, whose
    ticket row may not carry the new status yet (the history is written first)."""
    if not hub.has_listeners(API):
        return
    ticket = with_relations(Ticket.objects.filter(pk=ticket_id), None).first()
    if ticket is None:
        return
    resource = ticket_resource(ticket, href=lambda path: path).model_dump(
        mode="json", by_alias=True, exclude_none=True)
    if change is not None:
        resource.update(status=change.to_status, statusChangeDate=change.at.isoformat(),
                        statusChangeReason=change.reason)

    def visible_to(user: User) -> bool:
        return visible_tickets(user).filter(pk=ticket_id).exists()

    hub.publish(hub.Event(api=API, event_type=event_type, resource_name="troubleTicket",
                          resource=resource, visible_to=visible_to))


def _opened(sender: Any, *, ticket_id: int, **kwargs: Any) -> None:
    publish_ticket_event(ticket_id, CREATE)


def _resolved(sender: Any, *, ticket_id: int, **kwargs: Any) -> None:
    publish_ticket_event(ticket_id, RESOLVED)


def _status_changed(sender: Any, *, instance: StatusChange, created: bool, raw: bool = False,
                    **kwargs: Any) -> None:
    # The first row of a ticket's history (no from-status) is its creation, told by CREATE.
    if created and not raw and instance.from_status:
        publish_ticket_event(instance.ticket_id, STATUS_CHANGE, change=instance)


def connect() -> None:
    ticket_opened.connect(_opened, dispatch_uid="tmf621-create-event")
    ticket_resolved.connect(_resolved, dispatch_uid="tmf621-resolved-event")
    post_save.connect(_status_changed, sender=StatusChange, dispatch_uid="tmf621-status-event")
