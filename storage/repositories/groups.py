"""Alert groups: one row per Alertmanager ``groupKey``, locked while a notification is applied."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.repositories._upsert import insert_for
from storage.tables import AlertGroupRow

__all__ = ["held_groups", "lock_group", "release_held"]


def lock_group(
    session: Session, *, key_hash: str, group_key: str, labels: dict[str, str], now: datetime
) -> AlertGroupRow:
    """Create the group if new, then lock its row until the transaction ends.

    Concurrent deliveries for one group queue here, so only one of them can open its incident
    (PostgreSQL: ``FOR UPDATE``; SQLite: the write lock taken at ``BEGIN IMMEDIATE``)."""
    insert = insert_for(session, AlertGroupRow).values(
        key_hash=key_hash,
        group_key=group_key,
        group_labels=labels,
        first_seen_at=now,
        last_seen_at=now,
        held_alerts=0,
    )
    session.exec(insert.on_conflict_do_nothing(index_elements=["key_hash"]))
    query = select(AlertGroupRow).where(AlertGroupRow.key_hash == key_hash).with_for_update()
    return session.exec(query).one()


def held_groups(session: Session) -> list[AlertGroupRow]:
    """Groups the storm guard held back and no digest has reported yet."""
    query = select(AlertGroupRow).where(col(AlertGroupRow.held_at).is_not(None))
    return list(session.exec(query.order_by(col(AlertGroupRow.held_at))).all())


def release_held(session: Session, groups: list[AlertGroupRow]) -> None:
    """Mark held groups as reported; their next notification may open an incident."""
    for group in groups:
        group.held_at = None
        group.held_alerts = 0
        session.add(group)
