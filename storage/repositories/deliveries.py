"""Webhook deliveries: every accepted body, stored before the answer."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.tables import WebhookDeliveryRow

__all__ = ["save_delivery"]


def save_delivery(
    session: Session,
    *,
    source: str,
    body: str,
    key_hash: str | None,
    alert_count: int,
    incident_ids: list[int],
    now: datetime,
    error: str | None = None,
) -> int:
    """Store one delivery; returns its id."""
    row = WebhookDeliveryRow(
        source=source,
        received_at=now,
        key_hash=key_hash,
        alert_count=alert_count,
        body=body,
        incident_ids=incident_ids,
        status="failed" if error else "processed",
        error=error,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id
