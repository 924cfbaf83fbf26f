"""Incident roles: one person per role per incident."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage.tables import IncidentRoleRow

__all__ = ["assign", "roles_of"]


def assign(
    session: Session, *, incident_id: int, role: str, user_id: str, now: datetime
) -> str | None:
    """Give ``role`` to ``user_id``; returns who held it before (None if nobody)."""
    row = session.get(IncidentRoleRow, (incident_id, role))
    previous = row.user_id if row else None
    if row is None:
        row = IncidentRoleRow(incident_id=incident_id, role=role, user_id=user_id, assigned_at=now)
    else:
        row.user_id, row.assigned_at = user_id, now
    session.add(row)
    return previous


def roles_of(session: Session, incident_id: int) -> dict[str, str]:
    """Role → user id."""
    query = select(IncidentRoleRow).where(IncidentRoleRow.incident_id == incident_id)
    return {row.role: row.user_id for row in session.exec(query)}
