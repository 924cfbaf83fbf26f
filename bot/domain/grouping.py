"""What a notification does to its group's incident: add to it, reopen it, or open a new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.lifecycle import LIVE

__all__ = ["GroupAction", "IncidentState", "decide"]


class GroupAction(StrEnum):
    """The three outcomes."""

    ADD = "add"
    REOPEN = "reopen"
    OPEN = "open"


@dataclass(frozen=True)
class IncidentState:
    """The part of the group's current incident that the decision needs."""

    status: str
    resolved_at: datetime | None


def decide(
    current: IncidentState | None, *, any_firing: bool, now: datetime, reopen_window: timedelta
) -> GroupAction | None:
    """The action, or None when nothing is to be done (only resolved alerts, no live incident)."""
    if current is not None and current.status in LIVE:
        return GroupAction.ADD
    if not any_firing:
        return GroupAction.ADD if current is not None and current.status == "resolved" else None
    if (
        current is not None
        and current.status == "resolved"
        and current.resolved_at is not None
        and now - current.resolved_at <= reopen_window
    ):
        return GroupAction.REOPEN
    return GroupAction.OPEN
