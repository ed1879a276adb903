"""Never sent twice, even when the worker is killed mid-batch (issue 4): a real worker
process sends to the local SMSC, is killed with SIGKILL while sending, and a new one
finishes the run. The SMSC must have received every message at most once; every message
the outbox records as sent exactly once; and nothing may be left behind unsettled."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from telcrm.care import outbox
from telcrm.care.channels.smsc import LocalSmsc
from telcrm.care.choices import CampaignStatus, OutboxStatus
from telcrm.care.models import OutboxMessage

from .engine import NOON, campaign, texted_customer

MESSAGES = 300
IN_FLIGHT = 5


def worker(smsc: LocalSmsc, data_dir: Path, *args: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "TELCRM_DATA_DIR": str(data_dir),
        "TELCRM_SMPP_PORT": str(smsc.port),
        "TELCRM_SMPP_SYSTEM_ID": "telcrm",
        "TELCRM_SMPP_PASSWORD": "",
    }
    command = [sys.executable, "-m", "telcrm.cli", "care", "worker", "--channels", "sms", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_mid_batch_and_restarted_sends_each_message_at_most_once(tmp_path):
    made = campaign(purpose="care")
    made.status = CampaignStatus.RUNNING
    made.save()
    drafts = [outbox.Draft(customer=texted_customer(consent=False), channel="sms", purpose="care",
                           body=f"您的账户提醒 {i}", campaign=made) for i in range(MESSAGES)]
    outbox.enqueue(drafts, at=NOON)
    assert OutboxMessage.objects.count() == MESSAGES

    with LocalSmsc() as smsc:
        first = worker(smsc, tmp_path, "--rate", "sms=150", "--batch", "50", "--in-flight", str(IN_FLIGHT))
        assert smsc.wait_for(MESSAGES // 3, timeout=120), first.stderr.read().decode() if first.poll() else ""
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        killed_at = smsc.submit_count
        assert killed_at < MESSAGES, "the worker finished before it could be killed"

        second = worker(smsc, tmp_path, "--once", "--batch", str(MESSAGES))
        out, err = second.communicate(timeout=180)
        assert second.returncode == 0, err.decode()
        time.sleep(0.2)
        received = collections.Counter(r.destination_addr[-11:] for r in smsc.received)

    rows = list(OutboxMessage.objects.values_list("to", "status"))
    assert max(received.values()) == 1, "a message reached the SMSC twice"
    statuses = collections.Counter(status for _to, status in rows)
    assert statuses[OutboxStatus.QUEUED] == statuses[OutboxStatus.SENDING] == statuses[OutboxStatus.FAILED] == 0
    # At most the messages in the worker's hands at the kill (--in-flight) are left uncertain.
    assert statuses[OutboxStatus.UNCERTAIN] <= IN_FLIGHT
    for to, status in rows:
        if status in (OutboxStatus.SENT, OutboxStatus.DELIVERED):
            assert received[to] == 1
    assert sum(received.values()) >= MESSAGES - statuses[OutboxStatus.UNCERTAIN]
    assert "uncertain" in out.decode()
