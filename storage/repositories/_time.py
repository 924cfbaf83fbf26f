"""SQLite hands back naive datetimes; opsbot stores and compares UTC only."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["aware", "maybe_aware"]


def aware(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def maybe_aware(value: datetime | None) -> datetime | None:
    """``aware`` that passes None through."""
    return None if value is None else aware(value)
