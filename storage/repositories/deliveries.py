"""Webhook deliveries: every accepted body, stored before the answer.

A delivery is stored ``pending`` by the webhook (one statement) and applied later, in the
order received, by the intake queue, which marks it ``processed`` (with the incidents it
touched) or ``failed`` (with the error id of the logged traceback).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlmodel import Session

from storage.tables import WebhookDeliveryRow
from storage.trace_context import current_traceparent

__all__ = [
    "DeliveryStatus",
    "Pending",
    "bodies",
    "delivery_status",
    "finish",
    "pending",
    "pending_figures",
    "queue_delivery",
    "take_turn",
]

_T = WebhookDeliveryRow.__table__  # type: ignore[attr-defined]
# Any fixed number: the key of the PostgreSQL advisory lock held while applying deliveries.
_APPLY_LOCK = 0x0B5B07_1A7E


@dataclass(frozen=True)
class Pending:
    """A delivery waiting to be applied."""

    id: int
    trace_context: str | None


@dataclass(frozen=True)
class DeliveryStatus:
    """What became of one delivery."""

    id: int
    status: str  # pending | processed | failed
    received_at: datetime
    applied_at: datetime | None
    alert_count: int
    incident_ids: list[int]
    error: str | None


def queue_delivery(
    session: Session,
    *,
    source: str,
    body: str,
    key_hash: str,
    alert_count: int,
    now: datetime,
) -> int:
    """Store one delivery to apply later (one statement); returns its id. The current span's
    ``traceparent`` goes with it: applying it joins the trace."""
    statement = (
        insert(_T)
        .values(
            source=source,
            received_at=now,
            key_hash=key_hash,
            alert_count=alert_count,
            body=body,
            incident_ids=[],
            status="pending",
            trace_context=current_traceparent(),
        )
        .returning(_T.c.id)
    )
    return int(session.execute(statement).scalar_one())


def take_turn(session: Session) -> bool:
    """Make this transaction the only one applying deliveries (PostgreSQL: a transaction
    advisory lock, released at commit; SQLite has one writer anyway). False when another
    process holds the turn: it applies the pending deliveries, in order."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _APPLY_LOCK})
    return bool(taken.scalar_one())


def pending(session: Session, *, limit: int) -> list[Pending]:
    """The oldest pending deliveries, in the order received."""
    rows = session.execute(
        select(_T.c.id, _T.c.trace_context)
        .where(_T.c.status == "pending")
        .order_by(_T.c.id)
        .limit(limit)
    )
    return [Pending(id=row.id, trace_context=row.trace_context) for row in rows]


def bodies(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """The stored bodies of ``ids``."""
    if not ids:
        return {}
    rows = session.execute(select(_T.c.id, _T.c.body).where(_T.c.id.in_(ids)))
    return {row.id: row.body for row in rows}


def finish(
    session: Session, outcomes: Sequence[tuple[int, list[int], str | None]], *, now: datetime
) -> None:
    """Mark deliveries applied: ``(id, incident ids, error id or None)`` each, one statement."""
    if not outcomes:
        return
    statement = (
        update(_T)
        .where(_T.c.id == bindparam("delivery_id"))
        .values(
            status=bindparam("new_status"),
            incident_ids=bindparam("touched"),
            error=bindparam("error_id"),
            applied_at=now,
        )
    )
    session.connection().execute(
        statement,
        [
            {
                "delivery_id": delivery_id,
                "new_status": "failed" if error else "processed",
                "touched": incident_ids,
                "error_id": error,
            }
            for delivery_id, incident_ids, error in outcomes
        ],
    )


def delivery_status(session: Session, delivery_id: int) -> DeliveryStatus | None:
    """One delivery's state, or ``None``."""
    row = session.get(WebhookDeliveryRow, delivery_id)
    if row is None or row.id is None:
        return None
    return DeliveryStatus(
        id=row.id,
        status=row.status,
        received_at=row.received_at,
        applied_at=row.applied_at,
        alert_count=row.alert_count,
        incident_ids=list(row.incident_ids or []),
        error=row.error,
    )


def pending_figures(session: Session, *, now: datetime) -> tuple[int, float]:
    """How many deliveries wait, and the age in seconds of the oldest."""
    count, oldest = session.execute(
        select(func.count(), func.min(_T.c.received_at)).where(_T.c.status == "pending")
    ).one()
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return int(count), max(age, 0.0)
