"""Incidents and their timelines: create, load, query, map to read models."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.domain.audit import Entry
from bot.domain.incident import IncidentView, TimelineView
from bot.domain.lifecycle import LIVE
from bot.domain.severity import Severity
from storage.repositories import alerts as alert_repo
from storage.repositories import audit as audit_repo
from storage.repositories._time import aware, maybe_aware
from storage.tables import IncidentRow, TimelineRow

__all__ = [
    "add_timeline",
    "count_opened_since",
    "create_incident",
    "get_incident",
    "list_incidents",
    "open_for_service",
    "to_view",
]


def create_incident(
    session: Session,
    *,
    title: str,
    severity: Severity,
    service: str,
    client: str | None,
    now: datetime,
) -> IncidentRow:
    """Insert an open incident and return it with its id."""
    row = IncidentRow(
        title=title[:200],
        severity=severity.value,
        status="open",
        service=service[:100],
        client=client,
        opened_at=now,
        last_seen_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get_incident(session: Session, incident_id: int, *, lock: bool = False) -> IncidentRow | None:
    """One incident (locked for update when asked)."""
    query = select(IncidentRow).where(IncidentRow.id == incident_id)
    if lock:
        query = query.with_for_update()
    return session.exec(query).first()


def by_channel(session: Session, channel_id: str) -> IncidentRow | None:
    """The incident whose Slack channel is ``channel_id``."""
    query = select(IncidentRow).where(IncidentRow.slack_channel_id == channel_id)
    return session.exec(query).first()


def count_opened_since(session: Session, since: datetime) -> int:
    """Incidents opened at or after ``since`` (the storm guard's rate)."""
    query = select(func.count()).select_from(IncidentRow).where(col(IncidentRow.opened_at) >= since)
    return int(session.exec(query).one())


def open_for_service(session: Session, service: str, since: datetime) -> IncidentRow | None:
    """The newest active incident of ``service`` opened at or after ``since``."""
    query = (
        select(IncidentRow)
        .where(IncidentRow.service == service)
        .where(col(IncidentRow.status).in_(sorted(LIVE)))
        .where(col(IncidentRow.opened_at) >= since)
        .order_by(col(IncidentRow.opened_at).desc())
        .with_for_update()
    )
    return session.exec(query).first()


def list_incidents(
    session: Session,
    *,
    statuses: tuple[str, ...] | None,
    service: str | None,
    severity: str | None,
    limit: int,
) -> list[IncidentRow]:
    """Incidents, newest first, filtered."""
    query = select(IncidentRow).order_by(col(IncidentRow.id).desc()).limit(limit)
    if statuses:
        query = query.where(col(IncidentRow.status).in_(statuses))
    if service:
        query = query.where(IncidentRow.service == service)
    if severity:
        query = query.where(IncidentRow.severity == severity)
    return list(session.exec(query).all())


def add_timeline(
    session: Session,
    *,
    incident_id: int,
    kind: str,
    text: str,
    actor: str,
    surface: str,
    now: datetime,
) -> None:
    """Append one entry to the incident's timeline, and the same change to the audit log
    (in the same transaction: a change is never recorded in one and not the other)."""
    session.add(
        TimelineRow(
            incident_id=incident_id,
            at=now,
            kind=kind,
            actor=actor[:100],
            surface=surface,
            text=text,
        )
    )
    audit_repo.append(
        session,
        Entry(
            at=now,
            actor=actor,
            surface=surface,
            action=f"incident.{kind}",
            target=f"incident:{incident_id}",
            detail={"text": text[:500]},
        ),
    )


def timeline(session: Session, incident_id: int) -> list[TimelineView]:
    """The incident's timeline, oldest first."""
    query = (
        select(TimelineRow)
        .where(TimelineRow.incident_id == incident_id)
        .order_by(col(TimelineRow.at), col(TimelineRow.id))
    )
    return [
        TimelineView(at=aware(r.at), kind=r.kind, actor=r.actor, surface=r.surface, text=r.text)
        for r in session.exec(query)
    ]


def to_view(
    session: Session, row: IncidentRow, *, alert_limit: int | None = 5, with_timeline: bool = False
) -> IncidentView:
    """Row (plus its alerts and, when asked, its timeline) to the read model."""
    assert row.id is not None
    by_status = alert_repo.counts(session, row.id)
    return IncidentView(
        id=row.id,
        number=row.id,
        title=row.title,
        severity=Severity(row.severity),
        status=row.status,
        service=row.service,
        client=row.client,
        opened_at=aware(row.opened_at),
        acknowledged_at=maybe_aware(row.acknowledged_at),
        resolved_at=maybe_aware(row.resolved_at),
        closed_at=maybe_aware(row.closed_at),
        slack_channel_id=row.slack_channel_id,
        jira_key=row.jira_key,
        notion_url=row.notion_url,
        firing_count=by_status.get("firing", 0),
        resolved_count=by_status.get("resolved", 0),
        truncated_alerts=row.truncated_alerts,
        alerts=tuple(alert_repo.newest(session, row.id, alert_limit)),
        timeline=tuple(timeline(session, row.id)) if with_timeline else (),
    )
