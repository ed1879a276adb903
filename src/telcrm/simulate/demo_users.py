"""Demo users: one per role, plus the account managers the synthetic operator names.

Passwords are generated once per data directory and kept in ``demo-users.txt`` there
(readable by its owner only), so a second ``make demo`` prints the same credentials.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.db import transaction

from telcrm.core.models import Region, UserProfile
from telcrm.core.roles import Role

ACCOUNT_MANAGERS = tuple(f"am{i:02d}" for i in range(1, 13))


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    region: str | None = None
    full_name: str = ""


DEMO_USERS = (
    DemoUser("admin", Role.ADMINISTRATOR, full_name="系统管理员"),
    DemoUser("manager", Role.MANAGER, full_name="王经理"),
    *(DemoUser(name, Role.ACCOUNT_MANAGER, full_name=f"客户经理{name[2:]}") for name in ACCOUNT_MANAGERS),
    DemoUser("agent", Role.SERVICE_AGENT, region="SH-PD", full_name="浦东营业厅 李娜"),
    DemoUser("care", Role.CARE_MARKETING, full_name="关怀营销 陈静"),
    DemoUser("analyst", Role.ANALYST, full_name="分析师 张伟"),
    DemoUser("auditor", Role.AUDITOR, full_name="审计 刘洋"),
)


def _load_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("\t") for line in path.read_text().splitlines() if "\t" in line)
    return {name: password for name, _role, password in pairs}


def ensure_demo_users(data_dir: Path) -> list[tuple[DemoUser, str]]:
    """Create missing demo users (idempotent) and return each with its password."""
    path = data_dir / "demo-users.txt"
    passwords = _load_passwords(path)
    result = []
    with transaction.atomic():
        for demo in DEMO_USERS:
            password = passwords.get(demo.username) or secrets.token_urlsafe(9)
            user, created = User.objects.get_or_create(
                username=demo.username, defaults={"first_name": demo.full_name}
            )
            if created or demo.username not in passwords:
                user.set_password(password)
                user.is_staff = demo.role == Role.ADMINISTRATOR
                user.save()
            user.groups.set([Group.objects.get(name=demo.role.value)])
            region = Region.objects.get(code=demo.region) if demo.region else None
            UserProfile.objects.update_or_create(user=user, defaults={"region": region})
            result.append((demo, password))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{d.username}\t{d.role.value}\t{p}\n" for d, p in result))
    os.chmod(path, 0o600)
    return result
