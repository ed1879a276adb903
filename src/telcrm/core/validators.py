"""Validators for Chinese identifiers, each naming the field and the rule it breaks.

- Resident identity number: 18 characters, ISO 7064 MOD 11-2 check character (GB 11643-1999).
- Unified Social Credit Code: 18 characters, MOD 31 check character (GB 32100-2015).
- Mainland mobile numbers: 11 digits, with the operator known from the 3-digit prefix.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Mobile prefixes by operator (MIIT number plan, as allocated to the three operators and
# to China Broadnet; 170/171 virtual operators are left to the carrier of the line).
MOBILE_PREFIXES: dict[str, tuple[str, ...]] = {
    "china_mobile": (
        "134", "135", "136", "137", "138", "139", "147", "148", "150", "151", "152",
        "157", "158", "159", "172", "178", "182", "183", "184", "187", "188", "195",
        "197", "198",
    ),
    "china_unicom": (
        "130", "131", "132", "145", "146", "155", "156", "166", "167", "171", "175",
        "176", "185", "186", "196",
    ),
    "china_telecom": (
        "133", "149", "153", "173", "174", "177", "180", "181", "189", "190", "191",
        "193", "199",
    ),
    "china_broadnet": ("192",),
}
_OPERATOR_BY_PREFIX = {p: op for op, prefixes in MOBILE_PREFIXES.items() for p in prefixes}


def id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def id_number_error(value: str) -> str | None:
    """Why ``value`` is not a valid 18-digit resident ID number, or None if it is."""
    if not re.fullmatch(r"\d{17}[\dX]", value or ""):
        return "must be 17 digits followed by a digit or X (GB 11643)"
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "digits 7-14 must be a real birth date (GB 11643)"
    if id_check_char(value[:17]) != value[17]:
        return "check character does not match (GB 11643 MOD 11-2)"
    return None


def uscc_error(value: str) -> str | None:
    """Why ``value`` is not a valid Unified Social Credit Code, or None if it is."""
    if len(value or "") != 18 or any(c not in _USCC_ALPHABET for c in value):
        return "must be 18 characters of digits and capitals without I, O, S, V, Z (GB 32100)"
    if uscc_check_char(value[:17]) != value[17]:
        return "check character does not match (GB 32100 MOD 31)"
    return None


def mobile_operator(value: str) -> str | None:
    """The operator a mainland mobile number belongs to, or None if it is not one."""
    if not re.fullmatch(r"1\d{10}", value or ""):
        return None
    return _OPERATOR_BY_PREFIX.get(value[:3])


def mobile_error(value: str) -> str | None:
    if not re.fullmatch(r"1\d{10}", value or ""):
        return "must be 11 digits starting with 1 (mainland mobile number)"
    if value[:3] not in _OPERATOR_BY_PREFIX:
        return f"prefix {value[:3]} is not allocated to a mainland operator"
    return None


def _raise(field_label: str, reason: str | None) -> None:
    if reason:
        raise ValidationError(
            _("%(field)s %(reason)s"), params={"field": field_label, "reason": reason}, code="invalid"
        )


def validate_id_number(value: str) -> None:
    _raise("ID number", id_number_error(value))


def validate_uscc(value: str) -> None:
    _raise("Unified Social Credit Code", uscc_error(value))


def validate_mobile(value: str) -> None:
    _raise("Phone number", mobile_error(value))
