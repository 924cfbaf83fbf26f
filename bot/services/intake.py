"""Alertmanager notifications become incidents: group, de-duplicate, classify, route, guard.

Applying a notification locks its group row, opens, reopens or updates the incident and queues
the Slack, Jira and Notion effects in the outbox, all in the caller's transaction. Webhook
deliveries are stored first and applied in order by the queue (``intake_queue``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.domain.alertmanager import AMAlert, AMNotification, group_hash
from bot.domain.grouping import GroupAction, IncidentState, decide
from bot.domain.lifecycle import LIVE
from bot.domain.severity import Severity, classify, most_severe
from bot.policy import Policy
from bot.services import effect_kinds as fx
from bot.services import lifecycle
from bot.services.sync import NO_SYNC, SyncTargets
from bot.services.sync import queue as queue_sync
from storage.repositories import alerts as alert_repo
from storage.repositories import groups as group_repo
from storage.repositories import incidents as incident_repo
from storage.repositories import outbox
from storage.repositories.alerts import AlertInput
from storage.tables import AlertGroupRow, IncidentRow

__all__ = ["IntakeResult", "apply_notification"]

ACTOR = "alertmanager"
SURFACE = "webhook"
_STORM_WINDOW = timedelta(minutes=1)  # ``max_new_incidents_per_minute``
_ALERTS_SETTLE = timedelta(seconds=2)


@dataclass(frozen=True)
class IntakeResult:
    """What one notification did."""

    incident_ids: list[int]
    opened: bool = False
    held: bool = False
    noticed: bool = False


@dataclass(frozen=True)
class _Context:
    session: Session
    policy: Policy
    now: datetime
    slack: bool  # queue Slack effects only when Slack is configured
    sync: SyncTargets = NO_SYNC
    opened_last_minute: int | None = None  # counted with the group lock, when it was cheap


def apply_notification(
    session: Session,
    *,
    policy: Policy,
    note: AMNotification,
    now: datetime,
    slack: bool,
    sync: SyncTargets = NO_SYNC,
) -> IntakeResult:
    """Apply one notification inside the caller's transaction: the group row is locked, the
    incident opened, reopened or updated, and the effects queued."""
    # The storm guard's count rides on the group's statement (for a group without an
    # incident, the one case where it can open one), saving it a round trip.
    locked = group_repo.lock_group(
        session,
        key_hash=group_hash(note.group_key),
        group_key=note.group_key,
        labels=note.group_labels,
        now=now,
        count_opened_since=now - _STORM_WINDOW,
    )
    ctx = _Context(session, policy, now, slack, sync, locked.opened_since)
    return _apply(ctx, locked.row, note)


def _apply(ctx: _Context, group: AlertGroupRow, note: AMNotification) -> IntakeResult:
    inputs = [_classify(a, ctx.policy) for a in note.alerts]
    current = (
        incident_repo.get_incident(ctx.session, group.incident_id, lock=True)
        if (group.incident_id)
        else None
    )
    state = IncidentState(current.status, current.resolved_at) if current else None
    firing = [a for a in inputs if a.status == "firing"]
    window = ctx.policy.alerting.reopen_window
    action = decide(state, any_firing=bool(firing), now=ctx.now, reopen_window=window)
    if action is None:
        return IntakeResult(incident_ids=[])
    if action is GroupAction.REOPEN:
        assert current is not None
        _reopen(ctx, current)
    opened = False
    if action is GroupAction.OPEN:
        outcome = _open_or_hold(ctx, group, note, inputs)
        if not isinstance(outcome, IncidentRow):
            return outcome
        current, opened = outcome, True
    assert current is not None and current.id is not None
    _add_alerts(ctx, current, inputs, note.truncated_alerts, opened=opened)
    return IntakeResult(incident_ids=[current.id], opened=opened)


def _classify(alert: AMAlert, policy: Policy) -> AlertInput:
    service = alert.labels.get(policy.alerting.service_label, "default")
    severity = classify(
        alert.labels,
        label=policy.alerting.severity_label,
        mapping=policy.alerting.severity_map,
        service_default=policy.service(service).default_severity,
    )
    return AlertInput(
        fingerprint=alert.fingerprint,
        starts_at=alert.starts_at,
        ends_at=alert.ends_at,
        status=alert.status,
        severity=severity,
        name=alert.name,
        labels=alert.labels,
        annotations=alert.annotations,
        generator_url=alert.generator_url,
    )


def _service_of(inputs: list[AlertInput], policy: Policy) -> str:
    label = policy.alerting.service_label
    for alert in inputs:
        if alert.labels.get(label):
            return alert.labels[label]
    return "default"


def _open_or_hold(
    ctx: _Context, group: AlertGroupRow, note: AMNotification, inputs: list[AlertInput]
) -> IncidentRow | IntakeResult:
    minimum = Severity(ctx.policy.alerting.min_incident_severity)
    firing = [a for a in inputs if a.status == "firing"]
    eligible = [a for a in firing if a.severity.meets(minimum)]
    service = _service_of(inputs, ctx.policy)
    if not eligible:
        return _notice(ctx, group, firing, service, minimum)
    if ctx.policy.alerting.correlation_window is not None:
        since = ctx.now - ctx.policy.alerting.correlation_window
        joined = incident_repo.open_for_service(ctx.session, service, since)
        if joined is not None and joined.id is not None:
            group.incident_id = joined.id
            _timeline(ctx, joined.id, "correlated", f"Alert group {note.group_key} joined")
            return joined
    limit = ctx.policy.alerting.max_new_incidents_per_minute
    opened = ctx.opened_last_minute
    if opened is None:
        opened = incident_repo.count_opened_since(ctx.session, ctx.now - _STORM_WINDOW)
    if opened >= limit:
        return _hold(ctx, group, eligible, service)
    return _open(ctx, group, eligible, service)


def _open(
    ctx: _Context, group: AlertGroupRow, eligible: list[AlertInput], service: str
) -> IncidentRow:
    worst = most_severe(a.severity for a in eligible) or Severity.S3
    first = next(a for a in eligible if a.severity is worst)
    title = first.annotations.get("summary") or first.name
    client = ctx.policy.client_of(service)
    row = incident_repo.create_incident(
        ctx.session, title=title, severity=worst, service=service, client=client, now=ctx.now
    )
    assert row.id is not None
    group.incident_id = row.id
    group.held_at = None
    _timeline(ctx, row.id, "opened", f"Opened as {worst.value} from alert {first.name}")
    lifecycle.rearm(ctx.session, ctx.policy, row, ctx.now)
    _effect(ctx, fx.INCIDENT_OPENED, row.id)
    _sync(ctx, row.id, "opened", title)
    return row


def _reopen(ctx: _Context, incident: IncidentRow) -> None:
    assert incident.id is not None
    incident.status = "open"
    incident.resolved_at = None
    ctx.session.add(incident)
    _timeline(ctx, incident.id, "reopened", "Reopened: the alert group fired again")
    lifecycle.rearm(ctx.session, ctx.policy, incident, ctx.now)
    _effect(ctx, fx.REOPENED, incident.id, {"reason": "the alert group fired again"})
    _sync(ctx, incident.id, "reopen", "the alert group fired again")


def _hold(
    ctx: _Context, group: AlertGroupRow, eligible: list[AlertInput], service: str
) -> IntakeResult:
    worst = most_severe(a.severity for a in eligible) or Severity.S3
    group.held_at = group.held_at or ctx.now
    group.held_alerts = len(eligible)
    group.held_severity = worst.value
    group.held_service = service[:100]
    group.held_summary = (eligible[0].annotations.get("summary") or eligible[0].name)[:300]
    _effect(ctx, fx.STORM_DIGEST, None, {}, coalesce="storm-digest", delay=timedelta(seconds=10))
    return IntakeResult(incident_ids=[], held=True)


def _notice(
    ctx: _Context,
    group: AlertGroupRow,
    firing: list[AlertInput],
    service: str,
    minimum: Severity,
) -> IntakeResult:
    every = ctx.policy.alerting.notice_every
    last = group.notice_at
    if not firing or (last is not None and ctx.now - last < every):
        return IntakeResult(incident_ids=[])
    group.notice_at = ctx.now
    payload = {
        "service": service,
        "minimum": minimum.value,
        "alerts": [
            {
                "fingerprint": a.fingerprint,
                "name": a.name,
                "severity": a.severity.value,
                "status": a.status,
                "labels": a.labels,
                "annotations": a.annotations,
                "starts_at": a.starts_at.isoformat(),
                "generator_url": a.generator_url,
            }
            for a in firing[:20]
        ],
        "total": len(firing),
    }
    _effect(ctx, fx.BELOW_THRESHOLD, None, payload)
    return IntakeResult(incident_ids=[], noticed=True)


def _add_alerts(
    ctx: _Context, incident: IncidentRow, inputs: list[AlertInput], truncated: int, *, opened: bool
) -> None:
    assert incident.id is not None
    changes = alert_repo.upsert_alerts(
        ctx.session, incident_id=incident.id, alerts=inputs, now=ctx.now
    )
    incident.last_seen_at = ctx.now
    if truncated > incident.truncated_alerts:
        incident.truncated_alerts = truncated
    _maybe_raise(ctx, incident, changes.new)
    if changes.any and not opened:
        # A short wait lets a storm of deliveries share one edit of the card and the list,
        # and alert churn edits them at most once per ``slack.alerts_refresh_every``.
        due = max(ctx.now + _ALERTS_SETTLE, incident.alerts_refresh_at or ctx.now)
        _effect(
            ctx,
            fx.ALERTS_CHANGED,
            incident.id,
            coalesce=f"alerts:{incident.id}",
            delay=due - ctx.now,
        )
    if changes.newly_resolved and incident.status in LIVE:
        _maybe_cleared(ctx, incident)
    ctx.session.add(incident)


def _maybe_raise(ctx: _Context, incident: IncidentRow, new: tuple[AlertInput, ...]) -> None:
    assert incident.id is not None
    worst = most_severe(a.severity for a in new if a.status == "firing")
    current = Severity(incident.severity)
    if worst is None or not worst.is_worse_than(current):
        return
    culprit = next(a for a in new if a.severity is worst)
    incident.severity = worst.value
    reason = f"alert {culprit.name} is {worst.value}"
    _timeline(
        ctx, incident.id, "severity", f"Severity raised {current.value} → {worst.value}: {reason}"
    )
    lifecycle.rearm(ctx.session, ctx.policy, incident, ctx.now)
    _effect(ctx, fx.SEVERITY_RAISED, incident.id, {"old": current.value, "reason": reason})
    _sync(ctx, incident.id, "severity_raised", f"{current.value} → {worst.value}: {reason}")


def _maybe_cleared(ctx: _Context, incident: IncidentRow) -> None:
    assert incident.id is not None
    if alert_repo.counts(ctx.session, incident.id).get("firing", 0):
        return
    auto = incident.severity in ctx.policy.alerting.auto_resolve
    _timeline(ctx, incident.id, "cleared", "All alerts cleared")
    if auto:
        incident.status = "resolved"
        incident.resolved_at = ctx.now
        _timeline(ctx, incident.id, "resolved", "Resolved automatically: all alerts cleared")
        lifecycle.rearm(ctx.session, ctx.policy, incident, ctx.now)
        _sync(ctx, incident.id, "resolve", "all alerts cleared")
    _effect(ctx, fx.ALL_CLEARED, incident.id, {"auto_resolved": auto})


def _sync(ctx: _Context, incident_id: int, event: str, text: str) -> None:
    queue_sync(
        ctx.session,
        ctx.sync,
        incident_id=incident_id,
        event=event,
        text=text,
        actor=ACTOR,
        now=ctx.now,
    )


def _timeline(ctx: _Context, incident_id: int, kind: str, text: str) -> None:
    incident_repo.add_timeline(
        ctx.session,
        incident_id=incident_id,
        kind=kind,
        text=text,
        actor=ACTOR,
        surface=SURFACE,
        now=ctx.now,
    )


def _effect(
    ctx: _Context,
    kind: str,
    incident_id: int | None,
    payload: Mapping[str, object] | None = None,
    *,
    coalesce: str | None = None,
    delay: timedelta = timedelta(0),
) -> None:
    if not ctx.slack:
        return
    outbox.enqueue(
        ctx.session,
        kind=kind,
        incident_id=incident_id,
        payload=dict(payload or {}),
        now=ctx.now,
        coalesce_key=coalesce,
        delay=delay,
    )
