"""What the workflow objectives need to know about the alerts they raised."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.tables import AlertRow

__all__ = ["firing_since"]


def firing_since(session: Session, fingerprint: str) -> datetime | None:
    """The start of the firing occurrence of ``fingerprint``, if one fires."""
    query = (
        select(AlertRow.starts_at)
        .where(AlertRow.fingerprint == fingerprint)
        .where(AlertRow.status == "firing")
        .order_by(col(AlertRow.starts_at).desc())
        .limit(1)
    )
    return session.exec(query).first()
