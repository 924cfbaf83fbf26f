"""HITL requests: runs waiting for a human, posted once, decided once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.tables import HitlRequestRow

__all__ = ["HitlRequest", "add_if_new", "claim", "get", "open_threads", "settle"]


@dataclass(frozen=True)
class HitlRequest:
    """A request as the services see it."""

    id: int
    source: str
    thread_id: str
    run_id: str
    workflow: str
    question: str
    status: str
    slack_channel: str | None
    slack_ts: str | None
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    result_state: str | None


def _view(row: HitlRequestRow) -> HitlRequest:
    return HitlRequest(
        id=row.id or 0,
        source=row.source,
        thread_id=row.thread_id,
        run_id=row.run_id,
        workflow=row.workflow,
        question=row.question,
        status=row.status,
        slack_channel=row.slack_channel,
        slack_ts=row.slack_ts,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        comment=row.comment,
        result_state=row.result_state,
    )


def add_if_new(
    session: Session,
    *,
    source: str,
    thread_id: str,
    run_id: str,
    workflow: str,
    question: str,
    now: datetime,
) -> int | None:
    """Record a waiting thread; its id when new, None when it was known (also when another
    process recorded it at the same moment)."""
    known = session.exec(select(HitlRequestRow.id).where(HitlRequestRow.thread_id == thread_id))
    if known.first() is not None:
        return None
    row = HitlRequestRow(
        source=source,
        thread_id=thread_id,
        run_id=run_id,
        workflow=workflow,
        question=question[:3000],
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row.id


def get(session: Session, request_id: int) -> HitlRequest | None:
    """One request."""
    row = session.get(HitlRequestRow, request_id)
    return _view(row) if row else None


def open_threads(session: Session, source: str) -> dict[str, int]:
    """Thread ids still waiting, with their request ids."""
    query = (
        select(HitlRequestRow)
        .where(HitlRequestRow.source == source)
        .where(col(HitlRequestRow.status) == "waiting")
    )
    return {row.thread_id: row.id or 0 for row in session.exec(query)}


def claim(session: Session, request_id: int) -> HitlRequest | None:
    """Lock a waiting request and mark it ``deciding`` (None: gone or decided already)."""
    row = session.exec(
        select(HitlRequestRow).where(HitlRequestRow.id == request_id).with_for_update()
    ).first()
    if row is None or row.status != "waiting":
        return None
    row.status = "deciding"
    session.add(row)
    return _view(row)


def settle(session: Session, request_id: int, **fields: object) -> HitlRequest | None:
    """Set fields (status, decided_by, slack_ts, ...) on a request."""
    row = session.get(HitlRequestRow, request_id)
    if row is None:
        return None
    for name, value in fields.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return _view(row)
