"""The audit log: append under the head's lock (one writer at a time, on both databases),
read in id order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlmodel import Session, col, select

from bot.domain.audit import GENESIS, Entry, chain_hash
from storage.tables import AuditHeadRow, AuditRow

__all__ = ["append", "entries", "rows"]


def _head(session: Session) -> AuditHeadRow:
    head = session.exec(select(AuditHeadRow).where(AuditHeadRow.id == 1).with_for_update()).first()
    if head is None:
        head = AuditHeadRow(id=1, last_id=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def append(session: Session, entry: Entry) -> int:
    """Append ``entry`` in the caller's transaction; its id."""
    head = _head(session)
    digest = chain_hash(head.last_hash, entry)
    row = AuditRow(
        at=entry.at,
        actor=entry.actor[:100],
        surface=entry.surface[:16],
        source=entry.source[:200],
        action=entry.action[:64],
        target=entry.target[:200],
        detail=entry.detail,
        prev_hash=head.last_hash,
        hash=digest,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    head.last_id, head.last_hash = row.id, digest
    session.add(head)
    return row.id


def _entry(row: AuditRow) -> Entry:
    return Entry(
        at=row.at,
        actor=row.actor,
        surface=row.surface,
        action=row.action,
        target=row.target,
        source=row.source,
        detail=dict(row.detail or {}),
    )


def rows(session: Session, *, batch: int = 1000) -> Iterator[tuple[int, str, str, Entry]]:
    """Every entry as (id, prev_hash, hash, entry), in id order, read in batches."""
    last = 0
    while True:
        page = session.exec(
            select(AuditRow).where(col(AuditRow.id) > last).order_by(col(AuditRow.id)).limit(batch)
        ).all()
        if not page:
            return
        for row in page:
            assert row.id is not None
            yield row.id, row.prev_hash, row.hash, _entry(row)
        last = page[-1].id or last


def entries(
    session: Session, *, since: datetime | None, limit: int, after_id: int = 0
) -> list[tuple[int, Entry, str]]:
    """Entries (id, entry, hash) after ``after_id`` and at or after ``since``, oldest first."""
    query = select(AuditRow).where(col(AuditRow.id) > after_id)
    if since is not None:
        query = query.where(col(AuditRow.at) >= since)
    query = query.order_by(col(AuditRow.id)).limit(limit)
    return [(row.id or 0, _entry(row), row.hash) for row in session.exec(query)]
