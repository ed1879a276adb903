"""Domain events that cross app boundaries (architecture.md, convention 2: "other coupling
goes through ids or events").

An app that owns a fact sends its event with plain ids and values, never model objects of
its own, so a listener in another app needs no import of the sender's tables. Events are
sent inside the sender's transaction; a listener that starts outside work (a message, a
job) writes it to its own outbox in that same transaction, so the work is kept or rolled
back with the fact that caused it.
"""

from __future__ import annotations

from django.dispatch import Signal

#: A ticket reached "resolved". Arguments: ``ticket_id`` (int), ``ticket_no`` (str),
#: ``customer_id`` (int), ``subscription_id`` (int | None), ``kind`` (str: complaint,
#: fault, inquiry, request), ``category`` (str: the category's code), ``resolved_at``
#: (aware datetime). Care sends its "after a ticket is resolved" message from it.
ticket_resolved = Signal()

#: A ticket was opened. Arguments as ``ticket_resolved``, with ``opened_at`` instead of
#: ``resolved_at``, and ``channel`` (str).
ticket_opened = Signal()
