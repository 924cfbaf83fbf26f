"""Alert occurrences (``fingerprint`` + ``starts_at``): bulk upsert, counts, newest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from bot.domain.incident import AlertView
from bot.domain.severity import Severity
from storage.repositories._time import aware, maybe_aware
from storage.repositories._upsert import insert_for
from storage.tables import AlertRow

__all__ = ["AlertChanges", "AlertInput", "counts", "newest", "upsert_alerts"]

_CHUNK = 500


@dataclass(frozen=True)
class AlertInput:
    """An alert as the intake service classified it."""

    fingerprint: str
    starts_at: datetime
    ends_at: datetime | None
    status: str
    severity: Severity
    name: str
    labels: dict[str, str]
    annotations: dict[str, str]
    generator_url: str


@dataclass(frozen=True)
class AlertChanges:
    """What an upsert changed: new occurrences, and status flips."""

    new: tuple[AlertInput, ...]
    newly_resolved: int
    refired: int

    @property
    def any(self) -> bool:
        """True when something other than the last-seen time changed."""
        return bool(self.new or self.newly_resolved or self.refired)


def upsert_alerts(
    session: Session, *, incident_id: int, alerts: Sequence[AlertInput], now: datetime
) -> AlertChanges:
    """Insert new occurrences, update status changes, touch ``last_seen_at`` of repeats."""
    unique = {(a.fingerprint, a.starts_at): a for a in alerts}
    existing = _existing(session, list(unique))
    new = [a for key, a in unique.items() if key not in existing]
    flips = [a for key, a in unique.items() if key in existing and existing[key][1] != a.status]
    connection = session.connection()
    if new:
        # One cached statement, rows as parameters (executemany): no SQL rebuilt per request.
        insert = insert_for(session, AlertRow).on_conflict_do_nothing(
            index_elements=["fingerprint", "starts_at"]
        )
        connection.execute(insert, [_row(a, incident_id, now) for a in new])
    if flips:
        by_id = update(AlertRow).where(col(AlertRow.id) == bindparam("row_id"))
        connection.execute(
            by_id.values(status=bindparam("new_status"), ends_at=bindparam("new_ends_at")),
            [
                {
                    "row_id": existing[(a.fingerprint, a.starts_at)][0],
                    "new_status": a.status,
                    "new_ends_at": a.ends_at,
                }
                for a in flips
            ],
        )
    _touch(session, [existing[key][0] for key in unique if key in existing], now)
    return AlertChanges(
        new=tuple(new),
        newly_resolved=sum(1 for a in flips if a.status == "resolved"),
        refired=sum(1 for a in flips if a.status == "firing"),
    )


def _existing(
    session: Session, keys: list[tuple[str, datetime]]
) -> dict[tuple[str, datetime], tuple[int, str]]:
    """Stored occurrences among ``keys``: key → (row id, status)."""
    found: dict[tuple[str, datetime], tuple[int, str]] = {}
    fingerprints = sorted({fp for fp, _ in keys})
    for start in range(0, len(fingerprints), _CHUNK):
        chunk = fingerprints[start : start + _CHUNK]
        query = select(
            AlertRow.id, AlertRow.fingerprint, AlertRow.starts_at, AlertRow.status
        ).where(col(AlertRow.fingerprint).in_(chunk))
        for row_id, fingerprint, starts_at, status in session.exec(query):
            found[(fingerprint, aware(starts_at))] = (int(row_id or 0), status)
    return {key: found[key] for key in keys if key in found}


def _touch(session: Session, ids: list[int], now: datetime) -> None:
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.exec(update(AlertRow).where(col(AlertRow.id).in_(chunk)).values(last_seen_at=now))


def _row(alert: AlertInput, incident_id: int, now: datetime) -> dict[str, Any]:
    return {
        "incident_id": incident_id,
        "fingerprint": alert.fingerprint,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "status": alert.status,
        "severity": alert.severity.value,
        "name": alert.name[:200],
        "labels": alert.labels,
        "annotations": alert.annotations,
        "generator_url": alert.generator_url,
        "first_seen_at": now,
        "last_seen_at": now,
    }


def counts(session: Session, incident_id: int) -> dict[str, int]:
    """Alert occurrences of an incident by status."""
    query = (
        select(AlertRow.status, func.count())
        .where(AlertRow.incident_id == incident_id)
        .group_by(col(AlertRow.status))
    )
    return {status: int(n) for status, n in session.exec(query)}


def newest(session: Session, incident_id: int, limit: int | None) -> list[AlertView]:
    """The incident's alerts, newest start first (all when ``limit`` is None)."""
    query = (
        select(AlertRow)
        .where(AlertRow.incident_id == incident_id)
        .order_by(col(AlertRow.starts_at).desc(), col(AlertRow.id).desc())
    )
    if limit is not None:
        query = query.limit(limit)
    return [to_view(row) for row in session.exec(query)]


def to_view(row: AlertRow) -> AlertView:
    """Row to read model."""
    return AlertView(
        fingerprint=row.fingerprint,
        name=row.name,
        status=row.status,
        severity=Severity(row.severity),
        labels=dict(row.labels or {}),
        annotations=dict(row.annotations or {}),
        starts_at=aware(row.starts_at),
        ends_at=maybe_aware(row.ends_at),
        generator_url=row.generator_url,
        last_seen_at=aware(row.last_seen_at),
    )
