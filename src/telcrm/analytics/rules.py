"""What every rule set shares: a version, and a round trip through a plain dict, so an
administrator can edit thresholds in the UI, the database can keep each version as JSON,
and every tier or warning records the version that produced it (issue 3, "Tier rules are
configuration ... versioned")."""

from __future__ import annotations

import dataclasses
from typing import Any, Self


@dataclasses.dataclass(frozen=True)
class VersionedRules:
    version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            field.name: list(value) if isinstance(value := getattr(self, field.name), tuple) else value
            for field in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Rules from stored JSON; unknown keys are an error rather than silently ignored,
        so a misspelt threshold never falls back to its default unnoticed."""
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} settings: {', '.join(unknown)}")
        values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)
