"""The rule sets the nightly run applies, as versions an administrator edits (issue 3:
"Tier rules are configuration (editable by an administrator in the UI, versioned)").

The thresholds themselves are the analytics dataclasses (``SegmentRules``, ``GradeRules``,
``WarningRules``, and ``ValueRules``: cost shares, discount rate, periods), which validate
themselves; this module only stores and finds versions.
With no stored version, the dataclass defaults apply (version ``segments-1`` etc.), so a
fresh installation runs without any set-up.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import User

from telcrm.analytics.rules import VersionedRules
from telcrm.analytics.tiers import GradeRules, SegmentRules
from telcrm.analytics.value import ValueRules
from telcrm.analytics.warnings import WarningRules
from telcrm.core.errors import PermissionDenied, ValidationFailed
from telcrm.value.models import RuleKind, RuleSet

RULE_CLASSES: dict[str, type[VersionedRules]] = {
    RuleKind.SEGMENTS: SegmentRules,
    RuleKind.GRADES: GradeRules,
    RuleKind.WARNINGS: WarningRules,
    RuleKind.VALUE: ValueRules,
}


def active_rules(kind: str) -> VersionedRules:
    """The newest stored version of ``kind``, or the defaults when none is stored."""
    cls = RULE_CLASSES[kind]
    latest = RuleSet.objects.filter(kind=kind).order_by("-created_at", "-id").first()
    if latest is None:
        return cls()  # type: ignore[call-arg]  # every rule class defaults its version
    return cls.from_dict({**latest.rules, "version": latest.version})


def _next_version(kind: str) -> str:
    numbers = [1]
    for version in RuleSet.objects.filter(kind=kind).values_list("version", flat=True):
        match = re.fullmatch(rf"{kind}-(\d+)", version)
        if match:
            numbers.append(int(match.group(1)))
    return f"{kind}-{max(numbers) + 1}"


def save_rules(actor: User, *, kind: str, settings: dict[str, Any], note: str = "") -> RuleSet:
    """A new version of ``kind`` with ``settings`` (the thresholds, without ``version``);
    the analytics dataclass validates them, and an invalid threshold is refused with its
    message rather than stored."""
    if not actor.has_perm("value.add_ruleset"):
        raise PermissionDenied("your role may not change tier or warning rules")
    if kind not in RULE_CLASSES:
        raise ValidationFailed(f"kind: unknown rule kind {kind!r}")
    version = _next_version(kind)
    try:
        rules = RULE_CLASSES[kind].from_dict({**settings, "version": version})
    except (TypeError, ValueError) as error:
        raise ValidationFailed(f"{kind} rules: {error}") from error
    stored = rules.to_dict()
    del stored["version"]
    return RuleSet.objects.create(kind=kind, version=version, rules=stored, note=note, created_by=actor)
