import pytest

from telcrm.care.channels.smpp import SmppSender
from telcrm.care.channels.smsc import LocalSmsc


@pytest.fixture
def smsc():
    with LocalSmsc(system_id="telcrm", password="secret") as peer:
        yield peer


@pytest.fixture
def events():
    return {"receipts": [], "replies": []}


@pytest.fixture
def sender(smsc, events):
    s = SmppSender(
        "127.0.0.1", smsc.port, "telcrm", "secret", "10086", timeout=5,
        on_receipt=lambda *a: events["receipts"].append(a), on_reply=lambda *a: events["replies"].append(a),
    )
    yield s
    s.close()
