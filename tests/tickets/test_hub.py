"""The TMF630 hub's outbox and delivery, against a real HTTP listener on 127.0.0.1."""

import datetime as dt

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.test import Client
from django.utils import timezone

from telcrm.api import hub
from telcrm.api.models import DeliveryStatus, HubListener, Notification
from telcrm.core.errors import NotFound, ValidationFailed
from telcrm.core.roles import Role
from telcrm.tickets.models import Evidence, Ticket
from tests import factories as f
from tests.api.support import token_client
from tests.tickets import desk
from tests.tickets.listener import Listener

pytestmark = pytest.mark.django_db


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def event(status="resolved", *, visible=True, event_type="TroubleTicketStatusChangeEvent") -> hub.Event:
    def visible_to(user: AbstractBaseUser) -> bool:
        return visible
    return hub.Event(api="troubleTicket", event_type=event_type, resource_name="troubleTicket",
                     resource={"id": "TT1", "status": status, "ticketType": "complaint"},
                     visible_to=visible_to)


class TestQuery:
    def test_event_type_and_attribute_conditions(self):
        body = {"eventType": "TroubleTicketStatusChangeEvent",
                "event": {"troubleTicket": {"status": "resolved", "ticketType": "complaint"}}}
        assert hub.matches("", body)
        assert hub.matches("eventType=TroubleTicketStatusChangeEvent", body)
        assert hub.matches("eventType=TroubleTicketCreateEvent,TroubleTicketStatusChangeEvent", body)
        assert hub.matches("event.troubleTicket.status=resolved&event.troubleTicket.ticketType=complaint", body)
        assert not hub.matches("event.troubleTicket.status=resolved&event.troubleTicket.ticketType=fault", body)
        assert not hub.matches("event.troubleTicket.severity=high", body)

    def test_registration_rejects_bad_query_and_callback(self):
        user = f.user(Role.SERVICE_AGENT)
        with pytest.raises(ValidationFailed, match="query"):
            hub.register_listener(user, api="troubleTicket", callback="http://127.0.0.1/x", query="status=x")
        with pytest.raises(ValidationFailed, match="callback"):
            hub.register_listener(user, api="troubleTicket", callback="ftp://127.0.0.1/x")
        assert not HubListener.objects.exists()


class TestDelivery:
    def test_posted_after_commit_only(self, listener, django_capture_on_commit_callbacks):
        owner = f.user(Role.SERVICE_AGENT)
        hub.register_listener(owner, api="troubleTicket", callback=listener.url)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            hub.publish(event())
            assert listener.received == []  # nothing leaves before the commit
        assert len(listener.received) == 1
        body = listener.received[0]
        assert body["eventType"] == "TroubleTicketStatusChangeEvent"
        assert body["event"]["troubleTicket"]["status"] == "resolved"
        n = Notification.objects.get()
        assert n.status == DeliveryStatus.DELIVERED and str(n.event_id) == body["eventId"]

    def test_rolled_back_change_notifies_nobody(self, listener, django_capture_on_commit_callbacks):
        hub.register_listener(f.user(Role.SERVICE_AGENT), api="troubleTicket", callback=listener.url)
        with (django_capture_on_commit_callbacks(execute=True) as callbacks,
              pytest.raises(RuntimeError), transaction.atomic()):
            hub.publish(event())
            raise RuntimeError("the change failed")
        assert callbacks == [] and listener.received == []
        assert not Notification.objects.exists()

    def test_only_matching_and_visible_listeners(self, listener, django_capture_on_commit_callbacks):
        hub.register_listener(f.user(Role.SERVICE_AGENT), api="troubleTicket", callback=listener.url,
                              query="event.troubleTicket.status=closed")
        hub.register_listener(f.user(Role.SERVICE_AGENT), api="otherApi", callback=listener.url)
        with django_capture_on_commit_callbacks(execute=True):
            assert hub.publish(event("resolved")) == []
            assert hub.publish(event("closed", visible=False)) == []
        assert listener.received == []

    def test_failed_delivery_retried_with_doubling_delay(self, listener):
        hub.register_listener(f.user(Role.SERVICE_AGENT), api="troubleTicket", callback=listener.url)
        listener.answer = 503
        t0 = timezone.now()
        hub.publish(event(), now=t0)
        assert hub.deliver(now=t0) == 0
        n = Notification.objects.get()
        assert (n.status, n.attempts, n.last_error) == (DeliveryStatus.PENDING, 1, "HTTP 503")
        assert n.next_attempt_at == t0 + hub.FIRST_RETRY
        assert hub.deliver(now=n.next_attempt_at - dt.timedelta(seconds=1)) == 0  # never early
        t1 = n.next_attempt_at
        hub.deliver(now=t1)
        n.refresh_from_db()
        assert n.attempts == 2 and n.next_attempt_at == t1 + 2 * hub.FIRST_RETRY
        listener.answer = 200
        assert hub.deliver(now=n.next_attempt_at) == 1
        n.refresh_from_db()
        assert n.status == DeliveryStatus.DELIVERED and len(listener.received) == 1

    def test_listener_down_then_given_up(self, listener):
        hub.register_listener(f.user(Role.SERVICE_AGENT), api="troubleTicket", callback=listener.url)
        listener.close()  # nobody listens on that port any more
        now = timezone.now()
        hub.publish(event(), now=now)
        for _ in range(hub.MAX_ATTEMPTS):
            now = Notification.objects.get().next_attempt_at
            hub.deliver(now=now)
        n = Notification.objects.get()
        assert n.status == DeliveryStatus.FAILED and n.attempts == hub.MAX_ATTEMPTS
        assert hub.deliver(now=now + dt.timedelta(days=1)) == 0

    def test_claimed_notification_is_not_posted_twice(self, listener):
        hub.register_listener(f.user(Role.SERVICE_AGENT), api="troubleTicket", callback=listener.url)
        now = timezone.now()
        hub.publish(event(), now=now)
        n = Notification.objects.get()
        assert hub._claim(n, now)  # another sender holds the lease
        assert hub.deliver(now=now) == 0 and listener.received == []


class TestOwnership:
    def test_listener_belongs_to_its_owner(self):
        owner, other = f.user(Role.SERVICE_AGENT), f.user(Role.SERVICE_AGENT)
        lst = hub.register_listener(owner, api="troubleTicket", callback="http://127.0.0.1:9/x")
        with pytest.raises(NotFound):
            hub.remove_listener(other, api="troubleTicket", listener_id=lst.pk)
        hub.remove_listener(owner, api="troubleTicket", listener_id=lst.pk)
        assert not HubListener.objects.exists()


class TestTroubleTicketEvents:
    """The hub of the TMF621 API end to end: a listener registered through the API hears of
    tickets created, moved and resolved through the API, after each commit."""

    HUB = "/tmf-api/troubleTicket/v5/hub"
    BASE = "/tmf-api/troubleTicket/v5/troubleTicket"

    def test_create_status_change_and_resolution(self, listener, django_capture_on_commit_callbacks):
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-XH")
        api = token_client(agent)
        r = api.post(self.HUB, {"callback": listener.url}, content_type="application/json")
        assert r.status_code == 201 and r.json()["callback"] == listener.url
        customer = f.customer(region_code="SH-XH")
        with django_capture_on_commit_callbacks(execute=True):
            t = api.post(self.BASE, {
                "ticketType": "complaint", "description": "促销取消了月折扣",
                "relatedParty": [{"role": "customer", "partyOrPartyRole": {"id": customer.customer_no}}],
                "troubleTicketCharacteristic": [{"name": "category", "value": "billing.promotion"}],
            }, content_type="application/json").json()
        with django_capture_on_commit_callbacks(execute=True):
            api.patch(f"{self.BASE}/{t['id']}", {"status": "inProgress"}, content_type="application/json")
        ticket = Ticket.objects.get(ticket_no=t["id"])
        Evidence.objects.create(ticket=ticket, kind="promotion", name="promotion", at=ticket.opened_at)
        with django_capture_on_commit_callbacks(execute=True):
            api.patch(f"{self.BASE}/{t['id']}", {"status": "resolved", "troubleTicketCharacteristic": [
                {"name": "resolution", "value": "discount_restored"}]}, content_type="application/json")
        kinds = [(b["eventType"], b["event"]["troubleTicket"]["status"]) for b in listener.received]
        assert kinds == [
            ("TroubleTicketCreateEvent", "acknowledged"),
            ("TroubleTicketStatusChangeEvent", "inProgress"),
            ("TroubleTicketStatusChangeEvent", "resolved"),
            ("TroubleTicketResolvedEvent", "resolved"),
        ]
        assert all(b["event"]["troubleTicket"]["id"] == t["id"] for b in listener.received)
        assert len({b["eventId"] for b in listener.received}) == 4

    def test_listener_out_of_scope_hears_nothing(self, listener, django_capture_on_commit_callbacks):
        far = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-PD"))
        far.post(self.HUB, {"callback": listener.url}, content_type="application/json")
        near = token_client(f.user(Role.SERVICE_AGENT, region_code="SH-XH"))
        customer = f.customer(region_code="SH-XH")
        with django_capture_on_commit_callbacks(execute=True):
            r = near.post(self.BASE, {
                "ticketType": "inquiry", "description": "资费咨询",
                "relatedParty": [{"role": "customer", "partyOrPartyRole": {"id": customer.customer_no}}],
                "troubleTicketCharacteristic": [{"name": "category", "value": "billing"}],
            }, content_type="application/json")
        assert r.status_code == 201 and listener.received == []

    def test_hub_api_owner_only_and_delete(self):
        owner = token_client(f.user(Role.SERVICE_AGENT))
        lst = owner.post(self.HUB, {"callback": "http://127.0.0.1:9/x",
                                    "query": "eventType=TroubleTicketResolvedEvent"},
                         content_type="application/json").json()
        other = token_client(f.user(Role.SERVICE_AGENT))
        assert other.get(f"{self.HUB}/{lst['id']}").status_code == 404
        assert other.delete(f"{self.HUB}/{lst['id']}").status_code == 404
        assert owner.get(f"{self.HUB}/{lst['id']}").json()["query"] == "eventType=TroubleTicketResolvedEvent"
        assert owner.delete(f"{self.HUB}/{lst['id']}").status_code == 204
        assert owner.get(f"{self.HUB}/{lst['id']}").status_code == 404
        bad = owner.post(self.HUB, {"callback": "not a url"}, content_type="application/json")
        assert bad.status_code == 422 and bad.json()["reason"].startswith("callback")
        auditor = token_client(f.user(Role.AUDITOR))
        assert auditor.post(self.HUB, {"callback": "http://127.0.0.1:9/x"},
                            content_type="application/json").status_code == 403


class TestEventsFromTheWeb:
    def test_resolving_in_the_workspace_notifies(self, listener, django_capture_on_commit_callbacks):
        agent = f.user(Role.SERVICE_AGENT, region_code="SH-XH")
        hub.register_listener(agent, api="troubleTicket", callback=listener.url,
                              query="eventType=TroubleTicketResolvedEvent")
        t = desk.ticket(agent, kind="inquiry", opened=timezone.now())
        web = Client()
        web.force_login(agent)
        with django_capture_on_commit_callbacks(execute=True):
            web.post(f"/tickets/{t.ticket_no}/resolve/", {"version": t.version, "resolution": "answered",
                                                          "note": "已答复"})
        assert [b["eventType"] for b in listener.received] == ["TroubleTicketResolvedEvent"]
        assert listener.received[0]["event"]["troubleTicket"]["resolutionDate"]
