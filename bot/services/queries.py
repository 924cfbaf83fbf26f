"""Read-side use cases: incidents for the REST API and Slack."""

from __future__ import annotations

from typing import Any

from bot.domain.incident import TimelineView
from storage.db import Database
from storage.repositories import incidents as incident_repo

__all__ = ["get_incident", "list_incidents"]

_STATUSES: dict[str, tuple[str, ...] | None] = {
    "open": ("open", "acknowledged"),
    "acknowledged": ("acknowledged",),
    "resolved": ("resolved",),
    "closed": ("closed",),
    "all": None,
}


def list_incidents(
    *, db: Database, status: str, service: str | None, severity: str | None, limit: int
) -> list[dict[str, Any]]:
    """Incidents in their public shape (alerts cut to the newest five, no timeline)."""
    with db.session() as session:
        rows = incident_repo.list_incidents(
            session, statuses=_STATUSES[status], service=service, severity=severity, limit=limit
        )
        return [incident_repo.to_view(session, row).public() for row in rows]


def incident_in_channel(*, db: Database, channel_id: str) -> int | None:
    """The id of the incident whose channel this is."""
    with db.session() as session:
        row = incident_repo.by_channel(session, channel_id)
        return row.id if row else None


def timeline_of(*, db: Database, incident_id: int) -> list[TimelineView] | None:
    """The incident's timeline, or None when there is no such incident."""
    with db.session() as session:
        if incident_repo.get_incident(session, incident_id) is None:
            return None
        return incident_repo.timeline(session, incident_id)


def get_incident(*, db: Database, incident_id: int) -> dict[str, Any] | None:
    """One incident in its public shape, with every alert and the whole timeline."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id)
        if row is None:
            return None
        return incident_repo.to_view(session, row, alert_limit=None, with_timeline=True).public()
