"""TMF630 notifications: listeners register a callback (``POST .../hub``) and are sent
each matching event as JSON (``{"eventId", "eventTime", "eventType", "event": {...}}``).

Events are written to the ``Notification`` outbox inside the transaction of the change
and posted after commit (architecture.md, convention 4). A delivery that fails (a
connection error or an answer other than 2xx) is retried with doubling delays, from
``telcrm hub deliver``, until ``MAX_ATTEMPTS``. A listener only hears of records its
owner may see (domain.md section 1: the API acts with the caller's scope).

``query`` follows TMF630: ``eventType=TroubleTicketStatusChangeEvent`` and attribute
filters on the event body such as ``event.troubleTicket.status=resolved``; several values
are separated by commas and every condition must hold.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from telcrm.api.auth import caller
from telcrm.api.errors import TmfError
from telcrm.api.models import DeliveryStatus, HubListener, Notification
from telcrm.core.errors import NotFound, PermissionDenied, ValidationFailed

log = logging.getLogger(__name__)

#: Attempts before a notification is given up; with doubling delays from one minute the
#: last is about 4 hours after the event, long enough to ride out a listener's restart.
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=1)
#: A listener must answer quickly: deliveries after commit run in the request's thread.
TIMEOUT_SECONDS = 3.0
#: How long a delivery attempt holds a notification, so two senders never post it twice.
LEASE = dt.timedelta(seconds=30)


@dataclass(frozen=True)
class Event:
    api: str
    event_type: str
    #: The resource name inside ``event`` (TMF: ``troubleTicket``).
    resource_name: str
    resource: dict[str, Any]
    #: Whether a listener's owner may see the record the event is about.
    visible_to: Callable[[User], bool]


def _parse_query(query: str) -> list[tuple[str, set[str]]]:
    conditions = []
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)):
        if key != "eventType" and not key.startswith("event."):
            raise ValidationFailed(
                f"query: {key!r} is not eventType or an attribute path like event.troubleTicket.status"
            )
        conditions.append((key, {v.strip() for v in value.split(",")}))
    return conditions


def _lookup(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def matches(query: str, body: dict[str, Any]) -> bool:
    """Whether an event body (with its ``eventType``) passes a listener's query."""
    return all(str(_lookup(body, key)) in values for key, values in _parse_query(query))


def register_listener(actor: User, *, api: str, callback: str, query: str = "") -> HubListener:
    parts = urlsplit(callback)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationFailed("callback: an absolute http or https URL is required")
    try:
        _parse_query(query)
    except ValueError as exc:
        raise ValidationFailed(f"query: {exc}") from exc
    return HubListener.objects.create(owner=actor, api=api, callback=callback, query=query)


def get_listener(actor: User, *, api: str, listener_id: int) -> HubListener:
    """A listener is its owner's: anyone else gets 404, like a customer out of scope."""
    listener = HubListener.objects.filter(pk=listener_id, api=api, owner=actor).first()
    if listener is None:
        raise NotFound(f"hub listener {listener_id} not found")
    return listener


def remove_listener(actor: User, *, api: str, listener_id: int) -> None:
    get_listener(actor, api=api, listener_id=listener_id).delete()


def has_listeners(api: str) -> bool:
    """Whether anyone listens to ``api``: a sender skips building an event nobody hears."""
    return HubListener.objects.filter(api=api).exists()


def publish(event: Event, *, now: dt.datetime | None = None) -> list[Notification]:
    """Write the event to the outbox of every listener it concerns, and post it once the
    caller's transaction commits (never before: a rollback must notify nobody)."""
    now = now or timezone.now()
    body_base = {"eventTime": now.isoformat(), "eventType": event.event_type,
                 "event": {event.resource_name: event.resource}}
    # Round-trip through JSON once: the stored payload is exactly what is posted.
    body_base = json.loads(json.dumps(body_base, cls=DjangoJSONEncoder))
    rows = []
    for listener in HubListener.objects.filter(api=event.api).select_related("owner"):
        if not matches(listener.query, {**body_base, "eventType": event.event_type}):
            continue
        if not listener.owner.is_active or not event.visible_to(listener.owner):
            continue
        rows.append(Notification(listener=listener, event_type=event.event_type, payload=body_base,
                                 next_attempt_at=now))
    if rows:
        Notification.objects.bulk_create(rows)
        ids = [n.pk for n in rows if n.pk is not None] or None
        transaction.on_commit(lambda: deliver(ids=ids))
    return rows


def _claim(notification: Notification, now: dt.datetime) -> bool:
    """Take the lease on a due notification; False if another sender holds it."""
    return Notification.objects.filter(
        pk=notification.pk, status=DeliveryStatus.PENDING, next_attempt_at__lte=now,
    ).update(next_attempt_at=now + LEASE) == 1


def _post(notification: Notification) -> str:
    """Post one notification; the error text, or "" when the listener took it."""
    body = {"eventId": str(notification.event_id), **notification.payload}
    request = urllib.request.Request(
        notification.listener.callback, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        return str(exc)[:300] or type(exc).__name__
    return ""


def _attempt(notification: Notification, now: dt.datetime) -> bool:
    if not _claim(notification, now):
        return False
    error = _post(notification)
    attempts = notification.attempts + 1
    if not error:
        Notification.objects.filter(pk=notification.pk).update(
            status=DeliveryStatus.DELIVERED, attempts=F("attempts") + 1, delivered_at=timezone.now(), last_error="")
        return True
    log.warning("notification %s to %s failed: %s", notification.event_id,
                notification.listener.callback, error)
    gave_up = attempts >= MAX_ATTEMPTS
    Notification.objects.filter(pk=notification.pk).update(
        attempts=F("attempts") + 1, last_error=error,
        status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
        next_attempt_at=now + FIRST_RETRY * 2 ** (attempts - 1),
    )
    return False


def deliver(*, ids: Iterable[int] | None = None, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Post the due notifications (all of them, or those of ``ids``); the number taken."""
    now = now or timezone.now()
    due = Notification.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    if ids is not None:
        due = due.filter(pk__in=list(ids))
    taken = 0
    for notification in due.select_related("listener").order_by("next_attempt_at", "pk")[:limit]:
        taken += _attempt(notification, now)
    return taken


class HubIn(Schema):
    callback: str = Field(description="The URL the events are posted to.",
                          examples=["https://listener.example/tmf/events"])
    query: str = Field("", description="e.g. `eventType=TroubleTicketResolvedEvent` or "
                                       "`event.troubleTicket.ticketType=complaint`.")


class HubOut(Schema):
    id: str
    callback: str
    query: str


_ERRORS = {400: TmfError, 401: TmfError, 403: TmfError, 404: TmfError, 422: TmfError}


def _out(listener: HubListener) -> HubOut:
    return HubOut(id=str(listener.pk), callback=listener.callback, query=listener.query)


def hub_router(api: str, *, permission: str, tags: list[str]) -> Router:
    """The hub resource of one API: register, read and remove a listener. Registering
    needs ``permission`` (the one that reads the API's resources)."""
    router = Router(tags=tags)

    def _check(request: HttpRequest) -> User:
        user = caller(request)
        if not user.has_perm(permission):
            raise PermissionDenied(f"registering a listener needs the {permission} permission")
        return user

    @router.post("/hub", response={201: HubOut, **_ERRORS}, summary="Register a listener",
                 url_name=f"{api}-hub", by_alias=True)
    def create_hub(request: HttpRequest, body: HubIn) -> Status:
        """Events matching `query` are posted to `callback` as JSON after the change is
        saved; failed posts are retried with growing delays."""
        user = _check(request)
        with transaction.atomic():
            listener = register_listener(user, api=api, callback=body.callback, query=body.query)
        return Status(201, _out(listener))

    @router.get("/hub/{listener_id}", response={200: HubOut, **_ERRORS}, summary="Read a listener",
                by_alias=True)
    def read_hub(request: HttpRequest, listener_id: int) -> HubOut:
        """One of your listeners; someone else's is 404."""
        return _out(get_listener(caller(request), api=api, listener_id=listener_id))

    @router.delete("/hub/{listener_id}", response={204: None, **_ERRORS}, summary="Remove a listener",
                   by_alias=True)
    def delete_hub(request: HttpRequest, listener_id: int) -> Status:
        """Pending notifications of the listener are dropped with it."""
        with transaction.atomic():
            remove_listener(caller(request), api=api, listener_id=listener_id)
        return Status(204, None)

    return router
