"""Read-side use cases: incidents for the REST API and Slack."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.incident import TimelineView
from storage.db import Database
from storage.repositories import incidents as incident_repo
from storage.repositories import outbox as outbox_repo

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


def sync_state(*, db: Database, incident_id: int) -> dict[str, Any] | None:
    """Where the incident's Slack, Jira and Notion effects stand."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id)
        if row is None:
            return None
        lanes = outbox_repo.lanes_of(session, incident_id)
        return {"jira_key": row.jira_key, "notion_url": row.notion_url, "lanes": lanes}


def redrive_dead(*, db: Database, now: datetime, ids: list[int] | None = None) -> int:
    """Put dead effects back in the queue."""
    with db.session() as session:
        return outbox_repo.redrive(session, now=now, ids=ids)


def get_incident(*, db: Database, incident_id: int) -> dict[str, Any] | None:
    """One incident in its public shape, with every alert and the whole timeline."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id)
        if row is None:
            return None
        return incident_repo.to_view(session, row, alert_limit=None, with_timeline=True).public()
