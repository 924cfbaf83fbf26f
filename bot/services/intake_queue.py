"""The Alertmanager intake queue: store a delivery in one statement, apply it soon after.

The webhook's answer waits only for ``accept`` (the delivery is durable once it returns), so
an alert storm never backs up Alertmanager behind incident work. ``apply_pending`` applies
the waiting deliveries in the order received, a batch per transaction, one process at a
time; a delivery that cannot be applied is marked failed (its traceback logged with an error
id) and the rest go on. A delivery stored by a process that stopped before applying it is
applied by the next one that looks.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from bot import telemetry
from bot.domain.alertmanager import AMNotification, group_hash
from bot.policy import Policy
from bot.services.intake import IntakeResult, apply_notification
from bot.services.sync import NO_SYNC, SyncTargets
from storage.db import Database
from storage.repositories import deliveries
from storage.repositories.deliveries import Pending

__all__ = ["Applied", "Batch", "accept", "apply_pending"]

log = logging.getLogger("opsbot.intake")


@dataclass(frozen=True)
class Applied:
    """One delivery applied (``result``) or failed (``error_id``)."""

    delivery_id: int
    result: IntakeResult | None
    error_id: str | None = None


@dataclass(frozen=True)
class Batch:
    """What one call of ``apply_pending`` did; ``busy`` when another process had the turn."""

    applied: list[Applied]
    busy: bool = False
    more: bool = False  # a full batch: more may be waiting


def accept(db: Database, *, note: AMNotification, body: str, now: datetime) -> int:
    """Store a validated notification to apply later; returns the delivery id."""
    with db.session() as session:
        return deliveries.queue_delivery(
            session,
            source="alertmanager",
            body=body,
            key_hash=group_hash(note.group_key),
            alert_count=len(note.alerts),
            now=now,
        )


@dataclass(frozen=True)
class _Apply:
    policy: Policy
    clock: Callable[[], datetime]
    slack: bool
    sync: SyncTargets

    def one(self, session: Session, item: Pending, note: AMNotification) -> IntakeResult:
        attributes = {"opsbot.delivery_id": item.id, "opsbot.alerts": len(note.alerts)}
        with telemetry.span("intake.apply", parent=item.trace_context, attributes=attributes):
            result = apply_notification(
                session,
                policy=self.policy,
                note=note,
                now=self.clock(),
                slack=self.slack,
                sync=self.sync,
            )
            if result.incident_ids:
                telemetry.set_incident(result.incident_ids[0])
            if result.opened:
                log.info("incident opened from alerts", extra={"delivery_id": item.id})
            return result


def apply_pending(
    db: Database,
    *,
    policy: Policy,
    clock: Callable[[], datetime],
    slack: bool,
    sync: SyncTargets = NO_SYNC,
    notes: Mapping[int, AMNotification] | None = None,
    limit: int = 100,
) -> Batch:
    """Apply up to ``limit`` pending deliveries in one transaction (``notes``: notifications
    already parsed by this process, by delivery id). If one of them fails, the batch is
    rolled back and applied again one delivery per transaction, so only that one fails.
    Connection errors propagate: nothing is marked, the caller retries later."""
    apply = _Apply(policy, clock, slack, sync)
    known = notes or {}
    try:
        return _transaction(db, apply, known, limit)
    except _Failed:
        pass  # rolled back; the failure is logged below, against the one delivery it was
    done: list[Applied] = []
    for _ in range(limit):
        try:
            batch = _transaction(db, apply, known, 1)
        except _Failed as failed:
            done.append(_failed(db, apply, failed.delivery_id))
            continue
        done += batch.applied
        if batch.busy or not batch.more:
            return Batch(applied=done, busy=batch.busy)
    return Batch(applied=done, more=True)


class _Failed(Exception):
    """Applying a delivery of the transaction failed (not for a lost connection)."""

    def __init__(self, delivery_id: int) -> None:
        super().__init__(f"delivery {delivery_id} could not be applied")
        self.delivery_id = delivery_id


def _transaction(
    db: Database, apply: _Apply, known: Mapping[int, AMNotification], limit: int
) -> Batch:
    """Up to ``limit`` pending deliveries applied in one transaction; raises ``_Failed`` naming
    the delivery being applied (or the last one, if the commit failed)."""
    taken: list[int] = []
    try:
        with db.session() as session:
            if not deliveries.take_turn(session):
                return Batch(applied=[], busy=True)
            batch = deliveries.pending(session, limit=limit)
            parsed = _notes(session, batch, known)
            applied = []
            for item in batch:
                taken.append(item.id)
                note = parsed[item.id]
                if isinstance(note, str):
                    raise _Unparsable(note)
                applied.append(Applied(item.id, apply.one(session, item, note)))
            _finish(session, applied, apply.clock())
            return Batch(applied=applied, more=len(batch) == limit)
    except (OperationalError, DBAPIError) as exc:
        if _connection_lost(exc) or not taken:
            raise
        raise _Failed(taken[-1]) from exc
    except Exception as exc:
        if not taken:
            raise
        raise _Failed(taken[-1]) from exc


class _Unparsable(Exception):
    """A stored body no longer parses (it did when it was accepted)."""


def _notes(
    session: Session, batch: list[Pending], known: Mapping[int, AMNotification]
) -> dict[int, AMNotification | str]:
    texts = deliveries.bodies(session, [item.id for item in batch if item.id not in known])
    return {item.id: known.get(item.id) or _parse(texts[item.id]) for item in batch}


def _parse(body: str) -> AMNotification | str:
    try:
        return AMNotification.model_validate(json.loads(body))
    except (ValueError, ValidationError, RecursionError) as exc:
        return f"stored body does not parse: {type(exc).__name__}"


def _failed(db: Database, apply: _Apply, delivery_id: int) -> Applied:
    error_id = uuid.uuid4().hex[:12]
    log.exception(
        "alertmanager delivery failed; body kept",
        extra={"error_id": error_id, "delivery_id": delivery_id},
    )
    outcome = Applied(delivery_id, None, error_id)
    with db.session() as session:
        _finish(session, [outcome], apply.clock())
    return outcome


def _finish(session: Session, applied: list[Applied], now: datetime) -> None:
    deliveries.finish(
        session,
        [(a.delivery_id, a.result.incident_ids if a.result else [], a.error_id) for a in applied],
        now=now,
    )


def _connection_lost(exc: DBAPIError) -> bool:
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)
