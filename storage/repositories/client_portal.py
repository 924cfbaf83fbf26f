"""Read-only queries for what a client may see: their incidents that have been communicated.

An incident is visible to its client only once a client update was posted to them; each
comes with the latest posted update. Only the columns a client may see are selected (never
the title, summary, impact, channel or links); alerts are only counted, for the status word.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.domain.audience import ClientIncident, client_status
from bot.domain.severity import Severity
from storage.repositories._time import aware, maybe_aware
from storage.tables import AlertRow, ClientUpdateRow, IncidentRow

__all__ = ["communicated"]

_VISIBLE: tuple[ColumnElement[Any], ...] = (
    col(IncidentRow.id).label("id"),
    col(IncidentRow.client).label("client"),
    col(IncidentRow.service).label("service"),
    col(IncidentRow.severity).label("severity"),
    col(IncidentRow.status).label("status"),
    col(IncidentRow.opened_at).label("opened_at"),
    col(IncidentRow.resolved_at).label("resolved_at"),
)


def _latest_posted(client: str | None) -> Subquery:
    """Posted updates ranked newest first per incident and client (rank 1 is the latest)."""
    rank = (
        func.row_number()
        .over(
            partition_by=(col(ClientUpdateRow.incident_id), col(ClientUpdateRow.client)),
            order_by=(col(ClientUpdateRow.posted_at).desc(), col(ClientUpdateRow.id).desc()),
        )
        .label("rank")
    )
    query = sa_select(
        col(ClientUpdateRow.incident_id).label("incident_id"),
        col(ClientUpdateRow.client).label("client"),
        col(ClientUpdateRow.text).label("text"),
        col(ClientUpdateRow.posted_at).label("posted_at"),
        rank,
    ).where(col(ClientUpdateRow.status) == "posted")
    if client is not None:
        query = query.where(col(ClientUpdateRow.client) == client)
    return query.subquery()


def _alert_counts(session: Session, ids: Sequence[int]) -> dict[tuple[int, str], int]:
    if not ids:
        return {}
    query = (
        select(AlertRow.incident_id, AlertRow.status, func.count())
        .where(col(AlertRow.incident_id).in_(ids))
        .group_by(col(AlertRow.incident_id), col(AlertRow.status))
    )
    return {(incident, status): int(n) for incident, status, n in session.exec(query)}


def communicated(
    session: Session,
    *,
    client: str | None,
    incident_id: int | None = None,
    statuses: Sequence[str] | None = None,
    limit: int = 25,
) -> list[ClientIncident]:
    """Incidents of ``client`` (None: of whichever client each belongs to) with a posted
    client update, newest first; one incident when ``incident_id`` is given."""
    latest = _latest_posted(client)
    query = (
        sa_select(*_VISIBLE, latest.c.text, latest.c.posted_at)
        .join(
            latest,
            and_(
                latest.c.incident_id == col(IncidentRow.id),
                latest.c.client == col(IncidentRow.client),
                latest.c.rank == 1,
            ),
        )
        .order_by(col(IncidentRow.id).desc())
        .limit(limit)
    )
    if client is not None:
        query = query.where(col(IncidentRow.client) == client)
    if incident_id is not None:
        query = query.where(col(IncidentRow.id) == incident_id)
    if statuses:
        query = query.where(col(IncidentRow.status).in_(list(statuses)))
    rows = list(session.connection().execute(query).all())
    counts = _alert_counts(session, [row.id for row in rows])
    return [_to_client(row, counts) for row in rows]


def _to_client(row: Any, counts: dict[tuple[int, str], int]) -> ClientIncident:
    word = client_status(
        row.status,
        alerts_firing=counts.get((row.id, "firing"), 0),
        alerts_cleared=counts.get((row.id, "resolved"), 0),
    )
    return ClientIncident(
        number=int(row.id),
        client=str(row.client),
        service=str(row.service),
        severity=Severity(row.severity),
        status=word,
        opened_at=aware(row.opened_at),
        resolved_at=maybe_aware(row.resolved_at) if word == "resolved" else None,
        update_text=str(row.text),
        update_posted_at=maybe_aware(row.posted_at),
    )
