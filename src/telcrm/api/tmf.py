"""Conventions shared by every TM Forum resource we serve (TMF630 REST design guidelines):
offset/limit paging with its count headers, ``fields=`` attribute selection, and the
entity tag that carries a record's version for optimistic locking.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Schema
from pydantic import Field

from telcrm.core.errors import ValidationFailed

#: The largest page a client may ask for: a page is rendered in one response, and a
#: thousand customers with their lines and accounts is about 1.5 MB of JSON.
MAX_LIMIT = 1000
DEFAULT_LIMIT = 50

#: Attributes returned whatever ``fields=`` asks for: a client must always be able to tell
#: which resource a partial representation belongs to.
ALWAYS_KEPT = ("id", "href", "@type")


class Paging(Schema):
    offset: int = Field(0, ge=0, description="Index of the first item returned (0-based).")
    limit: int = Field(
        DEFAULT_LIMIT, ge=0, le=MAX_LIMIT,
        description=f"Number of items returned, at most {MAX_LIMIT}. 0 returns only the counts.",
    )


def page(queryset: QuerySet, paging: Paging, response: HttpResponse) -> QuerySet:
    """Slice one page and set ``X-Total-Count`` (matching items) and ``X-Result-Count``
    (items in this page).

    The queryset must be ordered by an indexed unique key (customer_no for customers): the
    database then walks the index to the offset instead of sorting the whole table, and
    pages never repeat or skip an item. The total is one COUNT over the same filtered
    queryset; ``python -m bench.api`` times it on a million customers.
    """
    total = queryset.count()
    start = min(paging.offset, total)
    stop = min(start + paging.limit, total)
    response["X-Total-Count"] = str(total)
    response["X-Result-Count"] = str(stop - start)
    return queryset[start:stop]


def selected_fields(fields: str | None, allowed: set[str]) -> set[str] | None:
    """The attributes named in ``fields=name,status``, or None for the full resource."""
    if fields is None or not fields.strip():
        return None
    names = {f.strip() for f in fields.split(",") if f.strip()}
    unknown = sorted(names - allowed - set(ALWAYS_KEPT))
    if unknown:
        raise ValidationFailed(
            f"fields: unknown attribute {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})"
        )
    return names | set(ALWAYS_KEPT)


def absolute_href(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def etag(version: int) -> str:
    return f'"{version}"'


_ETAG_RE = re.compile(r'^\s*(?:W/)?"(\d+)"\s*$')


def expected_version(if_match: str | None) -> int | None:
    """The version a client edited, from ``If-Match: "3"``; None when it sent none (or
    ``*``), in which case the last write wins, as on any HTTP resource without a
    precondition."""
    if if_match is None or if_match.strip() in ("", "*"):
        return None
    m = _ETAG_RE.match(if_match)
    if m is None:
        raise ValidationFailed('If-Match: expected an entity tag like "3", as sent in ETag')
    return int(m.group(1))
