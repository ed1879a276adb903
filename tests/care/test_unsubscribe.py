"""The one-click unsubscribe link: from a real email to an opt-out in force."""

import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

from telcrm.care.channels.base import OutgoingMessage
from telcrm.care.channels.email import EmailSender, unsubscribe_token, unsubscribe_url
from telcrm.care.models import OptOut
from tests import factories as f

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


class Box:
    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TestLink:
    def test_opening_the_link_changes_nothing(self, client):
        customer = f.customer()
        response = client.get(path_of(unsubscribe_url(customer.pk)))
        assert response.status_code == 200
        assert b'id="confirm-unsubscribe"' in response.content
        assert not OptOut.objects.filter(customer=customer).exists()

    def test_confirming_opts_out_of_that_channel_only(self, client):
        customer = f.customer()
        response = client.post(path_of(unsubscribe_url(customer.pk, "email")))
        assert response.status_code == 200 and b'id="unsubscribed"' in response.content
        assert list(OptOut.objects.filter(customer=customer).values_list("channel", "source")) == [("email", "email")]

    def test_page_shows_no_personal_data(self, client):
        customer = f.customer(name="王小明")
        response = client.post(path_of(unsubscribe_url(customer.pk)))
        assert "王小明".encode() not in response.content and customer.customer_no.encode() not in response.content

    def test_twice_is_still_one_opt_out(self, client):
        customer = f.customer()
        for _ in range(2):
            assert client.post(path_of(unsubscribe_url(customer.pk))).status_code == 200
        assert OptOut.objects.filter(customer=customer).count() == 1

    @pytest.mark.parametrize("case", ["forged", "unknown customer", "unknown channel"])
    def test_a_bad_token_is_not_found(self, client, case):
        customer = f.customer()
        good = unsubscribe_token(customer.pk, "email")
        token = {"forged": good[:-3] + ("abc" if good.endswith("xyz") else "xyz"),
                 "unknown customer": unsubscribe_token(customer.pk + 10**6, "email"),
                 "unknown channel": unsubscribe_token(customer.pk, "fax")}[case]
        assert client.post(f"/care/unsubscribe/{token}/").status_code == 404
        assert not OptOut.objects.exists()


class TestFromARealEmail:
    def test_the_mail_clients_one_click_post_opts_out(self, settings):
        from django.test import Client

        customer = f.customer()
        box = Box()
        controller = Controller(box, hostname="127.0.0.1", port=free_port())
        controller.start()
        try:
            sender = EmailSender("127.0.0.1", controller.port, use_tls=False)
            sender.send(OutgoingMessage(key="c1:u1:s1", to="wang@example.cn", subject="优惠", body="您好",
                                        unsubscribe_url=unsubscribe_url(customer.pk)))
            sender.close()
        finally:
            controller.stop()
        [mail] = box.mails
        url = re.search(r"<(http[^>]+)>", str(mail["List-Unsubscribe"])).group(1)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        # RFC 8058: the client POSTs this body, with no cookie and no CSRF token.
        response = Client(enforce_csrf_checks=True).post(
            path_of(url), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200
        assert OptOut.objects.filter(customer=customer, channel="email").exists()
