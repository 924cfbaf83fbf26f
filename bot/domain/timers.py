"""Which timers an incident needs, from its state and its severity's policy (pure).

Timer kinds:
- ``ack``: the acknowledgement deadline; when it passes unacknowledged, escalate, then again
  every ``escalate_every`` up to ``escalate_max`` times (``attempt`` counts them).
- ``update``: an update is due every ``update_every`` while the incident is live.
- ``stale``: no update for ``stale_after`` while the incident is live.
- ``rca_soon``: a reminder a while before the RCA is due (a quarter of ``rca_due``, at most
  a day); ``rca``: the RCA is due ``rca_due`` after resolution, then daily while overdue.
  Neither is armed once the RCA is complete.
- ``notice``: the client has not been notified by the severity's client-notice time; then
  again every ``escalate_every`` up to ``escalate_max`` times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.lifecycle import Status

__all__ = ["Clockwork", "TimerKind", "TimerPlan", "next_after_fire", "plan_timers"]


class TimerKind(StrEnum):
    """What a timer is for."""

    ACK = "ack"
    UPDATE = "update"
    STALE = "stale"
    RCA = "rca"
    RCA_SOON = "rca_soon"
    NOTICE = "notice"


@dataclass(frozen=True)
class Clockwork:
    """One severity's response times."""

    ack_within: timedelta
    update_every: timedelta
    escalate_every: timedelta
    escalate_max: int
    rca_due: timedelta
    stale_after: timedelta


@dataclass(frozen=True)
class TimerPlan:
    """One timer that should be armed: kind, due time, and which repetition it is."""

    kind: TimerKind
    due_at: datetime
    attempt: int = 1


def plan_timers(
    *,
    status: Status,
    opened_at: datetime,
    last_update_at: datetime | None,
    resolved_at: datetime | None,
    clockwork: Clockwork,
    notice_due_at: datetime | None = None,
    rca_complete: bool = False,
) -> list[TimerPlan]:
    """The timers the incident should have now (the caller replaces the armed set with these).

    ``notice_due_at`` is the client-notice deadline while the client has not been told (None
    when done or not needed); ``rca_complete`` stops the RCA reminders."""
    if status is Status.CLOSED:
        return []
    notice = [TimerPlan(TimerKind.NOTICE, notice_due_at)] if notice_due_at else []
    if status is Status.RESOLVED:
        assert resolved_at is not None
        if rca_complete:
            return notice
        due = resolved_at + clockwork.rca_due
        lead = min(clockwork.rca_due / 4, timedelta(days=1))
        return [*notice, TimerPlan(TimerKind.RCA_SOON, due - lead), TimerPlan(TimerKind.RCA, due)]
    since_update = last_update_at or opened_at
    plans = [
        *notice,
        TimerPlan(TimerKind.UPDATE, since_update + clockwork.update_every),
        TimerPlan(TimerKind.STALE, since_update + clockwork.stale_after),
    ]
    if status is Status.OPEN and clockwork.escalate_max > 0:
        plans.insert(0, TimerPlan(TimerKind.ACK, opened_at + clockwork.ack_within))
    return plans


def next_after_fire(plan: TimerPlan, clockwork: Clockwork, *, now: datetime) -> TimerPlan | None:
    """The timer that follows a fired one: the next escalation (up to ``escalate_max``), the
    next update reminder, the next stale reminder, the next overdue-RCA or overdue-notice
    reminder; None after the reminder before the RCA is due.

    It counts from the later of the due time and ``now``, so a timer that fires late (after a
    restart) is followed one interval later, not by a burst of catch-up repeats."""
    base = max(plan.due_at, now)
    if plan.kind is TimerKind.ACK:
        if plan.attempt >= clockwork.escalate_max:
            return None
        return TimerPlan(TimerKind.ACK, base + clockwork.escalate_every, plan.attempt + 1)
    if plan.kind is TimerKind.UPDATE:
        return TimerPlan(TimerKind.UPDATE, base + clockwork.update_every, plan.attempt + 1)
    if plan.kind is TimerKind.STALE:
        return TimerPlan(TimerKind.STALE, base + clockwork.stale_after, plan.attempt + 1)
    if plan.kind is TimerKind.RCA:
        every = min(clockwork.rca_due, timedelta(days=1))
        return TimerPlan(TimerKind.RCA, base + every, plan.attempt + 1)
    if plan.kind is TimerKind.NOTICE and plan.attempt < max(clockwork.escalate_max, 1):
        return TimerPlan(TimerKind.NOTICE, base + clockwork.escalate_every, plan.attempt + 1)
    return None
