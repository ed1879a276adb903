"""Two agents saving the same ticket at the same moment, on two database connections: one
wins, the other gets a conflict, and nothing of the loser's change is kept."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from telcrm.core.errors import Conflict
from telcrm.tickets import services as s
from telcrm.tickets.models import Ticket
from telcrm.tickets.models import TicketStatus as S

from .desk import agent, fresh, ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_the_second_of_two_simultaneous_saves_conflicts() -> None:
    owner = agent()
    t = ticket(owner)
    both_read = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save(target: str) -> None:
        try:
            mine = Ticket.objects.get(pk=t.pk)  # both read version 1
            both_read.wait()
            with transaction.atomic():
                s.change_status(owner, ticket=mine, status=target, version=mine.version, reason=target)
            outcomes[target] = "saved"
        except Conflict:
            outcomes[target] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(target,)) for target in (S.IN_PROGRESS, S.REJECTED)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(target for target, outcome in outcomes.items() if outcome == "saved")
    final = fresh(t)
    assert (final.status, final.version) == (winner, 2)
    # The loser's status change was rolled back with its failed save.
    assert list(final.status_changes.values_list("to_status", flat=True)) == ["acknowledged", winner]
