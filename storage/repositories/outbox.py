"""The outbox: side effects written in the causing transaction, delivered afterwards."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.repositories._time import aware
from storage.repositories._upsert import insert_for
from storage.tables import OutboxRow
from storage.trace_context import current_traceparent

__all__ = [
    "Claimed",
    "LaneState",
    "OutboxStats",
    "claim_due",
    "complete",
    "enqueue",
    "lanes_of",
    "redrive",
    "release",
    "reschedule",
    "stats",
]


@dataclass(frozen=True)
class Claimed:
    """A leased effect, ready to deliver."""

    id: int
    incident_id: int | None
    kind: str
    payload: dict[str, Any]
    attempts: int
    trace_context: str | None = None  # W3C traceparent of the work that queued it


@dataclass(frozen=True)
class OutboxStats:
    """Depth, age of the oldest pending effect, dead letters."""

    pending: int
    oldest_age_s: float
    dead: int


def enqueue(
    session: Session,
    *,
    kind: str,
    incident_id: int | None,
    payload: dict[str, Any],
    now: datetime,
    coalesce_key: str | None = None,
    delay: timedelta = timedelta(0),
    priority: int = 1,
) -> None:
    """Add an effect; with ``coalesce_key`` nothing is added while one with that key waits.

    The current span's ``traceparent`` goes with it: its delivery joins the trace. A coalesced
    effect keeps the context of the change that queued it first."""
    values = {
        "incident_id": incident_id,
        "kind": kind,
        "payload": payload,
        "coalesce_key": coalesce_key,
        "priority": priority,
        "lane": kind.split(".", 1)[0][:16],
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now + delay,
        "created_at": now,
        "trace_context": current_traceparent(),
    }
    session.execute(_insert(session, coalesce=coalesce_key is not None), values)


_INSERTS: dict[tuple[str, bool], Any] = {}


def _insert(session: Session, *, coalesce: bool) -> Any:
    """The effect insert for the session's dialect, built once: the values travel as parameters,
    so its compiled SQL is cached (a fresh ``.values(...)`` was compiled on every call)."""
    key = (session.get_bind().dialect.name, coalesce)
    if key not in _INSERTS:
        stmt = insert_for(session, OutboxRow)
        _INSERTS[key] = (
            stmt.on_conflict_do_nothing(index_elements=["coalesce_key"]) if coalesce else stmt
        )
    return _INSERTS[key]


def claim_due(
    session: Session,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_lanes: Collection[str] = (),
    skip_ids: Collection[int] = (),
) -> list[Claimed]:
    """Lease up to ``limit`` due effects, urgent first, each the oldest pending one of its
    incident's lane (slack, jira, notion: an outage of one never holds up another) among
    effects at least as urgent (so an escalation never waits for an edit). Effects of
    ``skip_lanes`` (lanes the caller has no room for) and ``skip_ids`` (effects the caller is
    still delivering, whose lease may have run out) are left alone."""
    earlier = aliased(OutboxRow)
    blocked = exists().where(
        and_(
            col(earlier.incident_id) == col(OutboxRow.incident_id),
            col(earlier.lane) == col(OutboxRow.lane),
            col(earlier.status) == "pending",
            col(earlier.id) < col(OutboxRow.id),
            col(earlier.priority) <= col(OutboxRow.priority),
        )
    )
    query = (
        select(OutboxRow)
        .where(OutboxRow.status == "pending")
        .where(col(OutboxRow.next_attempt_at) <= now)
        .where(or_(col(OutboxRow.lease_until).is_(None), col(OutboxRow.lease_until) < now))
        .where(or_(col(OutboxRow.incident_id).is_(None), ~blocked))
    )
    if skip_lanes:
        query = query.where(col(OutboxRow.lane).not_in(sorted(skip_lanes)))
    if skip_ids:
        query = query.where(col(OutboxRow.id).not_in(sorted(skip_ids)))
    query = (
        query.order_by(col(OutboxRow.priority), col(OutboxRow.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.exec(query).all())
    claimed = []
    for row in rows:
        assert row.id is not None
        row.lease_until = now + lease
        row.attempts += 1
        row.coalesce_key = None  # later changes queue a fresh effect
        session.add(row)
        claimed.append(
            Claimed(
                row.id,
                row.incident_id,
                row.kind,
                dict(row.payload),
                row.attempts,
                row.trace_context,
            )
        )
    return claimed


def complete(session: Session, effect_id: int, *, now: datetime) -> None:
    """Mark delivered."""
    session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id) == effect_id)
        .values(status="done", done_at=now, lease_until=None, last_error=None)
    )


def release(session: Session, effect_id: int) -> None:
    """Give a leased effect back (this process is stopping before it finished)."""
    session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id) == effect_id)
        .where(col(OutboxRow.status) == "pending")
        .values(lease_until=None)
    )


def reschedule(session: Session, effect_id: int, *, at: datetime, error: str, dead: bool) -> None:
    """Try again at ``at``, or give up (``dead``) keeping the last error."""
    session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id) == effect_id)
        .values(
            status="dead" if dead else "pending",
            next_attempt_at=at,
            lease_until=None,
            last_error=error[:2000],
        )
    )


def stats(session: Session, *, now: datetime) -> OutboxStats:
    """Numbers for ``/metrics``."""
    pending_q = select(func.count(), func.min(OutboxRow.created_at)).where(
        OutboxRow.status == "pending"
    )
    pending, oldest = session.exec(pending_q).one()
    dead_q = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "dead")
    dead = session.exec(dead_q).one()
    age = (now - aware(oldest)).total_seconds() if oldest else 0.0
    return OutboxStats(pending=int(pending), oldest_age_s=max(age, 0.0), dead=int(dead))


@dataclass(frozen=True)
class LaneState:
    """One lane of one incident: how many effects wait, failed for good, were delivered."""

    lane: str
    pending: int
    dead: int
    done: int
    last_error: str | None


def lanes_of(session: Session, incident_id: int) -> list[LaneState]:
    """The incident's effects by lane."""
    rows = session.exec(select(OutboxRow).where(OutboxRow.incident_id == incident_id)).all()
    states = []
    for lane in sorted({row.lane for row in rows}):
        mine = [row for row in rows if row.lane == lane]
        errors = [row.last_error for row in sorted(mine, key=lambda r: r.id or 0) if row.last_error]
        states.append(
            LaneState(
                lane=lane,
                pending=sum(1 for row in mine if row.status == "pending"),
                dead=sum(1 for row in mine if row.status == "dead"),
                done=sum(1 for row in mine if row.status == "done"),
                last_error=errors[-1] if errors else None,
            )
        )
    return states


def redrive(session: Session, *, now: datetime, ids: list[int] | None = None) -> int:
    """Send dead effects (those in ``ids``, or all) again from their first attempt."""
    stmt = update(OutboxRow).where(col(OutboxRow.status) == "dead")
    if ids is not None:
        stmt = stmt.where(col(OutboxRow.id).in_(ids))
    result = session.exec(
        stmt.values(status="pending", attempts=0, next_attempt_at=now, lease_until=None)
    )
    return int(result.rowcount or 0)
