"""Each kind's own rules, after the shared checks of ``validate.py``.

References are resolved here, by natural key (issue 2), and the ids they resolve to are
added to the batch's values for the writer. Rules that need a whole row (check digits,
enterprise hierarchy, a phone number reused by a new line) run per row; the rest are
column kernels.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from telcrm.core.validators import id_number_error, uscc_error
from telcrm.customers.models import CustomerKind, SubscriptionStatus
from telcrm.ingest.validate import Checked, Checker

_ENTERPRISE = CustomerKind.ENTERPRISE.value
_CLOSED = SubscriptionStatus.CLOSED.value


def _not_negative(c: Checked, *columns: str) -> None:
    for column in columns:
        c.fail(pc.less(c.values[column], 0), column, "must not be negative")


def _plans(k: Checker, c: Checked) -> None:
    _not_negative(c, "monthly_fee")


def _customers(k: Checker, c: Checked) -> None:
    """Real-name registration: an individual has a valid resident ID, an enterprise a valid
    credit code (GB 11643 / GB 32100, domain.md section 1); a group's parent is an
    enterprise already known or defined on an earlier line of the same file."""
    c.resolve("region", k.keys.regions, "region code", "region_id")
    c.resolve("account_manager", k.keys.users, "user name", "account_manager_id")
    c.values["existing_id"] = k.keys.customers.get(c.values["customer_no"])
    known_kind = k.keys.customers.get(c.values["parent_customer_no"], "kind").to_pylist()
    rows = zip(
        c.values["customer_no"].to_pylist(), c.values["kind"].to_pylist(),
        c.values["id_number"].to_pylist(), c.values["credit_code"].to_pylist(),
        c.values["parent_customer_no"].to_pylist(), known_kind, strict=True,
    )
    rejected = {e[0] for e in c.errors}
    for i, (no, kind, id_number, credit_code, parent, parent_kind) in enumerate(rows):
        errors_before = len(c.errors)
        if kind == _ENTERPRISE:
            reason = uscc_error(credit_code) if credit_code else "is required for an enterprise"
            if reason:
                c.fail_row(i, "credit_code", reason)
        elif kind is not None:
            reason = id_number_error(id_number) if id_number else "is required for an individual"
            if reason:
                c.fail_row(i, "id_number", reason)
        if parent is not None:
            earlier = k.seen.get(parent)
            if parent == no:
                c.fail_row(i, "parent_customer_no", "a customer cannot be its own parent")
            elif earlier is None and parent_kind is None:
                c.fail_row(i, "parent_customer_no",
                           "no such customer in the database or on an earlier line")
            elif (earlier[1] if earlier else parent_kind) != _ENTERPRISE:
                c.fail_row(i, "parent_customer_no", "the parent must be an enterprise")
        if no is not None:
            if no in k.seen:
                c.fail_row(i, "customer_no", f"appears again (first on line {k.seen[no][0]})")
            elif len(c.errors) == errors_before and i not in rejected:
                # a rejected row is not written, so it cannot be a later row's parent
                k.seen[no] = (c.line(i), kind)


def _contacts(k: Checker, c: Checked) -> None:
    """Contacts are the people of an enterprise customer (domain.md section 1)."""
    c.resolve("customer_no", k.keys.customers, "customer", "customer_id")
    kinds = k.keys.customers.get(c.values["customer_no"], "kind")
    c.fail(pc.and_(pc.is_valid(kinds), pc.not_equal(kinds, _ENTERPRISE)), "customer_no",
           "contacts belong to enterprise customers")
    existing = []
    for i, (cid, name) in enumerate(zip(c.values["customer_id"].to_pylist(),
                                        c.values["name"].to_pylist(), strict=True)):
        key = (cid, name)
        if cid is not None and key in k.seen:
            c.fail_row(i, "name", f"contact appears again for this customer (line {k.seen[key]})")
        k.seen.setdefault(key, c.line(i))
        existing.append(k.keys.contacts.get(key))
    c.values["existing_id"] = pa.array(existing, pa.int64())


def _accounts(k: Checker, c: Checked) -> None:
    c.resolve("customer_no", k.keys.customers, "customer", "customer_id")
    _not_negative(c, "credit_limit")


def _subscriptions(k: Checker, c: Checked) -> None:
    """A line is identified by phone number and activation date; a number is held by one
    open line at a time, so a new line may reuse it only once its old line is closed (on
    an earlier line of the file or in the database)."""
    c.resolve("customer_no", k.keys.customers, "customer", "customer_id")
    c.resolve("account_no", k.keys.accounts, "account", "account_id")
    c.resolve("plan", k.keys.plans, "plan code", "plan_id")
    c.resolve("region", k.keys.regions, "region code", "region_id")
    owner = k.keys.accounts.get(c.values["account_no"], "customer_no")
    c.fail(pc.not_equal(owner, c.values["customer_no"]), "account_no",
           "the account belongs to another customer")
    plan_brand = k.keys.plans.get(c.values["plan"], "brand")
    c.fail(pc.not_equal(plan_brand, c.values["brand"]), "brand", "differs from the plan's brand")
    c.fail(pc.less(c.values["status_date"], c.values["activated_on"]), "status_date",
           "is before activated_on")
    open_in_db = k.keys.open_lines
    by_activation = k.keys.lines_by_activation
    file_open: dict[str, int] = k.seen.setdefault("open", {})
    file_lines: dict[tuple[str, dt.date], int] = k.seen.setdefault("lines", {})
    existing = []
    rows = zip(c.values["msisdn"].to_pylist(), c.values["activated_on"].to_pylist(),
               c.values["status"].to_pylist(), strict=True)
    for i, (msisdn, activated, status) in enumerate(rows):
        key = (msisdn, activated)
        existing.append(by_activation.get(key))
        if msisdn is None or activated is None:
            continue
        if key in file_lines:
            c.fail_row(i, "msisdn", f"line appears again (first on line {file_lines[key]})")
            continue
        file_lines[key] = c.line(i)
        if status == _CLOSED:
            continue
        held = open_in_db.get(msisdn)
        closed_here = held is not None and (msisdn, held) in file_lines
        if msisdn in file_open:
            c.fail_row(i, "msisdn", f"already held by the open line on line {file_open[msisdn]}")
        elif held is not None and held != activated and not closed_here:
            c.fail_row(i, "msisdn", f"already held by an open line activated on {held}")
        else:
            file_open[msisdn] = c.line(i)
    c.values["existing_id"] = pa.array(existing, pa.int64())


def _services(k: Checker, c: Checked) -> None:
    c.resolve("customer_no", k.keys.customers, "customer", "customer_id")
    c.fail(pc.less_equal(c.values["bandwidth_kbps"], 0), "bandwidth_kbps", "must be positive")
    _not_negative(c, "monthly_fee", "one_time_fee")


def _lines_by_month(k: Checker, c: Checked) -> None:
    """Bills and usage name the line by phone number and month: a reused number's month
    belongs to the line that held the number then (the newest activated by that month)."""
    lines = k.keys.lines
    c.resolve("msisdn", lines, "line with this phone number", "subscription_id")
    for name in ("customer_no", "payment_type", "account_id"):
        c.values[name] = lines.get(c.values["msisdn"], name)
    if not k.keys.reused:
        return
    reused = pc.is_in(c.values["msisdn"], pa.array(list(k.keys.reused)))
    if not pc.any(reused).as_py():
        return
    cols = {n: c.values[n].to_pylist() for n in ("subscription_id", "customer_no", "payment_type",
                                                  "account_id")}
    months, msisdns = c.values["month"].to_pylist(), c.values["msisdn"].to_pylist()
    for i in pc.indices_nonzero(reused).to_pylist():
        if months[i] is None:
            continue
        month_start = dt.date.fromisoformat(months[i] + "-01")
        for activated, sid, cno, ptype, acc in k.keys.reused[msisdns[i]]:
            if activated < month_start or activated.strftime("%Y-%m") == months[i]:
                for name, value in zip(cols, (sid, cno, ptype, acc), strict=True):
                    cols[name][i] = value
                break
    for name, values in cols.items():
        c.values[name] = pa.array(values, c.values[name].type)


def _bills(k: Checker, c: Checked) -> None:
    """The total is the sum of the charge categories (discount negative): a bill that does
    not add up is refused rather than shown with a wrong spend."""
    _lines_by_month(k, c)
    parts = ("plan_fee", "voice", "data", "sms", "vas", "roaming", "discount")
    total = c.values[parts[0]]
    for name in parts[1:]:
        total = pc.add(total, c.values[name])
    c.fail(pc.not_equal(pc.cast(total, c.values["total"].type), c.values["total"]), "total",
           "is not the sum of plan_fee, voice, data, sms, vas, roaming and discount")


def _usage(k: Checker, c: Checked) -> None:
    _lines_by_month(k, c)
    _not_negative(c, "voice_minutes", "data_mb", "sms_count", "competitor_calls",
                  "competitor_minutes")


def _payments(k: Checker, c: Checked) -> None:
    c.resolve("account_no", k.keys.accounts, "account", "account_id")


def _interactions(k: Checker, c: Checked) -> None:
    c.resolve("customer_no", k.keys.customers, "customer", "customer_id")
    c.resolve("msisdn", k.keys.lines, "line with this phone number", "subscription_id")
    holder = k.keys.lines.get(c.values["msisdn"], "customer_no")
    c.fail(pc.not_equal(holder, c.values["customer_no"]), "msisdn",
           "the line belongs to another customer")


RULES: dict[str, Callable[[Checker, Checked], None]] = {
    "plans": _plans,
    "customers": _customers,
    "contacts": _contacts,
    "accounts": _accounts,
    "subscriptions": _subscriptions,
    "services": _services,
    "bills": _bills,
    "usage": _usage,
    "payments": _payments,
    "interactions": _interactions,
}
