"""``telcrm tickets sweep [--at ISO-TIME]``: the SLA sweep (tickets.sweep), run every few
minutes by the scheduler; ``--at`` replays it at a given time (demo, tests)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from telcrm.tickets.sweep import sweep_sla


class Command(BaseCommand):
    help = "Service desk jobs: 'sweep' escalates every ticket about to breach or breached its SLA."

    def add_arguments(self, parser: CommandParser) -> None:
        jobs = parser.add_subparsers(dest="job", required=True)
        sweep = jobs.add_parser("sweep", help="warn and escalate tickets whose SLA stage fell due")
        sweep.add_argument("--at", help="the time to sweep at (ISO 8601; default now)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        if options.get("at"):
            try:
                now = dt.datetime.fromisoformat(options["at"])
            except ValueError:
                raise CommandError(f"--at: {options['at']!r} is not an ISO 8601 time") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        with transaction.atomic():
            result = sweep_sla(now=now)
        self.stdout.write(f"{result.due} tickets due: {result.warned} warned, {result.to_supervisor} escalated "
                          f"to the supervisor, {result.to_manager} to the manager")
