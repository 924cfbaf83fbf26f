"""The incident state machine: ``open → acknowledged → resolved → closed``, ``resolved → open``.

Pure: ``transition(status, action)`` gives the new status or raises ``Refused`` with a reason
fit to show the person who asked. Actions that do not move the state (update, note, severity,
assign) are allowed while the incident is live and refused once it is closed.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import DomainError

__all__ = ["LIVE", "Action", "Refused", "Status", "transition"]


class Status(StrEnum):
    """Where an incident is in its life."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"


LIVE: frozenset[str] = frozenset({Status.OPEN.value, Status.ACKNOWLEDGED.value})
"""Statuses in which an incident is being worked on (timers run, alerts join it)."""


class Action(StrEnum):
    """What people (and timers) do to an incident."""

    ACK = "ack"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    UPDATE = "update"
    NOTE = "note"
    SEVERITY = "sev"
    ASSIGN = "assign"
    ESCALATE = "escalate"


class Refused(DomainError):
    """The action is not possible in the incident's current state; nothing changed."""


_MOVES: dict[tuple[Status, Action], Status] = {
    (Status.OPEN, Action.ACK): Status.ACKNOWLEDGED,
    (Status.OPEN, Action.RESOLVE): Status.RESOLVED,
    (Status.ACKNOWLEDGED, Action.RESOLVE): Status.RESOLVED,
    (Status.RESOLVED, Action.REOPEN): Status.OPEN,
    (Status.RESOLVED, Action.CLOSE): Status.CLOSED,
}
_STAYS: dict[Action, frozenset[Status]] = {
    Action.UPDATE: frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.RESOLVED}),
    Action.NOTE: frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.RESOLVED}),
    Action.SEVERITY: frozenset({Status.OPEN, Status.ACKNOWLEDGED}),
    Action.ASSIGN: frozenset({Status.OPEN, Status.ACKNOWLEDGED, Status.RESOLVED}),
    Action.ESCALATE: frozenset({Status.OPEN, Status.ACKNOWLEDGED}),
}
_REASONS: dict[tuple[Status, Action], str] = {
    (Status.ACKNOWLEDGED, Action.ACK): "it is already acknowledged",
    (Status.RESOLVED, Action.ACK): "it is resolved; reopen it first",
    (Status.RESOLVED, Action.RESOLVE): "it is already resolved",
    (Status.OPEN, Action.REOPEN): "it is already open",
    (Status.ACKNOWLEDGED, Action.REOPEN): "it is still open (acknowledged)",
    (Status.OPEN, Action.CLOSE): "resolve it before closing it",
    (Status.ACKNOWLEDGED, Action.CLOSE): "resolve it before closing it",
    (Status.RESOLVED, Action.SEVERITY): "it is resolved; reopen it to change the severity",
    (Status.RESOLVED, Action.ESCALATE): "it is resolved; nothing to escalate",
}


def transition(status: Status, action: Action) -> Status:
    """The status after ``action``; ``Refused`` (with the reason) when it is not allowed."""
    if (status, action) in _MOVES:
        return _MOVES[(status, action)]
    if status in _STAYS.get(action, frozenset()):
        return status
    if status is Status.CLOSED:
        raise Refused(f"Cannot {action.value}: the incident is closed.")
    reason = _REASONS.get((status, action), f"not possible while it is {status.value}")
    raise Refused(f"Cannot {action.value}: {reason}.")
