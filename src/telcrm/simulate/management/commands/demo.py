"""``telcrm demo``: everything ``make demo`` needs before serving, reusing what exists.

Steps, each skipped when its result is already there: demo users; the synthetic operator
(its MANIFEST.json marks a complete output); the import (a marker holding the manifest's
digest); the nightly analytics of the last months (each month once per data, rules and
model).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from telcrm.nightly.demo import run_demo_nightly
from telcrm.simulate.demo_users import ensure_demo_users


class Command(BaseCommand):
    help = "Set up the demo: users, synthetic operator, import, nightly analytics."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subscribers", type=int, default=100_000)
        parser.add_argument("--months", type=int, default=24)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args: object, subscribers: int, months: int, seed: int, **options: object) -> None:
        data_dir = Path(settings.DATA_DIR)
        users = ensure_demo_users(data_dir)
        out = data_dir / f"operator-{subscribers}x{months}-seed{seed}"
        manifest = out / "MANIFEST.json"
        if manifest.exists():
            self.stdout.write(f"Synthetic operator already in {out}")
        else:
            self.stdout.write(f"Simulating {subscribers:,} subscribers x {months} months into {out}")
            call_command("simulate", subscribers=subscribers, months=months, seed=seed, out=str(out))
        digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
        marker = data_dir / "imported.txt"
        if marker.exists() and digest in marker.read_text().split():
            self.stdout.write("Already imported")
        else:
            call_command("import-dir", str(out))
            with marker.open("a") as f:
                f.write(digest + "\n")
        run_demo_nightly(out=self.stdout)
        self.stdout.write(self.style.SUCCESS("\nDemo users (user name / role / password):"))
        for demo, password in users:
            self.stdout.write(f"  {demo.username:<10} {demo.role.label!s:<18} {password}")
        self.stdout.write("\nServing on http://127.0.0.1:8000")
