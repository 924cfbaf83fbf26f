"""Alert groups: one row per Alertmanager ``groupKey``, locked while a notification is applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, and_, bindparam, case, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.tables import AlertGroupRow, IncidentRow
from storage.types import UTCDateTime

__all__ = ["LockedGroup", "held_groups", "lock_group", "release_held"]


@dataclass(frozen=True)
class LockedGroup:
    """The group's row, locked; and, when asked for and the group had no incident, how many
    incidents were opened since the given time (the storm guard's rate), else None."""

    row: AlertGroupRow
    opened_since: int | None


def lock_group(
    session: Session,
    *,
    key_hash: str,
    group_key: str,
    labels: dict[str, str],
    now: datetime,
    count_opened_since: datetime | None = None,
) -> LockedGroup:
    """Create the group if new, set its ``last_seen_at``, and lock its row until the transaction
    ends: one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement.

    Concurrent deliveries for one group queue here, so only one of them can open its incident
    (PostgreSQL: the row lock of the update, and the row returned is the newest version, with
    the incident the delivery before this one opened; SQLite: the write lock taken at
    ``BEGIN IMMEDIATE``). With ``count_opened_since``, a group without an incident also gets
    the count of incidents opened since then (the storm guard's rate), in the same statement."""
    params = {
        "key_hash": key_hash,
        "group_key": group_key,
        "group_labels": labels,
        "now": now,
        "since": count_opened_since or now,
        "count": count_opened_since is not None,
    }
    group, count = session.execute(_statement(session), params).one()
    return LockedGroup(group, None if count is None else int(count))


_STATEMENTS: dict[str, Any] = {}


def _statement(session: Session) -> Any:
    """The upsert for the session's dialect, built once (its SQL is cached with it)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _STATEMENTS:
        _STATEMENTS[dialect] = _build(
            postgresql.insert if dialect == "postgresql" else sqlite.insert
        )
    return _STATEMENTS[dialect]


def _build(insert_into: Any) -> Any:
    insert = insert_into(AlertGroupRow).values(
        key_hash=bindparam("key_hash"),
        group_key=bindparam("group_key"),
        group_labels=bindparam("group_labels", type_=JSON),
        first_seen_at=bindparam("now", type_=UTCDateTime),
        last_seen_at=bindparam("now", type_=UTCDateTime),
        held_alerts=0,
    )
    upsert = insert.on_conflict_do_update(
        index_elements=["key_hash"], set_={"last_seen_at": insert.excluded.last_seen_at}
    )
    opened = (
        select(func.count())
        .select_from(IncidentRow)
        .where(col(IncidentRow.opened_at) >= bindparam("since", type_=UTCDateTime))
        .scalar_subquery()
    )
    # ``coalesce(incident_id, 0) = 0``, not ``incident_id IS NULL``: SQLite 3.40 evaluates the
    # latter to false in a RETURNING clause for a row it has just inserted (ids start at 1).
    no_incident = func.coalesce(col(AlertGroupRow.incident_id), 0) == 0
    wanted = bindparam("count", type_=Boolean)
    rate = case((and_(wanted, no_incident), opened), else_=None).label("opened_since")
    # An ORM select from the statement: the row joins the session as if loaded by a query.
    return select(AlertGroupRow, rate).from_statement(upsert.returning(AlertGroupRow, rate))


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
