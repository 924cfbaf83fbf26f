"""Blocking reads and writes the Slack effects need, each its own short transaction."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.checklists import COMMS, RCA, progress
from bot.domain.incident import DigestEntry, IncidentView
from bot.domain.severity import Severity
from bot.policy import Policy
from storage.db import Database
from storage.repositories import checklists as checklist_repo
from storage.repositories import groups as group_repo
from storage.repositories import incidents as incident_repo
from storage.repositories import outbox as outbox_repo
from storage.repositories import roles as role_repo
from storage.repositories import timers as timer_repo

__all__ = ["SlackRefs", "held_digest", "load_incident", "release_digest", "save_refs"]


@dataclass(frozen=True)
class SlackRefs:
    """Where an incident lives in Slack (each set once, then reused on retries)."""

    channel_id: str | None
    channel_name: str | None
    card_ts: str | None
    alerts_ts: str | None
    announce_ts: str | None
    comms_ts: str | None = None
    rca_ts: str | None = None


def load_incident(
    db: Database, policy: Policy, incident_id: int, *, newest: int = 20
) -> tuple[IncidentView, SlackRefs] | None:
    """The incident's read model (with on-call, playbook, ack deadline) and its Slack refs."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id)
        if row is None:
            return None
        view = incident_repo.to_view(session, row, alert_limit=newest)
        roles = role_repo.roles_of(session, incident_id)
        timers = {plan.kind.value: plan.due_at for plan in timer_repo.armed(session, incident_id)}
        lists = checklist_repo.items_by_checklist(session, incident_id)
        rca_complete = row.rca_completed_at is not None
        summary = row.summary
        refs = SlackRefs(
            row.slack_channel_id,
            row.slack_channel_name,
            row.slack_card_ts,
            row.slack_alerts_ts,
            row.slack_announce_ts,
            row.slack_comms_ts,
            row.slack_rca_ts,
        )
    route = policy.service(view.service)
    view = dataclasses.replace(
        view,
        oncall=tuple(route.oncall),
        playbook=route.playbook,
        ack_due_at=_first_ack_deadline(view, policy) if view.status == "open" else None,
        update_due_at=timers.get("update"),
        roles=roles,
        summary=summary,
        comms_progress=progress(lists[COMMS]) if COMMS in lists else None,
        rca_progress=progress(lists[RCA]) if RCA in lists else None,
        rca_due_at=lists[RCA][0].due_at if RCA in lists else None,
        rca_complete=rca_complete,
    )
    return view, refs


def _first_ack_deadline(view: IncidentView, policy: Policy) -> datetime:
    return view.opened_at + policy.severities[view.severity.value].ack_within


def save_refs(
    db: Database, incident_id: int, *, now: datetime, refresh: str | None = None, **refs: Any
) -> None:
    """Record outside ids (``slack_channel_id=…``, ``jira_key=…``) on the incident; with
    ``refresh`` (an effect kind) also queue that effect, e.g. a card edit showing them."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id, lock=True)
        if row is None:
            return
        for name, value in refs.items():
            setattr(row, name, value)
        session.add(row)
        if refresh is not None:
            outbox_repo.enqueue(
                session,
                kind=refresh,
                incident_id=incident_id,
                payload={},
                now=now,
                coalesce_key=f"card:{incident_id}",
                priority=2,
            )


def held_digest(db: Database) -> list[DigestEntry]:
    """The groups the storm guard holds back, for one digest."""
    with db.session() as session:
        return [
            DigestEntry(
                group_labels=dict(group.group_labels or {}),
                service=group.held_service or "default",
                severity=Severity(group.held_severity or "S3"),
                alert_count=group.held_alerts,
                summary=group.held_summary or "",
            )
            for group in group_repo.held_groups(session)
        ]


def release_digest(db: Database, until: datetime) -> None:
    """Mark the held groups reported (those held at or before ``until``)."""
    with db.session() as session:
        groups = [g for g in group_repo.held_groups(session) if g.held_at and g.held_at <= until]
        group_repo.release_held(session, groups)
