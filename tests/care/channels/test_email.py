"""Email through a real SMTP server (aiosmtpd on 127.0.0.1): headers, body, refusals."""

import email
import email.policy
import socket
import ssl
import subprocess
from dataclasses import replace

import pytest
from aiosmtpd.controller import Controller
from django.core import signing

from telcrm.care.channels.base import OutgoingMessage, PermanentError, TransientError
from telcrm.care.channels.email import (
    EmailSender,
    message_id,
    read_unsubscribe_token,
    unsubscribe_token,
    unsubscribe_url,
)


class Mailbox:
    """An aiosmtpd handler keeping what it accepts; some recipients are refused."""

    def __init__(self):
        self.messages = []
        self.refuse = {"nobody@example.cn": "550 5.1.1 no such mailbox", "busy@example.cn": "451 4.3.0 try later"}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, mail))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox():
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


@pytest.fixture
def sender(mailbox):
    s = EmailSender("127.0.0.1", mailbox.port, use_tls=False, from_email="care@telcrm.example",
                    unsubscribe_mailto="unsubscribe@telcrm.example")
    yield s
    s.close()


MESSAGE = OutgoingMessage(
    key="camp3:1001:1", to="wang@example.cn", subject="您的专属优惠", body="尊敬的王先生：本月流量加倍。",
    unsubscribe_url="http://127.0.0.1:8000/care/unsubscribe/abc/",
)


class TestSend:
    def test_mail_arrives_with_subject_body_and_unsubscribe_link(self, mailbox, sender):
        [provider_id] = sender.send(MESSAGE)
        [(rcpt, mail)] = mailbox.messages
        assert rcpt == ["wang@example.cn"]
        assert mail["Subject"] == "您的专属优惠"
        assert mail["From"] == "care@telcrm.example"
        body = mail.get_body(("plain",)).get_content()
        assert "尊敬的王先生：本月流量加倍。" in body
        assert "http://127.0.0.1:8000/care/unsubscribe/abc/" in body
        assert mail["Message-ID"] == provider_id == message_id("camp3:1001:1", "telcrm.example")

    def test_one_click_unsubscribe_headers(self, mailbox, sender):
        sender.send(MESSAGE)
        mail = mailbox.messages[0][1]
        assert mail["List-Unsubscribe"] == (
            "<http://127.0.0.1:8000/care/unsubscribe/abc/>, <mailto:unsubscribe@telcrm.example?subject=unsubscribe>"
        )
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    def test_html_part_gets_the_link_too(self, mailbox, sender):
        html = "<p>尊敬的王先生 &amp; 家人</p>"
        sender.send(replace(MESSAGE, html=html))
        mail = mailbox.messages[0][1]
        part = mail.get_body(("html",)).get_content()
        assert html in part and 'href="http://127.0.0.1:8000/care/unsubscribe/abc/"' in part
        assert "尊敬的王先生" in mail.get_body(("plain",)).get_content()

    def test_same_key_same_message_id_across_senders(self, mailbox, sender):
        sender.send(MESSAGE)
        other = EmailSender("127.0.0.1", mailbox.port, use_tls=False, from_email="care@telcrm.example")
        other.send(MESSAGE)
        other.close()
        sender.send(replace(MESSAGE, key="camp3:1001:2"))
        ids = [m["Message-ID"] for _r, m in mailbox.messages]
        assert ids[0] == ids[1] != ids[2]

    def test_connection_is_reused_across_sends(self, mailbox, sender):
        for i in range(3):
            sender.send(replace(MESSAGE, key=f"k{i}"))
        assert len(mailbox.messages) == 3


class TestFailures:
    def test_unknown_mailbox_is_permanent(self, mailbox, sender):
        with pytest.raises(PermanentError, match="550"):
            sender.send(replace(MESSAGE, to="nobody@example.cn"))
        sender.send(MESSAGE)  # the connection is usable afterwards
        assert len(mailbox.messages) == 1

    def test_4xx_is_transient(self, mailbox, sender):
        with pytest.raises(TransientError, match="451"):
            sender.send(replace(MESSAGE, to="busy@example.cn"))

    def test_server_down_is_transient(self):
        s = EmailSender("127.0.0.1", free_port(), use_tls=False, timeout=2)
        with pytest.raises(TransientError, match="unavailable"):
            s.send(MESSAGE)

    @pytest.mark.parametrize("to", ["", "wang", "wang@", "王@@example.cn"])
    def test_bad_address_is_permanent_and_nothing_is_sent(self, mailbox, sender, to):
        with pytest.raises(PermanentError, match="not an email"):
            sender.send(replace(MESSAGE, to=to))
        assert mailbox.messages == []


class TestTls:
    def test_starttls_when_required(self, tmp_path, monkeypatch):
        cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
            check=True, capture_output=True,
        )
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        box = Mailbox()
        controller = Controller(box, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
        controller.start()
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test's own certificate
        try:
            plain = EmailSender("127.0.0.1", controller.port, use_tls=False)
            with pytest.raises(TransientError, match="530"):  # the server insists on STARTTLS: set-up, not message
                plain.send(MESSAGE)
            tls = EmailSender("127.0.0.1", controller.port, use_tls=True)
            tls.send(MESSAGE)
            tls.close()
        finally:
            controller.stop()
        assert [m["Subject"] for _r, m in box.messages] == ["您的专属优惠"]


class TestUnsubscribeToken:
    def test_round_trip(self):
        assert read_unsubscribe_token(unsubscribe_token(1001, "email")) == (1001, "email")

    def test_forged_token_is_refused(self):
        token = unsubscribe_token(1001, "email")
        with pytest.raises(signing.BadSignature):
            read_unsubscribe_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    def test_url_is_under_the_public_url(self, settings):
        settings.PUBLIC_URL = "https://crm.example.cn/"
        url = unsubscribe_url(7)
        assert url.startswith("https://crm.example.cn/care/unsubscribe/") and url.endswith("/")
        assert read_unsubscribe_token(url.rstrip("/").rsplit("/", 1)[1]) == (7, "email")
