"""Aggregate reads for opsbot's own ``/metrics`` (read at scrape time, so each is one query)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.repositories._time import aware
from storage.tables import IncidentRow, TimerRow

__all__ = ["TimerStats", "incidents_by_severity", "timer_stats"]


def incidents_by_severity(session: Session, *, statuses: Collection[str]) -> dict[str, int]:
    """How many incidents are in one of ``statuses``, by severity (absent severities: none)."""
    query = (
        select(IncidentRow.severity, func.count())
        .where(col(IncidentRow.status).in_(list(statuses)))
        .group_by(col(IncidentRow.severity))
    )
    return {str(severity): int(count) for severity, count in session.exec(query)}


@dataclass(frozen=True)
class TimerStats:
    """Armed timers, and how far past its due time the most overdue one is (0 when none)."""

    armed: int
    overdue: int
    max_overdue_s: float


def timer_stats(session: Session, *, now: datetime) -> TimerStats:
    """Armed timers, those already due, and the oldest due time among them."""
    armed_q = select(func.count()).select_from(TimerRow).where(TimerRow.status == "armed")
    armed = int(session.exec(armed_q).one())
    due_q = select(func.count(), func.min(TimerRow.due_at)).where(
        TimerRow.status == "armed", col(TimerRow.due_at) <= now
    )
    overdue, oldest = session.exec(due_q).one()
    late = (now - aware(oldest)).total_seconds() if oldest else 0.0
    return TimerStats(armed=armed, overdue=int(overdue), max_overdue_s=max(late, 0.0))
