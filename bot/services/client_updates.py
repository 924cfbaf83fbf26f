"""Client updates: drafted by a responder, redacted, previewed, approved (by a second person
where the severity asks for it), then posted to the client's Slack Connect channel through
the outbox. Nothing leaves before the approval; who drafted and who approved is recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.domain.checklists import CommsEvent
from bot.domain.lifecycle import Refused
from bot.domain.redaction import Redactor
from bot.policy import Policy
from bot.services import checklists
from bot.services import effect_kinds as fx
from storage.db import Database
from storage.repositories import incidents as incident_repo
from storage.repositories import outbox
from storage.tables import ClientUpdateRow, IncidentRow

__all__ = ["ClientUpdateView", "approve", "discard", "draft", "load", "record_result"]

_LIVE_DRAFT = ("pending_approval", "approved")


@dataclass(frozen=True)
class ClientUpdateView:
    """A client update as the effects and handlers need it."""

    id: int
    incident_id: int
    client: str
    client_name: str
    shared_channel: str
    text: str
    redactions: int
    status: str
    needs_approval: bool
    drafted_by: str
    approved_by: str | None
    preview_ts: str | None
    reason: str | None


def _client_of(policy: Policy, incident: IncidentRow) -> str:
    client = policy.client_of(incident.service, incident.client)
    if client is None or client not in policy.clients:
        raise Refused("This incident has no registered client to update.")
    return client


def _timeline(session: Session, incident_id: int, text: str, actor: str, now: datetime) -> None:
    incident_repo.add_timeline(
        session,
        incident_id=incident_id,
        kind="client_update",
        text=text,
        actor=actor,
        surface="slack",
        now=now,
    )


def draft(
    *, db: Database, policy: Policy, incident_id: int, text: str, drafter: str, now: datetime
) -> ClientUpdateView:
    """Redact and store the draft, and queue its preview in the incident channel."""
    if not text.strip():
        raise Refused("A client update needs text.")
    redactor = Redactor(
        extra_patterns=policy.redaction.extra_patterns, names=policy.redaction.names
    )
    clean, findings = redactor.redact(text.strip())
    with db.session() as session:
        incident = incident_repo.get_incident(session, incident_id, lock=True)
        if incident is None:
            raise LookupError(f"There is no incident {incident_id}.")
        client = _client_of(policy, incident)
        needs = incident.severity in policy.clients[client].approval_required
        row = ClientUpdateRow(
            incident_id=incident_id,
            client=client,
            text=clean[:3000],
            redactions=len(findings),
            status="pending_approval",
            needs_approval=needs,
            drafted_by=drafter,
            drafted_at=now,
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        _timeline(session, incident_id, f"Client update #{row.id} drafted", drafter, now)
        outbox.enqueue(
            session,
            kind=fx.CLIENT_PREVIEW,
            incident_id=incident_id,
            payload={"update_id": row.id},
            now=now,
        )
        return _to_view(row, policy)


def approve(
    *, db: Database, policy: Policy, update_id: int, approver: str, now: datetime
) -> ClientUpdateView:
    """Approve and queue the post; a second person is required where the severity says so."""
    with db.session() as session:
        row = _locked(session, update_id)
        if row.status not in _LIVE_DRAFT or row.status == "approved":
            raise Refused(f"Client update #{update_id} is {row.status.replace('_', ' ')}.")
        if row.needs_approval and approver == row.drafted_by:
            raise Refused(
                "This client update needs a second person's approval: ask someone else to post it."
            )
        row.status, row.approved_by, row.approved_at = "approved", approver, now
        session.add(row)
        _timeline(session, row.incident_id, f"Client update #{update_id} approved", approver, now)
        outbox.enqueue(
            session,
            kind=fx.CLIENT_POST,
            incident_id=row.incident_id,
            payload={"update_id": update_id},
            now=now,
            priority=fx.URGENT,
        )
        return _to_view(row, policy)


def discard(
    *, db: Database, policy: Policy, update_id: int, actor: str, now: datetime
) -> ClientUpdateView:
    """Drop a draft that has not been posted."""
    with db.session() as session:
        row = _locked(session, update_id)
        if row.status != "pending_approval":
            raise Refused(f"Client update #{update_id} is {row.status.replace('_', ' ')}.")
        row.status = "discarded"
        session.add(row)
        _timeline(session, row.incident_id, f"Client update #{update_id} discarded", actor, now)
        return _to_view(row, policy)


def load(*, db: Database, policy: Policy, update_id: int) -> ClientUpdateView | None:
    """One client update."""
    with db.session() as session:
        row = session.get(ClientUpdateRow, update_id)
        return _to_view(row, policy) if row else None


def record_result(
    *,
    db: Database,
    update_id: int,
    now: datetime,
    posted_ts: str | None = None,
    channel: str | None = None,
    refused: str | None = None,
    preview_ts: str | None = None,
) -> None:
    """Record what the Slack effect did: the preview's ts, the post, or the refusal."""
    with db.session() as session:
        row = _locked(session, update_id)
        if preview_ts is not None:
            row.preview_ts = preview_ts
        if posted_ts is not None:
            row.status, row.slack_ts, row.slack_channel, row.posted_at = (
                "posted",
                posted_ts,
                channel,
                now,
            )
            _timeline(session, row.incident_id, f"Client update #{update_id} posted", "opsbot", now)
            incident = incident_repo.get_incident(session, row.incident_id, lock=True)
            if incident is not None:
                checklists.record(session, incident, CommsEvent.CLIENT_POSTED, by="opsbot", now=now)
        if refused is not None:
            row.status, row.reason = "refused", refused
            _timeline(
                session,
                row.incident_id,
                f"Client update #{update_id} refused: {refused}",
                "opsbot",
                now,
            )
        session.add(row)


def _locked(session: Session, update_id: int) -> ClientUpdateRow:
    row = session.get(ClientUpdateRow, update_id, with_for_update=True)
    if row is None:
        raise LookupError(f"There is no client update {update_id}.")
    return row


def _to_view(row: ClientUpdateRow, policy: Policy) -> ClientUpdateView:
    assert row.id is not None
    client = policy.clients.get(row.client)
    return ClientUpdateView(
        id=row.id,
        incident_id=row.incident_id,
        client=row.client,
        client_name=client.name if client else row.client,
        shared_channel=client.shared_channel if client else "",
        text=row.text,
        redactions=row.redactions,
        status=row.status,
        needs_approval=row.needs_approval,
        drafted_by=row.drafted_by,
        approved_by=row.approved_by,
        preview_ts=row.preview_ts,
        reason=row.reason,
    )
