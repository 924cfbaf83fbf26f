"""Incident lifecycle use cases: declare, ack, update, severity, assign, note, resolve, reopen,
close. Each runs in one transaction: the state machine decides (a refusal changes nothing),
the timeline records who did what from where, timers are re-armed, Slack effects queued."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

from bot import telemetry
from bot.domain.access import allows
from bot.domain.checklists import CommsEvent
from bot.domain.incident import IncidentView
from bot.domain.lifecycle import Action, Refused, Status, transition
from bot.domain.severity import Severity
from bot.domain.timers import Clockwork, plan_timers
from bot.policy import Policy
from bot.services import checklists
from bot.services import effect_kinds as fx
from bot.services import incident_state as state
from bot.services.sync import NO_SYNC, SyncTargets
from bot.services.sync import queue as queue_sync
from storage.db import Database
from storage.repositories import incidents as incident_repo
from storage.repositories import outbox
from storage.repositories import roles as role_repo
from storage.repositories import timers as timer_repo
from storage.tables import IncidentRow

__all__ = ["Actor", "Change", "apply", "clockwork", "declare", "rearm", "record_message"]

log = logging.getLogger("opsbot.incidents")


@dataclass(frozen=True)
class Actor:
    """Who acts, and through which surface (slash, button, modal, api, timer, webhook)."""

    user_id: str
    surface: str
    role: str = "responder"  # viewer | responder | commander | admin (see bot.domain.access)


@dataclass(frozen=True)
class Change:
    """What to do: an action and its arguments."""

    action: Action
    text: str | None = None
    severity: Severity | None = None
    role: str | None = None
    user_id: str | None = None
    impact: str | None = None
    waive: bool = False  # close without a complete RCA (admins only; ``text`` is the reason)


def clockwork(policy: Policy, severity: Severity) -> Clockwork:
    """The severity's response times from the policy."""
    row = policy.severities[severity.value]
    return Clockwork(
        ack_within=row.ack_within,
        update_every=row.update_every,
        escalate_every=row.escalate_every,
        escalate_max=row.escalate_max,
        rca_due=row.rca_due,
        stale_after=policy.stale_after,
    )


def rearm(session: Session, policy: Policy, row: IncidentRow, now: datetime) -> None:
    """Bring the incident's checklists in step with its state and severity, and replace its
    armed timers with what they call for."""
    assert row.id is not None
    deadlines = checklists.refresh(session, policy, row, now)
    plans = plan_timers(
        status=Status(row.status),
        opened_at=row.opened_at,
        last_update_at=row.last_update_at,
        resolved_at=row.resolved_at,
        clockwork=clockwork(policy, Severity(row.severity)),
        notice_due_at=deadlines.notice_due_at,
        rca_complete=deadlines.rca_complete,
    )
    timer_repo.rearm(session, incident_id=row.id, plans=plans, now=now)


def declare(
    *,
    db: Database,
    policy: Policy,
    title: str,
    severity: Severity,
    service: str,
    client: str | None,
    actor: Actor,
    now: datetime,
    slack: bool,
    sync: SyncTargets = NO_SYNC,
) -> IncidentView:
    """Open an incident by hand."""
    with telemetry.span("incident.declare", attributes={"opsbot.surface": actor.surface}):
        with db.session() as session:
            row = incident_repo.create_incident(
                session,
                title=title,
                severity=severity,
                service=service,
                client=policy.client_of(service, client),
                now=now,
            )
            assert row.id is not None
            telemetry.set_incident(row.id)
            row.declared_by = actor.user_id
            if actor.surface != "webhook":
                role_repo.assign(
                    session, incident_id=row.id, role="commander", user_id=actor.user_id, now=now
                )
            _timeline(
                session, row.id, "opened", f"Declared as {severity.value}: {title}", actor, now
            )
            rearm(session, policy, row, now)
            if slack:
                _effect(session, fx.INCIDENT_OPENED, row.id, now)
            queue_sync(
                session,
                sync,
                incident_id=row.id,
                event="opened",
                text=title,
                actor=actor.user_id,
                now=now,
            )
            incident_id = row.id
        log.info("incident declared", extra=_who(actor) | {"severity": severity.value})
        return _view(db, policy, incident_id)


def apply(
    *,
    db: Database,
    policy: Policy,
    incident_id: int,
    change: Change,
    actor: Actor,
    now: datetime,
    slack: bool,
    sync: SyncTargets = NO_SYNC,
) -> IncidentView:
    """Apply ``change``; raises ``Refused`` (nothing changed) or ``LookupError`` (no incident)."""
    name, surface = f"incident.{change.action.value}", {"opsbot.surface": actor.surface}
    with telemetry.span(name, incident_id=incident_id, attributes=surface):
        with db.session() as session:
            row = incident_repo.get_incident(session, incident_id, lock=True)
            if row is None:
                raise LookupError(f"There is no incident {incident_id}.")
            before = Status(row.status)
            after = transition(before, change.action)
            actor = _as_incident_role(session, incident_id, actor)
            text = _perform(session, policy, row, change, after, actor, now)
            _timeline(session, incident_id, change.action.value, text, actor, now)
            rearm(session, policy, row, now)
            session.add(row)
            if slack:
                _announce(session, row, change, text, actor, now)
            queue_sync(
                session,
                sync,
                incident_id=incident_id,
                event=change.action.value,
                text=text,
                actor=actor.user_id,
                now=now,
            )
        log.info("incident changed", extra=_who(actor) | {"action": change.action.value})
        return _view(db, policy, incident_id)


def _who(actor: Actor) -> dict[str, str]:
    return {"actor": actor.user_id, "surface": actor.surface}


def record_message(
    *, db: Database, incident_id: int, kind: str, text: str, actor: Actor, now: datetime
) -> None:
    """Add a message from the incident channel (pinned, or marked with the emoji)."""
    with db.session() as session:
        _timeline(session, incident_id, kind, text[:3000], actor, now)


def _perform(
    session: Session,
    policy: Policy,
    row: IncidentRow,
    change: Change,
    after: Status,
    actor: Actor,
    now: datetime,
) -> str:
    """Mutate the row for ``change``; returns the timeline text."""
    assert row.id is not None
    row.status = after.value
    action = change.action
    if action is Action.ACK:
        row.acknowledged_at = now
        return "Acknowledged"
    if action is Action.UPDATE:
        row.last_update_at = now
        return change.text or ""
    if action is Action.SEVERITY:
        assert change.severity is not None
        old = row.severity
        if change.severity.value == old:
            raise Refused(f"Cannot sev: it is already {old}.")
        if change.severity.value > old:  # S3 > S1: a lower severity
            _needs(actor, "commander", "Lowering the severity")
        row.severity = change.severity.value
        reason = f": {change.text}" if change.text else ""
        return f"Severity {old} → {change.severity.value}{reason}"
    if action is Action.ASSIGN:
        assert change.role is not None and change.user_id is not None
        if change.role not in policy.incident_roles:
            raise Refused(
                f"Unknown role `{change.role}`; roles: {', '.join(policy.incident_roles)}."
            )
        role_repo.assign(
            session, incident_id=row.id, role=change.role, user_id=change.user_id, now=now
        )
        return f"<@{change.user_id}> is {change.role}"
    if action is Action.RESOLVE:
        row.resolved_at = now
        row.summary = change.text or row.summary
        row.impact = change.impact or row.impact
        checklists.record(session, row, CommsEvent.RESOLVED, by="opsbot", now=now)
        return "Resolved" + (f": {change.text}" if change.text else "")
    if action is Action.REOPEN:
        row.resolved_at = None
        return "Reopened"
    if action is Action.CLOSE:
        waived = _close_gate(row, change, actor)
        row.closed_at = now
        return f"Closed; RCA waived: {waived}" if waived else "Closed"
    if action is Action.ESCALATE:
        return "Escalated by hand"
    return change.text or ""  # NOTE


def _as_incident_role(session: Session, incident_id: int, actor: Actor) -> Actor:
    """The incident's own commander acts as a commander in it."""
    if allows(actor.role, "commander"):
        return actor
    if role_repo.roles_of(session, incident_id).get("commander") == actor.user_id:
        return replace(actor, role="commander")
    return actor


def _needs(actor: Actor, least: str, what: str) -> None:
    if not allows(actor.role, least):
        raise Refused(
            f"{what} needs the {least} role (or being the incident's commander);"
            f" you are a {actor.role}."
        )


def _close_gate(row: IncidentRow, change: Change, actor: Actor) -> str | None:
    """Closing needs a commander and a complete RCA, or an admin's waiver with a reason
    (returned)."""
    _needs(actor, "commander", "Closing")
    if row.rca_completed_at is not None:
        return None
    if not change.waive:
        raise Refused(
            "Cannot close: the RCA is not complete (`/incident rca` shows what is left). "
            "An admin may close without it: `/incident close --waive <reason>`."
        )
    if not allows(actor.role, "admin"):
        raise Refused("Cannot close without the RCA: only an admin may waive it.")
    reason = (change.text or "").strip()
    if not reason:
        raise Refused("A waiver needs a reason: `/incident close --waive <reason>`.")
    row.rca_waived_by, row.rca_waiver_reason = actor.user_id, reason
    return reason


_POSTED = {Action.UPDATE, Action.SEVERITY, Action.RESOLVE, Action.REOPEN, Action.CLOSE}


def _announce(
    session: Session, row: IncidentRow, change: Change, text: str, actor: Actor, now: datetime
) -> None:
    assert row.id is not None
    if change.action is Action.ESCALATE:
        payload = {"attempt": 0, "by": actor.user_id}
        _effect(session, fx.ESCALATION, row.id, now, payload, priority=fx.URGENT)
    elif change.action in _POSTED:
        said = change.text if change.action in (Action.UPDATE, Action.RESOLVE) else text
        payload = {"event": change.action.value, "actor": actor.user_id, "text": said or ""}
        _effect(session, fx.STATUS_POST, row.id, now, payload)
    _effect(
        session,
        fx.INCIDENT_CHANGED,
        row.id,
        now,
        coalesce=f"card:{row.id}",
        priority=fx.COSMETIC,
    )


def _timeline(
    session: Session, incident_id: int, kind: str, text: str, actor: Actor, now: datetime
) -> None:
    incident_repo.add_timeline(
        session,
        incident_id=incident_id,
        kind=kind,
        text=text,
        actor=actor.user_id,
        surface=actor.surface,
        now=now,
    )


def _effect(
    session: Session,
    kind: str,
    incident_id: int,
    now: datetime,
    payload: dict[str, object] | None = None,
    *,
    coalesce: str | None = None,
    priority: int = fx.NORMAL,
) -> None:
    outbox.enqueue(
        session,
        kind=kind,
        incident_id=incident_id,
        payload=dict(payload or {}),
        now=now,
        coalesce_key=coalesce,
        priority=priority,
    )


def _view(db: Database, policy: Policy, incident_id: int) -> IncidentView:
    loaded = state.load_incident(db, policy, incident_id)
    assert loaded is not None
    return loaded[0]
