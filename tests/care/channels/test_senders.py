"""The senders built from the settings reach the peers those settings name."""

from telcrm.care.channels.base import OutgoingMessage
from telcrm.care.channels.senders import email_sender, letter_sender, sms_sender
from telcrm.care.channels.smsc import LocalSmsc


def test_sms_sender_uses_the_smpp_settings(settings):
    with LocalSmsc(system_id="crm-prod", password="s3cret") as smsc:
        settings.SMPP_PORT, settings.SMPP_SYSTEM_ID, settings.SMPP_PASSWORD = smsc.port, "crm-prod", "s3cret"
        settings.SMPP_SOURCE_ADDR = "1065800"
        receipts = []
        sender = sms_sender(on_receipt=lambda *a: receipts.append(a))
        [message_id] = sender.send(OutgoingMessage(key="k", to="13812345678", body="您好"))
        sender.poll(2.0)
        sender.close()
    [got] = smsc.received
    assert (got.system_id, got.source_addr) == ("crm-prod", "1065800")
    assert receipts[0][:2] == (message_id, "delivered")


def test_email_sender_uses_the_mail_settings(settings):
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.DEFAULT_FROM_EMAIL = "mail.example.cn", 2525, "care@op.cn"
    sender = email_sender()
    assert (sender._backend.host, sender._backend.port, sender.from_email) == ("mail.example.cn", 2525, "care@op.cn")


def test_letter_sender_writes_under_the_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    assert letter_sender().journal.parent == tmp_path / "letters"
