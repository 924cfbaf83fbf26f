"""Checklists inside the caller's transaction: keep an incident's comms checklist, playbook
steps and RCA sections in step with its state, tick items when opsbot does the thing, and
queue the edit of the checklist messages in Slack."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session

from bot.domain import rca as rca_domain
from bot.domain.checklists import (
    COMMS,
    PLAYBOOK,
    RCA,
    CommsEvent,
    CommsItem,
    ItemSpec,
    ItemState,
    auto_ticks,
    comms_items,
)
from bot.domain.lifecycle import Refused, Status
from bot.domain.playbooks import Playbook, PlaybookError
from bot.domain.severity import Severity
from bot.playbook_files import load_playbook
from bot.policy import Policy
from bot.services import effect_kinds as fx
from storage.db import Database
from storage.repositories import checklists as repo
from storage.repositories import incidents as incident_repo
from storage.repositories import outbox
from storage.tables import ChecklistItemRow, IncidentRow

__all__ = [
    "Deadlines",
    "load_lists",
    "playbook_for",
    "queue_message",
    "record",
    "record_event",
    "refresh",
    "tick",
    "tick_item",
]

log = logging.getLogger("opsbot.checklists")


@dataclass(frozen=True)
class Deadlines:
    """What the timers need from the checklists."""

    notice_due_at: datetime | None
    rca_complete: bool


def refresh(session: Session, policy: Policy, row: IncidentRow, now: datetime) -> Deadlines:
    """Create or adjust the incident's checklists for its current state and severity; queue
    a Slack edit of the comms checklist when it changed and the incident has a channel.

    One read of the incident's items serves all three checklists (this runs whenever an
    incident opens or changes)."""
    assert row.id is not None
    existing = repo.rows_by_checklist(session, row.id)
    wanted = _comms(policy, row)
    comms = existing.get(COMMS, [])
    changed = repo.sync(session, incident_id=row.id, checklist=COMMS, wanted=wanted, existing=comms)
    if changed and row.slack_comms_ts:
        queue_message(session, row.id, COMMS, now)
    if PLAYBOOK not in existing:
        steps = playbook_for(policy, row.service).steps
        specs = [ItemSpec(s.key, s.text, section=s.section) for s in steps]
        repo.sync(session, incident_id=row.id, checklist=PLAYBOOK, wanted=specs, existing=[])
    if Status(row.status) in (Status.RESOLVED, Status.CLOSED) and row.resolved_at is not None:
        due = row.resolved_at + policy.severities[Severity(row.severity).value].rca_due
        specs = [ItemSpec(s.key, s.title, due) for s in rca_domain.SECTIONS]
        rca_rows = existing.get(RCA, [])
        repo.sync(session, incident_id=row.id, checklist=RCA, wanted=specs, existing=rca_rows)
    return Deadlines(
        notice_due_at=_notice_due(wanted, comms),
        rca_complete=row.rca_completed_at is not None or row.rca_waived_by is not None,
    )


def _notice_due(wanted: list[ItemSpec], rows: list[ChecklistItemRow]) -> datetime | None:
    """The client-notice deadline while the notice is wanted and not done."""
    spec = next((w for w in wanted if w.key == CommsItem.CLIENT_NOTICE.value), None)
    done = any(r.key == spec.key and r.done_at is not None for r in rows) if spec else False
    return spec.due_at if spec is not None and not done else None


def _comms(policy: Policy, row: IncidentRow) -> list[ItemSpec]:
    severity = Severity(row.severity)
    client = policy.clients.get(row.client) if row.client else None
    notice = client.notice_within.get(severity.value) if client else None
    return comms_items(
        severity=severity,
        opened_at=row.opened_at,
        update_every=policy.severities[severity.value].update_every,
        client_name=client.name if client else None,
        notice_within=notice,
    )


def record(
    session: Session, row: IncidentRow, event: CommsEvent, *, by: str, now: datetime
) -> list[str]:
    """Tick what ``event`` completes; returns the keys newly ticked."""
    assert row.id is not None
    keys = auto_ticks(
        event,
        has_client=row.client is not None,
        resolved=row.status in (Status.RESOLVED.value, Status.CLOSED.value),
        rca_complete=row.rca_completed_at is not None,
    )
    current = {i.key: i for i in repo.items(session, row.id, COMMS)}
    ticked = []
    for key in keys:
        item = current.get(key)
        if item is not None and not item.done:
            repo.tick(
                session, incident_id=row.id, checklist=COMMS, key=key, done=True, by=by, now=now
            )
            ticked.append(key)
    if ticked and row.slack_comms_ts:
        queue_message(session, row.id, COMMS, now)
    return ticked


def tick(
    session: Session,
    row: IncidentRow,
    *,
    checklist: str,
    key: str,
    done: bool,
    by: str,
    now: datetime,
) -> ItemState | None:
    """A person ticks (or unticks) an item; queues the message edit."""
    assert row.id is not None
    item = repo.tick(
        session, incident_id=row.id, checklist=checklist, key=key, done=done, by=by, now=now
    )
    if item is not None:
        queue_message(session, row.id, checklist, now)
    return item


def queue_message(session: Session, incident_id: int, checklist: str, now: datetime) -> None:
    """Queue the (coalesced) edit of a checklist message."""
    outbox.enqueue(
        session,
        kind=fx.CHECKLIST_CHANGED,
        incident_id=incident_id,
        payload={"checklist": checklist},
        now=now,
        coalesce_key=f"checklist:{incident_id}:{checklist}",
        priority=fx.COSMETIC,
    )


def playbook_for(policy: Policy, service: str) -> Playbook:
    """The service's playbook; the built-in default when its file cannot be read now."""
    return _load(policy.playbook_ref(service), policy.base_dir)


@lru_cache(maxsize=64)
def _load(ref: str | None, base_dir: Path) -> Playbook:
    try:
        return load_playbook(ref, base_dir=base_dir)
    except PlaybookError as exc:
        log.warning("playbook unreadable; the default is used", extra={"error": str(exc)})
        return load_playbook(None, base_dir=base_dir)


# ----- use cases with their own transaction ------------------------------------------------
def load_lists(db: Database, incident_id: int) -> dict[str, list[ItemState]]:
    """Every checklist of the incident, by name."""
    with db.session() as session:
        return repo.items_by_checklist(session, incident_id)


def record_event(db: Database, incident_id: int, event: CommsEvent, now: datetime) -> None:
    """Tick what ``event`` completes (an armed notice timer that fires later finds the item
    done and does nothing)."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id, lock=True)
        if row is not None:
            record(session, row, event, by="opsbot", now=now)


def tick_item(
    db: Database,
    incident_id: int,
    *,
    checklist: str,
    key: str,
    done: bool,
    by: str,
    now: datetime,
) -> ItemState:
    """A person ticks or unticks an item; the timeline records it. ``LookupError`` when the
    incident or the item does not exist."""
    with db.session() as session:
        row = incident_repo.get_incident(session, incident_id, lock=True)
        if row is None:
            raise LookupError(f"There is no incident {incident_id}.")
        if checklist == RCA:
            raise Refused("RCA sections are done by writing them: `/incident rca`.")
        item = tick(session, row, checklist=checklist, key=key, done=done, by=by, now=now)
        if item is None:
            raise LookupError("That checklist item no longer exists.")
        verb = "done" if done else "not done"
        incident_repo.add_timeline(
            session,
            incident_id=incident_id,
            kind=f"checklist.{checklist}",
            text=f"{item.label}: {verb}",
            actor=by,
            surface="button",
            now=now,
        )
        return item
