"""RCA use cases: fill in a section, add an action item, read where the RCA stands, render it.

The RCA starts when the incident is resolved (its sections become checklist items due by
severity). When the last section is done the RCA is complete: the timeline says so, its
reminders stop, the Markdown document is posted in the incident channel, and Jira (action
items as linked issues) and Notion (the RCA appended to the incident's page) are queued."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from bot.domain import rca as domain
from bot.domain.checklists import RCA
from bot.domain.lifecycle import Refused
from bot.policy import Policy
from bot.services import effect_kinds as fx
from bot.services import lifecycle
from bot.services.sync import NO_SYNC, SyncTargets
from bot.services.sync import queue as queue_sync
from storage.db import Database
from storage.repositories import checklists as repo
from storage.repositories import incidents as incident_repo
from storage.repositories import outbox
from storage.tables import IncidentRow

__all__ = ["add_action", "load", "markdown", "save_section"]


def load(*, db: Database, incident_id: int) -> domain.RcaStatus | None:
    """The RCA of the incident; None when there is no such incident."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id)
        return _status(session, row) if row is not None else None


def _status(session: Session, row: IncidentRow) -> domain.RcaStatus:
    assert row.id is not None
    items = {i.key: i for i in repo.items(session, row.id, RCA)}
    contents = repo.content(session, row.id, RCA)
    sections = tuple(
        domain.SectionState(
            sec, items[sec.key].done if sec.key in items else False, contents.get(sec.key, {})
        )
        for sec in domain.SECTIONS
    )
    due = next((i.due_at for i in items.values()), None)
    return domain.RcaStatus(
        incident_id=row.id,
        status=row.status,
        started=bool(items),
        due_at=due,
        sections=sections,
        actions=tuple(repo.actions(session, row.id)),
        completed_at=row.rca_completed_at,
        waived_by=row.rca_waived_by,
        waiver_reason=row.rca_waiver_reason,
    )


def _started(session: Session, incident_id: int) -> IncidentRow:
    row = incident_repo.get_incident(session, incident_id, lock=True)
    if row is None:
        raise LookupError(f"There is no incident {incident_id}.")
    if not repo.items(session, incident_id, RCA):
        raise Refused("The RCA starts when the incident is resolved.")
    return row


def save_section(
    *,
    db: Database,
    policy: Policy,
    incident_id: int,
    key: str,
    values: dict[str, str],
    actor: lifecycle.Actor,
    now: datetime,
    slack: bool,
    sync: SyncTargets = NO_SYNC,
) -> domain.RcaStatus:
    """Store a section's form; ``Refused`` with the missing fields when it is incomplete."""
    sec = domain.section(key)
    missing = domain.missing_fields(sec, values)
    if missing:
        raise Refused("; ".join(f"{k}: {v}" for k, v in missing.items()))
    cleaned = {k: v.strip()[:3000] for k, v in values.items() if v and v.strip()}
    with db.session() as session:
        row = _started(session, incident_id)
        repo.set_content(session, incident_id=incident_id, checklist=RCA, key=key, values=cleaned)
        actions = len(repo.actions(session, incident_id))
        done = domain.section_done(sec, cleaned, actions)
        repo.tick(
            session,
            incident_id=incident_id,
            checklist=RCA,
            key=key,
            done=done,
            by=actor.user_id,
            now=now,
        )
        _timeline(session, incident_id, f"RCA: {sec.title} written", actor, now)
        _settle(session, policy, row, actor, now, slack=slack, sync=sync)
        return _status(session, row)


def add_action(
    *,
    db: Database,
    policy: Policy,
    incident_id: int,
    text: str,
    owner: str,
    due: date,
    actor: lifecycle.Actor,
    now: datetime,
    slack: bool,
    sync: SyncTargets = NO_SYNC,
) -> domain.RcaStatus:
    """Add an action item (which completes the action items section)."""
    if not text.strip():
        raise Refused("An action item needs a description.")
    if due < now.date():
        raise Refused("The due date is in the past.")
    with db.session() as session:
        row = _started(session, incident_id)
        repo.add_action(
            session,
            incident_id=incident_id,
            text=text.strip()[:1000],
            owner=owner,
            due=due,
            by=actor.user_id,
            now=now,
        )
        repo.tick(
            session,
            incident_id=incident_id,
            checklist=RCA,
            key=domain.ACTION_ITEMS,
            done=True,
            by=actor.user_id,
            now=now,
        )
        _timeline(
            session,
            incident_id,
            f"RCA action item: {text.strip()[:200]} (<@{owner}>, due {due})",
            actor,
            now,
        )
        was_complete = row.rca_completed_at is not None
        _settle(session, policy, row, actor, now, slack=slack, sync=sync)
        if was_complete:
            queue_sync(
                session,
                sync,
                incident_id=incident_id,
                event="rca_action",
                text="",
                actor=actor.user_id,
                now=now,
            )
        return _status(session, row)


def _settle(
    session: Session,
    policy: Policy,
    row: IncidentRow,
    actor: lifecycle.Actor,
    now: datetime,
    *,
    slack: bool,
    sync: SyncTargets,
) -> None:
    """After any RCA change: complete the RCA when every section is done; refresh Slack."""
    assert row.id is not None
    items = repo.items(session, row.id, RCA)
    if row.rca_completed_at is None and items and all(i.done for i in items):
        row.rca_completed_at = now
        session.add(row)
        _timeline(session, row.id, "RCA complete", actor, now)
        queue_sync(
            session,
            sync,
            incident_id=row.id,
            event="rca_complete",
            text="RCA complete",
            actor=actor.user_id,
            now=now,
        )
        lifecycle.rearm(session, policy, row, now)
    if not slack:
        return
    if row.rca_completed_at is not None:
        outbox.enqueue(
            session,
            kind=fx.RCA_DOC,
            incident_id=row.id,
            payload={},
            now=now,
            coalesce_key=f"rca:{row.id}",
        )
    outbox.enqueue(
        session,
        kind=fx.INCIDENT_CHANGED,
        incident_id=row.id,
        payload={},
        now=now,
        coalesce_key=f"card:{row.id}",
        priority=fx.COSMETIC,
    )


def markdown(*, db: Database, incident_id: int) -> str | None:
    """The RCA as one Markdown document (None: no such incident, or not started)."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id)
        if row is None or row.id is None:
            return None
        status = _status(session, row)
        if not status.started:
            return None
        facts = domain.RcaFacts(
            number=row.id,
            title=row.title,
            severity=row.severity,
            service=row.service,
            client=row.client,
            opened_at=row.opened_at,
            acknowledged_at=row.acknowledged_at,
            resolved_at=row.resolved_at,
            summary=row.summary,
        )
    contents = {s.section.key: s.values for s in status.sections}
    return domain.render_markdown(facts, contents, [a for _, a in status.actions])


def _timeline(
    session: Session, incident_id: int, text: str, actor: lifecycle.Actor, now: datetime
) -> None:
    incident_repo.add_timeline(
        session,
        incident_id=incident_id,
        kind="rca",
        text=text,
        actor=actor.user_id,
        surface=actor.surface,
        now=now,
    )


def pending_actions(*, db: Database, incident_id: int) -> list[tuple[int, domain.ActionItem]]:
    """The incident's action items that have no Jira issue recorded yet, oldest first."""
    with db.session() as session:
        return [(i, item) for i, item in repo.actions(session, incident_id) if not item.jira_key]


def save_action_key(*, db: Database, action_id: int, key: str) -> None:
    """Record the Jira issue created for an action item."""
    with db.session() as session:
        repo.set_action_jira_key(session, action_id, key)
