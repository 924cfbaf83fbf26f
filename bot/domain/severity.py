"""Severities S1 (worst) to S3, and how an alert's labels map to one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

__all__ = ["Severity", "classify", "most_severe"]


class Severity(StrEnum):
    """S1 is the most severe. ``rank`` orders them: lower is worse."""

    S1 = "S1"
    S2 = "S2"
    S3 = "S3"

    @property
    def rank(self) -> int:
        """1 for S1, 2 for S2, 3 for S3."""
        return int(self.value[1])

    def is_worse_than(self, other: Severity) -> bool:
        """True when ``self`` is more severe than ``other``."""
        return self.rank < other.rank

    def meets(self, minimum: Severity) -> bool:
        """True when ``self`` is at least as severe as ``minimum``."""
        return self.rank <= minimum.rank


def most_severe(severities: Iterable[Severity]) -> Severity | None:
    """The worst of ``severities`` (None when empty)."""
    return min(severities, key=lambda s: s.rank, default=None)


def classify(
    labels: Mapping[str, str],
    *,
    label: str,
    mapping: Mapping[str, str],
    service_default: str | None,
) -> Severity:
    """``labels[label]`` through ``mapping``; else the service's default; else S3."""
    value = labels.get(label)
    if value is not None:
        mapped = mapping.get(value.lower()) or mapping.get(value)
        if mapped is not None:
            return Severity(mapped)
        if value.upper() in Severity.__members__:
            return Severity(value.upper())
    return Severity(service_default) if service_default else Severity.S3
