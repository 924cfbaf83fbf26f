"""Durable timers: arm, replace, claim when due (once, across processes), record the fire."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from bot.domain.timers import TimerKind, TimerPlan
from storage.tables import TimerRow

__all__ = ["DueTimer", "arm", "armed", "claim_due", "fired", "rearm"]


@dataclass(frozen=True)
class DueTimer:
    """A timer claimed for firing (its row stays locked until the transaction ends)."""

    id: int
    incident_id: int
    plan: TimerPlan


def rearm(session: Session, *, incident_id: int, plans: Sequence[TimerPlan], now: datetime) -> None:
    """Make the incident's armed timers exactly ``plans`` (unchanged ones are kept as they are)."""
    current = list(
        session.exec(
            select(TimerRow)
            .where(TimerRow.incident_id == incident_id)
            .where(TimerRow.status == "armed")
        ).all()
    )
    wanted = {(p.kind.value, p.due_at, p.attempt) for p in plans}
    kept = set()
    for row in current:
        key = (row.kind, row.due_at, row.attempt)
        if key in wanted and key not in kept:
            kept.add(key)
            continue
        row.status = "cancelled"
        session.add(row)
    for plan in plans:
        if (plan.kind.value, plan.due_at, plan.attempt) not in kept:
            arm(session, incident_id=incident_id, plan=plan, now=now)


def arm(session: Session, *, incident_id: int, plan: TimerPlan, now: datetime) -> None:
    """Add one armed timer."""
    session.add(
        TimerRow(
            incident_id=incident_id,
            kind=plan.kind.value,
            attempt=plan.attempt,
            due_at=plan.due_at,
            status="armed",
            armed_at=now,
        )
    )


def claim_due(session: Session, *, now: datetime, limit: int) -> list[DueTimer]:
    """Lock up to ``limit`` due timers, oldest first, skipping those another process holds.

    The ``(status, due_at)`` index makes this cost what the due timers cost, however many
    are armed."""
    query = (
        select(TimerRow)
        .where(TimerRow.status == "armed")
        .where(col(TimerRow.due_at) <= now)
        .order_by(col(TimerRow.due_at), col(TimerRow.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return [
        DueTimer(
            id=row.id or 0,
            incident_id=row.incident_id,
            plan=TimerPlan(TimerKind(row.kind), row.due_at, row.attempt),
        )
        for row in session.exec(query)
    ]


def fired(session: Session, timer_id: int, *, now: datetime) -> None:
    """Record that the timer fired (so it never fires again)."""
    session.exec(
        update(TimerRow)
        .where(col(TimerRow.id) == timer_id)
        .where(col(TimerRow.status) == "armed")
        .values(status="fired", fired_at=now)
    )


def armed(session: Session, incident_id: int) -> list[TimerPlan]:
    """The incident's armed timers, soonest first."""
    query = (
        select(TimerRow)
        .where(TimerRow.incident_id == incident_id)
        .where(TimerRow.status == "armed")
        .order_by(col(TimerRow.due_at))
    )
    return [TimerPlan(TimerKind(r.kind), r.due_at, r.attempt) for r in session.exec(query)]


def count_armed(session: Session) -> int:
    """How many timers are armed in all."""
    query = select(func.count()).select_from(TimerRow).where(TimerRow.status == "armed")
    return int(session.exec(query).one())
