"""Alert occurrences (``fingerprint`` + ``starts_at``): bulk upsert, counts, newest."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, text, update
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
    """Insert new occurrences, update status changes, touch ``last_seen_at`` of repeats.

    A stored occurrence keeps its incident; its ``status`` and ``ends_at`` change only when the
    status does. PostgreSQL: one statement for the whole notification; SQLite (no round trips
    to save): a look-up, then an insert of the new ones and updates of the others."""
    unique = {(a.fingerprint, a.starts_at): a for a in alerts}
    if not unique:
        return AlertChanges(new=(), newly_resolved=0, refired=0)
    if session.get_bind().dialect.name == "postgresql":
        before = _upsert_postgres(session, incident_id, list(unique.values()), now)
    else:
        before = _upsert_sqlite(session, incident_id, unique, now)
    new = [a for key, a in unique.items() if before.get(key) is None]
    flips = [a for key, a in unique.items() if before.get(key) not in (None, a.status)]
    return AlertChanges(
        new=tuple(new),
        newly_resolved=sum(1 for a in flips if a.status == "resolved"),
        refired=sum(1 for a in flips if a.status == "firing"),
    )


# ``known`` pairs each input row with the status of its stored occurrence as it was before this
# statement (one snapshot for the whole statement; NULL: it is new); every row is then inserted
# or, on conflict, updated; the answer is each occurrence's previous status. One cached
# statement however many alerts, one round trip; the rows travel as one JSON document
# (``json_to_recordset``), a fraction of what psycopg's text arrays cost to build here. The
# look-up is a LATERAL probe of the unique index and the update goes through the ON CONFLICT
# arbiter (that index again), so the server's cached generic plan cannot turn into a hash join
# over the whole table: a plan made while ``alerts`` was small and without statistics did, and
# kept reading all of it (25 ms for 100 alerts at 45,000 rows instead of 6).
_PG_UPSERT = text(
    """
WITH input AS (
    SELECT * FROM json_to_recordset(CAST(:rows AS json)) AS t(
        fingerprint varchar, starts_at timestamptz, ends_at timestamptz, status varchar,
        severity varchar, name varchar, labels json, annotations json, generator_url text)
), known AS (
    SELECT input.*, stored.status AS known_status
    FROM input LEFT JOIN LATERAL (
        SELECT alerts.status FROM alerts
        WHERE alerts.fingerprint = input.fingerprint AND alerts.starts_at = input.starts_at
        LIMIT 1
    ) AS stored ON true
), upserted AS (
    INSERT INTO alerts (incident_id, fingerprint, starts_at, ends_at, status, severity, name,
                        labels, annotations, generator_url, first_seen_at, last_seen_at)
    SELECT :incident_id, fingerprint, starts_at, ends_at, status, severity, name,
           labels, annotations, generator_url, :now, :now
    FROM known
    ON CONFLICT (fingerprint, starts_at) DO UPDATE SET
        last_seen_at = excluded.last_seen_at,
        ends_at = CASE WHEN alerts.status <> excluded.status
                       THEN excluded.ends_at ELSE alerts.ends_at END,
        status = excluded.status
)
SELECT fingerprint, starts_at, known_status FROM known
"""
)


def _upsert_postgres(
    session: Session, incident_id: int, alerts: list[AlertInput], now: datetime
) -> dict[tuple[str, datetime], str | None]:
    """Upsert on PostgreSQL; occurrence → its status before (None: it is new)."""
    rows = [
        {
            "fingerprint": a.fingerprint,
            "starts_at": _utc(a.starts_at).isoformat(),
            "ends_at": _utc(a.ends_at).isoformat() if a.ends_at else None,
            "status": a.status,
            "severity": a.severity.value,
            "name": a.name[:200],
            "labels": a.labels,
            "annotations": a.annotations,
            "generator_url": a.generator_url,
        }
        for a in alerts
    ]
    params = {"incident_id": incident_id, "now": _utc(now), "rows": json.dumps(rows)}
    result = session.connection().execute(_PG_UPSERT, params).all()
    return {(fingerprint, aware(starts_at)): status for fingerprint, starts_at, status in result}


def _upsert_sqlite(
    session: Session,
    incident_id: int,
    unique: dict[tuple[str, datetime], AlertInput],
    now: datetime,
) -> dict[tuple[str, datetime], str | None]:
    """Upsert on SQLite: look the occurrences up, insert the new ones, flip the changed ones,
    touch the known ones by id; occurrence → its status before (None: it is new)."""
    existing = _existing(session, list(unique))
    connection = session.connection()
    new = [a for key, a in unique.items() if key not in existing]
    if new:
        # One cached statement, rows as parameters (executemany): no SQL rebuilt per request.
        insert = insert_for(session, AlertRow).on_conflict_do_nothing(
            index_elements=["fingerprint", "starts_at"]
        )
        connection.execute(insert, [_row(a, incident_id, now) for a in new])
    flips = [
        (existing[key][0], a)
        for key, a in unique.items()
        if key in existing and existing[key][1] != a.status
    ]
    if flips:
        by_id = update(AlertRow).where(col(AlertRow.id) == bindparam("row_id"))
        connection.execute(
            by_id.values(status=bindparam("new_status"), ends_at=bindparam("new_ends_at")),
            [
                {"row_id": row_id, "new_status": a.status, "new_ends_at": a.ends_at}
                for row_id, a in flips
            ],
        )
    ids = [row_id for row_id, _ in existing.values()]
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.exec(update(AlertRow).where(col(AlertRow.id).in_(chunk)).values(last_seen_at=now))
    return {key: existing[key][1] if key in existing else None for key in unique}


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


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("opsbot stores aware datetimes only")
    return value.astimezone(UTC)


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
