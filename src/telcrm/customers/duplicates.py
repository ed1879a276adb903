"""Duplicate customers (重复客户) and their merge (issue 2, "duplicates, history and exports").

Evidence that two records are one party, strongest first:

- the same resident ID number (real-name registration makes it one person) or the same
  Unified Social Credit Code (one enterprise);
- the same phone number: a number is unique among open lines (the database enforces it),
  so a shared number shows up as one record's open line or contact number being another
  record's contact number; only records of the same kind are paired, since an enterprise
  contact's personal line is that person's, not a duplicate enterprise;
- a similar name and a similar address in the same region. Comparing every pair would
  take hours at operator scale, so records are compared only within blocks: individuals
  of one region with the same surname (the first character of the name), enterprises of
  one region. Exact keys are found by SQL ``GROUP BY``; blocks are streamed from the
  database in key order, one at a time, and compared with rapidfuzz in C.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import Substr
from rapidfuzz import fuzz, process

from telcrm.core.errors import NotFound, PermissionDenied, ValidationFailed
from telcrm.core.models import AuditAction, AuditEntry, FieldChange, Region
from telcrm.customers.history import EDITABLE_FIELDS, customer_field, display_value
from telcrm.customers.models import (
    Contact,
    Customer,
    CustomerKind,
    CustomerStatus,
    Subscription,
    SubscriptionStatus,
)
from telcrm.customers.policy import visible_customers

SAME_ID_NUMBER = "same_id_number"
SAME_CREDIT_CODE = "same_credit_code"
SAME_PHONE = "same_phone"
SIMILAR_NAME_ADDRESS = "similar_name_address"
SIMILAR_NAME = "similar_name"

EXACT_SCORES = {SAME_ID_NUMBER: 1.0, SAME_CREDIT_CODE: 1.0, SAME_PHONE: 0.9}
NAME_MIN = 85  # rapidfuzz ratio 0-100; a 2-3 character Chinese name must match exactly
ADDRESS_MIN = 85
ENTERPRISE_NAME_ONLY_MIN = 95  # enterprises often have no address on file
MAX_GROUP = 50  # an exact key shared by more records than this is junk data, not a party
BLOCK_SLICE = 2000

_ENTERPRISE_NOISE = re.compile(r"[（(][^）)]*[）)]|股份有限公司|有限责任公司|有限公司|集团|公司")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class DuplicatePair:
    first: Customer
    second: Customer
    reasons: tuple[str, ...]
    score: float


def _normal_name(name: str, kind: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").lower()
    if kind == CustomerKind.ENTERPRISE:
        text = _ENTERPRISE_NOISE.sub("", text)
    return _NOT_WORD.sub("", text)


def _normal_address(address: str) -> str:
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", address or "").lower())


def _fuzzy(kind: str, name_score: float, address_a: str, address_b: str) -> dict[str, float]:
    """Reasons from a name match: individuals also need a similar address (many people
    share a name), enterprises without addresses need a near-identical name."""
    if address_a and address_b:
        address_score = fuzz.ratio(address_a, address_b)
        if address_score >= ADDRESS_MIN:
            return {SIMILAR_NAME_ADDRESS: 0.8 * (name_score + address_score) / 200}
    elif kind == CustomerKind.ENTERPRISE and name_score >= ENTERPRISE_NAME_ONLY_MIN:
        return {SIMILAR_NAME: 0.6 * name_score / 100}
    return {}


Evidence = dict[tuple[int, int], dict[str, float]]


def _add(evidence: Evidence, a: int, b: int, reasons: dict[str, float]) -> None:
    if a != b and reasons:
        evidence[(min(a, b), max(a, b))].update(reasons)


def _exact(base: QuerySet[Customer], field: str, reason: str, evidence: Evidence) -> None:
    """One scan with a window count: an ``IN (SELECT ... GROUP BY ...)`` form can be planned
    as a subquery re-run for every row on PostgreSQL (server-side cursors favour
    fast-start plans), which turns 100,000 rows into hours."""
    rows = (base.exclude(**{field: ""})
            .annotate(n=Window(Count("id"), partition_by=[F(field)]))
            .filter(n__gt=1, n__lte=MAX_GROUP)
            .values_list(field, "id").order_by(field, "id"))
    for _key, group in itertools.groupby(rows.iterator(), key=lambda r: r[0]):
        for (_, a), (_, b) in itertools.combinations(group, 2):
            _add(evidence, a, b, {reason: EXACT_SCORES[reason]})


def _phone_owners(base: QuerySet[Customer], phones: Iterable[str] | None = None) -> dict[str, set]:
    """Customer ids per phone, from contact numbers and from open lines matching one.

    Contact numbers (enterprise contacts: thousands, not millions) are read first and the
    lines looked up by number in batches, so the big table is only ever read by index.
    """
    contacts = Contact.objects.filter(customer__in=base).exclude(phone="")
    if phones is not None:
        contacts = contacts.filter(phone__in=list(phones))
    owners: dict[str, set] = defaultdict(set)
    for phone, customer_id in contacts.values_list("phone", "customer_id").iterator():
        owners[phone].add(customer_id)
    numbers = sorted(owners)
    open_lines = Subscription.objects.exclude(status=SubscriptionStatus.CLOSED).filter(
        customer__in=base)
    for start in range(0, len(numbers), 500):
        batch = open_lines.filter(msisdn__in=numbers[start:start + 500])
        for msisdn, customer_id in batch.values_list("msisdn", "customer_id"):
            owners[msisdn].add(customer_id)
    return owners


def _phones(base: QuerySet[Customer], evidence: Evidence) -> None:
    owners = {p: ids for p, ids in _phone_owners(base).items() if 1 < len(ids) <= MAX_GROUP}
    kinds = dict(base.filter(pk__in=set().union(*owners.values())).values_list("id", "kind"))
    for ids in owners.values():
        for a, b in itertools.combinations(sorted(ids), 2):
            if kinds.get(a) is not None and kinds.get(a) == kinds.get(b):
                _add(evidence, a, b, {SAME_PHONE: EXACT_SCORES[SAME_PHONE]})


def _blocks(base: QuerySet[Customer]) -> Iterator[list[tuple[int, str, str, str]]]:
    """Blocks of (id, kind, normalised name, normalised address), one in memory at a time."""
    rows = (base.annotate(initial=Substr("name", 1, 1))
            .values_list("region_id", "kind", "initial", "id", "name", "address")
            .order_by("region_id", "kind", "initial", "id"))

    def key(r: tuple) -> tuple:
        return (r[0], r[1]) if r[1] == CustomerKind.ENTERPRISE else (r[0], r[1], r[2])

    for _key, group in itertools.groupby(rows.iterator(chunk_size=5000), key=key):
        yield [(i, kind, _normal_name(name, kind), _normal_address(addr))
               for _r, kind, _init, i, name, addr in group]


def _similar(evidence: Evidence, block: list[tuple[int, str, str, str]]) -> None:
    if len(block) < 2:
        return
    names = [r[2] for r in block]
    for start in range(0, len(block), BLOCK_SLICE):
        scores = process.cdist(names[start:start + BLOCK_SLICE], names, scorer=fuzz.ratio,
                               score_cutoff=NAME_MIN, dtype=np.uint8, workers=-1)
        for i, j in zip(*np.nonzero(scores), strict=True):
            a, b = block[start + i], block[j]
            if a[0] < b[0]:
                _add(evidence, a[0], b[0], _fuzzy(a[1], float(scores[i, j]), a[3], b[3]))


def _pairs(evidence: Evidence, limit: int) -> list[DuplicatePair]:
    def combined(reasons: dict[str, float]) -> float:
        return round(1 - float(np.prod([1 - s for s in reasons.values()])), 3)

    ranked = sorted(evidence.items(), key=lambda kv: (-combined(kv[1]), kv[0]))[:limit]
    records = Customer.objects.select_related("region").in_bulk({i for k, _ in ranked for i in k})
    return [DuplicatePair(first=records[a], second=records[b], score=combined(reasons),
                          reasons=tuple(sorted(reasons, key=lambda r: -reasons[r])))
            for (a, b), reasons in ranked]


def _scope(actor: User, region: Region | str | None) -> QuerySet[Customer]:
    base = visible_customers(actor)
    if isinstance(region, Region):
        return base.filter(region=region)
    return base.filter(region__code=region) if region else base


def find_duplicates(actor: User, *, limit: int = 100, region: Region | str | None = None
                    ) -> list[DuplicatePair]:
    """Likely duplicate pairs among the customers the actor sees, best evidence first."""
    base = _scope(actor, region)
    evidence: Evidence = defaultdict(dict)
    _exact(base, "id_number", SAME_ID_NUMBER, evidence)
    _exact(base, "credit_code", SAME_CREDIT_CODE, evidence)
    _phones(base, evidence)
    for block in _blocks(base):
        _similar(evidence, block)
    return _pairs(evidence, limit)


def duplicates_of(actor: User, *, customer: Customer) -> list[DuplicatePair]:
    """Likely duplicates of one customer (the 360 view's warning), by the same rules."""
    base = visible_customers(actor)
    if not base.filter(pk=customer.pk).exists():
        raise NotFound(f"customer {customer.customer_no} not found")
    evidence: Evidence = defaultdict(dict)
    me = customer.pk
    for field, reason in (("id_number", SAME_ID_NUMBER), ("credit_code", SAME_CREDIT_CODE)):
        value = getattr(customer, field)
        for other in base.filter(**{field: value}).values_list("id", flat=True) if value else []:
            _add(evidence, me, other, {reason: EXACT_SCORES[reason]})
    own = set(customer.contacts.exclude(phone="").values_list("phone", flat=True)) | set(
        customer.subscriptions.exclude(status=SubscriptionStatus.CLOSED)
        .values_list("msisdn", flat=True))
    same_kind = base.filter(kind=customer.kind)
    for ids in _phone_owners(same_kind, own).values():
        for other in ids if me in ids else ():
            _add(evidence, me, other, {SAME_PHONE: EXACT_SCORES[SAME_PHONE]})
    name = _normal_name(customer.name, customer.kind)
    address = _normal_address(customer.address)
    candidates = same_kind.filter(region_id=customer.region_id).exclude(pk=me)
    if customer.kind == CustomerKind.INDIVIDUAL:
        candidates = candidates.filter(name__startswith=customer.name[:1])
    others = list(candidates.values_list("id", "name", "address"))
    names = [_normal_name(other_name, customer.kind) for _id, other_name, _a in others]
    for _match, score, i in process.extract(name, names, scorer=fuzz.ratio,
                                            score_cutoff=NAME_MIN, limit=None):
        other, _name, other_address = others[i]
        _add(evidence, me, other,
             _fuzzy(customer.kind, score, address, _normal_address(other_address)))
    return _pairs(evidence, limit=len(evidence))


# --- merge -------------------------------------------------------------------------------

#: Fields of ``keep`` filled from ``merge`` when blank; status and hierarchy are decisions.
FILLABLE_FIELDS = sorted(EDITABLE_FIELDS - {"status", "name", "parent", "region"})


def _relations() -> list:
    """Every relation pointing at a customer, including hidden ones (many-to-many link
    tables), so a relation added by a later app (tickets, campaigns) is moved as well."""
    return [f for f in Customer._meta.get_fields(include_hidden=True)
            if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)]


def _move_related(keep: Customer, merge: Customer) -> dict[str, int]:
    moved: dict[str, int] = {}
    for rel in _relations():
        rows = rel.related_model._base_manager.filter(**{rel.field.name: merge})
        if rel.related_model is Customer:
            rows = rows.exclude(pk=keep.pk)
        name = rel.related_model._meta.label_lower if rel.hidden else rel.get_accessor_name()
        try:
            with transaction.atomic():
                moved[name] = rows.update(**{rel.field.name: keep})
        except IntegrityError as exc:
            raise ValidationFailed(f"{name}: both records hold a row that can exist once "
                                   f"per customer; resolve it before merging") from exc
    return moved


def _change(actor: User, customer: Customer, field: str, old: object, new: object
            ) -> FieldChange:
    f = customer_field(field)
    return FieldChange(actor=actor, subject_type="customer", subject_id=customer.customer_no,
                       field=field, old_value=display_value(f, old),
                       new_value=display_value(f, new), source="merge")


def merge_customers(actor: User, *, keep: Customer, merge: Customer, reason: str) -> Customer:
    """Merge ``merge`` into ``keep``: keep every subscription, account, interaction and
    ticket of both, fill ``keep``'s blanks from ``merge``, and leave ``merge`` as a
    pointer (status merged) so old references still resolve. One transaction: a failure
    anywhere leaves both records as they were."""
    if not actor.has_perm("core.merge_customers"):
        raise PermissionDenied("your role may not merge customers")
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed("reason: state why these records are one customer")
    if keep.pk == merge.pk:
        raise ValidationFailed("merge: a customer cannot be merged into itself")
    with transaction.atomic():
        both = {c.pk: c for c in visible_customers(actor).select_for_update()
                .filter(pk__in=[keep.pk, merge.pk]).order_by("pk")}
        if len(both) != 2:
            missing = merge if keep.pk in both else keep
            raise NotFound(f"customer {missing.customer_no} not found")
        keep, merge = both[keep.pk], both[merge.pk]
        if keep.kind != merge.kind:
            raise ValidationFailed("kind: an individual and an enterprise cannot be merged")
        changes = []
        for field in FILLABLE_FIELDS:
            old, new = getattr(keep, field), getattr(merge, field)
            if old in (None, "") and new not in (None, ""):
                changes.append(_change(actor, keep, field, old, new))
                setattr(keep, field, new)
        if keep.parent_id == merge.pk:  # keep was a branch of merge: it takes merge's place
            changes.append(_change(actor, keep, "parent", merge, merge.parent))
            keep.parent = merge.parent
        keep.version += 1
        keep.save()
        moved = _move_related(keep, merge)
        changes.append(_change(actor, merge, "status", merge.status, CustomerStatus.MERGED))
        Customer.objects.filter(pk=merge.pk).update(
            status=CustomerStatus.MERGED, merged_into=keep, version=merge.version + 1)
        FieldChange.objects.bulk_create(changes)
        AuditEntry.objects.create(
            actor=actor, action=AuditAction.MERGE, subject_type="customer",
            subject_id=keep.customer_no, reason=reason,
            detail={"merged": merge.customer_no, "moved": moved,
                    "filled": [c.field for c in changes if c.subject_id == keep.customer_no]},
        )
    return keep
