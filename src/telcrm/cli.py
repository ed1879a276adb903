"""The single ``telcrm`` command: Django's management commands under one name.

``telcrm simulate``, ``telcrm import``, ``telcrm migrate``, ``telcrm runserver`` and every
other command are management commands of the project's apps.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
