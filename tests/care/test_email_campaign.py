"""A marketing email campaign from start to a real SMTP server (aiosmtpd on 127.0.0.1):
the message in the customer's language, with the one-click unsubscribe header the worker
adds to every marketing email, and an email opt-out stopping the next one."""

from __future__ import annotations

import datetime as dt

import pytest
from aiosmtpd.controller import Controller

from telcrm.care import services
from telcrm.care.channels.email import EmailSender
from telcrm.care.choices import OutboxStatus, SuppressionReason
from telcrm.care.contacts import record_consent, record_opt_out
from telcrm.care.models import ContactProfile, OutboxMessage, Suppression
from telcrm.care.worker import Worker
from telcrm.core.roles import Role
from tests import factories as f
from tests.care.channels.test_email import Mailbox, free_port

from .engine import NOON, campaign, nightly

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def customer(email: str, language: str | None = None):  # type: ignore[no-untyped-def]
    made = f.customer(email=email)
    f.subscription(made)
    record_consent(None, customer=made, channel="email", granted=True, source="web", at=NOON - dt.timedelta(days=9))
    if language:
        ContactProfile.objects.create(customer=made, language=language)
    return made


def test_an_email_campaign_reaches_the_server_in_each_customers_language(mailbox):
    chinese, english = customer("wang@example.cn"), customer("smith@example.com", "en")
    leaving = customer("li@example.cn")
    nightly([chinese, english, leaving])
    owner, manager = f.user(Role.CARE_MARKETING), f.user(Role.MANAGER)
    made = campaign(owner, channel="email", control_share="0")
    step = made.steps.get()
    step.template.subject_zh, step.template.subject_en = "专属优惠", "An offer for you"
    step.template.body_en = "Dear {{ name }}, your {{ plan }} plan has a treat this month."
    step.template.save()
    services.approve_campaign(manager, campaign=made, at=NOON)
    services.start_campaign(owner, campaign=made, at=NOON)
    record_opt_out(leaving, channel="email", source="email", at=NOON + dt.timedelta(minutes=5))

    sender = EmailSender("127.0.0.1", mailbox.port, use_tls=False, from_email="care@telcrm.example")
    worker = Worker(senders={"email": sender}, clock=lambda: NOON + dt.timedelta(minutes=10))
    counts = worker.run_once()
    worker.close()

    assert (counts.sent, counts.suppressed) == (2, 1)
    mails = {tuple(rcpt): mail for rcpt, mail in mailbox.messages}
    assert set(mails) == {("wang@example.cn",), ("smith@example.com",)}
    assert str(mails[("smith@example.com",)]["Subject"]) == "An offer for you"
    assert str(mails[("wang@example.cn",)]["Subject"]) == "专属优惠"
    assert mails[("smith@example.com",)].get_content().startswith("Dear ")
    for mail in mails.values():
        assert "/care/unsubscribe/" in mail["List-Unsubscribe"]
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Suppression.objects.get(customer=leaving).reason == SuppressionReason.OPTED_OUT
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == 2
