"""``telcrm hub deliver``: post the notifications that are due (first tries that were
interrupted and retries of failed ones). Run it every minute from cron or a timer."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandParser

from telcrm.api.hub import deliver
from telcrm.api.models import DeliveryStatus, Notification


class Command(BaseCommand):
    help = "Deliver due TMF hub notifications to their listeners."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("deliver", help="post every due notification")
        run.add_argument("--limit", type=int, default=1000, help="at most this many (default 1000)")

    def handle(self, *args: object, **options: object) -> None:
        taken = deliver(limit=int(options["limit"]))  # type: ignore[call-overload]
        pending = Notification.objects.filter(status=DeliveryStatus.PENDING).count()
        self.stdout.write(f"delivered {taken}; {pending} still pending")
