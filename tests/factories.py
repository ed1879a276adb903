"""Small factory functions for tests: each builds one valid record with sensible defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.contrib.auth.models import Group, User

from telcrm.core.models import Region, UserProfile
from telcrm.core.roles import Role
from telcrm.core.validators import id_check_char, uscc_check_char
from telcrm.customers.models import (
    Account,
    Customer,
    CustomerKind,
    Plan,
    Subscription,
)

_seq = itertools.count(1)


def valid_id_number(birth: str = "19900307", area: str = "310104", serial: int = 123) -> str:
    first17 = f"{area}{birth}{serial:03d}"
    return first17 + id_check_char(first17)


def valid_uscc(body: str = "91310000MA1FL0000") -> str:
    return body + uscc_check_char(body)


def region(code: str = "SH-XH") -> Region:
    return Region.objects.get(code=code)


def user(role: Role | None = None, *, username: str | None = None, region_code: str | None = None,
         password: str = "correct-horse-battery-9") -> User:
    u = User.objects.create_user(username or f"user{next(_seq)}", password=password)
    if role is not None:
        u.groups.add(Group.objects.get(name=role.value))
    UserProfile.objects.create(user=u, region=Region.objects.get(code=region_code) if region_code else None)
    return u


def customer(*, kind: str = CustomerKind.INDIVIDUAL, region_code: str = "SH-XH", **fields) -> Customer:  # type: ignore[no-untyped-def]
    n = next(_seq)
    defaults: dict = {
        "customer_no": f"C{n:09d}",
        "name": f"客户{n}",
        "region": region(region_code),
    }
    if kind == CustomerKind.INDIVIDUAL:
        defaults.update(id_number=valid_id_number(serial=n % 1000), address=f"上海市徐汇区漕溪北路{n}号",
                        birth_date=dt.date(1990, 3, 7), gender="M")
    else:
        defaults.update(credit_code=valid_uscc(f"91310000MA{n:07d}"[:17]), industry="finance", size="large")
    defaults.update(fields)
    return Customer.objects.create(kind=kind, **defaults)


def plan(code: str = "GT128") -> Plan:
    return Plan.objects.get_or_create(
        code=code, defaults={"name": "全球通128", "brand": "gotone", "monthly_fee": Decimal("128.00")}
    )[0]


def subscription(owner: Customer, *, msisdn: str | None = None, status: str = "active", **fields) -> Subscription:  # type: ignore[no-untyped-def]
    n = next(_seq)
    account = fields.pop("account", None) or Account.objects.create(
        account_no=f"A{n:09d}", customer=owner, credit_class="B", credit_limit=Decimal("200"),
        payment_method="bank_debit",
    )
    return Subscription.objects.create(
        msisdn=msisdn or f"138{n:08d}", customer=owner, account=account, payment_type="postpaid",
        brand="gotone", plan=plan(), status=status, status_date=dt.date(2024, 1, 1),
        activated_on=dt.date(2020, 1, 1), region=owner.region, **fields,
    )
