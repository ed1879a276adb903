"""Masking of personal data (domain.md section 1: access by permission level).

Phone numbers, ID numbers and addresses are shown masked to every role; a permitted user
reveals one field of one customer with a stated reason (``core.services.reveal_field``).
A masked value never contains enough of the original to rebuild it.
"""

from __future__ import annotations

import re

PII_FIELDS = ("phone", "id_number", "address")


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return f"{value[:3]}****{value[-4:]}"


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) < 8:
        return "*" * len(value)
    return f"{value[:4]}{'*' * (len(value) - 8)}{value[-4:]}"


def mask_address(value: str | None) -> str:
    """Keep the first few characters (province/city/district), hide the street and number."""
    if not value:
        return ""
    keep = min(6, max(len(value) // 3, 1))
    return value[:keep] + "****"


MASKERS = {"phone": mask_phone, "id_number": mask_id_number, "address": mask_address}

_PHONE_RE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
_ID_RE = re.compile(r"(?<![\dA-Z])(\d{4})\d{10}(\d{3}[\dX])(?![\dA-Z])")


def mask_text(text: str) -> str:
    """Mask any phone or ID number embedded in free text (log lines, error messages)."""
    text = _ID_RE.sub(lambda m: f"{m.group(1)}**********{m.group(2)}", text)
    return _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
