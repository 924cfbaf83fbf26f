"""Fire due timers exactly once: claim (locked), re-check the reason, queue the Slack effect,
arm what follows, mark fired; all in one transaction. A late or duplicate fire whose reason
is gone (acknowledged, updated, resolved) does nothing but mark the timer fired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot import telemetry
from bot.domain.checklists import COMMS, CommsItem
from bot.domain.lifecycle import LIVE, Status
from bot.domain.severity import Severity
from bot.domain.timers import TimerKind, next_after_fire
from bot.policy import Policy
from bot.services import effect_kinds as fx
from bot.services.lifecycle import clockwork
from storage.db import Database
from storage.repositories import checklists as checklist_repo
from storage.repositories import incidents as incident_repo
from storage.repositories import outbox
from storage.repositories import timers as timer_repo
from storage.repositories.timers import DueTimer
from storage.tables import IncidentRow

__all__ = ["Fired", "fire_due"]

_TEXT = {
    TimerKind.ACK: "Escalated: not acknowledged in time (escalation {attempt})",
    TimerKind.UPDATE: "Reminder: an update is due",
    TimerKind.STALE: "Reminder: no update for a long time",
    TimerKind.RCA: "Reminder: the RCA is due",
    TimerKind.RCA_SOON: "Reminder: the RCA is due soon",
    TimerKind.NOTICE: "Reminder: the client has not been notified yet",
}


@dataclass(frozen=True)
class Fired:
    """One timer handled: its kind, how late it fired, and whether it still mattered."""

    kind: TimerKind
    lag: timedelta
    acted: bool


def fire_due(
    *, db: Database, policy: Policy, now: datetime, slack: bool, limit: int = 200
) -> list[Fired]:
    """Handle the timers due at ``now`` (at most ``limit``), each in a span of its own (a
    trace's root: what the timer queues joins it)."""
    with db.session() as session:
        due = timer_repo.claim_due(session, now=now, limit=limit)
        results = [_traced_fire(session, policy, timer, now, slack) for timer in due]
    return results


def _traced_fire(
    session: Session, policy: Policy, timer: DueTimer, now: datetime, slack: bool
) -> Fired:
    plan = timer.plan
    attributes = {"opsbot.timer.kind": plan.kind.value, "opsbot.timer.attempt": plan.attempt}
    with telemetry.span("timer.fire", incident_id=timer.incident_id, attributes=attributes):
        fired = _fire(session, policy, timer, now, slack)
        telemetry.annotate({"opsbot.timer.acted": fired.acted})
        return fired


def _fire(session: Session, policy: Policy, timer: DueTimer, now: datetime, slack: bool) -> Fired:
    timer_repo.fired(session, timer.id, now=now)
    lag = now - timer.plan.due_at
    row = incident_repo.get_incident(session, timer.incident_id, lock=True)
    if row is None or not _still_matters(session, timer, row):
        return Fired(timer.plan.kind, lag, acted=False)
    assert row.id is not None
    text = _TEXT[timer.plan.kind].format(attempt=timer.plan.attempt)
    incident_repo.add_timeline(
        session,
        incident_id=row.id,
        kind=f"timer.{timer.plan.kind.value}",
        text=text,
        actor="opsbot",
        surface="timer",
        now=now,
    )
    follow = next_after_fire(timer.plan, clockwork(policy, Severity(row.severity)), now=now)
    if follow is not None:
        timer_repo.arm(session, incident_id=row.id, plan=follow, now=now)
    if slack:
        _queue(session, row.id, timer, now, policy)
    return Fired(timer.plan.kind, lag, acted=True)


def _still_matters(session: Session, timer: DueTimer, row: IncidentRow) -> bool:
    status = Status(row.status)
    kind = timer.plan.kind
    if kind is TimerKind.ACK:
        return status is Status.OPEN
    if kind in (TimerKind.RCA, TimerKind.RCA_SOON):
        rca_open = row.rca_completed_at is None and row.rca_waived_by is None
        return status is Status.RESOLVED and rca_open
    if kind is TimerKind.NOTICE:
        assert row.id is not None
        items = checklist_repo.items(session, row.id, COMMS)
        notice = [i for i in items if i.key == CommsItem.CLIENT_NOTICE.value]
        return status is not Status.CLOSED and bool(notice) and not notice[0].done
    return status in LIVE


def _queue(
    session: Session, incident_id: int, timer: DueTimer, now: datetime, policy: Policy
) -> None:
    kind = fx.ESCALATION if timer.plan.kind is TimerKind.ACK else fx.REMINDER
    payload: dict[str, object] = {"timer": timer.plan.kind.value, "attempt": timer.plan.attempt}
    outbox.enqueue(
        session, kind=kind, incident_id=incident_id, payload=payload, now=now, priority=fx.URGENT
    )
